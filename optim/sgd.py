"""Stochastic gradient descent, with PyTorch's momentum, dampening and Nesterov.

PyTorch's momentum buffer holds a running sum of *gradients*
(``buf = momentum * buf + (1 - dampening) * g``, then ``p -= lr * buf``),
started as a copy of the first gradient with no dampening on that step.
The lab report's SGDM instead keeps a velocity that already includes the
learning rate (``v = momentum * v - lr * g``, then ``p += v``). With a
constant learning rate and no dampening the two give the same weights
(``v == -lr * buf`` at every step); they part ways when the learning rate
changes during training, because the report's velocity keeps moving at the
old rate. We follow PyTorch, so that schedulers behave as PyTorch users expect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    check_bool,
    check_lr,
    check_nonnegative,
    check_real,
)

__all__ = ["SGD", "SGDM", "sgd_update"]


def sgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buffer: np.ndarray | None,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One SGD step on arrays; returns ``(new_param, new_momentum_buffer)``.

    Follows PyTorch's ``_single_tensor_sgd`` operation by operation. No input
    is modified, except ``out``: when given (the optimizer passes the
    parameter's own array), the new parameter is written there, saving an
    allocation and a copy per step. ``momentum_buffer`` is None before the
    first step; the result's buffer is None when ``momentum == 0``.
    Hyperparameters must be Python floats so that a float32 parameter is
    updated in float32.
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    buf = None
    if momentum != 0:
        if momentum_buffer is None:
            buf = np.array(g, copy=True)  # first step: the gradient itself, undampened
        else:
            buf = momentum_buffer * momentum + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    step = g * (-lr)
    return np.add(param, step, out=out if out is not None else step), buf


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Args:
        params: Tensors or param-group dicts to optimize.
        lr: learning rate (PyTorch's default 1e-3).
        momentum: momentum factor; 0 disables the momentum buffer.
        dampening: scales the new gradient's share of the buffer by ``1 - dampening``.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        weight_decay: L2 penalty added to the gradient.

    The positional order is the project API's (``nesterov`` before
    ``weight_decay``; PyTorch has them the other way round). Both are type
    checked, so PyTorch-ordered positional arguments fail loudly instead of
    silently swapping meaning; pass them by keyword to be safe.
        maximize: ascend instead of descend.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        nesterov: bool = False,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_lr(group["lr"])
        check_nonnegative("momentum", group["momentum"])
        check_real("dampening", group["dampening"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_bool("nesterov", group["nesterov"])
        check_bool("maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={group['momentum']}, dampening={group['dampening']})"
            )

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return the closure's loss."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr, momentum = float(group["lr"]), float(group["momentum"])
            dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
            nesterov, maximize = bool(group["nesterov"]), bool(group["maximize"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                data = p.data
                state = self.state[p] if momentum != 0 else None
                buf = sgd_update(
                    data, self._grad_of(p), state.get("momentum_buffer") if state is not None else None,
                    lr, momentum, dampening, nesterov, weight_decay, maximize, data,
                )[1]
                p._bump_version()
                if buf is not None:
                    state["momentum_buffer"] = buf
        return loss


class SGDM(SGD):
    """SGD with momentum 0.9 by default: the lab report's "SGDM".

    Same update as ``SGD`` (PyTorch's form, see the module docstring for how
    it relates to the report's velocity form); only the default differs.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.9,
        dampening: float = 0,
        nesterov: bool = False,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
