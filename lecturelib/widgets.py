"""Interactive front-ends. They call the experiments; they hold no experiment logic.

Training never starts on a slider move, only from a button. Built from the
widgets that ipywidgets 7.7 (Colab) and 8.x share.
"""
from __future__ import annotations

from contextlib import contextmanager

import ipywidgets as W
import torch
import matplotlib.pyplot as plt
from IPython.display import display

from . import autoencoders as _ae
from . import plots, static
from ._checks import check_choice, check_int
from .experiments import autoencoders as _ae_exp
from .experiments import batch_size as bs_exp
from .presets import preset

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BATCH_SIZES = tuple(2 ** k for k in range(0, 13))  # 1 ... 4096


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
    from .train import History
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


def batch_size_explorer(**kwargs) -> BatchSizeExplorer:
    """Build the batch-size explorer (see ``BatchSizeExplorer``)."""
    return BatchSizeExplorer(**kwargs)


class GradientNormExplorer(_Panel):
    """How the mini-batch gradient norm is distributed, one batch size at a time.

    ``samples`` maps a regime name (e.g. "early", "late") to a ``GradientSamples``.
    Moving the slider only redraws from the samples already drawn; nothing trains.
    """

    def __init__(self, samples: dict, *, batch_size: int | None = None):
        from .gradient_samples import GradientSamples
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


def gradient_norm_explorer(samples: dict, **kwargs) -> GradientNormExplorer:
    """Build the gradient-norm explorer (see ``GradientNormExplorer``)."""
    return GradientNormExplorer(samples, **kwargs)


# Convolution-padding chapter. Redrawing on slider moves is fine here: nothing trains.
class PaddingVisualizer(_Panel):
    """Sliders for input size, kernel size, stride, dilation and padding mode, and a step
    slider that moves the kernel over the padded input; draws with ``conv.draw``.

    Every redraw computes the output size with ``conv.output_size`` and checks it
    against a real ``F.conv1d``/``F.conv2d`` call (``conv.torch_output_size``);
    a disagreement raises RuntimeError. ``checks`` counts the comparisons made.
    """

    def __init__(self, *, dims: str = "2-D", input_size: int = 5, kernel_size: int = 3, stride: int = 1,
                 dilation: int = 1, mode: str = "same"):
        from . import conv

        self._conv = conv
        check_choice("dims", dims, ("1-D", "2-D"))
        check_choice("mode", mode, conv.MODES)
        style = {"description_width": "90px"}
        self.dims = W.ToggleButtons(options=["1-D", "2-D"], value=dims, description="input")
        self.input_size = W.IntSlider(value=check_int("input_size", input_size, low=1, high=12),
                                      min=1, max=12, description="input size", style=style)
        self.kernel_size = W.IntSlider(value=check_int("kernel_size", kernel_size, low=1, high=6),
                                       min=1, max=6, description="kernel size", style=style)
        self.stride = W.IntSlider(value=check_int("stride", stride, low=1, high=4),
                                  min=1, max=4, description="stride", style=style)
        self.dilation = W.IntSlider(value=check_int("dilation", dilation, low=1, high=4),
                                    min=1, max=4, description="dilation", style=style)
        self.mode = W.Dropdown(options=list(conv.MODES), value=mode, description="padding", style=style)
        self.step = W.IntSlider(value=0, min=0, max=0, description="output #", style=style)
        self.status = W.Label()
        self.output = W.Output()
        self.checks = 0
        for control in (self.dims, self.input_size, self.kernel_size, self.stride, self.dilation, self.mode):
            control.observe(lambda _: None if self._quiet else self.redraw(reset_step=True), names="value")
        self._moving_step = False
        self.step.observe(lambda _: None if self._moving_step or self._quiet else self.redraw(), names="value")
        self.widget = W.VBox([
            self.dims,
            W.HBox([self.input_size, self.kernel_size, self.stride]),
            W.HBox([self.dilation, self.mode, self.step]),
            self.status,
            self.output,
        ])
        self.redraw()

    def config(self) -> dict:
        """The current sliders as arguments of ``conv.output_size`` / ``conv.draw``."""
        n = self.input_size.value
        return {"input_size": n if self.dims.value == "1-D" else (n, n), "kernel_size": self.kernel_size.value,
                "stride": self.stride.value, "dilation": self.dilation.value, "padding": self.mode.value}

    def redraw(self, reset_step: bool = False):
        """Recompute and check the sizes, then draw. Returns the figure (None if the kernel does not fit)."""
        cfg = self.config()
        try:
            ours = self._conv.output_size(**cfg)
        except ValueError as err:
            ours = err
        try:
            theirs = self._conv.torch_output_size(**cfg)
        except ValueError as err:
            theirs = err
        self.checks += 1
        if isinstance(ours, ValueError) != isinstance(theirs, ValueError) or (
                not isinstance(ours, ValueError) and ours != theirs):
            raise RuntimeError(f"lecturelib and torch disagree for {cfg}: {ours!r} against {theirs!r}")
        if isinstance(ours, ValueError):
            self.status.value = f"no output: {ours}"
            with self.output:
                self.output.clear_output()
            return None
        count = ours if isinstance(ours, int) else ours[0] * ours[1]
        if reset_step or self.step.value > count - 1:
            self._moving_step = True  # the step slider's own observer must not redraw a second time
            try:
                self.step.value = 0
                self.step.max = count - 1
            finally:
                self._moving_step = False
        pads = self._conv.resolve_padding(cfg["padding"], cfg["kernel_size"], cfg["dilation"],
                                          ndim=1 if self.dims.value == "1-D" else 2)
        self.status.value = (f"padding (left, right) per dimension: {pads}; output size {ours} "
                             f"(lecturelib) = {theirs} (torch.nn.functional), check #{self.checks}")
        fig = self.figure()
        self.show(fig)
        return fig

    def figure(self):
        """The padded input, the kernel at the step slider's output and the output grid."""
        fig, ax = plt.subplots(figsize=(8, 3 if self.dims.value == "1-D" else 4.5))
        self._conv.draw(**self.config(), step=self.step.value, ax=ax)
        return fig

    static_name = "padding"
    static_alt = "The input with its padding cells, the kernel's first position and the output grid"

    def static_frames(self) -> list:
        # Every mode at the current sizes, each at output 0 (an index every mode has).
        modes = [m for m in self._conv.MODES if self._fits(m)]
        return self._sweep([(m, {self.mode: m, self.step: 0}) for m in modes])

    def _fits(self, mode: str) -> bool:
        try:
            self._conv.output_size(**{**self.config(), "padding": mode})
        except ValueError:
            return False
        return True


