"""The HTML view in a real headless chromium, offline: it draws every node and
edge, logs no error, fetches nothing, and hostile text never runs."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import pytest
from rdflib import Graph

from kg.render import render_html, to_networkx
from test_render import FIXTURES, synthetic_graph

if TYPE_CHECKING:
    from conftest import OfflinePage

pytestmark = pytest.mark.browser

HOSTILE_TITLE = "<script>window.__xss=1</script>"

_COUNTS = """() => ({nodes: nodes.length, edges: edges.length,
                    drawnNodes: network.body.nodeIndices.length,
                    drawnEdges: network.body.edgeIndices.length})"""

# Where a node, or the middle of an edge, is on screen.
_NODE_POINT = """(id) => {
  const p = network.canvasToDOM(network.getPositions([id])[id]);
  const box = document.getElementById("kg-network").getBoundingClientRect();
  return [box.left + p.x, box.top + p.y];
}"""
_EDGE_POINT = """(id) => {
  const [from, to] = network.getConnectedNodes(id);
  const positions = network.getPositions([from, to]);
  const p = network.canvasToDOM({x: (positions[from].x + positions[to].x) / 2,
                                 y: (positions[from].y + positions[to].y) / 2});
  const box = document.getElementById("kg-network").getBoundingClientRect();
  return [box.left + p.x, box.top + p.y];
}"""
_TOOLTIP_SHOWS = """(expected) => {
  const tip = document.querySelector("div.vis-tooltip");
  return tip !== null && getComputedStyle(tip).visibility === "visible"
      && tip.innerText.startsWith(expected);
}"""


def open_view(offline: OfflinePage, path: Path) -> Any:
    page = offline.page
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-kg-ready='1']", state="attached", timeout=60_000)
    return page


def assert_clean(offline: OfflinePage) -> None:
    assert offline.errors == []
    assert offline.blocked == []


def hover(page: Any, script: str, item_id: str, expected_start: str) -> str:
    """Move onto the item and return its tooltip's visible text."""
    page.mouse.move(1, 1)
    x, y = page.evaluate(script, item_id)
    page.mouse.move(x, y, steps=4)
    page.wait_for_function(_TOOLTIP_SHOWS, arg=expected_start, timeout=5_000)
    return page.inner_text("div.vis-tooltip")


def test_every_node_and_edge_is_drawn(offline_page: OfflinePage, tmp_path: Path) -> None:
    graph = Graph().parse(FIXTURES / "render_sample.ttl")
    view = to_networkx(graph)
    page = open_view(offline_page, render_html(graph, tmp_path / "view.html"))
    n, m = view.number_of_nodes(), view.number_of_edges()
    assert page.evaluate(_COUNTS) == {"nodes": n, "edges": m, "drawnNodes": n, "drawnEdges": m}
    assert page.evaluate("network.physics.physicsEnabled") is False   # turned off once stable
    assert_clean(offline_page)


def test_tooltips_show_sentence_and_rule(offline_page: OfflinePage, tmp_path: Path) -> None:
    graph = Graph().parse(FIXTURES / "render_sample.ttl")
    page = open_view(offline_page, render_html(graph, tmp_path / "view.html"))
    meets = page.evaluate("edges.get({filter: e => e.relation === 'meets'})[0].id")
    text = hover(page, _EDGE_POINT, meets, "Emmanuel Macron")
    assert "Il presidente francese Emmanuel Macron ha incontrato" in text
    assert "meets-colloquio@1" in text
    assert_clean(offline_page)


def test_search_and_filters(offline_page: OfflinePage, tmp_path: Path) -> None:
    graph = Graph().parse(FIXTURES / "render_sample.ttl")
    page = open_view(offline_page, render_html(graph, tmp_path / "view.html"))
    page.fill("#kg-search", "alleanza")     # an alt label of NATO
    assert page.evaluate("network.getSelectedNodes()") == ["https://w3id.org/kg-it/resource/nato"]
    page.uncheck("input.kg-class[value='Person']")
    page.uncheck("input.kg-relation[value='locatedIn']")
    hidden = page.evaluate("""() => ({
        nodes: nodes.get({filter: n => n.hidden}).map(n => n.label).sort(),
        edges: edges.get({filter: e => e.hidden}).map(e => e.relation).sort()})""")
    assert hidden == {"nodes": ["Emmanuel Macron", "Mark Rutte"], "edges": ["locatedIn"]}
    assert_clean(offline_page)


def test_hostile_text_never_runs(offline_page: OfflinePage, tmp_path: Path) -> None:
    graph = Graph().parse(FIXTURES / "render_xss.ttl")
    view = to_networkx(graph)
    page = open_view(offline_page, render_html(graph, tmp_path / "xss.html", title=HOSTILE_TITLE))
    assert page.evaluate("typeof window.__xss") == "undefined"
    tooltips = [hover(page, _NODE_POINT, node, label) for node, label in view.nodes(data="label")]
    tooltips += [hover(page, _EDGE_POINT, f"e{index}", view.nodes[u]["label"])
                 for index, (u, _) in enumerate(view.edges())]
    page.wait_for_timeout(300)      # give any injected handler the chance to fire
    assert page.evaluate("typeof window.__xss") == "undefined"
    # The text arrived verbatim, as text.
    assert any(t.startswith("<script>window.__xss=1</script>") for t in tooltips)
    assert any('<img src=x onerror="window.__xss=1">' in t for t in tooltips)
    assert page.inner_text("h1") == HOSTILE_TITLE
    assert page.evaluate("document.querySelectorAll('img, a, b, iframe').length") == 0
    assert page.evaluate("document.scripts.length") == 3
    assert_clean(offline_page)


def test_large_graph_draws_at_its_precomputed_positions(offline_page: OfflinePage,
                                                        tmp_path: Path) -> None:
    view = to_networkx(synthetic_graph(2000))
    page = open_view(offline_page, render_html(view, tmp_path / "large.html"))
    n, m = view.number_of_nodes(), view.number_of_edges()
    assert page.evaluate(_COUNTS) == {"nodes": n, "edges": m, "drawnNodes": n, "drawnEdges": m}
    moved = page.evaluate("""() => nodes.get().filter(n => {
        const p = network.getPositions([n.id])[n.id];
        return Math.abs(p.x - n.x) > 0.01 || Math.abs(p.y - n.y) > 0.01; }).length""")
    assert moved == 0
    assert nx.number_weakly_connected_components(view) > 1     # the packing was exercised
    assert_clean(offline_page)
