"""Parse stage: Italian text -> Document, with Stanza.

The default models are kg's compact Italian models, shipped inside the
package and loaded with no network at all.  ``models="official"`` uses Stanza's
official Italian models from Stanza's own resource directory (fetched once,
explicitly, by ``kg models download``); any other value is a directory holding
the same files as the compact set.

Before Stanza sees a text it is cut into segments (``segment``): paragraphs,
and within a paragraph stretches of at most MAX_SEGMENT_CHARS.  Each segment
is parsed as its own Stanza document, so no sentence can grow past that bound
however the text is punctuated (the parser's memory grows with the square of a
sentence's length); offsets are shifted back so they index the whole text.

Documents also round-trip through CoNLL-U (``to_conllu``/``from_conllu``), which
is how tests build them without a model.
"""
from __future__ import annotations

import collections
import datetime as dt
import functools
import gc
import gzip
import importlib.resources
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Sequence

from kg.dates import THIS_DAY_ADVERBS, WEEKDAYS
from kg.types import Document, Sentence, Word

PROCESSORS = ("tokenize", "mwt", "pos", "lemma", "depparse", "ner")
# processor -> file name in a compact model directory
MODEL_FILES = {"tokenize": "tokenizer.pt", "mwt": "mwt.pt", "pos": "tagger.pt",
               "lemma": "lemmatizer.pt", "depparse": "parser.pt", "ner": "nertagger.pt"}
PRETRAIN_FILE = "pretrain.pt"
# Lower-case forms that are one word wherever the training treebanks have them
# (written by kg.train): the tokenizer may not mark one as a contraction.
SINGLE_WORDS_FILE = "single_words.txt"
# Lower-case forms the training treebanks have only as nouns or only as adjectives, a tab and
# that class (written by kg.train): the tagger, which reads them in context, sometimes swaps them.
WORD_CLASSES_FILE = "word_classes.tsv"
PRETRAINED = ("pos", "depparse", "ner")
# Forward and backward character LMs, read by the processors below when a
# model directory has them (models trained without them ignore them).
CHARLM_FILES = {"forward": "forward_charlm.pt", "backward": "backward_charlm.pt"}
CHARLM_READERS = ("pos", "ner")

# About 800 words: long enough that real sentences are never cut (news
# paragraphs are far shorter), short enough that one unpunctuated stretch
# cannot make a sentence the tagger and parser choke on.
MAX_SEGMENT_CHARS = 5000
# Stanza's tokenizer splits paragraphs at this very pattern, so cutting here
# changes no parse.
_PARAGRAPH_BREAK = re.compile(r"\n[\s\u0080-\u009f]*\n")
# . ! ? or ... , then any closing quotes or brackets, then the whitespace to cut at
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u00bb\u201d\u2019)\]]*\s")
_SPACE = re.compile(r"\s")
# A short line without a sentence end, followed by a line that starts a
# sentence, is a headline, a subheading or a list entry: a sentence of its own
# that the tokenizer would run into the next line.
_LINE = re.compile(r"[^\n]+")
_HEADING_MAX_CHARS = 150
_ENDED = re.compile(r"[.!?\u2026,;:][\"'\u00bb\u201d\u2019)\]]*\s*$")
_NON_SPACE = re.compile(r"\S")
# The Arabic article of a name ("Bashar al-Asad", "al-Qaeda"): the tokenizer reads a lower-case
# "al" as the contraction a + il and splits the name in three; capitalized it keeps the
# name whole.  The change keeps every offset, and the words keep the written text.
_ARABIC_ARTICLE = re.compile(r"\b(?:al|el|ad|an|ar|as|ash|at|az)(?=[-\u2011][A-ZÀ-Þ])")


# Straight single quotes used as quotation marks ('Creative Commons'): the tokenizer
# leaves them on the word ("Commons'", "('CCPL'"), as it does not with double quotes.
# Inside, an apostrophe between letters is an elision ('l'accordo').
_SINGLE_QUOTED = re.compile(r"(?<![^\s(\[«\"—–])'((?:[^'\n]|(?<=[^\W\d_])'(?=[^\W\d_])){1,200}?[^\s'])'(?![^\W_])")


# Letters with diacritics Italian does not write ("Vladimirovič", "Roglič", "Primož"): the
# tokenizer, which has hardly seen them, cuts the word before them ("Vladimirovi č").  It
# reads them as their base letter; the words keep the written text.
_FOREIGN_LETTER = re.compile(r"[^\W\d_a-zA-ZàèéìíîòóùúÀÈÉÌÍÎÒÓÙÚ]")


def _base_letter(letter: str) -> str:
    base = unicodedata.normalize("NFD", letter)[0]
    return base if base.isascii() and base.isalpha() else letter


def tokenizer_text(text: str) -> str:
    """The text as the tokenizer reads it best, every character at its place
    (``restore_written`` gives the words back the written text)."""
    text = _ARABIC_ARTICLE.sub(lambda m: m.group().capitalize(), text)
    text = _FOREIGN_LETTER.sub(lambda m: _base_letter(m.group()), text)
    return _SINGLE_QUOTED.sub(lambda m: f'"{m.group(1)}"', text)


# Stanza's tokenizer puts this in place of a token longer than its max_seqlen
# (stanza.pipeline.tokenize_processor.TOKEN_TOO_LONG_REPLACEMENT); the words
# keep the real text, so that offsets and text still agree.
_TOKEN_TOO_LONG = "<UNK>"


