"""What a trained autoencoder is looked at with: its codes, samples, interpolations and
grids; classifier scores of generated digits; PCA and principal angles for the linear
autoencoder. Nothing here trains."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_float, check_int, check_type
from .models import IMAGE_SHAPE, VAE, Autoencoder, _check_model, _generator


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
