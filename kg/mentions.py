"""Mentions stage: Document -> AnnotatedDocument.

Finds entity mentions (NER spans; capitalized named groups the NER misses;
named sites such as "palazzo dell'Eliseo"; event nouns), normalizes dates
against the document date, and merges mentions of one entity within a
document: case variants, surname-only and full-name forms of one person
(only when the surname is unambiguous), and definite event nouns that take up
an event already introduced ("la riunione" ... "l'incontro").
"""
from __future__ import annotations

import functools
import importlib.resources
import re
import unicodedata
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, replace

import yaml

from kg.dates import MONTHS, WEEKDAYS, find_dates, parse_dateline
from kg.types import (EVENT, ORGANIZATION, PERSON, PLACE, PROPOSAL, AnnotatedDocument, Document, Entity,
                      Mention, Sentence, Word)

NER_TYPES = {"PER": PERSON, "ORG": ORGANIZATION, "LOC": PLACE, "GPE": PLACE}
_ARTICLE = re.compile(r"^(?:(?:il|lo|la|i|gli|le|un|uno|una)\s+|(?:l|un|gl)['’]\s*)", re.IGNORECASE)
# dependency links from a noun to the name it introduces
NAME_LINKS = ("appos", "flat", "flat:name", "nmod", "compound", "nsubj")
_ACTION_SUFFIXES = ("zione", "sione", "mento", "aggio")
_DEFINITE = {"il", "lo", "la", "i", "gli", "le", "l'", "l’", "questo", "questa", "tale", "stesso", "stessa"}


