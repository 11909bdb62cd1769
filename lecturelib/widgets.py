"""Interactive front-ends. They call the experiments; they hold no experiment logic.

Training never starts on a slider move, only from a button. Built from the
widgets that ipywidgets 7.7 (Colab) and 8.x share.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from . import plots
from ._checks import check_int
from .experiments import batch_size as bs_exp
from .presets import preset

BATCH_SIZES = tuple(2 ** k for k in range(0, 13))  # 1 ... 4096


class BatchSizeExplorer:
    """Batch size, learning rate and epochs, and a Train button.

    Each click trains one run at the active preset's scale and overlays its test
    accuracy and distance from init on the runs before it. ``widget`` is the
    ipywidgets box; the object also displays itself in a notebook.
    """

    def __init__(self, *, batch_size: int = 64, lr: float = 0.01, epochs: int | None = None, seed: int = 0):
        self.scale = bs_exp.scale()
        epochs = self.scale.epochs if epochs is None else check_int("epochs", epochs, low=1, high=200)
        if batch_size not in BATCH_SIZES:
            raise ValueError(f"batch_size must be a power of two from 1 to 4096, got {batch_size!r}")
        self.seed = check_int("seed", seed, low=0)
        self.histories: dict = {}
        style = {"description_width": "110px"}
        self.batch_size = W.SelectionSlider(options=BATCH_SIZES, value=batch_size,
                                            description="batch size", style=style)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.25,
                                   description="learning rate", style=style, readout_format=".4f")
        self.epochs = W.IntSlider(value=epochs, min=1, max=max(60, epochs), description="epochs", style=style)
        self.train_button = W.Button(description="Train", button_style="primary", icon="play")
        self.clear_button = W.Button(description="Clear runs")
        self.status = W.Label(value=f"preset {preset()}: press Train")
        self.output = W.Output()
        self.train_button.on_click(lambda _: self.train())
        self.clear_button.on_click(lambda _: self.clear())
        self.widget = W.VBox([
            W.HBox([self.batch_size, self.lr, self.epochs]),
            W.HBox([self.train_button, self.clear_button, self.status]),
            self.output,
        ])

    def train(self):
        """Train one run with the current slider values and redraw."""
        spec = bs_exp.sgd_run(self.batch_size.value, self.lr.value, self.epochs.value)
        self.status.value = f"training {spec.label} for {spec.epochs} epochs…"
        self.train_button.disabled = True
        try:
            with self.output:
                history = bs_exp.run(spec, self.scale, seed=self.seed, progress=True)
        finally:
            self.train_button.disabled = False
        self.histories[f"{spec.label}, {spec.epochs} ep"] = history
        self.status.value = f"{spec.label}: test accuracy {100 * history.final('test_acc'):.2f} %"
        self.redraw()
        return history

    def clear(self):
        self.histories.clear()
        self.redraw()

    def redraw(self):
        with self.output:
            self.output.clear_output(wait=True)
            if not self.histories:
                return
            fig, (left, right) = plots.axes(2)
            plots.curves(self.histories, "test_acc", ax=left, skip_first=True, title="test accuracy")
            plots.curves(self.histories, "dist_w", ax=right, title="distance from the initial weights")
            display(fig)
            plt.close(fig)

    def _ipython_display_(self):
        display(self.widget)


def batch_size_explorer(**kwargs) -> BatchSizeExplorer:
    """Build the batch-size explorer (see ``BatchSizeExplorer``)."""
    return BatchSizeExplorer(**kwargs)


# --- Batch normalization explorer (batch-normalization chapter) -----------------------

class BatchNormExplorer:
    """BN on/off, depth and learning rate, and a Train button.

    Each click trains the chapter's MLP at the active preset's scale and shows
    its training-loss curve beside the runs before it, and a histogram of every
    hidden layer's outputs on one batch after training.
    """

    def __init__(self, *, depth: int = 6, lr: float = 0.1, seed: int = 0):
        from .experiments import batchnorm as bn_exp

        self.bn_exp = bn_exp
        self.scale = bn_exp.scale()
        self.seed = check_int("seed", seed, low=0)
        depth = check_int("depth", depth, low=1, high=30)
        self.histories: dict = {}
        self.last_model = None
        style = {"description_width": "110px"}
        self.norm = W.ToggleButtons(options=["BN on", "BN off"], value="BN on", description="BatchNorm")
        self.depth = W.IntSlider(value=depth, min=1, max=30, description="hidden layers", style=style)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=-3, max=1, step=0.25, description="learning rate",
                                   style=style, readout_format=".3f")
        self.train_button = W.Button(description="Train", button_style="primary", icon="play")
        self.clear_button = W.Button(description="Clear runs")
        self.status = W.Label(value=f"preset {preset()}: press Train")
        self.output = W.Output()
        self.train_button.on_click(lambda _: self.train())
        self.clear_button.on_click(lambda _: self.clear())
        self.widget = W.VBox([W.HBox([self.norm, self.depth, self.lr]),
                              W.HBox([self.train_button, self.clear_button, self.status]), self.output])

    def train(self):
        """Train one run with the current settings and redraw."""
        norm = "batch" if self.norm.value == "BN on" else None
        label = f"{self.depth.value} layers, {'BN' if norm else 'no BN'}, lr {self.lr.value:.3g}"
        self.status.value = f"training {label}…"
        self.train_button.disabled = True
        try:
            model = self.bn_exp.mlp(self.scale, norm=norm, depth=self.depth.value, seed=self.seed)
            history = self.bn_exp.train(model, self.scale, lr=self.lr.value, seed=self.seed, label=label)
        finally:
            self.train_button.disabled = False
        self.histories[label] = history
        self.last_model = model
        self.status.value = f"{label}: test accuracy {100 * history.final('test_acc'):.2f} %"
        self.redraw()
        return history

    def clear(self):
        self.histories.clear()
        self.last_model = None
        self.redraw()

    def redraw(self):
        import torch

        with self.output:
            self.output.clear_output(wait=True)
            if not self.histories:
                return
            fig, (left, right) = plots.axes(2)
            plots.curves(self.histories, "train_loss", x="steps", ax=left, title="training loss")
            x = self.bn_exp.data(self.scale).x_train[:256]
            self.last_model.eval()
            with torch.no_grad():
                acts = self.last_model.hidden_activations(x)
            for i, a in enumerate(acts):
                right.hist(a.flatten().cpu().numpy(), bins=60, histtype="step", label=f"layer {i + 1}")
            right.set(xlabel="hidden-layer output", ylabel="count", yscale="log", title="last run: activations")
            right.legend(fontsize="x-small", ncol=2)
            display(fig)
            plt.close(fig)

    def _ipython_display_(self):
        display(self.widget)


def batchnorm_explorer(**kwargs) -> BatchNormExplorer:
    """Build the batch-normalization explorer (see ``BatchNormExplorer``)."""
    return BatchNormExplorer(**kwargs)
