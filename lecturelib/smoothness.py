"""How smooth the loss is along the training trajectory (Santurkar et al. 2018).

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


class Smoothness:
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

    def begin(self, model: nn.Module) -> None:
        self.trace, self._epoch = [], []

    def on_step(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, step: int) -> None:
        if step % self.every:
            return
        values = {"step": step, **step_landscape(model, x, y, self.step_sizes)}
        self.trace.append(values)
        self._epoch.append(values)

    def measure(self, model: nn.Module) -> dict:
        done, self._epoch = self._epoch, []
        if not done:
            return {k: math.nan for k in self.keys}
        return {k: sum(d[k] for d in done) / len(done) for k in self.keys}


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
