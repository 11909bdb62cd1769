"""The clean-page checks themselves (no overflow, no progress-bar residue), on small pages written here.

The synthetic page mimics the book's layout: a 600 px main column (``article.bd-article``)
with a sidebar beside it; what each test puts in the column is what a chapter might.
"""
from __future__ import annotations

import pytest

from . import helpers

LAYOUT = """<!doctype html><html><head><style>
body {{ margin: 0; font: 16px sans-serif; }}
.page {{ display: flex; }}
article.bd-article {{ width: 600px; }}
nav {{ width: 300px; }}
pre {{ overflow: auto; margin: 0; }}
.pst-scrollable-table-container {{ overflow-x: auto; }}
.clip {{ overflow: hidden; }}
mjx-assistive-mml {{ position: absolute; clip: rect(1px, 1px, 1px, 1px); overflow: hidden; width: auto; }}
</style></head><body><div class="page"><main id="main-content">
<article class="bd-article"><section id="the-section">{body}</section></article></main>
<nav>a sidebar whose content is wide: {wide}</nav></div></body></html>"""

LONG = "x = compute(" + ", ".join(f"argument_{k}" for k in range(20)) + ")"


def page_with(body: str) -> str:
    return LAYOUT.format(body=body, wide="w" * 200)


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def test_a_page_that_fits_passes(page):
    body = ("<p>" + "words " * 200 + "</p><div class='highlight'><pre>x = 1\nprint(x)</pre></div>"
            "<div class='pst-scrollable-table-container'><table><tr><td>a</td><td>b</td></tr></table></div>"
            "<img style='max-width:100%' width='2000' height='10' src='data:image/gif;base64,"
            "R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw=='>"
            "<span class='math' style='display:inline-flex;overflow:hidden'><mjx-container style='display:block;position:relative'>"
            "y<mjx-assistive-mml>" + "m" * 300 + "</mjx-assistive-mml></mjx-container></span>"
            "<details><summary>solution</summary><p>short</p></details>")
    page.set_content(page_with(body))
    assert helpers.overflow_problems(page) == []


def test_a_long_code_line_scrolls_and_is_named(page):
    page.set_content(page_with(f"<div class='highlight'><pre>{LONG}</pre></div>"))
    problems = helpers.overflow_problems(page)
    assert len(problems) == 1 and problems[0].startswith("scrolls at 1280 px: page text pre in div.highlight #the-section"), problems
    assert "px of content in 600 px" in problems[0] and "x = compute(argument_0" in problems[0]


def test_a_wide_table_in_its_scroll_container_is_flagged(page):
    cells = "".join(f"<td>provenance column {k}</td>" for k in range(12))
    page.set_content(page_with(f"<div class='pst-scrollable-table-container'><table><tr>{cells}</tr></table></div>"))
    problems = helpers.overflow_problems(page)
    assert len(problems) == 1 and "div.pst-scrollable-table-container" in problems[0], problems


def test_content_cut_off_by_a_hidden_overflow_is_flagged(page):
    page.set_content(page_with(f"<div class='clip'><span style='white-space:nowrap'>{LONG * 2}</span></div>"))
    assert [p.split(":")[0] for p in helpers.overflow_problems(page)] == ["cut off at 1280 px"]


def test_an_element_sticking_out_is_flagged_once(page):
    page.set_content(page_with("<div style='width:900px'><p>inside</p><p>the wide box</p></div>"))
    problems = helpers.overflow_problems(page)
    assert len(problems) == 1 and problems[0].startswith("sticks out at 1280 px: page text div"), problems
    assert "column ends at" in problems[0]


def test_a_wide_line_inside_a_closed_dropdown_is_found(page):
    page.set_content(page_with(f"<details><summary>solution</summary><div class='highlight'><pre>{LONG}</pre>"
                               "</div></details>"))
    assert any(p.startswith("scrolls at 1280 px: page text pre") for p in helpers.overflow_problems(page))


