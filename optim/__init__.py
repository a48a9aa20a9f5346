"""Optimizers and learning-rate schedulers with PyTorch's semantics, on NumPy.

``optim.SGD``, ``optim.SGDM``, ``optim.RMSprop``, ``optim.Adam`` and
``optim.AdamW`` update ``autograd.Tensor`` parameters in place with
PyTorch's exact update rules and defaults; ``optim.lr_scheduler`` holds the
schedulers. The per-optimizer update rules are also available as pure array
functions (``sgd_update``, ``rmsprop_update``, ``adam_update``).
"""

from . import lr_scheduler
from .adam import Adam, AdamW, adam_update
from .optimizer import Optimizer
from .rmsprop import RMSprop, rmsprop_update
from .sgd import SGD, SGDM, sgd_update

__all__ = [
    "SGD",
    "SGDM",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "adam_update",
    "lr_scheduler",
    "rmsprop_update",
    "sgd_update",
]
