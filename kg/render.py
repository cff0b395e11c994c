"""The view stage: a kg RDF graph as a networkx graph, a self-contained
interactive HTML page (vis-network, as bundled with pyvis) and GraphML/GEXF
for Gephi.

Entities are the subjects typed with a kg class other than kg:Assertion and
kg:Document; edges are the object-valued kg properties between two entities,
with the sentences and rules of the kg:Assertion nodes that reify them.

Escaping: the page has exactly two ways in for data.  Text placed in HTML
(heading, legend, filters) goes through ``html.escape``; everything else
travels as one JSON document inside ``<script type="application/json">`` with
``<``, ``>`` and ``&`` written as \\u escapes, so no string can close the
element, and the page's own script only ever sets ``textContent``.  Tooltips
are plain strings, which vis-network 9 shows with ``innerText``.  A
Content-Security-Policy forbids every network load, so the page also works
(and can only work) offline.
"""
from __future__ import annotations

import html
import importlib.resources
import json
import math
import os
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Iterable, NamedTuple

import networkx as nx
import pyvis
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.files import write_atomic
from kg.vocab import KG, ONTOLOGY_IRI

# Above this many nodes the browser cannot run a force layout in reasonable
# time, so physics is off and positions come precomputed.
LARGE_GRAPH_NODES = 1500

_NOT_ENTITIES = frozenset({KG.Assertion, KG.Document})
_VIS_ASSETS = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
_RING_SPACING = 80.0    # vis-network canvas units between neighbouring nodes


class Style(NamedTuple):
    color: str
    shape: str          # a vis-network shape with the label outside the node
    symbol: str         # the same shape as a character, for the legend


# Colour and shape both differ per class, so the view stays readable in
# greyscale and for colour-blind readers.  Order = preference when an entity
# has several kg classes (the most specific first).
CLASS_STYLES: dict[str, Style] = {
    "Person": Style("#4e79a7", "dot", "\u25cf"),
    "Organization": Style("#f28e2b", "square", "\u25a0"),
    "Place": Style("#59a14f", "triangle", "\u25b2"),
    "Event": Style("#e15759", "diamond", "\u25c6"),
    "Proposal": Style("#b07aa1", "star", "\u2605"),
    "Agent": Style("#76b7b2", "hexagon", "\u2b22"),
}
_EXTRA_STYLES = (
    Style("#9c755f", "triangleDown", "\u25bc"),
    Style("#edc948", "dot", "\u25cf"),
    Style("#bab0ac", "square", "\u25a0"),
)

_UI_TEXT: dict[str, dict[str, str]] = {
    "it": {"title": "Grafo della conoscenza", "search": "Cerca un'entit\u00e0\u2026",
           "classes": "Classi", "relations": "Relazioni", "also": "anche",
           "documents": "documenti", "rules": "regole", "confidence": "confidenza",
           "layout": "Disposizione del grafo\u2026", "matches": "trovati"},
    "en": {"title": "Knowledge graph", "search": "Search an entity\u2026",
           "classes": "Classes", "relations": "Relations", "also": "also",
           "documents": "documents", "rules": "rules", "confidence": "confidence",
           "layout": "Laying out the graph\u2026", "matches": "found"},
}


class _Evidence(NamedTuple):
    sentence: str
    rule: str
    document: str
    confidence: float | None


# --------------------------------------------------------------------------
# RDF -> networkx

@lru_cache(maxsize=1)
def _packaged_ontology() -> Graph:
    """kg.ttl as installed; an empty graph when it is not there, so that labels
    fall back to local names instead of failing the whole view."""
    ontology = Graph()
    path = _ontology_path()
    if path is not None:
        ontology.parse(path, format="turtle")
    return ontology


def _ontology_path() -> Path | None:
    try:
        resource = importlib.resources.files("kg.ontologies") / "kg.ttl"
        if resource.is_file():
            return Path(str(resource))
    except ModuleNotFoundError:
        pass    # not installed: kg.ontologies only exists through package-dir
    source_tree = Path(__file__).resolve().parent.parent / "ontologies" / "kg.ttl"
    return source_tree if source_tree.is_file() else None


class _Labels:
    """rdfs:label lookup in the ontology then the data, in one language."""

    def __init__(self, sources: Iterable[Graph], lang: str) -> None:
        self._sources = tuple(sources)
        self._lang = lang
        self._cache: dict[Node, str] = {}

    def __call__(self, term: Node) -> str:
        if term not in self._cache:
            literals = [o for g in self._sources for o in g.objects(term, RDFS.label)]
            self._cache[term] = _pick_language(literals, self._lang) or _local_name(term)
        return self._cache[term]


