"""Draw the recorded computational graph (like torchviz's ``make_dot``), with no system Graphviz.

``draw(*roots, params=None, ...)`` returns a ``graphviz.Digraph`` (it shows
inline in Jupyter); ``render(roots, "graph.svg", ...)`` writes ``.svg``,
``.png``, ``.pdf`` or ``.dot`` by the path's suffix.  Layout and rendering use
the Graphviz engine bundled in the pygraphviz wheel, so ``pip install`` is all
that is needed: no ``dot`` executable on PATH (see ``autograd.viz.backend``).

What is drawn
-------------
Edges follow the data: from inputs to the ops that consume them, to the outputs.

* an op: grey rounded box, its name (``MatMul``), its non-tensor attributes
  (``axis=(1,)``, ``stride=(2, 2)``; scalar constant operands as
  ``const 2.0``) and its output shape.  When ``params`` names a non-leaf
  tensor, its op's title reads ``Op → name``.
* a parameter: light blue box, a leaf that requires grad and has a name: from
  ``params`` (name -> Tensor, e.g. ``dict(model.named_parameters())``) or, when
  ``params`` does not name it, from the module that registers it; shape, dtype.
* another leaf that requires grad: light green box titled ``leaf``.
* a constant: small white box with grey outline and dashed edges, for an
  array operand that needs no gradient (input data, targets, masks, frozen
  parameters), titled by its name if it has one, else ``const``.  Scalar
  operands are not nodes: they are listed in their op's label.
  ``show_constants=False`` omits constant nodes.
* an output: orange bold box, one per root (``output``, or ``output i`` for
  several roots, or the root's name in ``params``), its shape and dtype.  A
  root without a graph (a lone leaf, a result computed under ``no_grad``) is
  drawn as this single node.
* a collapsed module: lavender 3-D box ``name: ClassName``, with its op count
  and the parameters it holds.
* any node whose value or gradient holds NaN or Inf: red fill, whatever the options.

Options: ``show_values`` adds each tensor's ``min X max Y`` (for an op, its
output's, which is known from the roots or from the op's consumers; NaN and
Inf are named and left out of the range);
``show_grads`` adds ``grad norm`` on leaves (after ``backward``) and on
tensors that called ``retain_grad()``.

Modules: ops are grouped into one cluster per module whose forward created them
(``op.scope``), nested as the modules are and labelled ``name: ClassName`` with
names from the outermost module's ``named_modules()`` (the outermost module
itself shows its class).  Parameters sit in the cluster of the module that
registers them.  ``max_depth=k`` draws each module nested deeper than ``k``
(outermost modules have depth 1, so ``max_depth=0`` draws each outermost module
as one node) as a single node; ``collapse=True`` draws every innermost module
(one with no submodule in the graph: ``Linear``, ``Conv2d``, ``ReLU``) as a
single node while containers stay clusters, the block diagram of a model; a
collection of classes or names (``collapse={nn.Linear, "encoder"}``, a name
being a module's dotted name or class name) collapses just those.  Edges into
and out of a collapsed module are kept, one per pair of endpoints.

A graph freed by ``backward()`` (without ``retain_graph=True``) no longer knows
the inputs of its ops: what is still reachable is drawn, each freed op with a
dashed outline and the note "inputs freed by backward()", and a
``UserWarning`` says how to keep the whole graph.  To see gradients on the
leaves, run ``backward(retain_graph=True)`` before drawing.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ..tensor import Tensor
from .backend import FORMATS, Digraph, layout
from .build import build
from .style import COLORS

__all__ = ["draw", "render", "Digraph", "COLORS", "FORMATS"]

P = TypeVar("P", str, os.PathLike)
_RANKDIRS = ("TB", "LR", "BT", "RL")


def _roots(args: Iterable[Any], fn: str) -> list[Tensor]:
    roots: list[Tensor] = []
    seen: set[int] = set()
    flat = [x for a in args for x in (a if isinstance(a, (list, tuple)) else (a,))]
    if not flat:
        raise ValueError(f"{fn}: needs at least one Tensor to draw")
    for i, r in enumerate(flat):
        if not isinstance(r, Tensor):
            raise TypeError(f"{fn}: root {i} is a {type(r).__name__}, not a Tensor")
        if id(r) not in seen:
            seen.add(id(r))
            roots.append(r)
    return roots


def _check_options(params: Any, collapse: Any, max_depth: Any, rankdir: Any) -> tuple[dict[str, Tensor], Any]:
    if params is None:
        params = {}
    elif not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict name -> Tensor (e.g. dict(model.named_parameters())), "
                        f"got {type(params).__name__}")
    for k, v in params.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"params[{k!r}] is a {type(v).__name__}, not a Tensor")
    if max_depth is not None and (isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0):
        raise ValueError(f"max_depth must be None or an int >= 0, got {max_depth!r}")
    if collapse is not None and not isinstance(collapse, bool):
        if isinstance(collapse, (str, type)):
            collapse = (collapse,)
        try:
            collapse = tuple(collapse)
        except TypeError:
            raise TypeError(f"collapse must be a bool or a collection of module classes or names, "
                            f"got {type(collapse).__name__}") from None
        for c in collapse:
            if not isinstance(c, (str, type)):
                raise TypeError(f"collapse entries must be module classes or names, got {c!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    return dict(params), collapse


def draw(
    *roots: Tensor,
    params: Mapping[str, Tensor] | None = None,
    show_values: bool = False,
    show_grads: bool = False,
    collapse: bool | Iterable[str | type] | None = None,
    max_depth: int | None = None,
    show_constants: bool = True,
    rankdir: str = "TB",
) -> Digraph:
    """The graph that computed ``roots``, as a ``graphviz.Digraph`` (see the module docstring).

    ``roots``: Tensors (or one list of them).  ``params``: name -> Tensor, to
    name leaves.  ``rankdir``: layout direction (``"TB"`` top to bottom, ``"LR"``).
    The result displays inline in Jupyter and has ``.source`` (DOT text),
    ``.pipe(format=...)`` and ``.render(...)``, all without a ``dot`` executable.
    """
    rs = _roots(roots, "draw")
    params, collapse = _check_options(params, collapse, max_depth, rankdir)
    g, freed = build(rs, params, show_values=show_values, show_grads=show_grads, collapse=collapse,
                     max_depth=max_depth, show_constants=show_constants, rankdir=rankdir)
    if freed:
        warnings.warn(f"{freed} op(s) of the graph were freed by backward(): only what is still reachable is drawn; "
                      "call backward(retain_graph=True) to draw the whole graph afterwards", stacklevel=2)
    return g


def render(root_or_roots: Tensor | Iterable[Tensor], path: P, params: Mapping[str, Tensor] | None = None,
           **options: Any) -> P:
    """Draw the graph of ``root_or_roots`` and write it to ``path``; return ``path``.

    The format follows the suffix: ``.svg``, ``.png``, ``.pdf`` (laid out by the
    bundled Graphviz) or ``.dot`` (the DOT source).  ``options`` are ``draw``'s.
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise ValueError(f"render: cannot write {os.fspath(path)!r}: unsupported suffix {suffix or '(none)'!r}; "
                         f"supported: {', '.join(FORMATS)}")
    roots = list(root_or_roots) if isinstance(root_or_roots, (list, tuple)) else [root_or_roots]
    _roots(roots, "render")
    parent = os.path.dirname(os.fspath(path)) or "."
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"render: cannot write {os.fspath(path)!r}: directory {parent!r} does not exist")
    g = draw(*roots, params=params, **options)
    if fmt == "dot":
        with open(path, "w", encoding="utf-8") as f:
            f.write(g.source)
    else:
        data = layout(g.source, fmt)
        with open(path, "wb") as f:
            f.write(data)
    return path
