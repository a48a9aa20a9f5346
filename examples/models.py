"""Model and optimizer factories shared by the CLIs and the report runner.

The report's network is ``Linear(2, 32) -> sigmoid -> Linear(32, 32) -> sigmoid
-> Linear(32, 1) -> sigmoid``; ``build_mlp`` builds it with a chosen hidden
width and hidden activation ("none" puts ``Identity`` where the sigmoids were,
the report's "without activation functions" experiment).  The output sigmoid
stays in every variant because ``BCELoss`` takes probabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import nn
import optim

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "none": nn.Identity,
}
ACTIVATION_NAMES = {"sigmoid": "Sigmoid", "relu": "ReLU", "leaky_relu": "LeakyReLU", "tanh": "Tanh", "none": "none"}

OPTIMIZERS: dict[str, Callable[..., optim.Optimizer]] = {
    "sgd": lambda params, lr: optim.SGD(params, lr=lr),
    "sgdm": lambda params, lr: optim.SGDM(params, lr=lr),
    "rmsprop": lambda params, lr: optim.RMSprop(params, lr=lr),
    "adam": lambda params, lr: optim.Adam(params, lr=lr),
}
OPTIMIZER_NAMES = {"sgd": "SGD", "sgdm": "SGD + momentum 0.9", "rmsprop": "RMSProp", "adam": "Adam"}


def seed_everything(seed: int) -> None:
    """Seed the generator that gradlab's parameter initialisation and dropout draw from."""
    seeder = getattr(nn, "manual_seed", None) or nn.init.manual_seed
    seeder(seed)


def build_mlp(hidden: int = 32, activation: str = "sigmoid", in_features: int = 2) -> nn.Sequential:
    """The report's two-hidden-layer binary classifier (outputs probabilities)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)}")
    if hidden < 1:
        raise ValueError(f"hidden must be >= 1, got {hidden}")
    act = ACTIVATIONS[activation]
    return nn.Sequential(
        nn.Linear(in_features, hidden), act(),
        nn.Linear(hidden, hidden), act(),
        nn.Linear(hidden, 1), nn.Sigmoid(),
    )


def make_optimizer(name: str, params: Iterable, lr: float) -> optim.Optimizer:
    """One of the report's four optimizers, each with PyTorch's defaults apart from ``lr``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name](list(params), lr)
