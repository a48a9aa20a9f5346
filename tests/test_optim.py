"""Optimizers: trajectories against PyTorch and against the documented algorithms.

Two independent references for every optimizer and option combination:

* ``tests/fixtures/optim_torch.npz``, written by ``tools/make_optim_fixtures.py``
  with PyTorch itself (the tests never import torch);
* a plain step-by-step transcription of the algorithm boxes in PyTorch's
  documentation, below (``reference_*``), written without looking at
  ``optim``'s code and sharing none of it.

Float64 trajectories must agree to 1e-12 over 30 steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import optim
from autograd import Tensor
from optim import lr_scheduler

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "optim_torch.npz")
CASES = json.loads(FIXTURE["__optim_cases__"].tobytes())
META = json.loads(FIXTURE["__meta__"].tobytes())
STEPS = META["steps"]
COUPLING = META["coupling"]
INITS = [FIXTURE["__init__/0"], FIXTURE["__init__/1"]]
GRADS = [FIXTURE["__grads__/0"], FIXTURE["__grads__/1"]]
TOL64 = {"rtol": 1e-12, "atol": 1e-12}
TOL32 = {"rtol": 2e-6, "atol": 2e-6}


def _params(dtype: str = "float64") -> list[Tensor]:
    return [Tensor(x.astype(dtype), requires_grad=True) for x in INITS]


def _build(case: dict, params: list[Tensor]) -> optim.Optimizer:
    if case["groups"] is None:
        spec: list = params
    else:
        spec = [{**g, "params": [params[i] for i in g["params"]]} for g in case["groups"]]
    return getattr(optim, case["cls"])(spec, **case["kwargs"])


def _set_grads(params: list[Tensor], t: int) -> None:
    for p, g in zip(params, GRADS):
        p.grad = Tensor(g[t].astype(p.data.dtype) + COUPLING * p.data)


def _flat(params: list[Tensor]) -> np.ndarray:
    return np.concatenate([p.data.reshape(-1) for p in params])


def _run(case: dict) -> tuple[np.ndarray, optim.Optimizer, list[Tensor], list]:
    params = _params(case["dtype"])
    opt = _build(case, params)
    sched = None
    if case["sched"] is not None:
        sched = getattr(lr_scheduler, case["sched"]["cls"])(opt, **case["sched"]["kwargs"])
    traj, lrs = [_flat(params)], [[g["lr"] for g in opt.param_groups]]
    for t in range(STEPS):
        _set_grads(params, t)
        opt.step()
        if sched is not None:
            sched.step()
        traj.append(_flat(params))
        lrs.append([g["lr"] for g in opt.param_groups])
    return np.stack(traj), opt, params, lrs


# ------------------------------------------------ the documented algorithms
# Each takes the starting weights and ``grad_fn(t, theta)`` (the gradient at
# step t, 0-based, for the current weights) and returns the weights after
# every step, starting weights first.


def reference_sgd(theta, grad_fn, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
                  weight_decay=0.0, maximize=False):
    """PyTorch docs' SGD box. (The box adds weight decay before the sign flip of
    ``maximize``; PyTorch's code negates the gradient first, and so do we.)"""
    out, b = [theta], None
    for t in range(STEPS):
        g = grad_fn(t, theta)
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            b = g.copy() if t == 0 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        out.append(theta)
    return out


def reference_rmsprop(theta, grad_fn, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                      momentum=0.0, centered=False, maximize=False):
    """PyTorch docs' RMSprop box."""
    out = [theta]
    v, g_ave, b = (np.zeros_like(theta) for _ in range(3))
    for t in range(STEPS):
        g = grad_fn(t, theta)
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = g_ave * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
        out.append(theta)
    return out


def reference_adam(theta, grad_fn, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, maximize=False, decoupled=False):
    """PyTorch docs' Adam box, and AdamW's box when ``decoupled``."""
    beta1, beta2 = betas
    out = [theta]
    m, v, v_max = (np.zeros_like(theta) for _ in range(3))
    for t in range(1, STEPS + 1):
        g = grad_fn(t - 1, theta)
        if maximize:
            g = -g
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay != 0:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


REFERENCES = {
    "SGD": (reference_sgd, {}),
    "SGDM": (reference_sgd, {"momentum": 0.9}),
    "RMSprop": (reference_rmsprop, {}),
    "Adam": (reference_adam, {}),
    "AdamW": (reference_adam, {"weight_decay": 1e-2, "decoupled": True}),
}


def _reference_run(case: dict) -> np.ndarray:
    """The documented algorithm's trajectory for a fixture case (param by param:
    each parameter's gradient depends only on its own weights)."""
    fn, defaults = REFERENCES[case["cls"]]
    trajs = []
    for i, theta0 in enumerate(INITS):
        hyper = {**defaults, **case["kwargs"]}
        for g in case["groups"] or []:
            if i in g["params"]:
                hyper.update({k: v for k, v in g.items() if k != "params"})
        if hyper.pop("decoupled_weight_decay", False):
            hyper["decoupled"] = True
        fixed = GRADS[i]
        trajs.append(fn(theta0.copy(), lambda t, th, fixed=fixed: fixed[t] + COUPLING * th,
                        **hyper))
    return np.stack([np.concatenate([t[k].reshape(-1) for t in trajs]) for k in range(STEPS + 1)])


