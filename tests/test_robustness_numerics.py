"""Numerical extremes: sigmoid, tanh, softmax, log_softmax, BCE with logits and cross-entropy,
and their gradients, stay finite and correct for inputs of magnitude 1e3 to 1e300, without
a single NumPy warning; log and sqrt at 0 behave as in NumPy; detect_anomaly names the op.

The references are computed with Python's ``decimal`` at 50 significant digits from the
closed forms (not from the library's formulas), so they are exact to far below float64's
precision, and each float is converted to Decimal exactly.  Tolerances are a few units
of float64 rounding of the quantities the computation must form (``x - max`` for the
shifted forms), which is what PyTorch's kernels achieve too.

Every property runs inside ``strict()``: warnings are errors and NumPy's overflow,
divide and invalid flags warn, whatever the global settings (the suite also passes with
``pytest -W error``).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, localcontext

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from nn import functional as F

EPS = float(np.finfo(np.float64).eps)
# magnitudes up to 1e4 (often at the bounds), and far beyond: 1e3..1e300 of either sign
EXTREME = st.one_of(st.floats(-1e4, 1e4), st.floats(1e3, 1e300), st.floats(-1e300, -1e3))
ROWS = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5)


@contextmanager
def strict() -> Iterator[None]:
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn"):
        warnings.simplefilter("error")
        yield


@contextmanager
def exact() -> Iterator[None]:
    with localcontext() as ctx:
        ctx.prec = 50
        ctx.Emax, ctx.Emin = 999_999_999, -999_999_999  # e^(-1e300) underflows to 0, nothing overflows
        yield


def D(x: float) -> Decimal:
    return Decimal(float(x))


def log1p(t: Decimal) -> Decimal:
    """ln(1 + t) for t >= 0 without losing a tiny t to the rounding of 1 + t."""
    return t - t * t / 2 if t < Decimal("1e-25") else (1 + t).ln()


def ref_sigmoid(x: float) -> tuple[Decimal, Decimal]:
    """(sigmoid(x), sigmoid'(x)) from e = exp(-|x|) <= 1, which never overflows."""
    e = (-abs(D(x))).exp()
    s = 1 / (1 + e) if x >= 0 else e / (1 + e)
    return s, e / (1 + e) ** 2


def ref_tanh(x: float) -> tuple[Decimal, Decimal]:
    a = 2 * abs(D(x))
    e = (-a).exp()
    one_minus_e = a - a * a / 2 + a**3 / 6 if a < Decimal("1e-15") else 1 - e  # keeps tanh(1e-300) = 1e-300
    t = one_minus_e / (1 + e)
    return (t if x >= 0 else -t), 4 * e / (1 + e) ** 2


def ref_softmax_row(row: np.ndarray) -> tuple[list[Decimal], list[Decimal]]:
    """(softmax, log_softmax) of one row: d = x - max is formed exactly in Decimal."""
    m = D(max(row))
    d = [D(v) - m for v in row]
    e = [v.exp() for v in d]
    s = sum(e)
    lse = s.ln()
    return [v / s for v in e], [v - lse for v in d]


def softplus(z: Decimal) -> Decimal:
    """ln(1 + e^z), computed from e^-|z| <= 1."""
    return max(z, Decimal(0)) + log1p((-abs(z)).exp())


def check(got, ref, what: str, rtol: float, atol) -> None:
    got = np.asarray(got.data if isinstance(got, Tensor) else got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert np.isfinite(got).all(), f"{what}: non-finite values {got}"
    bad = np.abs(got - ref) > rtol * np.abs(ref) + atol
    assert not bad.any(), f"{what}: got {got[bad][:4]}, exact {ref[bad][:4]} (inputs at {np.argwhere(bad)[:4].tolist()})"


def as_float(values) -> np.ndarray:
    return np.array([float(v) for v in values])


# ------------------------------------------------------------------------ elementwise
@given(x=hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=6), elements=EXTREME),
       data=st.data())
