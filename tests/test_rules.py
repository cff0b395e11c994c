"""Rule behaviour on parsed sentences, without loading a model.

Each sentence in tests/fixtures/rules/*.conllu is a parse of real-style
Italian news text (from the compact models, checked and corrected by hand)
with the facts the rules must find (``# expect = relation | subject | object``)
and must not find (``# forbid = ...``).  Subjects and objects are entity
labels (any alternative label matches) or literal values.
"""
from pathlib import Path

import pytest

from kg.build import extract
from kg.parse import from_conllu

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "rules").glob("*.conllu"))


def blocks():
    for path in FIXTURES:
        for number, block in enumerate(b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()):
            yield pytest.param(block, id=f"{path.stem}-{number}")


def expectations(block: str, kind: str) -> set[tuple[str, str, str]]:
    out = set()
    for line in block.splitlines():
        if line.startswith(f"# {kind} = "):
            relation, subject, obj = (part.strip() for part in line.split("=", 1)[1].split("|"))
            out.add((relation, subject.lower(), obj.lower()))
    return out


def found_facts(block: str) -> set[tuple[str, str, str]]:
    extraction = extract([from_conllu(block, "fixture")])
    names = {e.key: {e.label.lower(), *(a.lower() for a in e.alt_labels)} for e in extraction.entities}
    out = set()
    for fact in extraction.facts:
        objects = {fact.object.lower()} if fact.is_literal else names[fact.object]
        out |= {(fact.predicate, s, o) for s in names[fact.subject] for o in objects}
    return out


@pytest.mark.parametrize("block", blocks())
def test_rules_on_fixture_sentence(block):
    check_expectations(block)


DOCUMENTS = Path(__file__).parent / "fixtures" / "coreference.conllu"


def documents():
    for number, document in enumerate(DOCUMENTS.read_text(encoding="utf-8").split("\n# newdoc\n")):
        yield pytest.param(document, id=f"coreference-{number}")


def every_fixture():
    """Single sentences and documents of several sentences alike."""
    yield from blocks()
    yield from documents()


@pytest.mark.parametrize("document", documents())
def test_rules_across_the_sentences_of_a_document(document):
    check_expectations(document)


def check_expectations(block: str) -> None:
    facts = found_facts(block)
    expected, forbidden = expectations(block, "expect"), expectations(block, "forbid")
    assert expected or forbidden, "a fixture sentence without expectations tests nothing"
    def found(e: tuple[str, str, str]) -> bool:  # "*": any object (what is said)
        return e in facts or e[2] == "*" and any(f[0] == e[0] and f[1] == e[1] for f in facts)

    missing = {e for e in expected if not found(e)}
    assert not missing, f"missing {sorted(missing)}; found {sorted(facts)}"
    present = {e for e in forbidden if found(e)}
    assert not present, f"forbidden facts found: {sorted(present)}"


def test_there_are_fixture_sentences_for_every_core_relation():
    text = "\n".join(p.read_text(encoding="utf-8") for p in FIXTURES)
    for relation in ("meets", "chairedBy", "participatesIn", "title", "memberOf", "says", "announces",
                     "locatedIn", "date", "supports", "spouse", "visits"):
        assert f"# expect = {relation} |" in text, relation


def test_every_rule_is_exercised_by_a_fixture_sentence():
    from kg.rules import load_rules

    fired = set()
    for block in every_fixture():
        fired |= {f.provenance.rule.split("@")[0] for f in extract([from_conllu(block.values[0], "f")]).facts}
    ruleset = load_rules()
    unexercised = [r.id for r in ruleset.rules if r.id not in fired] + \
        [i.id for i in ruleset.inferences if i.id not in fired]
    assert not unexercised, f"rules no fixture sentence exercises: {unexercised}"


def test_the_facts_of_every_fixture_sentence_make_a_graph_that_conforms_to_the_shapes():
    from kg import rdf

    parsed = [from_conllu(block.values[0], f"fixture-{n}") for n, block in enumerate(every_fixture())]
    conforms, report = rdf.validate(rdf.to_graph(extract(parsed)))
    assert conforms, report


def test_min_confidence_drops_less_trusted_facts_and_long_sentences_lower_confidence():
    from kg.rules import LONG_SENTENCE, parse_reliability
    from kg.types import Sentence

    block = next(b.values[0] for b in blocks() if "Michelle Obama" in b.values[0])
    doc = from_conllu(block, "f")
    all_facts = extract([doc]).facts
    kept = extract([doc], min_confidence=0.86).facts
    assert all_facts and set(kept) < set(all_facts)
    assert all(f.confidence >= 0.86 for f in kept)
    short, long_ = (Sentence(0, "", 0, 0, tuple(doc.sentences[0].words[:1]) * n) for n in (10, 2 * LONG_SENTENCE))
    assert parse_reliability(short) == 1.0 and parse_reliability(long_) == 0.6


def fixture_block(text: str) -> str:
    return next(b.values[0] for b in blocks() if f"# text = {text}\n" in b.values[0])


