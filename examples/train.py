"""``python -m examples.train``: one training run of the report's classifier.

The defaults are the report's: the XOR (easy) task, ``Linear(2, 32) -> sigmoid
-> Linear(32, 32) -> sigmoid -> Linear(32, 1) -> sigmoid``, BCE, SGD with
learning rate 0.05, 5000 full-batch epochs.  The report's hand-written gradient
summed over the batch (its update is ``delta @ a.T``), so the BCE here is
summed too (``--loss-reduction sum``); with a mean-reduced loss the same
learning rate is N times smaller per sample and XOR stalls near 52% accuracy.

It prints ``Epoch 500/5000 Loss: ...`` every 500 epochs, the predicted
probabilities and ``Final Accuracy: ...``, and writes into ``--out``: the
learning curve, the ground-truth/prediction figure and the model (``nn.save``);
with ``--json`` also the metrics.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import nn

from .datasets import TASK_TITLES, TASKS, load_task
from .models import ACTIVATIONS, OPTIMIZERS
from .training import RunConfig, RunResult, train_binary

MATCH_NOTE = (
    "BCE loss reduction: {reduction}. The report's gradient sums over the batch (update delta @ a.T), "
    "so reduction='sum' reproduces its learning rate; 'mean' divides every step by the batch size."
)


def build_parser() -> argparse.ArgumentParser:
    d = RunConfig()
    p = argparse.ArgumentParser(prog="python -m examples.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--task", choices=TASKS, default=d.task, help="dataset (default: %(default)s)")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default=d.activation,
                   help="hidden-layer activation; 'none' = identity (default: %(default)s)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=d.optimizer, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, default=d.lr, help="learning rate (default: %(default)s)")
    p.add_argument("--hidden", type=int, default=d.hidden, help="units per hidden layer (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=d.epochs, help="full-batch epochs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=d.seed, help="seed for the weights and the linear data (default: %(default)s)")
    p.add_argument("--loss-reduction", choices=("sum", "mean"), default=d.reduction,
                   help="BCE reduction; 'sum' matches the report's per-sample learning rate (default: %(default)s)")
    p.add_argument("--log-every", type=int, default=500, help="print the loss every N epochs (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/train"), help="output directory (default: %(default)s)")
    p.add_argument("--json", type=Path, default=None, help="write the metrics as JSON to this path")
    return p


def write_outputs(result: RunResult, out: Path, json_path: Path | None = None) -> dict[str, Path]:
    """Save the learning curve, the prediction figure, the model and (optionally) the metrics."""
    from .plotting import plot_learning_curve, plot_predictions

    cfg = result.config
    out.mkdir(parents=True, exist_ok=True)
    X, y = load_task(cfg.task, seed=cfg.seed)
    title = f"{TASK_TITLES[cfg.task]}: {cfg.activation}, {cfg.optimizer}, lr {cfg.lr:g}, hidden {cfg.hidden}"
    paths = {
        "learning_curve": plot_learning_curve(result.losses, out / f"{cfg.task}_learning_curve.png", title),
        "predictions": plot_predictions(X, y, result.probs > 0.5, out / f"{cfg.task}_predictions.png", title),
    }
    if result.model is not None:
        paths["model"] = out / f"{cfg.task}_model.npz"
        nn.save(result.model.state_dict(), paths["model"])
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result.metrics(), indent=1))
        paths["json"] = json_path
    return paths


def main(argv: Sequence[str] | None = None) -> RunResult:
    """Parse ``argv``, train, print the report's lines and write the outputs; returns the result."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.hidden < 1 or args.log_every < 1:
        parser.error("--epochs, --hidden and --log-every must be positive")
    if not args.lr > 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    config = RunConfig(task=args.task, activation=args.activation, optimizer=args.optimizer, lr=args.lr,
                       hidden=args.hidden, epochs=args.epochs, seed=args.seed, reduction=args.loss_reduction)
    print(f"Task: {TASK_TITLES[config.task]}  " + MATCH_NOTE.format(reduction=config.reduction))
    result = train_binary(config, log=print, log_every=args.log_every, keep_model=True)
    if result.diverged_at is not None:
        print(f"Training diverged (loss not finite) at epoch {result.diverged_at}")
    with np.printoptions(precision=4, suppress=True, linewidth=100):
        print("Predicted probabilities:")
        print(result.probs.reshape(-1))
    print(f"Final Accuracy: {result.accuracy:.2f}")
    paths = write_outputs(result, args.out, args.json)
    print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return result


if __name__ == "__main__":
    main()
