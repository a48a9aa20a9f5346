"""User-defined ops, as ``torch.autograd.Function``.

``forward(ctx, *args)`` receives Tensors and runs without recording;
``backward(ctx, *grad_outputs)`` receives and returns Tensors (None for an
input that needs no gradient).  With ``create_graph=True`` the backward runs
with recording on, so a backward written in Tensor ops is differentiable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .grad_mode import STATE
from .inplace import TICK
from .node import Op, user_site
from .tensor import Tensor


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: saved tensors and any attributes."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Any, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tensors


class FunctionBackward(Op):
    """The graph node of a user ``Function``; not a registered built-in op."""

    __slots__ = ("fn_cls",)
    abstract = True

    @property
    def name(self) -> str:
        return self.fn_cls.__name__

    def backward(self, g: Any, out: Any, *inputs: Any) -> Any:
        create = isinstance(g, Tensor)
        grad_out = g if create else Tensor._make(np.asarray(g), None)
        saved = STATE.grad_enabled
        STATE.grad_enabled = create
        try:
            res = self.fn_cls.backward(self.saved, grad_out)
        finally:
            STATE.grad_enabled = saved
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.inputs)
        if len(res) != n:
            raise RuntimeError(f"{self.name}.backward returned {len(res)} gradients but forward took {n} inputs")
        out_grads = []
        for i, r in enumerate(res):
            if r is None or not self.needs[i]:
                out_grads.append(None)
                continue
            if not isinstance(r, Tensor):
                r = Tensor._make(np.asarray(r), None)
            out_grads.append(r if create else r.data)
        return tuple(out_grads) if n > 1 else out_grads[0]


class Function:
    """Base class for user-defined differentiable ops; call them as ``MyFn.apply(...)``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        saved = STATE.grad_enabled
        STATE.grad_enabled = False
        try:
            out = cls.forward(ctx, *args)
        finally:
            STATE.grad_enabled = saved
        if not isinstance(out, Tensor):
            out = Tensor._make(np.asarray(out), None)
        if not (saved and any(ctx.needs_input_grad)):
            return Tensor._make(out.data, None)
        if out.data.dtype.kind != "f":
            raise RuntimeError(f"{cls.__name__}.forward returned dtype {out.dtype}, which cannot carry a gradient")
        node = FunctionBackward.__new__(FunctionBackward)
        node.fn_cls = cls
        node.inputs = args
        node.args = [a.data if isinstance(a, Tensor) else a for a in args]
        node.needs = ctx.needs_input_grad
        node.out = None
        node.saved = ctx  # released with the graph like any op's saved arrays
        node.stamp = next(TICK)
        node.scope = STATE.scope
        if STATE.anomaly:
            node.site = user_site()
        return Tensor._make(out.data, node)
