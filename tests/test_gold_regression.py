"""Extraction quality on the development gold must not regress.

tests/gold/scores.json records what ``kg eval`` printed for each split with
the compact models; a drop of more than 0.05 F1 on the dev split fails."""
import json
from pathlib import Path

import pytest

from kg.evaluate import evaluate
from kg.parse import compact_dir

GOLD = Path(__file__).parent / "gold"
pytestmark = pytest.mark.models


@pytest.mark.skipif(not (compact_dir() / "tokenizer.pt").is_file(), reason="compact models are not installed")
def test_dev_f1_does_not_drop():
    recorded = json.loads((GOLD / "scores.json").read_text())["dev"]
    report = evaluate(GOLD / "dev.jsonl")
    assert report["f1"] >= recorded["f1"] - 0.05, (report["f1"], recorded)
