"""Large graphs: pyoxigraph serialization against rdflib, the persistent
per-document store, and kg push against a real Oxigraph server."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

import corpus
from kg import rdf, store
from kg.build import extract
from kg.cli import main
from kg.store import DocumentStore, PushError

EX = "https://example.org/"


def _graph(docs=None) -> Graph:
    return rdf.to_graph(extract(docs or corpus.documents(6)))


def _dataset(docs) -> Dataset:
    return rdf.to_dataset(extract(docs))


def _odd_terms() -> Graph:
    """Terms the kg graph lacks but a written graph may hold."""
    graph = Graph()
    graph.bind("ex", EX)
    s = URIRef(EX + "s%C3%A8")
    for o in (Literal("ciao", lang="it"), Literal("tab\t\"quote\"\nline \\ ✓"), Literal("3.10", datatype=rdf.XSD.decimal),
              Literal("x", datatype=URIRef(EX + "custom")), BNode("b1"), URIRef("urn:isbn:0451450523")):
        graph.add((s, URIRef(EX + "p"), o))
    graph.add((BNode("b1"), URIRef(EX + "p"), Literal(True)))
    return graph


@pytest.mark.parametrize("fmt", ["ttl", "nt"])
def test_fast_serialize_reads_back_isomorphic_with_rdflib(tmp_path: Path, fmt: str):
    graph = _graph() + _odd_terms()
    path = store.fast_serialize(graph, tmp_path / f"graph.{fmt}", fmt)
    assert isomorphic(rdf.parse_back(path, fmt), graph)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_fast_serialize_keeps_the_named_graphs_of_trig(tmp_path: Path):
    dataset = _dataset(corpus.documents(4))
    path = store.fast_serialize(dataset, tmp_path / "graph.trig", "trig")
    back = rdf.parse_back(path, "trig")
    assert {(s, p, o, g) for s, p, o, g in back.quads()} == {(s, p, o, g) for s, p, o, g in dataset.quads()}


def test_write_graph_switches_to_pyoxigraph_above_the_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    graph = _graph()
    rdflib_path = store.write_graph(graph, tmp_path / "small.ttl", "ttl")
    monkeypatch.setattr(store, "FAST_ABOVE", len(graph) - 1)
    fast_path = store.write_graph(graph, tmp_path / "large.ttl", "ttl")
    assert rdflib_path.read_bytes() != fast_path.read_bytes()   # two different writers
    assert isomorphic(rdf.parse_back(fast_path, "ttl"), rdf.parse_back(rdflib_path, "ttl"))
    assert rdf.validate(fast_path)[0]


def _quads_of(directory: Path) -> set[ox.Quad]:
    with DocumentStore(directory) as persistent:
        return set(persistent.quads())


def test_rebuilding_documents_replaces_them_in_the_store(tmp_path: Path):
    docs = corpus.documents(6)
    changed = corpus.documents(2, start=50)          # new texts (and people) under old ids
    changed = [corpus.FixtureParser(changed)([(old.id, new.text, None)])[0] for old, new in zip(docs[:2], changed)]
    with DocumentStore(tmp_path / "store") as persistent:
        assert persistent.replace_documents(_dataset(docs)) == 6
    before = _quads_of(tmp_path / "store")
    assert any("rossi0" in str(q.subject) for q in before)
    assert {q.graph_name.value for q in before if isinstance(q.graph_name, ox.NamedNode)} == \
        {str(rdf.mint_iri(rdf.DEFAULT_BASE + "document/", d.id)) for d in docs}
    with DocumentStore(tmp_path / "store") as persistent:
        persistent.replace_documents(_dataset(changed))
    with DocumentStore(tmp_path / "fresh") as persistent:
        persistent.replace_documents(_dataset(changed + docs[2:]))
    after = _quads_of(tmp_path / "store")
    assert after == _quads_of(tmp_path / "fresh")
    assert not any("rossi0" in str(q.subject) for q in after)    # only the old doc-0 named her
    # rebuilding the same documents again changes nothing
    with DocumentStore(tmp_path / "store") as persistent:
        persistent.replace_documents(_dataset(changed))
    assert _quads_of(tmp_path / "store") == after


def test_a_store_in_use_is_reported_in_one_line(tmp_path: Path):
    with DocumentStore(tmp_path / "store"):
        with pytest.raises(store.StoreError, match="cannot open the store"):
            DocumentStore(tmp_path / "store")


def test_kg_build_store_keeps_one_named_graph_per_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    docs = corpus.documents(5)
    folder, cache_dir = corpus.cached_folder(tmp_path, docs)
    args = ["build", str(folder), "-o", str(tmp_path / "out"), "--cache", str(cache_dir), "--format", "trig",
            "--no-validate", "--store", str(tmp_path / "store")]
    assert main(args) == 0
    assert f"stored 5 documents in {tmp_path / 'store'}" in capsys.readouterr().out
    stored = _quads_of(tmp_path / "store")
    assert len({q.graph_name for q in stored if isinstance(q.graph_name, ox.NamedNode)}) == 5
    assert stored == {q for q in ox.parse(path=str(tmp_path / "out" / "graph.trig"), format=ox.RdfFormat.TRIG)}
    with DocumentStore(tmp_path / "store"):              # held by another writer: refused before any work
        assert main(args) == 2
    assert "cannot open the store" in capsys.readouterr().err


# --------------------------------------------------------------------------
# kg push against a real server

def _oxigraph_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("oxigraph")
    return str(beside_python) if beside_python.is_file() else shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def oxigraph_server(tmp_path: Path) -> Iterator[str]:
    """An Oxigraph server on a free loopback port; yields its base URL."""
    binary = _oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server is not installed: pip install -e '.[test]'")
    port = _free_port()
    server = subprocess.Popen([binary, "serve", "--location", str(tmp_path / "oxigraph"),
                               "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"oxigraph did not start: {server.stderr.read().decode(errors='replace')}")
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _count(url: str, pattern: str) -> int:
    query = urllib.parse.urlencode({"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"})
    request = urllib.request.Request(f"{url}/query?{query}", headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


def test_push_sends_graphs_and_datasets_to_a_real_graph_store(tmp_path: Path, oxigraph_server: str):
    endpoint = f"{oxigraph_server}/store"
    graph, more = _graph(corpus.documents(5)), _graph(corpus.documents(3, start=20))
    ttl = rdf.serialize(graph, tmp_path / "graph.ttl", "ttl")
    nt = store.fast_serialize(more, tmp_path / "more.nt", "nt")
    named = f"<{EX}news>"

    assert main(["push", str(ttl), "--endpoint", endpoint, "--graph", EX + "news"]) == 0
    assert _count(oxigraph_server, f"GRAPH {named} {{ ?s ?p ?o }}") == len(graph)
    store.push(ttl, endpoint, EX + "news")                       # PUT again: replaced, not doubled
    assert _count(oxigraph_server, f"GRAPH {named} {{ ?s ?p ?o }}") == len(graph)
    store.push(nt, endpoint, EX + "news", append=True)
    assert _count(oxigraph_server, f"GRAPH {named} {{ ?s ?p ?o }}") == len(graph + more)

    store.push(nt, endpoint)                                     # the default graph
    assert _count(oxigraph_server, "?s ?p ?o") == len(more)

    dataset = _dataset(corpus.documents(4))
    trig = rdf.serialize(dataset, tmp_path / "graph.trig", "trig")
    store.push(trig, endpoint)                                   # PUT a dataset: replaces the whole store
    in_named_graphs = _count(oxigraph_server, "GRAPH ?g { ?s ?p ?o }")
    assert in_named_graphs + _count(oxigraph_server, "?s ?p ?o") == sum(1 for _ in dataset.quads())
    assert in_named_graphs == sum(len(g) for g in dataset.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID)


def test_push_failures_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    ttl = rdf.serialize(_graph(corpus.documents(1)), tmp_path / "graph.ttl", "ttl")
    closed = f"http://127.0.0.1:{_free_port()}/store"
    with pytest.raises(PushError, match="cannot connect"):
        store.push(ttl, closed, timeout=5)
    with pytest.raises(PushError, match="not an http"):
        store.push(ttl, "file:///etc/passwd")
    with pytest.raises(PushError, match="named graphs of its own"):
        store.push(tmp_path / "x.trig", closed, EX + "g")
    assert main(["push", str(ttl), "--endpoint", closed, "--graph", "not an iri"]) == 2
    assert "not a valid absolute IRI" in capsys.readouterr().err