class ModelsNotFound(RuntimeError):
    """The requested models are not on this machine."""


def compact_dir() -> Path:
    return Path(str(importlib.resources.files("kg") / "models" / "compact"))


def official_dir() -> Path:
    return Path(os.environ.get("STANZA_RESOURCES_DIR", Path.home() / "stanza_resources"))


def resolve_models(models: str | os.PathLike | None) -> tuple[str, Path]:
    """('compact'|'official'|'directory', path) for a --models value."""
    if models in (None, "compact"):
        return "compact", compact_dir()
    if models == "official":
        return "official", official_dir()
    return "directory", Path(models)


def model_set_files(path: Path) -> dict[str, str]:
    """File name -> what it holds, for a model directory in the compact
    layout: each processor's model, the vectors, and the character LMs where
    the directory has them."""
    files = {**{name: processor for processor, name in MODEL_FILES.items()}, PRETRAIN_FILE: "pretrain"}
    if all((path / name).is_file() for name in CHARLM_FILES.values()):
        files.update({name: f"charlm ({direction})" for direction, name in CHARLM_FILES.items()})
    if (path / SINGLE_WORDS_FILE).is_file():
        files[SINGLE_WORDS_FILE] = "mwt (single words)"
    if (path / WORD_CLASSES_FILE).is_file():
        files[WORD_CLASSES_FILE] = "pos (word classes)"
    return files


def pipeline_kwargs(models: str | os.PathLike | None) -> dict:
    kind, path = resolve_models(models)
    if kind == "official":
        if not (path / "it").is_dir():
            raise ModelsNotFound(f"official Stanza Italian models not found in {path}; "
                                 "run 'kg models download' on a machine with internet")
        return {"lang": "it", "dir": str(path), "processors": ",".join(PROCESSORS)}
    missing = [name for name in (*MODEL_FILES.values(), PRETRAIN_FILE) if not (path / name).is_file()]
    if missing:
        raise ModelsNotFound(f"models directory {path} lacks {', '.join(missing)}")
    kwargs = {"lang": "it", "dir": str(path), "processors": ",".join(PROCESSORS),
              "allow_unknown_language": True}
    for processor, name in MODEL_FILES.items():
        kwargs[f"{processor}_model_path"] = str(path / name)
    for processor in PRETRAINED:
        kwargs[f"{processor}_pretrain_path"] = str(path / PRETRAIN_FILE)
    if CHARLM_FILES["forward"] in model_set_files(path):
        for processor in CHARLM_READERS:
            for direction, name in CHARLM_FILES.items():
                kwargs[f"{processor}_{direction}_charlm_path"] = str(path / name)
    if SINGLE_WORDS_FILE in model_set_files(path):
        kwargs["tokenize_postprocessor"] = ContractionCheck(path / SINGLE_WORDS_FILE, path / MODEL_FILES["mwt"])
    return kwargs


# Italian clitics, longest first, and how a verb form that carries them ends: an
# infinitive without its -e ("recar-si"), a gerund ("definendo-lo"), a participle
# ("svoltasi"), or a short imperative the MWT model's dictionary already knows.
_CLITICS = re.compile(r"(?:(?:glie|me|te|se|ce|ve)(?:lo|la|li|le|ne)|gli|lo|la|li|le|ne|mi|ti|si|ci|vi)+$")
_VERB_STEM = re.compile(r"(?:r|ndo|[aiu]t[oaie])$")
# a preposition fused with an article: always two words, which the compact tokenizer
# sometimes leaves unmarked ("Negli", "Agli" opening a sentence, "coi")
_ARTICULATED = re.compile(r"(?:a|da|de|ne|su)(?:l|llo|lla|lle|ll['’]|i|gli)|co[li]")


class ContractionCheck:
    """Stanza's tokenizer postprocessor: it takes back the tokenizer's
    "contraction" mark (a token the MWT model will split) from tokens that
    cannot be one, which the compact tokenizer sometimes marks: "diversi" ->
    "diver si", "Giancarlo" -> "Giancar lo", "olandesi", "AC".  A contraction
    in title case after a capitalized word is part of a name ("Lucio Dalla",
    "Alessandro Del Piero"), as in most such cases in the treebanks.  Any other
    token stays marked if the treebanks split it (the MWT model's dictionary);
    else it is unmarked if they have it as one word, if it is a capitalized
    word inside the sentence (names carry no clitics), or if it is not a verb
    form with clitics.  A preposition with an article that the treebanks split
    is marked where the tokenizer left it whole, and a quotation mark left on
    a word is split off it."""

    def __init__(self, single_words: Path, mwt_model: Path):
        import torch

        self.single = frozenset(single_words.read_text(encoding="utf-8").split())
        self.contractions = frozenset(torch.load(mwt_model, map_location="cpu", weights_only=False)["dict"])

    def can_split(self, token: str, position: int, before: str | None) -> bool:
        """``before``: the token before, if it is not the sentence's first."""
        lower = token.lower()
        if lower in self.contractions:
            return not (token.istitle() and before and before.isalpha() and before.istitle())
        if lower in self.single or (token[:1].isupper() and position > 0):
            return False
        clitics = _CLITICS.search(lower)
        return bool(clitics and clitics.start() and _VERB_STEM.search(lower[:clitics.start()]))

    def __call__(self, sentences: list[list]) -> list[list]:
        """Stanza's format: a token is its text, or (text, True) where marked."""
        out = []
        for sentence in map(_split_glued_quotes, sentences):
            texts = [token[0] if isinstance(token, tuple) else token for token in sentence]
            marks = [isinstance(token, tuple) and token[1] or bool(_ARTICULATED.fullmatch(texts[i].lower()))
                     for i, token in enumerate(sentence)]
            out.append([(text, True) if marked and self.can_split(text, i, texts[i - 1] if i > 1 else None)
                        else text for i, (text, marked) in enumerate(zip(texts, marks))])
        return out


