"""The report's toy datasets, the digits data and a 1-D motif-detection set.

All generators return ``(X, y)`` as NumPy arrays: ``X`` float64 of shape
``(N, features)`` (or ``(N, 1, L)`` for signals) and ``y`` of shape ``(N, 1)``
float labels for the binary tasks (what ``BCELoss`` expects) or ``(N,)`` int64
class indices for the multiclass ones (what ``CrossEntropyLoss`` expects).
"""

from __future__ import annotations

import numpy as np

TASKS = ("linear", "xor")
TASK_TITLES = {"linear": "Linear", "xor": "XOR (easy)"}


def generate_linear(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in [0, 1]^2, label 0 if ``x > y`` else 1 (the report's "linear" data)."""
    if n < 1:
        raise ValueError(f"generate_linear: n must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(n, 2))
    y = (X[:, 0] <= X[:, 1]).astype(np.float64)
    return X, y.reshape(n, 1)


def generate_xor_easy() -> tuple[np.ndarray, np.ndarray]:
    """The report's 21-point "XOR (easy)": the diagonal (label 0) and anti-diagonal (label 1).

    ``(0.1 i, 0.1 i)`` has label 0 for i = 0..10; ``(0.1 i, 1 - 0.1 i)`` has label 1
    for i != 5 (the centre point lies on both diagonals and keeps label 0).
    """
    i = np.arange(11)
    diag = np.stack([0.1 * i, 0.1 * i], axis=1)
    j = i[i != 5]
    anti = np.stack([0.1 * j, 1.0 - 0.1 * j], axis=1)
    X = np.concatenate([diag, anti])
    y = np.concatenate([np.zeros(len(diag)), np.ones(len(anti))])
    return X, y.reshape(-1, 1)


def load_task(task: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The binary task by name: ``"linear"`` (seeded) or ``"xor"`` (fixed points)."""
    if task == "linear":
        return generate_linear(seed=seed)
    if task == "xor":
        return generate_xor_easy()
    raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")


def load_digits_split(
    test_size: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (1797 images, 10 classes; no download), split stratified.

    Returns ``(X_train, X_test, y_train, y_test)``; pixels are scaled from 0..16
    to [0, 1] and flattened to 64 features; labels are int64 class indices.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    digits = load_digits()
    X = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    return tuple(train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed))


MOTIF = np.array([0.0, 1.0, 2.0, 1.0, 0.0, -1.0, -2.0, -1.0, 0.0])


def make_motif_signals(
    n: int, length: int = 64, noise: float = 0.6, seed: int = 0, return_starts: bool = False
) -> tuple[np.ndarray, ...]:
    """Noisy 1-D signals; class 1 hides ``MOTIF`` at a random position, class 0 its mirror image.

    Both classes carry a pattern with the same energy at a random offset, so only the
    pattern's *shape* tells them apart, wherever it lies: a task made for a
    convolution with a shared filter and global max pooling, and hard for an MLP
    that must learn the shape separately at every position.  Returns ``X`` of shape
    ``(n, 1, length)`` and int64 labels ``(n,)`` balanced between the classes (and,
    with ``return_starts``, where each pattern begins).
    """
    k = len(MOTIF)
    if length < k:
        raise ValueError(f"length must be >= the motif length {k}, got {length}")
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 2).astype(np.int64)
    X = rng.normal(0.0, noise, size=(n, length))
    patterns = np.where(y[:, None] == 1, MOTIF, MOTIF[::-1])
    starts = rng.integers(0, length - k + 1, size=n)
    cols = starts[:, None] + np.arange(k)
    X[np.arange(n)[:, None], cols] += patterns
    return (X[:, None, :], y, starts) if return_starts else (X[:, None, :], y)
