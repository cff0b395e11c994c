"""Writing a large graph: kg.rdf.serialize (rdflib) against
kg.store.fast_serialize (pyoxigraph), both atomic and both reading the file
back to count it, as a build does.  No parsing model needed.

    python bench/serialize_speed.py --facts 2000,8000 --formats ttl,nt
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import synthetic
from corpora import machine_line

from kg import rdf, store


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", default="2000,8000", help="comma-separated fact counts (13 triples each)")
    parser.add_argument("--formats", default="ttl,nt")
    args = parser.parse_args()
    print(machine_line())
    print(f"{'facts':>7} {'triples':>8} {'fmt':>4} {'rdflib s':>9} {'pyoxigraph s':>13} {'speed-up':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for facts in (int(n) for n in args.facts.split(",")):
            graph = rdf.to_graph(synthetic.extraction(entities=max(200, facts // 3), facts=facts))
            for fmt in args.formats.split(","):
                slow = timed(rdf.serialize, graph, Path(tmp) / f"slow.{fmt}", fmt)
                fast = timed(store.fast_serialize, graph, Path(tmp) / f"fast.{fmt}", fmt)
                print(f"{facts:>7} {len(graph):>8} {fmt:>4} {slow:>9.2f} {fast:>13.2f} {slow / fast:>8.1f}x")
    print(f"(a build switches to pyoxigraph above kg.store.FAST_ABOVE = {store.FAST_ABOVE:,} statements)")


if __name__ == "__main__":
    main()
