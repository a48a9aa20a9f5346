"""Adam and AdamW, exactly as PyTorch's single-tensor implementation computes them.

Details taken from PyTorch rather than from the paper's pseudo-code, since
they change the numbers: the bias corrections are folded into a step size
``lr / (1 - beta1**t)`` and a denominator ``sqrt(v) / sqrt(1 - beta2**t) + eps``
(so ``eps`` is not bias-corrected); AMSGrad keeps the running maximum of the
*uncorrected* ``v`` in ``max_exp_avg_sq``; Adam's ``weight_decay`` is an L2
term added to the gradient, while AdamW (``decoupled_weight_decay``) first
shrinks the weights by ``1 - lr * weight_decay`` and leaves the moments alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ._math import lerp
from .optimizer import (
    Optimizer,
    ParamsT,
    check_bool,
    check_lr,
    check_nonnegative,
    check_real,
)

__all__ = ["Adam", "AdamW", "adam_update"]


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    step: float,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """One Adam/AdamW step on arrays (pure: inputs are not modified).

    ``step`` is this step's number, counting from 1. Follows PyTorch's
    ``_single_tensor_adam`` (non-capturable path) operation by operation.
    Returns ``(new_param, exp_avg, exp_avg_sq, max_exp_avg_sq)``; the last is
    None unless ``amsgrad``.
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = exp_avg_sq * beta2 + ((1 - beta2) * g) * g
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    if amsgrad:
        max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)
        denom = np.sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
    else:
        max_exp_avg_sq = None
        denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
    new_param = param + ((-step_size) * exp_avg) / denom
    return new_param, exp_avg, exp_avg_sq, max_exp_avg_sq


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (same defaults, same arithmetic).

    Args:
        params: Tensors or param-group dicts to optimize.
        lr: learning rate.
        betas: decay rates of the gradient's first and second moment averages.
        eps: added to the denominator, for stability.
        weight_decay: L2 penalty added to the gradient (decoupled if
            ``decoupled_weight_decay``, which is what AdamW sets).
        amsgrad: divide by the running maximum of the second moment.
        maximize: ascend instead of descend.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": _as_betas(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_lr(group["lr"])
        check_nonnegative("eps", group["eps"], "epsilon")
        betas = group["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"betas must be a pair of floats, got {betas!r}")
        for i, beta in enumerate(betas):
            if not 0.0 <= check_real(f"betas[{i}]", beta) < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        check_nonnegative("weight_decay", group["weight_decay"])
        check_bool("amsgrad", group["amsgrad"])
        check_bool("maximize", group["maximize"])
        check_bool("decoupled_weight_decay", group["decoupled_weight_decay"])

    def _prepare_group(self, entry: Any, existing: list[dict[str, Any]]) -> dict[str, Any]:
        group = super()._prepare_group(entry, existing)
        group["betas"] = _as_betas(group["betas"])
        return group

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return the closure's loss."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            amsgrad = bool(group["amsgrad"])
            beta1, beta2 = (float(b) for b in group["betas"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = self._grad_of(p)
                state = self.state[p]
                # Lazy, per-key initialisation (PyTorch's happens once, on the
                # first step): switching amsgrad on later also works.
                state.setdefault("step", 0.0)
                state.setdefault("exp_avg", np.zeros_like(p.data))
                state.setdefault("exp_avg_sq", np.zeros_like(p.data))
                if amsgrad:
                    state.setdefault("max_exp_avg_sq", np.zeros_like(p.data))
                state["step"] += 1
                new_p, exp_avg, exp_avg_sq, max_sq = adam_update(
                    p.data,
                    grad,
                    state["exp_avg"],
                    state["exp_avg_sq"],
                    state.get("max_exp_avg_sq") if amsgrad else None,
                    state["step"],
                    lr=float(group["lr"]),
                    beta1=beta1,
                    beta2=beta2,
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    amsgrad=amsgrad,
                    maximize=bool(group["maximize"]),
                    decoupled_weight_decay=bool(group["decoupled_weight_decay"]),
                )
                self._write(p, new_p)
                state["exp_avg"] = exp_avg
                state["exp_avg_sq"] = exp_avg_sq
                if max_sq is not None:
                    state["max_exp_avg_sq"] = max_sq
        return loss


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: Adam with decoupled weight decay (default 1e-2)."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """As ``Optimizer.load_state_dict``; AdamW's decay stays decoupled (as PyTorch)."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _as_betas(betas: Any) -> Any:
    """A list (e.g. from JSON or an npz file) becomes the tuple PyTorch keeps."""
    if isinstance(betas, np.ndarray):
        betas = betas.tolist()
    return tuple(betas) if isinstance(betas, list) else betas
