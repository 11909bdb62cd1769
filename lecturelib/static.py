"""Kernel-free twins of the widgets: precomputed frames behind an HTML range slider.

A rendered book has no Python kernel, so an ipywidgets slider there moves but
changes nothing. A widget's twin is the same figure drawn ahead of time for
each value of its main control; ``slider_html`` packs those frames into one
self-contained block of HTML (PNG images inline, a few characters of inline
JavaScript, no global script and no CDN), which myst-nb places in the page.

The block's shape is a contract the browser test checks
(``tests/browser``): a ``div.ll-static-slider`` holding one
``input.ll-static-input`` (range 0..N-1), one ``output.ll-static-value`` and
N ``img.ll-frame``, of which only the current one lacks ``hidden``.
"""
from __future__ import annotations

import base64
import html
import io

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ._checks import check_int, check_type

# Runs in the browser when the slider moves: show frame number `value`, hide
# the others and print its label. Written to work from an HTML attribute, so
# it uses single quotes only.
_ON_MOVE = (
    "var box=this.closest('.ll-static-slider'),i=Number(this.value),"
    "frames=box.querySelectorAll('.ll-frame');"
    "frames.forEach(function(f,j){f.hidden=(j!==i);});"
    "box.querySelector('.ll-static-value').textContent=frames[i].dataset.label;"
)

_STYLE = ("<style>.ll-static-slider img.ll-frame[hidden]{display:none}"
          ".ll-static-slider img.ll-frame{max-width:100%;height:auto}"
          ".ll-static-slider .ll-static-note{font-size:0.85em;opacity:0.8;margin:0.2em 0}</style>")


def figure_png(fig: Figure, *, dpi: int = 80) -> bytes:
    """The figure as PNG bytes; closes the figure, since a twin keeps only its pixels."""
    check_type("fig", fig, Figure, "a matplotlib Figure")
    dpi = check_int("dpi", dpi, low=20, high=300)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def slider_html(frames, *, name: str, alt: str, start: int = 0, note: str = "", dpi: int = 80) -> str:
    """One block of HTML: a range slider over ``frames`` that swaps the image shown.

    frames: a non-empty list of (label, Figure); label is what the slider prints
        for that frame (e.g. "64" for a batch size). Figures are closed.
    name: what the slider moves, shown beside it (e.g. "batch size").
    alt: what every frame shows, for readers who cannot see it; each frame's
        alt text is ``alt`` followed by its own label.
    start: index of the frame shown first.
    note: one line printed above the slider (e.g. which preset made the frames).
    """
    check_type("frames", frames, (list, tuple), "a list of (label, Figure) pairs")
    if len(frames) == 0:
        raise ValueError("frames must hold at least one (label, Figure) pair, got an empty list")
    for i, item in enumerate(frames):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], Figure)):
            raise TypeError(f"frames[{i}] must be a (str, matplotlib Figure) pair, got {item!r}")
    for arg, value in (("name", name), ("alt", alt)):
        check_type(arg, value, str, "a string")
        if not value.strip():
            raise ValueError(f"{arg} must be a non-empty string, got {value!r}")
    check_type("note", note, str, "a string")
    start = check_int("start", start, low=0, high=len(frames) - 1)

    images = []
    for i, (label, fig) in enumerate(frames):
        data = base64.b64encode(figure_png(fig, dpi=dpi)).decode("ascii")
        images.append(
            f'<img class="ll-frame" data-label="{html.escape(label)}" '
            f'alt="{html.escape(f"{alt} ({name}: {label})")}" '
            f'src="data:image/png;base64,{data}"{"" if i == start else " hidden"}>')
    note_html = f'<p class="ll-static-note">{html.escape(note)}</p>' if note else ""
    return (
        f'{_STYLE}<div class="ll-static-slider" role="group" aria-label="{html.escape(name)}">{note_html}'
        f'<label>{html.escape(name)} '
        f'<input type="range" class="ll-static-input" min="0" max="{len(frames) - 1}" step="1" '
        f'value="{start}" oninput="{_ON_MOVE}" onchange="{_ON_MOVE}"></label> '
        f'<output class="ll-static-value">{html.escape(frames[start][0])}</output>'
        f'<div class="ll-static-frames">{"".join(images)}</div></div>'
    )
