"""kg.render without a browser: the networkx view, the HTML page as text, and
the Gephi exports."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace

from kg.render import CLASS_STYLES, LARGE_GRAPH_NODES, render_html, to_networkx, write_gexf, write_graphml
from kg.vocab import KG, ONTOLOGY_IRI

FIXTURES = Path(__file__).parent / "fixtures"
R = Namespace("https://w3id.org/kg-it/resource/")
XSS_MARKERS = ("<script>window", "<img", "<a href", "<b onmouseover", "</style><script")


def load(name: str) -> Graph:
    return Graph().parse(FIXTURES / name, format="turtle")


def synthetic_graph(n: int) -> Graph:
    """n entities in stars of ten, the first half of the hubs chained into one
    big component, every relation backed by an Assertion."""
    graph = Graph()
    classes = (KG.Person, KG.Organization, KG.Place, KG.Event)
    relations = (KG.meets, KG.memberOf, KG.locatedIn, KG.participatesIn)
    for i in range(n):
        graph.add((R[f"e{i}"], RDF.type, classes[i % 4]))
        graph.add((R[f"e{i}"], RDFS.label, Literal(f"Entit\u00e0 {i}")))
    links = [(i, i - i % 10) for i in range(n) if i % 10]
    links += [(hub, hub + 10) for hub in range(0, n // 2 - 10, 10)]
    for index, (s, o) in enumerate(links):
        predicate = relations[index % 4]
        graph.add((R[f"e{s}"], predicate, R[f"e{o}"]))
        assertion = R[f"a{index}"]
        for p, value in ((RDF.type, KG.Assertion), (RDF.subject, R[f"e{s}"]),
                         (RDF.predicate, predicate), (RDF.object, R[f"e{o}"]),
                         (KG.sentenceText, Literal(f"Frase numero {index} sull'entit\u00e0 {s}.")),
                         (KG.rule, Literal("synthetic@1")), (KG.document, R.doc1)):
            graph.add((assertion, p, value))
    return graph


def rdf_counts(graph: Graph) -> tuple[int, int]:
    """Entities and entity-to-entity kg relations, counted straight from the
    triples (rdflib's SPARQL takes minutes on the 2,000-node graph)."""
    classes: dict[Any, set[Any]] = {}
    for subject, cls in graph.subject_objects(RDF.type):
        if str(cls).startswith(ONTOLOGY_IRI):
            classes.setdefault(subject, set()).add(cls)
    entities = {s for s, found in classes.items() if not found & {KG.Assertion, KG.Document}}
    relations = sum(1 for s, p, o in graph
                    if s in entities and o in entities and str(p).startswith(ONTOLOGY_IRI))
    return len(entities), relations


class _Tags(HTMLParser):
    """Start tags as a browser's tokenizer sees them (script bodies are opaque)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_only_our_markup(text: str) -> None:
    tags = _Tags(text).tags
    assert [tag for tag, _ in tags].count("script") == 3        # vis-network, data, ours
    assert not {tag for tag, _ in tags} & {"img", "a", "b", "iframe", "object", "embed", "link"}
    assert not [name for _, attrs in tags for name, _ in attrs if name.startswith("on")]
    assert not [value for _, attrs in tags for name, value in attrs
                if name in ("src", "href") and value and re.match(r"\s*(https?:|//)", value)]


def page_data(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', text, re.S)
    assert match
    return json.loads(match.group(1))


@pytest.fixture
def sample() -> Graph:
    return load("render_sample.ttl")


@pytest.fixture
def ontology() -> Graph:
    return load("render_ontology.ttl")


def test_nodes_and_edges_are_the_rdf_entities_and_relations(sample: Graph) -> None:
    view = to_networkx(sample, ontology=Graph())
    assert (view.number_of_nodes(), view.number_of_edges()) == rdf_counts(sample) == (6, 4)
    assert not any(node.endswith(("/a1", "/a2", "/doc1")) for node in view)
    assert view.nodes[str(R["vertice-ue"])]["class"] == "Summit"     # unknown classes still count
    assert set(view.edges(str(R["emmanuel-macron"]), keys=True)) == {
        (str(R["emmanuel-macron"]), str(R["mark-rutte"]), "meets"),
        (str(R["emmanuel-macron"]), str(R["riunione"]), "participatesIn")}


def test_literal_facts_and_names_stay_on_the_node(sample: Graph, ontology: Graph) -> None:
    macron = to_networkx(sample, "it", ontology=ontology).nodes[str(R["emmanuel-macron"])]
    assert macron["label"] == "Emmanuel Macron"
    assert macron["alt_labels"] == ("Macron",)
    assert ("titolo", "presidente") in macron["facts"]
    assert ("says", "Siamo pronti.") in macron["facts"]      # no label in the fixture ontology
    assert macron["documents"] == ("doc1",)


def test_edges_carry_the_assertion_sentence_and_rule(sample: Graph) -> None:
    view = to_networkx(sample, ontology=Graph())
    meets = view.edges[str(R["emmanuel-macron"]), str(R["mark-rutte"]), "meets"]
    assert meets["sentences"] == ("Il presidente francese Emmanuel Macron ha incontrato a Parigi Mark Rutte.",)
    assert meets["rules"] == ("meets-colloquio@1",)
    assert meets["confidence"] == 0.9
    member = view.edges[str(R["mark-rutte"]), str(R["nato"]), "memberOf"]
    assert member["sentences"] == () and "confidence" not in member


@pytest.mark.parametrize("lang, relation, person", [("it", "incontra", "Persona"), ("en", "meets", "Person")])
def test_labels_follow_the_language(sample: Graph, ontology: Graph, lang: str, relation: str,
                                    person: str, tmp_path: Path) -> None:
    view = to_networkx(sample, lang, ontology=ontology)
    assert view.edges[str(R["emmanuel-macron"]), str(R["mark-rutte"]), "meets"]["label"] == relation
    assert view.nodes[str(R["mark-rutte"])]["class_label"] == person
    data = page_data(render_html(view, tmp_path / "view.html", lang))
    assert relation in {edge["label"] for edge in data["edges"]}
    assert f'<span class="kg-name">{person}</span>' in (tmp_path / "view.html").read_text(encoding="utf-8")


def test_labels_fall_back_to_local_names(sample: Graph) -> None:
    view = to_networkx(sample, "it", ontology=Graph())
    assert view.edges[str(R["riunione"]), str(R["parigi"]), "locatedIn"]["label"] == "locatedIn"
    assert view.nodes[str(R["vertice-ue"])]["class_label"] == "Summit"


def test_page_is_self_contained(sample: Graph, tmp_path: Path) -> None:
    text = render_html(sample, tmp_path / "view.html").read_text(encoding="utf-8")
    assert_only_our_markup(text)
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", text, re.I)
    assert "default-src 'none'" in text


def test_every_class_has_its_own_colour_and_shape(sample: Graph, tmp_path: Path) -> None:
    data = page_data(render_html(sample, tmp_path / "view.html"))
    styles = {node["cls"]: (node["color"], node["shape"]) for node in data["nodes"]}
    assert len(set(styles.values())) == len(styles) == 5
    assert len({shape for _, shape in styles.values()}) == 5
    assert styles["Person"] == (CLASS_STYLES["Person"].color, CLASS_STYLES["Person"].shape)


def test_tooltips_hold_sentence_rule_and_facts(sample: Graph, ontology: Graph, tmp_path: Path) -> None:
    data = page_data(render_html(sample, tmp_path / "view.html", "it", ontology=ontology))
    meets = next(edge for edge in data["edges"] if edge["relation"] == "meets")
    assert "Il presidente francese Emmanuel Macron" in meets["title"]
    assert "meets-colloquio@1" in meets["title"]
    macron = next(node for node in data["nodes"] if node["label"] == "Emmanuel Macron")
    assert "titolo: presidente" in macron["title"].split("\n")


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    title = "<script>window.__xss=1</script>"
    text = render_html(load("render_xss.ttl"), tmp_path / "xss.html", title=title).read_text(encoding="utf-8")
    for marker in XSS_MARKERS:
        assert marker not in text, marker
    assert_only_our_markup(text)
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in text      # the heading, escaped
    data = page_data(tmp_path / "xss.html")     # and the data survives intact
    assert "<script>window.__xss=1</script>" in {node["label"] for node in data["nodes"]}


def test_small_graphs_run_bounded_physics_with_straight_edges(sample: Graph, tmp_path: Path) -> None:
    options = page_data(render_html(sample, tmp_path / "view.html"))["options"]
    assert options["physics"]["enabled"] is True
    assert options["physics"]["stabilization"]["iterations"] <= 1000
    assert options["edges"]["smooth"] is False


def test_large_graphs_get_positions_and_no_physics(tmp_path: Path) -> None:
    n = 2000
    assert n > LARGE_GRAPH_NODES
    graph = synthetic_graph(n)
    data = page_data(render_html(graph, tmp_path / "large.html"))
    assert data["options"]["physics"]["enabled"] is False
    assert len(data["nodes"]) == n and len(data["edges"]) == rdf_counts(graph)[1]
    positions = {(node["x"], node["y"]) for node in data["nodes"]}
    assert len(positions) == n          # every node placed, none on top of another


def test_output_is_deterministic_and_written_atomically(sample: Graph, tmp_path: Path) -> None:
    first = render_html(sample, tmp_path / "a.html").read_bytes()
    second = render_html(sample, tmp_path / "a.html").read_bytes()
    assert first == second
    assert [p.name for p in tmp_path.iterdir()] == ["a.html"]     # no temporary file left
    assert (tmp_path / "a.html").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("write, read", [(write_graphml, nx.read_graphml), (write_gexf, nx.read_gexf)])
def test_gephi_exports_read_back(sample: Graph, tmp_path: Path, write: Any, read: Any) -> None:
    path = write(sample, tmp_path / "graph.out")
    back = read(path)
    assert (back.number_of_nodes(), back.number_of_edges()) == rdf_counts(sample)
    macron = back.nodes[str(R["emmanuel-macron"])]
    assert macron["label"] == "Emmanuel Macron" and macron["class"] == "Person"
    values = [v for _, attributes in back.nodes(data=True) for v in attributes.values()]
    values += [v for *_, attributes in back.edges(data=True) for v in attributes.values()]
    assert all(isinstance(v, (str, int, float)) for v in values)
