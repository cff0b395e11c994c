"""Reading documents from files, folders, JSONL and stdin, defensively.

Scraped news arrives broken in every way; each problem becomes an
``InputError`` naming the file and the problem in one line, so a batch can
report it and go on with the other documents.
"""
from __future__ import annotations

import datetime as dt
import html.parser
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

MAX_BYTES = 10 * 1024 * 1024    # larger files are refused: split them first
_HTML_START = re.compile(r"^\s*(<!doctype html|<html|<head|<body)", re.IGNORECASE)


class InputError(ValueError):
    """One-line description of why a document cannot be read."""


@dataclass(frozen=True)
class InputDocument:
    id: str
    text: str
    source: str                 # file path (with line for JSONL), or "<stdin>"
    date: dt.date | None = None
    warnings: tuple[str, ...] = ()


class _TextExtractor(html.parser.HTMLParser):
    _SKIP = {"script", "style", "noscript", "template"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def decode(data: bytes, source: str) -> tuple[str, list[str]]:
    """Text from bytes: UTF-8 (BOM dropped), else CP1252 with a warning;
    binary data is refused."""
    if not data.strip():
        raise InputError(f"{source}: empty file")
    if b"\x00" in data[:8192]:
        raise InputError(f"{source}: binary file, not text")
    warnings = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(f"{source}: not UTF-8 and not Latin-1/CP1252 text") from None
        warnings.append(f"{source}: not valid UTF-8, decoded as CP1252 (Latin-1)")
    return text, warnings


def clean_text(text: str, source: str) -> tuple[str, list[str]]:
    warnings = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _HTML_START.match(text):
        text = html_to_text(text)
        warnings.append(f"{source}: HTML input, tags stripped")
    if not text.strip():
        raise InputError(f"{source}: no text (empty or only whitespace)")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\t")
    if controls > len(text) * 0.01:
        raise InputError(f"{source}: looks binary ({controls} control characters)")
    return text, warnings


def read_file(path: Path, doc_id: str | None = None) -> InputDocument:
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{source}: {size / 1e6:.1f} MB is over the {MAX_BYTES // 2**20} MiB limit per document")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a directory") from None
    except PermissionError:
        raise InputError(f"{source}: permission denied") from None
    text, warnings = decode(data, source)
    text, more = clean_text(text, source)
    return InputDocument(id=doc_id or path.stem, text=text, source=source, warnings=tuple(warnings + more))


def read_text(text: str, source: str = "<stdin>", doc_id: str = "stdin",
              date: dt.date | None = None) -> InputDocument:
    text, warnings = clean_text(text, source)
    return InputDocument(id=doc_id, text=text, source=source, date=date, warnings=tuple(warnings))


def read_jsonl(path: Path) -> Iterator[InputDocument | InputError]:
    """One document per line: {"id", "text", "date"?}; a bad line is an error
    for that line only."""
    try:
        raw, _ = decode(path.read_bytes(), str(path))
    except FileNotFoundError:
        yield InputError(f"{path}: no such file")
        return
    except InputError as exc:
        yield exc
        return
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise InputError(f"{source}: a JSONL line needs a string 'text'")
            date = dt.date.fromisoformat(item["date"]) if item.get("date") else None
            doc_id = str(item.get("id") or f"{path.stem}-{number}")
            yield read_text(item["text"], source=source, doc_id=doc_id, date=date)
        except json.JSONDecodeError as exc:
            yield InputError(f"{source}: not valid JSON ({exc.msg})")
        except ValueError as exc:
            yield exc if isinstance(exc, InputError) else InputError(f"{source}: bad date ({exc})")


def collect(paths: list[str], stdin=None) -> tuple[list[InputDocument], list[str]]:
    """Documents from every path (files, folders searched for *.txt and
    *.jsonl, globs already expanded by the shell, "-" for stdin), and one
    error line for each one that could not be read."""
    documents: list[InputDocument] = []
    errors: list[str] = []
    for name in paths:
        if name == "-":
            stream = stdin or sys.stdin
            try:
                documents.append(read_text(stream.read()))
            except InputError as exc:
                errors.append(str(exc))
            except UnicodeDecodeError:
                errors.append("<stdin>: not valid UTF-8")
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".txt", ".jsonl") and p.is_file())
            if not files:
                errors.append(f"{path}: directory has no .txt or .jsonl files")
            targets = [(f, str(f.relative_to(path).with_suffix(""))) for f in files]
        else:
            targets = [(path, None)]
        for file, doc_id in targets:
            if file.suffix == ".jsonl":
                for result in read_jsonl(file):
                    (errors.append(str(result)) if isinstance(result, InputError) else documents.append(result))
                continue
            try:
                documents.append(read_file(file, doc_id))
            except InputError as exc:
                errors.append(str(exc))
    seen: dict[str, int] = {}
    unique = []
    for doc in documents:
        seen[doc.id] = seen.get(doc.id, 0) + 1
        unique.append(doc if seen[doc.id] == 1 else
                      InputDocument(f"{doc.id}-{seen[doc.id]}", doc.text, doc.source, doc.date, doc.warnings))
    return unique, errors

