"""The experiments of the batch-normalization chapter (claims BN1-BN8).

Every run trains through ``lecturelib.train.fit`` on MNIST. ``ci`` and
``quick`` shrink the data, the widths and the epochs; ``full`` uses all of
MNIST. The same functions serve the notebook, the claim tests and the widget.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._checks import check_choice, check_float, check_int, check_type
from ..callbacks import Callback, TrainState
from ..data import Data, mnist
from ..models import NORMS, NormCNN, NormMLP
from ..norm import BatchNorm, BatchNorm1d, BatchNorm2d, freeze_affine
from ..presets import ScaleTable, set_seed
from ..smoothness import InputDrift, Smoothness
from ..train import History, fit


@dataclass(frozen=True)
class Scale:
    """How big the chapter's experiments are at one preset."""
    train_limit: int | None   # training images of the MLP runs (None: all 60,000)
    test_limit: int | None
    hidden: tuple[int, ...]   # widths of the MLP of BN2-BN6
    epochs: int               # epochs of the MLP runs
    lrs: tuple[float, ...]    # the learning-rate sweep of BN7
    deep_depth: int           # hidden layers of BN7's deep MLP
    deep_width: int
    smooth_every: int         # measure smoothness every this many steps (BN6)
    cnn_channels: tuple[int, ...]  # the CNN of BN8's ``arch="cnn"`` runs
    small_batch_samples: int  # training images of every BN8 run, whatever its batch size


SCALES = ScaleTable(Scale, {
    # ci: seconds on one CPU thread. 1,000 images x 2 epochs (32 steps) keep every claim's
    # direction over seeds 0-4 (see tests/claims/test_claims_batchnorm.py for the ranges).
    "ci": Scale(train_limit=1_000, test_limit=500, hidden=(64, 64), epochs=2, lrs=(0.05, 0.5, 2.0),
                deep_depth=10, deep_width=32, smooth_every=4, cnn_channels=(8, 16), small_batch_samples=512),
    "quick": Scale(train_limit=10_000, test_limit=5_000, hidden=(128, 128), epochs=3, lrs=(0.02, 0.1, 0.5, 2.0),
                   deep_depth=16, deep_width=128, smooth_every=10, cnn_channels=(8, 16), small_batch_samples=4_000),
    "full": Scale(train_limit=None, test_limit=None, hidden=(256, 256), epochs=5, lrs=(0.01, 0.05, 0.2, 1.0, 4.0),
                  deep_depth=20, deep_width=256, smooth_every=50, cnn_channels=(16, 32), small_batch_samples=20_000),
})
BATCH_SIZE = 64
HIGH_LR = 0.5          # the "high" learning rate of BN6 and BN7's comparison
DEEP_LR = 0.05
SMALL_BATCH_LR = 0.05  # BN8: one rate for every norm and batch size, so only the batch differs


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return SCALES.pick(preset)


def data(s: Scale | None = None, *, train_limit: int | None = None) -> Data:
    """The chapter's MNIST: ``s.train_limit`` training images unless ``train_limit`` is given."""
    s = SCALES.resolve(s)
    limit = s.train_limit if train_limit is None else check_int("train_limit", train_limit, low=1)
    return mnist(train_limit=limit, test_limit=s.test_limit)


def build_model(s: Scale | None = None, *, norm=None, bn_position: str = "before", depth: int | None = None,
                width: int | None = None, bias=None, seed: int = 0) -> NormMLP:
    """The chapter's MLP from ``seed``: ``s.hidden``, or ``depth`` layers of ``width``."""
    s = SCALES.resolve(s)
    if depth is None:
        hidden = s.hidden
    else:
        hidden = (check_int("width", width if width is not None else s.deep_width, low=1),) * \
                 check_int("depth", depth, low=1)
    set_seed(seed)
    return NormMLP(784, hidden, 10, norm=norm, bn_position=bn_position, bias=bias)


def train(model, s: Scale | None = None, *, lr: float, batch_size: int = BATCH_SIZE, epochs: int | None = None,
          optimizer="sgd", probes=(), seed: int = 0, train_limit: int | None = None,
          label: str | None = None) -> History:
    """Train ``model`` on the chapter's data with momentum-free SGD (or ``optimizer``); ``probes``
    are ``fit`` callbacks."""
    s = SCALES.resolve(s)
    epochs = s.epochs if epochs is None else epochs
    return fit(model, data(s, train_limit=train_limit), optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs,
               callbacks=list(probes), seed=seed, label=label)


