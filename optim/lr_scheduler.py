"""Learning-rate schedulers with PyTorch's semantics and values.

As in ``torch.optim.lr_scheduler``, a scheduler owns no learning rate of its
own: it rewrites ``group["lr"]`` in its optimizer's param groups. Building
one records each group's starting rate as ``group["initial_lr"]`` (kept if
already there, so a resumed run keeps its true base rate) and performs the
"epoch 0" step. Call ``scheduler.step()`` after ``optimizer.step()``.

``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` update the rate
*recursively* from the group's current rate, exactly as PyTorch does (not
from a closed form), so they compose with other schedulers and with manual
changes of ``group["lr"]`` the way PyTorch users expect, and their values
match PyTorch's to the last bit of the same arithmetic. ``LambdaLR`` is
closed-form: ``initial_lr * lr_lambda(epoch)``.
"""

from __future__ import annotations

import copy
import math
import numbers
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .optimizer import Optimizer, _to_python

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "StepLR"]

_MISSING = object()
# PyTorch's state dicts carry these bookkeeping flags; they mean nothing here.
_IGNORED_KEYS = frozenset({"_is_initial", "_get_lr_called_within_step", "verbose"})


def _check_real(name: str, value: Any, *, positive: bool = False) -> None:
    """Raise unless ``value`` is a finite real ``>= 0`` (``> 0`` if ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    ok = 0 < value < math.inf if positive else 0 <= value < math.inf
    if not ok:
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"Invalid {name} value: {value} (must be finite and {bound})")


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` for the epoch ``last_epoch``.

    Args:
        optimizer: the optimizer whose groups' ``"lr"`` this scheduler sets.
        last_epoch: index of the last epoch seen; leave at -1 unless resuming,
            in which case every group must already hold ``"initial_lr"``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"Invalid last_epoch value: {last_epoch!r} (must be an int >= -1)")
        groups = optimizer.param_groups
        if last_epoch != -1:
            for i, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming a scheduler with last_epoch >= 0"
                    )
        before = [(group.get("initial_lr", _MISSING), group["lr"]) for group in groups]
        self.optimizer = optimizer
        try:
            if last_epoch == -1:
                for group in groups:
                    group.setdefault("initial_lr", group["lr"])
            self.base_lrs: list[float] = [group["initial_lr"] for group in groups]
            self.last_epoch = last_epoch
            self._step_count = 0
            self._is_initial = True
            self.step()
        except BaseException:
            # A failing first step (e.g. a raising lr_lambda) leaves no trace.
            for group, (initial_lr, lr) in zip(groups, before):
                group["lr"] = lr
                if initial_lr is _MISSING:
                    group.pop("initial_lr", None)
                else:
                    group["initial_lr"] = initial_lr
            raise
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for epoch ``last_epoch`` (one per group)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates this scheduler set most recently (a copy)."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and write the new rates into the optimizer's groups.

        The new rates are checked (finite, >= 0) before anything changes.
        """
        self.last_epoch += 1
        try:
            values = [float(v) for v in self.get_lr()]
            for value in values:
                if not 0.0 <= value < math.inf:
                    raise ValueError(
                        f"{type(self).__name__} computed an invalid learning rate {value} "
                        f"at epoch {self.last_epoch}"
                    )
        except BaseException:
            self.last_epoch -= 1
            raise
        self._step_count += 1
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr: list[float] = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer: plain numbers and lists (``nn.save``-able)."""
        return {
            key: copy.deepcopy(value)
            for key, value in vars(self).items()
            if key not in ("optimizer", "_is_initial", "lr_lambdas")
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``; unknown keys or wrong lengths are refused first."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        known = set(self.state_dict())
        updates = {}
        for key, value in state_dict.items():
            if key in _IGNORED_KEYS:
                continue
            if key not in known:
                raise ValueError(
                    f"unexpected key {key!r} in state dict for {type(self).__name__}"
                )
            updates[key] = copy.deepcopy(_to_python(value))
        n_groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            if key in updates:
                if not isinstance(updates[key], list):
                    updates[key] = [updates[key]]
                if len(updates[key]) != n_groups:
                    raise ValueError(
                        f"state dict's {key} has {len(updates[key])} entries, but the "
                        f"optimizer has {n_groups} parameter groups"
                    )
        self.__dict__.update(updates)


class StepLR(LRScheduler):
    """Multiply each group's rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral):
            raise TypeError(f"step_size must be an int, got {step_size!r}")
        if step_size <= 0:
            raise ValueError(f"Invalid step_size value: {step_size} (must be > 0)")
        _check_real("gamma", gamma)
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class ExponentialLR(LRScheduler):
    """Multiply each group's rate by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check_real("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from each group's initial rate down to ``eta_min`` over ``T_max`` epochs.

    PyTorch's recursive form: it tracks the closed form
    ``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``,
    and past ``T_max`` it keeps following the cosine (back up towards
    ``base_lr`` over the next ``T_max`` epochs), with no restart.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _check_real("T_max", T_max, positive=True)
        _check_real("eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            # At the trough the recursion would divide by 1 + cos(pi) = 0.
            return [
                group["lr"]
                + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, group in zip(self.base_lrs, groups)
            ]
        return [
            (1 + math.cos(math.pi * self.last_epoch / self.T_max))
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
            * (group["lr"] - self.eta_min)
            + self.eta_min
            for group in groups
        ]


class LambdaLR(LRScheduler):
    """Set each group's rate to ``initial_lr * lr_lambda(epoch)``.

    Args:
        lr_lambda: one function of the epoch for every group, or a list with
            one function per group.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        n_groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        if isinstance(lr_lambda, list | tuple):
            if len(lr_lambda) != n_groups:
                raise ValueError(f"Expected {n_groups} lr_lambdas, but got {len(lr_lambda)}")
            lambdas = list(lr_lambda)
        else:
            lambdas = [lr_lambda] * n_groups
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be callable, got {fn!r}")
        self.lr_lambdas: list[Callable[[int], float]] = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)
        ]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, plus the attributes of any callable *objects* among the lambdas.

        Plain functions and lambdas are not saved (as in PyTorch); they are
        keyed by group index as a string so the result stays ``nn.save``-able.
        """
        state = super().state_dict()
        state["lr_lambdas"] = {
            str(i): copy.deepcopy(vars(fn))
            for i, fn in enumerate(self.lr_lambdas)
            if not isinstance(fn, types.FunctionType) and hasattr(fn, "__dict__")
        }
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore; accepts PyTorch's list form of ``lr_lambdas`` (None for plain functions)."""
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", {})
        if isinstance(saved, list | tuple):
            saved = {str(i): fn for i, fn in enumerate(saved) if fn is not None}
        for key in saved:
            if not str(key).isdigit() or int(key) >= len(self.lr_lambdas):
                raise ValueError(f"state dict has lr_lambdas entry {key!r} for no group")
        super().load_state_dict(state)
        for key, attrs in saved.items():
            attrs = {name: _to_python(value) for name, value in dict(attrs).items()}
            vars(self.lr_lambdas[int(key)]).update(copy.deepcopy(attrs))
