"""lecturelib.conv: sizes against torch (property tests), causal convolution, drawings, bad inputs."""
import warnings

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lecturelib import conv
from lecturelib.experiments import conv_padding as cp

# 1,500 random configurations per property (4 properties, 6,000 in all).
PROPERTY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

side = st.integers(0, 6)
padding_1d = st.one_of(st.sampled_from(conv.MODES), side, st.tuples(side, side))


@st.composite
def config_1d(draw):
    return dict(input_size=draw(st.integers(1, 40)), kernel_size=draw(st.integers(1, 9)),
                stride=draw(st.integers(1, 5)), dilation=draw(st.integers(1, 5)), padding=draw(padding_1d))


@st.composite
def config_2d(draw):
    dim = lambda lo, hi: st.tuples(st.integers(lo, hi), st.integers(lo, hi))  # noqa: E731
    per_dim_padding = st.tuples(st.one_of(side, st.tuples(side, side)), st.one_of(side, st.tuples(side, side)))
    return dict(input_size=draw(dim(1, 24)), kernel_size=draw(st.one_of(st.integers(1, 7), dim(1, 7))),
                stride=draw(st.one_of(st.integers(1, 4), dim(1, 4))),
                dilation=draw(st.one_of(st.integers(1, 4), dim(1, 4))),
                padding=draw(st.one_of(st.sampled_from(conv.MODES), side, per_dim_padding)))


def _each_dim(value, ndim):
    return tuple(value) if isinstance(value, tuple) else (value,) * ndim


def _torch_size(cfg):
    """The output size torch itself gives for ``cfg``, or None when torch refuses the convolution.

    Independent of lecturelib's padding arithmetic (``conv._pads``): each mode goes through torch's
    own padding argument where torch has one ('valid', 'same' at stride 1, a symmetric int), and
    otherwise through a convolution torch pads itself, sliced: a stride-s output is every s-th
    output at stride 1, and causal padding keeps the first i outputs of the convolution padded by
    d (k - 1) on both sides. Only an explicit (left, right) pair, for which torch has no argument,
    goes through ``F.pad``, with the pair's own numbers."""
    one_d = isinstance(cfg["input_size"], int)
    size = _each_dim(cfg["input_size"], 1 if one_d else 2)
    k, s, d = (_each_dim(cfg[name], len(size)) for name in ("kernel_size", "stride", "dilation"))
    span = tuple(di * (ki - 1) for ki, di in zip(k, d))
    x, w = torch.zeros(1, 1, *size), torch.zeros(1, 1, *k)
    fn, p, keep = (F.conv1d if one_d else F.conv2d), cfg["padding"], (slice(None), slice(None))
    try:
        if p == "valid":
            y = fn(x, w, stride=s, dilation=d, padding="valid")
        elif p == "same":
            with warnings.catch_warnings():   # torch notes that an even kernel costs it a copy
                warnings.simplefilter("ignore")
                y = fn(x, w, dilation=d, padding="same")[keep + tuple(slice(None, None, si) for si in s)]
        elif p == "full":
            y = fn(x, w, stride=s, dilation=d, padding=span)
        elif p == "causal":
            y = fn(x, w, dilation=d, padding=span)[keep + tuple(slice(0, n, si) for n, si in zip(size, s))]
        elif isinstance(p, int):
            y = fn(x, w, stride=s, dilation=d, padding=p)
        else:
            pairs = [p] if one_d else [q if isinstance(q, tuple) else (q, q) for q in p]
            y = fn(F.pad(x, [v for pair in reversed(pairs) for v in pair]), w, stride=s, dilation=d)
    except RuntimeError:
        return None
    out = tuple(y.shape[2:])
    return out[0] if one_d else out


def _agree(cfg):
    """output_size (and lecturelib's own torch_output_size) give the size torch gives, and refuse
    only a configuration torch itself refuses."""
    theirs = _torch_size(cfg)
    for fn in (conv.output_size, conv.torch_output_size):
        try:
            ours = fn(**cfg)
        except ValueError as err:
            assert theirs is None, f"{fn.__name__} refused {cfg} ({err}), torch gives {theirs}"
            continue
        assert ours == theirs, f"{fn.__name__} gives {ours} for {cfg}, torch {theirs}"
    return theirs


