"""The runs of the convolution-padding chapter.

Two experiments need sizes from the preset: the small MNIST CNN trained with
valid and with same padding, and the causal no-leak check on a dilated causal
stack. The size arithmetic itself is exact and needs no preset: ``valid_sizes``,
``same_splits``, ``formula_check``, ``full_round_trip`` and ``border_values``
measure what torch's convolutions do, for the rules of ``lecturelib.claims.conv_padding``.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._checks import check_choice, check_int
from .. import conv
from ..callbacks import ProgressBar
from ..conv import causal_stack, feature_map_sizes, padding_cnn, receptive_field
from ..data import mnist
from ..presets import ScaleTable, set_seed
from ..train import History, fit


@dataclass(frozen=True)
class Scale:
    """How big the chapter's experiments are at one preset."""
    channels: tuple[int, ...]  # widths of the CNN's blocks
    epochs: int
    train_limit: int | None    # training images (None: all 60,000)
    test_limit: int | None     # test images (None: all 10,000)
    batch_size: int
    lr: float                  # Adam's learning rate
    sequence_length: int       # length of the causal-stack input
    trials: int                # random perturbations in the no-leak check


SCALES = ScaleTable(Scale, {
    "ci": Scale(channels=(8, 16), epochs=1, train_limit=3_000, test_limit=1_000, batch_size=64, lr=1e-3,
                sequence_length=64, trials=20),
    "quick": Scale(channels=(16, 32), epochs=3, train_limit=20_000, test_limit=None, batch_size=64, lr=1e-3,
                   sequence_length=256, trials=100),
    "full": Scale(channels=(32, 64), epochs=10, train_limit=None, test_limit=None, batch_size=64, lr=1e-3,
                  sequence_length=1024, trials=500),
})

CAUSAL_KERNEL = 2
CAUSAL_DILATIONS = (1, 2, 4, 8)  # WaveNet's doubling dilations: receptive field 16


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return SCALES.pick(preset)


def build_model(padding: str, s: Scale | None = None, *, seed: int = 0):
    """The chapter's CNN with ``padding`` ('valid' or 'same'), initialized from ``seed``."""
    s = SCALES.resolve(s)
    check_choice("padding", padding, ("valid", "same"))
    set_seed(check_int("seed", seed, low=0))
    return padding_cnn(padding, s.channels)


def train_cnn(padding: str, s: Scale | None = None, *, seed: int = 0, progress: bool = True) -> History:
    """Train the CNN with ``padding`` through ``lecturelib.train.fit`` (Adam).

    The History's config also records the parameter count and the feature-map
    sizes, so a table can show them next to accuracy and time.
    """
    s = SCALES.resolve(s)
    model = build_model(padding, s, seed=seed)
    data = mnist(train_limit=s.train_limit, test_limit=s.test_limit)
    history = fit(model, data, optimizer="adam", lr=s.lr, batch_size=s.batch_size, epochs=s.epochs,
                  seed=seed, label=f"{padding} padding", callbacks=[ProgressBar(enabled=progress)])
    history.config["parameters"] = sum(p.numel() for p in model.parameters())
    history.config["feature_maps"] = feature_map_sizes(model.cpu())
    return history


def compare_cnns(s: Scale | None = None, *, seed: int = 0, progress: bool = True) -> dict[str, History]:
    """Valid against same padding, same seed, same data: a dict padding -> History."""
    s = SCALES.resolve(s)
    return {p: train_cnn(p, s, seed=seed, progress=progress) for p in ("valid", "same")}


