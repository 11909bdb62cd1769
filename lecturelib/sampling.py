"""Sampling hyperparameters, and four small search drivers built on it.

Samplers draw values in a range on a linear or a log scale:

* ``uniform(low, high, size, rng)``: every value equally likely.
* ``log_uniform(low, high, size, rng)``: draw r uniformly in
  [log10 low, log10 high] and return 10**r, so every decade gets the same share.
* ``one_minus_log_uniform(low, high, size, rng)``: for an averaging coefficient
  beta in [low, high] inside (0, 1), draw 1 - beta on a log scale, so each decade
  of the averaging window 1/(1 - beta) gets the same share.
* ``grid(low, high, num, scale)`` and ``sobol(n, dims, rng)``.

A search space is a list of ``Param`` (a number on a scale) and ``Choice`` (one
of a few options, e.g. the optimizer); every driver works in the unit cube
[0, 1)^d and maps each coordinate through its ``Param`` or ``Choice``, so grid,
random, Sobol and TPE search all see the same space. Each driver calls
``objective(params) -> float`` (higher is better) and returns a
``SearchResult`` with the trial history. ``importances`` ranks the
hyperparameters of an Optuna-driven search with Optuna's fANOVA or
mean-decrease-impurity evaluators.
"""
from __future__ import annotations

import itertools
import math
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._checks import check_choice, check_int, check_type

SCALES = ("linear", "log", "one_minus_log")


# --- Samplers ---------------------------------------------------------------------

