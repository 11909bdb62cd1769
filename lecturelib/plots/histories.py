"""Curves and final values of Histories, the figures every chapter draws."""
from __future__ import annotations

import math

from .._checks import check_choice, check_type
from ..train import History
from .style import AXIS_LABELS, X_AXES, axes, finish


def curves(histories, key: str, *, x: str = "epoch", ax=None, title: str | None = None,
           skip_first: bool = False, percent: bool | None = None, highlight: str | None = None):
    """One line per History of ``key`` against ``x`` (epoch, steps, samples or seconds).

    histories: a dict label -> History, or a list of Histories (labelled by their own label).
    skip_first: leave out entry 0 (before training).
    percent: show accuracies in percent (default: for keys ending in ``acc``).
    highlight: the label of one line to draw bold; the others fade (the axes stay
        the same, so frames that highlight different runs compare directly).
    """
    items = _items(histories)
    check_choice("x", x, X_AXES)
    if highlight is not None:
        check_choice("highlight", highlight, [name for name, _ in items])
    if ax is None:
        _, (ax,) = axes()
    percent = key.endswith("acc") if percent is None else percent
    for name, h in items:
        xs = getattr(h, x)
        ys = h[key]
        if skip_first:
            xs, ys = xs[1:], ys[1:]
        emphasis = {} if highlight is None else ({"linewidth": 2.6, "zorder": 3} if name == highlight
                                                  else {"alpha": 0.25, "linewidth": 1.0})
        ys = [100 * y for y in ys] if percent else ys
        shown = f"{name} ({h.divergence})" if h.diverged else name
        line, = ax.plot(xs, ys, label=shown, marker="." if len(xs) < 40 else None, **emphasis)
        if h.diverged:
            _mark_divergence(ax, xs, ys, h, color=line.get_color())
    ax.set_xlabel(AXIS_LABELS[x])
    ax.set_ylabel(AXIS_LABELS.get(key, key) + (" (%)" if percent else ""))
    finish(ax, title)
    ax.legend(fontsize="small")
    return ax


def final_bars(histories, key: str, *, ax=None, title: str | None = None, percent: bool | None = None):
    """A horizontal bar per History with its final ``key`` printed on the bar."""
    items = _items(histories)
    if ax is None:
        _, (ax,) = axes()
    percent = key.endswith("acc") if percent is None else percent
    names = [n for n, _ in items]
    # A diverged run gets no bar (its final value is the broken model's) but its mark instead.
    vals = [0.0 if h.diverged or not math.isfinite(h.final(key)) else h.final(key) * (100 if percent else 1)
            for _, h in items]
    bars = ax.barh(names, vals, color="tab:blue", alpha=0.8)
    labels = [h.divergence if h.diverged else (f"{v:.2f}" if percent else f"{v:.3g}")
              for (_, h), v in zip(items, vals)]
    ax.bar_label(bars, labels=labels, padding=3, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel(AXIS_LABELS.get(key, key) + (" (%)" if percent else ""))
    if title:
        ax.set_title(title)
    kept = [v for (_, h), v in zip(items, vals) if not h.diverged]
    if percent:   # from 0 when a run diverged, so its words sit inside the axes
        ax.set_xlim(0 if len(kept) < len(vals) else max(0, min(kept) - 5), 100)
    return ax


def _mark_divergence(ax, xs, ys, h, *, color):
    """An × where a diverged run stopped, at its last finite value, and the words beside it."""
    if not xs:
        return
    finite = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
    x_stop = xs[-1]
    if not finite:   # nothing to draw a curve from: a dashed line where the run stopped
        ax.axvline(x_stop, color=color, linestyle="--", linewidth=1.2)
        ax.annotate(h.divergence, (x_stop, 0.5), xycoords=("data", "axes fraction"), rotation=90,
                    textcoords="offset points", xytext=(-4, 0), ha="right", va="center", fontsize="small",
                    color=color)
        return
    y_stop = finite[-1][1]
    ax.plot([x_stop], [y_stop], marker="X", markersize=9, color=color, linestyle="none", zorder=4)
    ax.annotate(h.divergence, (x_stop, y_stop), textcoords="offset points", xytext=(-6, 8), ha="right",
                fontsize="small", color=color)


def _items(histories):
    if isinstance(histories, dict):
        items = list(histories.items())
    elif isinstance(histories, (list, tuple)):
        items = [(getattr(h, "label", str(i)), h) for i, h in enumerate(histories)]
    else:
        raise TypeError(f"histories must be a dict of label -> History or a list of History, "
                        f"got {type(histories).__name__}")
    if not items:
        raise ValueError("histories must hold at least one History, got none")
    for name, h in items:
        check_type(f"histories[{name!r}]", h, History, "a lecturelib.train.History")
    return items
