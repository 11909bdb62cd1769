"""Rules of "Batch size and generalization": BS1, BS2, BS3 and BS14.

BS1-BS3 read the final accuracies of the study's runs: the batch sizes 64/256/1024 at lr 0.01,
batch 1024 at lr 0.1, the three switching runs and the control. The rules take either the
chapter's Histories (at the active preset) or the summaries of the full-scale results files
(``experiments.batch_size.load_results``), so ``full_scale`` applies the very same rules to the
reproduction. BS14 reads the sweep of batch sizes down to 1 (``noise_runs``). Every threshold
below comes with the range seeds 0-9 gave at ``ci``
(``python -m lecturelib.claims --seeds 0-9 --chapter batch_size``), and with the full-scale value.
"""
from __future__ import annotations

import statistics

from . import CAVEAT, FAILS, HOLDS, INCONCLUSIVE, Verdict, rule
from .._checks import check_type
from ..experiments import batch_size as bs
from ..train import History

SMALL, MID, LARGE, FAST = "BS 64, lr 0.01", "BS 256, lr 0.01", "BS 1024, lr 0.01", "BS 1024, lr 0.1"

# BS1: test accuracy of batch 64 minus batch 1024 (lr 0.01) must exceed one point. Seeds 0-9 at ci:
# 0.152 to 0.212; full scale (results/): 0.030, the article about 0.02-0.03.
BS1_MIN_DROP = 0.01
# BS2: "recovers" (holds) when lr 0.1 leaves batch 1024 at most half a point behind batch 64; with a
# caveat when it closes at least three quarters of what batch 1024 lost but more than half a point
# remains. Seeds 0-9 at ci: 0.0095 to 0.019 remain of 0.15-0.21 lost (90 % to 94 % closed): the margin
# (the distance inside the caveat band) is 0.0045 to 0.014, and the seeds' mean remainder, 0.0146, lies
# 3.5 standard deviations (0.0027) above the band's lower edge. Full scale: 0.0016 remain (holds).
BS2_TOL = 0.005
BS2_MIN_CLOSED = 0.75
# BS3: the control (1024 for 2E epochs) must end more than half a point below batch 64 for the
# switches to mean anything, and every switch must close three quarters of the control's shortfall.
# Seeds 0-9 at ci: shortfall 0.094 to 0.106, the worst switch closes 86 % to 92 % (the best up to 108 %);
# full scale: 0.017, the worst switch 97 %.
BS3_MIN_SHORTFALL = 0.005
BS3_MIN_CLOSED = 0.75
# BS14: batch 1 "works poorly" if its test error is more than 1.5 times that of the best other batch
# size. Noise "regularizes" if, at a similar fit, batch 1's train-test gap is at most 0.6 times that of
# the batch size whose training accuracy is closest to batch 1's (within 5 points; a paired comparison,
# same seed and data): noise that removes at least 40 % of the gap. Runs below 50 % training accuracy
# did not learn and are left out. Seeds 0-9 at ci: error ratio 0.79 to 1.18; the partner was batch 4
# (batch 16 once), gap ratio 0.81 to 1.28, so a smaller threshold than 0.6 would sit inside that
# seed-to-seed spread.
BS14_POOR_RATIO = 1.5
BS14_REGULARIZES_RATIO = 0.6
BS14_SIMILAR_FIT = 0.05
BS14_LEARNED = 0.5


def finals(runs: dict) -> dict:
    """The final train and test accuracy of each run, from Histories or results-file payloads."""
    check_type("runs", runs, dict, "a dict label -> History (or results payload)")
    out = {}
    for label, r in runs.items():
        if isinstance(r, History):
            out[label] = {"test_acc": r.final("test_acc"), "train_acc": r.final("train_acc")}
        elif isinstance(r, dict) and "summary" in r:
            out[label] = {"test_acc": r["summary"]["test_acc"], "train_acc": r["summary"]["train_acc"]}
        elif isinstance(r, dict) and "test_acc" in r:
            out[label] = {"test_acc": r["test_acc"], "train_acc": r.get("train_acc")}
        else:
            raise TypeError(f"runs[{label!r}] must be a History, a results payload or a dict with test_acc, "
                            f"got {type(r).__name__}")
    return out


def _need(acc: dict, labels, what: str) -> None:
    missing = [label for label in labels if label not in acc]
    if missing:
        raise ValueError(f"{what} needs the runs {missing}; got {sorted(acc)}")


def _roles(acc: dict):
    """The switching runs (labels with an arrow) and the control (label starting 'control')."""
    switches = [k for k in acc if "→" in k]
    control = [k for k in acc if k.startswith("control")]
    if len(switches) != 3 or len(control) != 1:
        raise ValueError(f"runs must hold the three switching runs and the control of "
                         f"experiments.batch_size.switching_runs; got {sorted(acc)}")
    return switches, control[0]