# A quotation mark the tokenizer left on a word ("legislatura»", "«Il"): the
# treebanks always split it off, and the parser reads a glued one as part of a name.
_GLUED_QUOTE = re.compile(r"^([«“\"]?)(.*?\w.*?)([»”\"]?)$")


def _split_glued_quotes(sentence: list) -> list:
    tokens = []
    for token in sentence:
        glued = _GLUED_QUOTE.match(token) if isinstance(token, str) else None
        tokens += [part for part in glued.groups() if part] if glued else [token]
    return tokens


@functools.lru_cache(maxsize=4)
def load_pipeline(models: str | None = None):
    """One Stanza pipeline per process and model set; never downloads."""
    import stanza
    import torch

    if os.environ.get("KG_TORCH_THREADS"):
        torch.set_num_threads(int(os.environ["KG_TORCH_THREADS"]))
    pipeline = stanza.Pipeline(download_method=None, use_gpu=False, logging_level="WARN",
                               tokenize_no_ssplit=False, **pipeline_kwargs(models))
    # torch, Stanza and the models leave some 300,000 objects that live as long
    # as the process, and every full garbage collection would walk them all
    # again (tenths of a second each, one every build or two): frozen, they are
    # skipped.  Collected first, so that no garbage is frozen with them.
    gc.collect()
    gc.freeze()
    return pipeline


def parse(text: str, doc_id: str = "doc", date: dt.date | None = None, models: str | None = None) -> Document:
    return parse_many([(doc_id, text, date)], models=models)[0]


def parse_many(items: Sequence[tuple[str, str, dt.date | None]], models: str | None = None) -> list[Document]:
    """Parse several texts in one Stanza batch (much faster than one call each).

    Every segment of every text goes through a single ``bulk_process`` call;
    the sentences are then regrouped per text, numbered from 0, with offsets
    into the whole text."""
    if not items:
        return []
    pipeline = load_pipeline(None if models is None else str(models))
    spans = [segment(text, MAX_SEGMENT_CHARS) for _, text, _ in items]
    parsed = iter(read_texts(pipeline, [text[start:end] for (_, text, _), text_spans in zip(items, spans)
                                        for start, end in text_spans]))
    documents = []
    for (doc_id, text, date), text_spans in zip(items, spans):
        sentences: list[Sentence] = []
        for start, _ in text_spans:
            sentences += _sentences(next(parsed), text, start, len(sentences))
        documents.append(Document(id=doc_id, text=text, sentences=tuple(sentences), date=date))
    return documents


def read_texts(pipeline, texts: Sequence[str]) -> list:
    """Stanza documents of ``texts``, read as kg reads text (the parse stage
    and ``kg models score`` alike): each text as the tokenizer reads it best,
    the compact tokenizer's sentence ends repaired, the words the tagger is
    known to misread read again, every word with its written text."""
    import stanza

    if not texts:
        return []
    results = list(pipeline.bulk_process([stanza.Document([], text=tokenizer_text(text)) for text in texts]))
    # the few texts whose sentence ends need repair are tagged and parsed again from their
    # repaired tokens
    repair = {}
    for i, doc in enumerate(results):
        sentences = doc.to_dict()
        repaired = _resegmented(sentences, doc.text)
        if repaired != sentences:
            repair[i] = stanza.Document(_tokens_only(repaired), text=doc.text)
    if repair:
        for i, doc in zip(repair, pipeline.process(list(repair.values()), processors=TAGGING)):
            results[i] = doc
    read_again(pipeline, results)
    for doc, text in zip(results, texts):
        restore_written(doc, text)
    return results


TAGGING = "pos,lemma,depparse,ner"


def read_again(pipeline, docs: list) -> None:
    """The second readings of words the compact tagger is known to misread, in place."""
    retag_initial_verbs(pipeline, docs)
    reparse_misread_words(pipeline, docs)
    relemmatize_verbs(pipeline, docs)
    agree_tags_with_relations(docs)


def relemmatize_verbs(pipeline, docs: list) -> None:
    """Verbs given a lemma no training form has take one by analogy (see VerbLemmas)."""
    lemmatizer = pipeline.processors.get("lemma")
    analogy = verb_lemmas(lemmatizer.config["model_path"]) if lemmatizer else None
    if analogy is None:
        return
    for word in (w for doc in docs for sent in doc.sentences for w in sent.words):
        if word.upos == "VERB" and word.lemma and word.lemma.lower() not in analogy.lemmas:
            word.lemma = analogy.lemma(word.text) or word.lemma


