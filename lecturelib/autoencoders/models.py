"""The autoencoder chapters' networks and the two pixel spaces they work in.

Images live in the course's normalized pixel space (``lecturelib.data``: mean 0,
std 1). A plain autoencoder reconstructs that space directly under squared
error, which makes its linear version comparable with PCA. A VAE models each
pixel's brightness in [0, 1] as a Bernoulli variable, so its decoder returns
logits; ``decode`` turns them back into normalized images for plotting and for
the classifier that scores generated digits. The VAE samples its code with
``reparameterize``, which lives here with it.
"""
from __future__ import annotations

import torch
from torch import nn

from .._checks import check_int, check_type
from ..data import MNIST_MEAN, MNIST_STD
from ..models import _check_hidden

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


# --- the VAE's sampling step -------------------------------------------------------

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



def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(check_int("seed", seed, low=0, high=2**32 - 1))
