"""nn.save / nn.load: nested round trips through .npz, and refusal of anything needing pickle."""

from __future__ import annotations

import io
import math
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn
import optim
from autograd import Tensor


def _same(a, b, where="root") -> None:
    """Structural equality with types: int keys stay ints, tuples stay tuples, dtypes are kept."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} came back as {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} vs {list(b)}"
        assert [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            _same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}/{i}")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b), where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b, where


def test_nested_checkpoint_round_trips_with_types(tmp_path: Path) -> None:
    obj = {
        "model": nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1)).state_dict(),
        "optim": {
            "state": {0: {"step": 3, "exp_avg": np.arange(6.0).reshape(2, 3)}, 1: {"step": 3}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False, "name": None}],
        },
        "epoch": 3,
        "note": "héllo / 100%",
        "floats": [0.1, -0.0, float("inf"), float("-inf"), float("nan"), 1e308, 2**70],
        "arrays": [np.array([1, 2], dtype=np.int32), np.zeros((0, 3), np.float32), np.array([True, False]),
                   np.array(["ab", "c"]), np.float32(1.5), np.int64(7), np.array(2.5)],
        "empty": {},
        "nested": [[], (), [{"deep": {"er": [None]}}]],
    }
    path = tmp_path / "ckpt.npz"
    nn.save(obj, path)
    back = nn.load(path)
    _same(obj, back)
    assert isinstance(back["model"]["0.weight"], np.ndarray)


def test_awkward_keys_cannot_collide_or_escape(tmp_path: Path) -> None:
    obj = {"a/b": np.ones(1), "a": {"b": np.zeros(1)}, "%2F": np.full(1, 2.0), "": np.full(1, 3.0), "0": np.full(1, 4.0),
           0: np.full(1, 5.0), "%manifest": np.full(1, 6.0), "allow_pickle": np.full(1, 7.0), "file": 8, "../x": 9,
           "ключ": np.full(1, 10.0)}  # fmt: skip
    nn.save(obj, tmp_path / "k.npz")
    back = nn.load(tmp_path / "k.npz")
    _same(obj, back)
    with zipfile.ZipFile(tmp_path / "k.npz") as zf:
        names = zf.namelist()
    assert len(names) == len(set(names)) and all(".." not in n.split("/") for n in names)
    assert "a%2Fb.npy" in names and "a/b.npy" in names  # readable, escaped paths


def test_tensors_are_saved_as_arrays_and_path_is_used_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"  # no .npz appended (np.savez would)
    lin = nn.Linear(2, 2)
    nn.save({"w": lin.weight, "t": Tensor(np.arange(3.0))}, path)
    assert path.exists() and not (tmp_path / "model.pt.npz").exists()
    back = nn.load(str(path))
    np.testing.assert_array_equal(back["w"], lin.weight.data)
    assert type(back["w"]) is np.ndarray
    with np.load(path, allow_pickle=False) as f:  # a plain .npz that NumPy reads directly
        np.testing.assert_array_equal(f["t"], np.arange(3.0))


def test_file_objects_work() -> None:
    buf = io.BytesIO()
    nn.save({"x": np.ones(3), "n": 1}, buf)
    buf.seek(0)
    back = nn.load(buf)
    assert back["n"] == 1 and back["x"].tolist() == [1.0, 1.0, 1.0]


def test_model_and_optimizer_resume_identically(tmp_path: Path) -> None:
    def build():
        nn.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        return model, optim.Adam(model.parameters(), lr=0.01)

    x, y = Tensor(np.random.default_rng(0).standard_normal((8, 3))), np.zeros((8, 1))

    def step(model, opt):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()

    model, opt = build()
    for _ in range(3):
        step(model, opt)
    nn.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, tmp_path / "c.npz")
    step(model, opt)

    model2, opt2 = build()
    ckpt = nn.load(tmp_path / "c.npz")
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optim"])
    step(model2, opt2)
    assert ckpt["epoch"] == 3
    for (name, p), q in zip(model.named_parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_load_refuses_object_arrays(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ValueError, match="refuses to unpickle.*entry 'x'"):
        nn.load(path)


def test_load_refuses_a_pickle_file_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": Payload()}))
    with pytest.raises(ValueError, match="refuses to unpickle"):
        nn.load(path)
    assert not marker.exists()


def test_plain_npz_without_manifest_loads_as_flat_dict(tmp_path: Path) -> None:
    np.savez(tmp_path / "plain.npz", a=np.ones(2), b=np.arange(3))
    back = nn.load(tmp_path / "plain.npz")
    assert sorted(back) == ["a", "b"] and back["b"].tolist() == [0, 1, 2]


def test_corrupt_or_foreign_files_are_clear_errors(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        with zf.open("%manifest.npy", "w") as f:
            np.lib.format.write_array(f, np.frombuffer(b"{not json", dtype=np.uint8))
    buf.seek(0)
    with pytest.raises(ValueError, match="corrupt manifest"):
        nn.load(buf)
    np.save(tmp_path / "one.npy", np.ones(2))
    with pytest.raises(ValueError, match="single .npy array"):
        nn.load(tmp_path / "one.npy")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not an .npz archive"):
        nn.load(tmp_path / "text.npz")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"a": {1, 2}}, "entry 'a' is a set"),
        ({"a": [object()]}, "entry 'a/0' is a object"),
        ({"a": np.array([None, 1], dtype=object)}, "array of Python objects"),
        ({(1, 2): 3}, "keys must be str or int"),
        ({"f": lambda: 0}, "is a function"),
    ],
)
def test_save_refuses_what_would_need_pickle_and_leaves_the_file_alone(tmp_path: Path, obj, message) -> None:
    path = tmp_path / "keep.npz"
    nn.save({"old": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=message):
        nn.save(obj, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.npz"]  # no temp file left behind


def test_save_refuses_cycles(tmp_path: Path) -> None:
    obj: dict = {"a": []}
    obj["a"].append(obj)
    with pytest.raises(ValueError, match="contains itself"):
        nn.save(obj, tmp_path / "c.npz")
    shared = np.ones(2)
    nn.save({"x": shared, "y": [shared, shared]}, tmp_path / "ok.npz")  # sharing without a cycle is fine
    assert nn.load(tmp_path / "ok.npz")["y"][1].tolist() == [1.0, 1.0]