@functools.lru_cache(maxsize=4)
def verb_lemmas(lemmatizer: str) -> VerbLemmas | None:
    """The analogies of a lemmatizer's own dictionary, where its file keeps one kg can read
    (Stanza's gzipped JSON, version 3: the compact models; None otherwise)."""
    import torch

    checkpoint = torch.load(lemmatizer, map_location="cpu", weights_only=False)
    if checkpoint.get("dicts_version") != 3:
        return None
    by_pos = json.loads(gzip.decompress(checkpoint["dicts"]))
    return VerbLemmas({form: lemma for pos in ("*", "AUX", "VERB") for form, lemma in by_pos.get(pos, {}).items()},
                      {lemma.lower() for forms in by_pos.values() for lemma in forms.values()})


_INFINITIVE = re.compile(r"(?:are|ere|ire|rre)$")


class VerbLemmas:
    """Lemmas for verb forms the lemmatizer never saw, by analogy with the ones it did.

    For a form outside its dictionary the compact lemmatizer spells a lemma letter by
    letter and sometimes makes one up: "confermerà" -> "confermere", "ricorderà" ->
    "ricordere", "promesso" -> "promedere".  Its dictionary (the training treebanks' forms
    and lemmas) shows how forms with the same ending change ("parlerà" -> "parlare",
    "messo" -> "mettere"); the first such change, from the longest shared ending down,
    that gives an infinitive the dictionary knows is taken."""

    SHORTEST, LONGEST = 3, 9  # endings compared, in letters

    def __init__(self, forms: dict[str, str], lemmas: set[str]):
        self.lemmas = frozenset(lemmas)
        self.infinitives = frozenset(lemma for lemma in lemmas if _INFINITIVE.search(lemma))
        self.changes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for form, lemma in forms.items():
            form, lemma = form.lower(), lemma.lower()
            if form == lemma or not _INFINITIVE.search(lemma):
                continue
            stem = len(os.path.commonprefix([form, lemma]))
            change = (len(form) - stem, lemma[stem:])
            for length in range(max(change[0], self.SHORTEST), min(self.LONGEST, len(form)) + 1):
                self.changes[form[-length:]][change] += 1

    def lemma(self, form: str) -> str | None:
        form = form.lower()
        for length in range(min(self.LONGEST, len(form) - 1), self.SHORTEST - 1, -1):
            for (cut, ending), _ in self.changes.get(form[-length:], collections.Counter()).most_common():
                candidate = form[:len(form) - cut] + ending
                if candidate in self.infinitives:
                    return candidate
        return None


_WORD_FIELDS_TAGGED = ("upos", "xpos", "feats", "lemma", "head", "deprel")


def _reread(pipeline, sentences: list, processors: str, lower_first: bool = False) -> list:
    """``sentences`` read again by ``processors`` in one batch of their own (the others keep
    their reading), with the first word in lower case if ``lower_first``; a reading that
    starts after the tagger keeps the words' tags.  Returns the new readings in order."""
    import stanza

    kept = ("upos", "xpos", "feats", "lemma") if "pos" not in processors else ()

    def start(word) -> dict:
        text = word.text.lower() if lower_first and word.id == 1 else word.text
        return {"id": word.id, "text": text, **{f: getattr(word, f) for f in kept if getattr(word, f) is not None}}

    again = stanza.Document([[start(w) for w in sent.words] for sent in sentences])
    pipeline.process(again, processors=processors)
    return again.sentences


def _take(sentence, reading) -> None:
    for word, tagged in zip(sentence.words, reading.words):
        for field in _WORD_FIELDS_TAGGED:
            setattr(word, field, getattr(tagged, field))


def retag_initial_verbs(pipeline, docs: list) -> None:
    """"Nacque a Tulsa", "Nato a Lecce il 3 marzo 1950": a verb that opens a sentence
    (or a headline) is capitalized, and the compact tagger reads it as a name or leaves its
    lemma unfound.  Such a first word, outside any named entity, is tagged again in lower
    case, in a batch of those sentences alone; the new reading is kept where it makes the
    word a verb, and the word keeps its written form."""
    found = [sent for doc in docs for sent in doc.sentences
             if len(sent.tokens[0].words) == 1 and sent.words[0].text[:1].isupper()
             and sent.words[0].text[1:].islower() and (getattr(sent.tokens[0], "ner", None) or "O") == "O"
             and (sent.words[0].upos == "PROPN" or sent.words[0].lemma == sent.words[0].text)]
    if found:
        for sent, again in zip(found, _reread(pipeline, found, "pos,lemma,depparse", lower_first=True)):
            if again.words[0].upos in ("VERB", "AUX"):
                _take(sent, again)


# The lemmas the treebanks have as auxiliaries; "tenere" read as one ("si terrà | sabato") is a verb.
_AUXILIARIES = {"essere", "avere", "potere", "dovere", "volere", "venire", "stare", "andare", "fare", "sapere"}
# Nouns of time that "fa" follows as "ago" ("due giorni fa", "poco tempo fa").
_AGO_NOUNS = {"anno", "mese", "settimana", "giorno", "ora", "minuto", "secolo", "decennio", "tempo"}


@functools.lru_cache(maxsize=4)
def read_word_classes(tagger: str) -> dict[str, str]:
    """The word classes beside a tagger's file (``WORD_CLASSES_FILE``; none for other models)."""
    path = Path(tagger).parent / WORD_CLASSES_FILE
    if not path.is_file():
        return {}
    return dict(line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line)


_CLASS_XPOS = {"NOUN": "S", "ADJ": "A"}
# what only a verb has: a clitic, an object, a clause for a complement, "avere" for an auxiliary
# (not "essere", which the parser takes for one before an adjective it reads as a participle:
# "era incinta", "è rinomato")
_VERBAL_DEPENDENTS = {"expl", "obj", "iobj", "ccomp", "xcomp"}


