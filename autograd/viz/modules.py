"""Module structure: cluster names, parameter ownership, and which modules collapse.

Every op records ``op.scope``, the Modules whose forward was running when it
was created (outermost first).  A scope's cluster key is the tuple of those
modules' ids; each prefix of it is a (nested) cluster.  Names come from the
outermost module's ``named_modules()`` and parameters are attributed to the
module that registers them (``named_parameters(recurse=False)``), so a
parameter is drawn inside its layer's cluster even when ``params`` is not given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..node import Op

Key = tuple  # tuple of module ids, outermost first; () is the top level


class ModuleIndex:
    """Names and ownership found by walking the module trees in the ops' scopes."""

    def __init__(self, ops: Iterable[Op]) -> None:
        self.modules: dict[int, Any] = {}
        self.names: dict[int, str] = {}
        self.owner: dict[int, int] = {}  # id(parameter or buffer) -> id(module registering it)
        self.tensor_names: dict[int, str] = {}
        self.scope_key: dict[Op, Key] = {}
        indexed: set[int] = set()
        for op in ops:
            scope = getattr(op, "scope", None) or ()
            key = tuple(map(id, scope))
            self.scope_key[op] = key
            for m in scope:
                self.modules.setdefault(id(m), m)
            if scope and key[0] not in indexed:
                indexed.add(key[0])
                self._index(scope[0])
        self.rank = {k: i for i, k in enumerate(self.tensor_names)}  # registration order of parameters

    def _index(self, root: Any) -> None:
        named = getattr(root, "named_modules", None)
        pairs = list(named()) if callable(named) else [("", root)]
        for name, m in pairs:
            self.modules.setdefault(id(m), m)
            self.names.setdefault(id(m), name)
            for method in ("named_parameters", "named_buffers"):
                members = getattr(m, method, None)
                if not callable(members):
                    continue
                for tname, t in members(recurse=False):
                    self.owner.setdefault(id(t), id(m))
                    self.tensor_names.setdefault(id(t), f"{name}.{tname}" if name else tname)

    def label(self, module_id: int) -> str:
        """``name: ClassName`` (``0: Linear``, ``encoder.fc1: Linear``); the class alone for a root."""
        cls = type(self.modules[module_id]).__name__
        name = self.names.get(module_id, "")
        return f"{name}: {cls}" if name else cls


class Placement:
    """Where each drawn node goes: a cluster key, and the collapsed module absorbing it, if any."""

    def __init__(self, index: ModuleIndex, collapse: Any, max_depth: int | None) -> None:
        self.index = index
        self.max_depth = max_depth
        self.collapse = collapse
        self.has_child: set[Key] = set()
        for key in set(index.scope_key.values()):
            for d in range(1, len(key)):
                self.has_child.add(key[:d])
        self._absorber: dict[Key, Key | None] = {}

    def _collapses(self, prefix: Key) -> bool:
        if self.max_depth is not None and len(prefix) > self.max_depth:
            return True
        c = self.collapse
        if c is True:
            return prefix not in self.has_child
        if not c:
            return False
        module = self.index.modules[prefix[-1]]
        name = self.index.names.get(prefix[-1])
        for entry in c:
            if isinstance(entry, type):
                if isinstance(module, entry):
                    return True
            elif entry == name or entry == type(module).__name__:
                return True
        return False

    def absorber(self, key: Key) -> Key | None:
        """The shortest prefix of ``key`` drawn as one node, or None if ``key`` is drawn open."""
        if key in self._absorber:
            return self._absorber[key]
        found = None
        for d in range(1, len(key) + 1):
            if self._collapses(key[:d]):
                found = key[:d]
                break
        self._absorber[key] = found
        return found

    def leaf_key(self, tensor_id: int, users: list[Op]) -> Key:
        """The cluster of the module owning a parameter, found on a consumer's scope; else top level."""
        owner = self.index.owner.get(tensor_id)
        if owner is None:
            return ()
        for op in users:
            key = self.index.scope_key[op]
            if owner in key:
                return key[: key.index(owner) + 1]
        return ()
