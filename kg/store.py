"""Large graphs: fast serialization with pyoxigraph, a persistent store that
builds accumulate into, and pushing a file to a SPARQL Graph Store.

* write_graph is what a build writes RDF with: kg.rdf.serialize (rdflib,
  pretty, checked) up to FAST_ABOVE statements, fast_serialize past it.
  rdflib's writers are pure Python (about 30 s for 400k triples of Turtle
  on a busy 2-core machine); pyoxigraph's are native, 5-8x faster end to
  end, conversion from rdflib included (bench/RESULTS.md).
* DocumentStore is a pyoxigraph (RocksDB) store laid out like
  kg.rdf.to_dataset: entities and documents in the default graph, each
  document's facts in the graph named by the document's IRI.  Storing a build
  replaces what earlier builds said about the same documents and leaves
  other documents alone, so a store can grow build by build.  The folder is
  also what ``oxigraph serve --location DIR`` serves (not while a build has
  it open: the store is locked by its writer).
* push sends a file to a SPARQL 1.1 Graph Store HTTP Protocol endpoint.
"""
from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from kg.files import write_atomic
from kg import rdf
from kg.vocab import KG

# Past this many statements a build writes Turtle, N-Triples and TriG with pyoxigraph.
FAST_ABOVE = 100_000
_FAST_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "trig": ox.RdfFormat.TRIG}
# file extension -> media type, for push
MEDIA_TYPES = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
               "trig": "application/trig", "nq": "application/n-quads"}
_DATASET_FORMATS = {"trig", "nq"}


# --------------------------------------------------------------------------
# Serialization

def write_graph(graph: Graph, path: str | os.PathLike[str], fmt: str) -> Path:
    """Write graph as fmt (a kg.rdf.FORMATS key) to path, atomically, by
    whichever writer suits its size."""
    if fmt in _FAST_FORMATS and _statement_count(graph) > FAST_ABOVE:
        return fast_serialize(graph, path, fmt)
    return rdf.serialize(graph, path, fmt)


def fast_serialize(graph: Graph, path: str | os.PathLike[str], fmt: str) -> Path:
    """Like kg.rdf.serialize for ttl, nt and trig, with pyoxigraph: written
    next to path, read back and counted, then renamed over path."""
    try:
        format_ = _FAST_FORMATS[fmt]
    except KeyError:
        raise ValueError(f"fast serialization writes {sorted(_FAST_FORMATS)}, not {fmt!r}") from None
    if fmt == "trig":
        statements = list(_quads(graph))
    else:
        statements = [quad.triple for quad in _quads(rdf.union(graph))]
    if fmt != "nt":
        # grouped by graph, subject and predicate, Turtle and TriG can say
        # each subject once, with ";" and ","
        statements.sort(key=_grouping)
    # Data IRIs are written in full: their percent-encoded local names would
    # need backslash escapes as kgr: names, which some readers get wrong.
    prefixes = {prefix: str(namespace) for prefix, namespace in graph.namespaces() if prefix != rdf.DATA_PREFIX}
    def verify(tmp: Path) -> None:
        found = sum(1 for _ in ox.parse(path=tmp, format=format_))
        if found != len(statements):
            raise ValueError(f"{fmt} output reads back as {found} statements, {len(statements)} were written")

    return write_atomic(path, lambda out: ox.serialize(statements, out, format_, prefixes=prefixes), verify)


def _grouping(statement: ox.Quad | ox.Triple) -> tuple[str, str, str]:
    named = isinstance(statement, ox.Quad) and isinstance(statement.graph_name, ox.NamedNode)
    return (statement.graph_name.value if named else "", statement.subject.value, statement.predicate.value)


def _statement_count(graph: Graph) -> int:
    return sum(1 for _ in graph.quads()) if isinstance(graph, Dataset) else len(graph)


def _quads(graph: Graph) -> Iterator[ox.Quad]:
    """pyoxigraph quads of an rdflib Graph (all in the default graph) or
    Dataset.  Terms repeat a lot, so each is converted once."""
    memo: dict[Node, ox.NamedNode | ox.BlankNode | ox.Literal] = {}

    def term(node: Node):
        converted = memo.get(node)
        if converted is None:
            converted = memo[node] = _term(node)
        return converted

    if isinstance(graph, Dataset):
        for s, p, o, g in graph.quads():
            name = ox.DefaultGraph() if g is None or g == DATASET_DEFAULT_GRAPH_ID else term(g)
            yield ox.Quad(term(s), term(p), term(o), name)
    else:
        for s, p, o in graph:
            yield ox.Quad(term(s), term(p), term(o))


def _term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None and node.datatype != XSD.string:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise TypeError(f"not an RDF term: {node!r}")


# --------------------------------------------------------------------------
# Persistent store

class StoreError(RuntimeError):
    """The store folder cannot be opened; one line."""


