"""Convolution padding: the size arithmetic, causal convolution, padding modes and drawings.

Sizes follow Dumoulin & Visin (2016): an input of ``i`` positions, padded with
``p_left`` and ``p_right``, convolved with a kernel of ``k`` taps spaced
``d`` apart (dilation) and moved ``s`` positions at a time (stride), gives

    o = floor((i + p_left + p_right - d (k - 1) - 1) / s) + 1

positions. Every dimension of a 2-D convolution follows the same formula on its
own. The padding *modes* are names for particular (p_left, p_right):

* ``valid``  -- no padding; the output shrinks by d (k - 1).
* ``same``   -- d (k - 1) in total, split as evenly as possible with the odd one
  on the right (as PyTorch and TensorFlow do); at stride 1 the size is kept.
* ``full``   -- d (k - 1) on both sides; every partial overlap gives an output.
* ``causal`` -- d (k - 1) on the left (the past) only: output t sees inputs <= t.

Sizes are given per dimension: an ``int`` means a 1-D convolution, a tuple of
ints one entry per dimension (a 2-D image is ``(height, width)``).
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle
from torch import nn

from ._checks import check_choice, check_int, check_type

MODES = ("valid", "same", "full", "causal")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# --------------------------------------------------------------------------- sizes

def padding_for(mode: str, kernel_size, dilation=1, stride=1):
    """The (left, right) padding that ``mode`` uses, per dimension.

    ``kernel_size`` an int gives one pair ``(left, right)``; a tuple of ints gives a
    tuple of pairs, one per dimension. ``dilation`` and ``stride`` are an int
    (every dimension) or a tuple of the same length. The stride does not change
    the padding of any mode; it is checked so that a bad value fails here.
    At stride s, ``same`` padding gives ceil(i / s) outputs, TensorFlow's size;
    PyTorch's own ``padding='same'`` accepts only stride 1.
    """
    check_choice("mode", mode, MODES)
    kernel, ndim = _per_dim("kernel_size", kernel_size, None, low=1)
    dil, _ = _per_dim("dilation", dilation, ndim, low=1)
    _per_dim("stride", stride, ndim, low=1)
    pairs = tuple(_pair(mode, k, d) for k, d in zip(kernel, dil))
    return pairs[0] if isinstance(kernel_size, int) else pairs


def _pair(mode: str, k: int, d: int) -> tuple[int, int]:
    span = d * (k - 1)  # how far the first tap is from the last
    if mode == "valid":
        return (0, 0)
    if mode == "same":
        return (span // 2, span - span // 2)
    if mode == "full":
        return (span, span)
    return (span, 0)  # causal: only the past side


def output_size(input_size, kernel_size, stride=1, dilation=1, padding=0):
    """The output size of a convolution, from the formula in the module docstring.

    padding: a mode name (``valid``, ``same``, ``full``, ``causal``); an int
    (that many on both sides of every dimension); for 1-D a ``(left, right)``
    pair; for N-D a tuple with one entry per dimension, each an int or a pair.
    Returns an int for a 1-D ``input_size`` and a tuple for a tuple.
    Raises ValueError when the dilated kernel does not fit in the padded input.
    """
    sizes, ndim = _per_dim("input_size", input_size, None, low=1)
    kernel, _ = _per_dim("kernel_size", kernel_size, ndim, low=1)
    strides, _ = _per_dim("stride", stride, ndim, low=1)
    dil, _ = _per_dim("dilation", dilation, ndim, low=1)
    pads = _pads(padding, kernel, dil, ndim, one_d=isinstance(input_size, int))
    out = []
    dims = zip(sizes, kernel, strides, dil, pads)
    for axis, (i, k, s, d, (left, right)) in enumerate(dims):
        span = d * (k - 1) + 1            # positions the dilated kernel covers
        padded = i + left + right
        if span > padded:
            where = "" if ndim == 1 else f" in dimension {axis}"
            raise ValueError(
                f"kernel_size {k} with dilation {d} spans {span} "
                f"positions{where}, more than the padded input: input_size "
                f"{i} + padding ({left}, {right}) = {padded}")
        out.append((padded - span) // s + 1)
    return out[0] if isinstance(input_size, int) else tuple(out)


def resolve_padding(padding, kernel_size, dilation=1, *, ndim: int | None = None):
    """``padding`` (a mode, an int, pairs) as a tuple of (left, right) pairs, one per dimension."""
    kernel, ndim = _per_dim("kernel_size", kernel_size, ndim, low=1)
    dil, _ = _per_dim("dilation", dilation, ndim, low=1)
    return _pads(padding, kernel, dil, ndim, one_d=ndim == 1)


def _pads(padding, kernel, dil, ndim, *, one_d):
    if isinstance(padding, str):
        check_choice("padding", padding, MODES)
        return tuple(_pair(padding, k, d) for k, d in zip(kernel, dil))
    if isinstance(padding, int) and not isinstance(padding, bool):
        p = check_int("padding", padding, low=0)
        return ((p, p),) * ndim
    if not isinstance(padding, (tuple, list)):
        raise TypeError(f"padding must be a mode name ({', '.join(MODES)}), an int or a tuple, "
                        f"got {type(padding).__name__}")
    if one_d:
        return (_check_pair("padding", padding),)
    if len(padding) != ndim:
        raise ValueError(f"padding must have one entry per dimension ({ndim}), got {padding!r}")
    pads = []
    for axis, p in enumerate(padding):
        if isinstance(p, (tuple, list)):
            pads.append(_check_pair(f"padding[{axis}]", p))
        else:
            p = check_int(f"padding[{axis}]", p, low=0)
            pads.append((p, p))
    return tuple(pads)


def _check_pair(name, pair):
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{name} must be a (left, right) pair of ints, got {pair!r}")
    return (check_int(f"{name}[0] (left)", pair[0], low=0), check_int(f"{name}[1] (right)", pair[1], low=0))


def _per_dim(name, value, ndim, *, low):
    """``value`` as a tuple of ints, one per dimension; returns (tuple, ndim)."""
    if isinstance(value, (tuple, list)):
        if not value:
            raise ValueError(f"{name} must hold at least one size, got {value!r}")
        if ndim is not None and len(value) != ndim:
            raise ValueError(f"{name} must have one entry per dimension ({ndim}), got {value!r}")
        return tuple(check_int(f"{name}[{i}]", v, low=low) for i, v in enumerate(value)), len(value)
    value = check_int(name, value, low=low)
    ndim = 1 if ndim is None else ndim
    return (value,) * ndim, ndim


def transposed_output_size(input_size: int, kernel_size: int, stride: int = 1, dilation: int = 1,
                           padding: int = 0, output_padding: int = 0) -> int:
    """Output size of a 1-D transposed convolution (PyTorch's ``conv_transpose1d``):
    (i - 1) s - 2 p + d (k - 1) + output_padding + 1."""
    i = check_int("input_size", input_size, low=1)
    k = check_int("kernel_size", kernel_size, low=1)
    s = check_int("stride", stride, low=1)
    d = check_int("dilation", dilation, low=1)
    p = check_int("padding", padding, low=0)
    op = check_int("output_padding", output_padding, low=0, high=max(s, d) - 1)
    return (i - 1) * s - 2 * p + d * (k - 1) + op + 1


def size_through_stack(input_size: int, kernel_size: int, layers: int, padding) -> list[int]:
    """The feature-map size after each of ``layers`` stride-1 convolutions (entry 0: the input).

    The list stops early, with the last size that still fits, if the map becomes
    smaller than the kernel (valid padding in a deep stack).
    """
    size = check_int("input_size", input_size, low=1)
    layers = check_int("layers", layers, low=0)
    sizes = [size]
    for _ in range(layers):
        try:
            size = output_size(size, kernel_size, padding=padding)
        except ValueError:
            break
        sizes.append(size)
    return sizes


# --------------------------------------------------------------------------- running torch

def pad(x: torch.Tensor, padding, kernel_size=None, dilation=1, *, mode: str = "zeros") -> torch.Tensor:
    """Pad the last 1 or 2 dimensions of ``x`` (N, C, L) or (N, C, H, W).

    padding: as for ``output_size`` (a mode name needs ``kernel_size``). mode:
    what fills the border: zeros, reflect (mirror without repeating the edge),
    replicate (repeat the edge) or circular (wrap around).
    """
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    if x.dim() not in (3, 4):
        raise ValueError(f"x must be (N, C, L) or (N, C, H, W), got shape {tuple(x.shape)}")
    check_choice("mode", mode, PADDING_MODES)
    ndim = x.dim() - 2
    if isinstance(padding, str) and kernel_size is None:
        raise ValueError(f"padding {padding!r} is a mode name, so kernel_size is needed")
    pads = resolve_padding(padding, 1 if kernel_size is None else kernel_size, dilation, ndim=ndim)
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad wants the last dimension first
    return F.pad(x, flat, mode="constant" if mode == "zeros" else mode)


def conv(x: torch.Tensor, weight: torch.Tensor, *, stride=1, dilation=1, padding=0,
         padding_mode: str = "zeros") -> torch.Tensor:
    """``conv1d``/``conv2d`` with any (left, right) padding: pad explicitly, then convolve unpadded."""
    check_type("weight", weight, torch.Tensor, "a torch.Tensor")
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    if x.dim() not in (3, 4) or weight.dim() != x.dim():
        raise ValueError(f"x and weight must both be 3-D (conv1d) or 4-D (conv2d), got shapes "
                         f"{tuple(x.shape)} and {tuple(weight.shape)}")
    one_d = x.dim() == 3
    size = x.shape[2] if one_d else tuple(x.shape[2:])
    kernel = weight.shape[2] if one_d else tuple(weight.shape[2:])
    expected = output_size(size, kernel, stride, dilation, padding)
    padded = pad(x, padding, kernel, dilation, mode=padding_mode)
    y = (F.conv1d if one_d else F.conv2d)(padded, weight, stride=stride, dilation=dilation)
    got = y.shape[2] if one_d else tuple(y.shape[2:])
    if got != expected:  # the formula is the contract; never let them drift apart silently
        raise RuntimeError(f"output_size says {expected} but torch produced {got}")
    return y


def torch_output_size(input_size, kernel_size, stride=1, dilation=1, padding=0):
    """The output size torch actually produces: pad a zero input explicitly and run
    ``F.conv1d``/``F.conv2d`` on it. Same arguments and return type as ``output_size``.
    torch's own error (a kernel larger than the padded input) comes out as ValueError."""
    sizes, ndim = _per_dim("input_size", input_size, None, low=1)
    if ndim not in (1, 2):
        raise ValueError(f"input_size must be an int (1-D) or a pair (2-D), got {input_size!r}")
    kernel, _ = _per_dim("kernel_size", kernel_size, ndim, low=1)
    strides, _ = _per_dim("stride", stride, ndim, low=1)
    dil, _ = _per_dim("dilation", dilation, ndim, low=1)
    pads = _pads(padding, kernel, dil, ndim, one_d=isinstance(input_size, int))
    x = pad(torch.zeros(1, 1, *sizes), pads if ndim > 1 else pads[0])
    fn = F.conv1d if ndim == 1 else F.conv2d
    try:
        y = fn(x, torch.zeros(1, 1, *kernel), stride=strides, dilation=dil)
    except RuntimeError as err:
        raise ValueError(f"torch refused the convolution: {err}") from err
    out = tuple(y.shape[2:])
    return out[0] if isinstance(input_size, int) else out


# --------------------------------------------------------------------------- causal convolution

class CausalConv1d(nn.Module):
    """A 1-D convolution whose output at time t depends only on inputs at times <= t.

    It pads d (k - 1) zeros on the left of the sequence and none on the right, so
    the output has the input's length (Keras' ``padding='causal'``; WaveNet, TCN).
    Input and output are (N, C, L).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 dilation: int = 1, bias: bool = True):
        super().__init__()
        check_int("in_channels", in_channels, low=1)
        check_int("out_channels", out_channels, low=1)
        self.kernel_size = check_int("kernel_size", kernel_size, low=1)
        self.dilation = check_int("dilation", dilation, low=1)
        self.left_padding = padding_for("causal", kernel_size, dilation)[0]
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation,
                              bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3:
            raise ValueError(f"x must be (N, C, L), got shape {tuple(x.shape)}")
        return self.conv(F.pad(x, (self.left_padding, 0)))


def causal_stack(channels: int, kernel_size: int, dilations, *, seed: int | None = None) -> nn.Sequential:
    """Causal convolutions with the given dilations, ReLU between them (a WaveNet/TCN-style
    stack without the gates and residuals). One input channel; ``channels`` inside and out."""
    check_int("channels", channels, low=1)
    dilations = _check_dilations(dilations)
    if seed is not None:
        torch.manual_seed(check_int("seed", seed, low=0))
    layers: list[nn.Module] = []
    for i, d in enumerate(dilations):
        layers.append(CausalConv1d(1 if i == 0 else channels, channels, kernel_size, dilation=d))
        if i < len(dilations) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def receptive_field(kernel_size: int, dilations) -> int:
    """How many input steps one output of a stride-1 stack sees: 1 + sum over layers of d (k - 1)."""
    k = check_int("kernel_size", kernel_size, low=1)
    return 1 + sum(d * (k - 1) for d in _check_dilations(dilations))


def input_dependence(model: nn.Module, length: int, t: int) -> torch.Tensor:
    """Which inputs output ``t`` depends on: |d y[t] / d x| per input step, summed over
    channels, for a random input of ``length`` steps (N = 1, one input channel)."""
    check_type("model", model, nn.Module, "a torch.nn.Module")
    length = check_int("length", length, low=1)
    t = check_int("t", t, low=0, high=length - 1)
    x = torch.randn(1, 1, length, requires_grad=True)
    y = model(x)
    y[0, :, t].sum().backward()
    return x.grad[0].abs().sum(0)


def _check_dilations(dilations) -> tuple[int, ...]:
    if not isinstance(dilations, (tuple, list)) or not dilations:
        raise TypeError(f"dilations must be a non-empty tuple or list of ints, got {dilations!r}")
    return tuple(check_int(f"dilations[{i}]", d, low=1) for i, d in enumerate(dilations))


# --------------------------------------------------------------------------- padding modes

def ramp_image(size: int = 12) -> torch.Tensor:
    """A (1, 1, size, size) image that grows from 0 at the top-left to 1 at the bottom-right."""
    size = check_int("size", size, low=2)
    r = torch.linspace(0, 1, size)
    return ((r[:, None] + r[None, :]) / 2).view(1, 1, size, size)


def padding_modes(image: torch.Tensor, width: int) -> dict[str, torch.Tensor]:
    """``image`` (1, 1, H, W) padded by ``width`` on every side in each padding mode."""
    check_type("image", image, torch.Tensor, "a torch.Tensor")
    if image.dim() != 4:
        raise ValueError(f"image must be (N, C, H, W), got shape {tuple(image.shape)}")
    # reflect cannot mirror more pixels than the image has beyond its edge
    width = check_int("width", width, low=1, high=min(image.shape[2:]) - 1)
    return {m: pad(image, width, mode=m) for m in PADDING_MODES}


# --------------------------------------------------------------------------- CNN for MNIST

def padding_cnn(padding: str, channels=(8, 16), *, classes: int = 10, image_size: int = 28) -> nn.Sequential:
    """A small MNIST CNN: per width, two 3x3 convolutions with ``padding`` ('valid' or 'same')
    and ReLU, then 2x2 max-pooling; a linear classifier on the flattened last map."""
    check_choice("padding", padding, ("valid", "same"))
    if not isinstance(channels, (tuple, list)) or not channels:
        raise TypeError(f"channels must be a non-empty tuple of widths, got {channels!r}")
    widths = [check_int(f"channels[{i}]", c, low=1) for i, c in enumerate(channels)]
    check_int("classes", classes, low=2)
    size = check_int("image_size", image_size, low=1)
    layers: list[nn.Module] = []
    c_in = 1
    for c in widths:
        for _ in range(2):
            layers += [nn.Conv2d(c_in, c, 3, padding=padding), nn.ReLU()]
            c_in = c
            size = output_size(size, 3, padding=padding)
        layers.append(nn.MaxPool2d(2))
        size //= 2
        if size < 1:
            raise ValueError(f"channels {channels!r} make too many blocks: the feature map vanishes "
                             f"with {padding} padding on a {image_size}x{image_size} image")
    layers += [nn.Flatten(), nn.Linear(c_in * size * size, classes)]
    return nn.Sequential(*layers)


def feature_map_sizes(model: nn.Module, image_size: int = 28) -> list[tuple[int, int]]:
    """The (H, W) after every Conv2d and MaxPool2d of ``model``, measured on a zero image."""
    check_type("model", model, nn.Module, "a torch.nn.Module")
    size = check_int("image_size", image_size, low=1)
    x, sizes = torch.zeros(1, 1, size, size), []
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
                sizes.append(tuple(x.shape[2:]))
    return sizes


def input_usage(image_size: int, kernel_size: int, layers: int, padding: str) -> torch.Tensor:
    """How many paths lead from each input pixel to the outputs of ``layers`` stacked
    stride-1 convolutions with an all-ones kernel: border pixels of a valid stack are
    used far less than the centre. Returns an (image_size, image_size) tensor."""
    size = check_int("image_size", image_size, low=1)
    k = check_int("kernel_size", kernel_size, low=1)
    layers = check_int("layers", layers, low=1)
    check_choice("padding", padding, MODES)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = x
    for _ in range(layers):
        y = conv(y, torch.ones(1, 1, k, k), padding=padding)
    y.sum().backward()
    return x.grad[0, 0]


# --------------------------------------------------------------------------- drawings

def positions(input_size, kernel_size, stride=1, dilation=1, padding=0) -> list[tuple[int, ...]]:
    """Where the kernel's first tap sits, in padded coordinates, for every output (row-major)."""
    out = output_size(input_size, kernel_size, stride, dilation, padding)
    out = (out,) if isinstance(out, int) else out
    strides, _ = _per_dim("stride", stride, len(out), low=1)
    grid = [[]]
    for o, s in zip(out, strides):
        grid = [g + [j * s] for g in grid for j in range(o)]
    return [tuple(g) for g in grid]


def draw(input_size, kernel_size, stride=1, dilation=1, padding=0, *, step: int = 0, ax=None):
    """Draw the padded input (padding in grey), the kernel's taps for output number ``step``
    (row-major), and the output grid beside it with that output marked. 1-D inputs are drawn
    as one row. Returns the axes."""
    out = output_size(input_size, kernel_size, stride, dilation, padding)
    one_d = isinstance(input_size, int)
    sizes = (1, input_size) if one_d else tuple(input_size)
    out2 = (1, out) if one_d else out
    kernel = (1, kernel_size) if one_d else _per_dim("kernel_size", kernel_size, 2, low=1)[0]
    dil = (1, dilation) if one_d else _per_dim("dilation", dilation, 2, low=1)[0]
    pads = resolve_padding(padding, kernel_size, dilation, ndim=1 if one_d else 2)
    pads = ((0, 0), pads[0]) if one_d else pads
    places = positions(input_size, kernel_size, stride, dilation, padding)
    step = check_int("step", step, low=0, high=len(places) - 1)
    corner = (0, places[step][0]) if one_d else places[step]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2 if one_d else 5))
    ph, pw = sizes[0] + sum(pads[0]), sizes[1] + sum(pads[1])
    for r in range(ph):
        for c in range(pw):
            inside = pads[0][0] <= r < pads[0][0] + sizes[0] and pads[1][0] <= c < pads[1][0] + sizes[1]
            ax.add_patch(Rectangle((c, -r - 1), 1, 1, facecolor="white" if inside else "0.85",
                                   edgecolor="0.5", hatch=None if inside else "//", lw=0.8))
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            r, c = corner[0] + i * dil[0], corner[1] + j * dil[1]
            ax.add_patch(Rectangle((c + 0.1, -r - 0.9), 0.8, 0.8, facecolor="tab:orange", alpha=0.8, lw=0))
    gap = 2
    for r in range(out2[0]):
        for c in range(out2[1]):
            current = (r * out2[1] + c) == step
            ax.add_patch(Rectangle((pw + gap + c, -r - 1), 1, 1, lw=0.8, edgecolor="0.3",
                                   facecolor="tab:orange" if current else "tab:blue", alpha=0.8 if current else 0.3))
    ax.text(pw / 2, 0.4, f"padded input {ph}×{pw}" if not one_d else f"padded input: {pw}",
            ha="center", va="bottom")
    ax.text(pw + gap + out2[1] / 2, 0.4, f"output {out2[0]}×{out2[1]}" if not one_d else f"output: {out2[1]}",
            ha="center", va="bottom")
    ax.set_xlim(-0.5, pw + gap + out2[1] + 0.5)
    ax.set_ylim(-max(ph, out2[0]) - 0.5, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
