"""Neural-network layers, losses and utilities with PyTorch's ``torch.nn`` interface.

``nn.Module`` / ``nn.Parameter`` (``nn.module``), dense layers and containers
(``nn.layers``), convolution and pooling (``nn.conv``), activations
(``nn.activation``), losses (``nn.loss``), ``nn.init``, the functional forms
(``from nn import functional as F``) and pickle-free checkpoints
(``nn.save`` / ``nn.load``).  Importing ``nn`` registers its ops (linear,
dropout, losses, convolution, pooling) in ``autograd.REGISTRY``.
"""

from . import functional, init
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .conv import AvgPool1d, AvgPool2d, Conv1d, Conv2d, MaxPool1d, MaxPool2d
from .init import manual_seed
from .layers import Dropout, Flatten, Identity, Linear, ModuleList, Sequential
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter
from .serialization import load, save

__all__ = [
    "Module", "Parameter", "Linear", "Sequential", "ModuleList", "Identity", "Flatten", "Dropout",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
    "Sigmoid", "ReLU", "LeakyReLU", "Tanh", "Softmax", "LogSoftmax",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "functional", "init", "manual_seed", "save", "load",
]
