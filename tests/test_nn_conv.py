"""Convolution and pooling: PyTorch parity, higher-order gradients, dtypes, errors, layers.

Reference numbers come from ``tests/fixtures/conv_torch.npz``, written by
``tools/make_conv_fixtures.py`` with PyTorch (the tests never import torch):
float64 forward outputs and input/weight/bias gradients, and for two cases
second derivatives through PyTorch's double backward.  Gradient checks against
finite differences of every op's registry samples are in
``test_gradcheck_registry.py``; here the public functions are checked on the
strided and padded cases the layers use.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import autograd
from autograd import REGISTRY, Tensor, gradcheck, gradgradcheck, no_grad
from nn import conv_ops, pool_ops
from nn.conv import AvgPool1d, AvgPool2d, Conv1d, Conv2d, MaxPool1d, MaxPool2d
from nn.conv_ops import conv1d, conv2d
from nn.pool_ops import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "conv_torch.npz")
CASES = {c["name"]: c for c in json.loads(FIXTURE["__cases__"].tobytes())}
FUNCS = {"conv1d": conv1d, "conv2d": conv2d, "max_pool1d": max_pool1d, "max_pool2d": max_pool2d,
         "avg_pool1d": avg_pool1d, "avg_pool2d": avg_pool2d}
TOL = {"rtol": 1e-10, "atol": 1e-10}


def _kwargs(case: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}


def _inputs(name: str) -> list[Tensor]:
    keys = [k for k in ("x", "w", "b") if f"{name}/{k}" in FIXTURE]
    return [Tensor(FIXTURE[f"{name}/{k}"], requires_grad=True) for k in keys]


# ----------------------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_gradients_match_pytorch(name: str) -> None:
    case = CASES[name]
    inputs = _inputs(name)
    out = FUNCS[case["fn"]](*inputs, **_kwargs(case))
    np.testing.assert_allclose(out.data, FIXTURE[f"{name}/out"], **TOL)
    grads = autograd.grad(out, inputs, FIXTURE[f"{name}/g"])
    for key, got in zip(("grad_x", "grad_w", "grad_b"), grads):
        assert got.shape == FIXTURE[f"{name}/{key}"].shape
        np.testing.assert_allclose(got.data, FIXTURE[f"{name}/{key}"], **TOL, err_msg=key)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["double"]))
def test_second_derivatives_match_pytorch(name: str) -> None:
    case = CASES[name]
    x, w = _inputs(name)[:2]
    g = Tensor(FIXTURE[f"{name}/g"], requires_grad=True)
    out = FUNCS[case["fn"]](x, w, **_kwargs(case))
    gx, gw = autograd.grad(out, [x, w], g, create_graph=True)
    s = (gx * FIXTURE[f"{name}/u"]).sum() + (gw * FIXTURE[f"{name}/v"]).sum()
    for key, got in zip(("gg_x", "gg_w", "gg_g"), autograd.grad(s, [x, w, g])):
        np.testing.assert_allclose(got.data, FIXTURE[f"{name}/{key}"], **TOL, err_msg=key)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum() -> None:
    x = Tensor(np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 3.0, 3.0]]]]), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])
    # Overlapping windows: each window's first maximum collects that window's gradient.
    y = Tensor(np.array([[[1.0, 3.0, 3.0, 2.0]]]), requires_grad=True)
    max_pool1d(y, 2, stride=1).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [[[0, 2, 1, 0]]])


def test_conv2d_against_a_direct_sum() -> None:
    """An independent definition (sum over channels and kernel offsets) on a padded, strided case."""
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    xp = np.pad(x, ((0, 0), (0, 0), (2, 2), (1, 1)))
    want = np.zeros((2, 4, 5, 3))  # rows (7 + 4 - 3) // 2 + 1, columns (6 + 2 - 2) // 3 + 1
    for i in range(5):
        for j in range(3):
            patch = xp[:, :, 2 * i:2 * i + 3, 3 * j:3 * j + 2]
            want[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w) + b
    np.testing.assert_allclose(conv2d(x, w, b, stride=(2, 3), padding=(2, 1)).data, want, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- gradients
GRAD_CASES = [
    pytest.param(lambda x, w, b: conv2d(x, w, b, stride=2, padding=1), [(2, 2, 5, 6), (3, 2, 3, 2), (3,)], id="conv2d"),
    pytest.param(lambda x, w: conv2d(x, w, stride=(1, 2), padding=(0, 1)), [(1, 3, 4, 5), (2, 3, 2, 3)], id="conv2d-nobias"),
    pytest.param(lambda x, w, b: conv1d(x, w, b, stride=2, padding=2), [(2, 2, 7), (3, 2, 4), (3,)], id="conv1d"),
    pytest.param(lambda x: max_pool2d(x, 3, stride=2, padding=1), [(2, 2, 5, 6)], id="max_pool2d"),
    pytest.param(lambda x: avg_pool2d(x, (2, 3), stride=1, padding=1), [(2, 2, 4, 5)], id="avg_pool2d"),
]


@pytest.mark.parametrize(("fn", "shapes"), GRAD_CASES)
def test_functional_forms_pass_gradcheck_and_gradgradcheck(fn, shapes) -> None:
    rng = np.random.default_rng(7)
    inputs = []
    for s in shapes:  # distinct magnitudes in [0.2, 2]: no max ties, no kinks
        n = math.prod(s)
        vals = rng.permutation(np.linspace(0.2, 2.0, n)) * rng.choice([-1.0, 1.0], n)
        inputs.append(Tensor(vals.reshape(s), requires_grad=True))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_third_derivative_through_the_adjoint_ops() -> None:
    """d/dw of a Hessian-vector product: the adjoints' own backward passes are recorded too."""
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)

    def third(wv: Tensor) -> Tensor:
        out = conv2d(x, wv, stride=2, padding=1)
        (gx,) = autograd.grad((out**2).sum(), [x], create_graph=True)
        (gw,) = autograd.grad((gx**2).sum(), [wv], create_graph=True)
        return gw

    assert gradcheck(third, [w])


