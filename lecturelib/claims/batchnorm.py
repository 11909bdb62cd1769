"""The rules of the batch-normalization chapter: claims BN1-BN8.

Each rule takes what the chapter measured (the same structure its ``measure``
returns at ``ci`` for one seed) and returns the ``Verdict`` the page prints and
the claim test checks. The thresholds are module constants; each comment gives
the spread of the margin over seeds 0-9 at ``ci`` (``python -m lecturelib.claims
--seeds 0-9 --chapter batchnorm``), measured before the threshold was chosen.
"""
from __future__ import annotations

import math

from ..experiments import batchnorm as bn
from . import CAVEAT, FAILS, HOLDS, INCONCLUSIVE, Verdict, rule

CHAPTER = "batchnorm"


def _ci():
    return bn.scale("ci")


def _pts(x: float) -> str:
    """A difference of accuracies in percentage points."""
    return f"{100 * x:.1f} points"


def _signed_pts(x: float) -> str:
    return f"{100 * x:+.1f} points"


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _decades(tolerance: float, value: float) -> float:
    """log10(tolerance / value): how many factors of ten ``value`` stays below ``tolerance``."""
    return math.log10(tolerance / max(value, 1e-300))


# --- BN1 --------------------------------------------------------------------------------------

# Rounding bounds for values of order 10 (float32 keeps about 7 digits, float64 about 16); a formula
# error, e.g. the unbiased variance in the forward pass, differs by 1e-2 or more.
# Seeds 0-9: worst difference 2.9e-6..5.7e-6 (float32), at most 2.2e-14 (float64).
TOLERANCE = {"float32": 5e-5, "float64": 1e-12}
# |output std - gamma|, |output mean - beta|: seeds 0-9 at most 1.4e-6; the notes' reading
# (mean = gamma, std = beta) misses by 2 on every seed.
MOMENT_TOLERANCE = 1e-3
BN1_KEYS = ("forward", "grad_x", "grad_gamma", "grad_beta", "running", "eval")


def measure_bn1(seed: int) -> dict:
    return {"rows": bn.equivalence(seed=seed), "moments": bn.affine_moments(seed=seed)}


@rule("BN1", chapter=CHAPTER,
      paraphrase="BN standardizes each unit with the mini-batch mean and standard deviation, then γ and β set "
                 "its output; the notes call γ the mean and β the variance.",
      test="test_claim_bn1_equals_torch_and_gamma_is_the_scale", measure=measure_bn1,
      margin="decades by which the worst difference from torch.nn.BatchNorm stays below 5e-5 (float32) "
             "and 1e-12 (float64)", threshold=0.0, expected_ci=CAVEAT)
def bn1(results: dict) -> Verdict:
    rows, m = results["rows"], results["moments"]
    worst = {dt: max(r[k] for r in rows if r["dtype"] == dt for k in BN1_KEYS) for dt in TOLERANCE}
    margin = min(_decades(TOLERANCE[dt], worst[dt]) for dt in TOLERANCE)
    as_measured = max(max(abs(s - g) for s, g in zip(m["std"], m["gamma"])),
                      max(abs(a - b) for a, b in zip(m["mean"], m["beta"])))
    as_noted = max(max(abs(a - g) for a, g in zip(m["mean"], m["gamma"])),
                   max(abs(s - b) for s, b in zip(m["std"], m["beta"])))
    numbers = {"worst_float32": worst["float32"], "worst_float64": worst["float64"],
               "gamma_is_std_err": as_measured, "notes_err": as_noted}
    same = (f"Our BatchNorm equals PyTorch's to {worst['float32']:.1e} in float32 and "
            f"{worst['float64']:.1e} in float64 (outputs, gradients, running statistics, evaluation mode)")
    if margin <= 0:
        return Verdict("BN1", FAILS, f"{same}: more than rounding, so the formulas are not PyTorch's.",
                       numbers, margin)
    if as_noted < MOMENT_TOLERANCE:
        return Verdict("BN1", HOLDS, f"{same}, and γ sets the output's mean and β its spread, as the notes say.",
                       numbers, margin)
    if as_measured < MOMENT_TOLERANCE:
        return Verdict("BN1", CAVEAT,
                       f"{same}, so the normalization is the one described. The roles are the reverse of "
                       f"the notes': each unit's output has standard deviation γ and mean β (largest "
                       f"deviation {as_measured:.1e}), so γ is the scale and β the shift.", numbers, margin)
    return Verdict("BN1", FAILS, f"{same}, but the output's moments match neither γ and β nor the notes' reading "
                                 f"(deviations {as_measured:.2g} and {as_noted:.2g}).", numbers, margin)