# --- BN1: our BatchNorm against torch's ----------------------------------------------

EQUIVALENCE_SHAPES = ((32, 10), (7, 3), (16, 4, 9), (8, 3, 5, 5), (2, 6, 4, 7))


def equivalence(shapes=EQUIVALENCE_SHAPES, dtypes=(torch.float32, torch.float64), *, steps: int = 3,
                seed: int = 0) -> list[dict]:
    """Compare ``lecturelib.norm`` with ``torch.nn.BatchNorm1d/2d`` on random inputs.

    For each shape and dtype: ``steps`` training-mode batches (outputs, input
    gradients, gamma and beta gradients, running statistics), then one
    evaluation-mode batch. Each row holds the max abs difference of each.
    """
    check_int("steps", steps, low=1)
    rows = []
    for shape in shapes:
        if not isinstance(shape, tuple) or len(shape) not in (2, 3, 4):
            raise ValueError(f"shapes must hold tuples of 2, 3 or 4 sizes, got {shape!r}")
        for dtype in dtypes:
            rows.append(_compare_once(shape, dtype, steps, seed))
    return rows


def _compare_once(shape, dtype, steps, seed) -> dict:
    torch.manual_seed(seed)
    c = shape[1]
    ours = (BatchNorm2d(c) if len(shape) == 4 else BatchNorm1d(c)).to(dtype)
    theirs = (torch.nn.BatchNorm2d(c) if len(shape) == 4 else torch.nn.BatchNorm1d(c)).to(dtype)
    with torch.no_grad():  # the same non-trivial gamma and beta in both
        for m in (ours, theirs):
            m.weight.copy_(torch.linspace(0.5, 2.0, c, dtype=dtype))
            m.bias.copy_(torch.linspace(-1.0, 1.0, c, dtype=dtype))
    diff = {"forward": 0.0, "grad_x": 0.0, "grad_gamma": 0.0, "grad_beta": 0.0, "running": 0.0}
    for _ in range(steps):
        x = 3 * torch.randn(*shape, dtype=dtype) + 2
        w = torch.randn(*shape, dtype=dtype)
        outs = []
        for m in (ours, theirs):
            m.zero_grad()
            xi = x.clone().requires_grad_(True)
            y = m(xi)
            (y * w).sum().backward()
            outs.append((y.detach(), xi.grad, m.weight.grad, m.bias.grad, m.running_mean, m.running_var))
        a, b = outs
        for key, i in (("forward", 0), ("grad_x", 1), ("grad_gamma", 2), ("grad_beta", 3)):
            diff[key] = max(diff[key], _maxdiff(a[i], b[i]))
        diff["running"] = max(diff["running"], _maxdiff(a[4], b[4]), _maxdiff(a[5], b[5]))
    ours.eval()
    theirs.eval()
    x = 3 * torch.randn(*shape, dtype=dtype) + 2
    with torch.no_grad():
        diff["eval"] = _maxdiff(ours(x), theirs(x))
    return {"shape": shape, "dtype": str(dtype).replace("torch.", ""), **diff}


def _maxdiff(a, b) -> float:
    return float((a.detach() - b.detach()).abs().max())


def affine_moments(*, gamma=(0.5, 1.0, 2.0, 3.0), beta=(-1.0, 0.0, 1.0, 5.0), n: int = 256,
                   seed: int = 0) -> dict:
    """BN1: a ``BatchNorm1d`` with the given gamma and beta on ``n`` samples of
    N(7, 4^2) data; returns gamma, beta and the per-unit mean and std of its
    training-mode output (as lists)."""
    if not isinstance(gamma, (tuple, list)) or not isinstance(beta, (tuple, list)) or len(gamma) != len(beta) \
            or not gamma:
        raise ValueError(f"gamma and beta must be non-empty sequences of equal length, got {gamma!r} and {beta!r}")
    gamma = [check_float(f"gamma[{i}]", g) for i, g in enumerate(gamma)]
    beta = [check_float(f"beta[{i}]", b) for i, b in enumerate(beta)]
    n = check_int("n", n, low=2)
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    layer = BatchNorm1d(len(gamma))
    with torch.no_grad():
        layer.gamma.copy_(torch.tensor(gamma))
        layer.beta.copy_(torch.tensor(beta))
    m = output_moments(layer, 4 * torch.randn(n, len(gamma), generator=gen) + 7)
    return {"gamma": gamma, "beta": beta, "mean": m["mean"].tolist(), "std": m["std"].tolist()}