def test_sigmoid_and_tanh_and_their_gradients_at_extreme_inputs(x, data):
    g = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(-1, 1)))
    flat = x.ravel()
    with exact():
        sig = [ref_sigmoid(v) for v in flat]
        tah = [ref_tanh(v) for v in flat]
    for name, ref in (("sigmoid", sig), ("tanh", tah)):
        t = Tensor(x, requires_grad=True)
        with strict():
            y = getattr(t, name)()
            y.backward(g)
        check(y, as_float(r[0] for r in ref).reshape(x.shape), name, 4 * EPS, 1e-300)
        # f' is formed from the output (s(1 - s), 1 - t^2, as PyTorch): exact to an absolute 1 ulp of 1
        check(t.grad, g * as_float(r[1] for r in ref).reshape(x.shape), f"{name}'", 1e-12, 4 * EPS)


def test_sigmoid_and_tanh_saturate_exactly_at_huge_magnitudes():
    x = Tensor([-1e300, -1e4, -1e3, 1e3, 1e4, 1e300], requires_grad=True)
    with strict():
        s = x.sigmoid()
        s.sum().backward()
        t = Tensor(x.data).tanh()
    np.testing.assert_array_equal(s.data, [0, 0, 0, 1, 1, 1])  # e^-1000 < the smallest subnormal
    np.testing.assert_array_equal(x.grad.data, np.zeros(6))
    np.testing.assert_array_equal(t.data, [-1, -1, -1, 1, 1, 1])


# ------------------------------------------------------------------------ softmax family
@given(x=hnp.arrays(np.float64, ROWS, elements=EXTREME), data=st.data())
def test_softmax_and_log_softmax_and_their_gradients_at_extreme_inputs(x, data):
    g = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(-1, 1)))
    with exact():
        rows = [ref_softmax_row(r) for r in x]
        p = np.array([as_float(r[0]) for r in rows])
        logp = np.array([as_float(r[1]) for r in rows])
        gsm = np.array([as_float(pi * (D(gi) - sum(D(gj) * pj for gj, pj in zip(gr, r[0])))
                                 for gi, pi in zip(gr, r[0])) for gr, r in zip(g, rows)])
        glsm = np.array([as_float(D(gi) - pi * sum(D(v) for v in gr) for gi, pi in zip(gr, r[0]))
                         for gr, r in zip(g, rows)])
    # ``x - max`` is rounded to float64 (error <= 1 ulp of |x - max|) before exp/log see it
    shift = np.abs(x - x.max(axis=1, keepdims=True))
    for axis, name in ((-1, "softmax"), (1, "log_softmax")):
        t = Tensor(x, requires_grad=True)
        with strict():
            y = getattr(t, name)(axis=axis)
            y.backward(g)
        if name == "softmax":
            check(y, p, name, 4 * EPS * (1 + shift), 1e-300)
            np.testing.assert_allclose(y.data.sum(axis=1), 1.0, rtol=8 * EPS)
            check(t.grad, gsm, "softmax'", 1e-12 * (1 + shift), 8 * EPS)
        else:
            check(y, logp, name, 4 * EPS, 4 * EPS * (1 + shift))
            assert (y.data <= 0).all()
            check(t.grad, glsm, "log_softmax'", 1e-12, 8 * EPS * x.shape[1])


