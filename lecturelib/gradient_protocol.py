"""The study's own gradient experiment ("gradient competition", BS4 and BS17), as the article ran it.

One trial: put the network back at a fixed trained point, draw ``samples`` training
images (1024 in the article), and step through all of them once with plain SGD at
batch size B, that is samples/B successive steps on the batch-averaged loss. The
article then takes the norm of the summed gradient of the last layer's weight matrix
over those steps. With plain SGD every step moves that matrix by −lr·g, so

    ‖Σ_steps g‖ = ‖W_last(before) − W_last(after)‖ / lr,

which is what we compute. Each trial's samples are drawn once and used for every
batch size (paired trials, as in the article); 1000 trials per batch size, early in
training (after 2 epochs at batch 1024) and late (after 30).

The article tried B = 1…8 and the powers of two up to 1024; we use the powers of two
only: 3, 5, 6 and 7 do not divide 1024 and would add about 40 % to the run time.

This differs from ``gradient_samples``, which draws single mini-batch gradients at
fixed weights: here the weights move between the steps of a trial.
"""
from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_bool, check_choice, check_float, check_int, check_type
from .data import mnist
from .models import MLP
from .presets import PRESETS, ScaleTable, preset as active_preset
from .probes import Snapshots, weight_layers
from .progress import progress_bar

RUN = "gradient protocol"
REGIMES = ("early", "late")


@dataclass(frozen=True)
class Scale:
    """The protocol's sizes at one preset (the network and data come from ``batch_size``)."""
    early_epochs: int
    late_epochs: int
    trials: int
    samples: int
    batch_sizes: tuple[int, ...]


SCALES = ScaleTable(Scale, {
    "ci": Scale(early_epochs=1, late_epochs=4, trials=20, samples=256, batch_sizes=tuple(2 ** k for k in range(9))),
    "quick": Scale(early_epochs=1, late_epochs=10, trials=50, samples=1024,
                   batch_sizes=tuple(2 ** k for k in range(11))),
    "full": Scale(early_epochs=2, late_epochs=30, trials=1000, samples=1024,
                  batch_sizes=tuple(2 ** k for k in range(11))),
})


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return SCALES.pick(preset)


# --- one trial ------------------------------------------------------------------------------------

def _relu_mlp_layers(model: nn.Module):
    """The Linear layers of a ``lecturelib.models.MLP`` with ReLU (Flatten → (Linear → ReLU)* → Linear),
    or None for any other model. Only that class: its forward is known to be the plain chain, while
    another module holding the same layers may combine them differently (a skip connection)."""
    if not isinstance(model, MLP):
        return None
    modules = [m for m in model.modules() if not isinstance(m, nn.Sequential) and m is not model]
    kinds = [type(m) for m in modules]
    if not kinds or kinds[0] is not nn.Flatten or kinds[-1] is not nn.Linear:
        return None
    body = kinds[1:]
    expected = [nn.Linear if i % 2 == 0 else nn.ReLU for i in range(len(body))]
    if body != expected or any(m.bias is None for m in modules if isinstance(m, nn.Linear)):
        return None
    return [m for m in modules if isinstance(m, nn.Linear)]


def _manual_trial(layers, x, y, batch_size, lr) -> float:
    """Plain SGD through (x, y) in order at ``batch_size``, by hand: forward, backward and an
    in-place update per step, with no autograd graph (twice as fast at batch 1 on a CPU)."""
    ws = [layer.weight.detach().clone() for layer in layers]
    bs = [layer.bias.detach().clone() for layer in layers]
    start = ws[-1].clone()
    x = x.flatten(1)
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        acts, pres, h = [xb], [], xb
        for k, (w, b) in enumerate(zip(ws, bs)):
            h = torch.addmm(b, h, w.T)
            if k < len(ws) - 1:
                pres.append(h)
                h = h.clamp_min(0)
                acts.append(h)
        delta = h.softmax(1)
        delta[torch.arange(len(yb), device=yb.device), yb] -= 1   # softmax − one-hot: the CE gradient
        delta /= len(yb)                                  # the loss is averaged over the batch
        for k in reversed(range(len(ws))):
            below = (delta @ ws[k]) * (pres[k - 1] > 0) if k > 0 else None   # before ws[k] changes
            ws[k].addmm_(delta.T, acts[k], alpha=-lr)
            bs[k].sub_(delta.sum(0), alpha=lr)
            delta = below
    return float(torch.linalg.vector_norm(start - ws[-1])) / lr


