"""Parse throughput in tokens/s: one process against a local Dask cluster of
two one-thread workers (kg build --workers 2), on KIND wikinews articles, no
cache.  Every pipeline is loaded before the clock starts; cluster start-up
is reported apart.  Needs the real Stanza models (exits, saying so, without
them).  Run it on an otherwise idle machine: busy cores hide the speed-up.

    python bench/dask_speed.py --articles 100 [--workers 2] [--models DIR]
"""
from __future__ import annotations

import os
import time

from corpora import article_benchmark, tokens

from kg import distributed
from kg.build import parse_documents
from kg.parse import load_pipeline


def _load(models: str | None) -> None:
    load_pipeline(models)   # runs on each worker; returns nothing, the pipeline stays there


def main() -> None:
    args, inputs = article_benchmark(__doc__, workers={"type": int, "default": 2})
    started = time.perf_counter()
    single = parse_documents(inputs, None, args.models)
    one = time.perf_counter() - started
    count = tokens(single.documents)
    threads = os.environ.get("KG_TORCH_THREADS", "torch's default")
    print(f"1 process ({threads} torch threads): {count} tokens in {one:.1f} s = {count / one:,.0f} tokens/s")

    started = time.perf_counter()
    with distributed.connect(workers=args.workers) as client:
        client.run(_load, args.models)
        ready = time.perf_counter() - started
        started = time.perf_counter()
        spread = parse_documents(inputs, None, args.models, client=client)
        many = time.perf_counter() - started
    assert spread.documents == single.documents, "the cluster parsed differently"
    print(f"{args.workers} Dask workers (1 torch thread each; start-up and model loading {ready:.1f} s apart): "
          f"{count / many:,.0f} tokens/s")
    print(f"speed-up {one / many:.2f}x")


if __name__ == "__main__":
    main()
