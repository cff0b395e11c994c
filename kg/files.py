"""Atomic file writes, shared by every stage that writes output.

A file is written next to its destination, optionally checked, then renamed
over it: an interrupted or failed write leaves the previous file intact and
no temporary file behind.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def write_atomic(path: str | os.PathLike[str], write: Callable[[BinaryIO], object],
                 verify: Callable[[Path], object] | None = None, mode: int = 0o644) -> Path:
    """``write(handle)`` into a temporary file beside ``path``; ``verify(temp_path)``
    may raise to refuse it; then the file replaces ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        if verify is not None:
            verify(Path(tmp))
        os.chmod(tmp, mode)  # mkstemp makes files private; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
