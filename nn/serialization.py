"""``nn.save`` / ``nn.load``: checkpoints as plain ``.npz`` files that never need pickle.

``torch.save`` pickles, and unpickling a file runs whatever code it names; a
checkpoint downloaded from elsewhere should not be able to do that.  Here every
array is its own ``.npy`` entry, written and read with ``allow_pickle=False``,
and the structure around the arrays (nested dicts and OrderedDicts, lists, tuples,
Python numbers, bools, strings, None) is one JSON manifest entry.

Entry names are the escaped key paths (``model/0.weight``,
``optim/state/0/exp_avg``), so ``np.load(path).files`` is readable: each key
is percent-encoded (``urllib.parse.quote``, so ``/`` and ``%`` inside a key
cannot fake a path) and joined with ``/``.  The manifest, not the names, is
authoritative: it records each dict's keys with their types (``int`` keys, as
in an optimizer's state, come back as ints) and which entry holds each array.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import IO, Any
from urllib.parse import quote

import numpy as np

from autograd import Tensor

__all__ = ["save", "load"]

MANIFEST = "%manifest"  # "%m" is never produced by quote(), so no array entry can take this name
FORMAT = "gradlab-npz-1"
_REFUSE = "nn.load refuses to unpickle (it would let the file run arbitrary code)"


# ----------------------------------------------------------------------------- save
class _Writer:
    """Turn an object into a JSON-able manifest tree plus named arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._active: set[int] = set()

    def _name(self, path: tuple[str, ...]) -> str:
        base = "/".join(quote(p, safe="") for p in path) if path else "%root"
        name, n = base, 1
        while name in self.arrays or name == MANIFEST:
            name, n = f"{base}%~{n}", n + 1
        return name

    def node(self, obj: Any, path: tuple[str, ...]) -> Any:
        where = "/".join(path) or "<root>"
        if isinstance(obj, Tensor):
            obj = obj.data
        if isinstance(obj, np.generic) and not isinstance(obj, np.str_):  # before float: np.float64 is a float
            name = self._name(path)
            self.arrays[name] = np.asarray(obj)
            return {"t": "scalar", "key": name}
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                raise TypeError(f"nn.save: entry {where!r} is an array of Python objects ({obj.dtype}); it would need pickle")
            name = self._name(path)
            self.arrays[name] = obj
            return {"t": "array", "key": name}
        if obj is None or isinstance(obj, (bool, int, str)):
            return obj if type(obj) in (bool, int, str) or obj is None else _plain(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"t": "float", "v": repr(float(obj))}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._active:
                raise ValueError(f"nn.save: entry {where!r} contains itself")
            self._active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    items = []
                    for k, v in obj.items():
                        if isinstance(k, np.integer):
                            k = int(k)
                        if isinstance(k, bool) or not isinstance(k, (str, int)):
                            raise TypeError(f"nn.save: key {k!r} in {where!r} is a {type(k).__name__}; keys must be str or int")
                        items.append([k, self.node(v, path + (str(k),))])
                    return {"t": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
                kind = "list" if isinstance(obj, list) else "tuple"
                return {"t": kind, "items": [self.node(v, path + (str(i),)) for i, v in enumerate(obj)]}
            finally:
                self._active.discard(id(obj))
        raise TypeError(
            f"nn.save: entry {where!r} is a {type(obj).__name__}; only dicts, lists, tuples, arrays, Tensors, "
            "numbers, bools, strings and None can be saved"
        )


def _plain(obj: Any) -> Any:
    """A subclass of bool/int/str (an IntEnum, np.str_) as the plain builtin value."""
    for t in (bool, int, str):
        if isinstance(obj, t):
            return t(obj)
    return obj


def save(obj: Any, f: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write ``obj`` (e.g. ``{"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}``)
    to ``f``, a path (written exactly as given, atomically) or a binary file object.

    Tensors are saved as their arrays.  Anything that would need pickle (object
    arrays, arbitrary classes) is refused with a TypeError before the file is touched.
    """
    writer = _Writer()
    tree = writer.node(obj, ())
    manifest = json.dumps({"format": FORMAT, "root": tree}, allow_nan=False).encode("utf-8")
    entries = [(MANIFEST, np.frombuffer(manifest, dtype=np.uint8)), *writer.arrays.items()]
    if hasattr(f, "write"):
        _write_zip(f, entries)
        return
    path = os.fspath(f)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_zip(fh, entries)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_zip(fh: IO[bytes], entries: list[tuple[str, np.ndarray]]) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in entries:
            with zf.open(name + ".npy", "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asarray(arr), allow_pickle=False)


# ----------------------------------------------------------------------------- load
def load(f: str | os.PathLike[str] | IO[bytes]) -> Any:
    """Read what ``save`` wrote (a plain ``np.savez`` archive loads as a flat dict of arrays).

    Never unpickles: a pickle file or an entry holding an object array raises
    ValueError.  Arrays come back as ndarrays (Tensors were saved as arrays).
    """
    try:
        archive = np.load(f, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e):
            raise ValueError(f"{_REFUSE}: {_label(f)} is not an .npz archive (NumPy would read it as pickled data)") from None
        raise ValueError(f"nn.load: {_label(f)} is not a readable .npz archive ({e})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"nn.load: {_label(f)} is a single .npy array, not an .npz archive written by nn.save")
    with archive:
        if MANIFEST not in archive.files:
            return {name: _entry(archive, name, f) for name in archive.files}
        try:
            manifest = json.loads(bytes(_entry(archive, MANIFEST, f)).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"nn.load: {_label(f)} has a corrupt manifest ({e})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "root" not in manifest:
            raise ValueError(f"nn.load: {_label(f)} has a manifest in an unknown format")
        return _build(manifest["root"], archive, f)


def _label(f: Any) -> str:
    return repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else "the file"


def _entry(archive: Any, name: str, f: Any) -> np.ndarray:
    try:
        return archive[name]
    except KeyError:
        raise ValueError(f"nn.load: {_label(f)} has no entry {name!r} that its manifest refers to") from None
    except ValueError as e:
        if "pickle" in str(e) or "Object arrays" in str(e):
            raise ValueError(f"{_REFUSE}: entry {name!r} of {_label(f)} holds an object array (pickled data)") from None
        raise


def _build(node: Any, archive: Any, f: Any) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or "t" not in node:
        raise ValueError(f"nn.load: {_label(f)} has a malformed manifest node {node!r:.80}")
    kind = node["t"]
    if kind == "array":
        return _entry(archive, node["key"], f)
    if kind == "scalar":
        return _entry(archive, node["key"], f)[()]
    if kind == "float":
        return float(node["v"])
    if kind in ("dict", "odict"):
        items = [(k, _build(v, archive, f)) for k, v in node["items"]]
        return OrderedDict(items) if kind == "odict" else dict(items)
    if kind == "list":
        return [_build(v, archive, f) for v in node["items"]]
    if kind == "tuple":
        return tuple(_build(v, archive, f) for v in node["items"])
    raise ValueError(f"nn.load: {_label(f)} has a manifest node of unknown type {kind!r}")