def test_softmax_of_widely_separated_logits_is_one_hot_and_log_softmax_is_exact():
    x = Tensor([[1e300, -1e300, 0.0], [-5e3, 5e3, 4999.0]], requires_grad=True)
    with strict():
        p = F.softmax(x, axis=1)
        lp = F.log_softmax(x, axis=1)
        (lp * Tensor([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0]])).sum().backward()
    np.testing.assert_array_equal(p.data[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(lp.data[0], [0.0, -2e300, -1e300])
    c = np.log1p(np.exp(-1.0))  # logsumexp of row 1 is 5e3 + c
    np.testing.assert_allclose(lp.data[1], [-1e4 - c, -c, -1 - c], rtol=4 * EPS)
    np.testing.assert_allclose(x.grad.data[0], [1 - 6, 2, 3], rtol=0)  # g - softmax * sum(g)


# ------------------------------------------------------------------------ losses
@given(x=hnp.arrays(np.float64, ROWS, elements=EXTREME), data=st.data())
def test_bce_with_logits_and_its_gradient_at_extreme_logits(x, data):
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.sampled_from([0.0, 1.0]) | st.floats(0, 1)))
    with exact():
        loss = as_float(D(b) * softplus(-D(a)) + (1 - D(b)) * softplus(D(a)) for a, b in zip(x.ravel(), y.ravel()))
        grad = as_float(ref_sigmoid(a)[0] - D(b) for a, b in zip(x.ravel(), y.ravel()))
    t = Tensor(x, requires_grad=True)
    with strict():
        per = F.binary_cross_entropy_with_logits(t, y, reduction="none")
        F.binary_cross_entropy_with_logits(t, y, reduction="sum").backward()
        mean = F.binary_cross_entropy_with_logits(Tensor(x), y)
    # (1 - y) x + softplus(-x) forms terms as large as |x|: the error is a few ulps of |x|
    check(per, loss.reshape(x.shape), "bce_with_logits", 8 * EPS, 8 * EPS * (1 + np.abs(x)))
    check(mean, loss.mean(), "bce_with_logits mean", 8 * EPS, 8 * EPS * (1 + np.abs(x).max()))
    check(t.grad, grad.reshape(x.shape), "bce_with_logits'", 1e-12, 4 * EPS)


@given(x=hnp.arrays(np.float64, ROWS, elements=EXTREME), data=st.data())
def test_cross_entropy_and_its_gradient_at_extreme_logits(x, data):
    n, c = x.shape
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    with exact():
        rows = [ref_softmax_row(r) for r in x]
        loss = as_float(-r[1][k] for r, k in zip(rows, target))
        grad = np.array([as_float((pj - (j == k)) / n for j, pj in enumerate(r[0])) for r, k in zip(rows, target)])
    t = Tensor(x, requires_grad=True)
    with strict():
        per = F.cross_entropy(t, target, reduction="none")
        F.cross_entropy(t, target).backward()
    shift = np.abs(x - x.max(axis=1, keepdims=True)).max(axis=1)
    check(per, loss, "cross_entropy", 4 * EPS, 4 * EPS * (1 + shift))
    check(t.grad, grad, "cross_entropy'", 1e-12 * (1 + shift[:, None]), 4 * EPS)


def test_bce_on_saturated_probabilities_is_clamped_like_pytorch():
    # sigmoid(+-1e4) is exactly 1 and 0: PyTorch clamps the logs at -100 and floors x(1 - x) at 1e-12
    x = Tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    with strict():
        p = x.sigmoid()
        p.retain_grad()
        loss = F.binary_cross_entropy(p, y, reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])
    np.testing.assert_allclose(p.grad.data, [1 / 1e-12, -1 / 1e-12, 0.0, 0.0], rtol=1e-7)  # 1e-12 as float32
    np.testing.assert_array_equal(x.grad.data, np.zeros(4))  # times sigmoid' = 0: finite, no nan


@given(x=hnp.arrays(np.float32, ROWS, elements=st.floats(-1e4, 1e4, width=32)), data=st.data())
def test_float32_stays_float32_and_finite_at_extreme_inputs(x, data):
    n, c = x.shape
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    x64 = x.astype(np.float64)
    with exact():
        p = np.array([as_float(ref_softmax_row(r)[0]) for r in x64])
        s = as_float(ref_sigmoid(v)[0] for v in x64.ravel()).reshape(x.shape)
    eps32 = float(np.finfo(np.float32).eps)
    shift = np.abs(x64 - x64.max(axis=1, keepdims=True))
    with strict():
        outs = {
            "sigmoid": Tensor(x, requires_grad=True),
            "tanh": Tensor(x, requires_grad=True),
            "softmax": Tensor(x, requires_grad=True),
            "log_softmax": Tensor(x, requires_grad=True),
        }
        ys = {name: getattr(t, name)() for name, t in outs.items()}
        for y in ys.values():
            y.sum().backward()
        z = Tensor(x, requires_grad=True)
        ce = F.cross_entropy(z, target) + F.binary_cross_entropy_with_logits(z, (x > 0).astype(np.float32))
        ce.backward()
    for name, y in ys.items():
        assert y.dtype == np.float32 and outs[name].grad.dtype == np.float32, name
        assert np.isfinite(y.data).all() and np.isfinite(outs[name].grad.data).all(), name
    assert ce.dtype == np.float32 and z.grad.dtype == np.float32 and np.isfinite(z.grad.data).all()
    check(ys["sigmoid"], s, "sigmoid float32", 4 * eps32, 1e-38)
    check(ys["softmax"], p, "softmax float32", 4 * eps32 * (1 + shift), 1e-38)


