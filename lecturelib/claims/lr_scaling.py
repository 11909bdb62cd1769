"""The rules of the learning-rate-scaling chapter: LR1, LR2, LR3, BS12 and BS13.

LR1-LR3 and BS12 read ``experiments.lr_scaling.ridge_results`` (the SGD grid with warm-up
averaged over seeds, Adam's grid, steps to target and the noise scale); BS13 reads
``convex_results``. Every threshold below is a module constant; its comment gives the
spread measured over seeds 0-9 at ci (``python -m lecturelib.claims --chapter lr_scaling``).
"""
from __future__ import annotations

import math

from ..experiments import lr_scaling as L
from . import CAVEAT, FAILS, HOLDS, INCONCLUSIVE, Verdict, rule

CHAPTER = "lr_scaling"

# LR1, LR2: the exponent alpha of best lr ∝ B**alpha is fitted over the batch sizes on the
# rising part of the ridge that get at least MIN_STEPS steps in the grid's budget. Below that
# the budget, not the gradient noise the rules are about, sets the best lr: the ridge peaks at
# B = 64 or 256 at ci (188 and 47 steps), at 256-1024 at quick (234 and 59 steps).
MIN_STEPS = 100
# An exponent needs at least MIN_FIT batch sizes: through two points any power law fits, and
# one seed's noise decides it (ci, one Adam seed per grid: alpha from B = 16 and 64 alone ran
# from -0.5 to 1.3 over seeds 0-9, with intervals that excluded one another).
MIN_FIT = 3
# Halfway between the square-root rule (alpha = 1/2) and the linear rule (alpha = 1): a
# rule is told apart from the other when alpha's 90 % interval lies on its side of MIDPOINT.
MIDPOINT = 0.75
NO_SCALING = 0.25   # halfway between the square-root rule and not scaling at all (alpha = 0)
LEVEL = 0.9         # the bootstrap interval of alpha (experiments.lr_scaling.alpha_interval)
# The best lr "rises" when it is at least RISE times larger at the ridge's peak than at the
# smallest batch size. ci, seeds 0-9: SGD with warm-up (3-seed means) 2.3-5.7, Adam 2.5-11.
RISE = 1.5
# LR1's "then breaks": at the largest batch size b_max the linear rule (from the smallest, b0) asks for
# `ratio` times the best lr. It counts as broken there when ratio >= (b_max / b0) ** (1 - MIDPOINT),
# halfway (in log) between what the linear rule (1) and the square-root rule ((b_max / b0) ** 0.5)
# predict: 2.8 at ci (B 16 -> 1024), 4 at quick and full (16 -> 4096). The grid must reach the rule's
# rate: a best lr at the grid's largest lr could lie beyond it, so that row cannot show a break.
# ci, seeds 0-9 (grid 0.05-6.4): the rule asks for 3.2-6.1, 22-50 times the best lr (0.12-0.16).
# LR3: tuned accuracies count as close within CLOSE of each other: twice the standard deviation
# of the difference of two tuned accuracies (one cell's noise, Scale.noise_sgd, times sqrt(2)),
# rounded up: ci 1.3 points -> 3 points; quick 0.4 -> 1.5 points; full taken as quick.
# ci, seeds 0-9: B = 16 and 64 (both at or below B_crit) 0.1-1.9 points apart.
CLOSE = {"ci": 0.03, "quick": 0.015, "full": 0.015, "custom": 0.015}
# BS12: the critical-batch curve S_min (1 + B_crit / B) must fit the steps to target better
# than one power law S ∝ B**-a (the notes' steady sqrt(b) trade-off): the power law's rms
# residual over the curve's, against KNEE, is the margin. ci, seeds 0-9 (3 training seeds
# each): the curve's residuals 1.7-3.9 times smaller.
KNEE = 1.0
# BS13: the growing-batch run must reach the decaying run's test accuracy within ACC_TOL
# and counts as reaching its distance to the optimum when its mean distance over the last
# phase is no more than DIST_TOL times the decaying run's. In the small-noise limit both end
# equally far (same noise scale lr/B in every phase); ci, seeds 0-9: 1.01-1.14 times as far.
ACC_TOL = 0.01
DIST_TOL = 1.25


def measure_ridge(seed: int) -> dict:
    """LR1-LR3 and BS12 at ci for one seed of the chapter (``ridge_results``)."""
    return L.ridge_results(L.scale("ci"), seed=seed)


def measure_convex(seed: int) -> dict:
    """BS13 at ci for one seed (``convex_results``)."""
    return L.convex_results(L.scale("ci"), seed=seed)