def _autograd_trial(model, x, y, batch_size, lr) -> float:
    """The same trial with autograd and ``torch.optim.SGD``, for any model."""
    model = copy.deepcopy(model)
    last = weight_layers(model)[-1].weight
    start = last.detach().clone()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for i in range(0, len(x), batch_size):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[i:i + batch_size]), y[i:i + batch_size]).backward()
        opt.step()
    return float(torch.linalg.vector_norm(start - last.detach())) / lr


def trial_indices(n: int, samples: int, seed: int, trial: int) -> torch.Tensor:
    """The samples of one trial: ``samples`` of ``n`` without replacement, the same for every batch size."""
    gen = torch.Generator().manual_seed(seed * 1_000_003 + trial)
    return torch.randperm(n, generator=gen)[:samples]


def summed_update_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_sizes, *, trials: int,
                        samples: int = 1024, lr: float = 0.01, seed: int = 0, progress: bool = False,
                        fast: bool = True) -> dict[int, np.ndarray]:
    """For each batch size B, the norm of the summed last-layer gradient of ``trials`` trials.

    Every trial starts from the model's weights (the model itself is not changed),
    draws ``samples`` images from (x, y) without replacement and takes samples/B
    plain-SGD steps on them at learning rate ``lr``. ``fast`` uses the hand-written
    step for ReLU MLPs (``lecturelib.models.MLP``); other models, or ``fast=False``,
    go through autograd and ``torch.optim.SGD``.
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    check_type("y", y, torch.Tensor, "a torch.Tensor")
    if len(x) != len(y):
        raise ValueError(f"x and y must have equal length, got {len(x)} and {len(y)}")
    batch_sizes = _check_batch_sizes(batch_sizes)
    trials = check_int("trials", trials, low=1)
    samples = check_int("samples", samples, low=1, high=len(x))
    bad = [b for b in batch_sizes if samples % b]
    if bad:
        raise ValueError(f"samples ({samples}) must be divisible by every batch size; {bad} do not divide it")
    lr = check_float("lr", lr, low=0.0, low_open=True)
    check_int("seed", seed, low=0)
    check_bool("progress", progress)
    check_bool("fast", fast)
    layers = _relu_mlp_layers(model) if fast else None
    out = {}
    with torch.no_grad() if layers is not None else torch.enable_grad():
        for b in batch_sizes:
            norms = np.empty(trials)
            bar = progress_bar(trials, desc=f"B = {b}", enabled=progress)
            for t in range(trials):
                idx = trial_indices(len(x), samples, seed, t)
                norms[t] = (_manual_trial(layers, x[idx], y[idx], b, lr) if layers is not None
                            else _autograd_trial(model, x[idx], y[idx], b, lr))
                bar.update()
            bar.close()
            out[b] = norms
    return out


# --- the experiment at a preset -------------------------------------------------------------------

@dataclass
class ProtocolResult:
    """The protocol's norms per regime and batch size, with the configuration that produced them."""
    preset: str
    config: dict
    norms: dict[str, dict[int, np.ndarray]]
    provenance: dict = field(default_factory=dict)

    def mean_std(self) -> dict[str, dict[int, tuple[float, float]]]:
        """(mean, std) of the norms per regime and batch size."""
        return {r: {b: (float(v.mean()), float(v.std())) for b, v in per_b.items()}
                for r, per_b in self.norms.items()}

    def to_dict(self) -> dict:
        return {"run": RUN, "preset": self.preset, "config": self.config,
                "regimes": {r: {"epochs": self.config["regimes"][r],
                                "norms": {str(b): v.tolist() for b, v in per_b.items()}}
                            for r, per_b in self.norms.items()},
                "summary": {r: {str(b): {"mean": m, "std": s} for b, (m, s) in per_b.items()}
                            for r, per_b in self.mean_std().items()},
                "provenance": self.provenance}

    @classmethod
    def from_dict(cls, d: dict) -> "ProtocolResult":
        if not isinstance(d, dict) or d.get("run") != RUN:
            raise ValueError(f"not a gradient-protocol result: run is {d.get('run') if isinstance(d, dict) else d!r}")
        norms = {r: {int(b): np.asarray(v) for b, v in reg["norms"].items()} for r, reg in d["regimes"].items()}
        return cls(d["preset"], d["config"], norms, d.get("provenance", {}))