@dataclass(frozen=True)
class Lexicon:
    event_nouns: frozenset[str]
    proposal_nouns: frozenset[str]
    roles: tuple[tuple[str, ...], ...]
    organization_heads: frozenset[str]
    institution_nouns: tuple[tuple[str, ...], ...]
    facility_heads: frozenset[str]
    speech_verbs: frozenset[str]
    speaker_after_verbs: frozenset[str]
    voting_verbs: frozenset[str]
    presence_words: frozenset[str]
    demonyms: dict[str, str]
    party_adjectives: dict[str, str]
    countries: frozenset[str]           # normalized country names
    same_place_kinds: frozenset[str]
    spouse_nouns: frozenset[str]
    person_nouns: frozenset[str]
    organization_nouns: frozenset[str]
    role_plurals: dict[str, str]
    role_synonyms: tuple[frozenset[tuple[str, ...]], ...]
    named_event_heads: frozenset[str]
    named_event_tails: frozenset[str]
    not_events: frozenset[tuple[str, str]]
    plural_not_events: frozenset[str]
    unique_offices: frozenset[tuple[str, ...]]
    group_nouns: frozenset[str]
    counted_group_nouns: frozenset[str]
    capacity_nouns: frozenset[str]
    appointing_verbs: frozenset[str]
    occurrence_verbs: frozenset[str]
    reflexive_occurrence_verbs: frozenset[str]
    event_verbs: frozenset[tuple[str, ...]]
    human_nouns: frozenset[str]
    state_nouns: frozenset[str]
    honorifics: frozenset[str]
    seat_institutions: frozenset[str]
    portfolio_holders: frozenset[str]
    portfolios: tuple[tuple[str, ...], ...]
    happening_nouns: frozenset[str]
    time_nouns: frozenset[str]
    not_action_nouns: frozenset[str]
    anaphoric_event_nouns: frozenset[str]
    event_kinds: dict[str, frozenset[str]]  # noun -> its kinds
    province_codes: frozenset[str]
    italian_regions: frozenset[str]     # normalized region names

    def names_event(self, sentence: Sentence, start: int, end: int, head_first: bool = True) -> bool:
        """A name whose head word is an event's: first in Italian ("Supercoppa
        Italiana"), last in English ("Louis Vuitton Cup", "European Latin Awards 2018").
        ``head_first=False`` for a person's name, which may begin with such a word ("Carlo Festa")."""
        words = sentence.words[start - 1:end]
        while len(words) > 1 and words[-1].upos == "NUM":
            words = words[:-1]
        return head_first and (words[0].lemma.lower() in self.named_event_heads or self.two_word_event_head(*words[:2])) \
            or len(words) > 1 and words[-1].text.lower() in self.named_event_tails

    def two_word_event_head(self, first: Word, second: Word | None = None) -> bool:
        """"Gran Premio": a head of an event's name written in two words."""
        return second is not None and f"{first.text.lower()} {second.text.lower()}" in self.named_event_heads

    def honorific(self, word: Word) -> bool:
        return word.lemma.lower() in self.honorifics or word.text.lower() in self.honorifics

    def addressed(self, sentence: Sentence, word_id: int) -> bool:
        """Whether a form of address comes right before word ``word_id``
        ("l'on. Giulia Rodano", its full stop maybe a token of its own)."""
        before = word_id - 1
        if before > 1 and sentence.word(before).text == ".":
            before -= 1
        return before >= 1 and self.honorific(sentence.word(before))

    def event_verb(self, sentence: Sentence, verb: Word) -> bool:
        """A verb news tells as an event; one listed with "si" only with its reflexive clitic."""
        reflexive = any(c.lemma.lower() == "si" for c in sentence.children(verb.id))
        return any((lemma,) in self.event_verbs or reflexive and (lemma, "si") in self.event_verbs
                   for lemma in verb_lemmas(verb))

    def speech_verb(self, verb: Word) -> bool:
        return not self.speech_verbs.isdisjoint(verb_lemmas(verb))

    def speaker_after(self, verb: Word) -> bool:
        return not self.speaker_after_verbs.isdisjoint(verb_lemmas(verb))

    def opens_idiom(self, noun: str, sentence: Sentence, preposition: int) -> bool:
        """Whether the event noun ``noun`` and the word at ``preposition`` open an idiom
        (``not_events``); one marked "_" only before a bare noun ("la messa in sicurezza",
        not "la messa nella cattedrale")."""
        if preposition > len(sentence.words):
            return False
        key = (noun, sentence.word(preposition).lemma.lower())
        if key in self.not_events:
            return True
        bare = preposition < len(sentence.words) and sentence.word(preposition + 1).upos != "DET"
        return (*key, "_") in self.not_events and bare

    def takes_place(self, sentence: Sentence, noun: Word, dated: Collection[int] = ()) -> bool:
        """A noun that "è avvenuto", "si è svolto", "si terrà" or "è stato presieduto" ("la
        vicenda è accaduta a Pola", "il rito funebre"), or an action noun that is "tenutosi"
        or that its own phrase dates ("la decisione emessa il 13 febbraio 2008"; ``dated``:
        the ids of the sentence's date words), names an event.  Not a time, a kind of place
        or a person: the parser hangs such subjects ("questa mattina", "il calciatore") on
        the same verbs."""
        lemma = noun.lemma.lower()
        if lemma in self.not_action_nouns:
            return False
        verbs = []
        if lemma.endswith(_ACTION_SUFFIXES):
            # a participle the parser hangs on a noun it does not agree with is another's: "i
            # giudici della sezione, presieduti da X, la decisione ..." (so is a verb of a subject)
            verbs = [c for c in sentence.children(noun.id) if c.deprel == "acl" and _agree(noun, c)]
            if any(c.id in dated for c in sentence.children(noun.id)):
                return True
            # the participle's date may hang on its agent: "la sentenza emessa dal tribunale il 4 marzo"
            if any(w.id in dated for verb in verbs for w in (verb, *sentence.descendants(verb.id))):
                return True
        elif noun.id in dated or _time_word(sentence, noun) or lemma in self._never_happening \
                or self.role_at(sentence, noun) \
                or any(c.deprel in _SUBJECTS and c.id < noun.id for c in sentence.children(noun.head)):
            # subjects the parser hangs on the verb: "l'undici gennaio si è tenuto", "la premiazione
            # è avvenuta a Las Vegas, la nota città" (a second subject)
            return False
        if noun.deprel in ("nsubj", "nsubj:pass") and noun.head and _agree(noun, sentence.word(noun.head)):
            verbs.append(sentence.word(noun.head))
        # "si tiene", "è stato celebrato", "svoltosi": not "il ministro tiene un discorso"
        return any(verb.upos == "VERB" and (
            verb.lemma.lower() in self.occurrence_verbs
            or verb.lemma.lower() in self.reflexive_occurrence_verbs and (
                verb.deprel == "acl" or noun.deprel == "nsubj:pass"
                or any(c.lemma.lower() == "si" for c in sentence.children(verb.id))))
            for verb in verbs)

    @functools.cached_property
    def _never_happening(self) -> frozenset[str]:
        """Nouns that are no event whatever the verb says of them: times, places, people."""
        return self.time_nouns | self.same_place_kinds | self.human_nouns | self.person_nouns

    @functools.cached_property
    def known_events(self) -> frozenset[str]:
        """Nouns that name an event by themselves, not only by what their sentence says."""
        return self.event_nouns | self.happening_nouns | self.anaphoric_event_nouns

    @functools.cached_property
    def _roles_by_first_lemma(self) -> dict[str, list[tuple[str, ...]]]:
        index: dict[str, list[tuple[str, ...]]] = {}
        for role in sorted(self.roles, key=len, reverse=True):
            index.setdefault(role[0], []).append(role)
        return index

    def _role_keys(self, word: Word) -> tuple[str, ...]:
        """What a word may match in a role: its lemma, its form (the
        lemmatizer misses rare nouns: "pontefice" -> "pontefica") and the
        singular of plurals left as they are ("capigruppo")."""
        lemma, form = word.lemma.lower(), word.text.lower()
        keys = (self.role_plurals.get(lemma, lemma), lemma)
        if word.upos in ("NOUN", "PROPN"):  # a verb's form is no noun ("ha inviato")
            keys += (self.role_plurals.get(form, form),)
            # a plural the lemmatizer garbles ("vicepresidenti" -> "vicepresidento") or leaves as it is
            # ("I Presidenti", tagged a name without number): the regular singulars
            if word.feat("Number") != "Sing" and form.endswith("i"):
                keys += (form[:-1] + "e", form[:-1] + "o")
        return tuple(dict.fromkeys(keys))

    def role_match(self, sentence: Sentence, word: Word) -> tuple[tuple[str, ...], list[Word]] | None:
        """The longest role starting at ``word`` and the words it spans.  The
        article of a contracted preposition is skipped, so "Capo dello Stato"
        (capo di il stato) matches the role "capo di stato".  A role noun's own
        adjective may open the role: "il primo ministro", "il pubblico ministero"
        (the span then starts at the adjective)."""
        # (a dropped subject's silent word, past the sentence's end, has no word before it)
        before = sentence.word(word.id - 1) if 1 < word.id <= len(sentence.words) else None
        # the second word of a longer role is no role of its own: "amministratore | delegato"
        # (the role an adjective opens, "primo ministro", is the noun's own: see below)
        # (or a capitalized title the tagger reads as a name: "il Comandante | generale")
        outer = self._role_from(sentence, before) if before is not None and before.upos in ("NOUN", "PROPN") else None
        if outer and any(w.id == word.id for w in outer[1][1:]):
            return None
        best = self._role_from(sentence, word)
        if before is not None and before.upos == "ADJ" and before.head == word.id:
            prefixed = self._role_from(sentence, before)
            if prefixed and len(prefixed[0]) > 1 and (best is None or len(prefixed[0]) > len(best[0])):
                best = prefixed
        if best and best[1][0].id > 1 and sentence.word(best[1][0].id - 1).text.lower() == "vice":
            # "il vice presidente del Consiglio" holds another office than the one it names
            best = (("vice", *best[0]), [sentence.word(best[1][0].id - 1), *best[1]])
        return None if best and _in_scare_quotes(sentence, best[1]) else best

    def _role_from(self, sentence: Sentence, word: Word) -> tuple[tuple[str, ...], list[Word]] | None:
        candidates = [r for key in self._role_keys(word) for r in self._roles_by_first_lemma.get(key, ())]
        if not candidates:
            return None
        following = [w for w in sentence.words[word.id:word.id + 5]
                     if not (w.upos == "DET" and sentence.word(w.id - 1).upos == "ADP")]
        best = None
        for role in candidates:
            span = following[:len(role) - 1]
            if len(span) == len(role) - 1 and all(part in self._role_keys(w) for part, w in zip(role[1:], span)):
                # "presidente del Consiglio europeo", "capo di Stato maggiore": an
                # adjective makes the complement another body
                if span and any(c.deprel == "amod" and c.id != word.id for c in sentence.children(span[-1].id)):
                    continue
                if best is None or len(role) > len(best[0]):
                    best = (role, [word, *span])
        return best

    def role_at(self, sentence: Sentence, word: Word) -> tuple[str, ...] | None:
        """The longest role starting at ``word``, e.g. ("segretario", "generale")."""
        match = self.role_match(sentence, word)
        return match[0] if match else None

    def same_office(self, a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        """Whether two roles can name one person's office: the same role, a
        role and its head noun ("presidente di consiglio", "presidente"), or
        synonyms ("papa", "pontefice"; "capo di stato", "presidente")."""
        # two offices with one head noun are not one: "presidente del Consiglio" and
        # "presidente della Repubblica" are two people
        return a == b or a[0] == b[0] and min(len(a), len(b)) == 1 or any(
            a in group and b in group for group in self.role_synonyms)

    def institution_at(self, sentence: Sentence, word: Word) -> tuple[str, ...] | None:
        """The longest institution noun starting at ``word`` (by lemma), e.g. ("forza", "armato")."""
        lemmas = tuple(w.lemma.lower() for w in sentence.words[word.id - 1:word.id + 2])
        return max((n for n in self.institution_nouns if lemmas[:len(n)] == n), key=len, default=None)

    def place_named_by_kind(self, label: str) -> str | None:
        """"comune di Rho" -> "Rho": a place named by its kind is the place itself."""
        kind, _, rest = label.partition(" ")
        if kind.lower() in self.same_place_kinds:
            for preposition in ("di ", "d'", "d’"):
                if rest.lower().startswith(preposition) and rest[len(preposition):].strip():
                    return rest[len(preposition):].strip()
        return None

    def country_of(self, word: Word) -> str | None:
        """The country a demonym names, read from the lemma or, where the lemmatizer
        went astray on a rarer adjective ("venezuelano" -> "venezuere"), the written form."""
        for lemma in dict.fromkeys((word.lemma.lower(), word.text.lower())):
            if lemma in self.demonyms:
                return self.demonyms[lemma]
            # feminine/plural forms: francesi, britannica, tedeschi
            for suffix, base in (("a", "o"), ("i", "o"), ("e", "o"), ("he", "o"), ("hi", "o"), ("i", "e")):
                if lemma.endswith(suffix):
                    stem = lemma[: -len(suffix)]
                    for candidate in (stem + base, stem.rstrip("h") + base):
                        if candidate in self.demonyms:
                            return self.demonyms[candidate]
        return None

    def party_of(self, word: Word) -> str | None:
        """The party an adjective or noun of its members names ("leghista", "i dem")."""
        return next((self.party_adjectives[f] for f in (word.lemma.lower(), word.text.lower())
                     if f in self.party_adjectives), None)


@functools.lru_cache(maxsize=None)
def load_lexicon() -> Lexicon:
    data = yaml.safe_load((importlib.resources.files("kg.rulesets") / "lexicon.yaml").read_text(encoding="utf-8"))
    for key, value in data.items():
        _check_words(key, value)
    return Lexicon(
        event_nouns=frozenset(data["event_nouns"]),
        proposal_nouns=frozenset(data["proposal_nouns"]),
        roles=tuple(tuple(r.split()) for r in data["roles"]),
        organization_heads=frozenset(data["organization_heads"]),
        institution_nouns=tuple(tuple(n.split()) for n in data["institution_nouns"]),
        facility_heads=frozenset(data["facility_heads"]),
        speech_verbs=frozenset(data["speech_verbs"]),
        speaker_after_verbs=frozenset(data["speaker_after_verbs"]),
        voting_verbs=frozenset(data["voting_verbs"]),
        presence_words=frozenset(data["presence_words"]),
        demonyms=dict(data["demonyms"]),
        party_adjectives=dict(data["party_adjectives"]),
        countries=frozenset(normalize_name(c) for c in [*data["demonyms"].values(), *data["other_countries"]]),
        same_place_kinds=frozenset(data["same_place_kinds"]),
        spouse_nouns=frozenset(data["spouse_nouns"]),
        person_nouns=frozenset(data["person_nouns"]),
        organization_nouns=frozenset(data["organization_nouns"]),
        role_plurals=dict(data["role_plurals"]),
        role_synonyms=tuple(frozenset(tuple(r.split()) for r in group) for group in data["role_synonyms"]),
        named_event_heads=frozenset(data["named_event_heads"]),
        named_event_tails=frozenset(data["named_event_tails"]),
        not_events=frozenset(tuple(phrase.split()) for phrase in data["not_events"]),
        plural_not_events=frozenset(data["plural_not_events"]),
        unique_offices=frozenset(tuple(office.split()) for office in data["unique_offices"]),
        group_nouns=frozenset(data["group_nouns"]),
        counted_group_nouns=frozenset(data["counted_group_nouns"]),
        capacity_nouns=frozenset(data["capacity_nouns"]),
        appointing_verbs=frozenset(data["appointing_verbs"]),
        occurrence_verbs=frozenset(data["occurrence_verbs"]),
        reflexive_occurrence_verbs=frozenset(data["reflexive_occurrence_verbs"]),
        event_verbs=frozenset(tuple(verb.split()) for verb in data["event_verbs"]),
        human_nouns=frozenset(data["human_nouns"]),
        state_nouns=frozenset(data["state_nouns"]),
        honorifics=frozenset(data["honorifics"]),
        seat_institutions=frozenset(data["seat_institutions"]),
        portfolio_holders=frozenset(data["portfolio_holders"]),
        portfolios=tuple(sorted((tuple(p.split()) for p in data["portfolios"]), key=len, reverse=True)),
        happening_nouns=frozenset(data["happening_nouns"]),
        time_nouns=frozenset(data["time_nouns"]),
        not_action_nouns=frozenset(data["not_action_nouns"]),
        anaphoric_event_nouns=frozenset(data["anaphoric_event_nouns"]),
        event_kinds=_kinds_by_noun(data["event_kinds"]),
        province_codes=frozenset(data["province_codes"]),
        italian_regions=frozenset(normalize_name(r) for r in data["italian_regions"]),
    )


def _kinds_by_noun(kinds: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    by_noun: dict[str, set[str]] = {}
    for kind, nouns in kinds.items():
        for noun in nouns:
            by_noun.setdefault(noun, set()).add(kind)
    return {noun: frozenset(found) for noun, found in by_noun.items()}


def _check_words(key: str, value: object) -> None:
    """Every word listed is text: YAML reads a bare on/no/yes as a boolean."""
    entries = [*value.keys(), *value.values()] if isinstance(value, dict) else value if isinstance(value, list) else []
    for entry in entries:
        if isinstance(entry, (list, dict)):
            _check_words(key, entry)
        elif not isinstance(entry, str):
            raise ValueError(f"lexicon.yaml: {key}: {entry!r} is not a word (quote it)")


_PARTICIPLE_ENDINGS = {"at": "are", "it": "ire", "ut": "ere"}


def verb_lemmas(word: Word) -> set[str]:
    """A verb's lemma and, for a regular past participle, the infinitive its form gives:
    the lemmatizer takes some participles for nouns ("comunicato" -> "comunicato")."""
    lemmas = {word.lemma.lower()}
    form = word.text.lower()
    if word.upos == "VERB" and word.feat("VerbForm") == "Part" and form[-1:] in "oaie":
        stem, ending = form[:-3], form[-3:-1]
        if ending in _PARTICIPLE_ENDINGS and stem:
            lemmas.add(stem + _PARTICIPLE_ENDINGS[ending])
    return lemmas


def normalize_name(text: str) -> str:
    """Comparison key for names: NFC, casefolded, typographic apostrophes
    straightened, leading article and spaces dropped."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("`", "'")
    text = " ".join(text.split())
    return _ARTICLE.sub("", text).casefold().strip(" .,;:'\"«»“”")


def strip_article(text: str) -> str:
    return _ARTICLE.sub("", " ".join(text.split())).strip(" ,;:")


def annotate(doc: Document, lexicon: Lexicon | None = None) -> AnnotatedDocument:
    """Find mentions and dates in ``doc`` and merge mentions into entities."""
    lexicon = lexicon or load_lexicon()
    dateline = parse_dateline(doc.text)
    if dateline and (doc.date is None or doc.place is None):
        doc = Document(id=doc.id, text=doc.text, sentences=doc.sentences,
                       date=doc.date or dateline.date, place=doc.place or dateline.place)
    word_date = date_index(doc)
    dated: dict[int, set[int]] = {}
    for index, word in word_date:
        dated.setdefault(index, set()).add(word)
    mentions = []
    for sentence in doc.sentences:
        in_roles = _role_complements(sentence, lexicon)
        # the dateline's place is where the article was filed, not a part of its first sentence
        # (the parser often makes "ROMA -" the subject of the sentence's verb)
        mentions.extend(m for m in sentence_mentions(doc, sentence, lexicon, dated.get(sentence.index, ()))
                        if not set(range(m.start, m.end + 1)) <= in_roles
                        and not (dateline and sentence.word(m.end).end_char <= dateline.end))
    entities, word_entity = merge(doc, mentions, lexicon)
    resolve_role_nominals(doc, entities, word_entity, lexicon)
    _kinds_before_names(doc, entities, word_entity, lexicon)
    people = {e.key for e in entities if e.type == PERSON}
    # what a coordinated verb may take over: "la richiesta, proposta da X e supportata da Y"
    sharable = {e.key for e in entities if e.type in (PERSON, ORGANIZATION, EVENT, PROPOSAL)}
    implicit = dropped_subjects(doc, word_entity, people, lexicon)
    implicit.update(subjects_hung_on_a_phrase(doc, word_entity, people, implicit))
    implicit.update(shared_subjects(doc, word_entity, sharable, people, implicit, lexicon))
    return AnnotatedDocument(document=doc, entities=tuple(entities), word_entity=word_entity,
                             word_date=word_date, implicit_subject=implicit,
                             implicit_object=unsaid_objects(doc, word_entity, entities, lexicon))


def _role_complements(sentence: Sentence, lexicon: Lexicon) -> set[int]:
    """Words inside a multi-word role after its head: "Stato" in "Capo dello
    Stato" is part of a title, not an organization."""
    ids = set()
    for word in sentence.words:
        match = lexicon.role_match(sentence, word) if word.upos in ("NOUN", "PROPN") else None
        if match:
            # a role its adjective opens is a title as a whole: "pubblico ministero" is no ministry
            first = word.id if match[1][0].id < word.id else word.id + 1
            ids.update(range(first, match[1][-1].id + 1))
    return ids


_SUBJECTS = ("nsubj", "nsubj:pass", "csubj")


def _agree(noun: Word, participle: Word) -> bool:
    return all(noun.feat(f) == participle.feat(f) for f in ("Gender", "Number")
               if noun.feat(f) and participle.feat(f))


def _subjects(sentence: Sentence, verb: Word) -> list[Word]:
    """A verb's subjects, without a time the parser takes for one ("Kammenos, l'11
    gennaio 2019, aveva provato ...": "11" as a second nsubj; "Due settimane fa aveva
    partecipato", "Lunedì ha incontrato")."""
    return [c for c in sentence.children(verb.id) if c.deprel in _SUBJECTS and not _time_word(sentence, c)]


_DAYS_AND_MONTHS = frozenset(WEEKDAYS) | frozenset(MONTHS)


def _time_word(sentence: Sentence, word: Word) -> bool:
    """A number, a day or month, one's run-on ("Lunedì | mattina") or a time ago ("due anni fa")."""
    return word.upos == "NUM" or word.lemma.lower() in _DAYS_AND_MONTHS \
        or word.deprel.startswith("flat") and _time_word(sentence, sentence.word(word.head)) \
        or any(c.lemma.lower() == "fa" and c.upos == "ADV" for c in sentence.children(word.id))


def _main_verb(sentence: Sentence) -> Word | None:
    root = next((w for w in sentence.words if w.head == 0), None)
    return root if root is not None and root.upos in ("VERB", "AUX") else None


def _saying_after_quote(sentence: Sentence, lexicon: Lexicon) -> Word | None:
    """The verb of saying after a quotation that opens the sentence ("«Siamo pronti», ha detto
    ai giornalisti"): it is what the sentence tells; the parser makes the quotation the head."""
    if not sentence.words or sentence.words[0].text not in QUOTE_PAIRS:
        return None
    closing = next((w.id for w in sentence.words[1:] if w.text == QUOTE_PAIRS[sentence.words[0].text]), None)
    root = next((w for w in sentence.words if w.head == 0), None)
    if closing is None or root is None or root.id > closing:
        return None
    return next((c for c in sentence.children(root.id) if c.id > closing and c.upos == "VERB"
                 and c.deprel in ("parataxis", "ccomp", "conj") and lexicon.speech_verb(c)), None)


def _third_person_finite(sentence: Sentence, verb: Word) -> bool:
    forms = [verb] + [c for c in sentence.children(verb.id) if c.deprel.startswith("aux")]
    return any(w.feat("Person") == "3" and w.feat("Number") == "Sing" for w in forms)


def _impersonal(sentence: Sentence, verb: Word) -> bool:
    """A verb with "si" says nothing of a subject ("si è parlato"), unless its participle
    agrees with one in the feminine: "si è recata alla Corte" is someone's going."""
    return any(c.lemma.lower() == "si" for c in sentence.children(verb.id)) and not (
        verb.feat("VerbForm") == "Part" and verb.feat("Gender") == "Fem")


def _possible_subject_before(sentence: Sentence, verb: Word) -> bool:
    """A noun or name before the verb, outside a prepositional phrase, may be
    its subject attached elsewhere by the parser: then nothing is dropped.  A name
    inside a phrase's complement ("insieme alla vicepresidente del Senato Valeria
    Fedeli") is inside the phrase."""
    def in_phrase(w: Word) -> bool:
        seen = set()
        while w.id not in seen and w.id != verb.id:
            seen.add(w.id)
            if any(c.deprel == "case" for c in sentence.children(w.id)):
                return True
            if not w.head or not w.deprel.startswith(("flat", "nmod", "compound", "appos")):
                return False
            w = sentence.word(w.head)
        return False
    return any(w.upos in ("NOUN", "PROPN", "PRON") and w.lemma.lower() != "si" and not in_phrase(w)
               and not _time_word(sentence, w) for w in sentence.words[:verb.id - 1])


def _speaker_after(sentence: Sentence, verb: Word, word_entity: dict, people: set[str], lexicon: Lexicon) -> bool:
    """A person or a role ("il presidente X") set after a verb of saying as its object."""
    return lexicon.speaker_after(verb) and any(
        c.deprel == "obj" and c.id > verb.id
        and (word_entity.get((sentence.index, c.id)) in people or lexicon.role_at(sentence, c))
        for c in sentence.children(verb.id))


def dropped_subjects(doc: Document, word_entity: dict, people: set[str],
                     lexicon: Lexicon) -> dict[tuple[int, int], str]:
    """Italian drops subjects: "Macron ha incontrato Rutte. Ha poi dichiarato
    che ...".  A main verb with no subject of its own, in the third person
    singular and not impersonal ("si"), takes the person who was the subject
    of the sentence just before; anything less certain stays unresolved.  A
    verb of saying with a person after it has its speaker there ("Ha commentato
    il ministro X: ..."), read by the parser as its object."""
    implicit: dict[tuple[int, int], str] = {}
    previous: str | None = None
    for sentence in doc.sentences:
        verb = _saying_after_quote(sentence, lexicon) or _main_verb(sentence)
        subject = None
        if verb is not None:
            children = sentence.children(verb.id)
            explicit = _subjects(sentence, verb)
            if explicit:
                key = word_entity.get((sentence.index, explicit[0].id))
                subject = key if key in people else None
            elif previous and _third_person_finite(sentence, verb) and not _impersonal(sentence, verb) \
                    and not _possible_subject_before(sentence, verb) and not _speaker_after(
                    sentence, verb, word_entity, people, lexicon):
                implicit[(sentence.index, verb.id)] = subject = previous
        previous = subject
    return implicit


# what an article is discussing stays so for this many sentences after its last mention
_STANDING_SPAN = 2
# prepositions by which a word of presence names where ("presente alla cerimonia", "durante
# il processo", "per l'occasione", "la presenza delle truppe in Afghanistan")
_PRESENCE_CASES = {"a", "durante", "per", "in", "presso"}


def unsaid_objects(doc: Document, word_entity: dict, entities: list[Entity],
                   lexicon: Lexicon) -> dict[tuple[int, int], tuple[str, str]]:
    """The proposal or event a word leaves unsaid because the article is
    discussing it, as (entity key, preposition; "" for a direct object):
    a vote with no object is on the proposal under discussion ("Il decreto è
    arrivato in aula. Lega e PD hanno votato a favore"), presence with no
    event is at the event under discussion ("La cerimonia si terrà sabato.
    Saranno presenti X e Y", "Vi ha partecipato pure X")."""
    proposals = {e.key for e in entities if e.type == PROPOSAL}
    events = {e.key for e in entities if e.type == EVENT}
    unsaid = {where: (key, "") for where, key in _standing(
        doc, word_entity, proposals, lambda sentence, word: _unsaid_vote(sentence, word, lexicon),
        named_after=True).items()}
    unsaid.update((where, (key, "a")) for where, key in _standing(
        doc, word_entity, events, lambda sentence, word: _unsaid_event(sentence, word, lexicon)).items())
    return unsaid


def _standing(doc: Document, word_entity: dict, keys: set[str], lacks, named_after: bool = False) -> dict:
    """For each word that ``lacks`` its referent, the one of ``keys`` under discussion: of
    those named before it in its sentence or the two before, the one named most often so
    far, the latest of equals ("la premiazione" told during "the Awards" is not what the
    article is about); with ``named_after``, failing those, the first named after it in
    its sentence ("ha votato a favore, ma il Senato ha respinto l'emendamento")."""
    found: dict[tuple[int, int], str] = {}
    times: dict[str, int] = {}
    last_named: dict[str, tuple[int, int]] = {}   # key -> (sentence index, word id) of its last mention
    for sentence in doc.sentences:
        # a mention's first word: one of a key whose word before is not of the same key
        named = [(w.id, key) for w in sentence.words if (key := word_entity.get((sentence.index, w.id))) in keys
                 and word_entity.get((sentence.index, w.id - 1)) != key]
        told = 0
        for word in sentence.words:
            while told < len(named) and named[told][0] < word.id:
                where, key = named[told]
                times[key] = times.get(key, 0) + 1
                last_named[key] = (sentence.index, where)
                told += 1
            if not lacks(sentence, word):
                continue
            recent = [key for key, (index, _) in last_named.items() if sentence.index - index <= _STANDING_SPAN]
            after = [key for i, key in named if i > word.id] if named_after else []
            standing = max(recent, key=lambda key: (times[key], last_named[key])) if recent \
                else after[0] if after else None
            if standing:
                found[(sentence.index, word.id)] = standing
        for where, key in named[told:]:
            times[key] = times.get(key, 0) + 1
            last_named[key] = (sentence.index, where)
    return found


def _unsaid_vote(sentence: Sentence, verb: Word, lexicon: Lexicon) -> bool:
    """A verb of voting with no object: not a passive or a participle, whose subject is the
    proposal, nor a vote "a favore di" someone or on a clause."""
    if verb.upos != "VERB" or verb.deprel in ("acl", "amod") or lexicon.voting_verbs.isdisjoint(verb_lemmas(verb)):
        return False
    children = sentence.children(verb.id)
    return not any(c.deprel in ("obj", "ccomp", "xcomp", "nsubj:pass", "aux:pass") for c in children) and not any(
        c.lemma.lower() == "favore" and any(g.deprel == "nmod" for g in sentence.children(c.id)) for c in children)


def _unsaid_event(sentence: Sentence, word: Word, lexicon: Lexicon) -> bool:
    """A word of presence ("presente", "ha partecipato", "è attesa la partecipazione di X")
    with no phrase naming where, nor a relative pronoun standing for it ("cui ha
    partecipato").  Not a noun inside a phrase ("hanno ricondotto le esplosioni alla
    presenza delle truppe"), whose clause says what it is about."""
    if word.lemma.lower() not in lexicon.presence_words or word.upos not in ("ADJ", "VERB", "NOUN"):
        return False
    children = sentence.children(word.id)
    if word.upos == "NOUN" and any(c.deprel == "case" for c in children):
        return False
    return not any(
        c.deprel.split(":")[0] in ("obl", "nmod") and any(
            g.deprel == "case" and g.lemma.lower() in _PRESENCE_CASES for g in sentence.children(c.id))
        or c.upos == "PRON" and (c.feat("PronType") == "Rel" or c.lemma.lower() in ("cui", "quale"))
        for c in children)


def subjects_hung_on_a_phrase(doc: Document, word_entity: dict, people: set[str],
                              implicit: dict[tuple[int, int], str]) -> dict[tuple[int, int], str]:
    """A verb without a subject whose subject the parser hung on the phrase
    before it (an obl of that verb): "A Berlino Romano Prodi ha detto ..."
    reads the name as more of the place's name (flat:name), which the NER
    keeps apart; "Subito dopo la vittoria Renzi ha tenuto un comizio" makes
    it a bare nmod of "vittoria", right before the verb; "Sulla sua pagina
    Facebook, Mark Kelly ha scritto" an apposition of "pagina"."""
    found: dict[tuple[int, int], str] = {}
    for sentence in doc.sentences:
        for word in sentence.words:
            person = word_entity.get((sentence.index, word.id))
            flat = word.deprel.startswith("flat")
            bare = word.deprel == "nmod" and not any(c.deprel == "case" for c in sentence.children(word.id))
            appos = word.deprel == "appos" and word.id > 1 and sentence.word(word.id - 1).text == ","
            if person not in people or not (flat or bare or appos):
                continue
            head = phrase = sentence.word(word.head)
            # the phrase may be a name inside it: "Sul green della Casa Bianca Donald Trump annuncia"
            while flat and phrase.deprel.startswith(("flat", "nmod")) and phrase.head:
                phrase = sentence.word(phrase.head)
            if phrase.deprel != "obl" or not phrase.head:
                continue
            verb = sentence.word(phrase.head)
            if appos:  # a person is no apposition of a phrase that names no person
                hung = verb.id > word.id and word_entity.get((sentence.index, phrase.id)) not in people
            elif flat:  # (not the name of a role the phrase is about: "insieme al presidente del Senato X")
                hung = word_entity.get((sentence.index, head.id)) not in (None, person) \
                    and word_entity.get((sentence.index, phrase.id)) != person
            else:
                hung = verb.id > word.id and all(
                    word_entity.get((sentence.index, w.id)) == person or w.deprel.startswith(("aux", "advmod", "expl"))
                    for w in sentence.words[word.id:verb.id - 1])
            key = (sentence.index, verb.id)
            if hung and verb.upos == "VERB" and key not in implicit and key not in found \
                    and not _subjects(sentence, verb):
                found[key] = person
    return found


# "X ha incontrato Y e ha poi dichiarato che ...", "X, che ..., ha detto che ...": a verb
# coordinated with an earlier one, or set beside it, shares its subject
_SHARING = ("conj", "parataxis")


def _shares_subject(sentence: Sentence, verb: Word) -> bool:
    """A verb coordinated with or set beside an earlier one, or a gerund
    ("X si è detto soddisfatto, sottolineando che ...", "lo aveva difeso
    dicendo che ..." parsed as a complement), whose subject is the verb it
    hangs on: Italian gerunds have no subject of their own."""
    if verb.upos != "VERB" and not _nominal_predicate(sentence, verb):
        return False
    if verb.deprel in ("advcl", "ccomp", "xcomp") and verb.feat("VerbForm") == "Ger":
        return True
    return verb.deprel in _SHARING and verb.head < verb.id


def _misread_relative(sentence: Sentence, verb: Word) -> Word | None:
    """"guidato da Luca Rossi, che il 3 marzo annunciò ...": a ", che" clause the parser
    made a conjunct is a relative clause on the word before the comma, the subject
    of its verb (returned), not the first verb's."""
    return next((sentence.word(c.id - 2) for c in sentence.children(verb.id)
                 if c.deprel == "mark" and c.lemma.lower() == "che" and c.id > 2
                 and sentence.word(c.id - 1).text == ","), None)


def _nominal_predicate(sentence: Sentence, word: Word) -> bool:
    """"... ed è vicepresidente del partito": a noun or adjective with a
    copula is a predicate, and shares a subject like a verb."""
    return word.upos in ("NOUN", "ADJ") and any(c.deprel == "cop" for c in sentence.children(word.id))


# Conjunctions of infinitive adverbials, which always take the subject of the clause they modify.
_ADVERBIAL_MARKS = {"per", "dopo", "prima", "oltre", "senza", "invece"}


def _controlled(sentence: Sentence, verb: Word) -> bool:
    """An infinitive complement or adverbial, simple or compound ("aver
    incontrato"), takes the subject of its verb ("Renzi ha deciso di
    incontrare i sindacati", "salirà al Quirinale per incontrare il
    presidente"), unless its verb has an object, who may be the one meant
    ("ha invitato Putin a partecipare"); "per", "dopo", "prima di" ... always
    go with the subject ("dopo aver incontrato Letta, Rossi ha lasciato Roma")."""
    children = sentence.children(verb.id)
    infinitive = verb.feat("VerbForm") == "Inf" or verb.feat("VerbForm") == "Part" and any(
        c.deprel == "aux" and c.feat("VerbForm") == "Inf" for c in children)
    if verb.upos != "VERB" or not infinitive or verb.deprel not in ("xcomp", "advcl"):
        return False
    adverbial = any(c.deprel == "mark" and c.lemma.lower() in _ADVERBIAL_MARKS for c in children)
    return adverbial or not any(c.deprel in ("obj", "iobj") for c in sentence.children(verb.head))


# "ha avuto modo di parlare con X", "avrà occasione di incontrare Y"
_CHANCE_NOUNS = {"modo", "occasione", "possibilità", "opportunità"}


def _chance_taken(sentence: Sentence, verb: Word) -> Word | None:
    """The "avere" whose subject takes the chance an infinitive names: "ha avuto modo di
    parlare con X" (the parser hangs the infinitive on the noun)."""
    if verb.upos != "VERB" or verb.feat("VerbForm") != "Inf" or verb.deprel != "acl":
        return None
    noun = sentence.word(verb.head)
    have = sentence.word(noun.head) if noun.head else None
    return have if noun.lemma.lower() in _CHANCE_NOUNS and noun.deprel == "obj" and have is not None \
        and have.lemma.lower() == "avere" else None


def _went_where(sentence: Sentence, verb: Word) -> Word | None:
    """The verb whose place a "dove" clause goes on from, when the clause has no subject of its
    own: "X è arrivato a Roma, dove ha incontrato Y" (X met Y), "X si è recato a Kiev, dove è
    stato ricevuto da Y"; not "dove si vota" (no one) nor "dove la polizia lo ha fermato"."""
    if verb.upos != "VERB" or not verb.deprel.startswith("acl") or _impersonal(sentence, verb) \
            or not any(c.lemma.lower() == "dove" for c in sentence.children(verb.id)):
        return None
    place = sentence.word(verb.head)
    went = sentence.word(place.head) if place.deprel.startswith("obl") and place.head else None
    if went is None or went.upos != "VERB" or went.feat("Number") != verb.feat("Number"):
        return None
    return went


def shared_subjects(doc: Document, word_entity: dict, sharable: set[str], people: set[str],
                    implicit: dict[tuple[int, int], str], lexicon: Lexicon) -> dict[tuple[int, int], str]:
    """Verbs without a subject of their own that follow, coordinated or set
    beside, a verb whose subject is a known person, organization, event or
    proposal (``sharable``) take that subject: UD attaches a shared subject
    to the first conjunct only; a relative pronoun subject passes on the
    person it stands for (the parser often hangs a relative clause on another
    noun of the phrase, so nothing else).  A ", che" clause misread as such a
    verb takes the word before the comma instead.  A verb of saying set beside
    what it reports ("«X è stato colto - ha aggiunto - in ...»") takes nothing
    from it (a gerund still does: "..., aggiungendo che ...")."""
    shared: dict[tuple[int, int], str] = {}
    for sentence in doc.sentences:
        for verb in sentence.words:
            antecedent = _misread_relative(sentence, verb) if verb.deprel in (*_SHARING, "advcl") else None
            if antecedent is not None:
                key = word_entity.get((sentence.index, antecedent.id))
                if key in sharable and not _subjects(sentence, verb):
                    shared[(sentence.index, verb.id)] = key
                continue
            chance = _chance_taken(sentence, verb) or _went_where(sentence, verb)
            if not (chance or _shares_subject(sentence, verb) or _controlled(sentence, verb)) \
                    or (sentence.index, verb.id) in implicit \
                    or verb.deprel == "parataxis" and lexicon.speech_verb(verb) and verb.feat("VerbForm") != "Ger":
                continue
            if _subjects(sentence, verb) or any(c.deprel == "expl:impers" for c in sentence.children(verb.id)):
                continue
            head = chance or sentence.word(verb.head)
            subject = shared.get((sentence.index, head.id)) or implicit.get((sentence.index, head.id))
            if subject is None:
                # of two subjects the parser gives one verb ("«L'Espressionismo ...», la mostra si è
                # tenuta"), the one that is a known entity
                keys = {word_entity.get((sentence.index, c.id)) for c in _subjects(sentence, head)} & sharable
                subject = keys.pop() if len(keys) == 1 else None
                if subject is None and (antecedent := _relative_antecedent(sentence, head, word_entity)) in people:
                    subject = antecedent
            if subject is not None:
                shared[(sentence.index, verb.id)] = subject
    return shared


def relative_pronoun(word: Word) -> bool:
    """"che", "il quale" and the pronouns the tagger marks relative."""
    return word.feat("PronType") == "Rel" or word.upos == "PRON" and word.lemma.lower() in ("che", "quale")


def _relative_antecedent(sentence: Sentence, verb: Word, word_entity: dict) -> str | None:
    """The entity a relative clause's pronoun subject stands for ("X, il quale è arrivato
    ieri e ha parlato con Y": the second verb's subject, through the first, is X): the word
    the clause hangs on, or the name that word, a role noun, introduces."""
    if not verb.deprel.startswith("acl:relcl") or not any(relative_pronoun(c) for c in _subjects(sentence, verb)):
        return None
    noun = sentence.word(verb.head)
    key = word_entity.get((sentence.index, noun.id))
    if key is None:
        key = next((word_entity.get((sentence.index, c.id)) for c in sentence.children(noun.id)
                    if c.deprel in NAME_LINKS and (sentence.index, c.id) in word_entity
                    and not any(g.deprel == "case" for g in sentence.children(c.id))), None)
    return key


def linked_person(sentence: Sentence, word: Word, word_entity: dict, people: set[str],
                  lexicon: Lexicon, role_length: int = 1, nested: bool = False) -> str | None:
    """The person a role noun introduces: through a name link in the tree
    ("il presidente francese Emmanuel Macron"), else by surface order, which
    survives misattached parses: "Mark Rutte, segretario generale della NATO"
    (name, comma, role) or "il presidente della Commissione Europea, von der Leyen"
    (role, its complements, name).  A role noun below it is another phrase
    with a name of its own ("il Papa, il presidente Obama").  A role nested
    in another takes only a name right after it ("il portavoce del presidente
    Macron"): past a comma the name is the outer role's ("il segretario del
    papa, Georg Gänswein")."""
    if nested:
        return _person_next(sentence, word, word_entity, people, role_length)
    for child in sentence.children(word.id):
        key = word_entity.get((sentence.index, child.id))
        # a link that skips over another person's name is the parser's error:
        # "il presidente del CNEL Carlo Neri, infine Anna Galli"
        skipped = {word_entity.get((sentence.index, i)) for i in range(word.id + 1, child.id)} & people
        if child.deprel in NAME_LINKS and key in people and not lexicon.role_at(sentence, child) and not any(
                c.deprel == "case" for c in sentence.children(child.id)) and not skipped - {key}:
            return key
    # a bare role right after a name is set beside it ("Mark Kelly marito della deputata X",
    # the comma left out)
    before = word_entity.get((sentence.index, word.id - 1))
    if before in people and not any(c.deprel == "det" for c in sentence.children(word.id)):
        return before
    # a name that follows the role's own complements beats one before a comma:
    # "Sergio Mattarella, il ministro dell'Interno Matteo Salvini e ..."
    near = _person_next(sentence, word, word_entity, people, role_length) or \
        _person_after(sentence, word, word_entity, people, lexicon, role_length, max_commas=0)
    if near:
        return near
    # a plural role past a comma is a group of its own ("Appresa la notizia dai funzionari della
    # Farnesina, X ha lasciato"), not a name's apposition
    if word.feat("Number") == "Plur":
        return None
    # a name addressed past a comma beats the one before it too: "..., il presidente della
    # Commissione, on. Pietro Folena" (the name before is the previous item's of a list)
    after = _person_after(sentence, word, word_entity, people, lexicon, role_length)
    named_after = [w for w in sentence.words[word.id:] if word_entity.get((sentence.index, w.id)) == after]
    if after is not None and any(lexicon.addressed(sentence, w.id) for w in named_after):
        return after
    # and a name the tree puts below the role, whatever the name before belongs to: "le scuse
    # dell'ad X, il ministro dei trasporti, Y, ha annunciato"
    below = {d.id for d in sentence.descendants(word.id)}
    if after is not None and any(w.id in below for w in named_after) \
            and not any(w.id in below for w in sentence.words[:word.id - 1]
                        if word_entity.get((sentence.index, w.id)) in people):
        return after
    before = _person_before(sentence, word, word_entity, people)
    # a name inside another noun's complement is no apposition's head: "Ai familiari di X, il
    # Capo dello Stato, Y, ha indirizzato" (the role is Y's)
    if before is not None and after is not None:
        first = min(w.id for w in sentence.words if word_entity.get((sentence.index, w.id)) == before)
        if _after_preposition(sentence, first):
            return after
    return before or after


def _person_next(sentence: Sentence, word: Word, word_entity: dict, people: set[str], role_length: int) -> str | None:
    """A name right after the role, past adjectives only: "Papa Francesco",
    "il presidente americano Barack Obama"."""
    i = word.id + role_length
    while i <= len(sentence.words) and sentence.word(i).upos == "ADJ":
        i += 1
    key = word_entity.get((sentence.index, i)) if i <= len(sentence.words) else None
    return key if key in people else None


def _person_before(sentence: Sentence, word: Word, word_entity: dict, people: set[str]) -> str | None:
    """"Carlo Neri, attuale amministratore delegato della Fiat";
    "Carlo Neri (Capo di Stato keniota)"."""
    i = word.id - 1
    while i >= 1 and sentence.word(i).upos in ("DET", "ADJ"):
        i -= 1
    if i >= 2 and sentence.word(i).text in (",", "("):
        return word_entity.get((sentence.index, i - 1)) if word_entity.get((sentence.index, i - 1)) in people else None
    return None


_ROLE_FILLER = {"ADJ", "DET", "ADP", "NUM"}


def _after_preposition(sentence: Sentence, word_id: int) -> bool:
    """A name inside a "di"/"a" complement ("la moglie di Barack Obama")
    is not the name the role introduces."""
    i = word_id - 1
    while i >= 1 and sentence.word(i).upos == "DET":
        i -= 1
    return i >= 1 and sentence.word(i).upos == "ADP"


def _person_after(sentence: Sentence, word: Word, word_entity: dict, people: set[str],
                  lexicon: Lexicon, role_length: int, max_commas: int = 1) -> str | None:
    """Scan right over the role's complements (adjectives, "di" phrases,
    names of organizations and places, at most ``max_commas`` commas) to a
    person's name.  Another role noun past a comma opens a phrase of its own
    ("con il Papa, il presidente Obama")."""
    commas = steps = 0
    for i in range(word.id + role_length, len(sentence.words) + 1):
        w = sentence.word(i)
        key = word_entity.get((sentence.index, i))
        # the name's first word decides: "di Gianfranco Fini" is a complement at "Fini" too
        first = i
        while key is not None and first > 1 and word_entity.get((sentence.index, first - 1)) == key:
            first -= 1
        if key in people and not _after_preposition(sentence, first):
            return key
        # a long organization's name does not use up the reach
        steps += key is None
        if steps > 10:
            return None
        if commas and w.upos == "NOUN" and lexicon.role_at(sentence, w):
            return None
        if lexicon.honorific(w) or w.text == "." and lexicon.addressed(sentence, i + 1):
            continue  # "il vescovo di Ascoli, monsignor Carlo Neri", "l'on. Rossi"
        # (an adjective the tagger reads as a participle too: "il Presidente emerito della Repubblica X")
        if key is not None or w.upos in _ROLE_FILLER or w.deprel == "amod" or w.text[:1].isupper() \
                or w.text in ("(", ")"):
            continue
        if w.upos == "NOUN" and sentence.word(i - 1).upos in ("ADP", "DET", "ADJ"):
            continue  # "del consiglio", "degli Esteri", ", il brasiliano", "della Grande mela"
        if w.upos in ("NOUN", "PROPN") and w.head == i - 1 and sentence.word(i - 1).upos in ("NOUN", "PROPN"):
            continue  # a complement's own modifier: "il campione dei pesi welter X"
        if w.upos in ("NOUN", "ADJ") and word_entity.get((sentence.index, i - 1)) not in (None, *people):
            continue  # the rest of a body's name: "alla commissione attività produttive"
        if w.text == "," and commas < max_commas:
            commas += 1
            continue
        if w.lemma.lower() == "e" and i < len(sentence.words) and sentence.word(i + 1).lemma.lower() == "di":
            continue  # coordinated complements: "il ministro delle Infrastrutture e dei Trasporti X"
        return None
    return None


def _role_signature(sentence: Sentence, word: Word, role: tuple[str, ...], span: list[Word],
                    word_entity: dict, lexicon: Lexicon) -> tuple:
    """What distinguishes one holder of a role from another: demonyms and the
    organization or country of the role ("presidente francese", "segretario della NATO"),
    not the words of the role itself ("Capo dello Stato")."""
    modifiers = set()
    for child in sentence.children(word.id):
        if child in span:
            continue
        if child.deprel == "amod" and lexicon.country_of(child):
            modifiers.add(lexicon.country_of(child))
        elif child.deprel == "nmod" and (sentence.index, child.id) in word_entity:
            modifiers.add(word_entity[(sentence.index, child.id)])
    return role, frozenset(modifiers)


def _bare_definite(sentence: Sentence, word: Word, span: list[Word]) -> bool:
    """"il presidente", "la cancelliera", "il Capo dello Stato": a singular
    role with a definite article and no complement of its own, the way news
    takes up a person named before."""
    children = [c for c in sentence.children(word.id) if c not in span]
    return word.feat("Number") != "Plur" and any(
        c.deprel == "det" and c.text.lower() in _DEFINITE for c in children) and not any(
        c.deprel in ("nmod", "amod", "acl", "acl:relcl", "appos", "flat", "flat:name", "compound") for c in children)


def _of_another_role(sentence: Sentence, word: Word, lexicon: Lexicon) -> bool:
    """A role that is the "di" complement of another ("il segretario del
    papa"); not an item of a list the parser hangs on the item before ("del
    presidente X, del sindaco Y")."""
    head = sentence.word(word.head) if word.head else None
    return head is not None and word.deprel.startswith("nmod") and lexicon.role_at(sentence, head) is not None \
        and any(c.deprel == "case" and c.lemma.lower() == "di" for c in sentence.children(word.id)) \
        and not any(w.text == "," or w.upos == "CCONJ" for w in sentence.words[head.id:word.id - 1])


def _kinds_before_names(doc: Document, entities: list[Entity], word_entity: dict, lexicon: Lexicon) -> None:
    """"la società Alitalia", "i sindacati USB e Cobas": the kind of body right before an
    organization's name stands for it, so what the kind noun's verb says is the name's."""
    organizations = {e.key for e in entities if e.type == ORGANIZATION}
    for sentence in doc.sentences:
        for w in sentence.words:
            body = lexicon.institution_at(sentence, w) if w.upos == "NOUN" and w.text[:1].islower() else None
            if not body or (sentence.index, w.id) in word_entity:
                continue
            end = w.id + len(body) - 1
            name = word_entity.get((sentence.index, end + 1))
            if name in organizations and word_entity.get((sentence.index, end)) != name:
                for i in range(w.id, end + 1):
                    word_entity[(sentence.index, i)] = name


def resolve_role_nominals(doc: Document, entities: list[Entity], word_entity: dict, lexicon: Lexicon) -> None:
    """A role noun stands for the person it introduces.  A role nominal with
    no name of its own refers to the one person the document introduced
    earlier with the same role and modifiers ("il presidente francese ha
    evidenziato"); a bare one ("il presidente", "il pontefice", "il Capo dello
    Stato") to the one person introduced earlier with the same office
    (``Lexicon.same_office``).  Ambiguous ones stay unresolved: two different
    people are never merged."""
    people = {e.key for e in entities if e.type == PERSON}
    bodies = {e.key for e in entities if e.type == ORGANIZATION and not (
        lexicon.state_nouns & set(normalize_name(e.label).split()) or normalize_name(e.label) in lexicon.countries)}
    introduced: dict[tuple, set[str]] = {}
    for sentence in doc.sentences:
        for word in sentence.words:
            match = lexicon.role_match(sentence, word) \
                if word.upos in ("NOUN", "PROPN") or _appointing_verb(sentence, word, lexicon) else None
            office = match is not None
            if elliptic_role(sentence, word) and (sentence.index, word.id) not in word_entity:
                person = _person_after(sentence, word, word_entity, people, lexicon, 1, max_commas=0)
                if person:
                    word_entity[(sentence.index, word.id)] = person
                continue
            # a former office ("l'ex-allenatore X") is no title, but stands for its holder like one
            former = word.lemma.lower().removeprefix("ex-")
            if match is None and (word.lemma.lower() in lexicon.spouse_nouns | lexicon.person_nouns
                                  or former != word.lemma.lower() and (former,) in lexicon.roles):
                match = ((word.lemma.lower(),), [word])
            if match is None or (sentence.index, word.id) in word_entity:
                continue
            role, span = match
            signature = _role_signature(sentence, word, role, span, word_entity, lexicon)
            person = _acting_person(sentence, word, word_entity, people, lexicon) or \
                _capacity_holder(sentence, word, word_entity, people) or \
                _appointed_person(sentence, word, word_entity, people, lexicon) or \
                _coordinated_role_holder(sentence, word, word_entity, people) or linked_person(
                    sentence, word, word_entity, people, lexicon, span[-1].id - word.id + 1,
                    nested=_of_another_role(sentence, word, lexicon))
            if person:
                introduced.setdefault(signature, set()).add(person)
            elif signature[1] and len(introduced.get(signature, ())) == 1:
                person = next(iter(introduced[signature]))
            elif office and _bare_definite(sentence, word, span):
                # the president of a body other than the state holds that body's office, not
                # this one: "il presidente dell'Anm X ... il capo dello Stato" is not X
                holders = {p for (other, modifiers), found in introduced.items()
                           if lexicon.same_office(role, other) and (other == role or not modifiers & bodies)
                           for p in found}
                person = next(iter(holders)) if len(holders) == 1 else None
                # a person the article names without any role may be the holder ("Joseph
                # Ratzinger ... il pontefice"): then the office stays unresolved
                untitled = people - {p for found in introduced.values() for p in found}
                if not holders and not untitled and role in lexicon.unique_offices:
                    person = _office_holder(doc, sentence, span, entities)
                    introduced.setdefault(signature, set()).add(person)
            if person:
                word_entity[(sentence.index, word.id)] = person


def _coordinated_role_holder(sentence: Sentence, word: Word, word_entity: dict, people: set[str]) -> str | None:
    """"Carlo Neri, fondatore e presidente del movimento": a role coordinated with
    the role before it, with no article of its own, is held by the same person
    (not "il presidente X e il vicepresidente Y", nor "X e sua moglie Y")."""
    if word.deprel != "conj" or not word.head or any(c.deprel in ("det", "det:poss") for c in sentence.children(word.id)):
        return None
    head = first = sentence.word(word.head)
    # the parser often coordinates it with the first role's complement: "presidente della
    # fondazione e direttore del museo"
    while word_entity.get((sentence.index, head.id)) not in people and head.head \
            and head.deprel.startswith(("nmod", "flat")):
        head = sentence.word(head.head)
    # so coordinated, a role with a name of its own is that person's ("l'ex-presidente degli
    # Stati Uniti X, papa Y")
    if head is not first and any(word_entity.get((sentence.index, c.id)) in people
                                 for c in sentence.children(word.id)):
        return None
    holder = word_entity.get((sentence.index, head.id))
    return holder if holder in people and head.upos == "NOUN" else None


def _acting_person(sentence: Sentence, word: Word, word_entity: dict, people: set[str],
                   lexicon: Lexicon) -> str | None:
    """"il ricorso di X, presentato in qualità di segretario della Lega": the office one acts
    "in qualità di" is that of the person named last before it, wherever the parser hangs it."""
    head = sentence.word(word.head) if word.head else None
    if head is None or head.lemma.lower() not in lexicon.capacity_nouns or not any(
            c.deprel == "case" and c.lemma.lower() == "in" for c in sentence.children(head.id)):
        return None
    before = (word_entity.get((sentence.index, i)) for i in range(head.id - 1, 0, -1))
    return next((key for key in before if key in people), None)


def _capacity_holder(sentence: Sentence, word: Word, word_entity: dict, people: set[str]) -> str | None:
    """"X si è dimesso da presidente della Juventus", "Y lavora come inviato": a bare role after
    "da" or "come" is the capacity the verb's subject acts in ("dal presidente", with an article,
    is someone else)."""
    if word.deprel != "obl" or not word.head:
        return None
    dependents = sentence.children(word.id)
    if any(c.deprel == "det" for c in dependents) or not any(
            c.deprel in ("case", "mark") and c.lemma.lower() in ("da", "come") for c in dependents):
        return None
    return _person_subject(sentence, sentence.word(word.head), word_entity, people)


def _person_subject(sentence: Sentence, verb: Word, word_entity: dict, people: set[str],
                    besides: Word | None = None) -> str | None:
    """The person among a verb's subjects (other than ``besides``)."""
    keys = (word_entity.get((sentence.index, c.id)) for c in _subjects(sentence, verb) if c is not besides)
    return next((key for key in keys if key in people), None)


def _appointed_person(sentence: Sentence, word: Word, word_entity: dict, people: set[str],
                      lexicon: Lexicon) -> str | None:
    """"X è stato eletto presidente della Regione", "X è divenuto il nuovo presidente": the
    office one is given or comes to hold, which the parser makes a second subject of the verb."""
    verb = _appointing_verb(sentence, word, lexicon)
    return None if verb is None else _person_subject(sentence, verb, word_entity, people, besides=word)


def _appointing_verb(sentence: Sentence, word: Word, lexicon: Lexicon) -> Word | None:
    """The verb of appointing whose office ``word`` names: as its second subject, or as a
    modifier with no preposition that the parser hangs on the phrase before it ("è stato eletto
    all'unanimità vicepresidente del Senato", "confermato per acclamazione segretario")."""
    head = sentence.word(word.head) if word.head else None
    bare = word.deprel in ("amod", "compound", "nmod") and not any(
        c.deprel == "case" for c in sentence.children(word.id))
    if head is not None and bare and head.deprel == "obl" and head.head:
        head = sentence.word(head.head)
    elif word.deprel not in ("nsubj", "nsubj:pass"):
        return None
    return head if head is not None and head.lemma.lower() in lexicon.appointing_verbs else None


def _office_holder(doc: Document, sentence: Sentence, span: list[Word], entities: list[Entity]) -> str:
    """"Il Papa ha detto che ...": an office only one person holds names that
    person even when the article never gives the name, so it becomes a
    person of the document labelled by the office."""
    text, start_char, end_char = _span_text(doc, sentence, span[0].id, span[-1].id)
    label = text[:1].upper() + text[1:]
    mention = Mention(sentence=sentence.index, start=span[0].id, end=span[-1].id, text=text, type=PERSON,
                      source="office", start_char=start_char, end_char=end_char)
    key = f"{doc.id}/person/{normalize_name(label)}"
    entities.append(Entity(key=key, type=PERSON, label=label, mentions=(mention,)))
    return key


def elliptic_role(sentence: Sentence, word: Word) -> bool:
    """"il presidente del Senato X e quello della Camera Y", "il ministro
    dell'Interno X e quello al Lavoro Y": "quello" + a preposition stands for
    the role said just before, and for the name after it."""
    return word.upos == "PRON" and word.lemma.lower() == "quello" and word.id < len(sentence.words) \
        and sentence.word(word.id + 1).lemma.lower() in ("di", "a", "per")


def date_index(doc: Document) -> dict[tuple[int, int], object]:
    index = {}
    for sentence in doc.sentences:
        for span in find_dates(sentence.text, doc.date):
            start, end = sentence.start_char + span.start, sentence.start_char + span.end
            for w in sentence.words:
                if w.start_char < end and start < w.end_char:
                    index[(sentence.index, w.id)] = span.date
    return index


def _span_text(doc: Document, sentence: Sentence, start: int, end: int) -> tuple[str, int, int]:
    first, last = sentence.word(start), sentence.word(end)
    return doc.text[first.start_char:last.end_char], first.start_char, last.end_char


def _name_particle(doc: Document, sentence: Sentence, word: Word) -> bool:
    """A capitalized particle written before a capitalized word: "Di Pietro", "Al Maliki"."""
    after = next((w for w in sentence.words if w.start_char >= word.end_char), None)
    return doc.text[word.start_char:word.end_char][:1].isupper() and after is not None \
        and doc.text[after.start_char:after.end_char][:1].isupper()


def _mention(doc: Document, sentence: Sentence, start: int, end: int, type_: str, source: str) -> Mention:
    # leading determiners and prepositions are not part of a name, unless the
    # NER takes a capitalized particle into a person's or group's name: "Di Pietro", "La Russa",
    # "Al Zarqawi", "Al Qaeda" (read as the contraction a + il, so the written token decides)
    while start < end and sentence.word(start).upos in ("DET", "ADP") and not (
            source == "ner" and type_ in (PERSON, ORGANIZATION)
            and _name_particle(doc, sentence, sentence.word(start))):
        start += 1
    # a sentence that opens with its verb puts a capital on it, and the NER may take it into the
    # name that follows: "Tuona Mario Neri dal palco: ..."
    if start == 1 < end and sentence.word(start).upos == "VERB" and sentence.word(start).feat("VerbForm") == "Fin":
        start += 1
    text, s, e = _span_text(doc, sentence, start, end)
    return Mention(sentence=sentence.index, start=start, end=end, text=text, type=type_, source=source,
                   start_char=s, end_char=e)


def ner_spans(sentence: Sentence) -> list[tuple[int, int, str]]:
    """(first word id, last word id, NER type) from BIOES/BIO tags; words of one
    multi-word token share their token's tag, so consecutive equal tags of one
    token are one position."""
    spans, start, kind = [], None, None
    previous_token = None
    for w in sentence.words:
        token = (w.start_char, w.end_char)
        tag = w.ner or "O"
        prefix, _, label = tag.partition("-")
        same_token = token == previous_token
        previous_token = token
        if same_token and start is not None:
            continue
        if tag == "O" or not label:
            if start is not None:
                spans.append((start, w.id - 1, kind))
            start = kind = None
            continue
        if prefix in ("B", "S") or start is None or label != kind:
            if start is not None:
                spans.append((start, w.id - 1, kind))
            start, kind = w.id, label
        if prefix in ("E", "S"):
            last = w.id
            while last < len(sentence.words) and (sentence.word(last + 1).start_char, sentence.word(last + 1).end_char) == token:
                last += 1
            spans.append((start, last, kind))
            start = kind = None
    if start is not None:
        spans.append((start, len(sentence.words), kind))
    return spans


def sentence_mentions(doc: Document, sentence: Sentence, lexicon: Lexicon,
                      dated: Collection[int] = ()) -> list[Mention]:
    taken: set[int] = set()
    found: list[Mention] = []

    def add(start: int, end: int, type_: str, source: str) -> None:
        ids = set(range(start, end + 1))
        if ids & taken:
            return
        taken.update(ids)
        found.append(_mention(doc, sentence, start, end, type_, source))

    def named_after_field(start: int, end: int, source: str) -> bool:
        """Whether a portfolio's field opens the span ("il Ministro del | Turismo Neri"): the
        person's name after it is the mention, and a span that is all field names no one."""
        holder = _after_portfolio(sentence, start, end, lexicon)
        if start < holder <= end:
            add(holder, end, PERSON, source)
        return holder > start

    for start, end, label in ner_spans(sentence):
        start = _past_stray_words(sentence, start, end)
        if _describes_place_before(sentence, start, found):
            start = _past_describing_kind(sentence, start, end, lexicon)
        if start > end:
            continue
        if _province_code(sentence, start, end, found, lexicon):
            add(start, end, PLACE, "province")  # which the NER, trained on no such code, calls anything
            continue
        if named_after_field(start, end, "ner") or label == "LOC" and _time_zone(sentence, start, lexicon):
            continue
        site = _facility_before(sentence, start, lexicon)
        # "una casa di via Roma": the street is the named place, not the house on it
        if site is not None and (_describes_place_before(sentence, site, found)
                                 or sentence.word(start).lemma.lower() in lexicon.facility_heads):
            site = None
        named_event = _event_head_before(sentence, start, lexicon)
        if named_event is not None and label in ("LOC", "ORG"):
            add(named_event, end, EVENT, "ner")  # "il GP di Francia", "la Coppa di Germania"
        elif site is not None and label in ("LOC", "ORG"):
            add(site, end, PLACE, "site")
        elif label in NER_TYPES:
            if label == "PER":
                start = _after_leading_role(sentence, start, end, lexicon)
                end = _name_run_on(sentence, start, end)
            if label == "ORG":
                end = _coordinated_complements_end(sentence, start, end)
            # KIND has no event type: "il Festival di Sanremo" comes tagged as a place or
            # organization, "la Louis Vuitton Cup" even as a person
            event = lexicon.names_event(sentence, start, end, head_first=label != "PER")
            add(start, end, EVENT if event else NER_TYPES[label], "ner")
    for w in sentence.words:
        if w.id in taken:
            continue
        lemma = w.lemma.lower()
        if lemma in lexicon.organization_heads and w.text[:1].isupper() and w.upos in ("NOUN", "PROPN") \
                and (w.id > 1 or _has_name_tail(sentence, w)):
            add(w.id, _group_end(sentence, w), ORGANIZATION, "group")
        elif lemma in lexicon.facility_heads and w.upos in ("NOUN", "PROPN"):
            end = _untaken_end(sentence, w.id, _group_end(sentence, w, proper_only=True), taken)
            if end > w.id:
                add(w.id, end, PLACE, "site")
        elif w.upos == "NOUN" and w.text[:1].islower() and (body := lexicon.institution_at(sentence, w)) \
                and not _portfolio(sentence, w, lexicon):
            end = _untaken_end(sentence, w.id, max(w.id + len(body) - 1, _group_end(sentence, w)), taken)
            # "la società Alitalia": a kind of body with its name right after stands for the
            # named one (see _kinds_before_names), not for a body of its own
            if not any(m.type == ORGANIZATION and m.start == end + 1 for m in found):
                add(w.id, end, ORGANIZATION, "body")
    for w in sentence.words:
        # a capitalized event noun the NER leaves alone is still one: il "Meeting" di Rimini
        # the form too: the lemmatizer garbles rare nouns ("comizio" -> "comizio!!!")
        noun = w.lemma.lower() if w.lemma.lower() in lexicon.event_nouns else w.text.lower()
        # an event noun the tagger calls an adjective is still a noun where it is an argument
        argument = w.upos == "ADJ" and w.deprel in ("nsubj", "nsubj:pass", "obj", "obl")
        happening = noun in lexicon.happening_nouns and _dated_or_placed(sentence, w, found, dated, lexicon)
        if w.id not in taken and (w.upos == "NOUN" or argument or w.upos == "PROPN" and w.ner == "O") \
                and (noun in lexicon.event_nouns or noun in lexicon.anaphoric_event_nouns or happening
                     or w.upos == "NOUN" and lexicon.takes_place(sentence, w, dated)) \
                and (not lexicon.opens_idiom(noun, sentence, w.id + 1) or _name_after_preposition(sentence, w.id + 1)) \
                and not (noun in lexicon.plural_not_events and w.feat("Number") == "Plur"):
            found.append(_noun_mention(doc, sentence, w, found, EVENT))
            taken.add(w.id)
    for w in sentence.words:
        if w.id not in taken and w.upos == "VERB" and lexicon.event_verb(sentence, w) \
                and _dated_or_placed(sentence, w, found, dated, lexicon) and not _said_of_a_thing(sentence, w, lexicon):
            add(w.id, w.id, EVENT, "verb")
    for w in sentence.words:
        # the form too: a noun's lemma may be a verb's ("concordato" -> "concordare")
        if w.id not in taken and w.upos == "NOUN" and {w.lemma.lower(), w.text.lower()} & lexicon.proposal_nouns:
            found.append(_noun_mention(doc, sentence, w, found, PROPOSAL))
            taken.add(w.id)
    for w in sentence.words:
        if w.id not in taken and w.upos == "PROPN" and w.text[:1].isupper():
            end = w.id
            while end < len(sentence.words) and sentence.word(end + 1).upos == "PROPN" and end + 1 not in taken:
                end += 1
            year = end + 1 if end < len(sentence.words) and _is_year(sentence.word(end + 1)) else None
            if named_after_field(w.id, end, "propn"):
                continue
            if year and lexicon.names_event(sentence, w.id, year):
                add(w.id, year, EVENT, "propn")  # "i Giochi 1960"
            elif end > w.id and (w.lemma.lower() in lexicon.event_nouns or lexicon.names_event(sentence, w.id, end)):
                add(w.id, end, EVENT, "propn")  # "Uragano Sandy", "Festival Pucciniano"
            else:
                add(w.id, end, PERSON if end > w.id else "", "propn")
    found = _join_hyphenated(doc, sentence, sorted(found, key=lambda m: m.start))
    return _join_seats(doc, sentence, _join_particles(doc, sentence, found), lexicon)


def _province_code(sentence: Sentence, start: int, end: int, found: list[Mention], lexicon: Lexicon) -> bool:
    """Whether words start..end are a province's code in brackets right after a town
    ("Osimo (AN)"), not after a region ("Liguria (FI)": a party's)."""
    if start != end or not 2 < start < len(sentence.words) or sentence.word(start).text not in lexicon.province_codes \
            or (sentence.word(start - 1).text, sentence.word(start + 1).text) != ("(", ")"):
        return False
    return any(m.type == PLACE and m.end == start - 2 and normalize_name(m.text) not in lexicon.italian_regions
               for m in found)


def _name_after_preposition(sentence: Sentence, preposition: int) -> bool:
    """Whether a name follows the preposition at word ``preposition`` (past an article): an
    idiom's event noun with a name after it is an event again ("la gara di Oropa", "l'incontro
    a Roma"; not "la gara d'appalto", "andare incontro a difficoltà")."""
    after = _past_articles(sentence, preposition + 1)
    return after <= len(sentence.words) and sentence.word(after).upos == "PROPN" \
        and sentence.word(after).text[:1].isupper()


def _past_articles(sentence: Sentence, i: int) -> int:
    """The first word from ``i`` on that is no determiner."""
    while i <= len(sentence.words) and sentence.word(i).upos == "DET":
        i += 1
    return i


def _coordinated_complements_end(sentence: Sentence, start: int, end: int) -> int:
    """Where an organization's name ends that goes on with coordinated "di"
    complements the NER left out: "Organizzazione internazionale della vigna |
    e del vino", "Ministero dell'Ambiente | e della Tutela del Territorio"."""
    n = len(sentence.words)
    while end + 2 <= n and sentence.word(end + 1).lemma.lower() in ("e", ",") \
            and sentence.word(end + 2).lemma.lower() == "di":
        conjunct = next((w for w in sentence.words[end + 2:] if w.upos != "DET"), None)
        if conjunct is None or conjunct.deprel != "conj" or not start <= conjunct.head <= end:
            break
        # the conjunct's phrase ("e del vino"), up to another name the NER found ("... Mario Fregoni")
        phrase = set(range(end + 1, conjunct.id + 1)) | {w.id for w in sentence.descendants(conjunct.id)}
        stretch = end
        while stretch + 1 in phrase and sentence.word(stretch + 1).ner == "O":
            stretch += 1
        if stretch < conjunct.id:
            break
        end = stretch
    return end


def _name_run_on(sentence: Sentence, start: int, end: int) -> int:
    """Where a person's name ends when the NER stopped short at an initial or
    took its last word for a name of its own ("Mary J. | Blige"): the name runs
    on over an initial's full stop to the next name word, and over one-word
    names the parser attaches to it (flat:name)."""
    def name_word(word: Word) -> bool:
        return word.upos == "PROPN" and word.text[:1].isupper() and (word.ner or "O")[:1] in ("O", "S")

    while end < len(sentence.words):
        nxt, last = sentence.word(end + 1), sentence.word(end)
        if nxt.text == "." and len(last.text) == 1 and last.text.isupper() \
                and end + 2 <= len(sentence.words) and name_word(sentence.word(end + 2)):
            end += 2
        elif name_word(nxt) and nxt.deprel == "flat:name" and start <= nxt.head <= end:
            end += 1
        else:
            break
    return end


def _untaken_end(sentence: Sentence, start: int, end: int, taken: set[int]) -> int:
    """The last word of a group before a name inside it that keeps its own mention ("il governo
    di De Klerk", "la Sala Rossa di | Palazzo Vecchio"), without the preposition that
    leads to that name ("la sezione terza del | Tribunale")."""
    end = min([end] + [i - 1 for i in range(start + 1, end + 1) if i in taken])
    while end > start and sentence.word(end).upos in ("ADP", "DET"):
        end -= 1
    return end


_HYPHENS = ("-", "‐", "‑")


def _past_stray_words(sentence: Sentence, start: int, end: int) -> int:
    """Where a name starts when the NER took in lower-case words and a preposition before
    it ("un incidente aereo presso Sora": "aereo presso Sora"; not "nazionale U-21")."""
    stray = start
    while stray <= end and sentence.word(stray).text[:1].islower() \
            and sentence.word(stray).upos in ("ADJ", "ADP", "ADV", "VERB", "AUX", "PRON", "CCONJ", "SCONJ"):
        stray += 1
    prepositions = [i for i in range(start, stray) if sentence.word(i).upos == "ADP"]
    return prepositions[-1] + 1 if prepositions else start


def _after_leading_role(sentence: Sentence, start: int, end: int, lexicon: Lexicon) -> int:
    """Where a person's name starts when the NER took a capitalized role in
    ("Deputato Miccoli (PD)" in a headline): the role is a title, not a name."""
    role = lexicon.role_at(sentence, sentence.word(start))
    return start + len(role) if role and start + len(role) <= end else start


def _join_hyphenated(doc: Document, sentence: Sentence, found: list[Mention]) -> list[Mention]:
    """Hyphenated names split by the tokenizer ("Jean - Louis Georgelin",
    "Padoa - Schioppa") are one name: a name mention runs on over a hyphen
    written with no spaces to the next capitalized word (and the mention
    that starts there, if any).  A person's name the NER ran on from that
    word keeps the rest: "la regione Emilia-|Romagna Carlo Neri"."""
    out: list[Mention] = []
    by_start = {m.start: m for m in found}
    rest: dict[int, Mention | None] = {}
    for m in found:
        if m.start in rest:
            if rest[m.start] is not None:
                out.append(rest[m.start])
            continue
        end = m.end
        while m.type in (PERSON, ORGANIZATION, PLACE) and (nxt := _after_hyphen(doc, sentence, end)):
            end = nxt.id
            if end in by_start:
                following = by_start[end]
                if following.type in (m.type, ORGANIZATION, PLACE) or following.end == end:
                    rest[end] = None
                    end = following.end
                else:
                    text, start_char, end_char = _span_text(doc, sentence, end + 1, following.end)
                    rest[end] = replace(following, start=end + 1, text=text, start_char=start_char,
                                        end_char=end_char)
                    break
        if end != m.end:
            text, start_char, end_char = _span_text(doc, sentence, m.start, end)
            m = Mention(sentence=m.sentence, start=m.start, end=end, text=text, type=m.type, source=m.source,
                        start_char=start_char, end_char=end_char)
        out.append(m)
    return out


def _after_hyphen(doc: Document, sentence: Sentence, end: int) -> Word | None:
    """The capitalized word a hyphen written with no spaces joins to word ``end``: "Padoa | - |
    Schioppa", or "Emilia- | Romagna" where the tokenizer left the hyphen on the word."""
    last, n = sentence.word(end), len(sentence.words)
    if last.text[-1:] in _HYPHENS and len(last.text) > 1 and end < n:
        nxt = sentence.word(end + 1)
        glued = last.end_char == nxt.start_char
    elif end + 2 <= n and sentence.word(end + 1).text in _HYPHENS:
        nxt = sentence.word(end + 2)
        glued = doc.text[last.end_char:nxt.start_char] in _HYPHENS
    else:
        return None
    return nxt if glued and nxt.text[:1].isupper() else None


def _join_particles(doc: Document, sentence: Sentence, found: list[Mention]) -> list[Mention]:
    """A name particle glued by a hyphen ("al-Maliki", "Al-Qaeda") is read as
    the contraction "al" (a + il) and split off: the name takes the particle
    back, and joins a name written just before it ("Nuri al-Maliki")."""
    out: list[Mention] = []
    for m in found:
        first = sentence.word(m.start)
        if m.start == 1 or first.text[:1] not in _HYPHENS or len(first.text) < 2:
            out.append(m)
            continue
        start = m.start
        while start > 1 and sentence.word(start - 1).end_char == first.start_char:
            start -= 1
        if start == m.start:
            out.append(m)
            continue
        type_, source = m.type, m.source
        before = out[-1] if out else None
        if before is not None and before.end == start - 1 and before.type in (PERSON, "") \
                and doc.text[sentence.word(before.end).end_char:sentence.word(start).start_char] == " ":
            out.pop()
            start, type_, source = before.start, PERSON, before.source
        text, start_char, end_char = _span_text(doc, sentence, start, m.end)
        out.append(Mention(sentence=m.sentence, start=start, end=m.end, text=text, type=type_, source=source,
                           start_char=start_char, end_char=end_char))
    return out


def _join_seats(doc: Document, sentence: Sentence, found: list[Mention], lexicon: Lexicon) -> list[Mention]:
    """An office named by its seat is one organization ("il tribunale di
    Brescia", "la Procura della Repubblica di Milano"): the place right after
    its "di" joins its name."""
    out: list[Mention] = []
    for m in found:
        office = out[-1] if out else None
        if office is not None and office.type == ORGANIZATION and m.type == PLACE and m.start == office.end + 2 \
                and sentence.word(office.end + 1).lemma.lower() == "di" \
                and sentence.word(office.start).lemma.lower() in lexicon.seat_institutions:
            out[-1] = _mention(doc, sentence, office.start, m.end, ORGANIZATION, office.source)
            continue
        out.append(m)
    return out


# quotation marks and their partners, for what is said as for scare quotes
QUOTE_PAIRS = {"«": "»", "“": "”", '"': '"'}
_SCARE_QUOTES = {**QUOTE_PAIRS, "'": "'"}


def _in_scare_quotes(sentence: Sentence, words: list[Word]) -> bool:
    """"è il 're' del ciclismo": a role set in quotation marks by itself is a figure of speech."""
    first, last = words[0].id, words[-1].id
    if first == 1 or last == len(sentence.words):
        return False
    return _SCARE_QUOTES.get(sentence.word(first - 1).text) == sentence.word(last + 1).text


def _time_zone(sentence: Sentence, start: int, lexicon: Lexicon) -> bool:
    """"alle 21 in Italia", "(mattina in Italia)": a place right after a clock time, or
    after a time set in brackets, tells the clock the time is read on, not where anything
    happens ("si terrà oggi in Italia" does say where)."""
    if start < 4 or sentence.word(start - 1).lemma.lower() != "in":
        return False
    time, before = sentence.word(start - 2), sentence.word(start - 3)
    clock = time.upos == "NUM" and before.lemma.lower() in ("il", "a")
    aside = before.text == "(" and (time.upos == "ADV" or time.lemma.lower() in lexicon.time_nouns)
    return clock or aside


def _said_of_a_thing(sentence: Sentence, verb: Word, lexicon: Lexicon) -> bool:
    """"La vicenda era nata il 31 ottobre": a birth or death said of a common noun
    that names no person (a role, a profession, "il fratello" would; the form too, which the
    lemmatizer may read as a verb's: "bandito" -> "bandire") is a figure of speech.
    A noun of time is the parser's misreading of when ("Si è spenta questa mattina"), not a subject.
    With an object, it is the object that the event befalls ("la polizia ha arrestato il sindaco",
    "il governo ha ucciso la riforma")."""
    not_things = lexicon.person_nouns | lexicon.spouse_nouns | lexicon.human_nouns | lexicon.time_nouns
    children = sentence.children(verb.id)
    befallen = [c for c in children if c.deprel == "obj"] or [c for c in children if c.deprel.startswith("nsubj")]
    return any(c.upos == "NOUN" and lexicon.role_at(sentence, c) is None
               and not {c.lemma.lower(), c.text.lower()} & not_things and not _names_a_person(sentence, c)
               for c in befallen)


def _names_a_person(sentence: Sentence, noun: Word) -> bool:
    """"il doppiatore italiano Carlo Neri": a noun with a person's name of its own."""
    return any(c.deprel in NAME_LINKS and c.ner.endswith("PER") for c in sentence.children(noun.id))


def _dated_or_placed(sentence: Sentence, word: Word, found: list[Mention], dated: Collection[int],
                     lexicon: Lexicon) -> bool:
    """Whether a verb or a noun has a date or a place ("a Bologna", "in Algeria") of its own,
    maybe hung on its time phrase ("nella serata di domenica a Livorno").  A date is one
    whatever relation the parser gives it ("è scomparso martedì 4 maggio", read as a subject)."""
    places = {i for m in found if m.type == PLACE for i in range(m.start, m.end + 1)}
    children = sentence.children(word.id)
    phrases = [c for c in children if c.deprel.startswith(("obl", "nmod"))]
    phrases += [g for c in phrases if c.lemma.lower() in lexicon.time_nouns
                for g in sentence.descendants(c.id) if g.deprel == "nmod"]
    if any(c.id in dated for c in (*children, *phrases)):
        return True
    return any(c.id in places and any(g.deprel == "case" and g.lemma.lower() in ("a", "in", "presso")
                                      for g in sentence.children(c.id)) for c in phrases)


def _noun_mention(doc: Document, sentence: Sentence, noun: Word, named: list[Mention], type_: str) -> Mention:
    """An event or proposal mention covers its noun; its text runs on to the
    organization or name it belongs to ("riunione della Coalizione dei
    volenterosi"), so it is labelled by it without taking that name's words."""
    end = noun.id
    # a compound is part of the event's name: "conferenza stampa" (often parsed as a bare nmod),
    # and so are the adjectives right after it ("incidente stradale", "cerimonia funebre"): news
    # names the event by them, and the bare noun stays an alternative label
    while True:
        if end < len(sentence.words) and (nxt := sentence.word(end + 1)).head == noun.id and (
                nxt.deprel == "compound" or nxt.deprel == "nmod" and nxt.upos == "NOUN"
                and not sentence.children(nxt.id) or type_ == EVENT and nxt.deprel == "amod" and nxt.upos == "ADJ"):
            end += 1
        elif kind := _kind_complement(sentence, noun, end):
            end = kind
        else:
            break
    for m in named:
        between = [w for i in range(noun.id + 1, m.start)
                   if not ((w := sentence.word(i)).head == noun.id and w.deprel == "amod" and i <= end)]
        # a person right after the noun, with no "di", is a phrase of its own: "A presentare la
        # cerimonia Melanie Winiger" (an inverted subject the parser hangs on the object); but a
        # proposal is named by a surname right after it: "la legge Fornero", "il decreto Gelmini"
        named_after = type_ == PROPOSAL and m.start == m.end == noun.id + 1
        if m.start > noun.id and any(sentence.word(i).head == noun.id for i in range(m.start, m.end + 1)) \
                and all(w.upos == "DET" or w.lemma.lower() == "di" for w in between) \
                and (between or m.type != PERSON or named_after):
            end = m.end
    text, start_char, end_char = _span_text(doc, sentence, noun.id, end)
    return Mention(sentence=sentence.index, start=noun.id, end=noun.id, text=text, type=type_, source=type_.lower(),
                   start_char=start_char, end_char=end_char)


def _after_portfolio(sentence: Sentence, start: int, end: int, lexicon: Lexicon) -> int:
    """Where a name starts that the NER ran on from the field of the portfolio before it: "il
    Ministro del | Turismo Neri", "l'assessore ai | Lavori Pubblici Carlo Neri"; past the
    span's end where it is all field ("il ministro degli | Affari Esteri"), which names no one."""
    i = start - 1
    while i >= 1 and sentence.word(i).upos == "DET":
        i -= 1
    if i < 2 or sentence.word(i).lemma.lower() not in ("di", "a", "per") \
            or sentence.word(i - 1).lemma.lower() not in lexicon.portfolio_holders:
        return start
    words = tuple(w.text.lower() for w in sentence.words[start - 1:end])
    field = next((len(p) for p in lexicon.portfolios if words[:len(p)] == p), 0)
    return start + field


def _portfolio(sentence: Sentence, noun: Word, lexicon: Lexicon) -> bool:
    """A noun that names a minister's field, not a body: "ministro dell'università",
    "assessore alla sanità"."""
    return noun.head > 0 and sentence.word(noun.head).lemma.lower() in lexicon.portfolio_holders \
        and noun.deprel == "nmod"


def _kind_complement(sentence: Sentence, noun: Word, end: int) -> int | None:
    """The noun of a "di" complement with no article right after ``end`` that says what kind of
    event or proposal ``noun`` is ("torneo | di tennis", "disegno | di legge"): part of its name."""
    if end + 2 > len(sentence.words):
        return None
    di, kind = sentence.word(end + 1), sentence.word(end + 2)
    if di.lemma.lower() == "di" and di.upos == "ADP" and di.head == kind.id and kind.head == noun.id \
            and kind.deprel == "nmod" and kind.upos == "NOUN" and kind.text.islower():
        return kind.id
    return None


def _facility_before(sentence: Sentence, start: int, lexicon: Lexicon) -> int | None:
    """Word id of a facility noun right before a name, or across "di"+article and the noun's own
    adjectives: cinema Odeon, palazzo dell'Eliseo, la centrale nucleare di Flamanville."""
    i = _head_before(sentence, start)
    while i > 1 and _classifying(sentence.word(i)) and sentence.word(i).head == i - 1:
        i -= 1
    return i if i >= 1 and sentence.word(i).lemma.lower() in lexicon.facility_heads else None


def _describes_place_before(sentence: Sentence, noun: int, found: list[Mention]) -> bool:
    """Whether the facility noun at ``noun`` is set beside a place named just before it, which
    it describes ("Sheikh Maqsood, un quartiere di Aleppo", "Sebastopoli, porto della Crimea"):
    the name after it is then a place of its own, the one the first lies in."""
    before = noun - 1
    if before >= 1 and sentence.word(before).upos == "DET" and sentence.word(before).lemma.lower() == "uno":
        before -= 1
    return before > 1 and sentence.word(before).text == "," and any(
        m.type == PLACE and m.end == before - 1 for m in found)


def _past_describing_kind(sentence: Sentence, start: int, end: int, lexicon: Lexicon) -> int:
    """Where the name starts in a span the NER opened with a kind of place describing the place
    before it ("Dosso, frazione di Sant'Agostino": Sant'Agostino)."""
    kind = sentence.word(start)
    if not kind.text[:1].islower() or kind.lemma.lower() not in lexicon.same_place_kinds | lexicon.facility_heads:
        return start
    of = next((i for i in range(start + 1, end) if sentence.word(i).lemma.lower() == "di"), None)
    if of is None:
        return start
    return min(_past_articles(sentence, of + 1), end + 1)


# Italian relational adjectives, which say what kind a thing is ("nucleare", "olandese",
# "elettrica", "industriale"), not what it is like ("elegante", "nuovo")
_CLASSIFYING = re.compile(r"(?:al|ar|ic|es|an|in|iv)[eoai]$|ari[eoa]?$|(?:ich|ist)[eia]$")


def _classifying(word: Word) -> bool:
    return word.upos == "ADJ" and word.text.islower() and bool(_CLASSIFYING.search(word.text))


def _event_head_before(sentence: Sentence, start: int, lexicon: Lexicon) -> int | None:
    """Word id of a capitalized head of an event's name right before a name, across "di" and an
    article: "il GP | di | Francia", "la Coppa | di | Germania"."""
    i = _head_before(sentence, start)
    if 1 < i < start - 1 and sentence.word(i).text[:1].isupper():
        if sentence.word(i).lemma.lower() in lexicon.named_event_heads:
            return i
        if lexicon.two_word_event_head(sentence.word(i - 1), sentence.word(i)):
            return i - 1  # "il Gran Premio | di | Spagna"
    return None


def _head_before(sentence: Sentence, start: int) -> int:
    """Word id of the word before a name past the "di" and articles that link them (0 if none):
    "palazzo | dell' | Eliseo"; "piazza | in tutta la | Grecia" links nothing."""
    i = start - 1
    while i >= 1 and _article_or_di(sentence.word(i)):
        i -= 1
    return i


def _is_year(word: Word) -> bool:
    return word.upos == "NUM" and word.text.isdigit() and len(word.text) == 4


def _article_or_di(word: Word) -> bool:
    """An article, or "di" alone or fused with one ("del", "dell'")."""
    if word.upos == "DET":
        return word.lemma.lower() in ("il", "lo", "uno")
    return word.upos == "ADP" and (word.lemma.lower() == "di" or word.text.lower().startswith(("del", "dei", "degli")))


def _has_name_tail(sentence: Sentence, head: Word) -> bool:
    return _group_end(sentence, head) > head.id


def _group_end(sentence: Sentence, head: Word, proper_only: bool = False) -> int:
    """Last word of a named group starting at ``head``: following adjectives and
    "di"(+article) + noun/name links, e.g. Coalizione | dei volenterosi,
    Banca | centrale europea, palazzo | dell' Eliseo.  With ``proper_only``
    (named sites) only a following name is taken, wherever the parser hung it."""
    end, i, n = head.id, head.id + 1, len(sentence.words)
    while i <= n and i - head.id <= 6:
        w = sentence.word(i)
        if w.upos == "ADJ" and not proper_only and head.id <= w.head <= end:
            end = i
            i += 1
            continue
        if proper_only and w.upos == "PROPN" and w.text[:1].isupper() and w.deprel.startswith("flat"):
            end = i  # "la Sala | Di Vittorio"
            i += 1
            continue
        if w.upos == "ADP" and w.lemma.lower() == "di":
            j = i + 1
            while j <= n and sentence.word(j).upos == "DET":
                j += 1
            if j <= n:
                nxt = sentence.word(j)
                if proper_only:
                    linked = nxt.upos == "PROPN" or nxt.text[:1].isupper()
                else:
                    linked = nxt.upos in ("NOUN", "PROPN", "ADJ") and head.id <= nxt.head <= end
                if linked:
                    end = i = j
                    i += 1
                    continue
        break
    return end


# --- merging -------------------------------------------------------------

def merge(doc: Document, mentions: list[Mention], lexicon: Lexicon) -> tuple[list[Entity], dict]:
    groups: list[list[Mention]] = []
    by_name: dict[str, int] = {}
    last_event: int | None = None
    for m in mentions:
        key = normalize_name(m.text)
        if not key:
            continue
        if m.type == EVENT:
            target = _event_antecedent(doc, m, groups, by_name, last_event, lexicon)
            if target is None and _head_lemma(doc, m) in lexicon.anaphoric_event_nouns:
                continue  # "un'occasione" names no event
            if target is None:
                groups.append([m])
                target = len(groups) - 1
                by_name.setdefault("event:" + key, target)
            else:
                groups[target].append(m)
            if not _generic(doc, m):
                last_event = target
            continue
        target = by_name.get(key)
        if target is None and m.type in (PERSON, ""):
            target = _person_antecedent(key, groups)
        if target is None and m.type == PERSON:
            target = _surname_group(key, groups)
        if target is None:
            if m.type == "":
                continue  # an unknown bare proper noun that matches nothing known
            groups.append([m])
            target = len(groups) - 1
        else:
            groups[target].append(m)
        by_name.setdefault(key, target)
    entities, word_entity = [], {}
    for group in groups:
        entity = _entity(doc, group, lexicon)
        entities.append(entity)
        for m in group:
            for word_id in range(m.start, m.end + 1):
                word_entity[(m.sentence, word_id)] = entity.key
    return _dedupe_keys(entities, word_entity)


def _person_antecedent(key: str, groups: list[list[Mention]]) -> int | None:
    """A surname-only mention joins the one person whose name ends with it;
    two candidates means it is ambiguous and stays apart."""
    tokens = key.split()
    candidates = {i for i, g in enumerate(groups) for m in g
                  if m.type == PERSON and len(normalize_name(m.text).split()) > len(tokens)
                  and normalize_name(m.text).split()[-len(tokens):] == tokens}
    return candidates.pop() if len(candidates) == 1 else None


def _surname_group(key: str, groups: list[list[Mention]]) -> int | None:
    """A full name ("Mark Rutte") joins an earlier surname-only group ("Rutte")."""
    tokens = key.split()
    if len(tokens) < 2:
        return None
    candidates = [i for i, g in enumerate(groups)
                  if all(m.type in (PERSON, "") and tokens[-len(normalize_name(m.text).split()):]
                         == normalize_name(m.text).split() for m in g)]
    return candidates[0] if len(candidates) == 1 else None


def entity_key(type_: str, label: str) -> str:
    """Entity keys are shared across documents for named entities, so the
    same person in two articles is one node; events stay per document."""
    return f"{type_.lower()}/{normalize_name(label)}"


def _head_lemma(doc: Document, m: Mention) -> str:
    return doc.sentences[m.sentence].word(m.start).lemma.lower()


def _generic(doc: Document, m: Mention) -> bool:
    """A bare plural speaks of a kind, not of an event a later "il sisma" takes up: "è facile
    che disastri naturali provochino vittime"."""
    sentence = doc.sentences[m.sentence]
    return bare_plural(sentence, sentence.word(m.start))


def bare_plural(sentence: Sentence, word: Word) -> bool:
    """A plural with no determiner: it speaks of a kind ("durante legittime proteste")."""
    return word.feat("Number") == "Plur" and not any(c.upos == "DET" for c in sentence.children(word.id))


def _event_antecedent(doc: Document, m: Mention, groups, by_name, last_event, lexicon) -> int | None:
    sentence = doc.sentences[m.sentence]
    head = sentence.word(m.start)
    dets = [w.text.lower() for w in sentence.children(head.id) if w.upos == "DET"]
    definite = any(d in _DEFINITE for d in dets) or any(
        w.lemma.lower() == "stesso" for w in sentence.children(head.id))
    if not definite:
        return None
    same = by_name.get("event:" + normalize_name(m.text))
    if same is not None:
        return same
    same_lemma = [i for i, g in enumerate(groups) if g[0].type == EVENT and
                  doc.sentences[g[0].sentence].word(g[0].start).lemma.lower() == head.lemma.lower()]
    if same_lemma:
        return same_lemma[-1]
    # only a bare definite noun ("l'incontro") takes up the last event; a
    # modified one ("la prossima riunione", "l'incontro di ieri") is new
    # (a participle between commas, "L'incontro, annunciato da ...", does not restrict it; a plural
    # "le consultazioni" is not the one event before it)
    modified = m.end_char > head.end_char or head.feat("Number") == "Plur" or any(
        c.deprel in ("amod", "nmod", "nummod") for c in sentence.children(head.id))
    # a noun that is an event only for what its sentence says of it ("il contagio è avvenuto
    # nell'ospedale") is a happening of its own, not the one told before
    if modified or head.lemma.lower() not in lexicon.known_events or last_event is None:
        return None
    before = groups[last_event][0]
    kinds = lexicon.event_kinds.get(head.lemma.lower())
    kinds_before = lexicon.event_kinds.get(_head_lemma(doc, before))
    return None if kinds and kinds_before and not kinds & kinds_before else last_event


def _entity(doc: Document, group: list[Mention], lexicon: Lexicon) -> Entity:
    types = Counter(m.type for m in group if m.type)
    type_ = types.most_common(1)[0][0] if types else PERSON
    labels = [strip_article(m.text) for m in group]
    if type_ == EVENT:
        # "l'occasione" takes up an event but never names it
        naming = [label for m, label in zip(group, labels) if _head_lemma(doc, m) not in lexicon.anaphoric_event_nouns]
        label = max(naming or labels, key=len)
    elif type_ == PERSON:
        label = max(labels, key=lambda s: (len(s.split()), len(s)))
    else:
        label = labels[0]
    per_document = type_ in (EVENT, PROPOSAL)
    heads = [doc.sentences[m.sentence].word(m.start).text for m in group] if per_document else []
    bare = [place for text in labels if type_ == PLACE and (place := lexicon.place_named_by_kind(text))]
    alts = []
    for text in [m.text for m in group] + labels + heads + bare:
        if text != label and text not in alts:
            alts.append(text)
    key_base = normalize_name(label)
    if per_document:
        key = f"{doc.id}/{type_.lower()}/{key_base}"
    elif all(m.source == "body" for m in group):
        # "la giuria" of one article is not the one of another
        key = f"{doc.id}/organization/{key_base}"
    else:
        key = entity_key(type_, label)
    return Entity(key=key, type=type_, label=label, alt_labels=tuple(alts), mentions=tuple(group))


def _dedupe_keys(entities: list[Entity], word_entity: dict) -> tuple[list[Entity], dict]:
    """Two events may share a label ("colloquio" twice): keys stay unique."""
    seen: Counter = Counter()
    renamed = {}
    out = []
    for e in entities:
        seen[e.key] += 1
        if seen[e.key] > 1:
            new = f"{e.key}-{seen[e.key]}"
            for m in e.mentions:
                for word_id in range(m.start, m.end + 1):
                    renamed[(m.sentence, word_id)] = new
            e = Entity(key=new, type=e.type, label=e.label, alt_labels=e.alt_labels, mentions=e.mentions)
        out.append(e)
    word_entity.update(renamed)
    return out, word_entity
