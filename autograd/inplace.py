"""In-place Tensor methods and the clock that makes them safe.

One clock orders ops and in-place changes.  Every recorded op takes the next
tick as its sequence number (``op.stamp``: consumers always have larger stamps
than the ops that made their inputs, which is the engine's processing order);
every in-place change takes the next tick as the tensor's version, so a version
above an op's stamp means the tensor changed after the op saved it, and the
engine refuses that backward (as PyTorch's version counters do).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from .grad_mode import STATE

if TYPE_CHECKING:
    from .tensor import Tensor

TICK = itertools.count(1)
LAST_INPLACE = [0]  # the tick of the most recent in-place change anywhere


class InPlaceMethods:
    """Mixed into ``Tensor``: methods that change ``data`` in place and advance the version."""

    __slots__ = ()
    data: np.ndarray
    grad_fn: Any
    requires_grad: bool
    _version: int

    def _bump_version(self) -> None:
        """Mark ``data`` as changed in place (ops that saved it will refuse to backward)."""
        tick = next(TICK)
        self._version = tick
        LAST_INPLACE[0] = tick
        fn = self.grad_fn
        if fn is not None and fn.out is not None:  # the op that made this tensor kept its array for backward
            fn.out_version = tick

    def _check_inplace(self) -> None:
        if self.requires_grad and STATE.grad_enabled:
            kind = "a leaf tensor" if self.grad_fn is None else "a tensor"
            raise RuntimeError(
                f"{kind} that requires grad is being used in an in-place operation; "
                "wrap it in `with autograd.no_grad():` or work on .detach()"
            )

    def _inplace(self, values: Any) -> Tensor:
        self._check_inplace()
        values = values.data if isinstance(values, InPlaceMethods) else values
        np.copyto(self.data, values, casting="same_kind")
        self._bump_version()
        return self

    def copy_(self, src: Any) -> Tensor:
        src = src.data if isinstance(src, InPlaceMethods) else np.asarray(src)
        if np.broadcast_shapes(src.shape, self.shape) != self.shape:
            raise ValueError(f"copy_: cannot copy shape {src.shape} into shape {self.shape}")
        return self._inplace(src)

    def zero_(self) -> Tensor:
        return self._inplace(0)

    def fill_(self, value: float) -> Tensor:
        return self._inplace(value)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        other = other.data if isinstance(other, InPlaceMethods) else other
        return self._inplace(self.data + alpha * other if alpha != 1 else self.data + other)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        return self.add_(other, -alpha)

    def mul_(self, other: Any) -> Tensor:
        other = other.data if isinstance(other, InPlaceMethods) else other
        return self._inplace(self.data * other)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace()
        from .tensor import _index_arrays

        self.data[_index_arrays(index)] = value.data if isinstance(value, InPlaceMethods) else value
        self._bump_version()
