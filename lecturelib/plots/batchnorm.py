"""The batch-normalization chapter: a unit's input drift and BN's running average."""
from __future__ import annotations

from .._checks import check_type
from .style import axes, finish


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
    finish(ax, title)
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
    finish(ax, title)
    ax.legend(fontsize="x-small")
    return ax
