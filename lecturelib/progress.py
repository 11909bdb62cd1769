"""What a long run tells the student while it runs: a progress bar, and how long it will take.

``progress_bar`` is the one place the course makes a progress bar (``fit`` uses it;
use it for any other loop). In a Jupyter or Colab kernel it is tqdm's live widget
bar, but displayed here, with a display id, as a bundle whose text fallback is
empty once the bar closes. Jupyter and Colab draw the live widget; the built book
drops widget views (``_config.yml``) and so shows nothing where tqdm's own display
would leave its text fallback frozen at the moment the bar appeared
("0%| | 0/1000"). Outside a kernel it is tqdm's text bar on stderr.

``RunClock`` times the first steps of a run and, when the whole run will take more
than about a minute, prints once how long: "about 4 minutes at preset quick on CPU
(2 threads)", from the measured seconds per step (as ``lecturelib.bench`` does
from seconds per epoch).
"""
from __future__ import annotations

import sys

import torch

from ._checks import check_bool, check_float, check_int, check_type

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What the bar's display shows to a client that cannot draw the widget (the book,
# a static viewer) once the bar has closed: nothing. text/html outranks text/plain
# in the book's HTML output, and an empty raw-HTML output renders as no element,
# where an empty text/plain would render as an empty code box.
FINISHED_FALLBACK = {"text/html": "", "text/plain": ""}


def in_kernel() -> bool:
    """True inside a Jupyter/Colab kernel that can show ipywidgets (the test tqdm.auto uses)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    ip = get_ipython()
    if ip is None or "IPKernelApp" not in getattr(ip, "config", {}):
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:  # pragma: no cover
        return False
    return True


def progress_bar(total: int, *, desc: str = "", initial: int = 0, enabled: bool = True, notebook: bool | None = None):
    """A tqdm progress bar over ``total`` steps (see the module's docstring).

    enabled: False gives a disabled bar (``update`` and ``close`` do nothing).
    notebook: force the kernel's widget bar (True) or the text bar (False);
    default: the widget bar inside a kernel, the text bar elsewhere.
    """
    total = check_int("total", total, low=0)
    check_type("desc", desc, str, "a str")
    initial = check_int("initial", initial, low=0)
    check_bool("enabled", enabled)
    if notebook is None:
        notebook = enabled and in_kernel()
    check_bool("notebook", notebook)
    if notebook and enabled:
        return _notebook_bar()(total=total, initial=initial, desc=desc, leave=True)
    from tqdm.std import tqdm
    return tqdm(total=total, initial=initial, desc=desc, disable=not enabled, leave=True, file=sys.stderr)


_BAR_CLASS = None


def _notebook_bar():
    """The widget bar class, built on first use (tqdm.notebook imports ipywidgets)."""
    global _BAR_CLASS
    if _BAR_CLASS is not None:
        return _BAR_CLASS
    from IPython.display import display
    from tqdm.notebook import tqdm as notebook_tqdm

    class NotebookBar(notebook_tqdm):
        """tqdm's widget bar, displayed as {widget view, text fallback} under one display id.

        While it runs, a client without widgets reads "<desc>: running"; when it
        closes, the display is updated so that the fallback is empty
        (``FINISHED_FALLBACK``) while the live widget view stays as it is.
        """

        def __init__(self, *args, **kwargs):
            super().__init__(*args, display=False, **kwargs)
            self.display_handle = display(self.bundle(finished=False), raw=True, display_id=True)
            self.displayed = True

        def bundle(self, finished: bool) -> dict:
            view = {"version_major": 2, "version_minor": 0, "model_id": self.container.model_id}
            fallback = FINISHED_FALLBACK if finished else {"text/plain": f"{self.desc or 'progress'}: running"}
            return {WIDGET_VIEW: view, **fallback}

        def close(self):
            if self.disable:
                return
            was_open = not getattr(self, "_ll_closed", False)
            super().close()
            if was_open:
                self._ll_closed = True
                self.display_handle.update(self.bundle(finished=True), raw=True)

    _BAR_CLASS = NotebookBar
    return NotebookBar


# ------------------------------------------------------------------ how long a run takes

ANNOUNCE_ABOVE_S = 60.0   # a run estimated to take longer than this is announced
MEASURE_S = 2.0           # seconds of training timed before the estimate


def device_label(device=None) -> str:
    """A short name of the device a run trains on: the GPU's name, or "CPU (N threads)"."""
    device = torch.device("cpu") if device is None else torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def describe_minutes(seconds: float) -> str:
    """'about 1 minute', 'about 4 minutes', 'about 2 hours' (rounded, at least 1)."""
    seconds = check_float("seconds", seconds, low=0.0)
    if seconds >= 5400:
        hours = round(seconds / 3600)
        return f"about {hours} hours"
    minutes = max(1, round(seconds / 60))
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


class RunClock:
    """Estimates a run's wall time from its first steps and announces a long one, once.

    total_steps: the optimizer steps the run will take; evaluations: how many
    evaluations it makes after its first steps, each taking ``eval_seconds`` (the
    one measured before training). Call ``step(steps_done, train_seconds)`` after
    each step; after ``measure`` seconds of training (default ``MEASURE_S``), or at
    ``finish_epoch``, it computes the estimate once, and prints it when it exceeds
    ``threshold`` seconds (default ``ANNOUNCE_ABOVE_S``).
    """

    def __init__(self, total_steps: int, *, label: str, evaluations: int = 0, eval_seconds: float = 0.0,
                 preset: str | None = None, device=None, threshold: float | None = None,
                 measure: float | None = None, enabled: bool = True, out=None):
        self.total_steps = check_int("total_steps", total_steps, low=0)
        self.label = check_type("label", label, str, "a str")
        self.evaluations = check_int("evaluations", evaluations, low=0)
        self.eval_seconds = check_float("eval_seconds", eval_seconds, low=0.0)
        if preset is None:
            from .presets import preset as active
            preset = active()
        self.preset = preset
        self.device = device_label(device)
        self.threshold = check_float("threshold", ANNOUNCE_ABOVE_S if threshold is None else threshold, low=0.0)
        self.measure = check_float("measure", MEASURE_S if measure is None else measure, low=0.0)
        self.enabled = check_bool("enabled", enabled)
        self.out = out
        self.estimate: float | None = None   # seconds, once made
        self.message: str | None = None      # what was printed, if anything

    @property
    def pending(self) -> bool:
        return self.enabled and self.estimate is None

    def step(self, steps_done: int, train_seconds: float) -> None:
        """After a step: ``steps_done`` steps of this run took ``train_seconds`` of training."""
        if self.pending and train_seconds >= self.measure and steps_done > 0:
            self._estimate(steps_done, train_seconds)

    def finish_epoch(self, steps_done: int, train_seconds: float) -> None:
        """At the end of the first epoch at the latest, estimate from what it took."""
        if self.pending and steps_done > 0:
            self._estimate(steps_done, train_seconds)

    def _estimate(self, steps_done: int, train_seconds: float) -> None:
        per_step = train_seconds / steps_done
        self.estimate = per_step * self.total_steps + self.eval_seconds * self.evaluations
        if self.estimate > self.threshold:
            self.message = (f"{self.label}: {describe_minutes(self.estimate)} at preset {self.preset} on "
                            f"{self.device}; measured {1000 * per_step:.3g} ms per step over the first "
                            f"{steps_done} steps, {self.total_steps:,} steps in all")
            print(self.message, file=self.out or sys.stdout, flush=True)

