"""Steps to a target accuracy (BS12): the search per batch size and the fits of its step counts.

Owns the probe that stops a run at the target (``TargetProbe``), the search over learning
rates around the grid's ridge (``ridge_lr``, ``steps_to_target``, giving a ``TargetRun`` per
batch size), the mean over seeds (``mean_steps``), the two fits of steps against batch size
(``critical_batch``: S_min (1 + B_crit / B); ``power_law``: c B**(-a)) and the gradient noise
scale at the weights where the target was reached (``noise_scale``). The searches and the
models that reached the target are cached per process in ``_TARGETS`` and ``_TARGET_MODELS``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..._checks import check_choice, check_float, check_int, check_type
from ...callbacks import Callback, Evaluation, StopTraining, TrainState
from ...probes import gradient_noise
from ...report import pct
from ...train import fit
from .analysis import _best_arrays, best_lrs, interpolate_lr
from .runs import SCALES, Scale, build_model, data, grid

# --- BS12: steps to a target accuracy ------------------------------------------------

class TargetProbe(Callback):
    """Checks the test accuracy at steps 1, 2, 3, ... growing by 5 % at a time and stops the
    run (raises ``StopTraining``) when it first reaches ``target``, or gives up (``hit`` stays
    None) when the run has diverged: accuracy at chance (below 0.15) after step ``patience``,
    or when it has taken ``max_steps`` steps.

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

    def on_train_begin(self, run: TrainState) -> None:
        self.curve, self.hit, self.seconds, self._next = [], None, 0.0, 1
        self._t = time.perf_counter()

    def measure(self, run: TrainState) -> dict:
        self._t = time.perf_counter()   # fit's evaluation is over; training resumes now
        return {}

    def on_step_end(self, run: TrainState, xb, yb) -> None:
        self.seconds += time.perf_counter() - self._t
        steps = run.steps
        if steps >= self._next:
            with torch.no_grad():
                acc = float((run.model(self.x).argmax(1) == self.y).float().mean())
            self.curve.append((steps, acc))
            if acc >= self.target:
                self.hit = steps
                raise StopTraining(f"reached {pct(self.target)} test accuracy at step {steps}")
            if not acc >= 0.15 and steps >= self.patience:   # diverged (NaN logits give 0 too)
                raise StopTraining(f"diverged: test accuracy {pct(acc)} at step {steps}")
            self._next = max(steps + 1, math.ceil(steps * self.ratio))
        if self.max_steps is not None and steps >= self.max_steps:
            raise StopTraining(f"step budget of {self.max_steps} spent")   # hit stays None
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
    s = SCALES.resolve(s)
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
            m = build_model(s, seed=seed)
            probe = TargetProbe(x_eval, y_eval, s.target, max_steps=cap)
            history = fit(m, d, lr=lr, batch_size=b, epochs=math.ceil(cap * b / n), seed=seed,
                          callbacks=[Evaluation(train_limit=1), probe])
            # A run that reaches the target stops at that step: its last entry is the model there.
            steps = history.steps[-1] if probe.hit is not None and probe.hit <= cap else None
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
    s = SCALES.resolve(s)
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


def _check_runs(runs):
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict of batch size -> TargetRun, got {runs!r}")
    for b, r in runs.items():
        check_type(f"runs[{b!r}]", r, TargetRun, "a lecturelib.experiments.lr_scaling.TargetRun")
    return runs
