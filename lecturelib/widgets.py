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


# =====================================================================================
# Autoencoders and VAEs (chapters "autoencoders" and "vae")
# =====================================================================================

from . import autoencoders as _ae  # noqa: E402  (kept with its section)
from .experiments import autoencoders as _ae_exp  # noqa: E402


class LatentExplorer:
    """Two sliders pick a point in a 2-D code space; the decoded image updates live.

    Decoding one point takes milliseconds, so the sliders redraw directly; nothing trains.
    """

    def __init__(self, model, *, limit: float = 3.0):
        self.model = _ae._check_model("model", model)
        if model.code_size != 2:
            raise ValueError(f"model must have a 2-D code, got code size {model.code_size}")
        from ._checks import check_float
        limit = check_float("limit", limit, low=0.0, low_open=True)
        self.z1 = W.FloatSlider(value=0.0, min=-limit, max=limit, step=0.05, description="code 1")
        self.z2 = W.FloatSlider(value=0.0, min=-limit, max=limit, step=0.05, description="code 2")
        self.output = W.Output()
        for slider in (self.z1, self.z2):
            slider.observe(lambda _: self.redraw(), names="value")
        self.widget = W.VBox([W.HBox([self.z1, self.z2]), self.output])
        self.redraw()

    def image(self):
        """The decoded image at the sliders' point, as a (1, 1, 28, 28) tensor."""
        import torch
        return _ae.decode(self.model, torch.tensor([[self.z1.value, self.z2.value]]))

    def redraw(self):
        with self.output:
            self.output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.2, 2.2), layout="constrained")
            _ae.show_images(self.image(), nrow=1, ax=ax, title=f"z = ({self.z1.value:.2f}, {self.z2.value:.2f})")
            display(fig)
            plt.close(fig)

    def _ipython_display_(self):
        display(self.widget)


class AutoencoderTrainer:
    """A model choice, a code-size slider and a beta slider, and a Train button.

    Each click trains one model at the active preset's scale and shows test
    reconstructions next to the originals, with the final losses.
    """

    def __init__(self, *, kind: str = "vae", code_size: int = 8, beta: float = 1.0, seed: int = 0):
        from ._checks import check_choice, check_float
        check_choice("kind", kind, ("mlp", "vae"))
        code_size = check_int("code_size", code_size, low=1, high=64)
        beta = check_float("beta", beta, low=0.0, high=10.0)
        self.seed = check_int("seed", seed, low=0)
        self.scale = _ae_exp.scale()
        style = {"description_width": "90px"}
        self.kind = W.ToggleButtons(options=[("autoencoder", "mlp"), ("VAE", "vae")], value=kind)
        self.code_size = W.IntSlider(value=code_size, min=1, max=64, description="code size", style=style)
        self.beta = W.FloatSlider(value=beta, min=0.0, max=10.0, step=0.25, description="β (VAE)", style=style)
        self.train_button = W.Button(description="Train", button_style="primary", icon="play")
        self.status = W.Label(value=f"preset {preset()}: press Train")
        self.output = W.Output()
        self.train_button.on_click(lambda _: self.train())
        self.widget = W.VBox([self.kind, W.HBox([self.code_size, self.beta]),
                              W.HBox([self.train_button, self.status]), self.output])

    def train(self):
        """Train one model with the current settings and show its reconstructions."""
        kind, k, beta = self.kind.value, self.code_size.value, self.beta.value
        self.status.value = f"training {kind} with code size {k}…"
        self.train_button.disabled = True
        try:
            with self.output:
                model, history = _ae_exp.train(kind, k, self.scale, seed=self.seed, beta=beta)
        finally:
            self.train_button.disabled = False
        if kind == "vae":
            self.status.value = (f"code {k}, β {beta:g}: reconstruction {history.final('test_recon'):.1f}, "
                                 f"KL {history.final('test_kl'):.1f} nats per image")
        else:
            self.status.value = f"code {k}: test squared error {history.final('test_loss'):.4f} per pixel"
        x = _ae_exp.data(self.scale).x_test[:10]
        with self.output:
            self.output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(7, 1.6), layout="constrained")
            import torch
            _ae.show_images(torch.cat([x, _ae.reconstruct(model, x)]), nrow=10, ax=ax,
                            title="test digits (top) and their reconstructions (bottom)")
            display(fig)
            plt.close(fig)
        return model, history

    def _ipython_display_(self):
        display(self.widget)


def latent_explorer(model, **kwargs) -> LatentExplorer:
    """Build the latent-space explorer for a model with a 2-D code (see ``LatentExplorer``)."""
    return LatentExplorer(model, **kwargs)


def autoencoder_trainer(**kwargs) -> AutoencoderTrainer:
    """Build the code-size / beta trainer (see ``AutoencoderTrainer``)."""
    return AutoencoderTrainer(**kwargs)
