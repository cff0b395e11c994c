"""Rule files are checked when loaded; errors name file, line and rule."""
import textwrap

import pytest

from kg.rules import RuleError, load_rule_file, load_rules
from kg.vocab import KG


def write(tmp_path, body):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GOOD = """
rules:
- id: visits-test
  version: 2
  example: "Il ministro ha visitato Napoli."
  pattern:
    - {RIGHT_ID: V, RIGHT_ATTRS: {LEMMA: visitare}}
    - {LEFT_ID: V, REL_OP: ">", RIGHT_ID: A, RIGHT_ATTRS: {DEP: nsubj, ENT: Agent}}
    - {LEFT_ID: V, REL_OP: ">", RIGHT_ID: P, RIGHT_ATTRS: {DEP: obj, ENT: Place}}
  emit: [{subject: A, predicate: visits, object: P}]
"""


def test_good_rule_loads(tmp_path):
    rules, inferences = load_rule_file(write(tmp_path, GOOD))
    assert [r.ref for r in rules] == ["visits-test@2"] and inferences == []
    assert rules[0].line == 3


@pytest.mark.parametrize("old, new, message", [
    ("predicate: visits", "predicate: visitz", "predicate 'visitz' is not declared"),
    ('REL_OP: ">", RIGHT_ID: A', 'REL_OP: "=>", RIGHT_ID: A', "REL_OP must be one of"),
    ("LEMMA: visitare", "LEMA: visitare", "unknown attribute 'LEMA'"),
    ("ENT: Place", "ENT: Planet", "ENT must be one of"),
    ("  version: 2\n", "", "needs an integer 'version'"),
    ('  example: "Il ministro ha visitato Napoli."\n', "", "needs an 'example'"),
    ("LEFT_ID: V, REL_OP: \">\", RIGHT_ID: P", "LEFT_ID: Q, REL_OP: \">\", RIGHT_ID: P", "LEFT_ID must name an earlier node"),
    ("object: P}", "object: Z}", "emit object 'Z' is not a pattern node"),
    ("object: P}", "object: P, coordination: no-thanks}", "emit 'coordination' is true, false or object"),
])
def test_bad_rule_names_file_line_and_rule(tmp_path, old, new, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(RuleError) as err:
        load_rule_file(path)
    text = str(err.value)
    assert text.startswith(f"{path}:") and "visits-test" in text and message in text
    assert text.split(":")[1].isdigit()


def test_yaml_syntax_error_has_a_line(tmp_path):
    with pytest.raises(RuleError, match=r"rules.yaml:\d+: not valid YAML"):
        load_rule_file(write(tmp_path, "rules:\n  - id: [unclosed\n"))


@pytest.mark.parametrize("body, message", [
    ("- id: a-list-of-rules\n", "a mapping with a 'rules' list"),
    ("rule:\n- id: misspelt\n", "a mapping with a 'rules' list"),
    ("version: 1\nrules: []\nrulez: []\n", "unknown key(s) ['rulez']"),
])
def test_a_file_that_is_no_rule_file_is_refused(tmp_path, body, message):
    with pytest.raises(RuleError, match=r"rules.yaml:1: ") as err:
        load_rule_file(write(tmp_path, body))
    assert message in str(err.value)


def test_duplicate_ids_across_files_are_refused(tmp_path):
    path = write(tmp_path, GOOD.replace("visits-test", "meets-verb-active"))
    with pytest.raises(RuleError, match="already used"):
        load_rules([path])


def test_every_built_in_rule_has_id_version_and_example():
    ruleset = load_rules()
    assert len(ruleset.rules) >= 30
    for rule in ruleset.rules:
        assert rule.id and rule.version >= 1 and rule.examples


def test_every_emitted_predicate_is_declared_in_the_ontology():
    from rdflib import RDF, Graph
    import importlib.resources

    ontology = Graph().parse(data=(importlib.resources.files("kg.ontologies") / "kg.ttl").read_text(), format="turtle")
    declared = {str(s) for s in ontology.subjects(RDF.type, None)}
    for predicate in load_rules().predicates():
        assert str(getattr(KG, predicate)) in declared, predicate