def padding_visualizer(**kwargs) -> PaddingVisualizer:
    """Build the padding visualizer (see ``PaddingVisualizer``)."""
    return PaddingVisualizer(**kwargs)


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
        from .experiments import batchnorm as bn_exp

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
        self.train_button = W.Button(description="Train", button_style="primary", icon="play")
        self.clear_button = W.Button(description="Clear runs")
        self.status = W.Label(value=f"preset {preset()}: press Train")
        self.output = W.Output()
        self.train_button.on_click(lambda _: self.train())
        self.clear_button.on_click(lambda _: self.clear())
        self.widget = W.VBox([W.HBox([self.norm, self.depth, self.lr]),
                              W.HBox([self.train_button, self.clear_button, self.status]), self.output])
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


def batchnorm_explorer(**kwargs) -> BatchNormExplorer:
    """Build the batch-normalization explorer (see ``BatchNormExplorer``)."""
    return BatchNormExplorer(**kwargs)


# Autoencoder and VAE chapters.
class LatentExplorer(_Panel):
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
        from ._checks import check_choice, check_float
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


def latent_explorer(model, **kwargs) -> LatentExplorer:
    """Build the latent-space explorer for a model with a 2-D code (see ``LatentExplorer``)."""
    return LatentExplorer(model, **kwargs)


def autoencoder_trainer(**kwargs) -> AutoencoderTrainer:
    """Build the code-size / beta trainer (see ``AutoencoderTrainer``)."""
    return AutoencoderTrainer(**kwargs)


