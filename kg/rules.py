"""Rules stage: AnnotatedDocument -> Facts, from declarative rule files.

A rule file is YAML.  Each rule is a dependency pattern in the style of
spaCy's DependencyMatcher: a list of nodes, the first anchoring the match
(``RIGHT_ID`` + ``RIGHT_ATTRS``), each later one related to an earlier node
(``LEFT_ID``, ``REL_OP``).  ``emit`` says which facts a match produces.
Rules are checked when loaded; a bad rule fails with the file, line and id.

    - id: meets-verb-active
      version: 1
      example: "Il ministro ha incontrato il collega tedesco a Berlino."
      confidence: 0.9
      pattern:
        - {RIGHT_ID: verb, RIGHT_ATTRS: {LEMMA: {IN: [incontrare, ricevere]}}}
        - {LEFT_ID: verb, REL_OP: ">", RIGHT_ID: a, RIGHT_ATTRS: {DEP: nsubj, ENT: Agent}}
        - {LEFT_ID: verb, REL_OP: ">", RIGHT_ID: b, RIGHT_ATTRS: {DEP: obj, ENT: Agent}}
      emit:
        - {subject: a, predicate: meets, object: b}

Attributes: TEXT, LOWER, LEMMA, UPOS, DEP (full deprel), DEP_BASE (before
":"), FEATS ({Name: value}), ENT (Person, Organization, Place, Event, Proposal, Agent =
Person or Organization, Any), CASE (lemma of a ``case`` child), KIND (an event noun's kind in
the lexicon's ``event_kinds``), ROLE,
DEMONYM, PARTY, PROFESSION, FACILITY, TIME, COUNTRY, DATE, SPEECH, SPEAKER_AFTER, REL_PRON, GENERIC, RELATIVE, SET_OFF, AFTER_PLACE, WITHIN_PLACE, OPENS_QUOTE, OWNER, SUBJECT,
OBJECT, INVERTED (booleans).  Values: a scalar, {IN: [...]},
{NOT_IN: [...]}, {REGEX: "..."}.  REL_OP: ``>`` LEFT is the head of RIGHT,
``<`` LEFT is a dependent of RIGHT, ``>>`` / ``<<`` ancestor / descendant, ``>>!`` the nearest matching
descendants (none below another match),
``.`` / ``;`` immediately / anywhere before, ``<-`` the nearest matching word
before LEFT, ``$++`` / ``$--`` a sibling to the right / left, ``$+`` / ``$-`` the
nearest one (punctuation aside), ``>++`` / ``>--`` a child to the right / left.

An ``object`` is an entity unless ``form`` says otherwise: ``role`` (the
role noun phrase as a string), ``country`` (the country of a demonym),
``party`` (the party an adjective names: "leghista", "dem"),
``date`` (the normalized date, xsd:date), ``clause`` (the text of the node's
subtree), ``quotation`` (what the colon node introduces), ``antecedent`` (what the
node takes up: the clause before it, or the sentence before: "Lo ha detto X").
Subjects and entity objects spread over coordination ("Macron e Starmer"; with
``lists: true``, also over surface lists; with ``coordination: false``, not at all;
with ``coordination: object``, the object alone),
relative pronouns take their antecedent, and role nouns stand for the person they
introduce ("il segretario generale della NATO, Mark Rutte").  What Italian leaves unsaid and
the mentions stage recovers (a dropped subject; the proposal a vote is on, the event one is
present at) is a silent word that patterns match like a written one.

``inferences`` combine facts: ``if: [[E, chairedBy, X], [E, eventOf, O]]``,
``then: [O, chairedBy, X]``.
"""
from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import yaml

from kg.mentions import (NAME_LINKS, QUOTE_PAIRS, Lexicon, bare_plural, elliptic_role, entity_key, load_lexicon,
                         normalize_name, relative_pronoun)
from kg.types import (EVENT, ORGANIZATION, PERSON, PLACE, PROPOSAL, AnnotatedDocument, Entity, Fact,
                      Provenance, Sentence, Word)
from kg.vocab import KG

OPS = (">", "<", ">>", ">>!", "<<", ".", ";", "<-", "$++", "$--", "$+", "$-", ">++", ">--")
ATTRS = ("TEXT", "LOWER", "LEMMA", "UPOS", "DEP", "DEP_BASE", "FEATS", "ENT", "CASE", "KIND", "ROLE",
         "DEMONYM", "PARTY", "PROFESSION", "FACILITY", "TIME", "COUNTRY", "DATE", "SPEECH", "SPEAKER_AFTER", "REL_PRON", "GENERIC", "RELATIVE", "SET_OFF", "AFTER_PLACE", "WITHIN_PLACE", "OPENS_QUOTE",
         "OWNER", "SUBJECT", "OBJECT", "INVERTED")
FORMS = ("entity", "role", "country", "party", "date", "clause", "quotation", "antecedent")
ENTITY_CLASSES = (PERSON, ORGANIZATION, PLACE, EVENT, PROPOSAL, "Agent", "Any")
FILE_KEYS = {"version", "rules", "inferences"}
RULE_KEYS = {"id", "version", "description", "example", "examples", "confidence", "pattern", "emit"}
NODE_KEYS = {"RIGHT_ID", "RIGHT_ATTRS", "LEFT_ID", "REL_OP"}
EMIT_KEYS = {"subject", "predicate", "object", "form", "confidence", "lists", "coordination"}
INFERENCE_KEYS = {"id", "version", "description", "example", "examples", "if", "then", "confidence"}


class RuleError(ValueError):
    """A rule file that cannot be used; the message names file, line and rule."""


@dataclass(frozen=True)
class Node:
    name: str
    attrs: tuple[tuple[str, object], ...]
    left: str | None = None
    op: str | None = None


@dataclass(frozen=True)
class Emit:
    subject: str
    predicate: str
    object: str
    form: str = "entity"
    confidence: float | None = None
    lists: bool = False     # also spread over surface lists (see _enumerated)
    coordination: bool | str = True  # spread subject and object over coordination ("object": that only)


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    examples: tuple[str, ...]
    confidence: float
    nodes: tuple[Node, ...]
    emits: tuple[Emit, ...]
    source: str
    line: int

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class Inference:
    id: str
    version: int
    premises: tuple[tuple[str, str, str], ...]
    conclusion: tuple[str, str, str]
    confidence: float
    source: str
    line: int


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    inferences: tuple[Inference, ...] = ()

    def predicates(self) -> set[str]:
        return {e.predicate for r in self.rules for e in r.emits} | \
               {i.conclusion[1] for i in self.inferences}


# --- loading -------------------------------------------------------------

