"""Claims BS4-BS11 and BS17 (why batch size matters), at `ci`, through the rules the chapter prints.

Thresholds live with the rules (lecturelib/claims/batch_dynamics.py); each comment there gives
the range that seeds 0-9 produced (python -m lecturelib.claims --seeds 0-9 --chapter batch_dynamics).
The seed is $LECTURELIB_CLAIM_SEED (default 0). The three gradient measures share one short
training run per seed (the rules module caches it).
"""
import pytest

from lecturelib import claims
from lecturelib.claims import batch_dynamics as rules

SEED = claims.claim_seed()


@pytest.fixture(scope="module")
def samples():
    return rules.measure_samples(SEED)


@pytest.fixture(scope="module")
def agree():
    return rules.measure_agreement(SEED)


@pytest.fixture(scope="module")
def protocol():
    return rules.measure_protocol(SEED)


@pytest.fixture(scope="module")
def dist():
    return rules.measure_distances(SEED)


@pytest.fixture(scope="module")
def opt():
    return rules.measure_optimizers(SEED)


def _check(claim, verdict):
    assert verdict.outcome == claims.get(claim).expected_ci, verdict.text
    threshold = claims.get(claim).threshold
    assert verdict.margin > threshold, verdict.text


@pytest.mark.claim("BS4")
def test_claim_bs4_article_protocol_summed_update_falls_with_batch_size(protocol):
    """BS4 as the article measured it: S = 256 samples stepped through at batch size B, 20 trials per B
    at ci. The chapter prints the same rule at its preset and on the full-scale results file. (The
    fixed-weight identity E||g_B||^2 = ||grad L||^2 + tr(Sigma)/B is tested with the sampler.)"""
    _check("BS4", rules.article_protocol(protocol))


@pytest.mark.claim("BS5")
def test_claim_bs5_larger_batches_vary_more(samples):
    _check("BS5", rules.bs5(samples))


@pytest.mark.claim("BS5")
def test_claim_bs5_article_protocol_larger_batches_vary_more(protocol):
    """BS5 as the article measured it: under its protocol the one-step trial (B = S) varies more across
    trials than B = 2's sum of sequential steps, which the weights' motion damps."""
    verdict = rules.article_protocol_spread(protocol)
    assert verdict.outcome == rules.HOLDS, verdict.text
    assert verdict.margin > rules.PROTOCOL_SPREAD, verdict.text


@pytest.mark.claim("BS6")
def test_claim_bs6_tails_heavier_for_larger_batches(samples):
    _check("BS6", rules.bs6(samples))


@pytest.mark.claim("BS7")
def test_claim_bs7_large_batch_travels_less(dist):
    _check("BS7", rules.bs7(dist))


@pytest.mark.claim("BS8")
def test_claim_bs8_same_steps_reach_the_far_solution(dist):
    _check("BS8", rules.bs8(dist))


@pytest.mark.claim("BS9")
def test_claim_bs9_distance_grows_sublinearly(dist):
    _check("BS9", rules.bs9(dist))


@pytest.mark.claim("BS10")
def test_claim_bs10_adam_travels_far(opt):
    _check("BS10", rules.bs10(opt))


@pytest.mark.claim("BS11")
def test_claim_bs11_sgd_keeps_its_initialization(opt):
    _check("BS11", rules.bs11(opt))


@pytest.mark.claim("BS17")
def test_claim_bs17_samples_do_not_compete(agree):
    _check("BS17", rules.bs17(agree))
