"""Misuse of nn and optim and the error a user sees: one test per row of docs/errors.md.

Each misuse happens in the middle of training (a model with gradients and an
Adam optimizer with state), and after the refused call the parameters, their
gradients and the optimizer's state and hyperparameters must be exactly as
before.  ``refused`` also checks that the error names the problem and comes
from the misusing statement itself.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import numpy as np
import pytest
from refusal import refused  # noqa: E402

import nn
import optim
from autograd import Tensor
from nn import functional as F


class Trained:
    """A model and an Adam optimizer two steps into training, with fresh gradients."""

    def __init__(self) -> None:
        nn.manual_seed(0)
        self.model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
        self.opt = optim.Adam(self.model.parameters(), lr=0.01)
        rng = np.random.default_rng(0)
        self.x = Tensor(rng.standard_normal((6, 4)))
        self.y = rng.integers(0, 3, 6)
        for _ in range(3):
            self.opt.zero_grad()
            F.cross_entropy(self.model(self.x), self.y).backward()
            if _ < 2:
                self.opt.step()
        self.before = self.snapshot()

    def snapshot(self) -> tuple:
        params = [(n, p.data.copy(), p.grad.data.copy(), p._version) for n, p in self.model.named_parameters()]
        return params, copy.deepcopy(self.opt.state_dict())

    def assert_unchanged(self) -> None:
        (params, state), (params0, state0) = self.snapshot(), self.before
        for (n, d, g, v), (_, d0, g0, v0) in zip(params, params0):
            np.testing.assert_array_equal(d, d0, err_msg=f"{n} changed")
            np.testing.assert_array_equal(g, g0, err_msg=f"{n}.grad changed")
            assert v == v0, f"{n} was written in place"
        _assert_same(state, state0)


def _assert_same(a, b, where="state"):
    assert type(a) is type(b), where
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            _assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        assert a == b, where


@pytest.fixture
def run() -> Trained:
    return Trained()


# ------------------------------------------------------------------------ losses
@pytest.mark.parametrize("fn", ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_elementwise_loss_shape_mismatch_names_both_shapes(run, fn):
    out = F.sigmoid(run.model(run.x))  # (6, 3), in (0, 1)
    with refused(ValueError, rf"^{fn}: target shape \(6,\) differs from input shape \(6, 3\)",
                 at="getattr(F, fn)(out, np.full(6, 0.5))"):
        getattr(F, fn)(out, np.full(6, 0.5))
    module = {"mse_loss": nn.MSELoss, "binary_cross_entropy": nn.BCELoss,
              "binary_cross_entropy_with_logits": nn.BCEWithLogitsLoss}[fn]()
    with refused(ValueError, r"target shape \(3, 6\) differs from input shape \(6, 3\)",
                 at="module(out, np.full((3, 6), 0.5))"):
        module(out, np.full((3, 6), 0.5))
    run.assert_unchanged()


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_loss_shape_mismatch_names_both_shapes(run, fn):
    logits = run.model(run.x)  # (6, 3)
    with refused(ValueError, rf"^{fn}: target shape \(5,\) does not fit input shape \(6, 3\): expected \(6,\)",
                 at="getattr(F, fn)(logits, run.y[:5])"):
        getattr(F, fn)(logits, run.y[:5])
    with refused(ValueError, r"target shape \(6, 1\) does not fit input shape \(6, 3\)",
                 at="nn.CrossEntropyLoss()(logits, run.y[:, None])"):
        nn.CrossEntropyLoss()(logits, run.y[:, None])
    run.assert_unchanged()


def test_loss_target_of_the_wrong_dtype(run):
    logits = run.model(run.x)
    for fn in (F.cross_entropy, F.nll_loss):
        with refused(TypeError, r"target must hold integer class indices, got dtype float64",
                     r"class-probability targets are not supported", at="fn(logits, run.y.astype(float))"):
            fn(logits, run.y.astype(float))
    with refused(TypeError, r"binary_cross_entropy_with_logits: target must hold numbers .*got dtype <U3",
                 at="F.binary_cross_entropy_with_logits("):
        F.binary_cross_entropy_with_logits(logits, np.full((6, 3), "yes"))
    with refused(TypeError, r"mse_loss: target must hold numbers .*got dtype object",
                 at="nn.MSELoss()(logits, np.full((6, 3), None))"):
        nn.MSELoss()(logits, np.full((6, 3), None))
    run.assert_unchanged()


def test_loss_target_out_of_range(run):
    logits = run.model(run.x)
    bad = run.y.copy()
    bad[2] = 3
    for fn in (F.cross_entropy, F.nll_loss):
        with refused(IndexError, r"target 3 is out of bounds for 3 classes", r"\[0, 3\)", r"ignore_index=-100",
                     at="fn(logits, bad)"):
            fn(logits, bad)
    bad[2] = -1
    with refused(ValueError, r"target -1 is out of bounds", at="nn.CrossEntropyLoss()(logits, bad)"):
        nn.CrossEntropyLoss()(logits, bad)  # TargetIndexError is both an IndexError and a ValueError
    probs = F.sigmoid(logits)
    with refused(ValueError, r"binary_cross_entropy: target must hold probabilities in \[0, 1\], got values in "
                 r"\[-1, 2\]", at="nn.BCELoss()(probs, target)"):
        target = np.where(np.arange(18).reshape(6, 3) % 2, 2.0, -1.0)
        nn.BCELoss()(probs, target)
    with refused(ValueError, r"input must hold probabilities in \[0, 1\]", r"apply sigmoid first",
                 at="F.binary_cross_entropy(logits, np.zeros((6, 3)))"):
        F.binary_cross_entropy(logits, np.zeros((6, 3)))
    run.assert_unchanged()


# ------------------------------------------------------------------------ modules
@pytest.mark.parametrize(
    ("layer", "shape", "message"),
    [
        (nn.Linear(4, 2), (), r"Linear\(4, 2\) expected input with 4 features \(last axis\), got shape \(\)"),
        (nn.Linear(4, 2), (2, 3), r"expected input with 4 features \(last axis\), got shape \(2, 3\)"),
        (nn.Conv1d(2, 3, 3), (2, 8), r"conv1d expects a 3-D input \(N, C, L\), got shape \(2, 8\)"),
        (nn.Conv1d(2, 3, 3), (1, 2, 8, 8), r"3-D input \(N, C, L\), got shape \(1, 2, 8, 8\)"),
        (nn.Conv1d(2, 3, 3), (1, 4, 8), r"input has 4 channels but the weight expects 2"),
        (nn.Conv2d(2, 3, 3), (2, 8, 8), r"conv2d expects a 4-D input \(N, C, H, W\), got shape \(2, 8, 8\)"),
        (nn.Conv2d(2, 3, 3), (1, 2, 8), r"4-D input \(N, C, H, W\), got shape \(1, 2, 8\)"),
        (nn.Conv2d(2, 3, 3), (1, 2, 2, 2), r"kernel size \(3, 3\) is larger than the padded input size \(2, 2\)"),
        (nn.MaxPool2d(2), (3, 8, 8), r"max_pool2d expects a 4-D input \(N, C, H, W\), got shape \(3, 8, 8\)"),
        (nn.MaxPool2d(2), (8, 8), r"max_pool2d expects a 4-D input .*got shape \(8, 8\)"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else None,
)
def test_module_called_with_the_wrong_number_of_dimensions(layer, shape, message):
    before = [p.data.copy() for p in layer.parameters()]
    x = Tensor(np.ones(shape), requires_grad=True)
    with refused(ValueError, message, at="layer(x)"):
        layer(x)
    for p, b in zip(layer.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
        assert p.grad is None
    assert x.grad is None


# ------------------------------------------------------------------------ checkpoints
def test_load_state_dict_with_missing_unexpected_or_misshaped_keys_changes_nothing(run):
    good = {k: v + 1.0 for k, v in run.model.state_dict().items()}
    missing = {k: v for k, v in good.items() if k != "2.bias"}
    with refused(RuntimeError, r"Error\(s\) in loading state_dict for Sequential", r"Missing key\(s\).*'2\.bias'",
                 at="run.model.load_state_dict(missing)"):
        run.model.load_state_dict(missing)
    with refused(RuntimeError, r"Unexpected key\(s\) in state_dict: '3\.weight'",
                 at="run.model.load_state_dict({**good, \"3.weight\": np.ones(2)})"):
        run.model.load_state_dict({**good, "3.weight": np.ones(2)})
    misshaped = {**good, "0.weight": np.ones((4, 5))}
    with refused(RuntimeError, r"size mismatch for '0\.weight': copying an array of shape \(4, 5\)",
                 r"the shape in the current model is \(5, 4\)", at="run.model.load_state_dict(misshaped"):
        run.model.load_state_dict(misshaped, strict=False)  # shapes are checked even when not strict
    both = {**missing, "extra": np.ones(1), "0.bias": np.ones(7)}
    with refused(RuntimeError, r"Missing key.*\n.*Unexpected key.*'extra'.*\n.*size mismatch for '0\.bias'",
                 at="run.model.load_state_dict(both)"):
        run.model.load_state_dict(both)  # every problem listed at once
    run.assert_unchanged()  # the valid entries of each refused dict were not copied either


def test_optimizer_load_state_dict_that_does_not_fit_changes_nothing(run):
    sd = run.opt.state_dict()
    sd["state"][0]["exp_avg"] = np.zeros((2, 2))
    with refused(ValueError, r"state 'exp_avg' has shape \(2, 2\), but its parameter has shape \(5, 4\)",
                 at="run.opt.load_state_dict(sd)"):
        run.opt.load_state_dict(sd)
    other = optim.SGD(run.model.parameters(), lr=0.1).state_dict()
    with refused(ValueError, r"lacks .*'betas'", at="run.opt.load_state_dict(other)"):
        run.opt.load_state_dict(other)
    run.assert_unchanged()


class _Payload:
    """Unpickling this would create ``marker``: proof that the file's code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_nn_load_refuses_pickled_objects_without_running_them(tmp_path, run):
    marker = tmp_path / "code-ran"
    pickled = tmp_path / "model.pt"
    pickled.write_bytes(pickle.dumps({"0.weight": _Payload(marker)}))
    with refused(ValueError, r"nn\.load refuses to unpickle", r"model\.pt' is not an \.npz archive",
                 at="nn.load(pickled)"):
        nn.load(pickled)
    inside = tmp_path / "objects.npz"
    np.savez(inside, **{"0.weight": np.array([_Payload(marker)], dtype=object)})
    with refused(ValueError, r"refuses to unpickle", r"entry '0\.weight' .*holds an object array",
                 at="nn.load(inside)"):
        nn.load(inside)
    assert not marker.exists()
    run.assert_unchanged()