def measure_study(seed: int) -> dict:
    """The generalization runs and the switching runs at ``ci``, from one seed's initialization."""
    s = bs.scale("ci")
    return bs.run_all(bs.generalization_runs(s) + bs.switching_runs(s), s, seed=seed, progress=False)


def measure_noise(seed: int) -> dict:
    """The batch-size sweep down to B = 1 at ``ci``."""
    s = bs.scale("ci")
    return bs.run_all(bs.noise_runs(s), s, seed=seed, progress=False)


def _pts(x: float) -> str:
    return f"{100 * x:.1f}"


@rule("BS1", chapter="batch_size", test="test_claim_bs1_larger_batch_lower_accuracy",
      paraphrase="At the same learning rate and epochs, larger batches reach lower test (and train) accuracy.",
      measure=measure_study, margin="acc(64) − acc(1024), test, lr 0.01", threshold=BS1_MIN_DROP)
def bs1(runs: dict) -> Verdict:
    """Holds when batch 64 ends more than BS1_MIN_DROP above batch 1024 in test accuracy, 256 lies in
    between and training accuracy falls too; with a caveat when the drop is there but one of the other
    two is not; does not hold when the drop is not."""
    acc = finals(runs)
    _need(acc, (SMALL, MID, LARGE), "BS1")
    test = {k: acc[k]["test_acc"] for k in (SMALL, MID, LARGE)}
    train = {k: acc[k]["train_acc"] for k in (SMALL, MID, LARGE)}
    drop, train_drop = test[SMALL] - test[LARGE], train[SMALL] - train[LARGE]
    ordered = test[SMALL] > test[MID] > test[LARGE]
    numbers = {"test_acc": test, "train_acc": train, "drop": drop, "train_drop": train_drop, "ordered": ordered}
    facts = (f"Test accuracy: {_pts(test[SMALL])} % at batch 64, {_pts(test[MID])} % at 256, "
             f"{_pts(test[LARGE])} % at 1024; training accuracy falls from {_pts(train[SMALL])} % to "
             f"{_pts(train[LARGE])} %.")
    if drop <= BS1_MIN_DROP:
        return Verdict("BS1", FAILS, facts + f" Batch 1024 is not clearly behind (less than "
                       f"{100 * BS1_MIN_DROP:.0f} point).", numbers, drop)
    if ordered and train_drop > 0:
        return Verdict("BS1", HOLDS, facts + f" Batch 1024 ends {_pts(drop)} points behind in test accuracy "
                       f"and {_pts(train_drop)} behind in training accuracy, so most of what it loses is "
                       f"fitting, not generalization.", numbers, drop)
    why = "batch 256 is not in between" if not ordered else "its training accuracy does not fall"
    return Verdict("BS1", CAVEAT, facts + f" Batch 1024 is {_pts(drop)} points behind, but {why}.", numbers, drop)


@rule("BS2", chapter="batch_size", test="test_claim_bs2_higher_lr_recovers_accuracy",
      paraphrase="Raising the learning rate recovers the accuracy a larger batch lost.",
      measure=measure_study, expected_ci=CAVEAT,
      margin="distance of acc(64) − acc(1024, lr 0.1) inside the caveat band "
             "(half a point, a quarter of what batch 1024 lost]", threshold=0.0)
def bs2(runs: dict) -> Verdict:
    """Holds when batch 1024 at lr 0.1 ends within BS2_TOL of batch 64 at lr 0.01; with a caveat when it
    closes at least BS2_MIN_CLOSED of the accuracy batch 1024 lost at lr 0.01 but more than BS2_TOL
    remains; does not hold when it closes less. Inconclusive when batch 1024 lost nothing."""
    acc = finals(runs)
    _need(acc, (SMALL, LARGE, FAST), "BS2")
    lost = acc[SMALL]["test_acc"] - acc[LARGE]["test_acc"]
    remains = acc[SMALL]["test_acc"] - acc[FAST]["test_acc"]
    numbers = {"lost": lost, "remains": remains}
    if lost <= BS2_TOL:
        return Verdict("BS2", INCONCLUSIVE, f"Batch 1024 at lr 0.01 is only {_pts(lost)} points behind batch 64, "
                       f"so there is nothing to recover.", numbers, None)
    closed = 1 - remains / lost
    numbers["closed"] = closed
    facts = (f"At lr 0.01 batch 1024 ends {_pts(lost)} points below batch 64; at lr 0.1 it ends "
             f"{_pts(abs(remains))} points {'below' if remains >= 0 else 'above'} it, closing "
             f"{100 * closed:.0f} % of the gap.")
    band_top = (1 - BS2_MIN_CLOSED) * lost
    margin = min(remains - BS2_TOL, band_top - remains)
    if remains <= BS2_TOL:
        return Verdict("BS2", HOLDS, facts, numbers, margin)
    if closed >= BS2_MIN_CLOSED:
        return Verdict("BS2", CAVEAT, facts + f" It recovers most of the accuracy, not all of it: more than "
                       f"half a point remains.", numbers, margin)
    return Verdict("BS2", FAILS, facts, numbers, margin)


@rule("BS3", chapter="batch_size", test="test_claim_bs3_large_batch_start_does_not_trap",
      paraphrase="Starting with a large batch does not trap the model: a later switch to a small batch or a "
                 "higher lr still reaches the small-batch accuracy; staying large does not.",
      measure=measure_study, margin="smallest share of the control's shortfall that a switch closes",
      threshold=BS3_MIN_CLOSED)
def bs3(runs: dict) -> Verdict:
    """Holds when the control (batch 1024 throughout) ends more than BS3_MIN_SHORTFALL below batch 64 and
    every switch closes at least BS3_MIN_CLOSED of that shortfall; does not hold when a switch closes less;
    with a caveat when the control itself gets there (nothing was left to recover)."""
    acc = finals(runs)
    _need(acc, (SMALL,), "BS3")
    switches, control = _roles(acc)
    ref = acc[SMALL]["test_acc"]
    shortfall = ref - acc[control]["test_acc"]
    diffs = {k: acc[k]["test_acc"] - ref for k in switches}
    numbers = {"reference": ref, "shortfall": shortfall, "switch_minus_reference": diffs}
    facts = (f"The three switches end {', '.join(f'{100 * d:+.2f}' for d in diffs.values())} points from "
             f"batch 64's {_pts(ref)} %; the control, batch 1024 throughout, ends {_pts(abs(shortfall))} points "
             f"{'below' if shortfall >= 0 else 'above'} it.")
    if shortfall <= BS3_MIN_SHORTFALL:
        return Verdict("BS3", CAVEAT, facts + " The control gets there too, so at this size there was nothing "
                       "to be trapped in.", numbers, None)
    closed = {k: (acc[k]["test_acc"] - acc[control]["test_acc"]) / shortfall for k in switches}
    numbers["closed"] = closed
    margin = min(closed.values())
    if margin >= BS3_MIN_CLOSED:
        return Verdict("BS3", HOLDS, facts + f" Every switch closes at least {100 * margin:.0f} % of the "
                       f"control's shortfall.", numbers, margin)
    worst = min(closed, key=closed.get)
    return Verdict("BS3", FAILS, facts + f" The run {worst} closes only {100 * closed[worst]:.0f} % of it.",
                   numbers, margin)


@rule("BS14", chapter="batch_size", test="test_claim_bs14_batch_one_not_poor_and_gap_not_smaller",
      paraphrase="Mini-batch noise acts as a regularizer (\"tug-and-pull\"); a batch size of 1 works poorly.",
      measure=measure_noise, expected_ci=FAILS,
      margin="the closer part to its threshold: 1.5 − err(1)/err(best other), and "
             "gap(1)/gap(the run of the most similar fit) − 0.6", threshold=0.0)
