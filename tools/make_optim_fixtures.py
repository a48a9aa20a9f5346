"""Write tests/fixtures/optim_torch.npz: PyTorch's trajectories for the optim tests.

The project must not depend on PyTorch, so its tests compare against these
committed numbers instead of importing torch. Run this (with ``torch``
installed; any 2.x CPU build) only to regenerate them:

    python tools/make_optim_fixtures.py

Every optimizer case starts two parameters (shapes (3,) and (2, 2)) from
fixed values and takes STEPS steps. The gradient at step t is a fixed array
plus COUPLING * the current weights, so that the trajectory depends on the
weights (as a real loss would) and is the same arithmetic in NumPy and torch.
PyTorch runs its single-tensor (``foreach=False``) code path, which is the
one ``optim`` copies. The file holds:

- ``__optim_cases__`` / ``__sched_cases__``: JSON lists of case specs (as
  UTF-8 bytes in a uint8 array, so no pickle is needed to read them), which
  the tests use to build the same optimizers and schedulers; ``__meta__``;
- ``__init__/<i>`` and ``__grads__/<i>``: starting weights and gradient arrays;
- ``<case>/traj``: all parameters, flattened and concatenated, after each
  step (row 0 = start), shape (STEPS + 1, 7);
- ``<case>/state/<i>/<key>``: the optimizer state of parameter i at the end;
- ``<case>/lrs``: each group's lr after each step (cases with a scheduler);
- ``sched/<case>``: the lr of each group after construction and each step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

STEPS = 30
SCHED_STEPS = 40
COUPLING = 0.3
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "optim_torch.npz"

# Test files hold the same four functions under the same names.
LAMBDAS = {
    "exp95": lambda e: 0.95**e,
    "inv": lambda e: 1.0 / (1.0 + e),
    "halve5": lambda e: 0.5 ** (e // 5),
    "warmup": lambda e: min(1.0, (e + 1) / 5),
}


def _case(name: str, cls: str, dtype: str = "float64", groups: Any = None,
          sched: Any = None, **kwargs: Any) -> dict[str, Any]:
    return {"name": name, "cls": cls, "kwargs": kwargs, "groups": groups,
            "dtype": dtype, "sched": sched}


OPTIM_CASES = [
    _case("sgd_plain", "SGD", lr=0.1),
    _case("sgd_default_lr", "SGD"),
    _case("sgd_momentum", "SGD", lr=0.05, momentum=0.9),
    _case("sgd_dampening", "SGD", lr=0.05, momentum=0.9, dampening=0.3),
    _case("sgd_nesterov", "SGD", lr=0.05, momentum=0.8, nesterov=True),
    _case("sgd_weight_decay", "SGD", lr=0.1, weight_decay=0.05),
    _case("sgd_nesterov_wd", "SGD", lr=0.03, momentum=0.9, nesterov=True, weight_decay=0.05),
    _case("sgd_momentum_dampening_wd", "SGD", lr=0.04, momentum=0.7, dampening=0.5,
          weight_decay=0.02),
    _case("sgd_maximize", "SGD", lr=0.05, momentum=0.5, maximize=True),
    _case("sgdm_default", "SGDM", lr=0.05),
    _case("sgd_groups", "SGD", lr=0.05,
          groups=[{"params": [0], "lr": 0.1},
                  {"params": [1], "lr": 0.01, "momentum": 0.9, "nesterov": True}]),
    _case("rmsprop_default", "RMSprop"),
    _case("rmsprop_alpha_eps", "RMSprop", lr=0.02, alpha=0.9, eps=1e-3),
    _case("rmsprop_centered", "RMSprop", lr=0.01, centered=True),
    _case("rmsprop_momentum", "RMSprop", lr=0.005, momentum=0.9),
    _case("rmsprop_weight_decay", "RMSprop", lr=0.01, weight_decay=0.1),
    _case("rmsprop_centered_momentum_wd", "RMSprop", lr=0.005, centered=True, momentum=0.5,
          weight_decay=0.1),
    _case("rmsprop_maximize", "RMSprop", lr=0.01, maximize=True),
    _case("rmsprop_groups", "RMSprop", lr=0.01,
          groups=[{"params": [0], "alpha": 0.8},
                  {"params": [1], "lr": 0.002, "centered": True, "momentum": 0.9}]),
    _case("adam_default", "Adam"),
    _case("adam_lr_betas_eps", "Adam", lr=0.05, betas=[0.8, 0.99], eps=1e-4),
    _case("adam_weight_decay", "Adam", lr=0.01, weight_decay=0.1),
    _case("adam_amsgrad", "Adam", lr=0.05, amsgrad=True),
    _case("adam_amsgrad_wd", "Adam", lr=0.02, amsgrad=True, weight_decay=0.05),
    _case("adam_maximize", "Adam", lr=0.01, maximize=True),
    _case("adam_decoupled", "Adam", lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    _case("adam_groups", "Adam", lr=0.01,
          groups=[{"params": [0]},
                  {"params": [1], "lr": 0.05, "amsgrad": True, "betas": [0.5, 0.9]}]),
    _case("adamw_default", "AdamW"),
    _case("adamw_weight_decay", "AdamW", lr=0.05, weight_decay=0.2),
    _case("adamw_amsgrad", "AdamW", lr=0.05, amsgrad=True),
    _case("adamw_groups", "AdamW", lr=0.02,
          groups=[{"params": [0], "weight_decay": 0.0},
                  {"params": [1], "weight_decay": 0.5, "betas": [0.85, 0.95]}]),
    _case("sgd_momentum_f32", "SGD", dtype="float32", lr=0.05, momentum=0.9, weight_decay=0.01),
    _case("rmsprop_centered_f32", "RMSprop", dtype="float32", lr=0.01, centered=True,
          momentum=0.5),
    _case("adam_f32", "Adam", dtype="float32", lr=0.01, weight_decay=0.01),
    _case("adamw_amsgrad_f32", "AdamW", dtype="float32", lr=0.01, amsgrad=True),
    _case("sgd_momentum_steplr", "SGD", lr=0.1, momentum=0.9,
          sched={"cls": "StepLR", "kwargs": {"step_size": 5, "gamma": 0.5}}),
    _case("adam_cosine", "Adam", lr=0.05,
          sched={"cls": "CosineAnnealingLR", "kwargs": {"T_max": 10, "eta_min": 1e-3}}),
    _case("rmsprop_exponential", "RMSprop", lr=0.01, momentum=0.5,
          sched={"cls": "ExponentialLR", "kwargs": {"gamma": 0.9}}),
]


SCHED_CASES = [
    {"name": "steplr", "lrs": [0.1, 0.02],
     "scheds": [{"cls": "StepLR", "kwargs": {"step_size": 3, "gamma": 0.5}}]},
    {"name": "steplr_default_gamma", "lrs": [0.1],
     "scheds": [{"cls": "StepLR", "kwargs": {"step_size": 4}}]},
    {"name": "exponential", "lrs": [0.1, 0.05],
     "scheds": [{"cls": "ExponentialLR", "kwargs": {"gamma": 0.9}}]},
    {"name": "cosine", "lrs": [0.1],
     "scheds": [{"cls": "CosineAnnealingLR", "kwargs": {"T_max": 10}}]},
    {"name": "cosine_eta_min", "lrs": [0.1, 0.03],
     "scheds": [{"cls": "CosineAnnealingLR", "kwargs": {"T_max": 7, "eta_min": 0.01}}]},
    {"name": "cosine_tmax1", "lrs": [0.1],
     "scheds": [{"cls": "CosineAnnealingLR", "kwargs": {"T_max": 1, "eta_min": 0.001}}]},
    {"name": "lambda_single", "lrs": [0.1, 0.2],
     "scheds": [{"cls": "LambdaLR", "lambdas": "exp95"}]},
    {"name": "lambda_list", "lrs": [0.1, 0.2],
     "scheds": [{"cls": "LambdaLR", "lambdas": ["inv", "halve5"]}]},
    {"name": "lambda_warmup", "lrs": [0.1],
     "scheds": [{"cls": "LambdaLR", "lambdas": "warmup"}]},
    {"name": "chained_step_exp", "lrs": [0.1],
     "scheds": [{"cls": "StepLR", "kwargs": {"step_size": 4, "gamma": 0.5}},
                {"cls": "ExponentialLR", "kwargs": {"gamma": 0.95}}]},
    {"name": "chained_cos_step", "lrs": [0.1, 0.05],
     "scheds": [{"cls": "CosineAnnealingLR", "kwargs": {"T_max": 8, "eta_min": 0.001}},
                {"cls": "StepLR", "kwargs": {"step_size": 5, "gamma": 0.5}}]},
]


def make_data() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Starting weights and the fixed part of each step's gradient."""
    rng = np.random.default_rng(20240605)
    inits = [rng.normal(size=(3,)), rng.normal(size=(2, 2))]
    grads = [rng.normal(size=(STEPS, *p.shape)) for p in inits]
    return inits, grads


