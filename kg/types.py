"""The small frozen records the stages hand to one another.

parse -> Document; mentions -> Mention/Entity; rules -> Fact (with Provenance);
rdf turns Facts and Entities into triples.  Nothing here imports a stage.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Word:
    """One syntactic word (after multi-word-token expansion), as Stanza gives it."""
    id: int                 # 1-based position in its sentence
    text: str
    lemma: str
    upos: str
    feats: str              # CoNLL-U FEATS, "_" when empty
    head: int               # 0 for the root
    deprel: str
    start_char: int         # offsets in Document.text (of the surface token for MWT parts)
    end_char: int
    ner: str = "O"          # BIOES tag of the token the word belongs to

    def feat(self, name: str) -> str | None:
        for pair in self.feats.split("|"):
            key, _, value = pair.partition("=")
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Sentence:
    index: int              # 0-based position in the document
    text: str
    start_char: int
    end_char: int
    words: tuple[Word, ...]

    def word(self, word_id: int) -> Word:
        return self.words[word_id - 1]

    def children(self, word_id: int) -> tuple[Word, ...]:
        return tuple(w for w in self.words if w.head == word_id)

    def descendants(self, word_id: int) -> list[Word]:
        """Every word below ``word_id`` in the tree."""
        found, stack = [], list(self.children(word_id))
        while stack:
            word = stack.pop()
            found.append(word)
            stack.extend(self.children(word.id))
        return found


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    sentences: tuple[Sentence, ...]
    date: dt.date | None = None     # publication date: given, or read from the dateline
    place: str | None = None        # dateline city, when there is one


# Entity classes, named as in the ontology (kg:Person, ...).
PERSON, ORGANIZATION, PLACE, EVENT, PROPOSAL = "Person", "Organization", "Place", "Event", "Proposal"


@dataclass(frozen=True)
class Mention:
    """A span of words in one sentence that names (or refers to) an entity."""
    sentence: int
    start: int              # first word id
    end: int                # last word id, inclusive
    text: str               # surface form as written
    type: str               # PERSON, ORGANIZATION, PLACE, EVENT or PROPOSAL
    source: str             # what found it: "ner", "propn", "event", "role", ...
    start_char: int
    end_char: int

    def covers(self, sentence: int, word_id: int) -> bool:
        return sentence == self.sentence and self.start <= word_id <= self.end


@dataclass(frozen=True)
class Entity:
    key: str                # unique within a build; the local part of the entity's IRI
    type: str
    label: str              # preferred name, without leading article
    alt_labels: tuple[str, ...] = ()
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True)
class Provenance:
    document: str
    sentence: int
    start_char: int         # the evidence span in the document text
    end_char: int
    rule: str               # "<rule id>@<version>"
    sentence_text: str = ""


@dataclass(frozen=True)
class Fact:
    """subject --predicate--> object.  The object is an Entity key, or a literal
    when ``datatype`` is set ("string" or "date")."""
    subject: str
    predicate: str          # local name of an ontology property, e.g. "meets", "chairedBy"
    object: str
    provenance: Provenance
    datatype: str | None = None
    confidence: float = 1.0

    @property
    def is_literal(self) -> bool:
        return self.datatype is not None


@dataclass(frozen=True)
class Extraction:
    """Everything the rule layer found in a set of documents."""
    documents: tuple[Document, ...]
    entities: tuple[Entity, ...]
    facts: tuple[Fact, ...]
    errors: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class AnnotatedDocument:
    """A Document with what the mentions stage found in it: its entities and,
    for each (sentence index, word id), the entity or date that word belongs to,
    and the subjects and objects Italian leaves unsaid where they can be recovered reliably."""
    document: Document
    entities: tuple[Entity, ...]
    word_entity: Mapping[tuple[int, int], str]
    word_date: Mapping[tuple[int, int], dt.date]
    # (sentence index, verb id) -> entity key of a dropped subject ("Ha poi aggiunto che ...")
    implicit_subject: Mapping[tuple[int, int], str] = field(default_factory=dict)
    # (sentence index, word id) -> (entity key, preposition or "" for a direct object) of the
    # proposal or event under discussion that a word leaves unsaid ("Ha votato a favore", "Erano presenti X e Y")
    implicit_object: Mapping[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
