"""A rebuild with a warm parse cache against a cold build of the same KIND
wikinews articles (same outputs: Turtle, no SHACL check), in one process.
Target: cold / warm >= 20x.  Needs the real Stanza models (exits, saying so,
without them).

    python bench/cache_speed.py --articles 100 [--models DIR]
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from corpora import article_benchmark

from kg.build import build_corpus
from kg.cache import ParseCache, model_identity


def main() -> None:
    args, inputs = article_benchmark(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        cache = ParseCache(Path(tmp) / "cache", model_identity(args.models))
        options = {"output": Path(tmp) / "out", "name": "graph", "formats": ("ttl",), "models": args.models,
                   "validate": False, "cache": cache}
        cold = build_corpus(inputs, **options)
        warm = build_corpus(inputs, **options)
    assert warm.cached == len(inputs) and warm.facts == cold.facts
    print(f"cold: {cold.summary()}")
    print(f"warm: {warm.summary()}")
    print(f"cold / warm = {cold.seconds / warm.seconds:.1f}x  (target >= 20x: "
          f"{'met' if cold.seconds / warm.seconds >= 20 else 'NOT met'})")
    print("warm build by stage: " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in warm.stage_seconds.items())
          + "  (parse: reading the cache; extract: mentions and rules; rdf: building the graph; "
          "write: Turtle and its read-back check)")


if __name__ == "__main__":
    main()