# ----------------------------------------------------------- the fixtures
def test_fixture_covers_every_optimizer_and_option():
    seen = {(c["cls"], k) for c in CASES for k in c["kwargs"]}
    seen |= {(c["cls"], k) for c in CASES for g in c["groups"] or [] for k in g}
    expected = {
        ("SGD", "momentum"), ("SGD", "dampening"), ("SGD", "nesterov"),
        ("SGD", "weight_decay"), ("SGD", "maximize"), ("SGD", "params"), ("SGDM", "lr"),
        ("RMSprop", "alpha"), ("RMSprop", "eps"), ("RMSprop", "centered"),
        ("RMSprop", "momentum"), ("RMSprop", "weight_decay"), ("RMSprop", "maximize"),
        ("RMSprop", "params"), ("Adam", "betas"), ("Adam", "eps"), ("Adam", "weight_decay"),
        ("Adam", "amsgrad"), ("Adam", "maximize"), ("Adam", "decoupled_weight_decay"),
        ("Adam", "params"), ("AdamW", "weight_decay"), ("AdamW", "amsgrad"),
        ("AdamW", "params"),
    }
    assert expected <= seen, expected - seen
    assert {c["cls"] for c in CASES if c["dtype"] == "float32"} >= {"SGD", "RMSprop", "Adam", "AdamW"}
    assert {c["cls"] for c in CASES if not c["kwargs"]} >= {"SGD", "RMSprop", "Adam", "AdamW"}
    assert STEPS >= 20
    assert all(f"{c['name']}/traj" in FIXTURE for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_trajectory_matches_pytorch(case):
    traj, _, params, lrs = _run(case)
    expected = FIXTURE[f"{case['name']}/traj"]
    assert traj.dtype == np.dtype(case["dtype"])
    assert all(p.data.dtype == np.dtype(case["dtype"]) for p in params)
    assert not np.allclose(traj[-1], traj[0])  # the case does move the weights
    np.testing.assert_allclose(traj, expected, **(TOL64 if case["dtype"] == "float64" else TOL32))
    if case["sched"] is not None:
        np.testing.assert_allclose(np.array(lrs), FIXTURE[f"{case['name']}/lrs"], **TOL64)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_final_state_matches_pytorch(case):
    _, opt, params, _ = _run(case)
    tol = TOL64 if case["dtype"] == "float64" else TOL32
    for i, p in enumerate(params):
        prefix = f"{case['name']}/state/{i}/"
        expected = {k[len(prefix):]: FIXTURE[k] for k in FIXTURE.files if k.startswith(prefix)}
        state = opt.state.get(p, {})
        assert set(state) == set(expected)  # same keys, named as PyTorch names them
        for key, value in expected.items():
            if key == "step":
                assert state[key] == float(value) == STEPS
            else:
                assert state[key].dtype == p.data.dtype
                np.testing.assert_allclose(state[key], value, **tol)


REFERENCE_CASES = [c for c in CASES if c["dtype"] == "float64" and c["sched"] is None]


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[c["name"] for c in REFERENCE_CASES])
def test_trajectory_matches_documented_algorithm(case):
    traj, *_ = _run(case)
    reference = _reference_run(case)
    np.testing.assert_allclose(traj, reference, **TOL64)
    # The fixture and the reference agree too: the two references are consistent.
    np.testing.assert_allclose(reference, FIXTURE[f"{case['name']}/traj"], **TOL64)


# ------------------------------------------------------------ pure functions
def test_pure_update_functions_do_not_modify_their_inputs():
    rng = np.random.default_rng(0)
    p, g, a, b, c = (rng.normal(size=4) for _ in range(5))
    b = np.abs(b) + 5.0  # a square average that dominates the squared mean
    c = np.abs(c)
    copies = [x.copy() for x in (p, g, a, b, c)]
    new_p, buf = optim.sgd_update(p, g, a, lr=0.1, momentum=0.9, weight_decay=0.1)
    np.testing.assert_allclose(buf, 0.9 * a + (g + 0.1 * p))
    new_p2, sq, gavg, mbuf = optim.rmsprop_update(p, g, b, a, c, lr=0.1, centered=True,
                                                  momentum=0.5, weight_decay=0.1)
    new_p3, m, v, vmax = optim.adam_update(p, g, a, b, c, 3.0, lr=0.1, amsgrad=True,
                                           weight_decay=0.1, maximize=True)
    for x, original in zip((p, g, a, b, c), copies):
        np.testing.assert_array_equal(x, original)
    assert not np.allclose(new_p, p) and not np.allclose(new_p2, p) and not np.allclose(new_p3, p)
    assert np.all(vmax >= c) and np.all(vmax >= v)


