"""Unit tests of lecturelib.autoencoders: shapes, the VAE's pieces, PCA helpers, the cache, bad inputs."""
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import lecturelib
from lecturelib import autoencoders as ae
from lecturelib.autoencoders import cache as ae_cache
from lecturelib.data import Data
from lecturelib.train import History, fit


@pytest.fixture
def images():
    torch.manual_seed(0)
    return torch.randn(12, 1, 28, 28)


# --- models -----------------------------------------------------------------------

@pytest.mark.parametrize("model", [ae.Autoencoder(5), ae.Autoencoder(5, ()), ae.ConvAutoencoder(5, channels=4)])
def test_autoencoders_keep_image_shape(model, images):
    assert model.encode(images).shape == (12, 5)
    assert model(images).shape == images.shape


def test_vae_shapes(images):
    model = ae.VAE(3, (32,))
    mu, logvar = model.encode(images)
    assert mu.shape == logvar.shape == (12, 3)
    logits, mu2, _ = model(images)
    assert logits.shape == images.shape and mu2.shape == (12, 3)
    assert ae.decode(model, torch.zeros(4, 3)).shape == (4, 1, 28, 28)


def test_linear_autoencoder_has_no_nonlinearity():
    model = ae.Autoencoder(4, ())
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    assert ae.decoder_subspace(model).shape == (784, 4)


@pytest.mark.parametrize("call, match", [
    (lambda: ae.Autoencoder(0), "code_size must be >= 1"),
    (lambda: ae.Autoencoder(2, "wide"), "hidden must be a tuple"),
    (lambda: ae.Autoencoder(2, (0,)), r"hidden\[0\] must be >= 1"),
    (lambda: ae.ConvAutoencoder(2, channels=0), "channels must be >= 1"),
    (lambda: ae.VAE(2, ()), "hidden must hold at least one"),
    (lambda: ae.VAE(2.5), "latent_size must be an integer"),
])
def test_model_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- the VAE's pieces -------------------------------------------------------------

def test_kl_closed_form_is_zero_at_the_prior():
    assert torch.allclose(ae.kl_normal(torch.zeros(3, 4), torch.zeros(3, 4)), torch.zeros(3))


def test_kl_closed_form_matches_monte_carlo():
    g = torch.Generator().manual_seed(1)
    mu = torch.randn(5, 4, generator=g)
    logvar = torch.randn(5, 4, generator=g) * 0.5
    exact = ae.kl_normal(mu, logvar)
    estimate = ae.kl_monte_carlo(mu, logvar, 200_000, generator=torch.Generator().manual_seed(2))
    # The estimator's standard error at 200,000 draws is below 0.01 nats for these values.
    assert torch.allclose(exact, estimate, atol=0.03), (exact, estimate)


def test_gradients_flow_through_the_reparameterization():
    mu = torch.tensor([[0.5, -1.0]], requires_grad=True)
    logvar = torch.tensor([[0.2, -0.4]], requires_grad=True)
    g = torch.Generator().manual_seed(0)
    z = ae.reparameterize(mu, logvar, generator=g)
    z.pow(2).sum().backward()
    eps = torch.randn((1, 2), generator=torch.Generator().manual_seed(0))
    # z = mu + exp(logvar / 2) * eps, so d(z^2)/dmu = 2z and d(z^2)/dlogvar = z * exp(logvar / 2) * eps.
    assert torch.allclose(mu.grad, 2 * z.detach())
    assert torch.allclose(logvar.grad, z.detach() * torch.exp(0.5 * logvar.detach()) * eps)
    assert (mu.grad != 0).all() and (logvar.grad != 0).all()


