"""Autoencoders and variational autoencoders: models, objectives and latent-space tools.

Images live in the course's normalized pixel space (``lecturelib.data``: mean 0,
std 1). A plain autoencoder reconstructs that space directly under squared
error, which makes its linear version comparable with PCA. A VAE models each
pixel's brightness in [0, 1] as a Bernoulli variable, so its decoder returns
logits; ``decode`` turns them back into normalized images for plotting and for
the classifier that scores generated digits.

Training goes through ``lecturelib.train.fit`` with the ``Reconstruction`` or
``ELBO`` objective; ``train_cached`` stores trained weights in a git-ignored
``cache/models/`` folder keyed by the run's configuration and a fingerprint of the
code that trained them.
"""
from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_bool, check_choice, check_float, check_int, check_type
from .data import MNIST_MEAN, MNIST_STD, Data, batches
from .models import _check_hidden

IMAGE_SHAPE = (1, 28, 28)
N_PIXELS = 28 * 28


# --- pixel spaces -------------------------------------------------------------

def to_unit(x: torch.Tensor) -> torch.Tensor:
    """Normalized images -> brightness in [0, 1]."""
    return (x * MNIST_STD + MNIST_MEAN).clamp(0.0, 1.0)


def from_unit(p: torch.Tensor) -> torch.Tensor:
    """Brightness in [0, 1] -> the normalized space the data and classifiers use."""
    return (p - MNIST_MEAN) / MNIST_STD


# --- models ---------------------------------------------------------------------

