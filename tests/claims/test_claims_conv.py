"""Claims CV1, CV2, CV3 and CV5 of the convolution-padding chapter, at the `ci` preset.

CV1, CV2 and CV5 are exact size statements: the tests compare lecturelib's
arithmetic with what torch's convolutions produce, so they have no margin.
CV3 is checked on the chapter's dilated causal stack (seed 0, the book's seed);
seeds 0-4 at ci all gave a largest past change of exactly 0.0 and a smallest
change inside the receptive field of 0.0048 to 0.030 (20 trials each).
"""
import pytest
import torch
import torch.nn.functional as F

from lecturelib import conv
from lecturelib.experiments import conv_padding as cp

SEED = 0
SIZES = (5, 8, 13, 28)
KERNELS = (1, 2, 3, 4, 5)
DILATIONS = (1, 2, 3)


def _torch_len(x, k, d, **kw):
    return F.conv1d(x, torch.randn(1, 1, k), dilation=d, **kw).shape[-1]


def test_claim_cv1_valid_shrinks_by_dilated_kernel_span():
    checked = 0
    for i in SIZES:
        for k in KERNELS:
            for d in DILATIONS:
                if d * (k - 1) + 1 > i:
                    continue
                x = torch.randn(1, 1, i)
                expected = i - d * (k - 1)
                assert conv.output_size(i, k, dilation=d, padding="valid") == expected
                assert _torch_len(x, k, d, padding="valid") == expected
                assert _torch_len(x, k, d) == expected  # torch's default is no padding
                checked += 1
    # the same shrinkage per dimension in 2-D
    img = torch.randn(1, 1, 28, 20)
    assert F.conv2d(img, torch.randn(1, 1, 5, 3), dilation=(1, 2)).shape[2:] == (24, 16)
    assert conv.output_size((28, 20), (5, 3), dilation=(1, 2), padding="valid") == (24, 16)
    assert checked > 40


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_claim_cv2_same_keeps_size_with_asymmetric_padding_for_even_kernels():
    for i in SIZES:
        for k in KERNELS:
            for d in DILATIONS:
                x, w = torch.randn(1, 1, i), torch.randn(1, 1, k)
                left, right = conv.padding_for("same", k, d)
                assert conv.output_size(i, k, dilation=d, padding="same") == i
                # the total is d (k - 1); it splits unevenly exactly when that total is odd
                assert left + right == d * (k - 1)
                assert (left != right) == (d * (k - 1) % 2 == 1)
                if left != right:
                    assert right == left + 1  # the extra zero goes on the right, as in torch
                torch.testing.assert_close(conv.conv(x, w, dilation=d, padding="same"),
                                           F.conv1d(x, w, dilation=d, padding="same"))
    # an even kernel: padding (1, 2) reproduces torch's 'same', (2, 1) does not
    x, w = torch.arange(8.0).view(1, 1, 8), torch.randn(1, 1, 4)
    same = F.conv1d(x, w, padding="same")
    assert torch.allclose(F.conv1d(F.pad(x, (1, 2)), w), same)
    assert not torch.allclose(F.conv1d(F.pad(x, (2, 1)), w), same)
    # PyTorch's padding='same' is restricted to stride 1; lecturelib's gives ceil(i / s)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv1d(x, w, stride=2, padding="same")
    assert conv.output_size(8, 4, stride=3, padding="same") == conv.torch_output_size(8, 4, 3, 1, "same") == 3


def test_claim_cv3_causal_no_leak():
    s = cp.scale("ci")
    result = cp.causal_leak(s, seed=SEED)
    assert result["trials"] == s.trials
    assert result["max_past_change"] == 0.0          # outputs before t never move
    assert result["min_future_change"] > 1e-3        # seeds 0-4: 0.0048 to 0.030
    # the same with a single layer and Keras' semantics: left padding d (k - 1), length kept
    layer = conv.CausalConv1d(1, 1, kernel_size=3, dilation=4)
    assert layer.left_padding == 8
    assert layer(torch.randn(2, 1, 30)).shape == (2, 1, 30)
    # and the stack sees exactly its receptive field into the past (no ReLU to hide anything)
    linear = torch.nn.Sequential(*[conv.CausalConv1d(1, 1, cp.CAUSAL_KERNEL, d) for d in cp.CAUSAL_DILATIONS])
    for layer in linear:
        torch.nn.init.constant_(layer.conv.weight, 1.0)
    used = (conv.input_dependence(linear, 64, 50) > 0).nonzero().flatten()
    assert used.min() == 50 - result["receptive_field"] + 1 and used.max() == 50


def test_claim_cv5_full_grows_and_transposed_conv_undoes_valid():
    torch.manual_seed(SEED)
    for i in SIZES:
        for k in KERNELS:
            for d in DILATIONS:
                grown = conv.output_size(i, k, dilation=d, padding="full")
                assert grown == i + d * (k - 1) == conv.torch_output_size(i, k, 1, d, "full")
                if d * (k - 1) + 1 > i:
                    continue
                # round trip of sizes: valid conv shrinks by d (k - 1), the transposed conv grows it back
                x, w = torch.randn(1, 1, i), torch.randn(1, 1, k)
                y = F.conv1d(x, w, dilation=d)
                back = F.conv_transpose1d(y, w, dilation=d)
                assert back.shape[-1] == i == conv.transposed_output_size(y.shape[-1], k, dilation=d)
                # and the transposed conv *is* a full-padded conv with the flipped kernel
                torch.testing.assert_close(back, conv.conv(y, w.flip(-1), dilation=d, padding="full"))
    # with stride, output_padding picks which of the s input sizes to return to
    for i in range(9, 13):
        y = F.conv1d(torch.randn(1, 1, i), torch.randn(1, 1, 3), stride=3)
        extra = (i - 3) % 3
        back = F.conv_transpose1d(y, torch.randn(1, 1, 3), stride=3, output_padding=extra)
        assert back.shape[-1] == i == conv.transposed_output_size(y.shape[-1], 3, stride=3, output_padding=extra)