def test_vae_loss_reaches_the_encoder(images):
    model = ae.VAE(2, (16,))
    ae.vae_loss(model, images).backward()
    assert model.mu.weight.grad.abs().sum() > 0 and model.logvar.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("call, match", [
    (lambda: ae.kl_normal(torch.zeros(2, 3), torch.zeros(2, 4)), "same shape"),
    (lambda: ae.kl_normal(torch.zeros(3), torch.zeros(3)), r"shape \(batch, latent\)"),
    (lambda: ae.kl_normal([0.0], torch.zeros(1, 1)), "mu must be a torch.Tensor"),
    (lambda: ae.kl_monte_carlo(torch.zeros(1, 1), torch.zeros(1, 1), 0), "n_samples must be >= 1"),
    (lambda: ae.reparameterize(torch.zeros(1, 2), "x"), "logvar must be a torch.Tensor"),
    (lambda: ae.vae_loss(ae.Autoencoder(2), torch.zeros(1, 1, 28, 28)), "model must be a lecturelib.autoencoders VAE"),
    (lambda: ae.vae_loss(ae.VAE(2), torch.zeros(1, 1, 28, 28), beta=-1.0), "beta must be >= 0"),
    (lambda: ae.ELBO(beta="1"), "beta must be a number"),
])
def test_vae_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- objectives through fit -------------------------------------------------------

def _tiny_data(images):
    labels = torch.arange(12) % 10
    return Data(images, labels, images[:4], labels[:4])


def test_reconstruction_objective_trains_through_fit(images):
    torch.manual_seed(0)
    h = fit(ae.Autoencoder(4, (32,)), _tiny_data(images), optimizer="adam", lr=1e-2, batch_size=4,
            epochs=3, objective=ae.Reconstruction())
    assert set(h.values) == {"train_loss", "test_loss"}
    assert h.final("train_loss") < h["train_loss"][0]


def test_elbo_objective_reports_terms_and_bound(images):
    torch.manual_seed(0)
    h = fit(ae.VAE(2, (32,)), _tiny_data(images), optimizer="adam", lr=1e-3, batch_size=4,
            epochs=2, objective=ae.ELBO(2.0))
    assert {"train_elbo", "test_recon", "test_kl", "test_loss"} <= set(h.values)
    for i in range(3):
        assert h["test_elbo"][i] == pytest.approx(-(h["test_recon"][i] + h["test_kl"][i]))
        assert h["test_loss"][i] == pytest.approx(h["test_recon"][i] + 2.0 * h["test_kl"][i])


def test_elbo_evaluation_is_repeatable_and_leaves_the_rng_alone(images):
    model, objective = ae.VAE(2, (16,)), ae.ELBO()
    torch.manual_seed(5)
    first = objective.evaluate(model, images, torch.zeros(12, dtype=torch.long))
    after = torch.rand(1)
    torch.manual_seed(5)
    assert objective.evaluate(model, images, torch.zeros(12, dtype=torch.long)) == first
    assert torch.equal(torch.rand(1), after)


# --- codes, samples, grids ----------------------------------------------------------

def test_codes_of_a_vae_are_its_means(images):
    model = ae.VAE(3, (16,))
    assert torch.allclose(ae.codes(model, images, batch_size=5), model.encode(images)[0])


def test_sampling_and_interpolation_shapes(images):
    vae, plain = ae.VAE(2, (16,)), ae.Autoencoder(2, (16,))
    assert ae.sample_prior(vae, 7, seed=1).shape == (7, 1, 28, 28)
    assert torch.equal(ae.sample_prior(vae, 3, seed=1), ae.sample_prior(vae, 3, seed=1))
    assert ae.sample_fitted_gaussian(plain, images, 5).shape == (5, 1, 28, 28)
    path = ae.interpolate(plain, images[0], images[1], steps=5)
    assert path.shape == (5, 1, 28, 28)
    assert torch.allclose(path[0], ae.reconstruct(plain, images[:1])[0], atol=1e-5)


def test_latent_grid_for_vae_and_plain_autoencoder(images):
    grid, values = ae.latent_grid(ae.VAE(2, (16,)), 4)
    assert grid.shape == (16, 1, 28, 28) and values.shape == (4, 2)
    assert values[0, 0] == pytest.approx(-1.6449, abs=1e-3)  # the prior's 5 % quantile
    grid, _ = ae.latent_grid(ae.Autoencoder(2, (16,)), 3, x=images)
    assert grid.shape == (9, 1, 28, 28)


