"""The batch-size chapter's rules on made-up numbers: every outcome, and the bad inputs.

The claim tests (tests/claims/test_claims_batch_size.py) run the same rules on measured runs; here
each branch of each rule is reached on purpose, so a rule that could never return an outcome shows.
"""
import json

import pytest

from lecturelib.claims import CAVEAT, FAILS, HOLDS, INCONCLUSIVE
from lecturelib.claims import batch_size as rules
from lecturelib.experiments import batch_size as bs
from lecturelib.train import History

E = 8


def study(a64=0.90, a256=0.85, a1024=0.70, a1024_fast=0.88, switches=(0.90, 0.90, 0.89), control=0.80,
          train_drop=0.1):
    acc = {"BS 64, lr 0.01": a64, "BS 256, lr 0.01": a256, "BS 1024, lr 0.01": a1024, "BS 1024, lr 0.1": a1024_fast,
           f"1024 ×1 → 64 ×{E}": switches[0], f"1024 ×{E} → 64 ×{E}": switches[1],
           f"1024 ×{E} → lr ×10 ×{E}": switches[2], f"control: 1024 ×{2 * E}": control}
    out = {k: {"test_acc": v, "train_acc": v + 0.05} for k, v in acc.items()}
    out["BS 1024, lr 0.01"]["train_acc"] = out["BS 64, lr 0.01"]["train_acc"] - train_drop
    return out


def test_bs1_outcomes():
    assert rules.bs1(study()).outcome == HOLDS
    assert rules.bs1(study()).margin == pytest.approx(0.2)
    assert rules.bs1(study(a256=0.95)).outcome == CAVEAT
    assert rules.bs1(study(train_drop=-0.01)).outcome == CAVEAT
    assert rules.bs1(study(a1024=0.895, a256=0.897)).outcome == FAILS


def test_bs2_outcomes():
    assert rules.bs2(study(a1024_fast=0.898)).outcome == HOLDS
    v = rules.bs2(study(a1024_fast=0.88))           # 0.02 remain of 0.20 lost: 90 % closed
    assert v.outcome == CAVEAT and v.numbers["closed"] == pytest.approx(0.9)
    assert v.margin == pytest.approx(min(0.02 - 0.005, 0.05 - 0.02))
    assert rules.bs2(study(a1024_fast=0.80)).outcome == FAILS
    assert rules.bs2(study(a1024=0.899)).outcome == INCONCLUSIVE


def test_bs3_outcomes():
    v = rules.bs3(study())
    assert v.outcome == HOLDS and v.margin == pytest.approx(0.9)
    assert rules.bs3(study(switches=(0.90, 0.82, 0.90))).outcome == FAILS
    assert rules.bs3(study(control=0.899)).outcome == CAVEAT
    assert "ends 1.0 points above it" in rules.bs3(study(control=0.91)).sentence


def test_rules_read_histories_and_results_files_alike():
    h = History("x", {}, epoch=[0, 1], values={"test_acc": [0.1, 0.9], "train_acc": [0.1, 0.95]})
    assert rules.finals({"a": h}) == {"a": {"test_acc": 0.9, "train_acc": 0.95}}
    payload = {"summary": {"test_acc": 0.9, "train_acc": 0.95, "dist_w": 1.0}}
    assert rules.finals({"a": payload}) == {"a": {"test_acc": 0.9, "train_acc": 0.95}}


def test_rules_bad_input():
    with pytest.raises(TypeError, match="runs must be a dict"):
        rules.bs1([0.9])
    with pytest.raises(TypeError, match=r"runs\['a'\] must be a History"):
        rules.bs1({"a": 0.9})
    with pytest.raises(ValueError, match="BS1 needs the runs"):
        rules.bs1({"BS 64, lr 0.01": {"test_acc": 0.9, "train_acc": 0.9}})
    without_control = {k: v for k, v in study().items() if not k.startswith("control")}
    with pytest.raises(ValueError, match="three switching runs and the control"):
        rules.bs3(without_control)


def sweep(test, train):
    """A BS14 sweep: batch size -> (test, train) final accuracies."""
    return {f"BS {b}, lr 0.01": History(f"BS {b}", {}, epoch=[0, 1], batch_size=[None, b],
                                        values={"test_acc": [0.1, test[b]], "train_acc": [0.1, train[b]]})
            for b in test}


