"""``Tensor``: a NumPy array that records the operations applied to it.

dtype rules
-----------
* Python data (scalars, nested lists) of floats becomes the default float dtype
  (float64 unless ``autograd.set_default_dtype`` changed it); integers become
  int64 and booleans bool.  An ndarray (or NumPy scalar) keeps its own dtype.
* Ops follow NumPy 2's promotion.  Python scalars are "weak": ``t32 * 2.0``
  stays float32, and no op upcasts float32 to float64 on its own, gradients
  included (each gradient is cast to its input's dtype).
* Integer and bool tensors exist (labels, masks) but cannot require grad:
  asking raises ``RuntimeError``.
* ``Tensor(x)`` copies ``x`` (as ``torch.tensor`` does); ``detach()`` shares.

Mutation
--------
``t.data`` is a plain ndarray.  The in-place methods (``add_``, ``mul_``,
``copy_``, ``zero_``, ``fill_``, ``t[i] = v``; see ``autograd.inplace``)
advance the tensor's version, and a backward through an op that saved the
tensor before the change raises, as in PyTorch.  Writing into ``t.data``
directly is not tracked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .dtypes import get_default_dtype
from .inplace import InPlaceMethods

_new = object.__new__


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert user data to a fresh ndarray following the dtype rules above."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    arr = np.array(data)
    kind = arr.dtype.kind
    if kind == "f":
        default = get_default_dtype()
        if arr.dtype != default:
            arr = arr.astype(default)
    elif kind == "O":
        raise TypeError(f"cannot build a Tensor from {type(data).__name__}: {data!r:.80}")
    return arr


class Tensor(InPlaceMethods):
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data, requires_grad=False, dtype=None)``; see the module docstring for
    dtype rules.  Attributes: ``data`` (the ndarray), ``grad`` (a Tensor or None),
    ``requires_grad``, ``grad_fn`` (the op that made it; None for leaves).
    """

    __slots__ = ("data", "grad", "grad_fn", "requires_grad", "_version", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _as_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._version = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: np.ndarray, grad_fn: Any) -> Tensor:
        """Wrap an array without copying (the engine's constructor)."""
        t = _new(Tensor)
        t.data = data
        t.grad = None
        t.grad_fn = grad_fn
        t.requires_grad = grad_fn is not None
        t._version = 0
        return t

    # ----------------------------------------------------------------- attributes
    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, prefix="Tensor(", separator=", ")
        extra = ""
        if self.data.dtype != get_default_dtype() and self.data.dtype.kind == "f":
            extra += f", dtype={self.data.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn={self.grad_fn!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # ------------------------------------------------------------ conversions
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.data.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        return bool(self.data)

    # ------------------------------------------------------------- autograd API
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is the upstream gradient (required unless ``self`` has one
        element).  The graph's saved arrays are freed afterwards unless
        ``retain_graph`` (default: ``create_graph``); ``create_graph`` records the
        backward pass so the gradients can be differentiated again.
        """
        run_backward((self,), (gradient,), retain_graph, create_graph)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph."""
        return Tensor._make(self.data, None)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(f"only floating point tensors can require gradients, got dtype {self.data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on a tensor that does not require grad")
            return
        import weakref

        from .node import RETAINED

        RETAINED[self.grad_fn] = weakref.ref(self)

    # ------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Tensor:
        return run_op(Add, _new(Add), (self, other))

    def __radd__(self, other: Any) -> Tensor:
        return run_op(Add, _new(Add), (other, self))

    def __sub__(self, other: Any) -> Tensor:
        return run_op(Sub, _new(Sub), (self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return run_op(Sub, _new(Sub), (other, self))

    def __mul__(self, other: Any) -> Tensor:
        return run_op(Mul, _new(Mul), (self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return run_op(Mul, _new(Mul), (other, self))

    def __truediv__(self, other: Any) -> Tensor:
        return run_op(Div, _new(Div), (self, other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return run_op(Div, _new(Div), (other, self))

    def __pow__(self, other: Any) -> Tensor:
        return run_op(Pow, _new(Pow), (self, other))

    def __rpow__(self, other: Any) -> Tensor:
        return run_op(Pow, _new(Pow), (other, self))

    def __matmul__(self, other: Any) -> Tensor:
        return run_op(MatMul, _new(MatMul), (self, other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return run_op(MatMul, _new(MatMul), (other, self))

    def __neg__(self) -> Tensor:
        return run_op(Neg, _new(Neg), (self,))

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return Abs.apply(self)

    # Comparisons give bool tensors that carry no gradient.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._make(self.data < _raw(other), None)

    def __le__(self, other: Any) -> Tensor:
        return Tensor._make(self.data <= _raw(other), None)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._make(self.data > _raw(other), None)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._make(self.data >= _raw(other), None)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._make(np.asarray(self.data == _raw(other)), None)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._make(np.asarray(self.data != _raw(other)), None)

    def __getitem__(self, index: Any) -> Tensor:
        return GetItem.apply(self, index=_index_arrays(index))

    # ------------------------------------------------------------- methods
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Sum.apply(self, axis=_norm_axis(axis, self.ndim), keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Mean.apply(self, axis=_norm_axis(axis, self.ndim), keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Max.apply(self, axis=_norm_axis(axis, self.ndim), keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Min.apply(self, axis=_norm_axis(axis, self.ndim), keepdims=keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return Var.apply(self, axis=_norm_axis(axis, self.ndim), keepdims=keepdims, ddof=ddof)

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return self.var(axis, keepdims, ddof).sqrt()

    def argmax(self, axis: int | None = None) -> Tensor:
        return Tensor._make(np.asarray(self.data.argmax(axis)), None)

    def argmin(self, axis: int | None = None) -> Tensor:
        return Tensor._make(np.asarray(self.data.argmin(axis)), None)

    def exp(self) -> Tensor:
        return run_op(Exp, _new(Exp), (self,))

    def log(self) -> Tensor:
        return run_op(Log, _new(Log), (self,))

    def sqrt(self) -> Tensor:
        return run_op(Sqrt, _new(Sqrt), (self,))

    def abs(self) -> Tensor:
        return Abs.apply(self)

    def tanh(self) -> Tensor:
        return run_op(Tanh, _new(Tanh), (self,))

    def sigmoid(self) -> Tensor:
        return run_op(Sigmoid, _new(Sigmoid), (self,))

    def relu(self) -> Tensor:
        return run_op(Relu, _new(Relu), (self,))

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return LeakyRelu.apply(self, slope=negative_slope)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        if lo is None and hi is None:
            raise ValueError("clip needs at least one of lo and hi")
        return Clip.apply(self, lo=lo, hi=hi)

    clamp = clip

    def softmax(self, axis: int = -1) -> Tensor:
        return Softmax.apply(self, axis=_norm_axis(axis, self.ndim))

    def log_softmax(self, axis: int = -1) -> Tensor:
        return LogSoftmax.apply(self, axis=_norm_axis(axis, self.ndim))

    def pow(self, exponent: Any) -> Tensor:
        return Pow.apply(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        return MatMul.apply(self, other)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return Reshape.apply(self, shape=shape)

    view = reshape

    def flatten(self, start_axis: int = 0) -> Tensor:
        start = start_axis % max(self.ndim, 1)
        return self.reshape(self.shape[:start] + (-1,))

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.ndim - 1, -1, -1))
        elif len(axes) != self.ndim:
            raise ValueError(f"transpose got axes {axes} for a tensor of {self.ndim} dimensions")
        return Transpose.apply(self, axes=tuple(a % self.ndim for a in axes))

    permute = transpose

    def swapaxes(self, a: int, b: int) -> Tensor:
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(*axes)

    def unsqueeze(self, axis: int) -> Tensor:
        return self.reshape(np.expand_dims(self.data, axis).shape)

    def squeeze(self, axis: Any = None) -> Tensor:
        return self.reshape(np.squeeze(self.data, axis).shape)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return BroadcastTo.apply(self, shape=tuple(shape))

    expand = broadcast_to

    def astype(self, dtype: Any) -> Tensor:
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind != "f":
            return Tensor._make(self.data.astype(dtype), None)
        return Cast.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _index_arrays(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _norm_axis(axis: Any, ndim: int) -> Any:
    """Normalise ``axis`` to None or a tuple of non-negative ints, checking its range."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if ndim == 0:  # a scalar: axis 0 or -1 means the whole (one-element) tensor, as in PyTorch
        if any(a not in (0, -1) for a in axes):
            raise np.exceptions.AxisError(f"axis {axes} is out of bounds for a tensor of 0 dimensions")
        return None
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise np.exceptions.AxisError(f"axis {a} is out of bounds for a tensor of {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(out)


# The op classes are bound at the end of the package import (ops import Tensor).
from .engine import run_backward  # noqa: E402
from .node import run_op  # noqa: E402
from .ops import (  # noqa: E402
    Abs,
    Add,
    BroadcastTo,
    Cast,
    Clip,
    Div,
    Exp,
    GetItem,
    LeakyRelu,
    Log,
    LogSoftmax,
    MatMul,
    Max,
    Mean,
    Min,
    Mul,
    Neg,
    Pow,
    Relu,
    Reshape,
    Sigmoid,
    Softmax,
    Sqrt,
    Sub,
    Sum,
    Tanh,
    Transpose,
    Var,
)
from .ops.dispatch import array_function, array_ufunc  # noqa: E402

# NumPy defers to Tensors through these (see autograd/ops/dispatch.py).
Tensor.__array_ufunc__ = array_ufunc  # type: ignore[assignment]
Tensor.__array_function__ = array_function  # type: ignore[assignment]
