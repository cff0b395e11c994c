"""Reading documents from files, folders, JSONL and stdin, defensively.

Scraped news arrives broken in every way; each problem becomes an
``InputError`` naming the file and the problem in one line, so a batch can
report it and go on with the other documents.  What can be repaired is
repaired with a warning on the document: CP1252/Latin-1 bytes, HTML markup,
stray control characters, lone surrogates from JSON.  Nothing is read past
MAX_BYTES per document, so one huge or endless input cannot exhaust memory.
"""
from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import html.parser
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, TextIO

# A long news article is ~50 KB; 2 MiB is a book (some 300,000 words), which
# already takes the compact models many minutes on a CPU.  Larger documents
# are refused: split them first.
MAX_BYTES = 2 * 2**20
# JSON escapes can take six bytes ("\u0001") for one byte of text, so a JSONL
# line may be that much longer than the text it carries.
MAX_JSONL_LINE_BYTES = 6 * MAX_BYTES + 4096
# The language check looks at the start of a text only; that is enough to tell.
_LANGUAGE_SAMPLE_CHARS = 20_000
_MIN_WORDS_TO_GUESS = 8

_HTML_START = re.compile(r"^\s*(<!doctype html|<html|<head|<body|<meta|<article|<div|<p[\s>]|<!--)",
                         re.IGNORECASE)
# C0 controls but tab and newline, DEL, C1 controls: never meant as text
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_WORD = re.compile(r"[^\W\d_]+")
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# The most frequent function words of Italian and of the languages most
# often mistaken for it in a news feed.  Lists overlap ("la", "a", "con"):
# what decides is which list a text hits most.
FUNCTION_WORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in {
    "it": "il lo la i gli le l di del dello della dei degli delle dell a al allo alla ai agli alle all "
          "da dal dalla dai dall in nel nella nei nell con su sul sulla sull per tra fra che e ed è "
          "non un una uno anche più sono ha hanno ma come questo questa si ci",
    "en": "the of and to a in is was that for it with as on be by this are from at an or have has "
          "not which were he she they their",
    "fr": "le la les l de des du d et à en un une est que qui dans pour pas sur au aux il ne se ce "
          "avec sont ont",
    "es": "el la los las de del y en que a un una por para con es se no su al lo como más fue",
    "pt": "o os a as de do da dos das em no na e que um uma para com é não por mais ao se foi",
    "de": "der die das und in den von zu mit sich des auf für ist im dem nicht ein eine als auch "
          "es an werden aus er hat dass sie",
}.items()}
LANGUAGE_NAMES = {"it": "Italian", "en": "English", "fr": "French", "es": "Spanish",
                  "pt": "Portuguese", "de": "German"}


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

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def decode(data: bytes, source: str) -> tuple[str, list[str]]:
    """Text from bytes: UTF-8 (BOM dropped), UTF-16/32 with a BOM, else
    CP1252 with a warning; binary data is refused."""
    if not data.strip():
        raise InputError(f"{source}: empty file" if not data else f"{source}: no text, only whitespace")
    for boms, codec in ((_UTF32_BOMS, "utf-32"), (_UTF16_BOMS, "utf-16")):
        if data.startswith(boms):
            try:
                return data.decode(codec), []
            except UnicodeDecodeError:
                raise InputError(f"{source}: starts with a {codec.upper()} byte order mark "
                                 f"but is not {codec.upper()} text") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{source}: binary file, not text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        # a UTF-8 BOM before non-UTF-8 bytes: a mixed file, the BOM is still no text
        text = data.removeprefix(codecs.BOM_UTF8).decode("cp1252")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 and not Latin-1/CP1252 text") from None
    return text, [f"{source}: not valid UTF-8, decoded as CP1252 (Latin-1)"]


def clean_text(text: str, source: str) -> tuple[str, list[str]]:
    """Text as the parser should see it, and warnings for what was repaired;
    InputError when there is no text or it looks binary."""
    warnings = []
    # NFC: the models were trained on composed text, and an entity named once
    # with "à" and once with "a" + combining grave must be one entity
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    is_html = bool(_HTML_START.match(text))
    if is_html:
        text = html_to_text(text)
        warnings.append(f"{source}: HTML input, tags stripped")
    if not text.strip():
        raise InputError(f"{source}: HTML with no text in it" if is_html
                         else f"{source}: no text (empty or only whitespace)")
    surrogates = len(_LONE_SURROGATE.findall(text))
    if surrogates:
        # no RDF syntax and no UTF-8 file can carry them
        text = _LONE_SURROGATE.sub("\ufffd", text)
        warnings.append(f"{source}: {surrogates} unpaired surrogate(s) replaced with U+FFFD")
    controls = len(_CONTROL.findall(text))
    if controls > len(text) * 0.01:
        raise InputError(f"{source}: looks binary ({controls} control characters)")
    if controls:
        text = _CONTROL.sub(" ", text)
        warnings.append(f"{source}: {controls} control character(s) replaced with spaces")
    language = guess_language(text)
    if language is not None and language != "it":
        seems = f"reads like {LANGUAGE_NAMES[language]}" if language in LANGUAGE_NAMES else \
            "few Italian function words"
        warnings.append(f"{source}: does not look like Italian ({seems}); "
                        "kg's models and rules are for Italian")
    return text, warnings


