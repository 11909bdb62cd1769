"""The rules of lr_scaling and conv_padding on made-up measurements: every outcome is reachable,
and bad input is refused. (The claim tests run the same rules on real measurements.)"""
import numpy as np
import pytest

from lecturelib import claims
from lecturelib.claims import CAVEAT, FAILS, HOLDS, INCONCLUSIVE
from lecturelib.claims import conv_padding as C
from lecturelib.claims import lr_scaling as R
from lecturelib.experiments import lr_scaling as L
from lecturelib.train import History

S = L.scale("quick")            # batch sizes 16 ... 4096, 1 epoch of 60,000: 16-256 unstarved
LRS = tuple(0.0125 * 2 ** j for j in range(8))


def ridge_grid(alpha, *, optimizer="sgd", peak=256, noise=0.0, seed=0):
    """A made-up grid whose best lr grows like B**alpha up to ``peak`` and then stays put."""
    x = np.log2(LRS)
    rng = np.random.default_rng(seed)
    rows = []
    for b in S.batch_sizes:
        centre = np.log2(0.02) + alpha * np.log2(min(b, peak) / 16)
        rows.append(0.95 - 0.02 * (x - centre) ** 2 + rng.normal(0, noise, len(x)))
    acc = np.array(rows)
    return L.Grid(optimizer, optimizer == "sgd", tuple(S.batch_sizes), LRS, acc, np.ones_like(acc))


@pytest.mark.parametrize("alpha, outcome", [(1.0, HOLDS), (0.5, FAILS), (0.05, FAILS)])
def test_lr1_outcome_follows_the_exponent(alpha, outcome):
    v = R.lr1({"scale": S, "sgd": ridge_grid(alpha)})
    assert v.outcome == outcome, v.text
    assert v.claim == "LR1" and "B = 4096" in v.sentence


def centred_grid(centres, lrs, s=S):
    """A made-up SGD grid whose row for batch size b peaks at lr ``centres[b]``."""
    x = np.log2(lrs)
    acc = np.array([0.95 - 0.02 * (x - np.log2(centres[b])) ** 2 for b in s.batch_sizes])
    return L.Grid("sgd", True, tuple(s.batch_sizes), tuple(lrs), acc, np.ones_like(acc))


def test_lr1_reads_the_limit_at_the_largest_batch():
    wide = tuple(0.0125 * 2 ** j for j in range(12))              # up to 25.6
    linear = {b: 0.02 * b / 16 for b in S.batch_sizes}             # the linear rule all the way to 4096
    v = R.lr1({"scale": S, "sgd": centred_grid(linear, wide)})
    assert v.outcome == CAVEAT and v.numbers["limit"] == "keeps up" and v.margin < 0, v.text
    assert "does not show" in v.sentence
    broken = {**linear, 1024: 0.1, 4096: 0.05}                     # 51 and 102 times below the rule's rate
    v = R.lr1({"scale": S, "sgd": centred_grid(broken, wide)})
    assert v.outcome == HOLDS and v.numbers["limit"] == "breaks", v.text
    assert v.numbers["linear_over_best"] == pytest.approx(5.12 / 0.05, rel=0.01) and v.numbers["break_limit"] == 4
    # The grid stops at 1.6: a best lr at its top edge may lie beyond it, so no break can be read.
    short = centred_grid({b: 0.05 * b / 16 for b in S.batch_sizes}, LRS)
    v = R.lr1({"scale": S, "sgd": short})
    assert v.outcome == INCONCLUSIVE and v.numbers["limit"] == "unknown" and "cannot show" in v.sentence, v.text