def affine_shapes(model: NormMLP) -> list[dict]:
    """BN4: per BN layer of ``model``, its number of units and the shapes of gamma and beta."""
    check_type("model", model, torch.nn.Module, "a torch.nn.Module")
    layers = [m for m in model.modules() if isinstance(m, BatchNorm) and m.affine]
    return [{"units": m.num_features, "gamma": tuple(m.gamma.shape), "beta": tuple(m.beta.shape)}
            for m in layers]


def output_moments(model_norm: torch.nn.Module, x: torch.Tensor) -> dict:
    """Per-unit mean and std of a norm layer's training-mode output (BN1: mean = beta, std = gamma)."""
    check_type("model_norm", model_norm, torch.nn.Module, "a torch.nn.Module")
    model_norm.train()
    with torch.no_grad():
        y = model_norm(x)
    axes = [0, *range(2, y.ndim)]
    return {"mean": y.mean(dim=axes), "std": y.std(dim=axes, unbiased=False)}


# --- BN5: batch statistics in training, running averages in evaluation ---------------------

def running_average(*, momentum: float = 0.1, steps: int = 40, batch_size: int = 64, features: int = 4,
                    mean: float = 3.0, std: float = 2.0, seed: int = 0) -> dict:
    """BN5: feed ``steps`` batches of N(mean, std^2) data to a fresh ``BatchNorm1d``
    (lecturelib's) and to ``torch.nn.BatchNorm1d`` with the same ``momentum``, and
    compute by hand the exponentially weighted average of the batch means with
    beta = 1 - momentum, ``ema_t = beta * ema_{t-1} + (1 - beta) * mu_t`` from 0.

    Returns ``beta``; per step (``step`` 0..steps) the running mean of unit 0 in
    ours (``ours``), torch's (``torch``) and by hand (``ema``), and the batch means
    (``batch_mean``); ``data_mean``; and the largest difference over every unit and
    step between ours and the hand EMA (``ema_diff``) and between ours and torch's
    running mean and variance (``torch_diff``).
    """
    momentum = check_float("momentum", momentum, low=0.0, high=1.0, low_open=True)
    steps = check_int("steps", steps, low=1)
    batch_size = check_int("batch_size", batch_size, low=2)
    features = check_int("features", features, low=1)
    mean = check_float("mean", mean)
    std = check_float("std", std, low=0.0, low_open=True)
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    ours, theirs = BatchNorm1d(features, momentum=momentum), torch.nn.BatchNorm1d(features, momentum=momentum)
    beta = 1.0 - momentum
    ema = torch.zeros(features)
    out = {"beta": beta, "momentum": momentum, "data_mean": mean, "step": [0], "ours": [0.0], "torch": [0.0],
           "ema": [0.0], "batch_mean": [float("nan")], "ema_diff": 0.0, "torch_diff": 0.0}
    with torch.no_grad():
        for t in range(1, steps + 1):
            x = mean + std * torch.randn(batch_size, features, generator=gen)
            ours(x)
            theirs(x)
            ema = beta * ema + (1 - beta) * x.mean(0)
            out["ema_diff"] = max(out["ema_diff"], _maxdiff(ours.running_mean, ema))
            out["torch_diff"] = max(out["torch_diff"], _maxdiff(ours.running_mean, theirs.running_mean),
                                    _maxdiff(ours.running_var, theirs.running_var))
            for key, value in (("step", t), ("ours", float(ours.running_mean[0])),
                               ("torch", float(theirs.running_mean[0])), ("ema", float(ema[0])),
                               ("batch_mean", float(x[:, 0].mean()))):
                out[key].append(value)
    return out


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


# --- BN2, BN4, BN7: training comparisons ----------------------------------------------

