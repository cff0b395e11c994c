"""The whole pipeline with the real compact models on real text."""
from pathlib import Path

import pytest
from rdflib import Graph

from kg.cli import main
from kg.parse import compact_dir
from kg.rdf import validate

pytestmark = pytest.mark.models
if not (compact_dir() / "tokenizer.pt").is_file():
    pytest.skip("compact models are not installed in kg/models/compact", allow_module_level=True)

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "examples" / "coalizione-volenterosi.txt"
SEED_GOLD = SHARED / "gold" / "seed.jsonl"
INLINE = ("Roma, 3 marzo 2025 – Il ministro degli Esteri Antonio Tajani ha incontrato oggi a Roma "
          "il segretario di Stato americano Marco Rubio. Tajani ha dichiarato che l'Italia sostiene l'Ucraina.")


@pytest.fixture(scope="module")
def article(tmp_path_factory) -> Path:
    if SEED.is_file():
        return SEED
    path = tmp_path_factory.mktemp("in") / "articolo.txt"
    path.write_text(INLINE, encoding="utf-8")
    return path


def test_build_writes_valid_turtle_and_an_offline_view(article, tmp_path, capsys):
    assert main(["build", str(article), "-o", str(tmp_path), "--format", "ttl,trig,jsonld,html"]) == 0
    ttl = tmp_path / f"{article.stem}.ttl"
    graph = Graph().parse(ttl, format="turtle")
    conforms, report = validate(graph)
    assert conforms, report
    assert len(graph) > 50
    html = (tmp_path / f"{article.stem}.html").read_text(encoding="utf-8")
    assert "<script src=" not in html and "cdn." not in html
    assert "documents" in capsys.readouterr().out


@pytest.mark.skipif(not SEED_GOLD.is_file(), reason="the shared seed gold is not beside the repository")
def test_seed_gold_is_found_and_scored_again_from_the_parse_cache(tmp_path, capsys):
    import json

    assert main(["eval", str(SEED_GOLD), "--json", "--cache", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recall"] == 1.0, report["missed"]
    assert report["precision"] >= 0.9, report["spurious"]
    assert len(list(tmp_path.glob("*/*.json"))) == 1
    assert main(["eval", str(SEED_GOLD), "--json", "--cache", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == report
