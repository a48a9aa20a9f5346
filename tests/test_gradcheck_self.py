"""Tests of gradcheck and gradgradcheck themselves.

A gradient checker that passes everything proves nothing, so each check is
shown both ways: it accepts correct user ``Function``s and compositions, and
it rejects deliberately wrong ones (a factor off, one wrong element, a wrong
broadcast reduction, a backward that detaches), naming the input, the element
and both values.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from strategies import as_layout, leaf

from autograd import Function, GradcheckError, Tensor, gradcheck, gradgradcheck

RNG = np.random.default_rng(1234)
A = RNG.uniform(0.5, 1.5, (3, 4)) * np.where(RNG.random((3, 4)) < 0.5, -1, 1)
B = RNG.uniform(0.5, 1.5, (3, 4))
BIAS = RNG.uniform(-1.0, 1.0, (4,))


def inputs(*arrays: np.ndarray) -> list[Tensor]:
    return [Tensor(a, requires_grad=True) for a in arrays]


def reported(message: str) -> tuple[int, int, float, float]:
    """(input index, input element, analytical, numerical) parsed from a GradcheckError message."""
    number = r"(?:np\.float64\()?([-+0-9.eE]+)\)?"
    m_input = re.search(r"with respect to input (\d+)", message)
    m_elem = re.search(r"input element (\d+)", message)
    m_vals = re.search(rf"analytical {number} vs numerical {number}", message)
    assert m_input and m_elem and m_vals, f"message does not name input, element and values: {message}"
    return int(m_input.group(1)), int(m_elem.group(1)), float(m_vals.group(1)), float(m_vals.group(2))


# ------------------------------------------------------------------ Functions
class Cube(Function):
    """x**3 with a backward written in Tensor ops: differentiable to second order."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x) * 3.0


class CubeFactorOff(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x) * 6.0


class CubeDetached(Cube):
    """Right to first order, but the derivative is computed on ``x.detach()``."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xd = x.detach()
        return g * (xd * xd) * 3.0


class CubeRawNumpy(Cube):
    """Right to first order, but computed on raw arrays: nothing of it is recorded."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return Tensor(g.data * 3.0 * x.data**2)