def placement_runs(s: Scale | None = None, *, lr: float = 0.1, seed: int = 0) -> dict[str, History]:
    """BN2: no norm, BN before the ReLU, BN after the ReLU, from the same seed."""
    s = SCALES.resolve(s)
    specs = {"no BN": dict(norm=None), "BN before ReLU": dict(norm="batch", bn_position="before"),
             "BN after ReLU": dict(norm="batch", bn_position="after")}
    return {k: train(build_model(s, seed=seed, **kw), s, lr=lr, seed=seed, label=k) for k, kw in specs.items()}


OPTIMIZER_LRS = {"sgd": 0.1, "momentum": 0.02, "rmsprop": 0.001, "adam": 0.001}


class AffineChange(Callback):
    """A ``fit`` probe: how far BN's gamma and beta have moved from where they started.

    After every epoch it reports ``gamma_change`` and ``beta_change``, the largest
    absolute change of any entry of any lecturelib ``BatchNorm``'s gamma or beta
    since ``begin`` (0 if that parameter never received an update)."""

    name = "affine_change"
    keys = ("gamma_change", "beta_change")

    def on_train_begin(self, run: TrainState) -> None:
        self.layers = [m for m in run.model.modules() if isinstance(m, BatchNorm) and m.affine]
        if not self.layers:
            raise ValueError("model must contain at least one affine lecturelib.norm.BatchNorm, found none")
        self.start = [(m.weight.detach().clone(), m.bias.detach().clone()) for m in self.layers]

    def measure(self, run: TrainState) -> dict:
        if not hasattr(self, "start"):
            raise RuntimeError("AffineChange.measure needs on_train_begin(run) first")
        return {"gamma_change": max(_maxdiff(m.weight, g0) for m, (g0, _) in zip(self.layers, self.start)),
                "beta_change": max(_maxdiff(m.bias, b0) for m, (_, b0) in zip(self.layers, self.start))}


def optimizer_runs(s: Scale | None = None, *, seed: int = 0) -> dict[str, History]:
    """BN4: gamma and beta train under plain SGD, momentum, RMSProp and Adam alike.

    Each History also records ``gamma_change`` and ``beta_change`` (``AffineChange``)."""
    s = SCALES.resolve(s)
    runs = {}
    for name, lr in OPTIMIZER_LRS.items():
        model = build_model(s, norm="batch", seed=seed)
        opt = torch.optim.RMSprop(model.parameters(), lr=lr) if name == "rmsprop" else name
        runs[name] = train(model, s, lr=None if name == "rmsprop" else lr, optimizer=opt, seed=seed,
                           probes=[AffineChange()], label=f"{name}, lr {lr:g}")
    return runs


def affine_gradients(*, n: int = 32, features: int = 5, seed: int = 0) -> dict:
    """BN4: autograd's gradients of gamma and beta against their closed forms,
    dL/dgamma = sum_i dL/dy_i * x_hat_i and dL/dbeta = sum_i dL/dy_i, for a random
    upstream gradient dL/dy on a random batch (float64). Returns the largest
    absolute difference of each, and the gradients themselves."""
    n = check_int("n", n, low=2)
    features = check_int("features", features, low=1)
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    layer = BatchNorm1d(features).double()
    with torch.no_grad():
        layer.weight.copy_(torch.rand(features, generator=gen, dtype=torch.float64) + 0.5)
        layer.bias.copy_(torch.randn(features, generator=gen, dtype=torch.float64))
    x = 3 * torch.randn(n, features, generator=gen, dtype=torch.float64) + 1
    upstream = torch.randn(n, features, generator=gen, dtype=torch.float64)   # dL/dy
    (layer(x) * upstream).sum().backward()
    x_hat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + layer.eps)
    by_hand = {"gamma": (upstream * x_hat).sum(0), "beta": upstream.sum(0)}
    return {"gamma_diff": _maxdiff(layer.weight.grad, by_hand["gamma"]),
            "beta_diff": _maxdiff(layer.bias.grad, by_hand["beta"]),
            "gamma_grad": layer.weight.grad, "beta_grad": layer.bias.grad}


