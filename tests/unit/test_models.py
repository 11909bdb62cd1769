import math

import pytest
import torch

from lecturelib import models


def test_mlp_shapes_and_layers():
    m = models.MLP(784, (32, 16), 10)
    out = m(torch.randn(5, 1, 28, 28))
    assert out.shape == (5, 10)
    linears = [l for l in m.modules() if isinstance(l, torch.nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [(784, 32), (32, 16), (16, 10)]
    assert sum(isinstance(l, torch.nn.ReLU) for l in m.modules()) == 2   # none after the output layer


def test_study_mlp_is_the_papers_network():
    m = models.study_mlp()
    linears = [l for l in m.modules() if isinstance(l, torch.nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [(784, 1024), (1024, 1024), (1024, 10)]


def test_glorot_init_variance_and_zero_bias():
    torch.manual_seed(0)
    m = models.MLP(784, (1024,), 10, init="glorot")
    first = m.net[1]
    expected_std = math.sqrt(2 / (784 + 1024))
    assert abs(float(first.weight.detach().std()) / expected_std - 1) < 0.02
    assert float(first.bias.abs().max()) == 0.0


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"in_features": 0, "hidden": (4,), "out_features": 2}, ValueError, "in_features must be >= 1"),
    ({"in_features": 4, "hidden": "64", "out_features": 2}, TypeError, "hidden must be a tuple or list"),
    ({"in_features": 4, "hidden": (4, -1), "out_features": 2}, ValueError, r"hidden\[1\] must be >= 1"),
    ({"in_features": 4, "hidden": (4,), "out_features": 2.0}, TypeError, "out_features must be an integer"),
    ({"in_features": 4, "hidden": (4,), "out_features": 2, "activation": "swish"}, ValueError, "activation must be one of"),
    ({"in_features": 4, "hidden": (4,), "out_features": 2, "init": "he"}, ValueError, "init must be one of 'torch', 'glorot'"),
])
def test_mlp_bad_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        models.MLP(**kwargs)
