"""Unary elementwise ops.  Gradients are written as if shapes were equal."""

from __future__ import annotations

import numpy as np

from ..node import Op, Sample

_SHAPES = (Sample(((3, 4),)), Sample(((),)), Sample(((2, 3, 2),)))
_POSITIVE = tuple(Sample(s.shapes, domain="positive") for s in _SHAPES)


class Neg(Op):
    saves_inputs = False
    samples = _SHAPES

    def forward(self, x):
        return np.negative(x)

    def backward(self, g, out, x):
        return -g


class Exp(Op):
    save_output = True
    saves_inputs = False
    samples = _SHAPES

    def forward(self, x):
        return np.exp(x)

    def backward(self, g, out, x):
        return g * out


class Log(Op):
    samples = _POSITIVE

    def forward(self, x):
        return np.log(x)

    def backward(self, g, out, x):
        return g / x


class Sqrt(Op):
    save_output = True
    saves_inputs = False
    samples = _POSITIVE

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, g, out, x):
        return g / (out * 2)


class Abs(Op):
    """|x|; the gradient at 0 is 0, as in PyTorch."""

    samples = _SHAPES

    def forward(self, x):
        return np.abs(x)

    def backward(self, g, out, x):
        return g * np.sign(self.args[0])


class Tanh(Op):
    save_output = True
    saves_inputs = False
    samples = _SHAPES

    def forward(self, x):
        return np.tanh(x)

    def backward(self, g, out, x):
        return g * (1 - out * out)


class Sigmoid(Op):
    """1 / (1 + exp(-x)).  For x below -log(max float) exp(-x) is inf and the result
    the correct limit 0; the overflow is expected, so its warning is silenced."""

    save_output = True
    saves_inputs = False
    samples = _SHAPES

    def forward(self, x):
        with np.errstate(over="ignore"):
            e = np.exp(np.negative(x))
        if type(e) is not np.ndarray:  # 0-d input: NumPy returned a scalar
            return 1 / (1 + e)
        e += 1
        return np.reciprocal(e, out=e)

    def backward(self, g, out, x):
        return g * (out * (1 - out))


class Relu(Op):
    """max(x, 0); the gradient at 0 is 0, as in PyTorch."""

    save_output = True
    saves_inputs = False
    samples = _SHAPES

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, out, x):
        return g * (self.out > 0)


class LeakyRelu(Op):
    __slots__ = ("slope",)
    attrs = ("slope",)
    saves_inputs = False
    samples = tuple(Sample(s.shapes, kwargs={"slope": 0.1}) for s in _SHAPES)

    def forward(self, x):
        self.saved = mask = x > 0
        return np.where(mask, x, x * self.slope)

    def backward(self, g, out, x):
        return np.where(self.saved, g, g * self.slope)


class Clip(Op):
    """Clamp to [lo, hi]; the gradient passes where lo <= x <= hi (PyTorch's clamp)."""

    __slots__ = ("lo", "hi")
    attrs = ("lo", "hi")
    saves_inputs = False
    samples = (
        Sample(((3, 4),), kwargs={"lo": -0.5, "hi": 0.5}),
        Sample(((3, 4),), kwargs={"lo": None, "hi": 1.0}),
        Sample(((2, 3),), kwargs={"lo": 0.1, "hi": None}),
    )

    def forward(self, x):
        lo, hi = self.lo, self.hi
        mask = True
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            mask = mask & (x <= hi)
        self.saved = mask
        return np.clip(x, lo, hi)

    def backward(self, g, out, x):
        return g * self.saved


class Cast(Op):
    """Change a float tensor's dtype; the engine casts the gradient back."""

    __slots__ = ("dtype",)
    attrs = ("dtype",)
    saves_inputs = False
    samples = (Sample(((3, 4),), kwargs={"dtype": np.dtype(np.float64)}),)

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, g, out, x):
        return g
