"""The experiments of the hyperparameter-tuning chapter.

The real objective trains a one-hidden-layer MLP on MNIST with SGD + momentum
(``lecturelib.train.fit``) and returns its accuracy on a validation set held
out from the *training* images; the test set stays untouched by tuning.
``ci`` and ``quick`` shrink the data, the epochs and the trial budget, never
the design of the comparison.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import sampling
from .._checks import check_int, check_type
from ..data import Data, mnist
from ..models import MLP
from ..presets import pick, set_seed
from ..train import fit


@dataclass(frozen=True)
class Scale:
    """How big the chapter's experiments are at one preset."""
    train: int          # training images per trial
    val: int            # validation images, held out from the training split
    epochs: int         # epochs per trial
    points_per_dim: int  # grid points per hyperparameter; the budget is points_per_dim ** 4
    seeds: int          # repetitions of the search comparison
    sweep_points: int   # values per hyperparameter in the one-at-a-time sweeps

    @property
    def budget(self) -> int:
        """Trials per search: the grid's size, so every strategy gets the same number."""
        return self.points_per_dim ** len(search_space())


SCALES = {
    "ci": Scale(train=1_000, val=1_000, epochs=1, points_per_dim=2, seeds=3, sweep_points=5),
    "quick": Scale(train=4_000, val=2_000, epochs=2, points_per_dim=2, seeds=3, sweep_points=7),
    "full": Scale(train=50_000, val=10_000, epochs=5, points_per_dim=3, seeds=5, sweep_points=9),
}

# The defaults the one-at-a-time sweeps hold fixed: common starting values.
BASE = {"lr": 0.03, "momentum": 0.9, "width": 64, "batch_size": 32, "weight_decay": 1e-5}


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return pick(SCALES, preset)


def search_space() -> list[sampling.Param]:
    """The four hyperparameters every search strategy tunes, each on the scale that suits it."""
    return [
        sampling.Param("lr", 1e-4, 1.0, "log"),                      # spans four decades
        sampling.Param("momentum", 0.5, 0.99, "one_minus_log"),      # window 1/(1-beta): 2 to 100 steps
        sampling.Param("width", 8, 256, "log", integer=True),        # hidden units
        sampling.Param("weight_decay", 1e-6, 1e-2, "log"),
    ]


def sweep_space() -> list[sampling.Param]:
    """The search space plus the mini-batch size, for the sensitivity study (HP3)."""
    return search_space() + [sampling.Param("batch_size", 8, 256, "log", integer=True)]


def data(s: Scale | None = None) -> Data:
    """Training images and a validation set cut from the *training* split (stored in the test slots)."""
    s = _scale(s)
    full = mnist(train_limit=s.train + s.val, test_limit=1)
    return Data(full.x_train[:s.train], full.y_train[:s.train], full.x_train[s.train:], full.y_train[s.train:])


def objective(params: dict, s: Scale | None = None, *, seed: int = 0) -> float:
    """Validation accuracy after training with ``params`` (keys of BASE; missing ones take BASE's value)."""
    s = _scale(s)
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    check_type("params", params, dict, "a dict of hyperparameter name -> value")
    unknown = set(params) - set(BASE)
    if unknown:
        raise ValueError(f"params may only hold {sorted(BASE)}, got unknown {sorted(unknown)}")
    p = {**BASE, **params}
    set_seed(seed)
    model = MLP(784, (int(p["width"]),), 10)
    history = fit(model, data(s), optimizer="momentum", lr=p["lr"], momentum=p["momentum"],
                  weight_decay=p["weight_decay"], batch_size=int(p["batch_size"]), epochs=s.epochs,
                  seed=seed, train_eval_limit=1)
    acc = history.final("test_acc")
    # A diverged run predicts one class; count it as chance so searches can go on.
    return acc if math.isfinite(acc) else 0.1


def make_objective(s: Scale | None = None, *, seed: int = 0):
    """``objective`` with the scale and seed fixed: the callable the search drivers take."""
    s = _scale(s)
    return lambda params: objective(params, s, seed=seed)


def sweeps(s: Scale | None = None, *, seed: int = 0) -> dict[str, tuple[list, list[float]]]:
    """HP3: vary one hyperparameter at a time over its range, the others at BASE.

    Returns name -> (values tried, validation accuracies).
    """
    s = _scale(s)
    f = make_objective(s, seed=seed)
    out = {}
    for p in sweep_space():
        values = list(sampling.grid(p.low, p.high, s.sweep_points, p.scale))
        values = [int(v) if p.integer else float(v) for v in values]
        out[p.name] = (values, [f({p.name: v}) for v in values])
    return out


def sensitivity(sweep: dict) -> dict[str, float]:
    """The range (max - min) of validation accuracy over each sweep, largest first."""
    spread = {name: max(accs) - min(accs) for name, (_, accs) in sweep.items()}
    return dict(sorted(spread.items(), key=lambda kv: -kv[1]))


STRATEGIES = ("grid", "random", "sobol", "tpe")


def compare(s: Scale | None = None, *, seeds=None, strategies=STRATEGIES) -> dict[str, list[sampling.SearchResult]]:
    """HP2: every strategy at the same budget, once per seed; strategy -> one SearchResult per seed.

    The seed sets both the strategy's random numbers and the training runs'
    initialization, so a strategy's spread over seeds includes training noise.
    """
    s = _scale(s)
    seeds = range(s.seeds) if seeds is None else seeds
    seeds = [check_int("seed", k, low=0) for k in seeds]
    for name in strategies:
        if name not in STRATEGIES:
            raise ValueError(f"strategies must be among {', '.join(STRATEGIES)}, got {name!r}")
    return {name: [search(name, s, seed=k) for k in seeds] for name in strategies}


def search(strategy: str, s: Scale | None = None, *, seed: int = 0, storage: str | None = None,
           study_name: str | None = None) -> sampling.SearchResult:
    """One search with ``strategy`` on the real objective at scale ``s``."""
    s = _scale(s)
    f, space, rng = make_objective(s, seed=seed), search_space(), np.random.default_rng(seed)
    if strategy == "grid":
        return sampling.grid_search(f, space, s.points_per_dim, rng=rng)
    if strategy == "random":
        return sampling.random_search(f, space, s.budget, rng)
    if strategy == "sobol":
        return sampling.sobol_search(f, space, s.budget, rng)
    if strategy == "tpe":
        return sampling.tpe_search(f, space, s.budget, seed=seed, n_startup_trials=max(1, s.budget // 4),
                                   storage=storage, study_name=study_name)
    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")


def mean_best_so_far(results: list[sampling.SearchResult]) -> np.ndarray:
    """The best-so-far curve averaged over seeds."""
    return np.mean([r.best_so_far for r in results], axis=0)


# --- HP4: one important and one irrelevant hyperparameter ---------------------------

PEAK = 0.63  # deliberately not on the 5x5 grid's cell middles 0.1, 0.3, ..., 0.9


def important_and_irrelevant(params: dict) -> float:
    """A toy objective in [0, 1]: a narrow peak in ``x`` at PEAK; ``y`` does nothing."""
    return math.exp(-((params["x"] - PEAK) / 0.05) ** 2)


def toy_space() -> list[sampling.Param]:
    return [sampling.Param("x", 0.0, 1.0), sampling.Param("y", 0.0, 1.0)]


def _scale(s):
    if s is None:
        return scale()
    return check_type("s", s, Scale, "a lecturelib.experiments.tuning.Scale or None")
