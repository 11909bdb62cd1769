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


def test_lr1_reading_rows_and_verdict_on_a_linear_ridge():
    g = small_grid()
    best = {16: 0.1, 32: 0.2, 64: 0.4}
    assert L.exponent_up_to_peak(best) == (pytest.approx(1.0), 64)
    k, peak = L.exponent_up_to_peak({16: 0.4, 32: 0.2})
    assert np.isnan(k) and peak == 16
    rows = L.best_lr_rows(g, best)
    assert rows[0] == [16, "0.1", "0.1", "1.00", "92.00 %"] and rows[2][1] == "0.4 (grid edge)"
    assert len(L.best_lr_rows(g, best, sqrt_rule=True)[2]) == len(L.LR2_HEADERS)
    assert L.best_lr_rows(g, best, sqrt_rule=True)[2][2] == "0.2"       # 0.1 * sqrt(4)
    assert L.lr1_reading("SGD", best).startswith("**SGD**: best lr ∝ B^k with k = 1.00 from B = 16 up to B = 64")
    assert L.lr1_verdict(best).startswith("**holds**: the best lr rises from 0.1 at B = 16 to 0.4 at B = 64")
    assert L.lr1_verdict({16: 0.1, 32: 0.2, 64: 0.15}).startswith("**holds with a caveat**")
    assert L.lr1_verdict({16: 0.4, 32: 0.2}).startswith("**does not hold**")
    assert L.warmup_effect({16: 0.1, 32: 0.2}, {16: 0.1, 32: 0.4}) == \
        "warm-up: highest best lr 0.4 against 0.2 without; k up to the peak 2.00 against 1.00"


def test_lr2_verdict_follows_the_exponent():
    assert L.closer_rule(0.45) == "square-root" and L.closer_rule(0.9) == "linear"
    assert L.closer_rule(float("nan")) == "linear"
    assert L.lr2_verdict({16: 0.1, 64: 0.2}) == "**holds**"                 # k = 0.5
    assert L.lr2_verdict({16: 0.1, 64: 0.1 * 4 ** 0.7}) == "**holds with a caveat**"
    assert L.lr2_verdict({16: 0.1, 64: 0.4}) == "**does not hold**"         # k = 1
    text = L.lr2_reading({16: 0.1, 64: 0.2}, {16: 0.1, 64: 0.4})
    assert "k = 0.50 up to B = 64" in text and "SGD's ridge is steeper" in text and text.endswith("Verdict: **holds**.")


def test_lr3_rows_and_verdict():
    g = small_grid()
    assert L.ridge_upto((16, 32, 64), 40.0) == 32 and L.ridge_upto((16, 32, 64), 5.0) == 32
    assert L.ridge_headers((16, 32, 64), 32)[1] == "tuned accuracy per B (16 / 32 / 64)"
    (row,) = L.ridge_rows([g], 32)
    assert row == ["SGD", "92.0 / 93.0 / 94.0", "1.0 (B ≤ 32) / 2.0 (all)", "0.1", "2.0 (B ≤ 32)"]
    assert L.lr3_verdict(g, 32).startswith("**holds**: up to B = 32 the tuned accuracies are within 1.0 points")
    assert L.lr3_verdict(g, 32, close=0.015).startswith("**holds with a caveat**")
    assert L.lr3_verdict(g, 32, close=0.005).startswith("**does not hold** in this budget")


def test_bs12_ratios_rows_and_verdict():
    runs = small_runs()
    assert L.target_rows(runs, 500)[-1] == [512, "3.2", "> 500", "—", "nan"]
    ratios = L.doubling_ratios(runs)
    assert [(b1, b2) for b1, b2, _ in ratios] == [(16, 32), (32, 64), (64, 128), (128, 256)]
    assert [r[2] for r in L.doubling_rows(ratios)] == ["≈ perfect (2)", "≈ perfect (2)", "flat", "flat"]
    q_small, q_large = L.mean_doubling_ratios(ratios, 64)
    assert q_small == pytest.approx(2.0) and q_large == pytest.approx((100 / 90 + 90 / 85) / 2)
    assert np.isnan(L.mean_doubling_ratios(ratios, 8)[0])
    assert L.fastest_run(runs).batch_size == 16 and L.fastest_run(runs, by="samples").batch_size == 16
    assert L.fastest_run(runs, by="steps").batch_size == 256
    assert L.bs12_verdict(2.0, 1.1) == "**holds**" and L.bs12_verdict(1.55, 1.1) == "**holds with a caveat**"
    assert L.bs12_verdict(float("nan"), 1.1) == "**does not hold**" and L.bs12_verdict(2.0, float("nan")) == "**holds**"
    text = L.bs12_reading(runs, {"B_crit": 64.0}, 128.0)
    assert text.startswith("Verdict: **holds**. Below B_crit ≈ 64") and "0.50× the measured noise scale" in text
    assert text.endswith("(0.16 s against 0.16 s at B = 16 and 0.32 s at B = 32).")


def test_bs13_ball_and_schedule_summaries():
    ball = {4: {"dist": 4.0, "gap": 1e-2, "steps": 1000}, 16: {"dist": 2.0, "gap": 1e-3, "steps": 1000},
            64: {"dist": 1.0, "gap": 1e-4, "steps": 1024}}
    assert L.noise_ball_rows(ball)[2] == [64, "1,024", "1.0000", "1.00e-04"]
    assert L.noise_ball_slope(ball) == pytest.approx(-0.5) and L.noise_ball_shrinks(ball)
    assert not L.noise_ball_shrinks({**ball, 256: {"dist": 1.5, "gap": 0.0, "steps": 1}})
    assert L.noise_ball_reading(ball) == ("distance falls with every step up in batch size: True; log-log slope -0.50, "
                                          "close to the -0.5 of the small-noise estimate ‖θ − θ*‖² ∝ lr/B")
    sched = small_sched()
    assert L.schedule_rows(sched)[1] == ["growing batch", "150", "0.1200", "1.44e-02", "89.00 %"]
    assert L.schedule_ratios(sched) == (pytest.approx(0.75), pytest.approx(1.2))
    assert L.bs13_verdict(True, 1.2) == "**holds**" and L.bs13_verdict(True, 2.0) == "**holds with a caveat**"
    assert L.bs13_verdict(False, 1.0) == "**does not hold**" and L.bs13_verdict(True, 3.0) == "**does not hold**"


def test_new_lr_scaling_figures_draw_on_the_given_axes():
    from lecturelib import plots

    fig, (a, b, c, d) = plots.axes(4)
    runs = small_runs()
    assert plots.steps_to_target(runs, {"S_min": 50.0, "B_crit": 64.0}, 128.0, target=0.85, ax=a) is a
    assert len(a.lines) == 5 and a.get_ylabel() == "steps to 85.00 % test accuracy"
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
    (lambda: L.best_lr_rows(small_grid(), {16: 0.1, 32: 0.2, 64: 0.4}, sqrt_rule=1), TypeError,
     r"sqrt_rule must be True or False"),
    (lambda: L.lr1_reading(3, {16: 0.1, 32: 0.2}), TypeError, r"label must be a str, got int"),
    (lambda: L.lr1_verdict({16: 0.1}), ValueError, r"best must hold at least 2 batch sizes, got \[16\]"),
    (lambda: L.warmup_effect({16: 0.1}, []), TypeError, r"best must be a non-empty dict"),
    (lambda: L.closer_rule("0.5"), TypeError, r"k must be a number \(NaN allowed\), got '0.5'"),
    (lambda: L.lr2_verdict(None), TypeError, r"best must be a non-empty dict"),
    (lambda: L.lr2_reading({16: 0.1, 64: 0.2}, {}), TypeError, r"best must be a non-empty dict"),
    (lambda: L.ridge_upto((16,), 100.0), ValueError, r"batch_sizes must hold at least 2 batch sizes, got \[16\]"),
    (lambda: L.ridge_upto((16, 32), -1.0), ValueError, r"b_crit must be >= 0.0, got -1.0"),
    (lambda: L.ridge_headers((16, 32), 0), ValueError, r"upto must be >= 1, got 0"),
    (lambda: L.ridge_rows([{16: 0.1}], 32), TypeError, r"grids\[0\] must be a lecturelib.experiments.lr_scaling.Grid"),
    (lambda: L.lr3_verdict(small_grid(), 32, close=2.0), ValueError, r"close must be <= 1.0, got 2.0"),
    (lambda: L.target_rows(small_runs(), 0), ValueError, r"max_steps must be >= 1, got 0"),
    (lambda: L.target_rows({16: 400}, 500), TypeError, r"runs\[16\] must be a lecturelib.experiments.lr_scaling.TargetRun"),
    (lambda: L.doubling_ratios({16: L.TargetRun(16, 0.1, None, 0.0)}), ValueError, r"at least one run that reached"),
    (lambda: L.doubling_rows([[16, 32, 2.0]]), TypeError, r"ratios\[0\] must be a tuple \(B, next B, steps ratio\)"),
    (lambda: L.mean_doubling_ratios([(16, 32, 2.0)], "64"), TypeError, r"b_crit must be a number, got '64'"),
    (lambda: L.fastest_run(small_runs(), by="time"), ValueError, r"by must be one of 'seconds', 'samples', 'steps'; got 'time'"),
    (lambda: L.bs12_verdict(None, 1.0), TypeError, r"q_small must be a number \(NaN allowed\), got None"),
    (lambda: L.bs12_reading(small_runs(), {"B_crit": 64.0}, 0.0), ValueError, r"noise must be > 0.0, got 0.0"),
    (lambda: L.bs12_reading(small_runs(), {"B_crit": 64.0}, 1.0, compare=(16, 24)), ValueError,
     r"compare must be one of 16, 32, 64, 128, 256, 512; got 24"),
    (lambda: L.noise_ball_rows([]), TypeError, r"ball must be a non-empty dict"),
    (lambda: L.noise_ball_slope({16: {"dist": 1.0}}), ValueError, r"ball must hold at least 2 batch sizes, got \[16\]"),
    (lambda: L.noise_ball_shrinks({16: 1.0, 32: 0.5}), TypeError, r"ball\[16\] must be a dict with 'dist'"),
    (lambda: L.noise_ball_reading({}), TypeError, r"ball must be a non-empty dict"),
    (lambda: L.schedule_rows({"decaying lr": None}), ValueError, r"sched key must be one of 'decaying lr'; got 'growing batch'"),
    (lambda: L.schedule_ratios([]), TypeError, r"sched must be the dict of schedules, got list"),
    (lambda: L.bs13_verdict(1, 1.0), TypeError, r"shrinks must be True or False, got 1"),
    (lambda: L.bs13_verdict(True, -1.0), ValueError, r"ratio_dist must be >= 0.0, got -1.0"),
])
def test_new_table_and_verdict_functions_reject_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("call, exc, match", [
    (lambda p: p.steps_to_target({}, {"S_min": 1.0, "B_crit": 2.0}, 1.0, target=0.8), TypeError, r"runs must be a non-empty dict"),
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
