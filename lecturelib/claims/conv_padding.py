"""The rules of the convolution-padding chapter: CV1-CV6.

The padding claims are exact statements about sizes and values, so most rules compare
lecturelib's arithmetic with what torch's convolutions return and have no tolerance beyond
float rounding. CV3 perturbs random inputs of a dilated causal stack; CV4 draws random
configurations; both depend on the seed, and the seed sweep
(``python -m lecturelib.claims --chapter conv_padding``) checks them on seeds 0-9.
"""
from __future__ import annotations

import math

from .. import conv
from ..experiments import conv_padding as cp
from . import CAVEAT, FAILS, HOLDS, INCONCLUSIVE, Verdict, rule

CHAPTER = "conv_padding"
# CV3: a perturbation of step t must move some output at or after t by more than SENSITIVITY,
# or the check could not see a leak either. ci, seeds 0-9: the smallest such change 0.0048-0.030.
SENSITIVITY = 1e-4
# CV5: the transposed convolution equals the full-padded flipped convolution up to float32
# rounding: the largest difference must stay below ROUNDING (seeds 0-9: at most 2e-6).
ROUNDING = 1e-4
FORMULA_TRIALS = 500   # CV4: random configurations per seed (about 0.2 s)


def measure_valid(seed: int) -> list[dict]:
    """CV1 (exact, the seed is not used)."""
    return cp.valid_sizes()


def measure_same(seed: int) -> dict:
    """CV2: the seed draws the input and kernels compared with torch's 'same'."""
    return cp.same_splits(seed=seed)


def measure_causal(seed: int) -> dict:
    """CV3 at ci: the perturbation check of ``causal_leak``, the window one output depends on
    (a stack with all-ones kernels and no ReLU, so that no path is zero by chance), and how far
    into the future the same kernel reaches under 'same' padding instead."""
    return causal_results(cp.scale("ci"), seed=seed)


def causal_results(s=None, *, seed: int = 0) -> dict:
    """``causal_leak`` plus the dependence window of output ``t`` = 50 of 64 and how far into
    the future one 'same' layer with the stack's kernel and largest dilation reaches."""
    import torch

    leak = cp.causal_leak(s, seed=seed)
    linear = torch.nn.Sequential(*[conv.CausalConv1d(1, 1, cp.CAUSAL_KERNEL, d, bias=False)
                                   for d in cp.CAUSAL_DILATIONS])
    for layer in linear:
        torch.nn.init.constant_(layer.conv.weight, 1.0)
    used = (conv.input_dependence(linear, 64, 50) > 0).nonzero().flatten()
    d = max(cp.CAUSAL_DILATIONS)
    return {**leak, "t": 50, "first": int(used.min()), "last": int(used.max()),
            "same_future": cp.future_steps(cp.CAUSAL_KERNEL, d, "same"),
            "causal_future": cp.future_steps(cp.CAUSAL_KERNEL, d, "causal"),
            "same_right": conv.padding_for("same", cp.CAUSAL_KERNEL, d)[1], "dilation": d}


def measure_formula(seed: int) -> dict:
    """CV4: ``FORMULA_TRIALS`` random configurations drawn with the seed."""
    return cp.formula_check(FORMULA_TRIALS, seed=seed)


def measure_full(seed: int) -> list[dict]:
    """CV5: the seed draws the inputs and kernels."""
    return cp.full_round_trip(seed=seed)


def measure_border(seed: int) -> dict:
    """CV6 (exact, the seed is not used)."""
    return cp.border_values()


@rule("CV1", chapter=CHAPTER, test="test_claim_cv1_valid_shrinks_by_dilated_kernel_span",
      paraphrase="'valid' means no padding: each layer shrinks the input by d(k − 1).",
      measure=measure_valid, margin="minus the number of lengths where torch, i − d(k − 1) and "
                                    "conv.output_size disagree",
      threshold=0.0)
