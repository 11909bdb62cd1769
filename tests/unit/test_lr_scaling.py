"""lecturelib.experiments.lr_scaling and its widget: argument checks, configs, the static frames."""
import matplotlib
import numpy as np
import pytest

from lecturelib.experiments import lr_scaling as L


def small_grid():
    """A made-up 3 x 4 grid whose best lr doubles with the batch size (no training)."""
    lrs = (0.05, 0.1, 0.2, 0.4)
    acc = np.array([[0.90, 0.92, 0.85, 0.30],
                    [0.88, 0.90, 0.93, 0.80],
                    [0.70, 0.85, 0.90, 0.94]])
    return L.Grid("sgd", False, (16, 32, 64), lrs, acc, np.ones_like(acc))


def test_every_preset_has_a_scale_with_growing_powers_of_two():
    for name in ("ci", "quick", "full"):
        s = L.scale(name)
        for sizes in (s.batch_sizes, s.target_batch_sizes):
            assert sizes[0] == 16 and all(b2 == 2 * b1 or b2 == 4 * b1 for b1, b2 in zip(sizes, sizes[1:]))
        assert list(s.sgd_lrs) == sorted(s.sgd_lrs) and list(s.adam_lrs) == sorted(s.adam_lrs)
        assert 0 < s.target < 1 and 0 < s.warmup_fraction < 1
    assert L.scale("ci").train == 4_000 and L.scale("quick").train is None and L.scale("full").train is None
    assert max(L.scale("full").batch_sizes) == 4096


def test_best_lrs_are_smoothed_between_grid_points():
    g = small_grid()
    best = L.best_lrs(g)
    assert 0.05 < best[16] < 0.2 and best[16] != 0.1        # parabola vertex, not the grid point
    assert best[64] == 0.4 and L.at_edge(g) == [64]           # at the edge: the edge value
    k = L.scaling_exponent({16: 0.1, 32: 0.2, 64: 0.4})
    assert k == pytest.approx(1.0)
    assert L.scaling_exponent({16: 0.1, 64: 0.2}) == pytest.approx(0.5)
    assert L.linear_rule({16: 0.1, 64: 0.2}, 128) == pytest.approx(0.8)
    assert L.linear_rule_breaks({16: 0.1, 32: 0.2, 64: 0.4, 128: 0.3}) == 64
    assert L.linear_rule_breaks({16: 0.1, 32: 0.05}) is None
    assert L.interpolate_lr({16: 0.1, 64: 0.4}, 32) == pytest.approx(0.2)


def test_ridge_compares_the_tuned_row_maxima_with_one_fixed_lr():
    r = L.ridge(small_grid())
    assert r["ridge"] == {16: 0.92, 32: 0.93, 64: 0.94}
    assert r["ridge_spread"] == pytest.approx(0.02)
    assert r["fixed_lr"] == 0.2 and r["fixed_spread"] == pytest.approx(0.08)


