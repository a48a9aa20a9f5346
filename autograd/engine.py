"""The reverse-mode engine: ``run_backward`` (behind ``Tensor.backward``) and ``grad``.

Traversal is iterative (no recursion limit on deep graphs) and needs no
separate pass to count dependencies: every op carries a creation stamp, and a
consumer is always created after the ops that made its inputs, so taking the
reached nodes in decreasing stamp order (a heap) runs each node's backward only
after all of its consumers have delivered their gradient.  The work is one
heap push and pop per reached node: linear in the graph's size for chains and
O(n log w) for a graph whose frontier is w nodes wide.  Broadcast gradients are summed down to
each input's shape here, in one place, for every op.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from .grad_mode import STATE
from .inplace import LAST_INPLACE
from .node import RETAINED
from .tensor import Tensor

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved "
    "arrays after they have already been freed): {} was already run and its saved "
    "arrays released. Specify retain_graph=True the first time you call backward() "
    "or autograd.grad() if you need to backward through the graph again."
)


def _reduce_to(g: Any, shape: tuple[int, ...], op: Any) -> Any:
    """Sum a broadcast gradient down to ``shape`` (the input's shape)."""
    gshape = g.shape
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, gshape[lead:])):
        raise RuntimeError(f"{op.name} returned a gradient of shape {gshape} for an input of shape {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead or g.shape != shape:
        g = g.reshape(shape)
    return g


def _root_grads(roots: Sequence[Tensor], grads: Sequence[Any], create: bool) -> list[Any]:
    out = []
    for i, (t, g) in enumerate(zip(roots, grads)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: output {i} is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but this tensor has shape "
                    f"{t.shape}; pass gradient= (an array of that shape) to backward()"
                )
            g = np.array(1, t.data.dtype) if t.data.ndim == 0 else np.ones(t.data.shape, t.data.dtype)
        elif create and isinstance(g, Tensor):
            if g.shape != t.shape:
                raise RuntimeError(f"gradient has shape {g.shape} but the tensor has shape {t.shape}")
            out.append(g)
            continue
        else:
            g = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=t.data.dtype)
            if g.shape != t.shape:
                raise RuntimeError(f"gradient has shape {g.shape} but the tensor has shape {t.shape}")
        out.append(Tensor._make(g, None) if create else g)
    return out


def _check_versions(fn: Any) -> None:
    """Refuse a backward that would read an input or the kept output after an in-place change."""
    changed = None
    if fn.saves_inputs:
        for i, x in enumerate(fn.inputs):
            if isinstance(x, Tensor) and x._version > fn.stamp:
                changed = f"input {i} of {fn.name} (shape {x.shape})"
                break
    if changed is None and fn.out is not None and getattr(fn, "out_version", 0) > fn.stamp:
        changed = f"the output of {fn.name} (shape {fn.out.shape}), which its backward reuses,"
    if changed is not None:
        raise RuntimeError(
            f"one of the tensors needed for gradient computation has been modified by an in-place "
            f"operation: {changed} changed after the op used it. "
            "Recompute the forward pass after modifying it, or modify a copy."
        )


def _check_finite(fn: Any, grads: Sequence[Any]) -> None:
    for i, gx in enumerate(grads):
        if gx is None:
            continue
        arr = gx.data if isinstance(gx, Tensor) else np.asarray(gx)
        if not np.all(np.isfinite(arr)):
            kind = "nan" if np.isnan(arr).any() else "inf"
            where = getattr(fn, "site", None) or "an unknown place (run the forward pass inside detect_anomaly() to record it)"
            raise RuntimeError(
                f"Function '{fn.name}Backward' returned {kind} values in its {i}th output.\n"
                f"The {fn.name} op was created at:\n  {where}"
            )


