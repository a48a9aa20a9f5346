"""Functional forms of the layers, activations and losses (``from nn import functional as F``).

Names and arguments follow ``torch.nn.functional`` (with NumPy's ``axis`` for
softmax; ``dim=`` is accepted too).  The functions validate their arguments
here, at the user's call, and then run one registered op each: errors name
the offending shapes, dtypes and values instead of surfacing from inside NumPy.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.ops import LeakyRelu, LogSoftmax, Softmax
from autograd.tensor import _norm_axis

from .conv_ops import conv1d, conv2d
from .init import default_generator
from .linear_ops import Dropout, Linear
from .loss_ops import (
    REDUCTIONS,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    MseLoss,
    NllLoss,
    class_axis,
)
from .pool_ops import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d

__all__ = [
    "linear", "dropout", "sigmoid", "relu", "leaky_relu", "tanh", "softmax", "log_softmax",
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "TargetIndexError",
]


class TargetIndexError(IndexError, ValueError):
    """A class target outside ``[0, C)``: an IndexError as in PyTorch, and a ValueError (bad input)."""


def _tensor(x: Any, fn: str, what: str = "input") -> Tensor:
    """``x`` as a Tensor (ndarrays and lists are wrapped), checked to be floating point."""
    if isinstance(x, Tensor):
        t = x
    elif isinstance(x, np.ndarray):
        t = Tensor._make(x, None)  # a constant: no copy needed
    else:
        t = Tensor(x)
    if t.dtype.kind != "f":
        raise TypeError(f"{fn}: {what} must be a floating point tensor, got dtype {t.dtype}")
    return t


# ------------------------------------------------------------------------------ layers
def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """``input @ weight.T + bias`` for ``input (..., in)``, ``weight (out, in)``, ``bias (out,)``."""
    x = _tensor(input, "linear")
    w_shape = weight.shape if isinstance(weight, (Tensor, np.ndarray)) else np.shape(weight)
    if len(w_shape) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {w_shape}")
    if x.ndim == 0 or x.shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features (last axis), "
            f"but weight of shape {w_shape} expects {w_shape[1]}"
        )
    if bias is None:
        return Linear.apply(x, weight)
    b_shape = bias.shape if isinstance(bias, (Tensor, np.ndarray)) else np.shape(bias)
    if b_shape != (w_shape[0],):
        raise ValueError(f"linear: bias must have shape ({w_shape[0]},) to match weight {w_shape}, got {b_shape}")
    return Linear.apply(x, weight, bias)


def _check_probability(p: Any, what: str = "dropout probability") -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{what} has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout(input: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` (inverted
    dropout), so the expected value is unchanged; the identity when not ``training``.

    The mask comes from ``nn.init.default_generator()`` (seeded by ``nn.manual_seed``).
    """
    p = _check_probability(p)
    x = _tensor(input, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        mask = np.zeros(x.shape, dtype=x.dtype)
    else:
        keep = default_generator().random(x.shape) >= p
        mask = keep.astype(x.dtype) * (1.0 / (1.0 - p))
    return Dropout.apply(x, mask=mask)


# ------------------------------------------------------------------------------ activations
def sigmoid(input: Any) -> Tensor:
    return _tensor(input, "sigmoid").sigmoid()


def relu(input: Any) -> Tensor:
    return _tensor(input, "relu").relu()


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    return LeakyRelu.apply(_tensor(input, "leaky_relu"), slope=negative_slope)


def tanh(input: Any) -> Tensor:
    return _tensor(input, "tanh").tanh()


def _axis(axis: int, dim: int | None) -> int:
    return axis if dim is None else dim


def softmax(input: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (``dim`` is PyTorch's spelling of it)."""
    x = _tensor(input, "softmax")
    return Softmax.apply(x, axis=_norm_axis(_axis(axis, dim), x.ndim))


def log_softmax(input: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``, finite for any finite input."""
    x = _tensor(input, "log_softmax")
    return LogSoftmax.apply(x, axis=_norm_axis(_axis(axis, dim), x.ndim))


# ------------------------------------------------------------------------------ losses
def _check_reduction(reduction: Any, fn: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _input_and_target(fn: str, input: Any, target: Any) -> tuple[Tensor, Any]:
    """The input, and the target in the input's dtype; their shapes must be equal."""
    x = _tensor(input, fn)
    t_dtype = np.asarray(target.data if isinstance(target, Tensor) else target).dtype
    if t_dtype.kind not in "biuf":
        raise TypeError(f"{fn}: target must hold numbers (0/1 labels or probabilities), got dtype {t_dtype}")
    if isinstance(target, Tensor):
        y = target if target.dtype == x.dtype else target.astype(x.dtype)
    else:
        y = np.asarray(target, dtype=x.dtype)
    if y.shape != x.shape:
        raise ValueError(
            f"{fn}: target shape {tuple(y.shape)} differs from input shape {x.shape}; "
            "they must be equal (reshape one of them: no broadcasting here, as it usually hides a bug)"
        )
    return x, y


def _constant(value: Any, x: Tensor, fn: str, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
    """A weight-like argument as an array in ``x``'s dtype, checked against ``shape`` (or to
    broadcast to ``x``'s shape)."""
    if value is None:
        return None
    arr = np.asarray(value.data if isinstance(value, Tensor) else value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(x.dtype, copy=False)
    if shape is not None:
        if arr.shape != shape:
            raise ValueError(f"{fn}: {name} must have shape {shape}, got {arr.shape}")
    else:
        try:
            ok = np.broadcast_shapes(arr.shape, x.shape) == x.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{fn}: {name} of shape {arr.shape} does not broadcast to the input shape {x.shape}")
    return arr


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean (or summed, or elementwise) squared error."""
    _check_reduction(reduction, "mse_loss")
    x, y = _input_and_target("mse_loss", input, target)
    return MseLoss.apply(x, y, reduction=reduction)


def _check_unit_interval(fn: str, what: str, a: np.ndarray, hint: str) -> None:
    """Refuse values outside [0, 1] (and NaN), naming the range seen."""
    if a.size and not ((a >= 0) & (a <= 1)).all():
        nan = np.isnan(a)
        seen = a[~nan]
        lo, hi = (seen.min(), seen.max()) if seen.size else (np.nan, np.nan)
        nan = " and NaN" if nan.any() else ""
        raise ValueError(f"{fn}: {what} must hold probabilities in [0, 1], got values in [{lo:.6g}, {hi:.6g}]{nan}{hint}")


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """BCE on probabilities in [0, 1] (logs clamped at -100, as PyTorch).  For logits use
    ``binary_cross_entropy_with_logits``, which is more stable.  Input and target outside
    [0, 1] are refused, as PyTorch does (the logits form, like PyTorch's, accepts any target)."""
    fn = "binary_cross_entropy"
    _check_reduction(reduction, fn)
    x, y = _input_and_target(fn, input, target)
    _check_unit_interval(fn, "target", y.data if isinstance(y, Tensor) else y, "")
    w = _constant(weight, x, fn, "weight")
    out = BinaryCrossEntropy.apply(x, y, weight=w, reduction=reduction)
    # An input outside [0, 1] (or NaN) makes a log NaN, so the loss is NaN exactly
    # when the input may be bad: checking the result is one test on a scalar
    # instead of a pass over the input on every call.
    o = out.data
    if (math.isnan(o) if o.ndim == 0 else np.isnan(o).any()):
        _check_unit_interval(fn, "input", x.data, "; apply sigmoid first, or use binary_cross_entropy_with_logits on logits")
    return out


def binary_cross_entropy_with_logits(
    input: Any, target: Any, weight: Any = None, reduction: str = "mean", pos_weight: Any = None
) -> Tensor:
    """BCE on logits, as ``sigmoid`` + BCE but in the stable form
    ``max(x, 0) - x*y + log1p(exp(-|x|))``; ``pos_weight`` scales the positive term."""
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, fn)
    x, y = _input_and_target(fn, input, target)
    w = _constant(weight, x, fn, "weight")
    pw = _constant(pos_weight, x, fn, "pos_weight")
    return BinaryCrossEntropyWithLogits.apply(x, y, weight=w, pos_weight=pw, reduction=reduction)


def _class_targets(fn: str, x: Tensor, target: Any, ignore_index: int) -> np.ndarray:
    """Integer class targets of the input's shape without the class axis, each in [0, C)
    or equal to ``ignore_index``."""
    if x.ndim == 0:
        raise ValueError(f"{fn}: input must have a class axis: shape (C,), (N, C) or (N, C, d...), got a scalar")
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        hint = " (class-probability targets are not supported: pass class indices)" if t.dtype.kind == "f" else ""
        raise TypeError(f"{fn}: target must hold integer class indices, got dtype {t.dtype}{hint}")
    axis = class_axis(x.ndim)
    n_cls = x.shape[axis]
    expected = x.shape[:axis] + x.shape[axis + 1 :]
    if t.shape != expected:
        raise ValueError(
            f"{fn}: target shape {t.shape} does not fit input shape {x.shape}: expected {expected} "
            f"(the input's shape without its class axis {axis})"
        )
    bad = (t != ignore_index) & ((t < 0) | (t >= n_cls))
    if bad.any():
        values = np.unique(t[bad])
        raise TargetIndexError(
            f"{fn}: target {values[0]} is out of bounds for {n_cls} classes: targets must lie in [0, {n_cls}) "
            f"or equal ignore_index={ignore_index} (out-of-range values: {values[:8].tolist()})"
        )
    return t


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy between logits ``(N, C)`` (or ``(C,)``, ``(N, C, d...)``) and
    integer class targets, fused into one stable op (as ``log_softmax`` + ``nll_loss``)."""
    fn = "cross_entropy"
    _check_reduction(reduction, fn)
    x = _tensor(input, fn)
    t = _class_targets(fn, x, target, ignore_index)
    w = _constant(weight, x, fn, "weight", (x.shape[class_axis(x.ndim)],))
    ls = _check_probability(label_smoothing, f"{fn}: label_smoothing")
    return CrossEntropy.apply(x, target=t, weight=w, ignore_index=ignore_index, label_smoothing=ls, reduction=reduction)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (e.g. ``log_softmax`` output) and class targets."""
    fn = "nll_loss"
    _check_reduction(reduction, fn)
    x = _tensor(input, fn)
    t = _class_targets(fn, x, target, ignore_index)
    w = _constant(weight, x, fn, "weight", (x.shape[class_axis(x.ndim)],))
    return NllLoss.apply(x, target=t, weight=w, ignore_index=ignore_index, reduction=reduction)
