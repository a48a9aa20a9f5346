"""Layers (Linear, Sequential, Identity, Flatten, Dropout), activations and nn.init."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, gradcheck
from nn import functional as F
from nn import init

RNG = np.random.default_rng(7)


# ----------------------------------------------------------------------------- Linear
def test_linear_shapes_and_formula() -> None:
    lin = nn.Linear(3, 2)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    x = RNG.standard_normal((4, 3))
    want = x @ lin.weight.data.T + lin.bias.data
    np.testing.assert_allclose(lin(Tensor(x)).data, want, rtol=1e-14)
    np.testing.assert_allclose(lin(Tensor(x[0])).data, want[0], rtol=1e-14)  # unbatched
    x3 = RNG.standard_normal((2, 5, 3))
    np.testing.assert_allclose(lin(Tensor(x3)).data, x3 @ lin.weight.data.T + lin.bias.data, rtol=1e-14)


def test_linear_is_one_fused_op_with_correct_gradients() -> None:
    lin = nn.Linear(3, 2)
    x = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    out = lin(x)
    assert out.grad_fn.name == "Linear"
    assert [t is s for t, s in zip(out.grad_fn.inputs, (x, lin.weight, lin.bias))] == [True] * 3
    g = RNG.standard_normal((4, 2))
    out.backward(g)
    np.testing.assert_allclose(x.grad.data, g @ lin.weight.data, rtol=1e-14)
    np.testing.assert_allclose(lin.weight.grad.data, g.T @ x.data, rtol=1e-14)
    np.testing.assert_allclose(lin.bias.grad.data, g.sum(0), rtol=1e-14)


def test_linear_without_bias() -> None:
    lin = nn.Linear(3, 2, bias=False)
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    x = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda a, w: F.linear(a, w), [x, Tensor(lin.weight.data.copy(), requires_grad=True)])
    np.testing.assert_allclose(lin(x).data, x.data @ lin.weight.data.T)


def test_linear_wrong_width_names_expected_and_actual() -> None:
    with pytest.raises(ValueError, match=r"^Linear\(3, 2\) expected input with 3 features \(last axis\), got shape \(4, 5\)$"):
        nn.Linear(3, 2)(Tensor(np.zeros((4, 5))))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        F.linear(Tensor(np.zeros((4, 3))), Tensor(np.zeros((2, 3))), Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="weight of shape"):
        F.linear(Tensor(np.zeros((4, 5))), Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(0, 2)
    with pytest.raises(ValueError, match="out_features"):
        nn.Linear(2, 2.5)


def test_linear_dtype_follows_argument_and_default() -> None:
    lin = nn.Linear(3, 2, dtype=np.float32)
    assert lin.weight.dtype == np.float32 and lin.bias.dtype == np.float32
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    out = lin(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32 and lin.weight.grad.dtype == np.float32
    autograd.set_default_dtype(np.float32)
    try:
        assert nn.Linear(2, 2).weight.dtype == np.float32
    finally:
        autograd.set_default_dtype(np.float64)
    assert nn.Linear(2, 2).weight.dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 2, dtype=np.int64)


def test_linear_second_derivative_of_a_scalar_loss() -> None:
    # d/dx of (W x)·v has zero Hessian in x, but mixed x-W second derivatives are v ⊗ I.
    lin = nn.Linear(3, 2, bias=False)
    x = Tensor(RNG.standard_normal(3), requires_grad=True)
    v = RNG.standard_normal(2)
    (gx,) = autograd.grad((lin(x) * v).sum(), [x], create_graph=True)
    (gw,) = autograd.grad(gx.sum(), [lin.weight])
    np.testing.assert_allclose(gw.data, np.outer(v, np.ones(3)), rtol=1e-14)


# ----------------------------------------------------------------------------- containers
def test_sequential_indexing_len_iteration_append() -> None:
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and seq[-3] is a
    assert [id(m) for m in seq] == [id(a), id(b), id(c)]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2 and tail[0] is b
    assert [n for n, _ in tail.named_parameters()] == ["2.weight", "2.bias"]  # PyTorch keeps the names
    for bad in (3, -4):
        with pytest.raises(IndexError, match=f"index {bad} is out of range for a Sequential of length 3"):
            seq[bad]
    with pytest.raises(TypeError, match="integers or slices"):
        seq["0"]
    d = nn.Sigmoid()
    assert seq.append(d) is seq and seq[3] is d and len(seq) == 4
    x = Tensor(RNG.standard_normal((5, 2)))
    np.testing.assert_allclose(seq(x).data, d(c(b(a(x)))).data)
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    del seq[1]
    assert len(seq) == 3 and [n for n, _ in seq.named_children()] == ["0", "2", "3"]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_sequential_from_ordered_dict_uses_the_names() -> None:
    from collections import OrderedDict

    seq = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.ReLU()))
    assert [n for n, _ in seq.named_parameters()] == ["fc.weight", "fc.bias"]
    assert isinstance(seq.act, nn.ReLU)


def test_module_list_registers_its_modules() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert isinstance(layers[:2], nn.ModuleList)


def test_identity_and_flatten() -> None:
    x = Tensor(RNG.standard_normal((2, 3, 4, 5)), requires_grad=True)
    assert nn.Identity(7, key="ignored")(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Flatten(-2)(x).shape == (2, 3, 20)
    np.testing.assert_array_equal(nn.Flatten()(x).data, x.data.reshape(2, -1))
    nn.Flatten()(x).sum().backward()
    assert x.grad.shape == x.shape
    with pytest.raises(ValueError, match="out of range"):
        nn.Flatten(4)(x)
    with pytest.raises(ValueError, match="comes after"):
        nn.Flatten(2, 1)(x)


# ----------------------------------------------------------------------------- Dropout
def test_dropout_scales_kept_units_and_is_identity_in_eval() -> None:
    nn.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 100)), requires_grad=True)
    y = drop(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    y.backward(np.full(y.shape, 2.0))
    np.testing.assert_allclose(x.grad.data, np.where(kept, 2 / 0.75, 0.0))
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).data.any()


def test_dropout_is_reproducible_with_manual_seed_and_keeps_float32() -> None:
    x = Tensor(np.ones((10, 10), dtype=np.float32))
    nn.manual_seed(3)
    a = F.dropout(x, 0.5)
    nn.manual_seed(3)
    b = F.dropout(x, 0.5)
    c = F.dropout(x, 0.5)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(b.data, c.data)
    assert a.dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", True])
def test_dropout_probability_is_validated(p) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)


def test_dropout_op_gradcheck_with_fixed_mask() -> None:
    from nn.linear_ops import Dropout

    mask = (RNG.random((3, 4)) > 0.5) * 2.0
    assert gradcheck(lambda t: Dropout.apply(t, mask=mask), [Tensor(RNG.standard_normal((3, 4)), requires_grad=True)])


# ----------------------------------------------------------------------------- activations
def test_activation_modules_compute_their_formulas() -> None:
    x = RNG.standard_normal((3, 4)) * 3
    t = Tensor(x)
    np.testing.assert_allclose(nn.Sigmoid()(t).data, 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_array_equal(nn.ReLU()(t).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.LeakyReLU()(t).data, np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(t).data, np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(nn.Tanh()(t).data, np.tanh(x), rtol=1e-14)
    e = np.exp(x - x.max(0))
    np.testing.assert_allclose(nn.Softmax(axis=0)(t).data, e / e.sum(0), rtol=1e-14)
    np.testing.assert_allclose(nn.Softmax(dim=0)(t).data, e / e.sum(0), rtol=1e-14)
    np.testing.assert_allclose(nn.LogSoftmax()(t).data, x - np.log(np.exp(x).sum(1, keepdims=True)), rtol=1e-13)
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Softmax(axis=1)) == "Softmax(axis=1)"


def test_activations_keep_float32() -> None:
    t = Tensor(RNG.standard_normal((2, 3)).astype(np.float32))
    for m in (nn.Sigmoid(), nn.ReLU(), nn.LeakyReLU(), nn.Tanh(), nn.Softmax(), nn.LogSoftmax()):
        assert m(t).dtype == np.float32, type(m).__name__


# ----------------------------------------------------------------------------- init
def test_calculate_gain_matches_pytorch_constants() -> None:
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fan_in_and_fan_out_include_the_receptive_field() -> None:
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros((8, 3)))) == (3, 8)
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros((8, 3, 5, 5)))) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(Tensor(np.zeros(3)))


def _std(fn, shape, **kw):
    t = Tensor(np.zeros(shape))
    assert fn(t, **kw) is t
    return t.data.std(), t.data


@pytest.mark.parametrize(
    ("fn", "kw", "shape", "want_std"),
    [
        (init.xavier_uniform_, {}, (300, 500), math.sqrt(2 / 800)),
        (init.xavier_normal_, {"gain": 2.0}, (300, 500), 2 * math.sqrt(2 / 800)),
        (init.kaiming_uniform_, {"nonlinearity": "relu"}, (300, 500), math.sqrt(2 / 500)),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, (300, 500), math.sqrt(2 / 300)),
        (init.kaiming_normal_, {"a": 0.2}, (30, 20, 5, 5), math.sqrt(2 / 1.04) / math.sqrt(500)),
        (init.normal_, {"mean": 0.0, "std": 0.3}, (400, 400), 0.3),
        (init.uniform_, {"a": -2.0, "b": 2.0}, (400, 400), 4 / math.sqrt(12)),
    ],
)
def test_init_distributions_have_pytorchs_scale(fn, kw, shape, want_std) -> None:
    nn.manual_seed(11)
    std, data = _std(fn, shape, **kw)
    assert std == pytest.approx(want_std, rel=0.01)  # >= 150000 draws: sampling error ~0.2%
    if fn in (init.xavier_uniform_, init.kaiming_uniform_, init.uniform_):
        bound = want_std * math.sqrt(3)
        assert np.abs(data).max() <= bound and np.abs(data).max() > 0.999 * bound


def test_init_fills_in_place_under_no_grad_and_is_seeded() -> None:
    p = nn.Parameter(np.zeros((3, 4)))
    arr, version = p.data, p._version
    nn.manual_seed(5)
    assert init.kaiming_uniform_(p, a=math.sqrt(5)) is p
    assert p.data is arr and p._version > version and p.requires_grad and p.grad_fn is None
    first = p.data.copy()
    nn.manual_seed(5)
    init.kaiming_uniform_(p, a=math.sqrt(5))
    np.testing.assert_array_equal(p.data, first)
    gen = np.random.default_rng(1)
    init.normal_(p, generator=gen)
    np.testing.assert_array_equal(p.data, np.random.default_rng(1).normal(0, 1, (3, 4)))
    assert not init.zeros_(p).data.any()
    np.testing.assert_array_equal(init.ones_(p).data, 1.0)
    np.testing.assert_array_equal(init.constant_(p, 0.5).data, 0.5)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(p, mode="fan_avg")
    with pytest.raises(TypeError, match="expects a Tensor"):
        init.zeros_(np.zeros(3))


def test_init_keeps_float32() -> None:
    t = Tensor(np.zeros((4, 4), dtype=np.float32))
    for fn in (init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_, init.normal_):
        assert fn(t).dtype == np.float32 and t.data.any()


def test_float32_model_stays_float32_end_to_end() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 3)).to(np.float32)
    x = Tensor(RNG.standard_normal((5, 4)).astype(np.float32))
    out = model(x)
    loss = F.cross_entropy(out, np.array([0, 1, 2, 1, 0]))
    loss.backward()
    assert out.dtype == np.float32 and loss.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
