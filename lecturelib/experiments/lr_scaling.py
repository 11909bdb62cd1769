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

* the chapter's tables and verdicts: ``best_lr_rows``, ``ridge_rows``, ``doubling_rows``,
  ``noise_ball_rows``, ``schedule_rows`` give table rows; ``lr1_verdict``, ``lr2_verdict``,
  ``lr3_verdict``, ``bs12_verdict``, ``bs13_verdict`` read the measurements as "holds",
  "holds with a caveat" or "does not hold"; the ``*_reading`` functions write the sentences.
  Their figures are in ``lecturelib.plots``.

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
    convex_train: int              # BS13: training images of the convex problem
    convex_batch_sizes: tuple[int, ...]
    convex_epochs: int             # BS13: epochs per phase of the schedules
    convex_steps: int              # BS13: steps per run of the noise-ball sweep


POW2 = tuple(2 ** k for k in range(4, 13))    # 16 ... 4096
SCALES = {
    "ci": Scale(train=4_000, test=2_000, hidden=64, epochs=3, batch_sizes=(16, 64, 256, 1024),
                sgd_lrs=(0.05, 0.1, 0.2, 0.4, 0.8), adam_lrs=(1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2),
                warmup_fraction=0.2, target=0.85, target_batch_sizes=(16, 32, 64, 128, 256, 512, 1024),
                max_steps=500, max_samples=200_000, target_eval=2_000, noise_pool=1_024, convex_train=4_000,
                convex_batch_sizes=(4, 16, 64, 256, 1024), convex_epochs=3, convex_steps=1_000),
    "quick": Scale(train=None, test=None, hidden=64, epochs=1, batch_sizes=(16, 64, 256, 1024, 4096),
                   sgd_lrs=(0.025, 0.05, 0.1, 0.2, 0.4, 0.8), adam_lrs=(5e-4, 1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2),
                   warmup_fraction=0.2, target=0.95, target_batch_sizes=POW2,
                   max_steps=6_000, max_samples=3_000_000, target_eval=5_000, noise_pool=4_096, convex_train=10_000,
                   convex_batch_sizes=(4, 16, 64, 256, 1024), convex_epochs=3, convex_steps=2_000),
    "full": Scale(train=None, test=None, hidden=256, epochs=5, batch_sizes=POW2,
                  sgd_lrs=tuple(0.0125 * 2 ** k for k in range(10)), adam_lrs=tuple(1.25e-4 * 2 ** k for k in range(9)),
                  warmup_fraction=0.1, target=0.97, target_batch_sizes=POW2,
                  max_steps=20_000, max_samples=20_000_000, target_eval=10_000, noise_pool=8_192, convex_train=60_000,
                  convex_batch_sizes=(4, 16, 64, 256, 1024, 4096), convex_epochs=5, convex_steps=5_000),
}

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
    """Final test accuracy of every (batch size, lr) pair: ``acc[i, j]`` is batch_sizes[i] at lrs[j]."""
    optimizer: str
    warmup: bool
    batch_sizes: tuple[int, ...]
    lrs: tuple[float, ...]
    acc: np.ndarray
    seconds: np.ndarray   # training wall time of each run (no evaluation)
    diverged: np.ndarray | None = None   # the step each run diverged at (History.diverged_at), 0: it did not

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
        _GRIDS[key] = Grid(optimizer, warmup, tuple(s.batch_sizes), tuple(lrs), acc, secs, div)
    return _GRIDS[key]


def best_lrs(g: Grid) -> dict[int, float]:
    """Each batch size's best learning rate, smoothed: the vertex of the parabola (in log lr)
    through the row's best cell and its two neighbours, kept within one grid step of that cell.
    At the edge of the grid the edge value is returned (the true optimum may lie beyond it)."""
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


def rising_part(best: dict) -> list[int]:
    """The batch sizes up to the one with the largest best lr (where the ridge stops climbing)."""
    b, lr = _best_arrays(best, None)
    peak = int(np.argmax(lr))
    return [int(x) for x in b[:peak + 1]]


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


def steps_to_target(s: Scale | None = None, *, seed: int = 0, factors=(1.0, 2.0, 0.5)) -> dict[int, TargetRun]:
    """BS12: for each batch size, train at lr x factor for each factor around ``ridge_lr`` of the
    SGD grid until the test accuracy reaches ``s.target``; keep the fewest steps. A run gives up
    after ``s.max_steps`` steps, ``s.max_samples`` samples, or the fewest steps found so far."""
    s = _scale(s)
    seed = check_int("seed", seed, low=0)
    factors = tuple(check_float(f"factors[{i}]", f, low=0.0, low_open=True) for i, f in enumerate(factors))
    key = (s, seed, factors)
    if key in _TARGETS:
        return _TARGETS[key]
    best = best_lrs(grid(s, optimizer="sgd", warmup=False, seed=seed))
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
                _TARGET_MODELS[(s, seed, b)] = m
        if best_run is None:
            best_run = TargetRun(b, base, None, float("nan"))
        best_run.tried = tried
        out[b] = best_run
    _TARGETS[key] = out
    return out


def critical_batch(runs: dict) -> dict[str, float]:
    """Fit S = S_min (1 + B_crit / B) to steps-to-target (least squares on S_fit/S - 1).

    Returns S_min, B_crit (the batch size where twice S_min steps are needed) and the
    largest measured batch size in the perfect-scaling region B <= B_crit.
    """
    pts = [(r.batch_size, r.steps) for r in runs.values() if r.steps is not None]
    if len(pts) < 2:
        raise ValueError(f"the fit needs at least 2 batch sizes that reached the target, got {len(pts)}")
    b, st = np.array(pts, dtype=float).T
    A = np.stack([1 / st, 1 / (b * st)], axis=1)
    (a, c), *_ = np.linalg.lstsq(A, np.ones_like(b), rcond=None)
    s_min, b_crit = float(a), float(c / a) if a > 0 else float("inf")
    inside = [int(x) for x in b if x <= b_crit]
    return {"S_min": s_min, "B_crit": b_crit, "E_min": s_min * b_crit,
            "perfect_up_to": max(inside) if inside else None}


def noise_scale(s: Scale | None = None, *, seed: int = 0, batch_size: int | None = None) -> dict[str, float]:
    """B_noise = tr(Sigma)/|G|^2 (McCandlish et al. 2018) on ``s.noise_pool`` training images, at the
    weights where the run at ``batch_size`` (default: the smallest) reached the target."""
    s = _scale(s)
    runs = steps_to_target(s, seed=seed)
    batch_size = min(s.target_batch_sizes) if batch_size is None else batch_size
    check_choice("batch_size", batch_size, s.target_batch_sizes)
    key = (s, seed, batch_size)
    if key not in _TARGET_MODELS:
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


def convex_run(s: Scale | None, schedule, *, seed: int = 0, label: str | None = None) -> History:
    """Train softmax regression with ``schedule`` (a list of Phase) from zero weights, measuring
    the distance to the optimum after every epoch."""
    s = _scale(s)
    d, opt = convex_data(s), convex_optimum(s)
    m = convex_model(seed=seed)
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
    return fit(m, d, optimizer="sgd", lr=schedule[0].lr, batch_size=schedule[0].batch_size, schedule=list(schedule),
               weight_decay=CONVEX_L2, probes=[DistanceToOptimum(opt, d)], seed=seed, train_eval_limit=1,
               label=label)


