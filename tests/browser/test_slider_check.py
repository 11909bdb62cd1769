"""The static-slider check itself, on small pages written here (no built book needed).

A static slider, as lecturelib writes it:
    <div class="ll-static-slider"> <input type="range" class="ll-static-input" min="0" max="N-1"
      step="1" value="K" oninput="..."> <output class="ll-static-value">label</output>
      <img class="ll-frame" alt="..."> x N (all but frame K `hidden`) </div>
"""
from __future__ import annotations

import pytest

from . import helpers

COLOURS = ["#d62728", "#2ca02c", "#1f77b4", "#ff7f0e"]


def frame_src(colour: str) -> str:
    svg = f"<svg xmlns='http://www.w3.org/2000/svg' width='40' height='30'><rect width='40' height='30' fill='{colour}'/></svg>"
    return "data:image/svg+xml," + svg.replace("#", "%23").replace("<", "%3C").replace(">", "%3E")


# The handler the contract asks for: inline, no global script.
WORKING = ("var s=this.closest('.ll-static-slider'),v=+this.value;"
           "s.querySelectorAll('img.ll-frame').forEach(function(f,k){f.hidden=(k!==v);});"
           "s.querySelector('output.ll-static-value').textContent=s.querySelectorAll('img.ll-frame')[v].dataset.label;")


def slider(n=4, value=1, handler=WORKING, alts=None, max_=None) -> str:
    alts = alts if alts is not None else [f"frame {k}: a {COLOURS[k % 4]} square" for k in range(n)]
    frames = "".join(
        f'<img class="ll-frame" src="{frame_src(COLOURS[k % 4])}" alt="{alts[k]}" data-label="step {k}"'
        f'{"" if k == value else " hidden"}>'
        for k in range(n))
    max_ = n - 1 if max_ is None else max_
    return (f'<div class="ll-static-slider"><input type="range" class="ll-static-input" min="0" max="{max_}"'
            f' step="1" value="{value}" oninput="{handler}"><output class="ll-static-value">step {value}</output>'
            f"{frames}</div>")


def page_with(*sliders: str) -> str:
    return "<!doctype html><html><body><p>synthetic</p>" + "".join(sliders) + "</body></html>"


@pytest.fixture
def page(browser):
    ctx = browser.new_context()
    pg = ctx.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert errors == [], f"JavaScript errors on the synthetic page: {errors}"


def test_a_working_slider_passes(page):
    page.set_content(page_with(slider(n=4, value=1), slider(n=2, value=0)))
    assert helpers.check_sliders(page) == []
    # and it really moved: the last index set shows, with its label
    shown = page.evaluate(helpers.SLIDER_STATE_JS, 0)
    assert shown["shown"] == [shown["value"]] and shown["label"] == f"step {shown['value']}"


def test_a_long_slider_is_sampled_and_passes(page):
    page.set_content(page_with(slider(n=60, value=0)))
    assert helpers.check_sliders(page) == []


def test_a_slider_whose_handler_does_nothing_fails(page):
    page.set_content(page_with(slider(handler="")))
    problems = helpers.check_sliders(page)
    assert problems and "slider 0" in problems[0], problems
    assert "show" in problems[0]


def test_a_handler_that_shows_the_wrong_frame_fails(page):
    off_by_one = WORKING.replace("k!==v", "k!==(v+1)%this.max")
    page.set_content(page_with(slider(n=4, value=1, handler=off_by_one)))
    # the initial state is right (frame 1 shows), the first move is not
    assert helpers.check_sliders(page) != []


def test_a_handler_that_leaves_the_old_frame_showing_fails(page):
    shows_but_never_hides = "this.closest('.ll-static-slider').querySelectorAll('img.ll-frame')[+this.value].hidden=false;"
    page.set_content(page_with(slider(handler=shows_but_never_hides)))
    assert any("frames" in p for p in helpers.check_sliders(page))


def test_a_single_frame_slider_fails(page):
    page.set_content(page_with(slider(n=1, value=0)))
    assert any("at least 2" in p for p in helpers.check_sliders(page))


def test_frames_without_alt_text_fail(page):
    page.set_content(page_with(slider(n=3, value=0, alts=["a red square", " ", "a blue square"])))
    assert any("no alt text" in p and "[1]" in p for p in helpers.check_sliders(page))


def test_a_range_that_does_not_match_the_frames_fails(page):
    page.set_content(page_with(slider(n=3, value=0, max_=5)))
    assert any("max=5" in p for p in helpers.check_sliders(page))


def test_two_frames_showing_at_start_fails(page):
    html = slider(n=3, value=0).replace(" hidden", "", 1)
    page.set_content(page_with(html))
    assert any("exactly that one" in p for p in helpers.check_sliders(page))
