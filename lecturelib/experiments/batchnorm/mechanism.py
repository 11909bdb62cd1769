"""Why BN works (BN6): the drift of a layer's input, the smoothness of the loss along
the step, and which of BN's parts matter (gamma and beta frozen).
"""
from __future__ import annotations

from ...norm import freeze_affine
from ...smoothness import InputDrift, Smoothness
from ...train import History
from .runs import HIGH_LR, SCALES, Scale, build_model, data, train


# --- BN6: why it works -----------------------------------------------------------------

DRIFT_PROBE_IMAGES = 256   # training images on which the drift of a layer's input is measured
DRIFT_LR = 0.1


def drift_runs(s: Scale | None = None, *, lr: float = DRIFT_LR, seed: int = 0) -> dict[str, tuple]:
    """BN6, the "internal covariate shift" picture: with and without BN, from the same
    seed, the distribution of the last hidden layer's pre-activation (the input of its
    ReLU, after BN when there is one) on ``DRIFT_PROBE_IMAGES`` fixed training images,
    every ``s.smooth_every`` steps. Returns label -> (History, InputDrift probe)."""
    s = SCALES.resolve(s)
    x_probe = data(s).x_train[:DRIFT_PROBE_IMAGES]
    out = {}
    for norm in (None, "batch"):
        drift = InputDrift(x_probe, layer=len(s.hidden), every=s.smooth_every)
        label = "BN" if norm else "no BN"
        out[label] = (train(build_model(s, norm=norm, seed=seed), s, lr=lr, probes=[drift], seed=seed, label=label),
                      drift)
    return out


def smoothness_runs(s: Scale | None = None, *, lr: float = HIGH_LR, seed: int = 0) -> dict[str, tuple]:
    """BN6: loss range and gradient change along the step (Santurkar et al.), with and
    without BN, from the same seed, at ``lr``.
    Returns label -> (History, Smoothness probe with its trace)."""
    s = SCALES.resolve(s)
    out = {}
    for norm in (None, "batch"):
        probe = Smoothness(lr, every=s.smooth_every)
        label = "BN" if norm else "no BN"
        out[label] = (train(build_model(s, norm=norm, seed=seed), s, lr=lr, probes=[probe], seed=seed, label=label),
                      probe)
    return out


FREEZES = {"γ and β trained": {}, "β frozen at 0": {"beta": True}, "γ frozen at 1": {"gamma": True},
           "both frozen": {"gamma": True, "beta": True}}


def freeze_runs(s: Scale | None = None, *, lr: float = HIGH_LR, seed: int = 0) -> dict[str, History]:
    """BN6: BN with beta frozen at 0, gamma frozen at 1, both, neither; and no BN."""
    s = SCALES.resolve(s)
    runs = {}
    for label, kw in FREEZES.items():
        model = build_model(s, norm="batch", seed=seed)
        if kw:
            freeze_affine(model, **kw)
        runs[label] = train(model, s, lr=lr, seed=seed, label=label)
    runs["no BN"] = train(build_model(s, norm=None, seed=seed), s, lr=lr, seed=seed, label="no BN")
    return runs
