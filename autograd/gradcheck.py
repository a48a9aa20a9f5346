"""Compare analytical gradients with central finite differences in float64."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import grad
from .grad_mode import enable_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """An analytical gradient disagrees with its finite-difference estimate."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Tensor, ...]:
    outs = _as_tuple(fn(*inputs))
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: output {i} of the function is a {type(o).__name__}, not a Tensor")
    return outs


def _analytical(fn: Callable[..., Any], inputs: Sequence[Any], diff: list[int]) -> list[list[np.ndarray]]:
    """jac[k][j]: d outputs[k] / d inputs[diff[j]], shape (out.size, in.size), one backward per output element."""
    with enable_grad():
        outs = _outputs(fn, inputs)
    targets = [inputs[i] for i in diff]
    jac = []
    for out in outs:
        rows = [np.zeros((out.size, inputs[i].size)) for i in diff]
        if out.requires_grad:
            for e in range(out.size):
                seed = np.zeros(out.shape, dtype=out.dtype)
                seed.reshape(-1)[e] = 1
                gs = grad(out, targets, seed, retain_graph=True, allow_unused=True)
                for j, g in enumerate(gs):
                    if g is not None:
                        rows[j][e] = np.asarray(g.data, dtype=np.float64).reshape(-1)
        jac.append(rows)
    return jac


def _numerical(fn: Callable[..., Any], inputs: Sequence[Any], diff: list[int], eps: float) -> list[list[np.ndarray]]:
    """Central differences, one input element at a time."""
    with enable_grad():
        outs = _outputs(fn, inputs)
    jac = [[np.zeros((o.size, inputs[i].size)) for i in diff] for o in outs]
    for j, i in enumerate(diff):
        arr = inputs[i].data  # perturbed in place, element by element (strided views too)
        if not arr.flags.writeable:
            raise ValueError(f"gradcheck: input {i} is a read-only array; pass a writeable copy")
        for e in range(arr.size):
            idx = np.unravel_index(e, arr.shape)
            orig = arr[idx]
            arr[idx] = orig + eps
            plus = [np.array(o.data, dtype=np.float64) for o in _outputs(fn, inputs)]
            arr[idx] = orig - eps
            minus = [np.array(o.data, dtype=np.float64) for o in _outputs(fn, inputs)]
            arr[idx] = orig
            for k in range(len(outs)):
                jac[k][j][:, e] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
    return jac


def _prepare(inputs: Any) -> tuple[tuple[Any, ...], list[int]]:
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if inputs[i].dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 to be reliable",
                stacklevel=3,
            )
    return inputs, diff


def _compare(analytical, numerical, diff, atol, rtol, raise_exception, what="") -> bool:
    for k, (arow, nrow) in enumerate(zip(analytical, numerical)):
        for j, (a, n) in enumerate(zip(arow, nrow)):
            bad = ~np.isclose(a, n, atol=atol, rtol=rtol)
            if bad.any():
                if not raise_exception:
                    return False
                e_out, e_in = (int(v[0]) for v in np.nonzero(bad))
                raise GradcheckError(
                    f"{what}Jacobian mismatch for output {k} with respect to input {diff[j]}, "
                    f"input element {e_in} (flat index), output element {e_out}: "
                    f"analytical {float(a[e_out, e_in])!r} vs numerical {float(n[e_out, e_in])!r} "
                    f"({int(bad.sum())} of {bad.size} entries differ; atol={atol}, rtol={rtol})"
                )
    return True


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s gradients against central differences for every element of
    every input that requires grad.

    Returns True when they agree; otherwise raises ``GradcheckError`` naming the
    input, the element and both values (or returns False when
    ``raise_exception=False``).  Inputs should be float64; strided views are fine.
    """
    inputs, diff = _prepare(inputs)
    analytical = _analytical(fn, inputs, diff)
    numerical = _numerical(fn, inputs, diff, eps)
    return _compare(analytical, numerical, diff, atol, rtol, raise_exception)


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> grad(fn(inputs), inputs, v,
    create_graph=True)``, differentiating with respect to both the inputs and ``v``.

    Catches a backward that is right to first order but not itself
    differentiable (for instance one that detaches what it computes).
    ``grad_outputs`` defaults to random float64 tensors of the outputs' shapes.
    """
    inputs, diff = _prepare(inputs)
    with enable_grad():
        outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        vs = tuple(Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs)
    else:
        vs = tuple(v if isinstance(v, Tensor) else Tensor(v) for v in _as_tuple(grad_outputs))
        vs = tuple(Tensor(v.data, requires_grad=True) for v in vs)
    n = len(inputs)

    def first_grad(*args: Any) -> tuple[Tensor, ...]:
        xs, v = args[:n], args[n:]
        outs = [o for o in _outputs(fn, xs)]
        keep = [k for k, o in enumerate(outs) if o.requires_grad]
        if not keep:
            return tuple(Tensor(np.zeros(xs[i].shape)) for i in diff)
        gs = grad([outs[k] for k in keep], [xs[i] for i in diff], [v[k] for k in keep], create_graph=True, allow_unused=True)
        return tuple(Tensor(np.zeros(xs[i].shape)) if g is None else g for g, i in zip(gs, diff))

    all_inputs = inputs + vs
    diff2 = diff + list(range(n, n + len(vs)))
    analytical = _analytical(first_grad, all_inputs, diff2)
    numerical = _numerical(first_grad, all_inputs, diff2, eps)
    return _compare(analytical, numerical, diff2, atol, rtol, raise_exception, what="second-order ")
