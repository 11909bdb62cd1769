"""Claims HP2-HP6 of the tuning chapter, at the `ci` preset.

Each test runs the rule's own experiment (``measure``) with ``claims.claim_seed()``
and asserts the outcome the rule returns, the same rule the chapter publishes.
Thresholds and the spread over seeds 0-9 are in ``lecturelib/claims/tuning.py``.
"""
import pytest

from lecturelib import claims
from lecturelib.claims import tuning as rules

SEED = claims.claim_seed()


def _check(verdict, claim):
    expected = claims.get(claim).expected_ci
    assert verdict.outcome == expected, verdict.text


def test_claim_hp5_uniform_crowds_the_top_decade_log_uniform_does_not():
    _check(rules.hp5(rules.measure_hp5(SEED)), "HP5")


def test_claim_hp6_linear_beta_rarely_reaches_long_windows():
    _check(rules.hp6(rules.measure_hp6(SEED)), "HP6")


def test_claim_hp4_random_tries_more_values_of_the_important_hyperparameter():
    _check(rules.hp4(rules.measure_hp4(SEED)), "HP4")


@pytest.fixture(scope="module")
def importance():
    return rules.measure_hp3(SEED)


def test_claim_hp3_learning_rate_ranks_first_by_both_evaluators(importance):
    verdict = rules.hp3(importance)
    _check(verdict, "HP3")
    # What the outcome turns on: the learning rate leads both rankings.
    assert next(iter(importance["fanova"])) == "lr" and next(iter(importance["mdi"])) == "lr", verdict.text


@pytest.fixture(scope="module")
def comparison():
    return rules.measure_hp2(SEED)


def test_claim_hp2_strategies_are_not_separated_at_this_budget(comparison):
    _check(rules.hp2(comparison), "HP2")
