"""The batch-normalization chapter's panel: trains the chapter's MLP on a button."""
from __future__ import annotations

import ipywidgets as W
import torch

from .. import plots
from .._checks import check_int
from . import examples
from .base import _check_runs, _outcome, _RunsPanel
from .registry import register


class BatchNormExplorer(_RunsPanel):
    """BN on/off, depth and learning rate, and a Train button.

    Each click trains the chapter's MLP at the active preset's scale and shows
    its training-loss curve beside the runs before it, and a histogram of every
    hidden layer's outputs on one batch after training. ``runs`` (label ->
    History, e.g. the chapter's learning-rate sweep) are shown from the start,
    and the book's twin steps through them.
    """

    static_name = "run"
    static_alt = "Training loss against steps for every run, one run highlighted, and the test accuracy of each"

    def __init__(self, *, depth: int = 6, lr: float = 0.1, seed: int = 0, runs: dict | None = None):
        from ..experiments import batchnorm as bn_exp

        self.bn_exp = bn_exp
        self.scale = bn_exp.scale()
        self.seed = check_int("seed", seed, low=0)
        depth = check_int("depth", depth, low=1, high=30)
        self.histories: dict = _check_runs(runs)
        self.last_model = None
        style = {"description_width": "110px"}
        self.norm = W.ToggleButtons(options=["BN on", "BN off"], value="BN on", description="BatchNorm")
        self.depth = W.IntSlider(value=depth, min=1, max=30, description="hidden layers", style=style)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=-3, max=1, step=0.25, description="learning rate",
                                   style=style, readout_format=".3f")
        self._lay_out([self.norm, self.depth, self.lr])
        self.redraw()

    def train(self):
        """Train one run with the current settings and redraw."""
        norm = "batch" if self.norm.value == "BN on" else None
        label = f"{self.depth.value} layers, {'BN' if norm else 'no BN'}, lr {self.lr.value:.3g}"
        self.status.value = f"training {label}…"
        with self.busy():
            model = self.bn_exp.build_model(self.scale, norm=norm, depth=self.depth.value, seed=self.seed)
            history = self.bn_exp.train(model, self.scale, lr=self.lr.value, seed=self.seed, label=label)
        self.histories[label] = history
        self.last_model = model
        self.status.value = f"{label}: {_outcome(history)}"
        self.redraw()
        return history

    def clear(self):
        self.last_model = None
        super().clear()

    def figure(self, highlight: str | None = None):
        """Training-loss curves; beside them the last trained model's activations, or each run's accuracy."""
        fig, (left, right) = plots.axes(2)
        plots.curves(self.histories, "train_loss", x="steps", ax=left, title="training loss", highlight=highlight)
        if self.last_model is None or highlight is not None:
            plots.final_bars(self.histories, "test_acc", ax=right, title="test accuracy")
            return fig
        x = self.bn_exp.data(self.scale).x_train[:256]
        self.last_model.eval()
        with torch.no_grad():
            acts = self.last_model.hidden_activations(x)
        for i, a in enumerate(acts):
            right.hist(a.flatten().cpu().numpy(), bins=60, histtype="step", label=f"layer {i + 1}")
        right.set(xlabel="hidden-layer output", ylabel="count", yscale="log", title="last run: activations")
        right.legend(fontsize="x-small", ncol=2)
        return fig


@register(BatchNormExplorer, frames=2, example=lambda: batchnorm_explorer(runs=examples.runs()))
def batchnorm_explorer(**kwargs) -> BatchNormExplorer:
    """Build the batch-normalization explorer (see ``BatchNormExplorer``)."""
    return BatchNormExplorer(**kwargs)