def test_sgd_first_momentum_buffer_is_an_undampened_copy_of_the_gradient():
    p = np.array([1.0, 2.0])
    g = np.array([0.5, -1.0])
    _, buf = optim.sgd_update(p, g, None, lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_array_equal(buf, g)
    assert buf is not g
    _, buf2 = optim.sgd_update(p, g, buf, lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(buf2, 0.9 * g + 0.5 * g)


def test_adam_first_step_moves_each_weight_by_about_lr():
    # With bias correction the first Adam step is lr * g / (|g| + eps'): ~lr * sign(g).
    p = np.zeros(3)
    g = np.array([1e-3, -5.0, 200.0])
    new_p, *_ = optim.adam_update(p, g, np.zeros(3), np.zeros(3), None, 1.0, lr=0.01)
    np.testing.assert_allclose(new_p, -0.01 * np.sign(g), rtol=1e-4)


def test_rmsprop_adds_eps_after_the_square_root():
    p = np.zeros(1)
    g = np.array([1e-4])
    new_p, sq, *_ = optim.rmsprop_update(p, g, np.zeros(1), lr=1.0, alpha=0.0, eps=1e-4)
    # alpha = 0 makes square_avg = g**2, so the step is g / (|g| + eps) = 0.5.
    np.testing.assert_allclose(sq, g**2)
    np.testing.assert_allclose(new_p, [-0.5], rtol=1e-12)


# -------------------------------------------------------------- the report
def _report_sgdm(w, grad_fn, lrs, mu):
    """The lab report's SGDM: a velocity that already includes the learning rate."""
    v = np.zeros_like(w)
    out = [w]
    for t, lr in enumerate(lrs):
        v = mu * v - lr * grad_fn(t, w)
        w = w + v
        out.append(w)
    return out


def _grad_fn(t, w):
    return GRADS[0][t] + COUPLING * w


def _our_sgdm(lrs, mu):
    p = Tensor(INITS[0].copy(), requires_grad=True)
    opt = optim.SGDM([p], lr=lrs[0], momentum=mu)
    out = [p.data.copy()]
    for t, lr in enumerate(lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = Tensor(_grad_fn(t, p.data))
        opt.step()
        out.append(p.data.copy())
    return np.array(out)


def test_report_sgdm_equals_pytorch_momentum_for_a_constant_learning_rate():
    lrs = [0.05] * STEPS
    ours = _our_sgdm(lrs, 0.9)
    report = np.array(_report_sgdm(INITS[0].copy(), _grad_fn, lrs, 0.9))
    np.testing.assert_allclose(ours, report, **TOL64)
    assert np.abs(ours[-1] - ours[0]).max() > 0.1


def test_report_sgdm_differs_from_pytorch_momentum_when_the_learning_rate_changes():
    # PyTorch's buffer holds gradients and is scaled by the *current* lr; the
    # report's velocity carries the old lr along. With a decay they diverge.
    lrs = [0.05] * 10 + [0.005] * (STEPS - 10)
    ours = _our_sgdm(lrs, 0.9)
    report = np.array(_report_sgdm(INITS[0].copy(), _grad_fn, lrs, 0.9))
    np.testing.assert_allclose(ours[:11], report[:11], **TOL64)
    assert np.abs(ours[11:] - report[11:]).max() > 1e-3
    # The report's velocity equals -lr * buffer only while the lr is constant.
    np.testing.assert_allclose(ours, reference_sgd_varying(lrs), **TOL64)


def reference_sgd_varying(lrs):
    w, b = INITS[0].copy(), None
    out = [w]
    for t, lr in enumerate(lrs):
        g = _grad_fn(t, w)
        b = g.copy() if b is None else 0.9 * b + g
        w = w - lr * b
        out.append(w)
    return np.array(out)


def test_sgdm_is_sgd_with_momentum_09_by_default():
    p = Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGDM([p], lr=0.1)
    assert isinstance(opt, optim.SGD)
    assert opt.param_groups[0]["momentum"] == 0.9
    assert opt.defaults == optim.SGD([p], lr=0.1, momentum=0.9).defaults


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (optim.SGD, {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0,
                     "nesterov": False, "maximize": False}),
        (optim.RMSprop, {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0,
                         "momentum": 0, "centered": False, "maximize": False}),
        (optim.Adam, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                      "amsgrad": False, "maximize": False, "decoupled_weight_decay": False}),
        (optim.AdamW, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
                       "amsgrad": False, "maximize": False, "decoupled_weight_decay": True}),
    ],
)
def test_defaults_are_pytorchs(cls, expected):
    opt = cls([Tensor(np.zeros(2), requires_grad=True)])
    assert opt.defaults == expected
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    assert group == expected
