"""Small tables for the chapters: numbers that ran, laid out as Markdown."""
from __future__ import annotations

from IPython.display import Markdown


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
