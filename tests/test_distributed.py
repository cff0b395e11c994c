"""The parse stage on a real Dask cluster gives the graph a single process
gives, and never sends a cached document to the workers."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
from distributed import LocalCluster
from rdflib import Graph

import corpus
from kg import distributed
from kg.build import build_corpus, parse_documents
from kg.cache import ParseCache

DOCS = corpus.documents(40)


def _triples(directory: Path) -> set:
    return set(Graph().parse(directory / "graph.ttl"))


def _build(output: Path, parser: corpus.FixtureParser, **options) -> None:
    result = build_corpus(corpus.inputs(DOCS), output=output, name="graph", formats=("ttl",),
                          validate=False, parser=parser, **options)
    assert result.errors == [] and result.documents == len(DOCS)


def test_two_local_workers_build_the_same_triples_as_one_process(tmp_path: Path):
    _build(tmp_path / "single", corpus.FixtureParser(DOCS))
    # half the corpus cached: the workers' parser knows only the other half,
    # so a cached document sent to a worker would come back as an error
    cache = ParseCache(tmp_path / "cache", model_id="fixture")
    for doc in DOCS[::2]:
        cache.put(doc)
    with distributed.connect(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        _build(tmp_path / "cluster", corpus.FixtureParser(DOCS[1::2]), cache=cache, client=client)
    assert _triples(tmp_path / "cluster") == _triples(tmp_path / "single")
    assert len(_triples(tmp_path / "single")) > 1000


def test_an_existing_cluster_is_reached_by_its_scheduler_address():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        with distributed.connect(scheduler=cluster.scheduler_address) as client:
            parsed = parse_documents(corpus.inputs(DOCS), None, None, parser=corpus.FixtureParser(DOCS),
                                     client=client)
            torch_threads = client.run(lambda: __import__("os").environ.get("KG_TORCH_THREADS"))
        assert parsed.documents == DOCS and parsed.errors == []
        assert set(torch_threads.values()) == {"1"}


def test_a_batch_that_fails_on_a_worker_costs_only_its_bad_document():
    texts = corpus.FixtureParser(DOCS[:5])
    bad = corpus.inputs(DOCS[5:6])
    with distributed.connect(workers=1) as client:
        parsed = parse_documents(corpus.inputs(DOCS[:5]) + bad, None, None, parser=texts, client=client)
    assert parsed.documents == DOCS[:5]
    assert len(parsed.errors) == 1 and parsed.errors[0].startswith("doc-5.txt: cannot parse (KeyError")


@pytest.mark.parametrize("kwargs", [{}, {"workers": 2, "scheduler": "tcp://127.0.0.1:8786"}, {"workers": 0}])
def test_connect_needs_exactly_one_positive_way_to_a_cluster(kwargs):
    with pytest.raises(ValueError):
        with distributed.connect(**kwargs):
            pass


def test_kg_build_workers_starts_and_stops_a_local_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from kg.cli import main

    folder, cache_dir = corpus.cached_folder(tmp_path, DOCS[:4])
    code = main(["build", str(folder), "-o", str(tmp_path / "out"), "--cache", str(cache_dir), "--format", "ttl",
                 "--no-validate", "--workers", "2"])
    assert code == 0, capsys.readouterr().err
    assert "4 documents (4 from the parse cache)" in capsys.readouterr().out


def test_kg_build_reports_an_unreachable_scheduler_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import dask

    from kg.cli import main

    folder, cache_dir = corpus.cached_folder(tmp_path, DOCS[:1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["build", str(folder), "-o", str(tmp_path / "out"), "--cache", str(cache_dir),
                     "--scheduler", f"tcp://127.0.0.1:{closed}"])
    assert code == 2
    assert "cannot start or reach the Dask cluster" in capsys.readouterr().err
