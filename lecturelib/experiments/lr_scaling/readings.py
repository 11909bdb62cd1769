"""The chapter's tables and the readings of its measurements that the claims and the text use.

Owns the table headers (``*_HEADERS``) and rows (``best_lr_rows``, ``ridge_rows``, ``target_rows``,
``doubling_rows``, ``noise_ball_rows``, ``schedule_rows``) and the numbers read off the
measurements: the steps ratio per doubling of the batch and its label (``doubling_ratios``,
``doubling_label``, ``knee_ratio``), the fastest run to the target (``fastest_run``), the
slopes and shrinking of the noise ball, the schedules' ratios. The verdicts are not computed
here: the rules of ``lecturelib.claims.lr_scaling`` read these measurements.
"""
from __future__ import annotations

import math

import numpy as np

from ..._checks import check_choice, check_float, check_int, check_type
from ...report import pct
from ...train import History
from .analysis import _best_arrays, at_edge, best_lrs, ridge
from .runs import SCALES, Grid, Scale, steps_per_run
from .search import TargetRun, _check_runs, _steps_arrays

# --- the chapter's tables -------------------------------------------------------------
# The notebook prints these rows; the verdicts come from lecturelib.claims.lr_scaling.

RULES = {"linear": 1.0, "square root": 0.5}
NOISE_BALL_HEADERS = ("B", "steps", "‖θ − θ*‖", "objective − optimum")
SCHEDULE_HEADERS = ("schedule", "updates", "‖θ − θ*‖, last phase", "test accuracy")
DOUBLING_HEADERS = ("B → 2B", "S(B)/S(2B)", "the fit's ratio", "reading")
TARGET_HEADERS = ("B", "steps (mean)", "steps per seed", "samples", "seconds")


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
    s = SCALES.resolve(s)
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
