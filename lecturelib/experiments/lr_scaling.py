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
        for i, b in enumerate(s.batch_sizes):
            for j, lr in enumerate(lrs):
                h = run(s, optimizer, b, lr, warmup=warmup, seed=seed)
                a = h.final("test_acc")
                diverged = "diverged_at_epoch" in h.config or not math.isfinite(a)
                acc[i, j] = 0.1 if diverged else a
                secs[i, j] = h.seconds[-1]
        _GRIDS[key] = Grid(optimizer, warmup, tuple(s.batch_sizes), tuple(lrs), acc, secs)
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
