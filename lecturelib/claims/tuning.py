"""The rules of the hyperparameter-tuning chapter (``book/tuning.ipynb``): HP2-HP6.

HP1, HP7 and HP8 (what a hyperparameter is, pandas vs caviar, stale intuitions)
are answered in the text and recorded with ``text_claim``.
"""
from __future__ import annotations

import numpy as np

from .. import sampling
from ..experiments import tuning as T
from . import CAVEAT, FAILS, HOLDS, INCONCLUSIVE, Verdict, rule, text_claim

CHAPTER = "tuning"
SAMPLES = 10_000   # draws per sampler in HP5 and HP6

text_claim("HP1", chapter=CHAPTER, paraphrase="Hyperparameters are every choice fixed before training "
           "(epochs, batch size, optimizer and lr, regularization, the split, the init); architecture and "
           "training regime are a gray zone.")
text_claim("HP7", chapter=CHAPTER, paraphrase="Pandas vs caviar: babysit one model or train many in "
           "parallel, depending on compute.")
text_claim("HP8", chapter=CHAPTER, paraphrase="Hyperparameter intuitions go stale; re-evaluate them now "
           "and then.")


# --- HP5: log scale for ranges over orders of magnitude ------------------------------

# A share of 10,000 draws has a standard error of at most 0.005; seeds 0-9 gave deviations
# from the exact expectations of at most 0.0131 (HP5, margins 0.0069-0.0169) and 0.0078
# (HP6, margins 0.0122-0.0189). 0.02 is four standard errors: a sampler that is off by a
# few percent fails (one losing half a decade at the top deviated by 0.111).
SHARE_TOLERANCE = 0.02


def measure_hp5(seed: int) -> dict:
    """10,000 learning rates on [1e-4, 1], drawn uniformly and log-uniformly: shares per decade."""
    rng = np.random.default_rng(seed)
    lin = sampling.uniform(1e-4, 1.0, SAMPLES, rng)
    log = sampling.log_uniform(1e-4, 1.0, SAMPLES, rng)
    return {"uniform": sampling.decade_fractions(lin, -4, 0).tolist(),
            "log-uniform": sampling.decade_fractions(log, -4, 0).tolist(), "samples": SAMPLES,
            "draws": {"uniform": lin, "log-uniform": log}}


@rule("HP5", chapter=CHAPTER, paraphrase="Sample ranges spanning orders of magnitude on a log scale "
      "(r uniform in [a, b], use 10^r); uniform sampling of [0.0001, 1] puts about 90 % of the draws in "
      "[0.1, 1].", test="test_claim_hp5_uniform_crowds_the_top_decade_log_uniform_does_not",
      measure=measure_hp5, margin="tolerance minus the largest deviation from the exact shares",
      threshold=0.0, expected_ci=HOLDS)
def hp5(results: dict) -> Verdict:
    lin, log = np.asarray(results["uniform"]), np.asarray(results["log-uniform"])
    exact_top = 0.9 / 0.9999           # uniform on [1e-4, 1]: the share of [0.1, 1]
    deviations = [abs(lin[-1] - exact_top), *np.abs(log - 0.25)]
    margin = SHARE_TOLERANCE - max(deviations)
    numbers = {"uniform_top": float(lin[-1]), "log_top": float(log[-1]),
               "log_min": float(log.min()), "log_max": float(log.max()),
               "uniform_bottom": float(lin[0]), "max_deviation": float(max(deviations))}
    drawn = (f"Of {results['samples']:,} uniform draws on [0.0001, 1], {lin[-1]:.1%} land in [0.1, 1] "
             f"(exactly {exact_top:.1%} in expectation) and {lin[0]:.2%} in the lowest decade; "
             f"the log-uniform draws give each of the four decades between {log.min():.1%} and "
             f"{log.max():.1%}")
    if margin > 0:
        return Verdict("HP5", HOLDS, drawn + ", a quarter each, as r uniform in [−4, 0] promises.",
                       numbers, margin)
    return Verdict("HP5", FAILS, drawn + f"; the largest deviation from the exact shares, "
                   f"{max(deviations):.3f}, is over the tolerance {SHARE_TOLERANCE}.", numbers, margin)


