"""A NumPy autograd engine with PyTorch's interface.

``Tensor`` records every operation into a graph; ``backward()`` walks it in
reverse topological order.  See ``autograd.tensor`` for the dtype rules and
``autograd.node`` for how ops are declared.

Note: HIPS autograd also installs a package named ``autograd``; the two cannot
share an environment.
"""

from .tensor import Tensor  # noqa: I001  (must be imported first: it binds the ops)
from .anomaly import detect_anomaly
from .dtypes import get_default_dtype, set_default_dtype
from .engine import grad
from .function import Function, FunctionCtx
from .functional import concatenate, matmul, maximum, minimum, ones, stack, tensor, where, zeros
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .node import REGISTRY, Op, Sample

__all__ = [
    "Tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad",
    "Function", "FunctionCtx", "detect_anomaly", "gradcheck", "gradgradcheck", "GradcheckError",
    "concatenate", "stack", "where", "maximum", "minimum", "matmul", "tensor", "zeros", "ones",
    "set_default_dtype", "get_default_dtype", "Op", "Sample", "REGISTRY", "viz",
]


def __getattr__(name: str):
    # viz imports graphviz; load it on first use so the engine has no import cost from it.
    if name == "viz":
        import importlib

        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
