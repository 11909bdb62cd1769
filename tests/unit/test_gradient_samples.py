import numpy as np
import pytest
import torch

from lecturelib import gradient_samples as gs
from lecturelib import models, probes, train, data, presets, widgets
from lecturelib.experiments import batch_dynamics as bd


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return models.MLP(784, (16,), 10)


@pytest.fixture(scope="module")
def pool():
    return data.load_mnist("train", limit=300)


@pytest.fixture(scope="module")
def samples(model, pool):
    return gs.sample_gradients(model, *pool, [1, 4, 64], trials=400, seed=1)


def test_last_layer_is_measured_by_default(model, samples):
    assert probes.last_layer_names(model) == ["net.3.weight", "net.3.bias"]
    assert samples.n_params == 16 * 10 + 10


def test_theory_lines_match_the_draws(samples):
    for b in samples.batch_sizes:
        measured = float((samples.norms[b] ** 2).mean())
        assert measured == pytest.approx(samples.expected_sq_norm("mean", b), rel=0.15)
        assert samples.expected_sq_norm("sum", b) == pytest.approx(b * b * samples.expected_sq_norm("mean", b))


@pytest.fixture(scope="module")
def trained(pool):
    """The same small MLP after a few epochs on the pool: the identity must hold at trained weights too."""
    presets.set_seed(0)
    m = models.MLP(784, (16,), 10)
    train.fit(m, data.mnist(train_limit=300, test_limit=50), lr=0.1, batch_size=30, epochs=3)
    return m


@pytest.mark.parametrize("weights", ["initial", "trained"])
def test_the_noise_identity_holds_at_every_batch_size(weights, model, trained, pool):
    """E||g_B||^2 = ||grad L||^2 + tr(Sigma)/B for B samples drawn with replacement: an identity for any model
    and data (BS4's chapter draws it at the study's trained weights; its claim test is the article's protocol)."""
    s = gs.sample_gradients(model if weights == "initial" else trained, *pool, [2 ** k for k in range(1, 11)],
                            trials=400, seed=2)
    assert s.trace_cov / s.grad_sq > 4     # noise-dominated below B ~ 4: the theory line bends in range
    for b, rms in s.rms_norms("mean").items():
        assert rms ** 2 == pytest.approx(s.expected_sq_norm("mean", b), rel=0.15), b


def test_sum_is_b_times_mean_and_rescaling_keeps_cv(samples):
    s = samples.norms_for("sum")
    assert np.allclose(s[4], 4 * samples.norms[4])
    r = samples.rescaled_norms()
    assert all(abs(r[b].mean() - r[64].mean()) < 1e-9 for b in samples.batch_sizes)
    cv = samples.coefficient_of_variation()
    assert all(abs(r[b].std() / r[b].mean() - cv[b]) < 1e-9 for b in samples.batch_sizes)


def test_batch_of_one_matches_per_sample_grads(model, pool):
    x, y = pool
    s = gs.sample_gradients(model, x[:5], y[:5], [1], trials=50, seed=0)
    G = probes.per_sample_grads(model, x[:5], y[:5], names=probes.last_layer_names(model))
    possible = set(np.round(G.norm(dim=1).double().numpy(), 5))
    assert set(np.round(s.norms[1], 5)) <= possible


def test_tail_statistics(samples):
    k = samples.excess_kurtosis()
    assert set(k) == {1, 4, 64}
    low, high = samples.count_above(1e-4), samples.count_above(1e-1)
    assert all(0.0 <= high[b] <= low[b] <= 1.0 for b in samples.batch_sizes)
    assert high[64] > high[1]   # with a summed loss, entries grow with B


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"batch_sizes": []}, TypeError, "batch_sizes must be a non-empty list"),
    ({"batch_sizes": [2, 0]}, ValueError, r"batch_sizes\[1\] must be >= 1"),
    ({"batch_sizes": [2], "trials": 1}, ValueError, "trials must be >= 2"),
    ({"batch_sizes": [2], "names": ["nope"]}, ValueError, "names must be a non-empty list of parameter names"),
])
def test_sample_gradients_bad_arguments(model, pool, kwargs, err, msg):
    with pytest.raises(err, match=msg):
        gs.sample_gradients(model, *pool, **kwargs)


def test_samples_methods_reject_unknown_reduction(samples):
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum'; got 'max'"):
        samples.norms_for("max")
    with pytest.raises(ValueError, match="reference must be one of"):
        samples.rescaled_norms(reference=3)


def test_snapshots_keep_the_requested_epochs(pool):
    presets.set_seed(0)
    m = models.MLP(784, (8,), 10)
    snap = probes.Snapshots([0, 2])
    d = data.mnist(train_limit=200, test_limit=50)
    train.fit(m, d, lr=0.1, batch_size=50, epochs=2, callbacks=[snap])
    assert sorted(snap.states) == [0, 2]
    assert torch.equal(snap.states[2]["net.1.weight"], m.net[1].weight.detach())
    assert not torch.equal(snap.states[0]["net.1.weight"], snap.states[2]["net.1.weight"])
    with pytest.raises(ValueError, match="epochs must be >= 0"):
        probes.Snapshots([-1])