@pytest.mark.parametrize("call, match", [
    (lambda: ae.codes("model", torch.zeros(1, 1, 28, 28)), "model must be a lecturelib.autoencoders"),
    (lambda: ae.decode(ae.VAE(2), torch.zeros(3, 4)), r"z must have shape \(n, 2\)"),
    (lambda: ae.sample_prior(ae.Autoencoder(2), 3), "model must be a lecturelib.autoencoders VAE"),
    (lambda: ae.sample_prior(ae.VAE(2), 0), "n must be >= 1"),
    (lambda: ae.sample_prior(ae.VAE(2), 2, seed=-1), "seed must be >= 0"),
    (lambda: ae.interpolate(ae.VAE(2), torch.zeros(1, 28, 28), torch.zeros(1, 28, 28), steps=1), "steps must be >= 2"),
    (lambda: ae.interpolate(ae.VAE(2), torch.zeros(2, 1, 28, 28), torch.zeros(1, 28, 28)), "one image"),
    (lambda: ae.latent_grid(ae.VAE(3)), "2-D code"),
    (lambda: ae.latent_grid(ae.VAE(2), 1), "n must be >= 2"),
    (lambda: ae.latent_grid(ae.VAE(2), 4, low=0.6, high=0.5), "high must be > 0.6"),
    (lambda: ae.latent_grid(ae.Autoencoder(2)), "x must be given"),
])
def test_latent_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- classifier score ---------------------------------------------------------------

class _Fixed(nn.Module):
    """Predicts class i % 10 for image i with a chosen confidence."""

    def __init__(self, logit):
        super().__init__()
        self.logit = logit

    def forward(self, x):
        out = torch.zeros(len(x), 10)
        out[torch.arange(len(x)), torch.arange(len(x)) % 10] = self.logit
        return out


def test_classifier_score_confidence_and_balance():
    score = ae.classifier_score(_Fixed(100.0), torch.zeros(20, 1, 28, 28))
    assert score["confidence"] == pytest.approx(1.0)
    assert score["balance"] == pytest.approx(1.0)
    assert score["counts"] == [2] * 10
    unsure = ae.classifier_score(_Fixed(0.0), torch.zeros(20, 1, 28, 28))
    assert unsure["confidence"] == pytest.approx(0.1)


def test_classifier_score_of_one_class_has_zero_balance():
    score = ae.classifier_score(_Fixed(5.0), torch.zeros(1, 1, 28, 28))
    assert score["balance"] == 0.0 and score["counts"][0] == 1


@pytest.mark.parametrize("call, match", [
    (lambda: ae.classifier_score("clf", torch.zeros(1, 1, 28, 28)), "classifier must be a torch.nn.Module"),
    (lambda: ae.classifier_score(_Fixed(1.0), torch.zeros(3, 784)), r"images must have shape \(n, 1, 28, 28\)"),
])
def test_classifier_score_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- PCA -------------------------------------------------------------------------------

def test_pca_recovers_a_planted_subspace():
    g = torch.Generator().manual_seed(0)
    basis, _ = torch.linalg.qr(torch.randn(784, 3, generator=g, dtype=torch.float64))
    x = (torch.randn(500, 3, generator=g, dtype=torch.float64) * torch.tensor([5.0, 3.0, 2.0])) @ basis.T
    mean, comps = ae.pca(x.view(500, 1, 28, 28) + 1.0, 3)
    assert comps.shape == (3, 784)
    assert torch.allclose(mean, torch.ones(784, dtype=torch.float64), atol=1.0)
    assert ae.principal_angles(comps.T, basis).max() < 1e-4
    assert ae.pca_error(x.view(500, 1, 28, 28) + 1.0, mean, comps) < 1e-20


def test_principal_angles_of_orthogonal_and_equal_spans():
    eye = torch.eye(6)
    assert np.allclose(ae.principal_angles(eye[:, :2], eye[:, 2:4]), 90.0)
    mixed = eye[:, :2] @ torch.tensor([[2.0, 1.0], [1.0, 3.0]])  # same span, other basis
    assert np.allclose(ae.principal_angles(mixed, eye[:, :2]), 0.0, atol=1e-5)
    tilted = torch.tensor([[1.0], [1.0], [0.0], [0.0], [0.0], [0.0]])
    assert ae.principal_angles(tilted, eye[:, :1])[0] == pytest.approx(45.0)