class _LineLoader(yaml.SafeLoader):
    """Records each mapping's line so errors can point at it."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def default_rule_files() -> list[Path]:
    root = importlib.resources.files("kg.rulesets")
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".yaml") and p.name != "lexicon.yaml")


@functools.lru_cache(maxsize=8)
def _load_cached(paths: tuple[Path, ...]) -> RuleSet:
    rules: list[Rule] = []
    inferences: list[Inference] = []
    for path in paths:
        r, i = load_rule_file(path)
        rules += r
        inferences += i
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"{rule.source}:{rule.line}: rule {rule.id!r}: id already used at "
                            f"{seen[rule.id].source}:{seen[rule.id].line}")
        seen[rule.id] = rule
    return RuleSet(tuple(rules), tuple(inferences))


def load_rules(extra: Iterable[Path] = (), include_default: bool = True) -> RuleSet:
    paths = (default_rule_files() if include_default else []) + [Path(p) for p in extra]
    return _load_cached(tuple(paths))


def load_rule_file(path: Path) -> tuple[list[Rule], list[Inference]]:
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise RuleError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules", []), list) \
            or not {"rules", "inferences"} & set(data):
        raise RuleError(f"{path}:1: a rule file is a mapping with a 'rules' list")
    unknown = set(data) - FILE_KEYS - {"__line__"}
    if unknown:
        raise RuleError(f"{path}:1: unknown key(s) {sorted(unknown)}; allowed: {sorted(FILE_KEYS)}")
    rules = [_rule(path, raw) for raw in data.get("rules", [])]
    inferences = [_inference(path, raw) for raw in data.get("inferences", []) or []]
    return rules, inferences


def _fail(path: Path, raw, rule_id, problem: str):
    line = raw.get("__line__", "?") if isinstance(raw, dict) else "?"
    raise RuleError(f"{path}:{line}: rule {rule_id!r}: {problem}")


def _common(path: Path, raw, allowed: set[str]) -> tuple[str, int, tuple[str, ...], float]:
    if not isinstance(raw, dict):
        raise RuleError(f"{path}: every rule is a mapping, got {raw!r}")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", rule_id):
        _fail(path, raw, rule_id, "needs an 'id' of lower-case letters, digits, '-', '_' or '.'")
    unknown = set(raw) - allowed - {"__line__"}
    if unknown:
        _fail(path, raw, rule_id, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    version = raw.get("version")
    if not isinstance(version, int) or version < 1:
        _fail(path, raw, rule_id, "needs an integer 'version' >= 1")
    examples = raw.get("examples") or ([raw["example"]] if "example" in raw else [])
    if not examples or not all(isinstance(e, str) and e.strip() for e in examples):
        _fail(path, raw, rule_id, "needs an 'example' sentence")
    confidence = raw.get("confidence", 0.8)
    if not isinstance(confidence, (int, float)) or not 0 < confidence <= 1:
        _fail(path, raw, rule_id, "'confidence' must be a number in (0, 1]")
    return rule_id, version, tuple(examples), float(confidence)


def _declared(predicate) -> bool:
    if not isinstance(predicate, str) or predicate.startswith("_"):
        return False
    try:
        getattr(KG, predicate)
    except AttributeError:
        return False
    return True


def _check_predicate(path: Path, raw, rule_id, predicate) -> None:
    if not _declared(predicate):
        _fail(path, raw, rule_id, f"predicate {predicate!r} is not declared in the ontology")


def _rule(path: Path, raw) -> Rule:
    rule_id, version, examples, confidence = _common(path, raw, RULE_KEYS)
    pattern = raw.get("pattern")
    if not isinstance(pattern, list) or not pattern:
        _fail(path, raw, rule_id, "needs a non-empty 'pattern' list")
    nodes: list[Node] = []
    for i, spec in enumerate(pattern):
        if not isinstance(spec, dict):
            _fail(path, raw, rule_id, f"pattern node {i} is not a mapping")
        unknown = set(spec) - NODE_KEYS - {"__line__"}
        if unknown:
            _fail(path, spec, rule_id, f"pattern node {i}: unknown key(s) {sorted(unknown)}")
        name = spec.get("RIGHT_ID")
        if not isinstance(name, str) or any(n.name == name for n in nodes):
            _fail(path, spec, rule_id, f"pattern node {i}: RIGHT_ID missing or repeated")
        if i == 0 and ("LEFT_ID" in spec or "REL_OP" in spec):
            _fail(path, spec, rule_id, "the first pattern node anchors the match: no LEFT_ID/REL_OP")
        if i > 0:
            if spec.get("LEFT_ID") not in {n.name for n in nodes}:
                _fail(path, spec, rule_id, f"pattern node {name!r}: LEFT_ID must name an earlier node")
            if spec.get("REL_OP") not in OPS:
                _fail(path, spec, rule_id, f"pattern node {name!r}: REL_OP must be one of {OPS}")
        attrs = spec.get("RIGHT_ATTRS", {})
        if not isinstance(attrs, dict):
            _fail(path, spec, rule_id, f"pattern node {name!r}: RIGHT_ATTRS must be a mapping")
        clean = {k: _strip_lines(v) for k, v in attrs.items() if k != "__line__"}
        for key, value in clean.items():
            if key not in ATTRS:
                _fail(path, spec, rule_id, f"pattern node {name!r}: unknown attribute {key!r}; known: {ATTRS}")
            if key == "ENT" and not all(v in ENTITY_CLASSES for v in _values(value)):
                _fail(path, spec, rule_id, f"pattern node {name!r}: ENT must be one of {ENTITY_CLASSES}")
            if isinstance(value, dict) and not key == "FEATS" and set(value) - {"IN", "NOT_IN", "REGEX"}:
                _fail(path, spec, rule_id, f"pattern node {name!r}: {key} operators are IN, NOT_IN, REGEX")
            if isinstance(value, dict) and "REGEX" in value:
                try:
                    re.compile(value["REGEX"])
                except re.error as exc:
                    _fail(path, spec, rule_id, f"pattern node {name!r}: bad REGEX: {exc}")
        # cheap attributes first: ENT and CASE look at the entity index and the tree
        order = {"ENT": 2, "CASE": 1}
        attrs_in_order = tuple(sorted(clean.items(), key=lambda kv: (order.get(kv[0], 0), kv[0])))
        nodes.append(Node(name, attrs_in_order, spec.get("LEFT_ID"), spec.get("REL_OP")))
    emits = []
    for spec in raw.get("emit") or _fail(path, raw, rule_id, "needs an 'emit' list"):
        if not isinstance(spec, dict) or set(spec) - EMIT_KEYS - {"__line__"}:
            _fail(path, spec, rule_id, f"emit entries have keys {sorted(EMIT_KEYS)}")
        form = spec.get("form", "entity")
        if form not in FORMS:
            _fail(path, spec, rule_id, f"emit form {form!r} is not one of {FORMS}")
        for role in ("subject", "object"):
            if spec.get(role) not in {n.name for n in nodes}:
                _fail(path, spec, rule_id, f"emit {role} {spec.get(role)!r} is not a pattern node")
        _check_predicate(path, spec, rule_id, spec.get("predicate"))
        if not isinstance(spec.get("lists", False), bool):
            _fail(path, spec, rule_id, "emit 'lists' is true or false")
        if spec.get("coordination", True) not in (True, False, "object"):
            _fail(path, spec, rule_id, "emit 'coordination' is true, false or object")
        emits.append(Emit(spec["subject"], spec["predicate"], spec["object"], form, spec.get("confidence"),
                          spec.get("lists", False), spec.get("coordination", True)))
    return Rule(rule_id, version, examples, confidence, tuple(nodes), tuple(emits), str(path),
                raw["__line__"])


def _inference(path: Path, raw) -> Inference:
    rule_id, version, _, confidence = _common(path, raw, INFERENCE_KEYS)
    premises, conclusion = raw.get("if"), raw.get("then")
    triple = lambda t: isinstance(t, list) and len(t) == 3 and all(isinstance(x, str) for x in t)
    if not isinstance(premises, list) or not premises or not all(triple(p) for p in premises):
        _fail(path, raw, rule_id, "'if' is a list of [subject, predicate, object] triples")
    if not triple(conclusion):
        _fail(path, raw, rule_id, "'then' is one [subject, predicate, object] triple")
    variables = {x for p in premises for x in (p[0], p[2])}
    if not {conclusion[0], conclusion[2]} <= variables:
        _fail(path, raw, rule_id, "'then' may only use variables bound in 'if'")
    for predicate in [p[1] for p in premises] + [conclusion[1]]:
        _check_predicate(path, raw, rule_id, predicate)
    return Inference(rule_id, version, tuple(tuple(p) for p in premises), tuple(conclusion), confidence,
                     str(path), raw["__line__"])


def _strip_lines(value):
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return tuple(_strip_lines(v) for v in value)
    return value


def _values(value) -> tuple:
    if isinstance(value, dict):
        return tuple(value.get("IN", ())) + tuple(value.get("NOT_IN", ()))
    return (value,)


# --- matching ------------------------------------------------------------

class _Context:
    """One sentence of an annotated document, with what attributes need."""

    def __init__(self, annotated: AnnotatedDocument, sentence: Sentence, lexicon: Lexicon):
        self.annotated, self.sentence, self.lexicon = annotated, sentence, lexicon
        self.entities = {e.key: e for e in annotated.entities}
        self.children: dict[int, list[Word]] = {}
        self.resolved: dict[int, Entity | None] = {}
        self.roles: dict[int, tuple[str, ...] | None] = {}
        self.by_lemma: dict[str, list[Word]] = {}
        self.by_upos: dict[str, list[Word]] = {}
        for w in sentence.words:
            self.children.setdefault(w.head, []).append(w)
            self.by_lemma.setdefault(w.lemma.lower(), []).append(w)
            self.by_upos.setdefault(w.upos, []).append(w)
        # a dropped subject becomes a silent nsubj word, an unsaid proposal or event a silent
        # object or phrase (with its preposition), so rules match them like written ones
        self.silent: dict[int, str] = {}
        self.silent_case: dict[int, str] = {}
        unsaid = [(where, key, "nsubj", "") for where, key in annotated.implicit_subject.items()] + [
            (where, key, "", case) for where, (key, case) in annotated.implicit_object.items()]
        for (index, head_id), key, deprel, case in unsaid:
            if index == sentence.index:
                head = sentence.word(head_id)
                deprel = deprel or ("obj" if not case else "nmod" if head.upos == "NOUN" else "obl")
                silent = Word(id=len(sentence.words) + 1 + len(self.silent), text="", lemma="", upos="PRON",
                              feats="_", head=head_id, deprel=deprel, start_char=head.start_char,
                              end_char=head.start_char)
                self.silent[silent.id] = key
                if case:
                    self.silent_case[silent.id] = case
                self.children.setdefault(head_id, []).append(silent)

    def role(self, word: Word) -> tuple[str, ...] | None:
        """The role a word starts (``Lexicon.role_at``), once per word: rules ask often."""
        if word.id not in self.roles:
            antecedent = self.elliptic_antecedent(word)
            self.roles[word.id] = self.lexicon.role_at(self.sentence, antecedent or word)
        return self.roles[word.id]

    def elliptic_antecedent(self, word: Word) -> Word | None:
        """The role noun an elliptic "quello" stands for: the last one before it
        ("il ministro dell'Interno X e quello al Lavoro Y")."""
        if not elliptic_role(self.sentence, word):
            return None
        return next((w for w in reversed(self.sentence.words[:word.id - 1])
                     if w.upos == "NOUN" and self.role(w)), None)

    def anchors(self, attrs) -> Iterable[Word]:
        """Words that may match a pattern's first node, narrowed by its lemma
        or part of speech before the costlier attributes are tried."""
        for key, index in (("LEMMA", self.by_lemma), ("UPOS", self.by_upos)):
            spec = dict(attrs).get(key)
            if isinstance(spec, str):
                return index.get(spec, ())
            if isinstance(spec, dict) and set(spec) == {"IN"}:
                return sorted((w for value in spec["IN"] for w in index.get(value, ())), key=lambda w: w.id)
        return self.sentence.words

    def entity_of(self, word: Word) -> Entity | None:
        key = self.silent.get(word.id) or self.annotated.word_entity.get((self.sentence.index, word.id))
        return self.entities.get(key) if key else None

    def case_of(self, word: Word) -> set[str]:
        if word.id in self.silent_case:
            return {self.silent_case[word.id]}
        cases = set()
        for c in self.children.get(word.id, ()):
            if c.deprel in ("case", "mark"):
                cases.add(c.lemma.lower())
                # "prima in Austria, poi in Germania": the parser reads a list adverb and the
                # preposition after it as one preposition, which still has the preposition's case
                # ("prima di", before, is no list)
                if c.lemma.lower() in _LIST_ADVERBS:
                    cases.update(f.lemma.lower() for f in self.children.get(c.id, ())
                                 if f.deprel == "fixed" and f.lemma.lower() != "di")
        return cases

    def ancestors(self, word: Word) -> Iterator[Word]:
        seen = set()
        while word.head and word.head not in seen:
            seen.add(word.head)
            word = self.sentence.word(word.head)
            yield word

    def descendants(self, word: Word) -> Iterator[Word]:
        stack = list(self.children.get(word.id, ()))
        while stack:
            w = stack.pop()
            yield w
            stack.extend(self.children.get(w.id, ()))


def _value_ok(spec, value) -> bool:
    if isinstance(spec, dict):
        if "IN" in spec and value not in spec["IN"]:
            return False
        if "NOT_IN" in spec and value in spec["NOT_IN"]:
            return False
        if "REGEX" in spec and not (isinstance(value, str) and re.search(spec["REGEX"], value)):
            return False
        return True
    return value == spec


def _entity_class_ok(spec, entity: Entity | None) -> bool:
    if isinstance(spec, dict) and "NOT_IN" in spec:  # no entity, or one of another class
        return entity is None or not _entity_class_ok({"IN": spec["NOT_IN"]}, entity)
    wanted = set(_values(spec)) if isinstance(spec, dict) and "IN" in spec else {spec}
    if entity is None:
        return False
    if "Any" in wanted:
        return True
    if "Agent" in wanted and entity.type in (PERSON, ORGANIZATION):
        return True
    return entity.type in wanted


def _wide_place(ctx: _Context, entity: Entity) -> bool:
    """A country or one of Italy's regions, which holds the places set off after it."""
    name = normalize_name(entity.label)
    return name in ctx.lexicon.countries or name in ctx.lexicon.italian_regions


