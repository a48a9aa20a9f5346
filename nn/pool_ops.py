"""Pooling: registered ops and their functional forms.

The windows come from the same im2col kernels as convolution (``nn.conv_ops``).
Higher-order gradients work as for convolution: ``MaxPoolScatter`` (put each
gradient at its window's argmax) has a gather as its backward, and
``AvgPoolScatter`` has ``AvgPool``, so every backward is itself recorded.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.node import Op, Sample

from .conv_ops import IntOrTuple, _as_input, _check_input, _check_window, _col2im, _dual, _tuple, _windows


# ----------------------------------------------------------------------------- pooling ops
def _check_pool(fn: str, x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...]):
    if any(k <= 0 for k in kernel):
        raise ValueError(f"{fn}: kernel_size must be positive, got {kernel}")
    _check_input(fn, x, len(kernel), stride, padding)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{fn}: padding {padding} should be at most half of kernel_size {kernel}")
    _check_window(fn, x.shape[2:], kernel, padding)


def _argmax_index(idx: np.ndarray, shape: tuple[int, ...], kernel, stride, padding) -> tuple[np.ndarray, ...]:
    """Where each window's maximum sits in the (unpadded) input: an index tuple ``(n, c, *pos)``
    of arrays broadcasting to the output's shape, from the flat in-window argmax ``idx``."""
    nd = idx.ndim

    def axis_range(axis: int, n: int) -> np.ndarray:
        return np.arange(n).reshape((1,) * axis + (-1,) + (1,) * (nd - axis - 1))

    parts = [axis_range(0, shape[0]), axis_range(1, shape[1])]
    for i, off in enumerate(np.unravel_index(idx, kernel)):
        start = axis_range(2 + i, idx.shape[2 + i]) * stride[i] - padding[i]
        # Clipping only matters for a window whose real values are all -inf (argmax may then be padding).
        parts.append(np.clip(start + off, 0, shape[2 + i] - 1))
    return tuple(parts)