# --- HP6: sample 1 - beta on a log scale ---------------------------------------------

def measure_hp6(seed: int) -> dict:
    """10,000 betas on [0.9, 0.999], uniform and with 1 - beta log-uniform: window shares per decade."""
    rng = np.random.default_rng(seed)
    lin = sampling.uniform(0.9, 0.999, SAMPLES, rng)
    log = sampling.one_minus_log_uniform(0.9, 0.999, SAMPLES, rng)
    return {"uniform": sampling.decade_fractions(1 / (1 - lin), 1, 3).tolist(),
            "one-minus-log": sampling.decade_fractions(1 / (1 - log), 1, 3).tolist(), "samples": SAMPLES,
            "draws": {"β uniform": lin, "1 − β log-uniform": log}}


@rule("HP6", chapter=CHAPTER, paraphrase="For an averaging β in [0.9, 0.999] sample 1 − β on a log scale: "
      "the window 1/(1 − β) runs from 10 to 1000 and is very sensitive near β = 1.",
      test="test_claim_hp6_linear_beta_rarely_reaches_long_windows", measure=measure_hp6,
      margin="tolerance minus the largest deviation from the exact window shares", threshold=0.0,
      expected_ci=HOLDS)
def hp6(results: dict) -> Verdict:
    lin, log = np.asarray(results["uniform"]), np.asarray(results["one-minus-log"])
    exact_long = 0.009 / 0.099        # beta uniform on [0.9, 0.999]: the share of [0.99, 0.999]
    deviations = [abs(lin[1] - exact_long), *np.abs(log - 0.5)]
    margin = SHARE_TOLERANCE - max(deviations)
    numbers = {"uniform_long": float(lin[1]), "log_long": float(log[1]), "log_short": float(log[0]),
               "max_deviation": float(max(deviations))}
    drawn = (f"With β drawn uniformly on [0.9, 0.999], {lin[1]:.1%} of the windows 1/(1 − β) are longer "
             f"than 100 steps (exactly {exact_long:.1%} in expectation: the stretch from 0.99 to 0.999 is a "
             f"tenth of the range); with 1 − β log-uniform, {log[0]:.1%} fall in [10, 100) and "
             f"{log[1]:.1%} in [100, 1000]")
    if margin > 0:
        return Verdict("HP6", HOLDS, drawn + ", half each.", numbers, margin)
    return Verdict("HP6", FAILS, drawn + f"; the largest deviation from the exact shares, "
                   f"{max(deviations):.3f}, is over the tolerance {SHARE_TOLERANCE}.", numbers, margin)


# --- HP4: random trials beat a grid when one hyperparameter matters -------------------

# Random's best minus the grid's best on the toy objective: seeds 0-9 gave 0.548 to 0.859
# (the grid's best is 0.141 at every seed, its x = 0.7 lies 0.07 from the peak).
HP4_MIN_GAIN = 0.3


def measure_hp4(seed: int) -> dict:
    """A 5 x 5 grid and 25 random trials on the toy objective (a peak in x, nothing in y)."""
    space, f = T.toy_space(), T.important_and_irrelevant
    grid = sampling.grid_search(f, space, 5)
    rand = sampling.random_search(f, space, 25, np.random.default_rng(seed))
    return {"grid": grid, "random": rand}


@rule("HP4", chapter=CHAPTER, paraphrase="With one important and one unimportant hyperparameter, a 5 × 5 grid "
      "tries 5 values of the important one, 25 random trials try 25; then go coarse to fine.",
      test="test_claim_hp4_random_tries_more_values_of_the_important_hyperparameter", measure=measure_hp4,
      margin="random's best minus the grid's best (toy objective)", threshold=HP4_MIN_GAIN, expected_ci=HOLDS)
def hp4(results: dict) -> Verdict:
    grid, rand = results["grid"], results["random"]
    n_grid, n_rand = sampling.distinct_values(grid, "x"), sampling.distinct_values(rand, "x")
    gain = rand.best[1] - grid.best[1]
    numbers = {"grid_trials": len(grid.values), "random_trials": len(rand.values), "grid_x": n_grid,
               "random_x": n_rand, "grid_best": grid.best[1], "random_best": rand.best[1],
               "grid_best_x": grid.best[0]["x"], "random_best_x": rand.best[0]["x"], "gain": gain}
    counted = (f"The grid's {len(grid.values)} trials try {n_grid} values of x, the {len(rand.values)} random "
               f"trials {n_rand}. The grid's best x, {grid.best[0]['x']:.2f}, scores {grid.best[1]:.3f}; "
               f"random search's best, x = {rand.best[0]['x']:.3f}, scores {rand.best[1]:.3f}")
    if n_rand > n_grid and gain > HP4_MIN_GAIN:
        return Verdict("HP4", HOLDS, counted + f", {gain:.3f} higher.", numbers, gain)
    if n_rand > n_grid:
        return Verdict("HP4", CAVEAT, counted + f": more values tried, but a gain of only {gain:.3f} "
                       f"(the rule asks for {HP4_MIN_GAIN}).", numbers, gain)
    return Verdict("HP4", FAILS, counted + ".", numbers, gain)


# --- HP3: which hyperparameters matter -------------------------------------------------

# lr's importance minus the runner-up's, the smaller over fANOVA and MDI: at ci seeds 0-9
# gave 0.175 to 0.787; lr ranked first by both
# evaluators on every seed. The order below lr moved from seed to seed, so it is reported
# in the sentence and not asserted.
HP3_MIN_LEAD = 0.1
NAMES = {"lr": "learning rate", "beta1": "β₁ (momentum)", "beta2": "β₂", "eps": "ε",
         "batch_size": "batch size", "width": "hidden units", "layers": "layers", "lr_decay": "lr decay"}


def measure_hp3(seed: int) -> dict:
    """The importance study at ``ci``: a random search, then both evaluators."""
    s = T.scale("ci")
    return T.importance_ranking(T.importance_search(s, seed=seed), seed=seed)


def _tier_means(importance: dict) -> dict[int, float]:
    """The mean importance per hyperparameter in each of the notes' tiers 2, 3 and 4."""
    return {tier: float(np.mean([v for k, v in importance.items() if T.NOTES_TIERS.get(k) == tier]))
            for tier in (2, 3, 4)}


def _order(importance: dict) -> str:
    return ", ".join(f"{NAMES.get(k, k)} {v:.0%}" for k, v in importance.items())


@rule("HP3", chapter=CHAPTER, paraphrase="Order of importance: lr first; then momentum β, hidden units, mini-batch "
      "size; then layers, lr decay; Adam's β₁, β₂, ε almost never.",
      test="test_claim_hp3_learning_rate_ranks_first_by_both_evaluators", measure=measure_hp3,
      margin="lr's importance minus the runner-up's, the smaller over fANOVA and MDI",
      threshold=HP3_MIN_LEAD, expected_ci=CAVEAT)
