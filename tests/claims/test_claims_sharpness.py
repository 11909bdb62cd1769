"""Claims BS15 and BS16 of the sharpness chapter, at `ci`, through the rules the chapter prints.

Seeds 0-9 (python -m lecturelib.claims --seeds 0-9 --chapter sharpness): BS15's margin
log(rise(1024)/rise(64)) was 0.215 to 0.615 against a threshold of log 1.1 = 0.095, holds x10;
BS16's margin was 0.939 to 0.991 against 0.5, and the hottest line broke on every seed (holds
with a caveat x10).
"""
import pytest

from lecturelib import claims
from lecturelib.claims import sharpness as rules

SEED = claims.claim_seed()


@pytest.fixture(scope="module")
def minima():
    return rules.measure_minima(SEED)


@pytest.fixture(scope="module")
def grid():
    return rules.measure_grid(SEED)


@pytest.mark.claim("BS15")
def test_claim_bs15_large_batch_sharper_minimum(minima):
    verdict = rules.bs15(minima)
    assert verdict.outcome == claims.get("BS15").expected_ci, verdict.text
    assert verdict.margin > rules.BS15_MIN_LOG_RATIO, verdict.text


@pytest.mark.claim("BS16")
def test_claim_bs16_equal_lr_over_b_equal_outcome(grid):
    verdict = rules.bs16(grid)
    assert verdict.outcome == claims.get("BS16").expected_ci, verdict.text
    assert verdict.numbers["first_break"] >= 2, verdict.text
