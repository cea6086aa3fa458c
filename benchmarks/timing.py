"""The benchmarks' one way to time a call: the median of several runs, with the runs themselves."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median seconds of `repeats` calls of `fn`, and every run's seconds."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times
