"""Write tests/fixtures/conv_torch.npz: PyTorch's convolution and pooling results.

The project must not depend on PyTorch, so tests/test_nn_conv.py compares
against these committed numbers instead of importing torch. Run this (with
``torch`` installed; any 2.x CPU build) only to regenerate them:

    python tools/make_conv_fixtures.py

Each case draws float64 inputs (and weights, bias) from a seeded generator,
runs the torch functional form, and backpropagates a fixed random upstream
gradient ``g``. The file holds:

- ``__cases__``: a JSON list of case specs (UTF-8 bytes in a uint8 array, so
  no pickle is needed to read them): name, function, keyword arguments;
- ``<case>/x``, ``<case>/w``, ``<case>/b`` (inputs present in the case),
  ``<case>/g`` (upstream gradient), ``<case>/out`` (forward result) and
  ``<case>/grad_x``, ``<case>/grad_w``, ``<case>/grad_b``;
- for cases marked ``double``: ``<case>/u``, ``<case>/v`` and
  ``<case>/gg_x``, ``<case>/gg_w``, ``<case>/gg_g``, the gradients of
  ``sum(grad_x * u) + sum(grad_w * v)`` with respect to x, w and g
  (second derivatives through torch's double backward).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "conv_torch.npz"


def _case(name: str, fn: str, x: tuple[int, ...], w: tuple[int, ...] | None = None, bias: bool = False,
          ties: bool = False, double: bool = False, **kwargs: Any) -> dict[str, Any]:
    return {"name": name, "fn": fn, "x": x, "w": w, "bias": bias, "ties": ties, "double": double, "kwargs": kwargs}


CASES = [
    _case("conv2d_plain", "conv2d", (2, 3, 6, 5), (4, 3, 3, 3), bias=True),
    _case("conv2d_stride2_pad1", "conv2d", (2, 2, 7, 6), (3, 2, 3, 3), bias=True, double=True, stride=2, padding=1),
    _case("conv2d_nonsquare", "conv2d", (2, 3, 6, 7), (2, 3, 2, 4), stride=(2, 1), padding=(1, 2)),
    _case("conv2d_stride3_leftover", "conv2d", (2, 2, 8, 7), (2, 2, 3, 2), bias=True, stride=3),
    _case("conv2d_1x1", "conv2d", (1, 2, 4, 4), (3, 2, 1, 1), bias=True),
    _case("conv1d_plain", "conv1d", (2, 3, 9), (4, 3, 3), bias=True),
    _case("conv1d_stride2_pad1", "conv1d", (2, 2, 8), (3, 2, 4), double=True, stride=2, padding=1),
    _case("max_pool2d_k2", "max_pool2d", (2, 3, 6, 6), kernel_size=2),
    _case("max_pool2d_k3_s2_p1", "max_pool2d", (2, 2, 7, 6), kernel_size=3, stride=2, padding=1),
    _case("max_pool2d_nonsquare", "max_pool2d", (2, 2, 5, 7), kernel_size=(2, 3), stride=(1, 2)),
    _case("max_pool2d_ties", "max_pool2d", (2, 2, 6, 6), ties=True, kernel_size=3, stride=1),
    _case("max_pool1d_k3_s2", "max_pool1d", (2, 3, 9), kernel_size=3, stride=2),
    _case("avg_pool2d_k32_s21_p1", "avg_pool2d", (2, 2, 6, 5), kernel_size=(3, 2), stride=(2, 1), padding=1),
    _case("avg_pool1d_k3_s2_p1", "avg_pool1d", (2, 3, 8), kernel_size=3, stride=2, padding=1),
]


def _leaf(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def main() -> None:
    rng = np.random.default_rng(20240611)
    arrays: dict[str, np.ndarray] = {}
    for case in CASES:
        name, fn, kwargs = case["name"], case["fn"], case["kwargs"]
        if case["ties"]:  # few distinct values: windows hold tied maxima
            x = rng.integers(0, 3, size=case["x"]).astype(np.float64)
        else:
            x = rng.standard_normal(case["x"])
        arrays[f"{name}/x"] = x
        inputs = [_leaf(x)]
        if case["w"] is not None:
            w = rng.standard_normal(case["w"]) * 0.5
            arrays[f"{name}/w"] = w
            inputs.append(_leaf(w))
            if case["bias"]:
                b = rng.standard_normal(case["w"][0])
                arrays[f"{name}/b"] = b
                inputs.append(_leaf(b))
        out = getattr(F, fn)(*inputs, **kwargs)
        g = rng.standard_normal(tuple(out.shape))
        arrays[f"{name}/g"] = g
        arrays[f"{name}/out"] = out.detach().numpy()
        g_t = _leaf(g)
        grads = torch.autograd.grad(out, inputs, g_t, create_graph=case["double"])
        for key, gr in zip(("grad_x", "grad_w", "grad_b"), grads):
            arrays[f"{name}/{key}"] = gr.detach().numpy()
        if case["double"]:
            u = rng.standard_normal(case["x"])
            v = rng.standard_normal(case["w"])
            arrays[f"{name}/u"], arrays[f"{name}/v"] = u, v
            s = (grads[0] * torch.from_numpy(u)).sum() + (grads[1] * torch.from_numpy(v)).sum()
            for key, gr in zip(("gg_x", "gg_w", "gg_g"), torch.autograd.grad(s, [inputs[0], inputs[1], g_t])):
                arrays[f"{name}/{key}"] = gr.numpy()
    arrays["__cases__"] = np.frombuffer(json.dumps(CASES).encode(), dtype=np.uint8)
    arrays["__meta__"] = np.frombuffer(json.dumps({"torch": torch.__version__}).encode(), dtype=np.uint8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