# --- BN2 --------------------------------------------------------------------------------------

# min(before, after) - no BN in test accuracy at lr 0.1; seeds 0-9: 0.114-0.262 (no BN 0.56-0.72,
# before 0.82-0.86, after 0.83-0.87). before - after: -0.044 to +0.004, so no winner is named.
BN2_GAP = 0.05


def measure_bn2(seed: int) -> dict:
    return bn.placement_runs(_ci(), seed=seed)


@rule("BN2", chapter=CHAPTER,
      paraphrase="BN goes after the linear map and before the nonlinearity; after the activation is a common "
                 "alternative.",
      test="test_claim_bn2_both_placements_beat_no_bn", measure=measure_bn2,
      margin="test accuracy of the worse BN placement minus that of no BN", threshold=BN2_GAP)
def bn2(runs: dict) -> Verdict:
    acc = {k: h.final("test_acc") for k, h in runs.items()}
    before, after, none = acc["BN before ReLU"], acc["BN after ReLU"], acc["no BN"]
    gap = min(before, after) - none
    numbers = {"before": before, "after": after, "no_bn": none, "gap": gap}
    said = (f"BN before the ReLU reaches {_pct(before)} test accuracy, after it {_pct(after)}, "
            f"no BN {_pct(none)}")
    if gap > BN2_GAP:
        return Verdict("BN2", HOLDS,
                       f"{said}: both placements train and both beat the plain network by at least "
                       f"{_pts(gap)}. They end {_pts(abs(before - after))} apart; the claim names no winner "
                       f"and neither does this page.", numbers, gap)
    if gap <= 0:
        return Verdict("BN2", FAILS, f"{said}: a placement is no better than no BN at all.", numbers, gap)
    return Verdict("BN2", INCONCLUSIVE, f"{said}: both are ahead of no BN, but by less than "
                                        f"{_pts(BN2_GAP)}.", numbers, gap)


# --- BN3 --------------------------------------------------------------------------------------

BN3_OUTPUT = 1e-4      # largest logit change after biases ~ N(0, 5^2); seeds 0-9: 1.7e-6..2.8e-6
BN3_GRAD_RATIO = 1e-5  # largest bias gradient / largest weight gradient; seeds 0-9: 3.1e-8..1.1e-7


def measure_bn3(seed: int) -> dict:
    return bn.bias_invariance(_ci(), seed=seed)


@rule("BN3", chapter=CHAPTER,
      paraphrase="With BN the linear layer's bias is redundant (the mean subtraction cancels it); β takes its role.",
      test="test_claim_bn3_bias_redundant", measure=measure_bn3,
      margin="decades by which the logit change stays below 1e-4 and the bias/weight gradient ratio below 1e-5",
      threshold=0.0)
def bn3(out: dict) -> Verdict:
    ratio = out["bias_grad"] / out["weight_grad"]
    margin = min(_decades(BN3_OUTPUT, out["output_change"]), _decades(BN3_GRAD_RATIO, ratio))
    numbers = {**out, "grad_ratio": ratio}
    said = (f"After giving every hidden Linear a bias drawn from N(0, 5²), the logits change by at most "
            f"{out['output_change']:.1e} and the largest bias gradient is {out['bias_grad']:.1e}, "
            f"{1 / max(ratio, 1e-300):.1e} times smaller than the largest weight gradient")
    if margin > 0:
        return Verdict("BN3", HOLDS, f"{said}: float32 rounding, not a signal. The bias can go.", numbers, margin)
    return Verdict("BN3", FAILS, f"{said}: more than rounding, so the bias still acts.", numbers, margin)


