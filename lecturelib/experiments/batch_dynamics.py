"""Why batch size matters: gradients at fixed weights, distance travelled, Adam against SGD.

The gradient experiments follow the study: train the MLP at batch 1024 and lr
0.01, keep its weights after a few epochs (early regime) and at the end (late
regime), then draw many mini-batches at those fixed weights. The training runs
(distance tables, Adam) are the study's runs from ``batch_size``, at this chapter's
training scale (``train_scale``): the batch-size chapter's at ``ci`` and ``full``, a
smaller training set at ``quick`` so that the chapter's nine runs fit its time budget.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .._checks import check_int, check_type
from ..callbacks import ProgressBar
from ..data import mnist
from ..gradient_samples import Agreement, GradientSamples, agreement, sample_gradients
from ..presets import ScaleTable
from ..probes import Snapshots, WeightGeometry
from ..train import fit
from . import batch_size as bs


@dataclass(frozen=True)
class Scale:
    """Sizes of the gradient-sampling experiments at one preset."""
    early_epochs: int            # "after 2 epochs" in the study
    late_epochs: int             # "after 30 epochs"
    pool: int                    # training samples whose gradients are drawn from
    trials: int                  # mini-batches per batch size
    batch_sizes: tuple[int, ...]


POWERS = tuple(2 ** k for k in range(1, 11))   # 2 ... 1024
SCALES = ScaleTable(Scale, {
    "ci": Scale(early_epochs=1, late_epochs=4, pool=2048, trials=200, batch_sizes=POWERS),
    "quick": Scale(early_epochs=1, late_epochs=10, pool=4096, trials=1000, batch_sizes=POWERS),
    "full": Scale(early_epochs=2, late_epochs=30, pool=8192, trials=1000, batch_sizes=POWERS),
})


def scale(preset: str | None = None) -> Scale:
    return SCALES.pick(preset)


# The training runs of BS7-BS11. At `quick` the batch-size chapter trains on all 60,000 images for
# 10 epochs; the 16x-epochs run of BS8 alone would then take about 2 minutes of a 2-core CPU, so
# this chapter trains on 20,000 images for 8 epochs (same network). `ci` and `full` are unchanged.
TRAIN_SCALES = ScaleTable(bs.Scale, {
    "ci": bs.SCALES["ci"],
    "quick": replace(bs.SCALES["quick"], epochs=8, train_limit=20_000, test_limit=5_000),
    "full": bs.SCALES["full"],
})


def train_scale(preset: str | None = None) -> bs.Scale:
    """The ``batch_size.Scale`` of this chapter's training runs at the active preset (or ``preset``)."""
    return TRAIN_SCALES.pick(preset)


def fixed_weight_models(s: Scale | None = None, *, net: bs.Scale | None = None, seed: int = 0,
                        progress: bool = True) -> dict:
    """The MLP trained at batch 1024, lr 0.01, as it was after the early and the late epoch.

    net: the network and data (a ``batch_size.Scale``; default that of the preset ``s`` comes
    from, as ``gradient_protocol.trained_points`` uses; a custom ``s`` needs an explicit
    ``net``). Returns {"early": model, "late": model, "history": History}; one training run
    provides both, through a snapshot probe.
    """
    s = SCALES.resolve(s)
    if net is None:
        # The network of the preset s belongs to; a custom s cannot say which, so it needs net=.
        preset = SCALES.preset_of(s, unknown="")
        if not preset:
            raise ValueError(f"s is not the Scale of a preset ({', '.join(SCALES)}), got {s!r}; "
                             "pass net= (a batch_size.Scale) to say which network to train")
        model_scale = bs.scale(preset)
    else:
        model_scale = check_type("net", net, bs.Scale, "a lecturelib.experiments.batch_size.Scale or None")
    check_int("seed", seed, low=0)
    snaps = Snapshots([s.early_epochs, s.late_epochs])
    model = bs.build_model(model_scale, seed=seed)
    data = mnist(train_limit=model_scale.train_limit, test_limit=model_scale.test_limit)
    history = fit(model, data, lr=0.01, batch_size=1024, epochs=s.late_epochs, seed=seed,
                  label=f"BS 1024, lr 0.01, {s.late_epochs} epochs",
                  callbacks=[snaps, WeightGeometry(), ProgressBar(enabled=progress)])
    out = {"history": history}
    for regime, epoch in (("early", s.early_epochs), ("late", s.late_epochs)):
        m = bs.build_model(model_scale, seed=seed)
        m.load_state_dict(snaps.states[epoch])
        out[regime] = m
    return out


def gradient_study(model, s: Scale | None = None, *, seed: int = 0) -> GradientSamples:
    """Draw ``trials`` mini-batches of every batch size from a pool of training images."""
    s = SCALES.resolve(s)
    check_int("seed", seed, low=0)
    pool = mnist(train_limit=s.pool)
    return sample_gradients(model, pool.x_train, pool.y_train, s.batch_sizes, trials=s.trials, seed=seed)


def competition(model, s: Scale | None = None, *, seed: int = 0) -> Agreement:
    """BS17: how far the per-sample gradients of the gradient study's pool agree, at the model's weights."""
    s = SCALES.resolve(s)
    check_int("seed", seed, low=0)
    pool = mnist(train_limit=s.pool)
    return agreement(model, pool.x_train, pool.y_train, s.batch_sizes, trials=s.trials, seed=seed)


def distance_runs(s: bs.Scale | None = None) -> list[bs.Run]:
    """BS7-BS9: the batch size x lr grid and batch 1024 for 16x the epochs."""
    s = TRAIN_SCALES.resolve(s)
    return bs.grid_runs(s) + [bs.same_steps_run(s)]


def optimizer_runs(s: bs.Scale | None = None) -> list[bs.Run]:
    """BS10-BS11: SGD, Adam and AdamW at batch 64 and lr 0.01."""
    s = TRAIN_SCALES.resolve(s)
    return [bs.sgd_run(64, 0.01, s.epochs)] + bs.adam_runs(s)


def run_distances(s: bs.Scale | None = None, *, seed: int = 0, progress: bool = True) -> dict:
    """Train ``distance_runs`` at this chapter's training scale; Histories keyed by label."""
    s = TRAIN_SCALES.resolve(s)
    return bs.run_all(distance_runs(s), s, seed=seed, progress=progress)


def run_optimizers(s: bs.Scale | None = None, *, seed: int = 0, progress: bool = True, reuse=None) -> dict:
    """Train ``optimizer_runs``; Histories keyed by label.

    reuse: Histories already trained at the same scale and seed (e.g. ``run_distances``'s);
    a run whose label is among them is taken from there instead of being trained again.
    """
    s = TRAIN_SCALES.resolve(s)
    reuse = {} if reuse is None else check_type("reuse", reuse, dict, "a dict label -> History or None")
    todo = [spec for spec in optimizer_runs(s) if spec.label not in reuse]
    trained = bs.run_all(todo, s, seed=seed, progress=progress)
    return {spec.label: trained[spec.label] if spec.label in trained else reuse[spec.label]
            for spec in optimizer_runs(s)}


def concavity(history, key: str = "dist_w") -> float:
    """Distance added in the second half of training over the distance added in the first half.

    Below 1 means the curve bends down: later epochs add less distance (BS9).
    """
    values = history[key]
    last = len(values) - 1
    if last < 2:
        raise ValueError(f"history must have at least 2 epochs to judge concavity, got {last}")
    mid = last // 2
    first, second = values[mid] - values[0], values[last] - values[mid]
    return second / first * (mid / (last - mid)) if first > 0 else float("inf")