def uniform(low: float, high: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` values drawn uniformly from [low, high]."""
    low, high = _check_range(low, high)
    return _unit(size, rng) * (high - low) + low


def log_uniform(low: float, high: float, size: int,
                rng: np.random.Generator) -> np.ndarray:
    """``size`` values 10**r with r drawn uniformly from [log10 low, log10 high]."""
    low, high = _check_range(low, high, positive=True)
    return 10.0 ** uniform(math.log10(low), math.log10(high), size, rng)


def one_minus_log_uniform(low: float, high: float, size: int,
                          rng: np.random.Generator) -> np.ndarray:
    """``size`` values beta in [low, high] ⊂ (0, 1) with 1 - beta log-uniform.

    For beta in [0.9, 0.999]: r uniform in [-3, -1] and beta = 1 - 10**r.
    """
    low, high = _check_range(low, high, unit=True)
    return 1.0 - log_uniform(1.0 - high, 1.0 - low, size, rng)


def grid(low: float, high: float, num: int, scale: str = "linear") -> np.ndarray:
    """``num`` grid values in [low, high]: the middle of ``num`` equal cells on ``scale``.

    Cell middles rather than the ends, so a coarse grid does not spend its few
    trials on the edges of the range (for [1e-4, 1] on a log scale and num=4:
    10**-3.5, 10**-2.5, 10**-1.5, 10**-0.5).
    """
    check_choice("scale", scale, SCALES)
    num = check_int("num", num, low=1)
    low, high = _check_range(low, high, positive=scale == "log", unit=scale == "one_minus_log")
    middles = (np.arange(num) + 0.5) / num
    return Param("grid", low, high, scale).values(middles)


def sobol(n: int, dims: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` scrambled Sobol points in [0, 1)^dims (scipy.stats.qmc), shape (n, dims).

    Sobol points are balanced when n is a power of two; other n still work.
    """
    from scipy.stats import qmc

    n = check_int("n", n, low=1)
    dims = check_int("dims", dims, low=1)
    _check_rng(rng)
    engine = qmc.Sobol(d=dims, scramble=True, seed=rng)
    with warnings.catch_warnings():
        # scipy warns when n is not a power of two; the docstring says so already.
        warnings.simplefilter("ignore", UserWarning)
        return engine.random(n)


def decade_fractions(values, low_exp: int, high_exp: int) -> np.ndarray:
    """The fraction of ``values`` in each decade [10**k, 10**(k+1)) for k = low_exp … high_exp - 1.

    The last decade also counts values equal to 10**high_exp, so a sample on
    [1e-4, 1] splits into exactly four shares.
    """
    low_exp = check_int("low_exp", low_exp)
    high_exp = check_int("high_exp", high_exp, low=low_exp + 1)
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("values must hold at least one number, got none")
    edges = 10.0 ** np.arange(low_exp, high_exp + 1)
    counts, _ = np.histogram(values, bins=edges)  # numpy's last bin is closed on the right
    return counts / values.size


# --- Search spaces ------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """One hyperparameter: a name, a range [low, high], a scale, and whether it is an integer."""
    name: str
    low: float
    high: float
    scale: str = "linear"
    integer: bool = False

    def __post_init__(self):
        check_type("Param.name", self.name, str, "a string")
        check_choice("Param.scale", self.scale, SCALES)
        _check_range(self.low, self.high, positive=self.scale == "log", unit=self.scale == "one_minus_log",
                     names=("Param.low", "Param.high"))
        if not isinstance(self.integer, bool):
            raise TypeError(f"Param.integer must be True or False, got {self.integer!r}")

    def values(self, u) -> np.ndarray:
        """Map unit coordinates ``u`` in [0, 1] to values of this hyperparameter."""
        u = np.asarray(u, dtype=float)
        if u.size and (u.min() < 0 or u.max() > 1):
            raise ValueError(f"u must lie in [0, 1], got values from {u.min()} to {u.max()}")
        if self.scale == "linear":
            x = self.low + u * (self.high - self.low)
        elif self.scale == "log":
            lo, hi = math.log10(self.low), math.log10(self.high)
            x = 10.0 ** (lo + u * (hi - lo))
        else:  # one_minus_log: u = 0 gives low, u = 1 gives high
            lo, hi = math.log10(1 - self.low), math.log10(1 - self.high)
            x = 1.0 - 10.0 ** (lo + u * (hi - lo))
        if self.integer and self.scale == "linear":
            # Equal shares for low, low + 1, ..., high (rounding would give the ends half a share).
            return np.minimum(np.floor(self.low + u * (self.high - self.low + 1)), self.high)
        return np.round(x) if self.integer else x

    def value(self, u: float):
        x = float(self.values(u))
        return int(x) if self.integer else x


@dataclass(frozen=True)
class Choice:
    """One hyperparameter with a few options (e.g. the optimizer); each gets an equal share of [0, 1)."""
    name: str
    options: tuple

    def __post_init__(self):
        check_type("Choice.name", self.name, str, "a string")
        if not isinstance(self.options, tuple) or len(self.options) < 2:
            raise TypeError(f"Choice.options must be a tuple of at least two options, got {self.options!r}")
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"Choice.options must be distinct, got {self.options!r}")

    def values(self, u) -> np.ndarray:
        """Map unit coordinates ``u`` in [0, 1] to options: [0, 1/k) is the first of k, and so on."""
        u = np.asarray(u, dtype=float)
        if u.size and (u.min() < 0 or u.max() > 1):
            raise ValueError(f"u must lie in [0, 1], got values from {u.min()} to {u.max()}")
        index = np.minimum((u * len(self.options)).astype(int), len(self.options) - 1)
        return np.asarray(self.options, dtype=object)[index]

    def value(self, u: float):
        return self.options[int(min(float(u) * len(self.options), len(self.options) - 1))]


def point(space, u) -> dict:
    """The hyperparameters (name -> value) at unit coordinates ``u`` of ``space``."""
    space = check_space(space)
    u = np.asarray(u, dtype=float)
    if u.shape != (len(space),):
        raise ValueError(f"u must hold one coordinate per Param ({len(space)}), got shape {u.shape}")
    return {p.name: p.value(c) for p, c in zip(space, u)}


def check_space(space) -> tuple[Param | Choice, ...]:
    """Return ``space`` as a tuple of Param or Choice with distinct names; raise otherwise."""
    if not isinstance(space, (list, tuple)) or not space:
        raise TypeError(f"space must be a non-empty list of Param, got {space!r}")
    for i, p in enumerate(space):
        check_type(f"space[{i}]", p, (Param, Choice), "a lecturelib.sampling.Param or Choice")
    names = [p.name for p in space]
    if len(set(names)) != len(names):
        raise ValueError(f"space must have distinct Param names, got {names}")
    return tuple(space)


# --- Search drivers -----------------------------------------------------------------

@dataclass
class SearchResult:
    """The trials of one search, in the order they ran. Higher values are better."""
    method: str
    params: list[dict] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    study: object = field(default=None, repr=False)  # the Optuna study, for Optuna-driven searches

    @property
    def best_so_far(self) -> list[float]:
        """After each trial, the best value found so far."""
        return list(np.maximum.accumulate(self.values)) if self.values else []

    @property
    def best(self) -> tuple[dict, float]:
        """The best trial's hyperparameters and value."""
        i = int(np.argmax(self.values))
        return self.params[i], self.values[i]

    def add(self, params: dict, value) -> float:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"the objective must return a finite number, got {value!r} for {params}")
        self.params.append(params)
        self.values.append(value)
        return value


