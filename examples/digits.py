"""``python -m examples.digits``: the report's multiclass part, softmax + cross-entropy on real data.

An MLP (64 -> 128 -> ReLU -> dropout -> 10 logits) trained with Adam on
scikit-learn's bundled 8x8 digits (no download), evaluated on a held-out,
stratified test quarter.  ``CrossEntropyLoss`` applies the log-softmax itself
(the numerically stable form); predictions are the argmax of the softmax
probabilities.  Writes a confusion-matrix figure and, with ``--json``, the
metrics (``test_accuracy`` among them).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import nn
from autograd import Tensor, no_grad

from .datasets import load_digits_split
from .models import make_optimizer, seed_everything

N_CLASSES = 10
DEFAULT_EPOCHS = 40


def build_digits_mlp(hidden: int = 128, dropout: float = 0.2) -> nn.Sequential:
    """64 pixels -> ``hidden`` ReLU units (with dropout while training) -> 10 class logits."""
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, N_CLASSES))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n: int = N_CLASSES) -> np.ndarray:
    """Counts of (true, predicted) pairs: rows are true classes, columns predictions."""
    return np.bincount(np.asarray(y_true) * n + np.asarray(y_pred), minlength=n * n).reshape(n, n)


def predict_proba(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """Softmax class probabilities in evaluation mode (dropout off)."""
    model.eval()
    with no_grad():
        probs = nn.Softmax(axis=1)(model(Tensor(X))).numpy()
    model.train()
    return probs


def run_digits(
    epochs: int = DEFAULT_EPOCHS,
    hidden: int = 128,
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> dict:
    """Train and evaluate; returns metrics, the confusion matrix and per-epoch mean losses."""
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}")
    X_train, X_test, y_train, y_test = load_digits_split(seed=seed)
    # Standardise with the training statistics only (the test set stays unseen).
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0) + 1e-2
    X_train, X_test = (X_train - mu) / sd, (X_test - mu) / sd
    seed_everything(seed)
    model = build_digits_mlp(hidden)
    opt = make_optimizer("adam", model.parameters(), lr)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    losses = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(len(X_train))
        total = 0.0
        for i in range(0, len(perm), batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(Tensor(X_train[idx])), Tensor(y_train[idx]))
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(perm))
        if progress is not None:
            progress(epoch, losses[-1])
    seconds = time.perf_counter() - start
    test_pred = predict_proba(model, X_test).argmax(axis=1)
    train_pred = predict_proba(model, X_train).argmax(axis=1)
    return {
        "test_accuracy": float(np.mean(test_pred == y_test)),
        "train_accuracy": float(np.mean(train_pred == y_train)),
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "epochs": epochs,
        "hidden": hidden,
        "lr": lr,
        "batch_size": batch_size,
        "seconds": seconds,
        "losses": losses,
        "confusion_matrix": confusion_matrix(y_test, test_pred).tolist(),
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m examples.digits", description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="(default: %(default)s)")
    p.add_argument("--hidden", type=int, default=128, help="hidden units (default: %(default)s)")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, help="(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed for the split, weights and batches (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/digits"), help="output directory (default: %(default)s)")
    p.add_argument("--json", type=Path, default=None, help="write the metrics as JSON to this path")
    return p


def main(argv: Sequence[str] | None = None) -> dict:
    """Train, print the accuracies, write the confusion matrix (and JSON); returns the metrics."""
    from .plotting import plot_confusion

    args = build_parser().parse_args(argv)
    metrics = run_digits(args.epochs, args.hidden, args.lr, args.batch_size, args.seed,
                         progress=lambda e, loss: print(f"Epoch {e}/{args.epochs} Loss: {loss:.4f}")
                         if e % 10 == 0 or e == args.epochs else None)
    print(f"Train accuracy: {metrics['train_accuracy']:.4f}")
    print(f"Test accuracy ({metrics['n_test']} held-out images): {metrics['test_accuracy']:.4f}")
    print(f"Training time: {metrics['seconds']:.1f} s")
    fig = plot_confusion(np.array(metrics["confusion_matrix"]), args.out / "digits_confusion.png",
                         f"Digits test set: accuracy {metrics['test_accuracy']:.3f}")
    print(f"Wrote {fig}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(metrics, indent=1))
        print(f"Wrote {args.json}")
    return metrics


if __name__ == "__main__":
    main()
