"""The batch-normalization rules on made-up measurements: every outcome a rule can return,
and that each is registered with its test and threshold."""
import pytest

from lecturelib import claims
from lecturelib.claims import CAVEAT, FAILS, HOLDS, INCONCLUSIVE
from lecturelib.claims import batchnorm as rules
from lecturelib.train import History


def H(*acc, **values):
    return History(label="x", config={}, values={"test_acc": list(acc), **values})


def test_registered_with_tests_thresholds_and_measures():
    mine = {c: r for c, r in claims.load_all().items() if r.chapter == "batchnorm"}
    assert sorted(mine) == [f"BN{i}" for i in range(1, 9)]
    for claim, r in mine.items():
        assert r.test.startswith(f"test_claim_{claim.lower()}_")
        assert r.threshold is not None and r.measure is not None and r.margin
    assert mine["BN1"].expected_ci == CAVEAT and mine["BN6"].expected_ci == CAVEAT


def _bn1(worst32, std, mean):
    rows = [{"dtype": "float32", **dict.fromkeys(rules.BN1_KEYS, worst32)},
            {"dtype": "float64", **dict.fromkeys(rules.BN1_KEYS, 1e-15)}]
    return {"rows": rows, "moments": {"gamma": [2.0], "beta": [1.0], "std": [std], "mean": [mean]}}


def test_bn1_outcomes():
    assert rules.bn1(_bn1(1e-6, 2.0, 1.0)).outcome == CAVEAT       # gamma is the std: notes swapped
    assert rules.bn1(_bn1(1e-6, 1.0, 2.0)).outcome == HOLDS        # as the notes say
    assert rules.bn1(_bn1(1e-2, 2.0, 1.0)).outcome == FAILS        # not PyTorch's formulas
    v = rules.bn1(_bn1(1e-6, 2.0, 1.0))
    assert v.margin == pytest.approx(1.69897, abs=1e-4)            # log10(5e-5 / 1e-6)


def test_bn2_outcomes():
    def runs(before, after, none):
        return {"BN before ReLU": H(before), "BN after ReLU": H(after), "no BN": H(none)}
    assert rules.bn2(runs(0.85, 0.84, 0.70)).outcome == HOLDS
    assert rules.bn2(runs(0.85, 0.72, 0.70)).outcome == INCONCLUSIVE
    assert rules.bn2(runs(0.85, 0.69, 0.70)).outcome == FAILS


def test_bn3_outcomes():
    ok = {"output_change": 2e-6, "bias_grad": 5e-9, "weight_grad": 0.1}
    assert rules.bn3(ok).outcome == HOLDS
    assert rules.bn3({**ok, "bias_grad": 1e-3}).outcome == FAILS
    assert rules.bn3({**ok, "output_change": 0.3}).outcome == FAILS


def test_bn4_outcomes():
    shapes = [{"units": 4, "gamma": (4,), "beta": (4,)}]
    runs = {k: H(0.1, 0.8, gamma_change=[0, 0.05], beta_change=[0, 0.04]) for k in ("sgd", "adam")}
    assert rules.bn4({"runs": runs, "shapes": shapes}).outcome == HOLDS
    frozen = {**runs, "adam": H(0.1, 0.8, gamma_change=[0, 0.0], beta_change=[0, 0.0])}
    assert rules.bn4({"runs": frozen, "shapes": shapes}).outcome == FAILS
    assert rules.bn4({"runs": runs, "shapes": [{"units": 4, "gamma": (1,), "beta": (4,)}]}).outcome == FAILS
    slow = {**runs, "adam": H(0.1, 0.2, gamma_change=[0, 0.05], beta_change=[0, 0.04])}
    assert rules.bn4({"runs": slow, "shapes": shapes}).outcome == INCONCLUSIVE


def _bn5(flipped, ema_diff=0.0, refused=True):
    case = {"images": 8, "flipped": 0.05, "max_logit_change": 1.0, "acc_eval": 0.8, "acc_train": 0.8}
    return {"gap": {"shuffled": case, "small": {**case, "batch_size": 8},
                    "one_digit": {**case, "flipped": flipped},
                    "batch_of_one": {"torch": "Expected more" if refused else "no error"}},
            "ema": {"beta": 0.9, "ema_diff": ema_diff}}


def test_bn5_outcomes():
    assert rules.bn5(_bn5(0.75)).outcome == HOLDS
    assert rules.bn5(_bn5(0.1)).outcome == FAILS
    assert rules.bn5(_bn5(0.75, ema_diff=0.1)).outcome == FAILS
    assert "not refused" in rules.bn5(_bn5(0.75, refused=False)).sentence


def _bn6(bn_range, beta_frozen):
    class Probe:
        def __init__(self, v):
            self.trace = [{"loss_range": v, "grad_change": v}]
    freeze = {"γ and β trained": H(0.8), "β frozen at 0": H(beta_frozen), "γ frozen at 1": H(0.8),
              "both frozen": H(0.78), "no BN": H(0.5)}
    return {"smooth": {"no BN": (None, Probe(1.0)), "BN": (None, Probe(bn_range))}, "freeze": freeze}


def test_bn6_outcomes():
    assert rules.bn6(_bn6(0.05, 0.80)).outcome == CAVEAT     # smoother, beta does not matter
    assert rules.bn6(_bn6(0.05, 0.60)).outcome == HOLDS      # smoother, and beta matters
    assert rules.bn6(_bn6(0.90, 0.80)).outcome == FAILS      # not smoother


def test_bn7_outcomes():
    def results(lr_gap, deep_gap):
        sweep = {("batch", 2.0): H(0.1 + lr_gap), (None, 2.0): H(0.1), ("batch", 0.1): H(0.8),
                 (None, 0.1): H(0.8)}
        deep = {"10 layers, no BN": (H(0.1), None), "10 layers, BN": (H(0.1 + deep_gap), None)}
        return {"sweep": sweep, "deep": deep}
    assert rules.bn7(results(0.6, 0.3)).outcome == HOLDS
    assert rules.bn7(results(0.6, 0.05)).outcome == CAVEAT
    assert rules.bn7(results(0.05, 0.05)).outcome == FAILS
    assert rules.bn7(results(0.6, 0.3)).numbers["top_lr"] == 2.0


def test_bn8_outcomes():
    def runs(batch_drop, layer_drop):
        return {("batch", 2): H(0.6 - batch_drop), ("batch", 64): H(0.6),
                ("layer", 2): H(0.6 - layer_drop), ("layer", 64): H(0.6)}
    assert rules.bn8(runs(0.2, -0.05)).outcome == HOLDS
    assert rules.bn8(runs(0.1, 0.05)).outcome == INCONCLUSIVE
    assert rules.bn8(runs(0.0, 0.05)).outcome == FAILS
    assert rules.drops(runs(0.2, -0.05)) == pytest.approx({"batch": 0.2, "layer": -0.05})


def test_the_chapter_publishes_every_rule_exactly_once():
    import json
    import re
    from pathlib import Path

    nb = json.loads((Path(__file__).resolve().parents[2] / "book" / "batchnorm.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    published = re.findall(r"claims\.publish\(rules\.(bn\d)\(", code)
    assert sorted(published) == [f"bn{i}" for i in range(1, 9)], published
