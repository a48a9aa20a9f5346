"""The optimizer base class: parameter groups, per-parameter state, checkpoints.

It mirrors ``torch.optim.Optimizer`` so that PyTorch code ports unchanged:
``param_groups`` is a list of dicts (``"params"`` plus one entry per
hyperparameter), ``state`` maps each parameter to its own dict, and
``state_dict()`` refers to parameters by their position, so a checkpoint can
be loaded into a fresh optimizer built over fresh (equal-shaped) parameters.

Where PyTorch is lax this class is strict, because a silent mistake in an
optimizer only shows up as a training run that quietly goes wrong:
hyperparameters are validated in every group (not only the defaults),
a parameter listed twice is an error, and a state dict that does not fit is
refused before anything is changed.
"""

from __future__ import annotations

import math
import numbers
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor

__all__ = ["Optimizer", "ParamsT"]

_SET_MESSAGE = (
    "optimizer parameters need to be organized in ordered collections, but the "
    "ordering of tensors in sets will change between runs. Please use a list instead."
)

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


def _to_python(value: Any) -> Any:
    """Turn NumPy scalars/arrays (as an ``.npz`` round trip yields) into Python values.

    Hyperparameters must be Python numbers: a NumPy float64 scalar would make
    NumPy 2 compute a float32 parameter's update in float64.
    """
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_to_python(v) for v in value]
    return value