# --- BN4 --------------------------------------------------------------------------------------

BN4_GAIN = 0.3          # gain over the untrained network, worst optimizer (Adam); seeds 0-9: 0.594-0.710
BN4_MIN_CHANGE = 1e-3   # gamma and beta must move at least this far; seeds 0-9: 0.030 (Adam) and more


def measure_bn4(seed: int) -> dict:
    s = _ci()
    return {"runs": bn.optimizer_runs(s, seed=seed),
            "shapes": bn.affine_shapes(bn.build_model(s, norm="batch", seed=seed))}


@rule("BN4", chapter=CHAPTER,
      paraphrase="γ and β have one entry per unit; they are trained like any weight, by GD, momentum, RMSProp or "
                 "Adam.",
      test="test_claim_bn4_gamma_beta_per_unit_and_any_optimizer", measure=measure_bn4,
      margin="smallest test-accuracy gain over the untrained network among the four optimizers",
      threshold=BN4_GAIN)
def bn4(results: dict) -> Verdict:
    runs, shapes = results["runs"], results["shapes"]
    per_unit = all(s["gamma"] == (s["units"],) == s["beta"] for s in shapes) and bool(shapes)
    gain = {k: h.final("test_acc") - h["test_acc"][0] for k, h in runs.items()}
    moved = {k: min(h.final("gamma_change"), h.final("beta_change")) for k, h in runs.items()}
    margin = min(gain.values())
    numbers = {"per_unit": per_unit, "gain": gain, "moved": moved,
               "acc": {k: h.final("test_acc") for k, h in runs.items()}}
    still = [k for k, v in moved.items() if v < BN4_MIN_CHANGE]
    if not per_unit:
        return Verdict("BN4", FAILS, f"γ and β do not have one entry per unit: {shapes}.", numbers, margin)
    if still:
        return Verdict("BN4", FAILS, f"γ or β did not move under {', '.join(still)} (they moved by at most "
                                     f"{max(moved[k] for k in still):.1e}).", numbers, margin)
    worst = min(gain, key=gain.get)
    said = (f"Every BN layer has one γ and one β per unit ({', '.join(str(s['units']) for s in shapes)} units). "
            f"Under each of {', '.join(runs)} both move from where they started (by at least "
            f"{min(moved.values()):.2f}) and the network learns: the smallest gain in test accuracy is "
            f"{_pts(gain[worst])} ({worst})")
    if margin > BN4_GAIN:
        return Verdict("BN4", HOLDS, f"{said}.", numbers, margin)
    return Verdict("BN4", INCONCLUSIVE, f"{said}, less than {_pts(BN4_GAIN)}.", numbers, margin)


# --- BN5 --------------------------------------------------------------------------------------

# Mean share of predictions that flip on one-digit batches; seeds 0-9: 0.709-0.806 (shuffled batch
# of 256: 0.035-0.086; batches of 8: 0.19-0.25; one-digit accuracy 0.81-0.85 -> 0.12-0.17).
BN5_FLIPPED = 0.3
BN5_EMA = 1e-5       # running mean against the hand-computed EMA with beta = 1 - momentum (exact in practice)


def measure_bn5(seed: int) -> dict:
    s = _ci()
    model = bn.build_model(s, norm="batch", seed=seed)
    bn.train(model, s, lr=0.1, seed=seed)
    return {"gap": bn.eval_train_gap(model, s, seed=seed), "ema": bn.running_average(seed=seed)}


