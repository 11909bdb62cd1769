"""The experiments of the hyperparameter-tuning chapter.

The real objective trains a one-hidden-layer MLP on MNIST with SGD + momentum
(``lecturelib.train.fit``) and returns its accuracy on a validation set held
out from the *training* images; the test set stays untouched by tuning.
The importance study (HP3) trains MLPs of one to three hidden layers with Adam
(whose beta1 is the momentum coefficient), a per-epoch learning-rate decay and
every other hyperparameter of the notes' list drawn at random, and ranks them
with Optuna's importance evaluators. ``ci`` and ``quick`` shrink the data, the epochs and the
trial budget, never the design of the comparison.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .. import sampling
from .._checks import check_float, check_int, check_type
from ..callbacks import Evaluation
from ..data import Data, mnist
from ..models import MLP
from ..presets import ScaleTable, set_seed
from ..train import Phase, fit


@dataclass(frozen=True)
class Scale:
    """How big the chapter's experiments are at one preset."""
    train: int          # training images per trial
    val: int            # validation images, held out from the training split
    epochs: int         # epochs per trial
    points_per_dim: int  # grid points per hyperparameter; the budget is points_per_dim ** 4
    seeds: int          # repetitions of the search comparison
    importance_trials: int  # random-search trials of the importance study (HP3)
    importance_epochs: int  # epochs per importance trial (the lr decays once per epoch)

    @property
    def budget(self) -> int:
        """Trials per search: the grid's size, so every strategy gets the same number."""
        return self.points_per_dim ** len(search_space())


SCALES = ScaleTable(Scale, {
    "ci": Scale(train=1_000, val=1_000, epochs=1, points_per_dim=2, seeds=3,
                importance_trials=48, importance_epochs=2),
    "quick": Scale(train=4_000, val=2_000, epochs=2, points_per_dim=2, seeds=3,
                   importance_trials=64, importance_epochs=2),
    "full": Scale(train=50_000, val=10_000, epochs=5, points_per_dim=3, seeds=5,
                  importance_trials=200, importance_epochs=5),
})

# The values a trial of the search comparison takes for what the search leaves out.
BASE = {"lr": 0.03, "momentum": 0.9, "width": 64, "batch_size": 32, "weight_decay": 1e-5}


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return SCALES.pick(preset)


def search_space() -> list[sampling.Param]:
    """The four hyperparameters every search strategy tunes, each on the scale that suits it."""
    return [
        sampling.Param("lr", 1e-4, 1.0, "log"),                      # spans four decades
        sampling.Param("momentum", 0.5, 0.99, "one_minus_log"),      # window 1/(1-beta): 2 to 100 steps
        sampling.Param("width", 8, 256, "log", integer=True),        # hidden units
        sampling.Param("weight_decay", 1e-6, 1e-2, "log"),
    ]


def data(s: Scale | None = None) -> Data:
    """Training images and a validation set cut from the *training* split (stored in the test slots)."""
    s = SCALES.resolve(s)
    full = mnist(train_limit=s.train + s.val, test_limit=1)
    return Data(full.x_train[:s.train], full.y_train[:s.train], full.x_train[s.train:], full.y_train[s.train:])


def objective(params: dict, s: Scale | None = None, *, seed: int = 0) -> float:
    """Validation accuracy after training with ``params`` (keys of BASE; missing ones take BASE's value)."""
    s = SCALES.resolve(s)
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
                  seed=seed, callbacks=[Evaluation(train_limit=1)])
    acc = history.final("test_acc")
    # A diverged run predicts one class; count it as chance so searches can go on.
    return acc if math.isfinite(acc) else 0.1


def make_objective(s: Scale | None = None, *, seed: int = 0):
    """``objective`` with the scale and seed fixed: the callable the search drivers take."""
    s = SCALES.resolve(s)
    return lambda params: objective(params, s, seed=seed)


STRATEGIES = ("grid", "random", "sobol", "tpe")


def compare(s: Scale | None = None, *, seeds=None, strategies=STRATEGIES) -> dict[str, list[sampling.SearchResult]]:
    """HP2: every strategy at the same budget, once per seed; strategy -> one SearchResult per seed.

    The seed sets both the strategy's random numbers and the training runs'
    initialization, so a strategy's spread over seeds includes training noise.
    """
    s = SCALES.resolve(s)
    seeds = range(s.seeds) if seeds is None else seeds
    seeds = [check_int("seed", k, low=0) for k in seeds]
    for name in strategies:
        if name not in STRATEGIES:
            raise ValueError(f"strategies must be among {', '.join(STRATEGIES)}, got {name!r}")
    return {name: [search(name, s, seed=k) for k in seeds] for name in strategies}


