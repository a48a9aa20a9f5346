"""Convolution: registered ops, the array kernels they share with pooling
(``nn.pool_ops``), and the functional forms.

One implementation serves 1-D and 2-D (any number of spatial dims, in fact):
the number of spatial dims is the length of the ``stride`` tuple.  The forward
pass is im2col: pad, take every window with ``sliding_window_view``, copy the
windows into columns ``(N, C*prod(k), L)`` and do one batched matmul with the
flattened weight.  Backward: the weight gradient is one batched matmul against
the saved columns, the input gradient a matmul back to columns followed by a
col2im scatter that loops over kernel offsets only (never over positions).

Higher-order gradients: a convolution is linear in each argument, so its
adjoints are convolutions again.  ``ConvolutionInputGrad`` (the transposed
convolution) and ``ConvolutionWeightGrad`` are registered ops whose backward
passes are ``Convolution``/``ConvolutionInputGrad``/``ConvolutionWeightGrad``:
the family is closed, so gradients of any order are recorded.

Each backward calls the dual helpers ``_conv``, ``_input_grad`` ...: plain
NumPy for arrays, the recorded op when an argument is a Tensor (``create_graph``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd import Tensor
from autograd.node import Op, Sample

IntOrTuple = int | tuple[int, ...]
_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_ALL = slice(None)


# ----------------------------------------------------------------------------- validation
def _tuple(value: Any, d: int, what: str, fn: str) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``d`` ints) as a tuple of ``d`` ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * d
    try:
        t = tuple(value)
    except TypeError:
        t = ()
    if len(t) != d or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in t):
        raise ValueError(f"{fn}: {what} must be an int or a tuple of {d} ints, got {value!r}")
    return tuple(int(v) for v in t)


def _check_input(fn: str, x: np.ndarray, d: int, stride: tuple[int, ...], padding: tuple[int, ...]) -> None:
    if x.ndim != d + 2:
        raise ValueError(f"{fn} expects a {d + 2}-D input {_LAYOUT.get(d, '(N, C, ...)')}, got shape {x.shape}")
    if len(stride) != d or len(padding) != d:
        raise ValueError(f"{fn}: stride {stride} and padding {padding} must have {d} entries each")
    if any(s <= 0 for s in stride):
        raise ValueError(f"{fn}: stride must be positive, got {stride}")
    if any(p < 0 for p in padding):
        raise ValueError(f"{fn}: padding must be non-negative, got {padding}")


def _check_window(fn: str, spatial: tuple[int, ...], kernel: tuple[int, ...], padding: tuple[int, ...]) -> None:
    padded = tuple(n + 2 * p for n, p in zip(spatial, padding))
    if any(k > n for k, n in zip(kernel, padded)):
        raise ValueError(
            f"{fn}: kernel size {kernel} is larger than the padded input size {padded} "
            f"(input {spatial}, padding {padding})"
        )


def _check_conv(fn: str, x: np.ndarray, w: np.ndarray, b: Any, stride: tuple[int, ...], padding: tuple[int, ...]) -> None:
    d = len(stride)
    _check_input(fn, x, d, stride, padding)
    if w.ndim != d + 2:
        raise ValueError(f"{fn} expects a {d + 2}-D weight (C_out, C_in, {', '.join(['k'] * d)}), got shape {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"{fn}: the input has {x.shape[1]} channels but the weight expects {w.shape[1]} "
            f"(input shape {x.shape}, weight shape {w.shape})"
        )
    if b is not None and np.shape(b) != (w.shape[0],):
        raise ValueError(f"{fn}: bias must have shape ({w.shape[0]},) (one per output channel), got {np.shape(b)}")
    if any(k <= 0 for k in w.shape[2:]):
        raise ValueError(f"{fn}: kernel size must be positive, got {w.shape[2:]}")
    _check_window(fn, x.shape[2:], w.shape[2:], padding)


def _out_size(spatial: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...]):
    return tuple((n + 2 * p - k) // s + 1 for n, k, s, p in zip(spatial, kernel, stride, padding))


# ----------------------------------------------------------------------------- array kernels
def _pad(x: np.ndarray, padding: tuple[int, ...], value: float = 0.0) -> np.ndarray:
    if not any(padding):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding), constant_values=value)


def _windows(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...], value: float = 0.0):
    """A strided view ``(N, C, *out, *kernel)`` of every window of the padded input."""
    d = len(kernel)
    win = sliding_window_view(_pad(x, padding, value), kernel, axis=tuple(range(2, 2 + d)))
    return win[(_ALL, _ALL) + tuple(slice(None, None, s) for s in stride)]


def _im2col(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
            ones: bool = False) -> np.ndarray:
    """Columns ``(N, C*prod(kernel), prod(out))``: row (c, offset), column = output position.

    ``ones`` appends a row of ones, so that a bias stored as the weight matrix's
    last column is added by the matmul itself (and its gradient comes out of the
    weight-gradient matmul): no separate pass over the output for either.
    """
    d = len(kernel)
    win = _windows(x, kernel, stride, padding)
    win = win.transpose((0, 1) + tuple(range(2 + d, 2 + 2 * d)) + tuple(range(2, 2 + d)))  # (N, C, *k, *out)
    n, ck, positions = x.shape[0], x.shape[1] * math.prod(kernel), math.prod(win.shape[2 + d:])
    if not ones:
        return win.reshape(n, ck, positions)
    cols = np.empty((n, ck + 1, positions), dtype=x.dtype)
    np.copyto(cols[:, :ck].reshape(win.shape), win)  # splitting the axes of a slice gives a view
    cols[:, ck] = 1
    return cols


def _col2im(cols: np.ndarray, shape: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
            padding: tuple[int, ...]) -> np.ndarray:
    """Adjoint of ``_windows``: add windows ``(N, C, *kernel, *out)`` back into an input of ``shape``.

    One strided slice-add per kernel offset; positions are handled by the slices.
    """
    n, c, spatial = shape[0], shape[1], shape[2:]
    out = cols.shape[2 + len(kernel):]
    padded = np.zeros((n, c) + tuple(s + 2 * p for s, p in zip(spatial, padding)), dtype=cols.dtype)
    for offs in np.ndindex(*kernel):
        sl = tuple(slice(o, o + s * (m - 1) + 1, s) for o, s, m in zip(offs, stride, out))
        padded[(_ALL, _ALL) + sl] += cols[(_ALL, _ALL) + offs]
    if not any(padding):
        return padded
    return padded[(_ALL, _ALL) + tuple(slice(p, p + s) for p, s in zip(padding, spatial))]


def _flat(a: np.ndarray) -> np.ndarray:
    """``(N, C, *spatial) -> (N, C, prod(spatial))`` (explicit sizes: N or C may be 0)."""
    return a.reshape(a.shape[:2] + (math.prod(a.shape[2:]),))


def _input_grad_array(g, w, spatial, stride, padding):
    n = g.shape[0]
    cols = np.matmul(w.reshape(w.shape[0], math.prod(w.shape[1:])).T, _flat(g))  # (N, CK, L)
    cols = cols.reshape((n, w.shape[1]) + w.shape[2:] + g.shape[2:])
    return _col2im(cols, (n, w.shape[1]) + tuple(spatial), w.shape[2:], stride, padding)


def _weight_grad_cols(cols: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``sum_n g[n] @ cols[n].T``: ``(C_out, rows of cols)``, a batch of small BLAS calls."""
    return np.matmul(_flat(g), cols.transpose(0, 2, 1)).sum(axis=0)