def _verbal(sentence, word) -> bool:
    """Whether a word tagged as a verb has what only a verb has: such dependents, or a subject
    of its own where the tagger reads it as finite ("la Corte ribalta", "si sono stretti la
    mano"; not "X, assistente del Milan", read as a finite verb with no subject)."""
    finite = "VerbForm=Fin" in (word.feats or "")
    return any(w.head == word.id and (w.deprel.split(":")[0] in _VERBAL_DEPENDENTS
                                      or w.deprel == "aux" and w.lemma == "avere"
                                      or finite and w.deprel.split(":")[0] in ("nsubj", "csubj"))
               for w in sentence.words)


def _second_tag(sentence, before, word, classes: dict[str, str]) -> tuple | None:
    """The treebanks' (upos, xpos, lemma, feats) for a word the compact tagger misreads, or None:
    a noun the treebanks only ever have as an adjective is one ("un affollato seminario" read as a
    noun and its adjective), and the other way round, as is a "verb" or a lower-case "name" they
    only have as either (``classes``; not a noun or adjective they only have as a verb:
    participles are both); "fa" after a noun of time and "stamani" (read as "stamare") are
    adverbs; "presenti" with a form
    of essere is the adjective ("erano presenti", never a form of presentare there); "sabato" is a
    day, not a participle; a verb no treebank has as an auxiliary is a verb ("si terrà sabato"); "ad"
    after an article is a noun (amministratore delegato, "l'ad Carlo Neri"), as is a "via" that opens
    a name the NER found (the street, "in via Roma"); a
    plural "verb", or one after an article, whose lemma is a feminine noun's is that noun ("ci
    sono state proteste": "protesta")."""
    written_class = classes.get(word.text.lower())
    # a name is written capitalized: a lower-case "name" the treebanks only have as a noun is one
    misread = word.upos in _CLASS_XPOS or word.upos == "PROPN" and word.text.islower() \
        or word.upos == "VERB" and not _verbal(sentence, word)
    if written_class and misread and written_class != word.upos:
        return written_class, _CLASS_XPOS[written_class], word.lemma, word.feats
    if word.upos == "AUX" and word.lemma and word.lemma.lower() not in _AUXILIARIES:
        return "VERB", "V", word.lemma, word.feats
    # "l'ad Carlo Neri": after an article "ad" is the chief executive, not the preposition
    if word.upos == "ADP" and word.text.lower() == "ad" and before is not None and before.upos == "DET":
        return "NOUN", "S", "ad", "Number=Sing"
    # "una casa di via Roma": "via" that opens a name the NER found is the street, not "by way of"
    if word.upos == "ADP" and word.text.lower() == "via" and (word.parent.ner or "O").startswith("B-"):
        return "NOUN", "S", "via", "Gender=Fem|Number=Sing"
    if word.upos != "VERB":
        return None
    form = word.text.lower()
    if form in WEEKDAYS:
        return "NOUN", "S", form, "Gender=" + ("Fem" if form == "domenica" else "Masc") + "|Number=Sing"
    if form in THIS_DAY_ADVERBS or form == "fa" and before is not None and before.lemma \
            and before.lemma.lower() in _AGO_NOUNS:
        return "ADV", "B", form, None
    # "ci sono state proteste", "una volata": a plural, or a singular after an article, whose lemma
    # is a feminine noun's ("protesta") is that noun ("la Corte ribalta": a verb, ribaltare)
    if word.lemma and word.lemma.islower() and word.lemma.endswith("a") and (
            form.endswith("e") or form.endswith("a") and before is not None and before.upos == "DET"):
        return "NOUN", "S", word.lemma, "Gender=Fem|Number=" + ("Plur" if form.endswith("e") else "Sing")
    if form in ("presente", "presenti") and any(
            w.head == word.id and w.lemma == "essere" and w.deprel in ("aux", "aux:pass", "cop")
            for w in sentence.words):
        return "ADJ", "A", "presente", "Number=" + ("Plur" if form.endswith("i") else "Sing")
    return None


def reparse_misread_words(pipeline, docs: list) -> None:
    """"Due giorni fa il presidente ha incontrato ...", "ha inaugurato stamani la scuola",
    "Erano presenti il sindaco e ...": the compact tagger reads these words as verbs (and
    some nouns as adjectives, or the other way round), and the parser then hangs the clause
    on them.  They are retagged as the treebanks have
    them (``_second_tag``) and their sentences parsed again, in a batch of their own."""
    tagger = pipeline.processors.get("pos")
    classes = read_word_classes(tagger.config["model_path"]) if tagger else {}
    found = []
    for sent in (sent for doc in docs for sent in doc.sentences):
        for before, word in zip([None, *sent.words], sent.words):
            tags = _second_tag(sent, before, word, classes)
            if tags:
                word.upos, word.xpos, word.lemma, word.feats = tags
                if sent not in found:
                    found.append(sent)
    if found:
        for sent, again in zip(found, _reread(pipeline, found, "depparse")):
            _take(sent, again)


