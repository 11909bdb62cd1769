"""Two measurements behind the two explanations of why batch normalization works.

``InputDrift`` measures the original story (Ioffe & Szegedy 2015): "internal
covariate shift", the drift of a hidden layer's input distribution while the
layers before it train. ``step_landscape`` and ``Smoothness`` measure the later
one: how smooth the loss is along the training trajectory (Santurkar et al. 2018).

At a point w of training, with g the mini-batch gradient there, take steps of
several sizes eta along -g and measure, on the same batch:

* ``loss_range``: max - min of L(w - eta g) over the step sizes (how much the
  loss can change along the step the optimizer is about to take);
* ``grad_change``: max over eta of ||grad L(w - eta g) - grad L(w)|| (the
  "gradient predictiveness": small means the gradient here still describes
  the gradient where the step lands);
* ``beta_smooth``: max over eta of that change divided by ||eta g||, an
  effective Lipschitz constant of the gradient along the step.

The model is left exactly as it was: parameters and buffers (BatchNorm's
running statistics) are restored after the measurement.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_float, check_int, check_type
from .callbacks import Callback, TrainState


def step_landscape(model: nn.Module, x: torch.Tensor, y: torch.Tensor, step_sizes, *, loss_fn=None) -> dict:
    """``loss_range``, ``grad_change`` and ``beta_smooth`` of ``model`` at its current
    weights on the batch (x, y), along -gradient for each of ``step_sizes``."""
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    check_type("y", y, torch.Tensor, "a torch.Tensor")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    step_sizes = _check_step_sizes(step_sizes)
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model must have at least one parameter that requires a gradient, found none")
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    try:
        loss0, grad0 = _loss_and_grad(model, params, x, y, loss_fn)
        g_norm = float(torch.sqrt(sum((g * g).sum() for g in grad0)))
        losses, changes, betas = [loss0], [], []
        for eta in step_sizes:
            with torch.no_grad():
                for p, p0, g in zip(params, (saved[k] for k in _names(model, params)), grad0):
                    p.copy_(p0 - eta * g)
            loss, grad = _loss_and_grad(model, params, x, y, loss_fn)
            change = float(torch.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(grad, grad0))))
            losses.append(loss)
            changes.append(change)
            betas.append(change / (eta * g_norm) if g_norm > 0 else 0.0)
    finally:
        model.load_state_dict(saved)
    return {"loss_range": max(losses) - min(losses), "grad_change": max(changes), "beta_smooth": max(betas)}


class Smoothness(Callback):
    """A ``fit`` probe: ``step_landscape`` every ``every`` optimizer steps, at step
    sizes ``factors`` x ``lr``. ``trace`` keeps every measurement (with its step);
    after each epoch ``measure`` reports the mean of the epoch's measurements
    (NaN before training)."""

    name = "smoothness"
    keys = ("loss_range", "grad_change", "beta_smooth")

    def __init__(self, lr: float, *, factors=(0.5, 1.0, 2.0, 4.0), every: int = 10):
        self.lr = check_float("lr", lr, low=0.0, low_open=True)
        self.step_sizes = tuple(self.lr * f for f in _check_step_sizes(factors, name="factors"))
        self.every = check_int("every", every, low=1)
        self.trace: list[dict] = []
        self._epoch: list[dict] = []

    def on_train_begin(self, run: TrainState) -> None:
        self.trace, self._epoch = [], []

    def on_step_end(self, run: TrainState, x: torch.Tensor, y: torch.Tensor) -> None:
        if run.steps % self.every:
            return
        values = {"step": run.steps, **step_landscape(run.model, x, y, self.step_sizes)}
        self.trace.append(values)
        self._epoch.append(values)

    def measure(self, run: TrainState) -> dict:
        done, self._epoch = self._epoch, []
        if not done:
            return {k: math.nan for k in self.keys}
        return {k: sum(d[k] for d in done) / len(done) for k in self.keys}


class InputDrift(Callback):
    """A ``fit`` probe for internal covariate shift: the distribution of the input of the
    nonlinearity of hidden layer ``layer`` (1-based) of a ``NormMLP`` -- its
    pre-activation, after the norm when the norm comes before the activation -- on the
    fixed images ``x``, at step 0 and every ``every`` optimizer steps. This is the
    quantity of Ioffe & Szegedy's first figure.

    It is computed in training mode, as the layer sees it during training (BN with the
    statistics of ``x`` itself); running statistics are left untouched. ``trace`` holds
    one entry per measurement: ``step``, and per unit the ``mean``, ``std`` and the
    10 %, 50 % and 90 % quantiles (``q10``, ``q50``, ``q90``) over the images, as lists.
    ``drift()`` summarizes how far the distribution moved.
    """

    name = "input_drift"

    def __init__(self, x: torch.Tensor, *, layer: int = 2, every: int = 10):
        check_type("x", x, torch.Tensor, "a torch.Tensor")
        if len(x) < 2:
            raise ValueError(f"x must hold at least 2 images, got {len(x)}")
        self.x = x
        self.layer = check_int("layer", layer, low=1)
        self.every = check_int("every", every, low=1)
        self.trace: list[dict] = []

    def on_train_begin(self, run: TrainState) -> None:
        model = run.model
        blocks = getattr(model, "blocks", None)
        if blocks is None or not hasattr(model, "bn_position"):
            raise TypeError(f"model must be a lecturelib.models.NormMLP, got {type(model).__name__}")
        if self.layer > len(blocks):
            raise ValueError(f"layer must be <= {len(blocks)} for a model with {len(blocks)} hidden layers, "
                             f"got {self.layer}")
        self.trace = []
        self._record(model, 0)

    def on_step_end(self, run: TrainState, x: torch.Tensor, y: torch.Tensor) -> None:
        if run.steps % self.every == 0:
            self._record(run.model, run.steps)

    def preactivation(self, model: nn.Module) -> torch.Tensor:
        """The input of hidden layer ``layer``'s nonlinearity on ``self.x``, (images, units)."""
        h = model.flatten(self.x)
        for block in model.blocks[:self.layer - 1]:
            h = block(h)
        block = model.blocks[self.layer - 1]
        before_activation = 2 if model.bn_position == "before" else 1   # Linear, norm | Linear
        for part in list(block)[:before_activation]:
            h = part(h)
        return h

    @torch.no_grad()
    def _record(self, model, step):
        saved = {k: v.clone() for k, v in model.state_dict().items()
                 if k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
        was_training = model.training
        model.train()
        try:
            h = self.preactivation(model)
        finally:
            model.load_state_dict(saved, strict=False)
            model.train(was_training)
        q = torch.quantile(h, torch.tensor([0.1, 0.5, 0.9], dtype=h.dtype, device=h.device), dim=0)
        self.trace.append({"step": step, "mean": h.mean(0).tolist(), "std": h.std(0, unbiased=False).tolist(),
                           "q10": q[0].tolist(), "q50": q[1].tolist(), "q90": q[2].tolist()})

    def drift(self) -> dict:
        """How far the input distribution moved from step 0, in units of its initial spread.

        ``mean_shift``: the mean over units of |mean_T - mean_0|, divided by the mean
        over units of std_0 (at the last measurement T); ``std_change``: the same for
        |std_T - std_0|; ``max_mean_shift``: the largest ``mean_shift`` over the trace.
        """
        if len(self.trace) < 2:
            raise ValueError("drift needs at least two measurements: train the model with this probe first")
        first = self.trace[0]
        scale = sum(first["std"]) / len(first["std"])
        if scale == 0:
            raise ValueError("the layer's input has zero spread at step 0: every unit is constant")

        def shift(t, key):
            return sum(abs(a - b) for a, b in zip(t[key], first[key])) / len(first[key]) / scale

        return {"mean_shift": shift(self.trace[-1], "mean"), "std_change": shift(self.trace[-1], "std"),
                "max_mean_shift": max(shift(t, "mean") for t in self.trace)}


def _loss_and_grad(model, params, x, y, loss_fn):
    loss = loss_fn(model(x), y)
    grads = torch.autograd.grad(loss, params)
    return float(loss.detach()), [g.detach() for g in grads]


def _names(model, params):
    ids = {id(p): k for k, p in model.named_parameters()}
    return [ids[id(p)] for p in params]


def _check_step_sizes(values, *, name: str = "step_sizes") -> tuple[float, ...]:
    if not isinstance(values, (tuple, list)) or not values:
        raise TypeError(f"{name} must be a non-empty tuple or list of positive numbers, got {values!r}")
    return tuple(check_float(f"{name}[{i}]", v, low=0.0, low_open=True) for i, v in enumerate(values))
