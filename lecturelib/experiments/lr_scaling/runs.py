"""The grid's runs (LR1-LR3): the chapter's sizes per preset and one training run per grid cell.

Owns ``Scale`` and ``SCALES`` (every size the chapter's experiments use, the convex case's
included), the MNIST subset and the MLP of the chapter (``data``, ``build_model``), one grid
run (``run``, with ``warmup_steps``), and the batch size x learning rate ``Grid`` of final test
accuracies, for one seed (``grid``) or averaged over seeds (``mean_grid``, ``grid_seeds``).
Runs and grids are cached per process in ``_RUNS`` and ``_GRIDS``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._checks import check_bool, check_choice, check_float, check_int
from ...callbacks import Evaluation, ProgressBar, Warmup
from ...data import Data, mnist
from ...models import MLP
from ...presets import ScaleTable, set_seed
from ...train import History, fit

OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class Scale:
    """How big the chapter's experiments are at one preset."""
    train: int | None              # training images (None: all 60,000)
    test: int | None               # test images (None: all 10,000)
    hidden: int                    # hidden units of the 784-hidden-10 MLP
    epochs: int                    # the fixed budget of the grid, in epochs
    batch_sizes: tuple[int, ...]   # rows of the grid
    sgd_lrs: tuple[float, ...]     # columns of the SGD grid (log spaced, factor 2)
    adam_lrs: tuple[float, ...]    # columns of the Adam grid
    warmup_fraction: float         # warm-up length as a share of each run's steps
    target: float                  # BS12: the test accuracy to reach
    target_batch_sizes: tuple[int, ...]
    max_steps: int                 # BS12: give up after this many steps
    max_samples: int               # BS12: ... or after this many samples
    target_eval: int               # BS12: test images the target is checked on
    noise_pool: int                # training images the noise scale is estimated from
    convex_train: int              # BS13: training images of the convex problem; a multiple of every
                                   # batch size used on it, so that no epoch ends with a partial batch
    convex_batch_sizes: tuple[int, ...]
    convex_epochs: int             # BS13: epochs per phase of the schedules
    convex_steps: int              # BS13: steps per run of the noise-ball sweep
    grid_seeds: int                # seeds whose SGD grids (and steps to target) are averaged
    noise_sgd: float               # seed-to-seed sd of one SGD grid cell's test accuracy near the ridge
    noise_adam: float              # ... of one Adam grid cell (both measured: see SCALES)


POW2 = tuple(2 ** k for k in range(4, 13))    # 16 ... 4096
SCALES = ScaleTable(Scale, {
    "ci": Scale(train=4_000, test=2_000, hidden=64, epochs=3, batch_sizes=(16, 64, 256, 1024),
                sgd_lrs=(0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4), adam_lrs=(1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2),
                warmup_fraction=0.2, target=0.85, target_batch_sizes=(16, 32, 64, 128, 256, 512, 1024),
                max_steps=500, max_samples=200_000, target_eval=2_000, noise_pool=1_024, convex_train=4_096,
                convex_batch_sizes=(4, 16, 64, 256, 1024), convex_epochs=3, convex_steps=1_000,
                grid_seeds=3, noise_sgd=0.013, noise_adam=0.0075),
    "quick": Scale(train=None, test=None, hidden=64, epochs=1, batch_sizes=(16, 64, 256, 1024, 4096),
                   sgd_lrs=(0.025, 0.05, 0.1, 0.2, 0.4, 0.8), adam_lrs=(5e-4, 1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2),
                   warmup_fraction=0.2, target=0.95, target_batch_sizes=POW2,
                   max_steps=6_000, max_samples=3_000_000, target_eval=5_000, noise_pool=4_096, convex_train=10_240,
                   convex_batch_sizes=(4, 16, 64, 256, 1024), convex_epochs=3, convex_steps=2_000,
                   grid_seeds=1, noise_sgd=0.004, noise_adam=0.0035),
    "full": Scale(train=None, test=None, hidden=256, epochs=5, batch_sizes=POW2,
                  sgd_lrs=tuple(0.0125 * 2 ** k for k in range(10)), adam_lrs=tuple(1.25e-4 * 2 ** k for k in range(9)),
                  warmup_fraction=0.1, target=0.97, target_batch_sizes=POW2,
                  max_steps=20_000, max_samples=20_000_000, target_eval=10_000, noise_pool=8_192, convex_train=57_344,
                  convex_batch_sizes=(4, 16, 64, 256, 1024, 4096), convex_epochs=5, convex_steps=5_000,
                  grid_seeds=1, noise_sgd=0.004, noise_adam=0.0035),
})
# The noise levels: the standard deviation over seeds of one cell's final test accuracy, median
# over the cells within 3 points of their row's best. ci, seeds 0-9: SGD 0.012 (no warm-up) and
# 0.015 (warm-up), Adam 0.0074; quick, seeds 0-2: SGD with warm-up 0.0039, Adam 0.0032.
# full is not measured; it has more data than quick, so quick's values are an upper bound.


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return SCALES.pick(preset)


