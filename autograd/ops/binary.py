"""Broadcasting binary ops.  Each returns gradients of the output's shape; the
engine sums them down to each input's shape.

Operands that do not broadcast raise a ValueError naming the op and both
shapes (the ``try`` costs nothing on the normal path).
"""

from __future__ import annotations

import numpy as np

from ..node import Op, Sample


def _explain(err: ValueError, op: str, *operands) -> ValueError:
    """``err``, or a clearer error if it came from operands that do not broadcast."""
    shapes = [np.shape(x) for x in operands]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        return ValueError(
            f"{op}: shapes {listed} cannot be broadcast together "
            "(aligned from the last axis, each pair of sizes must be equal or one of them 1)"
        )
    return err


_PAIRS = (
    Sample(((3, 4), (3, 4))),
    Sample(((3, 1), (1, 4))),
    Sample(((2, 3, 4), (4,))),
    Sample(((), (2, 3))),
    Sample(((2, 1, 3), (4, 1))),
)


class Add(Op):
    saves_inputs = False
    samples = _PAIRS

    def forward(self, a, b):
        try:
            return a + b
        except ValueError as e:
            raise _explain(e, "add", a, b) from None

    def backward(self, g, out, a, b):
        return g, g


class Sub(Op):
    saves_inputs = False
    samples = _PAIRS

    def forward(self, a, b):
        try:
            return a - b
        except ValueError as e:
            raise _explain(e, "sub", a, b) from None

    def backward(self, g, out, a, b):
        return g, (-g if self.needs[1] else None)


class Mul(Op):
    samples = _PAIRS

    def forward(self, a, b):
        try:
            return a * b
        except ValueError as e:
            raise _explain(e, "mul", a, b) from None

    def backward(self, g, out, a, b):
        needs = self.needs
        return (g * b if needs[0] else None), (g * a if needs[1] else None)


class Div(Op):
    save_output = True
    samples = _PAIRS

    def forward(self, a, b):
        try:
            return a / b
        except ValueError as e:
            raise _explain(e, "div", a, b) from None

    def backward(self, g, out, a, b):
        needs = self.needs
        ga = g / b if needs[0] else None
        gb = -(g * out) / b if needs[1] else None
        return ga, gb


class Pow(Op):
    """a ** b.  The gradient for b needs a > 0 (it involves log a)."""

    save_output = True
    samples = (
        Sample(((3, 4), (3, 4)), domain="positive"),
        Sample(((3, 1), (1, 4)), domain="positive"),
        Sample(((2, 3),), call=lambda a: a**3),
        Sample(((2, 3),), call=lambda a: a**2),
        Sample(((2, 3),), call=lambda a: a**0.5, domain="positive"),
        Sample(((2, 3),), call=lambda a: 2.0**a),
    )

    def forward(self, a, b):
        try:
            return a**b
        except ValueError as e:
            raise _explain(e, "pow", a, b) from None

    def backward(self, g, out, a, b):
        needs = self.needs
        ga = gb = None
        if needs[0]:
            if isinstance(b, (int, float)) and b == 2:
                ga = g * (a * 2)
            else:
                ga = g * (b * a ** (b - 1))
        if needs[1]:
            gb = g * (out * np.log(a))
        return ga, gb


class Maximum(Op):
    """Elementwise max; at ties each input gets half the gradient (PyTorch's rule)."""

    saves_inputs = False
    samples = _PAIRS

    def forward(self, a, b):
        try:
            out = np.maximum(a, b)
        except ValueError as e:
            raise _explain(e, "maximum", a, b) from None
        self.saved = _tie_weights(a > b, a == b, out.dtype)
        return out

    def backward(self, g, out, a, b):
        w = self.saved
        return g * w, g * (1 - w)


class Minimum(Op):
    """Elementwise min; at ties each input gets half the gradient (PyTorch's rule)."""

    saves_inputs = False
    samples = _PAIRS

    def forward(self, a, b):
        try:
            out = np.minimum(a, b)
        except ValueError as e:
            raise _explain(e, "minimum", a, b) from None
        self.saved = _tie_weights(a < b, a == b, out.dtype)
        return out

    def backward(self, g, out, a, b):
        w = self.saved
        return g * w, g * (1 - w)


def _tie_weights(wins: np.ndarray, ties: np.ndarray, dtype: np.dtype) -> np.ndarray:
    w = wins.astype(dtype)
    if ties.any():
        w[ties] = 0.5
    return w


def _random_cond(shape):
    return lambda rng: {"cond": rng.random(shape) > 0.5}


class Where(Op):
    """``where(cond, a, b)``; ``cond`` is a constant attribute (masks carry no gradient)."""

    __slots__ = ("cond",)
    saves_inputs = False
    samples = (
        Sample(((3, 4), (3, 4)), kwargs=_random_cond((3, 4))),
        Sample(((3, 1), (1, 4)), kwargs=_random_cond((3, 4))),
        Sample(((4,), ()), kwargs=_random_cond((2, 4))),
    )

    def forward(self, a, b):
        try:
            return np.where(self.cond, a, b)
        except ValueError as e:
            raise _explain(e, "where (condition, a, b)", self.cond, a, b) from None

    def backward(self, g, out, a, b):
        needs, cond = self.needs, self.cond
        ga = np.where(cond, g, 0) if needs[0] else None
        gb = np.where(cond, 0, g) if needs[1] else None
        return ga, gb
