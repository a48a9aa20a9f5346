"""Conv2d forward + backward: ``nn.functional.conv2d`` against plain NumPy and PyTorch.

    python tools/bench_conv.py [--repeat 15] [--number 20] [--threads 1]

The workload is the issue's: x (64, 1, 28, 28), 8 filters of 3x3, float32,
a fixed random upstream gradient.  Two modes:

- ``params``: gradients for weight and bias only (a first layer: the images
  need no gradient);
- ``all``: gradients for the input too (a hidden layer).

Baselines, timed in the same run (the NumPy ones interleaved with ours, PyTorch
after them):

- ``numpy``: a plain NumPy im2col forward + backward written here (no
  autograd), in the fast layout: columns ``(N, C*KH*KW, OH*OW)`` from
  ``sliding_window_view``, a batched matmul forward, the weight gradient as a
  batched matmul against the columns, the input gradient as a matmul back to
  columns and a col2im loop over kernel offsets;
- ``numpy_fused``: the same with the bias fused into the matmuls (a row of
  ones appended to the columns), the trick ``nn.conv_ops`` uses: the ratio
  to it is the cost of the autograd machinery alone;
- ``numpy_rows``: the textbook layout (one row per output position,
  ``(N*OH*OW, C*KH*KW)``), which is what most hand-written im2col code does;
- ``torch``: ``torch.nn.functional.conv2d`` when PyTorch is installed.

Prints the best-of-``repeat`` time per call of each and the ratios to ours.
BLAS and PyTorch run on ``--threads`` threads (1 by default: these matrices
are small, and idle worker threads that spin between calls distort the
timings of whatever runs next on a loaded machine).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import time
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd import Tensor
from nn.conv_ops import conv2d

N, C, H, W, F, K = 64, 1, 28, 28, 8, 3
OH, OW = H - K + 1, W - K + 1


def numpy_batched(x, w, b, g, need_x):
    """im2col with columns (N, CKK, L): every matmul is a batch of small BLAS calls."""
    cols = sliding_window_view(x, (K, K), axis=(2, 3)).transpose(0, 1, 4, 5, 2, 3).reshape(N, C * K * K, -1)
    w2 = w.reshape(F, -1)
    y = np.matmul(w2, cols).reshape(N, F, OH, OW) + b.reshape(-1, 1, 1)
    g3 = g.reshape(N, F, -1)
    gw = np.matmul(g3, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    gb = g.sum(axis=(0, 2, 3))
    gx = None
    if need_x:
        dcols = np.matmul(w2.T, g3).reshape(N, C, K, K, OH, OW)
        gx = np.zeros_like(x)
        for i in range(K):
            for j in range(K):
                gx[:, :, i:i + OH, j:j + OW] += dcols[:, :, i, j]
    return y, gw, gb, gx


def numpy_rows(x, w, b, g, need_x):
    """Textbook im2col: one row per output position, (N*OH*OW, CKK)."""
    cols = sliding_window_view(x, (K, K), axis=(2, 3)).transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, -1)
    w2 = w.reshape(F, -1)
    y = (cols @ w2.T + b).reshape(N, OH, OW, F).transpose(0, 3, 1, 2)
    g2 = g.transpose(0, 2, 3, 1).reshape(-1, F)
    gw = (g2.T @ cols).reshape(w.shape)
    gb = g2.sum(axis=0)
    gx = None
    if need_x:
        dcols = (g2 @ w2).reshape(N, OH, OW, C, K, K)
        gx = np.zeros_like(x)
        for i in range(K):
            for j in range(K):
                gx[:, :, i:i + OH, j:j + OW] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return y, gw, gb, gx


def pin_malloc() -> bool:
    """Keep freed memory in glibc's heap (no mmap/munmap per large array): otherwise each
    call's temporaries of ~1.5 MB may or may not be fresh pages depending on allocator
    state, which makes timings bimodal (0.8 vs 3 ms here) for every case alike."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 1 << 28)) and bool(libc.mallopt(m_trim_threshold, 1 << 28))
    except (OSError, AttributeError):
        return False


