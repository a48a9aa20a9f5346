"""RMSprop, exactly as ``torch.optim.RMSprop`` computes it.

Details that differ between write-ups of RMSprop and that we take from
PyTorch: ``eps`` is added *after* the square root (``g / (sqrt(v) + eps)``,
not ``g / sqrt(v + eps)``); the centered variant divides by
``sqrt(v - mean(g)**2) + eps``; with momentum the buffer accumulates the
normalised gradient and the learning rate is applied outside it; all moving
averages start at zero (no bias correction).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ._math import lerp
from .optimizer import Optimizer, ParamsT, check_bool, check_lr, check_nonnegative

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None = None,
    momentum_buffer: np.ndarray | None = None,
    *,
    lr: float,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One RMSprop step on arrays (pure: inputs are not modified).

    Follows PyTorch's ``_single_tensor_rmsprop`` operation by operation.
    ``grad_avg`` is used when ``centered``, ``momentum_buffer`` when
    ``momentum > 0`` (both start as zeros). Returns ``(new_param,
    square_avg, grad_avg, momentum_buffer)``, the last two None when unused.
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg = square_avg * alpha + ((1 - alpha) * g) * g
    if centered:
        grad_avg = lerp(grad_avg, g, 1 - alpha)
        avg = np.sqrt(square_avg + (-1.0 * grad_avg) * grad_avg)
    else:
        grad_avg = None
        avg = np.sqrt(square_avg)
    avg = avg + eps
    if momentum > 0:
        momentum_buffer = momentum_buffer * momentum + g / avg
        new_param = param + (-lr) * momentum_buffer
    else:
        momentum_buffer = None
        new_param = param + ((-lr) * g) / avg
    return new_param, square_avg, grad_avg, momentum_buffer


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (same defaults, same arithmetic).

    Args:
        params: Tensors or param-group dicts to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the squared-gradient average.
        eps: added to the denominator's square root, for stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor (0 = none).
        centered: normalise by an estimate of the gradient's variance.
        maximize: ascend instead of descend.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_lr(group["lr"])
        check_nonnegative("eps", group["eps"], "epsilon")
        check_nonnegative("momentum", group["momentum"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("alpha", group["alpha"])
        check_bool("centered", group["centered"])
        check_bool("maximize", group["maximize"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return the closure's loss."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            momentum = float(group["momentum"])
            centered = bool(group["centered"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = self._grad_of(p)
                state = self.state[p]
                # Lazy, per-key initialisation (PyTorch initialises once, on the
                # first step): turning momentum or centering on later also works.
                state.setdefault("step", 0.0)
                state.setdefault("square_avg", np.zeros_like(p.data))
                if momentum > 0:
                    state.setdefault("momentum_buffer", np.zeros_like(p.data))
                if centered:
                    state.setdefault("grad_avg", np.zeros_like(p.data))
                state["step"] += 1
                new_p, square_avg, grad_avg, buf = rmsprop_update(
                    p.data,
                    grad,
                    state["square_avg"],
                    state.get("grad_avg") if centered else None,
                    state.get("momentum_buffer") if momentum > 0 else None,
                    lr=float(group["lr"]),
                    alpha=float(group["alpha"]),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    momentum=momentum,
                    centered=centered,
                    maximize=bool(group["maximize"]),
                )
                self._write(p, new_p)
                state["square_avg"] = square_avg
                if grad_avg is not None:
                    state["grad_avg"] = grad_avg
                if buf is not None:
                    state["momentum_buffer"] = buf
        return loss
