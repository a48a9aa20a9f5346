"""Every built-in op, one class each, grouped by kind (see ``autograd.node.Op``)."""

from .binary import Add, Div, Maximum, Minimum, Mul, Pow, Sub, Where
from .elementwise import Abs, Cast, Clip, Exp, LeakyRelu, Log, Neg, Relu, Sigmoid, Sqrt, Tanh
from .linalg import MatMul
from .reduce import LogSoftmax, Max, Mean, Min, Softmax, Sum, Var
from .shape import BroadcastTo, Concatenate, GetItem, Reshape, ScatterAdd, Stack, Transpose

__all__ = [
    "Abs", "Add", "BroadcastTo", "Cast", "Clip", "Concatenate", "Div", "Exp", "GetItem",
    "LeakyRelu", "Log", "LogSoftmax", "MatMul", "Max", "Maximum", "Mean", "Min", "Minimum",
    "Mul", "Neg", "Pow", "Relu", "Reshape", "ScatterAdd", "Sigmoid", "Softmax", "Sqrt",
    "Stack", "Sub", "Sum", "Tanh", "Transpose", "Var", "Where",
]