def grid_search(objective, space, points_per_dim: int, *, rng: np.random.Generator | None = None) -> SearchResult:
    """Try every point of a ``points_per_dim``**d grid of cell middles.

    rng: when given, visit the grid in a random order, so the best-so-far curve
    does not depend on which hyperparameter the loop happens to vary first.
    """
    space = _check_search(objective, space)
    points_per_dim = check_int("points_per_dim", points_per_dim, low=1)
    middles = (np.arange(points_per_dim) + 0.5) / points_per_dim
    cube = np.array(list(itertools.product(middles, repeat=len(space))))
    if rng is not None:
        cube = cube[_check_rng(rng).permutation(len(cube))]
    return _run("grid", objective, space, cube)


def random_search(objective, space, budget: int, rng: np.random.Generator) -> SearchResult:
    """``budget`` trials drawn independently and uniformly from the unit cube."""
    space = _check_search(objective, space)
    budget = check_int("budget", budget, low=1)
    return _run("random", objective, space, _check_rng(rng).random((budget, len(space))))


def sobol_search(objective, space, budget: int, rng: np.random.Generator) -> SearchResult:
    """``budget`` trials at scrambled Sobol points (quasi-random: spread out, no clumps)."""
    space = _check_search(objective, space)
    budget = check_int("budget", budget, low=1)
    return _run("sobol", objective, space, sobol(budget, len(space), rng))


def tpe_search(objective, space, budget: int, *, seed: int = 0, n_startup_trials: int = 5,
               storage: str | None = None, study_name: str | None = None) -> SearchResult:
    """``budget`` trials proposed by Optuna's TPE sampler (Bayesian optimization).

    The first ``n_startup_trials`` are random; after that TPE proposes points
    where good trials are dense. storage: ``None`` keeps the study in memory; an
    Optuna storage URL such as ``"sqlite:///study.db"`` (or a PostgreSQL URL)
    keeps it in a database, so several processes or machines running this
    function with the same ``study_name`` work on one study. Only this run's
    trials are returned.
    """
    n_startup_trials = check_int("n_startup_trials", n_startup_trials, low=0)
    return optuna_search(objective, space, budget, sampler="tpe", seed=seed, n_startup_trials=n_startup_trials,
                         storage=storage, study_name=study_name)


OPTUNA_SAMPLERS = ("tpe", "random")


def optuna_search(objective, space, budget: int, *, sampler: str = "random", seed: int = 0,
                  n_startup_trials: int = 5, storage: str | None = None,
                  study_name: str | None = None) -> SearchResult:
    """``budget`` trials driven by an Optuna sampler: ``"random"`` or ``"tpe"``.

    Each trial suggests one unit coordinate per ``Param`` (so Optuna sees the same
    cube as the other drivers, and its importance evaluators measure each
    hyperparameter on the scale it is sampled on) and one option per ``Choice``;
    the real values go to the trial's user attributes. The returned
    ``SearchResult`` holds this run's trials and, in ``.study``, the Optuna study
    (for ``importances``). storage, study_name: as in ``tpe_search``.
    """
    import optuna

    space = _check_search(objective, space)
    budget = check_int("budget", budget, low=1)
    check_choice("sampler", sampler, OPTUNA_SAMPLERS)
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    n_startup_trials = check_int("n_startup_trials", n_startup_trials, low=0)
    if storage is not None:
        check_type("storage", storage, str, "an Optuna storage URL such as 'sqlite:///study.db', or None")
    if study_name is not None:
        check_type("study_name", study_name, str, "a string or None")
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # one log line per trial drowns the notebook
    if sampler == "tpe":
        chosen = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup_trials)
    else:
        chosen = optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(direction="maximize", sampler=chosen, storage=storage,
                                study_name=study_name, load_if_exists=storage is not None)
    result = SearchResult(sampler, study=study)

    def trial_objective(trial):
        params = {}
        for p in space:
            if isinstance(p, Choice):
                params[p.name] = trial.suggest_categorical(p.name, list(p.options))
            else:  # the unit cube, mapped through the Param's scale
                params[p.name] = p.value(trial.suggest_float(p.name, 0.0, 1.0))
        for k, v in params.items():  # so a shared study shows real values, not unit coordinates
            trial.set_user_attr(k, v)
        return result.add(params, objective(params))

    study.optimize(trial_objective, n_trials=budget)
    return result


