"""Misuse of the autograd core and the error a user sees: one test per row of docs/errors.md.

Every error must (1) name the problem (shapes, dtype, the op), (2) be raised by
the misusing call itself, not by some later call, and (3) leave the state as
it was: no gradient written into a leaf, the graph still usable when the call
was refused before running.  ``refused`` checks (1) and (2): the traceback's
deepest frame in this file must be the statement that holds the misuse.
(nn and optim misuse: test_robustness_errors_nn.py.)
"""

from __future__ import annotations

import operator
import re

import numpy as np
import pytest
from refusal import refused  # noqa: E402

import autograd
import nn
from autograd import Function, Tensor, grad


def leaf(*shape: int, seed: int = 0) -> Tensor:
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------------ shape mismatches
BINARY = {  # (C functions or library functions: no frame of this file between the test and the op)
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "maximum": autograd.maximum,
    "minimum": autograd.minimum,
}


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize(("sa", "sb"), [((3, 4), (5,)), ((2, 3), (3, 2)), ((4, 1, 3), (2, 4))])
def test_binary_op_shape_mismatch_names_the_op_and_both_shapes(name, sa, sb):
    a, b = leaf(*sa), leaf(*sb, seed=1)
    a_before = a.data.copy()
    with refused(ValueError, rf"^{name}: shapes {re.escape(str(sa))} and {re.escape(str(sb))} cannot be broadcast",
                 at="BINARY[name](a, b)"):
        BINARY[name](a, b)
    # nothing was recorded or written: the operands are untouched leaves
    assert a.grad is None and b.grad is None and a.grad_fn is None
    np.testing.assert_array_equal(a.data, a_before)


def test_shape_mismatch_with_an_ndarray_on_the_left_and_in_where():
    a = leaf(3, 4)
    with refused(ValueError, r"^add: shapes \(5,\) and \(3, 4\)", at="np.ones(5) + a"):
        np.ones(5) + a
    with refused(ValueError, r"^mul: shapes \(2, 4\) and \(3, 4\)", at="np.ones((2, 4)) * a"):
        np.ones((2, 4)) * a
    with refused(ValueError, r"^where \(condition, a, b\): shapes \(3, 4\) and \(3, 4\) and \(5,\)",
                 at="autograd.where("):
        autograd.where(np.ones((3, 4), bool), a, leaf(5))


@pytest.mark.parametrize(
    ("sa", "sb", "detail"),
    [
        ((3, 4), (3, 2), r"4 \(last axis of the first\) != 3"),
        ((2, 3, 4), (5, 2), r"4 \(last axis of the first\) != 5"),
        ((4,), (3,), r"4 \(last axis of the first\) != 3"),
        ((3, 4), (), r"at least 1 dimension"),
    ],
)
def test_matmul_mismatch_names_both_shapes(sa, sb, detail):
    a, b = leaf(*sa), leaf(*sb, seed=1)
    with refused(ValueError, rf"matmul: .*shapes {re.escape(str(sa))} and {re.escape(str(sb))}", detail, at="a @ b"):
        a @ b
    with refused(ValueError, re.escape(str(sa)), at="autograd.matmul(a, b)"):
        autograd.matmul(a, b)
    assert a.grad is None and b.grad is None


# ------------------------------------------------------------------------ backward misuse
def test_backward_on_a_non_scalar_without_gradient_keeps_the_graph():
    x = leaf(3, 4)
    y = x * 2.0
    with refused(RuntimeError, r"only for scalar outputs", r"shape \(3, 4\)", r"gradient=", at="y.backward()"):
        y.backward()
    assert x.grad is None
    # the refused call freed nothing: the same graph still runs with a gradient
    y.backward(np.ones((3, 4)))
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 2.0))


def test_gradient_of_the_wrong_shape_names_both_shapes_and_keeps_the_graph():
    x = leaf(3, 4)
    y = x * 3.0
    with refused(RuntimeError, r"gradient has shape \(4, 3\) but the tensor has shape \(3, 4\)",
                 at="y.backward(np.ones((4, 3)))"):
        y.backward(np.ones((4, 3)))
    with refused(RuntimeError, r"gradient has shape \(12,\) but the tensor has shape \(3, 4\)", at="grad(y, x"):
        grad(y, x, grad_outputs=np.ones(12))
    assert x.grad is None
    y.backward(np.ones((3, 4)))
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 3.0))


def test_second_backward_through_a_freed_graph_mentions_retain_graph():
    x = leaf(3)
    h = x.exp()
    y = h.sum()
    y.backward()
    first = x.grad.data.copy()
    with refused(RuntimeError, r"backward through the graph a second time", r"retain_graph=True", r"\bSum\b",
                 at="y.backward()"):
        y.backward()
    # a new output reusing a freed intermediate is refused too, naming the freed op
    z = (h * 2.0).sum()
    with refused(RuntimeError, r"\bExp\b was already run", r"retain_graph=True", at="z.backward()"):
        z.backward()
    with refused(RuntimeError, r"retain_graph=True", at="grad(y, x)"):
        grad(y, x)
    np.testing.assert_array_equal(x.grad.data, first)  # the failed calls added nothing


