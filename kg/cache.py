"""The parse cache: parsed Documents kept on disk, so a rebuild parses only
the texts it has not seen with the same models.

An entry is keyed by sha256 of (cache format, Word's fields, model
identity, text, document date): a change to any of them is a miss, never a
stale hit.  The document id is not part of the key, so a renamed file still
hits.

Default location: ``$XDG_CACHE_HOME/kg/parse`` (``~/.cache/kg/parse``).  It
is kept out of the output folder on purpose: entries are shared by every
build on the machine (the same article built into two outputs is parsed
once), and an output folder holds only what is meant to be published.
Deleting the folder at any time is safe.

Layout: ``<dir>/<key[:2]>/<key>.json``, whose first line is a sha256 of the
rest: a JSON object with the document's text, its date and its sentences,
each [start_char, end_char, [word, ...]], a word being the list of its
fields in kg.types.Word order.  JSON rather than CoNLL-U because a warm
rebuild reads every entry: json.loads and positional Words take less than
half the time of kg.parse.from_conllu.  Writes go to a temporary file
renamed into place, so readers see a whole entry or none; an entry that is
unreadable or fails its checksum (a disk error, a hand edit) is treated as
a miss and rewritten.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from kg.files import write_atomic
from kg import parse
from kg.types import Document, Sentence, Word

# Bump when the entry layout changes.  Changes to what a parse yields are
# caught without it: the model identity hashes kg/parse.py itself.
CACHE_FORMAT = 2
# Words are stored as lists of their fields in Word's order, so the names and
# order of the fields are part of the key: a renamed or reordered field makes
# a miss, never a misread word.
_WORD_FIELDS = tuple(field.name for field in dataclasses.fields(Word))
_CHECKSUM = "# kg_checksum = "
# The tail of a torch .pt file is its zip central directory, which holds a
# CRC32 of every tensor record: hashing it tells retrained weights of equal
# size apart without reading hundreds of megabytes.
_TAIL_BYTES = 64 * 1024


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kg" / "parse"


def model_identity(models: str | os.PathLike | None) -> str:
    """A short hash naming what turns a text into a Document: the model
    files that ``--models`` resolves to, the Stanza release and kg's parse
    code.  It changes when any of them does."""
    kind, path = parse.resolve_models(models)
    if kind == "official":
        files = sorted(p for p in (path / "it").rglob("*") if p.is_file()) if (path / "it").is_dir() else []
    else:
        files = [path / name for name in sorted(parse.model_set_files(path))]
    try:
        stanza_version = version("stanza")
    except PackageNotFoundError:
        stanza_version = "unknown"
    digest = hashlib.sha256(json.dumps([kind, stanza_version]).encode())
    digest.update(Path(parse.__file__).read_bytes())
    for file in files:
        digest.update(json.dumps([str(file.relative_to(path)), *_file_fingerprint(file)]).encode())
    return digest.hexdigest()[:16]


def _file_fingerprint(file: Path) -> tuple[int, str]:
    try:
        with file.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            return size, hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return -1, ""   # absent: parsing will report it; the key only has to differ


class ParseCache:
    """Documents parsed with the models named by ``model_id``, under ``directory``."""

    def __init__(self, directory: str | os.PathLike, model_id: str):
        self.directory = Path(directory)
        self.model_id = model_id

    def key(self, text: str, date: dt.date | None) -> str:
        identity = [CACHE_FORMAT, _WORD_FIELDS, self.model_id, text, date.isoformat() if date else None]
        return hashlib.sha256(json.dumps(identity).encode("ascii")).hexdigest()

    def path(self, text: str, date: dt.date | None) -> Path:
        key = self.key(text, date)
        return self.directory / key[:2] / f"{key}.json"

    def get(self, doc_id: str, text: str, date: dt.date | None) -> Document | None:
        """The cached parse of ``text``, renamed to ``doc_id``; None on a miss
        or a damaged entry."""
        try:
            stored = self.path(text, date).read_bytes()
        except OSError:
            return None
        header, _, body = stored.partition(b"\n")
        if header != _checksum_line(body):
            return None
        try:
            document = _decode(body, doc_id)
        except (ValueError, TypeError, IndexError, KeyError):   # JSON and UTF-8 errors are ValueErrors
            return None
        # the checksum vouches for the bytes, this for the key: a hash
        # collision or a misplaced file must not hand back another text
        if document.text != text or document.date != date:
            return None
        return document

    def put(self, document: Document) -> bool:
        """Store a parse; False when an entry cannot carry it exactly (a lone
        surrogate, which UTF-8 cannot encode; a place, which parses never
        have), so it is simply parsed again next time."""
        try:
            data = _encode(document)
        except UnicodeEncodeError:
            return False
        if _decode(data, document.id) != document:
            return False
        write_atomic(self.path(document.text, document.date),
                     lambda out: out.write(_checksum_line(data) + b"\n" + data))
        return True


def _encode(document: Document) -> bytes:
    sentences = [[s.start_char, s.end_char, [[getattr(w, name) for name in _WORD_FIELDS] for w in s.words]]
                 for s in document.sentences]
    entry = {"text": document.text, "date": document.date and document.date.isoformat(), "sentences": sentences}
    return json.dumps(entry, ensure_ascii=False).encode("utf-8")


def _decode(data: bytes, doc_id: str) -> Document:
    entry = json.loads(data)
    text, date = entry["text"], entry["date"]
    sentences = tuple(Sentence(index=index, text=text[start:end], start_char=start, end_char=end,
                               words=tuple(Word(*fields) for fields in words))
                      for index, (start, end, words) in enumerate(entry["sentences"]))
    return Document(id=doc_id, text=text, sentences=sentences, date=date and dt.date.fromisoformat(date))


def _checksum_line(body: bytes) -> bytes:
    return f"{_CHECKSUM}{hashlib.sha256(body).hexdigest()}".encode("ascii")
