"""The reverse-mode engine: traversal, accumulation, freeing, higher order, errors."""

import gc
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad


def test_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2 + 3, 4 + 3])


def test_diamond_graph_sums_both_paths():
    x = Tensor([0.5, -1.5], requires_grad=True)
    a = x.exp()
    y = (a * x + a.tanh()).sum()
    y.backward()
    e = np.exp(x.data)
    np.testing.assert_allclose(x.grad.data, e * x.data + e + (1 - np.tanh(e) ** 2) * e)


def test_each_gradient_has_its_inputs_shape():
    a = Tensor(np.ones((3, 1)), requires_grad=True)
    b = Tensor(np.ones((1, 4)), requires_grad=True)
    c = Tensor(np.ones(4), requires_grad=True)
    ((a * b + c) ** 2).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4) and c.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.data, np.full((3, 1), 4 * 2 * 2.0))
    np.testing.assert_allclose(c.grad.data, np.full(4, 3 * 2 * 2.0))


def test_same_tensor_twice_in_one_op():
    x = Tensor([3.0], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.data, [6.0])


def test_leaves_sharing_one_upstream_array_get_independent_grads():
    a = Tensor([1.0], requires_grad=True)
    b = Tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data[0] = 100.0
    assert b.grad.data[0] == 1.0


def test_user_gradient_array_is_not_aliased():
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([1.0, 1.0])
    (x + 0).backward(g)
    x.grad.data[0] = 5
    assert g[0] == 1.0


def test_backward_on_non_scalar_needs_a_gradient():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"scalar.*\(2, 3\)"):
        y.backward()


def test_gradient_of_the_wrong_shape_names_both_shapes():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_second_backward_through_a_freed_graph_mentions_retain_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])


def test_backward_frees_saved_arrays_while_the_output_is_still_referenced():
    n = 1_000_000
    x = Tensor(np.full(n, 0.5), requires_grad=True)
    gc.collect()
    tracemalloc.start()
    try:
        y = x
        for _ in range(30):
            y = y * 1.01
        y = y.sum()
        before = tracemalloc.get_traced_memory()[0]
        y.backward()
        del x.grad
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # 30 intermediate float64 arrays of 8 MB were alive before backward and none after.
    assert before > 30 * 8 * n * 0.9
    assert after < 2 * 8 * n, (before, after)
    assert y.grad_fn is not None  # the output itself is still referenced


def test_200k_op_chain_backward_without_recursion_error_in_linear_time():
    def run(n):
        x = Tensor(np.ones(2), requires_grad=True)
        y = x
        t0 = time.perf_counter()
        for _ in range(n):
            y = y * 1.0
        y.sum().backward()
        return time.perf_counter() - t0, x.grad

    assert sys.getrecursionlimit() < 200_000
    small, _ = run(20_000)
    large, g = run(200_000)
    np.testing.assert_array_equal(g.data, [1.0, 1.0])
    assert large / small < 25  # 10x the ops: linear (about 10x), not quadratic (100x)


def test_wide_graph_accumulates_every_use():
    x = Tensor([1.0], requires_grad=True)
    total = x * 0
    for i in range(10_000):
        total = total + x * float(i % 3)
    total.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [sum(i % 3 for i in range(10_000))])


def test_grad_of_grad_of_cube_is_6x():
    x = Tensor([0.5, -2.0, 3.0], requires_grad=True)
    (g,) = grad((x**3).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 3 * x.data**2)
    (gg,) = grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, 6 * x.data)


