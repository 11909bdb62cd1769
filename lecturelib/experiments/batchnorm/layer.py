"""One BatchNorm layer on synthetic data, against torch's and against its formulas.

No training and no MNIST: lecturelib's ``BatchNorm1d/2d`` next to ``torch.nn``'s (BN1),
the moments of its output (BN1), the gradients and shapes of gamma and beta (BN4), and
its running averages (BN5). ``_maxdiff`` is the one comparison every module here uses.
"""
from __future__ import annotations

import torch

from ..._checks import check_float, check_int, check_type
from ...models import NormMLP
from ...norm import BatchNorm, BatchNorm1d, BatchNorm2d


# --- BN1: our BatchNorm against torch's ----------------------------------------------

EQUIVALENCE_SHAPES = ((32, 10), (7, 3), (16, 4, 9), (8, 3, 5, 5), (2, 6, 4, 7))


def equivalence(shapes=EQUIVALENCE_SHAPES, dtypes=(torch.float32, torch.float64), *, steps: int = 3,
                seed: int = 0) -> list[dict]:
    """Compare ``lecturelib.norm`` with ``torch.nn.BatchNorm1d/2d`` on random inputs.

    For each shape and dtype: ``steps`` training-mode batches (outputs, input
    gradients, gamma and beta gradients, running statistics), then one
    evaluation-mode batch. Each row holds the max abs difference of each.
    """
    check_int("steps", steps, low=1)
    rows = []
    for shape in shapes:
        if not isinstance(shape, tuple) or len(shape) not in (2, 3, 4):
            raise ValueError(f"shapes must hold tuples of 2, 3 or 4 sizes, got {shape!r}")
        for dtype in dtypes:
            rows.append(_compare_once(shape, dtype, steps, seed))
    return rows


def _compare_once(shape, dtype, steps, seed) -> dict:
    torch.manual_seed(seed)
    c = shape[1]
    ours = (BatchNorm2d(c) if len(shape) == 4 else BatchNorm1d(c)).to(dtype)
    theirs = (torch.nn.BatchNorm2d(c) if len(shape) == 4 else torch.nn.BatchNorm1d(c)).to(dtype)
    with torch.no_grad():  # the same non-trivial gamma and beta in both
        for m in (ours, theirs):
            m.weight.copy_(torch.linspace(0.5, 2.0, c, dtype=dtype))
            m.bias.copy_(torch.linspace(-1.0, 1.0, c, dtype=dtype))
    diff = {"forward": 0.0, "grad_x": 0.0, "grad_gamma": 0.0, "grad_beta": 0.0, "running": 0.0}
    for _ in range(steps):
        x = 3 * torch.randn(*shape, dtype=dtype) + 2
        w = torch.randn(*shape, dtype=dtype)
        outs = []
        for m in (ours, theirs):
            m.zero_grad()
            xi = x.clone().requires_grad_(True)
            y = m(xi)
            (y * w).sum().backward()
            outs.append((y.detach(), xi.grad, m.weight.grad, m.bias.grad, m.running_mean, m.running_var))
        a, b = outs
        for key, i in (("forward", 0), ("grad_x", 1), ("grad_gamma", 2), ("grad_beta", 3)):
            diff[key] = max(diff[key], _maxdiff(a[i], b[i]))
        diff["running"] = max(diff["running"], _maxdiff(a[4], b[4]), _maxdiff(a[5], b[5]))
    ours.eval()
    theirs.eval()
    x = 3 * torch.randn(*shape, dtype=dtype) + 2
    with torch.no_grad():
        diff["eval"] = _maxdiff(ours(x), theirs(x))
    return {"shape": shape, "dtype": str(dtype).replace("torch.", ""), **diff}


def _maxdiff(a, b) -> float:
    return float((a.detach() - b.detach()).abs().max())


def affine_moments(*, gamma=(0.5, 1.0, 2.0, 3.0), beta=(-1.0, 0.0, 1.0, 5.0), n: int = 256,
                   seed: int = 0) -> dict:
    """BN1: a ``BatchNorm1d`` with the given gamma and beta on ``n`` samples of
    N(7, 4^2) data; returns gamma, beta and the per-unit mean and std of its
    training-mode output (as lists)."""
    if not isinstance(gamma, (tuple, list)) or not isinstance(beta, (tuple, list)) or len(gamma) != len(beta) \
            or not gamma:
        raise ValueError(f"gamma and beta must be non-empty sequences of equal length, got {gamma!r} and {beta!r}")
    gamma = [check_float(f"gamma[{i}]", g) for i, g in enumerate(gamma)]
    beta = [check_float(f"beta[{i}]", b) for i, b in enumerate(beta)]
    n = check_int("n", n, low=2)
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    layer = BatchNorm1d(len(gamma))
    with torch.no_grad():
        layer.gamma.copy_(torch.tensor(gamma))
        layer.beta.copy_(torch.tensor(beta))
    m = output_moments(layer, 4 * torch.randn(n, len(gamma), generator=gen) + 7)
    return {"gamma": gamma, "beta": beta, "mean": m["mean"].tolist(), "std": m["std"].tolist()}