def check_real(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise TypeError naming the hyperparameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


def check_nonnegative(name: str, value: Any, what: str | None = None) -> None:
    """Raise ValueError (PyTorch's wording) unless ``0 <= value``; NaN is refused too."""
    if not 0.0 <= check_real(name, value):
        raise ValueError(f"Invalid {what or name} value: {value}")


def check_bool(name: str, value: Any) -> None:
    """Flags must be real bools: a number here is usually a misplaced argument."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {value!r}")


def check_lr(value: Any) -> None:
    """A learning rate must be a finite number >= 0."""
    if not 0.0 <= check_real("lr", value) < math.inf:
        raise ValueError(f"Invalid learning rate: {value}")


class Optimizer:
    """Base class: holds parameter groups and per-parameter state.

    Subclasses pass their hyperparameter ``defaults``, implement ``step()``
    and override ``_check_group`` to validate one group's hyperparameters.

    Args:
        params: an iterable of Tensors (a ``parameters()`` generator is fine),
            of ``(name, Tensor)`` pairs, or of dicts each with a ``"params"``
            entry and optional per-group hyperparameters.
        defaults: hyperparameter values for keys a group does not set.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of "
                "Tensors or dicts, but got a Tensor"
            )
        if isinstance(params, set | frozenset):
            raise TypeError(_SET_MESSAGE)
        if isinstance(params, dict):
            params = [params]
        self._check_group(defaults)
        entries = list(params)
        if len(entries) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(entries[0], dict):
            entries = [{"params": entries}]
        # Build every group first so that a bad one leaves nothing half-made.
        self.defaults: dict[str, Any] = dict(defaults)
        groups: list[dict[str, Any]] = []
        for entry in entries:
            groups.append(self._prepare_group(entry, groups))
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # ----------------------------------------------------------------- groups
    def _check_group(self, group: Mapping[str, Any]) -> None:
        """Validate one group's hyperparameters; subclasses raise ValueError."""

    def _prepare_group(
        self, entry: Any, existing: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Return a new, validated, default-filled group; change nothing."""
        if not isinstance(entry, dict):
            raise TypeError(f"param_group must be a dict, but got {type(entry).__name__}")
        if "params" not in entry:
            raise ValueError("param_group must have a 'params' entry")
        group = dict(entry)  # never mutate the caller's dict
        raw = group["params"]
        if isinstance(raw, Tensor):
            raw = [raw]
        elif isinstance(raw, set | frozenset):
            raise TypeError(_SET_MESSAGE)
        items = list(raw)
        if len(items) == 0:
            raise ValueError(f"parameter group {len(existing)} has no parameters")
        names = [item[0] for item in items if isinstance(item, tuple)]
        params = [item[1] if isinstance(item, tuple) else item for item in items]
        if names and len(names) != len(params):
            raise ValueError(
                "all optimizer params should be with/without names. "
                "Some param names are missing"
            )
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not getattr(p, "is_leaf", True):
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        if names:
            group["param_names"] = names
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        seen = {id(p) for p in params}
        if len(seen) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        for other in existing:
            if any(id(p) in seen for p in other["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        return group

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (e.g. unfrozen layers during fine-tuning) to ``param_groups``."""
        self.param_groups.append(self._prepare_group(param_group, self.param_groups))

    # ------------------------------------------------------------ training
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to None (the default, as PyTorch) or to zeros.

        ``set_to_none=False`` gives each parameter a new zero gradient rather
        than zeroing the old array in place, which might be shared elsewhere.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else Tensor(np.zeros_like(p.grad.data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one update of every parameter that has a gradient."""
        raise NotImplementedError

    def _begin_step(self, closure: Callable[[], Any] | None) -> Any:
        """Evaluate ``closure`` with gradient recording on, as PyTorch does,
        then check every gradient, so that a bad one stops the step before
        any parameter has changed.

        The hyperparameters are checked again first: a value written into
        ``param_groups`` after construction (``group["lr"] = -0.1``, a
        scheduler's lambda) is refused here, before it can change anything.
        """
        for i, group in enumerate(self.param_groups):
            try:
                self._check_group(group)
            except (TypeError, ValueError) as e:
                raise type(e)(f"param_groups[{i}]: {e}") from None
        loss = None
        if closure is not None:
            from autograd import enable_grad

            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and p.grad.data.shape != p.data.shape:
                    raise ValueError(
                        f"gradient of shape {np.shape(p.grad.data)} does not match "
                        f"its parameter's shape {p.data.shape}"
                    )
        return loss

    @staticmethod
    def _grad_of(p: Tensor) -> np.ndarray:
        """The gradient array of ``p`` in ``p``'s dtype (never written to)."""
        g = p.grad.data
        return g if g.dtype is p.data.dtype else np.asarray(g).astype(p.data.dtype, copy=False)

    @staticmethod
    def _write(p: Tensor, new_value: np.ndarray) -> None:
        """Store ``new_value`` into ``p.data`` in place and tell autograd.

        Writing into the existing array keeps every reference (modules,
        user variables, views) in sync; bumping the version lets autograd
        refuse a backward pass through a graph that saved the old values.
        """
        np.copyto(p.data, new_value)
        p._bump_version()

    # ---------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Return a checkpoint: ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are named by their position across all groups (PyTorch's
        format). State arrays are copied, so later steps do not change a
        saved checkpoint; everything is arrays, numbers, strings, bools and
        lists, so it can be written with ``nn.save``.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _export(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, pstate in self.state.items():
            if id(p) in index and pstate:
                state[index[id(p)]] = {k: _export(v) for k, v in pstate.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a checkpoint made by ``state_dict()`` (or after an npz round trip).

        Everything is checked and copied before anything is replaced, so a
        refused checkpoint leaves this optimizer exactly as it was, and later
        changes to ``state_dict`` do not reach the optimizer.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        if "param_groups" not in state_dict:
            raise ValueError("state_dict must have a 'param_groups' entry")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, "
                f"but the optimizer has {len(self.param_groups)}"
            )
        id_map: dict[int, Tensor] = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            saved_ids = [int(k) for k in np.asarray(saved["params"]).reshape(-1).tolist()]
            if len(saved_ids) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(saved_ids)} "
                    f"parameters, but the optimizer's group has {len(group['params'])}"
                )
            for k, p in zip(saved_ids, group["params"]):
                if k in id_map:
                    raise ValueError(f"loaded state dict lists parameter {k} twice")
                id_map[k] = p
            new_group = {k: self._import_hyper(k, v) for k, v in saved.items() if k != "params"}
            missing = [k for k in self.defaults if k not in new_group]
            if missing:
                raise ValueError(
                    f"loaded state dict's parameter group {i} lacks {missing}: "
                    f"was it saved by another optimizer than {type(self).__name__}?"
                )
            self._check_group(new_group)
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        # An optimizer without state (plain SGD) may come back from a file
        # with no "state" entry at all: an empty dict leaves nothing to store.
        for key, pstate in state_dict.get("state", {}).items():
            try:
                k = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"state dict key {key!r} is not a parameter index") from None
            if k not in id_map:
                raise ValueError(f"state dict has state for unknown parameter {key!r}")
            p = id_map[k]
            new_state[p] = {name: _import_state(name, v, p) for name, v in pstate.items()}
        self.param_groups = new_groups
        self.state = new_state

    @staticmethod
    def _import_hyper(key: str, value: Any) -> Any:
        value = _to_python(value)
        if key == "betas" and isinstance(value, list):
            return tuple(value)
        return value


def _export(value: Any) -> Any:
    """Copy a state/group value into a plain, save-able form."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list | tuple):
        return [_export(v) for v in value]
    return value


def _import_state(name: str, value: Any, p: Tensor) -> Any:
    """Copy one loaded state entry, cast to the parameter's dtype like PyTorch."""
    if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0:
        value = value.item()
    if name == "step":
        return float(check_real("step", value))
    if isinstance(value, np.ndarray):
        if value.shape != p.data.shape:
            raise ValueError(
                f"state {name!r} has shape {value.shape}, but its parameter has shape "
                f"{p.data.shape}"
            )
        if np.issubdtype(value.dtype, np.floating) and np.issubdtype(
            p.data.dtype, np.floating
        ):
            return value.astype(p.data.dtype, copy=True)
        return value.copy()
    return _to_python(value)
