"""Measure a long chain's backward: time and memory at 100k and 1M ops (issue 9's figures).

    python tools/scale_check.py            # 100k and 1M (about a minute; tracemalloc is slow)
    python tools/scale_check.py 50000 500000

For each length n the chain ``x -> x*C -> ... -> out`` (C = 1 + 1e-7, so the
gradient C**n is known) is built and backpropagated twice:

* untimed by tracemalloc: build and backward wall times;
* under tracemalloc: the memory the graph holds before backward, the peak during
  backward and what is left after it (the graph is freed as backward walks it).

It checks what the test suite checks at smaller sizes: no RecursionError, the
exact gradient, time linear in n (10x the ops in < 15x the time), the graph's
memory linear in n, and backward needing no memory beyond the graph's.
"""

from __future__ import annotations

import gc
import math
import sys
import time
import tracemalloc

from autograd import Tensor

C = 1.0 + 1e-7


def build(n: int) -> tuple[Tensor, Tensor]:
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * C
    return x, y


def measure(n: int) -> dict[str, float]:
    gc.collect()
    t0 = time.perf_counter()
    x, y = build(n)
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    if not math.isclose(x.grad.item(), C**n, rel_tol=1e-9):
        raise AssertionError(f"n={n}: gradient {x.grad.item()!r}, expected {C**n!r}")
    del x, y
    gc.collect()
    tracemalloc.start()
    try:
        x, y = build(n)
        graph = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        y.backward()
        peak = tracemalloc.get_traced_memory()[1]
        gc.collect()  # (a full collection also empties CPython's free lists, which tracemalloc counts)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return {"n": n, "build_s": t1 - t0, "backward_s": t2 - t1, "graph_mb": graph / 1e6,
            "peak_mb": peak / 1e6, "extra_kb": (peak - graph) / 1e3, "after_kb": after / 1e3}


def main(sizes: list[int]) -> int:
    print(f"recursion limit {sys.getrecursionlimit()}")
    print(f"{'ops':>9} {'build s':>8} {'backward s':>10} {'graph MB':>9} {'peak MB':>8} {'extra kB':>9} {'after kB':>9}")
    rows = []
    for n in sizes:
        r = measure(n)
        rows.append(r)
        print(f"{n:>9,} {r['build_s']:>8.2f} {r['backward_s']:>10.2f} {r['graph_mb']:>9.1f} {r['peak_mb']:>8.1f} "
              f"{r['extra_kb']:>9.1f} {r['after_kb']:>9.1f}", flush=True)
    small, large = rows[0], rows[-1]
    k = large["n"] / small["n"]
    t_ratio = large["backward_s"] / small["backward_s"]
    m_ratio = large["graph_mb"] / small["graph_mb"]
    print(f"{k:.0f}x the ops: backward {t_ratio:.1f}x the time, graph {m_ratio:.2f}x the memory, "
          f"{large['graph_mb'] * 1e6 / large['n']:.0f} B per op")
    ok = t_ratio < 1.5 * k and 0.9 * k < m_ratio < 1.1 * k
    ok &= all(r["extra_kb"] < 64 and r["after_kb"] < 64 for r in rows)  # nothing beyond the graph; all freed
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]))
