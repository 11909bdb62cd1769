"""Small made-up inputs for the registry's examples: each panel built in a test configuration.

Nothing here trains or reads a data set. Each function returns fresh objects and leaves
torch's and numpy's global random state as it found it, so building an example does not
change what a test that runs after it draws.
"""
from __future__ import annotations

import numpy as np
import torch


def runs() -> dict:
    """Two made-up runs of two epochs (label -> History), with what every runs panel draws:
    test accuracy and distance from init per epoch, training loss per step."""
    from ..train import History

    out = {}
    for label, acc, loss in (("BS 32, lr 0.05", [0.10, 0.80, 0.86], [2.30, 0.70, 0.50]),
                             ("BS 128, lr 0.05", [0.10, 0.70, 0.79], [2.30, 1.10, 0.80])):
        out[label] = History(label=label, config={}, epoch=[0, 1, 2], steps=[0, 8, 16], samples=[0, 256, 512],
                             values={"test_acc": acc, "train_loss": loss, "dist_w": [0.0, 1.0, 1.4]})
    return out


def gradient_samples(batch_sizes=(1, 4, 16), trials: int = 20):
    """Made-up ``GradientSamples``: ``trials`` random norms per batch size."""
    from ..gradient_samples import GradientSamples

    rng = np.random.default_rng(0)
    return GradientSamples(batch_sizes=tuple(batch_sizes), norms={b: rng.random(trials) + 1 for b in batch_sizes},
                           entries={b: rng.random(trials) for b in batch_sizes}, grad_sq=1.0, trace_cov=1.0,
                           n_params=trials)


def grid():
    """A made-up 3 x 4 ``lr_scaling.Grid`` (batch sizes 16, 32, 64) whose best lr doubles with the batch size."""
    from ..experiments import lr_scaling

    acc = np.array([[0.90, 0.92, 0.85, 0.30],
                    [0.88, 0.90, 0.93, 0.80],
                    [0.70, 0.85, 0.90, 0.94]])
    return lr_scaling.Grid("sgd", False, (16, 32, 64), (0.05, 0.1, 0.2, 0.4), acc, np.ones_like(acc))


def autoencoder(code_size: int):
    """An untrained ``autoencoders.Autoencoder`` with a ``code_size``-D code, initialized from seed 0."""
    from .. import autoencoders

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return autoencoders.Autoencoder(code_size)