def hp3(results: dict) -> Verdict:
    evaluators = {"fANOVA": results["fanova"], "MDI": results["mdi"]}
    firsts = {name: next(iter(imp)) for name, imp in evaluators.items()}
    leads = {}
    for name, imp in evaluators.items():
        others = [v for k, v in imp.items() if k != "lr"]
        leads[name] = imp["lr"] - max(others)
    margin = min(leads.values())
    ranks = {name: list(imp).index("beta1") + 1 for name, imp in evaluators.items()}
    tiers = {name: _tier_means(imp) for name, imp in evaluators.items()}
    in_order = [name for name, t in tiers.items() if t[2] > t[3] > t[4]]
    numbers = {"lr_fanova": results["fanova"]["lr"], "lr_mdi": results["mdi"]["lr"], "lead_fanova": leads["fANOVA"],
               "lead_mdi": leads["MDI"], "beta1_rank_fanova": ranks["fANOVA"], "beta1_rank_mdi": ranks["MDI"],
               "trials": results["trials"], "tiers_in_order": len(in_order),
               **{f"tier{k}_{name.lower()}": v for name, t in tiers.items() for k, v in t.items()}}
    measured = (f"Over {results['trials']} random trials, fANOVA ranks {_order(results['fanova'])}; "
                f"mean decrease in impurity (MDI) ranks {_order(results['mdi'])}.")
    if margin > HP3_MIN_LEAD:
        f, m = tiers["fANOVA"], tiers["MDI"]
        order = {2: "by both evaluators", 1: f"by {in_order[0] if in_order else ''} only", 0: "by neither evaluator"}
        rest = (f" The learning rate comes first by both, {leads['fANOVA']:.0%} and {leads['MDI']:.0%} ahead of "
                f"the runner-up, as the notes say. Per hyperparameter, the notes' second tier (β₁ as momentum, "
                f"batch size, hidden units) averages {f[2]:.1%} (fANOVA) and {m[2]:.1%} (MDI), the third (layers, "
                f"lr decay) {f[3]:.1%} and {m[3]:.1%}, Adam's β₂ and ε {f[4]:.1%} and {m[4]:.1%}: the notes' order "
                f"{order[len(in_order)]}. That order moves from seed to seed at this budget, so below the "
                f"learning rate the notes are compared, not confirmed; β₁, which the notes place both in the "
                f"second tier (as momentum) and in the last (as Adam's constant), ranks {ranks['fANOVA']} and "
                f"{ranks['MDI']} of {len(results['fanova'])}.")
        return Verdict("HP3", CAVEAT, measured + rest, numbers, margin)
    if all(first != "lr" for first in firsts.values()) and firsts["fANOVA"] == firsts["MDI"]:
        return Verdict("HP3", FAILS, measured + f" Both rank {NAMES.get(firsts['MDI'])} first, not the learning "
                       "rate.", numbers, margin)
    return Verdict("HP3", INCONCLUSIVE, measured + f" The learning rate does not lead both rankings by more than "
                   f"{HP3_MIN_LEAD:.0%} (leads {leads['fANOVA']:.0%} and {leads['MDI']:.0%}), so this run does "
                   "not settle which hyperparameter matters most.", numbers, margin)


# --- HP2: search strategies at equal budget ---------------------------------------------

# Each half of the advice is a paired comparison over seeds: the grid's deficit (the mean of
# random, Sobol and TPE minus the grid) and TPE's lead (TPE minus the better of random and
# Sobol), each as a one-sided t statistic over the seeds, in both directions. A half counts as
# resolved only beyond the t quantile of HP2_ALPHA = 0.5 % per direction (2 % for the four
# directions tested): 9.92 with 3 seeds (ci, quick), 4.60 with 5 (full). At ci the best value
# of one search moves by several points between seeds (re-training a search's best setting on
# fresh seeds moved it by as much), so the gaps are noise-sized: over seeds 0-29 in threes
# (the sweep's seeds 0-9), |t| reached 5.36 for the grid's deficit and 6.55 for TPE's lead
# (margins 0.24-6.55), and no half was resolved.
HP2_ALPHA = 0.005
HP2_MIN_SEEDS = 3


def measure_hp2(seed: int) -> dict:
    """The chapter's comparison at ``ci``: four strategies, three seeds (seed 0: the book's seeds 0, 1, 2)."""
    s = T.scale("ci")
    return T.compare(s, seeds=[s.seeds * seed + k for k in range(s.seeds)])


def _t(x: np.ndarray) -> float:
    """The one-sample t statistic of paired differences ``x`` (inf when they are equal and nonzero)."""
    mean, sd = float(np.mean(x)), float(np.std(x, ddof=1))
    if sd == 0:
        return 0.0 if mean == 0 else float(np.sign(mean) * np.inf)
    return mean / (sd / np.sqrt(len(x)))


def _state(t: float, crit: float) -> int:
    """+1 supported (beyond crit in the claimed direction), -1 contradicted, 0 unresolved."""
    return 1 if t > crit else -1 if t < -crit else 0


