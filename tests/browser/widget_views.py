"""Widget views on a built page: how many there are, how many rendered, and the wait for them.

A widget view the book keeps is a ``<script type="application/vnd.jupyter.widget-view+json">``;
it has rendered when the widget manager put a ``.widget-subarea`` holding a drawn widget
just before it. The book drops widget views (``_config.yml``), so a page normally has
none; the counts still say what a page shows when a chapter or the config brings some back.
"""
from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

SELECTOR = 'script[type="application/vnd.jupyter.widget-view+json"]'
DRAWN = ".jupyter-widgets, .widget-box, .lm-Widget"
WAIT_MS = 15_000

_RENDERED = f"""
s => s.previousElementSibling && s.previousElementSibling.matches('.widget-subarea')
     && s.previousElementSibling.querySelector('{DRAWN}')
"""

COUNT_JS = f"""
() => {{
  const views = Array.from(document.querySelectorAll('{SELECTOR}'));
  return {{views: views.length, rendered: views.filter({_RENDERED}).length}};
}}
"""

ALL_RENDERED_JS = f"() => Array.from(document.querySelectorAll('{SELECTOR}')).every({_RENDERED})"


def count(page) -> dict:
    """{'views': widget views on the page, 'rendered': how many of them rendered}."""
    return page.evaluate(COUNT_JS)


def wait_for_widgets(page, page_name: str, timeout_ms: int = WAIT_MS) -> str | None:
    """Wait until every widget view on the page has rendered.

    Returns None when they did (or there are none), else what timed out: the page,
    what was waited for and how many had rendered. Any other error propagates.
    """
    if not count(page)["views"]:
        return None
    try:
        page.wait_for_function(ALL_RENDERED_JS, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        seen = count(page)
        return (f"{page_name}: timed out after {timeout_ms / 1000:g} s waiting for every widget view "
                f"({SELECTOR}) to render into a .widget-subarea holding {DRAWN}: "
                f"{seen['rendered']} of {seen['views']} rendered")
    return None
