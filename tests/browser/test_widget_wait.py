"""The wait for widget views reports a timeout (on small pages written here, no built book needed)."""
from __future__ import annotations

import pytest

from . import widget_views

VIEW = f'<script type="application/vnd.jupyter.widget-view+json">{{"model_id": "m"}}</script>'
RENDERED = '<div class="widget-subarea"><div class="jupyter-widgets">a slider</div></div>' + VIEW


@pytest.fixture
def page(browser):
    ctx = browser.new_context()
    pg = ctx.new_page()
    yield pg
    ctx.close()


def test_a_page_without_widget_views_does_not_wait(page):
    page.set_content("<p>no widgets</p>")
    assert widget_views.wait_for_widgets(page, "plain.html", timeout_ms=1) is None
    assert widget_views.count(page) == {"views": 0, "rendered": 0}


def test_rendered_views_pass(page):
    page.set_content(RENDERED + RENDERED)
    assert widget_views.wait_for_widgets(page, "two.html", timeout_ms=500) is None
    assert widget_views.count(page) == {"views": 2, "rendered": 2}


def test_a_view_that_never_renders_is_reported(page):
    page.set_content(RENDERED + VIEW)
    message = widget_views.wait_for_widgets(page, "book/broken.html", timeout_ms=300)
    assert message is not None and message.startswith("book/broken.html: timed out after 0.3 s"), message
    assert message.endswith("1 of 2 rendered") and widget_views.SELECTOR in message


def test_other_errors_propagate(page):
    page.close()
    with pytest.raises(Exception, match="closed"):
        widget_views.wait_for_widgets(page, "closed.html")