# ----------------------------------------------------------------------------- dual helpers
def _dual(op: type[Op], *args: Any, **attrs: Any) -> Any:
    """Run ``op`` from a backward pass: a recorded Tensor when an argument is a Tensor
    (``create_graph=True``), a plain array otherwise."""
    out = op.apply(*args, **attrs)
    return out if any(isinstance(a, Tensor) for a in args) else out.data


def _conv(x, w, stride, padding):
    """Convolution without bias (cross-correlation)."""
    return _dual(Convolution, x, w, stride=stride, padding=padding)


def _input_grad(g, w, spatial, stride, padding):
    """Gradient of a convolution with respect to its input (a transposed convolution)."""
    return _dual(ConvolutionInputGrad, g, w, input_size=tuple(spatial), stride=stride, padding=padding)


def _weight_grad(x, g, kernel, stride, padding):
    """Gradient of a convolution with respect to its weight."""
    return _dual(ConvolutionWeightGrad, x, g, kernel_size=tuple(kernel), stride=stride, padding=padding)


# ----------------------------------------------------------------------------- convolution ops
class Convolution(Op):
    """N-D cross-correlation (PyTorch's ``conv1d``/``conv2d``): ``x (N, C_in, *S)``,
    ``w (C_out, C_in, *k)``, optional ``b (C_out,)``; ``stride``/``padding`` are tuples
    with one entry per spatial dim."""

    __slots__ = ("stride", "padding", "kernel_size")
    attrs = ("kernel_size", "stride", "padding")
    samples = (
        Sample(((2, 2, 7), (3, 2, 3), (3,)), kwargs={"stride": (1,), "padding": (0,)}),
        Sample(((2, 3, 6), (2, 3, 2)), kwargs={"stride": (2,), "padding": (1,)}),
        Sample(((2, 2, 5, 5), (3, 2, 3, 3), (3,)), kwargs={"stride": (1, 1), "padding": (0, 0)}),
        Sample(((2, 2, 5, 6), (2, 2, 3, 2), (2,)), kwargs={"stride": (2, 2), "padding": (1, 1)}),
        Sample(((1, 3, 5, 4), (2, 3, 2, 3)), kwargs={"stride": (2, 1), "padding": (1, 0)}),
    )

    def forward(self, x, w, b=None):
        _check_conv(f"conv{len(self.stride)}d", x, w, b, self.stride, self.padding)
        self.kernel_size = w.shape[2:]
        cols = _im2col(x, self.kernel_size, self.stride, self.padding, ones=b is not None)
        self.saved = cols
        w2 = w.reshape(w.shape[0], math.prod(w.shape[1:]))
        if b is not None:  # the bias as one more weight column, against the ones row of cols
            w2 = np.concatenate([w2, np.reshape(b, (w.shape[0], 1))], axis=1)
        y = np.matmul(w2, cols)  # (C_out, CK[+1]) @ (N, CK[+1], L) -> (N, C_out, L)
        return y.reshape(y.shape[:2] + _out_size(x.shape[2:], self.kernel_size, self.stride, self.padding))

    def backward(self, g, out, x, w, b=None):
        st, pd, needs = self.stride, self.padding, self.needs
        gx = gw = gb = None
        if needs[0]:
            gx = _input_grad(g, w, x.shape[2:], st, pd)
        if isinstance(g, Tensor):  # create_graph: recorded ops, differentiable again
            if needs[1]:
                gw = _weight_grad(x, g, self.kernel_size, st, pd)
            if b is not None and needs[2]:
                gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        elif needs[1] or (b is not None and needs[2]):
            # One batched matmul against the forward's columns; with a bias, their
            # ones row makes the last column of the result the bias gradient.
            gwb = _weight_grad_cols(self.saved, g)
            ck = math.prod(w.shape[1:])
            gw = gwb[:, :ck].reshape(w.shape) if needs[1] else None
            gb = gwb[:, ck] if b is not None and needs[2] else None
        return (gx, gw) if b is None else (gx, gw, gb)


