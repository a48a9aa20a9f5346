"""The report's experiments as data: which setting each one varies and over which values.

Every experiment runs on both tasks and changes one hyperparameter of the
baseline (``RunConfig()``: sigmoid, SGD, lr 0.05, 32 hidden units, summed BCE).
Runs shared between experiments (the baseline appears in all of them) are
trained once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .datasets import TASKS
from .models import ACTIVATION_NAMES, OPTIMIZER_NAMES
from .training import RunConfig


@dataclass(frozen=True)
class Experiment:
    """One figure and one table of the report: ``field`` takes each of ``values``."""

    slug: str
    title: str
    field: str
    values: tuple
    question: str

    def label(self, value) -> str:
        if self.field == "activation":
            return ACTIVATION_NAMES[value] if self.slug != "hidden_activation" else (
                "with sigmoid" if value == "sigmoid" else "without (identity)")
        if self.field == "optimizer":
            return OPTIMIZER_NAMES[value]
        if self.field == "lr":
            return f"lr = {value:g}"
        if self.field == "hidden":
            return f"{value} hidden unit{'s' if value != 1 else ''}"
        if self.field == "reduction":
            return f"{value}-reduced BCE"
        return f"{self.field} = {value}"

    def configs(self, task: str, epochs: int, seed: int = 0) -> list[RunConfig]:
        base = RunConfig(task=task, epochs=epochs, seed=seed)
        return [replace(base, **{self.field: v}) for v in self.values]


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment("learning_rate", "Learning rate", "lr", (0.0005, 0.005, 0.05, 0.5, 1.0),
               "How does the learning rate change the speed and the end point of training?"),
    Experiment("hidden_units", "Number of hidden units", "hidden", (64, 32, 16, 8, 4, 2, 1),
               "How narrow can the two hidden layers be and still fit each task?"),
    Experiment("hidden_activation", "With and without hidden activations", "activation", ("sigmoid", "none"),
               "What do the hidden sigmoids contribute? Without them the network is a linear map followed "
               "by the output sigmoid: logistic regression."),
    Experiment("optimizer", "Optimizers", "optimizer", ("sgd", "sgdm", "rmsprop", "adam"),
               "How do momentum and adaptive step sizes compare with plain SGD at the same learning rate?"),
    Experiment("activation", "Activation functions", "activation", ("sigmoid", "relu", "leaky_relu", "tanh"),
               "How does the choice of hidden activation change training?"),
    Experiment("reduction", "Loss reduction: sum (the report) versus mean", "reduction", ("sum", "mean"),
               "The report's gradient sums over the batch. Does summing or averaging the loss change the result "
               "at the report's learning rate?"),
)


def all_configs(epochs: int, seed: int = 0) -> list[RunConfig]:
    """Every distinct run the experiments need, each once, in a stable order."""
    seen: dict[tuple, RunConfig] = {}
    for exp in EXPERIMENTS:
        for task in TASKS:
            for cfg in exp.configs(task, epochs, seed):
                seen.setdefault(cfg.key(), cfg)
    return list(seen.values())
