"""The learning-rate scaling chapter: the batch size x lr grid, steps and seconds to target,
the noise ball and the distance to the optimum."""
from __future__ import annotations

from .._checks import check_choice, check_float, check_type
from .histories import _items
from .style import axes


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

    from ..report import pct

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
