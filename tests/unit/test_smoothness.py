"""lecturelib.smoothness: values, the model left untouched, the probe, bad inputs."""
import math

import pytest
import torch

from lecturelib.callbacks import TrainState
from lecturelib.models import NormMLP
from lecturelib.smoothness import Smoothness, step_landscape


def _model_and_batch(norm="batch"):
    torch.manual_seed(0)
    return NormMLP(784, (16,), 10, norm=norm), torch.randn(12, 1, 28, 28), torch.randint(0, 10, (12,))


def test_values_are_non_negative_and_model_restored():
    model, x, y = _model_and_batch()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out = step_landscape(model, x, y, [0.01, 0.1])
    assert set(out) == {"loss_range", "grad_change", "beta_smooth"}
    assert all(v >= 0 for v in out.values())
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_linear_model_has_constant_gradient_change_ratio():
    # For a quadratic loss the gradient changes linearly along the step: beta_smooth
    # is the curvature along g whatever the step size.
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1, bias=False)
    x, y = torch.randn(20, 3), torch.randn(20, 1)
    mse = torch.nn.functional.mse_loss
    a = step_landscape(model, x, y, [0.01], loss_fn=mse)["beta_smooth"]
    b = step_landscape(model, x, y, [0.2], loss_fn=mse)["beta_smooth"]
    assert math.isclose(a, b, rel_tol=1e-4)


def test_probe_records_every_n_steps():
    model, x, y = _model_and_batch()
    probe = Smoothness(0.1, every=2)
    probe.on_train_begin(TrainState(model))
    assert math.isnan(probe.measure(TrainState(model))["loss_range"])
    for step in range(1, 5):
        probe.on_step_end(TrainState(model, steps=step), x, y)
    assert [t["step"] for t in probe.trace] == [2, 4]
    assert probe.measure(TrainState(model))["grad_change"] >= 0


@pytest.mark.parametrize("call, error, match", [
    (lambda m, x, y: step_landscape(m, x, y, []), TypeError, "step_sizes must be a non-empty"),
    (lambda m, x, y: step_landscape(m, x, y, [0.0]), ValueError, r"step_sizes\[0\] must be > 0"),
    (lambda m, x, y: step_landscape(m, x[:3], y, [0.1]), ValueError, "x and y must be non-empty"),
    (lambda m, x, y: step_landscape("m", x, y, [0.1]), TypeError, "model must be a torch.nn.Module"),
    (lambda m, x, y: Smoothness(0.0), ValueError, "lr must be > 0"),
    (lambda m, x, y: Smoothness(0.1, every=0), ValueError, "every must be >= 1"),
    (lambda m, x, y: Smoothness(0.1, factors=(1, -1)), ValueError, r"factors\[1\] must be > 0"),
])
def test_bad_inputs(call, error, match):
    model, x, y = _model_and_batch()
    with pytest.raises(error, match=match):
        call(model, x, y)
