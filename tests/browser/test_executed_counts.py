"""Counting what an executed notebook displayed, as the book shows it (no browser, no built book needed)."""
from __future__ import annotations

import json

import pytest

from . import executed, helpers

VIEW = executed.WIDGET_VIEW
TWIN = ('<style>.ll-static-slider img.ll-frame[hidden]{display:none}</style>'
        '<div class="ll-static-slider" role="group"><input type="range" class="ll-static-input"></div>')


def panel(twin: str | None = TWIN, name="PaddingVisualizer") -> dict:
    data = {"text/plain": f"{name}: run this notebook to use the live widget", VIEW: {"model_id": "m"}}
    if twin is not None:
        data["text/html"] = twin
    return {"output_type": "display_data", "data": data, "metadata": {}}


def progress_bar() -> dict:   # lecturelib.progress: a closed bar's fallback is empty
    return {"output_type": "display_data", "data": {VIEW: {"model_id": "p"}, "text/html": "", "text/plain": ""},
            "metadata": {}}


def notebook(tmp_path, *cells) -> executed.Path:
    path = tmp_path / "book" / "chapter.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = {"cells": [{"cell_type": "code", "source": src, "metadata": meta, "outputs": outs}
                    for src, meta, outs in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture(scope="module")
def book_priority():
    return executed.mime_priority(helpers.config())


def test_the_book_shows_html_before_a_widget_view(book_priority):
    # _config.yml drops widget views: a panel shows as its twin.
    assert VIEW not in book_priority and book_priority.index("text/html") < book_priority.index("text/plain")


def test_panels_count_as_sliders_and_progress_bars_as_nothing(tmp_path, book_priority):
    path = notebook(tmp_path, ("x", {}, [progress_bar(), progress_bar()]), ("widgets.padding_visualizer()", {}, [panel()]),
                    ("y", {}, [panel(TWIN + TWIN, name="LatentExplorer")]))
    shown = executed.displayed(path, book_priority)
    assert (shown.widget_views, shown.static_sliders, shown.panels, shown.text_only) == (0, 3, 2, [])


def test_with_widget_views_kept_they_count_as_views(tmp_path):
    priority = executed.mime_priority({})   # myst-nb's own order: widget views first
    path = notebook(tmp_path, ("x", {}, [progress_bar(), panel()]))
    shown = executed.displayed(path, priority)
    assert (shown.widget_views, shown.static_sliders, shown.panels) == (2, 0, 1)


def test_removed_cells_and_outputs_show_nothing(tmp_path, book_priority):
    path = notebook(tmp_path, ("x", {"tags": ["remove-cell"]}, [panel()]),
                    ("y", {"tags": ["remove-output"]}, [panel()]), ("z", {}, [panel()]))
    assert executed.displayed(path, book_priority).static_sliders == 1


def test_a_panel_without_its_twin_is_shown_as_bare_text(tmp_path, book_priority):
    path = notebook(tmp_path, ("x", {}, [panel(twin=None)]))
    shown = executed.displayed(path, book_priority)
    assert (shown.static_sliders, shown.panels) == (0, 1)
    assert shown.text_only == ["cell 0: shown as text/plain: 'PaddingVisualizer: run this notebook to use the live widget'"]


def test_a_stylesheet_naming_the_class_is_no_slider():
    assert executed.count_sliders("<style>.ll-static-slider{}</style><p class='x ll-static-slider-note'>") == 0
    assert executed.count_sliders("<div class='a ll-static-slider'></div>") == 1


def test_a_missing_executed_copy_is_an_error_that_says_where(tmp_path, book_priority):
    html = tmp_path / "_build" / "html"
    with pytest.raises(executed.MissingExecutedCopy, match=r"book/chapter.html: no executed notebook at .*"
                                                           r"_build/jupyter_execute/book/chapter.ipynb"):
        executed.expected(html, "book/chapter.html", {"book/chapter.html"}, book_priority)
    # a page that is no notebook needs none and shows nothing
    assert executed.expected(html, "book/intro.html", {"book/chapter.html"}, book_priority).static_sliders == 0


def test_widget_calls_are_read_from_code_cells(tmp_path):
    path = notebook(tmp_path, ("from lecturelib import widgets\nw = widgets.latent_explorer(vae)\nw", {}, []))
    assert executed.widget_calls(path) == ["latent_explorer"]
