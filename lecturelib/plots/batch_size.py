"""The batch-size chapters (batch size, sharpness, batch dynamics): SGD paths on a toy,
sharpness of the minima, the temperature lr/B, the article's gradient protocol."""
from __future__ import annotations

from .._checks import check_type
from .style import axes, finish


def sharpness_bars(minima: dict, *, axs=None):
    """Three bar panels for the BS15 runs: loss rise under perturbation, λ_max, train−test gap.

    minima: a dict label -> ``experiments.sharpness.Measured``. Returns the axes.
    """
    if not isinstance(minima, dict) or not minima:
        raise TypeError(f"minima must be a non-empty dict label -> Measured, got {type(minima).__name__}")
    if axs is None:
        _, axs = axes(3, width=3.8)
    labels = list(minima)
    panels = (("loss rise under perturbation", [m.perturbation_rise for m in minima.values()]),
              ("λ_max of the Hessian", [m.top_eigenvalue for m in minima.values()]),
              ("train − test accuracy (points)", [100 * m.gap for m in minima.values()]))
    for ax, (title, values) in zip(axs, panels):
        ax.barh(labels, values, color=[f"C{i}" for i in range(len(labels))])
        ax.invert_yaxis()
        ax.set_title(title)
    for ax in axs[1:]:
        ax.set_yticklabels([])
    return axs


def temperature(grid, *, axs=None):
    """Test accuracy (left) and λ_max (right) against lr/B, one marker style per batch size.

    grid: a list of ``experiments.sharpness.TemperatureRun``. Returns the axes.
    """
    grid = list(grid)
    if not grid:
        raise ValueError("grid must hold at least one TemperatureRun")
    if axs is None:
        _, axs = axes(2)
    left, right = axs
    for i, b in enumerate(sorted({r.batch_size for r in grid})):
        runs = sorted((r for r in grid if r.batch_size == b), key=lambda r: r.temperature)
        t = [r.temperature for r in runs]
        left.plot(t, [100 * r.test_acc for r in runs], marker="osD^v"[i % 5], label=f"B = {b}")
        right.plot(t, [r.top_eigenvalue for r in runs], marker="osD^v"[i % 5], label=f"B = {b}")
    for ax, name in ((left, "test accuracy (%)"), (right, "λ_max of the Hessian")):
        ax.set_xscale("log")
        ax.set_xlabel("temperature lr / B")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    left.legend(title="batch size")
    return axs


def toy_paths(toy, paths: dict, *, ax=None, title: str | None = None, levels: int = 12):
    """SGD paths over the loss contours of a 2-parameter toy (``experiments.batch_size.toy_paths``).

    toy: the ``Toy`` the paths ran on (its loss gives the contours, its optimum the star);
    paths: a dict batch size -> array (T + 1, 2). The full batch (B = N) is labelled as such.
    """
    import numpy as np

    from ..experiments.batch_size import Toy

    check_type("toy", toy, Toy, "a lecturelib.experiments.batch_size.Toy")
    check_type("paths", paths, dict, "a dict batch size -> path (see experiments.batch_size.toy_paths)")
    if not paths:
        raise ValueError("paths must hold at least one path, got none")
    arrays = {}
    for b, path in paths.items():
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2 or len(path) < 1:
            raise ValueError(f"paths[{b!r}] must be an array of shape (T + 1, 2), got {path.shape}")
        arrays[b] = path
    if ax is None:
        _, (ax,) = axes(1, width=5.0, height=4.2)
    points = np.concatenate([*arrays.values(), toy.optimum[None]])
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * (hi - lo).max() + 0.1
    g1, g2 = np.meshgrid(np.linspace(lo[0] - pad, hi[0] + pad, 120), np.linspace(lo[1] - pad, hi[1] + pad, 120))
    ax.contour(g1, g2, toy.loss(np.stack([g1, g2], axis=-1)), levels=levels, colors="0.75", linewidths=0.8)
    for i, (b, path) in enumerate(arrays.items()):
        name = f"full batch (B = {b})" if b == toy.n else f"B = {b}"
        ax.plot(path[:, 0], path[:, 1], "-", marker="." if len(path) <= 40 else None, markersize=4,
                linewidth=1.2, color=f"C{i}", label=f"{name}: {len(path) - 1} steps")
        ax.plot(*path[-1], "o", color=f"C{i}", markersize=5)
    start = next(iter(arrays.values()))[0]
    ax.plot(*start, "ks", markersize=6, label="start")
    ax.plot(*toy.optimum, "k*", markersize=12, label="optimum w*")
    ax.set(xlabel="$w_1$", ylabel="$w_2$", aspect="equal")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", loc="best")
    return ax


def protocol_norms(norms: dict, *, full: dict | None = None, ax=None, title: str | None = None):
    """The article's gradient protocol: the summed last-layer gradient's norm against batch size B.

    norms: {regime: {B: array of norms over trials}} (``gradient_protocol.measure``); drawn as mean
    ± std, with a dotted line for the fixed-weight prediction (S/B) × norm at B = S (S = the largest
    B, one step on all the trial's samples). full: the same dict from the full-scale results file,
    drawn dashed (means only). Returns the axes.
    """
    import numpy as np

    for name, value in (("norms", norms), ("full", full)):
        if value is not None and (not isinstance(value, dict) or not value):
            raise TypeError(f"{name} must be a non-empty dict regime -> {{B: norms}}, got {type(value).__name__}")
    if ax is None:
        _, (ax,) = axes(width=7)
    for i, (regime, per_b) in enumerate(norms.items()):
        sizes = np.array(sorted(per_b))
        top = sizes.max()
        mean = np.array([np.mean(per_b[b]) for b in sizes])
        ax.errorbar(sizes, mean, yerr=[np.std(per_b[b]) for b in sizes], fmt="o-", capsize=3, color=f"C{i}",
                    label=f"{regime}: trials (mean ± std)")
        ax.plot(sizes, top / sizes * mean[-1], ":", color=f"C{i}", label=f"{regime}: fixed weights, (S/B)·‖ḡ_S‖")
        if full is not None and regime in full:
            fs = np.array(sorted(full[regime]))
            ax.plot(fs, [np.mean(full[regime][b]) for b in fs], "s--", color=f"C{i}", alpha=0.6,
                    label=f"{regime}: full scale")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("‖summed last-layer gradient‖")
    finish(ax, title)
    ax.legend(fontsize="small")
    return ax
