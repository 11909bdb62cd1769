"""Measurements of a model's weights, taken during or after training.

The batch-size chapters ask how far training moves the weights from where
they started. ``WeightGeometry`` snapshots the initial weights when training
begins and, after every epoch, reports:

* ``dist_w`` / ``dist_b``: ||W - W_init|| over all weight matrices (biases),
  flattened and concatenated, as in the study's W and B columns;
* ``dist_w_layers`` / ``dist_b_layers``: the same per layer;
* ``norm_w`` / ``norm_b``: ||W|| (distance to the origin);
* ``cos_layers``: per-layer cosine between initial and current weights.

A probe is a ``lecturelib.callbacks.Callback`` that measures: ``fit`` calls its
``on_train_begin(run)`` once before training and its ``measure(run) -> dict`` at
epoch 0 and after every epoch (``fit(..., callbacks=[WeightGeometry()])``).
"""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_type
from .callbacks import Callback, TrainState


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """The layers that hold a weight matrix or kernel (Linear and Conv), in order."""
    check_type("model", model, nn.Module, "a torch.nn.Module")
    return [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]


def snapshot(model: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
    """Detached copies of (weight, bias) for each weight layer."""
    return [(m.weight.detach().clone(), None if m.bias is None else m.bias.detach().clone())
            for m in weight_layers(model)]


def distance_from(model: nn.Module, reference) -> dict[str, object]:
    """Euclidean distances between the model's current weights and ``reference``
    (a ``snapshot``), in total and per layer, for weights and biases separately."""
    layers = weight_layers(model)
    if len(layers) != len(reference):
        raise ValueError(f"reference must have one entry per weight layer ({len(layers)}), got {len(reference)}")
    dw, db = [], []
    with torch.no_grad():
        for m, (w0, b0) in zip(layers, reference):
            dw.append(float(torch.linalg.vector_norm(m.weight - w0)))
            db.append(0.0 if b0 is None else float(torch.linalg.vector_norm(m.bias - b0)))
    return {"dist_w": _root_sum_sq(dw), "dist_b": _root_sum_sq(db),
            "dist_w_layers": dw, "dist_b_layers": db}


def weight_norm(model: nn.Module) -> dict[str, float]:
    """||W|| and ||b|| over all weight layers (distance to the origin)."""
    with torch.no_grad():
        layers = weight_layers(model)
        w = _root_sum_sq([float(torch.linalg.vector_norm(m.weight)) for m in layers])
        b = _root_sum_sq([float(torch.linalg.vector_norm(m.bias)) for m in layers if m.bias is not None])
    return {"norm_w": w, "norm_b": b}


def cosine_to(model: nn.Module, reference) -> list[float]:
    """Per-layer cosine similarity between current and reference weight matrices."""
    layers = weight_layers(model)
    if len(layers) != len(reference):
        raise ValueError(f"reference must have one entry per weight layer ({len(layers)}), got {len(reference)}")
    with torch.no_grad():
        return [float(torch.nn.functional.cosine_similarity(m.weight.flatten(), w0.flatten(), dim=0))
                for m, (w0, _) in zip(layers, reference)]


class WeightGeometry(Callback):
    """Distance from init, weight norm and cosine to init, after every epoch."""

    name = "geometry"

    def __init__(self):
        self.initial = None

    def on_train_begin(self, run: TrainState) -> None:
        self.initial = snapshot(run.model)

    def measure(self, run: TrainState) -> dict[str, object]:
        if self.initial is None:
            raise RuntimeError("WeightGeometry.measure called before on_train_begin(run)")
        model = run.model
        return {**distance_from(model, self.initial), **weight_norm(model),
                "cos_layers": cosine_to(model, self.initial)}

    def state_dict(self) -> dict:
        """The initial weights, so a run resumed from a checkpoint measures from the same start."""
        return {"initial": self.initial}

    def load_state_dict(self, state: dict) -> None:
        self.initial = [tuple(pair) for pair in state["initial"]]


def _root_sum_sq(values) -> float:
    return float(sum(v * v for v in values) ** 0.5)


def per_sample_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, loss_fn=None, names=None):
    """Gradients of the loss of each sample separately, shape (N, n_params).

    Vectorized with ``torch.func`` (one backward pass for the whole batch, not N).
    loss_fn(logits, target) defaults to cross-entropy. ``names`` restricts the
    gradient to those parameters (see ``model.named_parameters()``), in that order.
    """
    from torch.func import functional_call, grad, vmap

    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    check_type("y", y, torch.Tensor, "a torch.Tensor")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    loss_fn = torch.nn.functional.cross_entropy if loss_fn is None else loss_fn
    params = {k: v.detach() for k, v in model.named_parameters()}
    names = list(params) if names is None else list(names)
    unknown = [n for n in names if n not in params]
    if unknown or not names:
        raise ValueError(f"names must be a non-empty list of parameter names from {list(params)}; got {names!r}")
    chosen = {k: params[k] for k in names}
    fixed = {k: v for k, v in params.items() if k not in chosen}

    def one(p, xi, yi):
        return loss_fn(functional_call(model, {**fixed, **p}, (xi.unsqueeze(0),)), yi.unsqueeze(0))

    g = vmap(grad(one), in_dims=(None, 0, 0))(chosen, x, y)
    return torch.cat([g[k].reshape(len(x), -1) for k in names], dim=1)


