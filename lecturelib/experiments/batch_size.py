"""The runs of the batch-size study (Shen, "Effect of batch size on training dynamics").

At ``full`` these are the study's exact runs: all of MNIST, a 784-1024-1024-10
ReLU network, plain SGD (no momentum), loss averaged over the batch, 30 epochs,
batch sizes 64/256/1024 and learning rates 0.01/0.1. ``quick`` and ``ci``
shrink the network, the data and the epochs, never the design.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .._checks import check_float, check_int, check_type
from ..data import mnist
from ..models import study_mlp
from ..presets import pick, set_seed
from ..probes import WeightGeometry
from ..train import History, Phase, fit


@dataclass(frozen=True)
class Scale:
    """How big the chapter's experiments are at one preset."""
    hidden: tuple[int, ...]   # hidden widths of the MLP
    epochs: int               # the study's "30 epochs"
    train_limit: int | None   # training samples (None: all 60,000)
    test_limit: int | None    # test samples (None: all 10,000)
    noise_train_limit: int    # training samples for the batch-size sweep down to B = 1
    noise_epochs: int


SCALES = {
    "ci": Scale(hidden=(128, 128), epochs=8, train_limit=8_000, test_limit=2_000,
                noise_train_limit=2_000, noise_epochs=3),
    "quick": Scale(hidden=(256, 256), epochs=10, train_limit=None, test_limit=None,
                   noise_train_limit=5_000, noise_epochs=5),
    "full": Scale(hidden=(1024, 1024), epochs=30, train_limit=None, test_limit=None,
                  noise_train_limit=60_000, noise_epochs=30),
}


@dataclass(frozen=True)
class Run:
    """One training run: a label, a schedule of phases and an optimizer."""
    label: str
    schedule: tuple[Phase, ...]
    optimizer: str = "sgd"
    weight_decay: float = 0.0
    data: str = "main"   # "main" or "noise" (the smaller set of the B = 1 sweep)

    @property
    def epochs(self) -> int:
        return sum(p.epochs for p in self.schedule)


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return pick(SCALES, preset)


def sgd_run(batch_size: int, lr: float, epochs: int, *, data: str = "main") -> Run:
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    epochs = check_int("epochs", epochs, low=1)
    return Run(f"BS {batch_size}, lr {lr:g}", (Phase(epochs, batch_size, lr),), data=data)


def generalization_runs(s: Scale | None = None) -> list[Run]:
    """BS1 and BS2: batch sizes 64, 256, 1024 at lr 0.01, and 1024 at lr 0.1."""
    s = _scale(s)
    return [sgd_run(64, 0.01, s.epochs), sgd_run(256, 0.01, s.epochs),
            sgd_run(1024, 0.01, s.epochs), sgd_run(1024, 0.1, s.epochs)]


def switching_runs(s: Scale | None = None) -> list[Run]:
    """BS3: start with a large batch, then switch to a small batch or a 10x lr.

    With E the study's epoch budget: 1024 for 1 epoch then 64 for E; 1024 for E
    then 64 for E; 1024 for E then lr x10 for E; and the control, 1024 for 2E.
    """
    s = _scale(s)
    e = s.epochs
    return [
        Run(f"1024 ×1 → 64 ×{e}", (Phase(1, 1024, 0.01), Phase(e, 64, 0.01))),
        Run(f"1024 ×{e} → 64 ×{e}", (Phase(e, 1024, 0.01), Phase(e, 64, 0.01))),
        Run(f"1024 ×{e} → lr ×10 ×{e}", (Phase(e, 1024, 0.01), Phase(e, 1024, 0.1))),
        Run(f"control: 1024 ×{2 * e}", (Phase(2 * e, 1024, 0.01),)),
    ]


def noise_runs(s: Scale | None = None, batch_sizes=(1, 4, 16, 64, 256, 1024)) -> list[Run]:
    """BS14: the same lr and epochs for batch sizes down to 1, on a smaller training set."""
    s = _scale(s)
    return [sgd_run(b, 0.01, s.noise_epochs, data="noise") for b in batch_sizes]


def build_model(s: Scale | None = None, *, seed: int = 0):
    """The study's MLP at this scale, initialized from ``seed``."""
    s = _scale(s)
    set_seed(seed)
    return study_mlp(s.hidden)


def run(spec: Run, s: Scale | None = None, *, seed: int = 0, progress: bool = True, model=None,
        checkpoint=None) -> History:
    """Train one run at scale ``s`` from the seed's initialization and return its History.

    The weight-geometry probe is always on, so every run also reports distance
    from init, weight norm and cosine to init after every epoch. ``checkpoint``
    (a ``lecturelib.checkpoint.Checkpoint``) saves the run after every epoch and
    resumes it from there.
    """
    check_type("spec", spec, Run, "a lecturelib.experiments.batch_size.Run")
    s = _scale(s)
    limit = s.noise_train_limit if spec.data == "noise" else s.train_limit
    data = mnist(train_limit=limit, test_limit=s.test_limit)
    model = build_model(s, seed=seed) if model is None else model
    return fit(model, data, optimizer=spec.optimizer, lr=spec.schedule[0].lr,
               batch_size=spec.schedule[0].batch_size, schedule=list(spec.schedule),
               weight_decay=spec.weight_decay, probes=[WeightGeometry()], seed=seed,
               progress=progress, label=spec.label, checkpoint=checkpoint)


