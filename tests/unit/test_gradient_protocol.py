"""The article's gradient protocol: the fast hand-written step against autograd, and its bookkeeping."""
import numpy as np
import pytest
import torch
from torch import nn

from lecturelib import gradient_protocol as gp
from lecturelib.models import MLP


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 4, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_fast_path_equals_autograd_and_the_definition():
    torch.manual_seed(0)
    model = MLP(16, (12, 8), 3)
    x, y = _data()
    fast = gp.summed_update_norms(model, x, y, [1, 2, 8, 32], trials=3, samples=32, lr=0.05)
    slow = gp.summed_update_norms(model, x, y, [1, 2, 8, 32], trials=3, samples=32, lr=0.05, fast=False)
    for b in fast:
        np.testing.assert_allclose(fast[b], slow[b], rtol=1e-4)
    # The definition, written out: summed batch-mean gradients of the last weight matrix.
    idx = gp.trial_indices(len(x), 32, 0, 0)
    m = MLP(16, (12, 8), 3)
    m.load_state_dict(model.state_dict())
    total = torch.zeros_like(m.net[-1].weight)
    for i in range(0, 32, 8):
        m.zero_grad()
        nn.functional.cross_entropy(m(x[idx][i:i + 8]), y[idx][i:i + 8]).backward()
        total += m.net[-1].weight.grad
        with torch.no_grad():
            for p in m.parameters():
                p -= 0.05 * p.grad
    assert float(total.norm()) == pytest.approx(fast[8][0], rel=1e-4)


@pytest.mark.parametrize("fast", [True, False])
def test_with_the_weights_held_still_the_steps_add_up_to_s_over_b_mean_gradients(fast):
    """At a vanishing lr the S/B batch-mean gradients of a trial add up to S/B times the mean gradient of
    all S samples (eq-bd-protocol): B times the norm is the same for every B, the one-step trial's."""
    torch.manual_seed(0)
    model = MLP(16, (12, 8), 3).double()
    x, y = _data()
    norms = gp.summed_update_norms(model, x.double(), y, [1, 2, 8, 32], trials=3, samples=32, lr=1e-7, fast=fast)
    for b in norms:
        np.testing.assert_allclose(b * norms[b], 32 * norms[32], rtol=1e-5, err_msg=f"B = {b}")


