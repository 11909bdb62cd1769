"""Figures from Histories, in one house style.

Every function draws on an ``ax`` you pass (or a new one) and returns it, so a
notebook can lay figures side by side. Nothing here trains or computes.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt

from ._checks import check_choice, check_float, check_type
from .train import History

AXIS_LABELS = {
    "epoch": "epoch", "steps": "optimizer steps", "samples": "training samples seen",
    "seconds": "training time (s)",
    "train_acc": "train accuracy", "test_acc": "test accuracy",
    "train_loss": "train loss (cross-entropy)", "test_loss": "test loss (cross-entropy)",
    "dist_w": "‖W − W₀‖ (weights)", "dist_b": "‖b − b₀‖ (biases)",
    "norm_w": "‖W‖ (weights)", "norm_b": "‖b‖ (biases)",
}
X_AXES = ("epoch", "steps", "samples", "seconds")


def label(batch_size: int, lr: float, optimizer: str = "sgd") -> str:
    """The legend entry every chapter uses for one run."""
    prefix = "" if optimizer == "sgd" else f"{optimizer}, "
    return f"{prefix}BS {batch_size}, lr {lr:g}"


def axes(ncols: int = 1, *, width: float = 5.0, height: float = 3.6):
    """A row of ``ncols`` axes with the course's default size."""
    fig, ax = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False, layout="constrained")
    return fig, ax[0]


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
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
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


def lr_grid(grid, *, best: dict | None = None, ax=None, title: str | None = None):
    """A batch size x learning rate heat map of test accuracy (``lr_scaling.Grid``), each cell
    labelled; ``best`` (batch size -> lr) is drawn as the ridge of best learning rates.
    A cell whose run diverged reads "× N" (diverged at step N; its colour is chance accuracy)."""
    import numpy as np

    if ax is None:
        _, (ax,) = axes()
    acc = 100 * np.asarray(grid.acc)
    im = ax.imshow(acc, cmap="viridis", aspect="auto", origin="lower", vmin=max(10.0, acc.min()), vmax=acc.max())
    diverged = getattr(grid, "diverged", None)
    for i in range(acc.shape[0]):
        for j in range(acc.shape[1]):
            step = int(diverged[i, j]) if diverged is not None else 0
            ax.text(j, i, f"× {step}" if step else f"{acc[i, j]:.1f}", ha="center", va="center", fontsize="x-small",
                    color="white" if acc[i, j] < (acc.min() + acc.max()) / 2 else "black")
    ax.set_xticks(range(len(grid.lrs)), [f"{lr:g}" for lr in grid.lrs], rotation=45)
    ax.set_yticks(range(len(grid.batch_sizes)), [str(b) for b in grid.batch_sizes])
    ax.set(xlabel="learning rate", ylabel="batch size")
    if best:
        x0, step = np.log2(grid.lrs[0]), np.log2(grid.lrs[1] / grid.lrs[0])
        ys = [grid.batch_sizes.index(b) for b in best]
        xs = [(np.log2(lr) - x0) / step for lr in best.values()]
        ax.plot(xs, ys, color="tab:red", marker="o", label="best lr (smoothed)")
    if diverged is not None and diverged.any():   # the same words as curves' mark, for the cells' "× N"
        ax.plot([], [], linestyle="none", marker="$×$", color="black", label="× N: diverged at step N")
    if best or (diverged is not None and diverged.any()):
        ax.legend(fontsize="x-small", loc="upper left")
    ax.set_title(title or grid.label)
    ax.figure.colorbar(im, ax=ax, label="test accuracy (%)")
    return ax


