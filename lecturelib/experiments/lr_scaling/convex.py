"""The convex case (BS13): softmax regression, its optimum, the noise ball and the two schedules.

Owns the problem (``convex_data``: 7x7 average-pooled MNIST; ``convex_model``; the L2-regularized
``convex_objective`` with ``CONVEX_L2``), its optimum by full-batch L-BFGS (``convex_optimum``),
the probes of the distance to it (``DistanceToOptimum`` per epoch, ``StepDistance`` per step),
one run from zero weights (``convex_run``), the distance after SGD at the fixed lr ``CONVEX_LR``
per batch size (``noise_ball``) and a decaying lr against a growing batch (``schedules``).
Everything is cached per process in ``_CONVEX``.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..._checks import check_bool, check_float, check_int
from ...callbacks import Callback, Evaluation, TrainState
from ...data import Data, mnist
from ...models import MLP
from ...presets import set_seed
from ...train import History, Phase, fit
from .runs import SCALES, Scale

CONVEX_L2 = 1e-2     # the L2 term that makes the convex problem strongly convex
CONVEX_LR = 0.5      # the fixed learning rate of the noise-ball sweep and the schedules


# --- BS13: the convex case --------------------------------------------------------------

_CONVEX: dict = {}


def convex_data(s: Scale | None = None) -> Data:
    """MNIST as 7x7 average-pooled pixels (49 features, a fixed feature map), standardized."""
    s = SCALES.resolve(s)
    key = ("data", s.convex_train, s.test)
    if key not in _CONVEX:
        d = mnist(train_limit=s.convex_train, test_limit=s.test)
        pool = lambda x: F.avg_pool2d(x, 4).flatten(1)
        xtr, xte = pool(d.x_train), pool(d.x_test)
        mu, sd = xtr.mean(0), xtr.std(0) + 1e-6
        _CONVEX[key] = Data((xtr - mu) / sd, d.y_train, (xte - mu) / sd, d.y_test)
    return _CONVEX[key]


def convex_model(*, seed: int = 0) -> MLP:
    """Softmax regression on the 49 features: an MLP with no hidden layer."""
    set_seed(check_int("seed", seed, low=0))
    return MLP(49, (), 10)


def convex_objective(m, d: Data) -> float:
    """Mean cross-entropy on the training set plus (CONVEX_L2 / 2) |theta|^2 (what SGD with
    weight_decay = CONVEX_L2 minimizes)."""
    with torch.no_grad():
        reg = sum(float((p.double() ** 2).sum()) for p in m.parameters())
        return float(F.cross_entropy(m(d.x_train).double(), d.y_train)) + 0.5 * CONVEX_L2 * reg


def convex_optimum(s: Scale | None = None) -> dict[str, object]:
    """The unique minimizer theta* of the convex objective, by full-batch L-BFGS in float64.

    Returns the parameters (float32, in ``named_parameters`` order), the objective there and
    the gradient norm left at the optimum (how accurate it is).
    """
    s = SCALES.resolve(s)
    key = ("opt", s.convex_train)
    if key not in _CONVEX:
        d = convex_data(s)
        x, y = d.x_train.double(), d.y_train
        w = torch.zeros(49, 10, dtype=torch.float64, requires_grad=True)
        b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], lr=1, max_iter=300, tolerance_grad=1e-10, tolerance_change=1e-14,
                                history_size=20, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(x @ w + b, y) + 0.5 * CONVEX_L2 * ((w ** 2).sum() + (b ** 2).sum())
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        loss = closure()
        grad_norm = float(torch.cat([w.grad.flatten(), b.grad]).norm())
        params = [w.detach().T.float().contiguous(), b.detach().float()]   # Linear stores W as (out, in)
        _CONVEX[key] = {"params": params, "objective": float(loss.detach()), "grad_norm": grad_norm}
    return _CONVEX[key]


class DistanceToOptimum(Callback):
    """Probe: |theta - theta*| and the objective gap after every epoch."""

    name = "distance"

    def __init__(self, optimum: dict, d: Data):
        self.optimum, self.d = optimum, d

    def measure(self, run: TrainState) -> dict:
        model = run.model
        with torch.no_grad():
            sq = sum(float(((p - q) ** 2).sum()) for p, q in zip(model.parameters(), self.optimum["params"]))
        return {"dist": sq ** 0.5, "gap": convex_objective(model, self.d) - self.optimum["objective"]}


def convex_run(s: Scale | None, schedule, *, seed: int = 0, label: str | None = None, probes=()) -> History:
    """Train softmax regression with ``schedule`` (a list of Phase) from zero weights, measuring
    the distance to the optimum after every epoch (and whatever extra ``probes``, ``fit`` callbacks, measure)."""
    s = SCALES.resolve(s)
    d, opt = convex_data(s), convex_optimum(s)
    m = convex_model(seed=seed)
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
    return fit(m, d, optimizer="sgd", lr=schedule[0].lr, batch_size=schedule[0].batch_size, schedule=list(schedule),
               weight_decay=CONVEX_L2, seed=seed, label=label,
               callbacks=[Evaluation(train_limit=1), DistanceToOptimum(opt, d), *probes])


class StepDistance(Callback):
    """Probe: |theta - theta*| after every step from step ``start`` on (mid-epoch included)."""

    name = "step_distance"

    def __init__(self, optimum: dict, start: int):
        self.optimum, self.start, self.values = optimum, start, []

    def on_train_begin(self, run: TrainState) -> None:
        self.values = []

    def on_step_end(self, run: TrainState, xb, yb) -> None:
        if run.steps >= self.start:
            with torch.no_grad():
                sq = sum(float(((p - q) ** 2).sum())
                         for p, q in zip(run.model.parameters(), self.optimum["params"]))
            self.values.append(sq ** 0.5)


def noise_ball(s: Scale | None = None, *, lr: float = CONVEX_LR, seed: int = 0,
               every_step: bool = False) -> dict[int, dict]:
    """BS13: distance to the optimum after SGD at one fixed lr, per batch size.

    Every batch size gets at least ``s.convex_steps`` steps (whole epochs), enough to
    settle; the distance is the mean over the last quarter of the epochs (at least 1),
    measured at the end of each epoch, or with ``every_step`` after every step of that
    last quarter (the weights in the middle of an epoch included).
    """
    s = SCALES.resolve(s)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    check_bool("every_step", every_step)
    key = ("ball", s, lr, seed, every_step)
    if key not in _CONVEX:
        n = s.convex_train
        out = {}
        for b in s.convex_batch_sizes:
            epochs = max(2, math.ceil(s.convex_steps * b / n))
            tail = max(1, epochs // 4)
            per_epoch = math.ceil(n / b)
            probe = StepDistance(convex_optimum(s), (epochs - tail) * per_epoch + 1)
            h = convex_run(s, [Phase(epochs, b, lr)], seed=seed, label=f"BS {b}",
                           probes=[probe] if every_step else ())
            dist = np.mean(probe.values) if every_step else np.mean(h["dist"][-tail:])
            out[b] = {"dist": float(dist), "gap": float(np.mean(h["gap"][-tail:])),
                      "steps": h.steps[-1], "epochs": epochs}
        _CONVEX[key] = out
    return _CONVEX[key]


def schedules(s: Scale | None = None, *, lr: float = CONVEX_LR, batch_size: int = 16, factor: int = 2,
              phases: int = 4, seed: int = 0) -> dict[str, History]:
    """Smith et al. (2018): decay the lr by ``factor`` per phase, or grow the batch by ``factor``
    at the same points. Both keep the same noise scale lr * N / B in every phase."""
    s = SCALES.resolve(s)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    batch_size = check_int("batch_size", batch_size, low=1)
    factor = check_int("factor", factor, low=2)
    phases = check_int("phases", phases, low=1)
    seed = check_int("seed", seed, low=0)
    key = ("sched", s, lr, batch_size, factor, phases, seed)
    if key not in _CONVEX:
        e = s.convex_epochs
        decay = [Phase(e, batch_size, lr / factor ** k) for k in range(phases)]
        grow = [Phase(e, batch_size * factor ** k, lr) for k in range(phases)]
        _CONVEX[key] = {
            "decaying lr": convex_run(s, decay, seed=seed, label=f"lr ÷{factor} per phase, BS {batch_size}"),
            "growing batch": convex_run(s, grow, seed=seed, label=f"BS ×{factor} per phase, lr {lr:g}"),
        }
    return _CONVEX[key]