def _mlp(widths, *, last_activation: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(widths) - 2 or last_activation:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """An MLP autoencoder 784 -> hidden -> code_size -> reversed(hidden) -> 784.

    ``hidden=()`` gives the linear autoencoder of Baldi & Hornik (1989): one
    Linear layer each way and no nonlinearity, the model compared with PCA.
    """

    def __init__(self, code_size: int, hidden=(256,)):
        super().__init__()
        self.code_size = check_int("code_size", code_size, low=1, high=N_PIXELS)
        self.hidden = _check_hidden(hidden)
        widths = (N_PIXELS, *self.hidden, code_size)
        self.encoder = nn.Sequential(nn.Flatten(), _mlp(widths, last_activation=False))
        self.decoder = _mlp(widths[::-1], last_activation=False)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, *IMAGE_SHAPE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ConvAutoencoder(nn.Module):
    """A small convolutional autoencoder: two stride-2 convolutions down to 7x7,
    a linear code, and two transposed convolutions back up to 28x28."""

    def __init__(self, code_size: int, channels: int = 16):
        super().__init__()
        self.code_size = check_int("code_size", code_size, low=1, high=N_PIXELS)
        c = check_int("channels", channels, low=1)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),          # 28 -> 14
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),      # 14 -> 7
            nn.Flatten(), nn.Linear(2 * c * 49, code_size))
        self.decoder = nn.Sequential(
            nn.Linear(code_size, 2 * c * 49), nn.ReLU(), nn.Unflatten(1, (2 * c, 7, 7)),
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.ReLU(),   # 7 -> 14
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1))                   # 14 -> 28

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class VAE(nn.Module):
    """A variational autoencoder with a Gaussian encoder and a Bernoulli decoder.

    ``encode(x)`` returns the mean and log-variance of q(z|x); ``forward(x)``
    samples z = mu + sigma * eps and returns ``(logits, mu, logvar)``.
    """

    def __init__(self, latent_size: int, hidden=(256,)):
        super().__init__()
        self.code_size = check_int("latent_size", latent_size, low=1, high=N_PIXELS)
        self.hidden = _check_hidden(hidden)
        if not self.hidden:
            raise ValueError("hidden must hold at least one layer width for a VAE, got ()")
        self.body = nn.Sequential(nn.Flatten(), _mlp((N_PIXELS, *self.hidden), last_activation=True))
        self.mu = nn.Linear(self.hidden[-1], latent_size)
        self.logvar = nn.Linear(self.hidden[-1], latent_size)
        self.decoder = _mlp((latent_size, *reversed(self.hidden), N_PIXELS), last_activation=False)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.mu(h), self.logvar(h)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, *IMAGE_SHAPE)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Mean brightness of each pixel, in the normalized space of the data."""
        return from_unit(torch.sigmoid(self.decode_logits(z)))

    def forward(self, x: torch.Tensor):
        mu, logvar = self.encode(x)
        return self.decode_logits(reparameterize(mu, logvar)), mu, logvar


MODELS = (Autoencoder, ConvAutoencoder, VAE)


def _check_model(name, model, kinds=MODELS):
    what = " or ".join(k.__name__ for k in kinds)
    return check_type(name, model, kinds, f"a lecturelib.autoencoders {what}")


# --- the VAE's pieces -------------------------------------------------------------

def _check_gaussian(mu, logvar):
    check_type("mu", mu, torch.Tensor, "a torch.Tensor")
    check_type("logvar", logvar, torch.Tensor, "a torch.Tensor")
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    if mu.dim() != 2:
        raise ValueError(f"mu must have shape (batch, latent), got {tuple(mu.shape)}")


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, *,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I): the randomness sits in eps, so z is
    a differentiable function of mu and logvar and gradients reach the encoder."""
    _check_gaussian(mu, logvar)
    where = "cpu" if generator is not None else mu.device
    eps = torch.randn(mu.shape, generator=generator, device=where).to(mu.device)
    sigma = torch.exp(0.5 * logvar)       # logvar = log sigma^2
    return mu + sigma * eps


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) in closed form, one value per row
    (nats)."""
    _check_gaussian(mu, logvar)
    # 1/2 * sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


def kl_monte_carlo(mu: torch.Tensor, logvar: torch.Tensor, n_samples: int = 1000, *,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """The same KL estimated as the mean of log q(z|x) - log p(z) over ``n_samples`` draws of z."""
    _check_gaussian(mu, logvar)
    n_samples = check_int("n_samples", n_samples, low=1)
    std = torch.exp(0.5 * logvar)
    eps = torch.randn((n_samples, *mu.shape), generator=generator).to(mu.device)
    z = mu + std * eps
    # log q - log p for diagonal Gaussians; the 2*pi terms cancel.
    log_q = -0.5 * (eps.pow(2) + logvar).sum(dim=2)
    log_p = -0.5 * z.pow(2).sum(dim=2)
    return (log_q - log_p).mean(dim=0)


def vae_terms(model: VAE, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image reconstruction term -log p(x|z) (Bernoulli, nats) and KL term."""
    logits, mu, logvar = model(x)          # one z = mu + sigma * eps per image
    target = to_unit(x)                    # each pixel's brightness in [0, 1]
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    recon = bce.flatten(1).sum(dim=1)      # summed over the 784 pixels
    return recon, kl_normal(mu, logvar)