def best(fn: Callable[[], object], repeat: int, number: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def numpy_fused(x, w, b, g, need_x):
    """``numpy`` with the bias fused into the matmuls (a ones row in the columns), as ``nn`` does."""
    cols = np.empty((N, C * K * K + 1, OH * OW), dtype=x.dtype)
    cols[:, :-1].reshape(N, C, K, K, OH, OW)[...] = sliding_window_view(x, (K, K), axis=(2, 3)).transpose(0, 1, 4, 5, 2, 3)
    cols[:, -1] = 1
    w2 = np.concatenate([w.reshape(F, -1), b.reshape(-1, 1)], axis=1)
    y = np.matmul(w2, cols).reshape(N, F, OH, OW)
    g3 = g.reshape(N, F, -1)
    gwb = np.matmul(g3, cols.transpose(0, 2, 1)).sum(axis=0)
    gw, gb = gwb[:, :-1].reshape(w.shape), gwb[:, -1]
    gx = None
    if need_x:
        dcols = np.matmul(w2[:, :-1].T, g3).reshape(N, C, K, K, OH, OW)
        gx = np.zeros_like(x)
        for i in range(K):
            for j in range(K):
                gx[:, :, i:i + OH, j:j + OW] += dcols[:, :, i, j]
    return y, gw, gb, gx


def run_mode(need_x: bool, repeat: int, number: int, torch) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = (rng.standard_normal((F, C, K, K)) / 3).astype(np.float32)
    b = rng.standard_normal(F).astype(np.float32)
    g = rng.standard_normal((N, F, OH, OW)).astype(np.float32)
    xt = Tensor(x, requires_grad=need_x)
    wt, bt = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)

    def ours() -> None:
        xt.grad = wt.grad = bt.grad = None
        conv2d(xt, wt, bt).backward(g)

    # Same numbers first: the benchmark compares equal work.
    ours()
    for ref in (numpy_batched(x, w, b, g, need_x), numpy_fused(x, w, b, g, need_x), numpy_rows(x, w, b, g, need_x)):
        np.testing.assert_allclose(wt.grad.data, ref[1], rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(bt.grad.data, ref[2], rtol=1e-4, atol=1e-3)
        if need_x:
            np.testing.assert_allclose(xt.grad.data, ref[3], rtol=1e-4, atol=1e-4)

    cases: dict[str, Callable[[], object]] = {
        "ours": ours,
        "numpy": lambda: numpy_batched(x, w, b, g, need_x),
        "numpy_fused": lambda: numpy_fused(x, w, b, g, need_x),
        "numpy_rows": lambda: numpy_rows(x, w, b, g, need_x),
    }
    if torch is not None:
        tx = torch.from_numpy(x).requires_grad_(need_x)
        tw, tb = torch.from_numpy(w).requires_grad_(), torch.from_numpy(b).requires_grad_()
        tg = torch.from_numpy(g)

        def torch_run() -> None:
            tx.grad = tw.grad = tb.grad = None
            torch.nn.functional.conv2d(tx, tw, tb).backward(tg)

        cases["torch"] = torch_run
    # Interleave the NumPy cases: each round times every one once, so load changes hit them
    # alike.  PyTorch runs last, on its own: its OpenMP threads keep spinning for a while after
    # each call and would slow down whichever case ran next.
    results: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            if name != "torch":
                results[name].append(best(fn, 1, number))
    if "torch" in cases:
        results["torch"] = [best(cases["torch"], repeat, number)]
    t = {k: min(v) for k, v in results.items()}
    print(f"gradients for {'input, ' if need_x else ''}weight, bias; x {x.shape} float32, {F} {K}x{K} filters")
    for name in cases:
        print(f"  {name:<12s} {t[name] * 1e3:8.3f} ms   ours / {name}: {t['ours'] / t[name]:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--number", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    args = ap.parse_args()
    if not pin_malloc():
        print("note: not glibc; large temporaries may come from fresh pages (noisier timings)")
    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(args.threads)
    try:  # idle BLAS threads spin after a call and would slow down the next case
        from threadpoolctl import threadpool_limits
    except ImportError:
        limits = contextlib.nullcontext()
        print("threadpoolctl is not installed: BLAS uses its default thread count")
    else:
        limits = threadpool_limits(args.threads)
    with limits:
        for need_x in (False, True):
            run_mode(need_x, args.repeat, args.number, torch)


if __name__ == "__main__":
    main()
