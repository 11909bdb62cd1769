"""What every panel shares: the ``_Panel`` machinery (output area, display bundle, static twin),
``_RunsPanel`` for panels that collect trained runs, and the status-line helpers.
"""
from __future__ import annotations

from contextlib import contextmanager

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from .. import static
from ..presets import preset

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class _Panel:
    """What every widget here shares: a ``widget`` box, an ``output`` area, a notebook display.

    A panel with a kernel-free twin sets ``static_name`` (what the twin's slider
    moves) and ``static_alt`` (what its frames show) and implements
    ``static_frames()``. Displaying the panel then sends one output holding both
    the live widget and the twin: Jupyter and Colab draw the live widget, the
    book (which prefers HTML, see ``_config.yml``) draws the twin.
    """

    static_name = ""
    static_alt = ""
    _quiet = False  # True while the twin's frames are drawn: controls move without redrawing

    def show(self, fig) -> None:
        """Replace what the output area shows with ``fig``."""
        with self.output:
            self.output.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    @contextmanager
    def busy(self):
        """Grey out the Train button while a run trains, so one click is one run."""
        self.train_button.disabled = True
        try:
            yield
        finally:
            self.train_button.disabled = False

    def _changed(self, _change=None):
        if not self._quiet:
            self.redraw()

    def static_frames(self) -> list:
        """(label, Figure) pairs for the twin; empty for a panel without one."""
        return []

    def _sweep(self, settings) -> list:
        """Draw ``self.figure()`` once per setting and put every control back afterwards.

        settings: a list of (label, {control: value}); the controls move without
        redrawing the live output, so the twin costs one figure per frame.
        """
        controls = {c for _, values in settings for c in values}
        before = {c: c.value for c in controls}
        self._quiet = True
        try:
            frames = []
            for label, values in settings:
                for control, value in values.items():
                    control.value = value
                frames.append((label, self.figure()))
        finally:
            for control, value in before.items():
                control.value = value
            self._quiet = False
        return frames

    def static_html(self) -> str:
        """The twin as HTML (see ``lecturelib.static``), or "" for a panel without one."""
        frames = self.static_frames()
        if not frames:
            return ""
        note = (f"Precomputed at preset '{preset()}': each position of this slider shows a figure drawn "
                f"ahead of time. Run the notebook (e.g. in Colab) for the live widget.")
        return static.slider_html(frames, name=self.static_name, alt=self.static_alt, note=note)

    def _ipython_display_(self):
        bundle = {
            "text/plain": f"{type(self).__name__}: run this notebook to use the live widget",
            WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id},
        }
        twin = self.static_html()
        if twin:
            bundle["text/html"] = twin
        display(bundle, raw=True)


def _check_runs(runs) -> dict:
    """A copy of ``runs`` (label -> History) after checking it; {} for None."""
    from ..train import History
    if runs is None:
        return {}
    if not isinstance(runs, dict):
        raise TypeError(f"runs must be a dict of label -> History, got {type(runs).__name__}")
    for label, h in runs.items():
        if not isinstance(label, str) or not isinstance(h, History):
            raise TypeError(f"runs must map str labels to History objects, got {label!r}: {type(h).__name__}")
    return dict(runs)


def _outcome(history, *, short: bool = False) -> str:
    """What a status line says about a finished run: its test accuracy, or "diverged at step N"."""
    if history.diverged:
        return history.divergence
    acc = f"{100 * history.final('test_acc'):.2f} %"
    return acc if short else f"test accuracy {acc}"


class _RunsPanel(_Panel):
    """A panel that collects trained runs in ``histories`` (label -> History) and draws them all.

    Its twin highlights each run in turn; ``figure(highlight=label)`` is the subclass's drawing.
    """

    def _lay_out(self, controls) -> None:
        """Build ``widget``: the row of ``controls``, then Train, Clear runs and the status line,
        then the output area (the same frame for every panel that trains)."""
        self.train_button = W.Button(description="Train", button_style="primary", icon="play")
        self.clear_button = W.Button(description="Clear runs")
        self.status = W.Label(value=f"preset {preset()}: press Train")
        self.output = W.Output()
        self.train_button.on_click(lambda _: self.train())
        self.clear_button.on_click(lambda _: self.clear())
        self.widget = W.VBox([W.HBox(list(controls)),
                              W.HBox([self.train_button, self.clear_button, self.status]), self.output])

    def clear(self):
        self.histories.clear()
        self.redraw()

    def redraw(self):
        if not self.histories:
            self.output.clear_output()
            return
        self.show(self.figure())

    def static_frames(self) -> list:
        return [(label, self.figure(highlight=label)) for label in self.histories]