def _check(results: dict, *keys) -> dict:
    if not isinstance(results, dict):
        raise TypeError(f"results must be the dict of ridge_results or convex_results, "
                        f"got {type(results).__name__}")
    missing = [k for k in keys if k not in results]
    if missing:
        raise ValueError(f"results lacks {missing}: pass the dict of experiments.lr_scaling."
                         f"{'convex_results' if 'ball' in keys else 'ridge_results'}")
    return results


def exponent(results: dict, optimizer: str) -> dict:
    """alpha and its interval for the SGD-with-warm-up grid ("sgd") or Adam's ("adam"), over
    the unstarved batch sizes on the rising part of the ridge, with what it was fitted on."""
    _check(results, "scale", optimizer)
    s, g = results["scale"], results[optimizer]
    best = L.best_lrs(g)
    b0 = min(g.batch_sizes)
    peak = L.rising_part(best)[-1]
    fitted = [b for b in L.rising_part(best) if L.steps_per_run(s, b) >= MIN_STEPS]
    noise = (s.noise_adam if optimizer == "adam" else s.noise_sgd) / math.sqrt(len(g.seeds))
    alpha, low, high = (L.alpha_interval(g, noise, fitted, level=LEVEL) if len(fitted) >= MIN_FIT
                        else (float("nan"),) * 3)
    return {"best": best, "b0": b0, "peak": peak, "rise": best[peak] / best[b0], "fitted": fitted,
            "alpha": alpha, "low": low, "high": high, "noise": noise,
            "starved": [b for b in g.batch_sizes if L.steps_per_run(s, b) < MIN_STEPS]}


def _power(a: float) -> str:
    """B^−a written with a real minus sign (a is the exponent of S ∝ B^−a)."""
    return f"B^{'−' if a >= 0 else ''}{abs(a):.2f}"


def _interval(e: dict) -> str:
    return f"α = {e['alpha']:.2f} ({LEVEL:.0%} interval {e['low']:.2f} to {e['high']:.2f})"


def _sizes(sizes) -> str:
    sizes = list(sizes)
    return ", ".join(map(str, sizes[:-1])) + f" and {sizes[-1]}" if len(sizes) > 1 else str(sizes[0])


def linear_limit(results: dict) -> dict:
    """LR1's "then breaks", read at the largest batch size b_max of the SGD-with-warm-up grid.

    ``asks``: the lr the linear rule predicts there from the smallest batch size's best lr;
    ``ratio``: asks over the best lr there; ``limit``: the ratio that counts as broken (see the
    module's constants); ``state``: "breaks" (ratio >= limit), "keeps up" (below it: the
    linear rule still holds at b_max) or "unknown" (ratio >= limit but b_max's best cell is the
    grid's largest lr, so its true best may lie beyond the grid)."""
    _check(results, "sgd")
    g = results["sgd"]
    best = L.best_lrs(g)
    b0, b_max = min(best), max(best)
    asks = L.linear_rule(best, b_max)
    ratio = asks / best[b_max]
    limit = (b_max / b0) ** (1 - MIDPOINT)
    at_top = int(g.row(b_max).argmax()) == len(g.lrs) - 1
    state = "keeps up" if ratio < limit else "unknown" if at_top else "breaks"
    return {"b0": b0, "b_max": b_max, "asks": asks, "best": best[b_max], "ratio": ratio, "limit": limit,
            "top": max(g.lrs), "state": state}


def _limit_sentence(m: dict) -> str:
    head = (f" At B = {m['b_max']} the linear rule from B = {m['b0']} asks for lr {m['asks']:.3g}; the best "
            f"there is {m['best']:.3g}")
    if m["state"] == "breaks":
        return head + f", {m['ratio']:.0f} times less: the rule has broken by this batch size."
    if m["state"] == "keeps up":
        return head + (f", within a factor of {m['ratio']:.1f} (broken would be {m['limit']:.1f} or more): "
                       "the rule still holds at the largest batch size.")
    return head + (f", the grid's largest lr ({m['top']:g}), so the true best may lie beyond the grid: it "
                   "cannot show whether the rule breaks.")


@rule("LR1", chapter=CHAPTER, test="test_claim_lr1_linear_rule_with_warmup",
      paraphrase="When the batch grows k-fold, grow the learning rate k-fold (with a warm-up); "
                 "this works up to a limit and then breaks.",
      measure=measure_ridge, margin="the smaller of two logs: the best lr's rise (smallest batch to "
                                    "the ridge's peak) over RISE, and the linear rule's ask over the "
                                    "best lr at the largest batch, over the break limit (< 0: no rise, "
                                    "or no break)",
      threshold=0.0, expected_ci=INCONCLUSIVE)
