"""Forward passes of the chapter's MLP on MNIST, without training it.

A trained model in training mode against evaluation mode (BN5), and the bias before BN
that changes nothing (BN3).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..._checks import check_int, check_type
from ...norm import BatchNorm1d
from .layer import _maxdiff
from .runs import SCALES, Scale, build_model, data


# --- BN5: training mode against evaluation mode ---------------------------------------

@torch.no_grad()
def train_mode_logits(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's output on ``x`` in training mode, i.e. with BN using the batch
    ``x``'s own statistics, as a model that was never switched to ``model.eval()``
    computes it. The running statistics are left as they were, and the model is put
    back in the mode it was in."""
    check_type("model", model, torch.nn.Module, "a torch.nn.Module")
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    saved = {k: v.clone() for k, v in model.state_dict().items()
             if k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    was_training = model.training
    model.train()
    try:
        return model(x)
    finally:
        model.load_state_dict(saved, strict=False)
        model.train(was_training)


MODE_BATCH = 256   # BN5: images in the shuffled test batch
SMALL_BATCH = 8    # BN5: the test set in batches of this size


def eval_train_gap(model: torch.nn.Module, s: Scale | None = None, *, seed: int = 0,
                   batch: int = MODE_BATCH, small: int = SMALL_BATCH) -> dict:
    """BN5: the same test images through a trained BN model in evaluation mode
    (running statistics) and in training mode (the batch's own statistics, as if
    ``model.eval()`` had been forgotten), for three kinds of batch:

    * ``shuffled``: ``batch`` test images drawn at random (from ``seed``), one batch;
    * ``small``: the whole test set in consecutive batches of ``small`` images;
    * ``one_digit``: for each digit, all test images of that digit in one batch.

    Each case holds ``images``, ``flipped`` (the fraction of predictions that
    differ between the modes), ``max_logit_change`` (the largest absolute change
    of a logit) and the accuracy in each mode (``acc_eval``, ``acc_train``);
    ``one_digit`` holds the means over the ten digits and ``digits``, one row per
    digit. ``example`` is the first ``small`` test images of digit 3 in one batch:
    their labels and the predictions of each mode. ``batch_of_one`` holds the
    errors that lecturelib's and torch's BN raise for one image in training mode.
    """
    check_type("model", model, torch.nn.Module, "a torch.nn.Module")
    s = SCALES.resolve(s)
    batch = check_int("batch", batch, low=2)
    small = check_int("small", small, low=2)
    d = data(s)
    x, y = d.x_test, d.y_test
    model.eval()
    with torch.no_grad():
        eval_logits = model(x)

    def case(index, train_logits):
        e, t = eval_logits[index], train_logits
        return {"images": len(t), "flipped": float((e.argmax(1) != t.argmax(1)).float().mean()),
                "max_logit_change": _maxdiff(e, t), "acc_eval": float((e.argmax(1) == y[index]).float().mean()),
                "acc_train": float((t.argmax(1) == y[index]).float().mean())}

    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    pick_ = torch.randperm(len(x), generator=gen)[:batch]
    out = {"shuffled": case(pick_, train_mode_logits(model, x[pick_]))}
    whole = torch.arange(len(x) - len(x) % small)
    chunks = [train_mode_logits(model, x[i:i + small]) for i in range(0, len(whole), small)]
    out["small"] = {**case(whole, torch.cat(chunks)), "batch_size": small}
    digits = []
    for c in range(10):
        index = torch.nonzero(y == c).flatten()
        if len(index) >= 2:
            digits.append({"digit": c, **case(index, train_mode_logits(model, x[index]))})
    out["one_digit"] = {k: sum(r[k] for r in digits) / len(digits)
                        for k in ("flipped", "max_logit_change", "acc_eval", "acc_train")}
    out["one_digit"]["max_logit_change"] = max(r["max_logit_change"] for r in digits)
    out["one_digit"]["images"] = sum(r["images"] for r in digits)
    out["one_digit"]["min_flipped"] = min(r["flipped"] for r in digits)
    out["digits"] = digits
    three = torch.nonzero(y == 3).flatten()[:small]
    out["example"] = {"labels": y[three].tolist(), "eval": eval_logits[three].argmax(1).tolist(),
                      "train": train_mode_logits(model, x[three]).argmax(1).tolist()}
    out["batch_of_one"] = {}
    for name, layer in (("lecturelib", BatchNorm1d(4)), ("torch", torch.nn.BatchNorm1d(4))):
        try:
            layer(torch.randn(1, 4))
            out["batch_of_one"][name] = "no error"
        except ValueError as err:
            out["batch_of_one"][name] = str(err)
    return out


# --- BN3: the bias before BN is redundant --------------------------------------------

def bias_invariance(s: Scale | None = None, *, seed: int = 0, n: int = 256) -> dict:
    """Give every hidden Linear a bias, set the biases to random values, and compare.

    Returns the max abs change of the logits in training mode (``output_change``),
    the largest bias-gradient entry (``bias_grad``) and, for scale, the largest
    weight-gradient entry of the same layers (``weight_grad``).
    """
    s = SCALES.resolve(s)
    model = build_model(s, norm="batch", bias=True, seed=seed)
    d = data(s)
    x, y = d.x_train[:check_int("n", n, low=2)], d.y_train[:n]
    model.train()
    before = model(x).detach()
    with torch.no_grad():
        for block in model.blocks:
            block[0].bias.normal_(0.0, 5.0)
    model.load_state_dict({**model.state_dict(), **_fresh_buffers(model)})
    after = model(x)
    F.cross_entropy(after, y).backward()
    linears = [block[0] for block in model.blocks]
    return {"output_change": _maxdiff(after.detach(), before),
            "bias_grad": max(float(m.bias.grad.abs().max()) for m in linears),
            "weight_grad": max(float(m.weight.grad.abs().max()) for m in linears)}


def _fresh_buffers(model):
    # Reset running statistics so both forward passes see the same BN state.
    out = {}
    for k, v in model.state_dict().items():
        if k.endswith("running_mean"):
            out[k] = torch.zeros_like(v)
        elif k.endswith("running_var"):
            out[k] = torch.ones_like(v)
    return out