class ConvolutionInputGrad(Op):
    """The transposed convolution ``g (N, C_out, *out), w -> (N, C_in, *input_size)``:
    ``Convolution``'s gradient with respect to its input.  Linear in both arguments,
    so its own gradients are a convolution (for ``g``) and a weight gradient (for ``w``)."""

    __slots__ = ("input_size", "stride", "padding")
    attrs = ("input_size", "stride", "padding")
    samples = (
        Sample(((2, 3, 5), (3, 2, 3)), kwargs={"input_size": (7,), "stride": (1,), "padding": (0,)}),
        Sample(((2, 2, 4), (2, 3, 2)), kwargs={"input_size": (6,), "stride": (2,), "padding": (1,)}),
        Sample(((2, 2, 3, 3), (2, 2, 3, 2)), kwargs={"input_size": (6, 5), "stride": (2, 2), "padding": (1, 1)}),
        Sample(((1, 2, 3, 2), (2, 3, 2, 3)), kwargs={"input_size": (5, 4), "stride": (2, 1), "padding": (1, 0)}),
    )

    def forward(self, g, w):
        return _input_grad_array(g, w, self.input_size, self.stride, self.padding)

    def backward(self, gg, out, g, w):
        st, pd = self.stride, self.padding
        dg = _conv(gg, w, st, pd) if self.needs[0] else None
        dw = _weight_grad(gg, g, w.shape[2:], st, pd) if self.needs[1] else None
        return dg, dw