def lr1(results: dict) -> Verdict:
    """LR1 on the SGD-with-warm-up grid, in two parts: the limit (``linear_limit``) and the exponent
    alpha below it. Does not hold if the best lr does not rise, or alpha's interval lies below
    0.75; holds with a caveat if the linear rule still holds at the largest batch size (no limit
    in the grid); holds if it breaks there and alpha's interval lies above 0.75; otherwise (too
    few batch sizes for alpha, an interval across 0.75, or a grid too short to see a break)
    inconclusive."""
    e = exponent(results, "sgd")
    m = linear_limit(results)
    brk = _limit_sentence(m)
    numbers = {k: e[k] for k in ("alpha", "low", "high", "rise", "peak")}
    numbers.update(linear_at_largest=m["asks"], best_at_largest=m["best"], linear_over_best=m["ratio"],
                   break_limit=m["limit"], limit=m["state"])
    margin = min(math.log(e["rise"] / RISE), math.log(m["ratio"] / m["limit"]))
    rise = (f"The best lr rises {e['rise']:.1f}-fold from B = {e['b0']} to its peak at "
            f"B = {e['peak']}.")
    if e["rise"] < RISE:
        return Verdict("LR1", FAILS, f"The best lr barely moves with the batch: {e['rise']:.1f}-fold "
                       f"from B = {e['b0']} to its peak at B = {e['peak']}." + brk, numbers, margin)
    fitted = len(e["fitted"]) >= MIN_FIT
    fit = f" Over B = {_sizes(e['fitted'])}: {_interval(e)}." if fitted else ""
    if fitted and e["high"] < MIDPOINT:
        return Verdict("LR1", FAILS, rise + fit + " The best lr grows more slowly than the linear "
                       "rule even where every batch size gets enough steps." + brk, numbers, margin)
    if m["state"] == "keeps up":
        return Verdict("LR1", CAVEAT, rise + fit + brk + " It works over the whole grid, but the limit "
                       "the claim speaks of does not show in it.", numbers, margin)
    if m["state"] == "unknown":
        return Verdict("LR1", INCONCLUSIVE, rise + fit + brk, numbers, margin)
    if not fitted:
        return Verdict("LR1", INCONCLUSIVE, rise + f" Only B = {_sizes(e['fitted'])} get "
                       f"{MIN_STEPS} steps or more on the rising ridge; an exponent needs "
                       f"{MIN_FIT} batch sizes, so below the limit this grid cannot tell the linear "
                       "rule from the square-root rule." + brk, numbers, margin)
    if e["low"] > MIDPOINT:
        return Verdict("LR1", HOLDS, rise + fit + " That is the linear rule, not the square-root "
                       "one." + brk + " So it holds up to a limit, as claimed.", numbers, margin)
    return Verdict("LR1", INCONCLUSIVE, rise + fit + " The interval holds both the square-root "
                   "rule (½) and the linear rule (1): this grid cannot tell them apart." + brk,
                   numbers, margin)


@rule("LR2", chapter=CHAPTER, test="test_claim_lr2_adam_square_root_rule",
      paraphrase="Square-root scaling of the learning rate is the usual rule for adaptive "
                 "optimizers such as Adam.",
      measure=measure_ridge, margin="log of the best lr's rise (smallest batch to the ridge's "
                                    "peak) over RISE (< 0: it does not rise, the claim fails)",
      threshold=0.0, expected_ci=INCONCLUSIVE)
