"""User-defined Functions, grad mode (per thread), gradcheck on Functions."""

import threading

import numpy as np
import pytest

import autograd
from autograd import Function, Tensor, gradcheck, gradgradcheck, no_grad


class Cube(Function):
    """x ** 3 with a backward written in Tensor ops (so it is differentiable)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor(x.data**3)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class ScaledAdd(Function):
    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return a + b * alpha

    @staticmethod
    def backward(ctx, g):
        return g, g * ctx.alpha, None


def test_function_forward_runs_without_recording_and_output_is_recorded():
    seen = {}

    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            seen["inner_grad_fn"] = y.grad_fn
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = Tensor([1.0], requires_grad=True)
    y = Spy.apply(x)
    assert seen["inner_grad_fn"] is None
    assert y.grad_fn is not None and y.grad_fn.name == "Spy"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0])


def test_function_gradients_and_second_order():
    x = Tensor(np.array([0.5, -1.2, 2.0]), requires_grad=True)
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))
    (g,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, 6 * x.data)


def test_function_with_non_tensor_argument_and_broadcasting():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    ScaledAdd.apply(a, b, 2.5).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.ones((2, 3)))
    np.testing.assert_array_equal(b.grad.data, np.full(3, 5.0))


def test_function_returning_the_wrong_number_of_gradients_is_an_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned 1 gradients but forward took 2"):
        Bad.apply(a, b).sum().backward()


def test_needs_input_grad():
    record = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b):
            record["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    Probe.apply(Tensor([1.0], requires_grad=True), Tensor([1.0]))
    assert record["needs"] == (True, False)


def test_no_grad_records_nothing_and_enable_grad_restores():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
        with autograd.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None
    assert autograd.is_grad_enabled()


def test_no_grad_as_decorator_restores_on_exception():
    @no_grad()
    def f(x):
        assert not autograd.is_grad_enabled()
        raise ValueError("boom")

    with pytest.raises(ValueError):
        f(1)
    assert autograd.is_grad_enabled()


def test_grad_mode_is_per_thread():
    inside = threading.Event()
    release = threading.Event()
    results = {}

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)
            results["worker"] = autograd.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    x = Tensor([1.0], requires_grad=True)
    results["main_records"] = (x * 2).grad_fn is not None
    release.set()
    t.join()
    assert results == {"worker": False, "main_records": True}


def test_two_threads_training_separate_models_get_correct_gradients():
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((50, 4)) for _ in range(2)]
    weights = [rng.standard_normal(4) for _ in range(2)]
    out = {}

    def train(i):
        w = Tensor(weights[i], requires_grad=True)
        x = Tensor(data[i])
        for _ in range(200):
            w.grad = None
            ((x @ w).tanh() ** 2).sum().backward()
        out[i] = w.grad.data

    threads = [threading.Thread(target=train, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        h = np.tanh(data[i] @ weights[i])
        expected = data[i].T @ (2 * h * (1 - h**2))
        np.testing.assert_allclose(out[i], expected, rtol=1e-12)
