"""Scale: deep chains, wide fan-out, memory released after backward, no growth over training.

Figures (printed with ``-s``; the full 100k / 1M measurement with tracemalloc is
``python tools/scale_check.py``):
* a 1,000,000-op chain builds and backpropagates without recursion, in time
  linear in its length (1M vs 100k < 15x), and backward's own extra memory does
  not grow with the chain (it frees each node as it passes it);
* one tensor used by 10,000 ops gets the sum of every use;
* after backward, the graph's nodes and saved arrays are freed even though the
  output (and its ``grad_fn``) is still referenced;
* 1,000 SGD steps of a small MLP leave the traced memory where it was after 100.
"""

from __future__ import annotations

import gc
import math
import sys
import time
import tracemalloc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

import autograd
import nn
import optim
from autograd import Tensor
from nn import functional as F

C = 1.0 + 1e-7  # each link multiplies by C: d(out)/dx = C ** n, known in closed form


def chain(n: int) -> tuple[Tensor, Tensor, float]:
    """x -> x*C -> ... (n ops); returns (x, out, seconds to build)."""
    x = Tensor(1.0, requires_grad=True)
    y = x
    t0 = time.perf_counter()
    for _ in range(n):
        y = y * C
    return x, y, time.perf_counter() - t0


def timed_backward(n: int) -> tuple[float, float]:
    x, y, _ = chain(n)
    t0 = time.perf_counter()
    y.backward()
    return time.perf_counter() - t0, x.grad.item()


@contextmanager
def traced() -> Iterator[None]:
    gc.collect()
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def test_million_op_chain_backward_is_linear_and_has_no_recursion_limit():
    assert sys.getrecursionlimit() < 1_000_000
    small = min(timed_backward(100_000)[0] for _ in range(2))
    large, g = timed_backward(1_000_000)
    assert math.isclose(g, C**1_000_000, rel_tol=1e-9)  # 1M roundings of a product: ~1e-10 relative
    print(f"\nchain backward: 100k ops {small:.2f} s, 1M ops {large:.2f} s (ratio {large / small:.1f})")
    assert large / small < 15  # 10x the ops: linear is ~10x, quadratic would be ~100x


def test_backward_of_a_chain_needs_no_memory_that_grows_with_the_chain():
    x, y, _ = chain(50_000)
    with traced():  # started after the build: only what backward itself allocates is counted
        y.backward()
        current, peak = tracemalloc.get_traced_memory()
    print(f"\n50k-op chain: backward's own peak {peak} B, left {current} B")
    # the graph itself is ~20 MB (50k nodes); a per-node structure would be >= 50k * 8 B = 400 kB
    assert peak < 64_000, peak
    assert math.isclose(x.grad.item(), C**50_000, rel_tol=1e-10)


def test_one_tensor_used_by_10000_ops_accumulates_every_use():
    x = Tensor([0.5, -1.5], requires_grad=True)
    h = x * 2.0  # a non-leaf shared by 5,000 consumers
    coeffs = np.arange(5_000) % 7
    uses = [h * float(c) for c in coeffs] + [x**2 for _ in range(5_000)]
    autograd.stack(uses).sum().backward()
    # exact in float64: sums of small integers and of multiples of 2x = 1 and -3
    np.testing.assert_array_equal(x.grad.data, 2.0 * coeffs.sum() + 5_000 * 2 * x.data)
    # 10,000 uses inside one op: each delivers its gradient to the same leaf
    z = Tensor([1.0, 2.0], requires_grad=True)
    (autograd.concatenate([z] * 10_000) * 3.0).sum().backward()
    np.testing.assert_array_equal(z.grad.data, [30_000.0, 30_000.0])


def test_graph_and_saved_arrays_are_released_after_backward_while_the_output_lives():
    n = 250_000  # 2 MB per float64 array
    x = Tensor(np.random.default_rng(0).uniform(0.5, 1.0, n), requires_grad=True)
    with traced():
        base = tracemalloc.get_traced_memory()[0]
        h = x.exp()  # saves its output
        mid = h * x  # saves both inputs
        out = mid.tanh().sum()
        node, inner = weakref.ref(h.grad_fn), weakref.ref(h)
        del h, mid
        held = tracemalloc.get_traced_memory()[0] - base
        out.backward()
        after = tracemalloc.get_traced_memory()[0] - base
    # exp, mul and tanh outputs (3 x 2 MB) were held by the graph; afterwards only x.grad (2 MB)
    assert held > 3 * 8 * n, held
    assert after < 8 * n + 100_000, after
    assert node() is None and inner() is None  # freed by reference counting, no gc needed
    assert out.grad_fn is not None and out.grad_fn.inputs is None  # the output lives, its graph does not
    print(f"\nheld by the graph before backward {held / 1e6:.1f} MB, after {after / 1e6:.2f} MB")


def test_retain_graph_keeps_the_graph_until_the_output_goes():
    x = Tensor(np.ones(1000), requires_grad=True)
    h = x.exp()
    out = (h * x).sum()
    node, inner = weakref.ref(h.grad_fn), weakref.ref(h)
    del h
    out.backward(retain_graph=True)
    assert node() is not None and inner() is not None
    del out
    assert node() is None and inner() is None


def test_repeated_training_steps_do_not_grow_memory():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    x, y = Tensor(rng.standard_normal((32, 8))), rng.integers(0, 3, 32)
    mem, cyclic = {}, {}
    gc.disable()  # no step may need the cycle collector: each graph must go by reference counting
    try:
        with traced():
            for step in range(1, 1001):
                opt.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                if step in (100, 1000):
                    # a full collection also empties CPython's free lists (bounded caches of
                    # tuples and floats that tracemalloc counts as live), so both readings
                    # start from the same point; it returns how much cyclic garbage it found
                    cyclic[step] = gc.collect()
                    mem[step] = tracemalloc.get_traced_memory()[0]
    finally:
        gc.enable()
    print(f"\ntraced memory after step 100: {mem[100]} B, after step 1000: {mem[1000]} B")
    assert cyclic == {100: 0, 1000: 0}  # (the first reading also covers the model's construction)
    # one leaked node or array per step would be >= 900 x 56 B = 50 kB
    assert abs(mem[1000] - mem[100]) < 2_000, mem
    assert loss.item() < 1.0  # it did train
