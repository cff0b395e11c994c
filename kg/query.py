"""SPARQL over a graph file, with kg's prefixes predefined."""
from __future__ import annotations

import csv
import io
import json

from rdflib import Graph
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from kg.vocab import KG

PREFIXES = {"kg": KG._NS, "rdf": RDF, "rdfs": RDFS, "skos": SKOS, "prov": PROV, "xsd": XSD}


class QueryError(ValueError):
    pass


def run_query(graph: Graph, sparql: str):
    try:
        return graph.query(sparql, initNs=PREFIXES)
    except Exception as exc:  # pyparsing and rdflib raise several types for bad queries
        message = " ".join(str(exc).split())[:200]
        raise QueryError(f"bad SPARQL query: {message}") from None


def rows(result) -> tuple[list[str], list[list[str]]]:
    if result.type == "ASK":
        return ["ask"], [[str(bool(result.askAnswer)).lower()]]
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return ["subject", "predicate", "object"], [[str(t) for t in triple] for triple in result.graph]
    names = [str(v) for v in result.vars]
    return names, [["" if value is None else str(value) for value in row] for row in result]


def format_result(result, fmt: str = "table") -> str:
    header, body = rows(result)
    if fmt == "json":
        return json.dumps([dict(zip(header, row)) for row in body], ensure_ascii=False, indent=1)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(body)
        return out.getvalue().rstrip("\n")
    widths = [min(60, max([len(h)] + [len(r[i]) for r in body])) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c[:60].ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in body] +
                     [f"({len(body)} rows)"])