@PROPERTY
@given(config_1d())
def test_output_size_matches_torch_1d(cfg):
    _agree(cfg)


@PROPERTY
@given(config_2d())
def test_output_size_matches_torch_2d(cfg):
    _agree(cfg)


@PROPERTY
@given(st.integers(1, 40), st.integers(1, 9), st.integers(1, 5), st.integers(0, 6))
def test_symmetric_padding_matches_torch_own_padding_argument(i, k, d, p):
    # torch pads symmetrically itself here; no F.pad in between.
    try:
        ours = conv.output_size(i, k, dilation=d, padding=p)
    except ValueError:
        with pytest.raises(RuntimeError):
            F.conv1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), dilation=d, padding=p)
        return
    assert F.conv1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), dilation=d, padding=p).shape[-1] == ours


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@PROPERTY
@given(st.tuples(st.integers(1, 20), st.integers(1, 20)), st.tuples(st.integers(1, 6), st.integers(1, 6)),
       st.tuples(st.integers(1, 3), st.integers(1, 3)))
def test_padding_for_same_equals_torch_same_values(size, kernel, dilation):
    # Not only the size: the values equal torch's padding='same', so the split (extra on the right) is torch's.
    x, w = torch.randn(1, 1, *size), torch.randn(1, 1, *kernel)
    ours = conv.conv(x, w, dilation=dilation, padding=conv.padding_for("same", kernel, dilation))
    theirs = F.conv2d(x, w, dilation=dilation, padding="same")
    assert ours.shape == theirs.shape == x.shape
    torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize("mode, expected", [("valid", (0, 0)), ("same", (2, 3)), ("full", (5, 5)),
                                            ("causal", (5, 0))])
def test_padding_for_each_mode(mode, expected):
    assert conv.padding_for(mode, 6) == expected
    assert conv.padding_for(mode, (6, 3), (1, 2)) == (expected, conv.padding_for(mode, 3, 2))


def test_output_size_known_values():
    assert conv.output_size(28, 5) == 24
    assert conv.output_size((28, 28), 3, padding="same") == (28, 28)
    assert conv.output_size(10, 3, stride=2, padding="same") == 5  # ceil(10 / 2)
    assert conv.output_size(10, 2, dilation=3, padding=(1, 2)) == 10
    assert conv.transposed_output_size(8, 3) == 10


def test_causal_conv_keeps_length_and_does_not_leak():
    torch.manual_seed(0)
    layer = conv.CausalConv1d(2, 3, kernel_size=3, dilation=2)
    x = torch.randn(4, 2, 20)
    y = layer(x)
    assert y.shape == (4, 3, 20)
    x2 = x.clone()
    x2[:, :, 12] += 5.0
    y2 = layer(x2)
    assert torch.equal(y[..., :12], y2[..., :12])
    assert not torch.equal(y[..., 12:17], y2[..., 12:17])
    # equal to a plain conv on the left-padded input, i.e. Keras' padding='causal'
    torch.testing.assert_close(y, F.conv1d(F.pad(x, (4, 0)), layer.conv.weight, layer.conv.bias, dilation=2))


def test_receptive_field_of_dilated_stack():
    assert conv.receptive_field(2, (1, 2, 4, 8)) == 16
    assert conv.receptive_field(3, (1, 2, 4)) == 15
    # Without ReLUs in the way, the dependence of the last output is exactly the receptive field.
    stack = torch.nn.Sequential(*[conv.CausalConv1d(1, 1, 3, d) for d in (1, 2, 4)])
    for layer in stack:
        torch.nn.init.constant_(layer.conv.weight, 1.0)
    used = conv.input_dependence(stack, 40, 39) > 0
    assert used.nonzero().flatten().tolist() == list(range(25, 40))


