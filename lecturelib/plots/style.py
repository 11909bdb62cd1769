"""The house style every figure shares: axis labels, a run's legend entry, the default axes,
the title and grid every figure ends with."""
from __future__ import annotations

import matplotlib.pyplot as plt

AXIS_LABELS = {
    "epoch": "epoch", "steps": "optimizer steps", "samples": "training samples seen",
    "seconds": "training time (s)",
    "train_acc": "train accuracy", "test_acc": "test accuracy",
    "train_loss": "train loss (cross-entropy)", "test_loss": "test loss (cross-entropy)",
    "dist_w": "‖W − W₀‖ (weights)", "dist_b": "‖b − b₀‖ (biases)",
    "norm_w": "‖W‖ (weights)", "norm_b": "‖b‖ (biases)",
}
X_AXES = ("epoch", "steps", "samples", "seconds")


def label(batch_size: int, lr: float, optimizer: str = "sgd") -> str:
    """The legend entry every chapter uses for one run."""
    prefix = "" if optimizer == "sgd" else f"{optimizer}, "
    return f"{prefix}BS {batch_size}, lr {lr:g}"


def axes(ncols: int = 1, *, width: float = 5.0, height: float = 3.6):
    """A row of ``ncols`` axes with the course's default size."""
    fig, ax = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False, layout="constrained")
    return fig, ax[0]


def finish(ax, title: str | None = None):
    """The house finish of one axes: its title (when given) and a light grid."""
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax
