"""Rules of the sharpness chapter: BS15 (large batches end in sharper minima) and BS16 (lr/B sets the outcome)."""
from __future__ import annotations

import math

import numpy as np

from . import CAVEAT, FAILS, HOLDS, Verdict, rule
from ..experiments import sharpness as sh

SMALL, LARGE, RECOVERED = "BS 64, lr 0.01", "BS 1024, lr 0.01", "BS 1024, lr 0.1"
# BS15: log(rise(1024) / rise(64)) at equal lr must exceed log 1.1. Seeds 0-9 at ci measured
# 0.215 to 0.615 (1.24x to 1.85x); λ_max's ratio moved between -0.087 and +0.275, so it is reported only.
BS15_MIN_LOG_RATIO = math.log(1.1)
# BS16: runs on one line of equal lr/B must agree to within half the gap to the next cooler line.
# Seeds 0-9 at ci: the two coolest lines' shares stayed below 0.1 (spread at most 1 point against
# gaps of 13 points or more); the hottest line (lr up to 0.64) broke on every seed.
BS16_MAX_SHARE = 0.5


def measure_minima(seed: int):
    return sh.minima(sh.scale("ci"), seed=seed)


def measure_grid(seed: int):
    return sh.temperature_grid(sh.scale("ci"), seed=seed)


def _spearman(a, b) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


@rule("BS15", chapter="sharpness", test="test_claim_bs15_large_batch_sharper_minimum",
      paraphrase="Small batches avoid narrow minima; large batches end in sharper ones (Keskar et al.).",
      measure=measure_minima, margin="log(rise(1024) / rise(64)), loss rise under random perturbation",
      threshold=BS15_MIN_LOG_RATIO, expected_ci=HOLDS)
def bs15(minima: dict) -> Verdict:
    """Keskar et al. call a minimum sharp when the loss rises fast in a neighbourhood of it, which the
    perturbation test measures. Holds when that rise is larger for batch 1024 than for batch 64 at
    lr 0.01 (by the threshold) and the recovering lr 0.1 makes batch 1024 flatter; does not hold
    otherwise. λ_max, the single steepest direction, is reported beside it."""
    missing = {SMALL, LARGE, RECOVERED} - set(minima)
    if missing:
        raise ValueError(f"minima must hold the runs {sorted(missing)} (see sharpness.minima)")
    rise = {k: m.perturbation_rise for k, m in minima.items()}
    top = {k: m.top_eigenvalue for k, m in minima.items()}
    if min(rise.values()) <= 0:
        raise ValueError(f"the perturbation rises must be positive to compare them, got {rise}")
    log_rise = math.log(rise[LARGE] / rise[SMALL])
    log_top = math.log(top[LARGE] / top[SMALL])
    flattened = rise[RECOVERED] < rise[LARGE]
    labels = list(minima)
    rho = _spearman([rise[k] for k in labels], [minima[k].gap for k in labels])
    numbers = {"rise": rise, "top_eigenvalue": top, "gap": {k: minima[k].gap for k in labels},
               "log_ratio_rise": log_rise, "log_ratio_top": log_top, "spearman_rise_gap": rho}
    top_says = ("λ_max agrees" if log_top > BS15_MIN_LOG_RATIO else
                "λ_max, the single steepest direction, does not separate them")
    facts = (f"At lr 0.01 the loss rises {rise[LARGE] / rise[SMALL]:.2f}× as much under the same random "
             f"perturbations around batch 1024's weights as around batch 64's; {top_says} "
             f"({top[LARGE]:.1f} against {top[SMALL]:.1f}). Batch 1024 at lr 0.1 sits "
             f"{'flatter' if flattened else 'no flatter'} than at lr 0.01 (a rise of {rise[RECOVERED]:.2g} "
             f"against {rise[LARGE]:.2g}). Across the four runs the rank correlation of the rise with the "
             f"train−test gap is {rho:+.2f}.")
    if log_rise > BS15_MIN_LOG_RATIO and flattened:
        return Verdict("BS15", HOLDS, facts, numbers, log_rise)
    return Verdict("BS15", FAILS, facts + " The large batch does not end in a clearly sharper place.",
                   numbers, log_rise)


@rule("BS16", chapter="sharpness", test="test_claim_bs16_equal_lr_over_b_equal_outcome",
      paraphrase="The SGD temperature lr/B, not lr and B separately, sets the outcome (Smith & Le; Jastrzębski et al.).",
      measure=measure_grid, margin="1 − largest share (within-line spread / gap to the next line), two coolest lines",
      threshold=1 - BS16_MAX_SHARE, expected_ci=CAVEAT)
def bs16(grid) -> Verdict:
    """A line of equal lr/B "holds" when its runs agree to within BS16_MAX_SHARE of the gap between
    its mean accuracy and the neighbouring cooler line's. Holds when every line holds; holds with a
    caveat when the two coolest lines hold and a hotter one breaks (the rule's limit, at large lr);
    does not hold when one of the two coolest lines breaks."""
    by_t = sh.lines(grid)
    temps = sorted(by_t)
    if len(temps) < 3:
        raise ValueError(f"grid must have at least 3 lines of equal lr/B, got {len(temps)}")
    mean = [float(np.mean([r.test_acc for r in by_t[t]])) for t in temps]
    within = [sh.spread([r.test_acc for r in by_t[t]]) for t in temps]
    gaps = [abs(mean[1] - mean[0])] + [abs(mean[i] - mean[i - 1]) for i in range(1, len(temps))]
    shares = [w / g if g > 0 else math.inf for w, g in zip(within, gaps)]
    broken = [i for i, share in enumerate(shares) if share > BS16_MAX_SHARE]
    margin = 1 - max(shares[:2])
    numbers = {"temperatures": temps, "mean_acc": mean, "within_spread": within, "gaps": gaps,
               "shares": shares, "first_break": broken[0] if broken else None}
    sizes = sorted({r.batch_size for r in grid})
    facts = (f"On the coolest lines of equal lr/B, test accuracy varies by at most "
             f"{100 * max(within[:2]):.1f} points across batch sizes {sizes}, while the next line up "
             f"differs by at least {100 * min(gaps[:2]):.1f} points.")
    if not broken:
        return Verdict("BS16", HOLDS, facts + " Every line holds, the hottest included.", numbers, margin)
    first = broken[0]
    hot = by_t[temps[first]]
    worst, best = min(hot, key=lambda r: r.test_acc), max(hot, key=lambda r: r.test_acc)
    where = (f" From {temps[first] / sh.STUDY_T:g}× the study's lr/B the rule breaks: on that line batch "
             f"{worst.batch_size} at lr {worst.lr:.2g} reaches {100 * worst.test_acc:.1f} % against "
             f"{100 * best.test_acc:.1f} % for batch {best.batch_size} at lr {best.lr:.2g}.")
    if first < 2:
        return Verdict("BS16", FAILS, facts + where + " Equal lr/B does not give equal outcomes even at "
                       "small learning rates here.", numbers, margin)
    return Verdict("BS16", CAVEAT, facts + where + " The temperature sets the outcome until the learning "
                   "rate itself grows too large for the loss's curvature.", numbers, margin)