def _set_off_place(ctx: _Context, word: Word) -> tuple[Entity, bool] | None:
    """The place whose name a phrase is set off by a comma right after, and whether the
    phrase lies inside it: "a Palazzo Reale, in piazza Duomo" says where the palace is;
    "a Roma, a Villa Madama", "in Liguria, nel comune di Rezzoaglio", "in Francia, a Lione"
    name a place inside the first (a building or a town by its kind after anything but a
    building, any place after a country or one of Italy's regions: "in Calabria, nel cosentino")."""
    first = _phrase_start(ctx, word)
    if first < 3 or not _set_off(ctx, word):
        return None
    before = _resolve(ctx, ctx.sentence.word(first - 2))
    if before is None or before.type != PLACE or _closes_a_list(ctx, word):
        return None
    # a place noun set beside a name says where it is: "Sebastopoli, porto della Crimea"
    entity = ctx.entity_of(word)
    named_by_kind = entity is not None and entity.label.split()[0].lower() in ctx.lexicon.same_place_kinds
    inside = bool(ctx.case_of(word)) and (
        (_facility(ctx, word) or named_by_kind) and not _named_facility(ctx, before)
        or _wide_place(ctx, before) and not (entity and _wide_place(ctx, entity)))
    return before, inside


def _phrase_start(ctx: _Context, word: Word) -> int:
    """The first word of a word's phrase: its preposition or article ("a | Roma", "la | città")."""
    return min([word.id] + [c.id for c in ctx.children.get(word.id, ()) if c.deprel in ("case", "det")])


def _set_off(ctx: _Context, word: Word) -> bool:
    """A written word whose phrase follows a comma: ", a Roma", ", in piazza Duomo"."""
    first = _phrase_start(ctx, word)
    return word.id not in ctx.silent and first > 1 and ctx.sentence.word(first - 1).text == ","


def _closes_a_list(ctx: _Context, word: Word) -> bool:
    """Places that follow one another and end with "e" or "o" before the last
    are a list, not one inside the other: "a Harlem, a Brooklyn, nel Queens e
    fuori dalla Trump Tower" (not ", e mercoledì sono arrivati", which joins clauses)."""
    def place(w: Word) -> bool:
        entity = ctx.entity_of(w)
        return entity is not None and entity.type == PLACE

    words = ctx.sentence.words
    for i in range(word.id, len(words)):
        after = words[i]
        if after.upos == "CCONJ":
            if after.lemma.lower() not in ("e", "ed", "o") or words[i - 1].text == ",":
                return False
            rest = (w for w in words[i + 1:] if w.upos not in ("ADP", "DET", "ADV"))
            return place(next(rest, after))
        if not (after.text == "," or after.upos in ("ADP", "DET", "ADV") or place(after)):
            return False
    return False


_CLOSING_MARKS = QUOTE_PAIRS
_QUOTE_MARKS = tuple(_CLOSING_MARKS)


def _opens_quote(ctx: _Context, word: Word) -> bool:
    """A colon a quotation follows, in its sentence or at the start of the next one."""
    after = _after_colon(ctx, word)
    return bool(after) and after[0].text in _QUOTE_MARKS


def _after_colon(ctx: _Context, colon: Word) -> tuple[Word, ...]:
    """The words a colon introduces: the rest of its sentence or, where the colon ends the
    sentence (as the treebanks split them), the next one ("ha dichiarato: «...»", "ha
    dichiarato: Siamo pronti.")."""
    after = ctx.sentence.words[colon.id:]
    sentences = ctx.annotated.document.sentences
    following = ctx.sentence.index + 1
    if not (after and after[0].text in _QUOTE_MARKS) and all(w.upos == "PUNCT" for w in after) \
            and following < len(sentences):
        return tuple(sentences[following].words)
    return tuple(after)


