"""The full-scale reproduction of the batch-size study, read from ``results/``: a table and a figure.

``python -m lecturelib.reproduce`` writes one results file per run of the study. These
functions only read them: the chapter's table and figure are rendered from the files,
and a run without a file is shown as missing, never filled in.
"""
from __future__ import annotations

from IPython.display import Markdown

from .._checks import check_type
from . import batch_size as bs

# The article's test accuracies for the runs its tables do not list numerically.
_ARTICLE_ACC_EXTRA = {"1024 ×1 → 64 ×30": 0.98, "1024 ×30 → 64 ×30": 0.98, "1024 ×30 → lr ×10 ×30": 0.98}


def article(label: str, key: str):
    """The article's value of ``key`` (test_acc, dist_w, ...) for run ``label``, or None when it gives none."""
    value = bs.ARTICLE_TABLE.get(label, {}).get(key)
    if value is None and key == "test_acc":
        value = _ARTICLE_ACC_EXTRA.get(label)
    return value


def study_labels() -> list[str]:
    """The study's 13 runs at full scale, in the reproduction's order."""
    return [spec.label for spec in bs.study_runs(bs.scale("full"))]


def summary_rows(results: dict) -> list[list[str]]:
    """One compact row per study run: run, test accuracy (article / ours), W (article / ours)."""
    check_type("results", results, dict, "a dict label -> results payload (see batch_size.load_results)")
    rows = []
    for label in study_labels():
        ours = results.get(label, {}).get("summary")
        acc, w = article(label, "test_acc"), article(label, "dist_w")
        rows.append([label,
                     "—" if acc is None else f"{100 * acc:.0f} %",
                     "missing" if ours is None else f"{100 * ours['test_acc']:.2f} %",
                     "—" if w is None else f"{w:.2f}",
                     "missing" if ours is None else f"{ours['dist_w']:.2f}"])
    return rows


def table(results: dict) -> Markdown:
    """The compact article-against-ours table, with each file's provenance in a collapsed dropdown."""
    from ..report import table as md_table

    main = md_table(["run", "test acc., article", "ours", "W, article", "ours"], summary_rows(results)).data
    prov = md_table(["run", "device", "wall time", "commit", "date"],
                    [[label, p.get("device", "?"),
                      f"{p['wall_seconds'] / 60:.0f} min", f"`{p['git_commit'][:7]}`", p["date"][:10]]
                     for label in study_labels() if label in results
                     for p in [results[label]["provenance"]]]).data
    return Markdown(f"{main}\n\n:::{{dropdown}} Where each file came from (provenance)\n{prov}\n:::\n")


def figure(results: dict, *, axs=None):
    """Article against ours for every run: test accuracy (left) and W = ‖W − W₀‖ (right, log scale).

    A run without a results file gets a hatched grey bar labelled "missing"; a value the
    article does not report gets no article bar.
    """
    import numpy as np

    from ..plots import axes

    check_type("results", results, dict, "a dict label -> results payload (see batch_size.load_results)")
    labels = study_labels()
    if axs is None:
        _, axs = axes(2, width=5.2, height=6.0)
    y = np.arange(len(labels))
    for ax, key, scale, title in ((axs[0], "test_acc", 100, "test accuracy (%)"),
                                  (axs[1], "dist_w", 1, "W = ‖W − W₀‖ (log scale)")):
        art = [article(label, key) for label in labels]
        ours = [results.get(label, {}).get("summary", {}).get(key) for label in labels]
        floor = 90 if key == "test_acc" else 1
        for offset, values, colour, name in ((-0.2, art, "C0", "article"), (0.2, ours, "C1", "ours")):
            shown = [i for i, v in enumerate(values) if v is not None]
            ax.barh(y[shown] + offset, [values[i] * scale - floor for i in shown], left=floor, height=0.4,
                    color=colour, label=name)
        for i, o in enumerate(ours):
            if o is None:
                ax.barh(i + 0.2, 1, left=floor, height=0.4, color="lightgrey", hatch="//")
                ax.text(floor, i + 0.2, " missing", va="center", fontsize="small")
        ax.set_title(title)
        if key == "test_acc":
            ax.set_xlim(floor, 100)
        else:
            ax.set_xscale("log")
        ax.set_yticks(y)
        ax.invert_yaxis()
    axs[0].set_yticklabels(labels, fontsize="small")
    axs[1].set_yticklabels([])
    axs[1].legend(loc="lower right")
    return axs


def geometry_rows(results: dict) -> list[list[str]]:
    """One row per run with a results file: W and ‖W‖ (article / ours) and our per-layer cosines."""
    check_type("results", results, dict, "a dict label -> results payload (see batch_size.load_results)")

    def pair(label, key, fmt):
        a, o = article(label, key), results[label]["summary"][key]
        return f"{'—' if a is None else fmt(a)} / {fmt(o)}"

    return [[label, pair(label, "dist_w", "{:.2f}".format), pair(label, "norm_w", "{:.1f}".format),
             ", ".join(f"{c:.3f}" for c in results[label]["summary"]["cos_layers"])]
            for label in study_labels() if label in results]


def geometry_table(results: dict) -> Markdown:
    """Where the full-scale runs ended: distance travelled, weight norm and cosines to the initial weights."""
    from ..report import table as md_table

    return md_table(["run", "‖W − W₀‖ article / ours", "‖W‖ article / ours", "cos(init, final), ours"],
                    geometry_rows(results))