def _pick_language(literals: Iterable[Node], lang: str) -> str | None:
    """The literal in ``lang`` (or a regional variant), else an untagged one,
    else any; ties broken by text so the choice is deterministic."""
    def rank(literal: Literal) -> tuple[int, str, str]:
        tag = (literal.language or "").lower()
        if tag and tag.split("-")[0] == lang.lower():
            return (0, tag, str(literal))
        return (1 if not tag else 2, tag, str(literal))

    candidates = sorted((o for o in literals if isinstance(o, Literal)), key=rank)
    return str(candidates[0]) if candidates else None


def _local_name(term: Node) -> str:
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1] or text


def _node_id(term: Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _is_kg(term: Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(ONTOLOGY_IRI)


def _entity_classes(graph: Graph) -> dict[Node, URIRef]:
    """Entity -> its most specific kg class."""
    classes: dict[Node, list[URIRef]] = defaultdict(list)
    for subject, cls in graph.subject_objects(RDF.type):
        if _is_kg(cls) and not isinstance(subject, Literal):
            classes[subject].append(cls)
    preference = list(CLASS_STYLES)

    def specificity(cls: URIRef) -> tuple[int, str]:
        name = _local_name(cls)
        return (preference.index(name) if name in preference else len(preference), name)

    return {subject: min(found, key=specificity) for subject, found in classes.items()
            if _NOT_ENTITIES.isdisjoint(found)}


def _evidence_index(graph: Graph) -> dict[tuple[Node, Node, Node], list[_Evidence]]:
    index: dict[tuple[Node, Node, Node], list[_Evidence]] = defaultdict(list)
    for assertion in graph.subjects(RDF.type, KG.Assertion):
        key = (graph.value(assertion, RDF.subject), graph.value(assertion, RDF.predicate),
               graph.value(assertion, RDF.object))
        document = graph.value(assertion, KG.document)
        index[key].append(_Evidence(
            sentence=str(graph.value(assertion, KG.sentenceText) or ""),
            rule=str(graph.value(assertion, KG.rule) or ""),
            document=_local_name(document) if document is not None else "",
            confidence=_number(graph.value(assertion, KG.confidence)),
        ))
    return index


def _number(term: Node | None) -> float | None:
    # An ill-typed literal must not take the whole view down with it.
    try:
        return float(term.toPython()) if isinstance(term, Literal) else None
    except (TypeError, ValueError):
        return None


def _node_attributes(graph: Graph, term: Node, cls: URIRef, labels: _Labels,
                     lang: str) -> dict[str, Any]:
    name = _pick_language(graph.objects(term, RDFS.label), lang) or _local_name(term)
    alt_labels = sorted({str(o) for o in graph.objects(term, SKOS.altLabel)} - {name})
    facts = sorted((labels(p), str(o)) for p, o in graph.predicate_objects(term)
                   if _is_kg(p) and isinstance(o, Literal))
    documents = sorted(_local_name(o) for o in graph.objects(term, KG.mentionedIn))
    return {"label": name, "class": _local_name(cls), "class_label": labels(cls),
            "iri": str(term), "alt_labels": tuple(alt_labels), "facts": tuple(facts),
            "documents": tuple(documents)}


def _edge_attributes(predicate: URIRef, evidence: list[_Evidence],
                     labels: _Labels) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "relation": _local_name(predicate),
        "label": labels(predicate),
        "sentences": tuple(sorted({e.sentence for e in evidence if e.sentence})),
        "rules": tuple(sorted({e.rule for e in evidence if e.rule})),
        "documents": tuple(sorted({e.document for e in evidence if e.document})),
    }
    confidences = [e.confidence for e in evidence if e.confidence is not None]
    if confidences:
        attributes["confidence"] = max(confidences)
    return attributes


def to_networkx(graph: Graph, lang: str = "it", *,
                ontology: Graph | None = None) -> nx.MultiDiGraph:
    """Entities as nodes, kg relations between them as edges keyed by the
    property's local name.  Property and class labels come from ``ontology``
    (default: the packaged kg.ttl), then from ``graph``, then local names."""
    labels = _Labels((_packaged_ontology() if ontology is None else ontology, graph), lang)
    entities = _entity_classes(graph)
    evidence = _evidence_index(graph)
    view = nx.MultiDiGraph(lang=lang)
    for term in sorted(entities, key=_node_id):
        view.add_node(_node_id(term), **_node_attributes(graph, term, entities[term], labels, lang))
    relations = sorted(((s, p, o) for s in entities for p, o in graph.predicate_objects(s)
                        if _is_kg(p) and o in entities), key=lambda t: tuple(map(_node_id, t)))
    for s, p, o in relations:
        view.add_edge(_node_id(s), _node_id(o), key=_local_name(p),
                      **_edge_attributes(p, evidence.get((s, p, o), []), labels))
    return view


# --------------------------------------------------------------------------
# Gephi exports

def _as_view(graph: Graph | nx.MultiDiGraph, lang: str, ontology: Graph | None) -> nx.MultiDiGraph:
    return graph if isinstance(graph, nx.MultiDiGraph) else to_networkx(graph, lang, ontology=ontology)


def _flat(value: Any) -> str | int | float | bool:
    """GraphML/GEXF attributes must be scalars: one line per tuple item."""
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, tuple):
        return "\n".join(": ".join(item) if isinstance(item, tuple) else str(item) for item in value)
    return str(value)


