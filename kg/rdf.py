"""The RDF stage: an Extraction becomes triples, files and a SHACL report.

IRIs (all under one configurable base, DEFAULT_BASE by default)::

    <base><key>              an entity; key = Entity.key, percent-encoded by mint_iri
    <base>document/<id>      a kg:Document; id = Document.id, percent-encoded
    <base>assertion/<hash>   a kg:Assertion; hash of document, predicate,
                             subject, object, span and rule

mint_iri encodes "/" too, so no entity key can produce a document or an
assertion IRI.

What is said about them:

* an entity: rdf:type kg:Person|Organization|Place|Event, one rdfs:label,
  skos:altLabel for its other surface forms, kg:mentionedIn each document that
  names it.  Labels are plain xsd:string literals with no language tag: they
  are names copied from the text, not Italian words to translate.
* a document: rdf:type kg:Document, rdfs:label (its id), kg:text and, when
  known, kg:documentDate.
* a Fact: the plain triple (subject, kg:<predicate>, object) -- the object an
  entity IRI, an xsd:date or a plain string -- and a kg:Assertion reifying it
  (rdf:subject/rdf:predicate/rdf:object) that carries the provenance:
  kg:document and prov:wasDerivedFrom (the document), kg:sentenceIndex,
  kg:sentenceText, kg:startChar, kg:endChar, kg:rule ("id@version") and
  kg:confidence (xsd:decimal).

Two containers for the same triples:

* to_graph -> rdflib.Graph: everything in one graph.  This is what Turtle,
  N-Triples and JSON-LD files hold and what validate checks.
* to_dataset -> rdflib.Dataset, written as TriG: entities and documents in the
  default graph, and each document's facts (plain triples and their
  assertions) in a named graph whose name is the document's IRI.  A triple
  attested by two documents is in both of their graphs.  The union of all the
  graphs is exactly to_graph's graph.

to_graph and to_dataset raise ValueError for what the ontology cannot say: a
predicate that is not a kg relation (kg.vocab ENTITY_RELATIONS and
LITERAL_RELATIONS), an object of the wrong kind or datatype, a date that is not
YYYY-MM-DD, a key or document id that names nothing.  Lone surrogates in text
become U+FFFD, since no RDF syntax can carry them.

serialize writes ttl, nt, jsonld or trig atomically and reads the file back
(Turtle, N-Triples and TriG with pyoxigraph's native parser, a second
implementation of each syntax); parse_back reads one with rdflib; validate
checks a graph or file against ontologies/shapes.ttl with pySHACL.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.resources
import json
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pyoxigraph
from rdflib import RDF, RDFS, XSD, Dataset, Graph, Literal, URIRef
from rdflib.namespace import PROV, SKOS
from rdflib.term import Node

from kg.files import write_atomic
from kg.types import EVENT, ORGANIZATION, PERSON, PLACE, PROPOSAL, Document, Entity, Extraction, Fact
from kg.vocab import DEFAULT_BASE, ENTITY_RELATIONS, KG, LITERAL_RELATIONS, ONTOLOGY_IRI

Triple = tuple[URIRef, URIRef, Node]
GraphT = TypeVar("GraphT", bound=Graph)

# file extension -> rdflib format name
FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig"}
# file extension -> the pyoxigraph format serialize reads a written file back
# with; JSON-LD, which pyoxigraph reads only from 0.5 on, is read back by rdflib
_READ_BACK = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES,
              "trig": pyoxigraph.RdfFormat.TRIG}

DATA_PREFIX = "kgr"
_PREFIXES = {"kg": ONTOLOGY_IRI, "rdf": str(RDF), "rdfs": str(RDFS), "skos": str(SKOS),
             "prov": str(PROV), "xsd": str(XSD)}
_ENTITY_TYPES = frozenset({PERSON, ORGANIZATION, PLACE, EVENT, PROPOSAL})

# RFC 3986 unreserved characters minus ".": without dots a key can never make
# a "." or ".." path segment that IRI normalisation would collapse.
_SAFE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --------------------------------------------------------------------------
# IRIs

def mint_iri(base: str, key: str) -> URIRef:
    """base + key percent-encoded byte by byte (UTF-8) outside [A-Za-z0-9_~-].

    Keys are NFC-normalised first, so canonically equal text names one
    resource; otherwise distinct keys give distinct IRIs.  Lone surrogates are
    encoded as their own UTF-8-style bytes rather than rejected, so any Python
    string has an IRI.
    """
    _check_iri(base, f"base IRI {base!r}")
    if not base.endswith(("/", "#")):
        raise ValueError(f"base IRI {base!r} must end with '/' or '#'")
    if not key:
        raise ValueError("cannot mint an IRI from an empty key")
    raw = unicodedata.normalize("NFC", key).encode("utf-8", "surrogatepass")
    iri = base + "".join(chr(b) if b in _SAFE_BYTES else f"%{b:02X}" for b in raw)
    _check_iri(iri, f"IRI {iri!r} minted from {key!r}")
    return URIRef(iri)


def _check_iri(iri: str, what: str) -> None:
    try:
        pyoxigraph.NamedNode(iri)
    except (ValueError, UnicodeError) as error:
        raise ValueError(f"{what} is not a valid absolute IRI: {error}") from error


def _document_iri(base: str, document_id: str) -> URIRef:
    return mint_iri(f"{base}document/", document_id)


def _assertion_iri(base: str, fact: Fact) -> URIRef:
    p = fact.provenance
    identity = [p.document, fact.predicate, fact.subject, fact.object, fact.datatype,
                p.sentence, p.start_char, p.end_char, p.rule]
    digest = hashlib.sha256(json.dumps(identity, ensure_ascii=True).encode("ascii")).hexdigest()
    return mint_iri(f"{base}assertion/", digest[:32])


# --------------------------------------------------------------------------
# Extraction -> triples

def to_graph(extraction: Extraction, base: str = DEFAULT_BASE) -> Graph:
    """All of the extraction's triples in one graph (see the module docstring)."""
    catalogue, by_document = _triples(extraction, base)
    graph = _bind(Graph(bind_namespaces="core"), base)
    for triple in catalogue:
        graph.add(triple)
    for triples in by_document.values():
        for triple in triples:
            graph.add(triple)
    return graph