def data(s: Scale | None = None) -> Data:
    """MNIST at this scale (the test split is the one the grid reports)."""
    s = SCALES.resolve(s)
    return mnist(train_limit=s.train, test_limit=s.test)


def build_model(s: Scale | None = None, *, seed: int = 0) -> MLP:
    """The chapter's 784-hidden-10 ReLU MLP, initialized from ``seed``."""
    s = SCALES.resolve(s)
    set_seed(check_int("seed", seed, low=0))
    return MLP(784, (s.hidden,), 10)


# --- LR1-LR3: the batch size x learning rate grid -------------------------------------

_RUNS: dict = {}
_GRIDS: dict = {}


def warmup_steps(s: Scale, batch_size: int, epochs: int | None = None) -> int:
    """Warm-up length for one run: ``s.warmup_fraction`` of its steps (at least 1)."""
    s = SCALES.resolve(s)
    batch_size = check_int("batch_size", batch_size, low=1)
    epochs = s.epochs if epochs is None else check_int("epochs", epochs, low=1)
    n = len(data(s).x_train)
    return max(1, round(s.warmup_fraction * epochs * math.ceil(n / batch_size)))


def run(s: Scale | None, optimizer: str, batch_size: int, lr: float, *, warmup: bool = False,
        seed: int = 0, progress: bool = False) -> History:
    """One cell of the grid: train for ``s.epochs`` epochs and return the History (cached per process)."""
    s = SCALES.resolve(s)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    check_bool("warmup", warmup)
    seed = check_int("seed", seed, low=0)
    key = (s, optimizer, batch_size, lr, warmup, seed)
    if key not in _RUNS:
        wu = warmup_steps(s, batch_size) if warmup else 0
        label = f"{optimizer}, BS {batch_size}, lr {lr:.3g}" + (", warm-up" if warmup else "")
        _RUNS[key] = fit(build_model(s, seed=seed), data(s), optimizer=optimizer, lr=lr, batch_size=batch_size,
                         epochs=s.epochs, seed=seed, label=label,
                         callbacks=[Warmup(wu), Evaluation(train_limit=1), ProgressBar(enabled=progress)])
    return _RUNS[key]


@dataclass
class Grid:
    """Final test accuracy of every (batch size, lr) pair: ``acc[i, j]`` is batch_sizes[i] at lrs[j].

    A grid trained with several seeds holds the mean accuracy over them in ``acc``, the
    standard deviation over them in ``acc_sd`` and every seed's grid in ``accs`` (seed, B, lr);
    both are ``None`` for one seed."""
    optimizer: str
    warmup: bool
    batch_sizes: tuple[int, ...]
    lrs: tuple[float, ...]
    acc: np.ndarray
    seconds: np.ndarray   # training wall time of each run (no evaluation), summed over the seeds
    seeds: tuple[int, ...] = (0,)
    acc_sd: np.ndarray | None = None
    accs: np.ndarray | None = None
    # the step each run diverged at (History.diverged_at), 0: it did not; over several seeds, the first seed's
    diverged: np.ndarray | None = None

    @property
    def label(self) -> str:
        return ("Adam" if self.optimizer == "adam" else "SGD") + (" with warm-up" if self.warmup else "")

    def row(self, batch_size: int) -> np.ndarray:
        check_choice("batch_size", batch_size, self.batch_sizes)
        return self.acc[self.batch_sizes.index(batch_size)]


