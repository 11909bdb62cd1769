"""lecturelib.norm: equal to torch's BatchNorm, mean beta and std gamma, and bad inputs."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from lecturelib.experiments.batchnorm import equivalence
from lecturelib.models import NormMLP
from lecturelib.norm import BatchNorm, BatchNorm1d, BatchNorm2d, freeze_affine

TOL = {"float32": 1e-5, "float64": 1e-12}


def test_equals_torch_forward_backward_running_eval():
    rows = equivalence(steps=3)
    assert {r["dtype"] for r in rows} == {"float32", "float64"}
    for row in rows:
        for key in ("forward", "grad_x", "grad_gamma", "grad_beta", "running", "eval"):
            assert row[key] < TOL[row["dtype"]], (row["shape"], row["dtype"], key, row[key])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 9), c=st.integers(1, 5), h=st.integers(1, 4), w=st.integers(1, 4),
       momentum=st.floats(0.0, 1.0))
def test_2d_matches_torch_property(n, c, h, w, momentum):
    torch.manual_seed(0)
    ours, theirs = BatchNorm2d(c, momentum=momentum).double(), torch.nn.BatchNorm2d(c, momentum=momentum).double()
    x = torch.randn(n, c, h, w, dtype=torch.float64) * 2 + 1
    assert torch.allclose(ours(x), theirs(x), atol=1e-9)
    assert torch.allclose(ours.running_var, theirs.running_var, atol=1e-9)
    ours.eval(), theirs.eval()
    assert torch.allclose(ours(x), theirs(x), atol=1e-9)


def test_output_mean_is_beta_and_std_is_gamma():
    bn = BatchNorm1d(3, eps=1e-10)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, 2.0, 3.0]))
        bn.bias.copy_(torch.tensor([-1.0, 0.0, 4.0]))
    y = bn(torch.randn(500, 3) * 7 + 3).detach()
    assert torch.allclose(y.mean(0), bn.bias.detach(), atol=1e-5)
    assert torch.allclose(y.std(0, unbiased=False), bn.weight.detach(), atol=1e-4)


def test_parameter_shapes_one_per_channel():
    bn = BatchNorm2d(7)
    assert bn.gamma.shape == bn.beta.shape == bn.running_mean.shape == (7,)


def test_eval_mode_uses_running_statistics():
    bn = BatchNorm1d(4)
    x = torch.randn(16, 4) + 5
    train_out = bn(x)
    bn.eval()
    assert not torch.allclose(bn(x), train_out, atol=1e-3)


def test_no_affine_has_no_parameters():
    bn = BatchNorm1d(4, affine=False)
    assert list(bn.parameters()) == []
    assert bn(torch.randn(8, 4)).shape == (8, 4)


def test_freeze_affine_fixes_values_and_stops_gradients():
    model = NormMLP(784, (8,), 10, norm="batch")
    freeze_affine(model, beta=True)
    bn = model.blocks[0][1]
    assert not bn.bias.requires_grad and bn.weight.requires_grad
    assert float(bn.bias.abs().max()) == 0.0
    freeze_affine(model, gamma=True)
    assert not bn.weight.requires_grad and float((bn.weight - 1).abs().max()) == 0.0


@pytest.mark.parametrize("kwargs, error, match", [
    ({"num_features": 0}, ValueError, "num_features must be >= 1"),
    ({"num_features": 2.5}, TypeError, "num_features must be an integer"),
    ({"num_features": 3, "eps": 0.0}, ValueError, "eps must be > 0"),
    ({"num_features": 3, "momentum": 1.5}, ValueError, "momentum must be <= 1"),
    ({"num_features": 3, "affine": 1}, TypeError, "affine must be True or False"),
])
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        BatchNorm(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="x must have 4 dimensions"):
        BatchNorm2d(3)(torch.randn(4, 3))
    with pytest.raises(ValueError, match="x must have 2 or 3 dimensions"):
        BatchNorm1d(3)(torch.randn(4, 3, 2, 2))
    with pytest.raises(ValueError, match="x must have 3 channels"):
        BatchNorm1d(3)(torch.randn(4, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm1d(3)(torch.randn(1, 3))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        BatchNorm1d(3)([1.0, 2.0, 3.0])


def test_freeze_bad_inputs():
    with pytest.raises(ValueError, match="at least one affine"):
        freeze_affine(NormMLP(784, (8,), 10), beta=True)
    with pytest.raises(TypeError, match="beta must be True or False"):
        freeze_affine(NormMLP(784, (8,), 10, norm="batch"), beta="yes")
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        freeze_affine("model")
