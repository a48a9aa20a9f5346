"""Optimizers as a user meets them: param groups, in-place updates, gradients
left alone, skipped parameters, dtypes, zero_grad, closures, training with
autograd, and every validation error (which must name the bad value and
leave nothing half-changed)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import optim
from autograd import Tensor
from optim import lr_scheduler


# -------------------------------------------------------- param groups
def test_param_groups_use_their_own_learning_rates():
    a = Tensor(np.zeros(3), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    g = np.array([1.0, -2.0, 3.0])
    a.grad, b.grad = Tensor(g.copy()), Tensor(g.copy())
    opt.step()
    np.testing.assert_allclose(a.data, -0.1 * g)
    np.testing.assert_allclose(b.data, -0.5 * g)


def test_param_groups_fill_missing_hyperparameters_from_defaults():
    a = Tensor(np.zeros(3), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    opt = optim.Adam([{"params": [a], "betas": [0.5, 0.6]}, {"params": b}], lr=0.1,
                     amsgrad=True)
    assert opt.param_groups[0]["betas"] == (0.5, 0.6)
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    assert all(g["amsgrad"] is True and g["lr"] == 0.1 for g in opt.param_groups)
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is b


def test_add_param_group():
    a = Tensor(np.zeros(2), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.01
    b.grad = Tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(b.data, [-0.01, -0.01])
    np.testing.assert_array_equal(a.data, [0.0, 0.0])


def test_generators_and_named_parameters_are_accepted():
    ps = [Tensor(np.ones(2), requires_grad=True) for _ in range(3)]
    opt = optim.SGD((p for p in ps), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 3
    named = optim.SGD([("w", ps[0]), ("b", ps[1])], lr=0.1)
    assert named.param_groups[0]["param_names"] == ["w", "b"]
    assert named.param_groups[0]["params"][0] is ps[0]
    assert named.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


# --------------------------------------------- in place, grads, dtype, skip
ALL_OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    (optim.SGDM, {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    (optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
]
OPT_IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(ALL_OPTIMIZERS)]


@pytest.mark.parametrize(("cls", "kwargs"), ALL_OPTIMIZERS, ids=OPT_IDS)
def test_step_updates_in_place_and_never_touches_the_gradient(cls, kwargs):
    p = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    array, version = p.data, p._version
    grad_array = np.array([0.5, 0.25, -1.0])
    p.grad = Tensor(grad_array)
    grad_tensor, grad_data = p.grad, p.grad.data
    opt = cls([p], **kwargs)
    opt.step()
    assert p.data is array  # same ndarray: views and references see the update
    assert p._version != version  # autograd is told about the in-place change
    assert not np.allclose(p.data, [1.0, -2.0, 3.0])
    assert p.grad is grad_tensor and p.grad.data is grad_data
    np.testing.assert_array_equal(p.grad.data, [0.5, 0.25, -1.0])
    # No state aliases the gradient: changing it afterwards changes nothing saved.
    saved = opt.state_dict()
    grad_data *= 100.0
    for key, value in opt.state[p].items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, saved["state"][0][key])
            assert not np.shares_memory(value, grad_data)


@pytest.mark.parametrize(("cls", "kwargs"), ALL_OPTIMIZERS, ids=OPT_IDS)
def test_parameter_without_gradient_is_skipped_and_gets_no_state(cls, kwargs):
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    b_array, b_version = b.data, b._version
    opt = cls([a, b], **kwargs)
    a.grad = Tensor(np.array([0.3, -0.2]))
    for _ in range(3):
        opt.step()
    assert b not in opt.state
    assert all(p is not b for p in opt.state)
    assert b.data is b_array and b._version == b_version
    np.testing.assert_array_equal(b.data, [3.0, 4.0])
    assert not np.allclose(a.data, [1.0, 2.0])
    assert list(opt.state_dict()["state"]) == ([0] if opt.state.get(a) else [])


@pytest.mark.parametrize(("cls", "kwargs"), ALL_OPTIMIZERS, ids=OPT_IDS)
def test_float32_parameters_stay_float32(cls, kwargs):
    p = Tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
    opt = cls([p], **{k: (np.float64(v) if k == "lr" else v) for k, v in kwargs.items()})
    for _ in range(3):
        p.grad = Tensor(np.array([0.5, 0.25, -1.0], dtype=np.float32))
        opt.step()
    assert p.data.dtype == np.float32
    for value in opt.state[p].values() if p in opt.state else []:
        assert not isinstance(value, np.ndarray) or value.dtype == np.float32


def test_float32_update_is_computed_in_float32():
    # A float64 computation rounded once at the end would differ from PyTorch's
    # float32 arithmetic; compare with the update done step by step in float32.
    p = Tensor(np.array([1.1, -2.3, 3.7], dtype=np.float32), requires_grad=True)
    g = np.array([0.3, 0.7, -1.9], dtype=np.float32)
    p.grad = Tensor(g)
    optim.SGD([p], lr=np.float64(0.1), weight_decay=0.3).step()
    expected = np.array([1.1, -2.3, 3.7], dtype=np.float32)
    expected = expected + np.float32(-0.1) * (g + np.float32(0.3) * expected)
    np.testing.assert_array_equal(p.data, expected)


def test_zero_grad_sets_gradients_to_none():
    ps = [Tensor(np.ones(2), requires_grad=True) for _ in range(2)]
    opt = optim.SGD(ps, lr=0.1)
    for p in ps:
        p.grad = Tensor(np.ones(2))
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


def test_zero_grad_without_set_to_none_gives_fresh_zero_gradients():
    p = Tensor(np.ones(2), requires_grad=True)
    old = Tensor(np.array([3.0, 4.0]))
    p.grad = old
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])
    np.testing.assert_array_equal(old.data, [3.0, 4.0])


def test_step_returns_the_closures_loss():
    p = Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.25)
    calls = []

    def closure():
        calls.append(1)
        p.grad = Tensor(2 * p.data)
        return float((p.data**2).sum())

    assert opt.step(closure) == 4.0
    assert calls == [1]
    np.testing.assert_allclose(p.data, [1.0])


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (optim.SGD, {"lr": 0.1}),
        (optim.SGDM, {"lr": 0.05, "nesterov": True}),
        (optim.RMSprop, {"lr": 0.01, "centered": True}),
        (optim.Adam, {"lr": 0.1, "amsgrad": True}),
        (optim.AdamW, {"lr": 0.1}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else "",
)
def test_training_a_model_with_autograd_reduces_the_loss(cls, kwargs):
    rng = np.random.default_rng(1)
    x = Tensor(rng.normal(size=(32, 3)))
    y = Tensor(x.data @ np.array([[1.0], [-2.0], [0.5]]) + 0.3)
    w = Tensor(np.zeros((3, 1)), requires_grad=True)
    b = Tensor(np.zeros(1), requires_grad=True)
    opt = cls([w, b], **kwargs)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_backward_through_a_graph_that_saved_a_stepped_parameter_is_refused():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (w * w).sum()  # saves w for backward
    w.grad = Tensor(np.ones(2))
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError):
        loss.backward()


# ------------------------------------------------------------ validation
def _p():
    return Tensor(np.zeros(2), requires_grad=True)


BAD_ARGUMENTS = [
    (optim.SGD, {"lr": -0.1}, ValueError, r"-0\.1"),
    (optim.SGD, {"lr": float("nan")}, ValueError, "nan"),
    (optim.SGD, {"momentum": -0.5}, ValueError, r"-0\.5"),
    (optim.SGD, {"weight_decay": -1e-4}, ValueError, r"-0\.0001"),
    (optim.SGD, {"nesterov": True}, ValueError, "momentum=0"),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, ValueError,
     r"dampening=0\.1"),
    (optim.SGD, {"nesterov": 0.5}, TypeError, r"nesterov.*0\.5"),
    (optim.SGD, {"lr": "fast"}, TypeError, "fast"),
    (optim.SGDM, {"momentum": -0.9}, ValueError, r"-0\.9"),
    (optim.RMSprop, {"lr": -1.0}, ValueError, r"-1\.0"),
    (optim.RMSprop, {"alpha": -0.99}, ValueError, r"-0\.99"),
    (optim.RMSprop, {"eps": -1e-8}, ValueError, "-1e-08"),
    (optim.RMSprop, {"momentum": -0.1}, ValueError, r"-0\.1"),
    (optim.RMSprop, {"weight_decay": -0.1}, ValueError, r"-0\.1"),
    (optim.RMSprop, {"centered": "yes"}, TypeError, "yes"),
    (optim.Adam, {"lr": -1e-3}, ValueError, r"-0\.001"),
    (optim.Adam, {"betas": (1.0, 0.999)}, ValueError, r"index 0: 1\.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, ValueError, r"index 1: -0\.1"),
    (optim.Adam, {"betas": (0.9, 1.5)}, ValueError, r"1\.5"),
    (optim.Adam, {"betas": (0.9,)}, ValueError, r"\(0\.9,\)"),
    (optim.Adam, {"eps": -1.0}, ValueError, r"-1\.0"),
    (optim.Adam, {"weight_decay": -0.01}, ValueError, r"-0\.01"),
    (optim.Adam, {"amsgrad": 1}, TypeError, "amsgrad"),
    (optim.AdamW, {"weight_decay": -0.01}, ValueError, r"-0\.01"),
    (optim.AdamW, {"betas": (0.9, 1.0)}, ValueError, r"index 1: 1\.0"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS,
                         ids=[f"{c.__name__}-{k}" for c, k, _, _ in BAD_ARGUMENTS])
def test_bad_hyperparameters_are_refused_naming_the_value(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls([_p()], **kwargs)


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS,
                         ids=[f"{c.__name__}-{k}" for c, k, _, _ in BAD_ARGUMENTS])
def test_bad_hyperparameters_in_a_group_are_refused_too(cls, kwargs, error, match):
    good = {"params": [_p()]}
    bad = {"params": [_p()], **kwargs}
    snapshot = dict(bad)
    with pytest.raises(error, match=match):
        cls([good, bad])
    assert bad == snapshot  # the caller's dict is not filled in
    opt = cls([good])
    with pytest.raises(error, match=match):
        opt.add_param_group(bad)
    assert len(opt.param_groups) == 1


def test_pytorch_positional_order_for_sgd_fails_loudly():
    # PyTorch: SGD(params, lr, momentum, dampening, weight_decay, nesterov);
    # the project API puts nesterov before weight_decay.
    with pytest.raises(TypeError, match="must be"):
        optim.SGD([_p()], 0.1, 0.9, 0, 1e-4, True)
    with pytest.raises(TypeError, match=r"nesterov must be a bool, got 0\.0001"):
        optim.SGD([_p()], 0.1, 0.9, 0, 1e-4)
    opt = optim.SGD([_p()], 0.1, 0.9, 0, True, 1e-4)
    assert opt.defaults["nesterov"] is True and opt.defaults["weight_decay"] == 1e-4


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ([], ValueError, "empty parameter list"),
        ((p for p in []), ValueError, "empty parameter list"),
        ([{"params": []}], ValueError, "no parameters"),
        ([np.zeros(2)], TypeError, "ndarray"),
        ([{"lr": 0.1}], ValueError, "'params'"),
        ({_p()}, TypeError, "ordered collections"),
        ([{"params": {_p()}}], TypeError, "ordered collections"),
    ],
)
def test_bad_parameter_lists_are_refused(params, error, match):
    with pytest.raises(error, match=match):
        optim.SGD(params, lr=0.1)


def test_a_tensor_instead_of_a_list_is_refused():
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(_p(), lr=0.1)


def test_non_leaf_tensors_are_refused():
    a = _p()
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)


def test_duplicate_parameters_are_refused():
    a, b = _p(), _p()
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [b, a]}], lr=0.1)
    with pytest.raises(ValueError, match="duplicate"):
        optim.SGD([a, b, a], lr=0.1)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [b, a]})
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["params"][0] is a


def test_gradient_of_the_wrong_shape_is_refused_before_any_change():
    a, b = _p(), _p()
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = Tensor(np.ones(2))
    b.grad = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        opt.step()
    np.testing.assert_array_equal(a.data, [0.0, 0.0])
    np.testing.assert_array_equal(b.data, [0.0, 0.0])
    assert len(opt.state) == 0


def test_repr_lists_the_groups():
    text = repr(optim.Adam([_p()], lr=0.5))
    assert text.startswith("Adam (") and "lr: 0.5" in text and "Parameter Group 0" in text


def test_lr_scheduler_module_is_exported():
    assert optim.lr_scheduler is lr_scheduler
    assert math.isclose(optim.SGD([_p()], lr=0.2).param_groups[0]["lr"], 0.2)


def test_a_user_defined_optimizer_can_build_on_the_base_class():
    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self.state[p]["count"] = self.state[p].get("count", 0) + 1
                        p.data -= group["lr"] * np.sign(p.grad.data)
                        p._bump_version()

    a, b = _p(), _p()
    opt = SignSGD([{"params": [a]}, {"params": [b], "lr": 1.0}])
    a.grad = Tensor(np.array([3.0, -0.5]))
    b.grad = Tensor(np.array([-2.0, 0.0]))
    opt.step()
    np.testing.assert_allclose(a.data, [-0.1, 0.1])
    np.testing.assert_allclose(b.data, [1.0, 0.0])
    sd = opt.state_dict()
    assert sd["state"] == {0: {"count": 1}, 1: {"count": 1}}
    fresh = SignSGD([{"params": [_p()]}, {"params": [_p()], "lr": 1.0}])
    fresh.load_state_dict(sd)
    assert [s["count"] for s in fresh.state.values()] == [1, 1]
    with pytest.raises(NotImplementedError):
        optim.Optimizer([_p()], {"lr": 0.1}).step()


def test_optim_does_not_need_pytorch():
    code = (
        "import sys; sys.modules['torch'] = None\n"  # any 'import torch' now fails
        "import numpy as np, optim\n"
        "from autograd import Tensor\n"
        "p = Tensor(np.ones(2), requires_grad=True); p.grad = Tensor(np.ones(2))\n"
        "optim.Adam([p]).step(); print(p.data[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) == pytest.approx(0.999, abs=1e-9)
