"""Hand-written NumPy versions of the workloads: the same arithmetic, no graph.

These are the limit an autograd engine on NumPy can approach: the forward pass
keeps exactly what the backward pass needs, the backward pass is written out
by hand, and nothing else runs.  They are written the way a competent person
writes such code (the sigmoid MLP is the lab report's delta-rule code), not
tuned with ``out=`` arguments, so the ratio measures the library's overhead
against ordinary NumPy.

Every runner has ``step()`` (the timed unit) and ``snapshot()`` (the arrays
compared against the other implementations after one step from the initial
weights).
"""

from __future__ import annotations

import numpy as np

from benchmarks.workloads import CHAIN_SCALE, CHAIN_SHIFT, Problem


class SigmoidMLP:
    """The lab report's delta rule: column-major activations ``(features, N)``.

    ``a = 1 / (1 + exp(-(W @ a_prev + b)))``; with BCE on the sigmoid output the
    output delta is ``p - y``; each hidden delta is ``(W_next.T @ delta) * a * (1 - a)``;
    the gradient sums over the batch (``delta @ a_prev.T``); ``W -= lr * grad``.
    """

    def __init__(self, p: Problem) -> None:
        w = [a.copy() for a in p.weights]
        self.W = w[0::2]
        self.b = [v[:, None] for v in w[1::2]]  # biases as columns, as the report keeps them
        self.shapes = [a.shape for a in p.weights]
        self.x = np.ascontiguousarray(p.x.T)
        self.y = np.ascontiguousarray(p.y.T)
        self.lr = p.lr

    def step(self) -> float:
        W1, W2, W3 = self.W
        b1, b2, b3 = self.b
        x, y, lr = self.x, self.y, self.lr
        a1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
        a2 = 1 / (1 + np.exp(-(W2 @ a1 + b2)))
        p = 1 / (1 + np.exp(-(W3 @ a2 + b3)))
        loss = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
        d3 = p - y
        d2 = (W3.T @ d3) * a2 * (1 - a2)
        d1 = (W2.T @ d2) * a1 * (1 - a1)
        self.grads = [d1 @ x.T, d1.sum(axis=1, keepdims=True), d2 @ a1.T, d2.sum(axis=1, keepdims=True),
                      d3 @ a2.T, d3.sum(axis=1, keepdims=True)]
        g = self.grads
        W1 -= lr * g[0]
        b1 -= lr * g[1]
        W2 -= lr * g[2]
        b2 -= lr * g[3]
        W3 -= lr * g[4]
        b3 -= lr * g[5]
        self.loss = loss
        return loss

    def params(self) -> list[np.ndarray]:
        return [self.W[0], self.b[0].ravel(), self.W[1], self.b[1].ravel(), self.W[2], self.b[2].ravel()]

    def snapshot(self) -> dict[str, np.ndarray]:
        grads = [g.reshape(shape) for g, shape in zip(self.grads, self.shapes)]
        return _mlp_snapshot(self.loss, grads, self.params())


class ReluMLP:
    """ReLU MLP with softmax cross-entropy (mean over the batch), row-major ``(N, features)``.

    The log-softmax is shifted by the row maximum; its gradient is
    ``(softmax - onehot) / N``; ReLU's backward multiplies by the mask ``z > 0``.
    """

    def __init__(self, p: Problem) -> None:
        self.w = [a.copy() for a in p.weights]
        self.x, self.y, self.lr = p.x, p.y, p.lr
        self.rows = np.arange(len(p.y))

    def step(self) -> np.ndarray:
        W1, b1, W2, b2, W3, b3 = self.w
        x, y, rows, lr = self.x, self.y, self.rows, self.lr
        n = len(y)
        z1 = x @ W1.T + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2.T + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ W3.T + b3
        s = z3 - z3.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        loss = -logp[rows, y].mean()
        d3 = np.exp(logp)
        d3[rows, y] -= 1
        d3 /= n
        d2 = (d3 @ W3) * (z2 > 0)
        d1 = (d2 @ W2) * (z1 > 0)
        self.grads = [d1.T @ x, d1.sum(axis=0), d2.T @ h1, d2.sum(axis=0), d3.T @ h2, d3.sum(axis=0)]
        for w, g in zip(self.w, self.grads):
            w -= lr * g
        self.loss = loss
        return loss

    def snapshot(self) -> dict[str, np.ndarray]:
        return _mlp_snapshot(self.loss, self.grads, self.w)


class Chain:
    """The elementwise chain: a forward loop that keeps what backward reads, then the backward loop.

    Per cycle, backward needs tanh's output (``1 - t*t``) and exp's output, which
    is also log's input (``g * e`` and ``g / e``); the add needs nothing and the
    multiply only its constant.  The same five ops, in the same order, as the
    library and PyTorch versions.
    """

    def __init__(self, p: Problem) -> None:
        self.x = p.x.copy()
        self.cycles = p.length // 5

    def step(self) -> tuple[np.ndarray, np.ndarray]:
        c, s = CHAIN_SCALE, CHAIN_SHIFT
        y = self.x
        saved = []
        for _ in range(self.cycles):
            y = y * c
            y = y + s
            t = np.tanh(y)
            e = np.exp(t)
            y = np.log(e)
            saved.append((t, e))
        g = np.ones_like(y)  # d(sum(y))/dy
        for t, e in reversed(saved):
            g = g / e
            g = g * e
            g = g * (1 - t * t)
            g = g * c
        self.out, self.grad = y, g
        return y, g

    def snapshot(self) -> dict[str, np.ndarray]:
        return {"out": self.out, "grad": self.grad}


def _mlp_snapshot(loss, grads, params) -> dict[str, np.ndarray]:
    """Loss, each gradient and each updated parameter: what one step must agree on.

    Parameters rather than their changes: in float32 a change is the difference of
    two nearly equal numbers, and one rounding of the parameter (PyTorch's fused
    ``p.add_(g, alpha=-lr)`` against ``p -= lr * g``) would dominate it.
    """
    snap = {"loss": np.asarray(loss, dtype=np.float64)}
    for i, (g, p) in enumerate(zip(grads, params)):
        snap[f"grad{i}"] = np.asarray(g)
        snap[f"param{i}"] = np.array(p)
    return snap


def make(p: Problem):
    """The hand-written runner for ``p``."""
    return {"sigmoid_mlp": SigmoidMLP, "relu_mlp": ReluMLP, "chain": Chain}[p.kind](p)