def test_ci_grid_reaches_the_linear_rules_rate_at_the_largest_batch():
    # Even from the grid's second-lowest lr at B = 16 the linear rule's rate at B = 1024 lies inside
    # the grid, so LR1 at ci can see the rule keep up as well as break (seeds 0-9: B = 16's best
    # 0.05-0.096, the rule's rate at 1024 3.2-6.1).
    ci = L.scale("ci")
    assert ci.sgd_lrs[1] * max(ci.batch_sizes) / min(ci.batch_sizes) <= max(ci.sgd_lrs)
    ramp = {16: 0.1, 64: 0.2, 256: 0.3, 1024: 0.15}                # the ci shape: peak at 256, then down
    v = R.lr1({"scale": ci, "sgd": centred_grid(ramp, ci.sgd_lrs, ci)})
    assert v.outcome == INCONCLUSIVE and v.numbers["limit"] == "breaks", v.text
    assert v.numbers["break_limit"] == pytest.approx(64 ** 0.25)


def test_lr1_and_lr2_are_inconclusive_when_the_grid_is_too_noisy_or_too_short():
    noisy = ridge_grid(0.75, noise=0.0)
    assert R.lr1({"scale": S, "sgd": noisy}).outcome == INCONCLUSIVE
    ci = L.scale("ci")
    x = np.log2(ci.sgd_lrs)
    acc = np.array([0.9 - 0.02 * (x - np.log2(0.1) - 0.7 * np.log2(b / 16)) ** 2 for b in ci.batch_sizes])
    short = L.Grid("sgd", True, ci.batch_sizes, ci.sgd_lrs, acc, np.ones_like(acc))
    e = R.exponent({"scale": ci, "sgd": short}, "sgd")
    assert e["fitted"] == [16, 64] and e["starved"] == [256, 1024]


@pytest.mark.parametrize("alpha, outcome", [(0.5, HOLDS), (1.0, FAILS), (0.0, FAILS), (0.1, FAILS)])
def test_lr2_outcome_follows_the_exponent(alpha, outcome):
    v = R.lr2({"scale": S, "adam": ridge_grid(alpha, optimizer="adam")})
    assert v.outcome == outcome, v.text


def test_lr3_outcomes():
    g = ridge_grid(1.0)
    g.acc[3:] -= 0.10                     # B >= 1024 lose 10 points even when tuned
    assert R.lr3({"scale": S, "sgd": g, "crit": {"B_crit": 300.0}}).outcome == CAVEAT
    assert R.lr3({"scale": S, "sgd": ridge_grid(1.0), "crit": {"B_crit": 300.0}}).outcome == HOLDS
    g.acc[1] -= 0.05                      # B = 64 loses 5 points below B_crit
    v = R.lr3({"scale": S, "sgd": g, "crit": {"B_crit": 300.0}})
    assert v.outcome == FAILS and v.margin < 0


def _ridge_results(steps):
    runs = {b: L.TargetRun(b, 0.1, st, 0.01 * b) for b, st in steps.items()}
    return {"steps": steps, "crit": L.critical_batch(steps), "power": L.power_law(steps),
            "noise": {"noise_scale": 200.0}, "runs": {0: runs}}


def test_bs12_outcomes():
    sizes = (16, 32, 64, 128, 256, 512, 1024)
    knee = {b: 30 * (1 + 100 / b) for b in sizes}
    v = R.bs12(_ridge_results(knee))
    assert v.outcome == HOLDS and v.margin > 0 and "B_crit ≈ 100" in v.sentence
    power = {b: 400 * b ** -0.5 for b in sizes}
    assert R.bs12(_ridge_results(power)).outcome == FAILS
    far = {b: 30 * (1 + 5000 / b) * (1 + 0.01 * (-1) ** i) for i, b in enumerate(sizes)}
    assert R.bs12(_ridge_results(far)).outcome == CAVEAT
    few = {16: 100, 32: 60, 64: None}
    assert R.bs12(_ridge_results(few)).outcome == INCONCLUSIVE