@pytest.mark.parametrize("call, match", [
    (lambda: ae.pca(torch.zeros(5, 1, 28, 28), 6), "k must be <= 5"),
    (lambda: ae.pca(np.zeros((5, 784)), 2), "x must be a torch.Tensor"),
    (lambda: ae.pca_error(torch.zeros(5, 784), torch.zeros(784), torch.zeros(2, 10)), r"components must have shape \(k, 784\)"),
    (lambda: ae.principal_angles(torch.zeros(5, 2), torch.zeros(6, 2)), "same number of rows"),
    (lambda: ae.decoder_subspace(ae.Autoencoder(2, (8,))), "model must be linear"),
])
def test_pca_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- the cache --------------------------------------------------------------------------

@pytest.fixture
def cache(tmp_path, monkeypatch, images):
    """A cache in tmp_path and a training function that counts its calls."""
    monkeypatch.setenv("LECTURELIB_CACHE", str(tmp_path))
    calls = []

    def train(model):
        calls.append(1)
        with torch.no_grad():
            model.decoder[0].bias.fill_(0.25)
        return fit(model, _tiny_data(images), optimizer="adam", lr=1e-3, batch_size=4,
                   objective=ae.Reconstruction())

    return tmp_path, train, calls


CONFIG = {"kind": "test", "seed": 0, "sizes": (2, 3)}


def test_train_cached_trains_once(cache):
    tmp_path, train, calls = cache
    model, history = ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    again, history2 = ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    assert len(calls) == 1 and len(list(tmp_path.glob("*.pt"))) == 1
    assert len(list(tmp_path.glob("*.json"))) == 1 and not list(tmp_path.glob(".*tmp"))
    assert torch.equal(again.decoder[0].bias, model.decoder[0].bias)
    assert history2 == history
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train, use_cache=False)
    assert len(calls) == 2
    assert ae.cache_key(CONFIG) != ae.cache_key({**CONFIG, "seed": 1})


def test_cache_entry_is_tensors_and_json(cache):
    tmp_path, train, _ = cache
    model, history = ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    weights, meta = ae.cache_paths(CONFIG)
    state = torch.load(weights, weights_only=True)     # nothing but tensors: no pickled objects
    assert set(state) == set(model.state_dict()) and all(isinstance(v, torch.Tensor) for v in state.values())
    record = json.loads(meta.read_text())
    assert record["format"] == ae.CACHE_FORMAT and record["fingerprint"] == ae.code_fingerprint()
    assert record["modules"] == list(ae.FINGERPRINT_MODULES)
    assert record["config"] == {"kind": "test", "seed": 0, "sizes": [2, 3]}
    assert History.from_dict(record["history"]) == history


def test_history_round_trips_through_json():
    h = History(label="x", config={"phases": [{"epochs": 2, "batch_size": 4, "lr": 0.1}], "seed": 3,
                                   "diverged_at_epoch": None},
                epoch=[0, 1], steps=[0, 3], samples=[0, 12], seconds=[0.0, 0.123456789012345],
                batch_size=[None, 4], lr=[None, 0.1],
                values={"test_loss": [1.0, 1 / 3], "test_acc": [np.float64(0.5), 0.75]})
    back = History.from_dict(json.loads(json.dumps(ae_cache._plain(h.to_dict()))))
    assert back == h
    assert type(back.values["test_acc"][0]) is float


def test_cache_truncated_weights_warn_in_one_line_and_retrain(cache, capsys):
    _, train, calls = cache
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    weights, _ = ae.cache_paths(CONFIG)
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])   # an interrupted copy
    capsys.readouterr()
    model, _ = ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    err = capsys.readouterr().err
    assert len(calls) == 2 and err.count("\n") == 1 and "unusable" in err and "retraining" in err
    assert float(model.decoder[0].bias.detach()[0]) != 0.0
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)      # the rewritten entry is good again
    assert len(calls) == 2


def test_cache_corrupt_json_retrains(cache, capsys):
    _, train, calls = cache
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    ae.cache_paths(CONFIG)[1].write_text('{"format": 2, "fingerp')
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    assert len(calls) == 2 and "JSONDecodeError" in capsys.readouterr().err


def test_cache_weights_of_another_model_retrain(cache, capsys):
    _, train, calls = cache
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    ae.train_cached(CONFIG, ae.Autoencoder(3, ()), lambda m: calls.append(1) or History("x", {}))
    assert len(calls) == 2 and "RuntimeError" in capsys.readouterr().err   # load_state_dict refused