def to_dataset(extraction: Extraction, base: str = DEFAULT_BASE) -> Dataset:
    """Entities and documents in the default graph, each document's facts in a
    graph named by the document's IRI (see the module docstring)."""
    catalogue, by_document = _triples(extraction, base)
    dataset = _bind(Dataset(), base)
    for triple in catalogue:
        dataset.add(triple)
    for document_iri, triples in by_document.items():
        named = dataset.graph(document_iri)
        for triple in triples:
            named.add(triple)
    return dataset


def _bind(graph: GraphT, base: str) -> GraphT:
    for prefix, namespace in _PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind(DATA_PREFIX, base)
    return graph


def _triples(extraction: Extraction, base: str) -> tuple[list[Triple], dict[URIRef, list[Triple]]]:
    """(entity and document triples, fact triples grouped by document IRI)."""
    documents = {d.id: _document_iri(base, d.id) for d in extraction.documents}
    entities = _entity_iris(extraction.entities, base)
    facts = _unique_facts(extraction.facts, base)
    mentioned_in = _mentioned_in(extraction)
    catalogue = [t for d in extraction.documents for t in _document_triples(d, documents[d.id])]
    for entity in extraction.entities:
        named_by = [documents[d] for d in sorted(mentioned_in[entity.key]) if d in documents]
        catalogue.extend(_entity_triples(entity, entities[entity.key], named_by))
    by_document: dict[URIRef, list[Triple]] = {}
    for assertion, fact in facts.items():
        document = _lookup(documents, fact.provenance.document, "document", fact)
        by_document.setdefault(document, []).extend(
            _fact_triples(fact, assertion, document, entities))
    return catalogue, by_document


def _entity_iris(entities: Iterable[Entity], base: str) -> dict[str, URIRef]:
    iris: dict[str, URIRef] = {}
    minted: dict[URIRef, str] = {}
    for entity in entities:
        if entity.key in iris:
            raise ValueError(f"two entities share the key {entity.key!r}")
        if entity.type not in _ENTITY_TYPES:
            raise ValueError(f"entity {entity.key!r} has type {entity.type!r}, "
                             f"not one of {sorted(_ENTITY_TYPES)}")
        iri = mint_iri(base, entity.key)
        if iri in minted:
            raise ValueError(f"entities {minted[iri]!r} and {entity.key!r} mint the same IRI {iri}")
        minted[iri] = entity.key
        iris[entity.key] = iri
    return iris


def _unique_facts(facts: Iterable[Fact], base: str) -> dict[URIRef, Fact]:
    """One fact per assertion IRI.  The same evidence found twice must not give
    one assertion two confidences; the more confident reading wins."""
    unique: dict[URIRef, Fact] = {}
    for fact in facts:
        iri = _assertion_iri(base, fact)
        if iri not in unique or fact.confidence > unique[iri].confidence:
            unique[iri] = fact
    return unique


