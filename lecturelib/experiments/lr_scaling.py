"""The experiments of the learning-rate-scaling chapter (claims LR1-LR3, BS12, BS13).

* ``grid``: test accuracy after a fixed budget of *epochs* for every batch size
  x learning rate pair, for SGD with and without warm-up and for Adam. A fixed
  number of samples means a large batch takes fewer steps: the honest
  comparison. ``best_lrs`` smooths each row's best learning rate (a parabola in
  log lr through the row's maximum and its neighbours) and ``scaling_exponent``
  fits log(best lr) = a + k log(B): k = 1 is the linear rule of Goyal et al.
  (2017), k = 1/2 the square-root rule.
* ``steps_to_target``: optimizer steps (and training seconds) until the test
  accuracy first reaches a target, each batch size at its tuned learning rate;
  ``critical_batch`` fits S = S_min (1 + B_crit / B) (McCandlish et al. 2018)
  and ``noise_scale`` measures B_noise = tr(Sigma) / |G|^2 at the weights where
  the target is reached.
* the convex case: softmax regression on 7x7 average-pooled pixels with an L2
  term, whose optimum ``convex_optimum`` finds with full-batch L-BFGS; the
  distance to it after SGD at a fixed learning rate (``noise_ball``), and a
  decaying-lr schedule against a growing-batch one (``schedules``).

* the chapter's tables: ``best_lr_rows``, ``ridge_rows``, ``target_rows``, ``doubling_rows``,
  ``noise_ball_rows``, ``schedule_rows``. The verdicts are not computed here: the rules of
  ``lecturelib.claims.lr_scaling`` read these measurements. The figures are in ``lecturelib.plots``.

Everything trains through ``lecturelib.train.fit``. Results are cached per
process, so the notebook, its widget and the claim tests share one grid.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import check_bool, check_choice, check_float, check_int, check_type
from ..data import Data, mnist
from ..models import MLP
from ..presets import pick, set_seed
from ..probes import gradient_noise
from ..report import pct
from ..train import History, Phase, fit

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
SCALES = {
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
}
# The noise levels: the standard deviation over seeds of one cell's final test accuracy, median
# over the cells within 3 points of their row's best. ci, seeds 0-9: SGD 0.012 (no warm-up) and
# 0.015 (warm-up), Adam 0.0074; quick, seeds 0-2: SGD with warm-up 0.0039, Adam 0.0032.
# full is not measured; it has more data than quick, so quick's values are an upper bound.

CONVEX_L2 = 1e-2     # the L2 term that makes the convex problem strongly convex
CONVEX_LR = 0.5      # the fixed learning rate of the noise-ball sweep and the schedules


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return pick(SCALES, preset)


def data(s: Scale | None = None) -> Data:
    """MNIST at this scale (the test split is the one the grid reports)."""
    s = _scale(s)
    return mnist(train_limit=s.train, test_limit=s.test)


def model(s: Scale | None = None, *, seed: int = 0) -> MLP:
    """The chapter's 784-hidden-10 ReLU MLP, initialized from ``seed``."""
    s = _scale(s)
    set_seed(check_int("seed", seed, low=0))
    return MLP(784, (s.hidden,), 10)


# --- LR1-LR3: the batch size x learning rate grid -------------------------------------

_RUNS: dict = {}
_GRIDS: dict = {}


def warmup_steps(s: Scale, batch_size: int, epochs: int | None = None) -> int:
    """Warm-up length for one run: ``s.warmup_fraction`` of its steps (at least 1)."""
    s = _scale(s)
    batch_size = check_int("batch_size", batch_size, low=1)
    epochs = s.epochs if epochs is None else check_int("epochs", epochs, low=1)
    n = len(data(s).x_train)
    return max(1, round(s.warmup_fraction * epochs * math.ceil(n / batch_size)))


def run(s: Scale | None, optimizer: str, batch_size: int, lr: float, *, warmup: bool = False,
        seed: int = 0, progress: bool = False) -> History:
    """One cell of the grid: train for ``s.epochs`` epochs and return the History (cached per process)."""
    s = _scale(s)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    check_bool("warmup", warmup)
    seed = check_int("seed", seed, low=0)
    key = (s, optimizer, batch_size, lr, warmup, seed)
    if key not in _RUNS:
        wu = warmup_steps(s, batch_size) if warmup else 0
        label = f"{optimizer}, BS {batch_size}, lr {lr:.3g}" + (", warm-up" if warmup else "")
        _RUNS[key] = fit(model(s, seed=seed), data(s), optimizer=optimizer, lr=lr, batch_size=batch_size,
                         epochs=s.epochs, warmup_steps=wu, seed=seed, train_eval_limit=1, label=label,
                         progress=progress)
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
    s = _scale(s)
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
    s = _scale(s)
    seed = check_int("seed", seed, low=0)
    return tuple(range(s.grid_seeds * seed, s.grid_seeds * (seed + 1)))


def mean_grid(s: Scale | None = None, *, optimizer: str = "sgd", warmup: bool = False,
              seeds=(0,)) -> Grid:
    """The grid trained once per seed in ``seeds``: mean accuracy and its spread over seeds."""
    s = _scale(s)
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


