"""What the model-dependent benchmarks share: the machine line, a check
that the parsing models are here, and KIND wikinews articles as input
documents (rebuilt by scripts/kind_articles.py)."""
from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from typing import Any

from kg.inputs import InputDocument
from kg.modelcard import this_machine
from kg.parse import ModelsNotFound, load_pipeline, pipeline_kwargs

ROOT = Path(__file__).resolve().parents[1]
WIKINEWS = ROOT.parent / "shared" / "data" / "kind" / "dataset" / "wikinews_train.tsv"
sys.path.insert(0, str(ROOT / "scripts"))
import kind_articles  # noqa: E402  (a script, not a package)


def machine_line() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {this_machine()}, Python {platform.python_version()}; "
            f"load average {load} (busy cores slow every figure)")


def require_models(models: str | None) -> None:
    """Exit cleanly, saying why, when the parsing models are absent."""
    try:
        pipeline_kwargs(models)
    except ModelsNotFound as exc:
        print(f"skipped: this benchmark parses with the real Stanza models, and {exc}.\n"
              "Run it once kg/models/compact/ holds the trained models, or pass --models official "
              "after 'kg models download'.", file=sys.stderr)
        sys.exit(0)


def wikinews(count: int, per_article: int = 10) -> list[InputDocument]:
    """The first ``count`` article-sized KIND wikinews documents."""
    if not WIKINEWS.is_file():
        print(f"skipped: {WIKINEWS} is absent", file=sys.stderr)
        sys.exit(0)
    return [InputDocument(id=doc_id, text=text, source=f"{WIKINEWS.name}#{doc_id}")
            for doc_id, text in kind_articles.articles(WIKINEWS, per_article, count)]


def tokens(documents) -> int:
    """Surface tokens: the words of one multi-word token share its span."""
    return sum(len({(w.start_char, w.end_char) for w in s.words}) for d in documents for s in d.sentences)


def article_benchmark(description: str, **extra: dict[str, Any]) -> tuple[argparse.Namespace, list[InputDocument]]:
    """The setup every article benchmark shares: ``--articles`` and ``--models``
    (plus ``extra`` options), the models check, the machine line, the input
    documents, and the parsing pipeline loaded before any clock starts."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--models", default=None)
    for flag, options in extra.items():
        parser.add_argument(f"--{flag}", **options)
    args = parser.parse_args()
    require_models(args.models)
    print(machine_line())
    inputs = wikinews(args.articles)
    load_pipeline(args.models)
    return args, inputs