def _facility(ctx: _Context, word: Word) -> bool:
    """A building, street or site: its noun ("via", "palazzo"), or a word of a place named
    by one ("Vecchio" in "Palazzo Vecchio")."""
    entity = ctx.entity_of(word)
    return word.lemma.lower() in ctx.lexicon.facility_heads or entity is not None and _named_facility(ctx, entity)


def _named_facility(ctx: _Context, entity: Entity) -> bool:
    return entity.type == PLACE and entity.label.split()[0].lower() in ctx.lexicon.facility_heads


def _country(ctx: _Context, word: Word) -> bool:
    """A word of a place whose name is a country's ("Francia", "USA")."""
    entity = ctx.entity_of(word)
    return entity is not None and entity.type == PLACE and normalize_name(entity.label) in ctx.lexicon.countries


_GETTERS = {
    "TEXT": lambda ctx, word: word.text,
    "LOWER": lambda ctx, word: word.text.lower(),
    "LEMMA": lambda ctx, word: word.lemma.lower(),
    "UPOS": lambda ctx, word: word.upos,
    "DEP": lambda ctx, word: word.deprel,
    "DEP_BASE": lambda ctx, word: word.deprel.split(":")[0],
    "ROLE": lambda ctx, word: ctx.role(word) is not None,
    "DEMONYM": lambda ctx, word: ctx.lexicon.country_of(word) is not None,
    "PARTY": lambda ctx, word: ctx.lexicon.party_of(word) is not None,
    "PROFESSION": lambda ctx, word: word.lemma.lower() in ctx.lexicon.person_nouns,
    "FACILITY": _facility,
    "TIME": lambda ctx, word: word.lemma.lower() in ctx.lexicon.time_nouns,
    "COUNTRY": _country,
    "DATE": lambda ctx, word: (ctx.sentence.index, word.id) in ctx.annotated.word_date,
    "SPEECH": lambda ctx, word: ctx.lexicon.speech_verb(word),
    "SPEAKER_AFTER": lambda ctx, word: ctx.lexicon.speaker_after(word),
    "REL_PRON": lambda ctx, word: word.feat("PronType") == "Rel",
    "GENERIC": lambda ctx, word: word.upos == "NOUN" and bare_plural(ctx.sentence, word),
    # a clause opened by a relative pronoun is a relative clause, whatever the parser hung it
    # on ("La X, ditta con la quale collaborava l'ingegnere, ha dichiarato"; not "in quanto" after)
    "RELATIVE": lambda ctx, word: any(c.feat("PronType") == "Rel" for c in ctx.children.get(word.id, ())
                                      if c.id < word.id),
    "SET_OFF": _set_off,
    "AFTER_PLACE": lambda ctx, word: (found := _set_off_place(ctx, word)) is not None and not found[1],
    # "a Roma, a Villa Madama": a place set off after a place it lies in
    "WITHIN_PLACE": lambda ctx, word: (found := _set_off_place(ctx, word)) is not None and found[1],
    "OPENS_QUOTE": _opens_quote,
    # a verb whose written subject follows it: "..., ha detto Medvedev, ..." (a dropped one is silent)
    "INVERTED": lambda ctx, word: any(c.deprel in ("nsubj", "nsubj:pass") and c.id > word.id and c.text
                                      for c in ctx.children.get(word.id, ())),
    # a verb with a subject of its own, written or dropped
    "SUBJECT": lambda ctx, word: any(c.deprel in ("nsubj", "nsubj:pass", "csubj")
                                     for c in ctx.children.get(word.id, ())),
    # "aveva ricevuto dal comitato una risposta": a verb with a direct object is no passive
    "OBJECT": lambda ctx, word: any(c.deprel == "obj" for c in ctx.children.get(word.id, ())),
    # "la moglie di Luca": a noun with a "di" complement of its own
    "OWNER": lambda ctx, word: any(c.deprel.startswith("nmod") and "di" in ctx.case_of(c)
                                   for c in ctx.children.get(word.id, ())),
}


_SET_GETTERS = {
    "CASE": lambda ctx, word: ctx.case_of(word),
    # the kinds the lexicon gives an event noun ("disaster", "sport", ...: event_kinds)
    "KIND": lambda ctx, word: ctx.lexicon.event_kinds.get(word.lemma.lower(), frozenset()),
}


def _word_ok(ctx: _Context, word: Word, attrs) -> bool:
    for key, spec in attrs:
        if key == "ENT":
            if not _entity_class_ok(spec, _resolve(ctx, word)):
                return False
            continue
        if key == "FEATS":
            if not all(_value_ok(v, word.feat(k)) for k, v in spec.items()):
                return False
            continue
        if key in _SET_GETTERS:  # a word has several: NOT_IN refuses any of them, else one must match
            values = _SET_GETTERS[key](ctx, word)
            if isinstance(spec, dict) and "NOT_IN" in spec:
                if values & set(spec["NOT_IN"]):
                    return False
                continue
            if not any(_value_ok(spec, v) for v in values):
                return False
            continue
        if not _value_ok(spec, _GETTERS[key](ctx, word)):
            return False
    return True


def _related(ctx: _Context, left: Word, op: str) -> Iterable[Word]:
    words = ctx.sentence.words
    if op == ">":
        return ctx.children.get(left.id, ())
    if op == ">++":
        return [w for w in ctx.children.get(left.id, ()) if w.id > left.id]
    if op == ">--":
        return [w for w in ctx.children.get(left.id, ()) if w.id < left.id]
    if op == "<":
        return (ctx.sentence.word(left.head),) if left.head else ()
    if op == ">>":
        return ctx.descendants(left)
    if op == "<<":
        return ctx.ancestors(left)
    if op == ".":
        return words[left.id:left.id + 1]
    if op == ";":
        return words[left.id:]
    siblings = [w for w in ctx.children.get(left.head, ()) if w.id != left.id]
    if op == "$++":
        return [w for w in siblings if w.id > left.id]
    if op == "$--":
        return [w for w in siblings if w.id < left.id]
    nearest = [w for w in siblings if w.upos != "PUNCT"]
    if op == "$+":
        return [w for w in nearest if w.id > left.id][:1]
    return [w for w in nearest if w.id < left.id][-1:]  # "$-"


def _nearest_descendants(ctx: _Context, left: Word, attrs) -> list[Word]:
    """Descendants of ``left`` that match, without the ones below another
    match: "la riunione, in programma al palazzo dell'Eliseo a Parigi" takes
    the palazzo, not Parigi inside it."""
    found, stack = [], list(ctx.children.get(left.id, ()))
    while stack:
        word = stack.pop()
        if _word_ok(ctx, word, attrs):
            found.append(word)
        else:
            stack.extend(ctx.children.get(word.id, ()))
    return sorted(found, key=lambda w: w.id)


def _nearest_before(ctx: _Context, left: Word, attrs) -> list[Word]:
    """The closest matching word before ``left``, whatever the tree says:
    "preparare la riunione, in programma giovedì" describes the riunione even
    when the parser hangs "in programma" on the verb."""
    before = ctx.sentence.words[:left.id - 1]
    return next(([w] for w in reversed(before) if _word_ok(ctx, w, attrs)), [])


def match(ctx: _Context, rule: Rule) -> Iterator[dict[str, Word]]:
    def extend(i: int, bound: dict[str, Word]) -> Iterator[dict[str, Word]]:
        if i == len(rule.nodes):
            yield dict(bound)
            return
        node = rule.nodes[i]
        if node.left is None:
            candidates = [w for w in ctx.anchors(node.attrs) if _word_ok(ctx, w, node.attrs)]
        elif node.op == ">>!":
            candidates = _nearest_descendants(ctx, bound[node.left], node.attrs)
        elif node.op == "<-":
            candidates = _nearest_before(ctx, bound[node.left], node.attrs)
        else:
            candidates = [w for w in _related(ctx, bound[node.left], node.op) if _word_ok(ctx, w, node.attrs)]
        used = {w.id for w in bound.values()}
        for word in candidates:
            if word.id not in used:
                bound[node.name] = word
                yield from extend(i + 1, bound)
                del bound[node.name]
    yield from extend(0, {})


# --- resolving matched words to entities and literals --------------------

def _resolve(ctx: _Context, word: Word, depth: int = 0) -> Entity | None:
    """The entity a word stands for, memoized per sentence (see _find_entity)."""
    if word.id not in ctx.resolved:
        ctx.resolved[word.id] = _find_entity(ctx, word, depth)
    return ctx.resolved[word.id]


