"""Losses: formulas, fused single ops, stability at ±1000, validation, dtypes, second derivatives.
(Agreement with PyTorch's numbers is in test_nn_torch_parity.py.)"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, gradgradcheck
from nn import functional as F

RNG = np.random.default_rng(3)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize("cls", [nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss, nn.NLLLoss])
def test_reduction_is_validated_at_construction(cls) -> None:
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        cls(reduction="avg")


@pytest.mark.parametrize("fn", ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy"])
def test_functional_reduction_is_validated(fn) -> None:
    target = np.zeros(3, dtype=np.int64) if fn == "cross_entropy" else np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="got 'total'"):
        getattr(F, fn)(Tensor(np.full((3, 2), 0.5)), target, reduction="total")


@pytest.mark.parametrize("fn", ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_shape_mismatch_names_both_shapes(fn) -> None:
    with pytest.raises(ValueError, match=r"target shape \(4,\) differs from input shape \(4, 1\)"):
        getattr(F, fn)(Tensor(np.full((4, 1), 0.5)), np.full(4, 0.5))


def test_bce_refuses_values_outside_unit_interval_naming_the_range() -> None:
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\], got values in \[-0.5, 1.25\]"):
        F.binary_cross_entropy(Tensor(np.array([0.2, -0.5, 1.25])), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="NaN"):
        nn.BCELoss()(Tensor(np.array([0.2, np.nan])), np.array([0.0, 1.0]))


def test_cross_entropy_target_out_of_range_names_target_and_classes() -> None:
    z = Tensor(RNG.standard_normal((3, 4)))
    for bad in (4, -1):
        with pytest.raises(IndexError, match=rf"target {bad} is out of bounds for 4 classes"):
            F.cross_entropy(z, np.array([0, bad, 1]))
    with pytest.raises(ValueError, match="out of bounds for 4 classes"):  # also a ValueError
        nn.NLLLoss()(z, np.array([7, 0, 1]))
    # ignore_index is not out of range
    assert np.isfinite(F.cross_entropy(z, np.array([0, -100, 1])).item())


def test_cross_entropy_float_targets_are_a_type_error_naming_the_dtype() -> None:
    with pytest.raises(TypeError, match="integer class indices, got dtype float64"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="got dtype float32"):
        nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3))), Tensor(np.array([0.0, 1.0], dtype=np.float32)))


def test_cross_entropy_other_argument_errors() -> None:
    z = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not fit input shape \(2, 3\): expected \(2,\)"):
        F.cross_entropy(z, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\), got \(2,\)"):
        F.cross_entropy(z, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match="label_smoothing has to be between 0 and 1"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="does not broadcast"):
        F.binary_cross_entropy_with_logits(z, np.zeros((2, 3)), pos_weight=np.ones(2))


# ----------------------------------------------------------------------------- formulas
def test_mse_reductions() -> None:
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(F.mse_loss(Tensor(x), y).item(), ((x - y) ** 2).mean(), rtol=1e-14)
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(Tensor(x), y).item(), ((x - y) ** 2).sum(), rtol=1e-14)
    np.testing.assert_allclose(nn.MSELoss(reduction="none")(Tensor(x), y).data, (x - y) ** 2, rtol=1e-14)


def test_cross_entropy_is_one_op_with_softmax_minus_onehot_gradient() -> None:
    z = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    t = np.array([0, 2, 1, 2])
    loss = F.cross_entropy(z, t)
    assert loss.grad_fn.name == "CrossEntropy" and loss.grad_fn.inputs[0] is z  # no separate log-softmax node
    loss.backward()
    onehot = np.eye(3)[t]
    np.testing.assert_allclose(loss.item(), -np.log(softmax(z.data)[np.arange(4), t]).mean(), rtol=1e-14)
    np.testing.assert_allclose(z.grad.data, (softmax(z.data) - onehot) / 4, rtol=1e-13, atol=1e-16)


def test_cross_entropy_equals_nll_of_log_softmax() -> None:
    z = RNG.standard_normal((2, 5, 3))  # (N, C, d)
    t = RNG.integers(0, 5, (2, 3))
    w = RNG.uniform(0.5, 2, 5)
    for r in ("mean", "sum", "none"):
        a = F.cross_entropy(Tensor(z), t, weight=w, reduction=r)
        b = nn.NLLLoss(weight=w, reduction=r)(nn.LogSoftmax(axis=1)(Tensor(z)), t)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-13)


def test_label_smoothing_mixes_in_the_uniform_distribution() -> None:
    z = RNG.standard_normal((4, 3))
    t = np.array([0, 1, 2, 0])
    logp = np.log(softmax(z))
    q = 0.8 * np.eye(3)[t] + 0.2 / 3
    want = -(q * logp).sum(1).mean()
    np.testing.assert_allclose(F.cross_entropy(Tensor(z), t, label_smoothing=0.2).item(), want, rtol=1e-14)


def test_ignored_targets_drop_out_of_the_mean() -> None:
    z = RNG.standard_normal((4, 3))
    t = np.array([0, 5, 2, 5])
    got = F.cross_entropy(Tensor(z), t, ignore_index=5)
    want = F.cross_entropy(Tensor(z[[0, 2]]), t[[0, 2]])
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-14)
    with np.errstate(divide="raise", invalid="raise"):  # all ignored: nan mean (as PyTorch), zero sum, no warnings
        assert np.isnan(F.cross_entropy(Tensor(z), np.full(4, -100)).item())
        assert F.cross_entropy(Tensor(z), np.full(4, -100), reduction="sum").item() == 0


def test_bce_with_logits_equals_bce_of_sigmoid() -> None:
    x, y = RNG.standard_normal((3, 4)) * 2, RNG.uniform(0, 1, (3, 4))
    pw = np.array([1.0, 2.0, 0.5, 3.0])
    a = F.binary_cross_entropy_with_logits(Tensor(x), y, pos_weight=pw, reduction="none")
    p = 1 / (1 + np.exp(-x))
    want = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(a.data, want, rtol=1e-12)
    b = F.binary_cross_entropy(F.sigmoid(Tensor(x)), y, weight=pw, reduction="none")
    np.testing.assert_allclose(b.data, -pw * (y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-12)
    loss = F.binary_cross_entropy_with_logits(Tensor(x, requires_grad=True), y)
    assert loss.grad_fn.name == "BinaryCrossEntropyWithLogits"


def test_logits_of_plus_minus_1000_stay_finite_without_warnings() -> None:
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor(z, requires_grad=True)
        loss = F.cross_entropy(x, np.array([1, 2]), label_smoothing=0.1)
        loss.backward()
        assert np.isfinite(x.grad.data).all()
        lse1 = 1000 + np.log1p(np.exp(-1.0))  # logsumexp of row 1; row 0's is 1000
        row0 = 0.9 * 2000 + 0.1 / 3 * (0 + 2000 + 1000)
        row1 = 0.9 * (lse1 - 999) + 0.1 / 3 * ((lse1 + 1000) + (lse1 - 1000) + (lse1 - 999))
        np.testing.assert_allclose(loss.item(), (row0 + row1) / 2, rtol=1e-13)

        x2 = Tensor(z, requires_grad=True)
        y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
        loss2 = F.binary_cross_entropy_with_logits(x2, y, reduction="sum", pos_weight=np.array([2.0, 1.0, 1.0]))
        loss2.backward()
        # a negative at +1000 costs 1000, a positive at -1000 pos_weight * 1000, at 0 log 2, at 999 ~0
        np.testing.assert_allclose(loss2.item(), 1000 + 1000 + np.log(2) + 2 * 1000 + 1000 + 0, rtol=1e-12)
        np.testing.assert_array_equal(x2.grad.data, [[1.0, -1.0, -0.5], [-2.0, 1.0, 0.0]])


# ----------------------------------------------------------------------------- higher order
def test_cross_entropy_hessian_is_diag_p_minus_ppT() -> None:
    z = Tensor(RNG.standard_normal(4), requires_grad=True)
    (g,) = autograd.grad(F.cross_entropy(z, np.array(2)), [z], create_graph=True)
    p = softmax(z.data)
    hess = np.stack([autograd.grad(g[i], [z], retain_graph=True)[0].data for i in range(4)])
    np.testing.assert_allclose(hess, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y: F.binary_cross_entropy(F.sigmoid(x), F.sigmoid(y), weight=np.array([1.0, 2.0, 0.5])),
        lambda x, y: F.binary_cross_entropy_with_logits(x, F.sigmoid(y), pos_weight=np.array([1.0, 2.0, 0.5]), reduction="sum"),
        lambda x, y: F.mse_loss(x, y, reduction="none"),
        lambda x, y: F.cross_entropy(x * y, np.array([0, 2]), weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.1),
        lambda x, y: F.nll_loss(F.log_softmax(x + y, axis=1), np.array([1, 2]), reduction="sum"),
    ],
)
def test_losses_are_twice_differentiable_in_compositions(fn) -> None:
    x = Tensor(RNG.uniform(-1.5, 1.5, (2, 3)), requires_grad=True)
    y = Tensor(RNG.uniform(-1.5, 1.5, (2, 3)), requires_grad=True)
    assert gradgradcheck(fn, [x, y])


# ----------------------------------------------------------------------------- dtypes and targets
@pytest.mark.parametrize(
    ("loss", "target"),
    [
        (nn.MSELoss(), np.zeros((3, 4))),
        (nn.BCELoss(weight=np.ones(4)), np.ones((3, 4))),
        (nn.BCEWithLogitsLoss(pos_weight=np.ones(4)), np.ones((3, 4), dtype=np.int64)),
        (nn.CrossEntropyLoss(weight=np.ones(4), label_smoothing=0.1), np.array([0, 1, 3])),
        (nn.NLLLoss(weight=np.ones(4)), np.array([0, 1, 3])),
    ],
)
def test_float32_inputs_give_float32_losses_and_gradients(loss, target) -> None:
    x = Tensor(RNG.uniform(0.1, 0.9, (3, 4)).astype(np.float32), requires_grad=True)
    out = loss(x, target)  # float64 / int targets and weights do not upcast
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_targets_may_be_lists_and_tensors_and_get_gradients() -> None:
    x = Tensor(np.array([0.3, 0.6]), requires_grad=True)
    assert F.mse_loss(x, [0.0, 1.0]).item() == pytest.approx((0.09 + 0.16) / 2)
    y = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    F.mse_loss(x, y).backward()
    np.testing.assert_allclose(y.grad.data, -x.grad.data)
    np.testing.assert_allclose(x.grad.data, [0.3, -0.4])


def test_weighted_losses_keep_weights_as_buffers_like_pytorch() -> None:
    loss = nn.CrossEntropyLoss(weight=[1, 2, 3])
    assert list(loss.state_dict()) == ["weight"] and list(loss.parameters()) == []
    assert loss.weight.dtype == np.float64
    assert list(nn.BCEWithLogitsLoss(pos_weight=np.ones(2)).state_dict()) == ["pos_weight"]
    assert list(nn.MSELoss().state_dict()) == []
