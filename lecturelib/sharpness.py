"""How sharp a minimum is: two measurements of the training loss around the current weights.

* ``top_hessian_eigenvalue``: the largest eigenvalue λ_max of the Hessian ∇²L(θ), the
  curvature along the steepest direction. Power iteration needs only Hessian-vector
  products H v, and ``H v = ∇(∇L · v)`` costs two backward passes (double backward),
  so the Hessian itself (n² entries for n weights) is never formed.
* ``perturbation_sharpness``: the mean rise of the loss when the weights are moved by a
  random vector of a fixed norm r. For a quadratic bowl the rise is ≈ r²·tr(H)/(2n): it
  averages the curvature over all directions, where λ_max takes the worst one. Cheaper
  (forward passes only) and closer to what "flat" means in Keskar et al. (2017).

Both take ``loss_fn(model, x, y) -> scalar`` (default: cross-entropy of the logits),
evaluate on the samples given, and leave the model's weights as they were.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_float, check_int, check_type


def _cross_entropy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(model(x), y)


def _check(model, x, y, loss_fn):
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    check_type("y", y, torch.Tensor, "a torch.Tensor")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(model, x, y), got {type(loss_fn).__name__}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    return params, (loss_fn or _cross_entropy)


def hessian_vector_product(model: nn.Module, x: torch.Tensor, y: torch.Tensor, vector: list[torch.Tensor], *,
                           loss_fn=None, chunk: int = 2048) -> list[torch.Tensor]:
    """H v for the loss averaged over (x, y), one tensor per trainable parameter.

    The samples are processed ``chunk`` at a time; each chunk's product is weighted
    by its share of the samples, so the result is the product for the mean loss.
    """
    params, loss_fn = _check(model, x, y, loss_fn)
    chunk = check_int("chunk", chunk, low=1)
    if len(vector) != len(params) or any(v.shape != p.shape for v, p in zip(vector, params)):
        raise ValueError("vector must hold one tensor per trainable parameter, with its shape")
    total = [torch.zeros_like(p) for p in params]
    for start in range(0, len(x), chunk):
        xb, yb = x[start:start + chunk], y[start:start + chunk]
        grads = torch.autograd.grad(loss_fn(model, xb, yb), params, create_graph=True)
        dot = sum((g * v).sum() for g, v in zip(grads, vector))
        for t, h in zip(total, torch.autograd.grad(dot, params)):
            t.add_(h, alpha=len(xb) / len(x))
    return total


def top_hessian_eigenvalue(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, iters: int = 50,
                           tol: float = 1e-4, seed: int = 0, loss_fn=None, chunk: int = 2048) -> float:
    """λ_max of the Hessian of the mean loss over (x, y), by power iteration on H v.

    Stops when the Rayleigh quotient changes by less than ``tol`` (relative) or after
    ``iters`` products. Power iteration converges to the eigenvalue of largest
    magnitude; near a minimum that is the largest positive one.
    """
    params, _ = _check(model, x, y, loss_fn)
    iters = check_int("iters", iters, low=1)
    tol = check_float("tol", tol, low=0.0)
    check_int("seed", seed, low=0)
    gen = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=gen).to(p) for p in params]
    norm = torch.sqrt(sum((t * t).sum() for t in v))
    v = [t / norm for t in v]
    eigenvalue = None
    for _ in range(iters):
        hv = hessian_vector_product(model, x, y, v, loss_fn=loss_fn, chunk=chunk)
        rayleigh = float(sum((a * b).sum() for a, b in zip(v, hv)))
        norm = torch.sqrt(sum((t * t).sum() for t in hv))
        if float(norm) == 0.0:
            return 0.0
        v = [t / norm for t in hv]
        if eigenvalue is not None and abs(rayleigh - eigenvalue) <= tol * abs(eigenvalue):
            return rayleigh
        eigenvalue = rayleigh
    return eigenvalue


@torch.no_grad()
def perturbation_sharpness(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, radius: float,
                           samples: int = 10, seed: int = 0, loss_fn=None) -> float:
    """Mean of L(θ + δ) − L(θ) over random δ drawn uniformly on the sphere ‖δ‖ = radius.

    Each of the ``samples`` directions is used both ways, +δ and −δ, and the two rises
    averaged: the first-order term ∇L·δ then cancels exactly, so away from a minimum
    (an unfinished run) the estimate still measures curvature, not slope.
    The weights are restored afterwards.
    """
    params, loss_fn = _check(model, x, y, loss_fn)
    radius = check_float("radius", radius, low=0.0, low_open=True)
    samples = check_int("samples", samples, low=1)
    check_int("seed", seed, low=0)
    gen = torch.Generator().manual_seed(seed)
    original = [p.detach().clone() for p in params]
    base = float(loss_fn(model, x, y))
    rises = []
    try:
        for _ in range(samples):
            delta = [torch.randn(p.shape, generator=gen).to(p) for p in params]
            scale = radius / float(torch.sqrt(sum((d * d).sum() for d in delta)))
            for sign in (1.0, -1.0):
                for p, p0, d in zip(params, original, delta):
                    p.copy_(p0 + sign * scale * d)
                rises.append(float(loss_fn(model, x, y)) - base)
    finally:
        for p, p0 in zip(params, original):
            p.copy_(p0)
    return sum(rises) / len(rises)
