"""The ``kg`` command through kg.cli.main, as a user meets it: help texts,
exit codes, one-line errors and the files each command writes.  No test here
loads the Stanza models; graphs come from a CoNLL-U fixture and a hand-built
extraction."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pyoxigraph
import pytest

from kg import rdf
from kg.build import extract
from kg.cli import _parser, main
from kg.parse import from_conllu
from kg.types import EVENT, ORGANIZATION, Document, Entity, Extraction, Fact, Provenance, Sentence

FIXTURES = Path(__file__).parent / "fixtures"
QUERIES = Path(__file__).parent.parent / "examples" / "queries"

MACRON, PARIS = "person/emmanuel macron", "place/parigi"
MEETING, COALITION = "event/riunione-coalizione", "organization/coalizione dei volenterosi"
SEED_TEXT = ("Macron ha detto che faremo il punto sulla Russia. "
             "La riunione della Coalizione dei volenterosi si terrà giovedì 4 settembre a Parigi.")


def _seed_fact(subject: str, predicate: str, obj: str, span: str, datatype: str | None = None) -> Fact:
    # the parsed fixture has no events or speech; these facts give every
    # example query something to find
    start = SEED_TEXT.index(span)
    sentence = 0 if start < SEED_TEXT.index("La riunione") else 1
    provenance = Provenance("seed", sentence, start, start + len(span), f"test-{predicate}@1",
                            SEED_TEXT.split(". ")[sentence])
    return Fact(subject, predicate, obj, provenance, datatype, 0.8)


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory) -> Path:
    parsed = extract([from_conllu((FIXTURES / "meets_apposition.conllu").read_text(encoding="utf-8"), "doc")])
    seed = Document("seed", SEED_TEXT, (Sentence(0, SEED_TEXT, 0, len(SEED_TEXT), ()),), dt.date(2025, 9, 1))
    facts = (
        _seed_fact(MACRON, "says", "faremo il punto sulla Russia", "Macron ha detto che faremo il punto sulla Russia",
                   "string"),
        _seed_fact(MEETING, "eventOf", COALITION, "riunione della Coalizione dei volenterosi"),
        _seed_fact(MEETING, "date", "2025-09-04", "si terrà giovedì 4 settembre", "date"),
        _seed_fact(MEETING, "locatedIn", PARIS, "si terrà giovedì 4 settembre a Parigi"),
        _seed_fact(MACRON, "memberOf", COALITION, "Macron"),
    )
    extraction = Extraction(
        documents=parsed.documents + (seed,),
        entities=parsed.entities + (Entity(MEETING, EVENT, "riunione della Coalizione dei volenterosi"),
                                    Entity(COALITION, ORGANIZATION, "Coalizione dei volenterosi")),
        facts=parsed.facts + facts)
    path = tmp_path_factory.mktemp("graph") / "g.ttl"
    rdf.serialize(rdf.to_graph(extraction), path, "ttl")
    return path


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --------------------------------------------------------------------------
# help

def _subcommands() -> list[str]:
    # read from the parser, so a subcommand added later is held to the same rule
    actions = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


def test_core_subcommands_exist():
    assert {"build", "eval", "validate", "render", "query", "models"} <= set(_subcommands())


@pytest.mark.parametrize("command", _subcommands())
def test_subcommand_help_shows_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "Example:" in capsys.readouterr().out


def test_console_script_is_installed():
    # next to the interpreter, so the test checks this environment's script
    # and not whichever `kg` is first on PATH
    script = Path(sys.executable).with_name("kg")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Example:" in done.stdout and "Exit codes" in done.stdout


# --------------------------------------------------------------------------
# validate

def test_validate_good_graph(graph_file, capsys):
    assert main(["validate", str(graph_file)]) == 0
    assert "conforms" in capsys.readouterr().out


def test_validate_graph_violating_the_shapes(tmp_path, capsys):
    bad = tmp_path / "bad.ttl"
    # a person without the one rdfs:label EntityShape requires
    bad.write_text("@prefix kg: <https://w3id.org/kg-it/ontology#> .\n"
                   "<https://w3id.org/kg-it/resource/person%2Fnessuno> a kg:Person .\n", encoding="utf-8")
    assert main(["validate", str(bad)]) == 1
    assert "does not conform" in capsys.readouterr().out


@pytest.mark.parametrize("name, content, reason", [
    ("notes.ttl", "Il presidente ha incontrato il segretario.\n", "syntax"),
    ("notes.txt", "@prefix kg: <x> .\n", "unknown graph format")])
def test_validate_non_rdf_file(tmp_path, capsys, name, content, reason):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert str(path) in line and reason in line.lower()
    assert captured.out == ""


# --------------------------------------------------------------------------
# render

def test_render_html(graph_file, tmp_path, capsys):
    view = tmp_path / "v.html"
    assert main(["render", str(graph_file), "-o", str(view)]) == 0
    page = view.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Emmanuel Macron" in page
    assert str(view) in capsys.readouterr().out


def test_render_graphml(graph_file, tmp_path):
    out = tmp_path / "g.graphml"
    assert main(["render", str(graph_file), "-o", str(out)]) == 0
    view = nx.read_graphml(out)
    assert "Mark Rutte" in {label for _, label in view.nodes(data="label")}


# --------------------------------------------------------------------------
# query

MEETS = "SELECT ?a ?b WHERE { ?a kg:meets ?b }"


def test_query_prints_a_table(graph_file, capsys):
    assert main(["query", str(graph_file), MEETS]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["a", "b"]
    assert set(out[1]) <= {"-", " "}
    assert "person%2Femmanuel%20macron" in out[2]
    assert out[-1] == "(1 rows)"


def test_query_csv(graph_file, capsys):
    assert main(["query", str(graph_file), MEETS, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["a", "b"] and len(rows) == 2
    assert rows[1][1].endswith("person%2Fmark%20rutte")


def test_query_json(graph_file, capsys):
    assert main(["query", str(graph_file), MEETS, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [sorted(row) for row in rows] == [["a", "b"]]


def test_bad_query(graph_file, capsys):
    assert main(["query", str(graph_file), "SELECT ?a WHERE { ?a kg:meets"]) == 2
    captured = capsys.readouterr()
    assert "bad SPARQL query" in _one_line(captured.err)
    assert captured.out == ""


def test_query_needs_exactly_one_query(graph_file, capsys):
    assert main(["query", str(graph_file)]) == 2
    assert main(["query", str(graph_file), MEETS, "--file", str(QUERIES / "people.rq")]) == 2


@pytest.mark.parametrize("query", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.name)
def test_example_query_finds_something(graph_file, query, capsys):
    assert main(["query", str(graph_file), "--file", str(query), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out), f"{query.name} found nothing"


def test_there_are_example_queries():
    # the parametrized test above silently runs nothing if the folder moves
    assert len(list(QUERIES.glob("*.rq"))) >= 4


@pytest.mark.parametrize("query", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.name)
def test_example_query_runs_in_another_triple_store(graph_file, query):
    # Oxigraph predefines no prefixes (rdflib falls back on the graph's), so
    # this shows each file carries its own PREFIX lines and is plain SPARQL
    text = query.read_text(encoding="utf-8")
    assert text.startswith("#"), f"{query.name} has no comment header"
    store = pyoxigraph.Store()
    store.load(path=str(graph_file), format=pyoxigraph.RdfFormat.TURTLE)
    assert list(store.query(text))


# --------------------------------------------------------------------------
# missing inputs

def test_eval_missing_file(tmp_path, capsys):
    missing = tmp_path / "gold.jsonl"
    assert main(["eval", str(missing)]) == 2
    assert str(missing) in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("command", ["build", "eval"])
def test_a_bad_rule_file_stops_the_command_before_parsing(tmp_path, capsys, command):
    rules, text, out = tmp_path / "mine.yaml", tmp_path / "articolo.txt", tmp_path / "out"
    rules.write_text("rule:\n- id: misspelt\n", encoding="utf-8")
    text.write_text("Mario Rossi ha incontrato Luca Bianchi.", encoding="utf-8")
    source = [str(text), "-o", str(out)] if command == "build" else [str(Path(__file__).parent / "gold" / "dev.jsonl")]
    assert main([command, *source, "--rules", str(rules)]) == 2
    assert f"{rules}:1:" in _one_line(capsys.readouterr().err)
    assert not out.exists()


def test_build_missing_file_creates_nothing(tmp_path, capsys):
    missing, out = tmp_path / "articolo.txt", tmp_path / "out"
    assert main(["build", str(missing), "-o", str(out)]) == 2
    assert str(missing) in capsys.readouterr().err
    assert not out.exists()
