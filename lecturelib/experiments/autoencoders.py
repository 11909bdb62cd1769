"""The runs of the autoencoder and VAE chapters, at the sizes of each preset.

Every model trains through ``lecturelib.train.fit`` with Adam. At ``quick`` and
``full`` trained models are cached (``lecturelib.autoencoders.train_cached``),
so re-running a chapter skips training; at ``ci`` they always train.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from .. import autoencoders as ae
from .._checks import check_choice, check_float, check_int, check_type
from ..data import Data, mnist
from ..models import MLP
from ..presets import pick, preset, set_seed
from ..train import History, fit

KINDS = ("mlp", "conv", "linear", "vae")


@dataclass(frozen=True)
class Scale:
    """How big the chapters' experiments are at one preset."""
    train_limit: int | None   # training images (None: all 60,000)
    test_limit: int | None    # test images (None: all 10,000)
    hidden: tuple[int, ...]   # hidden widths of the MLP encoder (mirrored in the decoder)
    epochs: int               # epochs for every autoencoder and VAE
    batch_size: int
    lr: float                 # Adam's learning rate
    code_sizes: tuple[int, ...]   # the code-size sweep (AE1)
    pca_ks: tuple[int, ...]       # code sizes of the linear AE vs PCA comparison (AE2)
    linear_epochs: int
    linear_lr: float          # the linear AE's loss is flat along small-variance directions: a larger step helps
    latent_size: int          # the VAE and AE whose samples are scored (VAE2)
    betas: tuple[float, ...]  # the beta-VAE sweep (VAE3)
    classifier_epochs: int    # the MNIST classifier that scores samples
    n_samples: int            # generated digits scored per model


SCALES = {
    "ci": Scale(train_limit=5_000, test_limit=1_000, hidden=(256,), epochs=3, batch_size=64, lr=1e-3,
                code_sizes=(2, 8, 32), pca_ks=(2, 8, 32), linear_epochs=5, linear_lr=3e-3, latent_size=16,
                betas=(0.5, 1.0, 4.0), classifier_epochs=3, n_samples=1_000),
    "quick": Scale(train_limit=None, test_limit=None, hidden=(400,), epochs=5, batch_size=128, lr=1e-3,
                   code_sizes=(2, 4, 8, 16, 32, 64), pca_ks=(2, 8, 32, 64), linear_epochs=10, linear_lr=3e-3, latent_size=16,
                   betas=(0.5, 1.0, 2.0, 4.0, 8.0), classifier_epochs=3, n_samples=5_000),
    "full": Scale(train_limit=None, test_limit=None, hidden=(512, 256), epochs=30, batch_size=128, lr=1e-3,
                  code_sizes=(2, 4, 8, 16, 32, 64, 128), pca_ks=(2, 8, 32, 64, 128), linear_epochs=30, linear_lr=1e-3,
                  latent_size=16, betas=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0), classifier_epochs=10,
                  n_samples=10_000),
}


def scale(preset_name: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset_name``)."""
    return pick(SCALES, preset_name)


def data(s: Scale | None = None) -> Data:
    """MNIST at this scale."""
    s = _scale(s)
    return mnist(train_limit=s.train_limit, test_limit=s.test_limit)


def build(kind: str, code_size: int, s: Scale | None = None, *, seed: int = 0):
    """A fresh model of ``kind`` (mlp, conv, linear or vae) initialized from ``seed``."""
    check_choice("kind", kind, KINDS)
    s = _scale(s)
    set_seed(seed)
    if kind == "mlp":
        return ae.Autoencoder(code_size, s.hidden)
    if kind == "linear":
        return ae.Autoencoder(code_size, ())
    if kind == "conv":
        return ae.ConvAutoencoder(code_size)
    return ae.VAE(code_size, s.hidden)


def train(kind: str, code_size: int, s: Scale | None = None, *, seed: int = 0, beta: float = 1.0,
          epochs: int | None = None, progress: bool = False):
    """Train one model and return ``(model, history)``.

    Plain autoencoders minimize squared error (``Reconstruction``); a VAE
    minimizes reconstruction + beta * KL (``ELBO``). A configuration trained
    before in this process is returned as it is, not trained again.
    """
    s = _scale(s)
    model = build(kind, check_int("code_size", code_size, low=1), s, seed=seed)
    beta = check_float("beta", beta, low=0.0)
    if epochs is None:
        epochs = s.linear_epochs if kind == "linear" else s.epochs
    epochs = check_int("epochs", epochs, low=1)
    objective = ae.ELBO(beta) if kind == "vae" else ae.Reconstruction()
    label = f"{kind}, code {code_size}" + (f", β {beta:g}" if kind == "vae" else "")
    config = {"kind": kind, "code_size": code_size, "beta": beta if kind == "vae" else None,
              "epochs": epochs, "seed": seed, "scale": asdict(s), "v": 1}
    key = ae.cache_key(config)
    if key in _TRAINED:   # the same run earlier in this process (e.g. beta = 1 of the sweep)
        return _TRAINED[key]
    d = data(s)

    def run(m):
        lr = s.linear_lr if kind == "linear" else s.lr
        return fit(m, d, optimizer="adam", lr=lr, batch_size=s.batch_size, epochs=epochs,
                   objective=objective, seed=seed, progress=progress, label=label)

    _TRAINED[key] = ae.train_cached(config, model, run, use_cache=preset() != "ci")
    return _TRAINED[key]


# Models trained in this process, keyed by configuration: a chapter that needs the
# same run twice trains it once, at every preset (at ``ci`` nothing goes to disk).
_TRAINED: dict = {}


def code_size_sweep(s: Scale | None = None, *, kind: str = "mlp", seed: int = 0) -> dict:
    """AE1: one autoencoder per code size; returns code size -> (model, history)."""
    s = _scale(s)
    return {k: train(kind, k, s, seed=seed) for k in s.code_sizes}


def code_features(model, s: Scale | None = None, *, seed: int = 0) -> History:
    """AE1: a logistic-regression classifier trained on the model's codes instead of pixels."""
    s = _scale(s)
    d = data(s)
    features = Data(ae.codes(model, d.x_train), d.y_train, ae.codes(model, d.x_test), d.y_test)
    set_seed(seed)
    probe = MLP(model.code_size, (), 10)
    return fit(probe, features, optimizer="adam", lr=1e-2, batch_size=s.batch_size, epochs=s.classifier_epochs,
               seed=seed, label=f"codes of size {model.code_size}")