def test_cache_other_code_fingerprint_retrains(cache, capsys, monkeypatch):
    tmp_path, train, calls = cache
    monkeypatch.setattr(ae_cache, "code_fingerprint", lambda modules=None: "aaaa")
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    monkeypatch.setattr(ae_cache, "code_fingerprint", lambda modules=None: "bbbb")
    capsys.readouterr()
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    err = capsys.readouterr().err
    assert len(calls) == 2 and "trained by other code (fingerprint aaaa, now bbbb)" in err
    assert [p.name.split("-")[1] for p in tmp_path.glob("*.json")] == ["bbbb.json"]   # old one gone
    # An entry renamed to the new fingerprint is caught by the fingerprint inside its JSON.
    monkeypatch.setattr(ae_cache, "code_fingerprint", lambda modules=None: "cccc")
    for p in tmp_path.iterdir():
        p.rename(p.with_name(p.name.replace("bbbb", "cccc")))
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    assert len(calls) == 3 and "fingerprint bbbb, now cccc" in capsys.readouterr().err


def test_cache_other_config_retrains(cache, capsys):
    tmp_path, train, calls = cache
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    ae.train_cached({**CONFIG, "seed": 1}, ae.Autoencoder(2, ()), train)
    assert len(calls) == 2 and len(list(tmp_path.glob("*.json"))) == 2
    # An entry whose file name claims one configuration but whose JSON holds another is not used.
    meta = ae.cache_paths(CONFIG)[1]
    record = json.loads(meta.read_text())
    meta.write_text(json.dumps({**record, "config": {**CONFIG, "seed": 7}}))
    capsys.readouterr()
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    assert len(calls) == 3 and "another configuration" in capsys.readouterr().err


