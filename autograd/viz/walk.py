"""Walk the recorded graph from the roots into a flat list of nodes and edges.

The walk is an explicit-stack depth-first search (no recursion), visiting each
op once, so its cost is linear in the size of the graph and deep graphs (a
10,000-step chain) cannot hit Python's recursion limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..node import Op
from ..tensor import Tensor


class Walk:
    """What the walk found, in discovery order (roots first).

    ``ops``: op -> node id.  ``op_out``: op -> a Tensor it produced (a root, or
    the input slot of a consumer), which gives the op's output shape and value
    even when the op does not keep ``op.out``.  ``tensors``: id(obj) -> (node id,
    Tensor or ndarray) for leaves and array constants.  ``edges``: data-flow
    pairs (source id, consumer id), one per input slot.  ``scalars``: op -> its
    scalar constant inputs.  ``freed``: ops whose inputs were released by a
    backward pass.  ``users``: tensor node id -> the ops consuming it.
    ``outputs``: (node id, root Tensor, id of the op node feeding it or None
    when the root is itself a drawn tensor node).
    """

    def __init__(self) -> None:
        self.ops: dict[Op, str] = {}
        self.op_out: dict[Op, Tensor] = {}
        self.tensors: dict[int, tuple[str, Any]] = {}
        self.edges: list[tuple[str, str]] = []
        self.scalars: dict[Op, list[Any]] = {}
        self.freed: list[Op] = []
        self.users: dict[str, list[Op]] = {}
        self.outputs: list[tuple[str, Tensor, str | None]] = []


def walk(roots: list[Tensor]) -> Walk:
    """Collect every op and leaf reachable from ``roots`` (iteratively)."""
    w = Walk()
    ops, tensors, users, edges = w.ops, w.tensors, w.users, w.edges
    stack: list[Op] = []

    def op_node(op: Op, out: Tensor) -> str:
        nid = ops.get(op)
        if nid is None:
            nid = f"op{len(ops)}"
            ops[op] = nid
            w.op_out[op] = out
            stack.append(op)
        return nid

    def tensor_node(x: Any) -> str:
        entry = tensors.get(id(x))
        if entry is None:
            entry = (f"t{len(tensors)}", x)
            tensors[id(x)] = entry
            users[entry[0]] = []
        return entry[0]

    for i, r in enumerate(roots):
        if r.grad_fn is None:
            w.outputs.append((tensor_node(r), r, None))
        else:
            w.outputs.append((f"out{i}", r, op_node(r.grad_fn, r)))

    while stack:
        op = stack.pop()
        dst = ops[op]
        inputs = op.inputs
        if inputs is None:
            w.freed.append(op)
            continue
        for x in inputs:
            if isinstance(x, Tensor):
                if x.grad_fn is not None:
                    edges.append((op_node(x.grad_fn, x), dst))
                    continue
                src = tensor_node(x)
            elif isinstance(x, np.ndarray) and x.ndim > 0:
                src = tensor_node(x)
            else:
                w.scalars.setdefault(op, []).append(x)
                continue
            edges.append((src, dst))
            users[src].append(op)
    return w