@rule("BN5", chapter=CHAPTER,
      paraphrase="Training uses mini-batch statistics and testing the running estimates, so forgetting "
                 "`model.eval()` changes the predictions.",
      test="test_claim_bn5_forgetting_eval_flips_predictions", measure=measure_bn5,
      margin="share of predictions that flip between modes on one-digit batches (mean over the ten digits)",
      threshold=BN5_FLIPPED)
def bn5(results: dict) -> Verdict:
    gap, ema = results["gap"], results["ema"]
    one, mixed, small = gap["one_digit"], gap["shuffled"], gap["small"]
    refused = all(v != "no error" for v in gap["batch_of_one"].values())
    margin = one["flipped"]
    numbers = {"one_digit_flipped": one["flipped"], "shuffled_flipped": mixed["flipped"],
               "small_flipped": small["flipped"], "one_digit_acc_eval": one["acc_eval"],
               "one_digit_acc_train": one["acc_train"], "max_logit_change": one["max_logit_change"],
               "ema_diff": ema["ema_diff"], "batch_of_one_refused": refused}
    ema_said = (f"The running mean is the exponentially weighted average with β = 1 − momentum = "
                f"{ema['beta']:g} (largest difference from the average computed by hand: {ema['ema_diff']:.1e})")
    if ema["ema_diff"] > BN5_EMA:
        return Verdict("BN5", FAILS, f"The running mean is not the EMA with β = 1 − momentum (difference "
                                     f"{ema['ema_diff']:.1e}).", numbers, margin)
    said = (f"Run in training mode instead of evaluation mode, the same trained network changes "
            f"{_pct(mixed['flipped'])} of its predictions on a shuffled batch of {mixed['images']} test images, "
            f"{_pct(small['flipped'])} when the test set comes in batches of {small['batch_size']}, "
            f"and {_pct(one['flipped'])} when each batch holds one digit only (mean over the ten digits; "
            f"accuracy there falls from {_pct(one['acc_eval'])} to {_pct(one['acc_train'])}, and a logit moves "
            f"by up to {one['max_logit_change']:.1f})")
    tail = (". " + ema_said + "; " + ("a single image in training mode is refused by both PyTorch and our layer."
                                      if refused else "a single image in training mode is not refused."))
    if one["flipped"] > BN5_FLIPPED:
        return Verdict("BN5", HOLDS, said + ": how much depends on how far the batch's statistics are from the "
                                            "running ones" + tail, numbers, margin)
    return Verdict("BN5", FAILS, said + ": too few to matter" + tail, numbers, margin)


# --- BN6 --------------------------------------------------------------------------------------

# At lr 0.5 (bn.HIGH_LR), means over the run's measurements; seeds 0-9 at ci: loss-range ratio
# BN / no BN 0.006-0.028, gradient-change ratio 0.022-0.051. (At lr 0.1 the ratios were 0.26-0.85
# and 0.32-0.75: the same direction, too noisy at ci for a test.)
BN6_LOSS_RANGE = 0.5     # loss range BN / no BN must stay below this
BN6_GRAD_CHANGE = 0.5    # gradient change BN / no BN must stay below this
# Accuracy cost of freezing beta at 0 for the notes' claim to hold; seeds 0-9: -0.018..+0.006.
BN6_BETA_COST = 0.05
# Both gamma and beta frozen against no BN, for the sentence only; seeds 0-9: +0.094..+0.518.
BN6_NORMALIZE = 0.05


def measure_bn6(seed: int) -> dict:
    s = _ci()
    return {"smooth": bn.smoothness_runs(s, seed=seed), "freeze": bn.freeze_runs(s, seed=seed)}


def smoothness_means(smooth: dict) -> dict:
    """label -> (mean loss range, mean gradient change) over the run's Smoothness trace."""
    out = {}
    for label, (_, probe) in smooth.items():
        n = len(probe.trace)
        out[label] = (sum(t["loss_range"] for t in probe.trace) / n, sum(t["grad_change"] for t in probe.trace) / n)
    return out


