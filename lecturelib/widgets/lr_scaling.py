"""The learning-rate-scaling chapter's panel. The slider only redraws from the grid already
trained; the Train button trains the two runs it compares."""
from __future__ import annotations

import ipywidgets as W

from .. import plots
from .._checks import check_choice, check_int
from . import examples
from .base import _outcome, _Panel
from .registry import register

GRID_BEST = "grid's best"


class LRScalingExplorer(_Panel):
    """Pick a batch size: the linear rule's lr (scaled from a reference batch size and its
    best lr) against the lr the grid found best, on that batch size's accuracy-vs-lr curve.

    ``grid`` is a trained ``lr_scaling.Grid``. The Train button trains the MLP at the
    chosen batch size with both learning rates (``lr_scaling.run``, cached) and overlays
    their test-accuracy curves. ``static_frames`` draws one figure per slider value from
    the grid alone, for the static book.
    """

    def __init__(self, grid, *, reference: int | None = None, batch_size: int | None = None, seed: int = 0):
        from ..experiments import lr_scaling as lr_exp

        self.lr_exp = lr_exp
        if not isinstance(grid, lr_exp.Grid):
            raise TypeError(f"grid must be a lecturelib.experiments.lr_scaling.Grid, got {type(grid).__name__}")
        self.grid = grid
        self.best = lr_exp.best_lrs(grid)
        sizes = grid.batch_sizes
        self.reference = sizes[0] if reference is None else check_choice("reference", reference, sizes)
        batch_size = sizes[len(sizes) // 2] if batch_size is None else check_choice("batch_size", batch_size, sizes)
        self.seed = check_int("seed", seed, low=0)
        self.histories: dict = {}
        style = {"description_width": "90px"}
        self.batch_size = W.SelectionSlider(options=sizes, value=batch_size, description="batch size", style=style)
        self.train_button = W.Button(description="Train", button_style="primary", icon="play")
        self.status = W.Label()
        self.output = W.Output()
        self.batch_size.observe(self._changed, names="value")
        self.train_button.on_click(lambda _: self.train())
        self.widget = W.VBox([W.HBox([self.batch_size, self.train_button]), self.status, self.output])
        self.redraw()

    def lrs(self, batch_size: int) -> dict[str, float]:
        """The two learning rates compared at ``batch_size``: the linear rule's and the grid's."""
        check_choice("batch_size", batch_size, self.grid.batch_sizes)
        return {"linear rule": self.lr_exp.linear_rule(self.best, batch_size, self.reference),
                GRID_BEST: self.best[batch_size]}

    def figure(self, batch_size: int):
        """Accuracy against lr at ``batch_size`` (from the grid), with both lrs marked, and the
        trained curves at this batch size if there are any. Nothing trains here."""
        import numpy as np

        lrs = self.lrs(batch_size)
        fig, axs = plots.axes(2 if batch_size in self.histories else 1, width=5.2, height=3.4)
        ax = axs[0]
        ax.plot(self.grid.lrs, 100 * np.asarray(self.grid.row(batch_size)), marker="o", color="tab:blue",
                label="grid: final test accuracy")
        diverged = getattr(self.grid, "diverged", None)
        if diverged is not None:   # the heat map's mark: "× N", diverged at step N (drawn at chance)
            row = diverged[self.grid.batch_sizes.index(batch_size)]
            for lr, step, acc in zip(self.grid.lrs, row, self.grid.row(batch_size)):
                if step:
                    ax.plot([lr], [100 * acc], marker="X", markersize=10, color="tab:red", linestyle="none")
                    ax.annotate(f"× {step}", (lr, 100 * acc), textcoords="offset points", xytext=(0, 8),
                                ha="center", fontsize="x-small", color="tab:red")
            if row.any():
                ax.plot([], [], marker="X", color="tab:red", linestyle="none", label="× N: diverged at step N")
        ax.axvline(lrs["linear rule"], color="tab:red", linestyle="--",
                   label=f"linear rule from B={self.reference}: {lrs['linear rule']:.3g}")
        ax.axvline(lrs["grid's best"], color="k", linestyle=":", label=f"grid's best: {lrs[GRID_BEST]:.3g}")
        ax.set(xscale="log", xlabel="learning rate", ylabel="test accuracy (%)",
               title=f"{self.grid.label}, batch size {batch_size}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small")
        if batch_size in self.histories:
            plots.curves(self.histories[batch_size], "test_acc", ax=axs[1], skip_first=True,
                         title=f"batch size {batch_size}: trained runs")
        return fig

    static_name = "batch size"
    static_alt = ("Final test accuracy against learning rate for this batch size, from the grid, with the "
                  "linear rule's learning rate and the grid's best marked by vertical lines")

    def static_frames(self) -> list:
        """One (label, figure) per slider value, drawn from the grid only (no training)."""
        return [(str(b), self.figure(b)) for b in self.grid.batch_sizes]

    def train(self):
        """Train the chosen batch size at both learning rates and overlay the test accuracy."""
        b = self.batch_size.value
        s = self.lr_exp.scale()
        self.status.value = f"training batch size {b} at both learning rates…"
        runs = {}
        with self.busy():
            for name, lr in self.lrs(b).items():
                h = self.lr_exp.run(s, self.grid.optimizer, b, lr, warmup=self.grid.warmup, seed=self.seed)
                runs[f"{name}: lr {lr:.3g}"] = h
        self.histories[b] = runs
        self.redraw(status=False)
        self.status.value = f"B = {b}: " + "; ".join(f"{k} → {_outcome(h, short=True)}" for k, h in runs.items())
        return runs

    def redraw(self, status: bool = True):
        b = self.batch_size.value
        if status:
            lrs = self.lrs(b)
            self.status.value = (f"B = {b}: linear rule lr {lrs['linear rule']:.3g}, grid's best lr "
                                 f"{lrs[GRID_BEST]:.3g}; press Train to train both")
        self.show(self.figure(b))


@register(LRScalingExplorer, frames=3, example=lambda: lr_scaling_explorer(examples.grid()))
def lr_scaling_explorer(grid, **kwargs) -> LRScalingExplorer:
    """Build the learning-rate-scaling explorer for a trained grid (see ``LRScalingExplorer``)."""
    return LRScalingExplorer(grid, **kwargs)