def lr2(results: dict) -> Verdict:
    """LR2 on Adam's grid: holds if alpha's interval lies between 0.25 and 0.75 (nearer the
    square-root rule than the linear rule or no scaling), fails if it lies above 0.75 or below
    0.25, or if the best lr does not rise; otherwise inconclusive."""
    e = exponent(results, "adam")
    b0 = e["b0"]
    numbers = {k: e[k] for k in ("alpha", "low", "high", "rise", "peak")}
    rise = (f"Adam's best lr rises {e['rise']:.1f}-fold from B = {b0} to its peak at "
            f"B = {e['peak']}.")
    margin = math.log(e["rise"] / RISE)
    if e["rise"] < RISE:
        return Verdict("LR2", FAILS, f"Adam's best lr barely moves with the batch: "
                       f"{e['rise']:.1f}-fold from B = {b0} to B = {e['peak']}.", numbers, margin)
    if len(e["fitted"]) < MIN_FIT:
        return Verdict("LR2", INCONCLUSIVE, rise + f" Only B = {_sizes(e['fitted'])} get "
                       f"{MIN_STEPS} steps or more on the rising ridge; an exponent needs "
                       f"{MIN_FIT} batch sizes.", numbers, margin)
    fit = rise + f" Over B = {_sizes(e['fitted'])}: {_interval(e)}."
    if NO_SCALING < e["low"] and e["high"] < MIDPOINT:
        return Verdict("LR2", HOLDS, fit + " The whole interval is nearer ½ than 1 or 0: "
                       "the square-root rule.", numbers, margin)
    if e["low"] > MIDPOINT:
        return Verdict("LR2", FAILS, fit + " Adam's best lr grows like the linear rule here.",
                       numbers, margin)
    if e["high"] < NO_SCALING:
        return Verdict("LR2", FAILS, fit + " Adam's best lr hardly grows at all here.",
                       numbers, margin)
    return Verdict("LR2", INCONCLUSIVE, fit + " The interval reaches past ½ to the linear rule "
                   "or to no scaling: this grid cannot single out the square-root rule.",
                   numbers, margin)


@rule("LR3", chapter=CHAPTER, test="test_claim_lr3_tuned_accuracies_close_below_b_crit",
      paraphrase="When the batch size changes, re-tune the learning rate; then batch size is not "
                 "a knob for validation accuracy (tuning playbook).",
      measure=measure_ridge, margin="CLOSE (ci: 0.03) minus the spread of the tuned accuracies "
                                    "up to B_crit",
      threshold=0.0, expected_ci=CAVEAT)
def lr3(results: dict) -> Verdict:
    """LR3 on the SGD-with-warm-up grid: holds if the tuned accuracies (``tuned_accuracy``:
    per seed at its best lr, median over seeds) are within CLOSE (of the preset) over every
    batch size; holds with a caveat if only up to the critical batch size (BS12's fit); else
    does not hold."""
    _check(results, "scale", "sgd", "crit")
    g, close = results["sgd"], CLOSE[L.SCALES.preset_of(results["scale"], unknown="custom")]
    upto = L.ridge_upto(g.batch_sizes, results["crit"]["B_crit"])
    tuned = L.tuned_accuracy(g)
    below = [tuned[b] for b in g.batch_sizes if b <= upto]
    spread, spread_all = max(below) - min(below), max(tuned.values()) - min(tuned.values())
    fixed = L.ridge(g, upto=upto)
    numbers = {"upto": upto, "spread": spread, "spread_all": spread_all, "tuned": tuned,
               "fixed_spread": fixed["fixed_spread"], "fixed_lr": fixed["fixed_lr"], "close": close}
    head = (f"Up to B = {upto} (at or below B_crit) the tuned accuracies lie within "
            f"{100 * spread:.1f} points (close: within {100 * close:.1f}, twice the noise of "
            "a difference at this preset)")
    at_fixed = (f"; at the single lr {fixed['fixed_lr']:g}, best for those batch sizes, within "
                f"{100 * fixed['fixed_spread']:.1f} points.")
    if spread > close:
        return Verdict("LR3", FAILS, head + at_fixed, numbers, close - spread)
    if spread_all <= close:
        return Verdict("LR3", HOLDS, head + f", and over every batch size within "
                       f"{100 * spread_all:.1f}" + at_fixed, numbers, close - spread)
    return Verdict("LR3", CAVEAT, head + at_fixed + f" Over every batch size they spread "
                   f"{100 * spread_all:.1f} points: above B_crit the fixed epoch budget leaves too "
                   "few steps for any lr to rescue.", numbers, close - spread)


@rule("BS12", chapter=CHAPTER, test="test_claim_bs12_steps_halve_then_flatten_at_b_crit",
      paraphrase="Small batches are slow per sample but need fewer samples; the notes guess a "
                 "√b trade-off and a sweet spot at 16 or 32.",
      measure=measure_ridge, margin="log of the power law's rms residual over the "
                                    "critical-batch curve's (> 0: the curve fits better)",
      threshold=math.log(KNEE), expected_ci=HOLDS)
