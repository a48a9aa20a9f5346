"""Timers, peak memory and the machine description.

Timing: after warm-up, each implementation's step is called ``number`` times
per repeat (``number`` calibrated so a repeat lasts at least ``min_time``), the
implementations are interleaved within every repeat so that a slow phase of
the machine hits all of them alike, and the median over repeats is reported.
The garbage collector stays on, as a user has it (a graph of many nodes pays
for it), but is run before every repeat so one repeat's garbage is not charged
to the next.
"""

from __future__ import annotations

import datetime as _dt
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

WARMUP_CAP_S = 1.0  # stop warming up an implementation once it has run this long


def measure(
    steps: dict[str, Callable[[], Any]], repeats: int, min_time: float, warmup: int
) -> dict[str, dict[str, Any]]:
    """Median seconds per call of each step, with the raw repeats and the calls per repeat.

    Warm-up: ``warmup`` calls, fewer if they take over ``WARMUP_CAP_S``; then one
    timed call that sets how many calls a repeat makes.
    """
    numbers = {}
    for name, step in steps.items():
        start = time.perf_counter()
        for _ in range(warmup):
            step()
            if time.perf_counter() - start > WARMUP_CAP_S:  # a slow step is warm after one call
                break
        t0 = time.perf_counter()
        step()
        once = time.perf_counter() - t0
        numbers[name] = max(1, min(100_000, math.ceil(min_time / max(once, 1e-7))))
    raw: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            n = numbers[name]
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            raw[name].append((time.perf_counter() - t0) / n)
    return {
        name: {"median_s": statistics.median(ts), "repeats_s": ts, "calls_per_repeat": numbers[name]}
        for name, ts in raw.items()
    }


def peak_memory(step: Callable[[], Any]) -> int:
    """Bytes allocated at the peak of one call of ``step`` beyond what was live before it.

    NumPy reports its array buffers to ``tracemalloc``, so this counts the arrays
    a step creates (activations, gradients, temporaries) and the Python objects
    of the graph.  Call ``step`` once before so that lazily created state (the
    optimizer's, caches) is not counted.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = step()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return peak - base


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``, else what ``platform`` knows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(torch_version: str | None) -> dict[str, Any]:
    """Everything needed to compare two runs of the suite."""
    from threadpoolctl import threadpool_info

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    blas = [
        {k: info.get(k) for k in ("user_api", "internal_api", "version", "architecture", "threading_layer",
                                  "num_threads", "filepath")}
        for info in threadpool_info()
    ]
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                         "MKL_NUM_THREADS")}
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": blas,
        "torch": torch_version,
        "env": env,
    }


def format_seconds(s: float | None) -> str:
    """A time with the unit that fits: ns, µs, ms or s, three significant digits."""
    if s is None or not math.isfinite(s):
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"
