"""Atomic file writes: a temporary file beside the target, flushed, then renamed over it; and the cleanup of
temporary files a killed writer left behind."""

from __future__ import annotations

__all__ = ["TEMP_SUFFIX", "clean_stray_temps", "temp_prefix", "write_atomic"]

import os
import tempfile
import time
from pathlib import Path

from ..core.errors import ElinvoimaError

TEMP_SUFFIX = ".tmp"
STALE_AFTER = 3600.0     # seconds: a temporary file without a pid this old is a killed writer's


def temp_prefix(path: Path) -> str:
    """The start of every temporary file name made for `path`: `.NAME.`, then the writer's pid."""
    return f".{Path(path).name}."


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def clean_stray_temps(path: Path) -> list[Path]:
    """Remove the temporary files of `path` that a killed writer left (`.NAME.PID.xxxx.tmp` of a dead pid).

    A temporary file of a writer still running is left alone; so is anything not named like ours.
    One without a pid (written by an earlier version) goes once it is an hour old. Returns what was removed.
    """
    path = Path(path)
    prefix = temp_prefix(path)
    removed = []
    try:
        entries = list(os.scandir(path.parent or "."))
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid_text = name[len(prefix):].split(".", 1)[0]
        if pid_text.isdigit() and "." in name[len(prefix):-len(TEMP_SUFFIX)]:
            if _pid_alive(int(pid_text)):
                continue
        else:
            try:
                if time.time() - entry.stat().st_mtime < STALE_AFTER:
                    continue
            except OSError:
                continue
        try:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never half of one.

    The temporary file is `.NAME.PID.xxxx.tmp` beside the target, so the next run can tell one
    a killed writer left (`clean_stray_temps`). `mode` defaults to the target's current permissions.
    """
    path = Path(path)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    if not (path.parent or Path(".")).is_dir():   # else the error would name the temporary file
        raise ElinvoimaError(f"{path.parent}: kansiota ei löydy. Luo kansio tai tarkista polku ({path.name}).")
    fd, tmp = tempfile.mkstemp(prefix=f"{temp_prefix(path)}{os.getpid()}.", suffix=TEMP_SUFFIX,
                               dir=path.parent or ".")
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
    try:   # the rename itself durable too
        dir_fd = os.open(path.parent or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
