"""Write tests/fixtures/nn_torch.npz: PyTorch's outputs and gradients for the nn parity tests.

The project must not depend on PyTorch, so tests/test_nn_torch_parity.py
compares against these committed float64 numbers instead of importing torch.
Run this (with ``torch`` installed; any 2.x CPU build) only to regenerate them:

    python tools/make_nn_fixtures.py

The file holds:

- ``__cases__``: a JSON list (UTF-8 bytes in a uint8 array, so no pickle is
  needed to read it) of case specs ``{"name", "kind", ...}``;
- ``<name>/<array>``: each case's inputs (``x``, ``target``, ``weight``,
  ``pos_weight``, ``g`` the upstream gradient, ``param/<state_dict key>``) and
  PyTorch's results (``out``, ``grad_x``, ``grad_target``, ``grad/<key>``).

Kinds: ``mlp`` (a Sequential of every dense layer and activation, weights
copied), ``linear`` (3-D input, no bias), ``activation`` (softmax and
log-softmax modules on a chosen axis), and ``loss`` (one loss function with
one reduction and its options; float targets get a gradient too).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nn_torch.npz"
REDUCTIONS = ("mean", "sum", "none")

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
RNG = np.random.default_rng(20240607)

CASES: list[dict[str, Any]] = []
ARRAYS: dict[str, np.ndarray] = {}


def _put(case: str, name: str, value: Any) -> None:
    ARRAYS[f"{case}/{name}"] = np.asarray(value.detach().numpy() if isinstance(value, torch.Tensor) else value)


def _leaf(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, requires_grad=True)


# ----------------------------------------------------------------------------- layers
def mlp_case() -> None:
    """Flatten -> Linear -> ReLU -> Linear -> Tanh -> Dropout(eval) -> Linear -> LeakyReLU
    -> Identity -> Linear -> Sigmoid, on a (7, 1, 5) input."""
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 6), torch.nn.Tanh(),
        torch.nn.Dropout(0.3), torch.nn.Linear(6, 6), torch.nn.LeakyReLU(0.2), torch.nn.Identity(),
        torch.nn.Linear(6, 4), torch.nn.Sigmoid(),
    )
    model.eval()
    x = _leaf(RNG.standard_normal((7, 1, 5)))
    g = RNG.standard_normal((7, 4))
    out = model(x)
    out.backward(torch.tensor(g))
    name = "mlp"
    CASES.append({"name": name, "kind": "mlp"})
    _put(name, "x", x)
    _put(name, "g", g)
    _put(name, "out", out)
    _put(name, "grad_x", x.grad)
    for key, p in model.named_parameters():
        _put(name, f"param/{key}", p)
        _put(name, f"grad/{key}", p.grad)


def linear_case() -> None:
    layer = torch.nn.Linear(4, 3, bias=False)
    x = _leaf(RNG.standard_normal((2, 5, 4)))
    g = RNG.standard_normal((2, 5, 3))
    out = layer(x)
    out.backward(torch.tensor(g))
    name = "linear_3d_nobias"
    CASES.append({"name": name, "kind": "linear", "in": 4, "out": 3})
    for key, value in (("x", x), ("g", g), ("out", out), ("grad_x", x.grad), ("param/weight", layer.weight),
                       ("grad/weight", layer.weight.grad)):
        _put(name, key, value)


def activation_cases() -> None:
    for module, axis in (("Softmax", 1), ("LogSoftmax", 0), ("Softmax", -1)):
        x = _leaf(RNG.standard_normal((3, 4, 2)) * 3)
        g = RNG.standard_normal((3, 4, 2))
        out = getattr(torch.nn, module)(dim=axis)(x)
        out.backward(torch.tensor(g))
        name = f"{module.lower()}_axis{axis}"
        CASES.append({"name": name, "kind": "activation", "module": module, "axis": axis})
        for key, value in (("x", x), ("g", g), ("out", out), ("grad_x", x.grad)):
            _put(name, key, value)


# ----------------------------------------------------------------------------- losses
def loss_case(name: str, fn: str, x: np.ndarray, target: np.ndarray, reduction: str,
              target_grad: bool = False, **kwargs: Any) -> None:
    """Run ``torch.nn.functional.<fn>`` and store inputs, output and gradients.
    Array-valued kwargs (weight, pos_weight) are stored as arrays, the rest in the spec."""
    xt = _leaf(x)
    tt = _leaf(target) if target_grad else torch.tensor(target)
    arrays = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    scalars = {k: v for k, v in kwargs.items() if not isinstance(v, np.ndarray)}
    out = getattr(TF, fn)(xt, tt, reduction=reduction, **scalars, **{k: torch.tensor(v) for k, v in arrays.items()})
    g = RNG.standard_normal(out.shape) if reduction == "none" else np.array(1.7)
    out.backward(torch.tensor(g))
    CASES.append({"name": name, "kind": "loss", "fn": fn, "reduction": reduction, "kwargs": scalars,
                  "arrays": sorted(arrays), "target_grad": target_grad})
    _put(name, "x", x)
    _put(name, "target", target)
    _put(name, "g", g)
    _put(name, "out", out)
    _put(name, "grad_x", xt.grad)
    if target_grad:
        _put(name, "grad_target", tt.grad)
    for k, v in arrays.items():
        _put(name, k, v)


def loss_cases() -> None:
    probs = RNG.uniform(0.02, 0.98, (4, 3))
    soft = RNG.uniform(0.0, 1.0, (4, 3))
    soft[0, :] = (0.0, 1.0, 1.0)
    # Probabilities at and next to the ends: exactly 0 and 1 (log clamped at -100), 1e-15, 1 - 1e-15...
    edge_x = np.array([0.0, 0.0, 1.0, 1.0, 1e-15, 1e-15, 1 - 1e-15, 1 - 1e-15, 1e-300, 0.5, 1e-8, 1 - 1e-8])
    edge_y = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.3, 1.0, 0.0])
    extreme = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 30.0], [-30.0, 1e-3, 700.0], [-700.0, 2.0, -2.0]])
    logits = RNG.standard_normal((5, 4)) * 2
    labels = RNG.integers(0, 4, size=5)
    ignored = labels.copy()
    ignored[[1, 3]] = -100
    class_w = RNG.uniform(0.5, 2.0, 4)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    for r in REDUCTIONS:
        loss_case(f"mse_{r}", "mse_loss", RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)), r, target_grad=True)
        loss_case(f"bce_{r}", "binary_cross_entropy", probs, soft, r, target_grad=True)
        loss_case(f"bce_weight_{r}", "binary_cross_entropy", probs, soft, r, weight=RNG.uniform(0.5, 2, 3))
        loss_case(f"bce_edges_{r}", "binary_cross_entropy", edge_x, edge_y, r)
        loss_case(f"bcel_{r}", "binary_cross_entropy_with_logits", RNG.standard_normal((4, 3)) * 3, soft, r,
                  target_grad=True)
        loss_case(f"bcel_weights_{r}", "binary_cross_entropy_with_logits", RNG.standard_normal((4, 3)) * 3, soft, r,
                  target_grad=True, weight=RNG.uniform(0.5, 2, (4, 1)), pos_weight=RNG.uniform(0.5, 3, 3))
        loss_case(f"bcel_extreme_{r}", "binary_cross_entropy_with_logits", extreme, soft, r,
                  pos_weight=np.array([2.0, 0.5, 1.0]))
        loss_case(f"ce_{r}", "cross_entropy", logits, labels, r)
        loss_case(f"ce_weight_{r}", "cross_entropy", logits, labels, r, weight=class_w)
        loss_case(f"ce_ignore_{r}", "cross_entropy", logits, ignored, r, ignore_index=-100)
        loss_case(f"ce_ignore2_{r}", "cross_entropy", logits, labels, r, ignore_index=int(labels[0]))
        loss_case(f"ce_smooth_{r}", "cross_entropy", logits, labels, r, label_smoothing=0.15)
        loss_case(f"ce_all_{r}", "cross_entropy", logits, ignored, r, weight=class_w, label_smoothing=0.3)
        loss_case(f"ce_spatial_{r}", "cross_entropy", RNG.standard_normal((2, 3, 4)), RNG.integers(0, 3, (2, 4)), r,
                  label_smoothing=0.1)
        loss_case(f"ce_extreme_{r}", "cross_entropy", extreme, np.array([1, 0, 2, 0]), r)
        loss_case(f"nll_{r}", "nll_loss", logp, labels, r)
        loss_case(f"nll_all_{r}", "nll_loss", logp, ignored, r, weight=class_w)
    loss_case("ce_unbatched", "cross_entropy", logits[0], np.array(labels[0]), "none")
    loss_case("ce_unbatched_smooth", "cross_entropy", logits[0], np.array(labels[0]), "mean", label_smoothing=0.2)


def main() -> None:
    mlp_case()
    linear_case()
    activation_cases()
    loss_cases()
    spec = json.dumps({"torch": torch.__version__, "cases": CASES}).encode("utf-8")
    ARRAYS["__cases__"] = np.frombuffer(spec, dtype=np.uint8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **ARRAYS)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
