"""Reductions and the normalisations built on them (softmax, log_softmax).

``axis`` is always None or a tuple of non-negative ints here (Tensor methods
normalise it), so gradients can be re-expanded with a plain reshape.
"""

from __future__ import annotations

import math

import numpy as np

from ..node import Op, Sample


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1 (the keepdims shape)."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _expand_to(g, shape: tuple[int, ...]):
    """``g`` (keepdims-shaped) broadcast to ``shape``.  Small results are written out
    (``np.broadcast_to`` costs about 2 us of Python per call, more than copying a few
    thousand numbers); large ones stay a free broadcast view.  A Tensor ``g``
    (create_graph) goes through the recorded BroadcastTo op."""
    if isinstance(g, (np.ndarray, np.generic)) and math.prod(shape) <= 4096:
        out = np.empty(shape, g.dtype)
        out[...] = g
        return out
    return np.broadcast_to(g, shape)


def _count(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    """How many input elements each output element reduces."""
    if axis is None:
        return max(int(np.prod(shape)), 1)
    return max(int(np.prod([shape[a] for a in axis])), 1)


def _samples(**extra):
    return (
        Sample(((3, 4),), kwargs={"axis": None, "keepdims": False, **extra}),
        Sample(((3, 4),), kwargs={"axis": (1,), "keepdims": False, **extra}),
        Sample(((3, 4),), kwargs={"axis": (0,), "keepdims": True, **extra}),
        Sample(((2, 3, 4),), kwargs={"axis": (0, 2), "keepdims": False, **extra}),
        Sample(((),), kwargs={"axis": None, "keepdims": False, **extra}),
    )


class _Reduction(Op):
    __slots__ = ("axis", "keepdims")
    attrs = ("axis", "keepdims")
    abstract = True

    def _expand(self, g):
        """Reshape an upstream gradient so it broadcasts against the input."""
        if self.keepdims:
            return g
        return g.reshape(_kept_shape(self.saved, self.axis))


class Sum(_Reduction):
    saves_inputs = False
    samples = _samples()

    def forward(self, x):
        self.saved = x.shape
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, x):
        return _expand_to(self._expand(g), self.saved)


class Mean(_Reduction):
    saves_inputs = False
    samples = _samples()

    def forward(self, x):
        self.saved = x.shape
        return x.mean(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, x):
        return _expand_to(self._expand(g) / _count(self.saved, self.axis), self.saved)


class _Extremum(_Reduction):
    """max/min: the gradient is shared evenly among tied extreme elements (as torch.amax)."""

    abstract = True
    save_output = True
    saves_inputs = False

    def backward(self, g, out, x):
        xa = self.args[0]
        hit = xa == self.out.reshape(_kept_shape(self.saved, self.axis))
        w = hit / hit.sum(axis=self.axis, keepdims=True)
        return self._expand(g) * w.astype(xa.dtype, copy=False)


class Max(_Extremum):
    samples = _samples()

    def forward(self, x):
        self.saved = x.shape
        return x.max(axis=self.axis, keepdims=self.keepdims)


class Min(_Extremum):
    samples = _samples()

    def forward(self, x):
        self.saved = x.shape
        return x.min(axis=self.axis, keepdims=self.keepdims)


class Var(_Reduction):
    """Variance with ``ddof`` (NumPy's default 0; PyTorch's unbiased is ddof=1)."""

    __slots__ = ("ddof",)
    attrs = ("axis", "keepdims", "ddof")
    samples = _samples(ddof=0) + (Sample(((3, 4),), kwargs={"axis": (1,), "keepdims": False, "ddof": 1}),)

    def forward(self, x):
        self.saved = x.shape
        return x.var(axis=self.axis, keepdims=self.keepdims, ddof=self.ddof)

    def backward(self, g, out, x):
        n = _count(self.saved, self.axis)
        centered = x - x.mean(axis=self.axis, keepdims=True)
        return self._expand(g) * centered * (2.0 / (n - self.ddof))


_SOFTMAX_SAMPLES = (
    Sample(((3, 4),), kwargs={"axis": (1,)}),
    Sample(((3, 4),), kwargs={"axis": (0,)}),
    Sample(((2, 3, 4),), kwargs={"axis": (1,)}),
)


class Softmax(Op):
    """exp(x) / sum(exp(x)), computed after subtracting the max so it never overflows."""

    __slots__ = ("axis",)
    attrs = ("axis",)
    save_output = True
    saves_inputs = False
    samples = _SOFTMAX_SAMPLES

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e

    def backward(self, g, out, x):
        return out * (g - (g * out).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Op):
    """x - logsumexp(x), in the max-shifted form that is finite for any finite x."""

    __slots__ = ("axis",)
    attrs = ("axis",)
    save_output = True
    saves_inputs = False
    samples = _SOFTMAX_SAMPLES

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return shifted

    def backward(self, g, out, x):
        return g - np.exp(out) * g.sum(axis=self.axis, keepdims=True)
