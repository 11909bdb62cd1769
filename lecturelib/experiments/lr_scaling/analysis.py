"""The exponent fits (LR1-LR3): what a ``Grid`` says about the best learning rate per batch size.

Owns the smoothed best lr of each row (``best_lrs``, ``at_edge``), the tuned accuracy
(``tuned_accuracy``), the exponent alpha of best lr ∝ B**alpha (``scaling_exponent``, over the
ridge's rising part: ``rising_part``, ``exponent_up_to_peak``) with its bootstrap interval
(``alpha_interval``), the linear rule's predictions and where it stops holding (``linear_rule``,
``linear_rule_breaks``), the ridge against one fixed lr (``ridge``), how flat the rows are
(``neighbour_loss``), and the best lr between measured batch sizes (``interpolate_lr``).
Pure functions of their arguments: nothing here trains.
"""
from __future__ import annotations

import numpy as np

from ..._checks import check_choice, check_float, check_int, check_type
from .runs import Grid

def tuned_accuracy(g: Grid) -> dict[int, float]:
    """Each batch size's accuracy at its best lr: the row's best cell, found per seed and then
    the median over the seeds (one seed that trained badly does not move it)."""
    check_type("g", g, Grid, "a lecturelib.experiments.lr_scaling.Grid")
    accs = g.acc[None] if g.accs is None else g.accs
    return dict(zip(g.batch_sizes, np.median(accs.max(axis=2), axis=0).tolist()))


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


def exponent_up_to_peak(best: dict) -> tuple[float, int]:
    """The scaling exponent alpha over the rising part of the ridge (NaN if the ridge peaks at the
    smallest batch size) and the batch size where the best lr peaks."""
    rising = rising_part(best)
    return (scaling_exponent(best, rising) if len(rising) > 1 else float("nan")), rising[-1]


def _best_arrays(best, batch_sizes):
    if not isinstance(best, dict) or not best:
        raise TypeError(f"best must be a non-empty dict of batch size -> lr, got {best!r}")
    keys = sorted(best) if batch_sizes is None else [check_choice("batch_sizes", b, tuple(best)) for b in batch_sizes]
    return np.array(keys, dtype=float), np.array([best[k] for k in keys], dtype=float)
