"""The parse cache: parsed Documents kept on disk as CoNLL-U, so a rebuild
parses only the texts it has not seen with the same models.

An entry is keyed by sha256 of (cache format, model identity, text,
document date): a change to any of them is a miss, never a stale hit.  The
document id is not part of the key, so a renamed file still hits.

Default location: ``$XDG_CACHE_HOME/kg/parse`` (``~/.cache/kg/parse``).  It
is kept out of the output folder on purpose: entries are shared by every
build on the machine (the same article built into two outputs is parsed
once), and an output folder holds only what is meant to be published.
Deleting the folder at any time is safe.

Layout: ``<dir>/<key[:2]>/<key>.conllu``, whose first line is a sha256 of
the rest.  Writes go to a temporary file renamed into place, so readers see
a whole entry or none; an entry that is unreadable or fails its checksum
(a disk error, a hand edit) is treated as a miss and rewritten.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from kg.files import write_atomic
from kg import parse
from kg.types import Document

# Bump when the entry layout changes.  Changes to what a parse yields are
# caught without it: the model identity hashes kg/parse.py itself.
CACHE_FORMAT = 1
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
        files = [path / name for name in sorted({*parse.MODEL_FILES.values(), parse.PRETRAIN_FILE})]
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
        identity = [CACHE_FORMAT, self.model_id, text, date.isoformat() if date else None]
        return hashlib.sha256(json.dumps(identity).encode("ascii")).hexdigest()

    def path(self, text: str, date: dt.date | None) -> Path:
        key = self.key(text, date)
        return self.directory / key[:2] / f"{key}.conllu"

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
            document = parse.from_conllu(body.decode("utf-8"), doc_id=doc_id, date=date)
        except (ValueError, IndexError, KeyError):   # UnicodeDecodeError is a ValueError
            return None
        # the checksum vouches for the bytes, this for the key: a hash
        # collision or a misplaced file must not hand back another text
        if document.text != text or document.date != date:
            return None
        return replace(document, id=doc_id)

    def put(self, document: Document) -> bool:
        """Store a parse; False when CoNLL-U cannot carry it exactly (a token
        with a tab, a lone surrogate), so it is simply parsed again next time."""
        body = parse.to_conllu(document)
        try:
            data = body.encode("utf-8")
        except UnicodeEncodeError:
            return False
        try:
            exact = parse.from_conllu(body, doc_id=document.id, date=document.date) == document
        except (ValueError, IndexError, KeyError):
            exact = False
        if not exact:
            return False
        write_atomic(self.path(document.text, document.date),
                     lambda out: out.write(_checksum_line(data) + b"\n" + data))
        return True


def _checksum_line(body: bytes) -> bytes:
    return f"{_CHECKSUM}{hashlib.sha256(body).hexdigest()}".encode("ascii")