EVALUATORS = ("fanova", "mdi")


def importances(result, evaluator: str = "fanova", *, seed: int = 0) -> dict[str, float]:
    """How much of the variation of the objective each hyperparameter explains, largest first.

    result: a ``SearchResult`` of ``optuna_search``/``tpe_search`` (or an Optuna study).
    evaluator: ``"fanova"`` (Optuna's ``FanovaImportanceEvaluator``: a random forest
    fitted to the trials, then each hyperparameter's share of the forest's variance
    when it alone varies; Hutter et al. 2014) or ``"mdi"``
    (``MeanDecreaseImpurityImportanceEvaluator``: how much the forest's splits on a
    hyperparameter reduce the squared error). Both sum to 1 over the hyperparameters.
    seed: the forest's seed.
    """
    import optuna

    if isinstance(result, SearchResult):
        if result.study is None:
            raise ValueError("result must come from an Optuna-driven search (optuna_search or tpe_search); "
                             f"this {result.method!r} search has no study")
        study = result.study
    else:
        study = check_type("result", result, optuna.study.Study, "a SearchResult of optuna_search or a Study")
    check_choice("evaluator", evaluator, EVALUATORS)
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if len(complete) < 2:
        raise ValueError(f"importances need at least 2 finished trials, the study has {len(complete)}")
    if evaluator == "fanova":
        chosen = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    else:
        chosen = optuna.importance.MeanDecreaseImpurityImportanceEvaluator(seed=seed)
    found = optuna.importance.get_param_importances(study, evaluator=chosen)
    return dict(sorted(((k, float(v)) for k, v in found.items()), key=lambda kv: -kv[1]))


def distinct_values(result: SearchResult, name: str) -> int:
    """How many different values of hyperparameter ``name`` a search tried."""
    check_type("result", result, SearchResult, "a lecturelib.sampling.SearchResult")
    if result.params and name not in result.params[0]:
        raise ValueError(f"name must be one of {sorted(result.params[0])}, got {name!r}")
    return len({p[name] for p in result.params})


# --- Helpers ------------------------------------------------------------------------

def _run(method, objective, space, cube) -> SearchResult:
    result = SearchResult(method)
    for u in cube:
        params = point(space, u)
        result.add(params, objective(params))
    return result


def _check_search(objective, space):
    if not callable(objective):
        raise TypeError(f"objective must be a callable params -> float, got {type(objective).__name__}")
    return check_space(space)


def _check_rng(rng):
    return check_type("rng", rng, np.random.Generator, "a numpy.random.Generator (np.random.default_rng(seed))")


def _unit(size, rng) -> np.ndarray:
    size = check_int("size", size, low=1)
    return _check_rng(rng).random(size)


def _check_range(low, high, *, positive: bool = False, unit: bool = False, names=("low", "high")):
    """Check low < high, both finite; on a log scale both > 0; for beta both in (0, 1)."""
    lo_name, hi_name = names
    for name, v in ((lo_name, low), (hi_name, high)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name} must be a number, got {v!r} ({type(v).__name__})")
        if not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
    if positive and low <= 0:
        raise ValueError(f"{lo_name} must be > 0 on a log scale (log10 of {low!r} is undefined), got {low!r}")
    if unit:
        for name, v in ((lo_name, low), (hi_name, high)):
            if not 0 < v < 1:
                raise ValueError(f"{name} must lie in (0, 1) for a beta sampled as 1 - beta on a log scale, got {v!r}")
    if low >= high:
        raise ValueError(f"{lo_name} must be < {hi_name}, got {lo_name}={low!r} and {hi_name}={high!r}")
    return float(low), float(high)
