"""The course widgets use only ipywidgets API that Colab's ipywidgets 7.7.1 has.

Runs in the main venv (ipywidgets 8) and, through `make colab-check`, in .venv-colab (7.7.1).
ipywidgets 7 drops unknown constructor arguments and style keys without an error, so a
widget written against 8.x-only API (``tooltip``, ``TagsInput``, ``ButtonStyle(font_size=...)``,
``Layout(border_top=...)``) would build on Colab and silently lose its settings. This test
compares every trait each registered panel (``lecturelib.widgets.registry``) sets against
ipywidgets 7.7.1's synced traits, recorded in
``ipywidgets_7_7_1_api.json``. Regenerate that file from a 7.7.1 environment with:

    .venv-colab/bin/python tests/unit/test_widget_compat.py
"""
import json
import pathlib

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W
import pytest

from lecturelib import widgets
from lecturelib.widgets import registry

API = json.loads((pathlib.Path(__file__).with_name("ipywidgets_7_7_1_api.json")).read_text())["sync_traits"]
VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.colab  # run under ipywidgets 7.7.1 by `make colab-check`


def walk(w):
    """``w`` and every widget under it: children, layout and style."""
    yield w
    for key in w.keys:
        value = getattr(w, key)
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(v, W.Widget):
                yield from walk(v)


def not_in_7_7(w):
    """The synced traits ``w`` sets away from their defaults that ipywidgets 7.7.1 does not have."""
    name = type(w).__name__
    if name not in API and not name.endswith("Style"):
        return [f"{name} (no such widget in ipywidgets 7.7.1)"]
    # 8.x gave some widgets their own style class (LabelStyle, ...); 7.7.1 styles them with DescriptionStyle.
    known = set(API.get(name) or API["DescriptionStyle"])
    out = []
    for key in w.keys:
        value = getattr(w, key)
        if key in known or isinstance(value, W.Widget):
            continue
        try:
            default = w.trait_defaults(key)
        except Exception:  # no computable default: treat as set
            default = object()
        if value != default:
            out.append(f"{name}.{key}={value!r}")
    return out


@pytest.fixture(scope="module")
def built():
    """build(name): the registered panel ``name``, built once by its registry example (nothing trains)."""
    panels = {}

    def build(name):
        if name not in panels:
            panels[name] = registry.entry(name).example()
        return panels[name]

    yield build
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize("panel", registry.names())
def test_widgets_use_only_ipywidgets_7_7_api(built, panel):
    assert sorted({p for w in walk(built(panel).widget) for p in not_in_7_7(w)}) == []


def test_the_check_catches_8x_only_api():
    if W.__version__.startswith("7."):
        pytest.skip("these arguments do not exist in ipywidgets 7")
    assert not_in_7_7(W.IntSlider(description="x", tooltip="8.x only")) == ["IntSlider.tooltip='8.x only'"]
    assert not_in_7_7(W.Button(style={"font_size": "20px"}).style) == ["ButtonStyle.font_size='20px'"]
    assert not_in_7_7(W.TagsInput()) == ["TagsInput (no such widget in ipywidgets 7.7.1)"]
    assert not_in_7_7(W.IntSlider(description="n", style={"description_width": "90px"}).style) == []


@pytest.mark.parametrize("panel", registry.names())
def test_panels_display_the_live_widget(built, panel, monkeypatch):
    # ipywidgets 7.7 widgets have no _repr_mimebundle_, so _Panel builds the live view's bundle itself.
    shown = []
    monkeypatch.setattr(widgets.base, "display", lambda obj, raw=False: shown.append((obj, raw)))
    built(panel)._ipython_display_()
    bundle, raw = shown[-1]
    assert raw and bundle[VIEW] == {"version_major": 2, "version_minor": 0, "model_id": built(panel).widget.model_id}


def record_api(path=pathlib.Path(__file__).with_name("ipywidgets_7_7_1_api.json")):
    """Write the synced traits of every ipywidgets widget class (run it under ipywidgets 7.7.1)."""
    import ipywidgets.widgets  # noqa: F401  (imports every widget module)

    def subclasses(c):
        for s in c.__subclasses__():
            yield s
            yield from subclasses(s)

    classes = {c.__name__: c for c in subclasses(W.Widget) if c.__module__.startswith("ipywidgets.")}
    classes.update({n: c for n, c in vars(W).items() if isinstance(c, type) and issubclass(c, W.Widget)})
    api = {n: sorted(c.class_trait_names(sync=True)) for n, c in classes.items()}  # public names win
    path.write_text(json.dumps({"ipywidgets": W.__version__, "sync_traits": api}, indent=0, sort_keys=True) + "\n")


if __name__ == "__main__":
    record_api()