# The relations that make a word what UD calls it, whatever the tagger said: the treebanks have
# an auxiliary only as aux or cop, and a determiner never as a verb's or a noun's argument.  The
# tagger and the parser disagree on a word now and then ("c'è", "è a Roma": essere tagged AUX,
# parsed as the clause's head); the parser sees the whole tree.  (Not nouns parsed as amod: there
# the parser is as often wrong, "una allegra festa" with "festa" hung on "allegra".)
_ARGUMENT_RELATIONS = {"nsubj", "obj", "iobj", "obl", "nmod"}
_PRONOUN_XPOS = {"RD": "PC", "RI": "PI", "DD": "PD", "DI": "PI", "DE": "PE", "DQ": "PQ", "DR": "PR", "AP": "PP"}
_MODALS = {"potere", "dovere", "volere"}


def agree_tags_with_relations(docs: list) -> None:
    """Part-of-speech tags made to agree with the relation the parser gave the word, in place."""
    for word in (w for doc in docs for sent in doc.sentences for w in sent.words):
        relation = (word.deprel or "").split(":")[0]
        lemma = (word.lemma or "").lower()
        if word.upos == "AUX" and relation not in ("aux", "cop"):
            word.upos, word.xpos = "VERB", "V"
        elif word.upos == "VERB" and relation in ("aux", "cop") and lemma in _AUXILIARIES:
            word.upos, word.xpos = "AUX", "VM" if lemma in _MODALS else "VA"
        elif word.upos == "DET" and relation in _ARGUMENT_RELATIONS:
            word.upos, word.xpos = "PRON", _PRONOUN_XPOS.get(word.xpos, word.xpos)


_FULL_STOPS = {".", "!", "?", "\u2026"}
# Titles a name follows ("l'on. Pietro Folena", "il sen. Rossi", "St. Petersburg"): no sentence
# ends at them.
_TITLES = {"on", "sig", "sigg", "sig.ra", "dott", "dott.ssa", "dr", "ing", "avv", "prof", "sen", "geom",
           "rag", "arch", "mons", "gen", "col", "cav", "comm", "pres", "mr", "mrs", "st"}
# Abbreviations a capitalized word may follow in the sentence: kg does not split there.
_ABBREVIATIONS = _TITLES | {"min", "art", "jr", "sr", "p", "s", "ss", "n", "v"}


def _resegmented(sentences: list[list[dict]], text: str) -> list[list[dict]]:
    """Stanza's sentences (as token dicts), with the compact tokenizer's
    sentence ends repaired.  It sometimes runs on past a full stop ("Il testo inizia qui.
    Seconda frase."): a sentence is split after a stand-alone ".", "!", "?"
    or "…" followed by a capitalized word.  It sometimes ends a sentence
    inside a line at a token that ends nothing: a word ("... Nouri | Al Maliki",
    "A | Piazza Navona"), a comma ("Kevin Costner (attore), | Dionne Warwick"),
    a title ("l'on. | Giulia Rodano"), the initial inside a person's name
    ("Mary J. | Blige"), a closing bracket before a lower-case word or a name ("(tre della
    Lega e due del PD) | è stata approvata", "di Osimo (AN) | Paolo Riva"): such a sentence is
    joined with the next."""
    sentences = [part for sentence in sentences for part in _split_at_full_stops(sentence)]
    joined = [sentences[0]] if sentences else []
    for sentence in sentences[1:]:
        last, first = joined[-1][-1], sentence[0]
        gap = text[last["end_char"]:first["start_char"]] if "end_char" in last and "start_char" in first else "\n"
        if "\n" in gap or not (_ends_nothing(joined[-1]) or _bracket_runs_on(joined[-1], sentence)):
            joined.append(sentence)
            continue
        joined[-1] = joined[-1] + _renumbered(sentence, _last_id(joined[-1]))
    return joined


_PERSON_INSIDE = {"B-PER", "I-PER", "E-PER", "S-PER"}
_INITIAL = re.compile(r"[A-ZÀ-Þ]\.")


def _ends_nothing(sentence: list[dict]) -> bool:
    """Whether a sentence's last token ends no sentence: a word, a comma, a
    title's abbreviation ("on." or "on" "."), an initial inside a name."""
    last = sentence[-1]["text"]
    abbreviation = sentence[-2]["text"] if last == "." and len(sentence) > 1 else last.removesuffix(".")
    return last[-1:].isalnum() or last == "," or abbreviation.lower() in _TITLES \
        or _stops_initial(sentence, len(sentence) - 1)


def _bracket_runs_on(sentence: list[dict], following: list[dict]) -> bool:
    """"(tre della Lega e due del PD) | è stata approvata", "il sindaco di Osimo (AN) | Paolo
    Riva": a bracket closed before a lower-case word or a name closes an aside, not the
    sentence."""
    return sentence[-1]["text"] == ")" and (
        following[0]["text"][:1].islower() or following[0].get("ner", "O") != "O")


def _stops_initial(sentence: list[dict], i: int) -> bool:
    """Whether token ``i`` ends an initial inside a person's name: "D." or the
    full stop after "D"."""
    token = sentence[i]
    if _INITIAL.fullmatch(token["text"]):
        initial = token
    elif token["text"] == "." and i > 0 and _INITIAL.fullmatch(sentence[i - 1]["text"] + "."):
        initial = sentence[i - 1]
    else:
        return False
    return initial.get("ner") in _PERSON_INSIDE