def test_size_through_stack_and_usage():
    assert conv.size_through_stack(28, 3, 5, "valid") == [28, 26, 24, 22, 20, 18]
    assert conv.size_through_stack(28, 3, 20, "valid")[-1] == 2
    assert conv.size_through_stack(28, 3, 5, "same") == [28] * 6
    usage = conv.input_usage(8, 3, 1, "valid")
    assert usage[0, 0] == 1 and usage[4, 4] == 9


def test_padding_modes_borders():
    img = conv.ramp_image(5)
    padded = conv.padding_modes(img, 2)
    assert set(padded) == set(conv.PADDING_MODES)
    assert all(p.shape == (1, 1, 9, 9) for p in padded.values())
    assert padded["zeros"][0, 0, 0, 0] == 0
    assert padded["replicate"][0, 0, 0, 0] == img[0, 0, 0, 0]
    assert padded["reflect"][0, 0, 2, 0] == img[0, 0, 0, 2]
    assert padded["circular"][0, 0, 2, 0] == img[0, 0, 0, 3]


def test_padding_cnn_shapes():
    for mode, last in (("valid", (4, 4)), ("same", (7, 7))):
        net = conv.padding_cnn(mode)
        assert conv.feature_map_sizes(net)[-1] == last
        assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_draw_and_positions():
    assert conv.positions(5, 3, stride=2) == [(0,), (2,)]
    assert len(conv.positions((4, 4), 2, padding="same")) == 16
    ax = conv.draw((5, 6), 3, 2, 1, "same", step=3)
    assert ax.patches
    conv.draw(8, 3, 1, 2, "causal", step=7)
    matplotlib.pyplot.close("all")


def test_causal_leak_experiment_ci():
    result = cp.causal_leak(cp.scale("ci"))
    assert result["max_past_change"] == 0.0 and result["min_future_change"] > 0


# ---------------------------------------------------------------- bad inputs

def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match="kernel_size 5 with dilation 1 spans 5 positions.*= 3"):
        conv.output_size(3, 5)
    with pytest.raises(ValueError, match="spans 9 positions in dimension 1"):
        conv.output_size((10, 6), 3, dilation=4)
    with pytest.raises(ValueError, match="more than the padded input"):
        conv.conv(torch.zeros(1, 1, 2), torch.zeros(1, 1, 4))


@pytest.mark.parametrize("name", ["stride", "dilation"])
@pytest.mark.parametrize("value", [0, -1])
def test_non_positive_stride_or_dilation(name, value):
    with pytest.raises(ValueError, match=f"{name} must be >= 1, got {value}"):
        conv.output_size(10, 3, **{name: value})
    with pytest.raises(ValueError, match=f"{name}"):
        conv.padding_for("same", 3, **{name: value})


def test_unknown_mode():
    with pytest.raises(ValueError, match="mode must be one of 'valid', 'same', 'full', 'causal'; got 'half'"):
        conv.padding_for("half", 3)
    with pytest.raises(ValueError, match="padding must be one of .* got 'SAME'"):
        conv.output_size(10, 3, padding="SAME")
    with pytest.raises(ValueError, match="mode must be one of 'zeros'"):
        conv.pad(torch.zeros(1, 1, 4), 1, mode="mirror")


def test_wrong_types():
    with pytest.raises(TypeError, match="input_size must be an integer, got 2.5"):
        conv.output_size(2.5, 3)
    with pytest.raises(TypeError, match="kernel_size must be an integer, got True"):
        conv.padding_for("valid", True)
    with pytest.raises(TypeError, match="padding must be a mode name"):
        conv.output_size(10, 3, padding=1.0)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        conv.pad([1, 2, 3], 1)
    with pytest.raises(TypeError, match="dilations must be a non-empty tuple"):
        conv.receptive_field(2, 4)


