"""lecturelib.experiments.tuning: the objective's shape and its argument checks."""
import pytest

from lecturelib.experiments import tuning as T


def test_objective_returns_a_validation_accuracy():
    acc = T.objective({"lr": 0.03}, T.scale("ci"), seed=0)
    assert 0.0 <= acc <= 1.0
    assert acc == T.objective({"lr": 0.03}, T.scale("ci"), seed=0)  # same seed, same number


def test_validation_set_is_cut_from_the_training_split():
    s = T.scale("ci")
    d = T.data(s)
    assert len(d.x_train) == s.train and len(d.x_test) == s.val


def test_every_preset_has_the_same_search_space_and_a_power_budget():
    for name in ("ci", "quick", "full"):
        s = T.scale(name)
        assert s.budget == s.points_per_dim ** 4


@pytest.mark.parametrize("call, exc, match", [
    (lambda: T.objective({"learning_rate": 0.1}), ValueError, r"params may only hold .*unknown \['learning_rate'\]"),
    (lambda: T.objective([0.1]), TypeError, r"params must be a dict"),
    (lambda: T.objective({}, seed=-1), ValueError, r"seed must be >= 0"),
    (lambda: T.objective({}, "ci"), TypeError, r"s must be a lecturelib.experiments.tuning.Scale"),
    (lambda: T.search("bayes", T.scale("ci")), ValueError, r"strategy must be one of grid, random, sobol, tpe"),
    (lambda: T.compare(T.scale("ci"), strategies=["anneal"]), ValueError, r"strategies must be among"),
])
def test_bad_input_is_rejected(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_sampling_explorer_reports_the_shares_it_draws():
    from lecturelib import widgets

    e = widgets.sampling_explorer(size=4_000)
    assert "log sampling of α on [1e-4, 1e0]" in e.status.value
    e.scale.value = "linear"
    values, a, b, _ = e.draw()
    assert (a, b) == (-4, 0) and values.min() >= 1e-4 and (values >= 0.1).mean() > 0.85
    with pytest.raises(ValueError, match=r"high_exp must be >= 0"):
        widgets.sampling_explorer(low_exp=-1, high_exp=-1)
