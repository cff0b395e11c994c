"""Time to write the HTML view (kg.render.render_html) of graphs of 200,
2,000 and 20,000 entity nodes, about 1.5 edges per node.  Above
kg.render.LARGE_GRAPH_NODES the layout is precomputed in Python instead of
left to the browser's physics, so that part of the cost shows here.  No
parsing model needed.

    python bench/html_speed.py --nodes 200,2000,20000
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import synthetic
from corpora import machine_line

from kg import rdf, render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", default="200,2000,20000")
    args = parser.parse_args()
    print(machine_line())
    print(f"{'nodes':>7} {'edges':>7} {'triples':>8} {'html s':>7} {'MB':>6} {'ms/node':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in (int(n) for n in args.nodes.split(",")):
            graph = rdf.to_graph(synthetic.extraction(entities=nodes, facts=nodes * 3 // 2))
            path = Path(tmp) / f"view-{nodes}.html"
            started = time.perf_counter()
            render.render_html(graph, path)
            seconds = time.perf_counter() - started
            print(f"{nodes:>7} {nodes * 3 // 2:>7} {len(graph):>8} {seconds:>7.2f} "
                  f"{path.stat().st_size / 1e6:>6.1f} {seconds / nodes * 1000:>8.2f}")


if __name__ == "__main__":
    main()
