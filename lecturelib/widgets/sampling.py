"""The hyperparameter-tuning chapter's panel. Sampling is instant, so it redraws on every change."""
from __future__ import annotations

import ipywidgets as W

from .. import plots
from .._checks import check_int
from .base import _Panel
from .registry import register


class SamplingExplorer(_Panel):
    """Draw samples from a range on a linear or a log scale and show the share per decade.

    The range slider picks the exponents of [10**a, 10**b] (learning rate) or of
    1 - beta (averaging coefficient); the toggle picks linear or log sampling.
    Redraws on every change: sampling is instant, nothing trains.
    """

    def __init__(self, *, low_exp: int = -4, high_exp: int = 0, size: int = 2_000, seed: int = 0):
        from .. import sampling

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


@register(SamplingExplorer, frames=8, example=lambda: sampling_explorer(size=500))
def sampling_explorer(**kwargs) -> SamplingExplorer:
    """Build the sampling explorer (see ``SamplingExplorer``)."""
    return SamplingExplorer(**kwargs)