def vae_loss(model: VAE, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Mean over the batch of reconstruction + beta * KL: the negative ELBO when
    beta = 1."""
    _check_model("model", model, (VAE,))
    beta = check_float("beta", beta, low=0.0)
    recon, kl = vae_terms(model, x)
    return (recon + beta * kl).mean()


@torch.no_grad()
def importance_bounds(model: VAE, x: torch.Tensor, n_samples: int, *, seed: int = 0,
                      chunk: int = 100) -> dict:
    """Two estimates of log p(x) per image from the same ``n_samples`` draws
    z_k ~ q(z|x).

    With log-weights log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x):
    ``elbo`` is their mean (a Monte-Carlo ELBO) and ``iwae`` is log of the mean of
    the w_k (Burda et al.'s importance-weighted bound). By Jensen's inequality
    iwae >= elbo for every image, and iwae rises towards log p(x) as n_samples grows.
    Returns tensors of shape (len(x),), in nats.
    """
    _check_model("model", model, (VAE,))
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    if x.dim() != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        raise ValueError(f"x must have shape (n, 1, 28, 28), got {tuple(x.shape)}")
    n_samples = check_int("n_samples", n_samples, low=1)
    chunk = check_int("chunk", chunk, low=1)
    model.eval()
    gen = _generator(seed)
    elbo, iwae = [], []
    for start in range(0, len(x), chunk):
        xb = x[start:start + chunk]
        mu, logvar = model.encode(xb)
        eps = torch.randn((n_samples, *mu.shape), generator=gen).to(mu.device)
        z = mu + torch.exp(0.5 * logvar) * eps                      # (K, n, latent)
        logits = model.decode_logits(z.flatten(0, 1)).view(n_samples, len(xb), -1)
        target = to_unit(xb).flatten(1).expand_as(logits)
        bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        log_px_z = -bce.sum(2)                                       # log p(x|z_k)
        # log p(z) - log q(z|x) for diagonal Gaussians; the 2*pi terms cancel.
        log_pz_qz = (-0.5 * z.pow(2) + 0.5 * eps.pow(2) + 0.5 * logvar).sum(2)
        log_w = log_px_z + log_pz_qz                                 # (K, n)
        elbo.append(log_w.mean(0))
        iwae.append(torch.logsumexp(log_w, 0) - math.log(n_samples))
    return {"elbo": torch.cat(elbo).cpu(), "iwae": torch.cat(iwae).cpu()}


# --- objectives for lecturelib.train.fit ---------------------------------------

class Reconstruction:
    """Squared error between an autoencoder's output and its input, per pixel.

    ``fit`` passes labels too; an autoencoder ignores them.
    """

    metrics = ("loss",)

    def loss(self, model, x, y=None) -> torch.Tensor:
        return F.mse_loss(model(x), x)

    @torch.no_grad()
    def evaluate(self, model, x, y, batch_size: int = 2048) -> dict:
        total = 0.0
        for xb, _ in batches(x, y, batch_size, shuffle=False):
            total += float(F.mse_loss(model(xb), xb, reduction="sum"))
        return {"loss": total / x.numel()}


class ELBO:
    """The beta-VAE objective; reports the loss, its two terms and the ELBO (per image, nats).

    ``elbo`` is always -(reconstruction + KL), the bound on log p(x), whatever beta is.
    Evaluation draws z, so it is seeded to be repeatable.
    """

    metrics = ("loss", "recon", "kl", "elbo")

    def __init__(self, beta: float = 1.0):
        self.beta = check_float("beta", beta, low=0.0)

    def loss(self, model, x, y=None) -> torch.Tensor:
        return vae_loss(model, x, self.beta)

    @torch.no_grad()
    def evaluate(self, model, x, y, batch_size: int = 2048) -> dict:
        state = torch.random.get_rng_state()
        torch.manual_seed(0)
        recon_sum = kl_sum = 0.0
        for xb, _ in batches(x, y, batch_size, shuffle=False):
            recon, kl = vae_terms(model, xb)
            recon_sum, kl_sum = recon_sum + float(recon.sum()), kl_sum + float(kl.sum())
        torch.random.set_rng_state(state)
        recon, kl = recon_sum / len(x), kl_sum / len(x)
        return {"loss": recon + self.beta * kl, "recon": recon, "kl": kl, "elbo": -(recon + kl)}


# --- codes, samples, interpolations and grids ------------------------------------

@torch.no_grad()
def codes(model, x: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """The code of every image: the encoder's output, or the mean mu for a VAE."""
    _check_model("model", model)
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    batch_size = check_int("batch_size", batch_size, low=1)
    model.eval()
    out = []
    for start in range(0, len(x), batch_size):
        z = model.encode(x[start:start + batch_size])
        out.append(z[0] if isinstance(z, tuple) else z)
    return torch.cat(out)


@torch.no_grad()
def reconstruct(model, x: torch.Tensor) -> torch.Tensor:
    """Decode the code of each image (the mean code for a VAE, no sampling)."""
    return decode(model, codes(model, x))


@torch.no_grad()
def decode(model, z: torch.Tensor) -> torch.Tensor:
    """Decode codes into normalized images."""
    _check_model("model", model)
    check_type("z", z, torch.Tensor, "a torch.Tensor")
    if z.dim() != 2 or z.shape[1] != model.code_size:
        raise ValueError(f"z must have shape (n, {model.code_size}), got {tuple(z.shape)}")
    model.eval()
    device = next(model.parameters()).device
    return model.decode(z.to(device))


def sample_prior(model: VAE, n: int, *, seed: int = 0) -> torch.Tensor:
    """Decode ``n`` codes drawn from the VAE's prior N(0, I)."""
    _check_model("model", model, (VAE,))
    n = check_int("n", n, low=1)
    z = torch.randn((n, model.code_size), generator=_generator(seed))
    return decode(model, z)


def sample_fitted_gaussian(model, x: torch.Tensor, n: int, *, seed: int = 0) -> torch.Tensor:
    """Decode ``n`` random codes for a model with no prior: a Gaussian with each code
    dimension's mean and standard deviation over the images ``x`` (the fairest
    simple guess of where a plain autoencoder's codes live)."""
    n = check_int("n", n, low=1)
    z = codes(model, x)
    mean, std = z.mean(dim=0).cpu(), z.std(dim=0).cpu()
    return decode(model, mean + std * torch.randn((n, model.code_size), generator=_generator(seed)))


def interpolate(model, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 8) -> torch.Tensor:
    """Decode ``steps`` codes evenly spaced on the straight line from x_a's code to x_b's."""
    check_type("x_a", x_a, torch.Tensor, "a torch.Tensor")
    check_type("x_b", x_b, torch.Tensor, "a torch.Tensor")
    steps = check_int("steps", steps, low=2)
    if x_a.shape != IMAGE_SHAPE or x_b.shape != IMAGE_SHAPE:
        raise ValueError(f"x_a and x_b must each be one image of shape {IMAGE_SHAPE}, "
                         f"got {tuple(x_a.shape)} and {tuple(x_b.shape)}")
    z = codes(model, torch.stack([x_a, x_b])).cpu()
    t = torch.linspace(0.0, 1.0, steps).unsqueeze(1)
    return decode(model, (1 - t) * z[0] + t * z[1])


def latent_grid(model, n: int = 10, *, x: torch.Tensor | None = None, low: float = 0.05,
                high: float = 0.95) -> tuple[torch.Tensor, np.ndarray]:
    """Decode an n x n grid over a 2-D code space; returns (images, axis values).

    For a VAE the grid runs over the prior's quantiles from ``low`` to ``high``
    (Kingma & Welling's figure); for a plain autoencoder, which has no prior,
    over the same quantiles of its codes of the images ``x``.
    """
    _check_model("model", model)
    if model.code_size != 2:
        raise ValueError(f"model must have a 2-D code for a grid, got code size {model.code_size}")
    n = check_int("n", n, low=2, high=50)
    low = check_float("low", low, low=0.0, high=1.0, low_open=True, high_open=True)
    high = check_float("high", high, low=low, high=1.0, low_open=True, high_open=True)
    q = torch.linspace(low, high, n)
    if isinstance(model, VAE):
        axis = torch.distributions.Normal(0.0, 1.0).icdf(q)
        values = torch.stack([axis, axis], dim=1)
    else:
        if x is None:
            raise ValueError("x must be given for a plain autoencoder's grid (its codes set the range), got None")
        values = torch.quantile(codes(model, x).cpu(), q, dim=0)
    # Rows go from high to low along the second axis so the picture matches a scatter plot.
    zz = torch.stack([torch.stack([values[j, 0], values[n - 1 - i, 1]]) for i in range(n) for j in range(n)])
    return decode(model, zz), values.numpy()


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(check_int("seed", seed, low=0, high=2**32 - 1))


# --- scoring generated digits with a classifier ----------------------------------

@torch.no_grad()
def classifier_score(classifier: nn.Module, images: torch.Tensor) -> dict:
    """How digit-like ``images`` look to a trained MNIST classifier.

    confidence: mean of the largest softmax probability (1: sure of some digit,
    0.1: no idea). balance: entropy of the predicted-class histogram divided by
    log 10 (1: every digit equally often, 0: always the same digit).
    counts: how many images were assigned to each digit.
    """
    check_type("classifier", classifier, nn.Module, "a torch.nn.Module")
    check_type("images", images, torch.Tensor, "a torch.Tensor")
    if images.dim() != 4 or tuple(images.shape[1:]) != IMAGE_SHAPE:
        raise ValueError(f"images must have shape (n, 1, 28, 28), got {tuple(images.shape)}")
    classifier.eval()
    probs = F.softmax(classifier(images), dim=1)
    confidence, predicted = probs.max(dim=1)
    counts = torch.bincount(predicted, minlength=10).cpu()
    freq = counts.float() / counts.sum()
    entropy = -(freq[freq > 0] * freq[freq > 0].log()).sum()
    return {"confidence": float(confidence.mean()), "balance": float(entropy / math.log(10)),
            "counts": counts.tolist()}


# --- PCA, for the linear autoencoder ----------------------------------------------

def pca(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean image and the top ``k`` principal directions (k x 784,
    orthonormal rows), from a singular value decomposition of the centred images."""
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    flat = x.reshape(len(x), -1).double().cpu()
    k = check_int("k", k, low=1, high=min(flat.shape))
    mean = flat.mean(dim=0)
    _, _, vt = torch.linalg.svd(flat - mean, full_matrices=False)
    return mean, vt[:k]


def pca_error(x: torch.Tensor, mean: torch.Tensor, components: torch.Tensor) -> float:
    """Mean squared error per pixel of projecting ``x`` onto the PCA subspace."""
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    flat = x.reshape(len(x), -1).double().cpu()
    if components.dim() != 2 or components.shape[1] != flat.shape[1]:
        raise ValueError(f"components must have shape (k, {flat.shape[1]}), got {tuple(components.shape)}")
    centred = flat - mean
    projected = centred @ components.T @ components
    return float((centred - projected).pow(2).mean())


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Principal angles in degrees between the column spaces of ``a`` and ``b``
    (d x k each), smallest first: all zero when the two spans coincide."""
    check_type("a", a, torch.Tensor, "a torch.Tensor")
    check_type("b", b, torch.Tensor, "a torch.Tensor")
    if a.dim() != 2 or b.dim() != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must be matrices with the same number of rows, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")
    qa, _ = torch.linalg.qr(a.double().cpu())
    qb, _ = torch.linalg.qr(b.double().cpu())
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    return np.degrees(np.arccos(cosines.numpy()))


def decoder_subspace(model: Autoencoder) -> torch.Tensor:
    """The 784 x k matrix whose columns span the linear autoencoder's reconstructions."""
    _check_model("model", model, (Autoencoder,))
    if model.hidden:
        raise ValueError(f"model must be linear (hidden=()), got hidden={model.hidden}")
    return model.decoder[0].weight.detach()


# --- a cache of trained models, keyed by configuration and code --------------------
#
# A cached model is only reused when it was trained with the same configuration AND by
# the same code. "The code" is the source of the lecturelib modules a cached run
# executes, listed in FINGERPRINT_MODULES, plus torch's version:
#   autoencoders             the models, the objectives (loss and evaluation) and this cache;
#   models                   the classifier that scores samples (MLP) and its checks;
#   train                    the training loop, fit (batches, optimizer, seeding, History);
#   data                     MNIST loading, normalization and batching;
#   presets                  set_seed (the initial weights) and the device;
#   experiments.autoencoders the chapters' runs: sizes, learning rates, which objective.
# Comments, docstrings and formatting do not count (the fingerprint hashes each module's
# syntax tree without docstrings); any other change retrains. Plotting code elsewhere
# (plots, widgets, report) cannot change a trained model, so it is not fingerprinted.

FINGERPRINT_MODULES = ("autoencoders", "models", "train", "data", "presets",
                       "experiments.autoencoders")
CACHE_FORMAT = 2     # the layout below; a cache entry of another format is retrained
_PACKAGE = Path(__file__).resolve().parent    # where the fingerprinted sources are read


def cache_dir() -> Path:
    """``$LECTURELIB_CACHE``, else ``cache/models/`` in a source checkout (git-ignored),
    else ``~/.cache/lecturelib/models``."""
    if os.environ.get("LECTURELIB_CACHE"):
        return Path(os.environ["LECTURELIB_CACHE"]).expanduser()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "cache" / "models"
    return Path.home() / ".cache" / "lecturelib" / "models"


def cache_key(config: dict) -> str:
    """A short stable hash of a JSON-serializable configuration."""
    check_type("config", config, dict, "a dict")
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _syntax_without_docstrings(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or ([] if isinstance(node, ast.Module) else [ast.Pass()])
    return ast.dump(tree, annotate_fields=False)


def source_fingerprint(source: str) -> str:
    """Hash of Python source that ignores comments, docstrings and formatting."""
    check_type("source", source, str, "Python source code (str)")
    return hashlib.sha256(_syntax_without_docstrings(source).encode()).hexdigest()[:16]


_FINGERPRINTS: dict = {}


def code_fingerprint(modules=FINGERPRINT_MODULES) -> str:
    """One hash over the source of ``lecturelib.<m>`` for each ``m`` in ``modules`` and
    torch's version: the code that trains a cached model.

    Computed once per process (per tuple of modules), when it is first needed: it
    describes the code this process imported, so after editing lecturelib, restart the
    kernel (Python does not reload changed modules either).
    """
    modules = tuple(modules)
    if not modules or not all(isinstance(m, str) for m in modules):
        raise TypeError(f"modules must be a non-empty sequence of module names, got {modules!r}")
    if modules not in _FINGERPRINTS:
        parts = [f"torch {torch.__version__}"]
        for name in modules:
            path = _PACKAGE.joinpath(*name.split(".")).with_suffix(".py")
            if not path.exists():
                raise ValueError(f"modules: lecturelib.{name} has no source file {path}")
            parts.append(f"{name} {source_fingerprint(path.read_text())}")
        _FINGERPRINTS[modules] = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return _FINGERPRINTS[modules]


def _warn(message: str) -> None:
    print(f"lecturelib cache: {message}", file=sys.stderr)


def _load_cached(paths, config, fingerprint, model):
    """The History of a usable cache entry after loading its weights into ``model``, else
    ``None`` (with one line on stderr when an entry exists but cannot be used)."""
    from .train import History

    weights, meta = paths
    if not meta.exists():
        stale = _stale_entries(meta)
        if stale:
            others = ", ".join(sorted({p.stem.rsplit("-", 1)[-1] for p in stale}))
            _warn(f"{meta.stem.rsplit('-', 1)[0]} was trained by other code (fingerprint {others}, "
                  f"now {fingerprint}); retraining")
        return None
    try:
        saved = json.loads(meta.read_text())
        if saved.get("format") != CACHE_FORMAT:
            raise ValueError(f"cache format {saved.get('format')!r}, expected {CACHE_FORMAT}")
        if saved.get("fingerprint") != fingerprint:
            raise ValueError(f"trained by other code (fingerprint {saved.get('fingerprint')}, "
                             f"now {fingerprint})")
        if saved.get("config") != json.loads(json.dumps(config, default=str)):
            raise ValueError("trained with another configuration")
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return History.from_dict(saved["history"])
    except Exception as err:   # a torn, foreign or stale entry is never fatal: train again
        reason = " ".join(str(err).split())[:160]
        _warn(f"{meta.stem} unusable ({type(err).__name__}: {reason}); retraining")
        return None


def _stale_entries(meta: Path) -> list[Path]:
    """JSON files of the same configuration written by other code."""
    key = meta.stem.rsplit("-", 1)[0]
    return [p for p in meta.parent.glob(f"{key}-*.json") if p != meta]


def _write_atomically(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _plain(value):
    """Values JSON can hold exactly: numpy and torch scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.generic, torch.Tensor)):
        return value.item()
    return value


def cache_paths(config: dict, fingerprint: str | None = None) -> tuple[Path, Path]:
    """The weights file and the JSON file of ``config`` trained by the code ``fingerprint``
    (default: this process's ``code_fingerprint()``)."""
    fingerprint = code_fingerprint() if fingerprint is None else fingerprint
    stem = f"{cache_key(config)}-{fingerprint}"
    return cache_dir() / f"{stem}.pt", cache_dir() / f"{stem}.json"


def train_cached(config: dict, model: nn.Module, train, *, use_cache: bool = True):
    """Return ``(model, history)``: loaded from the cache when ``config`` was trained
    before by the same code, else ``history = train(model)`` and both are saved.

    ``config`` must name everything that changes the result (model, sizes, seed); the
    code is named by ``code_fingerprint()``. An entry holds two files, written each to a
    temporary file and renamed into place: ``<key>.pt``, the weights as tensors (read
    with ``torch.load(weights_only=True)``, which unpickles nothing else), and
    ``<key>.json``, the configuration, the fingerprint and the History. An entry that
    cannot be read or does not match is reported in one line and trained again.
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_bool("use_cache", use_cache)
    if not callable(train):
        raise TypeError(f"train must be a function model -> History, got {type(train).__name__}")
    check_type("config", config, dict, "a dict")
    if not use_cache:
        return model, train(model)
    fingerprint = code_fingerprint()
    weights, meta = cache_paths(config, fingerprint)
    history = _load_cached((weights, meta), config, fingerprint, model)
    if history is not None:
        return model, history
    history = train(model)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    record = {"format": CACHE_FORMAT, "fingerprint": fingerprint, "modules": list(FINGERPRINT_MODULES),
              "config": config, "history": _plain(history.to_dict())}
    try:
        weights.parent.mkdir(parents=True, exist_ok=True)
        # Weights first, the JSON last: an entry is complete once its JSON exists.
        _write_atomically(weights, lambda p: torch.save(state, p))
        _write_atomically(meta, lambda p: p.write_text(json.dumps(record, default=str)))
    except OSError as err:
        _warn(f"could not write {meta.stem} ({type(err).__name__}: {err}); the model is not cached")
        return model, history
    for old in _stale_entries(meta):   # the same configuration, trained by older code
        old.unlink(missing_ok=True)
        old.with_suffix(".pt").unlink(missing_ok=True)
    return model, history


# --- figures (images and code maps) -----------------------------------------------

def show_images(images: torch.Tensor, *, nrow: int = 10, ax=None, title: str | None = None):
    """Tile normalized images into one picture, ``nrow`` per row."""
    check_type("images", images, torch.Tensor, "a torch.Tensor")
    nrow = check_int("nrow", nrow, low=1)
    pixels = to_unit(images.detach().cpu()).reshape(-1, 28, 28).numpy()
    rows = math.ceil(len(pixels) / nrow)
    canvas = np.ones((rows * 29 + 1, nrow * 29 + 1))
    for i, img in enumerate(pixels):
        r, c = divmod(i, nrow)
        canvas[1 + r * 29:1 + r * 29 + 28, 1 + c * 29:1 + c * 29 + 28] = 1.0 - img
    if ax is None:
        _, ax = plt.subplots(figsize=(min(12, 0.6 * nrow + 1), 0.6 * rows + 0.6), layout="constrained")
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def show_codes(z: torch.Tensor, labels: torch.Tensor, *, ax=None, title: str | None = None):
    """Scatter 2-D codes, one colour per digit."""
    check_type("z", z, torch.Tensor, "a torch.Tensor")
    if z.dim() != 2 or z.shape[1] != 2:
        raise ValueError(f"z must have shape (n, 2), got {tuple(z.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.2), layout="constrained")
    z, labels = z.detach().cpu().numpy(), labels.detach().cpu().numpy()
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=3, alpha=0.7, vmin=-0.5, vmax=9.5)
    ax.figure.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    if title:
        ax.set_title(title)
    return ax