def test_conv_ops_have_the_required_sample_coverage() -> None:
    samples = REGISTRY["Convolution"].samples
    assert any(len(s.shapes) == 2 for s in samples) and any(len(s.shapes) == 3 for s in samples)
    assert any(max(s.kwargs["stride"]) == 2 for s in samples)
    assert any(max(s.kwargs["padding"]) == 1 for s in samples)
    assert any(len(set(s.shapes[1][2:])) > 1 for s in samples), "no non-square kernel"
    assert any(s.shapes[0][0] == 2 for s in samples)
    assert {len(s.kwargs["stride"]) for s in samples} == {1, 2}
    for name in ("ConvolutionInputGrad", "ConvolutionWeightGrad", "MaxPool", "MaxPoolScatter", "AvgPool", "AvgPoolScatter"):
        assert REGISTRY[name].samples, name


def test_op_attributes_are_recorded() -> None:
    x = Tensor(np.ones((1, 2, 6, 6)), requires_grad=True)
    node = conv2d(x, np.ones((3, 2, 3, 2)), stride=2, padding=(1, 0)).grad_fn
    assert node.name == "Convolution"
    assert node.attributes() == {"kernel_size": (3, 2), "stride": (2, 2), "padding": (1, 0)}
    assert max_pool2d(x, 2).grad_fn.attributes() == {"kernel_size": (2, 2), "stride": (2, 2), "padding": (0, 0)}