def noise_ball(s: Scale | None = None, *, lr: float = CONVEX_LR, seed: int = 0) -> dict[int, dict]:
    """BS13: distance to the optimum after SGD at one fixed lr, per batch size.

    Every batch size gets at least ``s.convex_steps`` steps (whole epochs), enough to
    settle; the distance is the mean over the last quarter of the epochs (at least 1).
    """
    s = _scale(s)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    key = ("ball", s, lr, seed)
    if key not in _CONVEX:
        n = s.convex_train
        out = {}
        for b in s.convex_batch_sizes:
            epochs = max(2, math.ceil(s.convex_steps * b / n))
            h = convex_run(s, [Phase(epochs, b, lr)], seed=seed, label=f"BS {b}")
            tail = max(1, epochs // 4)
            out[b] = {"dist": float(np.mean(h["dist"][-tail:])), "gap": float(np.mean(h["gap"][-tail:])),
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


# --- the chapter's tables and verdicts -------------------------------------------------
# The notebook prints these rows and sentences; every verdict reads "**holds**",
# "**holds with a caveat**" or "**does not hold**".

LR1_HEADERS = ("batch size", "best lr (smoothed)", "linear rule from B = 16", "best / rule", "best accuracy")
LR2_HEADERS = ("batch size", "best lr (smoothed)", "√ rule from B = 16", "linear rule from B = 16", "best accuracy")
NOISE_BALL_HEADERS = ("batch size", "steps", "‖θ − θ*‖ (mean over the last epochs)", "objective − optimum")
SCHEDULE_HEADERS = ("schedule", "updates", "final ‖θ − θ*‖", "objective − optimum", "test accuracy")
DOUBLING_HEADERS = ("B → 2B", "steps ratio S(B)/S(2B)", "reading")
LR3_CLOSE = 0.02   # LR3: tuned accuracies "close" = within 2 points, about twice the test-set noise of one run at ci


def exponent_up_to_peak(best: dict) -> tuple[float, int]:
    """The scaling exponent k over the rising part of the ridge (NaN if the ridge peaks at the
    smallest batch size) and the batch size where the best lr peaks."""
    rising = rising_part(best)
    return (scaling_exponent(best, rising) if len(rising) > 1 else float("nan")), rising[-1]


def best_lr_rows(g: Grid, best: dict, *, sqrt_rule: bool = False) -> list[list]:
    """Table rows per batch size of ``g``: B, the smoothed best lr (marked at the grid edge),
    the linear rule's lr from the smallest B (with ``sqrt_rule``: the √ rule's lr first),
    for the linear rule alone also best / rule, and the row's best accuracy.
    Columns: ``LR1_HEADERS``, or ``LR2_HEADERS`` with ``sqrt_rule``."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    check_bool("sqrt_rule", sqrt_rule)
    _best_arrays(best, g.batch_sizes)
    edge, b0 = at_edge(g), min(g.batch_sizes)
    rows = []
    for b in g.batch_sizes:
        lr = f"{best[b]:.3g}" + (" (grid edge)" if b in edge else "")
        rule = linear_rule(best, b)
        if sqrt_rule:
            rows.append([b, lr, f"{best[b0] * (b / b0) ** 0.5:.3g}", f"{rule:.3g}", pct(g.row(b).max())])
        else:
            rows.append([b, lr, f"{rule:.3g}", f"{best[b] / rule:.2f}", pct(g.row(b).max())])
    return rows


def lr1_reading(label: str, best: dict) -> str:
    """LR1: one paragraph on a grid's ridge: k up to the peak, k overall, and how far the
    linear rule holds."""
    check_type("label", label, str, "a str")
    b, _ = _best_arrays(best, None)
    k_up, peak = exponent_up_to_peak(best)
    brk = linear_rule_breaks(best)
    return (f"**{label}**: best lr ∝ B^k with k = {k_up:.2f} from B = {int(b[0])} up to B = {peak}, "
            f"where the best lr peaks (k = {scaling_exponent(best):.2f} over all batch sizes; the linear rule is k = 1). "
            + (f"Within a factor of 2 of the linear rule up to B = {brk}." if brk else
               f"More than a factor of 2 below the linear rule already at B = {int(b[1])}."))


def lr1_verdict(best: dict) -> str:
    """LR1 (linear scaling) from a ridge of best lrs: does not hold if the best lr does not
    rise by 1.5x; holds if it rises with k > 0.8 all the way to the largest batch; else
    holds with a caveat. Returns the verdict with its reasons (no final full stop)."""
    b, _ = _best_arrays(best, None)
    if len(b) < 2:
        raise ValueError(f"best must hold at least 2 batch sizes, got {sorted(best)}")
    k_up, peak = exponent_up_to_peak(best)
    brk = linear_rule_breaks(best)
    b0 = min(best)
    if peak == b0 or best[peak] < 1.5 * best[b0]:
        return f"**does not hold**: the best lr does not rise with the batch size (k = {scaling_exponent(best):.2f})"
    where = (f"it stays within a factor of 2 of the linear rule up to B = {brk}" if brk else
             f"it grows more slowly than the linear rule from the first step, B = {b0} to {sorted(best)[1]}")
    after = f"; beyond B = {peak} it stops rising" if peak < max(best) else ""
    tag = "**holds**" if k_up > 0.8 and peak == max(best) else "**holds with a caveat**"
    return (f"{tag}: the best lr rises from {best[b0]:.3g} at B = {b0} to {best[peak]:.3g} at B = {peak}, "
            f"a factor {best[peak] / best[b0]:.1f} for {peak // b0}× the batch (k = {k_up:.2f}); {where}{after}")


def warmup_effect(best_plain: dict, best_warmup: dict) -> str:
    """One line comparing the ridges without and with warm-up: highest best lr and k up to the peak."""
    _best_arrays(best_plain, None)
    _best_arrays(best_warmup, None)
    return (f"warm-up: highest best lr {max(best_warmup.values()):.3g} against {max(best_plain.values()):.3g} "
            f"without; k up to the peak {exponent_up_to_peak(best_warmup)[0]:.2f} against "
            f"{exponent_up_to_peak(best_plain)[0]:.2f}")


def closer_rule(k: float) -> str:
    """"square-root" if the exponent ``k`` is nearer 0.5 than 1, else "linear" (also for NaN)."""
    k = _number_or_nan("k", k)
    return "square-root" if abs(k - 0.5) < abs(k - 1.0) else "linear"


def lr2_verdict(best: dict) -> str:
    """LR2 (square-root rule for Adam) from Adam's ridge: holds if k up to the peak is within
    0.15 of 0.5, holds with a caveat if it is merely closer to 0.5 than to 1, else does not hold."""
    _best_arrays(best, None)
    k = exponent_up_to_peak(best)[0]
    if closer_rule(k) != "square-root":
        return "**does not hold**"
    return "**holds**" if abs(k - 0.5) <= 0.15 else "**holds with a caveat**"


def lr2_reading(best_adam: dict, best_sgd: dict) -> str:
    """LR2: Adam's exponent against both rules and against SGD's (``best_sgd``: the SGD ridge
    to contrast, with warm-up in the book), ending with the verdict."""
    _best_arrays(best_adam, None)
    _best_arrays(best_sgd, None)
    k_up, peak = exponent_up_to_peak(best_adam)
    k_sgd = exponent_up_to_peak(best_sgd)[0]
    closer = closer_rule(k_up)
    contrast = ("SGD's ridge is steeper, as the two rules say" if k_sgd - k_up > 0.15 else
                "SGD's ridge is not clearly steeper here, so the contrast the two rules draw does not show in this budget")
    return (f"Adam: best lr ∝ B^k with k = {k_up:.2f} up to B = {peak} ({scaling_exponent(best_adam):.2f} over all batch sizes); "
            f"closer to the {closer} rule (0.5) than to the {'linear' if closer == 'square-root' else 'square-root'} one. "
            f"SGD with warm-up: k = {k_sgd:.2f}; {contrast}. Verdict: {lr2_verdict(best_adam)}.")


def ridge_upto(batch_sizes, b_crit: float) -> int:
    """LR3: the largest batch size at or below ``b_crit`` (at least the second batch size, so
    that two batch sizes are compared)."""
    sizes = [check_int(f"batch_sizes[{i}]", b, low=1) for i, b in enumerate(batch_sizes)]
    if len(sizes) < 2:
        raise ValueError(f"batch_sizes must hold at least 2 batch sizes, got {sizes}")
    b_crit = check_float("b_crit", b_crit, low=0.0)
    return max([b for b in sizes if b <= b_crit] + [sizes[1]])


def ridge_headers(batch_sizes, upto: int) -> list[str]:
    """The column headers of ``ridge_rows``."""
    sizes = [check_int(f"batch_sizes[{i}]", b, low=1) for i, b in enumerate(batch_sizes)]
    upto = check_int("upto", upto, low=1)
    return ["optimizer", f"tuned accuracy per B ({' / '.join(map(str, sizes))})", "spread of tuned (points)",
            f"best fixed lr for B ≤ {upto}", "spread at that lr (points)"]


def ridge_rows(grids, upto: int) -> list[list]:
    """LR3 table rows, one per Grid: the tuned (row-best) accuracies, their spread up to ``upto``
    and over all batch sizes, the best single lr up to ``upto`` and the spread at it (points)."""
    grids = list(grids)
    for i, g in enumerate(grids):
        check_type(f"grids[{i}]", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    upto = check_int("upto", upto, low=1)
    rows = []
    for g in grids:
        below, whole = ridge(g, upto=upto), ridge(g)
        rows.append([g.label, " / ".join(f"{100 * a:.1f}" for a in whole["ridge"].values()),
                     f"{100 * below['ridge_spread']:.1f} (B ≤ {upto}) / {100 * whole['ridge_spread']:.1f} (all)",
                     f"{below['fixed_lr']:g}", f"{100 * below['fixed_spread']:.1f} (B ≤ {upto})"])
    return rows


def lr3_verdict(g: Grid, upto: int, *, close: float = LR3_CLOSE) -> str:
    """LR3 (re-tune the lr and B stops mattering): holds if the tuned accuracies up to ``upto``
    and over all batch sizes are within ``close``; holds with a caveat if only up to ``upto``;
    else does not hold. Returns the verdict with its reasons (no final full stop)."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    upto = check_int("upto", upto, low=1)
    close = check_float("close", close, low=0.0, high=1.0)
    below, whole = ridge(g, upto=upto), ridge(g)
    if below["ridge_spread"] <= close:
        tail = ("" if whole["ridge_spread"] <= close else
                f"; over all batch sizes the tuned accuracies spread {100 * whole['ridge_spread']:.1f} points, "
                f"because the fixed epoch budget starves the largest batches")
        tag = "**holds**" if not tail else "**holds with a caveat**"
        return (f"{tag}: up to B = {upto} the tuned accuracies are within {100 * below['ridge_spread']:.1f} points "
                f"(at the best single lr {100 * below['fixed_spread']:.1f} points){tail}")
    return (f"**does not hold** in this budget: even up to B = {upto} the tuned accuracies spread "
            f"{100 * below['ridge_spread']:.1f} points (at the best single lr {100 * below['fixed_spread']:.1f})")


def target_rows(runs: dict, max_steps: int) -> list[list]:
    """BS12 table rows per batch size: lr, steps to target ("> max_steps" if not reached),
    samples to target and training seconds."""
    _check_runs(runs)
    max_steps = check_int("max_steps", max_steps, low=1)
    return [[b, f"{r.lr:.3g}", r.steps if r.steps is not None else f"> {max_steps}",
             f"{r.samples:,}" if r.steps is not None else "—", f"{r.seconds:.2f}"] for b, r in runs.items()]


def doubling_ratios(runs: dict) -> list[tuple[int, int, float]]:
    """BS12: (B, next B, S(B) / S(next B)) for consecutive batch sizes that reached the target."""
    reached = _reached(runs)
    sizes = sorted(reached)
    return [(int(b1), int(b2), float(reached[b1].steps) / float(reached[b2].steps))
            for b1, b2 in zip(sizes, sizes[1:])]


def doubling_rows(ratios) -> list[list]:
    """Table rows of ``doubling_ratios``: "B → 2B", the ratio and its reading (≈ perfect at
    1.6 or more, diminishing at 1.15 or more, else flat)."""
    rows = []
    for i, item in enumerate(ratios):
        check_type(f"ratios[{i}]", item, tuple, "a tuple (B, next B, steps ratio)")
        b1, b2, q = item
        rows.append([f"{b1} → {b2}", f"{q:.2f}", "≈ perfect (2)" if q >= 1.6 else "diminishing" if q >= 1.15 else "flat"])
    return rows


def mean_doubling_ratios(ratios, b_crit: float) -> tuple[float, float]:
    """The mean steps ratio of the doublings up to ``b_crit`` (next B <= b_crit) and of those
    from it on (B >= b_crit); NaN where there are none."""
    ratios = list(ratios)
    for i, item in enumerate(ratios):
        check_type(f"ratios[{i}]", item, tuple, "a tuple (B, next B, steps ratio)")
    b_crit = check_float("b_crit", b_crit, low=0.0)
    small = [q for b1, b2, q in ratios if b2 <= b_crit]
    large = [q for b1, b2, q in ratios if b1 >= b_crit]
    return (np.mean(small) if small else float("nan")), (np.mean(large) if large else float("nan"))


def fastest_run(runs: dict, *, by: str = "seconds") -> TargetRun:
    """The run that reached the target in the fewest ``by`` ("seconds", "samples" or "steps")."""
    check_choice("by", by, ("seconds", "samples", "steps"))
    return min(_reached(runs).values(), key=lambda r: getattr(r, by))


def bs12_verdict(q_small: float, q_large: float) -> str:
    """BS12 from the mean steps ratios below and above B_crit: holds if below it a doubling
    divides the steps by more than 1.5 and nearer 2 than √2, and less so above it; holds with
    a caveat if only the shape is right (more than 1.5 below, less above); else does not hold."""
    q_small, q_large = _number_or_nan("q_small", q_small), _number_or_nan("q_large", q_large)
    shape = q_small > 1.5 and (np.isnan(q_large) or q_large < q_small)
    perfect = abs(q_small - 2) < abs(q_small - 2 ** 0.5)
    return "**holds**" if shape and perfect else "**holds with a caveat**" if shape else "**does not hold**"


def bs12_reading(runs: dict, crit: dict, noise: float, *, compare=(16, 32)) -> str:
    """BS12: the verdict paragraph: steps ratios below and above B_crit (``crit`` from
    ``critical_batch``), B_crit against the noise scale ``noise``, and the fewest-samples and
    fastest batch sizes against the batch sizes in ``compare``."""
    _check_runs(runs)
    check_type("crit", crit, dict, "the dict of critical_batch")
    noise = check_float("noise", noise, low=0.0, low_open=True)
    for b in compare:
        check_choice("compare", b, tuple(runs))
    q_small, q_large = mean_doubling_ratios(doubling_ratios(runs), crit["B_crit"])
    guess = "perfect scaling (2)" if abs(q_small - 2) < abs(q_small - 2 ** 0.5) else "the notes' √2"
    fewest, fastest = fastest_run(runs, by="samples"), fastest_run(runs, by="seconds")
    against = " and ".join(f"{runs[b].seconds:.2f} s at B = {b}" for b in compare)
    return (f"Verdict: {bs12_verdict(q_small, q_large)}. Below B_crit ≈ {crit['B_crit']:.0f}, doubling the batch divides "
            f"the steps by {q_small:.2f} on average, closer to {guess}; at and above it by {q_large:.2f}. "
            f"The fitted B_crit is {crit['B_crit'] / noise:.2f}× the measured noise scale B_noise ≈ {noise:.0f}. "
            f"On samples, the fewest were needed at B = {fewest.batch_size}; in training time on this machine "
            f"B = {fastest.batch_size} was fastest ({fastest.seconds:.2f} s against {against}).")


def noise_ball_rows(ball: dict) -> list[list]:
    """BS13 table rows of ``noise_ball``: B, steps, distance to the optimum, objective gap."""
    _check_ball(ball)
    return [[b, f"{v['steps']:,}", f"{v['dist']:.4f}", f"{v['gap']:.2e}"] for b, v in ball.items()]


def noise_ball_slope(ball: dict) -> float:
    """The log-log slope of the distance to the optimum against the batch size."""
    b, dist = _ball_arrays(ball)
    return float(np.polyfit(np.log(b), np.log(dist), 1)[0])


def noise_ball_shrinks(ball: dict) -> bool:
    """Whether the distance to the optimum falls with every step up in batch size."""
    _, dist = _ball_arrays(ball)
    return bool(np.all(np.diff(dist) < 0))


def noise_ball_reading(ball: dict) -> str:
    """One line: does the ball shrink with every batch size, and its slope against the -0.5
    of the small-noise estimate (steeper below -0.65, close down to -0.35, else shallower)."""
    slope = noise_ball_slope(ball)
    steeper = "steeper than" if slope < -0.65 else "close to" if slope < -0.35 else "shallower than"
    return (f"distance falls with every step up in batch size: {noise_ball_shrinks(ball)}; log-log slope {slope:.2f}, "
            f"{steeper} the -0.5 of the small-noise estimate ‖θ − θ*‖² ∝ lr/B")


def schedule_rows(sched: dict) -> list[list]:
    """BS13 table rows of ``schedules``: updates, final distance, objective gap, test accuracy."""
    _check_sched(sched)
    return [[name, f"{h.steps[-1]:,}", f"{h.final('dist'):.4f}", f"{h.final('gap'):.2e}", pct(h.final('test_acc'))]
            for name, h in sched.items()]


def schedule_ratios(sched: dict) -> tuple[float, float]:
    """Growing batch against decaying lr: (share of the updates, ratio of the final distances)."""
    _check_sched(sched)
    d, g = sched["decaying lr"], sched["growing batch"]
    return g.steps[-1] / d.steps[-1], g.final("dist") / d.final("dist")


def bs13_verdict(shrinks: bool, ratio_dist: float) -> str:
    """BS13: holds if the ball shrinks with the batch and the growing-batch run ends within 1.5x
    the decaying run's distance, holds with a caveat within 3x, else does not hold."""
    check_bool("shrinks", shrinks)
    ratio_dist = check_float("ratio_dist", ratio_dist, low=0.0)
    if shrinks and ratio_dist < 1.5:
        return "**holds**"
    if shrinks and ratio_dist < 3:
        return "**holds with a caveat**"
    return "**does not hold**"

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
