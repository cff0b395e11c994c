"""kg eval's matching and scoring, on an Extraction built from a CoNLL-U fixture."""
from pathlib import Path

import pytest

from kg.build import extract
from kg.evaluate import GoldError, load_gold, score_item, summarize
from kg.parse import from_conllu

FIXTURE = Path(__file__).parent / "fixtures" / "meets_apposition.conllu"


@pytest.fixture(scope="module")
def extraction():
    return extract([from_conllu(FIXTURE.read_text(encoding="utf-8"), "fx")])


def gold(*triples, optional=()):
    as_dicts = lambda ts: [{"s": s, "p": p, "o": o} for s, p, o in ts]
    return {"id": "fx", "text": "", "triples": as_dicts(triples), "optional": as_dicts(optional)}


def test_symmetric_relation_matches_either_way_and_alternatives(extraction):
    r = score_item(gold(("Rutte|Mark Rutte", "meets", "emmanuel macron")), extraction)
    assert len(r["tp"]) == 1 and not r["missed"]


def test_title_literal_is_contained_and_articles_are_ignored(extraction):
    r = score_item(gold(("Il segretario generale|Mark Rutte", "title", "segretario")), extraction)
    assert [p.relation for p in r["tp"]] == ["title"]


def test_missed_and_spurious_are_reported(extraction):
    r = score_item(gold(("Emmanuel Macron", "visits", "Parigi")), extraction)
    assert r["missed"] == [{"s": "Emmanuel Macron", "p": "visits", "o": "Parigi"}]
    assert {p.relation for p in r["spurious"]} == {"meets", "title", "member_of"}


def test_optional_triples_count_neither_way(extraction):
    predicted = [("Emmanuel Macron", "meets", "Mark Rutte"), ("Emmanuel Macron", "title", "presidente"),
                 ("Mark Rutte", "title", "segretario generale"), ("Emmanuel Macron", "member_of", "Francia")]
    r = score_item(gold(*predicted, optional=[("Mark Rutte", "member_of", "NATO")]), extraction)
    report = summarize([({"id": "fx"}, r)])
    assert (report["precision"], report["recall"], report["f1"]) == (1.0, 1.0, 1.0)
    assert report["per_relation"]["title"]["tp"] == 2


def test_precision_recall_arithmetic(extraction):
    r = score_item(gold(("Emmanuel Macron", "meets", "Mark Rutte"), ("Emmanuel Macron", "visits", "Parigi")),
                   extraction)
    report = summarize([({"id": "fx"}, r)])
    assert report["tp"] == 1 and report["fn"] == 1 and report["fp"] == 4
    assert report["precision"] == 0.2 and report["recall"] == 0.5


def test_bad_gold_names_file_and_line(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"text": "x", "triples": []}\n{"text": "y", "triples": [{"s": "a", "p": "likes", "o": "b"}]}\n')
    with pytest.raises(GoldError, match=r"g.jsonl:2: unknown relation 'likes'"):
        load_gold(path)


def test_seed_and_dev_gold_files_load():
    root = Path(__file__).parent
    for path in [root / "gold" / "dev.jsonl", root.parent.parent / "shared" / "gold" / "seed.jsonl"]:
        if path.exists():
            assert load_gold(path)