def _export_graph(view: nx.MultiDiGraph) -> nx.MultiDiGraph:
    # Gephi identifies edges by id, and the view's keys (the relation name)
    # repeat across node pairs, so exported edges get unique keys.
    export = nx.MultiDiGraph()
    for node, attributes in view.nodes(data=True):
        export.add_node(node, **{k: _flat(v) for k, v in attributes.items()})
    for index, (u, v, attributes) in enumerate(view.edges(data=True)):
        export.add_edge(u, v, key=f"e{index}", **{k: _flat(x) for k, x in attributes.items()})
    return export


def write_graphml(graph: Graph | nx.MultiDiGraph, path: str | os.PathLike[str], lang: str = "it",
                  *, ontology: Graph | None = None) -> Path:
    export = _export_graph(_as_view(graph, lang, ontology))
    return write_atomic(path, lambda handle: nx.write_graphml(export, handle))


def write_gexf(graph: Graph | nx.MultiDiGraph, path: str | os.PathLike[str], lang: str = "it",
               *, ontology: Graph | None = None) -> Path:
    export = _export_graph(_as_view(graph, lang, ontology))
    return write_atomic(path, lambda handle: nx.write_gexf(export, handle))


# --------------------------------------------------------------------------
# Layout for large graphs

def _fast_layout(view: nx.MultiDiGraph) -> dict[str, tuple[int, int]]:
    """A radial tree per connected component, components packed on shelves;
    deterministic, 0.1 s at 20,000 nodes.  networkx's force layouts are
    O(V^2) per iteration: spring_layout took 11 s and forceatlas2_layout
    19 s at 2,000 nodes on the 2-core build machine."""
    neighbours = {n: sorted(set(view.predecessors(n)) | set(view.successors(n))) for n in view}
    components = sorted((sorted(c) for c in nx.weakly_connected_components(view)),
                        key=lambda c: (-len(c), c[0]))
    return _pack([_radial_tree(component, neighbours) for component in components])


def _radial_tree(component: list[str], neighbours: dict[str, list[str]]
                 ) -> tuple[dict[str, tuple[float, float]], float]:
    """The BFS tree from the first best-connected node, one ring per depth.
    Each subtree owns an angular sector proportional to its size, so siblings
    stay together and tree edges do not cross; nodes then move just enough
    along their ring to keep apart."""
    root = max(component, key=lambda n: len(neighbours[n]))
    order, parent, depth = [root], {root: root}, {root: 0}
    for node in order:      # breadth-first: the loop visits what it appends
        for other in neighbours[node]:
            if other not in parent:
                parent[other], depth[other] = node, depth[node] + 1
                order.append(other)
    children: dict[str, list[str]] = defaultdict(list)
    for node in order[1:]:
        children[parent[node]].append(node)
    size = dict.fromkeys(order, 1)
    for node in reversed(order[1:]):
        size[parent[node]] += size[node]
    sector = {root: (0.0, 2 * math.pi)}
    rings: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for node in order:
        start, width = sector[node]
        rings[depth[node]].append((start + width / 2, node))
        for child in children[node]:
            share = width * size[child] / (size[node] - 1)
            sector[child] = (start, share)
            start += share
    positions, radius = {root: (0.0, 0.0)}, 0.0
    for d in range(1, len(rings)):
        radius = max(radius + _RING_SPACING, len(rings[d]) * _RING_SPACING / (2 * math.pi))
        placed, radius = _ring(rings[d], radius)
        positions.update(placed)
    return positions, radius