def tuned_accuracy(g: Grid) -> dict[int, float]:
    """Each batch size's accuracy at its best lr: the row's best cell, found per seed and then
    the median over the seeds (one seed that trained badly does not move it)."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    accs = g.acc[None] if g.accs is None else g.accs
    return dict(zip(g.batch_sizes, np.median(accs.max(axis=2), axis=0).tolist()))


def steps_per_run(s: Scale | None, batch_size: int) -> int:
    """How many optimizer steps one grid run at ``batch_size`` takes: epochs x ceil(N / B)."""
    s = _scale(s)
    batch_size = check_int("batch_size", batch_size, low=1)
    return s.epochs * math.ceil(len(data(s).x_train) / batch_size)


def best_lrs(g: Grid) -> dict[int, float]:
    """Each batch size's best learning rate, smoothed: the vertex of the parabola (in
    log lr) through the row's best cell and its two neighbours, kept within one grid step
    of that cell. At the edge of the grid the edge value is returned (the true optimum may
    lie beyond it)."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    x = np.log2(np.asarray(g.lrs))
    out = {}
    for b, row in zip(g.batch_sizes, g.acc):
        i = int(np.argmax(row))
        if 0 < i < len(row) - 1:
            y0, y1, y2 = row[i - 1], row[i], row[i + 1]
            curvature = y0 - 2 * y1 + y2
            shift = 0.0 if curvature >= 0 else 0.5 * (y0 - y2) / curvature
            shift = float(np.clip(shift, -1.0, 1.0))
            step = x[i + 1] - x[i] if shift > 0 else x[i] - x[i - 1]
            out[b] = float(2 ** (x[i] + shift * step))
        else:
            out[b] = float(g.lrs[i])
    return out


def at_edge(g: Grid) -> list[int]:
    """Batch sizes whose best cell is the grid's smallest or largest learning rate."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    return [b for b, row in zip(g.batch_sizes, g.acc) if int(np.argmax(row)) in (0, len(row) - 1)]


def scaling_exponent(best: dict, batch_sizes=None) -> float:
    """Least-squares slope k of log(best lr) against log(B): lr ∝ B**k (1: linear, 0.5: square root)."""
    b, lr = _best_arrays(best, batch_sizes)
    if len(b) < 2:
        raise ValueError(f"a slope needs at least 2 batch sizes, got {list(b)}")
    return float(np.polyfit(np.log(b), np.log(lr), 1)[0])


def linear_rule(best: dict, batch_size: int, reference: int | None = None) -> float:
    """The learning rate the linear rule predicts at ``batch_size`` from ``reference``'s best lr
    (default: the smallest batch size)."""
    b, _ = _best_arrays(best, None)
    reference = int(b[0]) if reference is None else reference
    check_choice("reference", reference, tuple(best))
    batch_size = check_int("batch_size", batch_size, low=1)
    return best[reference] * batch_size / reference


def linear_rule_breaks(best: dict, *, tolerance: float = 2.0) -> int | None:
    """The largest batch size up to which every best lr is within ``tolerance`` (a factor)
    of the linear rule's prediction from the smallest batch size; ``None`` if the rule already
    fails at the second batch size. It is the last B where the linear rule still holds."""
    tolerance = check_float("tolerance", tolerance, low=1.0)
    b, lr = _best_arrays(best, None)
    last = None
    for bi, li in zip(b, lr):
        predicted = lr[0] * bi / b[0]
        if max(li / predicted, predicted / li) > tolerance:
            break
        last = int(bi)
    return last if last != int(b[0]) else None


def ridge(g: Grid, *, upto: int | None = None) -> dict[str, object]:
    """LR3: the best accuracy of every row (the ridge) against the accuracies at one fixed lr.

    The fixed lr is the column with the highest mean accuracy over the batch sizes compared,
    the best one could do without re-tuning. Spreads are max - min over batch sizes.
    upto: compare only batch sizes <= upto (default: all).
    """
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    rows = [i for i, b in enumerate(g.batch_sizes) if upto is None or b <= upto]
    if upto is not None:
        check_int("upto", upto, low=1)
        if len(rows) < 2:
            raise ValueError(f"upto must leave at least 2 batch sizes of {g.batch_sizes}, got {upto}")
    acc = g.acc[rows]
    sizes = [g.batch_sizes[i] for i in rows]
    ridge_acc = acc.max(axis=1)
    j = int(np.argmax(acc.mean(axis=0)))
    fixed = acc[:, j]
    return {"ridge": dict(zip(sizes, ridge_acc.tolist())), "fixed_lr": g.lrs[j],
            "fixed": dict(zip(sizes, fixed.tolist())),
            "ridge_spread": float(ridge_acc.max() - ridge_acc.min()),
            "fixed_spread": float(fixed.max() - fixed.min())}


def neighbour_loss(g: Grid) -> float:
    """How flat the rows are near their best: the accuracy lost by moving one grid step (a
    factor of 2) from each row's best cell to its better neighbour, averaged over the rows."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    losses = []
    for row in g.acc:
        i = int(np.argmax(row))
        neighbours = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
        losses.append(row[i] - max(neighbours))
    return float(np.mean(losses))


def rising_part(best: dict) -> list[int]:
    """The batch sizes up to the one with the largest best lr (where the ridge stops climbing)."""
    b, lr = _best_arrays(best, None)
    peak = int(np.argmax(lr))
    return [int(x) for x in b[:peak + 1]]