def load(path) -> ProtocolResult:
    """A results file written by ``python -m lecturelib.reproduce --only gradient-protocol``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; run `python -m lecturelib.reproduce --only "
                                f"gradient-protocol` to make it")
    return ProtocolResult.from_dict(json.loads(path.read_text()))


def trained_points(preset: str, *, seed: int = 0, progress: bool = False) -> dict:
    """The study MLP at this preset, trained at batch 1024 and lr 0.01: its weights after the early and
    the late epoch (state dicts), and the History. One run gives both (a snapshot probe)."""
    from .callbacks import ProgressBar
    from .experiments import batch_size as bs
    from .train import fit

    s, net = scale(preset), bs.scale(preset)
    snaps = Snapshots([s.early_epochs, s.late_epochs])
    model = bs.build_model(net, seed=seed)
    data = mnist(train_limit=net.train_limit, test_limit=net.test_limit)
    history = fit(model, data, lr=0.01, batch_size=1024, epochs=s.late_epochs, seed=seed,
                  label=f"BS 1024, lr 0.01, {s.late_epochs} epochs", callbacks=[snaps, ProgressBar(enabled=progress)])
    return {"early": snaps.states[s.early_epochs], "late": snaps.states[s.late_epochs], "history": history}


def measure(models: dict, preset: str | None = None, *, seed: int = 0,
            progress: bool = False) -> dict[str, dict[int, np.ndarray]]:
    """The protocol at this preset's sizes for each model in ``models`` (e.g. {"early": m1, "late": m2})."""
    from .experiments import batch_size as bs

    check_type("models", models, dict, "a dict name -> model")
    s, net = scale(preset), bs.scale(preset)
    data = mnist(train_limit=net.train_limit, test_limit=1)
    return {name: summed_update_norms(model, data.x_train, data.y_train, s.batch_sizes, trials=s.trials,
                                      samples=s.samples, seed=seed, progress=progress)
            for name, model in models.items()}


def run(preset: str | None = None, *, seed: int = 0, progress: bool = False, checkpoint=None) -> ProtocolResult:
    """Train to both regimes, then run the protocol at every batch size of the preset.

    checkpoint: a ``lecturelib.checkpoint.Checkpoint``; the trained points and each
    finished (regime, batch size) are saved to it, and a restarted run continues there.
    """
    from .checkpoint import Checkpoint
    from .experiments import batch_size as bs

    preset = active_preset() if preset is None else check_choice("preset", preset, PRESETS)
    check_int("seed", seed, low=0, high=2**32 - 1)
    check_bool("progress", progress)
    if checkpoint is not None:
        check_type("checkpoint", checkpoint, Checkpoint, "a lecturelib.checkpoint.Checkpoint or None")
    s, net = scale(preset), bs.scale(preset)
    state = checkpoint.load() if checkpoint is not None else None
    if state is None:
        points = trained_points(preset, seed=seed, progress=progress)
        state = {"points": {r: points[r] for r in REGIMES}, "norms": {r: {} for r in REGIMES},
                 "seconds": {r: 0.0 for r in REGIMES}}
        if checkpoint is not None:
            checkpoint.save(state)
    data = mnist(train_limit=net.train_limit, test_limit=1)
    for regime in REGIMES:
        model = bs.build_model(net, seed=seed)
        model.load_state_dict(state["points"][regime])
        for b in s.batch_sizes:
            if b in state["norms"][regime]:
                continue
            start = time.perf_counter()
            norms = summed_update_norms(model, data.x_train, data.y_train, [b], trials=s.trials, samples=s.samples,
                                        lr=0.01, seed=seed, progress=progress)[b]
            state["norms"][regime][b] = torch.from_numpy(norms)
            state["seconds"][regime] += time.perf_counter() - start
            if checkpoint is not None:
                checkpoint.save(state)
    config = {"hidden": list(net.hidden), "train_samples": data.x_train.shape[0], "lr": 0.01,
              "samples": s.samples, "trials": s.trials, "batch_sizes": list(s.batch_sizes),
              "regimes": {"early": s.early_epochs, "late": s.late_epochs}, "train_batch_size": 1024,
              "seed": seed, "layer": "the last layer's weight matrix (no bias)",
              "seconds": {r: round(v, 1) for r, v in state["seconds"].items()}}
    norms = {r: {b: np.asarray(state["norms"][r][b], dtype=float) for b in s.batch_sizes} for r in REGIMES}
    return ProtocolResult(preset, config, norms)


def _check_batch_sizes(batch_sizes) -> tuple[int, ...]:
    if not isinstance(batch_sizes, (list, tuple)) or not batch_sizes:
        raise TypeError(f"batch_sizes must be a non-empty list or tuple of integers, got {batch_sizes!r}")
    return tuple(check_int(f"batch_sizes[{i}]", b, low=1) for i, b in enumerate(batch_sizes))
