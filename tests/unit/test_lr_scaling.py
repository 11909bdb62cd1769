"""lecturelib.experiments.lr_scaling and its widget: argument checks, configs, the static frames."""
import matplotlib
import numpy as np
import pytest

from lecturelib.callbacks import TrainState, StopTraining
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
    (lambda: L.grid("ci"), TypeError, r"s must be a lecturelib\.experiments\.lr_scaling\.runs\.Scale or None"),
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
    p.on_train_begin(TrainState(model))
    with pytest.raises(StopTraining, match="step budget of 20 spent"):
        for step in range(1, 100):
            p.on_step_end(TrainState(model, steps=step), None, None)
    assert [s for s, _ in p.curve] == [1, 2, 3, 5, 8, 12, 18] and p.hit is None


# --- the chapter's tables and verdicts (synthetic inputs, no training) -----------------------

def small_runs():
    """Made-up steps-to-target runs: perfect scaling up to B = 64, then flat; B = 512 never got there."""
    steps = {16: 400, 32: 200, 64: 100, 128: 90, 256: 85, 512: None}
    return {b: L.TargetRun(b, 0.1 * b / 16, st, 0.01 * b if st else float("nan")) for b, st in steps.items()}


def small_sched():
    from lecturelib.train import History

    def h(steps, dists, acc):
        out = History("x", {}, epoch=list(range(len(steps))), steps=steps)
        for d in dists:
            out.record({"dist": d, "gap": d ** 2, "test_acc": acc})
        return out
    return {"decaying lr": h([0, 100, 200], [1.0, 0.2, 0.1], 0.9),
            "growing batch": h([0, 100, 150], [1.0, 0.2, 0.12], 0.89)}


def steps_of(runs):
    return {b: r.steps for b, r in runs.items()}


def test_best_lr_rows_and_headers():
    g = small_grid()
    best = {16: 0.1, 32: 0.2, 64: 0.4}
    assert L.exponent_up_to_peak(best) == (pytest.approx(1.0), 64)
    k, peak = L.exponent_up_to_peak({16: 0.4, 32: 0.2})
    assert np.isnan(k) and peak == 16
    s = L.scale("ci")
    assert L.best_lr_headers(g) == ["B", "steps", "best lr", "linear from 16", "√ from 16", "best acc."]
    rows = L.best_lr_rows(g, best, s)
    assert rows[0] == [16, 3 * 250, "0.1", "0.1", "0.1", "92.00 %"] and rows[2][2] == "0.4 (edge)"
    assert rows[2][3] == "0.4" and rows[2][4] == "0.2"
    assert L.steps_per_run(s, 1024) == 3 * 4


def test_mean_grid_tuned_accuracy_and_flatness():
    g1, g2 = small_grid(), small_grid()
    g2.acc = g2.acc - 0.02
    stack = np.stack([g1.acc, g2.acc, g1.acc])
    g = L.Grid("sgd", True, g1.batch_sizes, g1.lrs, stack.mean(0), g1.seconds, (0, 1, 2), stack.std(0), stack)
    assert g.label == "SGD with warm-up"
    assert L.tuned_accuracy(g) == {16: pytest.approx(0.92), 32: pytest.approx(0.93), 64: pytest.approx(0.94)}
    assert L.tuned_accuracy(g1) == {16: 0.92, 32: 0.93, 64: 0.94}
    assert L.neighbour_loss(g1) == pytest.approx(np.mean([0.02, 0.03, 0.04]))
    assert L.grid_seeds(L.scale("ci"), 2) == (6, 7, 8) and L.grid_seeds(L.scale("quick"), 2) == (2,)


