"""Claims BS1, BS2, BS3 and BS14 (batch size and generalization), at `ci`, through the rules the chapter prints.

Thresholds live with the rules (lecturelib/claims/batch_size.py); each comment there gives the range
that seeds 0-9 produced (python -m lecturelib.claims --seeds 0-9 --chapter batch_size).
The seed is $LECTURELIB_CLAIM_SEED (default 0, the book's seed).
"""
import pytest

from lecturelib import claims
from lecturelib.claims import batch_size as rules

SEED = claims.claim_seed()


@pytest.fixture(scope="module")
def study():
    return rules.measure_study(SEED)


@pytest.fixture(scope="module")
def sweep():
    return rules.measure_noise(SEED)


def _check(claim, verdict):
    rule = claims.get(claim)
    assert verdict.outcome == rule.expected_ci, verdict.text
    assert verdict.margin > rule.threshold, verdict.text


@pytest.mark.claim("BS1")
def test_claim_bs1_larger_batch_lower_accuracy(study):
    _check("BS1", rules.bs1(study))


@pytest.mark.claim("BS2")
def test_claim_bs2_higher_lr_recovers_accuracy(study):
    _check("BS2", rules.bs2(study))


@pytest.mark.claim("BS3")
def test_claim_bs3_large_batch_start_does_not_trap(study):
    _check("BS3", rules.bs3(study))


@pytest.mark.claim("BS14")
def test_claim_bs14_batch_one_not_poor_and_gap_not_smaller(sweep):
    _check("BS14", rules.bs14(sweep))