def bs14(sweep: dict) -> Verdict:
    """Two parts. "Batch 1 works poorly": its test error is more than BS14_POOR_RATIO times that of the
    best other batch size. "Noise regularizes": at a similar fit, the noisiest run generalizes better,
    that is, batch 1's train−test gap is below BS14_REGULARIZES_RATIO times the gap of the other batch size
    whose training accuracy is closest to batch 1's (within BS14_SIMILAR_FIT). A raw comparison with all
    batch sizes would mix noise with fit: a run that fits the training set less has less of a gap to
    show. Holds when both parts show, with a caveat when one does, does not hold when neither does."""
    check_type("sweep", sweep, dict, "a dict label -> History (see experiments.batch_size.noise_runs)")
    runs = {}
    for label, h in sweep.items():
        check_type(f"sweep[{label!r}]", h, History, "a History")
        runs[h.batch_size[-1]] = h
    if 1 not in runs or len(runs) < 3:
        raise ValueError(f"BS14 needs batch size 1 and at least two others; got {sorted(runs)}")
    test = {b: h.final("test_acc") for b, h in sorted(runs.items())}
    train = {b: h.final("train_acc") for b, h in sorted(runs.items())}
    gap = {b: train[b] - test[b] for b in test}
    learned = [b for b in test if b != 1 and train[b] >= BS14_LEARNED]
    unlearned = [b for b in test if train[b] < BS14_LEARNED]
    best = max((b for b in test if b != 1), key=test.get)
    err_ratio = (1 - test[1]) / max(1 - test[best], 1e-9)
    poor = err_ratio > BS14_POOR_RATIO
    numbers = {"test_acc": test, "train_acc": train, "gap": gap, "learned": learned, "best_other": best,
               "err_ratio": err_ratio}
    lead = test[1] - test[best]
    parts = [f"Batch 1 ends at {_pts(test[1])} % test accuracy, {_pts(abs(lead))} points "
             f"{'ahead of' if lead >= 0 else 'behind'} the best other batch size ({best}, {_pts(test[best])} %): "
             f"its test error is {err_ratio:.2f} times that one's."]
    regularizes, margin = False, BS14_POOR_RATIO - err_ratio
    if learned:
        median_gap = statistics.median(gap[b] for b in learned)
        median_fit = statistics.median(train[b] for b in learned)
        numbers.update(median_gap=median_gap, median_fit=median_fit)
        raw = gap[1] / median_gap if median_gap > 0 else float("inf")
        shape = ("about the same as" if 0.8 <= raw <= 1.25 else "larger than" if raw > 1.25 else "smaller than")
        parts.append(f"Its train−test gap, {_pts(gap[1])} points, is {shape} the median of the other batch sizes "
                     f"that learned ({', '.join(map(str, learned))}: {_pts(median_gap)} points), which fit the "
                     f"training set to a median of {_pts(median_fit)} % against batch 1's {_pts(train[1])} %.")
        partner = min(learned, key=lambda b: abs(train[b] - train[1]))
        if abs(train[partner] - train[1]) <= BS14_SIMILAR_FIT and gap[partner] > 0:
            gap_ratio = gap[1] / gap[partner]
            numbers.update(partner=partner, gap_ratio=gap_ratio)
            regularizes = gap_ratio < BS14_REGULARIZES_RATIO
            parts.append(f"At a similar fit, batch {partner} (training accuracy {_pts(train[partner])} %) has a "
                         f"gap of {_pts(gap[partner])} points: batch 1's is {gap_ratio:.2f} times that.")
            margin = min(margin, gap_ratio - BS14_REGULARIZES_RATIO)
        else:
            parts.append("No other batch size reached a similar fit, so the gaps cannot be compared fairly.")
    else:
        parts.append("No other batch size learned enough to compare train−test gaps.")
    if unlearned:
        parts.append(f"Batch size {', '.join(map(str, unlearned))} barely trained (training accuracy "
                     f"{', '.join(_pts(train[b]) + ' %' for b in unlearned)}), so its small gap says nothing.")
    facts = " ".join(parts)
    if poor and regularizes:
        return Verdict("BS14", HOLDS, facts, numbers, margin)
    if not poor and not regularizes:
        if lead < 0:
            fit = f"its test error is less than {BS14_POOR_RATIO:g} times the best"
        elif train[1] >= max(train.values()):
            fit = "it also fits the training set best: its lead comes from taking the most steps"
        else:
            fit = "it takes the most steps per epoch"
        return Verdict("BS14", FAILS, facts + f" Neither half of the claim shows at lr 0.01 and a fixed number of "
                       f"epochs: batch 1 is not poor ({fit}), and at the same fit the noisiest run does not "
                       f"generalize clearly better.", numbers, margin)
    which = ("batch 1 does poorly, but its gap is not clearly smaller at the same fit" if poor
             else "at the same fit batch 1's gap is clearly smaller, but batch 1 does not do poorly")
    return Verdict("BS14", CAVEAT, facts + f" Only one half shows: {which}.", numbers, margin)


def full_scale(results: dict) -> dict:
    """BS1, BS2 and BS3 applied, by the same rules, to the full-scale results files.

    results: ``experiments.batch_size.load_results()``. Returns claim -> Verdict, or claim -> the
    list of run labels whose files are missing.
    """
    check_type("results", results, dict, "a dict label -> results payload (see batch_size.load_results)")
    full = bs.scale("full")
    need = {"BS1": [r.label for r in bs.generalization_runs(full)[:3]],
            "BS2": [SMALL, LARGE, FAST],
            "BS3": [SMALL] + [r.label for r in bs.switching_runs(full)]}
    out = {}
    for claim, labels in need.items():
        missing = [label for label in labels if label not in results]
        out[claim] = missing or {"BS1": bs1, "BS2": bs2, "BS3": bs3}[claim]({k: results[k] for k in labels})
    return out