def grid(s: Scale | None = None, *, optimizer: str = "sgd", warmup: bool = False, seed: int = 0) -> Grid:
    """Train every cell of the grid (once per process) and collect the final test accuracies.

    A run that diverges predicts one class; its accuracy is counted as chance (0.1).
    """
    s = SCALES.resolve(s)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_bool("warmup", warmup)
    seed = check_int("seed", seed, low=0)
    key = (s, optimizer, warmup, seed)
    if key not in _GRIDS:
        lrs = s.adam_lrs if optimizer == "adam" else s.sgd_lrs
        acc = np.zeros((len(s.batch_sizes), len(lrs)))
        secs = np.zeros_like(acc)
        div = np.zeros(acc.shape, dtype=int)
        for i, b in enumerate(s.batch_sizes):
            for j, lr in enumerate(lrs):
                h = run(s, optimizer, b, lr, warmup=warmup, seed=seed)
                a = h.final("test_acc")
                diverged = h.diverged or not math.isfinite(a)
                acc[i, j] = 0.1 if diverged else a
                secs[i, j] = h.seconds[-1]
                div[i, j] = h.diverged_at or 0
        _GRIDS[key] = Grid(optimizer, warmup, tuple(s.batch_sizes), tuple(lrs), acc, secs, (seed,), diverged=div)
    return _GRIDS[key]


def grid_seeds(s: Scale | None = None, seed: int = 0) -> tuple[int, ...]:
    """The training seeds behind seed ``seed`` of the chapter: ``s.grid_seeds`` consecutive
    seeds, disjoint for different ``seed`` (ci: seed 0 -> 0, 1, 2; seed 1 -> 3, 4, 5)."""
    s = SCALES.resolve(s)
    seed = check_int("seed", seed, low=0)
    return tuple(range(s.grid_seeds * seed, s.grid_seeds * (seed + 1)))


def mean_grid(s: Scale | None = None, *, optimizer: str = "sgd", warmup: bool = False,
              seeds=(0,)) -> Grid:
    """The grid trained once per seed in ``seeds``: mean accuracy and its spread over seeds."""
    s = SCALES.resolve(s)
    seeds = tuple(check_int(f"seeds[{i}]", x, low=0) for i, x in enumerate(seeds))
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got none")
    grids = [grid(s, optimizer=optimizer, warmup=warmup, seed=x) for x in seeds]
    if len(grids) == 1:
        return grids[0]
    acc = np.stack([g.acc for g in grids])
    first = grids[0]
    # A cell is marked diverged when any seed diverged there, at the earliest such step.
    div = np.stack([g.diverged for g in grids]).astype(float)
    div[div == 0] = np.inf
    earliest = div.min(0)
    diverged = np.where(np.isfinite(earliest), earliest, 0).astype(int)
    return Grid(optimizer, warmup, first.batch_sizes, first.lrs, acc.mean(0),
                np.sum([g.seconds for g in grids], axis=0), seeds, acc.std(0, ddof=1), acc, diverged=diverged)


def steps_per_run(s: Scale | None, batch_size: int) -> int:
    """How many optimizer steps one grid run at ``batch_size`` takes: epochs x ceil(N / B)."""
    s = SCALES.resolve(s)
    batch_size = check_int("batch_size", batch_size, low=1)
    return s.epochs * math.ceil(len(data(s).x_train) / batch_size)
