"""Convolution and pooling layers: ``Conv1d``, ``Conv2d``, ``MaxPool1d``, ``MaxPool2d``,
``AvgPool1d``, ``AvgPool2d``, with PyTorch's arguments, default initialisation and repr.

The layers hold the parameters and options; the arithmetic is in ``nn.conv_ops``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from autograd import Tensor

from .conv_ops import IntOrTuple, _conv_nd, _tuple
from .layers import _float_dtype, _positive_int, add_weight_and_bias, default_init_
from .module import Module
from .pool_ops import AvgPool, MaxPool, _pool_nd

__all__ = ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"]


class _ConvNd(Module):
    """Shared by ``Conv1d`` and ``Conv2d``: weight ``(out_channels, in_channels, *kernel_size)``,
    bias ``(out_channels,)``; initialised as PyTorch does (``kaiming_uniform_(a=sqrt(5))``,
    i.e. U(±1/sqrt(fan_in)), for the weight, U(±1/sqrt(fan_in)) for the bias)."""

    dims: ClassVar[int]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                 padding: IntOrTuple = 0, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        name, d = type(self).__name__, self.dims
        self.in_channels = _positive_int(in_channels, "in_channels", name)
        self.out_channels = _positive_int(out_channels, "out_channels", name)
        self.kernel_size = _tuple(kernel_size, d, "kernel_size", name)
        self.stride = _tuple(stride, d, "stride", name)
        self.padding = _tuple(padding, d, "padding", name)
        if any(k <= 0 for k in self.kernel_size):
            raise ValueError(f"{name}: kernel_size must be positive, got {self.kernel_size}")
        if any(s <= 0 for s in self.stride):
            raise ValueError(f"{name}: stride must be positive, got {self.stride}")
        if any(p < 0 for p in self.padding):
            raise ValueError(f"{name}: padding must be non-negative, got {self.padding}")
        weight_shape = (self.out_channels, self.in_channels) + self.kernel_size
        add_weight_and_bias(self, weight_shape, bias, _float_dtype(dtype, name))

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation (``_ConvNd.reset_parameters``)."""
        default_init_(self.weight, self.bias)

    def forward(self, input: Any) -> Tensor:
        return _conv_nd(self.dims, input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if any(self.padding):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, C_in, L)`` (``torch.nn.Conv1d``)."""

    dims = 1


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C_in, H, W)`` (``torch.nn.Conv2d``); ``kernel_size``,
    ``stride`` and ``padding`` are an int or a pair."""

    dims = 2


class _PoolNd(Module):
    """Options of a pooling layer, kept as given (PyTorch prints them that way)."""

    dims: ClassVar[int]
    op: ClassVar[type]
    kind: ClassVar[str]

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0) -> None:
        super().__init__()
        name, d = type(self).__name__, self.dims
        kernel, pad = _tuple(kernel_size, d, "kernel_size", name), _tuple(padding, d, "padding", name)
        st = kernel if stride is None else _tuple(stride, d, "stride", name)
        if any(k <= 0 for k in kernel):
            raise ValueError(f"{name}: kernel_size must be positive, got {kernel_size!r}")
        if any(s <= 0 for s in st):
            raise ValueError(f"{name}: stride must be positive, got {stride!r}")
        if any(p < 0 or 2 * p > k for p, k in zip(pad, kernel)):
            raise ValueError(f"{name}: padding must be between 0 and half of kernel_size, got {padding!r}")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, input: Any) -> Tensor:
        return _pool_nd(self.op, self.kind, self.dims, input, self.kernel_size, self.stride, self.padding)


class _MaxPoolNd(_PoolNd):
    op = MaxPool
    kind = "max_pool"

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                "dilation=1, ceil_mode=False")


class MaxPool1d(_MaxPoolNd):
    """Max pooling over ``(N, C, L)``; ``stride`` defaults to ``kernel_size``."""

    dims = 1


class MaxPool2d(_MaxPoolNd):
    """Max pooling over ``(N, C, H, W)`` (``torch.nn.MaxPool2d``): ``stride`` defaults to
    ``kernel_size``, floor mode; the gradient goes to each window's (first) maximum."""

    dims = 2


class _AvgPoolNd(_PoolNd):
    op = AvgPool
    kind = "avg_pool"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Average pooling over ``(N, C, L)``; zero padding counts in the mean."""

    dims = 1

    def extra_repr(self) -> str:  # PyTorch shows AvgPool1d's options as 1-tuples
        one = [_tuple(v, 1, k, "AvgPool1d") for k, v in
               (("kernel_size", self.kernel_size), ("stride", self.stride), ("padding", self.padding))]
        return f"kernel_size={one[0]}, stride={one[1]}, padding={one[2]}"


class AvgPool2d(_AvgPoolNd):
    """Average pooling over ``(N, C, H, W)``; zero padding counts in the mean."""

    dims = 2