@rule("BN6", chapter=CHAPTER,
      paraphrase="BN works because it smooths the loss landscape (Santurkar et al.), not by reducing internal "
                 "covariate shift; the notes credit its added bias β, the \"secret sauce\".",
      test="test_claim_bn6_smoother_but_beta_is_not_the_sauce", measure=measure_bn6,
      margin="distance into the expected case: the smaller of (0.5 − loss-range ratio), (0.5 − gradient-change "
             "ratio) and (0.05 − the accuracy cost of freezing β)", threshold=0.0, expected_ci=CAVEAT)
def bn6(results: dict) -> Verdict:
    means = smoothness_means(results["smooth"])
    acc = {k: h.final("test_acc") for k, h in results["freeze"].items()}
    loss_ratio = means["BN"][0] / means["no BN"][0]
    grad_ratio = means["BN"][1] / means["no BN"][1]
    beta_cost = acc["γ and β trained"] - acc["β frozen at 0"]
    normalize_gain = acc["both frozen"] - acc["no BN"]
    smoother = loss_ratio < BN6_LOSS_RANGE and grad_ratio < BN6_GRAD_CHANGE
    sauce = beta_cost > BN6_BETA_COST
    margin = min(BN6_LOSS_RANGE - loss_ratio, BN6_GRAD_CHANGE - grad_ratio, BN6_BETA_COST - beta_cost)
    numbers = {"loss_ratio": loss_ratio, "grad_ratio": grad_ratio, "beta_cost": beta_cost,
               "normalize_gain": normalize_gain, "means": means, "acc": acc}
    smooth_said = (f"With BN the loss varies {loss_ratio:.2f} times as much along the optimizer's step as without, "
                   f"and the gradient changes {grad_ratio:.2f} times as much")
    beta_said = (f"freezing β at 0 changes the test accuracy by {_signed_pts(-beta_cost)}, and BN with neither γ "
                 f"nor β trained ends {_signed_pts(normalize_gain)} against no BN")
    if not smoother:
        return Verdict("BN6", FAILS, f"{smooth_said}: not a clearly smoother path at this size; {beta_said}.",
                       numbers, margin)
    if sauce:
        return Verdict("BN6", HOLDS, f"{smooth_said}: a smoother path. And β matters: {beta_said}.", numbers, margin)
    lead = ("the normalization does the work, not the bias" if normalize_gain > BN6_NORMALIZE else
            "standardization alone (γ and β both frozen) is not clearly ahead of no BN at this size")
    return Verdict("BN6", CAVEAT, f"The smoothing holds: {smooth_said.lower()[0]}{smooth_said[1:]}. The \"secret "
                                  f"sauce\" does not: {beta_said}; {lead}.", numbers, margin)


# --- BN7 --------------------------------------------------------------------------------------

# The smaller of BN's lead at the largest lr (seeds 0-9: 0.616-0.768) and in the deep MLP
# (0.264-0.412, the plain deep MLP at 0.09-0.13, chance).
BN7_GAP = 0.15


def measure_bn7(seed: int) -> dict:
    s = _ci()
    return {"sweep": bn.lr_sweep(s, seed=seed), "deep": bn.depth_runs(s, seed=seed)}


@rule("BN7", chapter=CHAPTER,
      paraphrase="BN speeds up training and tolerates higher learning rates and deeper networks.",
      test="test_claim_bn7_high_lr_and_depth", measure=measure_bn7,
      margin="the smaller of BN's test-accuracy lead at the largest learning rate and in the deep MLP",
      threshold=BN7_GAP)
