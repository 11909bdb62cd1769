"""The autoencoder chapters' pictures: tiled images and 2-D code maps."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from .._checks import check_int, check_type
from .models import to_unit


def show_images(images: torch.Tensor, *, nrow: int = 10, ax=None, title: str | None = None):
    """Tile normalized images into one picture, ``nrow`` per row."""
    check_type("images", images, torch.Tensor, "a torch.Tensor")
    nrow = check_int("nrow", nrow, low=1)
    pixels = to_unit(images.detach().cpu()).reshape(-1, 28, 28).numpy()
    rows = math.ceil(len(pixels) / nrow)
    canvas = np.ones((rows * 29 + 1, nrow * 29 + 1))
    for i, img in enumerate(pixels):
        r, c = divmod(i, nrow)
        canvas[1 + r * 29:1 + r * 29 + 28, 1 + c * 29:1 + c * 29 + 28] = 1.0 - img
    if ax is None:
        _, ax = plt.subplots(figsize=(min(12, 0.6 * nrow + 1), 0.6 * rows + 0.6), layout="constrained")
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def show_codes(z: torch.Tensor, labels: torch.Tensor, *, ax=None, title: str | None = None):
    """Scatter 2-D codes, one colour per digit."""
    check_type("z", z, torch.Tensor, "a torch.Tensor")
    if z.dim() != 2 or z.shape[1] != 2:
        raise ValueError(f"z must have shape (n, 2), got {tuple(z.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.2), layout="constrained")
    z, labels = z.detach().cpu().numpy(), labels.detach().cpu().numpy()
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=3, alpha=0.7, vmin=-0.5, vmax=9.5)
    ax.figure.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    if title:
        ax.set_title(title)
    return ax
