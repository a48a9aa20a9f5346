"""Figures for the examples: learning curves, prediction scatters, experiment panels.

Everything draws with matplotlib's Agg backend (files only, no display needed),
labels every axis, and closes each figure after saving so long runs do not leak
memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .datasets import TASK_TITLES  # noqa: E402

CLASS_COLORS = ("tab:red", "tab:blue")  # class 0 red, class 1 blue, as in the report
plt.rcParams.update({"font.size": 11, "axes.titlesize": 12, "legend.fontsize": 9, "figure.dpi": 100})


def _figure(ncols: int, figsize: tuple[float, float]) -> tuple[plt.Figure, np.ndarray]:
    """A row of panels laid out by matplotlib's constrained layout (room for titles and outside legends)."""
    fig, axes = plt.subplots(1, ncols, figsize=figsize, squeeze=False, layout="constrained")
    return fig, axes[0]


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _positive(losses: Sequence[float]) -> np.ndarray:
    """Losses ready for a log axis: non-finite values (a diverged run) are cut off, zeros floored."""
    arr = np.asarray(losses, dtype=np.float64)
    arr = np.where(np.isfinite(arr), arr, np.nan)
    return np.maximum(arr, 1e-12)


def plot_learning_curve(losses: Sequence[float], path: str | Path, title: str = "Learning curve") -> Path:
    """Training loss against epoch on a log axis."""
    fig, (ax,) = _figure(1, (6, 4))
    epochs = np.arange(1, len(losses) + 1)
    ax.plot(epochs, _positive(losses), color="tab:purple", label="training loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (log scale)")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return _save(fig, path)


def _scatter(ax: plt.Axes, X: np.ndarray, labels: np.ndarray, title: str) -> None:
    labels = np.asarray(labels).reshape(-1)
    for cls, color in enumerate(CLASS_COLORS):
        pts = X[labels == cls]
        ax.scatter(pts[:, 0], pts[:, 1], c=color, s=36, edgecolors="k", linewidths=0.4, label=f"class {cls}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_aspect("equal")


def plot_predictions(
    X: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, path: str | Path, title: str = ""
) -> Path:
    """The report's comparison figure: ground truth (left) beside the predictions (right)."""
    fig, axes = _figure(2, (9.5, 5.6))
    _scatter(axes[0], X, y_true, "Ground truth")
    acc = float(np.mean(np.asarray(y_true).reshape(-1) == np.asarray(y_pred).reshape(-1)))
    _scatter(axes[1], X, y_pred, f"Predictions (accuracy {acc:.2f})")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_experiment(
    curves: Mapping[str, Mapping[str, Sequence[float]]], path: str | Path, title: str
) -> Path:
    """One panel per task, one loss-vs-epoch curve per setting (``curves[task][setting]``)."""
    tasks = list(curves)
    fig, axes = _figure(len(tasks), (6 * len(tasks), 4.6))
    colors = plt.get_cmap("tab10").colors
    for ax, task in zip(axes, tasks):
        settings = list(curves[task])
        for i, label in enumerate(settings):
            losses = curves[task][label]
            # Earlier curves are drawn thicker, so a later curve lying exactly on top leaves them visible.
            width = 3.2 - 2.2 * i / max(len(settings) - 1, 1)
            ax.plot(np.arange(1, len(losses) + 1), _positive(losses), color=colors[i % 10], label=label,
                    linewidth=width)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (log scale)")
        ax.set_title(TASK_TITLES.get(task, task))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="best")
    fig.suptitle(title)
    return _save(fig, path)


def plot_confusion(cm: np.ndarray, path: str | Path, title: str = "Confusion matrix") -> Path:
    """A confusion matrix (rows: true class, columns: predicted) with counts written in the cells."""
    cm = np.asarray(cm)
    n = cm.shape[0]
    fig, (ax,) = _figure(1, (6, 5.2))
    im = ax.imshow(cm, cmap="Blues")
    fig.colorbar(im, ax=ax, label="test images")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title)
    thresh = cm.max() / 2.0
    rows, cols = np.indices(cm.shape)
    for r, c, v in zip(rows.ravel(), cols.ravel(), cm.ravel()):
        ax.text(c, r, str(v), ha="center", va="center", fontsize=8, color="white" if v > thresh else "black")
    return _save(fig, path)


def plot_motif_task(
    X: np.ndarray,
    y: np.ndarray,
    starts: np.ndarray,
    motif: np.ndarray,
    curves: Mapping[str, Sequence[float]],
    path: str | Path,
    title: str = "",
) -> Path:
    """Left: one noisy signal per class with its hidden pattern marked; right: test accuracy per epoch."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = _figure(2, (12, 4.6))
    ax = axes[0]
    k = len(motif)
    for cls, offset in ((1, 4.0), (0, 0.0)):
        idx = int(np.flatnonzero(np.asarray(y) == cls)[0])
        signal = np.asarray(X[idx]).reshape(-1) + offset
        s = int(starts[idx])
        pattern = motif if cls == 1 else motif[::-1]
        name = "class 1: motif" if cls == 1 else "class 0: time-reversed motif"
        ax.plot(signal, color=CLASS_COLORS[cls], linewidth=1.2, label=f"{name} + noise")
        ax.axvspan(s - 0.5, s + k - 0.5, color=CLASS_COLORS[cls], alpha=0.12)
        ax.plot(np.arange(s, s + k), pattern + offset, color="k", linestyle="--", linewidth=1.6,
                label="hidden pattern (noise-free)" if cls == 1 else None)
    ax.set_xlabel("position")
    ax.set_ylabel("signal value (class 1 shifted up by 4)")
    ax.set_title("Example signals; shaded: where the pattern lies")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False, fontsize=8)
    ax = axes[1]
    for label, acc in curves.items():
        ax.plot(np.arange(1, len(acc) + 1), acc, marker="o", markersize=3, label=label)
    ax.axhline(0.5, color="grey", linestyle="--", linewidth=1, label="chance")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0.4, 1.02)
    ax.set_title("Test accuracy after each epoch")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center right")
    if title:
        fig.suptitle(title)
    return _save(fig, path)