def _mentioned_in(extraction: Extraction) -> dict[str, set[str]]:
    """Entity key -> ids of the documents that name it.  A Mention does not
    record its document, but it starts at a word of its sentence and its text
    is the document's text at its offsets; a fact names its document."""
    texts = {d.id: d.text for d in extraction.documents}
    at_word: dict[tuple[int, int], set[str]] = defaultdict(set)
    for document in extraction.documents:
        for sentence in document.sentences:
            for word in sentence.words:
                at_word[(sentence.index, word.start_char)].add(document.id)
    found: dict[str, set[str]] = defaultdict(set)
    for entity in extraction.entities:
        for m in entity.mentions:
            found[entity.key].update(d for d in at_word.get((m.sentence, m.start_char), ())
                                     if texts[d][m.start_char:m.end_char] == m.text)
    for fact in extraction.facts:
        found[fact.subject].add(fact.provenance.document)
        if not fact.is_literal:
            found[fact.object].add(fact.provenance.document)
    return found


def _document_triples(document: Document, iri: URIRef) -> Iterator[Triple]:
    yield iri, RDF.type, KG.Document
    yield iri, RDFS.label, Literal(_clean(document.id))
    yield iri, KG.text, Literal(_clean(document.text))
    if document.date is not None:
        yield iri, KG.documentDate, Literal(document.date)


def _entity_triples(entity: Entity, iri: URIRef, mentioned_in: list[URIRef]) -> Iterator[Triple]:
    yield iri, RDF.type, KG[entity.type]
    yield iri, RDFS.label, Literal(_clean(entity.label))
    for alt in dict.fromkeys(entity.alt_labels):
        # a blank or repeated surface form names nothing new
        if alt.strip() and alt != entity.label:
            yield iri, SKOS.altLabel, Literal(_clean(alt))
    for document in mentioned_in:
        yield iri, KG.mentionedIn, document


def _fact_triples(fact: Fact, assertion: URIRef, document: URIRef,
                  entities: dict[str, URIRef]) -> Iterator[Triple]:
    subject = _lookup(entities, fact.subject, "subject entity", fact)
    predicate = _predicate(fact)
    obj = _object(fact, entities)
    p = fact.provenance
    yield subject, predicate, obj
    yield assertion, RDF.type, KG.Assertion
    yield assertion, RDF.subject, subject
    yield assertion, RDF.predicate, predicate
    yield assertion, RDF.object, obj
    yield assertion, KG.document, document
    yield assertion, PROV.wasDerivedFrom, document
    yield assertion, KG.sentenceIndex, Literal(p.sentence)
    if p.sentence_text:
        yield assertion, KG.sentenceText, Literal(_clean(p.sentence_text))
    yield assertion, KG.startChar, Literal(p.start_char)
    yield assertion, KG.endChar, Literal(p.end_char)
    yield assertion, KG.rule, Literal(_clean(p.rule))
    yield assertion, KG.confidence, _decimal(fact.confidence)


def _predicate(fact: Fact) -> URIRef:
    if fact.predicate in ENTITY_RELATIONS or fact.predicate in LITERAL_RELATIONS:
        return KG[fact.predicate]
    known = sorted(ENTITY_RELATIONS | LITERAL_RELATIONS.keys())
    raise ValueError(f"fact predicate {fact.predicate!r} is not a kg relation (one of {known}): {fact}")


def _object(fact: Fact, entities: dict[str, URIRef]) -> Node:
    if not fact.is_literal:
        if fact.predicate not in ENTITY_RELATIONS:
            raise ValueError(f"kg:{fact.predicate} takes a {LITERAL_RELATIONS[fact.predicate]!r} "
                             f"literal, this fact's object is an entity key: {fact}")
        return _lookup(entities, fact.object, "object entity", fact)
    expected = LITERAL_RELATIONS.get(fact.predicate)
    if fact.datatype != expected:
        wanted = f"a {expected!r} literal" if expected else "an entity"
        raise ValueError(f"kg:{fact.predicate} takes {wanted}, "
                         f"this fact has a {fact.datatype!r} literal: {fact}")
    return _date(fact.object, fact) if expected == "date" else Literal(_clean(fact.object))


def _date(value: str, fact: Fact) -> Literal:
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError("not YYYY-MM-DD")
        return Literal(dt.date.fromisoformat(value))
    except ValueError as error:
        raise ValueError(f"date {value!r} is not an ISO calendar date ({error}): {fact}") from error


def _decimal(value: float) -> Literal:
    # via str() for the shortest round-tripping digits, "f" so that small
    # values are written 0.00001, never 1E-5 (not an xsd:decimal lexical form)
    return Literal(format(Decimal(str(value)), "f"), datatype=XSD.decimal)


def _lookup(iris: dict[str, URIRef], key: str, what: str, fact: Fact) -> URIRef:
    try:
        return iris[key]
    except KeyError:
        raise ValueError(f"fact refers to unknown {what} {key!r}: {fact}") from None