def cv1(rows: list) -> Verdict:
    """CV1: holds when every length torch returns with ``padding="valid"`` is i - d (k - 1), and
    ``conv.output_size`` says so too."""
    wrong = [r for r in rows if not r["torch"] == r["formula"] == r["library"]]
    numbers = {"checked": len(rows), "wrong": len(wrong)}
    if not rows:
        return Verdict("CV1", INCONCLUSIVE, "No configuration was checked.", numbers, None)
    if wrong:
        r = wrong[0]
        return Verdict("CV1", FAILS, f"{len(wrong)} of {len(rows)} lengths disagree, e.g. k = {r['k']}, "
                       f"d = {r['d']}: torch {r['torch']}, i − d(k − 1) = {r['formula']}, "
                       f"conv.output_size {r['library']}.", numbers, -len(wrong))
    return Verdict("CV1", HOLDS, f"All {len(rows)} lengths torch returned are the input minus "
                   "d(k − 1).", numbers, 0.0)


@rule("CV2", chapter=CHAPTER, test="test_claim_cv2_same_keeps_size_with_asymmetric_padding",
      paraphrase="'same' pads with zeros so the output keeps the input's size (stride 1); for an "
                 "even kernel the padding is asymmetric.",
      measure=measure_same, margin="minus the number of kernels where the split or its values "
                                   "disagree with torch's 'same'",
      threshold=0.0, expected_ci=CAVEAT)
def cv2(results: dict) -> Verdict:
    """CV2: at stride 1 every kernel must keep the length, split an odd total with the extra
    zero on the right, and reproduce torch's ``padding="same"`` (the mirrored split must not,
    when it differs). Holds with a caveat when 'same' then does not keep the size at stride 2."""
    rows, i = results["rows"], results["input_size"]
    bad = [r for r in rows if r["length"] != i or not r["equals_torch"]
           or (r["split"][0] != r["split"][1] and (r["mirror_equals"] or r["split"][1] != r["split"][0] + 1))]
    uneven = [r["k"] for r in rows if r["split"][0] != r["split"][1]]
    numbers = {"bad": len(bad), "uneven": uneven, "strided": results["strided"]}
    if bad:
        return Verdict("CV2", FAILS, f"{len(bad)} of {len(rows)} kernels disagree with torch's "
                       f"'same' (first: k = {bad[0]['k']}).", numbers, -len(bad))
    s_in = sorted(results["strided"])
    text = (f"At stride 1 every kernel keeps the input's length ({i}); for k = "
            f"{', '.join(map(str, uneven))} the split is uneven, with the extra zero on the right, "
            "and only that split reproduces torch's values.")
    if all(results["strided"][n] == n for n in s_in):
        return Verdict("CV2", HOLDS, text, numbers, 0.0)
    refused = "torch refuses 'same' at stride 2; " if results["torch_stride2"] else ""
    return Verdict("CV2", CAVEAT, text + f" But {refused}the same padding at stride 2 gives "
                   f"{results['strided'][s_in[0]]} and {results['strided'][s_in[1]]} outputs for "
                   f"inputs {s_in[0]} and {s_in[1]}: ⌈i/s⌉, not i.", numbers, 0.0)


@rule("CV3", chapter=CHAPTER, test="test_claim_cv3_causal_no_leak",
      paraphrase="'causal' pads only the past side by d(k − 1), so output t depends on inputs "
                 "≤ t (WaveNet, TCN, Keras).",
      measure=measure_causal, margin="the smallest change of an output at or after the perturbed "
                                     "step (must exceed SENSITIVITY; any earlier change fails)",
      threshold=SENSITIVITY)
def cv3(results: dict) -> Verdict:
    """CV3: holds when no output before the perturbed step ever moves, every perturbation moves
    an output within the receptive field after it by more than SENSITIVITY, and output t
    depends on exactly the receptive field's window ending at t."""
    rf, t = results["receptive_field"], results["t"]
    numbers = {k: results[k] for k in ("max_past_change", "min_future_change", "first", "last",
                                        "same_future", "receptive_field")}
    window = results["first"] == t - rf + 1 and results["last"] == t
    text = (f"In {results['trials']} random trials the largest change of an output before the "
            f"perturbed step was {results['max_past_change']:g}; the smallest change after it "
            f"{results['min_future_change']:.2g}. Output {t} depends on inputs {results['first']} "
            f"to {results['last']}, one receptive field ({rf} steps) ending at {t}. A 'same' layer "
            f"with k = {cp.CAUSAL_KERNEL}, d = {results['dilation']} would reach "
            f"{results['same_future']} steps into the future.")
    if results["max_past_change"] > 0 or results["last"] > t:
        return Verdict("CV3", FAILS, text, numbers, -1.0)
    if results["min_future_change"] <= SENSITIVITY or not window:
        return Verdict("CV3", INCONCLUSIVE, text + " The perturbation did not move every output "
                       "it should have, so the check is too weak.", numbers, results["min_future_change"])
    return Verdict("CV3", HOLDS, text, numbers, results["min_future_change"])


