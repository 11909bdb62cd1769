"""The runs of the batch-size study (Shen, "Effect of batch size on training dynamics").

At ``full`` these are the study's exact runs: all of MNIST, a 784-1024-1024-10
ReLU network, plain SGD (no momentum), loss averaged over the batch, 30 epochs,
batch sizes 64/256/1024 and learning rates 0.01/0.1. ``quick`` and ``ci``
shrink the network, the data and the epochs, never the design.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .._checks import check_float, check_int, check_type
from ..callbacks import ProgressBar
from ..data import mnist
from ..models import study_mlp
from ..presets import ScaleTable, set_seed
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


SCALES = ScaleTable(Scale, {
    "ci": Scale(hidden=(128, 128), epochs=8, train_limit=8_000, test_limit=2_000,
                noise_train_limit=2_000, noise_epochs=3),
    "quick": Scale(hidden=(256, 256), epochs=10, train_limit=None, test_limit=None,
                   noise_train_limit=5_000, noise_epochs=5),
    "full": Scale(hidden=(1024, 1024), epochs=30, train_limit=None, test_limit=None,
                  noise_train_limit=60_000, noise_epochs=30),
})


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
    return SCALES.pick(preset)


def sgd_run(batch_size: int, lr: float, epochs: int, *, data: str = "main") -> Run:
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    epochs = check_int("epochs", epochs, low=1)
    return Run(f"BS {batch_size}, lr {lr:g}", (Phase(epochs, batch_size, lr),), data=data)


def generalization_runs(s: Scale | None = None) -> list[Run]:
    """BS1 and BS2: batch sizes 64, 256, 1024 at lr 0.01, and 1024 at lr 0.1."""
    s = SCALES.resolve(s)
    return [sgd_run(64, 0.01, s.epochs), sgd_run(256, 0.01, s.epochs),
            sgd_run(1024, 0.01, s.epochs), sgd_run(1024, 0.1, s.epochs)]


def switching_runs(s: Scale | None = None) -> list[Run]:
    """BS3: start with a large batch, then switch to a small batch or a 10x lr.

    With E the study's epoch budget: 1024 for 1 epoch then 64 for E; 1024 for E
    then 64 for E; 1024 for E then lr x10 for E; and the control, 1024 for 2E.
    """
    s = SCALES.resolve(s)
    e = s.epochs
    return [
        Run(f"1024 ×1 → 64 ×{e}", (Phase(1, 1024, 0.01), Phase(e, 64, 0.01))),
        Run(f"1024 ×{e} → 64 ×{e}", (Phase(e, 1024, 0.01), Phase(e, 64, 0.01))),
        Run(f"1024 ×{e} → lr ×10 ×{e}", (Phase(e, 1024, 0.01), Phase(e, 1024, 0.1))),
        Run(f"control: 1024 ×{2 * e}", (Phase(2 * e, 1024, 0.01),)),
    ]


def noise_runs(s: Scale | None = None, batch_sizes=(1, 4, 16, 64, 256, 1024)) -> list[Run]:
    """BS14: the same lr and epochs for batch sizes down to 1, on a smaller training set."""
    s = SCALES.resolve(s)
    return [sgd_run(b, 0.01, s.noise_epochs, data="noise") for b in batch_sizes]


def build_model(s: Scale | None = None, *, seed: int = 0):
    """The study's MLP at this scale, initialized from ``seed``."""
    s = SCALES.resolve(s)
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
    s = SCALES.resolve(s)
    limit = s.noise_train_limit if spec.data == "noise" else s.train_limit
    data = mnist(train_limit=limit, test_limit=s.test_limit)
    model = build_model(s, seed=seed) if model is None else model
    saving = [] if checkpoint is None else [checkpoint]
    return fit(model, data, optimizer=spec.optimizer, lr=spec.schedule[0].lr,
               batch_size=spec.schedule[0].batch_size, schedule=list(spec.schedule),
               weight_decay=spec.weight_decay, seed=seed, label=spec.label,
               callbacks=[WeightGeometry(), ProgressBar(enabled=progress), *saving])


