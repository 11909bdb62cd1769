"""The runs of the convolution-padding chapter.

Two experiments need sizes from the preset: the small MNIST CNN trained with
valid and with same padding, and the causal no-leak check on a dilated causal
stack. The size arithmetic itself is exact and needs no preset.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from .._checks import check_choice, check_int, check_type
from ..conv import causal_stack, feature_map_sizes, padding_cnn, receptive_field
from ..data import mnist
from ..presets import pick, set_seed
from ..train import History, fit


@dataclass(frozen=True)
class Scale:
    """How big the chapter's experiments are at one preset."""
    channels: tuple[int, ...]  # widths of the CNN's blocks
    epochs: int
    train_limit: int | None    # training images (None: all 60,000)
    test_limit: int | None     # test images (None: all 10,000)
    batch_size: int
    lr: float                  # Adam's learning rate
    sequence_length: int       # length of the causal-stack input
    trials: int                # random perturbations in the no-leak check


SCALES = {
    "ci": Scale(channels=(8, 16), epochs=1, train_limit=3_000, test_limit=1_000, batch_size=64, lr=1e-3,
                sequence_length=64, trials=20),
    "quick": Scale(channels=(16, 32), epochs=3, train_limit=20_000, test_limit=None, batch_size=64, lr=1e-3,
                   sequence_length=256, trials=100),
    "full": Scale(channels=(32, 64), epochs=10, train_limit=None, test_limit=None, batch_size=64, lr=1e-3,
                  sequence_length=1024, trials=500),
}

CAUSAL_KERNEL = 2
CAUSAL_DILATIONS = (1, 2, 4, 8)  # WaveNet's doubling dilations: receptive field 16


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return pick(SCALES, preset)


def build_cnn(padding: str, s: Scale | None = None, *, seed: int = 0):
    """The chapter's CNN with ``padding`` ('valid' or 'same'), initialized from ``seed``."""
    s = _scale(s)
    check_choice("padding", padding, ("valid", "same"))
    set_seed(check_int("seed", seed, low=0))
    return padding_cnn(padding, s.channels)


def train_cnn(padding: str, s: Scale | None = None, *, seed: int = 0, progress: bool = True) -> History:
    """Train the CNN with ``padding`` through ``lecturelib.train.fit`` (Adam).

    The History's config also records the parameter count and the feature-map
    sizes, so a table can show them next to accuracy and time.
    """
    s = _scale(s)
    model = build_cnn(padding, s, seed=seed)
    data = mnist(train_limit=s.train_limit, test_limit=s.test_limit)
    history = fit(model, data, optimizer="adam", lr=s.lr, batch_size=s.batch_size, epochs=s.epochs,
                  seed=seed, progress=progress, label=f"{padding} padding")
    history.config["parameters"] = sum(p.numel() for p in model.parameters())
    history.config["feature_maps"] = feature_map_sizes(model.cpu())
    return history


def compare_cnns(s: Scale | None = None, *, seed: int = 0, progress: bool = True) -> dict[str, History]:
    """Valid against same padding, same seed, same data: a dict padding -> History."""
    s = _scale(s)
    return {p: train_cnn(p, s, seed=seed, progress=progress) for p in ("valid", "same")}


def causal_leak(s: Scale | None = None, *, seed: int = 0, channels: int = 8) -> dict:
    """Perturb one input step of a dilated causal stack and see which outputs move.

    For ``trials`` random inputs and random steps t, adds noise at x[t] only and
    records the largest change in the outputs before t (must be exactly 0) and
    in the outputs from t to t + receptive field - 1 (must not be). Returns the
    two maxima and minima over trials, the receptive field and the time taken.
    """
    s = _scale(s)
    model = causal_stack(channels, CAUSAL_KERNEL, CAUSAL_DILATIONS, seed=check_int("seed", seed, low=0))
    generator = torch.Generator().manual_seed(seed)
    field = receptive_field(CAUSAL_KERNEL, CAUSAL_DILATIONS)
    past, future = [], []
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(s.trials):
            x = torch.randn(1, 1, s.sequence_length, generator=generator)
            t = int(torch.randint(1, s.sequence_length, (1,), generator=generator))
            x_new = x.clone()
            x_new[0, 0, t] += 1.0 + torch.randn(1, generator=generator).abs().item()
            diff = (model(x_new) - model(x)).abs().amax(1)[0]  # largest change over channels, per step
            past.append(float(diff[:t].max()))
            future.append(float(diff[t:t + field].max()))
    return {"max_past_change": max(past), "min_future_change": min(future),
            "receptive_field": field, "trials": s.trials, "seconds": time.perf_counter() - start}


def _scale(s):
    if s is None:
        return scale()
    return check_type("s", s, Scale, "a lecturelib.experiments.conv_padding.Scale or None")
