"""``Op``: one recorded operation, the node type of the graph, and the op registry.

Every differentiable operation is a subclass with ``forward`` and ``backward``
side by side.  ``forward`` receives NumPy arrays (or Python constants) and the
op's attributes as instance fields; ``backward(g, out, *inputs)`` returns the
gradient for each input as if all shapes were equal: the engine reduces
broadcast gradients to each input's shape in one place.

``backward`` is written with operators, ndarray-compatible methods and NumPy
ufuncs.  In an ordinary backward pass its arguments are arrays; with
``create_graph=True`` they are Tensors, NumPy dispatches the same calls to
Tensor ops, and the backward pass is itself recorded.  One formula serves both.

Subclasses register themselves by name in ``REGISTRY`` and declare ``samples``:
the input shapes (and attributes) the gradient-check suite runs them on.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .grad_mode import STATE
from .inplace import TICK
from .tensor import Tensor

REGISTRY: dict[str, type[Op]] = {}

_ndarray = np.ndarray
_new = object.__new__
# Shared ``needs`` tuples, so recording an op allocates no tuple for them.
_NEEDS_1 = {True: (True,), False: (False,)}
_NEEDS_2 = {(a, b): (a, b) for a in (True, False) for b in (True, False)}
# retain_grad() hooks, by node (weakly): the engine looks here only when it is non-empty.
RETAINED: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY_DIRS = tuple(os.path.join(_PACKAGE_ROOT, p) + os.sep for p in ("autograd", "nn", "optim"))


@dataclass(frozen=True)
class Sample:
    """One gradient-check case for an op.

    ``shapes``: shape of each differentiable (Tensor) input, in call order.
    ``kwargs``: the op's attributes, or a callable ``rng -> dict`` for attributes
    that must be drawn to match the shapes (indices, masks, class targets).
    ``domain``: where input values are drawn: ``"real"`` (|x| in [0.2, 2], distinct,
    so kinks such as relu/abs at 0 and max ties are avoided), ``"positive"``
    ((0.2, 2]: log, sqrt, a tensor exponent's base) or ``"unit"`` ((0.05, 0.95):
    probabilities).
    ``call``: how to invoke the op when it is not ``Op.apply(*tensors, **kwargs)``.
    """

    shapes: tuple[tuple[int, ...], ...]
    kwargs: dict[str, Any] | Callable[[np.random.Generator], dict[str, Any]] = field(default_factory=dict)
    domain: str = "real"
    call: Callable[..., Tensor] | None = None


def user_site() -> str:
    """The first stack frame outside the library: where the user created an op."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f'File "{frame.f_code.co_filename}", line {frame.f_lineno}, in {frame.f_code.co_name}'


class Op:
    """A node of the recorded graph: the op that produced a Tensor.

    Fields: ``inputs`` (the Tensors and constants the op was called with; None
    once the graph is freed), ``args`` (their arrays), ``needs`` (which inputs
    require grad), ``out`` (the output array, kept only when ``save_output``),
    ``saved`` (op-specific arrays for backward), ``stamp`` (the in-place clock
    at creation, to detect later modification of saved inputs), ``scope`` (the
    Module call stack, for graph drawing), ``site`` (creation place, set only
    under ``detect_anomaly``; read it with ``getattr(op, "site", None)``) and
    ``out_version`` (set when the output tensor is changed in place while the op
    keeps its array for backward).
    """

    __slots__ = ("inputs", "args", "needs", "out", "saved", "stamp", "site", "scope", "out_version", "__weakref__")

    samples: ClassVar[tuple[Sample, ...]] = ()
    save_output: ClassVar[bool] = False
    saves_inputs: ClassVar[bool] = True
    attrs: ClassVar[tuple[str, ...]] = ()
    abstract: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            name = cls.__name__
            old = REGISTRY.get(name)
            # Re-running the same definition (a notebook cell, a reload) replaces the op;
            # a different op with a taken name is an error.
            if old is not None and old is not cls and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
                raise TypeError(f"an op named {name!r} is already registered ({old.__module__}.{old.__qualname__})")
            REGISTRY[name] = cls

    def forward(self, *args: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Any, out: Any, *inputs: Any) -> Any:
        """Gradient per input (a single value for one input, else a tuple; None: no gradient)."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **attrs: Any) -> Tensor:
        """Run ``forward`` and, when grad mode is on and an input requires grad, record the op."""
        op = _new(cls)
        for k, v in attrs.items():
            setattr(op, k, v)
        return run_op(cls, op, inputs)

    @property
    def name(self) -> str:
        return type(self).__name__

    def attributes(self) -> dict[str, Any]:
        """The op's non-tensor attributes (axis, stride, ...), for display."""
        return {k: getattr(self, k) for k in self.attrs if hasattr(self, k)}

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


def run_op(cls: type[Op], op: Op, inputs: tuple[Any, ...]) -> Tensor:
    """Run ``op.forward`` on ``inputs`` and wrap the result, recording ``op`` when needed.

    The hot path of every op (Tensor operators call it directly): one and two
    inputs avoid building lists, and the output Tensor is assembled inline.
    """
    n = len(inputs)
    if n == 2:
        a, b = inputs
        if isinstance(a, Tensor):
            ad, ag = a.data, a.requires_grad
        else:
            ad, ag = a, False
        if isinstance(b, Tensor):
            bd, bg = b.data, b.requires_grad
        else:
            bd, bg = b, False
        args: tuple[Any, ...] = (ad, bd)
        record = ag or bg
        needs = _NEEDS_2[ag, bg]
    elif n == 1:
        x = inputs[0]
        if isinstance(x, Tensor):
            args = (x.data,)
            record = x.requires_grad
            needs = _NEEDS_1[record]
        else:
            args = inputs
            record = False
    else:
        # Three or more inputs (Linear with a bias, losses, concatenate): one plain loop.
        arg_list = []
        need_list = []
        record = False
        for x in inputs:
            if isinstance(x, Tensor):
                arg_list.append(x.data)
                need = x.requires_grad
                record = record or need
                need_list.append(need)
            else:
                arg_list.append(x)
                need_list.append(False)
        args = tuple(arg_list)
        needs = tuple(need_list)
    out = op.forward(*args)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    t = _new(Tensor)
    t.data = out
    t.grad = None
    t._version = 0
    if record and STATE.grad_enabled:
        op.inputs = inputs
        op.args = args
        op.needs = needs
        op.out = out if cls.save_output else None
        op.stamp = next(TICK)
        st = STATE
        op.scope = st.scope
        if st.anomaly:
            op.site = user_site()
        t.grad_fn = op
        t.requires_grad = True
    else:
        t.grad_fn = None
        t.requires_grad = False
    return t