def guess_language(text: str) -> str | None:
    """The code (a FUNCTION_WORDS key) of the language whose function words
    make up most of the text's first words; "?" when none makes up even 5%;
    None for a text too short to tell.  Ties go to Italian."""
    words = _WORD.findall(text[:_LANGUAGE_SAMPLE_CHARS].lower())
    if len(words) < _MIN_WORDS_TO_GUESS:
        return None
    hits = {lang: sum(1 for w in words if w in vocabulary) for lang, vocabulary in FUNCTION_WORDS.items()}
    best = max(hits, key=lambda lang: (hits[lang], lang == "it"))
    return best if hits[best] >= 0.05 * len(words) else "?"


def read_file(path: Path, doc_id: str | None = None) -> InputDocument:
    source = _display(path)
    try:
        with path.open("rb") as handle:
            data = _read_bounded(handle, source)
    except OSError as exc:
        raise InputError(_os_problem(source, exc)) from None
    text, warnings = decode(data, source)
    return _document(text, source, _clean_id(doc_id or path.stem) or "document", None, warnings)


def read_text(text: str, source: str = "<stdin>", doc_id: str = "stdin",
              date: dt.date | None = None) -> InputDocument:
    return _document(text, source, doc_id, date, [])


def _document(text: str, source: str, doc_id: str, date: dt.date | None,
              warnings: Iterable[str]) -> InputDocument:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise InputError(f"{source}: {_mib(size)} of text is over the {_mib(MAX_BYTES)} limit per document; "
                         "split it")
    text, more = clean_text(text, source)
    return InputDocument(id=doc_id, text=text, source=source, date=date, warnings=(*warnings, *more))


def _read_bounded(handle: BinaryIO, source: str) -> bytes:
    """At most MAX_BYTES; one byte more means too large, whatever the file
    claims (pipes and /dev files have no size)."""
    data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError(f"{source}: more than {_mib(MAX_BYTES)}, the limit per document; split it")
    return data


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def _os_problem(source: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{source}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{source}: is a directory"
    if isinstance(exc, PermissionError):
        return f"{source}: permission denied"
    return f"{source}: cannot read ({exc.strerror or type(exc).__name__})"


def read_jsonl(path: Path) -> Iterator[InputDocument | InputError]:
    """One document per line: {"id", "text", "date"?}; a bad line is an error
    for that line only.  Read line by line, so a large corpus file is fine."""
    source = _display(path)
    found = False
    try:
        with path.open("rb") as handle:
            if b"\x00" in handle.read(8192):
                yield InputError(f"{source}: binary file, not JSONL")
                return
            handle.seek(0)
            for number, line in enumerate(_lines(handle, MAX_JSONL_LINE_BYTES), start=1):
                if line is None:
                    found = True
                    yield InputError(f"{source}:{number}: line longer than {_mib(MAX_JSONL_LINE_BYTES)}")
                elif line.strip():
                    found = True
                    yield _jsonl_document(line, source, path.stem, number)
    except OSError as exc:
        yield InputError(_os_problem(source, exc))
        return
    if not found:
        yield InputError(f"{source}: no documents (empty file)")


def _lines(handle: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """The lines of a binary file; None for one longer than limit bytes,
    which is skipped without being held in memory."""
    while line := handle.readline(limit + 1):
        if len(line) <= limit:
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = handle.readline(2**20)
        yield None


def _jsonl_document(line: bytes, file: str, stem: str, number: int) -> InputDocument | InputError:
    source = f"{file}:{number}"
    try:
        raw, warnings = decode(line, source)
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise InputError(f"{source}: not valid JSON (nested too deeply)") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise InputError(f"{source}: a JSONL line needs an object with a string 'text'")
        date = _jsonl_date(item.get("date"), source)
        doc_id = _clean_id(item.get("id")) or f"{_clean_id(stem)}-{number}"
        return _document(item["text"], source, doc_id, date, warnings)
    except InputError as exc:
        return exc


def _jsonl_date(value: object, source: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{source}: bad date {value!r} (expected YYYY-MM-DD)") from None


def _clean_id(value: object) -> str:
    """A document id that prints on one line: ids name output files and
    appear in messages."""
    if value is None:
        return ""
    text = _LONE_SURROGATE.sub("\ufffd", str(value))
    return " ".join(_CONTROL.sub(" ", text).split())


def _display(path: Path) -> str:
    """The path for a one-line message: control characters and undecodable
    bytes of file names written as backslash escapes."""
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], str(path))


def _read_stdin(stream: TextIO) -> InputDocument:
    buffer = getattr(stream, "buffer", None)
    if buffer is None:     # a text stream with no bytes underneath (tests, embedding)
        return read_text(stream.read(MAX_BYTES + 1))
    text, warnings = decode(_read_bounded(buffer, "<stdin>"), "<stdin>")
    return _document(text, "<stdin>", "stdin", None, warnings)


def collect(paths: list[str], stdin: TextIO | None = None) -> tuple[list[InputDocument], list[str]]:
    """Documents from every path (files, folders searched for *.txt and
    *.jsonl, globs already expanded by the shell, "-" for stdin), and one
    error line for each one that could not be read."""
    documents: list[InputDocument] = []
    errors: list[str] = []
    for name in paths:
        if name == "-":
            try:
                documents.append(_read_stdin(stdin or sys.stdin))
            except InputError as exc:
                errors.append(str(exc))
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".txt", ".jsonl") and p.is_file())
            if not files:
                errors.append(f"{_display(path)}: directory has no .txt or .jsonl files")
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
        unique.append(doc if seen[doc.id] == 1 else dataclasses.replace(doc, id=f"{doc.id}-{seen[doc.id]}"))
    return unique, errors
