"""The batch-size chapters' panels: the batch-size explorer (trains on a button) and the
gradient-norm explorer (redraws from samples already drawn; nothing trains)."""
from __future__ import annotations

import ipywidgets as W

from .. import plots
from .._checks import check_int
from ..experiments import batch_size as bs_exp
from . import examples
from .base import _check_runs, _outcome, _Panel, _RunsPanel
from .registry import register

BATCH_SIZES = tuple(2 ** k for k in range(0, 13))  # 1 ... 4096


class BatchSizeExplorer(_RunsPanel):
    """Batch size, learning rate and epochs, and a Train button.

    Each click trains one run at the active preset's scale and overlays its test
    accuracy and distance from init on the runs before it. ``runs`` (label ->
    History, e.g. the chapter's own runs) are shown from the start, and the
    book's twin steps through them. ``widget`` is the ipywidgets box; the object
    also displays itself in a notebook.
    """

    static_name = "run"
    static_alt = "Test accuracy (left) and distance from the initial weights (right) per epoch, one run highlighted"

    def __init__(self, *, batch_size: int = 64, lr: float = 0.01, epochs: int | None = None, seed: int = 0,
                 runs: dict | None = None):
        self.scale = bs_exp.scale()
        epochs = self.scale.epochs if epochs is None else check_int("epochs", epochs, low=1, high=200)
        if batch_size not in BATCH_SIZES:
            raise ValueError(f"batch_size must be a power of two from 1 to 4096, got {batch_size!r}")
        self.seed = check_int("seed", seed, low=0)
        self.histories: dict = _check_runs(runs)
        style = {"description_width": "110px"}
        self.batch_size = W.SelectionSlider(options=BATCH_SIZES, value=batch_size,
                                            description="batch size", style=style)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.25,
                                   description="learning rate", style=style, readout_format=".4f")
        self.epochs = W.IntSlider(value=epochs, min=1, max=max(60, epochs), description="epochs", style=style)
        self._lay_out([self.batch_size, self.lr, self.epochs])
        self.redraw()

    def train(self):
        """Train one run with the current slider values and redraw."""
        spec = bs_exp.sgd_run(self.batch_size.value, self.lr.value, self.epochs.value)
        self.status.value = f"training {spec.label} for {spec.epochs} epochs…"
        with self.busy(), self.output:
            history = bs_exp.run(spec, self.scale, seed=self.seed, progress=True)
        self.histories[f"{spec.label}, {spec.epochs} ep"] = history
        self.status.value = f"{spec.label}: {_outcome(history)}"
        self.redraw()
        return history

    def figure(self, highlight: str | None = None):
        """Every run's test accuracy and distance from init; ``highlight`` names one to stand out."""
        fig, (left, right) = plots.axes(2)
        plots.curves(self.histories, "test_acc", ax=left, skip_first=True, title="test accuracy", highlight=highlight)
        plots.curves(self.histories, "dist_w", ax=right, title="distance from the initial weights",
                     highlight=highlight)
        return fig


@register(BatchSizeExplorer, frames=2, example=lambda: batch_size_explorer(runs=examples.runs()))
def batch_size_explorer(**kwargs) -> BatchSizeExplorer:
    """Build the batch-size explorer (see ``BatchSizeExplorer``)."""
    return BatchSizeExplorer(**kwargs)


class GradientNormExplorer(_Panel):
    """How the mini-batch gradient norm is distributed, one batch size at a time.

    ``samples`` maps a regime name (e.g. "early", "late") to a ``GradientSamples``.
    Moving the slider only redraws from the samples already drawn; nothing trains.
    """

    def __init__(self, samples: dict, *, batch_size: int | None = None):
        from ..gradient_samples import GradientSamples
        if not isinstance(samples, dict) or not samples:
            raise TypeError(f"samples must be a non-empty dict of name -> GradientSamples, got {type(samples).__name__}")
        for name, s in samples.items():
            if not isinstance(s, GradientSamples):
                raise TypeError(f"samples[{name!r}] must be a GradientSamples, got {type(s).__name__}")
        self.samples = samples
        sizes = next(iter(samples.values())).batch_sizes
        batch_size = sizes[len(sizes) // 2] if batch_size is None else batch_size
        if batch_size not in sizes:
            raise ValueError(f"batch_size must be one of {sizes}, got {batch_size!r}")
        style = {"description_width": "90px"}
        self.batch_size = W.SelectionSlider(options=sizes, value=batch_size, description="batch size", style=style)
        self.reduction = W.ToggleButtons(options=["mean", "sum"], value="mean", description="loss")
        self.regime = W.Dropdown(options=list(samples), value=list(samples)[0], description="weights")
        self.output = W.Output()
        for control in (self.batch_size, self.reduction, self.regime):
            control.observe(self._changed, names="value")
        self.widget = W.VBox([W.HBox([self.batch_size, self.reduction, self.regime]), self.output])
        self.redraw()

    def figure(self):
        s = self.samples[self.regime.value]
        b, red = self.batch_size.value, self.reduction.value
        norms = s.norms_for(red)[b]
        fig, (ax,) = plots.axes(1, width=7, height=3.4)
        ax.hist(norms, bins=40, color="tab:blue", alpha=0.8)
        ax.axvline(s.expected_sq_norm(red, b) ** 0.5, color="k", linestyle="--", label="theory: √E‖g‖²")
        ax.set(xlabel=f"‖gradient‖ (loss {'averaged' if red == 'mean' else 'summed'} over the batch)",
               ylabel="trials", title=f"batch size {b}: mean {norms.mean():.3g}, CV {norms.std() / norms.mean():.3f}")
        ax.legend()
        return fig

    def redraw(self):
        self.show(self.figure())

    static_name = "batch size"
    static_alt = "Histogram of mini-batch gradient norms over many random batches, with the theory's value dashed"

    def static_frames(self) -> list:
        return self._sweep([(str(b), {self.batch_size: b}) for b in self.batch_size.options])


@register(GradientNormExplorer, frames=3,
          example=lambda: gradient_norm_explorer({"init": examples.gradient_samples((1, 4, 16))}))
def gradient_norm_explorer(samples: dict, **kwargs) -> GradientNormExplorer:
    """Build the gradient-norm explorer (see ``GradientNormExplorer``)."""
    return GradientNormExplorer(samples, **kwargs)
