"""Work in a forked second process while this one goes on (the VBA project during a build, the split's heads)."""

from __future__ import annotations

__all__ = ["in_background", "in_background_shared"]

import multiprocessing
import itertools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

_T = TypeVar("_T")


@contextmanager
def in_background(fn: Callable[..., _T], *args: Any) -> Iterator[Callable[[], _T]]:
    """Run `fn(*args)` in a forked process when possible (else lazily here); yield a getter of its result.

    The process is forked at the call, so it sees this process's memory as it is then; only
    the arguments and the result travel between the two.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: fn(*args)
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        future = pool.submit(fn, *args)
        yield future.result


# Calls handed to a forked process through its copy of this memory, by a number: only the number
# is pickled. Filled and emptied by `in_background_shared` alone, around the fork.
_SHARED: dict[int, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
_NUMBERS = itertools.count()


def _call_shared(number: int) -> Any:
    fn, args = _SHARED[number]
    return fn(*args)


@contextmanager
def in_background_shared(fn: Callable[..., _T], *args: Any) -> Iterator[Callable[[], _T]]:
    """`in_background` for large arguments: they reach the forked process in its copy of memory, never pickled."""
    number = next(_NUMBERS)
    _SHARED[number] = (fn, args)
    try:
        with in_background(_call_shared, number) as result:
            yield result
    finally:
        del _SHARED[number]


def _die_with_parent(parent: int) -> None:
    """In a worker: end when the process that started it ends, even by `kill -9` (nothing else would tell it).

    Linux delivers SIGKILL on the parent's death (prctl PR_SET_PDEATHSIG); elsewhere a thread
    watches the parent's pid.
    """
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)        # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:                            # the parent died before the call above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="elinvoima-parent-watch").start()