def run_all(specs, s: Scale | None = None, *, seed: int = 0, progress: bool = True) -> dict[str, History]:
    """Run every spec (each from the same initialization) and key the Histories by label."""
    specs = list(specs)
    for i, spec in enumerate(specs):
        check_type(f"specs[{i}]", spec, Run, "a lecturelib.experiments.batch_size.Run")
    return {spec.label: run(spec, s, seed=seed, progress=progress) for spec in specs}


def _scale(s):
    if s is None:
        return scale()
    return check_type("s", s, Scale, "a lecturelib.experiments.batch_size.Scale or None")


# The study's reported figures (full scale, 30 epochs), for the "article" columns.
ARTICLE_TEST_ACC = {
    "BS 64, lr 0.01": "98 %",
    "BS 256, lr 0.01": "between 64 and 1024",
    "BS 1024, lr 0.01": "≈ 95–96 %",
    "BS 1024, lr 0.1": "98 %",
}
ARTICLE_SWITCHING = "≈ 98 % for all three switches; the control (1024 for 60 epochs) stays lower"


def grid_runs(s: Scale | None = None) -> list[Run]:
    """The study's batch size x learning rate grid: 64/256/1024 x 0.01/0.1 (BS7's table)."""
    s = _scale(s)
    return [sgd_run(b, lr, s.epochs) for b in (64, 256, 1024) for lr in (0.01, 0.1)]


def same_steps_run(s: Scale | None = None) -> Run:
    """BS8: batch 1024 for 16 times the epochs, as many steps as batch 64 takes in E epochs."""
    s = _scale(s)
    return Run(f"BS 1024, lr 0.01, {16 * s.epochs} epochs", (Phase(16 * s.epochs, 1024, 0.01),))


def adam_runs(s: Scale | None = None, *, weight_decay: float = 0.01) -> list[Run]:
    """BS10/BS11: Adam at batch 64 and lr 0.01, and AdamW (decoupled weight decay, PyTorch's default 0.01)."""
    s = _scale(s)
    weight_decay = check_float("weight_decay", weight_decay, low=0.0)
    phase = (Phase(s.epochs, 64, 0.01),)
    return [Run("adam: BS 64, lr 0.01", phase, optimizer="adam"),
            Run(f"adamw (wd {weight_decay:g}): BS 64, lr 0.01", phase, optimizer="adamw", weight_decay=weight_decay)]


def study_runs(s: Scale | None = None) -> list[Run]:
    """Every run of the study, most informative first (the order the reproduction runs them in)."""
    s = _scale(s)
    return grid_runs(s) + adam_runs(s) + switching_runs(s) + [same_steps_run(s)]


# The study's reported numbers for the distance and Adam experiments (full scale).
# W, B: distance from init of weights / biases; A: test accuracy; norm_w / norm_b:
# distance to the origin; cos: per-layer cosine between initial and final weights.
ARTICLE_TABLE = {
    "BS 64, lr 0.01": {"dist_w": 6.71, "dist_b": 0.11, "test_acc": 0.98, "norm_w": 44.9, "norm_b": 0.11,
                       "cos_layers": [0.988, 0.993, 0.928]},
    "BS 1024, lr 0.01": {"test_acc": 0.95, "norm_w": 44.1, "norm_b": 0.07, "cos_layers": [0.998, 0.998, 0.978]},
    "BS 1024, lr 0.1": {"test_acc": 0.98, "norm_w": 44.7, "norm_b": 0.10, "cos_layers": [0.991, 0.994, 0.936]},
    "BS 1024, lr 0.01, 480 epochs": {"dist_w": 6.63, "dist_b": 0.11, "test_acc": 0.98, "norm_w": 44.9,
                                     "norm_b": 0.11, "cos_layers": [0.989, 0.993, 0.930]},
    "adam: BS 64, lr 0.01": {"dist_w": 254.3, "dist_b": 18.3, "test_acc": 0.95, "norm_w": 258.0, "norm_b": 18.3,
                             "cos_layers": [0.124, 0.359, 0.153]},
}


def results_folder():
    """The repository's ``results/`` folder (the full-scale reproduction's files)."""
    from pathlib import Path
    return Path(__file__).resolve().parents[2] / "results"


def load_results(folder=None) -> dict:
    """Every ``*.json`` results file of the reproduction, keyed by run label."""
    import json
    from pathlib import Path
    folder = results_folder() if folder is None else Path(folder)
    out = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        payload = json.loads(path.read_text())
        out[payload["run"]] = payload
    return out
