"""The benchmark's arithmetic (the timings themselves are run by hand: ``python -m lecturelib.bench``)."""
import pytest

from lecturelib import bench


def test_protocol_estimate_recovers_a_linear_step_cost():
    a, c, samples, sizes, trials = 0.9e-3, 0.07e-3, 1024, [2 ** k for k in range(11)], 10
    step = lambda b: a + c * b                                          # seconds per step at batch size b
    per_trial = {b: samples / b * step(b) for b in (1, 1024)}           # only the two ends measured
    expected = trials * sum(samples / b * step(b) for b in sizes)
    assert bench.estimate_protocol(per_trial, samples, sizes, trials) == pytest.approx(expected)


def test_protocol_estimate_is_exact_at_the_measured_batch_sizes():
    per_trial = {1: 1.0, 8: 0.24, 64: 0.09, 1024: 0.07}
    assert bench.estimate_protocol(per_trial, 1024, [1, 8, 64, 1024], 2) == pytest.approx(2 * 1.4)


def test_protocol_estimate_checks_its_arguments():
    with pytest.raises(ValueError, match=r"per_trial\[1\] must be > 0"):
        bench.estimate_protocol({1: 0.0, 1024: 1.0}, 1024, [1], 10)
    with pytest.raises(ValueError, match=r"batch_sizes\[1\] must be <= 1024"):
        bench.estimate_protocol({1: 1.0, 1024: 1.0}, 1024, [1, 2048], 10)
    with pytest.raises(ValueError, match=r"batch_sizes\[0\] must be >= 8"):     # no extrapolation
        bench.estimate_protocol({8: 1.0, 1024: 1.0}, 1024, [1], 10)
    with pytest.raises(TypeError, match="per_trial must be a dict"):
        bench.estimate_protocol([1.0], 1024, [1], 10)
    with pytest.raises(TypeError, match="trials must be an integer"):
        bench.estimate_protocol({1: 1.0}, 1024, [1], 1.5)
    with pytest.raises(ValueError, match="trials must be >= 1"):
        bench.protocol_seconds_per_trial(1, trials=0)
