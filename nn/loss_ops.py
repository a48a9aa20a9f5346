"""Fused loss ops: each loss is one graph node whose forward is the numerically
stable formula and whose backward is the closed-form gradient.

Fusing matters for more than speed.  ``CrossEntropy`` computes log-softmax
with the max shift and its gradient ``softmax - target distribution``
directly, so logits of ±1000 give finite losses and gradients without NumPy
warnings; ``BinaryCrossEntropyWithLogits`` uses ``max(x, 0) - x*y +
log1p(exp(-|x|))``.  ``BinaryCrossEntropy`` copies PyTorch's clamping of the
logs at -100 and its gradient ``(x - y) / max(x (1 - x), 1e-12)``, so results
match PyTorch even for probabilities of exactly 0 and 1.

Backward formulas are dual-mode (see ``autograd.node``): with
``create_graph=True`` the arguments are Tensors, the arithmetic is recorded,
and the few non-polynomial pieces (softmax, sigmoid, the clamped logs) are
recomputed from the input Tensor so that they are differentiable too.
Per-op constants (targets, class weights, ``pos_weight``) are attributes and
get no gradient, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor
from autograd.node import Op, Sample

REDUCTIONS = ("mean", "sum", "none")
# PyTorch's BCE gradient floor: ``constexpr float EPSILON = 1e-12``, a float32 value even in float64.
BCE_EPSILON = float(np.float32(1e-12))


class _Loss(Op):
    """Shared reduction: forward reduces the elementwise loss, backward scales ``g`` back."""

    abstract = True
    reduction = "mean"

    def _reduce(self, loss, count):
        self.count = count
        if self.reduction == "none":
            return loss
        total = loss.sum()
        if self.reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):  # empty input / all ignored: nan, as PyTorch
            return total / count

    def _scale(self, g):
        """The upstream gradient, broadcastable against the elementwise loss."""
        if self.reduction == "mean":
            return g / (self.count or 1)
        return g


def _same_dtype(a, like):
    """A constant operand (target, weight) in the input's dtype, so float32 stays float32."""
    if a is None:
        return None
    a = np.asarray(a)
    return a if a.dtype == like.dtype else a.astype(like.dtype)


def _elementwise_samples(shape, domain="real", **extra):
    return tuple(Sample((shape, shape), kwargs={"reduction": r, **extra}, domain=domain) for r in REDUCTIONS)


class MseLoss(_Loss):
    """Squared error ``(x - y)^2``, reduced."""

    saves_inputs = True
    samples = _elementwise_samples((3, 4)) + (
        Sample(((5,),), call=lambda x: MseLoss.apply(x, np.linspace(-1, 1, 5).astype(x.dtype), reduction="mean")),
    )

    def forward(self, x, y):
        d = x - _same_dtype(y, x)
        return self._reduce(d * d, d.size)

    def backward(self, g, out, x, y):
        gd = self._scale(g) * (x - y) * 2.0
        return (gd if self.needs[0] else None), (-gd if self.needs[1] else None)


_BCE_TARGET = np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 0.3, 0.0, 1.0], [0.5, 0.0, 1.0, 0.9]])
_CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])


class BinaryCrossEntropy(_Loss):
    """``-w (y log x + (1 - y) log(1 - x))`` on probabilities, logs clamped at -100 (PyTorch)."""

    weight = None
    samples = _elementwise_samples((3, 4), domain="unit") + (
        Sample(((3, 4), (3, 4)), kwargs={"weight": _CLASS_WEIGHT, "reduction": "mean"}, domain="unit"),
        Sample(((3, 4),), domain="unit",
               call=lambda x: BinaryCrossEntropy.apply(x, _BCE_TARGET.astype(x.dtype), reduction="sum")),
    )

    def forward(self, x, y):
        y = _same_dtype(y, x)
        w = _same_dtype(self.weight, x)
        # log(0) = -inf, clamped to -100 below; an input outside [0, 1] gives NaN here,
        # which nn.functional.binary_cross_entropy turns into a clear error.
        with np.errstate(divide="ignore", invalid="ignore"):
            log_x = np.maximum(np.log(x), -100.0)
            log_1mx = np.maximum(np.log1p(-x), -100.0)
        loss = (y - 1) * log_1mx - y * log_x
        if w is not None:
            loss = loss * w
        self.saved = (w, log_x, log_1mx)
        return self._reduce(loss, loss.size)

    def backward(self, g, out, x, y):
        w, log_x, log_1mx = self.saved
        gs = self._scale(g)
        if w is not None:
            gs = gs * w
        gx = gy = None
        if self.needs[0]:
            gx = gs * (x - y) / np.maximum((1 - x) * x, BCE_EPSILON)
        if self.needs[1]:
            if isinstance(x, Tensor):  # create_graph: recompute the clamped logs as recorded ops
                with np.errstate(divide="ignore"):
                    log_x = np.maximum(np.log(x), -100.0)
                    log_1mx = np.maximum(np.log(1 - x), -100.0)
            gy = gs * (log_1mx - log_x)
        return gx, gy


