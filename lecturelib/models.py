"""The networks the chapters train.

The batch-size study's model is ``MLP(784, (1024, 1024), 10)`` with ReLU.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import check_choice, check_int

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}
INITS = ("torch", "glorot")


class MLP(nn.Module):
    """A fully connected network: flatten, then Linear + activation per hidden layer.

    init: ``"torch"`` keeps PyTorch's default (uniform, variance 1/(3 fan_in));
    ``"glorot"`` draws weights uniformly with variance 2/(fan_in + fan_out) and
    zeroes the biases (Glorot & Bengio 2010, Keras' default).
    """

    def __init__(self, in_features: int, hidden, out_features: int, *,
                 activation: str = "relu", init: str = "torch"):
        super().__init__()
        in_features = check_int("in_features", in_features, low=1)
        out_features = check_int("out_features", out_features, low=1)
        hidden = _check_hidden(hidden)
        check_choice("activation", activation, tuple(ACTIVATIONS))
        check_choice("init", init, INITS)
        widths = (in_features, *hidden, out_features)
        layers: list[nn.Module] = [nn.Flatten()]
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(hidden):
                layers.append(ACTIVATIONS[activation]())
        self.net = nn.Sequential(*layers)
        if init == "glorot":
            glorot_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def study_mlp(hidden=(1024, 1024), *, init: str = "glorot") -> MLP:
    """The batch-size study's network: 784 inputs, ReLU hidden layers, 10 classes."""
    return MLP(784, hidden, 10, activation="relu", init=init)


def glorot_(model: nn.Module) -> nn.Module:
    """Glorot-uniform weights and zero biases for every Linear layer, in place."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            bound = math.sqrt(6.0 / (layer.in_features + layer.out_features))
            nn.init.uniform_(layer.weight, -bound, bound)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def _check_hidden(hidden) -> tuple[int, ...]:
    if isinstance(hidden, int) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"hidden must be a tuple or list of layer widths, got {type(hidden).__name__}")
    return tuple(check_int(f"hidden[{i}]", h, low=1) for i, h in enumerate(hidden))
