"""Every registered op, on every sample it declares: gradcheck, gradgradcheck,
layout independence and float32 preservation.

The cases are generated from ``autograd.REGISTRY`` at collection time (after
importing ``nn``, whose layers and losses register their own ops), so an op
cannot be added without being checked, and an op without samples fails
``test_every_op_declares_samples``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from strategies import as_layout, distinct_values, leaf, size_of

import autograd
import nn  # importing nn registers its ops: losses, linear, conv, pooling, dropout
from autograd import REGISTRY, Sample, Tensor, gradcheck, gradgradcheck
from nn import functional as F

# The ops API.md's autograd section requires (operators, methods, free functions, the
# cast behind astype and the scatter-add behind indexing's gradient).
API_OPS = {
    "Add", "Sub", "Mul", "Div", "Pow", "Neg", "MatMul", "GetItem", "ScatterAdd",
    "Sum", "Mean", "Max", "Min", "Var", "Exp", "Log", "Sqrt", "Abs", "Tanh", "Sigmoid", "Relu",
    "LeakyRelu", "Reshape", "Transpose", "BroadcastTo", "Clip", "Softmax", "LogSoftmax",
    "Concatenate", "Stack", "Where", "Maximum", "Minimum", "Cast",
}  # fmt: skip
# The fused ops behind nn's layers and losses (nn.functional runs one op per call).
NN_OPS = {
    "Linear", "Dropout", "Convolution", "MaxPool", "MseLoss", "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits", "CrossEntropy", "NllLoss",
}  # fmt: skip
# Elementwise binary ops: their samples must exercise broadcasting.
BROADCASTING = {"Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Where", "MatMul"}

CASES = [
    pytest.param(name, i, id=f"{name}-{i}") for name in sorted(REGISTRY) for i in range(len(REGISTRY[name].samples))
]


def build(name: str, index: int) -> tuple[Callable[..., Tensor], list[np.ndarray], dict[str, Any]]:
    """The function under test and float64 input arrays for one sample, seeded by its name."""
    sample: Sample = REGISTRY[name].samples[index]
    rng = np.random.default_rng(zlib.crc32(f"{name}/{index}".encode()))
    kwargs = sample.kwargs(rng) if callable(sample.kwargs) else dict(sample.kwargs)
    kinks = tuple(float(v) for v in kwargs.values() if isinstance(v, float))
    sizes = [size_of(s) for s in sample.shapes]
    flat = distinct_values(rng, sum(sizes), sample.domain, kinks)
    arrays = [a.reshape(s) for a, s in zip(np.split(flat, np.cumsum(sizes)[:-1]), sample.shapes)]
    if sample.call is not None:
        call = sample.call
        fn = (lambda *xs: call(*xs, **kwargs)) if kwargs else call
    else:
        op = REGISTRY[name]

        def fn(*xs: Tensor) -> Tensor:
            return op.apply(*xs, **kwargs)

    return fn, arrays, kwargs


def upstream(out: Tensor, seed: int, dtype: Any = np.float64) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)


def test_every_op_declares_samples() -> None:
    missing = sorted(name for name, cls in REGISTRY.items() if not cls.samples)
    assert not missing, f"ops registered without gradient-check samples: {missing}"


def test_registry_holds_every_api_op() -> None:
    missing = sorted(API_OPS - set(REGISTRY))
    assert not missing, f"ops required by API.md missing from autograd.REGISTRY: {missing}"


def test_registry_holds_the_nn_ops() -> None:
    from_nn = {name for name, cls in REGISTRY.items() if cls.__module__.split(".")[0] == "nn"}
    missing = sorted(NN_OPS - from_nn)
    assert not missing, f"nn ops (API.md's layers and losses) missing from autograd.REGISTRY: {missing}"


@pytest.mark.parametrize("name", sorted(BROADCASTING))
def test_broadcasting_ops_have_broadcasting_samples(name: str) -> None:
    def broadcasts(s: Sample) -> bool:
        if len(s.shapes) < 2:
            return False
        if name == "MatMul":  # batch axes that broadcast
            a, b = s.shapes[:2]
            return max(len(a), len(b)) > 2 and a[:-2] != b[:-2]
        full = np.broadcast_shapes(*s.shapes)
        return any(shape != full for shape in s.shapes)

    assert any(broadcasts(s) for s in REGISTRY[name].samples), f"{name} has no broadcasting sample"


@pytest.mark.parametrize(("name", "index"), CASES)
def test_gradcheck_and_gradgradcheck(name: str, index: int) -> None:
    fn, arrays, _ = build(name, index)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)


@pytest.mark.parametrize(("name", "index"), CASES)
def test_noncontiguous_inputs_give_the_contiguous_gradient(name: str, index: int) -> None:
    fn, arrays, _ = build(name, index)
    views = [as_layout(a, "strided_transposed") for a in arrays]
    for v, a in zip(views, arrays):
        assert a.size <= 1 or not v.flags.c_contiguous
        np.testing.assert_array_equal(v, a)
    dense = [Tensor(a, requires_grad=True) for a in arrays]
    strided = [leaf(v) for v in views]
    out_dense, out_strided = fn(*dense), fn(*strided)
    np.testing.assert_allclose(out_strided.data, out_dense.data, rtol=1e-12, atol=1e-12)
    g = upstream(out_dense, index)
    want = autograd.grad(out_dense, dense, g, allow_unused=True)
    got = autograd.grad(out_strided, strided, g, allow_unused=True)
    for i, (w, h) in enumerate(zip(want, got)):
        assert (w is None) == (h is None), f"input {i}: gradient present in one layout only"
        if w is not None:
            assert h.shape == w.shape
            np.testing.assert_allclose(h.data, w.data, rtol=1e-12, atol=1e-12, err_msg=f"input {i}")


@pytest.mark.parametrize(("name", "index"), CASES)
def test_float32_stays_float32(name: str, index: int) -> None:
    fn, arrays, kwargs = build(name, index)
    expected = np.dtype(kwargs.get("dtype", np.float32))
    x64 = [Tensor(a, requires_grad=True) for a in arrays]
    x32 = [Tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    out64, out32 = fn(*x64), fn(*x32)
    assert out32.dtype == expected, f"{name}: float32 inputs gave a {out32.dtype} output"
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-4, atol=1e-5)

    g = upstream(out64, index)
    want = autograd.grad(out64, x64, g, allow_unused=True)
    v = Tensor(g.astype(out32.dtype), requires_grad=True)
    got = autograd.grad(out32, x32, v, create_graph=True, allow_unused=True)
    for i, (w, h) in enumerate(zip(want, got)):
        if w is None:
            continue
        assert h.dtype == np.float32, f"{name}: gradient of float32 input {i} is {h.dtype}"
        np.testing.assert_allclose(h.data, w.data, rtol=1e-3, atol=1e-4)

    # Second order: every first gradient depends on v at least, so differentiate them all.
    firsts = [h for h in got if h is not None]
    total = firsts[0].sum()
    for h in firsts[1:]:
        total = total + h.sum()
    assert total.dtype == np.float32
    wrt = x32 + [v]
    for i, h2 in enumerate(autograd.grad(total, wrt, allow_unused=True)):
        if h2 is not None:
            assert h2.dtype == wrt[i].dtype, f"{name}: second-order gradient for {wrt[i].dtype} input {i} is {h2.dtype}"


# ---------------------------------------------------------------- public API coverage
_TARGETS = np.array([2, 0, 1, 2])
_PROBS = np.linspace(0.1, 0.9, 12).reshape(3, 4)
# name -> (input shapes, value domain, the public call): every user-facing differentiable
# function, so that none of them reaches an op (first or second order) the registry misses.
PUBLIC: dict[str, tuple[tuple[tuple[int, ...], ...], str, Callable[..., Tensor]]] = {
    "arithmetic": (((3, 4), (4,)), "real", lambda a, b: (a + b) * a - b / a + (-a) ** 2),
    "pow": (((3, 4), (3, 1)), "positive", lambda a, b: a**b + 2.0**a + a**0.5),
    "reflected": (((3, 4),), "real", lambda a: 2.0 - a + np.ones((3, 4)) * a + 1.0 / a),
    "matmul": (((2, 3, 4), (4, 2)), "real", lambda a, b: autograd.matmul(a, b) + a @ b),
    "indexing": (((4, 3),), "real", lambda a: a[np.array([0, 2, 2])] * a[1:3].sum() + a[a.data > 0].sum()),
    "reductions": (((3, 4),), "real", lambda a: a.sum(axis=0) + a.mean(axis=0) + a.max(axis=0) + a.min(axis=0) + a.var(axis=0) + a.std(axis=0)),
    "unary": (((3, 4),), "positive", lambda a: a.exp() + a.log() + a.sqrt() + a.abs() + a.tanh() + a.sigmoid() + a.relu()),
    "numpy_ufuncs": (((3, 4),), "positive", lambda a: np.exp(a) + np.log(a) + np.sqrt(a) + np.tanh(a) + np.square(a)),
    "shape": (((2, 3, 4),), "real", lambda a: a.reshape(6, 4).T.transpose(1, 0).unsqueeze(0).squeeze(0).flatten() * 1.0),
    "broadcast": (((3, 1),), "real", lambda a: a.broadcast_to((2, 3, 4)) * a.expand((3, 4)).double()),
    "clip_softmax": (((3, 4),), "real", lambda a: a.clip(-0.9, 0.9) + a.softmax(axis=0) + a.log_softmax()),
    "joins": (((2, 3), (2, 3)), "real", lambda a, b: autograd.concatenate([a, b], axis=1).sum(axis=1) + autograd.stack([a, b]).sum(axis=(0, 2))),
    "select": (((3, 4), (3, 4)), "real", lambda a, b: autograd.where(a.data > b.data, a, b) + autograd.maximum(a, b) * autograd.minimum(a, b)),
    "F.linear": (((4, 3), (2, 3), (2,)), "real", lambda x, w, b: F.linear(x, w, b)),
    "F.dropout": (((3, 4),), "real", lambda x: F.dropout(x, 0.5, training=True)),
    "F.activations": (((3, 4),), "real", lambda x: F.sigmoid(x) + F.relu(x) + F.leaky_relu(x, 0.2) + F.tanh(x) + F.softmax(x) + F.log_softmax(x, axis=0)),
    "F.mse_loss": (((3, 4), (3, 4)), "real", lambda x, y: F.mse_loss(x, y)),
    "F.binary_cross_entropy": (((3, 4),), "unit", lambda x: F.binary_cross_entropy(x, _PROBS)),
    "F.binary_cross_entropy_with_logits": (((3, 4),), "real", lambda x: F.binary_cross_entropy_with_logits(x, _PROBS, reduction="sum")),
    "F.cross_entropy": (((4, 3),), "real", lambda x: F.cross_entropy(x, _TARGETS)),
    "F.nll_loss": (((4, 3),), "real", lambda x: F.nll_loss(x.log_softmax(axis=1), _TARGETS, reduction="sum")),
    "F.conv1d": (((2, 2, 6), (3, 2, 3), (3,)), "real", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1)),
    "F.conv2d": (((1, 2, 5, 4), (2, 2, 3, 2), (2,)), "real", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1)),
    "F.max_pool2d": (((1, 2, 4, 5),), "real", lambda x: F.max_pool2d(x, 2) + 0.0),
    "F.max_pool1d": (((2, 2, 7),), "real", lambda x: F.max_pool1d(x, 3, stride=2, padding=1)),
    "F.avg_pool2d": (((1, 2, 4, 5),), "real", lambda x: F.avg_pool2d(x, (2, 3), stride=1)),
}  # fmt: skip


def recorded_op_types(roots: list[Tensor]) -> set[type]:
    """The classes of every node reachable from ``roots`` (iteratively)."""
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    seen: set[int] = set()
    kinds: set[type] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        kinds.add(type(node))
        stack.extend(x.grad_fn for x in node.inputs or () if isinstance(x, Tensor) and x.grad_fn is not None)
    return kinds


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_functions_use_only_registered_ops_and_pass_gradcheck(name: str) -> None:
    shape_list, domain, fn = PUBLIC[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    flat = distinct_values(rng, sum(size_of(s) for s in shape_list), domain, (0.9,))
    arrays = [a.reshape(s) for a, s in zip(np.split(flat, np.cumsum([size_of(s) for s in shape_list])[:-1]), shape_list)]
    nn.manual_seed(0)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    v = Tensor(upstream(out, 0), requires_grad=True)
    firsts = autograd.grad(out, xs, v, create_graph=True)
    unregistered = {k.__name__ for k in recorded_op_types([out, *firsts]) if REGISTRY.get(k.__name__) is not k}
    assert not unregistered, f"{name} records ops the gradient-check registry does not cover: {sorted(unregistered)}"

    def seeded(*ts: Tensor) -> Tensor:
        nn.manual_seed(0)  # dropout draws the same mask on every call
        return fn(*ts)

    assert gradcheck(seeded, xs)
    assert gradgradcheck(seeded, xs)
