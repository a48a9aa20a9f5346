"""Hypothesis strategies (minitorch style) and value helpers for the gradient-check suite.

Finite differences are only meaningful where a function is smooth, so every
value drawn here lies on a grid of ``GRID`` magnitudes spaced ~1e-4 apart: values
are globally distinct (no max/maximum ties, no abs ties), at least 0.2 away from
0 (the relu/abs/leaky_relu kink, log's pole) and inside the op's domain, while
gradcheck perturbs by 1e-6.  The same grid serves the hypothesis strategies and
the seeded draws of the registry test (``distinct_values``).

Layouts: every array strategy can hand out a non-contiguous view (transposed,
strided with an offset, or both) of a bigger buffer holding the same values,
because ops must not depend on memory layout.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

import autograd
from autograd import Tensor

GRID = 1 << 14
DOMAINS = {"real": (0.2, 2.0), "positive": (0.2, 2.0), "unit": (0.05, 0.95)}
LAYOUTS = ("contiguous", "transposed", "strided", "strided_transposed")


# ----------------------------------------------------------------------- values
def grid_values(codes: np.ndarray, negative: np.ndarray | None, domain: str) -> np.ndarray:
    """Map distinct grid codes (and optional sign bits) to float64 values in ``domain``."""
    lo, hi = DOMAINS[domain]
    vals = lo + (hi - lo) * (np.asarray(codes, dtype=np.float64) + 0.5) / GRID
    if domain == "real" and negative is not None:
        vals = np.where(negative, -vals, vals)
    return vals


def distinct_values(rng: np.random.Generator, n: int, domain: str = "real", avoid: tuple[float, ...] = ()) -> np.ndarray:
    """``n`` distinct float64 values of ``domain`` (seeded), none within 0.01 of a value in ``avoid``
    (an op's kinks given as attributes, such as clip bounds)."""
    pool = np.arange(GRID)
    vals_all = grid_values(pool, None, domain)
    ok = np.ones(GRID, dtype=bool)
    for a in avoid:
        ok &= np.abs(vals_all - abs(a)) >= 0.01
    pool = pool[ok]
    if n > pool.size:
        raise ValueError(f"cannot draw {n} distinct values from the {domain!r} grid ({pool.size} available)")
    codes = rng.choice(pool, n, replace=False)
    return grid_values(codes, rng.random(n) < 0.5, domain)


def as_layout(arr: np.ndarray, layout: str) -> np.ndarray:
    """A view with the same values as ``arr`` in ``layout``; its buffer is a bigger, writeable array."""
    if layout == "contiguous":
        return np.array(arr, order="C")  # (np.ascontiguousarray would turn 0-d into 1-d)
    if layout == "transposed":
        return np.array(arr.T, order="C").T
    if layout == "strided":
        base = np.zeros(tuple(2 * n + 1 for n in arr.shape), dtype=arr.dtype)
        view = base[tuple(slice(1, None, 2) for _ in arr.shape) + (Ellipsis,)]
        view[...] = arr
        return view
    if layout == "strided_transposed":
        return as_layout(arr.T, "strided").T
    raise ValueError(f"unknown layout {layout!r}")


def leaf(arr: np.ndarray, requires_grad: bool = True) -> Tensor:
    """A leaf Tensor wrapping ``arr`` itself (``Tensor(arr)`` would copy it into a contiguous array)."""
    t = Tensor(np.zeros((), dtype=arr.dtype), requires_grad=requires_grad)
    t.data = arr
    return t


def size_of(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def grads_of(fn: Callable[..., Tensor], arrs: list[np.ndarray], g: np.ndarray) -> list[np.ndarray | None]:
    """Gradients (arrays, None where unused) of ``fn`` at fresh leaves holding ``arrs``, for upstream ``g``."""
    xs = [leaf(np.array(a)) for a in arrs]
    return [None if r is None else r.data for r in autograd.grad(fn(*xs), xs, g, allow_unused=True)]


def upstream_for(fn: Callable[..., Tensor], arrs: list[np.ndarray], seed: int, dtype: Any = np.float64) -> np.ndarray:
    """A seeded random upstream gradient of the shape of ``fn``'s output."""
    with autograd.no_grad():
        shape = fn(*[leaf(np.array(a), requires_grad=False) for a in arrs]).shape
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------- strategies
def shapes(min_dims: int = 0, max_dims: int = 4, max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes of 0 to 4 dimensions with sides 1 to 4."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def broadcast_pairs(max_dims: int = 4, max_side: int = 4) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Two shapes that broadcast together (leading axes dropped, sides set to 1)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims, max_side=max_side).map(
        lambda bs: bs.input_shapes
    )


layouts = st.sampled_from(LAYOUTS)


@st.composite
def arrays(
    draw: Any, shape_list: tuple[tuple[int, ...], ...], domain: str = "real", dtype: Any = np.float64, layout: bool = True
) -> list[np.ndarray]:
    """One array per shape, values globally distinct across all of them, each in a drawn layout."""
    sizes = [size_of(s) for s in shape_list]
    n = sum(sizes)
    # distinct grid codes without rejection: increasing by drawn gaps, then shuffled
    gaps = draw(hnp.arrays(np.int64, n, elements=st.integers(1, max(1, GRID // (n + 1)))))
    order = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).permutation(n)
    codes = np.cumsum(gaps) - 1
    codes = (codes + draw(st.integers(0, GRID - 1 - int(codes[-1]))))[order] if n else codes
    negative = draw(hnp.arrays(np.bool_, n)) if domain == "real" else None
    flat = grid_values(codes, negative, domain).astype(dtype)
    out, start = [], 0
    for shape, size in zip(shape_list, sizes):
        arr = flat[start : start + size].reshape(shape)
        start += size
        out.append(as_layout(arr, draw(layouts) if layout else "contiguous"))
    return out


@st.composite
def axis_args(draw: Any, ndim: int) -> Any:
    """A reduction ``axis``: None, one axis (possibly negative) or a tuple of distinct axes."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(("none", "int", "tuple")))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in picked)


@st.composite
def cut_points(draw: Any, values: np.ndarray, count: int) -> list[float]:
    """``count`` thresholds halfway between neighbouring values (or beyond the extremes): clip
    bounds that are never within half a grid step of an input value."""
    s = np.unique(np.asarray(values, dtype=np.float64).reshape(-1))
    mids = np.concatenate([[s[0] - 0.05], (s[1:] + s[:-1]) / 2, [s[-1] + 0.05]])
    return sorted(float(mids[draw(st.integers(0, mids.size - 1))]) for _ in range(count))


@st.composite
def matmul_shapes(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Operand shapes for ``a @ b``: 1-D vectors, matrices, and broadcasting batch axes."""
    m, k, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch_a, batch_b = draw(broadcast_pairs(max_dims=2, max_side=3))
    a = (k,) if draw(st.integers(0, 4)) == 0 else batch_a + (m, k)
    b = (k,) if draw(st.integers(0, 4)) == 0 else batch_b + (k, n)
    return a, b


@st.composite
def integer_index(draw: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """An advanced index into ``shape``: integer arrays (negative entries and repeats
    allowed) of one common shape, one per indexed axis, sometimes after a basic slice."""
    lead: tuple[slice, ...] = ()
    if len(shape) > 1:  # a basic slice before the arrays moves the indexed axes
        lead = draw(st.sampled_from([(), (), (slice(None, None, -1),), (slice(None, None, 2),)]))
    count = draw(st.integers(1, len(shape) - len(lead)))
    ishape = draw(shapes(min_dims=1, max_dims=2, max_side=5))
    axes = range(len(lead), len(lead) + count)
    return lead + tuple(draw(hnp.arrays(np.int64, ishape, elements=st.integers(-shape[i], shape[i] - 1))) for i in axes)


# ----------------------------------------------------------------- op families
# name -> (function of Tensors, value domain)
UNARY: dict[str, tuple[Callable[[Tensor], Tensor], str]] = {
    "neg": (lambda x: -x, "real"),
    "exp": (lambda x: x.exp(), "real"),
    "log": (lambda x: x.log(), "positive"),
    "sqrt": (lambda x: x.sqrt(), "positive"),
    "abs": (lambda x: x.abs(), "real"),
    "tanh": (lambda x: x.tanh(), "real"),
    "sigmoid": (lambda x: x.sigmoid(), "real"),
    "relu": (lambda x: x.relu(), "real"),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), "real"),
    "square": (lambda x: x**2, "real"),
    "cube": (lambda x: x**3, "real"),
    "rsqrt": (lambda x: x**-0.5, "positive"),
    "exp2": (lambda x: 2.0**x, "real"),
    "reciprocal": (lambda x: 1.0 / x, "real"),
    "np_tanh": (lambda x: np.tanh(x), "real"),
    "scale_shift": (lambda x: 3.0 - x * 0.5, "real"),
}

BINARY: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], str]] = {
    "add": (lambda a, b: a + b, "real"),
    "sub": (lambda a, b: a - b, "real"),
    "mul": (lambda a, b: a * b, "real"),
    "div": (lambda a, b: a / b, "real"),
    "pow": (lambda a, b: a**b, "positive"),
    "maximum": (lambda a, b: autograd.maximum(a, b), "real"),
    "minimum": (lambda a, b: autograd.minimum(a, b), "real"),
    "where": (lambda a, b: autograd.where((a.data > 0) ^ (b.data < 0), a, b), "real"),
}

# name -> function of (Tensor, axis, keepdims)
REDUCTIONS: dict[str, Callable[[Tensor, Any, bool], Tensor]] = {
    "sum": lambda x, axis, keep: x.sum(axis=axis, keepdims=keep),
    "mean": lambda x, axis, keep: x.mean(axis=axis, keepdims=keep),
    "max": lambda x, axis, keep: x.max(axis=axis, keepdims=keep),
    "min": lambda x, axis, keep: x.min(axis=axis, keepdims=keep),
    "var": lambda x, axis, keep: x.var(axis=axis, keepdims=keep),
}

SOFTMAX: dict[str, Callable[[Tensor, int], Tensor]] = {
    "softmax": lambda x, axis: x.softmax(axis=axis),
    "log_softmax": lambda x, axis: x.log_softmax(axis=axis),
}

KINDS = ("unary", "binary", "reduce", "softmax", "matmul", "index", "shape")


@st.composite
def op_cases(
    draw: Any, dtype: Any = np.float64, layout: bool = False, max_dims: int = 4, max_side: int = 4
) -> tuple[str, Callable[..., Tensor], list[np.ndarray]]:
    """(label, function of Tensors, input arrays) for a random op of any family on random shapes."""
    kind = draw(st.sampled_from(KINDS))
    domain = "real"
    if kind == "unary":
        name = draw(st.sampled_from(sorted(UNARY)))
        fn, domain = UNARY[name]
        shape_list: tuple[tuple[int, ...], ...] = (draw(shapes(max_dims=max_dims, max_side=max_side)),)
    elif kind == "binary":
        name = draw(st.sampled_from(sorted(BINARY)))
        fn, domain = BINARY[name]
        shape_list = draw(broadcast_pairs(max_dims=max_dims, max_side=max_side))
    elif kind == "reduce":
        name = draw(st.sampled_from(sorted(REDUCTIONS)))
        shape = draw(shapes(max_dims=max_dims, max_side=max_side))
        axis, keep = draw(axis_args(len(shape))), draw(st.booleans())
        reduce = REDUCTIONS[name]

        def fn(x: Tensor) -> Tensor:
            return reduce(x, axis, keep)

        name = f"{name}(axis={axis}, keepdims={keep})"
        shape_list = (shape,)
    elif kind == "softmax":
        name = draw(st.sampled_from(sorted(SOFTMAX)))
        shape = draw(shapes(min_dims=1, max_dims=max_dims, max_side=max_side))
        axis, soft = draw(st.integers(-len(shape), len(shape) - 1)), SOFTMAX[name]

        def fn(x: Tensor) -> Tensor:
            return soft(x, axis)

        name = f"{name}(axis={axis})"
        shape_list = (shape,)
    elif kind == "matmul":
        name = "matmul"
        shape_list = draw(matmul_shapes())

        def fn(a: Tensor, b: Tensor) -> Tensor:
            return a @ b

    elif kind == "index":
        shape = draw(shapes(min_dims=1, max_dims=max_dims, max_side=max_side))
        index = draw(integer_index(shape))
        name = f"getitem({[i.tolist() if isinstance(i, np.ndarray) else i for i in index]})"

        def fn(x: Tensor) -> Tensor:
            return x[index]

        shape_list = (shape,)
    else:
        shape = draw(shapes(max_dims=max_dims, max_side=max_side))
        perm = tuple(draw(st.permutations(range(len(shape)))))
        name = f"transpose{perm}.reshape(-1)"

        def fn(x: Tensor) -> Tensor:
            return x.transpose(*perm).reshape(-1)

        shape_list = (shape,)
    return f"{kind}:{name}", fn, draw(arrays(shape_list, domain, dtype, layout))