def test_bs14_outcomes():
    flat = sweep({1: 0.86, 4: 0.84, 64: 0.70, 1024: 0.14}, {1: 0.97, 4: 0.96, 64: 0.82, 1024: 0.14})
    v = rules.bs14(flat)
    assert v.outcome == FAILS and v.numbers["learned"] == [4, 64] and v.numbers["partner"] == 4
    assert v.numbers["gap_ratio"] == pytest.approx(0.11 / 0.12)
    assert v.margin == pytest.approx(min(1.5 - 0.14 / 0.16, 0.11 / 0.12 - 0.6))
    assert "about the same as the median" in v.sentence and "1024 barely trained" in v.sentence
    poor_and_regular = sweep({1: 0.60, 4: 0.50, 64: 0.84}, {1: 0.62, 4: 0.65, 64: 0.96})
    assert rules.bs14(poor_and_regular).outcome == HOLDS
    poor_only = sweep({1: 0.60, 4: 0.50, 64: 0.84}, {1: 0.75, 4: 0.72, 64: 0.96})
    v = rules.bs14(poor_only)
    assert v.outcome == CAVEAT and "does poorly, but its gap is not clearly smaller" in v.sentence
    regular_only = sweep({1: 0.86, 4: 0.84, 64: 0.80}, {1: 0.88, 4: 0.90, 64: 0.92})
    assert rules.bs14(regular_only).outcome == CAVEAT
    larger = sweep({1: 0.80, 4: 0.84, 64: 0.80}, {1: 0.99, 4: 0.97, 64: 0.86})
    assert "is larger than the median" in rules.bs14(larger).sentence
    apart = sweep({1: 0.86, 4: 0.80, 64: 0.70}, {1: 0.97, 4: 0.85, 64: 0.80})
    v = rules.bs14(apart)
    assert v.outcome == FAILS and "No other batch size reached a similar fit" in v.sentence
    with pytest.raises(ValueError, match="BS14 needs batch size 1"):
        rules.bs14(sweep({4: 0.8, 64: 0.7, 256: 0.6}, {4: 0.8, 64: 0.7, 256: 0.6}))
    with pytest.raises(TypeError, match="sweep must be a dict"):
        rules.bs14([1])
    with pytest.raises(TypeError, match=r"sweep\['x'\] must be a History"):
        rules.bs14({"x": 0.9})


def _fake(folder, label, acc):
    payload = {"run": label, "preset": "full", "summary": {"test_acc": acc, "train_acc": acc + 0.01, "dist_w": 1.0},
               "provenance": {"device": "CPU: test", "wall_seconds": 60, "git_commit": "abcdef1234",
                              "date": "2026-01-01T00:00:00"}}
    (folder / f"{label.replace(' ', '_').replace('→', 'to')}.json").write_text(json.dumps(payload))


def test_full_scale_applies_the_rules_to_the_files_and_names_the_missing(tmp_path):
    for label, acc in {"BS 64, lr 0.01": 0.98, "BS 256, lr 0.01": 0.975, "BS 1024, lr 0.01": 0.95}.items():
        _fake(tmp_path, label, acc)
    out = rules.full_scale(bs.load_results(tmp_path))
    assert out["BS1"].outcome == HOLDS and out["BS1"].claim == "BS1"
    assert out["BS2"] == ["BS 1024, lr 0.1"]
    assert len(out["BS3"]) == 4 and out["BS3"][-1] == "control: 1024 ×60"
    with pytest.raises(TypeError, match="results must be a dict"):
        rules.full_scale([])


def test_the_chapter_reads_its_full_scale_prose_and_verdicts_from_the_files():
    from pathlib import Path
    nb = json.loads((Path(__file__).resolve().parents[2] / "book" / "batch_size.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "results = bs.load_results()" in code and "rules.full_scale(results)" in code
    for key in ("rep-count", "rep-total", "rep-hours", "rep-acc-64", "rep-acc-1024", "rep-acc-control"):
        assert f"{{glue:text}}`{key}" in markdown, key
    for claim in ("bs1", "bs2", "bs3", "bs14"):       # published once each, from the rule
        assert code.count(f"claims.publish(rules.{claim}(") == 1, claim
