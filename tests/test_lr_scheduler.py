"""Learning-rate schedulers: PyTorch's sequences, bookkeeping and checkpoints.

The sequences are compared with PyTorch's own (``sched/<case>`` in
``tests/fixtures/optim_torch.npz``, written by
``tools/make_optim_fixtures.py``) and with the closed forms in PyTorch's
documentation.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import optim
from autograd import Tensor
from optim import lr_scheduler
from optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, StepLR

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "optim_torch.npz")
CASES = json.loads(FIXTURE["__sched_cases__"].tobytes())
STEPS = json.loads(FIXTURE["__meta__"].tobytes())["sched_steps"]

# The same functions, under the same names, as tools/make_optim_fixtures.py.
LAMBDAS = {
    "exp95": lambda e: 0.95**e,
    "inv": lambda e: 1.0 / (1.0 + e),
    "halve5": lambda e: 0.5 ** (e // 5),
    "warmup": lambda e: min(1.0, (e + 1) / 5),
}


def _opt(*lrs):
    return optim.SGD(
        [{"params": [Tensor(np.zeros(1), requires_grad=True)], "lr": lr} for lr in lrs]
    )


def _lrs(opt):
    return [g["lr"] for g in opt.param_groups]


def _make(opt, spec):
    cls = getattr(lr_scheduler, spec["cls"])
    if spec["cls"] == "LambdaLR":
        names = spec["lambdas"]
        return cls(opt, [LAMBDAS[n] for n in names] if isinstance(names, list) else LAMBDAS[names])
    return cls(opt, **spec["kwargs"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_lr_sequence_matches_pytorch(case):
    opt = _opt(*case["lrs"])
    scheds = [_make(opt, s) for s in case["scheds"]]
    seq = [_lrs(opt)]
    for _ in range(STEPS):
        opt.step()
        for s in scheds:
            s.step()
            assert s.get_last_lr() == _lrs(opt)
        seq.append(_lrs(opt))
    expected = FIXTURE[f"sched/{case['name']}"]
    assert len(set(np.round(expected[:, 0], 12))) > 1  # the case does schedule something
    np.testing.assert_allclose(np.array(seq), expected, rtol=1e-12, atol=1e-15)
    assert all(s.last_epoch == STEPS for s in scheds)


def test_fixture_covers_every_scheduler():
    classes = {s["cls"] for c in CASES for s in c["scheds"]}
    assert classes == {"StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"}
    assert any(len(c["scheds"]) > 1 for c in CASES)  # chained schedulers
    assert any(len(c["lrs"]) > 1 for c in CASES)  # several param groups


def _sequence(sched, n):
    out = [sched.get_last_lr()[0]]
    for _ in range(n):
        sched.step()
        out.append(sched.get_last_lr()[0])
    return np.array(out)


def test_step_lr_follows_its_closed_form():
    seq = _sequence(StepLR(_opt(0.1), step_size=3, gamma=0.5), 20)
    np.testing.assert_allclose(seq, [0.1 * 0.5 ** (e // 3) for e in range(21)], rtol=1e-14)


def test_exponential_lr_follows_its_closed_form():
    seq = _sequence(ExponentialLR(_opt(0.1), gamma=0.9), 30)
    np.testing.assert_allclose(seq, [0.1 * 0.9**e for e in range(31)], rtol=1e-13)


@pytest.mark.parametrize(("t_max", "eta_min"), [(10, 0.0), (7, 0.01), (1, 0.001), (4, 0.05)])
def test_cosine_annealing_tracks_the_closed_form_beyond_t_max(t_max, eta_min):
    n = 4 * t_max + 3
    seq = _sequence(CosineAnnealingLR(_opt(0.1), T_max=t_max, eta_min=eta_min), n)
    closed = [eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2
              for e in range(n + 1)]
    np.testing.assert_allclose(seq, closed, rtol=1e-10, atol=1e-14)
    assert seq[t_max] == pytest.approx(eta_min, abs=1e-15)
    assert seq[2 * t_max] == pytest.approx(0.1, rel=1e-10)  # no restart: it climbs back


def test_lambda_lr_scales_the_initial_lr_per_group():
    opt = _opt(0.1, 1.0)
    sched = LambdaLR(opt, [lambda e: 1.0 / (e + 1), lambda e: 0.5**e])
    assert _lrs(opt) == [0.1, 1.0]
    for _ in range(4):
        sched.step()
    assert _lrs(opt) == pytest.approx([0.1 / 5, 0.5**4])


def test_constructing_a_scheduler_sets_initial_lr_and_keeps_an_existing_one():
    opt = _opt(0.1, 0.2)
    StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    opt.param_groups[0]["lr"] = 0.05
    sched = ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]  # setdefault, as PyTorch
    assert sched.base_lrs == [0.1, 0.2]
    assert _lrs(opt) == [0.05, 0.2]  # the epoch-0 step leaves the current rates alone
    assert sched.last_epoch == 0


def test_get_last_lr_is_a_copy():
    opt = _opt(0.1)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    sched.get_last_lr()[0] = 99.0
    assert sched.get_last_lr() == [0.1]
    sched.step()
    assert sched.get_last_lr() == [0.05] == _lrs(opt)


def test_schedule_reaches_the_optimizer_update():
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    moves = []
    for _ in range(3):
        p.grad = Tensor(np.ones(1))
        before = p.data.copy()
        opt.step()
        sched.step()
        moves.append(float(before[0] - p.data[0]))
    assert moves == [1.0, 0.5, 0.25]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: StepLR(o, step_size=0), ValueError, "step_size value: 0"),
        (lambda o: StepLR(o, step_size=2.5), TypeError, "2.5"),
        (lambda o: StepLR(o, step_size=2, gamma=-0.1), ValueError, r"-0\.1"),
        (lambda o: ExponentialLR(o, gamma=-2.0), ValueError, r"-2\.0"),
        (lambda o: ExponentialLR(o, gamma=float("nan")), ValueError, "nan"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max value: 0"),
        (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1e-3), ValueError, r"-0\.001"),
        (lambda o: LambdaLR(o, [lambda e: 1.0] * 3), ValueError, "Expected 2 lr_lambdas"),
        (lambda o: LambdaLR(o, 0.5), TypeError, "callable"),
        (lambda o: LambdaLR(o, lambda e: -1.0), ValueError, r"invalid learning rate -0\.1"),
        (lambda o: LambdaLR(o, lambda e: 1 / 0), ZeroDivisionError, "division"),
        (lambda o: StepLR(o, step_size=2, last_epoch=3), KeyError, "initial_lr"),
        (lambda o: StepLR(o, step_size=2, last_epoch=-5), ValueError, "-5"),
        (lambda o: StepLR([0.1], step_size=2), TypeError, "not an Optimizer"),
    ],
)
def test_bad_arguments_are_refused_and_the_optimizer_is_untouched(make, error, match):
    opt = _opt(0.1, 0.2)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(error, match=match):
        make(opt)
    assert [dict(g) for g in opt.param_groups] == before  # no initial_lr left behind


def test_a_step_that_computes_a_bad_lr_changes_nothing():
    opt = _opt(0.1)
    sched = LambdaLR(opt, lambda e: 1.0 - 0.75 * e)
    sched.step()
    assert _lrs(opt) == [pytest.approx(0.025)]
    with pytest.raises(ValueError, match=r"invalid learning rate -0\.05.* epoch 2"):
        sched.step()
    assert _lrs(opt) == [pytest.approx(0.025)] and sched.last_epoch == 1
    assert sched.get_last_lr() == _lrs(opt)


def _make_named(name, opt, last_epoch=-1):
    return {
        "step": lambda: StepLR(opt, step_size=3, gamma=0.5, last_epoch=last_epoch),
        "exp": lambda: ExponentialLR(opt, gamma=0.9, last_epoch=last_epoch),
        "cos": lambda: CosineAnnealingLR(opt, T_max=6, eta_min=0.01, last_epoch=last_epoch),
        "lambda": lambda: LambdaLR(opt, LAMBDAS["halve5"], last_epoch=last_epoch),
    }[name]()


def _npz_like(sd):
    """What a trip through an .npz file does to plain values."""
    return {k: (np.asarray(v) if not isinstance(v, dict) else v) for k, v in sd.items()}


@pytest.mark.parametrize("name", ["step", "exp", "cos", "lambda"])
@pytest.mark.parametrize("transform", [dict, _npz_like], ids=["direct", "npz"])
def test_resume_from_state_dicts_continues_the_schedule(name, transform):
    opt = _opt(0.1, 0.3)
    sched = _make_named(name, opt)
    full = []
    for _ in range(20):
        sched.step()
        full.append(_lrs(opt))
    opt_a = _opt(0.1, 0.3)
    sched_a = _make_named(name, opt_a)
    for _ in range(8):
        sched_a.step()
    opt_sd, sched_sd = opt_a.state_dict(), transform(sched_a.state_dict())
    # Restart: new optimizer and scheduler, then load both (scheduler first,
    # as PyTorch recommends, so its construction does not overwrite the lrs).
    opt_b = _opt(0.1, 0.3)
    sched_b = _make_named(name, opt_b)
    sched_b.load_state_dict(sched_sd)
    opt_b.load_state_dict(opt_sd)
    resumed = []
    for _ in range(12):
        sched_b.step()
        resumed.append(_lrs(opt_b))
    np.testing.assert_allclose(resumed, full[8:], rtol=1e-14)
    assert sched_b.last_epoch == 20 and isinstance(sched_b.last_epoch, int)


def test_scheduler_state_dict_is_plain_and_excludes_the_optimizer():
    opt = _opt(0.1)
    sd = CosineAnnealingLR(opt, T_max=5).state_dict()
    assert "optimizer" not in sd
    assert sd["T_max"] == 5 and sd["last_epoch"] == 0 and sd["base_lrs"] == [0.1]
    assert all(isinstance(v, int | float | list | bool) for v in sd.values())


def test_scheduler_load_refuses_foreign_keys_and_wrong_lengths():
    opt = _opt(0.1, 0.2)
    sched = StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="T_max"):
        sched.load_state_dict({"T_max": 3})
    with pytest.raises(ValueError, match="base_lrs has 1 entries"):
        sched.load_state_dict({"base_lrs": [0.1]})
    with pytest.raises(TypeError, match="dict"):
        sched.load_state_dict([1])
    assert sched.base_lrs == [0.1, 0.2]


def test_lambda_lr_saves_the_state_of_callable_objects_only():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    opt = _opt(0.1, 0.2)
    sched = LambdaLR(opt, [Warmup(4), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == {"0": {"n": 4}}
    other = LambdaLR(_opt(0.1, 0.2), [Warmup(10), lambda e: 1.0])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].n == 4
    other.load_state_dict({**sd, "lr_lambdas": [{"n": 6}, None]})  # PyTorch's list form
    assert other.lr_lambdas[0].n == 6


def test_resuming_with_last_epoch_uses_the_saved_initial_lr():
    opt = _opt(0.1)
    StepLR(opt, step_size=2, gamma=0.5)
    opt.param_groups[0]["lr"] = 0.025  # as after 4 epochs
    sched = StepLR(opt, step_size=2, gamma=0.5, last_epoch=4)
    assert sched.base_lrs == [0.1]
    assert sched.last_epoch == 5