def test_backward_on_a_tensor_that_does_not_require_grad():
    y = Tensor([1.0, 2.0]).sum()
    with refused(RuntimeError, r"does not require grad and does not have a grad_fn", at="y.backward()"):
        y.backward()


def test_grad_of_an_unused_input_says_allow_unused():
    x, unused = leaf(2), leaf(3)
    y = (x * x).sum()
    with refused(RuntimeError, r"input 1 \(shape \(3,\)\).*not to have been used", r"allow_unused=True",
                 at="grad(y, [x, unused])"):
        grad(y, [x, unused])


@pytest.mark.parametrize("data", [[1, 2, 3], np.arange(4, dtype=np.int32), [True, False]])
def test_requires_grad_on_an_integer_or_bool_tensor_is_refused(data):
    kind = np.asarray(data).dtype
    with refused(RuntimeError, rf"only floating point tensors can require gradients, got dtype {kind}",
                 at="Tensor(data, requires_grad=True)"):
        Tensor(data, requires_grad=True)
    t = Tensor(data)
    with refused(RuntimeError, rf"got dtype {kind}", at="t.requires_grad_()"):
        t.requires_grad_()
    assert t.requires_grad is False
    with refused(RuntimeError, rf"got dtype {kind}", at="nn.Parameter(np.asarray(data))"):
        nn.Parameter(np.asarray(data))


# ------------------------------------------------------------------------ in-place modification
INPLACE = {  # method -> arguments
    "add_": (1.0,),
    "sub_": (1.0,),
    "mul_": (2.0,),
    "copy_": (np.zeros(3),),
    "zero_": (),
    "fill_": (7.0,),
    "__setitem__": (1, 5.0),
}


@pytest.mark.parametrize("method", list(INPLACE))
def test_in_place_change_of_a_saved_tensor_is_detected_at_backward(method):
    x = leaf(3)
    w = Tensor([1.0, 2.0, 3.0])
    y = (x * w).sum()  # Mul saved w for x's gradient
    getattr(w, method)(*INPLACE[method])
    with refused(RuntimeError, r"modified by an in-place operation", r"input 1 of Mul \(shape \(3,\)\)",
                 at="y.backward()"):
        y.backward()
    assert x.grad is None


def test_in_place_update_of_a_parameter_between_forward_and_backward_is_detected():
    model = nn.Linear(3, 2)
    out = model(Tensor(np.ones((4, 3)))).sum()
    with autograd.no_grad():
        model.weight.mul_(0.5)  # e.g. a hand-written update
    with refused(RuntimeError, r"modified by an in-place operation", r"input 1 of Linear \(shape \(2, 3\)\)",
                 at="out.backward()"):
        out.backward()
    assert model.weight.grad is None and model.bias.grad is None


def test_in_place_change_of_a_leaf_that_requires_grad_is_refused():
    x = leaf(3)
    before = x.data.copy()
    for method, args in INPLACE.items():
        with refused(RuntimeError, r"leaf tensor that requires grad is being used in an in-place operation",
                     r"no_grad", at="getattr(x, method)(*args)"):
            getattr(x, method)(*args)
        np.testing.assert_array_equal(x.data, before, err_msg=method)
    assert x._version == 0


def test_writing_into_data_directly_is_not_tracked_and_the_gradient_uses_the_new_values():
    """Documented limitation (as ``.data`` in PyTorch): ``t.data`` is the raw ndarray, and
    writes into it bypass the version counter, so backward silently uses the new values."""
    x = leaf(3)
    w = Tensor([1.0, 2.0, 3.0])
    y = (x * w).sum()
    w.data[...] = 10.0  # not an error ...
    y.backward()  # ... and not detected:
    np.testing.assert_array_equal(x.grad.data, [10.0, 10.0, 10.0])  # not the [1, 2, 3] used in forward
    assert w._version == 0


# ------------------------------------------------------------------------ other user errors
def test_numpy_function_without_a_derivative_on_a_tensor_requiring_grad():
    x = leaf(3)
    with refused(TypeError, r"np\.sin .*not differentiable", at="np.sin(x)"):
        np.sin(x)
    with refused(TypeError, r"np\.cumsum is not differentiable", at="np.cumsum(x)"):
        np.cumsum(x)


def test_reduction_axis_out_of_range():
    x = leaf(3, 4)
    with refused(np.exceptions.AxisError, r"axis 2 is out of bounds for a tensor of 2 dimensions", at="x.sum(axis=2)"):
        x.sum(axis=2)
    with refused(np.exceptions.AxisError, r"axis -3", at="x.softmax(axis=-3)"):
        x.softmax(axis=-3)


class _BadShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, g):
        return Tensor(np.ones(5))  # the input has shape (3,)


class _TooMany(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, g):
        return g, g


def test_custom_function_returning_a_wrong_gradient_is_named():
    x = leaf(3)
    y = _BadShape.apply(x).sum()
    with refused(RuntimeError, r"_BadShape returned a gradient of shape \(5,\) for an input of shape \(3,\)",
                 at="y.backward()"):
        y.backward()
    y = _TooMany.apply(x).sum()
    with refused(RuntimeError, r"_TooMany\.backward returned 2 gradients but forward took 1 inputs",
                 at="y.backward()"):
        y.backward()
    assert x.grad is None
