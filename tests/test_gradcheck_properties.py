"""Property tests (hypothesis) of gradients on random shapes, layouts and values.

The registry test checks each op on the shapes its author chose; these draw
the shapes (0-d to 4-d, sides 1-4, broadcasting pairs, batch axes), the memory
layout (transposed and strided views) and the values (away from kinks and
domain edges, see ``strategies``), and check what must hold for every op:
agreement with finite differences, linearity in the upstream gradient,
accumulation, graph bookkeeping, dtype preservation, NumPy references.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import (
    BINARY,
    LAYOUTS,
    REDUCTIONS,
    UNARY,
    arrays,
    as_layout,
    axis_args,
    broadcast_pairs,
    cut_points,
    grads_of,
    integer_index,
    leaf,
    matmul_shapes,
    op_cases,
    shapes,
    upstream_for,
)

import autograd
from autograd import Tensor, gradcheck, gradgradcheck, no_grad

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


# ------------------------------------------------------------ gradcheck per family
@given(st.sampled_from(sorted(UNARY)), shapes(), st.data())
def test_unary_ops_match_finite_differences(name, shape, data):
    fn, domain = UNARY[name]
    xs = [leaf(a) for a in data.draw(arrays((shape,), domain))]
    assert gradcheck(fn, xs)
    if xs[0].size <= 24:
        assert gradgradcheck(fn, xs)


@given(st.sampled_from(sorted(BINARY)), broadcast_pairs(), st.data())
def test_binary_ops_match_finite_differences_on_broadcast_pairs(name, pair, data):
    fn, domain = BINARY[name]
    xs = [leaf(a) for a in data.draw(arrays(pair, domain))]
    assert gradcheck(fn, xs)
    if sum(x.size for x in xs) <= 24:
        assert gradgradcheck(fn, xs)


@given(shapes(), st.sampled_from(["both", "lo", "hi"]), st.data())
def test_clip_matches_finite_differences_and_passes_inside_only(shape, which, data):
    (x,) = data.draw(arrays((shape,)))
    lo, hi = data.draw(cut_points(x, 2))
    lo = None if which == "hi" else lo
    hi = None if which == "lo" else hi
    t = leaf(x)
    assert gradcheck(lambda u: u.clip(lo, hi), [t])
    t.clip(lo, hi).backward(np.ones(shape))
    inside = (x >= (-np.inf if lo is None else lo)) & (x <= (np.inf if hi is None else hi))
    np.testing.assert_array_equal(t.grad.data, inside.astype(float))


@given(st.sampled_from(sorted(REDUCTIONS) + ["var_ddof1"]), shapes(), st.booleans(), st.data())
def test_reductions_with_random_axis_and_keepdims(name, shape, keepdims, data):
    axis = data.draw(axis_args(len(shape)))
    (x,) = data.draw(arrays((shape,)))
    ref = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "var": np.var}
    if name == "var_ddof1":
        count = x.size // max(np.sum(x, axis=axis, keepdims=True).size, 1)
        assume(count > 1)

        def fn(t):
            return t.var(axis=axis, keepdims=keepdims, ddof=1)

        expected = np.var(x, axis=axis, keepdims=keepdims, ddof=1)
    else:
        reduce = REDUCTIONS[name]

        def fn(t):
            return reduce(t, axis, keepdims)

        expected = ref[name](x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(fn(leaf(x)).data, expected, **TIGHT)
    assert gradcheck(fn, [leaf(x)])
    if x.size <= 24:
        assert gradgradcheck(fn, [leaf(x)])


@given(shapes(min_dims=1), st.sampled_from(["softmax", "log_softmax"]), st.data())
def test_softmax_family_matches_finite_differences(shape, name, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    (x,) = data.draw(arrays((shape,)))

    def fn(t):
        return getattr(t, name)(axis=axis)

    assert gradcheck(fn, [leaf(x)])
    if x.size <= 24:
        assert gradgradcheck(fn, [leaf(x)])


@given(matmul_shapes(), st.data())
def test_matmul_with_random_batch_axes(pair, data):
    a, b = data.draw(arrays(pair))
    out = leaf(a) @ leaf(b)
    np.testing.assert_allclose(out.data, np.matmul(a, b), **TIGHT)
    assert gradcheck(lambda x, y: x @ y, [leaf(a), leaf(b)])
    if a.size + b.size <= 24:
        assert gradgradcheck(lambda x, y: x @ y, [leaf(a), leaf(b)])


@given(shapes(min_dims=1), st.integers(1, 3), st.data())
def test_concatenate_and_stack(shape, pieces, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=pieces, max_size=pieces))
    cat_shapes = tuple(shape[: axis % len(shape)] + (n,) + shape[axis % len(shape) + 1 :] for n in sizes)
    parts = data.draw(arrays(cat_shapes))
    np.testing.assert_array_equal(autograd.concatenate([leaf(p) for p in parts], axis=axis).data, np.concatenate(parts, axis))
    assert gradcheck(lambda *ts: autograd.concatenate(ts, axis=axis), [leaf(p) for p in parts])
    same = data.draw(arrays((shape,) * pieces))
    np.testing.assert_array_equal(autograd.stack([leaf(p) for p in same], axis=axis).data, np.stack(same, axis))
    assert gradcheck(lambda *ts: autograd.stack(ts, axis=axis), [leaf(p) for p in same])


# ------------------------------------------------------------ NumPy references
@given(shapes(min_dims=1), st.data())
def test_integer_array_indexing_scatter_adds_like_np_add_at(shape, data):
    index = data.draw(integer_index(shape))
    (x,) = data.draw(arrays((shape,)))
    t = leaf(x)
    out = t[index]
    np.testing.assert_array_equal(out.data, x[index])
    g = np.random.default_rng(len(out.data.shape)).standard_normal(out.shape)
    out.backward(g)
    expected = np.zeros(shape)
    np.add.at(expected, index, g)
    np.testing.assert_allclose(t.grad.data, expected, **TIGHT)
    assert gradcheck(lambda u: u[index], [leaf(x)])
    assert gradgradcheck(lambda u: u[index] * u[index], [leaf(x)])
    mask = x > np.median(x)  # boolean masks scatter too
    m = leaf(x)
    picked = m[mask]
    picked.backward(np.arange(picked.size, dtype=float))
    expected = np.zeros(shape)
    expected[mask] = np.arange(picked.size)
    np.testing.assert_array_equal(m.grad.data, expected)


@given(broadcast_pairs(), st.data())
def test_broadcast_gradient_sums_every_copy(pair, data):
    small, other = pair
    full = np.broadcast_shapes(small, other)
    (x,) = data.draw(arrays((small,)))
    g = np.random.default_rng(7).standard_normal(full)
    t = leaf(x)
    t.broadcast_to(full).backward(g)
    # reference: each element of x receives the sum of g over the positions it was copied to
    owner = np.broadcast_to(np.arange(x.size).reshape(small), full)
    expected = np.zeros(x.size)
    np.add.at(expected, owner.reshape(-1), g.reshape(-1))
    np.testing.assert_allclose(t.grad.data, expected.reshape(small), **TIGHT)
    t2, y = leaf(x), leaf(np.ones(other))  # the same through the engine's reduction for `+`
    (t2 + y).backward(g)
    np.testing.assert_allclose(t2.grad.data, expected.reshape(small), **TIGHT)


@given(shapes(min_dims=1), st.sampled_from(["max", "min"]), st.booleans(), st.data())
def test_max_min_split_the_gradient_evenly_among_ties(shape, name, keepdims, data):
    axis = data.draw(axis_args(len(shape)))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.integers(0, 2).map(float)))  # many ties
    t = leaf(x)
    out = getattr(t, name)(axis=axis, keepdims=keepdims)
    g = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(g)
    extreme = getattr(np, name)(x, axis=axis, keepdims=True)
    hits = x == extreme
    share = np.broadcast_to(g if keepdims else g.reshape(extreme.shape), x.shape) / hits.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(t.grad.data, np.where(hits, share, 0.0), **TIGHT)
    a, b = leaf(x), leaf(x.copy())  # elementwise ties: half each (PyTorch's rule)
    getattr(autograd, name + "imum")(a, b).backward(np.ones(shape))
    np.testing.assert_array_equal(a.grad.data, np.full(shape, 0.5))
    np.testing.assert_array_equal(b.grad.data, np.full(shape, 0.5))


@given(shapes(min_dims=1), st.data())
def test_kinks_take_pytorchs_one_sided_gradients(shape, data):
    """At the points gradcheck must avoid, the gradient is PyTorch's convention:
    relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope, clip passes at its bounds."""
    (x,) = data.draw(arrays((shape,), layout=False))
    x.reshape(-1)[:: 2] = 0.0  # exact kinks in every other element
    lo, hi = float(x.min()), float(x.max())  # bounds hit exactly by the extremes
    ones = np.ones(shape)
    expected = {
        "relu": (x > 0).astype(float),
        "abs": np.sign(x),
        "leaky_relu": np.where(x > 0, 1.0, 0.1),
        "clip": ones,
    }
    calls = {"relu": Tensor.relu, "abs": Tensor.abs, "leaky_relu": lambda t: t.leaky_relu(0.1), "clip": lambda t: t.clip(lo, hi)}
    for name, call in calls.items():
        t = leaf(x.copy())
        call(t).backward(ones)
        np.testing.assert_array_equal(t.grad.data, expected[name], err_msg=name)


@given(shapes(min_dims=1), st.data())
def test_softmax_sums_to_one_and_log_softmax_is_its_log(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    (x,) = data.draw(arrays((shape,)))
    t = leaf(x)
    s = t.softmax(axis=axis).data
    assert np.all(s > 0)
    np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(t.log_softmax(axis=axis).data, np.log(s), rtol=1e-12, atol=1e-12)
    shifted = leaf(x + 1000.0)  # shift invariance, and no overflow for large logits
    np.testing.assert_allclose(shifted.softmax(axis=axis).data, s, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(shifted.log_softmax(axis=axis).data, np.log(s), rtol=1e-9, atol=1e-9)
    # d/dx sum(softmax) = 0: the outputs always sum to one
    t.softmax(axis=axis).sum().backward()
    np.testing.assert_allclose(t.grad.data, 0.0, atol=1e-12)


@given(shapes(), st.data())
def test_reshape_and_transpose_round_trips(shape, data):
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    inverse = tuple(np.argsort(perm))
    (x,) = data.draw(arrays((shape,)))
    t = leaf(x)
    back = t.transpose(*perm).transpose(*inverse).reshape(-1).reshape(shape)
    np.testing.assert_array_equal(back.data, x)
    np.testing.assert_array_equal(t.transpose(*perm).data, np.transpose(x, perm))
    g = np.random.default_rng(1).standard_normal(shape)
    back.backward(g)
    np.testing.assert_array_equal(t.grad.data, g)  # the round trip's Jacobian is the identity


# ------------------------------------------------------------ engine properties
@given(op_cases(), st.data())
def test_gradient_has_the_input_shape_and_dtype(case, data):
    label, fn, arrs = case
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    xs = [leaf(a.astype(dtype)) for a in arrs]
    out = fn(*xs)
    assert out.dtype == dtype, label
    out.backward(np.ones(out.shape, dtype=dtype))
    for x in xs:
        assert x.grad is not None and x.grad.shape == x.shape and x.grad.dtype == dtype, label


@given(op_cases(), st.floats(-3, 3), st.floats(-3, 3))
def test_backward_is_linear_in_the_upstream_gradient(case, a, b):
    label, fn, arrs = case
    g1, g2 = upstream_for(fn, arrs, 1), upstream_for(fn, arrs, 2)
    xs = [leaf(x) for x in arrs]
    out = fn(*xs)
    r1 = autograd.grad(out, xs, g1, retain_graph=True)
    r2 = autograd.grad(out, xs, g2, retain_graph=True)
    mixed = autograd.grad(out, xs, np.asarray(a * g1 + b * g2))
    for u, v, w in zip(r1, r2, mixed):
        np.testing.assert_allclose(w.data, a * u.data + b * v.data, rtol=1e-9, atol=1e-9, err_msg=label)


@given(st.sampled_from(sorted(UNARY)), st.sampled_from(sorted(UNARY)), shapes(), st.booleans(), st.data())
def test_diamond_graph_sums_the_gradients_of_its_branches(f_name, g_name, shape, shared, data):
    (f, dom_f), (g, dom_g) = UNARY[f_name], UNARY[g_name]
    domain = "positive" if "positive" in (dom_f, dom_g) else "real"
    (x,) = data.draw(arrays((shape,), domain))
    v = np.random.default_rng(5).standard_normal(f(leaf(x)).shape)

    def stem(t):  # the fork: a non-leaf node (monotone, keeps the domain) or the leaf itself
        return t.tanh() * 2.0 if shared else t

    def diamond(t):
        h = stem(t)
        return f(h) + g(h)

    (both,) = grads_of(diamond, [x], v)
    (only_f,) = grads_of(lambda t: f(stem(t)), [x], v)
    (only_g,) = grads_of(lambda t: g(stem(t)), [x], v)
    np.testing.assert_allclose(both, only_f + only_g, rtol=1e-10, atol=1e-12)


@given(st.lists(st.sampled_from(sorted(UNARY)), min_size=2, max_size=5), shapes(), st.data())
def test_grad_of_a_sum_of_uses_is_the_sum_of_their_grads(names, shape, data):
    domain = "positive" if any(UNARY[n][1] == "positive" for n in names) else "real"
    (x,) = data.draw(arrays((shape,), domain))
    t = leaf(x)
    total = UNARY[names[0]][0](t)
    for n in names[1:]:
        total = total + UNARY[n][0](t)  # the same leaf feeds every use
    total.backward(np.ones(shape))
    expected = sum(grads_of(UNARY[n][0], [x], np.ones(shape))[0] for n in names)
    np.testing.assert_allclose(t.grad.data, expected, rtol=1e-10, atol=1e-12)
    k = len(names)
    u = leaf(x)
    sum([u] * k).backward(np.ones(shape))  # x + x + ... + x
    np.testing.assert_array_equal(u.grad.data, np.full(shape, float(k)))


@given(op_cases(), st.sampled_from(sorted(UNARY)))
def test_grad_at_an_intermediate_composes_by_the_chain_rule(case, outer_name):
    """grad(out, x) == grad(h, x, grad(out, h)) for h = op(x), out = outer(h)."""
    label, fn, arrs = case
    outer, domain = UNARY[outer_name]
    assume(domain == "real")  # h can be any real value (no log/sqrt of negatives)
    xs = [leaf(a) for a in arrs]
    h = fn(*xs)
    out = outer(h)
    v = np.random.default_rng(12).standard_normal(out.shape)
    at_h, *at_x = autograd.grad(out, [h, *xs], v, retain_graph=True)
    assert at_h.shape == h.shape
    chained = autograd.grad(h, xs, at_h.data)
    for a, b in zip(at_x, chained):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-12, err_msg=label)


@given(op_cases())
def test_gradients_never_alias_each_other_or_the_upstream_array(case):
    label, fn, arrs = case
    g = upstream_for(fn, arrs, 13)
    g_before = g.copy()
    xs = [leaf(a) for a in arrs]
    fn(*xs).backward(g)
    before = [x.grad.data.copy() for x in xs]
    for i, x in enumerate(xs):
        x.grad.data[...] = 1234.5  # an optimizer scribbling on one gradient...
        for j, y in enumerate(xs[i + 1 :], start=i + 1):
            np.testing.assert_array_equal(y.grad.data, before[j], err_msg=label)  # ...touches no other
    np.testing.assert_array_equal(g, g_before)
    for x in xs:
        assert not np.shares_memory(x.grad.data, x.data)


@given(op_cases())
def test_two_backward_calls_accumulate_into_grad(case):
    label, fn, arrs = case
    g = upstream_for(fn, arrs, 4)
    xs = [leaf(a) for a in arrs]
    fn(*xs).backward(g)
    first = [x.grad.data.copy() for x in xs]
    fn(*xs).backward(g)
    for x, f in zip(xs, first):
        np.testing.assert_allclose(x.grad.data, 2 * f, rtol=1e-12, atol=1e-12, err_msg=label)


@given(op_cases())
def test_retain_graph_allows_a_second_backward_and_its_absence_forbids_it(case):
    label, fn, arrs = case
    g = upstream_for(fn, arrs, 6)
    xs = [leaf(a) for a in arrs]
    out = fn(*xs)
    out.backward(g, retain_graph=True)
    first = [x.grad.data.copy() for x in xs]
    out.backward(g)
    for x, f in zip(xs, first):
        np.testing.assert_allclose(x.grad.data, 2 * f, rtol=1e-12, atol=1e-12, err_msg=label)
    with pytest.raises(RuntimeError, match="retain_graph"):
        out.backward(g)


@given(op_cases())
def test_no_grad_records_nothing(case):
    label, fn, arrs = case
    xs = [leaf(a) for a in arrs]
    with no_grad():
        out = fn(*xs)
        with autograd.enable_grad():
            inner = fn(*xs)
    assert out.grad_fn is None and not out.requires_grad, label
    assert inner.grad_fn is not None and inner.requires_grad, label
    np.testing.assert_array_equal(out.data, fn(*xs).data)
    assert no_grad()(fn)(*xs).grad_fn is None
    assert all(x.grad is None for x in xs)


@given(op_cases(max_dims=3, max_side=3))
def test_double_backward_matches_finite_differences_of_the_first_gradient(case):
    """Hessian-vector products from create_graph against central differences of the gradient."""
    label, fn, arrs = case
    v = upstream_for(fn, arrs, 8)
    rng = np.random.default_rng(9)
    us = [rng.standard_normal(a.shape) for a in arrs]
    xs = [leaf(a) for a in arrs]
    firsts = autograd.grad(fn(*xs), xs, v, create_graph=True)
    dot = sum((f * u).sum() for f, u in zip(firsts, us))
    hvp = autograd.grad(dot, xs, allow_unused=True) if dot.requires_grad else [None] * len(xs)
    eps = 1e-6
    plus = grads_of(fn, [a + eps * u for a, u in zip(arrs, us)], v)
    minus = grads_of(fn, [a - eps * u for a, u in zip(arrs, us)], v)
    for h, p, m in zip(hvp, plus, minus):
        numerical = (p - m) / (2 * eps)
        analytical = np.zeros_like(numerical) if h is None else h.data
        np.testing.assert_allclose(analytical, numerical, rtol=1e-4, atol=1e-6, err_msg=label)
    if sum(a.size for a in arrs) <= 12:
        assert gradgradcheck(fn, [leaf(a) for a in arrs])


@given(op_cases(dtype=np.float32, layout=True))
def test_float32_stays_float32_through_first_and_second_order(case):
    label, fn, arrs = case
    xs = [leaf(a) for a in arrs]
    out = fn(*xs)
    assert out.dtype == np.float32, label
    v = Tensor(upstream_for(fn, arrs, 10, np.float32), requires_grad=True)
    firsts = autograd.grad(out, xs, v, create_graph=True)
    assert all(f.dtype == np.float32 for f in firsts), label
    total = sum(f.sum() for f in firsts)
    seconds = autograd.grad(total, xs + [v], allow_unused=True)
    assert all(s is None or s.dtype == np.float32 for s in seconds), label


@given(op_cases(), st.lists(st.sampled_from(LAYOUTS[1:]), min_size=2, max_size=2))
def test_noncontiguous_inputs_give_the_same_values_and_gradients(case, layouts):
    label, fn, arrs = case
    g = upstream_for(fn, arrs, 11)
    dense = [leaf(a) for a in arrs]
    views = [leaf(as_layout(a, lay)) for a, lay in zip(arrs, layouts)]
    out_d, out_v = fn(*dense), fn(*views)
    np.testing.assert_allclose(out_v.data, out_d.data, **TIGHT, err_msg=label)
    for a, b in zip(autograd.grad(out_d, dense, g), autograd.grad(out_v, views, g)):
        np.testing.assert_allclose(b.data, a.data, **TIGHT, err_msg=label)
