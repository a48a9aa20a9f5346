"""Full-batch training of the report's binary classifiers, shared by ``train`` and ``report``.

``train_binary`` takes a ``RunConfig`` and returns a ``RunResult`` holding the
per-epoch losses, the final predicted probabilities and the accuracy.  A run
whose loss becomes NaN/Inf stops there and is marked diverged (its remaining
losses are NaN), so one bad learning rate cannot poison a whole report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

import nn
from autograd import Tensor, no_grad

from .datasets import load_task
from .models import build_mlp, make_optimizer, seed_everything


@dataclass(frozen=True)
class RunConfig:
    """One training run; the defaults are the report's hyperparameters."""

    task: str = "xor"
    activation: str = "sigmoid"
    optimizer: str = "sgd"
    lr: float = 0.05
    hidden: int = 32
    epochs: int = 5000
    seed: int = 0
    reduction: str = "sum"

    def key(self) -> tuple:
        return tuple(asdict(self).values())


@dataclass
class RunResult:
    """What a run measured; ``model`` is only kept in-process (never sent between processes)."""

    config: RunConfig
    losses: np.ndarray
    probs: np.ndarray
    accuracy: float
    final_loss: float
    diverged_at: int | None
    seconds: float
    model: nn.Module | None = field(default=None, repr=False)

    def metrics(self) -> dict:
        """JSON-ready metrics: accuracy, final loss and per-epoch losses (null where diverged)."""
        return {
            "config": asdict(self.config),
            "accuracy": self.accuracy,
            "final_loss": self.final_loss,
            "diverged_at": self.diverged_at,
            "seconds": self.seconds,
            "losses": [None if not np.isfinite(v) else float(v) for v in self.losses],
            "probabilities": [float(p) for p in self.probs.reshape(-1)],
        }


def accuracy(probs: np.ndarray, y: np.ndarray) -> float:
    """Fraction of points whose thresholded probability (> 0.5 means class 1) matches the label."""
    return float(np.mean((np.asarray(probs) > 0.5) == (np.asarray(y) > 0.5)))


def train_binary(
    config: RunConfig,
    log: Callable[[str], None] | None = None,
    log_every: int = 500,
    keep_model: bool = False,
) -> RunResult:
    """Train the report's MLP on ``config.task`` with full-batch steps, as the report did."""
    if config.epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {config.epochs}")
    if config.reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {config.reduction!r}")
    X_np, y_np = load_task(config.task, seed=config.seed)
    X, y = Tensor(X_np), Tensor(y_np)
    seed_everything(config.seed)
    model = build_mlp(config.hidden, config.activation)
    opt = make_optimizer(config.optimizer, model.parameters(), config.lr)
    loss_fn = nn.BCELoss(reduction=config.reduction)
    losses = np.full(config.epochs, np.nan)
    diverged_at = None
    start = time.perf_counter()
    # A diverging run (too large a learning rate) may overflow on its way to NaN; that is
    # a measured outcome here, reported as "diverged", not a numerical bug to warn about.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, config.epochs + 1):
            opt.zero_grad()
            loss = loss_fn(model(X), y)
            value = loss.item()
            if not np.isfinite(value):
                diverged_at = epoch
                break
            loss.backward()
            opt.step()
            losses[epoch - 1] = value
            if log is not None and (epoch % log_every == 0 or epoch == config.epochs):
                log(f"Epoch {epoch}/{config.epochs} Loss: {value:.6f}")
        with no_grad():
            probs = model(X).numpy().copy()
    seconds = time.perf_counter() - start
    probs = np.nan_to_num(probs, nan=0.5)
    return RunResult(
        config=config,
        losses=losses,
        probs=probs,
        accuracy=accuracy(probs, y_np),
        final_loss=float(losses[-1]),
        diverged_at=diverged_at,
        seconds=seconds,
        model=model if keep_model else None,
    )
