"""Loss modules (``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss``, ``CrossEntropyLoss``,
``NLLLoss``): configuration holders over the fused loss ops of ``nn.loss_ops``.

As in PyTorch, class weights and ``pos_weight`` are registered buffers: they
follow ``to(dtype)`` and appear in ``state_dict``.  ``reduction`` is checked
when the module is built, so a typo fails at construction, not mid-training.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype

from . import functional as F
from .module import Module


def _buffer(value: Any, name: str, loss: str) -> Tensor | None:
    if value is None:
        return None
    arr = np.asarray(value.data if isinstance(value, Tensor) else value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{loss}: {name} must be numeric, got dtype {arr.dtype}")
    return Tensor(arr if arr.dtype.kind == "f" else arr.astype(get_default_dtype()))


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F._check_reduction(reduction, type(self).__name__)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight, "weight", type(self).__name__))


class MSELoss(_Loss):
    """Squared error; ``input`` and ``target`` must have the same shape."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities in [0, 1]; ``weight`` broadcasts to the input."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross-entropy in one stable op; ``pos_weight`` (e.g. per class,
    broadcasting along the last axis) weighs the positive examples."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", _buffer(pos_weight, "pos_weight", "BCEWithLogitsLoss"))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy on logits ``(N, C)`` with integer targets ``(N,)`` (also ``(C,)``
    with a scalar target and ``(N, C, d...)`` with ``(N, d...)``)."""

    def __init__(
        self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = F._check_probability(label_smoothing, "CrossEntropyLoss: label_smoothing")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(
            input, target, weight=self.weight, ignore_index=self.ignore_index,
            reduction=self.reduction, label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (``LogSoftmax`` output) and class targets."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)
