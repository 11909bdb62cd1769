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


# --- Networks with a normalization choice (batch-normalization chapter) -------------

NORMS = (None, "batch", "layer", "instance", "group")
BN_POSITIONS = ("before", "after")


def make_norm(norm, channels: int, *, spatial: bool, groups: int = 4) -> nn.Module:
    """A normalization layer for ``channels`` units (``spatial=False``: (N, C)
    inputs) or channels (``spatial=True``: (N, C, H, W) inputs).

    ``"batch"`` is the course's own ``lecturelib.norm`` BatchNorm. The others
    are GroupNorm with a group count that picks the axes: one group over all
    channels is LayerNorm, one group per channel is InstanceNorm (each with a
    per-channel gamma and beta and no running statistics).
    """
    from .norm import BatchNorm1d, BatchNorm2d

    check_choice("norm", norm, NORMS)
    channels = check_int("channels", channels, low=1)
    groups = check_int("groups", groups, low=1)
    if norm is None:
        return nn.Identity()
    if norm == "batch":
        return BatchNorm2d(channels) if spatial else BatchNorm1d(channels)
    if norm == "layer":
        return nn.GroupNorm(1, channels) if spatial else nn.LayerNorm(channels)
    if norm == "instance":
        if not spatial:
            raise ValueError("norm='instance' needs a spatial (N, C, H, W) input: per sample and channel, a "
                             "fully connected unit holds a single value; use it in NormCNN")
        return nn.GroupNorm(channels, channels)
    if channels % groups:
        raise ValueError(f"groups must divide channels: groups={groups} does not divide channels={channels}")
    return nn.GroupNorm(groups, channels)


class NormMLP(nn.Module):
    """An MLP whose hidden layers are Linear -> norm -> activation
    (``bn_position="before"``, the original paper's place) or
    Linear -> activation -> norm (``"after"``).

    bias: whether the hidden Linear layers keep their bias (default: yes, except
    with BatchNorm before the activation, whose mean subtraction cancels it). ``hidden_activations(x)`` returns each hidden layer's output.
    """

    def __init__(self, in_features: int, hidden, out_features: int, *, norm=None, bn_position: str = "before",
                 activation: str = "relu", bias: bool | None = None, groups: int = 4):
        super().__init__()
        in_features = check_int("in_features", in_features, low=1)
        out_features = check_int("out_features", out_features, low=1)
        hidden = _check_hidden(hidden)
        check_choice("norm", norm, NORMS)
        check_choice("bn_position", bn_position, BN_POSITIONS)
        check_choice("activation", activation, tuple(ACTIVATIONS))
        if bias is None:
            bias = not (norm == "batch" and bn_position == "before")
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be True, False or None, got {bias!r}")
        self.norm, self.bn_position = norm, bn_position
        self.flatten = nn.Flatten()
        self.blocks = nn.ModuleList()
        n_in = in_features
        for width in hidden:
            parts = [nn.Linear(n_in, width, bias=bias), make_norm(norm, width, spatial=False, groups=groups),
                     ACTIVATIONS[activation]()]
            if bn_position == "after":
                parts[1], parts[2] = parts[2], parts[1]
            self.blocks.append(nn.Sequential(*parts))
            n_in = width
        self.head = nn.Linear(n_in, out_features)

    def hidden_activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every hidden block, in order."""
        outs, h = [], self.flatten(x)
        for block in self.blocks:
            h = block(h)
            outs.append(h)
        return outs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.flatten(x)
        for block in self.blocks:
            h = block(h)
        return self.head(h)


class NormCNN(nn.Module):
    """A small CNN for 1x28x28 images: per entry of ``channels`` a 3x3 conv
    (padding 1) -> norm -> ReLU -> 2x2 max-pool, then global average pooling and
    a Linear classifier. ``norm`` and ``groups`` as in ``make_norm``. The convs
    drop their bias under batch and instance norm, whose per-channel mean
    subtraction cancels it."""

    def __init__(self, channels=(8, 16), out_features: int = 10, *, norm=None, groups: int = 4,
                 in_channels: int = 1):
        super().__init__()
        channels = _check_hidden(channels)
        out_features = check_int("out_features", out_features, low=1)
        in_channels = check_int("in_channels", in_channels, low=1)
        check_choice("norm", norm, NORMS)
        self.norm = norm
        layers: list[nn.Module] = []
        c_in = in_channels
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=norm not in ("batch", "instance")),
                       make_norm(norm, c, spatial=True, groups=groups), nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))
