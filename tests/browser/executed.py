"""What each chapter's executed notebook displayed, counted as the book's HTML must show it.

The browser test compares every page with its executed copy: the notebook the
strict build ran and rendered (``<build>/_build/jupyter_execute/book/NAME.ipynb``,
next to the html folder). For each output myst-nb shows the mime type that comes
first in the html builder's priority list, with the overrides of ``_config.yml``
applied; the book drops widget views there, so a panel's output shows as its
static twin (lecturelib.static) and a finished progress bar as nothing. Counting
what the shown mime type holds gives the page's expected widget views and static
sliders; a page that lost its widget, or a twin that did not render, then fails.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SLIDER_CLASS = "ll-static-slider"
BUILDER = "html"
# Cell tags with which myst-nb shows none of a cell's outputs.
REMOVED_CELL = {"remove-cell", "remove_cell"}
REMOVED_OUTPUT = {"remove-output"}
# A chapter that displays a lecturelib widget calls one of its factories in a code cell.
WIDGET_CALL = re.compile(r"\bwidgets\.([a-z_]\w*)\(")


class MissingExecutedCopy(Exception):
    """A chapter page's executed notebook is not in the build."""


@dataclass(frozen=True)
class Displayed:
    """What one executed notebook's outputs put on its page."""
    notebook: Path
    widget_views: int = 0        # outputs the page shows as a widget view
    static_sliders: int = 0      # div.ll-static-slider blocks in the outputs the page shows as HTML
    panels: int = 0              # widget outputs with a fallback to show: the chapter's widgets
    text_only: list[str] = field(default_factory=list)  # panels the page shows as bare text


def executed_dir(book_html: Path) -> Path:
    """The build's executed notebooks: ``<build>/_build/jupyter_execute`` beside ``<build>/_build/html``."""
    return Path(book_html).parent / "jupyter_execute"


def executed_copy(book_html: Path, page_name: str) -> Path:
    """The executed notebook of a page ('book/NAME.html' -> jupyter_execute/book/NAME.ipynb)."""
    return executed_dir(book_html) / (page_name.removesuffix(".html") + ".ipynb")


def mime_priority(config: dict) -> list[str]:
    """The html builder's mime types, best first, as myst-nb orders them with the book's overrides."""
    from myst_nb.core.render import get_mime_priority

    overrides = (config.get("sphinx") or {}).get("config", {}).get("nb_mime_priority_overrides", [])
    return get_mime_priority(BUILDER, [tuple(o) for o in overrides])


def shown_mime(data: dict, priority: list[str]) -> str | None:
    """The mime type of an output's bundle that the page shows (None: the output shows nothing)."""
    return next((m for m in priority if m in data), None)


class _SliderCounter(HTMLParser):
    def __init__(self):
        super().__init__()
        self.count = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if SLIDER_CLASS in classes:
            self.count += 1


def count_sliders(html: str) -> int:
    """Elements whose class list holds ll-static-slider (a stylesheet naming the class does not count)."""
    parser = _SliderCounter()
    parser.feed(html)
    parser.close()
    return parser.count


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def _shown_outputs(nb: dict):
    """(cell index, output) for every output myst-nb puts on the page."""
    for index, cell in enumerate(nb.get("cells", [])):
        tags = set(cell.get("metadata", {}).get("tags", []))
        removed = cell.get("metadata", {}).get("mystnb", {}).get("remove_code_outputs", False)
        if tags & (REMOVED_CELL | REMOVED_OUTPUT) or removed:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result"):
                yield index, output


def displayed(notebook: Path, priority: list[str]) -> Displayed:
    """Count what an executed notebook's outputs put on its page under ``priority``."""
    nb = json.loads(Path(notebook).read_text())
    views = sliders = panels = 0
    text_only = []
    for index, output in _shown_outputs(nb):
        data = output.get("data", {})
        mime = shown_mime(data, priority)
        if mime == WIDGET_VIEW:
            views += 1
        elif mime == "text/html":
            sliders += count_sliders(_text(data[mime]))
        # A panel's output carries a fallback (its twin, a line naming it); a finished
        # progress bar's is empty on purpose (lecturelib.progress) and is no widget.
        if WIDGET_VIEW in data and any(_text(data.get(m)).strip() for m in ("text/html", "text/plain")):
            panels += 1
            if mime not in (WIDGET_VIEW, "text/html") or (mime == "text/html"
                                                           and not count_sliders(_text(data[mime]))):
                text_only.append(f"cell {index}: shown as {mime}: {_text(data.get('text/plain')).strip()[:80]!r}")
    return Displayed(notebook=Path(notebook), widget_views=views, static_sliders=sliders,
                     panels=panels, text_only=text_only)


def expected(book_html: Path, page_name: str, chapters: set[str], priority: list[str]) -> Displayed:
    """What ``page_name`` must show: its executed notebook's counts for a chapter, nothing for other pages.

    chapters: the pages that come from a notebook ('book/NAME.html'). Raises
    MissingExecutedCopy when a chapter's executed copy is not in the build.
    """
    if page_name not in chapters:
        return Displayed(notebook=Path())
    copy = executed_copy(book_html, page_name)
    if not copy.is_file():
        raise MissingExecutedCopy(
            f"{page_name}: no executed notebook at {copy}, so nothing to compare the page's widgets and "
            f"static sliders with (the html at {book_html} must come with its build's _build/jupyter_execute; "
            f"run `make build-ci`)")
    return displayed(copy, priority)


def widget_calls(source_notebook: Path) -> list[str]:
    """The lecturelib widget factories a (source) notebook's code cells call, e.g. ['padding_visualizer']."""
    nb = json.loads(Path(source_notebook).read_text())
    calls = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            calls += WIDGET_CALL.findall(_text(cell.get("source")))
    return calls
