"""How NumPy calls on Tensors map to ops (``Tensor.__array_ufunc__`` and
``__array_function__``).

This is what makes ``ndarray * tensor`` a Tensor, and what lets backward
formulas written with NumPy calls be recorded when ``create_graph=True``.
Ufuncs that have no derivative (sign, comparisons) return constant Tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor, _norm_axis, _raw
from .binary import Add, Div, Maximum, Minimum, Mul, Pow, Sub, Where
from .elementwise import Abs, Clip, Exp, Log, Neg, Sqrt, Tanh
from .linalg import MatMul
from .shape import BroadcastTo, Concatenate, Stack


def _constant(ufunc: np.ufunc) -> Callable[..., Tensor]:
    return lambda *xs: Tensor._make(np.asarray(ufunc(*[_raw(x) for x in xs])), None)


UFUNCS: dict[np.ufunc, Callable[..., Any]] = {
    np.add: Add.apply,
    np.subtract: Sub.apply,
    np.multiply: Mul.apply,
    np.true_divide: Div.apply,
    np.power: Pow.apply,
    np.negative: Neg.apply,
    np.positive: lambda x: x,
    np.exp: Exp.apply,
    np.log: Log.apply,
    np.sqrt: Sqrt.apply,
    np.tanh: Tanh.apply,
    np.absolute: Abs.apply,
    np.maximum: Maximum.apply,
    np.minimum: Minimum.apply,
    np.matmul: MatMul.apply,
    np.square: lambda x: Mul.apply(x, x),
    np.reciprocal: lambda x: Div.apply(1.0, x),
}
for _uf in (
    np.sign, np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.isfinite, np.isnan, np.isinf, np.logical_and, np.logical_or, np.logical_not,
    np.floor, np.ceil, np.rint, np.trunc,
):
    UFUNCS[_uf] = _constant(_uf)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), None)


def _where(cond: Any, a: Any, b: Any) -> Tensor:
    return Where.apply(a, b, cond=np.asarray(_raw(cond), dtype=bool))


def _broadcast_to(x: Any, shape: Any, subok: bool = False) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if tuple(np.shape(_raw(x))) == shape:
        return x
    return BroadcastTo.apply(x, shape=shape)


def _sum(x: Any, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(x).sum(axis=axis, keepdims=keepdims)


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.where: _where,
    np.broadcast_to: _broadcast_to,
    np.sum: _sum,
    np.mean: lambda x, axis=None, keepdims=False, **kw: _as_tensor(x).mean(axis=axis, keepdims=keepdims),
    np.reshape: lambda x, shape, **kw: _as_tensor(x).reshape(shape),
    np.transpose: lambda x, axes=None: _as_tensor(x).transpose(*(axes or ())),
    np.swapaxes: lambda x, a, b: _as_tensor(x).swapaxes(a, b),
    np.concatenate: lambda xs, axis=0, **kw: Concatenate.apply(*xs, axis=_norm_axis(axis, np.ndim(_raw(xs[0])))[0]),
    np.stack: lambda xs, axis=0, **kw: Stack.apply(*xs, axis=_norm_axis(axis, np.ndim(_raw(xs[0])) + 1)[0]),
    np.clip: lambda x, lo=None, hi=None, **kw: Clip.apply(x, lo=lo, hi=hi),
    np.zeros_like: lambda x, *a, **kw: Tensor._make(np.zeros_like(_raw(x), *a, **kw), None),
    np.ones_like: lambda x, *a, **kw: Tensor._make(np.ones_like(_raw(x), *a, **kw), None),
    np.shape: lambda x: np.shape(_raw(x)),
    np.ndim: lambda x: np.ndim(_raw(x)),
}


def _unwrap(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _requires_grad_anywhere(xs: Any) -> bool:
    for x in xs:
        if isinstance(x, Tensor) and x.requires_grad:
            return True
        if isinstance(x, (list, tuple)) and _requires_grad_anywhere(x):
            return True
    return False


def array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """Let NumPy defer to Tensors: ``ndarray * t`` and ``np.exp(t)`` give recorded Tensors."""
    if method == "__call__" and not kwargs:
        op = UFUNCS.get(ufunc)
        if op is not None:
            return op(*inputs)
    if any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise TypeError(f"np.{ufunc.__name__} ({method}) is not differentiable here; use Tensor ops instead")
    raw = [_raw(x) for x in inputs]
    return Tensor._make(np.asarray(getattr(ufunc, method)(*raw, **kwargs)), None)

def array_function(self: Tensor, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    impl = FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    if _requires_grad_anywhere(args) or _requires_grad_anywhere(kwargs.values()):
        raise TypeError(f"np.{func.__name__} is not differentiable here; use Tensor ops instead")
    return func(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