def test_cache_interrupted_save_leaves_no_entry(cache, monkeypatch):
    tmp_path, train, calls = cache

    def torn_save(obj, path):
        Path(path).write_bytes(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", torn_save)
    with pytest.raises(KeyboardInterrupt):
        ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    assert list(tmp_path.iterdir()) == []          # neither a torn file nor a temporary one
    monkeypatch.undo()
    monkeypatch.setenv("LECTURELIB_CACHE", str(tmp_path))
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    ae.train_cached(CONFIG, ae.Autoencoder(2, ()), train)
    assert len(calls) == 2


def test_cache_unwritable_folder_warns_and_returns_the_model(tmp_path, monkeypatch, capsys, images):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LECTURELIB_CACHE", str(blocker / "models"))
    model, history = ae.train_cached(CONFIG, ae.Autoencoder(2, ()), lambda m: History("x", {}))
    assert history.label == "x" and "not cached" in capsys.readouterr().err


def test_source_fingerprint_ignores_comments_docstrings_and_layout():
    code = 'def f(x):\n    """Doc."""\n    return x + 1  # one\n'
    same = '# a comment\ndef f(x):\n    """Other doc, longer."""\n\n    return (x +\n            1)\n'
    assert ae.source_fingerprint(code) == ae.source_fingerprint(same)
    assert ae.source_fingerprint(code) != ae.source_fingerprint(code.replace("x + 1", "x + 2"))
    assert ae.source_fingerprint('"""Module doc."""\n') == ae.source_fingerprint("")


def test_code_fingerprint_follows_the_fingerprinted_sources(tmp_path, monkeypatch):
    package = Path(lecturelib.__file__).parent
    copy = tmp_path / "lecturelib"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(ae_cache, "_PACKAGE", copy)

    def fingerprint():
        monkeypatch.setattr(ae_cache, "_FINGERPRINTS", {})
        return ae.code_fingerprint()

    before = fingerprint()
    train_py = copy / "train.py"
    train_py.write_text(train_py.read_text() + "\n# a comment changes nothing\n")
    assert fingerprint() == before
    histories_py = copy / "plots" / "histories.py"
    histories_py.write_text(histories_py.read_text() + "\nX = 1\n")  # not fingerprinted
    assert fingerprint() == before
    train_py.write_text(train_py.read_text().replace("steps += 1", "steps += 1\n            pass", 1))
    assert fingerprint() != before
    assert "train" in ae.FINGERPRINT_MODULES and not any(m.startswith("plots") for m in ae.FINGERPRINT_MODULES)


@pytest.mark.parametrize("part, trains", [("models", True), ("objectives", True), ("cache", True),
                                          ("analysis", False), ("figures", False)])
def test_code_fingerprint_covers_the_autoencoder_modules_that_train(tmp_path, monkeypatch, part, trains):
    """The package's parts that build, train or store a model are fingerprinted; those that only
    look at a trained one are not."""
    copy = tmp_path / "lecturelib"
    shutil.copytree(Path(lecturelib.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(ae_cache, "_PACKAGE", copy)
    monkeypatch.setattr(ae_cache, "_FINGERPRINTS", {})
    before = ae.code_fingerprint()
    source = copy / "autoencoders" / f"{part}.py"
    source.write_text(source.read_text() + "\nX = 1\n")
    monkeypatch.setattr(ae_cache, "_FINGERPRINTS", {})
    assert (ae.code_fingerprint() != before) is trains
    assert (f"autoencoders.{part}" in ae.FINGERPRINT_MODULES) is trains


def test_code_fingerprint_is_computed_once_per_process(monkeypatch):
    first = ae.code_fingerprint()
    monkeypatch.setattr(ae_cache, "_PACKAGE", Path("/nonexistent"))
    assert ae.code_fingerprint() == first     # the code this process imported, not today's files


@pytest.mark.parametrize("call, match", [
    (lambda: ae.cache_key(["kind"]), "config must be a dict"),
    (lambda: ae.train_cached({}, ae.VAE(2), "train"), "train must be a function"),
    (lambda: ae.train_cached({}, "model", lambda m: None), "model must be a torch.nn.Module"),
    (lambda: ae.train_cached({}, ae.VAE(2), lambda m: None, use_cache=1), "use_cache must be True or False"),
    (lambda: ae.train_cached("cfg", ae.VAE(2), lambda m: None), "config must be a dict"),
    (lambda: ae.code_fingerprint(()), "modules must be a non-empty sequence"),
    (lambda: ae.code_fingerprint(("no_such_module",)), "has no source file"),
    (lambda: ae.source_fingerprint(b"x = 1"), "source must be Python source code"),
])
def test_cache_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- figures ------------------------------------------------------------------------------

def test_figures_draw(images):
    import matplotlib.pyplot as plt
    ax = ae.show_images(images, nrow=5, title="x")
    assert ax.get_title() == "x"
    ax = ae.show_codes(torch.randn(12, 2), torch.arange(12) % 10)
    assert ax.get_xlabel() == "code 1"
    plt.close("all")
    with pytest.raises(ValueError, match=r"z must have shape \(n, 2\)"):
        ae.show_codes(torch.randn(12, 3), torch.arange(12))
    with pytest.raises(ValueError, match="nrow must be >= 1"):
        ae.show_images(images, nrow=0)


def test_pixel_spaces_round_trip():
    p = torch.rand(3, 1, 28, 28)
    assert torch.allclose(ae.to_unit(ae.from_unit(p)), p, atol=1e-6)
    assert math.isclose(float(ae.to_unit(torch.tensor(-10.0))), 0.0)


# --- widgets -------------------------------------------------------------------------------

def test_latent_explorer_decodes_the_sliders_point():
    from lecturelib import widgets
    model = ae.VAE(2, (16,))
    explorer = widgets.latent_explorer(model, limit=2.0)
    explorer.z1.value, explorer.z2.value = 1.0, -0.5
    assert torch.allclose(explorer.image(), ae.decode(model, torch.tensor([[1.0, -0.5]])))
    with pytest.raises(ValueError, match="model must have a 2-D code"):
        widgets.latent_explorer(ae.VAE(3))
    with pytest.raises(ValueError, match="limit must be > 0"):
        widgets.latent_explorer(model, limit=0.0)


def test_autoencoder_trainer_bad_inputs():
    from lecturelib import widgets
    with pytest.raises(ValueError, match="kind must be one of"):
        widgets.autoencoder_trainer(kind="gan")
    with pytest.raises(ValueError, match="code_size must be <= 64"):
        widgets.autoencoder_trainer(code_size=100)
    with pytest.raises(ValueError, match="beta must be <= 10"):
        widgets.autoencoder_trainer(beta=11.0)
