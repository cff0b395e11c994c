"""Where a build's time goes: the rule layer (mentions + rules) and the RDF
stage (triples + Turtle) as a fraction of the parse time, on KIND wikinews
articles, with no parse cache.  Target: (rules + RDF) / parse <= 0.10.
Needs the real Stanza models (exits, saying so, without them).

    python bench/stage_costs.py --articles 100 [--models DIR]
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from corpora import article_benchmark

from kg.build import build_corpus


def main() -> None:
    args, inputs = article_benchmark(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        result = build_corpus(inputs, output=Path(tmp), name="graph", formats=("ttl",), models=args.models,
                              validate=False)
    s = result.stage_seconds
    rules, rdf_time = s["extract"], s["rdf"] + s["write"]
    print(result.summary())
    print(f"parse {s['parse']:.1f} s | rules {rules:.2f} s | RDF (triples {s['rdf']:.2f} s + Turtle "
          f"{s['write']:.2f} s) {rdf_time:.2f} s")
    ratio = (rules + rdf_time) / s["parse"]
    print(f"(rules + RDF) / parse = {ratio:.3f}  (target <= 0.10: {'met' if ratio <= 0.10 else 'NOT met'})")


if __name__ == "__main__":
    main()