def _ring(targets: list[tuple[float, str]], radius: float
          ) -> tuple[dict[str, tuple[float, float]], float]:
    """Nodes at their target angles pushed forward to _RING_SPACING apart;
    the ring grows until they fit in one turn."""
    targets = sorted(targets)
    while True:
        gap, angles, last = _RING_SPACING / radius, [], -math.inf
        for target, _ in targets:
            last = max(target, last + gap)
            angles.append(last)
        if angles[-1] - angles[0] <= 2 * math.pi - gap:
            break
        radius *= 1.25
    return ({node: (radius * math.cos(a), radius * math.sin(a))
             for (_, node), a in zip(targets, angles)}, radius)


def _pack(placed: list[tuple[dict[str, tuple[float, float]], float]]
          ) -> dict[str, tuple[int, int]]:
    diameters = [2 * radius + _RING_SPACING for _, radius in placed]
    row_width = max([math.sqrt(sum(d * d for d in diameters))] + diameters[:1])
    positions: dict[str, tuple[int, int]] = {}
    x = y = row_height = 0.0
    for (local, _), diameter in zip(placed, diameters):
        if x > 0 and x + diameter > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        cx, cy = x + diameter / 2, y + diameter / 2
        for node, (px, py) in local.items():
            # Whole units: vis-network reports positions truncated to integers.
            positions[node] = (round(cx + px), round(cy + py))
        x, row_height = x + diameter, max(row_height, diameter)
    return positions


# --------------------------------------------------------------------------
# HTML

def _ui_text(lang: str) -> dict[str, str]:
    return _UI_TEXT.get(lang.split("-")[0].lower(), _UI_TEXT["en"])


def _class_styles(classes: Iterable[str]) -> dict[str, Style]:
    """Known classes keep their style; others get the extra styles in name order."""
    unknown = sorted(set(classes) - set(CLASS_STYLES))
    extra = {cls: _EXTRA_STYLES[i % len(_EXTRA_STYLES)] for i, cls in enumerate(unknown)}
    return {**CLASS_STYLES, **extra}


def _node_tooltip(attributes: dict[str, Any], text: dict[str, str]) -> str:
    lines = [attributes["label"], attributes.get("class_label", attributes["class"])]
    if attributes.get("alt_labels"):
        lines.append(f"{text['also']}: {', '.join(attributes['alt_labels'])}")
    lines += [f"{name}: {value}" for name, value in attributes.get("facts", ())]
    if attributes.get("documents"):
        lines.append(f"{text['documents']}: {', '.join(attributes['documents'])}")
    return "\n".join(lines)


def _edge_tooltip(source: str, target: str, attributes: dict[str, Any], text: dict[str, str]) -> str:
    lines = [f"{source} \u2192 {attributes['label']} \u2192 {target}"]
    lines += [f"\u00ab{sentence}\u00bb" for sentence in attributes.get("sentences", ())]
    if attributes.get("rules"):
        rules = f"{text['rules']}: {', '.join(attributes['rules'])}"
        if "confidence" in attributes:
            rules += f" \u00b7 {text['confidence']} {attributes['confidence']:g}"
        lines.append(rules)
    if attributes.get("documents"):
        lines.append(f"{text['documents']}: {', '.join(attributes['documents'])}")
    return "\n".join(lines)


def _vis_nodes(view: nx.MultiDiGraph, styles: dict[str, Style], text: dict[str, str],
               positions: dict[str, tuple[int, int]] | None) -> list[dict[str, Any]]:
    nodes = []
    for node, attributes in view.nodes(data=True):
        style = styles[attributes["class"]]
        names = (attributes["label"], *attributes.get("alt_labels", ()))
        item = {"id": node, "label": attributes["label"], "cls": attributes["class"],
                "title": _node_tooltip(attributes, text), "shape": style.shape,
                "color": style.color, "size": 12 + min(view.degree(node), 18),
                "search": "\n".join(names).lower()}
        if positions is not None:
            item["x"], item["y"] = positions[node]
        nodes.append(item)
    return nodes


def _vis_edges(view: nx.MultiDiGraph, text: dict[str, str]) -> list[dict[str, Any]]:
    labels = dict(view.nodes(data="label"))
    return [{"id": f"e{index}", "from": u, "to": v, "label": attributes["label"],
             "relation": attributes["relation"],
             "title": _edge_tooltip(labels[u], labels[v], attributes, text)}
            for index, (u, v, attributes) in enumerate(view.edges(data=True))]


