"""ontologies/kg.ttl and shapes.ttl against kg.vocab, both ways."""
from __future__ import annotations

import importlib.resources

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH

from kg.vocab import ENTITY_RELATIONS, KG, LITERAL_RELATIONS, ONTOLOGY_IRI

TERMS = [KG[name] for name in KG.__annotations__]
DECLARATIONS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property}
XSD_OF = {"string": URIRef("http://www.w3.org/2001/XMLSchema#string"),
          "date": URIRef("http://www.w3.org/2001/XMLSchema#date")}


def _load(name: str) -> Graph:
    text = importlib.resources.files("kg.ontologies").joinpath(name).read_text(encoding="utf-8")
    return Graph().parse(data=text, format="turtle")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _load("kg.ttl")


def _ours(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(ONTOLOGY_IRI)


def test_ontology_header(ontology):
    [header] = ontology.subjects(RDF.type, OWL.Ontology)
    assert ontology.value(header, OWL.versionInfo) is not None
    assert {c.language for c in ontology.objects(header, RDFS.comment)} == {"it", "en"}


@pytest.mark.parametrize("term", TERMS, ids=lambda t: t.fragment)
def test_every_vocab_term_is_declared_and_labelled(ontology, term):
    assert set(ontology.objects(term, RDF.type)) & DECLARATIONS, f"{term} is not declared"
    for predicate in (RDFS.label, RDFS.comment):
        languages = [o.language for o in ontology.objects(term, predicate) if isinstance(o, Literal)]
        assert sorted(languages) == ["en", "it"], f"{term} {predicate}: {languages}"


def test_every_declared_kg_term_is_in_the_vocab(ontology):
    declared = {s for kind in DECLARATIONS for s in ontology.subjects(RDF.type, kind) if _ours(s)}
    assert declared == set(TERMS)


def test_every_property_has_a_domain_and_all_but_announces_a_range(ontology):
    properties = [t for t in TERMS if (t, RDF.type, OWL.Class) not in ontology]
    for prop in properties:
        assert ontology.value(prop, RDFS.domain) is not None, prop
        assert (ontology.value(prop, RDFS.range) is None) == (prop == KG.announces), prop


def test_fact_predicates_have_the_right_kind(ontology):
    either = ENTITY_RELATIONS & LITERAL_RELATIONS.keys()
    assert either == {"announces"}
    for name in either:
        assert set(ontology.objects(KG[name], RDF.type)) == {RDF.Property}
    for name in ENTITY_RELATIONS - either:
        assert (KG[name], RDF.type, OWL.ObjectProperty) in ontology
    for name, datatype in LITERAL_RELATIONS.items():
        if name not in either:
            assert (KG[name], RDF.type, OWL.DatatypeProperty) in ontology
            assert ontology.value(KG[name], RDFS.range) == XSD_OF[datatype]


def test_symmetric_relations(ontology):
    assert set(ontology.subjects(RDF.type, OWL.SymmetricProperty)) == {KG.meets, KG.spouse}


def test_class_hierarchy(ontology):
    assert (KG.Person, RDFS.subClassOf, KG.Agent) in ontology
    assert (KG.Organization, RDFS.subClassOf, KG.Agent) in ontology


def test_shapes_parse_and_use_only_vocab_terms():
    shapes = _load("shapes.ttl")
    assert len(list(shapes.subjects(RDF.type, SH.NodeShape))) >= 3
    used = {term for triple in shapes for term in triple if _ours(term)}
    assert used <= set(TERMS), used - set(TERMS)
