"""Claims BN1, BN3, BN6 and BN7 of the batch-normalization chapter, at the `ci` preset.

The tests use seed 0, the seed the book uses; the comments give the range seen
over the seeds that were run before choosing each margin.
"""
import pytest

from lecturelib.experiments import batchnorm as bn

SEED = 0


@pytest.fixture(scope="module")
def scale():
    return bn.scale("ci")


def test_claim_bn1_equals_torch_batchnorm():
    rows = bn.equivalence()
    worst = {dt: max(max(r[k] for k in ("forward", "grad_x", "grad_gamma", "grad_beta", "running", "eval"))
                     for r in rows if r["dtype"] == dt) for dt in ("float32", "float64")}
    # measured: 2.9e-6 (float32), 1.4e-14 (float64)
    assert worst["float32"] < 1e-5
    assert worst["float64"] < 1e-12


def test_claim_bn3_bias_redundant(scale):
    # seed 0: logits change by 2.6e-6 after biases ~ N(0, 5^2); bias gradient 5e-9
    # against weight-gradient entries of 0.1 (float32 rounding, not a signal).
    out = bn.bias_invariance(scale, seed=SEED)
    assert out["output_change"] < 1e-4
    assert out["bias_grad"] < 1e-5 * out["weight_grad"]


def test_claim_bn7_bn_tolerates_high_lr(scale):
    # lr 2.0, seeds 0-1: BN 0.71-0.85 test accuracy, no BN 0.085 (chance) in both; margin 0.3.
    sweep = bn.lr_sweep(scale, seed=SEED)
    top = max(scale.lrs)
    assert sweep[("batch", top)].final("test_acc") > sweep[(None, top)].final("test_acc") + 0.3


def test_claim_bn7_deep_mlp_trains_only_with_bn(scale):
    # seed 0: 12 layers, no BN 0.11 (chance) vs BN 0.74 after 64 steps; margin 0.3.
    runs = {k: h for k, (h, _) in bn.depth_runs(scale, seed=SEED).items()}
    plain, with_bn = runs[f"{scale.deep_depth} layers, no BN"], runs[f"{scale.deep_depth} layers, BN"]
    assert plain.final("test_acc") < 0.2
    assert with_bn.final("test_acc") > plain.final("test_acc") + 0.3


def test_claim_bn6_smoother_along_the_step(scale):
    # seed 0, per-epoch means: loss range 0.30/0.15 (BN) vs 0.55/0.83 (no BN);
    # gradient change 1.35/1.08 vs 2.9/6.1.
    runs = bn.smoothness_runs(scale, seed=SEED)

    def mean(label, key):
        trace = runs[label][1].trace
        return sum(t[key] for t in trace) / len(trace)

    assert mean("BN", "loss_range") < mean("no BN", "loss_range")
    assert mean("BN", "grad_change") < 0.5 * mean("no BN", "grad_change")


def test_claim_bn6_beta_is_not_the_secret_sauce(scale):
    # seed 0 at lr 0.5: trained 0.702, beta frozen 0.702, gamma frozen 0.731, both 0.729, no BN 0.494.
    runs = bn.freeze_runs(scale, seed=SEED)
    acc = {k: h.final("test_acc") for k, h in runs.items()}
    assert abs(acc["β frozen at 0"] - acc["γ and β trained"]) < 0.05
    assert acc["both frozen"] > acc["no BN"] + 0.1