def test_caller_model_is_untouched_and_other_models_use_autograd():
    torch.manual_seed(1)
    model = MLP(16, (8,), 3, activation="tanh")           # not a ReLU MLP: the autograd path
    before = [p.detach().clone() for p in model.parameters()]
    x, y = _data()
    out = gp.summed_update_norms(model, x, y, [4], trials=2, samples=16)
    assert out[4].shape == (2,) and np.all(out[4] > 0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert gp._relu_mlp_layers(model) is None and gp._relu_mlp_layers(MLP(16, (8,), 3)) is not None


def test_bad_inputs():
    model, (x, y) = MLP(16, (8,), 3), _data()
    with pytest.raises(ValueError, match="divisible by every batch size"):
        gp.summed_update_norms(model, x, y, [3], trials=1, samples=16)
    with pytest.raises(ValueError, match="samples must be <= 64"):
        gp.summed_update_norms(model, x, y, [1], trials=1, samples=128)
    with pytest.raises(TypeError, match="batch_sizes must be"):
        gp.summed_update_norms(model, x, y, 4, trials=1, samples=16)
    with pytest.raises(ValueError, match="lr must be > 0"):
        gp.summed_update_norms(model, x, y, [4], trials=1, samples=16, lr=0)
    with pytest.raises(ValueError, match="equal length"):
        gp.summed_update_norms(model, x, y[:5], [4], trials=1, samples=4)
    with pytest.raises(FileNotFoundError, match="reproduce --only gradient-protocol"):
        gp.load("/nonexistent/gradient-protocol.json")
    with pytest.raises(ValueError, match="not a gradient-protocol result"):
        gp.ProtocolResult.from_dict({"run": "BS 64, lr 0.01"})


def test_run_at_ci_round_trips_and_resumes(tmp_path):
    from lecturelib.checkpoint import Checkpoint

    ck = Checkpoint(tmp_path / "gp.pt", {"run": gp.RUN})
    whole = gp.run("ci", checkpoint=ck)
    again = gp.ProtocolResult.from_dict(whole.to_dict())
    assert again.mean_std() == whole.mean_std()
    assert set(whole.norms) == {"early", "late"} and list(whole.norms["late"]) == list(gp.scale("ci").batch_sizes)
    # A checkpoint holding every (regime, B) makes a second run skip all the work and agree exactly.
    resumed = gp.run("ci", checkpoint=ck)
    for r in whole.norms:
        for b in whole.norms[r]:
            np.testing.assert_array_equal(whole.norms[r][b], resumed.norms[r][b])


def test_measure_uses_the_preset_sizes():
    model = MLP(784, (8,), 10)
    out = gp.measure({"a": model}, "ci")
    s = gp.scale("ci")
    assert list(out) == ["a"] and list(out["a"]) == list(s.batch_sizes)
    assert all(len(v) == s.trials for v in out["a"].values())
    with pytest.raises(TypeError, match="models must be a dict"):
        gp.measure([model], "ci")


class _SkipMLP(nn.Module):
    """The same layers as a ReLU MLP, combined differently: the hand-written step would be wrong for it."""
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        h = self.net[0](x)
        return self.net[3](self.net[2](self.net[1](h)) + h)


def test_fast_path_only_for_the_course_mlp():
    torch.manual_seed(2)
    model, (x, y) = _SkipMLP(), _data()
    assert gp._relu_mlp_layers(model) is None                 # same module types, not an MLP: autograd
    auto = gp.summed_update_norms(model, x, y, [4], trials=2, samples=16)
    slow = gp.summed_update_norms(model, x, y, [4], trials=2, samples=16, fast=False)
    np.testing.assert_array_equal(auto[4], slow[4])


def test_trained_points_follow_the_reproduction_run():
    """The late point is the reproduction's 'BS 1024, lr 0.01' run (``batch_size.run``) at the same epoch."""
    from lecturelib.experiments import batch_size as bs

    s, net = gp.scale("ci"), bs.scale("ci")
    points = gp.trained_points("ci")
    model = bs.build_model(net, seed=0)
    history = bs.run(bs.sgd_run(1024, 0.01, s.late_epochs), net, seed=0, progress=False, model=model)
    assert all(torch.equal(v, points["late"][k]) for k, v in model.state_dict().items())
    for key in ("train_loss", "test_acc"):
        assert points["history"][key] == history[key]


def test_bad_inputs_of_summed_update_norms_and_run():
    model, (x, y) = MLP(16, (8,), 3), _data()
    ok = dict(trials=1, samples=16)
    for kwargs, err, match in [
        (dict(trials=0), ValueError, "trials must be >= 1"),
        (dict(samples=0), ValueError, "samples must be >= 1"),
        (dict(seed=-1), ValueError, "seed must be >= 0"),
        (dict(progress=1), TypeError, "progress must be True or False"),
        (dict(fast="yes"), TypeError, "fast must be True or False"),
        (dict(lr=float("nan")), ValueError, "lr must be a number, got NaN"),
    ]:
        with pytest.raises(err, match=match):
            gp.summed_update_norms(model, x, y, [4], **{**ok, **kwargs})
    with pytest.raises(ValueError, match=r"batch_sizes\[1\] must be >= 1"):
        gp.summed_update_norms(model, x, y, [4, 0], **ok)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        gp.summed_update_norms("mlp", x, y, [4], **ok)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        gp.summed_update_norms(model, x.numpy(), y, [4], **ok)
    with pytest.raises(ValueError, match="preset must be one of 'ci', 'quick', 'full'"):
        gp.run("huge")
    with pytest.raises(TypeError, match="checkpoint must be a lecturelib.checkpoint.Checkpoint"):
        gp.run("ci", checkpoint="gp.pt")
    with pytest.raises(TypeError, match="progress must be True or False"):
        gp.run("ci", progress="no")
    with pytest.raises(ValueError, match="preset must be one of"):
        gp.scale("huge")