def bn7(results: dict) -> Verdict:
    sweep, deep = results["sweep"], results["deep"]
    top = max(lr for _, lr in sweep)
    lr_gap = sweep[("batch", top)].final("test_acc") - sweep[(None, top)].final("test_acc")
    plain = next(h for k, (h, _) in deep.items() if k.endswith("no BN")).final("test_acc")
    with_bn = next(h for k, (h, _) in deep.items() if k.endswith(", BN")).final("test_acc")
    deep_gap = with_bn - plain
    depth = next(iter(deep)).split()[0]
    margin = min(lr_gap, deep_gap)
    numbers = {"top_lr": top, "lr_gap": lr_gap, "bn_top": sweep[("batch", top)].final("test_acc"),
               "plain_top": sweep[(None, top)].final("test_acc"), "deep_plain": plain, "deep_bn": with_bn,
               "deep_gap": deep_gap}
    said = (f"At lr {top:g} BN reaches {_pct(numbers['bn_top'])} test accuracy and the plain network "
            f"{_pct(numbers['plain_top'])}; with {depth} hidden layers BN reaches {_pct(with_bn)} and the plain "
            f"network {_pct(plain)} after the same steps")
    if margin > BN7_GAP:
        return Verdict("BN7", HOLDS, f"{said}.", numbers, margin)
    if max(lr_gap, deep_gap) > BN7_GAP:
        which = "the high learning rate" if lr_gap > BN7_GAP else "depth"
        return Verdict("BN7", CAVEAT, f"{said}: BN's lead is clear only for {which}.", numbers, margin)
    return Verdict("BN7", FAILS, f"{said}: BN is not clearly ahead in either.", numbers, margin)


# --- BN8 --------------------------------------------------------------------------------------

NORM_NAMES = {"batch": "BatchNorm", "layer": "LayerNorm", "instance": "InstanceNorm", "group": "GroupNorm"}
# BN's accuracy drop from batch 64 to 2 minus the larger of LayerNorm's and GroupNorm's; seeds 0-9:
# 0.188-0.434 (BN drops 0.12-0.33; LayerNorm -0.16..0.00 and GroupNorm -0.13..-0.04, they gain).
BN8_MARGIN = 0.1


def measure_bn8(seed: int) -> dict:
    return bn.norm_batch_runs(_ci(), seed=seed)


def drops(runs: dict, small: int = 2, large: int = 64) -> dict:
    """norm -> test accuracy at batch ``large`` minus at batch ``small``."""
    norms = sorted({n for n, _ in runs}, key=("batch", "layer", "instance", "group").index)
    return {n: runs[(n, large)].final("test_acc") - runs[(n, small)].final("test_acc") for n in norms}


@rule("BN8", chapter=CHAPTER,
      paraphrase="BN depends on the batch, so tiny batches hurt it; LayerNorm, InstanceNorm and GroupNorm "
                 "normalize each sample on its own.",
      test="test_claim_bn8_small_batch_hurts_batchnorm", measure=measure_bn8,
      margin="BN's test-accuracy drop from batch 64 to 2 minus the larger drop of the other norms",
      threshold=BN8_MARGIN)
def bn8(runs: dict) -> Verdict:
    drop = drops(runs)
    others = {n: d for n, d in drop.items() if n != "batch"}
    worst_other = max(others, key=others.get)
    margin = drop["batch"] - others[worst_other]
    numbers = {"drops": drop, "margin": margin}
    said = (f"From batch size 64 to 2, on the same images, BatchNorm's test accuracy changes by "
            f"{_signed_pts(-drop['batch'])}; "
            + ", ".join(f"{NORM_NAMES[n]}'s by {_signed_pts(-d)}" for n, d in others.items()))
    if margin > BN8_MARGIN:
        return Verdict("BN8", HOLDS, f"{said}. Only BN's statistics come from the batch, and two samples make "
                                     f"poor statistics.", numbers, margin)
    if margin <= 0:
        return Verdict("BN8", FAILS, f"{said}: BN loses no more than the norms that ignore the batch.",
                       numbers, margin)
    return Verdict("BN8", INCONCLUSIVE, f"{said}: BN loses more, but by less than {_pts(BN8_MARGIN)}.",
                   numbers, margin)
