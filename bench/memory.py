"""Peak memory (max RSS) of `kg build` on 100 and 1,000 KIND wikinews
articles, each size in a fresh process: once cold (parsing, filling a
parse cache) and once warm (the same build from the cache, so only rules,
RDF and outputs).  Reports the growth from 100 to 1,000.  Outputs: Turtle and
HTML, no SHACL check.  Needs the real Stanza models (exits, saying so,
without them).

    python bench/memory.py --sizes 100,1000 [--models DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpora import machine_line, require_models, wikinews


def peak_rss_mb(command: list[str]) -> tuple[float, float]:
    """(max RSS in MB, seconds) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):     # 1: some documents failed, still a build
        sys.exit(f"failed: {' '.join(command)}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--models", default=None)
    args = parser.parse_args()
    require_models(args.models)
    print(machine_line())
    sizes = [int(n) for n in args.sizes.split(",")]
    peaks: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            articles = Path(tmp) / f"articles-{size}.jsonl"
            articles.write_text("".join(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n"
                                        for d in wikinews(size)), encoding="utf-8")
            command = [sys.executable, "-m", "kg.cli", "build", str(articles), "-o", str(Path(tmp) / f"out-{size}"),
                       "--format", "ttl,html", "--no-validate", "--cache", str(Path(tmp) / "cache")]
            if args.models:
                command += ["--models", args.models]
            (cold, cold_s), (warm, warm_s) = peak_rss_mb(command), peak_rss_mb(command)
            peaks[size] = (cold, warm)
            print(f"{size:>5} articles: cold {cold:,.0f} MB ({cold_s:.0f} s), warm {warm:,.0f} MB ({warm_s:.0f} s)")
    if len(sizes) == 2:
        small, large = sizes
        print(f"growth {small} -> {large} articles: cold {peaks[large][0] / peaks[small][0]:.2f}x, "
              f"warm {peaks[large][1] / peaks[small][1]:.2f}x")


if __name__ == "__main__":
    main()
