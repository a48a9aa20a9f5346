"""``Module`` and ``Parameter``: the containers every layer is built from.

A ``Module`` registers the ``Parameter``s and sub-``Module``s assigned to its
attributes (in assignment order), so that ``parameters()``, ``state_dict()``,
``train()``/``eval()`` and ``to(dtype)`` reach the whole model without the
user listing anything.  Names follow PyTorch (``fc1.bias``, ``body.0.weight``)
so that checkpoints and parameter names port between the two libraries.

Walking the module tree is iterative (an explicit stack), like the autograd
engine's graph traversal.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from autograd import Tensor, no_grad
from autograd.grad_mode import STATE


class Parameter(Tensor):
    """A Tensor that, assigned to a Module attribute, becomes one of its parameters.

    It is a leaf that requires grad by default.  Built from a Tensor it shares
    that tensor's array (as ``torch.nn.Parameter``); any other data is copied
    and converted with ``Tensor``'s dtype rules.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=_default_dtype())
        if isinstance(data, Tensor):
            Tensor.__init__(self, 0.0)
            self.data = data.data
        else:
            Tensor.__init__(self, data)
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)


def _default_dtype() -> np.dtype:
    from autograd import get_default_dtype

    return get_default_dtype()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match (PyTorch's ``_IncompatibleKeys``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _check_name(name: Any, kind: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f'{kind} name can\'t be empty or contain ".", got {name!r}')


class Module:
    """Base class of all layers and models.

    Subclasses call ``super().__init__()`` first, assign parameters and
    submodules as attributes, and define ``forward``; calling the module runs
    ``forward`` (and records the module as the scope of the ops it creates, which
    graph drawing uses to group them).
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})

    # ----------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(nn.Parameter or None expected); wrap it in nn.Parameter or assign to .data"
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} (Module or None expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from every registry (before it is re-registered as another kind)."""
        d = self.__dict__
        d.pop(name, None)
        for reg in (d["_parameters"], d["_buffers"], d["_modules"]):
            reg.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: parameters, buffers and modules live in their registries.
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            table = d.get(reg)
            if table is not None and name in table:
                return table[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if name in d.get(reg, ()):
                del d[reg][name]
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None: a declared but absent parameter, like ``bias=False``)."""
        _check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} (nn.Parameter or None expected)")
        if name in self.__dict__ or name in self._buffers or name in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Register state that is saved in ``state_dict`` but is not trained (running statistics)."""
        _check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r} (Tensor or None expected)")
        if name in self.__dict__ or name in self._parameters or name in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        self._buffers[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name``."""
        _check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if name in self.__dict__ or name in self._parameters or name in self._buffers:
            raise KeyError(f"attribute {name!r} already exists")
        self._modules[name] = module

    register_module = add_module

    # ----------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        old = STATE.scope
        STATE.scope = old + (self,)
        try:
            return self.forward(*args, **kwargs)
        finally:
            STATE.scope = old

    # ----------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Every module in the tree, this one first, in pre-order, with dotted names.

        A module reachable twice (shared) is listed once, under its first name.
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in seen:
                    continue
                seen.add(id(mod))
            yield name, mod
            children = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        mods = self.named_modules(prefix, remove_duplicate) if recurse else iter([(prefix, self)])
        seen: set[int] = set()
        for mod_name, mod in mods:
            for name, t in getattr(mod, registry).items():
                if t is None:
                    continue
                if remove_duplicate:
                    if id(t) in seen:
                        continue
                    seen.add(id(t))
                yield (f"{mod_name}.{name}" if mod_name else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a shared parameter is listed once, under its first name."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first, as PyTorch) and then on this module."""
        stack: list[tuple[Module, bool]] = [(self, False)]
        while stack:
            mod, expanded = stack.pop()
            if expanded:
                fn(mod)
                continue
            stack.append((mod, True))
            stack.extend((m, False) for m in reversed(list(mod.children())))
        return self

    # ----------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``True``) or evaluation mode on this module and every submodule."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (to None by default, as in PyTorch 2)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = Tensor._make(np.zeros_like(p.grad.data), None)

    # ----------------------------------------------------------- checkpoints
    def _state_tensors(self) -> OrderedDict[str, Tensor]:
        """Name -> Tensor of everything ``state_dict`` holds, PyTorch's order: per module
        (pre-order) its parameters then its buffers.  Shared tensors appear under every name."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mod_name, mod in self.named_modules(remove_duplicate=False):
            pre = f"{mod_name}." if mod_name else ""
            for reg in (mod._parameters, mod._buffers):
                for name, t in reg.items():
                    if t is not None:
                        out[pre + name] = t
        return out

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Name -> a copy of each parameter's and buffer's array, in ``named_parameters`` order."""
        return OrderedDict((k, t.data.copy()) for k, t in self._state_tensors().items())

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy ``state_dict``'s arrays into this module's parameters and buffers, in place.

        Every entry is checked first (missing and unexpected names when
        ``strict``, shape mismatches always), and the error lists all problems;
        a refused load changes nothing.  Values are cast to each parameter's dtype.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping of name -> array, got {type(state_dict).__name__}")
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems: list[str] = []
        values: dict[str, np.ndarray] = {}
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            arr = np.asarray(v.data if isinstance(v, Tensor) else v)
            if arr.dtype.kind not in "biuf":
                problems.append(f"entry {k!r} holds {arr.dtype} data, not numbers")
            elif arr.shape != t.shape:
                problems.append(
                    f"size mismatch for {k!r}: copying an array of shape {arr.shape} from the state dict, "
                    f"the shape in the current model is {t.shape}"
                )
            else:
                values[k] = arr.astype(t.dtype, copy=False)
        if strict:
            if unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)))
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(problems))
        with no_grad():
            for k, arr in values.items():
                own[k].copy_(arr)
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------- dtype
    def to(self, dtype: Any) -> Module:
        """Convert floating parameters, their gradients and float buffers to ``dtype``, in place.

        The Parameter objects stay the same (an optimizer built before the call
        still holds them).  ``to("cpu")`` is accepted and does nothing.
        """
        if isinstance(dtype, str) and dtype == "cpu":
            return self
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"Module.to takes a float dtype (np.float32, np.float64) or 'cpu', got {dtype!r}: "
                "this library runs on the CPU only (NumPy arrays), there are no devices"
            ) from None
        if dt.kind != "f":
            raise TypeError(f"Module.to only accepts floating point dtypes, got {dt}")
        tensors = list(self.parameters()) + list(self.buffers())
        for t in tensors:
            if t.dtype.kind == "f" and t.dtype != dt:
                t.data = t.data.astype(dt)
                t._bump_version()
                if t.grad is not None:
                    t.grad = Tensor._make(t.grad.data.astype(dt), None)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ----------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (layer sizes and options)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, mod in self._modules.items():
            body = repr(mod).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