def _split_at_full_stops(sentence: list[dict]) -> list[list[dict]]:
    parts, current = [], []
    for i, token in enumerate(sentence):
        current.append(token)
        after = sentence[i + 1] if i + 1 < len(sentence) else None
        before = sentence[i - 1]["text"].lower() if i else ""
        if token["text"] in _FULL_STOPS and "start_char" in token and after is not None \
                and "start_char" in after and after["text"][:1].isupper() \
                and not (token["text"] == "." and before in _ABBREVIATIONS) and not _stops_initial(sentence, i):
            parts.append(current)
            current = []
    if current:
        parts.append(current)
    return [parts[0]] + [_renumbered(part, -_last_id_before(part)) for part in parts[1:]] if parts else []


def _tokens_only(sentences: list[list[dict]]) -> list[list[dict]]:
    """Token dicts as the tokenizer left them, without the tags of the first parse."""
    return [[{key: t[key] for key in ("id", "text", "start_char", "end_char") if key in t} for t in sentence]
            for sentence in sentences]


def _last_id(sentence: list[dict]) -> int:
    return max(t["id"][-1] if isinstance(t["id"], tuple) else t["id"] for t in sentence)


def _last_id_before(part: list[dict]) -> int:
    first = part[0]["id"]
    return (first[0] if isinstance(first, tuple) else first) - 1


def _renumbered(sentence: list[dict], shift: int) -> list[dict]:
    return [{**t, "id": tuple(i + shift for i in t["id"]) if isinstance(t["id"], tuple) else t["id"] + shift}
            for t in sentence]


def segment(text: str, limit: int = MAX_SEGMENT_CHARS) -> list[tuple[int, int]]:
    """(start, end) spans of ``text`` to parse one by one: its paragraphs
    (split at blank lines) and heading lines (see ``_heading_ends``), and a
    paragraph longer than ``limit`` cut after
    the last sentence end that keeps the piece within ``limit``, else at the
    last whitespace, else (one enormous word) at ``limit`` itself.

    The spans are in order, do not overlap, start and end with a non-space
    character, are at most ``limit`` long, and together hold every non-space
    character of the text.  Linear in the length of the text."""
    if limit < 1:
        raise ValueError(f"segment limit must be positive, not {limit}")
    headings = iter(_heading_ends(text))
    heading = next(headings, None)
    spans: list[tuple[int, int]] = []
    start = 0
    for brk in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        while heading is not None and heading < end:
            if heading > start:
                spans += _cut(text, start, heading, limit)
                start = heading
            heading = next(headings, None)
        spans += _cut(text, start, end, limit)
        start = brk.end() if brk else end
    return spans


def _heading_ends(text: str) -> list[int]:
    """Where the heading lines of a text end: its first line, and any other
    line when the text breaks lines between sentences, not inside them (most
    lines without a sentence end are followed by a capital): in hard-wrapped
    text a line break before a name is no sentence end."""
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text) if m.group().strip()]
    ended = [bool(_ENDED.search(text[a:b])) for a, b in lines]
    candidates = [(i, b) for i, ((a, b), (next_start, next_end)) in enumerate(zip(lines, lines[1:]))
                  if not ended[i] and len(text[a:b].strip()) <= _HEADING_MAX_CHARS
                  and _starts_sentence(text[next_start:next_end])]
    breaks_between_sentences = 2 * len(candidates) >= ended[:-1].count(False)
    return [b for i, b in candidates if i == 0 or breaks_between_sentences]


def _starts_sentence(line: str) -> bool:
    first = line.lstrip()[:1]
    return first.isupper() or first.isdigit() or first in "\"'«“"


