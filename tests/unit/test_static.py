"""Kernel-free twins: the HTML contract the browser test relies on, and one twin per registered panel."""
import html.parser

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from lecturelib import autoencoders as ae
from lecturelib import data, models, plots, presets, static, train, widgets
from lecturelib.widgets import registry
from lecturelib.probes import WeightGeometry

pytestmark = pytest.mark.colab  # the twins under Colab's matplotlib and ipywidgets: `make colab-check`


class _Parse(html.parser.HTMLParser):
    """Collects the slider's tags and their attributes."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _parse(markup):
    p = _Parse()
    p.feed(markup)
    return p.tags


def _frames(n):
    out = []
    for i in range(n):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.plot([0, 1], [0, i])
        out.append((f"v{i}", fig))
    return out


def test_slider_html_follows_the_contract():
    frames = _frames(3)
    markup = static.slider_html(frames, name="batch size", alt="A line", start=1, note="made at ci")
    tags = _parse(markup)
    inputs = [a for t, a in tags if t == "input"]
    images = [a for t, a in tags if t == "img"]
    assert len(inputs) == 1 and inputs[0]["class"] == "ll-static-input" and inputs[0]["type"] == "range"
    assert (inputs[0]["min"], inputs[0]["max"], inputs[0]["value"]) == ("0", "2", "1")
    assert "oninput" in inputs[0] and '"' not in inputs[0]["oninput"]
    assert [a["class"] for a in images] == ["ll-frame"] * 3
    assert ["hidden" in a for a in images] == [True, False, True]  # only the start frame shows
    assert [a["data-label"] for a in images] == ["v0", "v1", "v2"]
    assert images[2]["alt"] == "A line (batch size: v2)"
    assert all(a["src"].startswith("data:image/png;base64,") for a in images)
    assert len({a["src"] for a in images}) == 3  # different figures, different pixels
    assert '<output class="ll-static-value">v1</output>' in markup and "made at ci" in markup
    assert not any(plt.fignum_exists(fig.number) for _, fig in frames)  # the frames' figures are closed


def test_slider_html_escapes_labels():
    markup = static.slider_html(_frames(1), name="<b>", alt='say "hi"')
    assert "<b>" not in markup and "&lt;b&gt;" in markup
    assert 'alt="say &quot;hi&quot; (&lt;b&gt;: v0)"' in markup


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"frames": []}, ValueError, "frames must hold at least one"),
    ({"frames": "abc"}, TypeError, "frames must be a list of"),
    ({"frames": [("a", 1)]}, TypeError, r"frames\[0\] must be a \(str, matplotlib Figure\) pair"),
    ({"name": ""}, ValueError, "name must be a non-empty string"),
    ({"alt": "  "}, ValueError, "alt must be a non-empty string"),
    ({"alt": 3}, TypeError, "alt must be a string"),
    ({"start": 5}, ValueError, "start must be <= 0"),
    ({"dpi": 2}, ValueError, "dpi must be >= 20"),
])
def test_slider_html_bad_input(kwargs, err, msg):
    args = {"frames": _frames(1), "name": "x", "alt": "y", **kwargs}
    with pytest.raises(err, match=msg):
        static.slider_html(args.pop("frames"), **args)
    plt.close("all")


def test_figure_png_needs_a_figure():
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        static.figure_png("figure")


@pytest.fixture(scope="module")
def runs():
    d = data.mnist(train_limit=256, test_limit=128)
    out = {}
    for b in (32, 128):
        presets.set_seed(0)
        out[plots.label(b, 0.05)] = train.fit(models.MLP(784, (16,), 10), d, lr=0.05, batch_size=b, epochs=1,
                                               callbacks=[WeightGeometry()])
    return out


@pytest.mark.parametrize("panel", registry.names())
def test_every_registered_panel_has_a_twin_and_displays_both(panel, monkeypatch):
    """Each panel of the registry, built by its example: one bundle with the live view and a twin
    of the registered number of frames, drawn without moving the panel's controls."""
    shown = []
    monkeypatch.setattr(widgets.base, "display", lambda obj, raw=False: shown.append(obj))
    entry = registry.entry(panel)
    built = entry.example()
    assert type(built) is entry.panel
    assert entry.frames >= 1, f"{panel}: a chapter widget needs a static twin for the book"
    before = {k: getattr(built, k).value for k in vars(built)
              if hasattr(getattr(built, k), "value") and hasattr(getattr(built, k), "observe")}
    built._ipython_display_()
    bundle = shown[-1]
    assert bundle[widgets.WIDGET_VIEW]["model_id"] == built.widget.model_id
    tags = _parse(bundle["text/html"])
    assert sum(t == "img" for t, _ in tags) == entry.frames
    after = {k: getattr(built, k).value for k in before}
    assert after == before, f"{panel}: drawing the twin moved its controls"
    plt.close("all")


def test_twins_change_with_the_control(runs):
    panel = widgets.sampling_explorer(size=500)
    srcs = [a["src"] for t, a in _parse(panel.static_html()) if t == "img"]
    assert len(set(srcs)) == len(srcs)  # linear and log sampling look different
    plt.close("all")


def test_panel_without_frames_shows_only_the_widget(monkeypatch):
    shown = []
    monkeypatch.setattr(widgets.base, "display", lambda obj, raw=False: shown.append(obj))
    panel = widgets.batch_size_explorer()
    panel._ipython_display_()
    assert "text/html" not in shown[-1] and widgets.WIDGET_VIEW in shown[-1]


def test_runs_and_models_are_checked():
    with pytest.raises(TypeError, match="runs must be a dict of label -> History"):
        widgets.batch_size_explorer(runs=[1])
    with pytest.raises(TypeError, match="runs must map str labels to History"):
        widgets.batchnorm_explorer(runs={"a": 1})
    with pytest.raises(TypeError, match="models must be a dict"):
        widgets.autoencoder_trainer(models=[ae.Autoencoder(2)])
    with pytest.raises(TypeError, match=r"models\['a'\] must be a lecturelib.autoencoders"):
        widgets.autoencoder_trainer(models={"a": torch.nn.Linear(2, 2)})


def test_highlight_must_name_a_run(runs):
    ax = plots.curves(runs, "test_acc", highlight="BS 32, lr 0.05")
    assert [line.get_linewidth() for line in ax.lines] == [2.6, 1.0]
    with pytest.raises(ValueError, match="highlight must be one of"):
        plots.curves(runs, "test_acc", highlight="BS 7")
    plt.close("all")