def _find_entity(ctx: _Context, word: Word, depth: int = 0) -> Entity | None:
    """The entity a word stands for: its own mention; for a relative pronoun
    the clause's antecedent; for a role noun the person it introduces
    (appos/flat/nmod link either way)."""
    entity = ctx.entity_of(word)
    if entity or depth > 2:
        return entity
    if relative_pronoun(word):
        for ancestor in ctx.ancestors(word):
            if ancestor.deprel.startswith("acl:relcl") and ancestor.head:
                antecedent = _resolve(ctx, ctx.sentence.word(ancestor.head), depth + 1)
                if antecedent is not None:
                    return antecedent
                break
        # misattached clause: ", che" (", il quale", ", al quale", ", in cui") takes up the name
        # before the comma ("del ministro della salute, Anna Galli, che dice" hung on "salute")
        i = word.id - 1
        while i >= 1 and ctx.sentence.word(i).upos in ("DET", "ADP"):
            i -= 1
        if i >= 2 and ctx.sentence.word(i).text == ",":
            return ctx.entity_of(ctx.sentence.word(i - 1))
        return None
    if word.upos == "NOUN" and word.lemma.lower() in ctx.lexicon.same_place_kinds and word.feat("Number") != "Plur":
        # "la città di Napoli" is Napoli ("le frazioni di A e B" are not A)
        for child in ctx.children.get(word.id, ()):
            named = ctx.entity_of(child) if child.deprel == "nmod" and ctx.case_of(child) == {"di"} else None
            if named is not None and named.type == PLACE:
                return named
    if ctx.role(word) or word.upos in ("NOUN", "PROPN"):
        # a group's listed members come first: a name the parser hangs on the plural noun is
        # one of them, not the group ("1500 persone, tra cui ... quali A (...), B")
        members = _group_members(ctx, word)
        if members:
            return ctx.entity_of(members[0])
        # an honorific the NER leaves out heads the name too: "officiata da don | Carlo Neri";
        # a kind of organization heads its name: "secondo il quotidiano | El Pais"
        named = (PERSON, ORGANIZATION) if word.lemma.lower() in ctx.lexicon.organization_nouns else (PERSON,)
        for child in ctx.children.get(word.id, ()):
            if (child.deprel in NAME_LINKS or _set_off_as_conjunct(ctx, word, child)) and not ctx.case_of(child) \
                    and not ctx.role(child) and not _set_off_from_inner_role(ctx, word, child):
                # "il vescovo di Ascoli, monsignor | Carlo Neri": the name below a form of address
                linked = ctx.entity_of(child) or (_name_below(ctx, child) if ctx.lexicon.honorific(child) else None)
                if linked and linked.type in named:
                    return linked
        if ORGANIZATION in named:  # "l'agenzia di stampa | Jiji": the name may follow the kind's own "di"
            for kind in ctx.children.get(word.id, ()):
                if kind.upos == "NOUN" and "di" in ctx.case_of(kind) and ctx.entity_of(kind) is None:
                    linked = _name_below(ctx, kind)
                    if linked and linked.type in named:
                        return linked
        names = _plural_role_names(ctx, word)
        if names:
            return ctx.entity_of(names[0])
        # "Mario Rossi, segretario del partito" (appos); "il generale Lansana Conté" with the
        # role tagged as an adjective of the name (amod); "È Carlo Neri il nuovo segretario"
        # (the role is the subject of a copular name)
        if ctx.role(word) and word.head and (
                word.deprel == "appos" or word.deprel == "amod" and ctx.sentence.word(word.head).upos == "PROPN"
                or word.deprel == "nsubj" and any(c.deprel == "cop" for c in ctx.children.get(word.head, ()))):
            head_entity = ctx.entity_of(ctx.sentence.word(word.head))
            if head_entity and head_entity.type == PERSON:
                return head_entity
    return None


def _set_off_as_conjunct(ctx: _Context, word: Word, child: Word) -> bool:
    """A name set off by commas right after a singular noun that the parser took for a
    conjunct is its apposition: "Il sacerdote, Marco Neri, 50enne parroco, ..." (a list would join
    its last item with "e")."""
    return child.deprel == "conj" and child.id == word.id + 2 and ctx.sentence.word(word.id + 1).text == "," \
        and word.feat("Number") == "Sing" and not any(c.deprel == "cc" for c in ctx.children.get(child.id, ()))


def _name_below(ctx: _Context, word: Word) -> Entity | None:
    """The first name linked below ``word`` with no preposition of its own."""
    return next((ctx.entity_of(c) for c in ctx.children.get(word.id, ())
                 if c.deprel in NAME_LINKS and not ctx.case_of(c) and ctx.entity_of(c)), None)


def _set_off_from_inner_role(ctx: _Context, role: Word, name: Word) -> bool:
    """"il segretario del papa, Georg Gänswein": a name set off by a comma
    after a role inside another role's "di" phrase is the outer role's."""
    if name.id in ctx.silent:  # a dropped subject is written nowhere, so nothing sets it off
        return False
    head = ctx.sentence.word(role.head) if role.head else None
    return (name.id > 1 and ctx.sentence.word(name.id - 1).text == "," and head is not None
            and role.deprel.startswith("nmod") and "di" in ctx.case_of(role)
            and ctx.role(head) is not None)


def _own_office(ctx: _Context, word: Word) -> bool:
    """A role noun (or an elliptic "quello") with a "di" complement or a
    demonym of its own ("e dal premier spagnolo Pedro Sánchez")."""
    return (ctx.role(word) is not None or elliptic_role(ctx.sentence, word)) and any(
        c.deprel.startswith("nmod") and "di" in ctx.case_of(c) or c.deprel == "amod" and ctx.lexicon.country_of(c)
        for c in ctx.children.get(word.id, ()))


_INTRODUCERS = {":", "quali", "come", "cui"}  # "tra cui"


def _plural(ctx: _Context, word: Word) -> bool:
    """Plural by its own features or, for a noun with one form for both
    ("le personalità", "varie autorità"), by its article or adjectives; a plural
    the tagger takes for a singular when the lexicon knows it ("i capigruppo")."""
    number = word.feat("Number")
    return number == "Plur" or word.text.lower() in ctx.lexicon.role_plurals or not number and any(
        c.deprel in ("det", "amod") and c.feat("Number") == "Plur" for c in ctx.children.get(word.id, ()))


def _group_members(ctx: _Context, word: Word) -> list[Word]:
    """"le più alte cariche dello Stato: il Presidente X, ...", "varie
    personalità, quali il presidente X, ...", "i paesi che sostengono il
    programma sono 10: Belgio, ...": a plural noun for a group of people,
    countries or bodies stands for the members listed after it (the first
    of them here; ``_listed`` finds the rest).  The noun's own relative
    clause and the copula it is the subject of ("sono 10:") may come between."""
    lemma = word.lemma.lower()
    counted = any(c.deprel == "nummod" for c in ctx.children.get(word.id, ()))
    # people named by their office or trade make a group too: "molti ministri, tra cui X"
    people = lemma in ctx.lexicon.person_nouns or word.upos == "NOUN" and ctx.role(word) is not None
    if not _plural(ctx, word) or not (lemma in ctx.lexicon.group_nouns or people
                                      or counted and lemma in ctx.lexicon.counted_group_nouns):
        return []
    words = ctx.sentence.words
    own = {w.id for w in ctx.descendants(word)} | {word.head} | {
        c.id for c in ctx.children.get(word.head, ()) if c.deprel in ("cop", "aux")}
    for i in range(word.id, min(len(words), word.id + 16)):
        w = words[i]
        if w.text in _INTRODUCERS or w.lemma.lower() in _INTRODUCERS:
            first = next((x for x in words[i + 1:i + 5] if ctx.entity_of(x) is not None), None)
            entity = ctx.entity_of(first) if first is not None else None
            if entity is not None:
                return [first] if entity.type in (PERSON, ORGANIZATION, PLACE) else []
            # a narrower group may come first: "1500 persone, tra cui varie star della musica, quali X"
            continue
        if w.upos in ("VERB", "AUX") and w.id not in own or w.text in (";", "(", ")"):
            return []
    return []