class ConvolutionWeightGrad(Op):
    """``x (N, C_in, *S), g (N, C_out, *out) -> (C_out, C_in, *kernel_size)``:
    ``Convolution``'s gradient with respect to its weight; its gradients are a
    transposed convolution (for ``x``) and a convolution (for ``g``)."""

    __slots__ = ("kernel_size", "stride", "padding")
    attrs = ("kernel_size", "stride", "padding")
    samples = (
        Sample(((2, 2, 7), (2, 3, 5)), kwargs={"kernel_size": (3,), "stride": (1,), "padding": (0,)}),
        Sample(((2, 3, 6), (2, 2, 4)), kwargs={"kernel_size": (2,), "stride": (2,), "padding": (1,)}),
        Sample(((2, 2, 6, 5), (2, 2, 3, 3)), kwargs={"kernel_size": (3, 2), "stride": (2, 2), "padding": (1, 1)}),
        Sample(((1, 3, 5, 4), (1, 2, 3, 2)), kwargs={"kernel_size": (2, 3), "stride": (2, 1), "padding": (1, 0)}),
    )

    def forward(self, x, g):
        w_shape = (g.shape[1], x.shape[1]) + tuple(self.kernel_size)
        return _weight_grad_cols(_im2col(x, tuple(self.kernel_size), self.stride, self.padding), g).reshape(w_shape)

    def backward(self, gw, out, x, g):
        st, pd = self.stride, self.padding
        dx = _input_grad(g, gw, x.shape[2:], st, pd) if self.needs[0] else None
        dg = _conv(x, gw, st, pd) if self.needs[1] else None
        return dx, dg


# ----------------------------------------------------------------------------- functional forms
def _as_input(x: Any) -> Any:
    return x if isinstance(x, Tensor) else np.asarray(x)


def _conv_nd(d: int, x: Any, weight: Any, bias: Any, stride: IntOrTuple, padding: IntOrTuple) -> Tensor:
    fn = f"conv{d}d"
    st, pd = _tuple(stride, d, "stride", fn), _tuple(padding, d, "padding", fn)
    args = (_as_input(x), _as_input(weight)) + (() if bias is None else (_as_input(bias),))
    return Convolution.apply(*args, stride=st, padding=pd)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: IntOrTuple = 1, padding: IntOrTuple = 0) -> Tensor:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``: ``input (N, C_in, L)``,
    ``weight (C_out, C_in, K)``, ``bias (C_out,)`` or None -> ``(N, C_out, L_out)``."""
    return _conv_nd(1, input, weight, bias, stride, padding)


def conv2d(input: Any, weight: Any, bias: Any = None, stride: IntOrTuple = 1, padding: IntOrTuple = 0) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``: ``input (N, C_in, H, W)``,
    ``weight (C_out, C_in, KH, KW)``, ``bias (C_out,)`` or None; ``stride``/``padding`` an
    int or a pair -> ``(N, C_out, H_out, W_out)``."""
    return _conv_nd(2, input, weight, bias, stride, padding)
