"""The tuning chapter's rules on made-up measurements: every outcome, and bad input."""
import numpy as np
import pytest

from lecturelib import claims, sampling
from lecturelib.claims import CAVEAT, FAILS, HOLDS, INCONCLUSIVE
from lecturelib.claims import tuning as rules


def _runs(values_per_seed, method):
    out = []
    for best in values_per_seed:
        r = sampling.SearchResult(method)
        for i in range(16):
            r.add({"lr": 10.0 ** -(i % (2 if method == "grid" else 16))}, best - 0.01 * (i > 0))
        out.append(r)
    return out


def _compare(grid, random, sobol, tpe):
    return {"grid": _runs(grid, "grid"), "random": _runs(random, "random"), "sobol": _runs(sobol, "sobol"),
            "tpe": _runs(tpe, "tpe")}


@pytest.mark.parametrize("data, outcome", [
    # grid far behind on every seed, TPE level with the others: 'grid early' contradicted
    (([.70, .71, .70], [.80, .81, .80], [.80, .80, .81], [.80, .80, .80]), FAILS),
    # grid far behind, TPE ahead of both by the same margin on every seed: one half supported
    (([.70, .71, .70], [.80, .81, .80], [.80, .80, .81], [.90, .91, .91]), CAVEAT),
    # grid ahead and TPE ahead, consistently: both halves supported
    (([.95, .96, .95], [.80, .81, .80], [.80, .80, .81], [.90, .91, .91]), HOLDS),
    # gaps of the size of the seed-to-seed spread
    (([.80, .70, .85], [.80, .79, .81], [.78, .80, .79], [.76, .77, .80]), INCONCLUSIVE),
    (([.70], [.80], [.78], [.90]), INCONCLUSIVE),           # one seed: no spread to compare with
])
def test_hp2_outcomes(data, outcome):
    v = rules.hp2(_compare(*data))
    assert v.outcome == outcome, v.text
    assert v.numbers["grid_lrs"] == 2 and v.numbers["budget"] == 16


def test_hp2_needs_every_strategy():
    with pytest.raises(ValueError, match="results must hold grid, random, sobol and tpe"):
        rules.hp2({"grid": _runs([.7], "grid"), "random": _runs([.8], "random")})


def _importance(first, lead):
    names = ["lr", "beta1", "beta2", "eps", "batch_size", "width", "layers", "lr_decay"]
    rest = [n for n in names if n != first]
    shares = {first: 0.1 + lead, **{n: 0.1 * (1 - i / 20) for i, n in enumerate(rest)}}
    total = sum(shares.values())
    return dict(sorted(((k, v / total) for k, v in shares.items()), key=lambda kv: -kv[1]))


@pytest.mark.parametrize("fanova, mdi, outcome", [
    (("lr", 0.6), ("lr", 0.5), CAVEAT),
    (("width", 0.6), ("width", 0.5), FAILS),
    (("lr", 0.02), ("lr", 0.5), INCONCLUSIVE),
    (("lr", 0.6), ("width", 0.5), INCONCLUSIVE),
])
def test_hp3_outcomes(fanova, mdi, outcome):
    v = rules.hp3({"fanova": _importance(*fanova), "mdi": _importance(*mdi), "trials": 48, "best": 0.9})
    assert v.outcome == outcome, v.text


def test_share_rules_fail_on_a_biased_sampler():
    good = rules.measure_hp5(0)
    assert rules.hp5(good).outcome == HOLDS
    bad = {**good, "log-uniform": [0.2, 0.2, 0.3, 0.3]}
    assert rules.hp5(bad).outcome == FAILS
    good6 = rules.measure_hp6(0)
    assert rules.hp6({**good6, "one-minus-log": [0.6, 0.4]}).outcome == FAILS


def test_every_tuning_claim_is_registered_or_recorded_as_text():
    registry = claims.load_all()
    assert {c for c, r in registry.items() if r.chapter == "tuning"} == {"HP2", "HP3", "HP4", "HP5", "HP6"}
    assert {"HP1", "HP7", "HP8"} <= set(claims.TEXT_ONLY)
    assert np.isclose(rules.SHARE_TOLERANCE, 0.02)