def _spread(ctx: _Context, word: Word, lists: bool = False, offices_apart: bool = False) -> list[Word]:
    """A word and the words coordinated with it (with ``lists``, also the
    items of a surface list it starts).  With ``offices_apart`` a coordinated
    role noun of another office keeps the names that follow it: "il Presidente
    della Corte X, i ministri A, B" gives A and B no presidency."""
    out = [word] + _plural_role_names(ctx, word) + _coordinated_antecedents(ctx, word)
    # a conjunct may hang on any word of the first name: "il premier Nuri al-Maliki e il
    # presidente Jalal Talabani" puts "presidente" under "-Maliki", not under "premier"
    # (only names after it: "X (PD) e Y" coordinates X, not the bracket's word)
    heads = {w.id for w in out} | {w.id for w in _name_after(ctx, word)}
    # a word in brackets is coordinated with words of the same brackets only ("X (PD, SEL) e
    # Y (FI)": not FI)
    inside = _within_brackets(ctx.sentence, word)
    for w in ctx.sentence.words:  # conjuncts follow their head, so one pass in order finds chains
        if w.deprel == "conj" and w.head in heads and w not in out and w.id in inside:
            # another office, or a noun that is none ("l'ex-allenatore Y", "il critico Z"), is no
            # name of the first office's holder
            if offices_apart and (ctx.role(w) not in (None, ctx.role(word))
                                  or ctx.role(w) is None and w.upos == "NOUN"):
                continue
            out.append(w)
            heads.add(w.id)
    if not lists:
        return out
    return out + [w for w in _enumerated(ctx, word) + _listed(ctx, word) if w not in out]


def _within_brackets(sentence: Sentence, word: Word) -> range:
    """The word ids of the brackets around ``word``, or of the whole sentence if none (a
    silent word is in none)."""
    before = [w for w in sentence.words[:word.id - 1] if w.text in ("(", ")")]
    if not before or before[-1].text == ")" or word.id > len(sentence.words):
        return range(1, len(sentence.words) + 1)
    closing = next((w.id for w in sentence.words[word.id:] if w.text == ")"), len(sentence.words) + 1)
    return range(before[-1].id + 1, closing)


def _coordinated_antecedents(ctx: _Context, word: Word) -> list[Word]:
    """"il premier X e il presidente Y, che hanno visitato l'Iran": a relative
    pronoun with a plural verb stands for every conjunct of its antecedent."""
    if not relative_pronoun(word):
        return []
    clause = next((a for a in ctx.ancestors(word) if a.deprel.startswith("acl:relcl")), None)
    if clause is None or not clause.head:
        return []
    forms = [clause] + [c for c in ctx.children.get(clause.id, ()) if c.deprel.startswith("aux")]
    if not any(w.feat("Number") == "Plur" for w in forms):
        return []
    root = ctx.sentence.word(clause.head)
    while root.deprel == "conj" and root.head:
        root = ctx.sentence.word(root.head)
    group, heads = [root], {root.id}
    for w in ctx.sentence.words:
        if w.deprel == "conj" and w.head in heads:
            group.append(w)
            heads.add(w.id)
    return group if len(group) > 1 else []


def _alike(ctx: _Context, a: Entity, b: Entity) -> bool:
    """Entities of one class, or two countries however the NER tagged them:
    "Grecia, Portogallo, Irlanda" comes as organizations and places mixed."""
    return a.type == b.type or all(
        e.type in (ORGANIZATION, PLACE) and normalize_name(e.label) in ctx.lexicon.countries for e in (a, b))


def _co_subjects(ctx: _Context, a: Entity, b: Entity) -> bool:
    """Whether coordination can join two subjects: entities alike, or any two that can act ("il
    governo e il ministro hanno annunciato", "tra il Napoli e la Roma" however the NER typed
    them); an event is joined by events only ("manifestazioni e cortei ..., il leader X")."""
    return _alike(ctx, a, b) or not {a.type, b.type} & {EVENT, PROPOSAL}


_LIST_ADVERBS = {"infine", "anche", "poi", "inoltre", "nonché", "prima", "quindi"}
_LIST_PHRASES = {("da", "ultimo"), ("per", "ultimo")}


def _listed(ctx: _Context, word: Word) -> list[Word]:
    """Names listed after ``word`` without a preposition ("sono intervenuti il
    presidente del Senato X, il presidente del MFE Y, infine Z"): the parser
    hangs such lists anywhere, so they are read on the surface.  An item is a
    phrase standing for an entity of the first one's class, after a comma or
    "e"; its own complements (organizations, places, "di" phrases) are
    skipped; anything else (a verb, other punctuation) ends the list."""
    first = _resolve(ctx, word)
    if first is None:
        return []
    words, out, current = ctx.sentence.words, [], first.key
    i = word.id  # index of the word after ``word``
    if ctx.entity_of(word) is None:  # a group noun: the list starts at its first member
        # (a word of that member's own, not a relative pronoun standing for the group: "tra cui")
        i = next((w.id for w in words[word.id:] if ctx.entity_of(w) is first), None) or \
            next((w.id for w in words[word.id:] if _resolve(ctx, w) is first), len(words))
    while i < len(words):
        w = words[i]
        if w.text == "(":  # an aside on the item before: "A (ex-marito di X), B"
            i = next((x.id for x in words[i:] if x.text == ")"), len(words))
            continue
        entity = _resolve(ctx, w)
        if w.text == "," or w.upos == "CCONJ":
            j = i + 1
            while j < len(words) and (words[j].upos == "DET" or words[j].lemma.lower() in _LIST_ADVERBS):
                j += 1
            item = _resolve(ctx, words[j]) if j < len(words) else None
            if item is None or not _alike(ctx, item, first) or item.key == current:
                break
            out.append(words[j])
            current, i = item.key, j + 1
            continue
        if entity is not None and (entity.key == current or not _alike(ctx, entity, first)):
            i += 1
            continue
        if w.upos in ("ADP", "DET", "ADJ", "NUM") or w.upos in ("NOUN", "PROPN") and words[i - 1].upos in ("ADP", "DET"):
            i += 1
            continue
        break
    return out


_TOGETHER = {"insieme", "assieme"}


def _co_agents(ctx: _Context, subject: Word, bound: dict[str, Word]) -> list[Word]:
    """"X, insieme al portavoce Y, ha ricostruito ...": whoever acts
    together with the subject does what the subject does (when the rule is
    about that verb's action, not about the subject's own title)."""
    if not subject.deprel.startswith("nsubj") or subject.head not in {w.id for w in bound.values()}:
        return []
    return [w for w in ctx.children.get(subject.head, ()) if w.deprel.startswith(("obl", "nmod"))
            and ctx.case_of(w) & _TOGETHER and (e := _resolve(ctx, w)) is not None and e.type in (PERSON, ORGANIZATION)]


def _name_after(ctx: _Context, word: Word) -> list[Word]:
    """The words right after ``word`` that stand for the same entity (the
    name after a role noun, the rest of a name), across a particle ("al-")."""
    key = ctx.annotated.word_entity.get((ctx.sentence.index, word.id))
    if key is None or word.id in ctx.silent:
        return []
    words = ctx.sentence.words
    same = lambda i: i <= len(words) and ctx.annotated.word_entity.get((ctx.sentence.index, i)) == key
    last = word.id
    while same(last + 1) or (same(last + 2) and words[last].upos in ("ADP", "DET")):
        last += 1
    return list(words[word.id:last])


def _plural_role_names(ctx: _Context, word: Word) -> list[Word]:
    """"I capigruppo del PD, Carlo Neri e Anna Galli": a plural
    role noun stands for all the names set beside it, not just the first."""
    if not _plural(ctx, word) or not ctx.role(word):
        return []
    linked = [c for c in ctx.children.get(word.id, ()) if c.deprel in ("appos", "conj", "nmod") and not ctx.case_of(c)
              and (e := ctx.entity_of(c)) is not None and e.type == PERSON]
    return linked or _names_after_complements(ctx, word)


def _names_after_complements(ctx: _Context, word: Word) -> list[Word]:
    """The names that follow a plural role among its complements, read on the
    surface: "i presidenti di Camera e Senato, Pietro Grasso e Laura
    Boldrini", "i presidenti del Senato Pietro Grasso e della Camera Laura
    Boldrini" (the parser hangs them on the complements)."""
    names, seen = [], set()
    for w in ctx.sentence.words[word.id:]:
        entity = ctx.entity_of(w)
        if entity is not None and entity.type == PERSON:
            if entity.key not in seen:
                seen.add(entity.key)
                names.append(w)
        elif entity is None and not (w.text == "," or w.upos in ("ADP", "DET", "CCONJ", "ADJ")):
            break
    return names if len(names) > 1 else []


