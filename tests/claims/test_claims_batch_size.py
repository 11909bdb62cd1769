"""Claims BS1, BS2, BS3 and BS14 of the batch-size chapter, at the `ci` preset.

Margins were chosen after running seeds 0-4 (see the comments); the tests use
seed 0, the seed the book uses.
"""
import pytest

from lecturelib.experiments import batch_size as bs

SEED = 0


@pytest.fixture(scope="module")
def scale():
    return bs.scale("ci")


@pytest.fixture(scope="module")
def runs(scale):
    return bs.run_all(bs.generalization_runs(scale), scale, seed=SEED, progress=False)


@pytest.fixture(scope="module")
def switches(scale):
    return bs.run_all(bs.switching_runs(scale), scale, seed=SEED, progress=False)


def acc(h):
    return h.final("test_acc")


def test_claim_bs1_larger_batch_lower_accuracy(runs):
    # seeds 0-4: acc(64) - acc(1024) = 0.19 to 0.21 at ci; 0.10 leaves room.
    a64, a256, a1024 = (acc(runs[f"BS {b}, lr 0.01"]) for b in (64, 256, 1024))
    assert a64 > a256 > a1024
    assert a64 - a1024 > 0.10
    # Training accuracy falls with batch size too (the claim says "and train").
    assert runs["BS 64, lr 0.01"].final("train_acc") > runs["BS 1024, lr 0.01"].final("train_acc") + 0.10


def test_claim_bs2_higher_lr_recovers_accuracy(runs):
    # seeds 0-4: the recovered run is 0.014 to 0.018 below BS 64; the unrecovered one 0.19 below.
    a64 = acc(runs["BS 64, lr 0.01"])
    assert abs(a64 - acc(runs["BS 1024, lr 0.1"])) < 0.03
    assert acc(runs["BS 1024, lr 0.1"]) > acc(runs["BS 1024, lr 0.01"]) + 0.10


def test_claim_bs3_large_batch_start_does_not_trap(runs, switches):
    # seeds 0-4: switches end -0.012 to +0.005 from the reference; the control 0.10 below.
    reference = acc(runs["BS 64, lr 0.01"])
    *switched, control = switches.values()
    for h in switched:
        assert acc(h) > reference - 0.025, h.label
    assert acc(control) < reference - 0.05
    assert min(acc(h) for h in switched) > acc(control) + 0.05


def test_claim_bs14_batch_one_not_poor(scale):
    # The notes say batch size 1 works poorly. At the study's fixed lr and epochs it
    # does not: seeds 0-4 give B=1 0.85-0.89 test accuracy against 0.70-0.74 for B=64.
    sweep = bs.run_all(bs.noise_runs(scale, batch_sizes=(1, 64)), scale, seed=SEED, progress=False)
    a1, a64 = acc(sweep["BS 1, lr 0.01"]), acc(sweep["BS 64, lr 0.01"])
    assert a1 > a64 + 0.05
    # ...and the small batch's train-test gap is not smaller (seeds 0-4: gap(1) - gap(64) from -0.014
    # to +0.028): no sign of noise acting as a regularizer.
    gap = {k: h.final("train_acc") - h.final("test_acc") for k, h in sweep.items()}
    assert gap["BS 1, lr 0.01"] > gap["BS 64, lr 0.01"] - 0.02