def test_a_proposal_is_a_node_only_where_a_fact_is_about_it():
    from kg import rdf
    from kg.types import PROPOSAL

    voted = extract([from_conllu(fixture_block("Il senatore Mario Rossi ha votato a favore dell'emendamento."), "a")])
    presented = extract([from_conllu(fixture_block("Il ministro ha presentato il programma del governo."), "b")])
    assert [e.label for e in voted.entities if e.type == PROPOSAL] == ["emendamento"]
    assert not [e for e in presented.entities if e.type == PROPOSAL]
    conforms, report = rdf.validate(rdf.to_graph(voted))
    assert conforms, report


# Rules whose example the compact parser reads otherwise (each is exercised by a
# hand-checked fixture sentence above); strict, so a better parser shows up here.
PARSED_OTHERWISE = {
    "meets-noun-with": "hangs 'con Joe Biden' on the verb (meets-noun-with-obl reads it)",
    "meets-call-to": "hangs 'a Olaf Scholz' on the verb, and its NER takes the name for a place",
    "participates-noun": "hangs 'al vertice' on the verb",
    "date-event-of-name": "hangs the date on the event, not on the name after it",
    "visits-on-visit": "tags 'Xi Jinping' as a place and hangs 'in visita' on the main verb",
}


def _rule_examples():
    from kg.rules import load_rules

    for rule in load_rules().rules:
        for number, example in enumerate(rule.examples):
            marks = [pytest.mark.xfail(strict=True, reason=f"the compact parser {PARSED_OTHERWISE[rule.id]}")] \
                if rule.id in PARSED_OTHERWISE else []
            yield pytest.param(rule.id, example, id=f"{rule.id}-{number}", marks=marks)


@pytest.mark.parametrize("rule_id, example", list(_rule_examples()))
def test_each_rule_matches_its_own_example_with_the_compact_models(rule_id, example):
    from kg import parse
    from kg.mentions import annotate, load_lexicon
    from kg.rules import _Context, load_rules, match

    rule = next(r for r in load_rules().rules if r.id == rule_id)
    annotated = annotate(parse.parse(example))
    assert any(next(match(_Context(annotated, sentence, load_lexicon()), rule), None)
               for sentence in annotated.document.sentences), example


@pytest.mark.parametrize("said, tidy", [
    ("«La riforma è necessaria».", "La riforma è necessaria"),
    ('"Una giornata storica"', "Una giornata storica"),
    ("Siamo soddisfatti»", "Siamo soddisfatti"),
    ("che «non cambierà nulla", "che «non cambierà nulla»"),
    ("di «ricomposizione», ha detto", "di «ricomposizione», ha detto"),
])
def test_what_is_said_keeps_its_quotation_marks_paired(said, tidy):
    from kg.rules import _tidy

    assert _tidy(said) == tidy


def sibling_rule(rule_id: str, anchor: tuple[str, str], op: str, other: tuple[str, str], predicate: str) -> str:
    """A test rule relating two nodes (E the event, P the place) by ``op``."""
    return f"""- id: {rule_id}
  version: 1
  example: "Il ministro ha parlato in conferenza stampa a Madrid."
  pattern:
    - {{RIGHT_ID: {anchor[0]}, RIGHT_ATTRS: {{ENT: {anchor[1]}}}}}
    - {{LEFT_ID: {anchor[0]}, REL_OP: "{op}", RIGHT_ID: {other[0]}, RIGHT_ATTRS: {{ENT: {other[1]}}}}}
  emit: [{{subject: E, predicate: {predicate}, object: P}}]
"""


# each test rule emits a predicate of its own, so that facts of one rule stay apart
SIBLING_RULES = "rules:\n" + "".join([
    sibling_rule("next-right", ("E", "Event"), "$+", ("P", "Place"), "locatedIn"),
    sibling_rule("next-left", ("P", "Place"), "$-", ("E", "Event"), "visits"),
    sibling_rule("any-right", ("E", "Event"), "$++", ("P", "Place"), "participatesIn"),
])

# the same sentence twice: the place right after the event phrase, then with "ieri" between
NEXT_SIBLINGS, SIBLINGS_APART = (Path(__file__).parent / "fixtures" / "siblings.conllu").read_text(
    encoding="utf-8").strip().split("\n\n")


@pytest.mark.parametrize("conllu, rules", [
    (NEXT_SIBLINGS, {"next-right@1", "next-left@1", "any-right@1"}),
    # "ieri" stands between the two (the commas do not count): no nearest sibling
    (SIBLINGS_APART, {"any-right@1"}),
])
def test_nearest_sibling_operators(tmp_path, conllu, rules):
    path = tmp_path / "siblings.yaml"
    path.write_text(SIBLING_RULES, encoding="utf-8")
    facts = extract([from_conllu(conllu, "siblings")], rule_files=[path]).facts
    own = {f.provenance.rule for f in facts if f.provenance.rule.split("@")[0] in ("next-right", "next-left", "any-right")}
    assert own == rules