class BinaryCrossEntropyWithLogits(_Loss):
    """``(1 - y) x + lw * softplus(-x)`` with ``lw = 1 + (pos_weight - 1) y``, times ``weight``;
    ``softplus(-x) = max(-x, 0) + log1p(exp(-|x|))`` is finite for any finite ``x``."""

    weight = None
    pos_weight = None
    samples = _elementwise_samples((3, 4)) + (
        Sample(((3, 4), (3, 4)), kwargs={"weight": _CLASS_WEIGHT, "pos_weight": _CLASS_WEIGHT[::-1] * 2}),
        Sample(((3, 4), (3, 4)), kwargs={"pos_weight": np.array([3.0, 0.5, 1.0, 2.0]), "reduction": "none"}),
        Sample(((3, 4),), call=lambda x: BinaryCrossEntropyWithLogits.apply(x, _BCE_TARGET.astype(x.dtype))),
    )

    def forward(self, x, y):
        y = _same_dtype(y, x)
        w = _same_dtype(self.weight, x)
        pw = _same_dtype(self.pos_weight, x)
        nls = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # -log(sigmoid(x))
        if pw is None:
            loss = (1 - y) * x + nls
        else:
            loss = (1 - y) * x + ((pw - 1) * y + 1) * nls
        if w is not None:
            loss = loss * w
        self.saved = (w, pw, nls)
        return self._reduce(loss, loss.size)

    def backward(self, g, out, x, y):
        w, pw, nls = self.saved
        gs = self._scale(g)
        if w is not None:
            gs = gs * w
        gx = gy = None
        if self.needs[0]:
            s = x.sigmoid() if isinstance(x, Tensor) else np.exp(-nls)
            if pw is None:
                gx = gs * (s - y)
            else:
                t = pw * y
                gx = gs * ((t + 1 - y) * s - t)
        if self.needs[1]:
            if pw is None:
                gy = -(gs * x)
            else:
                if isinstance(x, Tensor):
                    nls = np.maximum(-x, 0) + np.log(1 + np.exp(-np.abs(x)))
                gy = gs * ((pw - 1) * nls - x)
        return gx, gy


# --------------------------------------------------------------------------- class-index losses
def class_axis(ndim: int) -> int:
    """Axis of the classes: 1 for batched input ``(N, C, d...)``, 0 for one sample ``(C,)``."""
    return 1 if ndim >= 2 else 0


class _ClassLoss(_Loss):
    """Losses over integer class targets: ``target`` (ints, the input's shape without the
    class axis), ``weight`` (per class), ``ignore_index``; 'mean' divides by the summed
    weight of the non-ignored targets, as PyTorch."""

    abstract = True
    target = None
    weight = None
    ignore_index = -100

    def _targets(self, x):
        """(class axis, its broadcast shape, one-hot targets, not-ignored mask, class weights in ``x``'s
        dtype or None, weight of each target (0 where ignored)); sets ``count`` to their sum."""
        axis = class_axis(x.ndim)
        n_cls = x.shape[axis]
        target = np.asarray(self.target)
        valid = target != self.ignore_index
        t = np.where(valid, target, 0)
        w = _same_dtype(self.weight, x)
        wt = valid.astype(x.dtype) if w is None else np.where(valid, w[t], 0).astype(x.dtype)
        bshape = [1] * x.ndim
        bshape[axis] = n_cls
        onehot = np.expand_dims(t, axis) == np.arange(n_cls).reshape(bshape)
        self.count = float(wt.sum())
        return axis, bshape, onehot, valid, w, wt

    def _scale_classes(self, g, x_shape, axis):
        if self.reduction == "none":
            kshape = list(x_shape)
            kshape[axis] = 1
            return g.reshape(tuple(kshape))
        return self._scale(g)