def causal_leak(s: Scale | None = None, *, seed: int = 0, channels: int = 8) -> dict:
    """Perturb one input step of a dilated causal stack and see which outputs move.

    For ``trials`` random inputs and random steps t, adds noise at x[t] only and
    records the largest change in the outputs before t (must be exactly 0) and
    in the outputs from t to t + receptive field - 1 (must not be). Returns the
    two maxima and minima over trials, the receptive field and the time taken.
    """
    s = SCALES.resolve(s)
    model = causal_stack(channels, CAUSAL_KERNEL, CAUSAL_DILATIONS, seed=check_int("seed", seed, low=0))
    generator = torch.Generator().manual_seed(seed)
    field = receptive_field(CAUSAL_KERNEL, CAUSAL_DILATIONS)
    past, future = [], []
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(s.trials):
            x = torch.randn(1, 1, s.sequence_length, generator=generator)
            t = int(torch.randint(1, s.sequence_length, (1,), generator=generator))
            x_new = x.clone()
            x_new[0, 0, t] += 1.0 + torch.randn(1, generator=generator).abs().item()
            diff = (model(x_new) - model(x)).abs().amax(1)[0]  # largest change over channels, per step
            past.append(float(diff[:t].max()))
            future.append(float(diff[t:t + field].max()))
    return {"max_past_change": max(past), "min_future_change": min(future),
            "receptive_field": field, "trials": s.trials, "seconds": time.perf_counter() - start}


def valid_sizes(input_size: int = 28, kernels=(1, 2, 3, 5, 7), dilations=(1, 2, 3)) -> list[dict]:
    """CV1: the length ``F.conv1d(..., padding="valid")`` returns for every kernel and dilation,
    beside the formula's i - d (k - 1) and ``conv.output_size``'s."""
    i = check_int("input_size", input_size, low=1)
    rows = []
    for k in kernels:
        for d in dilations:
            if d * (k - 1) + 1 > i:
                continue
            w = torch.zeros(1, 1, check_int("kernel", k, low=1))
            out = F.conv1d(torch.zeros(1, 1, i), w, dilation=check_int("dilation", d, low=1),
                           padding="valid").shape[-1]
            rows.append({"k": k, "d": d, "torch": out, "formula": i - d * (k - 1),
                         "library": conv.output_size(i, k, dilation=d, padding="valid")})
    return rows


def same_splits(input_size: int = 12, kernels=range(1, 7), *, dilation: int = 1, seed: int = 0) -> dict:
    """CV2: for each kernel, the (left, right) split of ``conv.padding_for("same")``, the output
    length, whether a convolution padded with that split equals torch's ``padding="same"``
    and whether the mirrored split does; then the stride-2 case torch refuses."""
    i = check_int("input_size", input_size, low=2)
    d = check_int("dilation", dilation, low=1)
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    x = torch.randn(1, 1, i, generator=generator)
    rows = []
    for k in kernels:
        w = torch.randn(1, 1, check_int("kernel", k, low=1), generator=generator)
        left, right = conv.padding_for("same", k, d)
        ours = conv.conv(x, w, dilation=d, padding=(left, right))
        theirs = _torch_same(x, w, d)
        mirrored = conv.conv(x, w, dilation=d, padding=(right, left))
        rows.append({"k": k, "split": (left, right), "length": ours.shape[-1],
                     "equals_torch": bool(torch.allclose(ours, theirs)),
                     "mirror_equals": bool(torch.allclose(mirrored, theirs))})
    try:
        F.conv1d(x, torch.zeros(1, 1, 3), stride=2, padding="same")
        refused = None
    except RuntimeError as err:
        refused = str(err).splitlines()[0]
    strided = {n: conv.output_size(n, 3, stride=2, padding="same") for n in (i, i + 1)}
    return {"input_size": i, "rows": rows, "torch_stride2": refused, "strided": strided}


def _torch_same(x, w, d):
    import warnings

    with warnings.catch_warnings():   # torch notes that an even kernel costs it an extra copy
        warnings.simplefilter("ignore")
        return F.conv1d(x, w, dilation=d, padding="same")


