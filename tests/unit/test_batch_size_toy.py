"""The 2-D least-squares toy of the batch-size chapter: its gradients, SGD paths and the mini-batch
gradient's moments, checked against the formulas the chapter prints; and the figure that draws it."""
import matplotlib
import numpy as np
import pytest

from lecturelib import plots
from lecturelib.experiments import batch_size as bs

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def toy():
    return bs.toy_problem(64, seed=3)


def test_gradients_are_those_of_the_loss(toy):
    w = np.array([0.3, -2.0])
    eps = 1e-6
    numeric = [(toy.loss(w + eps * e) - toy.loss(w - eps * e)) / (2 * eps) for e in np.eye(2)]
    assert np.allclose(toy.grad(w), numeric, atol=1e-6)
    assert np.allclose(toy.sample_grads(w).mean(axis=0), toy.grad(w))
    assert np.allclose(toy.grad(toy.optimum), 0, atol=1e-10)
    assert toy.loss(toy.optimum) < toy.loss(toy.optimum + [0.01, 0.0])
    assert np.allclose(toy.noise_cov(w), np.cov(toy.sample_grads(w), rowvar=False, bias=True))
    grid = np.zeros((3, 4, 2))
    assert toy.loss(grid).shape == (3, 4)


def test_full_batch_sgd_is_gradient_descent(toy):
    path = bs.toy_sgd(toy, toy.n, lr=0.2, steps=5, start=(1.0, 1.0))
    w = np.array([1.0, 1.0])
    for t in range(5):
        w = w - 0.2 * toy.grad(w)
        assert np.allclose(path[t + 1], w)


def test_steps_and_epochs(toy):
    assert bs.toy_sgd(toy, 16, epochs=2).shape == (2 * 4 + 1, 2)
    assert bs.toy_sgd(toy, 1, epochs=2).shape == (2 * 64 + 1, 2)
    assert bs.toy_sgd(toy, 10, epochs=1).shape == (7 + 1, 2)          # the last batch is smaller
    assert bs.toy_sgd(toy, 16, steps=30).shape == (31, 2)
    paths = bs.toy_paths(toy, (1, 16, None), steps=20, start=(2.0, 0.0))
    assert list(paths) == [1, 16, 64] and all(np.allclose(p[0], [2.0, 0.0]) for p in paths.values())
    assert np.array_equal(bs.toy_sgd(toy, 1, steps=20, seed=5), bs.toy_sgd(toy, 1, steps=20, seed=5))
    assert not np.array_equal(bs.toy_sgd(toy, 1, steps=20, seed=5), bs.toy_sgd(toy, 1, steps=20, seed=6))


def test_small_batches_hover_around_the_optimum(toy):
    """After many steps the full batch sits on the optimum; B = 1 stays in a noise ball around it."""
    w_star = toy.optimum
    full = bs.toy_sgd(toy, toy.n, lr=0.2, steps=400)
    one = bs.toy_sgd(toy, 1, lr=0.2, steps=400)
    assert np.linalg.norm(full[-1] - w_star) < 1e-6
    late = np.linalg.norm(one[200:] - w_star, axis=1)
    assert late.mean() > 0.05 and late.max() < 2.0


@pytest.mark.parametrize("b", [1, 16])
def test_minibatch_moments_match_the_formulas(toy, b):
    """E[g_B] = ∇L; Cov(g_B) = Σ/B with replacement, Σ/B (N − B)/(N − 1) without."""
    w = np.array([-1.0, 1.5])
    sigma, n = toy.noise_cov(w), toy.n
    mean, cov = bs.minibatch_moments(toy, w, b, draws=40_000, replace=True, seed=1)
    assert np.allclose(mean, toy.grad(w), atol=0.02)
    assert np.trace(cov) == pytest.approx(np.trace(sigma) / b, rel=0.05)
    mean, cov = bs.minibatch_moments(toy, w, b, draws=40_000, replace=False, seed=1)
    assert np.allclose(mean, toy.grad(w), atol=0.02)
    assert np.trace(cov) == pytest.approx(np.trace(sigma) / b * (n - b) / (n - 1), rel=0.05)


def test_full_batch_without_replacement_has_no_noise(toy):
    _, cov = bs.minibatch_moments(toy, [0.0, 0.0], toy.n, draws=50, replace=False)
    assert np.allclose(cov, 0, atol=1e-20)


def test_toy_bad_input(toy):
    with pytest.raises(ValueError, match="n must be >= 2"):
        bs.toy_problem(1)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        bs.toy_problem(noise=-1.0)
    with pytest.raises(TypeError, match="toy must be a lecturelib.experiments.batch_size.Toy"):
        bs.toy_sgd("toy", 1, steps=3)
    with pytest.raises(ValueError, match="exactly one of steps and epochs"):
        bs.toy_sgd(toy, 1, steps=3, epochs=1)
    with pytest.raises(ValueError, match="exactly one of steps and epochs"):
        bs.toy_sgd(toy, 1)
    with pytest.raises(ValueError, match="batch_size must be <= 64"):
        bs.toy_sgd(toy, 65, steps=3)
    with pytest.raises(ValueError, match="lr must be > 0"):
        bs.toy_sgd(toy, 1, steps=3, lr=0.0)
    with pytest.raises(ValueError, match=r"start must have shape \(2,\)"):
        bs.toy_sgd(toy, 1, steps=3, start=(1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="w must be a point"):
        toy.grad("here")
    with pytest.raises(ValueError, match="batch_sizes must name at least one"):
        bs.toy_paths(toy, [], steps=3)
    with pytest.raises(TypeError, match="replace must be True or False"):
        bs.minibatch_moments(toy, [0, 0], 4, replace="yes")
    with pytest.raises(ValueError, match="draws must be >= 2"):
        bs.minibatch_moments(toy, [0, 0], 4, draws=1)
    with pytest.raises(ValueError, match="batch_size must be <= 64"):
        bs.minibatch_moments(toy, [0, 0], 65, replace=False)


def test_plot_draws_every_path_over_the_contours(toy):
    paths = bs.toy_paths(toy, (1, 16, None), steps=10)
    ax = plots.toy_paths(toy, paths, title="t")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "B = 1: 10 steps" in labels and "full batch (B = 64): 10 steps" in labels
    assert "optimum w*" in labels and ax.get_title() == "t"
    with pytest.raises(TypeError, match="toy must be"):
        plots.toy_paths(None, paths)
    with pytest.raises(TypeError, match="paths must be a dict"):
        plots.toy_paths(toy, list(paths.values()))
    with pytest.raises(ValueError, match="at least one path"):
        plots.toy_paths(toy, {})
    with pytest.raises(ValueError, match=r"paths\[1\] must be an array of shape"):
        plots.toy_paths(toy, {1: np.zeros((4, 3))})