# ------------------------------------------------------------------------ optimizer hyperparameters
BAD_HYPER = [
    (optim.SGD, {"lr": -0.1}, r"Invalid learning rate: -0\.1"),
    (optim.SGD, {"lr": float("nan")}, r"Invalid learning rate: nan"),
    (optim.SGD, {"lr": 0.1, "momentum": -0.5}, r"Invalid momentum value: -0\.5"),
    (optim.SGD, {"lr": 0.1, "nesterov": True}, r"Nesterov momentum requires a momentum"),
    (optim.SGDM, {"lr": 0.1, "weight_decay": -1e-4}, r"Invalid weight_decay value: -0\.0001"),
    (optim.Adam, {"betas": (1.0, 0.999)}, r"Invalid beta parameter at index 0: 1\.0"),
    (optim.Adam, {"eps": -1e-8}, r"Invalid epsilon value: -1e-08"),
    (optim.AdamW, {"weight_decay": -0.01}, r"Invalid weight_decay value: -0\.01"),
    (optim.RMSprop, {"alpha": -0.9}, r"Invalid alpha value: -0\.9"),
    (optim.RMSprop, {"lr": float("inf")}, r"Invalid learning rate: inf"),
]


@pytest.mark.parametrize(("cls", "kwargs", "message"), BAD_HYPER,
                         ids=[f"{c.__name__}-{next(iter(k.items()))}" for c, k, _ in BAD_HYPER])
def test_optimizer_hyperparameter_out_of_range(run, cls, kwargs, message):
    with refused(ValueError, message, at="cls(run.model.parameters(), **kwargs)"):
        cls(run.model.parameters(), **kwargs)
    # as a new group of a working optimizer: refused, and the groups stay as they were
    extra = nn.Linear(2, 2)
    opt = cls(run.model.parameters(), lr=0.1)
    groups = [dict(g) for g in opt.param_groups]
    with refused(ValueError, message, at="opt.add_param_group({\"params\": extra.parameters(), **kwargs})"):
        opt.add_param_group({"params": extra.parameters(), **kwargs})
    assert opt.param_groups == groups
    run.assert_unchanged()


def test_hyperparameter_set_out_of_range_after_construction_is_refused_at_step(run):
    run.opt.param_groups[0]["lr"] = -0.01  # a typo, or a scheduler's lambda gone negative
    with refused(ValueError, r"param_groups\[0\]: Invalid learning rate: -0\.01", at="run.opt.step()"):
        run.opt.step()
    run.opt.param_groups[0]["lr"] = 0.01
    run.opt.param_groups[0]["betas"] = (0.9, 1.5)
    with refused(ValueError, r"param_groups\[0\]: Invalid beta parameter at index 1: 1\.5", at="run.opt.step()"):
        run.opt.step()
    run.opt.param_groups[0]["betas"] = (0.9, 0.999)
    run.assert_unchanged()  # no parameter moved, no moment was updated, the step count did not advance
    run.opt.step()
    assert run.opt.state_dict()["state"][0]["step"] == 3.0


def test_gradient_of_the_wrong_shape_stops_the_step_before_any_parameter_moves(run):
    last = list(run.model.parameters())[-1]
    good = last.grad
    last.grad = Tensor(np.ones(4))  # the bias has 3 entries
    with refused(ValueError, r"gradient of shape \(4,\) does not match its parameter's shape \(3,\)",
                 at="run.opt.step()"):
        run.opt.step()
    last.grad = good
    run.assert_unchanged()  # the parameters updated before the bad one in the loop were not touched either