# Hyperparameter-tuning chapter. Sampling is instant, so it redraws on every change.
class SamplingExplorer(_Panel):
    """Draw samples from a range on a linear or a log scale and show the share per decade.

    The range slider picks the exponents of [10**a, 10**b] (learning rate) or of
    1 - beta (averaging coefficient); the toggle picks linear or log sampling.
    Redraws on every change: sampling is instant, nothing trains.
    """

    def __init__(self, *, low_exp: int = -4, high_exp: int = 0, size: int = 2_000, seed: int = 0):
        from . import sampling

        self.sampling = sampling
        low_exp = check_int("low_exp", low_exp, low=-8, high=-1)
        high_exp = check_int("high_exp", high_exp, low=low_exp + 1, high=0)
        size = check_int("size", size, low=100, high=100_000)
        self.seed = check_int("seed", seed, low=0)
        style = {"description_width": "110px"}
        self.variable = W.Dropdown(options=["learning rate α", "β (via 1 − β)"], value="learning rate α",
                                   description="hyperparameter", style=style)
        self.exponents = W.IntRangeSlider(value=(low_exp, high_exp), min=-8, max=0, description="exponents",
                                          style=style)
        self.scale = W.ToggleButtons(options=["linear", "log"], value="log", description="sampling", style=style)
        self.size = W.IntSlider(value=size, min=100, max=20_000, step=100, description="samples", style=style)
        self.status = W.Label()
        self.output = W.Output()
        for w in (self.variable, self.exponents, self.scale, self.size):
            w.observe(self._changed, names="value")
        self.widget = W.VBox([W.HBox([self.variable, self.scale]), W.HBox([self.exponents, self.size]),
                              self.status, self.output])
        self.redraw()

    def draw(self):
        """The samples for the current settings: (values, a, b, name), values on [10**a, 10**b]."""
        import numpy as np

        a, b = self.exponents.value
        beta = self.variable.value.startswith("β")
        if beta and b == 0:  # 1 - beta = 1 would mean beta = 0; keep beta inside (0, 1)
            b = -1
        if a >= b:  # a range needs at least one decade
            a = b - 1
        rng, log = np.random.default_rng(self.seed), self.scale.value == "log"
        if beta:
            lo, hi = 1 - 10.0 ** b, 1 - 10.0 ** a
            draw = self.sampling.one_minus_log_uniform if log else self.sampling.uniform
            return 1 - draw(lo, hi, self.size.value, rng), a, b, "1 − β"
        draw = self.sampling.log_uniform if log else self.sampling.uniform
        return draw(10.0 ** a, 10.0 ** b, self.size.value, rng), a, b, "α"

    def redraw(self):
        values, a, b, name = self.draw()
        shares = self.sampling.decade_fractions(values, a, b)
        self.status.value = (f"{self.scale.value} sampling of {name} on [1e{a}, 1e{b}]: "
                             f"{100 * shares[-1]:.1f} % in the top decade, {100 * shares[0]:.1f} % in the bottom one")
        self.show(self.figure())

    def figure(self):
        values, a, b, name = self.draw()
        shares = self.sampling.decade_fractions(values, a, b)
        fig, (ax,) = plots.axes(1, width=6.5, height=3.2)
        ax.bar([f"[1e{k}, 1e{k + 1})" for k in range(a, b)], 100 * shares, color="tab:blue", alpha=0.8)
        ax.set(xlabel=f"decade of {name}", ylabel="share of samples (%)", ylim=(0, 100),
               title=f"{self.scale.value} sampling of {name} on [1e{a}, 1e{b}]")
        return fig

    static_name = "sampling, range"
    static_alt = "Share of the samples that fall in each decade of the range"

    def static_frames(self) -> list:
        # Linear then log sampling over ranges of one to four decades: the contrast is the chapter's point.
        return self._sweep([(f"{scale}, [1e{a}, 1]", {self.scale: scale, self.exponents: (a, 0)})
                            for scale in ("linear", "log") for a in (-1, -2, -3, -4)])


def sampling_explorer(**kwargs) -> SamplingExplorer:
    """Build the sampling explorer (see ``SamplingExplorer``)."""
    return SamplingExplorer(**kwargs)


# Learning-rate-scaling chapter. The slider only redraws from the grid already trained;
# the Train button trains the two runs it compares.
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
        from .experiments import lr_scaling as lr_exp

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


def lr_scaling_explorer(grid, **kwargs) -> LRScalingExplorer:
    """Build the learning-rate-scaling explorer for a trained grid (see ``LRScalingExplorer``)."""
    return LRScalingExplorer(grid, **kwargs)
