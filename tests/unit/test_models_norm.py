"""NormMLP, NormCNN and make_norm: shapes, placements, which axes each norm uses, bad inputs."""
import pytest
import torch
from torch import nn

from lecturelib.models import MLP, NORMS, NormCNN, NormMLP, make_norm
from lecturelib.norm import BatchNorm1d, BatchNorm2d


@pytest.mark.parametrize("norm", [None, "batch", "layer", "group"])
@pytest.mark.parametrize("position", ["before", "after"])
def test_mlp_shapes(norm, position):
    model = NormMLP(784, (16, 8), 10, norm=norm, bn_position=position)
    x = torch.randn(5, 1, 28, 28)
    assert model(x).shape == (5, 10)
    assert [a.shape for a in model.hidden_activations(x)] == [(5, 16), (5, 8)]


def test_mlp_block_order_and_bias_default():
    before = NormMLP(784, (16,), 10, norm="batch", bn_position="before").blocks[0]
    after = NormMLP(784, (16,), 10, norm="batch", bn_position="after").blocks[0]
    assert isinstance(before[1], BatchNorm1d) and isinstance(before[2], nn.ReLU)
    assert isinstance(after[1], nn.ReLU) and isinstance(after[2], BatchNorm1d)
    assert before[0].bias is None and after[0].bias is not None
    assert NormMLP(784, (16,), 10, norm="layer").blocks[0][0].bias is not None


@pytest.mark.parametrize("norm", NORMS)
def test_cnn_shapes(norm):
    model = NormCNN((4, 8), norm=norm, groups=2)
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)


def test_norm_axes():
    x = torch.randn(6, 4, 5, 5) * 3 + 2
    with torch.no_grad():
        y_batch = make_norm("batch", 4, spatial=True)(x)
        y_inst = make_norm("instance", 4, spatial=True)(x)
        y_layer = make_norm("layer", 4, spatial=True)(x)
    assert torch.allclose(y_batch.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-5)
    assert torch.allclose(y_inst.mean(dim=(2, 3)), torch.zeros(6, 4), atol=1e-5)
    assert torch.allclose(y_layer.mean(dim=(1, 2, 3)), torch.zeros(6), atol=1e-5)
    assert isinstance(make_norm("batch", 4, spatial=True), BatchNorm2d)
    assert isinstance(make_norm(None, 4, spatial=False), nn.Identity)


def test_old_mlp_unchanged():
    model = MLP(784, (32,), 10)
    assert [type(m).__name__ for m in model.net] == ["Flatten", "Linear", "ReLU", "Linear"]


@pytest.mark.parametrize("call, error, match", [
    (lambda: make_norm("batchnorm", 4, spatial=False), ValueError, "norm must be one of"),
    (lambda: make_norm("batch", 0, spatial=False), ValueError, "channels must be >= 1"),
    (lambda: make_norm("group", 6, spatial=True, groups=4), ValueError, "groups must divide channels"),
    (lambda: make_norm("group", 6, spatial=True, groups=0), ValueError, "groups must be >= 1"),
    (lambda: make_norm("instance", 6, spatial=False), ValueError, "norm='instance' needs a spatial"),
    (lambda: NormMLP(784, (8,), 10, norm="weird"), ValueError, "norm must be one of"),
    (lambda: NormMLP(784, (8,), 10, bn_position="middle"), ValueError, "bn_position must be one of"),
    (lambda: NormMLP(784, (0,), 10), ValueError, r"hidden\[0\] must be >= 1"),
    (lambda: NormMLP(784, (8,), 10, bias="yes"), TypeError, "bias must be True, False or None"),
    (lambda: NormCNN((0, 8)), ValueError, r"hidden\[0\] must be >= 1"),
    (lambda: NormCNN((6,), norm="group", groups=4), ValueError, "groups must divide channels"),
    (lambda: NormCNN((8,), norm="instancenorm"), ValueError, "norm must be one of"),
])
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_norm_batch_runs_rejects_bad_inputs():
    from lecturelib.experiments import batchnorm as bn
    s = bn.scale("ci")
    with pytest.raises(ValueError, match="arch"):
        bn.norm_batch_runs(s, arch="resnet")
    with pytest.raises(ValueError, match="instance"):
        bn.norm_batch_runs(s, norms=("instance",))
    with pytest.raises(ValueError, match="norms"):
        bn.norm_batch_runs(s, norms=("weight",))
    with pytest.raises(ValueError, match="batch_sizes"):
        bn.norm_batch_runs(s, batch_sizes=(1, 64))
    with pytest.raises(ValueError, match="lr"):
        bn.norm_batch_runs(s, lr=0.0)
    with pytest.raises(TypeError):
        bn.norm_batch_runs("ci")