def test_code_cells_are_checked_at_the_code_width_and_the_rest_at_the_page_width(page):
    # A column that grows with the window, as the book's does: 680 px at 1280, 840 px at 1440.
    line = "y" * 95   # about 760 px of monospace: wider than 680, narrower than 840
    body = (f"<div class='cell_input'><div class='highlight'><pre style='font:13.3px monospace'>{line}</pre></div></div>"
            f"<div class='cell_output'><div class='highlight'><pre style='font:13.3px monospace'>{line}</pre></div></div>")
    html = LAYOUT.replace("article.bd-article {{ width: 600px; }}", "article.bd-article {{ width: calc(100vw - 600px); }}")
    page.set_content(html.format(body=body, wide="w"))
    problems = helpers.overflow_problems(page)
    assert len(problems) == 1 and problems[0].startswith("scrolls at 1280 px: cell output pre"), problems


def test_a_page_without_the_column_says_so(page):
    page.set_content("<!doctype html><p>no book layout</p>")
    assert helpers.overflow_problems(page) == [f"no main column ({helpers.MAIN_COLUMN}) on the page"]


def out(cls, text):
    return {"cls": f"output {cls} highlight-myst-ansi notranslate", "text": text}


def test_progress_bar_lines_are_found_in_any_output():
    outputs = [
        out("text_plain", "BS 64, lr 0.01:   0%|          | 0/1000 [00:00<?, ?it/s]"),
        out("stderr", "100%|##########| 10/10 [00:01<00:00,  9.8it/s]"),
        out("stream", "epoch 3\nBS 1024:  45%|████▌     | 29/64 [00:02<00:03, 11.2it/s]\ndone"),
        out("text_plain", "HBox(children=(HTML(value=''), FloatProgress(value=0.0, max=64.0), HTML(value='')))"),
        out("text_plain", "FloatProgress(value=0.0, max=1000.0)"),
        out("text_plain", "run: 1.2k/3.4k |###| 35%|  |  12/34"),   # odd, but a bar all the same
    ]
    bad = helpers.progress_lines(outputs)
    assert len(bad) == 6, bad
    assert bad[0].startswith("[text_plain highlight-myst-ansi notranslate] BS 64, lr 0.01:   0%|")


def test_text_that_only_mentions_percentages_is_not_a_bar():
    outputs = [
        out("stream", "test accuracy 97.8 % after 3 epochs | 1000 steps"),
        out("text_plain", "| batch size | accuracy |\n|---|---|\n| 64 | 97.8% |"),
        out("text_markdown", "100% of the runs reached the target; 64/64 batches"),
        out("stream", "diverged at step 12"),
    ]
    assert helpers.progress_lines(outputs) == []


def test_long_code_lines_wrap_inside_the_books_column(browser):
    """With the book's stylesheet (book/_static/course.css), a code line of any length wraps inside the
    column instead of scrolling it: 88 characters fit on one line at the code check's width, 200 wrap.

    Uses the book's own stylesheet when a built book is at hand (skips otherwise)."""
    if helpers.book_missing_message():
        pytest.skip(helpers.book_missing_message())
    page_file = next((helpers.BOOK_HTML / "book").glob("*.html"), None)
    assert "course.css" in page_file.read_text()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=helpers.BOOK_HTML.as_uri() + "/")
    pg = ctx.new_page()
    pg.goto(page_file.as_uri())
    heights, problems = {}, {}
    for n in (10, 200):
        heights[n] = pg.evaluate("""(n) => { document.querySelectorAll('article.bd-article section').forEach(s => s.remove());
            const art = document.querySelector('article.bd-article');
            art.insertAdjacentHTML('beforeend', '<section id="probe"><div class="cell docutils container">'
              + '<div class="cell_input docutils container"><div class="highlight-ipython3 notranslate">'
              + '<div class="highlight"><pre>' + 'x'.repeat(n) + '</pre></div></div></div></div></section>');
            return document.querySelector('#probe pre').getBoundingClientRect().height; }""", n)
        problems[n] = helpers.overflow_problems(pg)
    ctx.close()
    assert problems == {10: [], 200: []}, problems
    assert heights[200] > 1.5 * heights[10]          # it wrapped onto more lines
