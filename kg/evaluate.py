"""``kg eval``: score extracted core triples against a gold JSONL file.

Gold lines: {"id", "text", "date"?, "triples": [{"s","p","o"}], "optional": [...]}.
``s``/``o`` hold alternatives separated by "|", matched case-insensitively
against an entity's labels (articles ignored, apostrophes normalized).  ``o``
is a literal for ``title`` (equal or contained), ``date`` (ISO) and "*"
(anything) for ``says``/``announces``.  ``meets`` and ``spouse`` are
symmetric.  Predicted triples matching ``optional`` count neither way.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kg.build import extract, parse_documents
from kg.cache import ParseCache
from kg.inputs import InputDocument
from kg.mentions import normalize_name
from kg.types import Extraction

CORE = {"meets": "meets", "chaired_by": "chairedBy", "participates_in": "participatesIn",
        "title": "title", "member_of": "memberOf", "says": "says", "announces": "announces",
        "located_in": "locatedIn", "date": "date", "supports": "supports", "spouse": "spouse",
        "visits": "visits"}
PREDICATE_TO_GOLD = {v: k for k, v in CORE.items()}
SYMMETRIC = {"meets", "spouse"}


class GoldError(ValueError):
    pass


@dataclass(frozen=True)
class Predicted:
    relation: str
    subject: tuple[str, ...]        # normalized labels of the subject entity
    object: tuple[str, ...]         # normalized labels, or the literal
    display: str


def load_gold(path: Path) -> list[dict]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or "triples" not in item:
            raise GoldError(f"{path}:{number}: a gold item needs 'text' and 'triples'")
        for triple in item["triples"] + item.get("optional", []):
            if triple.get("p") not in CORE:
                raise GoldError(f"{path}:{number}: unknown relation {triple.get('p')!r}")
        items.append(item)
    return items


def predicted_triples(extraction: Extraction) -> list[Predicted]:
    entities = {e.key: e for e in extraction.entities}

    def labels(key: str) -> tuple[str, ...]:
        e = entities.get(key)
        names = (e.label, *e.alt_labels) if e else (key,)
        return tuple(dict.fromkeys(normalize_name(n) for n in names))

    out: dict[tuple, Predicted] = {}
    for fact in extraction.facts:
        relation = PREDICATE_TO_GOLD.get(fact.predicate)
        if relation is None:
            continue
        subject = labels(fact.subject)
        if fact.is_literal:
            obj = ("*",) if relation in ("says", "announces") else (fact.object.lower(),)
        else:
            obj = labels(fact.object)
        display_obj = obj[0] if fact.is_literal else entities[fact.object].label if fact.object in entities else fact.object
        key = (relation, fact.subject, obj if fact.is_literal else fact.object)
        out.setdefault(key, Predicted(relation, subject, obj, f"{subject[0]} {relation} {display_obj}"))
    return list(out.values())


def _names(alternatives: str) -> set[str]:
    return {normalize_name(a) for a in alternatives.split("|")}


def matches(pred: Predicted, gold: dict) -> bool:
    if pred.relation != gold["p"]:
        return False
    orientations = [(pred.subject, pred.object)]
    if pred.relation in SYMMETRIC:
        orientations.append((pred.object, pred.subject))
    for subject, obj in orientations:
        if not set(subject) & _names(gold["s"]):
            continue
        if gold["o"] == "*" and pred.relation in ("says", "announces"):
            return True
        if pred.relation == "title":
            want = normalize_name(gold["o"])
            if any(want == o or want in o or (o and o in want) for o in obj):
                return True
        elif set(obj) & _names(gold["o"]):
            return True
    return False


def score_item(item: dict, extraction: Extraction) -> dict:
    predicted = predicted_triples(extraction)
    gold, optional = item["triples"], item.get("optional", [])
    found = [False] * len(gold)
    true_pos, spurious = [], []
    for pred in predicted:
        hit = [i for i, g in enumerate(gold) if matches(pred, g)]
        if hit:
            fresh = [i for i in hit if not found[i]]
            if fresh:
                found[fresh[0]] = True
                true_pos.append(pred)
            continue
        if any(matches(pred, g) for g in optional):
            continue
        spurious.append(pred)
    missed = [g for g, f in zip(gold, found) if not f]
    return {"tp": true_pos, "spurious": spurious, "missed": missed, "gold": gold}


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def evaluate(gold_path: Path, models: str | None = None, rule_files: Iterable[Path] = (),
             cache: ParseCache | None = None) -> dict:
    """Score every gold item; texts found in ``cache`` are not parsed again."""
    items = load_gold(gold_path)
    inputs = [InputDocument(item.get("id", f"item-{i}"), item["text"], f"{gold_path}:{i + 1}",
                            dt.date.fromisoformat(item["date"]) if item.get("date") else None)
              for i, item in enumerate(items)]
    parsed = parse_documents(inputs, None, models, cache=cache)
    if parsed.errors:
        raise GoldError(parsed.errors[0])
    docs = parsed.documents
    rule_files = tuple(rule_files)
    results = [(item, score_item(item, extract([doc], rule_files=rule_files))) for item, doc in zip(items, docs)]
    return summarize(results)


def summarize(results: list[tuple[dict, dict]]) -> dict:
    per_relation: dict[str, list[int]] = {r: [0, 0, 0] for r in CORE}
    missed, spurious = [], []
    for item, r in results:
        for pred in r["tp"]:
            per_relation[pred.relation][0] += 1
        for pred in r["spurious"]:
            per_relation[pred.relation][1] += 1
            spurious.append({"id": item.get("id"), "triple": pred.display})
        for g in r["missed"]:
            per_relation[g["p"]][2] += 1
            missed.append({"id": item.get("id"), "s": g["s"], "p": g["p"], "o": g["o"]})
    totals = [sum(v[i] for v in per_relation.values()) for i in range(3)]
    report = _prf(*totals)
    report["per_relation"] = {r: _prf(*v) for r, v in per_relation.items() if any(v)}
    report["missed"] = missed
    report["spurious"] = spurious
    report["items"] = len(results)
    return report


def format_report(report: dict) -> str:
    lines = [f"items {report['items']}  precision {report['precision']:.3f}  recall {report['recall']:.3f}  "
             f"F1 {report['f1']:.3f}  (tp {report['tp']}, fp {report['fp']}, fn {report['fn']})", "",
             f"{'relation':<16}{'P':>7}{'R':>7}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}"]
    for relation, s in report["per_relation"].items():
        lines.append(f"{relation:<16}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                     f"{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}")
    if report["missed"]:
        lines += ["", "missed:"] + [f"  [{m['id']}] {m['s']} {m['p']} {m['o']}" for m in report["missed"]]
    if report["spurious"]:
        lines += ["", "spurious:"] + [f"  [{s['id']}] {s['triple']}" for s in report["spurious"]]
    return "\n".join(lines)
