"""The VAE's objective and its pieces (KL, reconstruction term, likelihood bounds), and the
two objectives ``lecturelib.train.fit`` trains the autoencoders with (``Reconstruction``, ``ELBO``)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .._checks import check_float, check_int, check_type
from ..data import batches
from .models import IMAGE_SHAPE, VAE, _check_gaussian, _check_model, _generator, to_unit


# --- the VAE's pieces -------------------------------------------------------------

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