def affine_shapes(model: NormMLP) -> list[dict]:
    """BN4: per BN layer of ``model``, its number of units and the shapes of gamma and beta."""
    check_type("model", model, torch.nn.Module, "a torch.nn.Module")
    layers = [m for m in model.modules() if isinstance(m, BatchNorm) and m.affine]
    return [{"units": m.num_features, "gamma": tuple(m.gamma.shape), "beta": tuple(m.beta.shape)}
            for m in layers]


def output_moments(model_norm: torch.nn.Module, x: torch.Tensor) -> dict:
    """Per-unit mean and std of a norm layer's training-mode output (BN1: mean = beta, std = gamma)."""
    check_type("model_norm", model_norm, torch.nn.Module, "a torch.nn.Module")
    model_norm.train()
    with torch.no_grad():
        y = model_norm(x)
    axes = [0, *range(2, y.ndim)]
    return {"mean": y.mean(dim=axes), "std": y.std(dim=axes, unbiased=False)}


# --- BN4: the gradients of gamma and beta ---------------------------------------------

def affine_gradients(*, n: int = 32, features: int = 5, seed: int = 0) -> dict:
    """BN4: autograd's gradients of gamma and beta against their closed forms,
    dL/dgamma = sum_i dL/dy_i * x_hat_i and dL/dbeta = sum_i dL/dy_i, for a random
    upstream gradient dL/dy on a random batch (float64). Returns the largest
    absolute difference of each, and the gradients themselves."""
    n = check_int("n", n, low=2)
    features = check_int("features", features, low=1)
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    layer = BatchNorm1d(features).double()
    with torch.no_grad():
        layer.weight.copy_(torch.rand(features, generator=gen, dtype=torch.float64) + 0.5)
        layer.bias.copy_(torch.randn(features, generator=gen, dtype=torch.float64))
    x = 3 * torch.randn(n, features, generator=gen, dtype=torch.float64) + 1
    upstream = torch.randn(n, features, generator=gen, dtype=torch.float64)   # dL/dy
    (layer(x) * upstream).sum().backward()
    x_hat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + layer.eps)
    by_hand = {"gamma": (upstream * x_hat).sum(0), "beta": upstream.sum(0)}
    return {"gamma_diff": _maxdiff(layer.weight.grad, by_hand["gamma"]),
            "beta_diff": _maxdiff(layer.bias.grad, by_hand["beta"]),
            "gamma_grad": layer.weight.grad, "beta_grad": layer.bias.grad}


# --- BN5: batch statistics in training, running averages in evaluation ---------------------

def running_average(*, momentum: float = 0.1, steps: int = 40, batch_size: int = 64, features: int = 4,
                    mean: float = 3.0, std: float = 2.0, seed: int = 0) -> dict:
    """BN5: feed ``steps`` batches of N(mean, std^2) data to a fresh ``BatchNorm1d``
    (lecturelib's) and to ``torch.nn.BatchNorm1d`` with the same ``momentum``, and
    compute by hand the exponentially weighted average of the batch means with
    beta = 1 - momentum, ``ema_t = beta * ema_{t-1} + (1 - beta) * mu_t`` from 0.

    Returns ``beta``; per step (``step`` 0..steps) the running mean of unit 0 in
    ours (``ours``), torch's (``torch``) and by hand (``ema``), and the batch means
    (``batch_mean``); ``data_mean``; and the largest difference over every unit and
    step between ours and the hand EMA (``ema_diff``) and between ours and torch's
    running mean and variance (``torch_diff``).
    """
    momentum = check_float("momentum", momentum, low=0.0, high=1.0, low_open=True)
    steps = check_int("steps", steps, low=1)
    batch_size = check_int("batch_size", batch_size, low=2)
    features = check_int("features", features, low=1)
    mean = check_float("mean", mean)
    std = check_float("std", std, low=0.0, low_open=True)
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    ours, theirs = BatchNorm1d(features, momentum=momentum), torch.nn.BatchNorm1d(features, momentum=momentum)
    beta = 1.0 - momentum
    ema = torch.zeros(features)
    out = {"beta": beta, "momentum": momentum, "data_mean": mean, "step": [0], "ours": [0.0], "torch": [0.0],
           "ema": [0.0], "batch_mean": [float("nan")], "ema_diff": 0.0, "torch_diff": 0.0}
    with torch.no_grad():
        for t in range(1, steps + 1):
            x = mean + std * torch.randn(batch_size, features, generator=gen)
            ours(x)
            theirs(x)
            ema = beta * ema + (1 - beta) * x.mean(0)
            out["ema_diff"] = max(out["ema_diff"], _maxdiff(ours.running_mean, ema))
            out["torch_diff"] = max(out["torch_diff"], _maxdiff(ours.running_mean, theirs.running_mean),
                                    _maxdiff(ours.running_var, theirs.running_var))
            for key, value in (("step", t), ("ours", float(ours.running_mean[0])),
                               ("torch", float(theirs.running_mean[0])), ("ema", float(ema[0])),
                               ("batch_mean", float(x[:, 0].mean()))):
                out[key].append(value)
    return out
