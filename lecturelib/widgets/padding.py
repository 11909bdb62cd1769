"""The convolution-padding chapter's panel. Redrawing on slider moves is fine here: nothing trains."""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt

from .._checks import check_choice, check_int
from .base import _Panel
from .registry import register


class PaddingVisualizer(_Panel):
    """Sliders for input size, kernel size, stride, dilation and padding mode, and a step
    slider that moves the kernel over the padded input; draws with ``conv.draw``.

    The status line shows the padding and the output size ``conv.output_size`` gives;
    tests/unit/test_widgets_padding.py checks those sizes against torch for every
    setting the sliders offer.
    """

    def __init__(self, *, dims: str = "2-D", input_size: int = 5, kernel_size: int = 3, stride: int = 1,
                 dilation: int = 1, mode: str = "same"):
        from .. import conv

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
        self.redraw(reset_step=True)  # also gives the step slider its range: one position per output

    def config(self) -> dict:
        """The current sliders as arguments of ``conv.output_size`` / ``conv.draw``."""
        n = self.input_size.value
        return {"input_size": n if self.dims.value == "1-D" else (n, n), "kernel_size": self.kernel_size.value,
                "stride": self.stride.value, "dilation": self.dilation.value, "padding": self.mode.value}

    def redraw(self, reset_step: bool = False):
        """Recompute the sizes, then draw. Returns the figure (None if the kernel does not fit)."""
        cfg = self.config()
        try:
            size = self._conv.output_size(**cfg)
        except ValueError as err:
            self.status.value = f"no output: {err}"
            with self.output:
                self.output.clear_output()
            return None
        count = size if isinstance(size, int) else size[0] * size[1]
        if reset_step or self.step.value > count - 1:
            self._moving_step = True  # the step slider's own observer must not redraw a second time
            try:
                self.step.value = 0
                self.step.max = count - 1
            finally:
                self._moving_step = False
        pads = self._conv.resolve_padding(cfg["padding"], cfg["kernel_size"], cfg["dilation"],
                                          ndim=1 if self.dims.value == "1-D" else 2)
        self.status.value = f"padding (left, right) per dimension: {pads}; output size {size}"
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


@register(PaddingVisualizer, frames=4, example=lambda: padding_visualizer())
def padding_visualizer(**kwargs) -> PaddingVisualizer:
    """Build the padding visualizer (see ``PaddingVisualizer``)."""
    return PaddingVisualizer(**kwargs)