def bs12(results: dict) -> Verdict:
    """BS12 from the mean steps to target: holds if S_min (1 + B_crit / B) fits better than a
    single power law and B_crit lies inside the measured batch sizes; holds with a caveat if it
    fits better but B_crit lies outside them (one regime only); does not hold if a power law
    fits as well."""
    _check(results, "steps", "crit", "power", "noise", "runs")
    steps, crit, power = results["steps"], results["crit"], results["power"]
    reached = sorted(b for b, v in steps.items() if v is not None)
    ratio = power["rms"] / crit["rms"] if crit["rms"] > 0 else float("inf")
    b_noise = results["noise"]["noise_scale"]
    first = results["runs"][min(results["runs"])]
    fewest, fastest = L.fastest_run(first, by="samples"), L.fastest_run(first, by="seconds")
    numbers = {"B_crit": crit["B_crit"], "S_min": crit["S_min"], "a": power["a"], "rms_ratio": ratio,
               "B_noise": b_noise}
    fit = (f"S(B) = S_min (1 + B_crit/B) fits the steps with B_crit ≈ {crit['B_crit']:.0f} and "
           f"residuals {ratio:.1f} times smaller than the best single power law "
           f"(S ∝ {_power(power['a'])}).")
    if ratio <= KNEE:
        fit = (f"A single power law S ∝ {_power(power['a'])} fits the steps as well as "
               f"S_min (1 + B_crit/B) (residuals {1 / ratio:.1f} times smaller).")
    extra = (f" B_noise ≈ {b_noise:.0f}, {b_noise / crit['B_crit']:.1f} times B_crit. On samples B = "
             f"{fewest.batch_size} needed the fewest; in seconds on this machine B = "
             f"{fastest.batch_size} was fastest.")
    margin = math.log(ratio)
    if len(reached) < 3:
        return Verdict("BS12", INCONCLUSIVE, f"Only {len(reached)} batch sizes reached the target.",
                       numbers, None)
    if ratio <= KNEE:
        return Verdict("BS12", FAILS, fit + extra, numbers, margin)
    if not reached[0] < crit["B_crit"] < reached[-1]:
        return Verdict("BS12", CAVEAT, fit + f" But B_crit lies outside the measured batch sizes "
                       f"({reached[0]} to {reached[-1]}), so only one regime was seen." + extra,
                       numbers, margin)
    return Verdict("BS12", HOLDS, fit + " The steps fall fast below B_crit and hardly at all "
                   "above it: a bend, not the steady trade-off of one power law." + extra,
                   numbers, margin)


@rule("BS13", chapter=CHAPTER, test="test_claim_bs13_noise_ball_and_growing_batch",
      paraphrase="For convex problems full batches converge while small batches hover in a noise "
                 "ball; growing the batch during training gets both benefits.",
      measure=measure_convex, margin="log of DIST_TOL over the growing-batch run's mean distance "
                                     "over the last phase relative to the decaying-lr run's "
                                     "(> 0: close enough)",
      threshold=0.0, expected_ci=HOLDS)
def bs13(results: dict) -> Verdict:
    """BS13: does not hold if the noise ball does not shrink with every step up in batch size or
    the growing-batch run ends more than ACC_TOL below the decaying run's test accuracy; holds
    if it also ends no farther from the optimum (DIST_TOL); else holds with a caveat."""
    _check(results, "ball", "sched")
    ball, sched = results["ball"], results["sched"]
    shrinks = L.noise_ball_shrinks(ball)
    share, ratio = L.schedule_ratios(sched)
    dec, grow = sched["decaying lr"], sched["growing batch"]
    gap = grow.final("test_acc") - dec.final("test_acc")
    sizes = sorted(ball)
    shrink = ball[sizes[-1]]["dist"] / ball[sizes[0]]["dist"]
    numbers = {"shrinks": shrinks, "ball_ratio": shrink, "share": share, "dist_ratio": ratio,
               "acc_gap": gap}
    ball_text = (f"At a fixed lr the distance to θ* falls with every step up in batch size, "
                 f"{1 / shrink:.0f}-fold from B = {sizes[0]} to {sizes[-1]}." if shrinks else
                 "At a fixed lr the distance to θ* does not fall with every step up in batch size.")
    run_text = (f" Growing the batch instead of decaying the lr takes {share:.0%} of the updates, "
                f"stays {ratio:.2f} times as far from θ* over the last phase and ends "
                f"{abs(100 * gap):.2f} points {'above' if gap >= 0 else 'below'} in test accuracy.")
    margin = math.log(DIST_TOL / ratio)
    if not shrinks or gap < -ACC_TOL:
        return Verdict("BS13", FAILS, ball_text + run_text, numbers, margin)
    if ratio <= DIST_TOL:
        return Verdict("BS13", HOLDS, ball_text + run_text, numbers, margin)
    return Verdict("BS13", CAVEAT, ball_text + run_text + " The same accuracy with fewer updates, "
                   "but not the same closeness to θ*.", numbers, margin)