def run_backward(
    roots: Sequence[Tensor],
    grads: Sequence[Any],
    retain_graph: bool | None = None,
    create_graph: bool = False,
    targets: Sequence[Tensor] | None = None,
) -> list[Any] | None:
    """Propagate ``grads`` from ``roots`` to the leaves.

    Without ``targets``, accumulate into the leaves' ``.grad``; with them (the
    ``grad()`` function), return the gradient of each target instead and leave
    every ``.grad`` untouched.
    """
    retain = create_graph if retain_graph is None else retain_graph
    create = create_graph
    gs = _root_grads(roots, grads, create)

    # Targets for grad(): leaves by identity, non-leaves by their node.
    captured: dict[int, Any] = {}
    target_nodes: dict[Any, int] = {}
    target_leaves: set[int] = set()
    if targets is not None:
        for t in targets:
            if t.grad_fn is not None:
                target_nodes[t.grad_fn] = id(t)
            else:
                target_leaves.add(id(t))

    # Arrays already stored in some .grad, and the user's own gradient arrays:
    # a leaf receiving one of these gets a copy, so no .grad aliases another
    # array (the user's array is never copied when it only flows through ops).
    claimed: set[int] = {id(g) for g in gs}

    def deliver_leaf(x: Tensor, gx: Any) -> None:
        if targets is not None:
            key = id(x)
            if key in captured:
                captured[key] = captured[key] + gx
            elif key in target_leaves:
                captured[key] = gx
            return
        old = x.grad
        if create:
            x.grad = gx if old is None else old + gx
            return
        if old is None:
            # Store the array itself unless it is a view (broadcast, reshape) or
            # already stored on another leaf: each .grad must own its memory.
            if type(gx) is not np.ndarray:
                gx = np.array(gx)
            elif gx.base is not None or id(gx) in claimed:
                gx = gx.copy()
            claimed.add(id(gx))
            x.grad = Tensor._make(gx, None)
        else:
            x.grad = Tensor._make(old.data + gx, None)

    # Seed the roots.  ``pending`` holds the gradient summed so far for each node
    # reached; ``heap`` orders reached nodes by decreasing stamp (creation order).
    # Every consumer of a node was created after it, so when a node is popped all
    # the gradient it will ever receive from this backward has arrived.
    pending: dict[Any, Any] = {}
    heap: list[tuple[int, Any]] = []
    for r, g in zip(roots, gs):
        fn = r.grad_fn
        if fn is None:
            deliver_leaf(r, g)
        elif fn in pending:
            pending[fn] = pending[fn] + g
        else:
            pending[fn] = g
            heappush(heap, (-fn.stamp, fn))

    anomaly = STATE.anomaly
    retained = RETAINED if RETAINED.data else None  # .data: len() of a WeakKeyDictionary is slow
    last_inplace = LAST_INPLACE[0]
    special = anomaly or create or retained is not None or bool(target_nodes)
    plain_leaves = targets is None and not create
    ndarray = np.ndarray
    saved_mode = STATE.grad_enabled
    STATE.grad_enabled = create
    # Gradients at the edge of a domain (sqrt or log at 0, 0 ** negative) are
    # inf or nan, as in PyTorch, silently: detect_anomaly() reports them.
    errstate = np.errstate(divide="ignore", invalid="ignore", over="ignore")
    errstate.__enter__()
    try:
        while heap:
            fn = heappop(heap)[1]
            g = pending.pop(fn)
            inputs = fn.inputs
            if inputs is None:
                raise RuntimeError(_FREED.format(fn.name))
            needs = fn.needs
            if fn.stamp < last_inplace:
                _check_versions(fn)
            if special:
                if retained is not None and fn in retained:
                    _retain(fn, g, create)
                if target_nodes and fn in target_nodes:
                    captured[target_nodes[fn]] = g
                if create:
                    out = None if fn.out is None else Tensor._make(fn.out, fn)
                    res = fn.backward(g, out, *inputs)
                else:
                    res = fn.backward(g, fn.out, *fn.args)
                if len(needs) == 1:
                    res = (res,)
                if anomaly:
                    _check_finite(fn, res)
            else:
                res = fn.backward(g, fn.out, *fn.args)
                if len(needs) == 1:
                    res = (res,)
            if not retain:  # free what was kept for backward; a later backward through fn raises
                fn.inputs = fn.args = fn.out = fn.saved = None
            for x, need, gx in zip(inputs, needs, res):
                if not need or gx is None:
                    continue
                if create and not isinstance(gx, Tensor):
                    gx = Tensor._make(np.asarray(gx), None)
                xd = x.data
                if gx.shape != xd.shape:
                    gx = _reduce_to(gx, xd.shape, fn)
                if gx.dtype is not xd.dtype and gx.dtype != xd.dtype:
                    gx = gx.astype(xd.dtype)
                child = x.grad_fn
                if child is None:
                    if plain_leaves and x.grad is None and type(gx) is ndarray and gx.base is None and id(gx) not in claimed:
                        claimed.add(id(gx))  # the common first store, inlined (see deliver_leaf)
                        x.grad = Tensor._make(gx, None)
                    else:
                        deliver_leaf(x, gx)
                elif child in pending:
                    pending[child] = pending[child] + gx
                else:
                    pending[child] = gx
                    heappush(heap, (-child.stamp, child))
    finally:
        errstate.__exit__(None, None, None)
        STATE.grad_enabled = saved_mode

    if targets is None:
        return None
    return [captured.get(id(t)) for t in targets]


def _retain(fn: Any, g: Any, create: bool) -> None:
    t = RETAINED[fn]()
    if t is None:
        return
    if not create:
        g = Tensor._make(np.array(g), None)
    t.grad = g if t.grad is None else t.grad + g


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.

    As ``torch.autograd.grad``: ``grad_outputs`` are the upstream gradients (None
    for a one-element output); with ``create_graph=True`` the results are
    themselves differentiable (higher-order gradients, Hessian-vector products).
    """
    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None:
        gos: Sequence[Any] = (None,) * len(outs)
    elif len(outs) == 1 and not isinstance(grad_outputs, (list, tuple)):
        gos = (grad_outputs,)
    else:
        gos = tuple(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gos)} grad_outputs")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: input {i} is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    results = run_backward(outs, gos, retain_graph, create_graph, targets=ins)
    final: list[Tensor | None] = []
    for i, (t, g) in enumerate(zip(ins, results or ())):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) appears not to have been used in the graph; "
                    "set allow_unused=True if this is expected"
                )
            final.append(None)
        elif isinstance(g, Tensor):
            final.append(g)
        else:
            final.append(Tensor._make(np.array(g), None))
    return tuple(final)
