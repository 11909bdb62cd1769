"""The batch-dynamics chapter's experiments and rules on synthetic inputs (no training beyond a few tiny runs)."""
import math
from dataclasses import replace

import matplotlib
import numpy as np
import pytest

from lecturelib import gradient_protocol as gp
from lecturelib import plots
from lecturelib.claims import FAILS, HOLDS, CAVEAT
from lecturelib.claims import batch_dynamics as rules
from lecturelib.experiments import batch_dynamics as bd
from lecturelib.experiments import batch_size as bs
from lecturelib.gradient_samples import Agreement

matplotlib.use("Agg")


@pytest.mark.parametrize("preset", ["ci", "quick", "full"])
def test_fixed_points_match_the_protocols(preset):
    """The chapter runs the article's protocol on its own fixed-weight models: same epochs."""
    assert (bd.scale(preset).early_epochs, bd.scale(preset).late_epochs) == \
        (gp.scale(preset).early_epochs, gp.scale(preset).late_epochs)


def test_train_scale_is_the_studys_at_ci_and_full_and_smaller_at_quick():
    assert bd.train_scale("ci") == bs.scale("ci") and bd.train_scale("full") == bs.scale("full")
    q, ref = bd.train_scale("quick"), bs.scale("quick")
    assert q.hidden == ref.hidden and q.train_limit < (ref.train_limit or 60_000) and q.epochs <= ref.epochs
    assert all(spec.epochs <= 16 * q.epochs for spec in bd.distance_runs(q))


def test_optimizer_runs_reuse_a_run_already_trained(monkeypatch):
    trained = []
    monkeypatch.setattr(bs, "run_all", lambda specs, s, **kw: {spec.label: trained.append(spec.label) or spec.label
                                                             for spec in specs})
    out = bd.run_optimizers(bs.scale("ci"), reuse={"BS 64, lr 0.01": "from the grid"})
    assert out["BS 64, lr 0.01"] == "from the grid"
    assert trained == [label for label in out if label != "BS 64, lr 0.01"]
    with pytest.raises(TypeError, match="reuse must be a dict"):
        bd.run_optimizers(bs.scale("ci"), reuse=[1])
    with pytest.raises(TypeError, match="s must be a lecturelib.experiments.batch_size.Scale"):
        bd.run_distances(bd.scale("ci"))
    with pytest.raises(TypeError, match="net must be a lecturelib.experiments.batch_size.Scale"):
        bd.fixed_weight_models(bd.scale("ci"), net=bd.scale("ci"))


class _Built(Exception):
    """Stops fixed_weight_models once it has chosen the network (no data, no training)."""


@pytest.mark.parametrize("active", ["ci", "quick", "full"])
def test_fixed_weight_models_builds_the_network_of_the_preset_s_comes_from(monkeypatch, active):
    monkeypatch.setenv("LECTURELIB_PRESET", active)     # whichever preset is active
    built = []

    def build(net, seed=0):
        built.append(net)
        raise _Built

    monkeypatch.setattr(bs, "build_model", build)
    for preset in ("ci", "quick", "full"):
        with pytest.raises(_Built):
            bd.fixed_weight_models(bd.scale(preset), progress=False)
    assert [net.hidden for net in built] == [bs.scale(p).hidden for p in ("ci", "quick", "full")]
    assert built == [bs.scale(p) for p in ("ci", "quick", "full")]


def test_fixed_weight_models_needs_net_for_a_custom_scale():
    custom = replace(bd.scale("ci"), trials=3)
    with pytest.raises(ValueError, match=r"s is not the Scale of a preset \(ci, quick, full\).*pass net="):
        bd.fixed_weight_models(custom, progress=False)


def _protocol(exponent, moved=1.0, trials=5, sizes=(1, 2, 4, 8, 16)):
    """Synthetic protocol norms ∝ B^exponent; at B = 1 the sum reaches ``moved`` of the fixed-weight value."""
    rng = np.random.default_rng(0)
    base = {b: b ** exponent * (1 + 0.01 * rng.standard_normal(trials)) for b in sizes}
    base[1] = base[1] * moved
    return {"early": base, "late": {b: 2 * v for b, v in base.items()}}


def test_protocol_numbers_and_verdict_follow_the_exponent():
    n = rules.protocol_numbers(_protocol(-1.0, moved=0.5))
    assert -0.85 < n["early"]["slope"] < -0.75   # B^-1, with B = 1 pulled down to half
    assert n["early"]["ratio"][16] == 1.0 and n["early"]["ratio"][2] == pytest.approx(1.0, abs=0.05)
    assert n["early"]["ratio"][1] == pytest.approx(0.5, abs=0.02) and n["early"]["agree_from"] == 2
    v = rules.article_protocol(_protocol(-1.0, moved=0.5))
    assert v.outcome == FAILS and v.margin == pytest.approx(-n["late"]["slope"])
    assert "0.50 (early)" in v.sentence and "B^-0.8" in v.sentence
    assert rules.article_protocol(_protocol(0.5)).outcome == HOLDS
    mixed = _protocol(0.5)
    mixed["late"] = _protocol(-1.0)["late"]
    assert rules.article_protocol(mixed).outcome == CAVEAT


