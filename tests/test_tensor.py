"""Tensor construction, dtype rules, operators, NumPy interop and errors."""

import warnings

import numpy as np
import pytest

import autograd
from autograd import Tensor


def test_python_floats_take_the_default_dtype_and_ints_stay_integer():
    assert Tensor([1.0, 2.0]).dtype == np.float64
    assert Tensor(3).dtype == np.int64
    assert Tensor([True, False]).dtype == np.bool_
    autograd.set_default_dtype(np.float32)
    try:
        assert Tensor([1.0]).dtype == np.float32
        assert Tensor(np.ones(2)).dtype == np.float64  # an ndarray keeps its own dtype
    finally:
        autograd.set_default_dtype(np.float64)
    assert autograd.get_default_dtype() == np.float64


def test_set_default_dtype_rejects_non_float():
    with pytest.raises(TypeError, match="float32 or float64"):
        autograd.set_default_dtype(np.int32)


def test_construction_copies_like_torch_tensor_and_detach_shares():
    a = np.zeros(3)
    t = Tensor(a)
    a[0] = 5
    assert t.data[0] == 0
    d = t.detach()
    d.data[1] = 7
    assert t.data[1] == 7


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="bool"):
        Tensor([True]).requires_grad_()


def test_object_data_is_refused():
    with pytest.raises(TypeError, match="cannot build a Tensor"):
        Tensor([{"a": 1}])


def test_attributes():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.is_leaf and t.grad_fn is None
    y = t * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert t.T.shape == (3, 2)
    assert np.asarray(t) is t.data and t.numpy() is t.data
    assert Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match="one element"):
        t.item()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_scalars_do_not_upcast(dtype):
    x = Tensor(np.ones((2, 2), dtype), requires_grad=True)
    y = ((x * 2.5 + 1) / 3.0 - 0.5) ** 2
    y = y.exp().log().sqrt().tanh().sigmoid().relu().softmax().log_softmax(axis=0).var(axis=0).mean()
    assert y.dtype == dtype
    y.backward()
    assert x.grad.dtype == dtype


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = np.array([3.0, 4.0])
    for y in (a * x, a + x, a - x, a / x, a**x, a @ x):
        assert isinstance(y, Tensor) and y.requires_grad
    (a * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, a)


def test_reflected_scalar_operators():
    x = Tensor([2.0], requires_grad=True)
    y = 1 - x + 2 * x - 3 / x + 2**x
    y.backward()
    np.testing.assert_allclose(x.grad.data, [-1 + 2 + 3 / 4 + 4 * np.log(2)])


def test_comparisons_carry_no_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for m in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert m.dtype == np.bool_ and not m.requires_grad and m.grad_fn is None
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])


def test_repeated_integer_indices_accumulate():
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[np.array([0, 0, 3, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 0, 0, 1])


def test_basic_and_mixed_indexing_gradients_match_a_numpy_scatter():
    base = np.arange(24.0).reshape(4, 6)
    w = np.random.default_rng(0).standard_normal((3, 2))
    x = Tensor(base, requires_grad=True)
    (x[1:4, [0, 5]] * w).sum().backward()
    expected = np.zeros_like(base)
    expected[1:4, [0, 5]] = w
    np.testing.assert_array_equal(x.grad.data, expected)


def test_tensor_index_and_list_index():
    x = Tensor(np.arange(5.0), requires_grad=True)
    idx = Tensor([1, 1, 2])
    x[idx].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 2, 1, 0, 0])
    np.testing.assert_array_equal(x[[4, 0]].data, [4, 0])


def test_free_functions_match_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    c = rng.random((2, 3)) > 0.5
    ta, tb = Tensor(a), Tensor(b)
    np.testing.assert_array_equal(autograd.concatenate([ta, tb], axis=1).data, np.concatenate([a, b], 1))
    np.testing.assert_array_equal(autograd.stack([ta, tb], axis=-1).data, np.stack([a, b], -1))
    np.testing.assert_array_equal(autograd.where(c, ta, tb).data, np.where(c, a, b))
    np.testing.assert_array_equal(autograd.maximum(ta, tb).data, np.maximum(a, b))
    np.testing.assert_array_equal(autograd.minimum(ta, tb).data, np.minimum(a, b))
    np.testing.assert_allclose(autograd.matmul(ta, tb.T).data, a @ b.T)


def test_methods_match_numpy():
    x = np.random.default_rng(2).standard_normal((3, 4))
    t = Tensor(x)
    np.testing.assert_allclose(t.var(axis=1, ddof=1).data, x.var(axis=1, ddof=1))
    np.testing.assert_allclose(t.max(axis=0, keepdims=True).data, x.max(axis=0, keepdims=True))
    np.testing.assert_allclose(t.min().data, x.min())
    np.testing.assert_allclose(t.clip(-0.5, 0.5).data, np.clip(x, -0.5, 0.5))
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    sm = e / e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(t.softmax().data, sm)
    np.testing.assert_allclose(t.log_softmax().data, np.log(sm))
    np.testing.assert_allclose(t.transpose(1, 0).data, x.T)
    np.testing.assert_allclose(t.reshape(2, 6).data, x.reshape(2, 6))
    np.testing.assert_allclose(t.abs().data, np.abs(x))


def test_softmax_is_finite_for_huge_logits():
    x = Tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.log_softmax()
        (y * Tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert np.isfinite(y.data).all() and np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(y.data, [[0.0, -2000.0, -1000.0]])


def test_sigmoid_saturates_without_warnings():
    x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.25, 0.0])


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


def test_axis_out_of_range_is_an_error():
    with pytest.raises(np.exceptions.AxisError, match="axis 2"):
        Tensor(np.ones((2, 3))).sum(axis=2)


def test_in_place_methods_on_a_leaf_requiring_grad_are_refused():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.add_(1.0)
    with autograd.no_grad():
        w.add_(1.0)
    np.testing.assert_array_equal(w.data, [2.0, 3.0])


def test_numpy_functions_without_gradient_fall_back_to_arrays():
    t = Tensor([1.0, 4.0])
    assert np.allclose(t, [1.0, 4.0])
    with pytest.raises(TypeError, match="not differentiable"):
        np.sin(Tensor([1.0], requires_grad=True))


def test_repr_mentions_grad_state():
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(Tensor([1.0], requires_grad=True) * 2)
    assert "float32" in repr(Tensor(np.ones(1, np.float32)))
