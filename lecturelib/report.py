"""What a chapter prints besides figures: Markdown tables, glued numbers and the library's own source.

``glue`` stores a value in the notebook so the prose can quote it with myst-nb's
``{glue:text}`` role: a number in a sentence then comes from the cell that computed
it, at whatever preset the book was built. ``show_source`` displays the real source
of a ``lecturelib`` function or class, read at run time, so the code on the page is
the code that produced the numbers and cannot drift from it.
"""
from __future__ import annotations

import inspect
import textwrap

from IPython.display import Markdown

from ._checks import check_type

GLUE_PREFIX = "application/papermill.record/"   # myst-nb's (and scrapbook's) mark for glued data


def table(headers, rows) -> Markdown:
    """A Markdown table; every cell is turned into text with ``str``."""
    headers = [str(h) for h in headers]
    rows = [[str(c) for c in row] for row in rows]
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"rows[{i}] has {len(row)} cells, the header has {len(headers)}")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return Markdown("\n".join(lines))


def pct(x: float) -> str:
    """An accuracy in [0, 1] as a percentage with two decimals."""
    return f"{100 * x:.2f} %"


def glue(name: str, value) -> None:
    """Store ``value`` under ``name`` for ``{glue:text}`name``` in the chapter's Markdown.

    The same as ``myst_nb.glue(name, value, display=False)``, written out here so
    that a notebook also runs where myst-nb is not installed (Colab): the value is
    recorded in the cell's output and shows nothing. Glue numbers as numbers and
    format them in the role (``{glue:text}`acc:.2%```), or glue a finished string.
    Outside a running IPython kernel (a plain script, a test) it does nothing.
    """
    check_type("name", name, str, "a glue key (str)")
    if not name or any(c.isspace() for c in name) or "::" in name:
        raise ValueError(f"name must be a non-empty key without spaces or '::', got {name!r}")
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:
        return
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()   # a NumPy or torch scalar: its repr would not parse as a number in the role
    bundle, metadata = format_display_data(value)
    metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
    display({GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def source(obj, *, start: str | None = None, end: str | None = None) -> str:
    """The source code of a ``lecturelib`` function, class or method, as it is installed now.

    start, end: keep only the lines from the first containing ``start`` up to and
    including the first (after it) containing ``end`` -- e.g. the inner loop of ``fit``.
    """
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        raise TypeError(f"obj must be a function, class or method, got {type(obj).__name__}")
    module = getattr(obj, "__module__", "") or ""
    if not module.startswith("lecturelib"):
        raise ValueError(f"obj must come from lecturelib (the course shows its own code), got {module!r}")
    lines = inspect.getsource(obj).splitlines()
    if start is not None:
        hits = [i for i, line in enumerate(lines) if start in line]
        if not hits:
            raise ValueError(f"start {start!r} does not occur in the source of {obj.__qualname__}")
        lines = lines[hits[0]:]
    if end is not None:
        hits = [i for i, line in enumerate(lines) if end in line]
        if not hits:
            raise ValueError(f"end {end!r} does not occur in the source of {obj.__qualname__} after start")
        lines = lines[:hits[0] + 1]
    return textwrap.dedent("\n".join(lines))


def show_source(obj, *, start: str | None = None, end: str | None = None) -> Markdown:
    """``source(obj, start=, end=)`` as a highlighted Python block, headed by where it lives."""
    where = f"{obj.__module__}.{obj.__qualname__}"
    code = source(obj, start=start, end=end)
    return Markdown(f"`{where}`\n\n```python\n{code}\n```")