def alpha_interval(g: Grid, noise: float, batch_sizes, *, level: float = 0.9,
                   draws: int = 400, rng_seed: int = 0) -> tuple[float, float, float]:
    """The exponent alpha of best lr ∝ B**alpha over ``batch_sizes`` and an interval for it.

    A parametric bootstrap: add independent Gaussian noise of standard deviation ``noise``
    (the grid's accuracy noise per cell) to every cell, find the best lrs again and refit
    alpha, ``draws`` times; the interval holds the central ``level`` of the refitted alphas.
    Returns (alpha, low, high). The draws are seeded: the result is a function of the grid.
    """
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    noise = check_float("noise", noise, low=0.0)
    sizes = [check_choice("batch_sizes", b, g.batch_sizes) for b in batch_sizes]
    if len(sizes) < 2:
        raise ValueError(f"batch_sizes must hold at least 2 batch sizes, got {sizes}")
    level = check_float("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    draws = check_int("draws", draws, low=10)
    alpha = scaling_exponent(best_lrs(g), sizes)
    rng = np.random.default_rng(check_int("rng_seed", rng_seed, low=0))
    refits = []
    for _ in range(draws):
        noisy = g.acc + rng.normal(0, noise, g.acc.shape)
        fake = Grid(g.optimizer, g.warmup, g.batch_sizes, g.lrs, noisy,
                    g.seconds)
        refits.append(scaling_exponent(best_lrs(fake), sizes))
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(refits, [tail, 100 - tail])
    return alpha, float(low), float(high)


def interpolate_lr(best: dict, batch_size: int) -> float:
    """The best lr at any batch size, interpolated linearly in log-log between the measured ones
    (held constant beyond the ends)."""
    batch_size = check_int("batch_size", batch_size, low=1)
    b, lr = _best_arrays(best, None)
    return float(np.exp(np.interp(np.log(batch_size), np.log(b), np.log(lr))))


# --- BS12: steps to a target accuracy ------------------------------------------------

class TargetReached(Exception):
    """Raised by ``TargetProbe`` to end a run: the target is reached, or the run diverged."""


class TargetProbe:
    """Checks the test accuracy at steps 1, 2, 3, ... growing by 5 % at a time and stops the
    run (raises ``TargetReached``) when it first reaches ``target``, or gives up (``hit`` stays
    None) when the run has diverged: accuracy at chance (below 0.15) after step ``patience``.

    ``seconds`` is the training time so far, without the probe's own evaluations or fit's.
    """

    name = "target"

    def __init__(self, x: torch.Tensor, y: torch.Tensor, target: float, *, ratio: float = 1.05, patience: int = 30,
                 max_steps: int | None = None):
        self.x, self.y = x, y
        self.target = check_float("target", target, low=0.0, high=1.0)
        self.ratio = check_float("ratio", ratio, low=1.0, low_open=True)
        self.patience = check_int("patience", patience, low=1)
        self.max_steps = None if max_steps is None else check_int("max_steps", max_steps, low=1)
        self.curve: list[tuple[int, float]] = []
        self.hit: int | None = None
        self.seconds = 0.0
        self._next, self._t = 1, 0.0

    def begin(self, model) -> None:
        self.curve, self.hit, self.seconds, self._next = [], None, 0.0, 1
        self._t = time.perf_counter()

    def measure(self, model) -> dict:
        self._t = time.perf_counter()   # fit's evaluation is over; training resumes now
        return {}

    def on_step(self, model, xb, yb, steps: int) -> None:
        self.seconds += time.perf_counter() - self._t
        if steps >= self._next:
            with torch.no_grad():
                acc = float((model(self.x).argmax(1) == self.y).float().mean())
            self.curve.append((steps, acc))
            if acc >= self.target:
                self.hit = steps
                raise TargetReached
            if not acc >= 0.15 and steps >= self.patience:   # diverged (NaN logits give 0 too)
                raise TargetReached
            self._next = max(steps + 1, math.ceil(steps * self.ratio))
        if self.max_steps is not None and steps >= self.max_steps:
            raise TargetReached                              # out of budget: hit stays None
        self._t = time.perf_counter()


@dataclass
class TargetRun:
    """The fastest of the tried learning rates at one batch size."""
    batch_size: int
    lr: float
    steps: int | None          # None: the target was not reached within max_steps
    seconds: float             # training time to the target (or to giving up)
    tried: dict = field(default_factory=dict)   # lr -> steps (None: not reached)

    @property
    def samples(self) -> int | None:
        return None if self.steps is None else self.steps * self.batch_size


_TARGETS: dict = {}
_TARGET_MODELS: dict = {}


def ridge_lr(best: dict, batch_size: int) -> float:
    """The lr to start from at ``batch_size`` when counting steps: the grid's best lr interpolated
    in log-log, never lower than at a smaller batch size (beyond the ridge's peak the grid's best
    lr drops only because the epoch budget leaves a large batch too few steps)."""
    batch_size = check_int("batch_size", batch_size, low=1)
    b, _ = _best_arrays(best, None)
    return max(interpolate_lr(best, min(int(x), batch_size)) for x in b)


def steps_to_target(s: Scale | None = None, *, seed: int = 0, best: dict | None = None,
                    factors=(1.0, 2.0, 0.5)) -> dict[int, TargetRun]:
    """BS12: for each batch size, train at lr x factor for each factor around ``ridge_lr(best)``
    until the test accuracy reaches ``s.target``; keep the fewest steps. ``best``: the tuned lr
    per batch size to start from (default: ``best_lrs`` of this seed's plain SGD grid). A run
    gives up after ``s.max_steps`` steps, ``s.max_samples`` samples, or the fewest steps found so far."""
    s = _scale(s)
    seed = check_int("seed", seed, low=0)
    factors = tuple(check_float(f"factors[{i}]", f, low=0.0, low_open=True) for i, f in enumerate(factors))
    if best is None:
        best = best_lrs(grid(s, optimizer="sgd", warmup=False, seed=seed))
    _best_arrays(best, None)
    key = _target_key(s, seed, factors, best)
    if key in _TARGETS:
        return _TARGETS[key]
    d = data(s)
    x_eval, y_eval = d.x_test[:s.target_eval], d.y_test[:s.target_eval]
    n = len(d.x_train)
    out = {}
    for b in s.target_batch_sizes:
        base = ridge_lr(best, b)
        tried, best_run = {}, None
        for f in factors:
            lr = base * f
            cap = min(s.max_steps, max(1, s.max_samples // b), best_run.steps if best_run else s.max_steps)
            m = model(s, seed=seed)
            probe = TargetProbe(x_eval, y_eval, s.target, max_steps=cap)
            try:
                fit(m, d, lr=lr, batch_size=b, epochs=math.ceil(cap * b / n), seed=seed,
                    train_eval_limit=1, probes=[probe])
            except TargetReached:
                pass
            steps = probe.hit if probe.hit is not None and probe.hit <= cap else None
            tried[lr] = steps
            if steps is not None and (best_run is None or steps < best_run.steps):
                best_run = TargetRun(b, lr, steps, probe.seconds)
                _TARGET_MODELS[(key, b)] = m
        if best_run is None:
            best_run = TargetRun(b, base, None, float("nan"))
        best_run.tried = tried
        out[b] = best_run
    _TARGETS[key] = out
    return out


def _target_key(s, seed, factors, best):
    return (s, seed, tuple(factors), tuple(sorted(best.items())))


def mean_steps(runs_by_seed: dict) -> dict[int, float | None]:
    """Steps to target per batch size, averaged over seeds (geometric mean: the steps are
    compared as ratios). ``runs_by_seed``: seed -> the dict of ``steps_to_target``. A batch
    size that missed the target on any seed gets ``None``."""
    if not isinstance(runs_by_seed, dict) or not runs_by_seed:
        raise TypeError(f"runs_by_seed must be a non-empty dict of seed -> runs, got {runs_by_seed!r}")
    for seed, runs in runs_by_seed.items():
        _check_runs(runs)
    sizes = sorted(set.intersection(*(set(r) for r in runs_by_seed.values())))
    out = {}
    for b in sizes:
        steps = [runs[b].steps for runs in runs_by_seed.values()]
        out[b] = None if any(x is None for x in steps) else float(np.exp(np.mean(np.log(steps))))
    return out


def _steps_arrays(steps):
    if not isinstance(steps, dict) or not steps:
        raise TypeError(f"steps must be a non-empty dict of batch size -> steps, got {steps!r}")
    pts = []
    for b, v in steps.items():
        v = v.steps if isinstance(v, TargetRun) else v
        if v is not None:
            pts.append((check_int("batch size", b, low=1), check_float(f"steps[{b}]", v, low=0.0, low_open=True)))
    if len(pts) < 2:
        raise ValueError(f"the fit needs at least 2 batch sizes that reached the target, got {len(pts)}")
    b, st = np.array(sorted(pts), dtype=float).T
    return b, st


def critical_batch(steps: dict) -> dict[str, float]:
    """Fit S(B) = S_min (1 + B_crit / B) to steps to target (least squares on log S).

    ``steps``: batch size -> steps (``None``: not reached, left out), or the dict of
    ``steps_to_target``. Returns S_min, B_crit (the batch size where twice S_min steps
    are needed), E_min = S_min B_crit (the fewest samples, reached as B -> 0), ``rms``
    (root mean square of the residuals of log S) and the largest measured batch size at
    or below B_crit (``perfect_up_to``).
    """
    from scipy.optimize import minimize_scalar

    b, st = _steps_arrays(steps)
    log_s = np.log(st)

    def residual(log_bc):
        # log S - log(1 + B_crit/B) = log S_min where the curve fits
        shape = np.log1p(np.exp(log_bc) / b)
        return log_s - shape - np.mean(log_s - shape)

    bounds = (np.log(b[0]) - 5, np.log(b[-1]) + 5)
    fit_ = minimize_scalar(lambda t: float(np.sum(residual(t) ** 2)),
                           bounds=bounds, method="bounded",
                           options={"xatol": 1e-6})
    b_crit = float(np.exp(fit_.x))
    s_min = float(np.exp(np.mean(log_s - np.log1p(b_crit / b))))
    inside = [int(x) for x in b if x <= b_crit]
    return {"S_min": s_min, "B_crit": b_crit, "E_min": s_min * b_crit,
            "rms": float(np.sqrt(np.mean(residual(fit_.x) ** 2))),
            "perfect_up_to": max(inside) if inside else None}


def power_law(steps: dict) -> dict[str, float]:
    """Fit S(B) = c B**(-a) to steps to target (least squares on log S): one exponent for all
    batch sizes, the shape of a steady trade-off with no critical batch size (a = 1/2 is
    the study notes' "sqrt(b)" guess). Returns a, c and ``rms`` (as ``critical_batch``)."""
    b, st = _steps_arrays(steps)
    slope, intercept = np.polyfit(np.log(b), np.log(st), 1)
    res = np.log(st) - (slope * np.log(b) + intercept)
    return {"a": float(-slope), "c": float(np.exp(intercept)), "rms": float(np.sqrt(np.mean(res ** 2)))}


def noise_scale(s: Scale | None = None, *, seed: int = 0, batch_size: int | None = None,
                best: dict | None = None) -> dict[str, float]:
    """B_noise = tr(Sigma)/|G|^2 (McCandlish et al. 2018) on ``s.noise_pool`` training images, at the
    weights where the run at ``batch_size`` (default: the smallest) reached the target in
    ``steps_to_target(s, seed=seed, best=best)``."""
    s = _scale(s)
    runs = steps_to_target(s, seed=seed, best=best)
    batch_size = min(s.target_batch_sizes) if batch_size is None else batch_size
    check_choice("batch_size", batch_size, s.target_batch_sizes)
    if best is None:
        best = best_lrs(grid(s, optimizer="sgd", warmup=False, seed=seed))
    key = (_target_key(s, seed, (1.0, 2.0, 0.5), best), batch_size)
    if key not in _TARGET_MODELS or runs[batch_size].steps is None:
        raise ValueError(f"the run at batch size {batch_size} did not reach the target {s.target}")
    d = data(s)
    out = gradient_noise(_TARGET_MODELS[key], d.x_train[:s.noise_pool], d.y_train[:s.noise_pool])
    return {**out, "batch_size": batch_size, "steps": runs[batch_size].steps}


# --- BS13: the convex case --------------------------------------------------------------

_CONVEX: dict = {}


def convex_data(s: Scale | None = None) -> Data:
    """MNIST as 7x7 average-pooled pixels (49 features, a fixed feature map), standardized."""
    s = _scale(s)
    key = ("data", s.convex_train, s.test)
    if key not in _CONVEX:
        d = mnist(train_limit=s.convex_train, test_limit=s.test)
        pool = lambda x: F.avg_pool2d(x, 4).flatten(1)
        xtr, xte = pool(d.x_train), pool(d.x_test)
        mu, sd = xtr.mean(0), xtr.std(0) + 1e-6
        _CONVEX[key] = Data((xtr - mu) / sd, d.y_train, (xte - mu) / sd, d.y_test)
    return _CONVEX[key]


def convex_model(*, seed: int = 0) -> MLP:
    """Softmax regression on the 49 features: an MLP with no hidden layer."""
    set_seed(check_int("seed", seed, low=0))
    return MLP(49, (), 10)


def convex_objective(m, d: Data) -> float:
    """Mean cross-entropy on the training set plus (CONVEX_L2 / 2) |theta|^2 (what SGD with
    weight_decay = CONVEX_L2 minimizes)."""
    with torch.no_grad():
        reg = sum(float((p.double() ** 2).sum()) for p in m.parameters())
        return float(F.cross_entropy(m(d.x_train).double(), d.y_train)) + 0.5 * CONVEX_L2 * reg


def convex_optimum(s: Scale | None = None) -> dict[str, object]:
    """The unique minimizer theta* of the convex objective, by full-batch L-BFGS in float64.

    Returns the parameters (float32, in ``named_parameters`` order), the objective there and
    the gradient norm left at the optimum (how accurate it is).
    """
    s = _scale(s)
    key = ("opt", s.convex_train)
    if key not in _CONVEX:
        d = convex_data(s)
        x, y = d.x_train.double(), d.y_train
        w = torch.zeros(49, 10, dtype=torch.float64, requires_grad=True)
        b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], lr=1, max_iter=300, tolerance_grad=1e-10, tolerance_change=1e-14,
                                history_size=20, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(x @ w + b, y) + 0.5 * CONVEX_L2 * ((w ** 2).sum() + (b ** 2).sum())
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        loss = closure()
        grad_norm = float(torch.cat([w.grad.flatten(), b.grad]).norm())
        params = [w.detach().T.float().contiguous(), b.detach().float()]   # Linear stores W as (out, in)
        _CONVEX[key] = {"params": params, "objective": float(loss.detach()), "grad_norm": grad_norm}
    return _CONVEX[key]


class DistanceToOptimum:
    """Probe: |theta - theta*| and the objective gap after every epoch."""

    name = "distance"

    def __init__(self, optimum: dict, d: Data):
        self.optimum, self.d = optimum, d

    def begin(self, model) -> None:
        pass

    def measure(self, model) -> dict:
        with torch.no_grad():
            sq = sum(float(((p - q) ** 2).sum()) for p, q in zip(model.parameters(), self.optimum["params"]))
        return {"dist": sq ** 0.5, "gap": convex_objective(model, self.d) - self.optimum["objective"]}


def convex_run(s: Scale | None, schedule, *, seed: int = 0, label: str | None = None, probes=()) -> History:
    """Train softmax regression with ``schedule`` (a list of Phase) from zero weights, measuring
    the distance to the optimum after every epoch (and whatever extra ``probes`` measure)."""
    s = _scale(s)
    d, opt = convex_data(s), convex_optimum(s)
    m = convex_model(seed=seed)
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
    return fit(m, d, optimizer="sgd", lr=schedule[0].lr, batch_size=schedule[0].batch_size, schedule=list(schedule),
               weight_decay=CONVEX_L2, probes=[DistanceToOptimum(opt, d), *probes], seed=seed, train_eval_limit=1,
               label=label)


class StepDistance:
    """Probe: |theta - theta*| after every step from step ``start`` on (mid-epoch included)."""

    name = "step_distance"

    def __init__(self, optimum: dict, start: int):
        self.optimum, self.start, self.values = optimum, start, []

    def begin(self, model) -> None:
        self.values = []

    def measure(self, model) -> dict:
        return {}

    def on_step(self, model, xb, yb, steps: int) -> None:
        if steps >= self.start:
            with torch.no_grad():
                sq = sum(float(((p - q) ** 2).sum()) for p, q in zip(model.parameters(), self.optimum["params"]))
            self.values.append(sq ** 0.5)


def noise_ball(s: Scale | None = None, *, lr: float = CONVEX_LR, seed: int = 0,
               every_step: bool = False) -> dict[int, dict]:
    """BS13: distance to the optimum after SGD at one fixed lr, per batch size.

    Every batch size gets at least ``s.convex_steps`` steps (whole epochs), enough to
    settle; the distance is the mean over the last quarter of the epochs (at least 1),
    measured at the end of each epoch, or with ``every_step`` after every step of that
    last quarter (the weights in the middle of an epoch included).
    """
    s = _scale(s)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    check_bool("every_step", every_step)
    key = ("ball", s, lr, seed, every_step)
    if key not in _CONVEX:
        n = s.convex_train
        out = {}
        for b in s.convex_batch_sizes:
            epochs = max(2, math.ceil(s.convex_steps * b / n))
            tail = max(1, epochs // 4)
            per_epoch = math.ceil(n / b)
            probe = StepDistance(convex_optimum(s), (epochs - tail) * per_epoch + 1)
            h = convex_run(s, [Phase(epochs, b, lr)], seed=seed, label=f"BS {b}",
                           probes=[probe] if every_step else ())
            dist = np.mean(probe.values) if every_step else np.mean(h["dist"][-tail:])
            out[b] = {"dist": float(dist), "gap": float(np.mean(h["gap"][-tail:])),
                      "steps": h.steps[-1], "epochs": epochs}
        _CONVEX[key] = out
    return _CONVEX[key]


def schedules(s: Scale | None = None, *, lr: float = CONVEX_LR, batch_size: int = 16, factor: int = 2,
              phases: int = 4, seed: int = 0) -> dict[str, History]:
    """Smith et al. (2018): decay the lr by ``factor`` per phase, or grow the batch by ``factor``
    at the same points. Both keep the same noise scale lr * N / B in every phase."""
    s = _scale(s)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    batch_size = check_int("batch_size", batch_size, low=1)
    factor = check_int("factor", factor, low=2)
    phases = check_int("phases", phases, low=1)
    seed = check_int("seed", seed, low=0)
    key = ("sched", s, lr, batch_size, factor, phases, seed)
    if key not in _CONVEX:
        e = s.convex_epochs
        decay = [Phase(e, batch_size, lr / factor ** k) for k in range(phases)]
        grow = [Phase(e, batch_size * factor ** k, lr) for k in range(phases)]
        _CONVEX[key] = {
            "decaying lr": convex_run(s, decay, seed=seed, label=f"lr ÷{factor} per phase, BS {batch_size}"),
            "growing batch": convex_run(s, grow, seed=seed, label=f"BS ×{factor} per phase, lr {lr:g}"),
        }
    return _CONVEX[key]


# --- the chapter's tables -------------------------------------------------------------
# The notebook prints these rows; the verdicts come from lecturelib.claims.lr_scaling.

RULES = {"linear": 1.0, "square root": 0.5}
NOISE_BALL_HEADERS = ("B", "steps", "‖θ − θ*‖", "objective − optimum")
SCHEDULE_HEADERS = ("schedule", "updates", "‖θ − θ*‖, last phase", "test accuracy")
DOUBLING_HEADERS = ("B → 2B", "S(B)/S(2B)", "the fit's ratio", "reading")
TARGET_HEADERS = ("B", "steps (mean)", "steps per seed", "samples", "seconds")


def exponent_up_to_peak(best: dict) -> tuple[float, int]:
    """The scaling exponent alpha over the rising part of the ridge (NaN if the ridge peaks at the
    smallest batch size) and the batch size where the best lr peaks."""
    rising = rising_part(best)
    return (scaling_exponent(best, rising) if len(rising) > 1 else float("nan")), rising[-1]


def best_lr_headers(g: Grid) -> list[str]:
    """The column headers of ``best_lr_rows``."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    b0 = min(g.batch_sizes)
    return ["B", "steps", "best lr", f"linear from {b0}", f"√ from {b0}", "best acc."]


def best_lr_rows(g: Grid, best: dict, s: Scale | None = None) -> list[list]:
    """Table rows per batch size of ``g``: B, steps per run, the smoothed best lr ("edge" when
    it is the grid's smallest or largest lr), the lrs the linear and the square-root rule
    predict from the smallest batch size's best lr, and the row's best accuracy."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    s = _scale(s)
    _best_arrays(best, g.batch_sizes)
    edge, b0 = at_edge(g), min(g.batch_sizes)
    rows = []
    for b in g.batch_sizes:
        lr = f"{best[b]:.3g}" + (" (edge)" if b in edge else "")
        rows.append([b, steps_per_run(s, b), lr, f"{best[b0] * b / b0:.3g}", f"{best[b0] * (b / b0) ** 0.5:.3g}",
                     pct(g.row(b).max())])
    return rows


def ridge_upto(batch_sizes, b_crit: float) -> int:
    """LR3: the largest batch size at or below ``b_crit`` (at least the second batch size, so
    that two batch sizes are compared)."""
    sizes = [check_int(f"batch_sizes[{i}]", b, low=1) for i, b in enumerate(batch_sizes)]
    if len(sizes) < 2:
        raise ValueError(f"batch_sizes must hold at least 2 batch sizes, got {sizes}")
    b_crit = check_float("b_crit", b_crit, low=0.0)
    return max([b for b in sizes if b <= b_crit] + [sizes[1]])


def ridge_rows(g: Grid, upto: int) -> list[list]:
    """LR3 table rows per batch size: B, the tuned (smoothed best) lr, the tuned accuracy (the
    row's best) and the accuracy at the single lr that is best on average for B <= ``upto``."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    upto = check_int("upto", upto, low=1)
    best, below = best_lrs(g), ridge(g, upto=upto)
    j = g.lrs.index(below["fixed_lr"])
    return [[b, f"{best[b]:.3g}", pct(g.row(b).max()), pct(g.row(b)[j])] for b in g.batch_sizes]


def target_rows(runs_by_seed: dict, steps: dict, max_steps: int) -> list[list]:
    """BS12 table rows per batch size: B, the mean steps to target (``mean_steps``), the steps
    of each seed ("> max_steps" if not reached), the samples to target at the mean and the
    training seconds of the first seed's run."""
    if not isinstance(runs_by_seed, dict) or not runs_by_seed:
        raise TypeError(f"runs_by_seed must be a non-empty dict of seed -> runs, got {runs_by_seed!r}")
    for runs in runs_by_seed.values():
        _check_runs(runs)
    max_steps = check_int("max_steps", max_steps, low=1)
    first = runs_by_seed[min(runs_by_seed)]
    rows = []
    for b in sorted(steps):
        each = " / ".join(str(r[b].steps) if r[b].steps is not None else f"> {max_steps}"
                          for r in runs_by_seed.values())
        mean = steps[b]
        rows.append([b, f"{mean:.0f}" if mean is not None else "—", each,
                     f"{mean * b:,.0f}" if mean is not None else "—", f"{first[b].seconds:.2f}"])
    return rows


def doubling_ratios(steps: dict) -> list[tuple[int, int, float]]:
    """BS12: (B, next B, S(B) / S(next B)) for consecutive batch sizes that reached the target.
    ``steps``: batch size -> steps (``mean_steps``) or the dict of ``steps_to_target``."""
    b, st = _steps_arrays(steps)
    return [(int(b1), int(b2), float(s1 / s2)) for b1, b2, s1, s2 in zip(b, b[1:], st, st[1:])]


def doubling_label(ratio: float) -> str:
    """How one doubling of the batch scaled the steps, by log2 of the steps ratio q: 2 is
    perfect scaling (log2 q = 1), √2 the notes' guess (1/2), 1 no gain (0). "≈ perfect" when
    log2 q >= 3/4 (q >= 1.68), "diminishing" when log2 q >= 1/4 (q >= 1.19), else "flat"."""
    ratio = check_float("ratio", ratio, low=0.0, low_open=True)
    e = math.log2(ratio)
    return "≈ perfect" if e >= 0.75 else "diminishing" if e >= 0.25 else "flat"


def knee_ratio(crit: dict, b1: float, b2: float) -> float:
    """The steps ratio S(b1) / S(b2) that the fit S_min (1 + B_crit / B) of ``crit`` predicts."""
    check_type("crit", crit, dict, "the dict of critical_batch")
    b1 = check_float("b1", b1, low=0.0, low_open=True)
    b2 = check_float("b2", b2, low=0.0, low_open=True)
    return (1 + crit["B_crit"] / b1) / (1 + crit["B_crit"] / b2)


def doubling_rows(ratios, crit: dict) -> list[list]:
    """Table rows of ``doubling_ratios``: "B → 2B", the measured ratio, the ratio the fit
    ``crit`` predicts, and ``doubling_label`` of the measured ratio."""
    check_type("crit", crit, dict, "the dict of critical_batch")
    rows = []
    for i, item in enumerate(ratios):
        check_type(f"ratios[{i}]", item, tuple, "a tuple (B, next B, steps ratio)")
        b1, b2, q = item
        rows.append([f"{b1} → {b2}", f"{q:.2f}", f"{knee_ratio(crit, b1, b2):.2f}", doubling_label(q)])
    return rows


def fastest_run(runs: dict, *, by: str = "seconds") -> TargetRun:
    """The run that reached the target in the fewest ``by`` ("seconds", "samples" or "steps")."""
    check_choice("by", by, ("seconds", "samples", "steps"))
    return min(_reached(runs).values(), key=lambda r: getattr(r, by))


def noise_ball_rows(ball: dict) -> list[list]:
    """BS13 table rows of ``noise_ball``: B, steps, distance to the optimum, objective gap."""
    _check_ball(ball)
    return [[b, f"{v['steps']:,}", f"{v['dist']:.4f}", f"{v['gap']:.2e}"] for b, v in ball.items()]


def noise_ball_slope(ball: dict) -> float:
    """The log-log slope of the distance to the optimum against the batch size (all points)."""
    b, dist = _ball_arrays(ball)
    return float(np.polyfit(np.log(b), np.log(dist), 1)[0])


def noise_ball_slopes(ball: dict) -> list[tuple[int, int, float]]:
    """The local log-log slopes (B, next B, slope) between consecutive batch sizes."""
    b, dist = _ball_arrays(ball)
    return [(int(b1), int(b2), float(np.log(d2 / d1) / np.log(b2 / b1)))
            for b1, b2, d1, d2 in zip(b, b[1:], dist, dist[1:])]


def noise_ball_shrinks(ball: dict) -> bool:
    """Whether the distance to the optimum falls with every step up in batch size."""
    _, dist = _ball_arrays(ball)
    return bool(np.all(np.diff(dist) < 0))


def last_phase_distance(h: History) -> float:
    """The mean distance to the optimum over the epochs of a schedule's last phase (one epoch's
    snapshot is noisy; the phase's mean is what the two schedules are compared on)."""
    check_type("h", h, History, "a lecturelib.train.History")
    epochs = h.config.get("phases", [{"epochs": 1}])[-1]["epochs"]
    return float(np.mean(h["dist"][-epochs:]))


def schedule_rows(sched: dict) -> list[list]:
    """BS13 table rows of ``schedules``: updates, mean distance over the last phase, test
    accuracy."""
    _check_sched(sched)
    return [[name, f"{h.steps[-1]:,}", f"{last_phase_distance(h):.4f}", pct(h.final('test_acc'))]
            for name, h in sched.items()]


def schedule_ratios(sched: dict) -> tuple[float, float]:
    """Growing batch against decaying lr: (share of the updates, ratio of the mean distances
    over the last phase)."""
    _check_sched(sched)
    d, g = sched["decaying lr"], sched["growing batch"]
    return g.steps[-1] / d.steps[-1], last_phase_distance(g) / last_phase_distance(d)


def preset_of(s: Scale) -> str:
    """The name of the preset whose Scale ``s`` is ("ci", "quick", "full"; "custom" if none)."""
    check_type("s", s, Scale, "a lecturelib.experiments.lr_scaling.Scale")
    return next((name for name, v in SCALES.items() if v == s), "custom")


def ridge_results(s: Scale | None = None, *, seed: int = 0) -> dict:
    """Everything LR1, LR2, LR3 and BS12 are read from, for seed ``seed`` of the chapter.

    The SGD grid with warm-up is averaged over ``grid_seeds(s, seed)``; Adam's grid is trained
    with the first of them; steps to target are counted for every one of those seeds, each
    batch size starting from the averaged grid's tuned lr, and averaged (``mean_steps``); the
    noise scale is measured at the first seed's target weights. Cached, like its parts.
    """
    s = _scale(s)
    seeds = grid_seeds(s, seed)
    sgd = mean_grid(s, optimizer="sgd", warmup=True, seeds=seeds)
    adam = grid(s, optimizer="adam", seed=seeds[0])
    best = best_lrs(sgd)
    runs = {x: steps_to_target(s, seed=x, best=best) for x in seeds}
    steps = mean_steps(runs)
    return {"scale": s, "seeds": seeds, "sgd": sgd, "adam": adam, "runs": runs, "steps": steps,
            "crit": critical_batch(steps), "power": power_law(steps),
            "noise": noise_scale(s, seed=seeds[0], best=best)}


def convex_results(s: Scale | None = None, *, seed: int = 0) -> dict:
    """Everything BS13 is read from: the optimum, the noise ball and the two schedules."""
    s = _scale(s)
    return {"scale": s, "optimum": convex_optimum(s), "ball": noise_ball(s, seed=seed),
            "sched": schedules(s, seed=seed)}


# --- helpers ------------------------------------------------------------------------------

def _best_arrays(best, batch_sizes):
    if not isinstance(best, dict) or not best:
        raise TypeError(f"best must be a non-empty dict of batch size -> lr, got {best!r}")
    keys = sorted(best) if batch_sizes is None else [check_choice("batch_sizes", b, tuple(best)) for b in batch_sizes]
    return np.array(keys, dtype=float), np.array([best[k] for k in keys], dtype=float)


def _scale(s):
    if s is None:
        return scale()
    return check_type("s", s, Scale, "a lecturelib.experiments.lr_scaling.Scale or None")


def _check_runs(runs):
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict of batch size -> TargetRun, got {runs!r}")
    for b, r in runs.items():
        check_type(f"runs[{b!r}]", r, TargetRun, "a lecturelib.experiments.lr_scaling.TargetRun")
    return runs


def _reached(runs):
    reached = {b: r for b, r in _check_runs(runs).items() if r.steps is not None}
    if not reached:
        raise ValueError("runs must hold at least one run that reached the target, got none")
    return reached


def _check_ball(ball):
    if not isinstance(ball, dict) or not ball:
        raise TypeError(f"ball must be a non-empty dict of batch size -> noise_ball entry, got {ball!r}")
    for b, v in ball.items():
        check_type(f"ball[{b!r}]", v, dict, "a dict with 'dist', 'gap' and 'steps'")
    return ball


def _ball_arrays(ball):
    _check_ball(ball)
    if len(ball) < 2:
        raise ValueError(f"ball must hold at least 2 batch sizes, got {sorted(ball)}")
    keys = sorted(ball)
    return np.array(keys, dtype=float), np.array([ball[b]["dist"] for b in keys])


def _check_sched(sched):
    check_type("sched", sched, dict, "the dict of schedules")
    for name in ("decaying lr", "growing batch"):
        check_choice("sched key", name, tuple(sched))
    for name, h in sched.items():
        check_type(f"sched[{name!r}]", h, History, "a lecturelib.train.History")
    return sched


def _number_or_nan(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number (NaN allowed), got {value!r} ({type(value).__name__})")
    return float(value)