def test_hessian_vector_product_of_a_tanh_network_matches_finite_differences():
    rng = np.random.default_rng(0)
    w1, w2, xin = rng.standard_normal((4, 3)), rng.standard_normal((1, 4)), rng.standard_normal((5, 3))
    v = rng.standard_normal((4, 3))

    def loss_grad(w1_array, create):
        w = Tensor(w1_array, requires_grad=True)
        out = (Tensor(xin) @ w.T).tanh() @ Tensor(w2).T
        loss = (out**2).mean()
        (g,) = grad(loss, w, create_graph=create)
        return w, g

    w, g = loss_grad(w1, True)
    (hv,) = grad((g * Tensor(v)).sum(), w)
    eps = 1e-6
    fd = (loss_grad(w1 + eps * v, False)[1].data - loss_grad(w1 - eps * v, False)[1].data) / (2 * eps)
    np.testing.assert_allclose(hv.data, fd, rtol=1e-6, atol=1e-8)


def test_grad_returns_without_touching_dot_grad_and_checks_unused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    z = Tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    (gx,) = grad(y, x, retain_graph=True)
    np.testing.assert_array_equal(gx.data, [2.0, 4.0])
    assert x.grad is None
    with pytest.raises(RuntimeError, match="not to have been used"):
        grad(y, [x, z], retain_graph=True)
    gx2, gz = grad(y, [x, z], allow_unused=True)
    assert gz is None and np.array_equal(gx2.data, gx.data)


def test_grad_with_respect_to_an_intermediate_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = grad(y, h)
    np.testing.assert_array_equal(gh.data, 2 * h.data)


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.data, 2 * h.data)


def test_create_graph_gradient_is_itself_differentiable_through_backward():
    x = Tensor([0.3, -0.7], requires_grad=True)
    y = (x.sigmoid() * x).sum()
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    g1 = x.grad
    x.grad = None
    g1.sum().backward()
    s = 1 / (1 + np.exp(-x.data))
    ds = s * (1 - s)
    d2s = ds * (1 - 2 * s)
    np.testing.assert_allclose(x.grad.data, d2s * x.data + 2 * ds)


def test_in_place_change_of_a_saved_input_is_detected():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0])
    y = (x * w).sum()
    w.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_in_place_change_before_recording_is_fine():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0])
    w.add_(1.0)
    (x * w).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 5.0])


def test_detect_anomaly_names_the_op_and_the_users_line():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with autograd.detect_anomaly():
        y = x.sqrt().sum()  # the line the error must name
        line = sys._getframe().f_lineno - 1
        with pytest.raises(RuntimeError) as err, np.errstate(divide="ignore"):
            y.backward()
    msg = str(err.value)
    assert "SqrtBackward" in msg and "inf" in msg
    assert f"{__file__}\", line {line}" in msg


def test_without_anomaly_mode_nan_gradients_pass_silently_as_in_numpy():
    x = Tensor([0.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        x.sqrt().sum().backward()
    assert np.isinf(x.grad.data[0])


def test_log_and_sqrt_at_zero_behave_as_numpy():
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(Tensor([0.0]).log().data, np.log([0.0]))
    np.testing.assert_array_equal(Tensor([0.0]).sqrt().data, [0.0])


def test_backward_at_a_domain_edge_gives_inf_without_numpy_warnings():
    x = Tensor([0.0, 4.0], requires_grad=True)
    y = x.sqrt().sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward()
    assert np.isinf(x.grad.data[0]) and x.grad.data[1] == 0.25


def test_redefining_an_op_in_the_same_place_replaces_it_but_a_name_clash_is_an_error():
    from autograd.node import REGISTRY, Op, Sample

    def define():
        class Twice(Op):
            samples = (Sample(((2,),)),)

            def forward(self, x):
                return 2 * x

            def backward(self, g, out, x):
                return 2 * g

        return Twice

    try:
        first, second = define(), define()
        assert REGISTRY["Twice"] is second and first is not second
        with pytest.raises(TypeError, match="already registered"):
            type("Twice", (Op,), {"samples": (Sample(((2,),)),), "__module__": "elsewhere"})
    finally:
        REGISTRY.pop("Twice", None)


def test_in_place_change_of_an_output_its_backward_reuses_is_detected():
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    with autograd.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="the output of Exp"):
        y.sum().backward()
