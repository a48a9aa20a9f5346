"""Colours, shapes and label text of the drawn nodes.

Labels are Graphviz HTML-like labels: a bold title line, then smaller detail
lines (shape and dtype, attributes, value range, gradient norm).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

# Fill colour of each kind of node (the convention documented in autograd.viz).
COLORS: dict[str, str] = {
    "op": "#e4e4e4",  # light grey: an operation
    "param": "#a6cee3",  # light blue: a named leaf that requires grad (a parameter)
    "leaf": "#b2df8a",  # light green: an unnamed leaf that requires grad
    "const": "#ffffff",  # white, grey outline: an array that needs no gradient (input data, targets, masks)
    "output": "#fdbf6f",  # orange: a root passed to draw()
    "module": "#cab2d6",  # lavender: a collapsed module
    "nonfinite": "#fb6a6a",  # red: its value or gradient holds NaN or Inf
}
CLUSTER_FILLS = ("#f5f7fb", "#e9eef6")  # alternating by nesting depth
FREED_NOTE = "inputs freed by backward()"

_NODE_STYLE = {
    "op": {"shape": "box", "style": "rounded,filled"},
    "param": {"shape": "box", "style": "filled"},
    "leaf": {"shape": "box", "style": "filled"},
    "const": {"shape": "box", "style": "filled", "color": "#999999", "fontcolor": "#555555", "fontsize": "9",
              "height": "0.3", "margin": "0.05,0.02"},
    "output": {"shape": "box", "style": "filled,bold"},
    "module": {"shape": "box3d", "style": "filled"},
}


def node_attrs(kind: str, bad: bool, freed: bool = False) -> dict[str, str]:
    """Graphviz attributes of a node of ``kind``; red fill when ``bad`` (NaN/Inf)."""
    attrs = dict(_NODE_STYLE[kind])
    attrs["fillcolor"] = COLORS["nonfinite"] if bad else COLORS[kind]
    if freed:
        attrs["style"] += ",dashed"
    return attrs


def html_label(title: str, lines: list[str]) -> str:
    """A bold title and smaller detail lines, escaped for a Graphviz HTML-like label."""
    body = f"<b>{html.escape(title)}</b>"
    for line in lines:
        body += f'<br/><font point-size="9">{html.escape(line)}</font>'
    return f"<{body}>"


def fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def fmt_tensor(arr: np.ndarray) -> str:
    """``(8, 2) float64``."""
    return f"{fmt_shape(arr.shape)} {arr.dtype}"


def fmt_number(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, (float, np.floating)) else str(v)


def fmt_attr(v: Any, limit: int = 32) -> str:
    """A short display form of an op attribute (an index array is summarised, not printed)."""
    if isinstance(v, np.ndarray):
        text = f"array{fmt_shape(v.shape)} {v.dtype}" if v.size > 6 else np.array2string(v, separator=",")
    elif isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        text = str(np.dtype(v))
    elif isinstance(v, type):
        text = v.__name__
    elif isinstance(v, (float, np.floating)):
        text = fmt_number(v)
    elif isinstance(v, slice) or (isinstance(v, tuple) and any(isinstance(i, slice) or i is Ellipsis for i in v)):
        text = "[" + ", ".join(_fmt_index(i) for i in (v if isinstance(v, tuple) else (v,))) + "]"
    elif isinstance(v, tuple) and any(isinstance(i, np.ndarray) for i in v):
        text = "(" + ", ".join(fmt_attr(i, limit) for i in v) + ")"
    else:
        text = repr(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt_index(i: Any) -> str:
    """One item of an index in subscript syntax: ``1:``, ``::2``, ``...``, ``None``."""
    if isinstance(i, slice):
        parts = ["" if p is None else str(p) for p in (i.start, i.stop, i.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if parts[2] else "")
    if i is Ellipsis:
        return "..."
    return fmt_attr(i, 16)


def attr_lines(attrs: dict[str, Any], scalars: list[Any]) -> list[str]:
    """``k=v`` pairs (None-valued ones dropped) and scalar constants, packed into short lines."""
    items = [f"{k}={fmt_attr(v)}" for k, v in attrs.items() if v is not None]
    if scalars:
        items.append("const " + ", ".join(fmt_attr(s) for s in scalars))
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(item) < 28:
            lines[-1] += ", " + item
        else:
            lines.append(item)
    return lines


def nonfinite(arr: Any) -> bool:
    """Whether a float array holds NaN or Inf."""
    arr = np.asarray(arr)
    return arr.dtype.kind in "fc" and not bool(np.isfinite(arr).all())


def value_line(arr: np.ndarray) -> str:
    """``min … max`` of an array; NaN/Inf are named and left out of the range."""
    arr = np.asarray(arr)
    if arr.size == 0:
        return "empty"
    flags = []
    if arr.dtype.kind in "fc":
        finite = np.isfinite(arr)
        if not finite.all():
            if np.isnan(arr).any():
                flags.append("NaN")
            if np.isinf(arr).any():
                flags.append("Inf")
            arr = arr[finite]
    if arr.dtype.kind == "c":
        arr = np.abs(arr)
    text = "all non-finite" if arr.size == 0 else f"min {fmt_number(arr.min())} max {fmt_number(arr.max())}"
    return " ".join([text] + [f"has {f}" for f in flags])


def grad_line(grad: np.ndarray) -> str:
    g = np.asarray(grad)
    if nonfinite(g):
        return "grad has " + " and ".join(f for f, b in (("NaN", np.isnan(g).any()), ("Inf", np.isinf(g).any())) if b)
    return f"grad norm {fmt_number(norm(g))}"


def norm(arr: np.ndarray) -> float:
    """Euclidean norm, scaled by the largest magnitude so huge values cannot overflow."""
    a = np.abs(np.asarray(arr, dtype=np.float64)).ravel()
    top = float(a.max()) if a.size else 0.0
    return 0.0 if top == 0.0 else top * float(np.sqrt(np.sum((a / top) ** 2)))