def run_all(specs, s: Scale | None = None, *, seed: int = 0, progress: bool = True) -> dict[str, History]:
    """Run every spec (each from the same initialization) and key the Histories by label."""
    specs = list(specs)
    for i, spec in enumerate(specs):
        check_type(f"specs[{i}]", spec, Run, "a lecturelib.experiments.batch_size.Run")
    return {spec.label: run(spec, s, seed=seed, progress=progress) for spec in specs}


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
    s = SCALES.resolve(s)
    return [sgd_run(b, lr, s.epochs) for b in (64, 256, 1024) for lr in (0.01, 0.1)]


def same_steps_run(s: Scale | None = None) -> Run:
    """BS8: batch 1024 for 16 times the epochs, as many steps as batch 64 takes in E epochs."""
    s = SCALES.resolve(s)
    return Run(f"BS 1024, lr 0.01, {16 * s.epochs} epochs", (Phase(16 * s.epochs, 1024, 0.01),))


def adam_runs(s: Scale | None = None, *, weight_decay: float = 0.01) -> list[Run]:
    """BS10/BS11: Adam at batch 64 and lr 0.01, and AdamW (decoupled weight decay, PyTorch's default 0.01)."""
    s = SCALES.resolve(s)
    weight_decay = check_float("weight_decay", weight_decay, low=0.0)
    phase = (Phase(s.epochs, 64, 0.01),)
    return [Run("adam: BS 64, lr 0.01", phase, optimizer="adam"),
            Run(f"adamw (wd {weight_decay:g}): BS 64, lr 0.01", phase, optimizer="adamw", weight_decay=weight_decay)]


def study_runs(s: Scale | None = None) -> list[Run]:
    """Every run of the study, most informative first (the order the reproduction runs them in)."""
    s = SCALES.resolve(s)
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


# --- The 2-D toy: mini-batch SGD on a least-squares problem with two parameters --------------
# Seconds at every preset: it is there to build intuition before the MNIST runs.

@dataclass(frozen=True)
class Toy:
    """Least squares with two parameters: L(w) = 1/(2N) Σ_i (x_i · w − y_i)².

    x: (N, 2) inputs; y: (N,) targets. Every sample has its own gradient
    g_i(w) = (x_i · w − y_i) x_i, so the mini-batch gradient's mean and covariance
    can be computed exactly and compared with what SGD does.
    """
    x: "np.ndarray"
    y: "np.ndarray"

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def optimum(self):
        """The minimizer w* (the normal equations XᵀX w = Xᵀy)."""
        import numpy as np
        return np.linalg.solve(self.x.T @ self.x, self.x.T @ self.y)

    @property
    def hessian(self):
        """XᵀX / N, the same at every w (the loss is quadratic)."""
        return self.x.T @ self.x / self.n

    def loss(self, w):
        """L(w) for one point w of shape (2,) or a grid of shape (..., 2)."""
        import numpy as np
        w = self._point("w", w, grid=True)
        residual = w @ self.x.T - self.y          # (..., N)
        return 0.5 * np.mean(residual ** 2, axis=-1)

    def sample_grads(self, w):
        """Every sample's gradient at w, shape (N, 2)."""
        w = self._point("w", w)
        return (self.x @ w - self.y)[:, None] * self.x

    def grad(self, w):
        """The full-batch gradient ∇L(w), the mean of the samples' gradients."""
        return self.sample_grads(w).mean(axis=0)

    def noise_cov(self, w):
        """Σ(w): the covariance of one sample's gradient over the N samples (1/N normalization)."""
        g = self.sample_grads(w)
        d = g - g.mean(axis=0)
        return d.T @ d / self.n

    @staticmethod
    def _point(name, w, *, grid=False):
        import numpy as np
        try:
            w = np.asarray(w, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a point (w1, w2) of numbers, got {type(w).__name__}") from None
        if w.shape[-1:] != (2,) or (not grid and w.shape != (2,)):
            shape = "(..., 2)" if grid else "(2,)"
            raise ValueError(f"{name} must have shape {shape}, got {w.shape}")
        return w


def toy_problem(n: int = 64, *, noise: float = 0.5, seed: int = 0) -> Toy:
    """N random points with correlated inputs (so the contours are tilted ellipses),
    targets y = x · (1, −1) + noise · ε. The noise keeps the samples' gradients from
    agreeing at the optimum, which is what makes small-batch SGD hover there."""
    import numpy as np
    n = check_int("n", n, low=2)
    noise = check_float("noise", noise, low=0.0)
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, n))
    x = np.stack([a, 0.5 * a + 0.5 * b], axis=1)
    y = x @ np.array([1.0, -1.0]) + noise * rng.standard_normal(n)
    return Toy(x, y)