def test_only_tensors_that_require_grad_get_gradients() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 5, 5))
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(3))  # a constant bias
    out = conv2d(x, w, b)
    out.sum().backward()
    assert w.grad.shape == (3, 2, 3, 3) and b.grad is None
    # d(sum)/dw[o, c, i, j] = sum over batch and positions of the window entries
    want = np.stack([x[:, :, i:i + 3, j:j + 3].sum(axis=(0, 2, 3)) for i in range(3) for j in range(3)], axis=-1)
    np.testing.assert_allclose(w.grad.data, np.broadcast_to(want.reshape(2, 3, 3), (3, 2, 3, 3)), rtol=1e-12)
    with no_grad():
        assert conv2d(Tensor(x, requires_grad=True), w).grad_fn is None


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("fn", [
    lambda x, w: conv2d(x, w, np.zeros(3, np.float32), stride=2, padding=1),
    lambda x, w: conv1d(x[..., 0], w[..., 0], padding=1),
    lambda x, w: max_pool2d(x, 2),
    lambda x, w: avg_pool2d(x, 3, stride=1, padding=1),
], ids=["conv2d", "conv1d", "max_pool2d", "avg_pool2d"])
def test_float32_stays_float32(fn) -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 2, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), requires_grad=True)
    out = fn(x, w)
    assert out.dtype == np.float32
    v = Tensor(rng.standard_normal(out.shape).astype(np.float32), requires_grad=True)
    gx, gw = autograd.grad(out, [x, w], v, allow_unused=True, create_graph=True)
    assert gx.dtype == np.float32 and (gw is None or gw.dtype == np.float32)
    second = autograd.grad((gx * gx).sum(), [x, w, v], allow_unused=True)
    assert second[2] is not None
    assert all(h.dtype == np.float32 for h in second if h is not None)


def test_output_shapes() -> None:
    x = np.zeros((2, 3, 28, 28))
    assert conv2d(x, np.zeros((8, 3, 5, 5)), stride=2, padding=2).shape == (2, 8, 14, 14)
    assert conv2d(x, np.zeros((4, 3, 3, 1)), stride=(3, 1)).shape == (2, 4, 9, 28)
    assert conv1d(np.zeros((5, 2, 10)), np.zeros((6, 2, 4)), stride=3, padding=1).shape == (5, 6, 3)
    assert max_pool2d(x, 2).shape == (2, 3, 14, 14)
    assert max_pool2d(x, 3, stride=2).shape == (2, 3, 13, 13)  # floor mode
    assert avg_pool1d(np.zeros((1, 1, 9)), 4).shape == (1, 1, 2)


def test_an_empty_batch_gives_empty_outputs_and_zero_parameter_gradients() -> None:
    x = Tensor(np.zeros((0, 2, 5, 5)), requires_grad=True)
    w, b = Tensor(np.ones((3, 2, 3, 3)), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    out = conv2d(x, w, b, padding=1)
    assert out.shape == (0, 3, 5, 5)
    out.sum().backward()
    assert x.grad.shape == (0, 2, 5, 5)
    np.testing.assert_array_equal(w.grad.data, 0.0)
    np.testing.assert_array_equal(b.grad.data, 0.0)
    assert max_pool2d(x, 2).shape == (0, 2, 2, 2)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("call", "message"), [
    (lambda: conv2d(np.zeros((3, 8, 8)), np.zeros((4, 3, 3, 3))),
     r"^conv2d expects a 4-D input \(N, C, H, W\), got shape \(3, 8, 8\)$"),
    (lambda: conv1d(np.zeros((2, 3, 8, 8)), np.zeros((4, 3, 3))), r"conv1d expects a 3-D input \(N, C, L\)"),
    (lambda: conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3))), r"4-D weight .* got shape \(4, 3, 3\)"),
    (lambda: conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 2, 3, 3))), r"input has 3 channels but the weight expects 2"),
    (lambda: conv2d(np.zeros((1, 3, 4, 4)), np.zeros((4, 3, 7, 3)), padding=1),
     r"kernel size \(7, 3\) is larger than the padded input size \(6, 6\)"),
    (lambda: conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3)), stride=0), r"stride must be positive, got \(0, 0\)"),
    (lambda: conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3)), stride=(1, 2, 1)), r"stride must be an int or a tuple of 2"),
    (lambda: conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3)), padding=-1), r"padding must be non-negative"),
    (lambda: conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3)), np.zeros(3)), r"bias must have shape \(4,\)"),
    (lambda: max_pool2d(np.zeros((2, 8, 8)), 2), r"max_pool2d expects a 4-D input \(N, C, H, W\), got shape \(2, 8, 8\)"),
    (lambda: max_pool2d(np.zeros((1, 1, 8, 8)), 2, padding=2), r"padding \(2, 2\) should be at most half of kernel_size"),
    (lambda: max_pool2d(np.zeros((1, 1, 3, 8)), 4), r"kernel size \(4, 4\) is larger than the padded input size \(3, 8\)"),
    (lambda: max_pool2d(np.zeros((1, 1, 8, 8)), 2, stride=-1), r"stride must be positive"),
    (lambda: avg_pool2d(np.zeros((1, 1, 8, 8)), 0), r"kernel_size must be positive"),
], ids=["ndim", "ndim1d", "weight-ndim", "channels", "kernel-too-big", "stride0", "stride-len", "padding-negative",
        "bias-shape", "pool-ndim", "pool-padding", "pool-kernel-too-big", "pool-stride", "pool-kernel0"])
