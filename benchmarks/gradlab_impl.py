"""The library side of each workload, written as a user of the public API writes it.

``nn.Sequential(nn.Linear(...), nn.Sigmoid(), ...)``, a loss module,
``optim.SGD(model.parameters(), lr=...)`` and the usual
``opt.zero_grad(); loss.backward(); opt.step()``.  Weights are loaded with
``load_state_dict`` so that the library starts from the hand-written version's
weights.  ``nn`` and ``optim`` are imported on first use: the chain workloads
need only ``autograd``.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor
from benchmarks.workloads import Problem, chain_forward


def build_model(p: Problem):
    """The Sequential of ``p``: Linear layers with the hidden activation, sigmoid output for BCE."""
    import nn

    act = nn.Sigmoid if p.kind == "sigmoid_mlp" else nn.ReLU
    layers = []
    pairs = list(zip(p.sizes[:-1], p.sizes[1:]))
    for i, (n_in, n_out) in enumerate(pairs):
        layers.append(nn.Linear(n_in, n_out, dtype=p.dtype))
        if i < len(pairs) - 1:
            layers.append(act())
    if p.kind == "sigmoid_mlp":
        layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    names = [name for name, _ in model.named_parameters()]
    model.load_state_dict(dict(zip(names, p.weights)))
    return model


class MLP:
    """One full SGD step: zero_grad, forward, loss, backward, step."""

    def __init__(self, p: Problem) -> None:
        import nn
        import optim

        self.model = build_model(p)
        # The lab report's delta rule sums over the batch: BCE with reduction="sum".
        self.loss_fn = nn.BCELoss(reduction="sum") if p.kind == "sigmoid_mlp" else nn.CrossEntropyLoss()
        self.opt = optim.SGD(self.model.parameters(), lr=p.lr)
        self.x = Tensor(p.x)
        self.y = Tensor(p.y)

    def step(self) -> Tensor:
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        self.loss = loss
        return loss

    def snapshot(self) -> dict[str, np.ndarray]:
        snap = {"loss": np.asarray(self.loss.item(), dtype=np.float64)}
        for i, q in enumerate(self.model.parameters()):
            snap[f"grad{i}"] = np.asarray(q.grad.data)
            snap[f"param{i}"] = q.data.copy()
        return snap


class Chain:
    """The elementwise chain through Tensor operators and methods, then ``sum().backward()``."""

    def __init__(self, p: Problem) -> None:
        self.x = Tensor(p.x, requires_grad=True)
        self.cycles = p.length // 5

    def step(self) -> Tensor:
        x = self.x
        x.grad = None
        y = chain_forward(x, self.cycles)
        y.sum().backward()
        self.out = y
        return y

    def snapshot(self) -> dict[str, np.ndarray]:
        return {"out": self.out.data, "grad": self.x.grad.data}


def make(p: Problem):
    """The library runner for ``p`` (ImportError when ``nn``/``optim`` are missing)."""
    return Chain(p) if p.kind == "chain" else MLP(p)
