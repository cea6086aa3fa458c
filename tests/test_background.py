"""The forked second process: results come back, large arguments reach it unpickled, nothing is left behind."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from elinvoima_xl.jobs import background
from elinvoima_xl.jobs.background import in_background, in_background_shared

fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")


def _pid_and_double(n: int) -> tuple[int, int]:
    return os.getpid(), 2 * n


@fork
def test_in_background_runs_in_another_process() -> None:
    with in_background(_pid_and_double, 21) as result:
        pid, value = result()
    assert value == 42 and pid != os.getpid()


@fork
def test_shared_arguments_are_not_pickled_and_are_let_go() -> None:
    lock = threading.Lock()            # a lock cannot be pickled: it can only arrive through the fork
    with in_background_shared(lambda held, n: (os.getpid(), held.locked(), 2 * n), lock, 21) as result:
        pid, locked, value = result()
    assert (value, locked) == (42, False) and pid != os.getpid()
    assert background._SHARED == {}
    with pytest.raises(ZeroDivisionError):
        with in_background_shared(lambda held: 1 / 0, lock) as result:
            result()
    assert background._SHARED == {}