_LIST_BREAKS = {";", ":", "(", ")", "«", "»", '"'}


def _enumerated(ctx: _Context, word: Word) -> list[Word]:
    """Phrases listed after ``word`` with its own preposition ("alla presenza
    del presidente X, del sindaco Y e del generale Z"): the parser hangs long
    lists anywhere, but on the surface each item repeats the preposition after
    a comma or "e".  Items count when they stand for an entity of the same
    class; the list ends at a verb or a relative pronoun."""
    cases = ctx.case_of(word)
    first = _resolve(ctx, word)
    if not cases or first is None:
        return []
    out, words = [], ctx.sentence.words
    for i in range(word.id, len(words)):
        w = words[i]
        if w.upos in ("VERB", "AUX") or w.text in _LIST_BREAKS or w.feat("PronType") == "Rel":
            break
        if w.upos != "ADP" or w.lemma.lower() not in cases:
            continue
        # ", poi in Germania e da ultimo in Gran Bretagna": list adverbs may come before the preposition
        k = i - 1
        while k > 0:
            if words[k].lemma.lower() in _LIST_ADVERBS:
                k -= 1
            elif (words[k - 1].lemma.lower(), words[k].lemma.lower()) in _LIST_PHRASES:
                k -= 2
            else:
                break
        before = words[k]
        if not (before.text == "," or before.upos == "CCONJ" or before.deprel == "fixed"):
            continue
        j = i + 1
        while j < len(words) and words[j].upos == "DET":
            j += 1
        if j < len(words) and (item := _resolve(ctx, words[j])) is not None and _alike(ctx, item, first):
            out.append(words[j])
    return out


def _role_text(ctx: _Context, word: Word) -> str | None:
    match = ctx.lexicon.role_match(ctx.sentence, word)
    if match is None:
        # an elliptic "quello" holds the office of the role noun it stands for, whose own
        # complements are another body's ("il presidente del Senato X e quello della Camera Y")
        antecedent = ctx.elliptic_antecedent(word)
        return antecedent.lemma.lower() if antecedent else None
    role, span = match
    # the text, so contractions stay whole ("capo dello stato"); one person's
    # title is singular: "i presidenti" -> "presidente", "i capigruppo" -> "capogruppo"
    text = ctx.annotated.document.text
    # the role's head noun and the adjective that may open it ("primo ministro", "primi ministri")
    lead = span[:next((i for i, w in enumerate(span) if w.upos in ("NOUN", "PROPN")), 0) + 1]
    head = " ".join(role[:len(lead)]) if _plural(ctx, lead[-1]) else text[lead[0].start_char:lead[-1].end_char]
    return " ".join((head + text[lead[-1].end_char:span[-1].end_char]).lower().split())


_QUOTATION_OPENS = re.compile(":\\s*[" + "".join(_QUOTE_MARKS) + "]")


def _clause_text(ctx: _Context, word: Word, speaker: Word | None = None) -> str:
    ids = {word.id} | {w.id for w in ctx.descendants(word) if w.id not in ctx.silent}
    # the preposition that opens a phrase is no part of what was said ("secondo le dichiarazioni")
    ids -= {c.id for c in ctx.children.get(word.id, ()) if c.deprel == "case" and c.id == min(ids)}
    # an unsaid speaker is where its verb is ("«Siamo pronti», ha detto ai giornalisti")
    said_by = ctx.sentence.word(speaker.head) if speaker is not None and speaker.id in ctx.silent else speaker
    if said_by is not None and said_by.id in ids and said_by.id != word.id:
        # the speaker inside what is reported ("... - commenta il colonnello X - ...", "secondo X,
        # ..."): the phrase that names the speaker is no part of what was said
        top = said_by
        while top.head != word.id:
            top = ctx.sentence.word(top.head)
        named = _resolve(ctx, speaker)
        for phrase in [top] + [c for c in ctx.children.get(word.id, ()) if named and _resolve(ctx, c) == named]:
            ids -= {phrase.id} | {w.id for w in ctx.descendants(phrase)}
    text = " ".join(_run_text(ctx, run) for run in _runs(sorted(ids)))
    # a clause that introduces a quotation ("Carlo Neri: «...»", "getta acqua sul fuoco: «...»")
    # said the quotation; its marks and full stop are no part of what was said
    quoted = _QUOTATION_OPENS.search(text)
    return _tidy(text[quoted.end() if quoted else 0:])