@rule("HP2", chapter=CHAPTER, paraphrase="Search by grid early to see the landscape, by an off-the-shelf "
      "Bayesian method late; iterative sweeps fix all but one hyperparameter at a time.",
      test="test_claim_hp2_strategies_are_not_separated_at_this_budget", measure=measure_hp2,
      margin="the larger absolute t of the two halves (grid's deficit, TPE's lead); resolved beyond the threshold",
      threshold=9.92, expected_ci=INCONCLUSIVE)
def hp2(results: dict) -> Verdict:
    from scipy import stats

    if "grid" not in results or any(k not in results for k in ("random", "sobol", "tpe")):
        raise ValueError(f"results must hold grid, random, sobol and tpe runs, got {sorted(results)}")
    others = ("random", "sobol", "tpe")
    n = len(results["grid"])
    best = {k: np.array([r.best[1] for r in runs]) for k, runs in results.items()}
    gains = {k: float(best[k].mean() - best["grid"].mean()) for k in others}
    deficit = np.mean([best[k] for k in others], axis=0) - best["grid"]
    lead = best["tpe"] - np.maximum(best["random"], best["sobol"])
    budget = len(results["grid"][0].values)
    grid_lrs = sampling.distinct_values(results["grid"][0], "lr")
    numbers = {"seeds": n, "budget": budget, "deficit": float(deficit.mean()),
               **{f"gain_{k}": v for k, v in gains.items()}, "grid_trails_seeds": int((deficit > 0).sum()),
               "tpe_lead": float(lead.mean()), "tpe_wins": int((lead > 0).sum()), "grid_lrs": grid_lrs}
    measured = (f"At {budget} trials per search over {n} seed{'s' if n > 1 else ''}, random, Sobol and TPE end "
                f"{100 * gains['random']:+.1f}, {100 * gains['sobol']:+.1f} and {100 * gains['tpe']:+.1f} points "
                f"from the grid's best validation accuracy; the grid trails their mean on {int((deficit > 0).sum())} "
                f"of {n} seeds, and TPE beats both random and Sobol on {int((lead > 0).sum())} of {n} "
                f"(by {100 * lead.mean():+.1f} points over the better of the two, on average)")
    if n < HP2_MIN_SEEDS:
        return Verdict("HP2", INCONCLUSIVE, measured + f". With fewer than {HP2_MIN_SEEDS} seeds the seed-to-seed "
                       "spread cannot be measured, so no strategy is separated.", numbers, None)
    crit = float(stats.t.ppf(1 - HP2_ALPHA, n - 1))
    t_grid, t_tpe = _t(deficit), _t(lead)
    numbers.update({"t_grid": t_grid, "t_tpe": t_tpe, "t_crit": crit})
    margin = max(abs(t_grid), abs(t_tpe))
    # The advice: the grid is a good first look (supported if it leads: -t_grid beyond crit) and
    # TPE leads late (supported if t_tpe beyond crit).
    grid, tpe = _state(-t_grid, crit), _state(t_tpe, crit)
    spread = (f". In units of its seed-to-seed spread the grid's deficit is t = {t_grid:.2f} and TPE's lead "
              f"t = {t_tpe:.2f}; a half counts beyond {crit:.2f} (one-sided, {HP2_ALPHA:.1%} per direction)")
    said = {1: "supported", -1: "contradicted", 0: "not resolved"}
    halves = f": 'grid early' is {said[grid]}, 'Bayesian late' is {said[tpe]}."
    if grid == 1 and tpe == 1:
        outcome = HOLDS
    elif 1 in (grid, tpe):
        outcome = CAVEAT
    elif -1 in (grid, tpe):
        outcome = FAILS
    else:
        outcome = INCONCLUSIVE
        halves = (": neither half is resolved. The seeds move each search's best by as much as the strategies "
                  "differ, so this run neither supports nor refutes 'grid early, Bayesian late'.")
    return Verdict("HP2", outcome, measured + spread + halves, numbers, margin)
