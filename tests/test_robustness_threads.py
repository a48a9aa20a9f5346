"""Threads: grad mode and anomaly mode are per thread, and two threads training separate
nn models at the same time get exactly the gradients and weights of single-threaded runs.

The threads are forced to interleave: they meet at a barrier inside the critical
region (and at every training step), and the interpreter's switch interval is
shortened so that they swap many times within each forward and backward pass.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

import autograd
import nn
import optim
from autograd import Tensor
from nn import functional as F


@contextmanager
def fast_switching() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def run_threads(*targets: Callable[[], Any]) -> list[Any]:
    """Run each target in its own thread; return their results, re-raising any error."""
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def wrap(i: int, fn: Callable[[], Any]) -> None:
        try:
            results[i] = fn()
        except BaseException as e:  # handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(targets)]
    with fast_switching():
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def test_no_grad_in_one_thread_does_not_affect_another():
    meet = threading.Barrier(2, timeout=10)
    layer = nn.Linear(3, 2)
    x = Tensor(np.ones((4, 3)))

    def quiet():
        with autograd.no_grad():
            meet.wait()  # the other thread records while this one is inside no_grad
            out = layer(x)
            meet.wait()
            return autograd.is_grad_enabled(), out.grad_fn is None

    def recording():
        meet.wait()
        out = layer(x)
        meet.wait()
        return autograd.is_grad_enabled(), out.grad_fn is not None

    assert run_threads(quiet, recording) == [(False, True), (True, True)]
    assert autograd.is_grad_enabled()  # nor the main thread


def test_enable_grad_and_anomaly_mode_in_one_thread_do_not_leak_into_another():
    meet = threading.Barrier(2, timeout=10)

    def anomalous():
        with autograd.detect_anomaly(), autograd.no_grad(), autograd.enable_grad():
            meet.wait()
            meet.wait()
            x = Tensor([0.0], requires_grad=True)
            return autograd.is_grad_enabled(), getattr(x.sqrt().grad_fn, "site", None) is not None

    def plain():
        with autograd.no_grad():
            meet.wait()
            enabled = autograd.is_grad_enabled()
            meet.wait()
        x = Tensor([0.0], requires_grad=True)
        return enabled, getattr(x.sqrt().grad_fn, "site", None) is not None

    # the anomaly thread records creation sites; the plain one neither does nor sees enable_grad
    assert run_threads(anomalous, plain) == [(True, True), (False, False)]


def _train(seed: int, steps: int, meet: threading.Barrier | None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A small MLP and Adam on a fixed classification batch; the final weights and gradients."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 4))
    with autograd.no_grad():
        for p in model.parameters():
            p.copy_(rng.standard_normal(p.shape) * 0.5)
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = Tensor(rng.standard_normal((40, 6)))
    y = rng.integers(0, 4, 40)
    for _ in range(steps):
        if meet is not None:
            meet.wait()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    return [p.data.copy() for p in model.parameters()], [p.grad.data.copy() for p in model.parameters()]


def test_two_threads_training_separate_models_match_single_threaded_runs():
    steps = 60
    alone = [_train(seed, steps, None) for seed in (1, 2)]
    meet = threading.Barrier(2, timeout=30)
    together = run_threads(lambda: _train(1, steps, meet), lambda: _train(2, steps, meet))
    for (w1, g1), (w2, g2) in zip(alone, together):
        for a, b in zip(w1 + g1, w2 + g2):
            np.testing.assert_array_equal(a, b)  # bit for bit: nothing leaked between the threads
    assert not np.array_equal(alone[0][0][0], alone[1][0][0])  # two different problems