def _runs(ids: list[int]) -> list[list[int]]:
    """Consecutive word ids in runs: [1, 2, 5, 6] -> [[1, 2], [5, 6]]."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _run_text(ctx: _Context, run: list[int]) -> str:
    """The text of consecutive words, without the commas and dashes left at its edges where a
    phrase was taken out of it."""
    text = ctx.annotated.document.text[ctx.sentence.word(run[0]).start_char:ctx.sentence.word(run[-1]).end_char]
    return text.strip(" ,;-–—")


def _quotation_text(ctx: _Context, colon: Word) -> str:
    """What a colon introduces, wherever the parser hung it: the quotation after it up to its
    closing mark, or the rest of the sentence where nothing is quoted; "" where nothing follows."""
    after = _after_colon(ctx, colon)
    if not after:
        return ""
    closing = _CLOSING_MARKS.get(after[0].text)
    end = next((w for w in after[1:] if w.text == closing), None) if closing else None
    text = ctx.annotated.document.text[after[0].start_char:end.start_char if end else after[-1].end_char]
    return _tidy(text)


def _antecedent_text(ctx: _Context, word: Word) -> str:
    """What a pronoun at the head of a clause takes up ("«...», lo ha detto X", "Lo ha detto X",
    "A rivelarlo è X"): the clause before it in its sentence or, where no verb comes before
    it ("Ieri lo ha detto X"), the sentence before."""
    before = ctx.sentence.words[:word.id - 1]
    if any(w.upos in ("VERB", "AUX") for w in before):
        return _tidy(ctx.annotated.document.text[before[0].start_char:word.start_char])
    if ctx.sentence.index == 0:
        return ""
    return _tidy(ctx.annotated.document.sentences[ctx.sentence.index - 1].text)


def _tidy(text: str) -> str:
    """What was said, one line, without the punctuation around it: a quotation mark at either end
    goes where its partner is not in the text, or where the pair encloses it all; a quotation
    opened inside it is closed ('che «non cambierà nulla»')."""
    text = " ".join(text.split()).strip(" ,.;:")
    for opening, closing in _CLOSING_MARKS.items():
        marks = [i for i, c in enumerate(text) if c in (opening, closing)]
        if len(marks) == 2 and marks == [0, len(text) - 1]:
            text = text[1:-1]
        elif len(marks) == 1 and marks[0] in (0, len(text) - 1):
            text = text[1:] if marks[0] == 0 else text[:-1]
        elif len(marks) == 1 and opening != closing and text[marks[0]] == opening:
            text += closing  # 'che «non cambierà nulla', the parser having left the closing mark out
        text = text.strip(" ,.;:")
    return text


LONG_SENTENCE = 40


def parse_reliability(sentence: Sentence) -> float:
    """How far to trust a parse: attachment accuracy falls with sentence
    length, so facts from long sentences get proportionally less confidence
    (never below 0.6 of the rule's)."""
    n = len(sentence.words)
    return 1.0 if n <= LONG_SENTENCE else max(0.6, LONG_SENTENCE / n)


NEGATIONS = {"non", "mai", "né"}


def _negated(ctx: _Context, rule: Rule, bound: dict[str, Word]) -> bool:
    """"Carlo Neri non ha partecipato al vertice": a negated word of the match
    states that the fact does not hold.  Quoted or reported content is not
    the fact, so "ha detto che non verrà" still says something."""
    if any(emit.form == "quotation" for emit in rule.emits):
        return False  # what follows a colon is said, whatever the clause before it denies ("non nasconde: «...»")
    content = {emit.object for emit in rule.emits if emit.form == "clause"}
    return any(c.deprel.startswith("advmod") and c.lemma.lower() in NEGATIONS
               for name, word in bound.items() if name not in content
               for c in ctx.children.get(word.id, ()))


def _named_by(ctx: _Context, key: str, text: str) -> bool:
    """Whether an entity's name is or holds ``text`` ("il Papa", a person known by the office;
    "il vescovo Luigi Papa", whose name the role word is in)."""
    entity = ctx.entities.get(key)
    return entity is not None and set(normalize_name(text).split()) <= set(normalize_name(entity.label).split())


# the literal forms that are text, from the matched word and the fact's subject
_TEXT_FORMS = {
    "role": lambda ctx, word, subject: _role_text(ctx, word),
    # where nothing follows the colon, the clause it ends is what was said
    "quotation": lambda ctx, word, subject: _quotation_text(ctx, word)
    or _clause_text(ctx, ctx.sentence.word(word.head), subject),
    "antecedent": lambda ctx, word, subject: _antecedent_text(ctx, word),
    "clause": lambda ctx, word, subject: _clause_text(ctx, word, subject),
}


class Emitter:
    """Turns matches into Facts, minting country Places for demonyms and party
    Organizations for party adjectives."""

    def __init__(self, annotated: AnnotatedDocument, lexicon: Lexicon):
        self.annotated, self.lexicon = annotated, lexicon
        self.new_entities: dict[str, Entity] = {}

    def facts(self, ctx: _Context, rule: Rule, bound: dict[str, Word]) -> Iterator[Fact]:
        words = [w for word in bound.values() for w in self._mention_words(ctx, word)]
        start = min(w.start_char for w in words)
        end = max(w.end_char for w in words)
        provenance = Provenance(document=self.annotated.document.id, sentence=ctx.sentence.index,
                                start_char=start, end_char=end, rule=rule.ref,
                                sentence_text=ctx.sentence.text)
        reliability = parse_reliability(ctx.sentence)
        for emit in rule.emits:
            confidence = (emit.confidence or rule.confidence) * reliability
            head = bound[emit.subject]
            # a coordinated role noun carries its own title ("della sindaca X e del generale Y")
            # and an office of its own ("del Senato X e quello della Camera Y", "del consiglio
            # italiano X e il presidente della commissione Y"), when the fact is about the first
            # role's own complements
            office = ctx.role(head) is not None and head in ctx.ancestors(bound[emit.object])
            spread = _spread(ctx, head, emit.lists, office or emit.form == "role") + _co_agents(ctx, head, bound) \
                if emit.coordination is True else [head]
            first = _resolve(ctx, head)
            # an entity matched as its own object ("la città di Avezzano": the city is Avezzano)
            # says nothing, of it or of what is coordinated with it
            if first is not None and emit.form == "entity" and _resolve(ctx, bound[emit.object]) == first:
                continue
            subjects = list(dict.fromkeys(
                e.key for w in spread
                if (e := _resolve(ctx, w))
                and (w is head or (emit.form != "role" or not ctx.role(w) and e.type == PERSON)
                     and not (office and _own_office(ctx, w)) and (first is None or _co_subjects(ctx, e, first)))))
            objects = self._objects(ctx, emit, bound[emit.object], head)
            # "i presidenti di Camera e Senato, X e Y": as many names as bodies pair up in order
            if _plural_role_names(ctx, head) and emit.form == "entity" and len(subjects) == len(objects) > 1:
                pairs = [(s, [o]) for s, o in zip(subjects, objects)]
            else:
                pairs = [(s, objects) for s in sorted(subjects)]
            for subject, objs in pairs:
                for obj, datatype in objs:
                    # "il Papa" (a person known only by the office) has no title "papa" to tell
                    if obj != subject and not (emit.form == "role" and _named_by(ctx, subject, obj)):
                        yield Fact(subject, emit.predicate, obj, provenance, datatype, round(confidence, 3))

    def _mention_words(self, ctx: _Context, word: Word) -> list[Word]:
        """The word and the rest of the name it is part of, so evidence spans
        cover "Emmanuel Macron", not just "Emmanuel"."""
        key = self.annotated.word_entity.get((ctx.sentence.index, word.id))
        if key is None:
            return [word]
        same = lambda w: self.annotated.word_entity.get((ctx.sentence.index, w.id)) == key
        first = last = word.id
        while first > 1 and same(ctx.sentence.word(first - 1)):
            first -= 1
        while last < len(ctx.sentence.words) and same(ctx.sentence.word(last + 1)):
            last += 1
        return list(ctx.sentence.words[first - 1:last])

    def _objects(self, ctx: _Context, emit: Emit, word: Word, subject: Word) -> list[tuple[str, str | None]]:
        if emit.form == "entity":
            # coordination joins like with like: "della Corte costituzionale Carlo Neri, i ministri X"
            # hangs the ministers on the court, and they are no second body
            first = _resolve(ctx, word)
            if emit.coordination is False:
                return [(first.key, None)] if first else []
            return list(dict.fromkeys((e.key, None) for w in _spread(ctx, word, emit.lists) if (e := _resolve(ctx, w))
                                      and (w is word or first is None or _alike(ctx, e, first))))
        if emit.form in _TEXT_FORMS:
            text = _TEXT_FORMS[emit.form](ctx, word, subject)
            return [(text, "string")] if text else []
        if emit.form == "date":
            date = self.annotated.word_date.get((ctx.sentence.index, word.id))
            return [(date.isoformat(), "date")] if date else []
        name, type_ = (self.lexicon.country_of(word), PLACE) if emit.form == "country" \
            else (self.lexicon.party_of(word), ORGANIZATION)
        if not name:
            return []
        key = entity_key(type_, name)
        known = next((e for e in self.annotated.entities if e.key == key), None)
        if known is None:
            self.new_entities.setdefault(key, Entity(key=key, type=type_, label=name))
        return [(key, None)]


def apply(annotated: AnnotatedDocument, ruleset: RuleSet, lexicon: Lexicon | None = None
          ) -> tuple[list[Fact], list[Entity]]:
    """All facts the rules find in one document, plus entities the rules
    introduced (countries named only by a demonym, parties only by an adjective)."""
    lexicon = lexicon or load_lexicon()
    emitter = Emitter(annotated, lexicon)
    facts: dict[tuple, Fact] = {}
    for sentence in annotated.document.sentences:
        ctx = _Context(annotated, sentence, lexicon)
        for rule in ruleset.rules:
            for bound in match(ctx, rule):
                if _negated(ctx, rule, bound):
                    continue
                for fact in emitter.facts(ctx, rule, bound):
                    key = (fact.subject, fact.predicate, fact.object, sentence.index)
                    if key not in facts or facts[key].confidence < fact.confidence:
                        facts[key] = fact
    result = _without_two_way_places(list(facts.values()))
    result += infer(result, ruleset.inferences)
    return result, list(emitter.new_entities.values())


def _without_two_way_places(facts: list[Fact]) -> list[Fact]:
    """A place cannot lie in a place that lies in it: of two such facts from
    one sentence (a parse that coordinates "di Bari, in Puglia") the more
    confident stands, and neither when they are equally confident."""
    located = {(f.subject, f.object, f.provenance.sentence): f.confidence for f in facts
               if f.predicate == "locatedIn"}

    def beaten(f: Fact) -> bool:
        reverse = located.get((f.object, f.subject, f.provenance.sentence))
        return reverse is not None and reverse >= f.confidence

    return [f for f in facts if f.predicate != "locatedIn" or not beaten(f)]


def infer(facts: list[Fact], inferences: Iterable[Inference]) -> list[Fact]:
    """Forward-chain the inference rules once over the rule facts."""
    derived: dict[tuple, Fact] = {}
    known = {(f.subject, f.predicate, f.object) for f in facts}
    for inference in inferences:
        for binding, first in _solve(facts, inference.premises, {}, None):
            s, p, o = (binding.get(x, x) for x in inference.conclusion)
            if (s, p, o) in known or (s, p, o) in derived or s == o:
                continue
            provenance = Provenance(first.provenance.document, first.provenance.sentence,
                                    first.provenance.start_char, first.provenance.end_char,
                                    f"{inference.id}@{inference.version}", first.provenance.sentence_text)
            derived[(s, p, o)] = Fact(s, p, o, provenance, None,
                                      round(min(first.confidence, inference.confidence), 3))
    return list(derived.values())


def _solve(facts, premises, binding, first):
    if not premises:
        yield binding, first
        return
    (s, p, o), rest = premises[0], premises[1:]
    for fact in facts:
        if fact.predicate != p or fact.is_literal:
            continue
        if binding.get(s, fact.subject) != fact.subject or binding.get(o, fact.object) != fact.object:
            continue
        yield from _solve(facts, rest, {**binding, s: fact.subject, o: fact.object}, first or fact)
