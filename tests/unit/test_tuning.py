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


def test_decayed_lr_follows_inverse_time_decay():
    assert T.decayed_lr(0.2, 1.0, 0) == pytest.approx(0.2)
    assert [T.decayed_lr(0.2, 1.0, e) for e in (1, 2, 3)] == pytest.approx([0.1, 0.2 / 3, 0.05])
    assert T.decayed_lr(0.2, 0.0, 5) == pytest.approx(0.2)


def test_importance_space_covers_the_notes_list_and_every_name_has_a_tier():
    names = [p.name for p in T.importance_space()]
    assert names == ["lr", "beta1", "beta2", "eps", "batch_size", "width", "layers", "lr_decay"]
    assert set(T.NOTES_TIERS) == set(names) and T.NOTES_TIERS["lr"] == 1


def test_importance_objective_trains_the_configured_network():
    s = T.scale("ci")
    p = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "batch_size": 64, "width": 32, "layers": 2,
         "lr_decay": 1.0}
    acc = T.importance_objective(p, s, seed=0)
    assert 0.5 < acc <= 1.0 and acc == T.importance_objective(p, s, seed=0)
    assert T.importance_objective({**p, "lr": 1e-4}, s, seed=0) < acc  # ten times slower learning


@pytest.mark.parametrize("call, exc, match", [
    (lambda: T.importance_objective({"lr": 0.1}), ValueError, r"params must hold exactly .*missing \['batch_size'"),
    (lambda: T.importance_objective([0.1]), TypeError, r"params must be a dict"),
    (lambda: T.importance_search(T.scale("ci"), seed=-1), ValueError, r"seed must be >= 0"),
    (lambda: T.importance_ranking("study"), TypeError, r"result must be a SearchResult"),
    (lambda: T.decayed_lr(0.0, 1.0, 1), ValueError, r"lr must be > 0"),
    (lambda: T.decayed_lr(0.1, -1.0, 1), ValueError, r"decay must be >= 0"),
    (lambda: T.decayed_lr(0.1, 1.0, -1), ValueError, r"epoch must be >= 0"),
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