# ------------------------------------------------------------------------ log/sqrt at 0, anomaly mode
def test_log_and_sqrt_at_zero_give_numpys_values_and_a_silent_inf_gradient():
    """Forward is NumPy's (values and warnings); backward gives the limits (+inf) silently,
    as PyTorch does: detect_anomaly() is the tool that reports them."""
    zero = np.array([0.0, 1.0])
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in log"):
        expected = np.log(zero)
    x = Tensor(zero, requires_grad=True)
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in log"):
        y = x.log()
    np.testing.assert_array_equal(y.data, expected)  # -inf, 0
    with strict():
        y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [np.inf, 1.0])  # 1/x at 0: +inf
    x = Tensor(zero, requires_grad=True)
    with strict():
        r = x.sqrt()  # sqrt(0) = 0 with no warning, as np.sqrt
        r.sum().backward()
    np.testing.assert_array_equal(r.data, np.sqrt(zero))
    np.testing.assert_array_equal(x.grad.data, [np.inf, 0.5])  # 1 / (2 sqrt x)
    with pytest.warns(RuntimeWarning, match="invalid value encountered in log"):
        neg = Tensor([-1.0]).log()
    assert np.isnan(neg.data[0])


def _line(offset: int = -1) -> int:
    return sys._getframe(1).f_lineno + offset


@pytest.mark.parametrize("kind", ["inf", "nan"])
def test_detect_anomaly_names_the_op_and_the_line_that_created_it(kind):
    x = Tensor([0.0, 4.0], requires_grad=True)
    with autograd.detect_anomaly():
        with np.errstate(divide="ignore", invalid="ignore"):  # NumPy's forward warnings: log(0), -inf * 0
            h = x.sqrt() if kind == "inf" else x.log() * 0.0  # sqrt'(0) = inf; log'(0) * 0 = nan
            made = _line()
        y = (h * 3.0).sum()
        with strict(), pytest.raises(RuntimeError) as info:
            y.backward()
    op = "Sqrt" if kind == "inf" else "Log"
    msg = str(info.value)
    assert f"Function '{op}Backward' returned {kind} values" in msg
    assert f'File "{__file__}", line {made}, in test_detect_anomaly_names_the_op_and_the_line_that_created_it' in msg
    assert x.grad is None  # raised before the bad gradient reached the leaf


def test_detect_anomaly_names_the_users_line_for_an_op_made_inside_a_module():
    import nn

    layer = nn.Linear(2, 2)
    with autograd.no_grad():
        layer.weight[0, 0] = np.inf
    with autograd.detect_anomaly():
        out = layer(Tensor([[1.0, 0.0]], requires_grad=True))  # the Linear op is made in nn, called here
        made = _line()
        with strict(), pytest.raises(RuntimeError) as info:
            out[:, 1].sum().backward()  # d out / d x = g @ weight, with 0 * inf = nan
    msg = str(info.value)
    assert "LinearBackward" in msg and f'File "{__file__}", line {made}' in msg


def test_without_detect_anomaly_the_same_backward_passes_silently():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = (x.log() * 0.0).sum()
    with strict():
        y.backward()
    assert np.isnan(x.grad.data[0]) and x.grad.data[1] == 0.0