def startup_trials(budget: int) -> int:
    """How many of TPE's ``budget`` trials are random before it starts to model: a quarter, at least one."""
    return max(1, check_int("budget", budget, low=1) // 4)


def search(strategy: str, s: Scale | None = None, *, seed: int = 0, storage: str | None = None,
           study_name: str | None = None) -> sampling.SearchResult:
    """One search with ``strategy`` on the real objective at scale ``s``."""
    s = SCALES.resolve(s)
    f, space, rng = make_objective(s, seed=seed), search_space(), np.random.default_rng(seed)
    if strategy == "grid":
        return sampling.grid_search(f, space, s.points_per_dim, rng=rng)
    if strategy == "random":
        return sampling.random_search(f, space, s.budget, rng)
    if strategy == "sobol":
        return sampling.sobol_search(f, space, s.budget, rng)
    if strategy == "tpe":
        return sampling.tpe_search(f, space, s.budget, seed=seed, n_startup_trials=startup_trials(s.budget),
                                   storage=storage, study_name=study_name)
    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")


def mean_best_so_far(results: list[sampling.SearchResult]) -> np.ndarray:
    """The best-so-far curve averaged over seeds."""
    return np.mean([r.best_so_far for r in results], axis=0)


# --- HP3: which hyperparameters matter -------------------------------------------

# The notes' order of importance: tier 1 matters most, tier 4 "almost never" needs tuning.
# Adam's beta1 is its momentum coefficient, so the notes place it twice: as momentum (tier 2)
# and among Adam's constants (tier 4); NOTES_TIERS keeps the tier of the name the notes use.
NOTES_TIERS = {"lr": 1, "beta1": 2, "batch_size": 2, "width": 2, "layers": 3, "lr_decay": 3,
               "beta2": 4, "eps": 4}


def importance_space() -> list[sampling.Param]:
    """The notes' hyperparameters for an Adam-trained MLP, each on the scale that suits it.

    beta1 is Adam's momentum coefficient (the role SGD's momentum beta plays).
    """
    return [
        sampling.Param("lr", 1e-4, 1.0, "log"),
        sampling.Param("beta1", 0.5, 0.99, "one_minus_log"),
        sampling.Param("beta2", 0.9, 0.9999, "one_minus_log"),
        sampling.Param("eps", 1e-10, 1e-4, "log"),
        sampling.Param("batch_size", 8, 256, "log", integer=True),
        sampling.Param("width", 8, 256, "log", integer=True),
        sampling.Param("layers", 1, 3, integer=True),
        sampling.Param("lr_decay", 0.0, 2.0),
    ]


def decayed_lr(lr: float, decay: float, epoch: int) -> float:
    """The learning rate of epoch ``epoch`` (0, 1, ...) under inverse-time decay: lr / (1 + decay * epoch)."""
    lr = check_float("lr", lr, low=0.0, low_open=True)
    decay = check_float("decay", decay, low=0.0)
    epoch = check_int("epoch", epoch, low=0)
    return lr / (1 + decay * epoch)


def importance_objective(params: dict, s: Scale | None = None, *, seed: int = 0) -> float:
    """Validation accuracy of one importance trial: ``params`` holds every name of ``importance_space``."""
    s = SCALES.resolve(s)
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    check_type("params", params, dict, "a dict of hyperparameter name -> value")
    names = {p.name for p in importance_space()}
    if set(params) != names:
        raise ValueError(f"params must hold exactly {sorted(names)}; missing {sorted(names - set(params))}, "
                         f"unknown {sorted(set(params) - names)}")
    p = params
    set_seed(seed)
    model = MLP(784, (int(p["width"]),) * int(p["layers"]), 10)
    opt = torch.optim.Adam(model.parameters(), lr=p["lr"], betas=(p["beta1"], p["beta2"]), eps=p["eps"])
    schedule = [Phase(1, int(p["batch_size"]), decayed_lr(p["lr"], p["lr_decay"], e))
                for e in range(s.importance_epochs)]
    history = fit(model, data(s), optimizer=opt, lr=None, schedule=schedule, seed=seed,
                  callbacks=[Evaluation(train_limit=1)])
    acc = history.final("test_acc")
    return acc if math.isfinite(acc) else 0.1


def importance_search(s: Scale | None = None, *, seed: int = 0, storage: str | None = None,
                      study_name: str | None = None) -> sampling.SearchResult:
    """HP3: ``s.importance_trials`` random trials over ``importance_space`` (an Optuna study)."""
    s = SCALES.resolve(s)
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    return sampling.optuna_search(lambda params: importance_objective(params, s, seed=seed), importance_space(),
                                  s.importance_trials, sampler="random", seed=seed, storage=storage,
                                  study_name=study_name)


def importance_ranking(result: sampling.SearchResult, *, seed: int = 0) -> dict:
    """HP3's results: each evaluator's importances (largest first), and the search's trials and best value."""
    check_type("result", result, sampling.SearchResult, "a SearchResult of importance_search")
    return {"fanova": sampling.importances(result, "fanova", seed=seed),
            "mdi": sampling.importances(result, "mdi", seed=seed),
            "trials": len(result.values), "best": max(result.values)}


# --- HP4: one important and one irrelevant hyperparameter ---------------------------

PEAK = 0.63  # deliberately not on the 5x5 grid's cell middles 0.1, 0.3, ..., 0.9


def important_and_irrelevant(params: dict) -> float:
    """A toy objective in [0, 1]: a narrow peak in ``x`` at PEAK; ``y`` does nothing."""
    return math.exp(-((params["x"] - PEAK) / 0.05) ** 2)


def toy_space() -> list[sampling.Param]:
    return [sampling.Param("x", 0.0, 1.0), sampling.Param("y", 0.0, 1.0)]
