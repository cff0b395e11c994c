"""Property-based tests (hypothesis): whatever the names and sentences, the
stages after parsing never fail, IRIs are valid and reversible, every RDF
format reads back isomorphic and the HTML view cannot be made to run markup.

The fuzz of the stages after parsing builds Documents from random CoNLL-U
(random words, a random dependency tree, valid BIOES tags), so it needs no
models; only the last test, marked ``models``, runs Stanza on random text.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
import tempfile
import unicodedata
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import RDFS, Literal
from rdflib.compare import isomorphic

from kg import parse, rdf, render
from kg.build import extract
from kg.cache import ParseCache
from kg.inputs import InputError, read_text
from kg.types import EVENT, ORGANIZATION, PERSON, PLACE, Document, Entity, Extraction, Fact, Provenance, Sentence
from kg.vocab import DEFAULT_BASE, ENTITY_RELATIONS

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# every code point, lone surrogates included
ANY_CHAR = st.characters(exclude_categories=())
# what a parsed text can hold: inputs.clean_text replaces lone surrogates
TEXT_CHAR = st.characters(exclude_categories=("Cs",))
# a CoNLL-U FORM: no whitespace, no control characters
FORM_CHAR = st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))
# a document id as kg.inputs makes them: on one line
ID_CHAR = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"))
INJECTIONS = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', '"href"',
              "</script><script>alert(1)</script>", "<!--", "]]>", "' onmouseover='alert(1)",
              "<a href='javascript:alert(1)'>x</a>", "<b onmouseover=alert(1)>", "\u2028</script>"]
MARKUP = [i for i in INJECTIONS if "<" in i]

names = st.one_of(
    st.text(ANY_CHAR, min_size=1, max_size=20),
    st.sampled_from(INJECTIONS),
    st.builds(lambda a, b, c: a + b + c, st.text(ANY_CHAR, max_size=5), st.sampled_from(INJECTIONS),
              st.text(ANY_CHAR, max_size=5)),
)


# --------------------------------------------------------------------------
# strategies: extractions with arbitrary names

@st.composite
def extractions(draw: st.DrawFn) -> Extraction:
    text = draw(st.text(ANY_CHAR, max_size=60))
    doc = Document(draw(names), text, (Sentence(0, text, 0, len(text), ()),),
                   draw(st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))))
    # keys equal under NFC mint one IRI: kg's own keys come from NFC text, so never collide
    keys = draw(st.lists(names, min_size=1, max_size=5, unique_by=lambda k: unicodedata.normalize("NFC", k)))
    entities = tuple(Entity(key, draw(st.sampled_from((PERSON, ORGANIZATION, PLACE, EVENT))), draw(names),
                            tuple(draw(st.lists(names, max_size=2))))
                     for key in keys)

    def provenance() -> Provenance:
        start = draw(st.integers(0, len(text)))
        return Provenance(doc.id, 0, start, draw(st.integers(start, len(text))),
                          draw(names) + "@" + str(draw(st.integers(1, 9))), draw(st.text(ANY_CHAR, max_size=40)))

    facts = []
    for _ in range(draw(st.integers(0, 6))):
        subject = draw(st.sampled_from(keys))
        kind = draw(st.sampled_from(("entity", "string", "date")))
        confidence = draw(st.floats(0, 1))
        if kind == "entity":
            facts.append(Fact(subject, draw(st.sampled_from(sorted(ENTITY_RELATIONS))), draw(st.sampled_from(keys)),
                              provenance(), confidence=confidence))
        elif kind == "string":
            facts.append(Fact(subject, draw(st.sampled_from(("title", "says", "announces"))), draw(names),
                              provenance(), "string", confidence))
        else:
            facts.append(Fact(subject, "date", draw(st.dates(dt.date(1, 1, 1))).isoformat(), provenance(), "date",
                              confidence))
    return Extraction((doc,), entities, tuple(facts))


def rdf_text(text: str) -> str:
    """What a literal keeps of a text: all but lone surrogates (rdf._clean)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# --------------------------------------------------------------------------
# IRIs and RDF

@FAST
@given(st.text(ANY_CHAR, min_size=1, max_size=40))
def test_minted_iris_are_valid_and_decode_back_to_the_key(key: str) -> None:
    iri = str(rdf.mint_iri(DEFAULT_BASE, key))
    pyoxigraph.NamedNode(iri)
    local = iri[len(DEFAULT_BASE):]
    assert re.fullmatch(r"[A-Za-z0-9_~%-]+", local)
    # reversible, hence distinct for keys that are not canonically equal
    assert urllib.parse.unquote_to_bytes(local).decode("utf-8", "surrogatepass") == unicodedata.normalize("NFC", key)
    assert str(rdf.mint_iri(DEFAULT_BASE, unicodedata.normalize("NFD", key))) == iri