def _sched(dec_dist, grow_dist, dec_acc=0.9, grow_acc=0.9):
    def h(steps, dist, acc):
        out = History("x", {}, epoch=[0, 1], steps=steps)
        for d in (1.0, dist):
            out.record({"dist": d, "gap": 0.0, "test_acc": acc})
        return out
    return {"decaying lr": h([0, 200], dec_dist, dec_acc), "growing batch": h([0, 100], grow_dist, grow_acc)}


def test_bs13_outcomes():
    ball = {4: {"dist": 4.0}, 16: {"dist": 1.0}, 64: {"dist": 0.2}}
    assert R.bs13({"ball": ball, "sched": _sched(0.1, 0.11)}).outcome == HOLDS
    assert R.bs13({"ball": ball, "sched": _sched(0.1, 0.2)}).outcome == CAVEAT
    assert R.bs13({"ball": ball, "sched": _sched(0.1, 0.1, grow_acc=0.85)}).outcome == FAILS
    bumpy = {**ball, 256: {"dist": 0.5}}
    assert R.bs13({"ball": bumpy, "sched": _sched(0.1, 0.1)}).outcome == FAILS


def test_lr_rules_refuse_the_wrong_results():
    with pytest.raises(TypeError, match="results must be the dict of ridge_results"):
        R.lr1([1, 2])
    with pytest.raises(ValueError, match=r"results lacks \['sgd'\]"):
        R.lr1({"scale": S})
    with pytest.raises(ValueError, match="convex_results"):
        R.bs13({"ball": {}})


def test_every_rule_of_both_chapters_is_registered_with_its_test():
    rules = claims.load_all()
    for claim in ("LR1", "LR2", "LR3", "BS12", "BS13", "CV1", "CV2", "CV3", "CV4", "CV5", "CV6"):
        assert rules[claim].test.startswith(f"test_claim_{claim.lower()}_"), claim
        assert rules[claim].chapter in ("lr_scaling", "conv_padding")


def test_conv_rules_fail_when_torch_disagrees():
    rows = [{"k": 3, "d": 1, "torch": 26, "formula": 26, "library": 26},
            {"k": 5, "d": 2, "torch": 20, "formula": 20, "library": 21}]
    assert C.cv1(rows).outcome == FAILS and C.cv1(rows[:1]).outcome == HOLDS
    assert C.cv1([]).outcome == INCONCLUSIVE
    same = {"input_size": 12, "torch_stride2": "refused", "strided": {12: 6, 13: 7},
            "rows": [{"k": 4, "split": (1, 2), "length": 12, "equals_torch": True, "mirror_equals": False}]}
    assert C.cv2(same).outcome == CAVEAT
    same["rows"][0]["mirror_equals"] = True
    assert C.cv2(same).outcome == FAILS
    leak = {"trials": 5, "max_past_change": 0.0, "min_future_change": 0.01, "receptive_field": 16,
            "t": 50, "first": 35, "last": 50, "same_future": 4, "same_right": 4, "dilation": 8}
    assert C.cv3(leak).outcome == HOLDS
    assert C.cv3({**leak, "max_past_change": 1e-7}).outcome == FAILS
    assert C.cv3({**leak, "min_future_change": 0.0}).outcome == INCONCLUSIVE
    assert C.cv4({"trials": 10, "mismatches": 0, "refused": 2, "examples": []}).outcome == HOLDS
    assert C.cv4({"trials": 10, "mismatches": 1, "refused": 2, "examples": [({}, 3, 4)]}).outcome == FAILS
    full = [{"i": 10, "k": 3, "d": 1, "full": 12, "full_torch": 12, "valid": 8, "back": 10, "max_diff": 1e-7}]
    assert C.cv5(full).outcome == HOLDS
    assert C.cv5([{**full[0], "max_diff": 0.1}]).outcome == FAILS
    assert C.cv6({"inside": 0.0, "border": 0.5, "corner": {"zeros": 0.0}}).outcome == HOLDS
    assert C.cv6({"inside": 0.1, "border": 0.5, "corner": {"zeros": 0.0}}).outcome == FAILS
