"""lecturelib.sampling: samplers (property tests), search drivers, and every bad-input path."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturelib import sampling as S

exponents = st.tuples(st.integers(-8, 2), st.integers(1, 6)).map(lambda t: (t[0], t[0] + t[1]))
seeds = st.integers(0, 2**32 - 1)


def rng(seed=0):
    return np.random.default_rng(seed)


@settings(deadline=None, max_examples=50)
@given(lo=st.floats(-1e6, 1e6), width=st.floats(1e-3, 1e6), seed=seeds)
def test_uniform_stays_in_bounds(lo, width, seed):
    x = S.uniform(lo, lo + width, 200, rng(seed))
    assert x.shape == (200,) and x.min() >= lo and x.max() <= lo + width


@settings(deadline=None, max_examples=50)
@given(exps=exponents, seed=seeds)
def test_log_uniform_stays_in_bounds_and_fills_each_decade_equally(exps, seed):
    a, b = exps
    x = S.log_uniform(10.0 ** a, 10.0 ** b, 20_000, rng(seed))
    assert x.min() >= 10.0 ** a * (1 - 1e-12) and x.max() <= 10.0 ** b * (1 + 1e-12)
    shares = S.decade_fractions(x, a, b)
    # 20,000 draws: a share's standard error is below 0.0036, so 0.02 is over 5 sigma.
    assert np.allclose(shares, 1 / (b - a), atol=0.02)


@settings(deadline=None, max_examples=50)
@given(lo=st.floats(0.01, 0.98), frac=st.floats(0.01, 0.99), seed=seeds)
def test_beta_sampler_stays_in_bounds(lo, frac, seed):
    hi = lo + frac * (0.999 - lo)
    b = S.one_minus_log_uniform(lo, hi, 500, rng(seed))
    assert b.min() >= lo - 1e-12 and b.max() <= hi + 1e-12


def test_beta_sampler_spreads_one_minus_beta_over_decades():
    b = S.one_minus_log_uniform(0.9, 0.999, 20_000, rng())
    assert np.allclose(S.decade_fractions(1 - b, -3, -1), 0.5, atol=0.02)


def test_grid_uses_cell_middles_on_each_scale():
    assert np.allclose(S.grid(0, 1, 5), [0.1, 0.3, 0.5, 0.7, 0.9])
    assert np.allclose(np.log10(S.grid(1e-4, 1, 4, "log")), [-3.5, -2.5, -1.5, -0.5])
    assert np.allclose(np.log10(1 - S.grid(0.9, 0.999, 2, "one_minus_log")), [-1.5, -2.5])


def test_sobol_points_lie_in_the_unit_cube_and_are_reproducible():
    a, b = S.sobol(16, 3, rng(1)), S.sobol(16, 3, rng(1))
    assert a.shape == (16, 3) and a.min() >= 0 and a.max() < 1 and np.array_equal(a, b)
    # Balanced: each half of each axis holds exactly half of 16 scrambled Sobol points.
    assert ((a < 0.5).sum(axis=0) == 8).all()


def test_param_maps_unit_coordinates_and_rounds_integers():
    p = S.Param("width", 8, 256, "log", integer=True)
    assert p.value(0.0) == 8 and p.value(1.0) == 256 and isinstance(p.value(0.5), int)
    assert S.Param("beta", 0.9, 0.999, "one_minus_log").value(0.5) == pytest.approx(0.99)


SPACE = [S.Param("x", 0.0, 1.0), S.Param("y", 1e-3, 1.0, "log")]


def f(params):
    return -abs(params["x"] - 0.6)


@pytest.mark.parametrize("run", [
    lambda: S.grid_search(f, SPACE, 4, rng=rng()),
    lambda: S.random_search(f, SPACE, 16, rng()),
    lambda: S.sobol_search(f, SPACE, 16, rng()),
    lambda: S.tpe_search(f, SPACE, 16, seed=0),
], ids=["grid", "random", "sobol", "tpe"])
def test_search_drivers_return_the_trial_history(run):
    res = run()
    assert len(res.params) == len(res.values) == 16
    assert all(0 <= p["x"] <= 1 and 1e-3 <= p["y"] <= 1 for p in res.params)
    best = res.best_so_far
    assert all(b2 >= b1 for b1, b2 in zip(best, best[1:])) and best[-1] == max(res.values)
    assert res.best[1] == max(res.values) and f(res.best[0]) == res.best[1]


def test_grid_search_tries_points_per_dim_distinct_values():
    res = S.grid_search(f, SPACE, 4)
    assert S.distinct_values(res, "x") == 4 and S.distinct_values(res, "y") == 4


def test_tpe_search_shares_a_study_through_a_storage_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    S.tpe_search(f, SPACE, 3, seed=0, storage=url, study_name="shared")
    S.tpe_search(f, SPACE, 2, seed=1, storage=url, study_name="shared")
    import optuna
    study = optuna.load_study(study_name="shared", storage=url)
    assert len(study.trials) == 5 and "x" in study.trials[0].user_attrs


def test_integer_param_on_a_linear_scale_gives_each_integer_an_equal_share():
    layers = S.Param("layers", 1, 3, integer=True)
    values = layers.values(rng().random(30_000))
    assert set(values) == {1, 2, 3}
    assert np.allclose([np.mean(values == k) for k in (1, 2, 3)], 1 / 3, atol=0.02)
    assert layers.value(0.0) == 1 and layers.value(1.0) == 3 and isinstance(layers.value(0.5), int)


def test_choice_maps_equal_shares_of_the_unit_interval_to_options():
    c = S.Choice("opt", ("sgd", "adam", "adamw"))
    assert [c.value(u) for u in (0.0, 0.33, 0.34, 0.99, 1.0)] == ["sgd", "sgd", "adam", "adamw", "adamw"]
    assert list(c.values([0.1, 0.5, 0.9])) == ["sgd", "adam", "adamw"]
    res = S.random_search(lambda p: float(p["opt"] == "adam"), [c, S.Param("x", 0, 1)], 30, rng())
    assert {p["opt"] for p in res.params} == {"sgd", "adam", "adamw"}


SPACE3 = [S.Param("x", 0.0, 1.0), S.Param("y", 1e-3, 1.0, "log"), S.Choice("c", ("a", "b"))]


def g(params):
    return -abs(params["x"] - 0.6) + 0.01 * params["y"] + 0.05 * (params["c"] == "b")


def test_optuna_random_search_keeps_its_study_and_real_values():
    res = S.optuna_search(g, SPACE3, 20, sampler="random", seed=3)
    assert res.method == "random" and len(res.values) == 20 and len(res.study.trials) == 20
    t = res.study.trials[0]
    assert 0 <= t.params["x"] <= 1 and t.params["c"] in ("a", "b")       # unit coordinate, option
    assert t.user_attrs["y"] == res.params[0]["y"] and 1e-3 <= res.params[0]["y"] <= 1
    again = S.optuna_search(g, SPACE3, 20, sampler="random", seed=3)
    assert again.values == res.values                                   # reproducible


@pytest.mark.parametrize("evaluator", S.EVALUATORS)
def test_importances_rank_the_one_hyperparameter_that_matters_first(evaluator):
    res = S.optuna_search(lambda p: -abs(p["x"] - 0.6), SPACE3, 40, sampler="random", seed=0)
    imp = S.importances(res, evaluator, seed=0)
    assert list(imp)[0] == "x" and imp["x"] > 0.5
    assert sum(imp.values()) == pytest.approx(1.0) and list(imp.values()) == sorted(imp.values(), reverse=True)
    assert S.importances(res.study, evaluator, seed=0) == imp           # a study works as well


# --- Bad input: every path names the argument and what is allowed ---------------------

@pytest.mark.parametrize("call, exc, match", [
    (lambda: S.log_uniform(0, 1, 5, rng()), ValueError, r"low must be > 0 on a log scale.*got 0"),
    (lambda: S.log_uniform(-1e-3, 1, 5, rng()), ValueError, r"low must be > 0 on a log scale"),
    (lambda: S.log_uniform(1, 1e-4, 5, rng()), ValueError, r"low must be < high, got low=1 and high=0.0001"),
    (lambda: S.uniform(2, 2, 5, rng()), ValueError, r"low must be < high"),
    (lambda: S.uniform(0, math.inf, 5, rng()), ValueError, r"high must be a finite number"),
    (lambda: S.uniform("0", 1, 5, rng()), TypeError, r"low must be a number, got '0'"),
    (lambda: S.one_minus_log_uniform(0.9, 1.0, 5, rng()), ValueError, r"high must lie in \(0, 1\).*got 1.0"),
    (lambda: S.one_minus_log_uniform(0.0, 0.9, 5, rng()), ValueError, r"low must lie in \(0, 1\)"),
    (lambda: S.one_minus_log_uniform(0.999, 0.9, 5, rng()), ValueError, r"low must be < high"),
    (lambda: S.log_uniform(1e-4, 1, 2.5, rng()), TypeError, r"size must be an integer, got 2.5"),
    (lambda: S.log_uniform(1e-4, 1, 0, rng()), ValueError, r"size must be >= 1, got 0"),
    (lambda: S.log_uniform(1e-4, 1, True, rng()), TypeError, r"size must be an integer"),
    (lambda: S.log_uniform(1e-4, 1, 5, 0), TypeError, r"rng must be a numpy.random.Generator"),
    (lambda: S.uniform(0, 1, 5, np.random.RandomState(0)), TypeError, r"rng must be a numpy.random.Generator"),
    (lambda: S.grid(0, 1, 0), ValueError, r"num must be >= 1"),
    (lambda: S.grid(0, 1, 3, "log"), ValueError, r"low must be > 0 on a log scale"),
    (lambda: S.grid(0.1, 1, 3, "ln"), ValueError, r"scale must be one of 'linear', 'log', 'one_minus_log'; got 'ln'"),
    (lambda: S.sobol(16, 0, rng()), ValueError, r"dims must be >= 1"),
    (lambda: S.sobol(16, 2, None), TypeError, r"rng must be"),
    (lambda: S.Param("lr", 0, 1, "log"), ValueError, r"Param.low must be > 0 on a log scale"),
    (lambda: S.Param("b", 0.5, 1.5, "one_minus_log"), ValueError, r"Param.high must lie in \(0, 1\)"),
    (lambda: S.Param("w", 1, 8, integer=1), TypeError, r"Param.integer must be True or False"),
    (lambda: S.Param("x", 0, 1).values([1.5]), ValueError, r"u must lie in \[0, 1\]"),
    (lambda: S.point(SPACE, [0.5]), ValueError, r"u must hold one coordinate per Param \(2\)"),
    (lambda: S.random_search(f, [], 4, rng()), TypeError, r"space must be a non-empty list of Param"),
    (lambda: S.random_search(f, [S.Param("x", 0, 1)] * 2, 4, rng()), ValueError, r"distinct Param names"),
    (lambda: S.random_search(f, ["x"], 4, rng()), TypeError, r"space\[0\] must be a lecturelib.sampling.Param"),
    (lambda: S.random_search("f", SPACE, 4, rng()), TypeError, r"objective must be a callable"),
    (lambda: S.random_search(f, SPACE, 0, rng()), ValueError, r"budget must be >= 1"),
    (lambda: S.sobol_search(f, SPACE, 4.0, rng()), TypeError, r"budget must be an integer"),
    (lambda: S.grid_search(f, SPACE, 0), ValueError, r"points_per_dim must be >= 1"),
    (lambda: S.grid_search(f, SPACE, 2, rng=1), TypeError, r"rng must be"),
    (lambda: S.tpe_search(f, SPACE, 4, seed=-1), ValueError, r"seed must be >= 0"),
    (lambda: S.tpe_search(f, SPACE, 4, storage=3), TypeError, r"storage must be an Optuna storage URL"),
    (lambda: S.random_search(lambda p: math.nan, SPACE, 2, rng()), ValueError, r"objective must return a finite"),
    (lambda: S.distinct_values(S.grid_search(f, SPACE, 2), "z"), ValueError, r"name must be one of \['x', 'y'\]"),
    (lambda: S.decade_fractions([], -4, 0), ValueError, r"values must hold at least one number"),
    (lambda: S.decade_fractions([0.5], 0, 0), ValueError, r"high_exp must be >= 1"),
    (lambda: S.Choice("c", ("a",)), TypeError, r"Choice.options must be a tuple of at least two"),
    (lambda: S.Choice("c", ["a", "b"]), TypeError, r"Choice.options must be a tuple"),
    (lambda: S.Choice("c", ("a", "a")), ValueError, r"Choice.options must be distinct"),
    (lambda: S.Choice(3, ("a", "b")), TypeError, r"Choice.name must be a string"),
    (lambda: S.Choice("c", ("a", "b")).values([-0.1]), ValueError, r"u must lie in \[0, 1\]"),
    (lambda: S.optuna_search(f, SPACE, 2, sampler="cmaes"), ValueError, r"sampler must be one of"),
    (lambda: S.optuna_search(f, SPACE, 0), ValueError, r"budget must be >= 1"),
    (lambda: S.optuna_search(f, SPACE, 2, n_startup_trials=-1), ValueError, r"n_startup_trials must be >= 0"),
    (lambda: S.optuna_search(f, SPACE, 2, study_name=1), TypeError, r"study_name must be a string"),
    (lambda: S.importances(S.random_search(f, SPACE, 4, rng())), ValueError, r"result must come from an Optuna"),
    (lambda: S.importances("study"), TypeError, r"result must be a SearchResult of optuna_search or a Study"),
    (lambda: S.importances(S.optuna_search(f, SPACE, 4), "shap"), ValueError, r"evaluator must be one of"),
    (lambda: S.importances(S.optuna_search(f, SPACE, 1)), ValueError, r"at least 2 finished trials, the study has 1"),
    (lambda: S.importances(S.optuna_search(f, SPACE, 4), seed=-2), ValueError, r"seed must be >= 0"),
])
def test_bad_input_is_rejected_with_a_clear_message(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_samplers_shown_in_the_book_fit_the_page_column():
    from lecturelib.report import source

    for fn in (S.log_uniform, S.one_minus_log_uniform):
        assert max(len(line) for line in source(fn).splitlines()) <= 88, fn.__name__