def formula_check(trials: int = 500, *, seed: int = 0) -> dict:
    """CV4: ``conv.output_size`` against the size torch produces (``conv.torch_output_size``) on
    ``trials`` random 1-D and 2-D configurations: input, kernel, stride, dilation and padding
    (named modes, symmetric ints, uneven pairs). Counts the disagreements, including cases
    where only one of the two refuses the configuration."""
    trials = check_int("trials", trials, low=1)
    rng = random.Random(check_int("seed", seed, low=0))
    mismatches, refused, examples = 0, 0, []
    for _ in range(trials):
        ndim = rng.choice((1, 2))
        draw = (lambda lo, hi: rng.randint(lo, hi)) if ndim == 1 else \
            (lambda lo, hi: (rng.randint(lo, hi), rng.randint(lo, hi)))
        kind = rng.choice(("mode", "int", "pair"))
        if kind == "mode":
            padding = rng.choice(conv.MODES)
        elif kind == "int":
            padding = rng.randint(0, 4)
        else:
            pair = lambda: (rng.randint(0, 4), rng.randint(0, 4))
            padding = pair() if ndim == 1 else (pair(), pair())
        cfg = dict(input_size=draw(1, 30), kernel_size=draw(1, 7), stride=draw(1, 4),
                   dilation=draw(1, 4), padding=padding)
        results = []
        for fn in (conv.output_size, conv.torch_output_size):
            try:
                results.append(fn(**cfg))
            except ValueError:
                results.append("refused")
        refused += results[0] == "refused"
        if results[0] != results[1]:
            mismatches += 1
            examples.append((cfg, *results))
    return {"trials": trials, "mismatches": mismatches, "refused": refused, "examples": examples[:3]}


def full_round_trip(configs=((28, 5, 1), (16, 3, 2), (10, 4, 1)), *, seed: int = 0) -> list[dict]:
    """CV5: per (input, kernel, dilation): the full-padded size by the formula and by torch, the
    valid output's length, the length a transposed convolution of it returns, and the largest
    difference between that transposed convolution and a full-padded convolution with the
    flipped kernel."""
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    rows = []
    for i, k, d in configs:
        x = torch.randn(1, 1, check_int("input", i, low=1), generator=generator)
        w = torch.randn(1, 1, check_int("kernel", k, low=1), generator=generator)
        y = F.conv1d(x, w, dilation=check_int("dilation", d, low=1))    # valid: shrinks
        back = F.conv_transpose1d(y, w, dilation=d)                      # grows back
        full = conv.conv(y, w.flip(-1), dilation=d, padding="full")
        rows.append({"i": i, "k": k, "d": d, "full": conv.output_size(i, k, dilation=d, padding="full"),
                     "full_torch": conv.torch_output_size(i, k, 1, d, "full"), "valid": y.shape[-1],
                     "back": back.shape[-1], "max_diff": float((back - full).abs().max())})
    return rows


def border_values(width: int = 6, size: int = 12) -> dict:
    """CV6: the ramp image padded by ``width`` in every mode. Returns the largest difference
    between any two modes inside the original image (0 if padding only adds a border), the
    smallest, over pairs of modes, of their largest difference on the border, and the padded
    top-left corner value of each mode."""
    padded = conv.padding_modes(conv.ramp_image(check_int("size", size, low=2)), width)
    inner = (slice(None), slice(None), slice(width, width + size), slice(width, width + size))
    border = torch.ones(size + 2 * width, size + 2 * width, dtype=torch.bool)
    border[width:width + size, width:width + size] = False
    modes = list(padded)
    inside, outside = 0.0, float("inf")
    for a in range(len(modes)):
        for b in range(a + 1, len(modes)):
            diff = (padded[modes[a]] - padded[modes[b]]).abs()[0, 0]
            inside = max(inside, float(diff[inner[2:]].max()))
            outside = min(outside, float(diff[border].max()))
    return {"inside": inside, "border": outside, "corner": {m: float(p[0, 0, 0, 0]) for m, p in padded.items()}}


def future_steps(kernel_size: int, dilation: int, padding: str, *, length: int = 64, t: int = 32) -> int:
    """How far into the future output ``t`` of one convolution with ``padding`` reaches: the
    largest j such that input t + j moves it, measured through the gradient (an all-ones
    kernel, so no tap is zero by chance); 0 when no later input does."""
    k = check_int("kernel_size", kernel_size, low=1)
    d = check_int("dilation", dilation, low=1)
    check_choice("padding", padding, ("same", "causal"))
    x = torch.randn(1, 1, check_int("length", length, low=2), requires_grad=True)
    t = check_int("t", t, low=0, high=length - 1)
    y = conv.conv(x, torch.ones(1, 1, k), dilation=d, padding=padding)
    y[0, 0, t].backward()
    later = (x.grad[0, 0, t + 1:] != 0).nonzero().flatten()
    return int(later.max()) + 1 if len(later) else 0