def linear_vs_pca(s: Scale | None = None, *, seed: int = 0) -> list[dict]:
    """AE2: for each k, a trained linear autoencoder's test error, PCA's, and the
    principal angles between the two k-dimensional subspaces."""
    s = _scale(s)
    d = data(s)
    rows = []
    for k in s.pca_ks:
        model, history = train("linear", k, s, seed=seed)
        mean, components = ae.pca(d.x_train, k)
        angles = ae.principal_angles(ae.decoder_subspace(model), components.T)
        ae_err, pca_err = history.final("test_loss"), ae.pca_error(d.x_test, mean, components)
        rows.append({"k": k, "ae_error": ae_err, "pca_error": pca_err, "ratio": ae_err / pca_err,
                     "median_angle": float(sorted(angles)[len(angles) // 2]), "max_angle": float(angles.max()),
                     "angles": angles})
    return rows


def classifier(s: Scale | None = None, *, seed: int = 0):
    """An MLP classifier of MNIST digits at this scale, to score generated digits."""
    s = _scale(s)
    set_seed(seed)
    model = MLP(784, s.hidden, 10)
    config = {"kind": "classifier", "seed": seed, "scale": asdict(s), "v": 1}

    def run(m):
        return fit(m, data(s), optimizer="adam", lr=s.lr, batch_size=s.batch_size,
                   epochs=s.classifier_epochs, seed=seed, label="classifier")

    return ae.train_cached(config, model, run, use_cache=preset() != "ci")


def sample_scores(plain, vae, judge, s: Scale | None = None, *, seed: int = 0) -> dict:
    """VAE2: classifier scores of digits decoded from random codes.

    The VAE's codes come from its prior N(0, I). The plain autoencoder has no
    prior: its codes come from the same N(0, I), and from a Gaussian fitted to
    its training codes (a stronger baseline). Real test digits are the ceiling.
    """
    s = _scale(s)
    n = check_int("n_samples", s.n_samples, low=1)
    d = data(s)
    return {
        "test digits": ae.classifier_score(judge, d.x_test[:n]),
        "autoencoder, N(0, I)": ae.classifier_score(
            judge, ae.decode(plain, torch.randn((n, plain.code_size), generator=torch.Generator().manual_seed(seed)))),
        "autoencoder, fitted Gaussian": ae.classifier_score(
            judge, ae.sample_fitted_gaussian(plain, d.x_train, n, seed=seed)),
        "VAE, prior N(0, I)": ae.classifier_score(judge, ae.sample_prior(vae, n, seed=seed)),
    }


def beta_sweep(s: Scale | None = None, *, latent_size: int | None = None, seed: int = 0) -> dict:
    """VAE3: one VAE per beta; returns beta -> (model, history)."""
    s = _scale(s)
    k = s.latent_size if latent_size is None else latent_size
    return {b: train("vae", k, s, seed=seed, beta=b) for b in s.betas}


def _scale(s):
    if s is None:
        return scale()
    return check_type("s", s, Scale, "a lecturelib.experiments.autoencoders.Scale or None")