def _pool_samples(domain: str = "real") -> tuple[Sample, ...]:
    return (
        Sample(((2, 3, 7),), kwargs={"kernel_size": (3,), "stride": (2,), "padding": (1,)}, domain=domain),
        Sample(((2, 2, 4, 6),), kwargs={"kernel_size": (2, 2), "stride": (2, 2), "padding": (0, 0)}, domain=domain),
        Sample(((1, 3, 5, 5),), kwargs={"kernel_size": (3, 3), "stride": (1, 1), "padding": (0, 0)}, domain=domain),
        Sample(((2, 2, 5, 4),), kwargs={"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1)}, domain=domain),
    )


class MaxPool(Op):
    """Max over each window (PyTorch's ``max_pool1d/2d``, floor mode, padding with -inf).
    The gradient goes to each window's argmax, the first one at ties, as in PyTorch."""

    __slots__ = ("kernel_size", "stride", "padding")
    attrs = ("kernel_size", "stride", "padding")
    saves_inputs = False
    samples = _pool_samples()

    def forward(self, x):
        kernel, stride, padding = self.kernel_size, self.stride, self.padding
        _check_pool(f"max_pool{len(kernel)}d", x, kernel, stride, padding)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        win = _windows(x, kernel, stride, padding, fill)
        flat = win.reshape(win.shape[: 2 + len(kernel)] + (math.prod(kernel),))
        idx = flat.argmax(axis=-1)
        self.saved = (idx, x.shape)
        return np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]

    def backward(self, g, out, x):
        idx, shape = self.saved
        index = _argmax_index(idx, shape, self.kernel_size, self.stride, self.padding)
        overlapping = any(s < k for s, k in zip(self.stride, self.kernel_size))
        return _dual(MaxPoolScatter, g, index=index, input_shape=shape, overlapping=overlapping)


def _scatter_kwargs(shape, kernel, stride, padding):
    """Sample attributes for ``MaxPoolScatter``: the argmax index of random data of ``shape``."""

    def draw(rng: np.random.Generator) -> dict[str, Any]:
        op = MaxPool.__new__(MaxPool)
        op.kernel_size, op.stride, op.padding = kernel, stride, padding
        op.forward(rng.permutation(math.prod(shape)).reshape(shape).astype(float))
        idx = op.saved[0]
        overlapping = any(s < k for s, k in zip(stride, kernel))
        return {"index": _argmax_index(idx, shape, kernel, stride, padding), "input_shape": shape,
                "overlapping": overlapping}

    return draw


class MaxPoolScatter(Op):
    """``zeros(input_shape)`` with ``g`` added at the argmax positions ``index``: max pooling's
    backward.  Linear in ``g``; its gradient gathers at the same positions."""

    __slots__ = ("index", "input_shape", "overlapping")
    attrs = ("input_shape",)
    saves_inputs = False
    samples = (
        Sample(((2, 3, 4),), kwargs=_scatter_kwargs((2, 3, 7), (3,), (2,), (1,))),
        Sample(((2, 2, 2, 3),), kwargs=_scatter_kwargs((2, 2, 4, 6), (2, 2), (2, 2), (0, 0))),
        Sample(((2, 2, 3, 5),), kwargs=_scatter_kwargs((2, 2, 5, 4), (3, 2), (2, 1), (1, 1))),
    )

    def forward(self, g):
        gx = np.zeros(self.input_shape, dtype=g.dtype)
        if self.overlapping:
            np.add.at(gx, self.index, g)
        else:  # disjoint windows: every index is distinct
            gx[self.index] = g
        return gx

    def backward(self, gg, out, g):
        return gg[self.index]


class AvgPool(Op):
    """Mean over each window (PyTorch's ``avg_pool1d/2d`` with ``count_include_pad=True``)."""

    __slots__ = ("kernel_size", "stride", "padding")
    attrs = ("kernel_size", "stride", "padding")
    saves_inputs = False
    samples = _pool_samples()

    def forward(self, x):
        kernel = self.kernel_size
        _check_pool(f"avg_pool{len(kernel)}d", x, kernel, self.stride, self.padding)
        self.saved = x.shape
        d = len(kernel)
        return _windows(x, kernel, self.stride, self.padding).mean(axis=tuple(range(2 + d, 2 + 2 * d)))

    def backward(self, g, out, x):
        return _dual(AvgPoolScatter, g, input_shape=self.saved, kernel_size=self.kernel_size, stride=self.stride,
                     padding=self.padding)


class AvgPoolScatter(Op):
    """Average pooling's backward (each window receives ``g / prod(kernel)``); its own
    gradient is average pooling."""

    __slots__ = ("input_shape", "kernel_size", "stride", "padding")
    attrs = ("input_shape", "kernel_size", "stride", "padding")
    saves_inputs = False
    samples = (
        Sample(((2, 3, 4),), kwargs={"input_shape": (2, 3, 7), "kernel_size": (3,), "stride": (2,), "padding": (1,)}),
        Sample(((2, 2, 3, 5),), kwargs={"input_shape": (2, 2, 5, 4), "kernel_size": (3, 2), "stride": (2, 1),
                                        "padding": (1, 1)}),
    )

    def forward(self, g):
        d, kernel = len(self.kernel_size), tuple(self.kernel_size)
        share = (g / math.prod(kernel)).reshape(g.shape[:2] + (1,) * d + g.shape[2:])
        windows = np.broadcast_to(share, g.shape[:2] + kernel + g.shape[2:])
        return _col2im(windows, self.input_shape, kernel, self.stride, self.padding)

    def backward(self, gg, out, g):
        return _dual(AvgPool, gg, kernel_size=self.kernel_size, stride=self.stride, padding=self.padding)


# ----------------------------------------------------------------------------- functional forms
def _pool_nd(op: type[Op], name: str, d: int, x: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None,
             padding: IntOrTuple) -> Tensor:
    fn = f"{name}{d}d"
    kernel = _tuple(kernel_size, d, "kernel_size", fn)
    st = kernel if stride is None else _tuple(stride, d, "stride", fn)
    return op.apply(_as_input(x), kernel_size=kernel, stride=st, padding=_tuple(padding, d, "padding", fn))


def max_pool1d(input: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0) -> Tensor:
    """Max pooling over ``(N, C, L)``; ``stride`` defaults to ``kernel_size`` (PyTorch semantics)."""
    return _pool_nd(MaxPool, "max_pool", 1, input, kernel_size, stride, padding)


def max_pool2d(input: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0) -> Tensor:
    """Max pooling over ``(N, C, H, W)``; ``stride`` defaults to ``kernel_size``, floor mode,
    padding (at most half the kernel) counts as -inf; the gradient goes to the first maximum."""
    return _pool_nd(MaxPool, "max_pool", 2, input, kernel_size, stride, padding)


def avg_pool1d(input: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0) -> Tensor:
    """Average pooling over ``(N, C, L)``; zero padding is counted in the mean (PyTorch's default)."""
    return _pool_nd(AvgPool, "avg_pool", 1, input, kernel_size, stride, padding)


def avg_pool2d(input: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0) -> Tensor:
    """Average pooling over ``(N, C, H, W)``; zero padding is counted in the mean (PyTorch's default)."""
    return _pool_nd(AvgPool, "avg_pool", 2, input, kernel_size, stride, padding)
