"""The hyperparameter-tuning chapter: importance of each hyperparameter."""
from __future__ import annotations

from .._checks import check_type
from .style import axes


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
