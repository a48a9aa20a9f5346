"""``python -m examples.conv``: the report's unfinished Conv1d part, finished.

The task (``datasets.make_motif_signals``): a noisy 1-D signal of length 64
hides a short motif at a random position; class 1 carries the motif, class 0
its time-reversed copy.  The position is random, so a classifier must
recognise a *shape wherever it occurs*: a convolution shares one filter over all
positions and global max pooling takes its best match anywhere, while an MLP
must learn the shape separately at every position from the same data.

Models: ``Conv1d(1, 8, 9) -> ReLU -> max over positions -> Linear(8, 2)`` (98
parameters) against an MLP of similar size (64 -> 2 -> 2, 136 parameters) and
a ten-times larger one (64 -> 16 -> 2, 1074 parameters); all trained with Adam on
cross-entropy.  Prints each model's parameter count and test accuracy.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import nn
from autograd import Tensor, no_grad

from .datasets import MOTIF, make_motif_signals
from .models import make_optimizer, seed_everything


class MotifConvNet(nn.Module):
    """One convolution layer, ReLU, global max pooling over positions, a linear classifier."""

    def __init__(self, channels: int = 8, kernel_size: int = 9) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, channels, kernel_size)
        self.act = nn.ReLU()
        self.fc = nn.Linear(channels, 2)

    def forward(self, x: Tensor) -> Tensor:
        features = self.act(self.conv(x)).max(axis=-1)  # (N, C, L') -> (N, C): best match anywhere
        return self.fc(features)


class FlatMLP(nn.Module):
    """The signal's 64 samples as 64 independent features -> ``hidden`` ReLU units -> 2 logits."""

    def __init__(self, length: int = 64, hidden: int = 2) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(length, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x.reshape(x.shape[0], x.shape[-1]))


def n_params(model: nn.Module) -> int:
    return int(sum(p.size for p in model.parameters()))


def fit_classifier(model: nn.Module, data: tuple, epochs: int, lr: float, batch_size: int, seed: int) -> dict:
    """Adam on cross-entropy with shuffled mini-batches; test accuracy recorded after every epoch."""
    X_train, y_train, X_test, y_test = data
    opt = make_optimizer("adam", model.parameters(), lr)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    test_acc = []
    start = time.perf_counter()
    for _ in range(epochs):
        perm = rng.permutation(len(X_train))
        for i in range(0, len(perm), batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            loss_fn(model(Tensor(X_train[idx])), Tensor(y_train[idx])).backward()
            opt.step()
        with no_grad():
            test_acc.append(float(np.mean(model(Tensor(X_test)).numpy().argmax(axis=1) == y_test)))
    with no_grad():
        train_acc = float(np.mean(model(Tensor(X_train)).numpy().argmax(axis=1) == y_train))
    return {"params": n_params(model), "train_accuracy": train_acc, "test_accuracy": test_acc[-1],
            "test_accuracy_per_epoch": test_acc, "seconds": time.perf_counter() - start}


MODELS = {
    "Conv1d (8 filters of width 9)": lambda: MotifConvNet(8, 9),
    "MLP, 2 hidden units (similar size)": lambda: FlatMLP(64, 2),
    "MLP, 16 hidden units (10x larger)": lambda: FlatMLP(64, 16),
}


def run_conv(n_train: int = 1000, n_test: int = 1000, epochs: int = 30, lr: float = 1e-2,
             batch_size: int = 50, noise: float = 0.6, seed: int = 0) -> dict:
    """Train every model in ``MODELS`` on the same data; returns per-model metrics and the data."""
    X_train, y_train = make_motif_signals(n_train, noise=noise, seed=seed)
    X_test, y_test, starts = make_motif_signals(n_test, noise=noise, seed=seed + 1000, return_starts=True)
    results = {}
    for name, make in MODELS.items():
        seed_everything(seed)
        results[name] = fit_classifier(make(), (X_train, y_train, X_test, y_test), epochs, lr, batch_size, seed)
    return {"models": results, "n_train": n_train, "n_test": n_test, "epochs": epochs, "noise": noise,
            "example_X": X_test[:20], "example_y": y_test[:20], "example_starts": starts[:20]}


def plot_conv_results(res: dict, path: Path) -> Path:
    """The example signals beside each model's test accuracy per epoch."""
    from .plotting import plot_motif_task

    curves = {f"{k} ({v['params']} params)": v["test_accuracy_per_epoch"] for k, v in res["models"].items()}
    return plot_motif_task(res["example_X"], res["example_y"], res["example_starts"], MOTIF, curves, path,
                           "Motif detection: Conv1d versus MLPs")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m examples.conv", description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=30, help="(default: %(default)s)")
    p.add_argument("--n-train", type=int, default=1000, help="training signals (default: %(default)s)")
    p.add_argument("--n-test", type=int, default=1000, help="test signals (default: %(default)s)")
    p.add_argument("--noise", type=float, default=0.6, help="noise standard deviation (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/conv"), help="output directory (default: %(default)s)")
    p.add_argument("--json", type=Path, default=None, help="write the metrics as JSON to this path")
    return p


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the conv net and the MLPs, print their accuracies, write the figure (and JSON)."""
    args = build_parser().parse_args(argv)
    res = run_conv(args.n_train, args.n_test, args.epochs, noise=args.noise, seed=args.seed)
    for name, m in res["models"].items():
        print(f"{name:38s} params {m['params']:5d}  train acc {m['train_accuracy']:.3f}  "
              f"test acc {m['test_accuracy']:.3f}  ({m['seconds']:.1f} s)")
    fig = plot_conv_results(res, args.out / "conv_motif.png")
    print(f"Wrote {fig}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({k: v for k, v in res.items() if not k.startswith("example")}, indent=1))
        print(f"Wrote {args.json}")
    return res


if __name__ == "__main__":
    main()