@rule("CV4", chapter=CHAPTER, test="test_claim_cv4_formula_agrees_with_torch",
      paraphrase="General output size (Dumoulin & Visin 2016): "
                 "o = ⌊(i + p_left + p_right − d(k − 1) − 1)/s⌋ + 1.",
      measure=measure_formula, margin="minus the number of random configurations where the "
                                      "formula and torch disagree",
      threshold=0.0)
def cv4(results: dict) -> Verdict:
    """CV4: holds when the formula gives torch's size on every random configuration, and
    refuses exactly the configurations torch refuses."""
    n, bad = results["trials"], results["mismatches"]
    numbers = {"trials": n, "mismatches": bad, "refused": results["refused"]}
    if bad:
        cfg, ours, theirs = results["examples"][0]
        return Verdict("CV4", FAILS, f"{bad} of {n} random configurations disagree, e.g. {cfg}: "
                       f"formula {ours}, torch {theirs}.", numbers, -bad)
    return Verdict("CV4", HOLDS, f"On {n} random 1-D and 2-D configurations the formula gives "
                   f"torch's size every time, and refuses the same {results['refused']} that "
                   "torch refuses.", numbers, 0.0)


@rule("CV5", chapter=CHAPTER, test="test_claim_cv5_full_grows_and_transposed_conv_undoes_valid",
      paraphrase="'full' padding (k − 1 on both sides) grows the output; it is what a transposed "
                 "convolution undoes.",
      measure=measure_full, margin="log10 of ROUNDING over the largest difference between the "
                                   "transposed and the full-padded flipped convolution",
      threshold=0.0)
def cv5(rows: list) -> Verdict:
    """CV5: holds when the full-padded size is i + d (k - 1) by formula and by torch, the
    transposed convolution of a valid output returns the input's length, and its values equal
    a full-padded convolution with the flipped kernel up to ROUNDING."""
    worst = max(r["max_diff"] for r in rows)
    sizes_ok = all(r["full"] == r["full_torch"] == r["i"] + r["d"] * (r["k"] - 1) and r["back"] == r["i"]
                   for r in rows)
    numbers = {"max_diff": worst, "sizes_ok": sizes_ok}
    margin = math.log10(ROUNDING / max(worst, 1e-30))
    text = (f"In {len(rows)} configurations full padding grows the length by d(k − 1), the "
            "transposed convolution of the valid output returns the input's length, and it "
            f"equals a full-padded convolution with the flipped kernel to within {worst:.1e}.")
    if not sizes_ok or worst > ROUNDING:
        what = "sizes" if not sizes_ok else "values"
        return Verdict("CV5", FAILS, f"The {what} disagree in {len(rows)} configurations: the "
                       "transposed convolution and the full-padded convolution with the flipped "
                       f"kernel differ by up to {worst:.1e}.", numbers, margin)
    return Verdict("CV5", HOLDS, text + " It undoes the shape, not the values: the transposed "
                   "convolution is the adjoint, not the inverse.", numbers, margin)


@rule("CV6", chapter=CHAPTER, test="test_claim_cv6_padding_modes_differ_only_at_the_border",
      paraphrase="Padding modes (zeros, reflect, replicate, circular) differ at the borders.",
      measure=measure_border, margin="the smallest, over pairs of modes, of their largest "
                                     "difference on the border of the ramp image",
      threshold=0.0)
def cv6(results: dict) -> Verdict:
    """CV6: holds when the four modes agree inside the image and every pair differs somewhere
    on the border."""
    numbers = {"inside": results["inside"], "border": results["border"]}
    corners = ", ".join(f"{m} {v:.2f}" for m, v in results["corner"].items())
    text = (f"Inside the ramp image the four modes differ by at most {results['inside']:g}; on the "
            f"border every pair differs by at least {results['border']:.2f} somewhere. The padded "
            f"top-left corner: {corners}.")
    outcome = HOLDS if results["inside"] == 0 and results["border"] > 0 else FAILS
    return Verdict("CV6", outcome, text, numbers, results["border"])
