"""A run whose training loss stops being finite is stopped at that step and reported, not drawn empty."""
import math

import matplotlib
import numpy as np
import pytest
import torch

from lecturelib import data, models, plots, presets, probes, train, widgets
from lecturelib.callbacks import Callback
from lecturelib.checkpoint import Checkpoint
from lecturelib.experiments import batch_size as bs_exp

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def small():
    return data.mnist(train_limit=512, test_limit=256)


def make_model(seed=0):
    presets.set_seed(seed)
    return models.MLP(784, (32,), 10)


class StepSpy(Callback):
    """Records the step number of every update fit makes."""
    def __init__(self):
        self.steps = []

    def on_step_end(self, run, xb, yb):
        self.steps.append(run.steps)


def first_bad_step(small, lr, batch_size=64):
    """The step whose loss is first non-finite, found by a loop written out here."""
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    step = 0
    for _ in range(3):
        for xb, yb in data.batches(small.x_train, small.y_train, batch_size, shuffle=True, generator=gen):
            step += 1
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            if not math.isfinite(loss.item()):
                return step
            opt.zero_grad()
            loss.backward()
            opt.step()
    return None


def test_fit_stops_at_the_step_the_loss_goes_non_finite(small):
    spy = StepSpy()
    h = train.fit(make_model(), small, lr=1e6, batch_size=64, epochs=3, callbacks=[spy])
    expected = first_bad_step(small, 1e6)
    assert expected is not None and expected > 1   # one finite step first, so "at the step" means something
    assert h.diverged and h.diverged_at == expected
    assert h.divergence == h.stopped == f"diverged at step {expected}"
    assert spy.steps == list(range(1, expected))           # no update with the bad loss, none after it
    assert h.steps == [0, expected - 1] and h.epoch == [0, 1]   # one entry: the model where it stopped
    assert h.config["diverged_at_epoch"] == 1
    assert not math.isfinite(h.final("train_loss"))


def test_divergence_in_a_later_epoch_is_found_mid_epoch(small):
    # A sane first epoch, then a schedule raises the lr in epoch 2.
    spy = StepSpy()
    h = train.fit(make_model(), small, schedule=[train.Phase(1, 64, 0.05), train.Phase(2, 64, 1e6)], callbacks=[spy])
    assert h.diverged and 8 < h.diverged_at <= 24          # 8 steps per epoch at 512 samples
    assert h.epoch[-1] == 2 and h.steps[-1] == h.diverged_at - 1 and spy.steps[-1] == h.diverged_at - 1


def test_a_healthy_run_is_not_marked(small):
    h = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=1)
    assert not h.diverged and h.diverged_at is None and h.divergence == "" and h.stopped is None
    assert "diverged_at_epoch" not in h.config


def test_diverged_at_survives_to_dict_and_from_dict(small):
    h = train.fit(make_model(), small, lr=1e6, batch_size=64, epochs=2)
    d = h.to_dict()
    assert d["diverged_at"] == h.diverged_at
    back = train.History.from_dict(d)
    assert back.diverged_at == h.diverged_at and back.divergence == h.divergence
    old = {k: v for k, v in d.items() if k not in ("diverged_at", "stopped")}   # written before both fields
    assert train.History.from_dict(old).diverged_at is None and train.History.from_dict(old).stopped is None
    older = {k: v for k, v in d.items() if k != "stopped"}   # written before History.stopped
    assert train.History.from_dict(older).stopped == h.divergence


def test_a_resumed_diverged_run_stays_diverged(small, tmp_path):
    ck = Checkpoint(tmp_path / "run.pt", {"run": "boom"})
    a = train.fit(make_model(), small, lr=1e6, batch_size=64, epochs=3, callbacks=[ck])
    b = train.fit(make_model(), small, lr=1e6, batch_size=64, epochs=3, callbacks=[ck])
    assert a.diverged and b.diverged_at == a.diverged_at and b.steps == a.steps and b.epoch == a.epoch
    assert b.stopped == a.stopped == a.divergence


def test_the_gpu_style_deferred_check_finds_the_exact_step():
    watch = train._DivergenceWatch(torch.device("cpu"))
    watch.lazy, watch._first_bad = True, torch.zeros((), dtype=torch.long)   # as on a GPU
    losses = [1.0, 2.0, float("nan"), float("inf"), 3.0]
    stopped = [watch.diverged(torch.tensor(x), step) for step, x in enumerate(losses, start=1)]
    assert stopped == [False] * 5 and watch.diverged_at is None   # not read yet: no stall per step
    watch.check()
    assert watch.diverged_at == 3
    many = train._DivergenceWatch(torch.device("cpu"))
    many.lazy, many._first_bad = True, torch.zeros((), dtype=torch.long)
    flags = [many.diverged(torch.tensor(float("nan") if s == 5 else 1.0), s) for s in range(1, 40)]
    assert flags.index(True) == many.GPU_EVERY - 1 and many.diverged_at == 5   # read every GPU_EVERY steps