@FAST
@given(extractions(), st.sampled_from(sorted(rdf.FORMATS)))
def test_any_extraction_reads_back_isomorphic_with_its_labels(extraction: Extraction, fmt: str) -> None:
    graph = rdf.to_dataset(extraction) if fmt == "trig" else rdf.to_graph(extraction)
    with tempfile.TemporaryDirectory() as folder:
        path = rdf.serialize(graph, Path(folder) / f"graph.{fmt}", fmt)
        back = rdf.union(rdf.parse_back(path, fmt))
    merged = rdf.union(graph)
    assert isomorphic(back, merged)
    for entity in extraction.entities:
        assert back.value(rdf.mint_iri(DEFAULT_BASE, entity.key), RDFS.label) == Literal(rdf_text(entity.label))


# --------------------------------------------------------------------------
# HTML

class _StartTags(HTMLParser):
    """Start tags and their attribute names, as a browser's tokenizer sees
    them: the contents of <script> and <style> are opaque."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(name for name, _ in attrs)))


def blank(extraction: Extraction) -> Extraction:
    """The same graph shape with every name and sentence replaced by "x"."""
    entities = tuple(Entity(e.key, e.type, "x", ("y",) * len(e.alt_labels)) for e in extraction.entities)
    facts = tuple(Fact(f.subject, f.predicate, "x" if f.datatype == "string" else f.object,
                       Provenance(f.provenance.document, 0, 0, 0, "r@1", "x"), f.datatype, f.confidence)
                  for f in extraction.facts)
    return Extraction(extraction.documents, entities, facts)


@FAST
@given(extractions())
def test_no_name_or_sentence_can_inject_markup(extraction: Extraction) -> None:
    page = render.page_html(render.to_networkx(rdf.to_graph(extraction)))
    inert = render.page_html(render.to_networkx(rdf.to_graph(blank(extraction))))
    tags = _StartTags(page).tags
    assert tags == _StartTags(inert).tags          # the data added no element and no attribute
    assert not [name for _, names_ in tags for name in names_ if name.startswith("on")]
    data = [e.label for e in extraction.entities] + [f.object for f in extraction.facts] + \
        [f.provenance.sentence_text for f in extraction.facts]
    for markup in MARKUP:
        if any(markup in text for text in data):
            assert markup not in page


# --------------------------------------------------------------------------
# fuzz of the stages after parsing, with Documents from random CoNLL-U

UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X")
DEPRELS = ("nsubj", "nsubj:pass", "obj", "iobj", "obl", "obl:agent", "nmod", "appos", "flat:name", "flat", "amod",
           "det", "det:poss", "case", "conj", "cc", "punct", "advmod", "aux", "aux:pass", "cop", "mark", "acl",
           "acl:relcl", "ccomp", "xcomp", "compound", "nummod", "fixed", "parataxis", "expl", "dep")
FEATS = ("_", "Gender=Masc|Number=Sing", "Definite=Def|Gender=Fem|Number=Sing|PronType=Art",
         "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin", "Gender=Masc|Number=Sing|Tense=Past|VerbForm=Part",
         "PronType=Rel", "NumType=Card", "Clitic=Yes|Person=3|PronType=Prs")
# words and lemmas the mentions stage and the rules look for, so that random
# sentences do reach the rules
WORDS = ("Il", "il", "la", "presidente", "ministro", "segretario", "generale", "Emmanuel", "Macron", "Mark", "Rutte",
         "Mattarella", "NATO", "Nato", "Roma", "Parigi", "Italia", "francese", "incontrato", "ricevuto", "vertice",
         "colloquio", "riunione", "con", "di", "a", "da", "e", "si", "ha", "è", "5", "marzo", "2024", "ieri", "oggi",
         "detto", "annunciato", "Coalizione", "volenterosi", "palazzo", "Chigi", ",", ".", "«", "»", "che", "sua",
         "moglie", "visitato", "presieduto", "partecipato", "sostiene", "membro")
LEMMAS = ("incontrare", "ricevere", "avere", "essere", "dire", "annunciare", "visitare", "presiedere", "partecipare",
          "sostenere", "presidente", "ministro", "vertice", "colloquio", "moglie", "membro", "il", "di", "con", "da")
MWTS = (("della", ("di", "la")), ("al", ("a", "il")), ("nel", ("in", "il")), ("dell'", ("di", "l'")),
        ("sulla", ("su", "la")), ("incontrarsi", ("incontrare", "si")))
NER_TYPES = ("PER", "ORG", "LOC", "MISC")

forms = st.one_of(st.sampled_from(WORDS), st.text(FORM_CHAR, min_size=1, max_size=8))


@st.composite
def conllu_sentence(draw: st.DrawFn) -> str:
    tokens: list[tuple[str, tuple[str, ...]]] = []     # (surface, its words)
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.integers(0, 5)) == 0:
            tokens.append(draw(st.sampled_from(MWTS)))
        else:
            form = draw(forms)
            tokens.append((form, (form,)))
    # BIOES tags over tokens, as Stanza's NER gives them
    tags: list[str] = []
    while len(tags) < len(tokens):
        length = min(draw(st.integers(0, 3)), len(tokens) - len(tags))
        if length == 0:
            tags.append("O")
            continue
        kind = draw(st.sampled_from(NER_TYPES))
        tags += [f"S-{kind}"] if length == 1 else \
            [f"B-{kind}"] + [f"I-{kind}"] * (length - 2) + [f"E-{kind}"]
    n_words = sum(len(words) for _, words in tokens)
    # a random tree: each word in a random order hangs from one placed before it
    order = draw(st.permutations(range(1, n_words + 1)))
    heads = {order[0]: 0}
    for k, word_id in enumerate(order[1:], start=1):
        heads[word_id] = order[draw(st.integers(0, k - 1))]
    lines = []
    word_id = 0
    for (surface, words), tag in zip(tokens, tags):
        misc = f"NER={tag}" + ("|SpaceAfter=No" if draw(st.booleans()) and draw(st.booleans()) else "")
        if len(words) > 1:
            lines.append(f"{word_id + 1}-{word_id + len(words)}\t{surface}\t_\t_\t_\t_\t_\t_\t_\t{misc}")
        for word in words:
            word_id += 1
            lemma = draw(st.sampled_from(LEMMAS) | st.just(word.lower()))
            deprel = "root" if heads[word_id] == 0 else draw(st.sampled_from(DEPRELS))
            lines.append("\t".join([str(word_id), word, lemma, draw(st.sampled_from(UPOS)), "_",
                                    draw(st.sampled_from(FEATS)), str(heads[word_id]), deprel, "_",
                                    misc if len(words) == 1 else "_"]))
    return "\n".join(lines) + "\n"


FIXTURES = Path(__file__).parent / "fixtures"
SEED_SENTENCES = [block for path in (FIXTURES / "meets_apposition.conllu", *sorted((FIXTURES / "rules").glob("*.conllu")))
                  for block in path.read_text(encoding="utf-8").split("\n\n")
                  if any(line[:1].isdigit() for line in block.splitlines())]


@st.composite
def mutated_sentence(draw: st.DrawFn) -> str:
    """A real parse with random forms and lemmas swapped in, so that the
    rules still fire, now on hostile names."""
    rows = []
    for line in draw(st.sampled_from(SEED_SENTENCES)).splitlines():
        cols = line.split("\t")
        if len(cols) != 10:
            continue        # comments
        if draw(st.integers(0, 3)) == 0:
            cols[1] = draw(forms)
        if draw(st.integers(0, 5)) == 0 and cols[2] != "_":
            cols[2] = draw(st.sampled_from(LEMMAS))
        rows.append("\t".join(cols))
    return "\n".join(rows) + "\n"


@st.composite
def parsed_documents(draw: st.DrawFn) -> list[Document]:
    ids = draw(st.lists(st.text(ID_CHAR, min_size=1, max_size=10), min_size=1, max_size=2, unique=True))
    sentences = st.lists(conllu_sentence() | mutated_sentence(), min_size=1, max_size=3)
    return [parse.from_conllu("\n".join(draw(sentences)), doc_id,
                              draw(st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))))
            for doc_id in ids]


def assert_exact_offsets(doc: Document) -> None:
    for sentence in doc.sentences:
        assert sentence.text == doc.text[sentence.start_char:sentence.end_char]
        spans = Counter((w.start_char, w.end_char) for w in sentence.words)
        for word in sentence.words:
            surface = doc.text[word.start_char:word.end_char]
            if spans[(word.start_char, word.end_char)] == 1:
                assert word.text == surface, word
            else:   # the parts of a multi-word token share the token's surface
                assert surface and surface == surface.strip(), word


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parsed_documents())
def test_any_parse_goes_through_every_later_stage(documents: list[Document]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        parse_cache = ParseCache(Path(folder) / "cache", model_id="fuzz")
        for doc in documents:
            assert_exact_offsets(doc)
            assert parse.from_conllu(parse.to_conllu(doc)) == doc
            assert parse_cache.put(doc) and parse_cache.get(doc.id, doc.text, doc.date) == doc
        extraction = extract(documents)
        graph = rdf.to_graph(extraction)
        rdf.serialize(graph, Path(folder) / "graph.ttl", "ttl")
        rdf.serialize(rdf.to_dataset(extraction), Path(folder) / "graph.trig", "trig")
    render.page_html(render.to_networkx(graph))


# --------------------------------------------------------------------------
# segmentation

@FAST
@given(st.text(st.sampled_from(" \n'\"(«al-AQsd\u2011è"), max_size=120))
def test_the_tokenizer_text_keeps_every_character_at_its_place(text: str) -> None:
    read = parse.tokenizer_text(text)
    assert len(read) == len(text)
    # only quotes and letters' case change, so word offsets hold
    assert all(a == b or {a, b} == {"'", '"'} or a.lower() == b.lower() for a, b in zip(text, read))


@FAST
@given(st.text(st.sampled_from(" \n\t.!?»ab\u0301\u00a0"), max_size=120), st.integers(1, 30))
def test_segments_are_bounded_ordered_and_lose_no_text(text: str, limit: int) -> None:
    spans = parse.segment(text, limit)
    previous_end = 0
    for start, end in spans:
        piece = text[start:end]
        assert previous_end <= start < end and end - start <= limit
        assert piece == piece.strip() and not re.search(r"\n\s*\n", piece)
        previous_end = end
    assert "".join("".join(text[s:e] for s, e in spans).split()) == "".join(text.split())


class _WordPerRun:
    """A stand-in Stanza pipeline: a word per run of non-space, a sentence per document."""

    processors: dict[str, Any] = {}  # no lemmatizer whose dictionary kg could read

    def bulk_process(self, docs: list[Any]) -> list[Any]:
        from stanza.models.common.doc import Document as StanzaDocument

        return [StanzaDocument([[{"id": i, "text": m.group(), "start_char": m.start(), "end_char": m.end()}
                                 for i, m in enumerate(re.finditer(r"\S+", d.text), start=1)]], text=d.text)
                for d in docs]


@FAST
@given(st.lists(st.text(st.sampled_from(" \n.ab\u00e0"), max_size=150), min_size=1, max_size=3))
@example(["a" * 17])  # one run longer than a segment (found by Hypothesis in CI)
def test_parse_many_shifts_every_segment_back_into_its_text(texts: list[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse, "load_pipeline", lambda models=None: _WordPerRun())
        patch.setattr(parse, "MAX_SEGMENT_CHARS", 16)
        docs = parse.parse_many([(str(i), text, None) for i, text in enumerate(texts)])
    for doc, text in zip(docs, texts):
        assert doc.text == text
        assert [s.index for s in doc.sentences] == list(range(len(doc.sentences)))
        assert_exact_offsets(doc)
        words = [w.text for s in doc.sentences for w in s.words]
        if all(len(run) <= 16 for run in text.split()):
            assert words == text.split()
        else:  # a run longer than a segment is cut inside it, by design ("then anywhere")
            assert "".join(words) == "".join(text.split())


# --------------------------------------------------------------------------
# the whole pipeline, with the models

@pytest.mark.models
@pytest.mark.skipif(not (parse.compact_dir() / "tokenizer.pt").is_file(),
                    reason="the compact models are not in kg/models/compact")
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(TEXT_CHAR, max_size=40) | st.sampled_from(WORDS + tuple(INJECTIONS)), max_size=25)
       .map(" ".join))
def test_the_whole_pipeline_survives_random_text(raw: str) -> None:
    try:
        document = read_text(raw, source="fuzz")
    except InputError:
        return      # refused with a message: that is handling it
    doc = parse.parse(document.text, doc_id="fuzz")
    assert doc.text == document.text
    assert_exact_offsets(doc)
    extraction = extract([doc])
    graph = rdf.to_graph(extraction)
    with tempfile.TemporaryDirectory() as folder:
        assert isomorphic(rdf.parse_back(rdf.serialize(graph, Path(folder) / "g.ttl", "ttl"), "ttl"), graph)
    page = render.page_html(render.to_networkx(graph))
    for markup in MARKUP:
        if markup in raw:
            assert markup not in page