def toy_sgd(toy: Toy, batch_size: int, *, lr: float = 0.1, steps: int | None = None,
            epochs: int | None = None, start=(3.0, 1.0), seed: int = 0):
    """The path of mini-batch SGD, w ← w − lr · g_B(w), as an array (T + 1, 2) from ``start``.

    Batches are drawn like ``fit`` draws them: each epoch is a fresh random order of the
    N samples cut into batches of ``batch_size`` (without replacement; the last batch may
    be smaller). Give either ``steps`` (the same number of updates for every batch size)
    or ``epochs`` (the same number of samples seen). The seed fixes the order.
    """
    import numpy as np
    check_type("toy", toy, Toy, "a lecturelib.experiments.batch_size.Toy (see toy_problem)")
    batch_size = check_int("batch_size", batch_size, low=1, high=toy.n)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps and epochs")
    per_epoch = -(-toy.n // batch_size)
    total = check_int("steps", steps, low=1) if steps is not None else check_int("epochs", epochs, low=1) * per_epoch
    w = Toy._point("start", start).copy()
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    path, order = [w.copy()], []
    for _ in range(total):
        if len(order) == 0:
            perm = rng.permutation(toy.n)
            order = [perm[i:i + batch_size] for i in range(0, toy.n, batch_size)]
        idx = order.pop(0)
        residual = toy.x[idx] @ w - toy.y[idx]
        w = w - lr * (residual[:, None] * toy.x[idx]).mean(axis=0)
        path.append(w.copy())
    return np.array(path)


def toy_paths(toy: Toy, batch_sizes=(1, 16, None), **kwargs) -> dict:
    """``toy_sgd`` for each batch size (``None``: the full batch, B = N), from the same start.

    Returns a dict B -> path; keyword arguments go to ``toy_sgd`` (lr, steps or epochs, start, seed).
    """
    check_type("toy", toy, Toy, "a lecturelib.experiments.batch_size.Toy (see toy_problem)")
    batch_sizes = list(batch_sizes)
    if not batch_sizes:
        raise ValueError("batch_sizes must name at least one batch size")
    sizes = [toy.n if b is None else b for b in batch_sizes]
    return {b: toy_sgd(toy, b, **kwargs) for b in sizes}


def minibatch_moments(toy: Toy, w, batch_size: int, *, draws: int = 4000, replace: bool = True,
                      seed: int = 0):
    """The mean and covariance of the averaged mini-batch gradient g_B at w, over ``draws``
    random batches drawn with or without replacement: (mean (2,), covariance (2, 2))."""
    import numpy as np
    check_type("toy", toy, Toy, "a lecturelib.experiments.batch_size.Toy (see toy_problem)")
    batch_size = check_int("batch_size", batch_size, low=1, high=None if replace else toy.n)
    draws = check_int("draws", draws, low=2)
    from .._checks import check_bool
    replace = check_bool("replace", replace)
    g = toy.sample_grads(w)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    if replace:
        idx = rng.integers(0, toy.n, size=(draws, batch_size))
    else:
        idx = np.argsort(rng.random((draws, toy.n)), axis=1)[:, :batch_size]
    gb = g[idx].mean(axis=1)
    return gb.mean(axis=0), np.cov(gb, rowvar=False)