def _targets(shape, n_cls, **extra):
    """Sample kwargs drawing integer targets of ``shape`` (``()``: one unbatched sample)."""
    return lambda rng: {"target": rng.integers(0, n_cls, size=shape), **extra}


def _with_ignored(**extra):
    """Five targets over 4 classes, one of them ignored, with random class weights."""

    def draw(rng):
        t = rng.integers(0, 4, size=5)
        t[1] = -100
        return {"target": t, "weight": rng.uniform(0.5, 2.0, 4), "ignore_index": -100, **extra}

    return draw


_CLASS_SAMPLES = tuple(Sample(((4, 3),), kwargs=_targets((4,), 3, reduction=r)) for r in REDUCTIONS) + (
    Sample(((2, 3, 4),), kwargs=_targets((2, 4), 3, reduction="mean")),  # (N, C, d) input
    Sample(((3,),), kwargs=_targets((), 3, reduction="sum")),  # unbatched (C,) input
)


class CrossEntropy(_ClassLoss):
    """Softmax cross-entropy on logits (PyTorch's ``cross_entropy`` with class-index targets):
    ``-sum_c q_c log softmax(z)_c`` with ``q`` the (weighted, smoothed) target distribution;
    its gradient is ``sum(q) * softmax(z) - q``."""

    label_smoothing = 0.0
    samples = _CLASS_SAMPLES + (
        Sample(((5, 4),), kwargs=_with_ignored(label_smoothing=0.2, reduction="mean")),
        Sample(((5, 4),), kwargs=_with_ignored(reduction="none")),
        Sample(((4, 3),), kwargs=_targets((4,), 3, label_smoothing=0.1, reduction="none")),
    )

    def forward(self, z):
        axis, bshape, onehot, valid, w, wt = self._targets(z)
        eps = float(self.label_smoothing)
        shifted = z - z.max(axis=axis, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        q = onehot * np.expand_dims(wt * (1.0 - eps) if eps else wt, axis)
        if eps:
            wc = np.ones(bshape, dtype=z.dtype) if w is None else w.reshape(bshape)
            q = q + (eps / z.shape[axis]) * wc * np.expand_dims(valid, axis)
        loss = -(q * logp).sum(axis=axis)
        self.saved = (q, q.sum(axis=axis, keepdims=True), np.exp(logp), axis)
        return self._reduce(loss, self.count)

    def backward(self, g, out, z):
        q, s, p, axis = self.saved
        if isinstance(z, Tensor):  # create_graph: softmax as a recorded op
            p = z.softmax(axis=axis)
        return self._scale_classes(g, q.shape, axis) * (s * p - q)


class NllLoss(_ClassLoss):
    """Negative log-likelihood of log-probabilities: ``-w[t] * x[t]`` (linear in ``x``)."""

    saves_inputs = False
    samples = _CLASS_SAMPLES + (Sample(((5, 4),), kwargs=_with_ignored(reduction="mean")),)

    def forward(self, x):
        axis, bshape, onehot, valid, w, wt = self._targets(x)
        t = np.where(valid, np.asarray(self.target), 0)
        picked = np.squeeze(np.take_along_axis(x, np.expand_dims(t, axis), axis=axis), axis)
        with np.errstate(invalid="ignore"):  # 0-weight class on -inf log-probability: nan, as PyTorch
            loss = -(wt * np.where(valid, picked, 0))
        self.saved = (onehot * np.expand_dims(wt, axis), axis)
        return self._reduce(loss, self.count)

    def backward(self, g, out, x):
        q, axis = self.saved
        return -(self._scale_classes(g, q.shape, axis) * q)
