"""Broadcasting binary ops.  Each returns gradients of the output's shape; the
engine sums them down to each input's shape."""

from __future__ import annotations

import numpy as np

from ..node import Op, Sample

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
        return a + b

    def backward(self, g, out, a, b):
        return g, g


class Sub(Op):
    saves_inputs = False
    samples = _PAIRS

    def forward(self, a, b):
        return a - b

    def backward(self, g, out, a, b):
        return g, (-g if self.needs[1] else None)


class Mul(Op):
    samples = _PAIRS

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        needs = self.needs
        return (g * b if needs[0] else None), (g * a if needs[1] else None)


class Div(Op):
    save_output = True
    samples = _PAIRS

    def forward(self, a, b):
        return a / b

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
        return a**b

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
        out = np.maximum(a, b)
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
        out = np.minimum(a, b)
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
        return np.where(self.cond, a, b)

    def backward(self, g, out, a, b):
        needs, cond = self.needs, self.cond
        ga = np.where(cond, g, 0) if needs[0] else None
        gb = np.where(cond, 0, g) if needs[1] else None
        return ga, gb