def steps_to_target(steps: dict, crit: dict, noise_scale: float, *, target: float,
                    power: dict | None = None, ax=None, title: str = "Steps to target"):
    """Steps to the target accuracy against batch size (log-log): ``steps`` maps batch size to
    steps (``lr_scaling.mean_steps``; ``None`` for not reached) or to the runs of
    ``lr_scaling.steps_to_target``. Drawn with the perfect-scaling line from the smallest batch,
    the fit S_min (1 + B_crit/B) of ``crit`` (``lr_scaling.critical_batch``), the power law
    ``power`` (``lr_scaling.power_law``) if given, and vertical lines at B_crit and
    ``noise_scale``."""
    import numpy as np

    from .report import pct

    reached = _reached_steps(steps)
    check_type("crit", crit, dict, "the dict of lr_scaling.critical_batch")
    check_float("noise_scale", noise_scale, low=0.0, low_open=True)
    check_float("target", target, low=0.0, high=1.0)
    if power is not None:
        check_type("power", power, dict, "the dict of lr_scaling.power_law or None")
    if ax is None:
        _, (ax,) = axes()
    bs = np.array(sorted(reached), dtype=float)
    st = np.array([reached[b] for b in sorted(reached)], dtype=float)
    ax.loglog(bs, st, "o", color="k", label="measured")
    ax.loglog(bs, st[0] * bs[0] / bs, "--", color="gray", label="perfect scaling (steps ∝ 1/B)")
    grid_b = np.geomspace(bs[0], bs[-1], 100)
    ax.loglog(grid_b, crit["S_min"] * (1 + crit["B_crit"] / grid_b), color="tab:red",
              label="fit S_min (1 + B_crit/B)")
    if power is not None:
        ax.loglog(grid_b, power["c"] * grid_b ** -power["a"], color="tab:blue", linestyle="-.",
                  label=f"power law B^−{power['a']:.2f}")
    ax.axvline(crit["B_crit"], color="tab:red", linestyle=":", label=f"B_crit ≈ {crit['B_crit']:.0f}")
    ax.axvline(noise_scale, color="tab:green", linestyle=":", label=f"B_noise ≈ {noise_scale:.0f}")
    ax.set(xlabel="batch size", ylabel=f"steps to {pct(target)} test accuracy", title=title)
    ax.legend(fontsize="x-small")
    ax.grid(alpha=0.3, which="both")
    return ax


def seconds_to_target(runs: dict, *, ax=None, title: str = "Wall clock to target"):
    """Training seconds to the target accuracy against batch size (log x), for the runs of
    ``lr_scaling.steps_to_target`` that reached it."""
    reached = _reached_runs(runs)
    check_type("title", title, str, "a str")
    if ax is None:
        _, (ax,) = axes()
    ax.semilogx([float(b) for b in sorted(reached)], [reached[b].seconds for b in sorted(reached)], "o-",
                color="tab:purple")
    ax.set(xlabel="batch size", ylabel="training seconds to target", title=title)
    ax.grid(alpha=0.3, which="both")
    return ax


def noise_ball(ball: dict, *, lr: float, ax=None):
    """Distance to the optimum after SGD at the fixed ``lr`` against batch size (log-log), from
    ``lr_scaling.noise_ball``."""
    check_type("ball", ball, dict, "the dict of lr_scaling.noise_ball")
    if not ball:
        raise ValueError("ball must hold at least one batch size, got none")
    lr = check_float("lr", lr, low=0.0, low_open=True)
    if ax is None:
        _, (ax,) = axes()
    sizes = sorted(ball)
    ax.loglog([float(b) for b in sizes], [ball[b]["dist"] for b in sizes], "o-")
    ax.set(xlabel="batch size", ylabel="‖θ − θ*‖ after training", title=f"Noise ball at lr {lr:g}")
    ax.grid(alpha=0.3, which="both")
    return ax


DISTANCE_X = {"epoch": "epoch", "steps": "parameter updates"}


def distance_to_optimum(histories: dict, *, x: str = "epoch", ax=None, title: str | None = None):
    """The distance to the optimum (History key ``dist``, log y) of each History against
    ``x``: "epoch" or "steps" (parameter updates); e.g. ``lr_scaling.schedules``."""
    items = _items(histories)
    check_choice("x", x, tuple(DISTANCE_X))
    for name, h in items:
        if "dist" not in h.values:
            raise ValueError(f"histories[{name!r}] must record 'dist', got {sorted(h.values)}")
    if ax is None:
        _, (ax,) = axes()
    for name, h in items:
        ax.semilogy(getattr(h, x), h["dist"], marker=".", label=name)
    ax.set(xlabel=DISTANCE_X[x], ylabel="‖θ − θ*‖")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="x-small")
    ax.grid(alpha=0.3)
    return ax


