"""Outputs and gradients of nn layers and losses against PyTorch's (float64, ~1e-10).

The reference numbers were computed by tools/make_nn_fixtures.py with torch and
committed in tests/fixtures/nn_torch.npz; these tests never import torch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import functional as F

FIXTURE = Path(__file__).parent / "fixtures" / "nn_torch.npz"
DATA = dict(np.load(FIXTURE, allow_pickle=False))
CASES = {c["name"]: c for c in json.loads(bytes(DATA["__cases__"]).decode("utf-8"))["cases"]}
RTOL, ATOL = 1e-10, 1e-10


def arr(case: str, key: str) -> np.ndarray:
    return DATA[f"{case}/{key}"]


def close(got: Tensor | np.ndarray, want: np.ndarray, what: str) -> None:
    got = got.data if isinstance(got, Tensor) else got
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs PyTorch {want.shape}"
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def by_kind(kind: str) -> list[str]:
    return [name for name, c in CASES.items() if c["kind"] == kind]


def test_fixture_covers_every_loss_and_reduction() -> None:
    seen = {(c["fn"], c["reduction"]) for c in CASES.values() if c["kind"] == "loss"}
    fns = ("mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss")
    assert {(f, r) for f in fns for r in ("mean", "sum", "none")} <= seen


def test_mlp_with_copied_weights_matches_outputs_and_gradients() -> None:
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 6), nn.Tanh(), nn.Dropout(0.3),
        nn.Linear(6, 6), nn.LeakyReLU(0.2), nn.Identity(), nn.Linear(6, 4), nn.Sigmoid(),
    )
    model.eval()
    sd = {k: arr("mlp", f"param/{k}") for k in model.state_dict()}
    model.load_state_dict(sd)
    x = Tensor(arr("mlp", "x"), requires_grad=True)
    out = model(x)
    out.backward(arr("mlp", "g"))
    close(out, arr("mlp", "out"), "mlp output")
    close(x.grad, arr("mlp", "grad_x"), "mlp input gradient")
    for name, p in model.named_parameters():
        close(p.grad, arr("mlp", f"grad/{name}"), f"gradient of {name}")


def test_linear_on_3d_input_without_bias() -> None:
    case = "linear_3d_nobias"
    layer = nn.Linear(4, 3, bias=False)
    layer.load_state_dict({"weight": arr(case, "param/weight")})
    x = Tensor(arr(case, "x"), requires_grad=True)
    out = layer(x)
    out.backward(arr(case, "g"))
    close(out, arr(case, "out"), "output")
    close(x.grad, arr(case, "grad_x"), "input gradient")
    close(layer.weight.grad, arr(case, "grad/weight"), "weight gradient")


@pytest.mark.parametrize("case", by_kind("activation"))
def test_softmax_modules(case: str) -> None:
    spec = CASES[case]
    module = getattr(nn, spec["module"])(axis=spec["axis"])
    x = Tensor(arr(case, "x"), requires_grad=True)
    out = module(x)
    out.backward(arr(case, "g"))
    close(out, arr(case, "out"), "output")
    close(x.grad, arr(case, "grad_x"), "input gradient")


_MODULES = {
    "mse_loss": nn.MSELoss, "binary_cross_entropy": nn.BCELoss, "binary_cross_entropy_with_logits": nn.BCEWithLogitsLoss,
    "cross_entropy": nn.CrossEntropyLoss, "nll_loss": nn.NLLLoss,
}  # fmt: skip


def _run_loss(case: str, via_module: bool) -> tuple[Tensor, Tensor, Tensor | np.ndarray]:
    spec = CASES[case]
    x = Tensor(arr(case, "x"), requires_grad=True)
    raw_target = arr(case, "target")
    target = Tensor(raw_target, requires_grad=True) if spec["target_grad"] else raw_target
    kwargs = dict(spec["kwargs"], reduction=spec["reduction"])
    kwargs.update({k: arr(case, k) for k in spec["arrays"]})
    if via_module:
        out = _MODULES[spec["fn"]](**kwargs)(x, target)
    else:
        out = getattr(F, spec["fn"])(x, target, **kwargs)
    out.backward(arr(case, "g"))
    return out, x, target


@pytest.mark.parametrize("case", by_kind("loss"))
def test_loss_matches_pytorch(case: str) -> None:
    out, x, target = _run_loss(case, via_module=False)
    assert np.isfinite(out.data).all()
    close(out, arr(case, "out"), f"{case} loss")
    close(x.grad, arr(case, "grad_x"), f"{case} input gradient")
    if CASES[case]["target_grad"]:
        close(target.grad, arr(case, "grad_target"), f"{case} target gradient")


@pytest.mark.parametrize("case", [c for c in by_kind("loss") if c.endswith("_mean") or c.endswith("_none")])
def test_loss_module_equals_functional(case: str) -> None:
    out, x, _ = _run_loss(case, via_module=True)
    close(out, arr(case, "out"), f"{case} loss via module")
    close(x.grad, arr(case, "grad_x"), f"{case} input gradient via module")


def test_bce_at_exact_zero_and_one_is_clamped_like_pytorch() -> None:
    # Spot values independent of the fixture: -log clamped at 100, PyTorch's 1e-12 gradient floor.
    x = Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(x, y, reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [-1e12, 1e12, 0.0, 0.0])


def test_linear_default_init_has_pytorch_bounds_and_uniform_distribution() -> None:
    nn.manual_seed(1234)
    fan_in, fan_out = 400, 300
    layer = nn.Linear(fan_in, fan_out)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)): gain sqrt(2/6) * sqrt(3/fan_in)
    w = np.sort(layer.weight.data.ravel())
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    # Kolmogorov-Smirnov distance to U(-bound, bound): ~0.002 for n = 120000 draws, P(> 0.01) < 1e-10;
    # a normal law of the same variance would be ~0.04 away.
    ecdf = np.arange(1, w.size + 1) / w.size
    assert np.abs(ecdf - (w + bound) / (2 * bound)).max() < 1e-2
    assert abs(w.var() - bound**2 / 3) < 0.02 * bound**2 / 3
    b = layer.bias.data
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound  # P(max < 0.95 bound) = 0.95^300
    assert abs(b.mean()) < 0.15 * bound  # 300 draws: the mean's std is bound / 30