def run_torch_optim(case: dict[str, Any], inits: list[np.ndarray],
                    grads: list[np.ndarray], out: dict[str, np.ndarray]) -> None:
    import torch

    dtype = getattr(torch, case["dtype"])
    params = [torch.tensor(p, dtype=dtype, requires_grad=True) for p in inits]
    fixed = [torch.tensor(g, dtype=dtype) for g in grads]
    kwargs = dict(case["kwargs"])
    cls = case["cls"]
    if cls == "SGDM":
        cls = "SGD"
        kwargs.setdefault("momentum", 0.9)
    for d in [kwargs, *(case["groups"] or [])]:
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
    if case["groups"] is None:
        spec: Any = params
    else:
        spec = [{**g, "params": [params[i] for i in g["params"]]} for g in case["groups"]]
    opt = getattr(torch.optim, cls)(spec, foreach=False, **kwargs)
    sched = None
    if case["sched"] is not None:
        sched = getattr(torch.optim.lr_scheduler, case["sched"]["cls"])(
            opt, **case["sched"]["kwargs"])
    trajs = [[p.detach().numpy().copy()] for p in params]
    lrs = [[g["lr"] for g in opt.param_groups]]
    for t in range(STEPS):
        for p, g in zip(params, fixed):
            p.grad = g[t] + COUPLING * p.detach()
        opt.step()
        if sched is not None:
            sched.step()
        for traj, p in zip(trajs, params):
            traj.append(p.detach().numpy().copy())
        lrs.append([g["lr"] for g in opt.param_groups])
    name = case["name"]
    out[f"{name}/traj"] = np.stack(
        [np.concatenate([t[k].reshape(-1) for t in trajs]) for k in range(STEPS + 1)])
    for i, p in enumerate(params):
        for key, value in opt.state[p].items():
            out[f"{name}/state/{i}/{key}"] = np.asarray(value.detach().numpy())
    if sched is not None:
        out[f"{name}/lrs"] = np.array(lrs, dtype=np.float64)


