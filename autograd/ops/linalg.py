"""Matrix products."""

from __future__ import annotations

import numpy as np

from ..node import Op, Sample


def _swap(x):
    return x.swapaxes(-1, -2)


class MatMul(Op):
    """``a @ b`` with NumPy's rules: 1-D operands are promoted to a row (a) or a
    column (b) and the added axis removed; leading axes broadcast (batched matmul)."""

    samples = (
        Sample(((3, 4), (4, 5))),
        Sample(((4,), (4, 5))),
        Sample(((3, 4), (4,))),
        Sample(((4,), (4,))),
        Sample(((2, 3, 4), (4, 5))),
        Sample(((2, 1, 3, 4), (5, 4, 2))),
        Sample(((3, 4), (2, 4, 5))),
        Sample(((3,), (2, 3, 2))),
    )

    def forward(self, a, b):
        try:
            return np.matmul(a, b)
        except ValueError:
            a_shape, b_shape = np.shape(a), np.shape(b)
            if not a_shape or not b_shape:
                raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a_shape} and {b_shape}") from None
            k_a, k_b = a_shape[-1], b_shape[-2 if len(b_shape) > 1 else 0]
            raise ValueError(
                f"matmul: shapes {a_shape} and {b_shape} do not match: "
                f"{k_a} (last axis of the first) != {k_b} (the second's contracted axis)"
            ) from None

    def backward(self, g, out, a, b):
        needs = self.needs
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if needs[0] else None), (g * a if needs[1] else None)
        if a.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
            g2 = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
            if needs[0]:
                ga = (g2 @ _swap(b)).reshape(g.shape[:-1] + (a.shape[0],))
            if needs[1]:
                gb = a.reshape((a.shape[0], 1)) * g2
            return ga, gb
        if b.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
            g2 = g.reshape(g.shape + (1,))
            if needs[0]:
                ga = g2 * b
            if needs[1]:
                gb = (_swap(a) @ g2).reshape(g.shape[:-1] + (b.shape[0],))
            return ga, gb
        if needs[0]:
            ga = g @ _swap(b)
        if needs[1]:
            gb = _swap(a) @ g
        return ga, gb
