"""PyTorch versions of the workloads: an extra column, only when ``import torch`` works.

Same model, weights, data, loss and optimizer as the library side, on one
thread (``torch.set_num_threads(1)``).  PyTorch is not a dependency of the
project; nothing else in it imports this module.
"""

from __future__ import annotations

import numpy as np

from benchmarks.workloads import Problem, chain_forward


def available() -> str | None:
    """PyTorch's version, or None when it cannot be imported."""
    try:
        import torch
    except Exception:  # any failure to import means "no torch column"
        return None
    torch.set_num_threads(1)
    return str(torch.__version__)


class MLP:
    def __init__(self, p: Problem) -> None:
        import torch

        dtype = torch.float64 if p.dtype == np.float64 else torch.float32
        act = torch.nn.Sigmoid if p.kind == "sigmoid_mlp" else torch.nn.ReLU
        layers = []
        pairs = list(zip(p.sizes[:-1], p.sizes[1:]))
        for i, (n_in, n_out) in enumerate(pairs):
            layers.append(torch.nn.Linear(n_in, n_out, dtype=dtype))
            if i < len(pairs) - 1:
                layers.append(act())
        if p.kind == "sigmoid_mlp":
            layers.append(torch.nn.Sigmoid())
        self.model = torch.nn.Sequential(*layers)
        with torch.no_grad():
            for q, w in zip(self.model.parameters(), p.weights):
                q.copy_(torch.from_numpy(w))
        self.loss_fn = torch.nn.BCELoss(reduction="sum") if p.kind == "sigmoid_mlp" else torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=p.lr)
        self.x = torch.from_numpy(p.x.copy())
        self.y = torch.from_numpy(p.y.copy())

    def step(self):
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        self.loss = loss
        return loss

    def snapshot(self) -> dict[str, np.ndarray]:
        snap = {"loss": np.asarray(self.loss.item(), dtype=np.float64)}
        for i, q in enumerate(self.model.parameters()):
            snap[f"grad{i}"] = q.grad.detach().numpy().copy()
            snap[f"param{i}"] = q.detach().numpy().copy()
        return snap


class Chain:
    def __init__(self, p: Problem) -> None:
        import torch

        self.x = torch.tensor(p.x, requires_grad=True)
        self.cycles = p.length // 5

    def step(self):
        x = self.x
        x.grad = None
        y = chain_forward(x, self.cycles)
        y.sum().backward()
        self.out = y
        return y

    def snapshot(self) -> dict[str, np.ndarray]:
        return {"out": self.out.detach().numpy().copy(), "grad": self.x.grad.numpy().copy()}


def make(p: Problem):
    """The PyTorch runner for ``p``."""
    return Chain(p) if p.kind == "chain" else MLP(p)