def test_alpha_interval_brackets_the_exponent_and_narrows_with_less_noise():
    lrs = tuple(0.0125 * 2 ** j for j in range(8))
    x = np.log2(lrs)
    sizes = (16, 64, 256)
    acc = np.array([0.95 - 0.01 * (x - np.log2(0.05 * (b / 16) ** 0.5)) ** 2 for b in sizes])
    g = L.Grid("adam", False, sizes, lrs, acc, np.ones_like(acc))
    alpha, lo, hi = L.alpha_interval(g, 0.002, sizes)
    assert alpha == pytest.approx(0.5, abs=0.05) and lo < 0.5 < hi and hi - lo < 0.5
    a2, lo2, hi2 = L.alpha_interval(g, 0.0005, sizes)
    assert hi2 - lo2 < hi - lo and L.alpha_interval(g, 0.002, sizes) == (alpha, lo, hi)


def test_critical_batch_and_power_law_recover_known_curves():
    runs = {b: L.TargetRun(b, 0.1, round(20 * (1 + 128 / b)), 0.0) for b in (16, 32, 64, 128, 256, 512)}
    fit = L.critical_batch(runs)
    assert fit["S_min"] == pytest.approx(20, rel=0.05) and fit["B_crit"] == pytest.approx(128, rel=0.05)
    assert fit["perfect_up_to"] in (64, 128) and fit["rms"] < 0.01
    power = L.power_law({b: 100 * b ** -0.5 for b in (16, 64, 256)})
    assert power["a"] == pytest.approx(0.5) and power["c"] == pytest.approx(100) and power["rms"] < 1e-9
    assert L.power_law(steps_of(runs))["rms"] > 10 * fit["rms"]


def test_bs12_tables():
    runs = small_runs()
    steps = L.mean_steps({0: runs, 1: runs})
    assert steps == {16: pytest.approx(400), 32: pytest.approx(200), 64: pytest.approx(100),
                     128: pytest.approx(90), 256: pytest.approx(85), 512: None}
    rows = L.target_rows({0: runs, 1: runs}, steps, 500)
    assert rows[0] == [16, "400", "400 / 400", "6,400", "0.16"] and rows[-1] == [512, "—", "> 500 / > 500", "—", "nan"]
    ratios = L.doubling_ratios(steps)
    assert [(b1, b2) for b1, b2, _ in ratios] == [(16, 32), (32, 64), (64, 128), (128, 256)]
    crit = {"B_crit": 64.0}
    assert L.knee_ratio(crit, 64, 128) == pytest.approx(2 / 1.5)
    labels = [r[3] for r in L.doubling_rows(ratios, crit)]
    assert labels == ["≈ perfect", "≈ perfect", "flat", "flat"]
    assert [L.doubling_label(q) for q in (1.60, 1.7, 1.2, 1.1)] == ["diminishing", "≈ perfect", "diminishing", "flat"]
    assert L.fastest_run(runs).batch_size == 16 and L.fastest_run(runs, by="samples").batch_size == 16
    assert L.fastest_run(runs, by="steps").batch_size == 256


def test_bs13_ball_and_schedule_tables():
    ball = {4: {"dist": 4.0, "gap": 1e-2, "steps": 1000}, 16: {"dist": 2.0, "gap": 1e-3, "steps": 1000},
            64: {"dist": 0.5, "gap": 1e-4, "steps": 1024}}
    assert L.noise_ball_rows(ball)[2] == [64, "1,024", "0.5000", "1.00e-04"]
    assert L.noise_ball_slopes(ball) == [(4, 16, pytest.approx(-0.5)), (16, 64, pytest.approx(-1.0))]
    assert L.noise_ball_slope(ball) < -0.5 and L.noise_ball_shrinks(ball)
    assert not L.noise_ball_shrinks({**ball, 256: {"dist": 1.5, "gap": 0.0, "steps": 1}})
    sched = small_sched()
    assert L.schedule_rows(sched)[1] == ["growing batch", "150", "0.1200", "89.00 %"]
    assert L.schedule_ratios(sched) == (pytest.approx(0.75), pytest.approx(1.2))


def test_convex_batch_sizes_divide_the_training_set():
    for name in ("ci", "quick", "full"):
        s = L.scale(name)
        for b in (*s.convex_batch_sizes, 16 * 2 ** 3):
            assert s.convex_train % b == 0, (name, b)


def test_new_lr_scaling_figures_draw_on_the_given_axes():
    from lecturelib import plots

    fig, (a, b, c, d) = plots.axes(4)
    runs = small_runs()
    assert plots.steps_to_target(runs, {"S_min": 50.0, "B_crit": 64.0}, 128.0, target=0.85, ax=a) is a
    assert len(a.lines) == 5 and a.get_ylabel() == "steps to 85.00 % test accuracy"
    plots.steps_to_target(steps_of(runs), {"S_min": 50.0, "B_crit": 64.0}, 128.0, target=0.85,
                          power={"a": 0.5, "c": 100.0}, ax=a)
    assert len(a.lines) == 11
    assert plots.seconds_to_target(runs, ax=b, title="t") is b and len(b.lines[0].get_xdata()) == 5
    ball = {4: {"dist": 4.0}, 16: {"dist": 2.0}}
    assert plots.noise_ball(ball, lr=0.5, ax=c) is c and c.get_title() == "Noise ball at lr 0.5"
    assert plots.distance_to_optimum(small_sched(), x="steps", ax=d) is d
    assert len(d.lines) == 2 and d.get_xlabel() == "parameter updates"
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize("call, exc, match", [
    (lambda: L.exponent_up_to_peak({}), TypeError, r"best must be a non-empty dict"),
    (lambda: L.best_lr_rows({16: 0.1}, {16: 0.1}), TypeError, r"g must be a lecturelib.experiments.lr_scaling.Grid"),
    (lambda: L.best_lr_rows(small_grid(), {16: 0.1}), ValueError, r"batch_sizes must be one of 16; got 32"),
    (lambda: L.best_lr_headers(None), TypeError, r"g must be a lecturelib.experiments.lr_scaling.Grid"),
    (lambda: L.steps_per_run(L.scale("ci"), 0), ValueError, r"batch_size must be >= 1, got 0"),
    (lambda: L.grid_seeds(L.scale("ci"), -1), ValueError, r"seed must be >= 0, got -1"),
    (lambda: L.mean_grid(L.scale("ci"), seeds=()), ValueError, r"seeds must hold at least one seed"),
    (lambda: L.mean_grid(L.scale("ci"), seeds=(-1,)), ValueError, r"seeds\[0\] must be >= 0"),
    (lambda: L.tuned_accuracy({}), TypeError, r"g must be a lecturelib.experiments.lr_scaling.Grid"),
    (lambda: L.neighbour_loss([]), TypeError, r"g must be a lecturelib.experiments.lr_scaling.Grid"),
    (lambda: L.alpha_interval(small_grid(), -1.0, (16, 32)), ValueError, r"noise must be >= 0.0"),
    (lambda: L.alpha_interval(small_grid(), 0.01, (16,)), ValueError, r"at least 2 batch sizes"),
    (lambda: L.alpha_interval(small_grid(), 0.01, (16, 48)), ValueError, r"batch_sizes must be one of 16, 32, 64; got 48"),
    (lambda: L.alpha_interval(small_grid(), 0.01, (16, 32), level=1.0), ValueError, r"level must be < 1.0"),
    (lambda: L.alpha_interval(small_grid(), 0.01, (16, 32), draws=2), ValueError, r"draws must be >= 10"),
    (lambda: L.ridge_upto((16,), 100.0), ValueError, r"batch_sizes must hold at least 2 batch sizes, got \[16\]"),
    (lambda: L.ridge_upto((16, 32), -1.0), ValueError, r"b_crit must be >= 0.0, got -1.0"),
    (lambda: L.ridge_rows(small_grid(), 0), ValueError, r"upto must be >= 1, got 0"),
    (lambda: L.ridge_rows({16: 0.1}, 32), TypeError, r"g must be a lecturelib.experiments.lr_scaling.Grid"),
    (lambda: L.target_rows({}, {16: 1}, 500), TypeError, r"runs_by_seed must be a non-empty dict"),
    (lambda: L.target_rows({0: small_runs()}, {16: 400}, 0), ValueError, r"max_steps must be >= 1, got 0"),
    (lambda: L.target_rows({0: {16: 400}}, {16: 400}, 5), TypeError, r"runs\[16\] must be a lecturelib.experiments.lr_scaling.TargetRun"),
    (lambda: L.mean_steps([]), TypeError, r"runs_by_seed must be a non-empty dict"),
    (lambda: L.critical_batch({16: None, 32: 10}), ValueError, r"at least 2 batch sizes that reached"),
    (lambda: L.critical_batch([]), TypeError, r"steps must be a non-empty dict"),
    (lambda: L.power_law({16: -1, 32: 2}), ValueError, r"steps\[16\] must be > 0.0"),
    (lambda: L.doubling_ratios({16: L.TargetRun(16, 0.1, None, 0.0)}), ValueError, r"at least 2 batch sizes"),
    (lambda: L.doubling_rows([[16, 32, 2.0]], {"B_crit": 1.0}), TypeError, r"ratios\[0\] must be a tuple \(B, next B, steps ratio\)"),
    (lambda: L.doubling_rows([], None), TypeError, r"crit must be the dict of critical_batch"),
    (lambda: L.doubling_label(0.0), ValueError, r"ratio must be > 0.0"),
    (lambda: L.knee_ratio({"B_crit": 1.0}, 0, 2), ValueError, r"b1 must be > 0.0"),
    (lambda: L.fastest_run(small_runs(), by="time"), ValueError, r"by must be one of 'seconds', 'samples', 'steps'; got 'time'"),
    (lambda: L.noise_ball_rows([]), TypeError, r"ball must be a non-empty dict"),
    (lambda: L.noise_ball_slope({16: {"dist": 1.0}}), ValueError, r"ball must hold at least 2 batch sizes, got \[16\]"),
    (lambda: L.noise_ball_slopes({16: {"dist": 1.0}}), ValueError, r"ball must hold at least 2 batch sizes"),
    (lambda: L.noise_ball_shrinks({16: 1.0, 32: 0.5}), TypeError, r"ball\[16\] must be a dict with 'dist'"),
    (lambda: L.noise_ball(L.scale("ci"), every_step=1), TypeError, r"every_step must be True or False"),
    (lambda: L.schedule_rows({"decaying lr": None}), ValueError, r"sched key must be one of 'decaying lr'; got 'growing batch'"),
    (lambda: L.schedule_ratios([]), TypeError, r"sched must be the dict of schedules, got list"),
    (lambda: L.steps_to_target(L.scale("ci"), best={}), TypeError, r"best must be a non-empty dict"),
])
def test_new_table_functions_reject_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("call, exc, match", [
    (lambda p: p.steps_to_target({}, {"S_min": 1.0, "B_crit": 2.0}, 1.0, target=0.8), TypeError, r"steps must be a non-empty dict"),
    (lambda p: p.steps_to_target({16: None}, {"S_min": 1.0, "B_crit": 2.0}, 1.0, target=0.8), ValueError, r"at least one batch size that reached"),
    (lambda p: p.steps_to_target({16: 5, 32: 3}, {"S_min": 1.0, "B_crit": 2.0}, 1.0, target=0.8, power=[]), TypeError, r"power must be the dict of lr_scaling.power_law"),
    (lambda p: p.steps_to_target(small_runs(), {"S_min": 1.0, "B_crit": 2.0}, 1.0, target=85), ValueError,
     r"target must be <= 1.0, got 85.0"),
    (lambda p: p.seconds_to_target({16: L.TargetRun(16, 0.1, None, 0.0)}), ValueError, r"at least one run that reached"),
    (lambda p: p.noise_ball({4: {"dist": 1.0}}, lr=0), ValueError, r"lr must be > 0.0, got 0"),
    (lambda p: p.noise_ball([], lr=0.5), TypeError, r"ball must be the dict of lr_scaling.noise_ball, got list"),
    (lambda p: p.distance_to_optimum(small_sched(), x="seconds"), ValueError, r"x must be one of 'epoch', 'steps'; got 'seconds'"),
])
def test_new_lr_scaling_figures_reject_bad_input(call, exc, match):
    from lecturelib import plots

    with pytest.raises(exc, match=match):
        call(plots)
