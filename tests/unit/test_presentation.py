"""plots, report and widgets: they build without a display and reject bad input."""
import matplotlib

matplotlib.use("Agg")

import pytest

from lecturelib import data, models, plots, presets, report, train, widgets
from lecturelib.experiments import batch_size as bs

pytestmark = pytest.mark.colab  # plots and widgets under Colab's matplotlib and ipywidgets: `make colab-check`


@pytest.fixture(scope="module")
def histories():
    d = data.mnist(train_limit=256, test_limit=128)
    out = {}
    for b in (32, 128):
        presets.set_seed(0)
        out[plots.label(b, 0.05)] = train.fit(models.MLP(784, (16,), 10), d, lr=0.05, batch_size=b, epochs=2)
    return out


def test_curves_and_bars_draw_one_line_per_run(histories):
    ax = plots.curves(histories, "test_acc", x="samples", skip_first=True)
    assert len(ax.lines) == 2 and ax.get_ylabel() == "test accuracy (%)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["BS 32, lr 0.05", "BS 128, lr 0.05"]
    assert len(plots.final_bars(list(histories.values()), "test_acc").patches) == 2


def test_label_names_batch_size_lr_and_optimizer():
    assert plots.label(64, 0.01) == "BS 64, lr 0.01"
    assert plots.label(64, 0.001, "adam") == "adam, BS 64, lr 0.001"


def test_plots_bad_input(histories):
    with pytest.raises(ValueError, match="x must be one of 'epoch', 'steps', 'samples', 'seconds'; got 'time'"):
        plots.curves(histories, "test_acc", x="time")
    with pytest.raises(TypeError, match="histories must be a dict"):
        plots.curves("runs", "test_acc")
    with pytest.raises(ValueError, match="at least one History"):
        plots.curves({}, "test_acc")
    with pytest.raises(TypeError, match=r"histories\['a'\] must be a lecturelib.train.History"):
        plots.curves({"a": 1}, "test_acc")


def test_importance_bars_draw_one_bar_per_hyperparameter_and_evaluator():
    imp = {"fANOVA": {"lr": 0.7, "width": 0.2, "eps": 0.1}, "MDI": {"lr": 0.5, "eps": 0.3, "width": 0.2}}
    ax = plots.importance_bars(imp, labels={"lr": "learning rate"})
    assert len(ax.patches) == 6
    at = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))
    assert at["learning rate"] > at["width"] > at["eps"]       # the first evaluator's order, top down
    with pytest.raises(ValueError, match="every evaluator must rank the same hyperparameters"):
        plots.importance_bars({"a": {"lr": 1.0}, "b": {"width": 1.0}})
    with pytest.raises(ValueError, match="at least one evaluator"):
        plots.importance_bars({})
    with pytest.raises(TypeError, match="importances must be a dict"):
        plots.importance_bars([0.5])
    with pytest.raises(TypeError, match=r"importances\['a'\] must be a dict"):
        plots.importance_bars({"a": [0.5]})


def test_report_table():
    md = report.table(["a", "b"], [[1, report.pct(0.5)]])
    assert md.data.splitlines() == ["| a | b |", "|---|---|", "| 1 | 50.00 % |"]
    with pytest.raises(ValueError, match=r"rows\[0\] has 1 cells, the header has 2"):
        report.table(["a", "b"], [[1]])


def test_explorer_builds_and_trains_without_a_display(monkeypatch):
    monkeypatch.setenv("LECTURELIB_PRESET", "ci")
    e = widgets.batch_size_explorer(epochs=1)
    assert e.batch_size.value == 64 and e.lr.value == pytest.approx(0.01)
    e.batch_size.value = 1024
    e.train_button.click()          # the Train button, as a user would press it
    assert list(e.histories) == ["BS 1024, lr 0.01, 1 ep"]
    assert "test accuracy" in e.status.value and not e.train_button.disabled
    e.lr.value = 0.1
    e.train_button.click()
    assert len(e.histories) == 2    # runs accumulate and are overlaid
    e.clear_button.click()
    assert e.histories == {}


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"batch_size": 100}, ValueError, "batch_size must be a power of two from 1 to 4096, got 100"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"seed": -2}, ValueError, "seed must be >= 0"),
])
def test_explorer_bad_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        widgets.batch_size_explorer(**kwargs)


