"""Turn a walked graph into a ``Digraph``: labels, colours, module clusters, collapsed modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import node as _node
from ..tensor import Tensor
from .backend import Digraph
from .modules import Key, ModuleIndex, Placement
from .style import (
    CLUSTER_FILLS,
    FREED_NOTE,
    attr_lines,
    fmt_shape,
    fmt_tensor,
    grad_line,
    html_label,
    node_attrs,
    nonfinite,
    value_line,
)
from .walk import walk

FONT = "Helvetica"


class _Node:
    __slots__ = ("nid", "kind", "title", "lines", "bad", "freed", "key", "tooltip", "shape", "rank")

    def __init__(self, nid: str, kind: str, title: str, lines: list[str], bad: bool, key: Key,
                 shape: tuple[int, ...] = (), freed: bool = False, tooltip: str | None = None, rank: int = 0) -> None:
        self.nid, self.kind, self.title, self.lines, self.bad = nid, kind, title, lines, bad
        self.key, self.shape, self.freed, self.tooltip, self.rank = key, shape, freed, tooltip, rank


def _retained(op: Any) -> Tensor | None:
    """The tensor made by ``op`` that called ``retain_grad()``, if it is still alive."""
    hooks = getattr(_node, "RETAINED", None)
    ref = hooks.get(op) if hooks is not None else getattr(op, "retained", None)
    return ref() if ref is not None else None


def _tensor_lines(arr: np.ndarray, grad: Any, show_values: bool, show_grads: bool) -> tuple[list[str], bool]:
    lines = [fmt_tensor(arr)]
    bad = nonfinite(arr)
    if show_values:
        lines.append(value_line(arr))
    if grad is not None:
        g = grad.data if isinstance(grad, Tensor) else grad
        bad = bad or nonfinite(g)
        if show_grads:
            lines.append(grad_line(g))
    return lines, bad


def build(roots: list[Tensor], params: dict[str, Tensor], *, show_values: bool, show_grads: bool,
          collapse: Any, max_depth: int | None, show_constants: bool, rankdir: str) -> tuple[Digraph, int]:
    """The drawn graph and the number of ops found freed by a backward pass."""
    w = walk(roots)
    index = ModuleIndex(w.ops)
    place = Placement(index, collapse, max_depth)
    names = dict(index.tensor_names)
    names.update({id(t): k for k, t in params.items()})
    named_ops = {t.grad_fn: k for k, t in params.items() if t.grad_fn is not None}

    nodes: list[_Node] = []
    freed = set(w.freed)
    for op, nid in w.ops.items():
        out = w.op_out[op]
        title = op.name + (f" → {named_ops[op]}" if op in named_ops else "")
        lines = attr_lines(op.attributes(), w.scalars.get(op, []))
        lines.append("out " + fmt_shape(out.shape))
        if op in freed:
            lines.append(FREED_NOTE)
        bad = nonfinite(out.data)
        if show_values:
            lines.append(value_line(out.data))
        kept = _retained(op)
        if kept is not None and kept.grad is not None:
            bad = bad or nonfinite(kept.grad.data)
            if show_grads:
                lines.append(grad_line(kept.grad.data))
        site = getattr(op, "site", None)  # set only under detect_anomaly()
        tip = site.replace("\\", "\\\\") if site else None
        nodes.append(_Node(nid, "op", title, lines, bad, index.scope_key[op], out.shape, op in freed, tip))

    root_ids = {nid for nid, _, src in w.outputs if src is None}
    skipped: set[str] = set()
    for nid, x in w.tensors.values():
        is_tensor = isinstance(x, Tensor)
        arr = x.data if is_tensor else x
        name = names.get(id(x))
        requires = is_tensor and x.requires_grad
        kind = ("param" if name else "leaf") if requires else "const"
        if kind == "const" and not show_constants and nid not in root_ids:
            skipped.add(nid)
            continue
        lines, bad = _tensor_lines(arr, x.grad if is_tensor else None, show_values, show_grads)
        key = place.leaf_key(id(x), w.users[nid]) if kind != "const" or name else ()
        rank = index.rank.get(id(x), len(index.rank))  # module registration order, for collapsed labels
        nodes.append(_Node(nid, kind, name or kind, lines, bad, key, arr.shape, rank=rank))

    by_id = {n.nid: n for n in nodes}
    edges = _inputs_first(w.edges, skipped)
    many = len(w.outputs) > 1
    for i, (nid, r, src) in enumerate(w.outputs):
        title = names.get(id(r)) or (f"output {i}" if many else "output")
        if src is None:
            node = by_id[nid]
            node.kind, node.title, node.key = "output", title, ()
            continue
        lines, bad = _tensor_lines(r.data, r.grad, show_values, show_grads)
        nodes.append(_Node(nid, "output", title, lines, bad, ()))
        edges.append((src, nid))
    order = {}
    for s, d in edges:
        order.setdefault(s, len(order))
        order.setdefault(d, len(order))
    nodes.sort(key=lambda n: order.get(n.nid, len(order)))
    return _emit(nodes, edges, index, place, rankdir), len(w.freed)


def _inputs_first(edges: list[tuple[str, str]], skipped: set[str]) -> list[tuple[str, str]]:
    """The walk's edges, consumers in reverse discovery order (each one's inputs in slot order).

    The walk finds ops from the outputs back; emitting them inputs-first gives Graphviz an
    initial order that lays a model out as it reads: first layer first, weight before bias.
    """
    groups: list[list[tuple[str, str]]] = []
    for e in edges:
        if e[0] in skipped:
            continue
        if groups and groups[-1][0][1] == e[1]:
            groups[-1].append(e)
        else:
            groups.append([e])
    return [e for group in reversed(groups) for e in group]


def _emit(nodes: list[_Node], edges: list[tuple[str, str]], index: ModuleIndex, place: Placement,
          rankdir: str) -> Digraph:
    g = Digraph("autograd", graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": "10",
                                        "ranksep": "0.3", "nodesep": "0.25"},
                node_attr={"fontname": FONT, "fontsize": "11", "margin": "0.12,0.04", "height": "0.35"},
                edge_attr={"color": "#555555", "arrowsize": "0.7"})
    # Collapsed modules: one node each, standing for everything inside them.
    rep: dict[str, str] = {}
    modules: dict[Key, _Node] = {}
    members: dict[str, tuple[list[int], list[tuple[int, str]]]] = {}  # module node -> ([op count], tensors)
    placed: list[_Node] = []
    for n in nodes:
        absorber = place.absorber(n.key) if n.key else None
        if absorber is None:
            placed.append(n)
            continue
        m = modules.get(absorber)
        if m is None:
            m = modules[absorber] = _Node(f"m{len(modules)}", "module", index.label(absorber[-1]), [], False,
                                          absorber[:-1])
            members[m.nid] = ([0], [])
            placed.append(m)
        rep[n.nid] = m.nid
        m.bad = m.bad or n.bad
        count, tensors = members[m.nid]
        if n.kind == "op":
            count[0] += 1
        else:
            prefix = index.names.get(absorber[-1], "") + "."
            name = n.title[len(prefix):] if n.title.startswith(prefix) else n.title
            tensors.append((n.rank, f"{name} {fmt_shape(n.shape)}"))
    for m in modules.values():
        (count,), ranked = members[m.nid]
        tensors = [text for _, text in sorted(ranked)]
        m.lines = ([f"{count} op" + ("s" if count > 1 else "")] if count else []) + (
            tensors if len(tensors) <= 4 else [f"{len(tensors)} tensors"])

    # Clusters: a Digraph per open module, nested deepest-first into its parent.
    clusters: dict[Key, Digraph] = {}
    for n in placed:
        target = g
        if n.key:
            for d in range(1, len(n.key) + 1):
                k = n.key[:d]
                if k not in clusters:
                    clusters[k] = Digraph(f"cluster_{len(clusters)}", graph_attr={
                        "label": index.label(k[-1]), "style": "rounded,filled", "color": "#8c9bb0",
                        "fillcolor": CLUSTER_FILLS[(d - 1) % 2], "labeljust": "l", "fontname": FONT})
            target = clusters[n.key]
        attrs = node_attrs(n.kind, n.bad, n.freed)
        if n.tooltip:
            attrs["tooltip"] = n.tooltip
        target.node(n.nid, html_label(n.title, n.lines), **attrs)
    for k in sorted(clusters, key=len, reverse=True):
        (clusters[k[:-1]] if len(k) > 1 else g).subgraph(clusters[k])

    kinds = {n.nid: n.kind for n in placed}
    seen: set[tuple[str, str]] = set()
    for s, d in edges:
        rs, rd = rep.get(s, s), rep.get(d, d)
        if rs != s or rd != d:
            if rs == rd or (rs, rd) in seen:
                continue
            seen.add((rs, rd))
        if kinds[rs] == "const":
            g.edge(rs, rd, style="dashed", color="#999999")
        else:
            g.edge(rs, rd)
    return g
