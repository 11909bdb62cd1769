import pytest
import torch

from lecturelib import models, probes
from lecturelib.callbacks import TrainState


@pytest.fixture
def model():
    torch.manual_seed(0)
    return models.MLP(20, (8, 8), 3)


def test_distance_zero_and_cosine_one_at_init(model):
    p = probes.WeightGeometry()
    p.on_train_begin(TrainState(model))
    m = p.measure(TrainState(model))
    assert m["dist_w"] == 0 and m["dist_b"] == 0
    assert m["dist_w_layers"] == [0.0, 0.0, 0.0]
    assert all(abs(c - 1) < 1e-6 for c in m["cos_layers"])


def test_distance_and_norm_after_a_known_move(model):
    ref = probes.snapshot(model)
    with torch.no_grad():
        model.net[1].weight += 0.5   # 8*20 entries moved by 0.5 -> distance sqrt(160)*0.5
        model.net[5].bias -= 2.0     # 3 entries moved by 2 -> sqrt(12)
    d = probes.distance_from(model, ref)
    assert d["dist_w"] == pytest.approx(0.5 * 160 ** 0.5, rel=1e-5)
    assert d["dist_w_layers"][1:] == [0.0, 0.0]
    assert d["dist_b"] == pytest.approx(12 ** 0.5, rel=1e-5)
    norms = probes.weight_norm(model)
    expected = sum(float(l.weight.pow(2).sum()) for l in probes.weight_layers(model)) ** 0.5
    assert norms["norm_w"] == pytest.approx(expected, rel=1e-5)


def test_cosine_of_a_negated_layer_is_minus_one(model):
    ref = probes.snapshot(model)
    with torch.no_grad():
        model.net[3].weight.mul_(-1)
    assert probes.cosine_to(model, ref)[1] == pytest.approx(-1.0, abs=1e-6)


def test_geometry_probe_needs_begin(model):
    with pytest.raises(RuntimeError, match="before on_train_begin"):
        probes.WeightGeometry().measure(TrainState(model))


def test_reference_must_match_layers(model):
    with pytest.raises(ValueError, match="one entry per weight layer"):
        probes.distance_from(model, probes.snapshot(model)[:1])
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        probes.weight_layers("not a model")


def test_per_sample_grads_match_a_loop(model):
    x, y = torch.randn(6, 20), torch.randint(0, 3, (6,))
    fast = probes.per_sample_grads(model, x, y)
    slow = torch.stack([torch.cat([g.flatten() for g in torch.autograd.grad(
        torch.nn.functional.cross_entropy(model(x[i:i + 1]), y[i:i + 1]), list(model.parameters()))]) for i in range(6)])
    assert torch.allclose(fast, slow, atol=1e-6)


def test_gradient_noise_matches_direct_formula(model):
    # One class for every sample, so the mean gradient is far from zero.
    x, y = torch.randn(40, 20), torch.zeros(40, dtype=torch.long)
    g = probes.per_sample_grads(model, x, y).double()
    n = len(g)
    trace = float(((g - g.mean(0)) ** 2).sum()) / (n - 1)
    r = probes.gradient_noise(model, x, y, chunk=7)
    assert r["trace_cov"] == pytest.approx(trace, rel=1e-4)
    assert r["grad_sq"] == pytest.approx(float(g.mean(0) @ g.mean(0)) - trace / n, rel=1e-3)


def test_gradient_noise_bad_arguments(model):
    with pytest.raises(ValueError, match="at least 2 samples"):
        probes.gradient_noise(model, torch.randn(1, 20), torch.zeros(1, dtype=torch.long))
    with pytest.raises(ValueError, match="chunk must be >= 1"):
        probes.gradient_noise(model, torch.randn(4, 20), torch.zeros(4, dtype=torch.long), chunk=0)
    with pytest.raises(ValueError, match="equal length"):
        probes.per_sample_grads(model, torch.randn(4, 20), torch.zeros(3, dtype=torch.long))