class Product(Function):
    """a * b for two same-shaped inputs."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a


WRONG_ELEMENT = 5


class ProductOneWrongElement(Product):
    """Gradient for b is off by 50% at flat element 5 only."""

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        scale = np.ones(b.shape)
        scale.reshape(-1)[WRONG_ELEMENT] = 1.5
        return g * b, g * a * scale


class AddBias(Function):
    """x (3, 4) + bias (4,): the bias gradient sums the upstream gradient over rows."""

    @staticmethod
    def forward(ctx, x, bias):
        return x + bias

    @staticmethod
    def backward(ctx, g):
        return g, g.sum(axis=0)


class AddBiasWrongReduction(AddBias):
    """Averages over the broadcast axis instead of summing."""

    @staticmethod
    def backward(ctx, g):
        return g, g.mean(axis=0)


# --------------------------------------------------------------- gradcheck passes
def test_gradcheck_accepts_correct_functions() -> None:
    assert gradcheck(Cube.apply, inputs(A))
    assert gradcheck(Product.apply, inputs(A, B))
    assert gradcheck(AddBias.apply, inputs(A, BIAS))


def test_gradcheck_accepts_compositions_of_functions_and_ops() -> None:
    def f(x, w, b):
        h = AddBias.apply(Product.apply(x, w).tanh(), b)
        return Cube.apply(h).log_softmax(axis=1), (h * 0.5).sum(axis=0)  # two outputs

    assert gradcheck(f, inputs(A, B, BIAS))
    assert gradgradcheck(f, inputs(A, B, BIAS))


def test_gradcheck_accepts_noncontiguous_inputs_and_restores_them() -> None:
    view = as_layout(A, "strided_transposed")
    x = leaf(view)
    assert gradcheck(lambda t: Cube.apply(t).sum(axis=0), [x])
    np.testing.assert_array_equal(x.data, A)  # every perturbation undone, bit for bit
    assert x.data is view


def test_gradcheck_ignores_inputs_that_do_not_require_grad() -> None:
    a, b = Tensor(A, requires_grad=True), Tensor(B)
    assert gradcheck(ProductOneWrongElement.apply, [a, b])  # the wrong gradient is b's


# --------------------------------------------------------------- gradcheck fails
def test_factor_off_is_reported_with_input_element_and_both_values() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(CubeFactorOff.apply, inputs(A))
    index, element, analytical, numerical = reported(str(info.value))
    assert index == 0
    assert element == 0  # the first mismatch: every element is wrong
    assert numerical == pytest.approx(3 * A.reshape(-1)[0] ** 2, rel=1e-6)
    assert analytical == pytest.approx(2 * numerical, rel=1e-6)


def test_one_wrong_element_is_found_and_named() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(ProductOneWrongElement.apply, inputs(A, B))
    index, element, analytical, numerical = reported(str(info.value))
    assert (index, element) == (1, WRONG_ELEMENT)
    assert numerical == pytest.approx(A.reshape(-1)[WRONG_ELEMENT], rel=1e-6)
    assert analytical == pytest.approx(1.5 * A.reshape(-1)[WRONG_ELEMENT], rel=1e-9)
    assert "1 of 144 entries differ" in str(info.value)


def test_wrong_broadcast_reduction_is_found_on_the_broadcast_input() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(AddBiasWrongReduction.apply, inputs(A, BIAS))
    index, element, analytical, numerical = reported(str(info.value))
    assert index == 1 and element == 0
    assert numerical == pytest.approx(1.0, rel=1e-6)
    assert analytical == pytest.approx(1.0 / 3.0, rel=1e-9)


def test_mismatch_in_a_second_output_names_that_output() -> None:
    def f(a, b):
        return Product.apply(a, b), ProductOneWrongElement.apply(a, b)

    with pytest.raises(GradcheckError, match=r"output 1 with respect to input 1"):
        gradcheck(f, inputs(A, B))


@pytest.mark.parametrize(
    ("fn", "arrays"),
    [(CubeFactorOff.apply, (A,)), (ProductOneWrongElement.apply, (A, B)), (AddBiasWrongReduction.apply, (A, BIAS))],
    ids=["factor", "element", "reduction"],
)
def test_raise_exception_false_returns_false(fn, arrays) -> None:
    assert gradcheck(fn, inputs(*arrays), raise_exception=False) is False


def test_raise_exception_false_still_returns_true_when_right() -> None:
    assert gradcheck(Product.apply, inputs(A, B), raise_exception=False) is True


# ------------------------------------------------------------ gradgradcheck
def test_gradgradcheck_accepts_a_backward_written_in_tensor_ops() -> None:
    assert gradgradcheck(Cube.apply, inputs(A))
    assert gradgradcheck(Product.apply, inputs(A, B))
    assert gradgradcheck(Cube.apply, inputs(A), grad_outputs=[RNG.standard_normal(A.shape)])


@pytest.mark.parametrize("fn", [CubeDetached.apply, CubeRawNumpy.apply], ids=["detach", "raw-numpy"])
def test_gradgradcheck_rejects_a_detached_backward(fn) -> None:
    assert gradcheck(fn, inputs(A))  # right to first order...
    with pytest.raises(GradcheckError, match="second-order") as info:  # ...but not differentiable
        gradgradcheck(fn, inputs(A))
    index, element, analytical, numerical = reported(str(info.value))
    assert index == 0  # d/dx of the first gradient is what detaching loses
    assert analytical != pytest.approx(numerical, rel=1e-3, abs=1e-5)
    assert gradgradcheck(fn, inputs(A), raise_exception=False) is False


# ------------------------------------------------------------ input validation
def test_no_input_requiring_grad_is_an_error() -> None:
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(Cube.apply, [Tensor(A)])


def test_non_tensor_output_is_an_error() -> None:
    with pytest.raises(TypeError, match="output 0"):
        gradcheck(lambda x: x.data * 2, inputs(A))


def test_read_only_input_is_an_error() -> None:
    with pytest.raises(ValueError, match="read-only"):
        gradcheck(Cube.apply, [leaf(np.broadcast_to(BIAS, (3, 4)))])


def test_float32_inputs_warn() -> None:
    # eps=1e-6 is below float32's resolution near 1: such a comparison means nothing, so it warns.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradcheck(lambda x: x * 2.0, inputs(A.astype(np.float32)), raise_exception=False)
    assert any("input 0 is float32" in str(w.message) for w in caught)