def test_concavity():
    h = train.History(label="x", config={}, values={"dist_w": [0.0, 2.0, 3.0, 3.5, 3.8]})
    assert bd.concavity(h) == pytest.approx(0.8 / 3.0)
    with pytest.raises(ValueError, match="at least 2 epochs"):
        bd.concavity(train.History(label="x", config={}, values={"dist_w": [0.0, 1.0]}))


def test_gradient_norm_explorer_redraws_without_a_display(samples):
    e = widgets.gradient_norm_explorer({"init": samples})
    e.batch_size.value = 64
    e.reduction.value = "sum"
    fig = e.figure()
    assert "batch size 64" in fig.axes[0].get_title()
    with pytest.raises(TypeError, match="samples must be a non-empty dict"):
        widgets.gradient_norm_explorer({})
    with pytest.raises(TypeError, match=r"samples\['a'\] must be a GradientSamples"):
        widgets.gradient_norm_explorer({"a": 1})
    with pytest.raises(ValueError, match="batch_size must be one of"):
        widgets.gradient_norm_explorer({"init": samples}, batch_size=3)


def test_rms_norms_square_to_the_mean_squared_norm(samples):
    rms = samples.rms_norms("sum")
    for b in samples.batch_sizes:
        assert rms[b] ** 2 == pytest.approx(float(np.mean((b * samples.norms[b]) ** 2)))


# --- BS17: agreement between per-sample gradients -----------------------------------------------

class _Fixed(torch.nn.Module):
    """A 'model' whose per-sample gradients are chosen rows: the loss of sample i is w · v_i with
    v_i the i-th row of V (x holds the row index), so per_sample_grads returns V exactly."""

    def __init__(self, V):
        super().__init__()
        self.V = V
        self.w = torch.nn.Parameter(torch.zeros(V.shape[1]))

    def forward(self, x):
        return (self.V[x.long().flatten()] @ self.w)[:, None]


def _agree(V, batch_sizes=(1, 2, 8), trials=400, seed=0):
    model = _Fixed(V)
    x = torch.arange(len(V))
    return gs.agreement(model, x, torch.zeros(len(V)), list(batch_sizes), trials=trials, seed=seed,
                        names=["w"], loss_fn=lambda out, y: out.sum())


def test_agreement_identical_gradients_agree_completely():
    a = _agree(torch.ones(50, 4))
    assert a.mean_cosine == pytest.approx(1.0) and a.opposing == 0.0
    assert all(r == pytest.approx(1.0) for r in a.ratio.values())   # no cancellation at any B
    assert a.random[1] == pytest.approx(1.0) and a.random[8] < 0.5 < a.excess(8)
    assert a.mean_dot == pytest.approx(1.0)


def test_agreement_opposite_pairs_compete_and_random_directions_match_the_null():
    V = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    a = _agree(V, batch_sizes=(2,), trials=2000)
    assert a.mean_cosine == pytest.approx(-1.0) and a.opposing == pytest.approx(1.0)
    assert a.mean_dot == pytest.approx(-1.0)
    # half the batches of two hold both samples (they cancel to 0), half one sample twice (ratio 1)
    assert a.ratio[2] == pytest.approx(0.5, abs=0.05) and a.excess(2) < 1
    # orthogonal unit vectors: exactly what independent random directions would give
    b = _agree(torch.eye(64), batch_sizes=(8,), trials=500)
    assert b.mean_cosine == pytest.approx(0.0, abs=1e-12) and b.excess(8) == pytest.approx(1.0, abs=1e-9)
    assert b.random[8] == pytest.approx(8 ** -0.5, rel=0.1)   # equal lengths, few repeats: about 1/sqrt(B)


def test_agreement_counts_opposing_pairs_in_chunks_and_checks_its_arguments(model, pool):
    x, y = pool
    whole = gs.agreement(model, x[:50], y[:50], [2, 4], trials=20)
    chunked = gs.agreement(model, x[:50], y[:50], [2, 4], trials=20, chunk=7)
    assert whole == chunked
    with pytest.raises(ValueError, match="x must hold at least 2 samples"):
        gs.agreement(model, x[:1], y[:1], [2])
    with pytest.raises(ValueError, match="x and y must have equal length"):
        gs.agreement(model, x[:5], y[:4], [2])
    with pytest.raises(ValueError, match="trials must be >= 1"):
        gs.agreement(model, x[:5], y[:5], [2], trials=0)
    with pytest.raises(ValueError, match="chunk must be >= 1"):
        gs.agreement(model, x[:5], y[:5], [2], chunk=0)
    with pytest.raises(TypeError, match="batch_sizes must be a non-empty list"):
        gs.agreement(model, x[:5], y[:5], 2)
    with pytest.raises(ValueError, match="batch_size must be one of"):
        whole.excess(3)