def test_bad_input_is_a_clear_error(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_a_refused_call_leaves_the_layer_unchanged() -> None:
    layer = Conv2d(3, 2, 3)
    before = layer.weight.data.copy()
    with pytest.raises(ValueError, match="input has 1 channels but the weight expects 3"):
        layer(np.zeros((1, 1, 5, 5)))
    np.testing.assert_array_equal(layer.weight.data, before)
    assert layer.weight.grad is None


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Conv2d(3, 8, 3, stride=0), "stride must be positive"),
    (lambda: Conv2d(3, 0, 3), "out_channels must be a positive int"),
    (lambda: Conv2d(3, 8, (3, 3, 3)), "kernel_size must be an int or a tuple of 2 ints"),
    (lambda: Conv1d(3, 8, 0), "kernel_size must be positive"),
    (lambda: Conv1d(3, 8, 3, padding=-1), "padding must be non-negative"),
    (lambda: MaxPool2d(2, padding=2), "padding must be between 0 and half of kernel_size"),
    (lambda: MaxPool2d(2, stride=0), "stride must be positive"),
])
def test_layer_arguments_are_checked_at_construction(make, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()


# ----------------------------------------------------------------------------- layers
@pytest.mark.parametrize(("layer", "w_shape"), [
    (Conv1d(3, 5, 4), (5, 3, 4)),
    (Conv2d(2, 4, 3), (4, 2, 3, 3)),
    (Conv2d(6, 16, (5, 2), stride=2, padding=(2, 1)), (16, 6, 5, 2)),
])
def test_conv_layer_parameters_and_default_init(layer, w_shape) -> None:
    names = dict(layer.named_parameters())
    assert list(names) == ["weight", "bias"]
    assert layer.weight.shape == w_shape and layer.bias.shape == (w_shape[0],)
    assert layer.weight.dtype == np.float64 and layer.weight.requires_grad
    bound = 1 / math.sqrt(math.prod(w_shape[1:]))  # kaiming_uniform_(a=sqrt(5)) and the bias rule
    for p in (layer.weight, layer.bias):
        assert np.all(np.abs(p.data) <= bound)
    assert np.abs(layer.weight.data).max() > 0.5 * bound  # spread over the range, not a narrower one
    assert len(np.unique(layer.weight.data)) == layer.weight.size


def test_conv_layer_options() -> None:
    layer = Conv2d(3, 4, 3, bias=False, dtype=np.float32)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.dtype == np.float32
    assert layer(np.zeros((1, 3, 5, 5), np.float32)).dtype == np.float32
    layer.weight.data[...] = 1.0
    np.testing.assert_allclose(layer(np.ones((1, 3, 5, 5), np.float32)).data, np.full((1, 4, 3, 3), 27.0))


def test_conv2d_layer_with_pytorch_weights_matches_pytorch() -> None:
    name = "conv2d_stride2_pad1"
    layer = Conv2d(2, 3, 3, stride=2, padding=1)
    layer.load_state_dict({"weight": FIXTURE[f"{name}/w"], "bias": FIXTURE[f"{name}/b"]})
    x = Tensor(FIXTURE[f"{name}/x"], requires_grad=True)
    out = layer(x)
    np.testing.assert_allclose(out.data, FIXTURE[f"{name}/out"], **TOL)
    out.backward(FIXTURE[f"{name}/g"])
    np.testing.assert_allclose(layer.weight.grad.data, FIXTURE[f"{name}/grad_w"], **TOL)
    np.testing.assert_allclose(layer.bias.grad.data, FIXTURE[f"{name}/grad_b"], **TOL)
    np.testing.assert_allclose(x.grad.data, FIXTURE[f"{name}/grad_x"], **TOL)


def test_conv1d_and_pool_layers_match_pytorch() -> None:
    name = "conv1d_plain"
    layer = Conv1d(3, 4, 3)
    layer.load_state_dict({"weight": FIXTURE[f"{name}/w"], "bias": FIXTURE[f"{name}/b"]})
    np.testing.assert_allclose(layer(FIXTURE[f"{name}/x"]).data, FIXTURE[f"{name}/out"], **TOL)
    for name, layer in [("max_pool2d_k3_s2_p1", MaxPool2d(3, stride=2, padding=1)),
                        ("max_pool1d_k3_s2", MaxPool1d(3, 2)),
                        ("avg_pool2d_k32_s21_p1", AvgPool2d((3, 2), stride=(2, 1), padding=1)),
                        ("avg_pool1d_k3_s2_p1", AvgPool1d(3, 2, 1))]:
        np.testing.assert_allclose(layer(FIXTURE[f"{name}/x"]).data, FIXTURE[f"{name}/out"], **TOL, err_msg=name)


def test_layer_reprs_match_pytorch() -> None:
    # The strings PyTorch 2 prints for the same constructions.
    assert repr(Conv2d(1, 8, 3)) == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(Conv2d(2, 3, (2, 4), stride=(2, 1), padding=(1, 2), bias=False)) == (
        "Conv2d(2, 3, kernel_size=(2, 4), stride=(2, 1), padding=(1, 2), bias=False)")
    assert repr(Conv1d(3, 4, 5, padding=2)) == "Conv1d(3, 4, kernel_size=(5,), stride=(1,), padding=(2,))"
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(MaxPool2d((3, 2), stride=1, padding=1)) == (
        "MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, ceil_mode=False)")
    assert repr(AvgPool2d(3, stride=(2, 1))) == "AvgPool2d(kernel_size=3, stride=(2, 1), padding=0)"
    assert repr(AvgPool1d(3, 2, 1)) == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"


def test_pooling_layers_have_no_parameters_and_follow_the_functional_form() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 7))
    assert list(MaxPool2d(2).parameters()) == []
    np.testing.assert_array_equal(MaxPool2d(3, 2, 1)(x).data, max_pool2d(x, 3, 2, 1).data)
    np.testing.assert_array_equal(MaxPool2d(2)(x).data, x[:, :, :6, :6].reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5)))


def test_functional_forms_are_the_public_ones() -> None:
    import nn
    from nn import functional as F

    assert (F.conv1d, F.conv2d, F.max_pool2d) == (conv_ops.conv1d, conv_ops.conv2d, pool_ops.max_pool2d)
    assert (nn.Conv1d, nn.Conv2d, nn.MaxPool2d) == (Conv1d, Conv2d, MaxPool2d)