def test_critical_batch_recovers_a_known_curve():
    runs = {b: L.TargetRun(b, 0.1, round(20 * (1 + 128 / b)), 0.0) for b in (16, 32, 64, 128, 256, 512)}
    fit = L.critical_batch(runs)
    assert fit["S_min"] == pytest.approx(20, rel=0.05) and fit["B_crit"] == pytest.approx(128, rel=0.05)
    assert fit["perfect_up_to"] in (64, 128)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: L.scale("fast"), ValueError, r"preset must be one of ci, quick, full; got 'fast'"),
    (lambda: L.grid("ci"), TypeError, r"s must be a lecturelib.experiments.lr_scaling.Scale"),
    (lambda: L.grid(L.scale("ci"), optimizer="rmsprop"), ValueError, r"optimizer must be one of 'sgd', 'adam'"),
    (lambda: L.grid(L.scale("ci"), warmup=1), TypeError, r"warmup must be True or False"),
    (lambda: L.run(L.scale("ci"), "sgd", 0, 0.1), ValueError, r"batch_size must be >= 1, got 0"),
    (lambda: L.run(L.scale("ci"), "sgd", 16, -0.1), ValueError, r"lr must be > 0.0, got -0.1"),
    (lambda: L.run(L.scale("ci"), "sgd", 16, "0.1"), TypeError, r"lr must be a number"),
    (lambda: L.best_lrs({16: 0.1}), TypeError, r"g must be a lecturelib.experiments.lr_scaling.Grid"),
    (lambda: L.scaling_exponent({}), TypeError, r"best must be a non-empty dict"),
    (lambda: L.scaling_exponent({16: 0.1}), ValueError, r"a slope needs at least 2 batch sizes"),
    (lambda: L.linear_rule({16: 0.1}, 64, reference=32), ValueError, r"reference must be one of 16; got 32"),
    (lambda: L.linear_rule_breaks({16: 0.1}, tolerance=0.5), ValueError, r"tolerance must be >= 1.0, got 0.5"),
    (lambda: L.critical_batch({16: L.TargetRun(16, 0.1, None, 0.0)}), ValueError, r"at least 2 batch sizes"),
    (lambda: L.steps_to_target(L.scale("ci"), factors=(0.0,)), ValueError, r"factors\[0\] must be > 0.0"),
    (lambda: L.schedules(L.scale("ci"), factor=1), ValueError, r"factor must be >= 2, got 1"),
    (lambda: L.noise_ball(L.scale("ci"), lr=0), ValueError, r"lr must be > 0.0, got 0"),
    (lambda: L.TargetProbe(None, None, 1.5), ValueError, r"target must be <= 1.0, got 1.5"),
    (lambda: L.warmup_steps(L.scale("ci"), 16, epochs=0), ValueError, r"epochs must be >= 1, got 0"),
])
def test_bad_input_is_rejected(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_explorer_builds_and_draws_static_frames_without_training():
    from lecturelib import widgets

    e = widgets.lr_scaling_explorer(small_grid())
    assert hasattr(e, "_ipython_display_") and isinstance(e, widgets._Panel)
    assert e.lrs(64)["linear rule"] == pytest.approx(4 * e.best[16])
    assert "linear rule lr" in e.status.value
    frames = e.static_frames()
    assert [label for label, _ in frames] == ["16", "32", "64"]
    assert e.static_html().count('class="ll-frame"') == 3
    assert all(isinstance(fig, matplotlib.figure.Figure) for _, fig in frames)
    assert e.histories == {}   # nothing trained
    with pytest.raises(TypeError, match=r"grid must be a lecturelib.experiments.lr_scaling.Grid"):
        widgets.lr_scaling_explorer({16: 0.1})
    with pytest.raises(ValueError, match=r"reference must be one of 16, 32, 64; got 8"):
        widgets.lr_scaling_explorer(small_grid(), reference=8)


def test_convex_optimum_has_a_vanishing_gradient():
    opt = L.convex_optimum(L.scale("ci"))
    assert opt["grad_norm"] < 1e-5 and opt["params"][0].shape == (10, 49)


def test_ridge_upto_and_rising_part():
    r = L.ridge(small_grid(), upto=32)
    assert list(r["ridge"]) == [16, 32] and r["ridge_spread"] == pytest.approx(0.01)
    with pytest.raises(ValueError, match=r"upto must leave at least 2 batch sizes"):
        L.ridge(small_grid(), upto=16)
    assert L.rising_part({16: 0.1, 64: 0.3, 256: 0.2}) == [16, 64]


def test_explorer_train_button_trains_both_rates_at_ci(monkeypatch):
    from lecturelib import widgets

    monkeypatch.setenv("LECTURELIB_PRESET", "ci")
    e = widgets.lr_scaling_explorer(small_grid(), batch_size=32)
    e.train_button.click()
    assert list(e.histories) == [32] and len(e.histories[32]) == 2
    assert e.status.value.startswith("B = 32: linear rule") and not e.train_button.disabled
    assert len(e.figure(32).axes) >= 2    # the trained curves are drawn beside the grid's row


def test_lr_grid_heat_map_labels_every_cell():
    from lecturelib import plots

    g = small_grid()
    ax = plots.lr_grid(g, best=L.best_lrs(g))
    assert len(ax.texts) == g.acc.size and ax.get_xlabel() == "learning rate"


def test_target_probe_checks_on_a_geometric_grid_of_steps():
    import torch

    x, y = torch.zeros(4, 784), torch.zeros(4, dtype=torch.long)
    model = torch.nn.Sequential(torch.nn.Linear(784, 10))
    with torch.no_grad():
        model[0].bias.copy_(torch.arange(10.0))      # always predicts class 9: accuracy 0
    p = L.TargetProbe(x, y, 0.5, ratio=1.5, patience=10_000, max_steps=20)
    p.begin(model)
    with pytest.raises(L.TargetReached):
        for step in range(1, 100):
            p.on_step(model, None, None, step)
    assert [s for s, _ in p.curve] == [1, 2, 3, 5, 8, 12, 18] and p.hit is None