def _cut(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    spans = []
    while True:
        first = _NON_SPACE.search(text, start, end)
        if first is None:
            return spans
        start = first.start()
        if end - start <= limit:
            spans.append(_trimmed(text, start, end))
            return spans
        # one character past the limit, so whitespace right at the limit is a cut point
        window = text[start:start + limit + 1]
        ends = [m.end() - 1 for m in _SENTENCE_END.finditer(window)]
        spaces = [m.start() for m in _SPACE.finditer(window)]
        if ends:
            cut = start + ends[-1]
        elif spaces:
            cut = start + spaces[-1]
        else:
            cut = start + limit
            # a combining mark belongs with the character before it
            while cut > start + 1 and unicodedata.combining(text[cut]):
                cut -= 1
        spans.append(_trimmed(text, start, cut))
        start = cut


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    return start, start + len(text[start:end].rstrip())


def restore_written(doc, text: str) -> None:
    """Give the one-word tokens of a Stanza document parsed from ``text`` the
    text as written where the tokenizer read it otherwise: Stanza's
    placeholder for an overlong token, or a word that ``tokenizer_text``
    changed in place."""
    for sent in doc.sentences:
        for token in sent.tokens:
            if token.start_char is None:  # a document read from CoNLL-U, not parsed from text
                continue
            surface = text[token.start_char:token.end_char]
            if token.text != surface and len(token.words) == 1 and (
                    token.text == _TOKEN_TOO_LONG or len(token.text) == len(surface)):
                token.text = token.words[0].text = token.words[0].lemma = surface


def _sentences(doc, text: str, offset: int, first_index: int) -> list[Sentence]:
    """The sentences of a Stanza document parsed from ``text[offset:...]``,
    with offsets into ``text`` and indices from ``first_index``."""
    sentences = []
    for index, sent in enumerate(doc.sentences, start=first_index):
        words = []
        for token in sent.tokens:
            ner = getattr(token, "ner", None) or "O"
            start, end = token.start_char + offset, token.end_char + offset
            for word in token.words:
                words.append(Word(id=word.id, text=word.text, lemma=word.lemma or word.text,
                                  upos=word.upos or "X", feats=word.feats or "_",
                                  head=word.head or 0, deprel=word.deprel or "dep",
                                  start_char=start, end_char=end, ner=ner))
        start, end = sent.tokens[0].start_char + offset, sent.tokens[-1].end_char + offset
        sentences.append(Sentence(index=index, text=text[start:end], start_char=start, end_char=end,
                                  words=tuple(words)))
    return sentences


# --- CoNLL-U -------------------------------------------------------------

def _misc(misc: str) -> dict[str, str]:
    out = {}
    for pair in misc.split("|"):
        key, sep, value = pair.partition("=")
        if sep:
            out[key] = value
    return out


def from_conllu(conllu: str, doc_id: str = "doc", date: dt.date | None = None) -> Document:
    """A Document from CoNLL-U.  Character offsets come from ``start_char``/
    ``end_char`` in MISC when present (kg's own cache), otherwise the text is
    rebuilt from the tokens and SpaceAfter=No, one sentence per line of ``# text``
    order.  NER tags are read from MISC ``NER=`` (or Stanza's ``ner=``)."""
    blocks = [b for b in conllu.replace("\r\n", "\n").split("\n\n") if b.strip()]
    # offsets in MISC only mean something next to the text they index
    has_text = "# kg_text = " in conllu
    meta = {}
    pieces: list[str] = []
    sentences = []
    offset = 0
    for index, block in enumerate(blocks):
        rows = [line for line in block.split("\n") if line.strip()]
        for line in rows:
            if line.startswith("# kg_") and " = " in line:
                key, _, value = line[2:].partition(" = ")
                meta[key] = value
        rows = [line.split("\t") for line in rows if not line.startswith("#")]
        words: list[Word] = []
        token_span: tuple[int, int] | None = None
        token_end_id = 0
        token_ner = "O"
        sent_start = None
        if pieces and not pieces[-1].endswith("\n"):
            pieces.append("\n")
            offset += 1
        for cols in rows:
            if "." in cols[0]:
                continue
            misc = _misc(cols[9]) if len(cols) > 9 else {}
            if not has_text:
                misc.pop("start_char", None)
                misc.pop("end_char", None)
            if "-" in cols[0]:
                first, last = (int(x) for x in cols[0].split("-"))
                token_span = _place(cols[1], misc, pieces, offset)
                offset = max(offset, token_span[1] + (0 if misc.get("SpaceAfter") == "No" else 1))
                token_end_id, token_ner = last, misc.get("NER", misc.get("ner", "O"))
                if sent_start is None:
                    sent_start = token_span[0]
                continue
            word_id = int(cols[0])
            if word_id <= token_end_id and token_span is not None:
                span, ner = token_span, token_ner
            else:
                span = _place(cols[1], misc, pieces, offset)
                offset = max(offset, span[1] + (0 if misc.get("SpaceAfter") == "No" else 1))
                ner = misc.get("NER", misc.get("ner", "O"))
                if sent_start is None:
                    sent_start = span[0]
            words.append(Word(id=word_id, text=cols[1], lemma=cols[2] if cols[2] != "_" else cols[1],
                              upos=cols[3], feats=cols[5], head=int(cols[6]) if cols[6] != "_" else 0,
                              deprel=cols[7], start_char=span[0], end_char=span[1], ner=ner))
        if not words:
            continue
        end = max(w.end_char for w in words)
        sentences.append((sent_start or 0, end, tuple(words)))
    text = meta.get("kg_text")
    text = json.loads(text) if text is not None else "".join(pieces).rstrip(" ")
    if date is None and meta.get("kg_date"):
        date = dt.date.fromisoformat(meta["kg_date"])
    return Document(id=json.loads(meta["kg_id"]) if "kg_id" in meta else doc_id, text=text, date=date, sentences=tuple(
        Sentence(index=i, text=text[s:e], start_char=s, end_char=e, words=w)
        for i, (s, e, w) in enumerate(sentences)))


def _place(form: str, misc: dict[str, str], pieces: list[str], offset: int) -> tuple[int, int]:
    """Character span of a token: from MISC offsets, or appended to the rebuilt text."""
    if "start_char" in misc and "end_char" in misc:
        return int(misc["start_char"]), int(misc["end_char"])
    text_len = sum(len(p) for p in pieces)
    if text_len < offset:
        pieces.append(" " * (offset - text_len))
    pieces.append(form)
    return offset, offset + len(form)


def to_conllu(doc: Document) -> str:
    """CoNLL-U carrying everything needed to rebuild the Document exactly."""
    out = [f"# kg_id = {json.dumps(doc.id, ensure_ascii=False)}", f"# kg_text = {json.dumps(doc.text, ensure_ascii=False)}"]
    if doc.date:
        out.append(f"# kg_date = {doc.date.isoformat()}")
    for sent in doc.sentences:
        out.append(f"# sent_id = {sent.index}")
        out.append(f"# text = {' '.join(sent.text.split())}")
        for w in sent.words:
            misc = f"start_char={w.start_char}|end_char={w.end_char}|NER={w.ner}"
            out.append("\t".join([str(w.id), w.text, w.lemma, w.upos, "_", w.feats, str(w.head),
                                  w.deprel, "_", misc]))
        out.append("")
    return "\n".join(out) + "\n"