def test_experiment_configs_follow_the_preset():
    full = bs.scale("full")
    assert full.hidden == (1024, 1024) and full.epochs == 30 and full.train_limit is None
    specs = bs.generalization_runs(full)
    assert [(s.schedule[0].batch_size, s.schedule[0].lr, s.epochs) for s in specs] == \
        [(64, 0.01, 30), (256, 0.01, 30), (1024, 0.01, 30), (1024, 0.1, 30)]
    switch = bs.switching_runs(full)
    assert [s.epochs for s in switch] == [31, 60, 60, 60]
    assert all(s.optimizer == "sgd" for s in specs + switch)
    assert bs.scale("ci").epochs < bs.scale("quick").epochs < full.epochs


def test_experiment_bad_arguments():
    with pytest.raises(ValueError, match="preset must be one of ci, quick, full; got 'tiny'"):
        bs.scale("tiny")
    with pytest.raises(TypeError, match="s must be a lecturelib.experiments.batch_size.Scale"):
        bs.generalization_runs("ci")
    with pytest.raises(TypeError, match="spec must be a lecturelib.experiments.batch_size.Run"):
        bs.run("BS 64")
    with pytest.raises(ValueError, match="lr must be > 0.0"):
        bs.sgd_run(64, 0.0, 3)
    with pytest.raises(TypeError, match=r"specs\[1\] must be a lecturelib.experiments.batch_size.Run"):
        bs.run_all([bs.sgd_run(64, 0.01, 1), None])


def test_every_widget_displays_itself_in_a_notebook():
    # Each chapter's widget is shown by leaving it as a cell's last expression.
    for name in ("BatchSizeExplorer", "GradientNormExplorer", "PaddingVisualizer", "BatchNormExplorer",
                 "LatentExplorer", "AutoencoderTrainer", "SamplingExplorer"):
        assert callable(getattr(getattr(widgets, name), "_ipython_display_", None)), name


def test_autoencoder_figures_draw_from_made_up_results():
    import numpy as np
    from lecturelib.train import History
    study = {"errors": {2: 0.5, 8: 0.3}, "pca_errors": {2: 0.55, 8: 0.35}, "mean_image": 0.7,
             "global_mean": 0.95}
    ax = plots.code_size_errors(study)
    assert len(ax.lines) == 4 and ax.get_xscale() == "log"       # AE, PCA and the two baselines
    rows = [{"k": 2, "angles": np.array([3.0, 60.0])}, {"k": 3, "angles": np.array([1.0, 2.0, 9.0])}]
    assert len(plots.principal_angles(rows).lines) == 2
    h = {b: (None, History("x", {}, values={"test_kl": [kl], "test_recon": [r]}))
         for b, kl, r in ((0.5, 20.0, 110.0), (2.0, 8.0, 140.0))}
    ax = plots.rate_distortion(h)
    assert list(ax.lines[0].get_xdata()) == [20.0, 8.0] and len(ax.texts) == 2


@pytest.mark.parametrize("call, match", [
    (lambda: plots.code_size_errors({"errors": {}}), "study must be a dict with errors"),
    (lambda: plots.principal_angles([]), "rows must be a non-empty list"),
    (lambda: plots.principal_angles([{"k": 2}]), "rows must be a non-empty list"),
    (lambda: plots.rate_distortion({}), "betas must be a non-empty dict"),
])
def test_autoencoder_figures_bad_input(call, match):
    with pytest.raises(TypeError, match=match):
        call()
