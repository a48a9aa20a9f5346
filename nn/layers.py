"""Dense layers and containers: ``Linear``, ``Sequential``, ``ModuleList``, ``Identity``,
``Flatten``, ``Dropout``.  Inputs are batch-first."""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.node import run_op

from . import functional as F
from . import init
from .linear_ops import Linear as LinearOp
from .module import Module, Parameter

_new = object.__new__


def _positive_int(value: Any, name: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _float_dtype(dtype: Any, layer: str) -> np.dtype:
    dt = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{layer}: dtype must be a floating point dtype, got {dt}")
    return dt


def add_weight_and_bias(layer: Module, weight_shape: tuple[int, ...], bias: bool, dtype: np.dtype) -> None:
    """Register ``layer.weight`` and ``layer.bias`` (of the weight's first size, or None
    when ``bias`` is false), then draw them with ``layer.reset_parameters()``.

    Shared by ``Linear`` and the convolutions, whose parameters PyTorch lays out
    and initialises the same way.
    """
    layer.weight = Parameter(np.empty(weight_shape, dtype=dtype))
    if bias:
        layer.bias = Parameter(np.empty(weight_shape[0], dtype=dtype))
    else:
        layer.register_parameter("bias", None)
    layer.reset_parameters()


def default_init_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default layer initialisation (``Linear``/``_ConvNd.reset_parameters``):
    ``kaiming_uniform_(a=sqrt(5))``, i.e. U(±1/sqrt(fan_in)), for the weight and
    U(±1/sqrt(fan_in)) for the bias."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """``y = x @ weight.T + bias``: ``weight (out_features, in_features)``, ``bias (out_features,)``.

    Initialised as PyTorch does: ``kaiming_uniform_(weight, a=sqrt(5))``, i.e.
    U(±1/sqrt(in_features)), and the bias from U(±1/sqrt(in_features)).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        add_weight_and_bias(self, (self.out_features, self.in_features), bias, _float_dtype(dtype, "Linear"))

    def reset_parameters(self) -> None:
        """Re-draw the weights with PyTorch's default initialisation."""
        default_init_(self.weight, self.bias)

    def forward(self, input: Any) -> Tensor:
        x = F._tensor(input, "Linear")
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expected input with {self.in_features} "
                f"features (last axis), got shape {shape}"
            )
        # The module guarantees the weight's and bias's shapes, so it calls the op
        # directly rather than F.linear (which checks them again); parameters are
        # read from the registry, skipping Module.__getattr__'s slow path.
        params = self._parameters
        bias = params["bias"]
        if bias is None:
            return run_op(LinearOp, _new(LinearOp), (x, params["weight"]))
        return run_op(LinearOp, _new(LinearOp), (x, params["weight"], bias))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder; arguments are accepted and ignored, as PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Flatten(Module):
    """Merge axes ``start_axis..end_axis`` into one (by default all but the batch axis)."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis = start_axis
        self.end_axis = end_axis

    def forward(self, input: Tensor) -> Tensor:
        x = input if isinstance(input, Tensor) else Tensor(input)
        nd = max(x.ndim, 1)
        start, end = self.start_axis, self.end_axis
        if not (-nd <= start < nd and -nd <= end < nd):
            raise ValueError(f"Flatten: axes ({start}, {end}) out of range for an input of shape {x.shape}")
        start, end = start % nd, end % nd
        if start > end:
            raise ValueError(f"Flatten: start_axis {self.start_axis} comes after end_axis {self.end_axis} for shape {x.shape}")
        shape = x.shape
        merged = int(np.prod(shape[start : end + 1], dtype=np.int64))
        return x.reshape(shape[:start] + (merged,) + shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class Dropout(Module):
    """Inverted dropout while training (zero with probability ``p``, scale the rest by
    ``1/(1-p)``); the identity in eval mode.  Masks come from the generator ``nn.manual_seed`` seeds."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = F._check_probability(p)

    def forward(self, input: Any) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied in order; ``model[i]`` (negative too), ``model[a:b]`` (a Sequential of the
    same modules, keeping their names as PyTorch does), ``len``, iteration and ``append``.

    ``Sequential(m0, m1, ...)`` names the children ``"0"``, ``"1"``, ...;
    ``Sequential(OrderedDict(name=module, ...))`` uses the given names.
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, _module(m, name))
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), _module(m, str(i)))

    def _index(self, idx: Any) -> int:
        if isinstance(idx, bool) or not isinstance(idx, numbers.Integral):
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, not {type(idx).__name__}")
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a {type(self).__name__} of length {n}")
        return int(idx) % n

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[self._index(idx)]
        self._modules[key] = _module(module, key)

    def __delitem__(self, idx: int | slice) -> None:
        keys = list(self._modules)
        for key in keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]:
            del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end, named by the next free integer."""
        n = len(self._modules)
        while str(n) in self._modules:
            n += 1
        self.add_module(str(n), _module(module, str(n)))
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for m in modules:
            self.append(m)
        return self

    def forward(self, input: Any) -> Any:
        for m in self._modules.values():
            input = m(input)
        return input


class ModuleList(Sequential):
    """A list of modules that registers them (for models that call them in their own order)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__(*(modules or ()))

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return super().__getitem__(idx)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward: iterate over it and call its modules")


def _module(m: Any, name: str) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"element {name!r} is a {type(m).__name__}, not a Module")
    return m
