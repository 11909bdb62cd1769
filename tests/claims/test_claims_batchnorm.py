"""Claims BN1-BN8 of the batch-normalization chapter, at the `ci` preset.

Each test runs the claim's experiment (the rule's ``measure``) with the seed
``claims.claim_seed()`` ($LECTURELIB_CLAIM_SEED, default 0, the book's seed) and
calls the same rule the chapter prints, asserting the outcome the rule expects at
``ci``. The thresholds and the spread of every margin over seeds 0-9 are in
``lecturelib/claims/batchnorm.py`` (from ``python -m lecturelib.claims --seeds 0-9
--chapter batchnorm``).
"""
import pytest

from lecturelib import claims
from lecturelib.claims import batchnorm as rules

SEED = claims.claim_seed()


def check(rule, results):
    verdict = rule(results)
    assert verdict.outcome == claims.get(verdict.claim).expected_ci, verdict.text
    return verdict


def test_every_rule_of_the_chapter_has_its_test_here():
    names = {r.test for r in claims.load_all().values() if r.chapter == "batchnorm"}
    assert {r.claim for r in claims.REGISTRY.values() if r.chapter == "batchnorm"} == \
        {f"BN{i}" for i in range(1, 9)}
    assert names <= set(globals()), sorted(names - set(globals()))


@pytest.fixture(scope="module")
def bn1():
    return rules.measure_bn1(SEED)


def test_claim_bn1_equals_torch_and_gamma_is_the_scale(bn1):
    check(rules.bn1, bn1)


@pytest.fixture(scope="module")
def bn2():
    return rules.measure_bn2(SEED)


def test_claim_bn2_both_placements_beat_no_bn(bn2):
    check(rules.bn2, bn2)


@pytest.fixture(scope="module")
def bn3():
    return rules.measure_bn3(SEED)


def test_claim_bn3_bias_redundant(bn3):
    check(rules.bn3, bn3)


@pytest.fixture(scope="module")
def bn4():
    return rules.measure_bn4(SEED)


def test_claim_bn4_gamma_beta_per_unit_and_any_optimizer(bn4):
    check(rules.bn4, bn4)


@pytest.fixture(scope="module")
def bn5():
    return rules.measure_bn5(SEED)


def test_claim_bn5_forgetting_eval_flips_predictions(bn5):
    check(rules.bn5, bn5)


@pytest.fixture(scope="module")
def bn6():
    return rules.measure_bn6(SEED)


def test_claim_bn6_smoother_but_beta_is_not_the_sauce(bn6):
    check(rules.bn6, bn6)


@pytest.fixture(scope="module")
def bn7():
    return rules.measure_bn7(SEED)


def test_claim_bn7_high_lr_and_depth(bn7):
    check(rules.bn7, bn7)


@pytest.fixture(scope="module")
def bn8():
    return rules.measure_bn8(SEED)


def test_claim_bn8_small_batch_hurts_batchnorm(bn8):
    check(rules.bn8, bn8)
