"""The autoencoder and VAE chapters' panels: a decoder explorer for a 2-D code (redraws live,
nothing trains) and a trainer for a code size and a beta (trains on a button)."""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import torch

from .. import autoencoders as _ae
from .._checks import check_int
from ..experiments import autoencoders as _ae_exp
from ..presets import preset
from . import examples
from .base import _Panel
from .registry import register


class LatentExplorer(_Panel):
    """Two sliders pick a point in a 2-D code space; the decoded image updates live.

    Decoding one point takes milliseconds, so the sliders redraw directly; nothing trains.
    """

    def __init__(self, model, *, limit: float = 3.0):
        self.model = _ae._check_model("model", model)
        if model.code_size != 2:
            raise ValueError(f"model must have a 2-D code, got code size {model.code_size}")
        from .._checks import check_float
        limit = check_float("limit", limit, low=0.0, low_open=True)
        self.z1 = W.FloatSlider(value=0.0, min=-limit, max=limit, step=0.05, description="code 1")
        self.z2 = W.FloatSlider(value=0.0, min=-limit, max=limit, step=0.05, description="code 2")
        self.output = W.Output()
        for slider in (self.z1, self.z2):
            slider.observe(self._changed, names="value")
        self.widget = W.VBox([W.HBox([self.z1, self.z2]), self.output])
        self.redraw()

    def image(self):
        """The decoded image at the sliders' point, as a (1, 1, 28, 28) tensor."""
        return _ae.decode(self.model, torch.tensor([[self.z1.value, self.z2.value]]))

    def redraw(self):
        self.show(self.figure())

    def figure(self):
        fig, ax = plt.subplots(figsize=(2.2, 2.2), layout="constrained")
        _ae.show_images(self.image(), nrow=1, ax=ax, title=f"z = ({self.z1.value:.2f}, {self.z2.value:.2f})")
        return fig

    static_name = "code 1"
    static_alt = "The digit the decoder draws at this point of the 2-D code space (code 2 held at 0)"

    def static_frames(self) -> list:
        limit = self.z1.max
        points = [round(-limit + 2 * limit * i / 12, 2) for i in range(13)]
        return self._sweep([(f"{z:+.2f}", {self.z1: z, self.z2: 0.0}) for z in points])


class AutoencoderTrainer(_Panel):
    """A model choice, a code-size slider and a beta slider, and a Train button.

    Each click trains one model at the active preset's scale and shows test
    reconstructions next to the originals, with the final losses. ``models``
    (label -> trained autoencoder, e.g. the chapter's code-size sweep) give
    the book's twin its frames.
    """

    static_alt = "Ten test digits (top row) and the model's reconstructions of them (bottom row)"

    def __init__(self, *, kind: str = "vae", code_size: int = 8, beta: float = 1.0, seed: int = 0,
                 models: dict | None = None, models_name: str = "model"):
        from .._checks import check_choice, check_float
        check_choice("kind", kind, ("mlp", "vae"))
        code_size = check_int("code_size", code_size, low=1, high=64)
        beta = check_float("beta", beta, low=0.0, high=10.0)
        self.seed = check_int("seed", seed, low=0)
        if models is not None and not isinstance(models, dict):
            raise TypeError(f"models must be a dict of label -> trained autoencoder, got {type(models).__name__}")
        self.models = {str(label): _ae._check_model(f"models[{label!r}]", m) for label, m in (models or {}).items()}
        self.static_name = models_name
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
        with self.busy(), self.output:
            model, history = _ae_exp.train(kind, k, self.scale, seed=self.seed, beta=beta)
        if history.diverged:
            self.status.value = f"code {k}, β {beta:g}: {history.divergence}"
        elif kind == "vae":
            self.status.value = (f"code {k}, β {beta:g}: reconstruction {history.final('test_recon'):.1f}, "
                                 f"KL {history.final('test_kl'):.1f} nats per image")
        else:
            self.status.value = f"code {k}: test squared error {history.final('test_loss'):.4f} per pixel"
        self.show(self.figure(model))
        return model, history

    def figure(self, model, title: str = "test digits (top) and their reconstructions (bottom)"):
        x = _ae_exp.data(self.scale).x_test[:10]
        fig, ax = plt.subplots(figsize=(7, 1.6), layout="constrained")
        _ae.show_images(torch.cat([x, _ae.reconstruct(model, x)]), nrow=10, ax=ax, title=title)
        return fig

    def static_frames(self) -> list:
        return [(label, self.figure(model, title=f"{self.static_name} {label}: test digits and reconstructions"))
                for label, model in self.models.items()]


@register(LatentExplorer, frames=13, example=lambda: latent_explorer(examples.autoencoder(2)))
def latent_explorer(model, **kwargs) -> LatentExplorer:
    """Build the latent-space explorer for a model with a 2-D code (see ``LatentExplorer``)."""
    return LatentExplorer(model, **kwargs)


@register(AutoencoderTrainer, frames=2,
          example=lambda: autoencoder_trainer(models={2: examples.autoencoder(2), 8: examples.autoencoder(8)},
                                              models_name="code size"))
def autoencoder_trainer(**kwargs) -> AutoencoderTrainer:
    """Build the code-size / beta trainer (see ``AutoencoderTrainer``)."""
    return AutoencoderTrainer(**kwargs)