def _vis_options(large: bool) -> dict[str, Any]:
    physics: dict[str, Any] = {"enabled": False} if large else {
        "enabled": True,
        "solver": "forceAtlas2Based",
        "forceAtlas2Based": {"gravitationalConstant": -80, "springLength": 140,
                             "springConstant": 0.05, "avoidOverlap": 0.5},
        "minVelocity": 1,
        # Bounded, and the page turns physics off once done: no endless jiggle.
        "stabilization": {"enabled": True, "iterations": 400, "updateInterval": 25, "fit": True},
    }
    return {
        "physics": physics,
        "layout": {"randomSeed": 42, "improvedLayout": not large},
        "nodes": {"font": {"size": 14, "face": "sans-serif"}, "borderWidth": 1,
                  "widthConstraint": {"maximum": 180}},
        "edges": {"smooth": False, "color": {"color": "#9aa0a6", "highlight": "#333333"},
                  "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
                  "font": {"size": 11, "align": "middle", "face": "sans-serif"}},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": large,
                        "hideEdgesOnZoom": large},
    }


def _script_json(value: Any) -> str:
    """JSON that is inert inside a <script> element: <, > and & only occur in
    JSON strings, where their \\u escapes mean the same characters."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _checkbox_list(css_class: str, entries: list[tuple[str, str, str, int]]) -> str:
    """entries: (value, swatch HTML, label, count); the swatch is ours, the rest is data."""
    return "\n".join(
        f'<li><label><input type="checkbox" class="{css_class}" value="{_esc(value)}" checked>'
        f'{swatch}<span class="kg-name">{_esc(label)}</span> '
        f'<span class="kg-count">{count}</span></label></li>'
        for value, swatch, label, count in entries)


def _legend(view: nx.MultiDiGraph, styles: dict[str, Style]) -> str:
    counts = Counter(cls for _, cls in view.nodes(data="class"))
    labels = {a["class"]: a.get("class_label", a["class"]) for _, a in view.nodes(data=True)}
    order = {cls: index for index, cls in enumerate(styles)}
    entries = [(cls, f'<span class="kg-swatch" style="color:{_esc(styles[cls].color)}">'
                     f'{styles[cls].symbol}</span>', labels[cls], counts[cls])
               for cls in sorted(counts, key=lambda c: (order[c], c))]
    return _checkbox_list("kg-class", entries)


def _relation_filter(view: nx.MultiDiGraph) -> str:
    counts = Counter(relation for *_, relation in view.edges(data="relation"))
    labels = {a["relation"]: a["label"] for *_, a in view.edges(data=True)}
    entries = [(relation, "", labels[relation], counts[relation])
               for relation in sorted(counts, key=lambda r: (labels[r].lower(), r))]
    return _checkbox_list("kg-relation", entries)


@lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    script = (_VIS_ASSETS / "vis-network.min.js").read_text(encoding="utf-8")
    style = (_VIS_ASSETS / "vis-network.css").read_text(encoding="utf-8")
    # Inlined verbatim, so they must not be able to end their own element.
    if "</script" in script.lower() or "</style" in style.lower():
        raise ValueError("bundled vis-network cannot be inlined safely")
    return script, style


def page_html(view: nx.MultiDiGraph, lang: str = "it", title: str | None = None) -> str:
    """The whole self-contained page for a view made by :func:`to_networkx`."""
    text = _ui_text(lang)
    large = view.number_of_nodes() > LARGE_GRAPH_NODES
    styles = _class_styles(cls for _, cls in view.nodes(data="class"))
    data = {"nodes": _vis_nodes(view, styles, text, _fast_layout(view) if large else None),
            "edges": _vis_edges(view, text), "options": _vis_options(large),
            "text": {"layout": text["layout"], "matches": text["matches"]}}
    vis_script, vis_style = _vis_assets()
    return _PAGE.substitute(
        lang=_esc(lang), title=_esc(title or text["title"]), vis_style=vis_style,
        vis_script=vis_script, search=_esc(text["search"]), classes=_esc(text["classes"]),
        relations=_esc(text["relations"]), legend=_legend(view, styles),
        relation_filter=_relation_filter(view), data=_script_json(data), script=_SCRIPT)


def render_html(graph: Graph | nx.MultiDiGraph, path: str | os.PathLike[str], lang: str = "it",
                title: str | None = None, *, ontology: Graph | None = None) -> Path:
    """Write the interactive view of ``graph`` (RDF, or a view from
    :func:`to_networkx`) to ``path``, atomically."""
    page = page_html(_as_view(graph, lang, ontology), lang, title)
    return write_atomic(path, lambda handle: handle.write(page.encode("utf-8")))


# default-src 'none' blocks every fetch, so a stray URL in data can neither
# load nor leak anything; the page needs only its own inline code and styles
# and vis-network's data: images.
_PAGE = Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$vis_style</style>
<style>
html, body { margin: 0; height: 100%; font: 14px/1.4 system-ui, sans-serif; color: #222; }
body { display: flex; flex-direction: column; }
header { display: flex; align-items: center; gap: 1em; padding: .5em 1em; border-bottom: 1px solid #ddd; }
header h1 { font-size: 1.2em; margin: 0; flex: 1; }
#kg-search { width: 18em; padding: .3em .5em; }
#kg-status { color: #666; min-width: 6em; }
main { display: flex; flex: 1; min-height: 0; }
aside { width: 16em; overflow-y: auto; padding: .5em 1em; border-right: 1px solid #ddd; }
aside h2 { font-size: 1em; margin: .8em 0 .3em; }
aside ul { list-style: none; margin: 0; padding: 0; }
aside li label { display: flex; align-items: center; gap: .35em; cursor: pointer; }
.kg-swatch { font-size: 1.2em; width: 1em; text-align: center; }
.kg-name { flex: 1; overflow-wrap: anywhere; }
.kg-count { color: #888; font-size: .85em; }
#kg-network { flex: 1; min-width: 0; }
div.vis-tooltip { white-space: pre-wrap; max-width: 32em; font-family: system-ui, sans-serif; font-size: 13px; }
</style>
<script>$vis_script</script>
</head>
<body>
<header>
<h1>$title</h1>
<input id="kg-search" type="search" placeholder="$search" aria-label="$search">
<span id="kg-status" aria-live="polite"></span>
</header>
<main>
<aside>
<h2>$classes</h2>
<ul id="kg-legend">
$legend
</ul>
<h2>$relations</h2>
<ul id="kg-relations">
$relation_filter
</ul>
</aside>
<div id="kg-network"></div>
</main>
<script type="application/json" id="kg-data">$data</script>
<script>$script</script>
</body>
</html>
""")