def lr_sweep(s: Scale | None = None, *, seed: int = 0) -> dict[tuple, History]:
    """BN7: the same epochs at each learning rate of ``s.lrs``, with and without BN."""
    s = SCALES.resolve(s)
    return {(norm, lr): train(build_model(s, norm=norm, seed=seed), s, lr=lr, seed=seed,
                              label=f"{'BN' if norm else 'no BN'}, lr {lr:g}")
            for norm in (None, "batch") for lr in s.lrs}


def depth_runs(s: Scale | None = None, *, lr: float = DEEP_LR, seed: int = 0, depth: int | None = None,
               norms=(None, "batch")) -> dict[str, tuple]:
    """BN7: a deep plain MLP against the same with BN. Returns label -> (History, model)."""
    s = SCALES.resolve(s)
    depth = s.deep_depth if depth is None else depth
    out = {}
    for norm in norms:
        model = build_model(s, norm=norm, depth=depth, seed=seed)
        label = f"{depth} layers, {'BN' if norm else 'no BN'}"
        out[label] = (train(model, s, lr=lr, seed=seed, label=label), model)
    return out


def layer_stats(model: NormMLP, x: torch.Tensor, y: torch.Tensor) -> dict[str, list[float]]:
    """Per hidden layer: the std of its output and the norm of its Linear's weight gradient."""
    check_type("model", model, NormMLP, "a lecturelib.models.NormMLP")
    model.zero_grad()
    model.train()
    acts = model.hidden_activations(x)
    F.cross_entropy(model.head(acts[-1]), y).backward()
    stats = {"act_std": [float(a.detach().std()) for a in acts],
             "grad_norm": [float(b[0].weight.grad.norm()) for b in model.blocks]}
    model.zero_grad()
    return stats


# --- BN6: why it works -----------------------------------------------------------------

DRIFT_PROBE_IMAGES = 256   # training images on which the drift of a layer's input is measured
DRIFT_LR = 0.1


def drift_runs(s: Scale | None = None, *, lr: float = DRIFT_LR, seed: int = 0) -> dict[str, tuple]:
    """BN6, the "internal covariate shift" picture: with and without BN, from the same
    seed, the distribution of the last hidden layer's pre-activation (the input of its
    ReLU, after BN when there is one) on ``DRIFT_PROBE_IMAGES`` fixed training images,
    every ``s.smooth_every`` steps. Returns label -> (History, InputDrift probe)."""
    s = SCALES.resolve(s)
    x_probe = data(s).x_train[:DRIFT_PROBE_IMAGES]
    out = {}
    for norm in (None, "batch"):
        drift = InputDrift(x_probe, layer=len(s.hidden), every=s.smooth_every)
        label = "BN" if norm else "no BN"
        out[label] = (train(build_model(s, norm=norm, seed=seed), s, lr=lr, probes=[drift], seed=seed, label=label),
                      drift)
    return out


def smoothness_runs(s: Scale | None = None, *, lr: float = HIGH_LR, seed: int = 0) -> dict[str, tuple]:
    """BN6: loss range and gradient change along the step (Santurkar et al.), with and
    without BN, from the same seed, at ``lr``.
    Returns label -> (History, Smoothness probe with its trace)."""
    s = SCALES.resolve(s)
    out = {}
    for norm in (None, "batch"):
        probe = Smoothness(lr, every=s.smooth_every)
        label = "BN" if norm else "no BN"
        out[label] = (train(build_model(s, norm=norm, seed=seed), s, lr=lr, probes=[probe], seed=seed, label=label),
                      probe)
    return out


FREEZES = {"γ and β trained": {}, "β frozen at 0": {"beta": True}, "γ frozen at 1": {"gamma": True},
           "both frozen": {"gamma": True, "beta": True}}


def freeze_runs(s: Scale | None = None, *, lr: float = HIGH_LR, seed: int = 0) -> dict[str, History]:
    """BN6: BN with beta frozen at 0, gamma frozen at 1, both, neither; and no BN."""
    s = SCALES.resolve(s)
    runs = {}
    for label, kw in FREEZES.items():
        model = build_model(s, norm="batch", seed=seed)
        if kw:
            freeze_affine(model, **kw)
        runs[label] = train(model, s, lr=lr, seed=seed, label=label)
    runs["no BN"] = train(build_model(s, norm=None, seed=seed), s, lr=lr, seed=seed, label="no BN")
    return runs


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
