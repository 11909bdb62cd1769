"""Progress bars that leave nothing in the built book, and the estimate printed before a long run."""
import io
import json
from pathlib import Path

import pytest

from lecturelib import data, models, presets, progress, train
from lecturelib.callbacks import RunEstimate

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ the estimate

def test_the_clock_announces_a_long_run_once_with_preset_and_device():
    out = io.StringIO()
    clock = progress.RunClock(1000, label="BS 64, lr 0.01", evaluations=3, eval_seconds=2.0, preset="quick",
                              device="cpu", out=out)
    clock.step(5, 0.5)                 # under MEASURE_S: not measured yet
    assert clock.pending and out.getvalue() == ""
    clock.step(20, 2.4)                # 0.12 s per step x 1000 + 3 x 2 s = 126 s
    assert clock.estimate == pytest.approx(126.0)
    assert out.getvalue().startswith("BS 64, lr 0.01: about 2 minutes at preset quick on CPU (")
    assert "; measured 120 ms per step over the first 20 steps, 1,000 steps in all" in out.getvalue()
    clock.step(40, 4.8)
    clock.finish_epoch(100, 12.0)
    assert out.getvalue().count("about") == 1   # once per run


def test_a_short_run_says_nothing():
    out = io.StringIO()
    clock = progress.RunClock(100, label="short", preset="ci", out=out)
    clock.finish_epoch(10, 0.05)       # the first epoch ended before MEASURE_S: estimate from it
    assert clock.estimate == pytest.approx(0.5) and clock.message is None and out.getvalue() == ""


def test_a_disabled_clock_measures_nothing():
    clock = progress.RunClock(100, label="x", preset="ci", enabled=False, threshold=0.0)
    clock.step(10, 100.0)
    clock.finish_epoch(10, 100.0)
    assert clock.estimate is None and clock.message is None


@pytest.mark.parametrize("seconds, text", [(0, "about 1 minute"), (89, "about 1 minute"), (91, "about 2 minutes"),
                                           (3000, "about 50 minutes"), (5400, "about 2 hours"),
                                           (30000, "about 8 hours")])
def test_describe_minutes(seconds, text):
    assert progress.describe_minutes(seconds) == text


def test_device_label():
    assert progress.device_label("cpu").startswith("CPU (") and "thread" in progress.device_label()


@pytest.fixture(scope="module")
def small():
    return data.mnist(train_limit=512, test_limit=256)


def test_fit_prints_the_estimate_before_a_long_run(small, monkeypatch, capsys):
    monkeypatch.setenv("LECTURELIB_PRESET", "ci")
    monkeypatch.setattr(progress, "ANNOUNCE_ABOVE_S", 0.0)   # every run counts as long here
    monkeypatch.setattr(progress, "MEASURE_S", 0.0)          # estimate after the first step
    presets.set_seed(0)
    train.fit(models.MLP(784, (16,), 10), small, lr=0.05, batch_size=64, epochs=2, label="demo run")
    line = capsys.readouterr().out.strip()
    assert line.startswith("demo run: about 1 minute at preset ci on CPU (")
    assert "over the first 1 steps, 16 steps in all" in line
    presets.set_seed(0)
    train.fit(models.MLP(784, (16,), 10), small, lr=0.05, batch_size=64, epochs=1,
              callbacks=[RunEstimate(enabled=False)])
    assert capsys.readouterr().out == ""


def test_fit_says_nothing_about_a_short_run(small, capsys):
    presets.set_seed(0)
    train.fit(models.MLP(784, (16,), 10), small, lr=0.05, batch_size=64, epochs=1)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"total": -1}, ValueError, "total must be >= 0"),
    ({"total": 3, "desc": 1}, TypeError, "desc must be a str"),
    ({"total": 3, "initial": -2}, ValueError, "initial must be >= 0"),
    ({"total": 3, "enabled": "yes"}, TypeError, "enabled must be True or False"),
    ({"total": 3, "notebook": 1}, TypeError, "notebook must be True or False"),
])
def test_progress_bar_bad_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        progress.progress_bar(**kwargs)


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"total_steps": -1, "label": "x"}, ValueError, "total_steps must be >= 0"),
    ({"total_steps": 3, "label": 2}, TypeError, "label must be a str"),
    ({"total_steps": 3, "label": "x", "eval_seconds": -1.0}, ValueError, "eval_seconds must be >= 0"),
    ({"total_steps": 3, "label": "x", "threshold": "60"}, TypeError, "threshold must be a number"),
])
def test_run_clock_bad_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        progress.RunClock(**kwargs, preset="ci")


def test_run_estimate_rejects_a_non_bool(small):
    with pytest.raises(TypeError, match="enabled must be True or False"):
        RunEstimate(enabled=1)


def test_outside_a_kernel_the_bar_is_text_on_stderr(capsys):
    bar = progress.progress_bar(4, desc="plain")
    for _ in range(4):
        bar.update()
    bar.close()
    err = capsys.readouterr().err
    assert "plain: 100%" in err and "4/4" in err
    quiet = progress.progress_bar(4, enabled=False)
    quiet.update()
    quiet.close()
    assert capsys.readouterr().err == ""


def test_progress_bars_are_made_in_one_place():
    """Every progress bar goes through lecturelib.progress, so none can leave text in the book."""
    users = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "lecturelib").rglob("*.py"))
             if "tqdm" in p.read_text() and p.name != "progress.py"]
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
        if "tqdm" in code:
            users.append(nb.relative_to(ROOT).as_posix())
    assert users == [], f"use lecturelib.progress.progress_bar instead of tqdm in {users}"