class DocumentStore:
    """A persistent store of kg builds (see the module docstring).

    Use as a context manager; the folder is created when missing.
    """

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(self.directory))
        except OSError as error:   # most often: another process has it open
            raise StoreError(f"{self.directory}: cannot open the store ({error})") from None

    def __enter__(self) -> DocumentStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._store.flush()
        del self._store     # releases the RocksDB lock

    def replace_documents(self, dataset: Dataset) -> int:
        """Store a build (kg.rdf.to_dataset's layout); returns how many
        documents it replaced or added.

        For every document of the build this first removes its named graph,
        its own description and the kg:mentionedIn links to it, and entities
        that no other document mentions; a new rdfs:label replaces an
        entity's old one; other alternative labels accumulate.  The removal
        and the insertion are one transaction each: should the process die
        between them, storing the same build again repairs the store.
        """
        documents = sorted({s for s, _, _, g in dataset.quads((None, RDF.type, KG.Document, None))
                            if g is None or g == DATASET_DEFAULT_GRAPH_ID})
        labelled = sorted({s for s, _, _, _ in dataset.quads((None, RDFS.label, None, None))})
        if documents:
            self._store.update(_REPLACE_DOCUMENTS.format(
                documents=" ".join(_sparql(documents)), document_list=", ".join(_sparql(documents)),
                labelled=" ".join(_sparql(labelled)),
                mentioned_in=_sparql([KG.mentionedIn])[0], label=_sparql([RDFS.label])[0]))
        self._store.extend(_quads(dataset))
        return len(documents)

    def quads(self) -> list[ox.Quad]:
        return list(self._store)


def _sparql(iris: list[URIRef]) -> list[str]:
    # pyoxigraph checks each IRI and writes it as <...>: a safe SPARQL term
    return [str(ox.NamedNode(str(iri))) for iri in iris]


# One update request, so one transaction.  Entities that only the rebuilt
# documents mention go first, while their kg:mentionedIn links still say so.
_REPLACE_DOCUMENTS = """
DELETE {{ ?entity ?p ?o }} WHERE {{
  VALUES ?document {{ {documents} }}
  ?entity {mentioned_in} ?document .
  FILTER NOT EXISTS {{ ?entity {mentioned_in} ?other . FILTER(?other NOT IN ({document_list})) }}
  ?entity ?p ?o
}} ;
DELETE {{ GRAPH ?document {{ ?s ?p ?o }} }} WHERE {{ VALUES ?document {{ {documents} }} GRAPH ?document {{ ?s ?p ?o }} }} ;
DELETE {{ ?document ?p ?o }} WHERE {{ VALUES ?document {{ {documents} }} ?document ?p ?o }} ;
DELETE {{ ?entity {mentioned_in} ?document }} WHERE {{ VALUES ?document {{ {documents} }} ?entity {mentioned_in} ?document }} ;
DELETE {{ ?entity {label} ?old }} WHERE {{ VALUES ?entity {{ {labelled} }} ?entity {label} ?old }}
"""


# --------------------------------------------------------------------------
# Graph Store Protocol

class PushError(RuntimeError):
    """The endpoint could not be reached or refused the file; one line."""


def push(path: str | os.PathLike[str], endpoint: str, graph: str | None = None, *,
         append: bool = False, timeout: float = 300.0) -> int:
    """Send an RDF file to a SPARQL 1.1 Graph Store HTTP Protocol endpoint
    (for Oxigraph: http://HOST:PORT/store); returns the HTTP status.

    A graph file goes to the graph named ``graph``, or to the default graph;
    a dataset file (TriG, N-Quads) to the endpoint itself, which is not part
    of the protocol but is how Oxigraph and Fuseki take datasets.  PUT
    replaces the target (for a dataset: the whole store), ``append`` POSTs
    (adds to it).
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in MEDIA_TYPES:
        raise PushError(f"{path}: unknown RDF format {fmt!r}; expected one of {', '.join(sorted(MEDIA_TYPES))}")
    if fmt in _DATASET_FORMATS and graph is not None:
        raise PushError(f"{path}: a {fmt} file holds named graphs of its own; push it without a graph IRI")
    if graph is not None:
        try:
            ox.NamedNode(graph)
        except ValueError as error:
            raise PushError(f"graph IRI {graph!r} is not a valid absolute IRI: {error}") from None
    if fmt in _DATASET_FORMATS:
        url = _checked_url(endpoint)
    else:
        url = _with_query(_checked_url(endpoint), urllib.parse.urlencode({"graph": graph}) if graph else "default")
    try:
        body = path.open("rb")
        size = path.stat().st_size
    except OSError as error:
        raise PushError(f"{path}: cannot read ({error.strerror or error})") from None
    request = urllib.request.Request(url, data=body, method="POST" if append else "PUT",
                                     headers={"Content-Type": MEDIA_TYPES[fmt], "Content-Length": str(size)})
    try:
        with body, urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        detail = error.read(500).decode("utf-8", "replace").strip().splitlines()
        raise PushError(f"{url}: HTTP {error.code} {error.reason}" + (f": {detail[0]}" if detail else "")) from None
    except urllib.error.URLError as error:
        raise PushError(f"{url}: cannot connect ({error.reason})") from None
    except OSError as error:     # a timeout or a reset connection mid-upload
        raise PushError(f"{url}: {error}") from None


def _checked_url(endpoint: str) -> str:
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PushError(f"endpoint {endpoint!r} is not an http(s) URL")
    return endpoint


def _with_query(url: str, param: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(query=f"{parts.query}&{param}" if parts.query else param))
