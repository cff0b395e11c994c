"""Parse speed of kg's pipeline on real Italian text, in one process.

The text is the ``# text`` of UD Italian ISDT test sentences (news-like prose),
grouped into documents of a few sentences, parsed with kg.parse.parse_many
(tokenize, mwt, pos, lemma, depparse, ner, plus kg's conversion) once per
torch thread count.  The pipeline is loaded once and warmed up before timing.

    python bench/parse_speed.py --sentences 300 --threads 1,2 [--models DIR]
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from kg.modelcard import this_machine
from kg.parse import load_pipeline, parse_many
from kg.scoring import gold_sentences

ISDT_TEST = Path(__file__).resolve().parents[2] / "shared/data/ud-italian/UD_Italian-ISDT/it_isdt-ud-test.conllu"


def documents(conllu: Path, sentences: int, per_document: int) -> list[str]:
    texts = [s.text for s in gold_sentences(conllu.read_text(encoding="utf-8"))][:sentences]
    return [" ".join(texts[i:i + per_document]) for i in range(0, len(texts), per_document)]


def run(texts: list[str], models: str | None) -> tuple[float, int, int]:
    """(seconds, surface tokens, sentences) for one parse of all texts."""
    items = [(f"d{i}", text, None) for i, text in enumerate(texts)]
    started = time.perf_counter()
    docs = parse_many(items, models=models)
    seconds = time.perf_counter() - started
    # Words of one multi-word token share its character span.
    tokens = sum(len({(w.start_char, w.end_char) for w in s.words}) for d in docs for s in d.sentences)
    return seconds, tokens, sum(len(d.sentences) for d in docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conllu", type=Path, default=ISDT_TEST, help="UD file whose sentence texts are parsed")
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--per-document", type=int, default=8)
    parser.add_argument("--threads", default="1,2", help="comma-separated torch thread counts")
    parser.add_argument("--models", default=None, help="compact (default), official or a directory")
    args = parser.parse_args()

    import stanza
    import torch

    print(f"machine: {this_machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, torch {torch.__version__}, stanza {stanza.__version__}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          "(other busy processes slow every number below)")
    texts = documents(args.conllu, args.sentences, args.per_document)
    started = time.perf_counter()
    load_pipeline(args.models)
    print(f"models: {args.models or 'compact'}, loaded in {time.perf_counter() - started:.1f} s; "
          f"{len(texts)} documents, {sum(map(len, texts))} characters from {args.conllu.name}")
    parse_many([("warmup", texts[0], None)], models=args.models)
    print(f"{'threads':>7} {'seconds':>8} {'tokens':>7} {'tokens/s':>9} {'sents/s':>8}")
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        seconds, tokens, sentences = run(texts, args.models)
        print(f"{threads:>7} {seconds:>8.2f} {tokens:>7} {tokens / seconds:>9.1f} {sentences / seconds:>8.2f}")


if __name__ == "__main__":
    main()
