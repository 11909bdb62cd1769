"""The live widgets in a real Jupyter client: JupyterLab's front-end, the comm, the kernel.

For each chapter a small notebook builds the chapter's widget at the ``ci`` preset (the
server's environment); the test opens it in JupyterLab in Chromium, runs every cell, moves
a slider with the keyboard or clicks a button, and checks that the widget's image changes
pixel by pixel. Then, for every notebook, that no output shows an error, the browser
console logged none, and the server's log (where the kernel writes an exception raised in a
widget callback) holds no traceback.

    make live         # JupyterLab 4 + ipywidgets 8 from .venv
    make colab-check  # the same test in .venv-colab: ipywidgets 7.7.1 in JupyterLab 3 (jupyterlab_widgets 1.x)
"""
from __future__ import annotations

import numpy as np
import pytest

from . import lab

# console.error lines that are JupyterLab's own, whatever the notebook does (checked once, listed here).
BENIGN_CONSOLE: list = []

# The first cell of every notebook (test instrumentation, not course code): an exception in a
# button's callback is shown by ipywidgets with IPython's showtraceback, which JupyterLab routes to
# no cell (the comm message that ran it belongs to none). This also writes it to the kernel's
# stderr, i.e. the server's log, which the test reads. An exception in a slider's observer is
# logged there by the kernel already; one inside a widget's Output context shows in that output.
WATCH_CALLBACKS = (
    "import sys, traceback\n"
    "_ip = get_ipython()\n"
    "_show = _ip.showtraceback\n"
    "def _show_and_log(*args, **kwargs):\n"
    "    traceback.print_exc(file=sys.__stderr__)\n"
    "    return _show(*args, **kwargs)\n"
    "_ip.showtraceback = _show_and_log"
)

NOTEBOOKS = {
    # conv_padding: the padding visualizer only redraws; nothing trains.
    "conv_padding": [
        WATCH_CALLBACKS,
        "from lecturelib import widgets\n"
        "visualizer = widgets.padding_visualizer(dims=\"2-D\", input_size=5, kernel_size=3, mode=\"same\")\n"
        "visualizer",
    ],
    # batch_size: the explorer trains a run at ci on each click of Train; a progress bar runs in a cell.
    "batch_size": [
        WATCH_CALLBACKS,
        "from lecturelib import widgets, presets, train, data, models\n"
        "from lecturelib.callbacks import ProgressBar\n"
        "explorer = widgets.batch_size_explorer(batch_size=64, lr=0.01, epochs=1)\n"
        "explorer",
        "presets.set_seed(0)\n"
        "history = train.fit(models.MLP(784, (16,), 10), data.mnist(train_limit=512, test_limit=256),\n"
        "                    lr=0.05, epochs=2, label='a run with a progress bar', callbacks=[ProgressBar()])",
    ],
}


@pytest.fixture(scope="module")
def notebooks(server):
    return {name: lab.write_notebook(server.root / f"live_{name}.ipynb", cells).name
            for name, cells in NOTEBOOKS.items()}


def pixels_differ(a: str, b: str) -> float:
    """The share of pixels that differ between two inline PNGs (1.0 when the sizes differ)."""
    pa, pb = lab.png_pixels(a), lab.png_pixels(b)
    if pa.shape != pb.shape:
        return 1.0
    return float(np.any(pa != pb, axis=-1).mean())


def assert_clean(nb: lab.LabPage):
    problems = nb.problems()
    assert problems == [], "errors in the browser, the outputs or the server's log:\n  " + "\n  ".join(problems)


def test_the_server_runs_the_expected_front_end(server):
    v = server.versions()
    print(f"live test front-end: {v}")
    major = int(v["ipywidgets"].split(".")[0])
    # ipywidgets 8 needs jupyterlab_widgets 3; ipywidgets 7 is served by jupyterlab_widgets 1 in JupyterLab 3.
    assert (major, int(v["jupyterlab_widgets"].split(".")[0]), int(v["jupyterlab"].split(".")[0])) in {
        (8, 3, 4), (7, 1, 3)}, v


def test_padding_visualizer_redraws_when_a_slider_moves(context, server, notebooks):
    nb = lab.LabPage(context, server, notebooks["conv_padding"], benign_console=BENIGN_CONSOLE)
    nb.run_all()
    w = nb.widget(0)
    assert nb.problems() == []
    first = nb.wait_image_change(w, None)
    kernel = nb.slider(w, "kernel size")
    assert nb.readout(kernel).strip() == "3"
    nb.press_on_slider(kernel, "ArrowRight")
    second = nb.wait_image_change(w, first)
    assert nb.readout(kernel).strip() == "4"
    assert pixels_differ(first, second) > 0.001, "the figure's pixels did not change with the kernel size"
    step = nb.slider(w, "output #")
    nb.press_on_slider(step, "ArrowRight")
    third = nb.wait_image_change(w, second)
    assert nb.readout(step).strip() == "1"
    assert pixels_differ(second, third) > 0.001, "the figure's pixels did not change with the output step"
    status = w.locator(".widget-label").filter(has_text="output size").first.inner_text()
    # the kernel's status for kernel size 4 (one redraw per move: tests/unit/test_widgets_padding.py)
    assert "((1, 2), (1, 2)); output size (5, 5)" in status, status
    nb.screenshot("conv_padding")
    assert_clean(nb)
    nb.close()


def test_batch_size_explorer_trains_on_click_and_draws_each_run(context, server, notebooks):
    nb = lab.LabPage(context, server, notebooks["batch_size"], benign_console=BENIGN_CONSOLE)
    nb.run_all()
    w = nb.widget(0)
    assert nb.problems() == []
    assert nb.image_src(w) is None   # no run yet: nothing drawn
    status = w.locator(".widget-label").filter(has_text="preset ci").first
    assert "press Train" in status.inner_text()
    nb.click(w, "Train")
    first = nb.wait_image_change(w, None, timeout=60_000)
    w.locator(".widget-label", has_text="test accuracy").first.wait_for()
    assert "BS 64, lr 0.01: test accuracy" in w.locator(".widget-label", has_text="test accuracy").first.inner_text()
    size = nb.slider(w, "batch size")
    assert nb.readout(size).strip() == "64"
    nb.press_on_slider(size, "ArrowRight")
    assert nb.readout(size).strip() == "128"
    nb.click(w, "Train")
    second = nb.wait_image_change(w, first, timeout=60_000)
    w.locator(".widget-label", has_text="BS 128").first.wait_for()
    assert pixels_differ(first, second) > 0.001, "the figure did not change after a second run"
    # The progress bar of the second cell: a live widget bar at 100 %, and no text bar anywhere.
    bar_cell = nb.panel.locator(".jp-CodeCell").nth(2)
    assert bar_cell.locator(".jp-OutputArea-output .widget-progress, .jp-OutputArea-output progress, "
                            ".jp-OutputArea-output .progress-bar").count() >= 1, "no live progress bar"
    texts = " ".join(o["text"] for o in nb.outputs())
    assert "%|" not in texts, "a progress bar left text in an output"
    nb.screenshot("batch_size")
    assert_clean(nb)
    nb.close()
