"""The RDF stage against real rdflib, pyoxigraph and pySHACL.

The golden graph is tests/golden/extraction.ttl; after an intended change in
the graph layout, rewrite it with KG_UPDATE_GOLDEN=1 and review the diff.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from kg import rdf
from kg.types import (EVENT, ORGANIZATION, PERSON, Document, Entity, Extraction, Fact, Mention,
                      Provenance, Sentence, Word)
from kg.vocab import DEFAULT_BASE, KG

# not `from rdflib import XSD`: pytest probes module attributes, and XSD warns
# about every name it does not define
XSD_DATE, XSD_DECIMAL = rdflib.XSD.date, rdflib.XSD.decimal
GOLDEN = Path(__file__).parent / "golden" / "extraction.ttl"

TEXT = "Il presidente Sergio Mattarella ha partecipato al vertice della Nato a Roma il 5 marzo 2024."
OTHER_TEXT = "La Nato si riunisce a Bruxelles."
MATTARELLA, SUMMIT, NATO = "person/sergio mattarella", "event/ansa-001/vertice", "organization/nato"

NASTY = [
    'say "hi"', "<script>alert(1)</script>", "line\nbreak", "tab\there", "100%", "a#b", "a/b",
    "a b", "..", ".", "~user", "ròma 🇮🇹", "e\u0301", "\u00e9", "\ud800", "x\udfffy", "{}|\\^`",
    "%20", "%2520", "‮rtl", "\x00nul",
]


def _document(doc_id: str, text: str, date: dt.date | None) -> Document:
    # whitespace tokens are enough: the RDF stage only reads word offsets
    words = tuple(Word(i, m.group(), m.group(), "X", "_", 0, "dep", m.start(), m.end())
                  for i, m in enumerate(re.finditer(r"\S+", text), start=1))
    return Document(doc_id, text, (Sentence(0, text, 0, len(text), words),), date)


def _mention(text: str, surface: str, type_: str) -> Mention:
    start = text.index(surface)
    first = len(text[:start].split()) + 1
    return Mention(0, first, first + len(surface.split()) - 1, surface, type_, "ner",
                   start, start + len(surface))


def _fact(subject: str, predicate: str, obj: str, rule: str, span: str,
          datatype: str | None = None, confidence: float = 1.0) -> Fact:
    start = TEXT.index(span)
    provenance = Provenance("ansa-001", 0, start, start + len(span), rule, TEXT)
    return Fact(subject, predicate, obj, provenance, datatype, confidence)


def _extraction(*extra_facts: Fact) -> Extraction:
    documents = (_document("ansa-001", TEXT, dt.date(2024, 3, 5)),
                 _document("ansa-002", OTHER_TEXT, None))
    entities = (
        Entity(MATTARELLA, PERSON, "Sergio Mattarella", ("Mattarella", "Sergio Mattarella", " "),
               (_mention(TEXT, "Sergio Mattarella", PERSON),)),
        Entity(SUMMIT, EVENT, "vertice della Nato", (), (_mention(TEXT, "vertice della Nato", EVENT),)),
        Entity(NATO, ORGANIZATION, "Nato", ("NATO",),
               (_mention(TEXT, "Nato", ORGANIZATION), _mention(OTHER_TEXT, "Nato", ORGANIZATION))),
    )
    facts = (
        _fact(MATTARELLA, "title", "presidente", "title-apposition@1", "presidente Sergio Mattarella",
              "string"),
        _fact(MATTARELLA, "participatesIn", SUMMIT, "participates@2",
              "Sergio Mattarella ha partecipato al vertice", confidence=0.9),
        _fact(SUMMIT, "eventOf", NATO, "event-of@1", "vertice della Nato", confidence=0.85),
        _fact(SUMMIT, "date", "2024-03-05", "event-date@1", "vertice della Nato a Roma il 5 marzo 2024",
              "date", 0.8),
    ) + extra_facts
    return Extraction(documents, entities, facts)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return rdf.to_graph(_extraction())


def _assertions(graph: Graph, predicate: URIRef) -> list:
    return list(graph.subjects(RDF.predicate, predicate))


# --------------------------------------------------------------------------
# layout

def test_graph_matches_golden(graph):
    if os.environ.get("KG_UPDATE_GOLDEN"):
        rdf.serialize(graph, GOLDEN, "ttl")
    golden = Graph().parse(GOLDEN, format="turtle")
    if not isomorphic(graph, golden):
        _, only_built, only_golden = graph_diff(to_isomorphic(graph), to_isomorphic(golden))
        pytest.fail("graph differs from golden\nonly built:\n"
                    f"{only_built.serialize(format='nt')}\nonly golden:\n{only_golden.serialize(format='nt')}")


def test_each_fact_is_a_plain_triple_and_an_assertion(graph):
    assert len(list(graph.subjects(RDF.type, KG.Assertion))) == 4
    for assertion in graph.subjects(RDF.type, KG.Assertion):
        s, p, o = (graph.value(assertion, term) for term in (RDF.subject, RDF.predicate, RDF.object))
        assert (s, p, o) in graph
        assert graph.value(assertion, KG.document) == URIRef(DEFAULT_BASE + "document/ansa-001")


def test_literal_objects_are_typed(graph):
    summit = rdf.mint_iri(DEFAULT_BASE, SUMMIT)
    assert graph.value(summit, KG.date) == Literal("2024-03-05", datatype=XSD_DATE)
    title = graph.value(rdf.mint_iri(DEFAULT_BASE, MATTARELLA), KG.title)
    assert title == Literal("presidente") and title.datatype is None


def test_entities_are_mentioned_in_the_documents_that_name_them(graph):
    nato = rdf.mint_iri(DEFAULT_BASE, NATO)
    assert set(graph.objects(nato, KG.mentionedIn)) == {
        URIRef(DEFAULT_BASE + "document/ansa-001"), URIRef(DEFAULT_BASE + "document/ansa-002")}
    mattarella = rdf.mint_iri(DEFAULT_BASE, MATTARELLA)
    assert len(list(graph.objects(mattarella, KG.mentionedIn))) == 1


def test_dataset_puts_each_documents_facts_in_its_named_graph(graph):
    dataset = rdf.to_dataset(_extraction())
    document = URIRef(DEFAULT_BASE + "document/ansa-001")
    named = dataset.graph(document)
    assert len(list(named.subjects(RDF.type, KG.Assertion))) == 4
    assert not list(dataset.default_graph.subjects(RDF.type, KG.Assertion))
    assert (rdf.mint_iri(DEFAULT_BASE, NATO), RDF.type, KG.Organization) in dataset.default_graph
    union = Graph()
    for s, p, o, _ in dataset.quads():
        union.add((s, p, o))
    assert isomorphic(union, graph)


def test_announces_takes_an_entity_or_a_string():
    graph = rdf.to_graph(_extraction(
        _fact(MATTARELLA, "announces", SUMMIT, "announces-event@1", "Sergio Mattarella"),
        _fact(MATTARELLA, "announces", "nuove sanzioni", "announces-clause@1", "Sergio Mattarella",
              "string")))
    mattarella = rdf.mint_iri(DEFAULT_BASE, MATTARELLA)
    assert set(graph.objects(mattarella, KG.announces)) == {
        rdf.mint_iri(DEFAULT_BASE, SUMMIT), Literal("nuove sanzioni")}
    conforms, report = rdf.validate(graph)
    assert conforms, report


def test_base_is_configurable():
    graph = rdf.to_graph(_extraction(), base="http://example.org/news#")
    assert (URIRef("http://example.org/news#organization%2Fnato"), RDF.type, KG.Organization) in graph


def test_same_evidence_twice_gives_one_assertion_with_the_higher_confidence():
    again = _fact(SUMMIT, "eventOf", NATO, "event-of@1", "vertice della Nato", confidence=0.95)
    graph = rdf.to_graph(_extraction(again))
    [assertion] = _assertions(graph, KG.eventOf)
    assert graph.value(assertion, KG.confidence) == Literal("0.95", datatype=XSD_DECIMAL)


@pytest.mark.parametrize("fact, message", [
    (_fact(MATTARELLA, "likes", NATO, "r@1", "Nato"), "'likes' is not a kg relation"),
    (_fact(MATTARELLA, "rule", NATO, "r@1", "Nato"), "'rule' is not a kg relation"),
    (_fact(MATTARELLA, "memberOf", "organization/onu", "r@1", "Nato"), "unknown object entity"),
    (_fact("person/nessuno", "memberOf", NATO, "r@1", "Nato"), "unknown subject entity"),
    (_fact(MATTARELLA, "title", NATO, "r@1", "Nato"), "takes a 'string' literal"),
    (_fact(MATTARELLA, "memberOf", "Nato", "r@1", "Nato", "string"), "takes an entity"),
    (_fact(MATTARELLA, "announces", "2024-03-05", "r@1", "Nato", "date"), "takes a 'string' literal"),
    (_fact(SUMMIT, "date", "5 marzo 2024", "r@1", "Nato", "date"), "not an ISO calendar date"),
    (_fact(SUMMIT, "date", "2024-02-30", "r@1", "Nato", "date"), "not an ISO calendar date"),
])
def test_facts_the_ontology_cannot_express_are_rejected(fact, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        rdf.to_graph(_extraction(fact))


# --------------------------------------------------------------------------
# files

def _same(written: Graph, expected: Graph) -> bool:
    if not isinstance(expected, Dataset):
        return isomorphic(written, expected)
    names = {g.identifier for g in expected.graphs() if len(g)}
    return names == {g.identifier for g in written.graphs() if len(g)} and all(
        isomorphic(written.graph(name), expected.graph(name)) for name in names)


@pytest.mark.parametrize("fmt", sorted(rdf.FORMATS))
def test_every_format_reads_back_isomorphic(tmp_path, fmt):
    extraction = _extraction()
    expected = rdf.to_dataset(extraction) if fmt == "trig" else rdf.to_graph(extraction)
    path = rdf.serialize(expected, tmp_path / f"graph.{fmt}", fmt)
    assert _same(rdf.parse_back(path, fmt), expected)
    assert [p.name for p in tmp_path.iterdir()] == [f"graph.{fmt}"]


def test_a_failed_write_leaves_the_previous_file(tmp_path, graph):
    path = rdf.serialize(graph, tmp_path / "graph.ttl", "ttl")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="unknown RDF format"):
        rdf.serialize(graph, path, "rdfxml")
    # rdflib's Turtle writer turns each lone surrogate into "?", so these two
    # triples read back as one: the check after writing must catch that
    lossy = Graph()
    lossy.add((URIRef("urn:x"), KG.says, Literal("\ud800")))
    lossy.add((URIRef("urn:x"), KG.says, Literal("\udfff")))
    with pytest.raises(ValueError, match="reads back as 1 statements, 2 were written"):
        rdf.serialize(lossy, path, "ttl")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]


# --------------------------------------------------------------------------
# SHACL

def test_built_graphs_conform(graph, tmp_path):
    conforms, report = rdf.validate(graph)
    assert conforms, report
    path = rdf.serialize(rdf.to_dataset(_extraction()), tmp_path / "graph.trig", "trig")
    conforms, report = rdf.validate(path)
    assert conforms, report


def _break_rule(g: Graph) -> None:
    g.remove((_assertions(g, KG.title)[0], KG.rule, None))


def _break_date(g: Graph) -> None:
    summit = rdf.mint_iri(DEFAULT_BASE, SUMMIT)
    g.add((summit, KG.date, Literal("5 marzo 2024")))


def _break_participation(g: Graph) -> None:
    mattarella = rdf.mint_iri(DEFAULT_BASE, MATTARELLA)
    g.add((mattarella, KG.participatesIn, rdf.mint_iri(DEFAULT_BASE, NATO)))


def _break_confidence(g: Graph) -> None:
    g.set((_assertions(g, KG.title)[0], KG.confidence, Literal("1.5", datatype=XSD_DECIMAL)))


def _break_span(g: Graph) -> None:
    g.set((_assertions(g, KG.title)[0], KG.startChar, Literal(40)))


def _break_reified_triple(g: Graph) -> None:
    g.remove((rdf.mint_iri(DEFAULT_BASE, SUMMIT), KG.eventOf, None))


def _break_label(g: Graph) -> None:
    g.add((rdf.mint_iri(DEFAULT_BASE, NATO), RDFS.label, Literal("Organizzazione del Trattato")))


def _break_title(g: Graph) -> None:
    g.add((rdf.mint_iri(DEFAULT_BASE, MATTARELLA), KG.title, Literal(" ")))


@pytest.mark.parametrize("breakage, violated", [
    (_break_rule, "MinCountConstraintComponent"),
    (_break_date, "DatatypeConstraintComponent"),
    (_break_participation, "ClassConstraintComponent"),
    (_break_confidence, "MaxInclusiveConstraintComponent"),
    (_break_span, "LessThanOrEqualsConstraintComponent"),
    (_break_reified_triple, "SPARQLConstraintComponent"),
    (_break_label, "MaxCountConstraintComponent"),
    (_break_title, "PatternConstraintComponent"),
])
def test_broken_graphs_do_not_conform(graph, breakage, violated):
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    breakage(broken)
    conforms, report = rdf.validate(broken)
    assert not conforms
    assert re.findall(r"Constraint Violation in (\w+)", report) == [violated], report


# --------------------------------------------------------------------------
# IRIs

def test_minted_iris_are_valid_distinct_and_survive_turtle(tmp_path):
    iris = [rdf.mint_iri(DEFAULT_BASE, key) for key in NASTY]
    assert len(set(iris)) == len(NASTY) - 1  # "e" + combining acute == precomposed "é"
    for iri in iris:
        pyoxigraph.NamedNode(str(iri))
        assert str(iri).startswith(DEFAULT_BASE) and "/" not in str(iri)[len(DEFAULT_BASE):]
    graph = Graph()
    for iri, key in zip(iris, NASTY):
        graph.add((iri, KG.says, Literal(ascii(key))))
    path = rdf.serialize(graph, tmp_path / "nasty.ttl", "ttl")
    assert isomorphic(Graph().parse(path, format="turtle"), graph)
    assert len(list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))) == len(graph)


def test_minting_is_nfc_stable_and_deterministic():
    assert rdf.mint_iri(DEFAULT_BASE, "Citt\u0061\u0300") == rdf.mint_iri(DEFAULT_BASE, "Citt\u00e0")
    assert rdf.mint_iri(DEFAULT_BASE, "person/Città d'Italia") == URIRef(
        DEFAULT_BASE + "person%2FCitt%C3%A0%20d%27Italia")
    assert rdf.mint_iri(DEFAULT_BASE, "\ud800") == URIRef(DEFAULT_BASE + "%ED%A0%80")


@pytest.mark.parametrize("base", ["resource/", "https://example.org/res", "https://example.org/a b/",
                                  "https://example.org/\ud800/", ""])
def test_bad_bases_are_rejected(base):
    with pytest.raises(ValueError, match="base IRI"):
        rdf.mint_iri(base, "x")


def test_empty_key_is_rejected():
    with pytest.raises(ValueError, match="empty key"):
        rdf.mint_iri(DEFAULT_BASE, "")
