"""Atomic file writes: a temporary file beside the target, flushed, then renamed over it."""

from __future__ import annotations

__all__ = ["write_atomic"]

import os
import tempfile
from pathlib import Path

from .errors import ElinvoimaError


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    if not (path.parent or Path(".")).is_dir():   # else the error would name the temporary file
        raise ElinvoimaError(f"{path.parent}: kansiota ei löydy. Luo kansio tai tarkista polku ({path.name}).")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