def run_torch_sched(case: dict[str, Any], out: dict[str, np.ndarray]) -> None:
    import torch

    params = [torch.zeros(1, requires_grad=True) for _ in case["lrs"]]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, case["lrs"])])
    scheds = []
    for s in case["scheds"]:
        cls = getattr(torch.optim.lr_scheduler, s["cls"])
        if s["cls"] == "LambdaLR":
            names = s["lambdas"]
            fn = [LAMBDAS[n] for n in names] if isinstance(names, list) else LAMBDAS[names]
            scheds.append(cls(opt, fn))
        else:
            scheds.append(cls(opt, **s["kwargs"]))
    lrs = [[g["lr"] for g in opt.param_groups]]
    for _ in range(SCHED_STEPS):
        opt.step()
        for s in scheds:
            s.step()
        lrs.append([g["lr"] for g in opt.param_groups])
    out[f"sched/{case['name']}"] = np.array(lrs, dtype=np.float64)


def main() -> None:
    import torch

    out: dict[str, np.ndarray] = {}
    inits, grads = make_data()
    for i, (p, g) in enumerate(zip(inits, grads)):
        out[f"__init__/{i}"] = p
        out[f"__grads__/{i}"] = g
    for case in OPTIM_CASES:
        run_torch_optim(case, inits, grads, out)
    for case in SCHED_CASES:
        run_torch_sched(case, out)
    meta = {"torch": torch.__version__, "steps": STEPS, "sched_steps": SCHED_STEPS,
            "coupling": COUPLING}
    for key, value in [("__optim_cases__", OPTIM_CASES), ("__sched_cases__", SCHED_CASES),
                       ("__meta__", meta)]:
        out[key] = np.frombuffer(json.dumps(value).encode(), dtype=np.uint8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(out)} arrays)")


if __name__ == "__main__":
    main()
