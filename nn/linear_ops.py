"""Fused ops for the dense layers: ``Linear`` (x @ W.T + b) and ``Dropout`` (x * mask).

One op for the whole affine map instead of transpose + matmul + add keeps the
graph small (one node per layer, as PyTorch's ``AddmmBackward``) and lets the
weight gradient be a single matmul over all leading (batch) axes.

Both backward passes use only operators, ``reshape`` and ``.T``, so with
``create_graph=True`` they are recorded and can be differentiated again.
"""

from __future__ import annotations

import numpy as np

from autograd.node import Op, Sample


class Linear(Op):
    """``x @ weight.T + bias`` for ``x`` of shape ``(..., in)``, ``weight (out, in)``, ``bias (out,)``.

    Called as ``Linear.apply(x, weight)`` or ``Linear.apply(x, weight, bias)``.
    """

    __slots__ = ()

    samples = (
        Sample(((4, 3), (2, 3), (2,))),
        Sample(((4, 3), (2, 3))),
        Sample(((3,), (2, 3), (2,))),
        Sample(((2, 4, 3), (5, 3), (5,))),
        Sample(((2, 1, 3), (2, 3))),
    )

    def forward(self, x, weight, bias=None):
        out = np.matmul(x, weight.T)
        if bias is not None:
            out += bias if bias.dtype == out.dtype else bias.astype(out.dtype)
        return out

    def backward(self, g, out, x, weight, bias=None):
        needs = self.needs
        n_out, n_in = weight.shape
        gx = g @ weight if needs[0] else None
        g2 = g.reshape((-1, n_out)) if needs[1] or len(needs) == 3 else None
        gw = g2.T @ x.reshape((-1, n_in)) if needs[1] else None
        if len(needs) == 2:
            return gx, gw
        # The bias gradient is summed over the batch here, in one reduction,
        # rather than left to the engine's generic broadcast reduction.
        return gx, gw, (g2.sum(axis=0) if needs[2] else None)


def _mask_sample(shape, p):
    def draw(rng):
        keep = rng.random(shape) >= p
        return {"mask": keep * (1.0 / (1.0 - p))}

    return draw


class Dropout(Op):
    """``x * mask``: ``mask`` is a constant (0 where dropped, ``1/(1-p)`` where kept),
    drawn by ``nn.functional.dropout``; passing it in keeps the op deterministic."""

    __slots__ = ("mask",)
    saves_inputs = False
    samples = (
        Sample(((3, 4),), kwargs=_mask_sample((3, 4), 0.5)),
        Sample(((2, 3, 4),), kwargs=_mask_sample((2, 3, 4), 0.25)),
    )

    def forward(self, x):
        mask = self.mask
        if mask.dtype != x.dtype:
            mask = mask.astype(x.dtype)
        if mask.shape != x.shape:
            raise ValueError(f"Dropout: mask of shape {mask.shape} for an input of shape {x.shape}")
        self.saved = mask
        return x * mask

    def backward(self, g, out, x):
        return g * self.saved
