"""The sharpness chapter's experiments: flat and sharp minima (BS15) and the SGD temperature lr/B (BS16).

BS15 trains the batch-size chapter's four runs (batch 64, 256 and 1024 at lr 0.01,
and 1024 at lr 0.1; ``batch_size.generalization_runs``) and measures, at the end of
each, how sharp the training loss is around the weights it found (``lecturelib.sharpness``)
beside its generalization gap.

BS16 trains a grid of (lr, B) pairs at a fixed budget of training samples: three
batch sizes on each of several lines of equal lr/B ("temperature"). If lr/B alone set
the outcome, runs on one line would end alike and runs on different lines would not.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .._checks import check_int, check_type
from ..callbacks import ProgressBar
from ..data import mnist
from ..presets import ScaleTable
from ..sharpness import perturbation_sharpness, top_hessian_eigenvalue
from ..train import History, fit
from . import batch_size as bs


@dataclass(frozen=True)
class Scale:
    """The chapter's sizes at one preset."""
    probe_samples: int                 # training samples the sharpness is measured on
    power_iters: int                   # Hessian-vector products for λ_max, at most
    radius: float                      # ‖δ‖ / ‖θ‖ of the random weight perturbations
    perturbations: int                 # random directions averaged
    temp_train_limit: int              # training samples for the temperature grid
    temp_epochs: int                   # its fixed budget, in epochs of those samples
    temp_batch_sizes: tuple[int, ...]
    temperatures: tuple[float, ...]    # lr/B of each line; lr = B × temperature


# The study's temperature is lr/B = 0.01/64; the lines sit at ¼, 1, 4 and 16 times it.
STUDY_T = 0.01 / 64
SCALES = ScaleTable(Scale, {
    "ci": Scale(probe_samples=1000, power_iters=20, radius=0.05, perturbations=5, temp_train_limit=4000,
                temp_epochs=3, temp_batch_sizes=(16, 64, 256),
                temperatures=(STUDY_T / 4, STUDY_T, 4 * STUDY_T, 16 * STUDY_T)),
    "quick": Scale(probe_samples=2000, power_iters=30, radius=0.05, perturbations=10, temp_train_limit=10_000,
                   temp_epochs=4, temp_batch_sizes=(16, 64, 256),
                   temperatures=(STUDY_T / 4, STUDY_T, 4 * STUDY_T, 16 * STUDY_T)),
    "full": Scale(probe_samples=10_000, power_iters=50, radius=0.05, perturbations=20, temp_train_limit=60_000,
                  temp_epochs=10, temp_batch_sizes=(16, 64, 256),
                  temperatures=(STUDY_T / 4, STUDY_T, 4 * STUDY_T, 16 * STUDY_T)),
})


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return SCALES.pick(preset)


@dataclass
class Measured:
    """One trained run: its History and the sharpness of the loss where it ended."""
    history: History
    top_eigenvalue: float
    perturbation_rise: float

    @property
    def gap(self) -> float:
        """Generalization gap: train accuracy minus test accuracy, after the last epoch."""
        return self.history.final("train_acc") - self.history.final("test_acc")


def measure(model, s: Scale | None = None, *, seed: int = 0) -> tuple[float, float]:
    """(λ_max, mean loss rise at ‖δ‖ = radius × ‖θ‖) of the model's training loss on the probe samples."""
    s = SCALES.resolve(s, from_table=True)
    check_type("model", model, torch.nn.Module, "a torch.nn.Module")
    probe = mnist(train_limit=s.probe_samples, test_limit=1)
    x, y = probe.x_train, probe.y_train
    # The radius is relative to the weights' own norm, so nets of different size compare.
    radius = s.radius * float(torch.sqrt(sum((p.detach() ** 2).sum() for p in model.parameters())))
    model.eval()
    top = top_hessian_eigenvalue(model, x, y, iters=s.power_iters, tol=1e-3, seed=seed)
    rise = perturbation_sharpness(model, x, y, radius=radius, samples=s.perturbations, seed=seed)
    model.train()
    return top, rise


def minima(s: Scale | None = None, *, seed: int = 0, progress: bool = False) -> dict[str, Measured]:
    """BS15: the batch-size chapter's four runs at this preset, each with its sharpness."""
    s = SCALES.resolve(s, from_table=True)
    runs_scale = bs.scale(SCALES.preset_of(s))
    out = {}
    for spec in bs.generalization_runs(runs_scale):
        model = bs.build_model(runs_scale, seed=seed)
        history = bs.run(spec, runs_scale, seed=seed, progress=progress, model=model)
        out[spec.label] = Measured(history, *measure(model, s, seed=seed))
    return out


@dataclass
class TemperatureRun:
    """One run of the temperature grid."""
    batch_size: int
    lr: float
    temperature: float
    history: History
    top_eigenvalue: float

    @property
    def test_acc(self) -> float:
        return self.history.final("test_acc")

    @property
    def diverged(self) -> bool:
        return "diverged_at_epoch" in self.history.config or "diverged_at" in self.history.config


def temperature_grid(s: Scale | None = None, *, seed: int = 0, progress: bool = False) -> list[TemperatureRun]:
    """BS16: every (B, lr = B × T) pair of the grid, at the same budget of training samples."""
    s = SCALES.resolve(s, from_table=True)
    check_int("seed", seed, low=0)
    runs_scale = bs.scale(SCALES.preset_of(s))
    data = mnist(train_limit=s.temp_train_limit, test_limit=runs_scale.test_limit)
    out = []
    for t in s.temperatures:
        for b in s.temp_batch_sizes:
            lr = b * t
            model = bs.build_model(runs_scale, seed=seed)
            h = fit(model, data, lr=lr, batch_size=b, epochs=s.temp_epochs, seed=seed,
                    label=f"B {b}, lr {lr:.3g}", callbacks=[ProgressBar(enabled=progress)])
            top = measure(model, s, seed=seed)[0] if h.final("train_loss") == h.final("train_loss") else float("nan")
            out.append(TemperatureRun(b, lr, t, h, top))
    return out


def lines(grid) -> dict[float, list[TemperatureRun]]:
    """The grid's runs grouped by temperature (one line of equal lr/B each), in order."""
    grid = list(grid)
    for i, r in enumerate(grid):
        check_type(f"grid[{i}]", r, TemperatureRun, "a TemperatureRun (see temperature_grid)")
    out: dict[float, list[TemperatureRun]] = {}
    for r in grid:
        out.setdefault(r.temperature, []).append(r)
    return out


def spread(values) -> float:
    """max − min of the finite values (a diverged run counts as the worst: accuracy 0)."""
    values = [v if v == v else 0.0 for v in values]
    return max(values) - min(values)
