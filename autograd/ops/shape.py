"""Ops that move elements without arithmetic: reshape, transpose, broadcast,
indexing (and its adjoint, scatter-add), concatenate, stack."""

from __future__ import annotations

import numpy as np

from ..node import Op, Sample
from ..tensor import Tensor


class Reshape(Op):
    __slots__ = ("shape",)
    attrs = ("shape",)
    saves_inputs = False
    samples = (
        Sample(((3, 4),), kwargs={"shape": (4, 3)}),
        Sample(((2, 3, 4),), kwargs={"shape": (6, -1)}),
        Sample(((),), kwargs={"shape": (1, 1)}),
    )

    def forward(self, x):
        self.saved = x.shape
        return x.reshape(self.shape)

    def backward(self, g, out, x):
        return g.reshape(self.saved)


class Transpose(Op):
    __slots__ = ("axes",)
    attrs = ("axes",)
    saves_inputs = False
    samples = (
        Sample(((3, 4),), kwargs={"axes": (1, 0)}),
        Sample(((2, 3, 4),), kwargs={"axes": (2, 0, 1)}),
    )

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, g, out, x):
        return g.transpose(tuple(np.argsort(self.axes)))


class BroadcastTo(Op):
    """A broadcast view; its gradient is summed back by the engine's reduction."""

    __slots__ = ("shape",)
    attrs = ("shape",)
    saves_inputs = False
    samples = (
        Sample(((3, 1),), kwargs={"shape": (2, 3, 4)}),
        Sample(((4,),), kwargs={"shape": (3, 4)}),
    )

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def backward(self, g, out, x):
        return g


def _is_basic(index) -> bool:
    """Basic indexing (ints, slices, None, Ellipsis) never selects an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def scatter_add(g, index, shape, dtype):
    """Adjoint of ``x[index]``: a zero array of ``shape`` with ``g`` added at ``index``."""
    if isinstance(g, Tensor):
        return ScatterAdd.apply(g, index=index, shape=shape)
    z = np.zeros(shape, dtype=dtype)
    if _is_basic(index) or (isinstance(index, np.ndarray) and index.dtype == bool):
        z[index] = g
    else:
        np.add.at(z, index, g)
    return z


class GetItem(Op):
    """``x[index]``, basic or integer-array; repeated indices accumulate in backward."""

    __slots__ = ("index",)
    attrs = ("index",)
    saves_inputs = False
    samples = (
        Sample(((5, 4),), kwargs={"index": (slice(1, 4),)}),
        Sample(((5, 4),), kwargs={"index": (np.array([0, 2, 2, 4]),)}),
        Sample(((3, 4),), kwargs={"index": (slice(None), 1)}),
        Sample(((3, 4),), kwargs={"index": (Ellipsis, None, slice(None, None, 2))}),
        Sample(((3, 4),), kwargs={"index": (np.array([0, 2, 0]), np.array([1, 1, 3]))}),
        Sample(((3, 4),), kwargs=lambda rng: {"index": rng.random((3, 4)) > 0.5}),
    )

    def forward(self, x):
        self.saved = (x.shape, x.dtype)
        return x[self.index]

    def backward(self, g, out, x):
        shape, dtype = self.saved
        return scatter_add(g, self.index, shape, dtype)


class ScatterAdd(Op):
    """``zeros(shape)`` with ``g`` added at ``index``; the backward of indexing, and
    itself differentiable (its gradient is indexing) for higher-order gradients."""

    __slots__ = ("index", "shape")
    attrs = ("shape",)
    saves_inputs = False
    samples = (
        Sample(((4,),), kwargs={"index": (np.array([0, 2, 2, 4]),), "shape": (5,)}),
        Sample(((3,),), kwargs={"index": (slice(None), 1), "shape": (3, 4)}),
    )

    def forward(self, g):
        return scatter_add(g, self.index, self.shape, g.dtype)

    def backward(self, g, out, x):
        return g[self.index]


class Concatenate(Op):
    __slots__ = ("axis",)
    attrs = ("axis",)
    saves_inputs = False
    samples = (
        Sample(((2, 3), (4, 3)), kwargs={"axis": 0}),
        Sample(((2, 3), (2, 1), (2, 2)), kwargs={"axis": 1}),
        Sample(((2, 3),), kwargs={"axis": 1}),
    )

    def forward(self, *xs):
        self.saved = np.cumsum([x.shape[self.axis] for x in xs])
        return np.concatenate(xs, axis=self.axis)

    def backward(self, g, out, *xs):
        lead = (slice(None),) * self.axis
        bounds = self.saved
        starts = (0, *bounds[:-1])
        res = tuple(g[lead + (slice(int(s), int(e)),)] if need else None for s, e, need in zip(starts, bounds, self.needs))
        return res[0] if len(res) == 1 else res


class Stack(Op):
    __slots__ = ("axis",)
    attrs = ("axis",)
    saves_inputs = False
    samples = (
        Sample(((2, 3), (2, 3)), kwargs={"axis": 0}),
        Sample(((2, 3), (2, 3), (2, 3)), kwargs={"axis": 2}),
        Sample(((2, 3),), kwargs={"axis": 1}),
    )

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, g, out, *xs):
        lead = (slice(None),) * self.axis
        res = tuple(g[lead + (i,)] if need else None for i, need in enumerate(self.needs))
        return res[0] if len(res) == 1 else res
