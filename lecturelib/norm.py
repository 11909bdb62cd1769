"""Batch normalization written out from its formulas (Ioffe & Szegedy 2015).

For each unit (features of a fully connected layer) or channel (of a
convolution), in training mode:

    mu    = mean of x over the batch (and over every spatial position)
    var   = mean of (x - mu)^2 over the same values   (the biased estimate)
    x_hat = (x - mu) / sqrt(var + eps)
    y     = gamma * x_hat + beta

so the output of each unit has mean beta and standard deviation gamma (up to
eps). Training also keeps running estimates for test time:

    running_mean <- (1 - momentum) * running_mean + momentum * mu
    running_var  <- (1 - momentum) * running_var  + momentum * var * n / (n - 1)

(the unbiased variance, as PyTorch does), and evaluation mode uses them in
place of the batch statistics. This is an exponentially weighted average with
decay beta = 1 - momentum: PyTorch's default momentum 0.1 averages with
beta = 0.9, over roughly the last 1 / (1 - beta) = 10 batches. Autograd differentiates the formulas; there is
no hand-written backward pass, so the gradients are those of the forward.

``freeze_affine`` fixes gamma at 1 and/or beta at 0 for the chapter's test of
which part of BN does the work.
"""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_bool, check_float, check_int, check_type


class BatchNorm(nn.Module):
    """Batch normalization over dimension 1 of an input of ``ndim`` dimensions
    (2 for (N, C), 3 for (N, C, L), 4 for (N, C, H, W))."""

    allowed_ndim: tuple[int, ...] = (2, 3, 4)

    def __init__(self, num_features: int, *, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True):
        super().__init__()
        self.num_features = check_int("num_features", num_features, low=1)
        self.eps = check_float("eps", eps, low=0.0, low_open=True)
        self.momentum = check_float("momentum", momentum, low=0.0, high=1.0)
        self.affine = check_bool("affine", affine)
        # gamma sets each unit's output scale (std), beta its output mean.
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    @property
    def gamma(self):
        return self.weight

    @property
    def beta(self):
        return self.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        axes = [0, *range(2, x.ndim)]          # every axis but the channel axis
        shape = [1, -1] + [1] * (x.ndim - 2)   # broadcasts a per-channel vector
        if self.training:
            n = x.numel() // x.shape[1]        # values per channel in this batch
            if n < 2:
                raise ValueError(
                    f"x must hold more than 1 value per channel in training "
                    f"mode, got shape {tuple(x.shape)}: the batch variance of "
                    f"one value is 0")
            mean = x.mean(dim=axes)                             # mu_B
            var = ((x - mean.view(shape)) ** 2).mean(dim=axes)  # sigma^2_B
            with torch.no_grad():   # running estimates for eval mode
                m = self.momentum   # an EMA with beta = 1 - m
                self.running_mean.mul_(1 - m).add_(m * mean)
                self.running_var.mul_(1 - m).add_(m * var * n / (n - 1))
                self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if not self.affine:
            return x_hat
        return self.weight.view(shape) * x_hat + self.bias.view(shape)

    def _check_input(self, x):
        check_type("x", x, torch.Tensor, "a torch.Tensor")
        if x.ndim not in self.allowed_ndim:
            raise ValueError(f"x must have {' or '.join(map(str, self.allowed_ndim))} dimensions for "
                             f"{type(self).__name__}, got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"x must have {self.num_features} channels in dimension 1, got shape {tuple(x.shape)}")

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(BatchNorm):
    """For (N, C) or (N, C, L) inputs, like ``torch.nn.BatchNorm1d``."""
    allowed_ndim = (2, 3)


class BatchNorm2d(BatchNorm):
    """For (N, C, H, W) inputs, like ``torch.nn.BatchNorm2d``."""
    allowed_ndim = (4,)


def freeze_affine(model: nn.Module, *, gamma: bool = False, beta: bool = False) -> nn.Module:
    """Fix gamma at 1 (``gamma=True``) and/or beta at 0 (``beta=True``) in every
    lecturelib ``BatchNorm`` of ``model``, in place; frozen values get no gradient."""
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_bool("gamma", gamma)
    check_bool("beta", beta)
    layers = [m for m in model.modules() if isinstance(m, BatchNorm) and m.affine]
    if not layers:
        raise ValueError("model must contain at least one affine lecturelib.norm.BatchNorm, found none")
    with torch.no_grad():
        for m in layers:
            if gamma:
                m.weight.fill_(1.0)
                m.weight.requires_grad_(False)
            if beta:
                m.bias.zero_()
                m.bias.requires_grad_(False)
    return model
