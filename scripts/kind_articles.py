"""Article-sized Italian documents rebuilt from a KIND token file.

KIND (e.g. ../shared/data/kind/dataset/wikinews_train.tsv) has one
token<TAB>tag per line and a blank line between sentences, with no article
boundaries.  Each sentence is detokenised with Italian spacing (no space
before punctuation, none after an elided article such as "l'") and every
``--sentences`` consecutive sentences make one document: wikinews_train's
10,912 sentences give 1,092 documents of 10 sentences.

Usage:
    python scripts/kind_articles.py ../shared/data/kind/dataset/wikinews_train.tsv -o articles.jsonl
    python scripts/kind_articles.py TSV -o articles/ --limit 100     # a folder of .txt files
The JSONL (id, text) and the folder are both inputs of `kg build`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterator

_NO_SPACE_BEFORE = frozenset(",.;:!?)]}%»…")
_NO_SPACE_AFTER = frozenset("([{«")
_ELISION = ("'", "’")
# a trailing apostrophe that is a truncation, not an elision: "un po' di"
_TRUNCATED = frozenset({"po'", "po’", "mo'", "mo’"})


def sentences(path: Path) -> Iterator[list[str]]:
    """The tokens of each sentence of a KIND token<TAB>tag file."""
    tokens: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            token = line.rstrip("\n").split("\t", 1)[0]
            if token.strip():
                tokens.append(token)
            elif tokens:
                yield tokens
                tokens = []
    if tokens:
        yield tokens


def detokenize(tokens: list[str]) -> str:
    """Tokens joined as Italian is written."""
    out: list[str] = []
    glue = True             # no space before the next token
    quote_open = False      # straight double quotes open and close alternately
    for token in tokens:
        if token == '"':
            space = not glue and not quote_open
            out.append((" " if space else "") + token)
            glue = not quote_open
            quote_open = not quote_open
            continue
        space = not glue and token[0] not in _NO_SPACE_BEFORE
        out.append((" " if space else "") + token)
        glue = token in _NO_SPACE_AFTER or (
            len(token) > 1 and token.endswith(_ELISION) and token.lower() not in _TRUNCATED)
    return "".join(out)


def articles(path: Path, per_article: int = 10, limit: int | None = None) -> Iterator[tuple[str, str]]:
    """(id, text) of each group of ``per_article`` sentences, one sentence a line."""
    group: list[str] = []
    count = 0
    for tokens in sentences(path):
        group.append(detokenize(tokens))
        if len(group) == per_article:
            yield f"{path.stem}-{count:05d}", "\n".join(group)
            group, count = [], count + 1
            if limit is not None and count >= limit:
                return
    if group:
        yield f"{path.stem}-{count:05d}", "\n".join(group)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tsv", type=Path, help="KIND token<TAB>tag file")
    parser.add_argument("-o", "--output", type=Path, required=True, help="a .jsonl file, or a folder for .txt files")
    parser.add_argument("--sentences", type=int, default=10, help="sentences per document (default 10)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many documents")
    args = parser.parse_args(argv)
    docs = list(articles(args.tsv, args.sentences, args.limit))
    if args.output.suffix == ".jsonl":
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in docs),
                               encoding="utf-8")
    else:
        args.output.mkdir(parents=True, exist_ok=True)
        for doc_id, text in docs:
            (args.output / f"{doc_id}.txt").write_text(text + "\n", encoding="utf-8")
    print(f"{len(docs)} documents written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