def _agreement(ratio_over_random, b=1024):
    random = {2: 0.7, b: 0.04}
    return Agreement(0.01, 0.8, {k: v * (ratio_over_random if k == b else 1) for k, v in random.items()}, random, 0.001)


@pytest.mark.parametrize("early, late, outcome", [
    (2.5, 2.0, FAILS),      # both regimes agree more than random directions
    (2.5, 1.0, FAILS),      # late exactly like random: no competition either
    (2.5, 0.8, HOLDS),      # late cancels more than chance: competition
])
def test_bs17_outcome_follows_the_cancellation_against_chance(early, late, outcome):
    v = rules.bs17({"early": _agreement(early), "late": _agreement(late)})
    assert v.outcome == outcome
    assert v.margin == pytest.approx(math.log(min(early, late)))
    if late == 1.0:
        assert "late they cancel like random directions" in v.sentence


def test_protocol_norms_plot_and_bad_input():
    ax = plots.protocol_norms(_protocol(-1.0), full=_protocol(-1.0))
    assert len(ax.get_lines()) >= 6 and ax.get_xscale() == "log"
    with pytest.raises(TypeError, match="norms must be a non-empty dict"):
        plots.protocol_norms({})
    with pytest.raises(TypeError, match="full must be a non-empty dict"):
        plots.protocol_norms(_protocol(-1.0), full=[1])


class _Samples:
    """Just what the BS5 and BS6 rules read from a GradientSamples."""
    batch_sizes = (2, 1024)

    def __init__(self, cv, kurt):
        self._cv, self._kurt = cv, kurt

    def coefficient_of_variation(self):
        return dict(zip(self.batch_sizes, self._cv))

    def excess_kurtosis(self):
        return dict(zip(self.batch_sizes, self._kurt))

    def count_above(self, threshold, reduction="sum"):
        return {2: 0.01, 1024: 0.8 if reduction == "sum" else 0.0}


@pytest.mark.parametrize("early, late, outcome", [
    ((0.2, 0.04), (0.2, 0.05), FAILS),           # small batches vary more in both regimes
    ((0.04, 0.2), (0.05, 0.2), HOLDS),           # large batches do
    ((0.2, 0.04), (0.04, 0.2), CAVEAT),          # the regimes split
    ((0.1, 0.09), (0.1, 0.1), rules.INCONCLUSIVE),
    ((0.1, 0.0), (0.1, 0.05), rules.INCONCLUSIVE),   # a zero spread orders nothing (and does not crash)
])
def test_bs5_and_bs6_outcomes_follow_both_regimes(early, late, outcome):
    samples = {"early": _Samples(early, early), "late": _Samples(late, late)}
    assert rules.bs5(samples).outcome == outcome
    assert rules.bs6(samples).outcome == outcome


def test_article_protocol_needs_both_regimes():
    with pytest.raises(ValueError, match="norms must be a dict with the regimes"):
        rules.article_protocol({"early": _protocol(-1.0)["early"]})


def test_article_protocol_spread_follows_both_regimes():
    rng = np.random.default_rng(1)
    def norms(cv_small, cv_large):
        return {1: 1 + cv_small * rng.standard_normal(400), 2: 1 + cv_small * rng.standard_normal(400),
                4: 1 + cv_large * rng.standard_normal(400)}
    holds = rules.article_protocol_spread({"early": norms(0.02, 0.08), "late": norms(0.03, 0.06)})
    assert holds.outcome == HOLDS and holds.numbers["small"] == 2
    assert holds.margin == pytest.approx(min(math.log(b / a) for a, b in holds.numbers["cv"].values()))
    assert "the weights' motion" in holds.sentence
    assert rules.article_protocol_spread({"early": norms(0.08, 0.02), "late": norms(0.06, 0.03)}).outcome == FAILS
    assert rules.article_protocol_spread({"early": norms(0.08, 0.02), "late": norms(0.02, 0.08)}).outcome == CAVEAT
    assert rules.article_protocol_spread({"early": norms(0.05, 0.05), "late": norms(0.05, 0.05)}).outcome == \
        rules.INCONCLUSIVE
    with pytest.raises(ValueError, match="norms must be a dict with the regimes"):
        rules.article_protocol_spread({})


def test_rules_read_a_full_scale_results_file(tmp_path):
    """The chapter applies the same rules to results/gradient-protocol.json when it exists."""
    import json
    norms = _protocol(-1.0, moved=0.5, sizes=(1, 2, 4, 1024))
    result = gp.ProtocolResult("full", {"regimes": {"early": 2, "late": 30}}, norms)
    path = tmp_path / "gradient-protocol.json"
    path.write_text(json.dumps(result.to_dict()))
    loaded = gp.load(path).norms
    assert rules.article_protocol(loaded, where="full scale").claim.endswith("full scale")
    assert rules.article_protocol_spread(loaded).numbers["small"] == 2
    plots.protocol_norms(norms, full=loaded)