# Globals network/nodes/edges are kept on purpose: they are what pyvis pages
# expose, and what tests and notebooks poke at.  Never innerHTML: data only
# reaches the DOM through textContent and vis-network's innerText tooltips.
_SCRIPT = """
var network, nodes, edges;
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var status = document.getElementById("kg-status");
  nodes = new vis.DataSet(data.nodes);
  edges = new vis.DataSet(data.edges);
  network = new vis.Network(document.getElementById("kg-network"),
                            {nodes: nodes, edges: edges}, data.options);

  function ready() {
    status.textContent = "";
    document.body.setAttribute("data-kg-ready", "1");
  }
  if (data.options.physics.enabled && data.nodes.length > 0) {
    status.textContent = data.text.layout;
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({physics: {enabled: false}});
      ready();
    });
  } else {
    ready();
  }

  function checked(selector) {
    var values = new Set();
    document.querySelectorAll(selector).forEach(function (box) {
      if (box.checked) { values.add(box.value); }
    });
    return values;
  }
  function applyFilters() {
    var classes = checked("input.kg-class"), relations = checked("input.kg-relation");
    nodes.update(nodes.get().map(function (n) { return {id: n.id, hidden: !classes.has(n.cls)}; }));
    edges.update(edges.get().map(function (e) {
      return {id: e.id, hidden: !relations.has(e.relation)};
    }));
  }
  document.querySelectorAll("input.kg-class, input.kg-relation").forEach(function (box) {
    box.addEventListener("change", applyFilters);
  });

  var search = document.getElementById("kg-search");
  search.addEventListener("input", function () {
    var query = search.value.trim().toLowerCase();
    if (!query) { network.unselectAll(); status.textContent = ""; return; }
    var found = nodes.getIds({filter: function (n) {
      return !n.hidden && n.search.indexOf(query) !== -1;
    }});
    network.selectNodes(found);
    status.textContent = found.length + " " + data.text.matches;
    if (found.length) { network.fit({nodes: found, animation: {duration: 300}}); }
  });
})();
"""