def last_layer_names(model: nn.Module) -> list[str]:
    """Parameter names of the model's last weight layer (the layer the study measures)."""
    last = weight_layers(model)[-1]
    prefix = next(name for name, m in model.named_modules() if m is last)
    return [f"{prefix}.{n}" for n, _ in last.named_parameters()]


class Snapshots(Callback):
    """Keeps a copy of the model's weights after the given epochs (0 = before training)."""

    name = "snapshots"

    def __init__(self, epochs):
        self.epochs = tuple(sorted({_check_nonneg_int("epochs", e) for e in epochs}))
        self.states: dict[int, dict] = {}
        self._calls = 0

    def on_train_begin(self, run: TrainState) -> None:
        self.states.clear()
        self._calls = 0

    def measure(self, run: TrainState) -> dict:
        if self._calls in self.epochs:
            self.states[self._calls] = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
        self._calls += 1
        return {}


def gradient_noise(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, chunk: int = 256) -> dict[str, float]:
    """The two numbers behind mini-batch gradient noise, estimated from the samples given.

    ``grad_sq``: ||∇L||², the squared norm of the full-batch mean gradient;
    ``trace_cov``: tr(Σ), the summed variance of one sample's gradient.
    With them, a batch of B samples drawn with replacement has
    E||g_B − ∇L||² = tr(Σ)/B, and ``noise_scale`` = tr(Σ)/||∇L||² is the
    "simple noise scale" of McCandlish et al. (2018).
    Both estimates are unbiased for the population of samples in ``x``.
    """
    chunk = _check_positive_int("chunk", chunk)
    n = len(x)
    if n < 2:
        raise ValueError(f"x must hold at least 2 samples to estimate a variance, got {n}")
    total, sq = None, 0.0
    for start in range(0, n, chunk):
        g = per_sample_grads(model, x[start:start + chunk], y[start:start + chunk])
        total = g.sum(0) if total is None else total + g.sum(0)
        sq += float((g * g).sum())
    mean = total / n
    mean_sq = float(mean @ mean)
    trace_cov = (sq / n - mean_sq) * n / (n - 1)
    grad_sq = max(mean_sq - trace_cov / n, 0.0)
    return {"grad_sq": grad_sq, "trace_cov": trace_cov,
            "noise_scale": trace_cov / grad_sq if grad_sq > 0 else float("inf")}


def _check_nonneg_int(name, value):
    from ._checks import check_int
    return check_int(name, value, low=0)


def _check_positive_int(name, value):
    from ._checks import check_int
    return check_int(name, value, low=1)
