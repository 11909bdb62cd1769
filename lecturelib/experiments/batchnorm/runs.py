"""The batch-normalization chapter's runs: how big they are at each preset, their data,
their MLP and how it trains.

Every run trains through ``lecturelib.train.fit`` on MNIST. ``ci`` and ``quick`` shrink
the data, the widths and the epochs; ``full`` uses all of MNIST. The learning rates that
several claims share are here too.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..._checks import check_int
from ...data import Data, mnist
from ...models import NormMLP
from ...presets import ScaleTable, set_seed
from ...train import History, fit


@dataclass(frozen=True)
class Scale:
    """How big the chapter's experiments are at one preset."""
    train_limit: int | None   # training images of the MLP runs (None: all 60,000)
    test_limit: int | None
    hidden: tuple[int, ...]   # widths of the MLP of BN2-BN6
    epochs: int               # epochs of the MLP runs
    lrs: tuple[float, ...]    # the learning-rate sweep of BN7
    deep_depth: int           # hidden layers of BN7's deep MLP
    deep_width: int
    smooth_every: int         # measure smoothness every this many steps (BN6)
    cnn_channels: tuple[int, ...]  # the CNN of BN8's ``arch="cnn"`` runs
    small_batch_samples: int  # training images of every BN8 run, whatever its batch size


SCALES = ScaleTable(Scale, {
    # ci: seconds on one CPU thread. 1,000 images x 2 epochs (32 steps) keep every claim's
    # direction over seeds 0-4 (see tests/claims/test_claims_batchnorm.py for the ranges).
    "ci": Scale(train_limit=1_000, test_limit=500, hidden=(64, 64), epochs=2, lrs=(0.05, 0.5, 2.0),
                deep_depth=10, deep_width=32, smooth_every=4, cnn_channels=(8, 16), small_batch_samples=512),
    "quick": Scale(train_limit=10_000, test_limit=5_000, hidden=(128, 128), epochs=3, lrs=(0.02, 0.1, 0.5, 2.0),
                   deep_depth=16, deep_width=128, smooth_every=10, cnn_channels=(8, 16), small_batch_samples=4_000),
    "full": Scale(train_limit=None, test_limit=None, hidden=(256, 256), epochs=5, lrs=(0.01, 0.05, 0.2, 1.0, 4.0),
                  deep_depth=20, deep_width=256, smooth_every=50, cnn_channels=(16, 32), small_batch_samples=20_000),
})
BATCH_SIZE = 64
HIGH_LR = 0.5          # the "high" learning rate of BN6 and BN7's comparison
DEEP_LR = 0.05
SMALL_BATCH_LR = 0.05  # BN8: one rate for every norm and batch size, so only the batch differs


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return SCALES.pick(preset)


def data(s: Scale | None = None, *, train_limit: int | None = None) -> Data:
    """The chapter's MNIST: ``s.train_limit`` training images unless ``train_limit`` is given."""
    s = SCALES.resolve(s)
    limit = s.train_limit if train_limit is None else check_int("train_limit", train_limit, low=1)
    return mnist(train_limit=limit, test_limit=s.test_limit)


def build_model(s: Scale | None = None, *, norm=None, bn_position: str = "before", depth: int | None = None,
                width: int | None = None, bias=None, seed: int = 0) -> NormMLP:
    """The chapter's MLP from ``seed``: ``s.hidden``, or ``depth`` layers of ``width``."""
    s = SCALES.resolve(s)
    if depth is None:
        hidden = s.hidden
    else:
        hidden = (check_int("width", width if width is not None else s.deep_width, low=1),) * \
                 check_int("depth", depth, low=1)
    set_seed(seed)
    return NormMLP(784, hidden, 10, norm=norm, bn_position=bn_position, bias=bias)


def train(model, s: Scale | None = None, *, lr: float, batch_size: int = BATCH_SIZE, epochs: int | None = None,
          optimizer="sgd", probes=(), seed: int = 0, train_limit: int | None = None,
          label: str | None = None) -> History:
    """Train ``model`` on the chapter's data with momentum-free SGD (or ``optimizer``); ``probes``
    are ``fit`` callbacks."""
    s = SCALES.resolve(s)
    epochs = s.epochs if epochs is None else epochs
    return fit(model, data(s, train_limit=train_limit), optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs,
               callbacks=list(probes), seed=seed, label=label)
