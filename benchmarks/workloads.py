"""The six workloads: their data, initial weights and comparison tolerances.

A ``Problem`` holds everything the three implementations (library, hand-written
NumPy, PyTorch) share, so that they start from the same weights and see the
same data; each implementation copies what it needs and never writes back.
``quick=True`` shrinks every size so the whole suite runs in about a second
(the tests use it); the computation keeps its structure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# The repeating unit of the elementwise chains: five ops covering a scalar
# multiply and add, an op whose backward reads its output (tanh, exp) and one
# that reads its input (log).  ``exp`` then ``log`` keeps values bounded, and
# with the small scale factor the gradient neither vanishes nor explodes.
CHAIN_CYCLE = ("mul 1.0001", "add 0.0001", "tanh", "exp", "log")
CHAIN_SCALE = 1.0001
CHAIN_SHIFT = 0.0001


def chain_forward(y, cycles: int):
    """The chain workloads' forward pass on a Tensor of either library: ``cycles``
    rounds of ``* CHAIN_SCALE, + CHAIN_SHIFT, tanh, exp, log`` (one body for
    the gradlab and PyTorch columns, so both time the same ops)."""
    for _ in range(cycles):
        y = y * CHAIN_SCALE
        y = y + CHAIN_SHIFT
        y = y.tanh()
        y = y.exp()
        y = y.log()
    return y


@dataclass
class Problem:
    """One workload, ready to run.

    ``kind``: ``"sigmoid_mlp"`` (BCE on probabilities, summed over the batch as the
    lab report's delta rule does), ``"relu_mlp"`` (cross-entropy, mean) or
    ``"chain"``.  ``per``: the number of units the timed call contains (the
    chain's op count when the table reports time per op, else 1).  ``tol``: the
    largest allowed difference between implementations, relative to the largest
    magnitude of the compared array.
    """

    key: str
    title: str
    kind: str
    dtype: type
    tol: float
    per: int = 1
    unit: str = "step"
    sizes: tuple[int, ...] = ()
    lr: float = 0.0
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    weights: list[np.ndarray] = field(default_factory=list)
    length: int = 0
    memory: bool = False


def init_weights(sizes: tuple[int, ...], dtype: type, rng: np.random.Generator) -> list[np.ndarray]:
    """PyTorch's default ``Linear`` initialisation: W and b uniform in ±1/sqrt(fan_in).

    Order and shapes follow ``model.parameters()`` of a Sequential of Linear layers:
    ``[W1 (out, in), b1 (out,), W2, b2, ...]``.
    """
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype))
        weights.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return weights


def xor_easy() -> tuple[np.ndarray, np.ndarray]:
    """The lab report's "XOR (easy)" set: 21 points, labels as a column (N, 1)."""
    i = np.arange(11) * 0.1
    diag = np.stack([i, i], axis=1)
    keep = np.arange(11) != 5
    anti = np.stack([i[keep], 1 - i[keep]], axis=1)
    x = np.concatenate([diag, anti])
    y = np.concatenate([np.zeros(11), np.ones(10)])[:, None]
    return x, y


def linear_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The lab report's "linear" set: uniform in [0, 1]^2, label 0 if x > y else 1."""
    x = rng.uniform(0.0, 1.0, (n, 2))
    y = (x[:, 0] <= x[:, 1]).astype(np.float64)[:, None]
    return x, y


def _sigmoid_mlp(key: str, data: tuple[np.ndarray, np.ndarray], what: str, hidden: int) -> Problem:
    x, y = data
    sizes = (2, hidden, hidden, 1)
    return Problem(
        key=key,
        title=f"MLP 2-{hidden}-{hidden}-1 sigmoid, BCE, {what}, float64",
        kind="sigmoid_mlp",
        dtype=np.float64,
        tol=1e-10,
        sizes=sizes,
        lr=0.05,
        x=x,
        y=y,
        weights=init_weights(sizes, np.float64, np.random.default_rng(1)),
    )


def _relu_mlp(key: str, sizes: tuple[int, ...], batch: int, pixels: bool, memory: bool) -> Problem:
    rng = np.random.default_rng(sizes[0] + sizes[1])
    if pixels:  # MNIST-like inputs in [0, 1]
        x = rng.uniform(0.0, 1.0, (batch, sizes[0])).astype(np.float32)
    else:
        x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch).astype(np.int64)
    return Problem(
        key=key,
        title=f"MLP {'-'.join(map(str, sizes))} ReLU, CE, batch {batch}, float32",
        kind="relu_mlp",
        dtype=np.float32,
        tol=1e-5,
        sizes=sizes,
        lr=0.01,
        x=x,
        y=y,
        weights=init_weights(sizes, np.float32, rng),
        memory=memory,
    )


def _chain(key: str, length: int, per_op: bool) -> Problem:
    if length % len(CHAIN_CYCLE):
        raise ValueError(f"chain length must be a multiple of {len(CHAIN_CYCLE)}, got {length}")
    what = "per op" if per_op else "total"
    return Problem(
        key=key,
        title=f"{length:,}-op elementwise chain on 10 floats, fwd+bwd, {what}",
        kind="chain",
        dtype=np.float64,
        tol=1e-10,
        per=length if per_op else 1,
        unit="op" if per_op else "run",
        x=np.random.default_rng(6).uniform(-1.0, 1.0, 10),
        length=length,
    )


def _xor(quick: bool) -> Problem:
    return _sigmoid_mlp("mlp_xor21", xor_easy(), "21 points", 32)


def _linear(quick: bool) -> Problem:
    return _sigmoid_mlp("mlp_linear100", linear_points(100, np.random.default_rng(2)), "100 points", 32)


def _mlp64(quick: bool) -> Problem:
    if quick:
        return _relu_mlp("mlp_64_256", (64, 32, 32, 10), 16, pixels=False, memory=True)
    return _relu_mlp("mlp_64_256", (64, 256, 256, 10), 256, pixels=False, memory=True)


def _mlp784(quick: bool) -> Problem:
    if quick:
        return _relu_mlp("mlp_784_1024", (784, 64, 64, 10), 32, pixels=True, memory=True)
    return _relu_mlp("mlp_784_1024", (784, 1024, 1024, 10), 512, pixels=True, memory=True)


def _chain1k(quick: bool) -> Problem:
    return _chain("chain_1k", 100 if quick else 1000, per_op=True)


def _chain200k(quick: bool) -> Problem:
    return _chain("chain_200k", 2000 if quick else 200_000, per_op=False)


# In the order of the table.
BUILDERS: dict[str, Callable[[bool], Problem]] = {
    "mlp_xor21": _xor,
    "mlp_linear100": _linear,
    "mlp_64_256": _mlp64,
    "mlp_784_1024": _mlp784,
    "chain_1k": _chain1k,
    "chain_200k": _chain200k,
}


def build(keys: list[str] | None = None, quick: bool = False) -> list[Problem]:
    """The problems named by ``keys`` (all six by default), in table order."""
    keys = list(BUILDERS) if keys is None else keys
    unknown = [k for k in keys if k not in BUILDERS]
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; choose from {list(BUILDERS)}")
    return [BUILDERS[k](quick) for k in BUILDERS if k in keys]
