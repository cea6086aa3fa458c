"""One writer at a time: a lock file beside the workbook for every job, and a check just before the replace
that the file on disk is still the one the job read (size, modification time, SHA-256)."""

from __future__ import annotations

__all__ = ["FileState", "LOCK_WAIT", "check_unchanged", "file_state", "lock_path", "note_written",
           "read_for_update", "workbook_lock"]

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ElinvoimaError

LOCK_WAIT = float(os.environ.get("ELINVOIMA_LOCK_WAIT", "60"))   # seconds a second job waits for the first


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    sha256: str


def file_state(path: Path, data: bytes | None = None) -> FileState | None:
    """The state of the file at `path` now (None when there is none); `data` is its content when already read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    if data is None:
        data = Path(path).read_bytes()
    return FileState(st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())


def lock_path(path: Path) -> Path:
    """The lock file beside `path`: `.NAME.lock` (kept between jobs; holding it is what counts)."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


@dataclass
class _Held:
    lock: object
    depth: int
    state: FileState | None


_HELD: dict[str, _Held] = {}


def _key(path: Path) -> str:
    return str(Path(path).resolve())


@contextmanager
def workbook_lock(path: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of `path` for a whole job (re-entrant in one process); a second job waits up to
    `wait` seconds (default `LOCK_WAIT`), then stops with a Finnish message.

    The file's state when the lock is taken is what `check_unchanged` compares with, unless the job
    reads the file itself through `read_for_update`.
    """
    from filelock import FileLock, Timeout

    path = Path(path)
    key = _key(path)
    if key in _HELD:
        _HELD[key].depth += 1
        try:
            yield
        finally:
            _HELD[key].depth -= 1
        return
    lock = FileLock(str(lock_path(path)), timeout=LOCK_WAIT if wait is None else wait)
    try:
        lock.acquire()
    except Timeout:
        raise ElinvoimaError(f"{path.name}: toinen Elinvoima-ajo käsittelee tiedostoa juuri nyt "
                             f"(lukko {lock_path(path).name}). Mitään ei kirjoitettu. "
                             "Odota, että se valmistuu, ja yritä uudelleen.") from None
    except OSError as exc:
        raise ElinvoimaError(f"{path.name}: lukkotiedostoa {lock_path(path).name} ei voi luoda ({exc.strerror}). "
                             "Tarkista, että kansioon saa kirjoittaa.") from None
    try:
        _HELD[key] = _Held(lock, 1, file_state(path))
        yield
    finally:
        _HELD.pop(key, None)
        lock.release()


def read_for_update(path: Path) -> bytes:
    """The content of `path`, remembered as what this job read (under its lock, if held)."""
    path = Path(path)
    data = path.read_bytes()
    held = _HELD.get(_key(path))
    if held is not None:
        held.state = file_state(path, data)
        if held.state is not None and held.state.size != len(data):   # changed while we read it
            held.state = file_state(path)
    return data


def check_unchanged(path: Path) -> None:
    """Stop, writing nothing, when `path` is no longer the file this job read (another program saved it)."""
    held = _HELD.get(_key(Path(path)))
    if held is None:
        return
    now = file_state(path)
    if now != held.state:
        raise ElinvoimaError(f"{Path(path).name} on muuttunut sen jälkeen, kun se luettiin (toinen ohjelma tai "
                             "käyttäjä tallensi sen). Mitään ei kirjoitettu. Aja komento uudelleen, niin "
                             "muutokset luetaan mukaan.")


def note_written(path: Path, data: bytes) -> None:
    """Remember that this job itself wrote `data` to `path` (a later save in the same job compares with it)."""
    held = _HELD.get(_key(Path(path)))
    if held is not None:
        held.state = file_state(path, data)
