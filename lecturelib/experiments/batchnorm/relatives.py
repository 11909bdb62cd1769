"""BN's relatives and its batch dependence (BN8): batch, layer, instance and group norm at
small and large batch sizes, in the MLP or a CNN.
"""
from __future__ import annotations

from ..._checks import check_choice, check_float, check_int
from ...models import NORMS, NormCNN
from ...presets import set_seed
from ...train import History
from .runs import SCALES, SMALL_BATCH_LR, Scale, build_model, train


# --- BN8: the relatives, and the batch dependence ------------------------------------------

def norm_batch_runs(s: Scale | None = None, *, arch: str = "mlp", batch_sizes=(2, 64), norms=None,
                    lr: float = SMALL_BATCH_LR, seed: int = 0) -> dict[tuple, History]:
    """BN8: each norm at each batch size, on the same ``s.small_batch_samples``
    images (one epoch) at the same lr, so batch sizes differ only in how many
    samples share a statistic and how many steps they take.

    arch: ``"mlp"`` (the chapter's MLP; norms batch, layer, group by default) or
    ``"cnn"`` (``NormCNN``; also instance). In the MLP, BN's statistics of a unit
    at batch size 2 come from 2 numbers; in a CNN they also pool over H x W.
    """
    s = SCALES.resolve(s)
    check_choice("arch", arch, ("mlp", "cnn"))
    if norms is None:
        norms = ("batch", "layer", "group") if arch == "mlp" else ("batch", "layer", "instance", "group")
    for n in norms:
        check_choice("norms[...]", n, NORMS)
        if arch == "mlp" and n == "instance":
            raise ValueError("norm 'instance' needs the CNN: use arch='cnn'")
    sizes = [check_int("batch_sizes[...]", b, low=2) for b in batch_sizes]  # BN cannot train on batches of 1
    lr = check_float("lr", lr, low=0.0, low_open=True)
    runs = {}
    for norm in norms:
        for b in sizes:
            if arch == "mlp":
                model = build_model(s, norm=norm, seed=seed)
            else:
                set_seed(seed)
                model = NormCNN(s.cnn_channels, norm=norm)
            runs[(norm, b)] = train(model, s, lr=lr, batch_size=b, epochs=1, seed=seed,
                                    train_limit=s.small_batch_samples, label=f"{norm}, BS {b}")
    return runs