def diverged_history(small):
    return train.fit(make_model(), small, lr=1e6, batch_size=64, epochs=2, label="lr 1e6",
                     callbacks=[probes.WeightGeometry()])


def test_curves_say_diverged_instead_of_drawing_nothing(small):
    h = diverged_history(small)
    ok = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=1)
    for key, x in (("train_loss", "steps"), ("test_acc", "epoch")):
        ax = plots.curves({"lr 1e6": h, "lr 0.05": ok}, key, x=x, skip_first=(key == "test_acc"))
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == [f"lr 1e6 ({h.divergence})", "lr 0.05"]
        assert any(t.get_text() == h.divergence for t in ax.texts), key
        matplotlib.pyplot.close(ax.figure)


def test_final_bars_print_the_divergence_not_a_number(small):
    h = diverged_history(small)
    ok = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=1)
    ax = plots.final_bars({"lr 1e6": h, "lr 0.05": ok}, "test_acc")
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == h.divergence and labels[1] == f"{100 * ok.final('test_acc'):.2f}"
    matplotlib.pyplot.close(ax.figure)


def test_lr_grid_marks_diverged_cells():
    from lecturelib.experiments import lr_scaling as L
    acc = np.array([[0.5, 0.8, 0.1], [0.4, 0.7, 0.1]])
    g = L.Grid("sgd", False, (16, 32), (0.1, 0.2, 0.4), acc, np.ones_like(acc), diverged=np.array([[0, 0, 7], [0, 0, 3]]))
    ax = plots.lr_grid(g)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["50.0", "80.0", "× 7", "40.0", "70.0", "× 3"]
    assert "× N: diverged at step N" in [t.get_text() for t in ax.get_legend().get_texts()]
    matplotlib.pyplot.close(ax.figure)


def test_the_grid_records_each_runs_divergence(monkeypatch):
    from lecturelib.experiments import lr_scaling as L
    s = L.scale("ci")
    calls = []

    def fake_run(s_, optimizer, b, lr, warmup=False, seed=0):
        calls.append((b, lr))
        h = train.History(label="x", config={}, seconds=[0.0, 1.0], values={"test_acc": [0.1, 0.9]})   # no config key
        if lr == max(s.sgd_lrs):
            h.diverged_at, h.values["test_acc"][-1] = 11, 0.098
        return h

    # grid calls run and fills _GRIDS in the runs module: patch there (a patch on the package misses them).
    monkeypatch.setattr(L.runs, "run", fake_run)
    monkeypatch.setattr(L.runs, "_GRIDS", {})
    g = L.grid(s)
    j = s.sgd_lrs.index(max(s.sgd_lrs))
    assert (g.diverged[:, j] == 11).all() and (np.delete(g.diverged, j, axis=1) == 0).all()
    assert (g.acc[:, j] == 0.1).all()   # counted as chance, as before


def test_the_explorer_status_says_diverged(monkeypatch, small):
    h = diverged_history(small)
    monkeypatch.setattr(bs_exp, "run", lambda *a, **k: h)
    ex = widgets.batch_size_explorer(batch_size=64, lr=1.0, epochs=1)
    ex.train()
    assert ex.status.value.endswith(f": {h.divergence}")
    assert widgets._outcome(h) == h.divergence and widgets._outcome(h, short=True) == h.divergence


def test_the_lr_explorer_marks_diverged_cells_like_the_heat_map():
    from lecturelib.experiments import lr_scaling as L
    acc = np.array([[0.5, 0.8, 0.1], [0.4, 0.7, 0.1]])
    g = L.Grid("sgd", False, (16, 32), (0.1, 0.2, 0.4), acc, np.ones_like(acc), diverged=np.array([[0, 0, 7], [0, 0, 3]]))
    ex = widgets.lr_scaling_explorer(g, batch_size=32)
    fig = ex.figure(32)
    ax = fig.axes[0]
    assert "× 3" in [t.get_text() for t in ax.texts]
    assert "× N: diverged at step N" in [t.get_text() for t in ax.get_legend().get_texts()]
    matplotlib.pyplot.close(fig)
