"""Free functions of the autograd API (NumPy-style names and arguments)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .ops import Concatenate, MatMul, Maximum, Minimum, Stack, Where
from .tensor import Tensor, _norm_axis, _raw


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``np.concatenate``)."""
    if len(tensors) == 0:
        raise ValueError("concatenate needs at least one tensor")
    ndim = np.ndim(_raw(tensors[0]))
    return Concatenate.apply(*tensors, axis=_norm_axis(axis, ndim)[0])


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis (``np.stack``)."""
    if len(tensors) == 0:
        raise ValueError("stack needs at least one tensor")
    shapes = {np.shape(_raw(t)) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got shapes {sorted(shapes)}")
    ndim = np.ndim(_raw(tensors[0])) + 1
    return Stack.apply(*tensors, axis=_norm_axis(axis, ndim)[0])


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elements of ``a`` where ``cond`` holds, else of ``b``; gradients flow to both."""
    return Where.apply(a, b, cond=np.asarray(_raw(cond), dtype=bool))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (ties split the gradient evenly)."""
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (ties split the gradient evenly)."""
    return Minimum.apply(a, b)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules for 1-D and batched operands."""
    return MatMul.apply(a, b)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """``Tensor(data, ...)``, spelled as in PyTorch."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    from .dtypes import get_default_dtype

    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return Tensor(np.zeros(shape, dtype or get_default_dtype()), requires_grad=requires_grad)


def ones(*shape: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    from .dtypes import get_default_dtype

    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return Tensor(np.ones(shape, dtype or get_default_dtype()), requires_grad=requires_grad)