def test_bad_shapes_and_lengths():
    with pytest.raises(ValueError, match="stride must have one entry per dimension \\(2\\)"):
        conv.output_size((5, 5), 3, stride=(1, 1, 1))
    with pytest.raises(ValueError, match="padding must be a \\(left, right\\) pair"):
        conv.output_size(10, 3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="padding\\[0\\] \\(left\\) must be >= 0, got -1"):
        conv.output_size(10, 3, padding=(-1, 2))
    with pytest.raises(ValueError, match="x must be \\(N, C, L\\)"):
        conv.CausalConv1d(1, 1, 2)(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="padding 'same' is a mode name, so kernel_size is needed"):
        conv.pad(torch.zeros(1, 1, 4), "same")
    with pytest.raises(ValueError, match="width must be <= 4"):
        conv.padding_modes(conv.ramp_image(5), 5)
    with pytest.raises(ValueError, match="padding must be one of 'valid', 'same'"):
        conv.padding_cnn("full")
    with pytest.raises(ValueError, match="t must be <= 9"):
        conv.input_dependence(conv.causal_stack(2, 2, (1,)), 10, 10)
    with pytest.raises(ValueError, match="step must be <= 1"):
        conv.draw(5, 3, stride=2, step=2)


# --- the chapter's measurements for the CV rules ------------------------------------------

def test_chapter_measurements_agree_with_torch():
    valid = cp.valid_sizes()
    assert valid and all(r["torch"] == r["formula"] for r in valid)
    same = cp.same_splits(seed=1)
    assert [r["split"] for r in same["rows"][:4]] == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert all(r["equals_torch"] for r in same["rows"]) and not same["rows"][3]["mirror_equals"]
    assert same["strided"] == {12: 6, 13: 7} and "not supported" in same["torch_stride2"]
    check = cp.formula_check(50, seed=3)
    assert check["trials"] == 50 and check["mismatches"] == 0 and 0 < check["refused"] < 50
    full = cp.full_round_trip(seed=2)
    assert all(r["back"] == r["i"] and r["full"] == r["full_torch"] and r["max_diff"] < 1e-4 for r in full)
    border = cp.border_values()
    assert border["inside"] == 0.0 and border["border"] > 0.1 and border["corner"]["zeros"] == 0.0
    assert cp.future_steps(2, 8, "same") == 4 and cp.future_steps(2, 8, "causal") == 0
    assert cp.future_steps(3, 1, "same") == 1 and cp.future_steps(4, 1, "same") == 2


def test_transposed_conv_returns_each_input_size_with_output_padding():
    for i in range(9, 13):
        y = F.conv1d(torch.randn(1, 1, i), torch.randn(1, 1, 3), stride=3)
        extra = (i - 3) % 3
        back = F.conv_transpose1d(y, torch.randn(1, 1, 3), stride=3, output_padding=extra)
        assert back.shape[-1] == i == conv.transposed_output_size(y.shape[-1], 3, stride=3, output_padding=extra)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: cp.valid_sizes(0), ValueError, r"input_size must be >= 1"),
    (lambda: cp.valid_sizes(28, kernels=(0,)), ValueError, r"kernel must be >= 1"),
    (lambda: cp.same_splits(1), ValueError, r"input_size must be >= 2"),
    (lambda: cp.same_splits(12, dilation=0), ValueError, r"dilation must be >= 1"),
    (lambda: cp.formula_check(0), ValueError, r"trials must be >= 1"),
    (lambda: cp.formula_check(5, seed=-1), ValueError, r"seed must be >= 0"),
    (lambda: cp.full_round_trip(((10, 0, 1),)), ValueError, r"kernel must be >= 1"),
    (lambda: cp.border_values(width=20), ValueError, r"width must be <= 11"),
    (lambda: cp.border_values(size=1), ValueError, r"size must be >= 2"),
    (lambda: cp.future_steps(2, 1, "valid"), ValueError, r"padding must be one of 'same', 'causal'"),
    (lambda: cp.future_steps(2, 1, "same", length=10, t=10), ValueError, r"t must be <= 9"),
])
def test_chapter_measurements_reject_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
