"""Optimizer checkpoints: ``state_dict()`` / ``load_state_dict()``.

Resuming from a checkpoint must continue exactly as if training had not
stopped, including after the checkpoint went through an ``.npz`` file (which
turns int keys into strings, lists and numbers into arrays); saved and loaded
state must be copies; a checkpoint that does not fit is refused before
anything changes.
"""

from __future__ import annotations

import copy
import io

import numpy as np
import pytest

import optim
from autograd import Tensor

CONFIGS = [
    (optim.SGD, {"lr": 0.05}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    (optim.SGDM, {"lr": 0.05, "nesterov": True}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (optim.RMSprop, {"lr": 0.01}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    (optim.Adam, {"lr": 0.01, "betas": (0.8, 0.9)}),
    (optim.AdamW, {"lr": 0.01}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(CONFIGS)]
RNG = np.random.default_rng(7)
INITS = [RNG.normal(size=(3,)), RNG.normal(size=(2, 2)), RNG.normal(size=(4,))]
GRADS = [RNG.normal(size=(20, *x.shape)) for x in INITS]


def _params():
    return [Tensor(x.copy(), requires_grad=True) for x in INITS]


def _groups(params):
    # Two groups with their own lr; the third parameter never gets a gradient.
    return [{"params": params[:1], "lr": 0.03}, {"params": params[1:]}]


def _train(opt, params, steps):
    for t in steps:
        for i, (p, g) in enumerate(zip(params[:2], GRADS)):
            p.grad = Tensor(g[t] + 0.3 * p.data) if (i == 0 or t % 3) else None
        opt.step()


def _flat(params):
    return np.concatenate([p.data.reshape(-1) for p in params])


def _uninterrupted(cls, kwargs):
    params = _params()
    opt = cls(_groups(params), **kwargs)
    _train(opt, params, range(20))
    return _flat(params), opt


def _resume(cls, kwargs, transform):
    params = _params()
    opt = cls(_groups(params), **kwargs)
    _train(opt, params, range(10))
    saved = transform(opt.state_dict())
    # A fresh model (same weights) and a fresh optimizer, as after a restart.
    params2 = [Tensor(p.data.copy(), requires_grad=True) for p in params]
    opt2 = cls(_groups(params2), lr=123.0)
    opt2.load_state_dict(saved)
    _train(opt2, params2, range(10, 20))
    return _flat(params2), opt2


def npz_round_trip(state_dict):
    """Flatten to an .npz file and back, as a save-to-disk would."""
    flat = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}{k}/", v)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, v in enumerate(value):
                walk(f"{prefix}{i}/", v)
        else:
            flat[prefix[:-1]] = np.asarray(value)

    walk("", state_dict)
    buffer = io.BytesIO()
    np.savez(buffer, **flat)
    buffer.seek(0)
    loaded = np.load(buffer, allow_pickle=False)
    out: dict = {}
    for key in loaded.files:
        node = out
        *path, leaf = key.split("/")
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = loaded[key]
    out["param_groups"] = [out["param_groups"][str(i)] for i in range(len(out["param_groups"]))]
    return out


def _is_plain(value):
    if isinstance(value, dict):
        return all(isinstance(k, int | str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return isinstance(value, np.ndarray | bool | int | float | str)


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
@pytest.mark.parametrize("transform", [lambda sd: sd, copy.deepcopy, npz_round_trip],
                         ids=["direct", "deepcopy", "npz"])
def test_resumed_training_equals_uninterrupted_training(cls, kwargs, transform):
    expected, opt = _uninterrupted(cls, kwargs)
    resumed, opt2 = _resume(cls, kwargs, transform)
    np.testing.assert_array_equal(resumed, expected)
    assert opt2.param_groups[0]["lr"] == 0.03  # hyperparameters come from the checkpoint
    assert opt2.param_groups[1]["lr"] == kwargs["lr"]
    sd, sd2 = opt.state_dict(), opt2.state_dict()
    assert sd["param_groups"] == sd2["param_groups"]
    assert sd["state"].keys() == sd2["state"].keys()


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_state_dict_is_plain_data_in_pytorchs_layout(cls, kwargs):
    params = _params()
    opt = cls(_groups(params), **kwargs)
    _train(opt, params, range(3))
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert _is_plain(sd)
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert 2 not in sd["state"]  # never had a gradient: no state
    d = opt.defaults
    if cls in (optim.SGD, optim.SGDM):
        expected_keys = {"momentum_buffer"} if d["momentum"] else set()
    elif cls is optim.RMSprop:
        expected_keys = {"step", "square_avg"}
        expected_keys |= {"grad_avg"} if d["centered"] else set()
        expected_keys |= {"momentum_buffer"} if d["momentum"] else set()
    else:
        expected_keys = {"step", "exp_avg", "exp_avg_sq"}
        expected_keys |= {"max_exp_avg_sq"} if d["amsgrad"] else set()
    assert len(sd["state"]) == (2 if expected_keys else 0)
    for i in sd["state"]:
        assert set(sd["state"][i]) == expected_keys
    if "step" in expected_keys:
        assert sd["state"][0]["step"] == 3.0


def test_saved_state_is_a_copy():
    params = _params()
    opt = optim.Adam(_groups(params), lr=0.01)
    _train(opt, params, range(3))
    sd = opt.state_dict()
    live = opt.state[params[0]]["exp_avg"].copy()
    sd["state"][0]["exp_avg"][:] = 99.0  # editing the checkpoint does not reach the optimizer
    sd["param_groups"][0]["lr"] = 5.0
    np.testing.assert_array_equal(opt.state[params[0]]["exp_avg"], live)
    assert opt.param_groups[0]["lr"] == 0.03
    sd = opt.state_dict()
    before = copy.deepcopy(sd)
    _train(opt, params, range(3, 6))  # and later steps do not change a checkpoint
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before["state"][0]["exp_avg"])
    assert sd["state"][0]["step"] == 3.0


def test_loaded_state_is_a_copy():
    params = _params()
    opt = optim.SGD(_groups(params), lr=0.01, momentum=0.9)
    _train(opt, params, range(3))
    sd = opt.state_dict()
    opt2 = optim.SGD(_groups(_params()), lr=0.01, momentum=0.9)
    opt2.load_state_dict(sd)
    p0 = opt2.param_groups[0]["params"][0]
    buf = opt2.state[p0]["momentum_buffer"].copy()
    sd["state"][0]["momentum_buffer"][:] = 42.0
    sd["param_groups"][0]["lr"] = 7.0
    sd["param_groups"][0]["params"].append(5)
    np.testing.assert_array_equal(opt2.state[p0]["momentum_buffer"], buf)
    assert opt2.param_groups[0]["lr"] == 0.03
    assert opt2.param_groups[0]["params"] == [p0] or opt2.param_groups[0]["params"][0] is p0
    assert len(opt2.param_groups[0]["params"]) == 1


def test_load_keeps_the_new_optimizers_parameters_and_casts_state_to_their_dtype():
    params = _params()
    opt = optim.Adam(_groups(params), lr=0.01)
    _train(opt, params, range(3))
    params32 = [Tensor(p.data.astype(np.float32), requires_grad=True) for p in params]
    opt32 = optim.Adam(_groups(params32), lr=0.01)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.param_groups[0]["params"][0] is params32[0]
    assert opt32.state[params32[0]]["exp_avg"].dtype == np.float32
    assert opt32.state[params32[0]]["step"] == 3.0
    _train(opt32, params32, range(3, 6))
    assert all(p.data.dtype == np.float32 for p in params32)


def _trained_sgd():
    params = _params()
    opt = optim.SGD(_groups(params), lr=0.01, momentum=0.9)
    _train(opt, params, range(3))
    return opt


def _broken(mutate):
    sd = copy.deepcopy(_trained_sgd().state_dict())
    mutate(sd)
    return sd


BAD_STATE_DICTS = [
    ("group count", lambda sd: sd["param_groups"].pop(), ValueError,
     "1 parameter groups, but the optimizer has 2"),
    ("group size", lambda sd: sd["param_groups"][1]["params"].pop(), ValueError,
     "group 1 has 1 parameters"),
    ("unknown index", lambda sd: sd["state"].update({7: sd["state"][0]}), ValueError, "7"),
    ("shape", lambda sd: sd["state"][0].update(momentum_buffer=np.zeros(5)), ValueError,
     r"\(5,\)"),
    ("bad lr", lambda sd: sd["param_groups"][0].update(lr=-1.0), ValueError, r"-1\.0"),
    ("missing key", lambda sd: sd["param_groups"][0].pop("momentum"), ValueError,
     "momentum"),
    ("no groups", lambda sd: sd.pop("param_groups"), ValueError, "'param_groups'"),
    ("repeated index", lambda sd: sd["param_groups"][1]["params"].__setitem__(0, 0),
     ValueError, "twice"),
]


@pytest.mark.parametrize(("what", "mutate", "error", "match"), BAD_STATE_DICTS,
                         ids=[b[0] for b in BAD_STATE_DICTS])
def test_bad_state_dicts_are_refused_and_change_nothing(what, mutate, error, match):
    opt = _trained_sgd()
    before = opt.state_dict()
    groups, state = opt.param_groups, dict(opt.state)
    with pytest.raises(error, match=match):
        opt.load_state_dict(_broken(mutate))
    after = opt.state_dict()
    assert opt.param_groups is groups and dict(opt.state) == state
    assert after["param_groups"] == before["param_groups"]
    for k in before["state"]:
        np.testing.assert_array_equal(after["state"][k]["momentum_buffer"],
                                      before["state"][k]["momentum_buffer"])


def test_state_dict_from_another_optimizer_is_refused():
    params = _params()
    adam = optim.Adam(_groups(params), lr=0.01)
    _train(adam, params, range(2))
    sgd = optim.SGD(_groups(_params()), lr=0.01)
    with pytest.raises(ValueError, match="momentum"):
        sgd.load_state_dict(adam.state_dict())
    assert len(sgd.state) == 0


def test_a_non_dict_is_refused():
    with pytest.raises(TypeError, match="list"):
        _trained_sgd().load_state_dict([1, 2])


def test_adamw_stays_decoupled_after_loading():
    params = _params()
    adamw = optim.AdamW(_groups(params), lr=0.01)
    sd = adamw.state_dict()
    for g in sd["param_groups"]:
        g["decoupled_weight_decay"] = False
    fresh = optim.AdamW(_groups(_params()), lr=0.01)
    fresh.load_state_dict(sd)
    assert all(g["decoupled_weight_decay"] is True for g in fresh.param_groups)