def _reached_steps(steps):
    if not isinstance(steps, dict) or not steps:
        raise TypeError(f"steps must be a non-empty dict of batch size -> steps, got {steps!r}")
    reached = {}
    for b, v in steps.items():
        v = getattr(v, "steps", v)
        if v is not None:
            reached[b] = check_float(f"steps[{b!r}]", v, low=0.0, low_open=True)
    if not reached:
        raise ValueError("steps must hold at least one batch size that reached the target, got none")
    return reached


def _reached_runs(runs):
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict of batch size -> TargetRun, got {runs!r}")
    reached = {b: r for b, r in runs.items() if getattr(r, "steps", None) is not None}
    if not reached:
        raise ValueError("runs must hold at least one run that reached the target, got none")
    return reached


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

    from .experiments.batch_size import Toy

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


# --- the autoencoder chapters -----------------------------------------------------------------

def code_size_errors(study: dict, *, ax=None, title: str | None = "reconstruction error"):
    """AE1: the test error per pixel against the code size (log axis), PCA's error with the
    same k, and the two predictors that ignore the image (the mean image, the global mean)
    as horizontal lines; ``study`` as ``experiments.autoencoders.code_size_study`` returns it."""
    if not isinstance(study, dict) or not {"errors", "pca_errors", "mean_image", "global_mean"} <= set(study):
        raise TypeError("study must be a dict with errors, pca_errors, mean_image and global_mean "
                        "(see experiments.autoencoders.code_size_study)")
    if ax is None:
        _, (ax,) = axes()
    ks = sorted(study["errors"])
    ax.plot(ks, [study["errors"][k] for k in ks], "o-", label="autoencoder")
    ax.plot(ks, [study["pca_errors"][k] for k in ks], "s--", label="PCA, same k", alpha=0.8)
    ax.axhline(study["mean_image"], color="tab:gray", ls=":", label="mean image")
    ax.axhline(study["global_mean"], color="black", ls=":", label="global mean")
    ax.set(xscale="log", xlabel="code size k", ylabel="test squared error per pixel", ylim=(0, None))
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.minorticks_off()
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def principal_angles(rows, *, ax=None,
                     title: str | None = "angles between the linear AE's and PCA's subspaces"):
    """AE2: the principal angles (degrees, smallest first) for each k of
    ``experiments.autoencoders.linear_vs_pca``."""
    if not isinstance(rows, (list, tuple)) or not rows or not all("angles" in r for r in rows):
        raise TypeError("rows must be a non-empty list of dicts with k and angles "
                        "(see experiments.autoencoders.linear_vs_pca)")
    if ax is None:
        _, (ax,) = axes(width=6)
    for r in rows:
        ax.plot(range(1, r["k"] + 1), r["angles"], "o-", ms=3, label=f"k = {r['k']}")
    ax.set(xlabel="principal angle index (smallest first)", ylabel="angle (degrees)", ylim=(0, 90))
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def rate_distortion(betas: dict, *, ax=None, title: str | None = "β-VAE: rate against distortion"):
    """VAE3: one point per β of a β-VAE sweep (β -> (model, History)), its final test KL
    (nats per image, horizontal) against its reconstruction term (vertical)."""
    if not isinstance(betas, dict) or not betas:
        raise TypeError("betas must be a non-empty dict of beta -> (model, History)")
    if ax is None:
        _, (ax,) = axes(width=6)
    bs = sorted(betas)
    kl = [betas[b][1].final("test_kl") for b in bs]
    recon = [betas[b][1].final("test_recon") for b in bs]
    ax.plot(kl, recon, "o-")
    for b, k, r in zip(bs, kl, recon):
        ax.annotate(f"β = {b:g}", (k, r), textcoords="offset points", xytext=(5, 5))
    ax.set(xlabel="KL (nats per image)", ylabel="reconstruction (nats per image)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax


def input_drift(trace: list, *, units=(0, 1, 2), ax=None, title: str | None = None):
    """How a hidden layer's input distribution moves during training (``smoothness.InputDrift``'s
    ``trace``): for each of ``units``, its median over the probe images (line) and the band
    between its 10 % and 90 % quantiles, against the optimizer step."""
    if not isinstance(trace, list) or len(trace) < 2:
        raise ValueError("trace must be an InputDrift trace with at least two measurements")
    if not isinstance(units, (tuple, list)) or not units:
        raise TypeError(f"units must be a non-empty tuple of unit indices, got {units!r}")
    n_units = len(trace[0]["q50"])
    for i, u in enumerate(units):
        check_type(f"units[{i}]", u, int, "a unit index (int)")
        if not 0 <= u < n_units:
            raise ValueError(f"units[{i}] must be in [0, {n_units - 1}], got {u}")
    if ax is None:
        _, (ax,) = axes()
    steps = [t["step"] for t in trace]
    for u in units:
        line, = ax.plot(steps, [t["q50"][u] for t in trace], label=f"unit {u}")
        ax.fill_between(steps, [t["q10"][u] for t in trace], [t["q90"][u] for t in trace],
                        color=line.get_color(), alpha=0.2)
    ax.set(xlabel="optimizer steps", ylabel="unit's value (median, 10–90 % band)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def running_average(ema: dict, *, ax=None, title: str | None = None):
    """BN's running mean of one unit against the batches seen (``experiments.batchnorm.running_average``):
    lecturelib's, PyTorch's, the hand-computed EMA, the batch means and the data mean, with the
    curve (1 − β^t) · mean that the EMA follows from 0."""
    check_type("ema", ema, dict, "the dict of experiments.batchnorm.running_average")
    missing = {"step", "ours", "torch", "ema", "batch_mean", "data_mean", "beta"} - set(ema)
    if missing:
        raise ValueError(f"ema is missing {sorted(missing)}: pass the dict of running_average")
    if ax is None:
        _, (ax,) = axes()
    steps, beta, mean = ema["step"], ema["beta"], ema["data_mean"]
    ax.plot(steps[1:], ema["batch_mean"][1:], ".", color="gray", alpha=0.6, label="batch mean μ_B")
    ax.plot(steps, ema["ours"], "-", linewidth=2.5, label="lecturelib running mean")
    ax.plot(steps, ema["torch"], "x", label="torch.nn.BatchNorm1d running mean")
    ax.plot(steps, ema["ema"], "--", color="black", label=f"EMA by hand, β = {beta:g}")
    ax.plot(steps, [(1 - beta ** t) * mean for t in steps], ":", color="tab:red", label="(1 − β^t) · data mean")
    ax.axhline(mean, color="tab:green", linewidth=1, label="data mean")
    ax.set(xlabel="batches seen in training mode", ylabel="running mean of unit 0")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small")
    return ax


def importance_bars(importances: dict, *, labels: dict | None = None, ax=None,
                    title: str = "Hyperparameter importance"):
    """Side-by-side horizontal bars of each evaluator's importance shares (``sampling.importances``).

    importances: evaluator name -> {hyperparameter: share}; the hyperparameters are
    ordered as in the first evaluator (largest first, drawn at the top).
    labels: optional display names of the hyperparameters.
    """
    import numpy as np

    check_type("importances", importances, dict, "a dict evaluator -> {hyperparameter: share}")
    if not importances:
        raise ValueError("importances must hold at least one evaluator, got none")
    labels = {} if labels is None else check_type("labels", labels, dict, "a dict name -> label or None")
    names = list(next(iter(importances.values())))
    for ev, shares in importances.items():
        check_type(f"importances[{ev!r}]", shares, dict, "a dict hyperparameter -> share")
        if set(shares) != set(names):
            raise ValueError(f"every evaluator must rank the same hyperparameters; {ev!r} ranks {sorted(shares)}")
    if ax is None:
        _, (ax,) = axes()
    height = 0.8 / len(importances)
    y = np.arange(len(names))[::-1]
    for i, (ev, shares) in enumerate(importances.items()):
        ax.barh(y + (i - (len(importances) - 1) / 2) * height, [100 * shares[n] for n in names],
                height=height, label=ev)
    ax.set_yticks(y, [labels.get(n, n) for n in names])
    ax.set(xlabel="share of the explained variation (%)", title=title)
    ax.legend(fontsize="small", loc="lower right")
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
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax
