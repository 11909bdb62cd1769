"""Training comparisons: where BN goes (BN2), how gamma and beta train under each
optimizer (BN4, with the ``AffineChange`` probe), and the learning rates and depths BN
allows (BN7).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..._checks import check_type
from ...callbacks import Callback, TrainState
from ...models import NormMLP
from ...norm import BatchNorm
from ...train import History
from .layer import _maxdiff
from .runs import DEEP_LR, SCALES, Scale, build_model, train


# --- BN2, BN4, BN7: training comparisons ----------------------------------------------

def placement_runs(s: Scale | None = None, *, lr: float = 0.1, seed: int = 0) -> dict[str, History]:
    """BN2: no norm, BN before the ReLU, BN after the ReLU, from the same seed."""
    s = SCALES.resolve(s)
    specs = {"no BN": dict(norm=None), "BN before ReLU": dict(norm="batch", bn_position="before"),
             "BN after ReLU": dict(norm="batch", bn_position="after")}
    return {k: train(build_model(s, seed=seed, **kw), s, lr=lr, seed=seed, label=k) for k, kw in specs.items()}


OPTIMIZER_LRS = {"sgd": 0.1, "momentum": 0.02, "rmsprop": 0.001, "adam": 0.001}


class AffineChange(Callback):
    """A ``fit`` probe: how far BN's gamma and beta have moved from where they started.

    After every epoch it reports ``gamma_change`` and ``beta_change``, the largest
    absolute change of any entry of any lecturelib ``BatchNorm``'s gamma or beta
    since ``begin`` (0 if that parameter never received an update)."""

    name = "affine_change"
    keys = ("gamma_change", "beta_change")

    def on_train_begin(self, run: TrainState) -> None:
        self.layers = [m for m in run.model.modules() if isinstance(m, BatchNorm) and m.affine]
        if not self.layers:
            raise ValueError("model must contain at least one affine lecturelib.norm.BatchNorm, found none")
        self.start = [(m.weight.detach().clone(), m.bias.detach().clone()) for m in self.layers]

    def measure(self, run: TrainState) -> dict:
        if not hasattr(self, "start"):
            raise RuntimeError("AffineChange.measure needs on_train_begin(run) first")
        return {"gamma_change": max(_maxdiff(m.weight, g0) for m, (g0, _) in zip(self.layers, self.start)),
                "beta_change": max(_maxdiff(m.bias, b0) for m, (_, b0) in zip(self.layers, self.start))}


def optimizer_runs(s: Scale | None = None, *, seed: int = 0) -> dict[str, History]:
    """BN4: gamma and beta train under plain SGD, momentum, RMSProp and Adam alike.

    Each History also records ``gamma_change`` and ``beta_change`` (``AffineChange``)."""
    s = SCALES.resolve(s)
    runs = {}
    for name, lr in OPTIMIZER_LRS.items():
        model = build_model(s, norm="batch", seed=seed)
        opt = torch.optim.RMSprop(model.parameters(), lr=lr) if name == "rmsprop" else name
        runs[name] = train(model, s, lr=None if name == "rmsprop" else lr, optimizer=opt, seed=seed,
                           probes=[AffineChange()], label=f"{name}, lr {lr:g}")
    return runs


def lr_sweep(s: Scale | None = None, *, seed: int = 0) -> dict[tuple, History]:
    """BN7: the same epochs at each learning rate of ``s.lrs``, with and without BN."""
    s = SCALES.resolve(s)
    return {(norm, lr): train(build_model(s, norm=norm, seed=seed), s, lr=lr, seed=seed,
                              label=f"{'BN' if norm else 'no BN'}, lr {lr:g}")
            for norm in (None, "batch") for lr in s.lrs}


def depth_runs(s: Scale | None = None, *, lr: float = DEEP_LR, seed: int = 0, depth: int | None = None,
               norms=(None, "batch")) -> dict[str, tuple]:
    """BN7: a deep plain MLP against the same with BN. Returns label -> (History, model)."""
    s = SCALES.resolve(s)
    depth = s.deep_depth if depth is None else depth
    out = {}
    for norm in norms:
        model = build_model(s, norm=norm, depth=depth, seed=seed)
        label = f"{depth} layers, {'BN' if norm else 'no BN'}"
        out[label] = (train(model, s, lr=lr, seed=seed, label=label), model)
    return out


def layer_stats(model: NormMLP, x: torch.Tensor, y: torch.Tensor) -> dict[str, list[float]]:
    """Per hidden layer: the std of its output and the norm of its Linear's weight gradient."""
    check_type("model", model, NormMLP, "a lecturelib.models.NormMLP")
    model.zero_grad()
    model.train()
    acts = model.hidden_activations(x)
    F.cross_entropy(model.head(acts[-1]), y).backward()
    stats = {"act_std": [float(a.detach().std()) for a in acts],
             "grad_norm": [float(b[0].weight.grad.norm()) for b in model.blocks]}
    model.zero_grad()
    return stats