def _clean(text: str) -> str:
    """Lone surrogates cannot be written as UTF-8 and are not RDF characters:
    each becomes U+FFFD; well-formed surrogate pairs become their character."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# --------------------------------------------------------------------------
# Files

def serialize(graph: Graph, path: str | os.PathLike[str], fmt: str) -> Path:
    """Write graph as fmt (a FORMATS key) to path, atomically.

    Only TriG keeps graph names (a plain Graph becomes its default graph);
    Turtle, N-Triples and JSON-LD get the union of a Dataset's graphs.  The
    file is written next to path, read back and checked to hold as many
    statements as were written before it replaces path, so a failed write
    never leaves a truncated or unreadable file.
    """
    rdflib_format = _rdflib_format(fmt)
    source = _as_dataset(graph) if fmt == "trig" else union(graph)
    options = {"context": _jsonld_context(source), "auto_compact": True} if fmt == "jsonld" else {}
    data = source.serialize(format=rdflib_format, encoding="utf-8", **options)
    return write_atomic(path, lambda out: out.write(data), lambda tmp: _check_written(source, tmp, fmt))


def parse_back(path: str | os.PathLike[str], fmt: str) -> Graph:
    """Read a file written by serialize: a Dataset for TriG, a Graph otherwise."""
    graph = Dataset() if fmt == "trig" else Graph()
    return graph.parse(Path(path), format=_rdflib_format(fmt))


def _rdflib_format(fmt: str) -> str:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown RDF format {fmt!r}; expected one of {sorted(FORMATS)}") from None


def _check_written(source: Graph, path: Path, fmt: str) -> None:
    expected, found = _statement_count(source), _statements_in(path, fmt)
    if expected != found:
        raise ValueError(f"{fmt} output reads back as {found} statements, {expected} were written")


def _statements_in(path: Path, fmt: str) -> int:
    """How many distinct statements a written file holds, read by pyoxigraph
    where it can (20 to 30 times faster than rdflib).  Distinct, as a Graph
    counts them, so a write that merges two statements into one (rdflib
    writes every lone surrogate as "?") does not pass."""
    if fmt in _READ_BACK:
        return len(set(pyoxigraph.parse(path=path, format=_READ_BACK[fmt])))
    return _statement_count(parse_back(path, fmt))


def _statement_count(graph: Graph) -> int:
    return sum(1 for _ in graph.quads()) if isinstance(graph, Dataset) else len(graph)


def union(graph: Graph) -> Graph:
    """A Dataset's graphs merged into one Graph (names dropped); a plain Graph
    as it is."""
    if not isinstance(graph, Dataset):
        return graph
    merged = _with_prefixes_of(graph, Graph(bind_namespaces="core"))
    for s, p, o, _ in graph.quads():
        merged.add((s, p, o))
    return merged


def _as_dataset(graph: Graph) -> Dataset:
    if isinstance(graph, Dataset):
        return graph
    dataset = _with_prefixes_of(graph, Dataset())
    for triple in graph:
        dataset.add(triple)
    return dataset


def _with_prefixes_of(source: Graph, target: GraphT) -> GraphT:
    for prefix, namespace in source.namespaces():
        target.bind(prefix, namespace)
    return target


def _jsonld_context(graph: Graph) -> dict[str, str]:
    return {prefix: str(namespace) for prefix, namespace in graph.namespaces()
            if prefix in _PREFIXES or prefix == DATA_PREFIX}


# --------------------------------------------------------------------------
# Validation

def validate(data: Graph | str | os.PathLike[str]) -> tuple[bool, str]:
    """(conforms, pySHACL's report text) for a graph, a dataset or a file
    written by serialize, against ontologies/shapes.ttl.

    A dataset is validated as the union of its graphs, because facts in a
    document's graph point at entities typed in the default graph.  kg.ttl is
    mixed in as the ontology graph, with no inference (see shapes.ttl).
    """
    import pyshacl  # imported here: builds with --no-validate and queries do without it

    graph = union(data if isinstance(data, Graph) else _read(Path(data)))
    conforms, _, text = pyshacl.validate(graph, shacl_graph=_shapes(), ont_graph=_ontology(),
                                         inference="none", abort_on_first=False)
    return bool(conforms), str(text)


def _read(path: Path) -> Graph:
    return parse_back(path, path.suffix.lstrip("."))


@functools.cache
def _ontology() -> Graph:
    return _resource_graph("kg.ttl")


@functools.cache
def _shapes() -> Graph:
    return _resource_graph("shapes.ttl")


def _resource_graph(name: str) -> Graph:
    text = importlib.resources.files("kg.ontologies").joinpath(name).read_text(encoding="utf-8")
    return Graph().parse(data=text, format="turtle")
