"""The batch-normalization chapter's measurements: running averages, train vs eval mode,
gamma/beta gradients and changes, the input-drift probe, their plots, and bad inputs."""
import ast
import importlib
import math
import pkgutil
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from lecturelib import plots  # noqa: E402
from lecturelib.callbacks import TrainState  # noqa: E402
from lecturelib.experiments import batchnorm as bn  # noqa: E402
from lecturelib.models import NormMLP  # noqa: E402
from lecturelib.smoothness import InputDrift  # noqa: E402


def _mlp(norm="batch", seed=0):
    torch.manual_seed(seed)
    return NormMLP(784, (16, 8), 10, norm=norm)


# --- running averages -------------------------------------------------------------------

@pytest.mark.parametrize("momentum", [0.5, 0.1, 0.01])
def test_running_average_is_the_ema_with_beta_one_minus_momentum(momentum):
    out = bn.running_average(momentum=momentum, steps=25, std=0.5, seed=3)
    assert out["beta"] == pytest.approx(1 - momentum)
    assert out["ema_diff"] < 1e-5 and out["torch_diff"] < 1e-5
    assert len(out["step"]) == len(out["ours"]) == len(out["ema"]) == 26
    # from 0, the EMA of batch means near 3 covers about (1 - beta^t) of the way
    t = 25
    assert out["ema"][t] == pytest.approx((1 - (1 - momentum) ** t) * 3.0, abs=0.15)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"momentum": 0.0}, ValueError, "momentum must be > 0"),
    ({"momentum": 1.5}, ValueError, "momentum must be <= 1"),
    ({"steps": 0}, ValueError, "steps must be >= 1"),
    ({"batch_size": 1}, ValueError, "batch_size must be >= 2"),
    ({"std": 0.0}, ValueError, "std must be > 0"),
    ({"mean": "3"}, TypeError, "mean must be a number"),
])
def test_running_average_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        bn.running_average(**kwargs)


# --- training mode against evaluation mode -------------------------------------------------

def test_train_mode_logits_leaves_running_statistics_and_mode_alone():
    model = _mlp()
    model(torch.randn(32, 1, 28, 28) + 1)          # move the running statistics off their start
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(12, 1, 28, 28)
    out = bn.train_mode_logits(model, x)
    assert not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    model.train()
    with torch.no_grad():
        expected = model(x)
    assert torch.allclose(out, expected)
    with torch.no_grad():
        model.eval()
        assert not torch.allclose(out, model(x), atol=1e-3)


def test_eval_train_gap_on_an_untrained_model(ci_preset):
    gap = bn.eval_train_gap(_mlp(), bn.scale("ci"), batch=64, small=4)
    for key in ("shuffled", "small", "one_digit"):
        assert 0.0 <= gap[key]["flipped"] <= 1.0
        assert gap[key]["max_logit_change"] >= 0.0
    assert gap["shuffled"]["images"] == 64 and gap["small"]["batch_size"] == 4
    assert len(gap["digits"]) == 10
    assert gap["one_digit"]["min_flipped"] <= gap["one_digit"]["flipped"]
    assert len(gap["example"]["labels"]) == 4 and set(gap["example"]["labels"]) == {3}
    assert all("value per channel" in m for m in gap["batch_of_one"].values())


@pytest.mark.parametrize("call, error, match", [
    (lambda: bn.eval_train_gap("model"), TypeError, "model must be a torch.nn.Module"),
    (lambda: bn.eval_train_gap(_mlp(), "ci"), TypeError, "s must be a lecturelib"),
    (lambda: bn.eval_train_gap(_mlp(), batch=1), ValueError, "batch must be >= 2"),
    (lambda: bn.eval_train_gap(_mlp(), small=1), ValueError, "small must be >= 2"),
    (lambda: bn.train_mode_logits(_mlp(), [1, 2]), TypeError, "x must be a torch.Tensor"),
    (lambda: bn.train_mode_logits(None, torch.zeros(2, 784)), TypeError, "model must be"),
])
def test_eval_train_gap_bad_inputs(call, error, match, ci_preset):
    with pytest.raises(error, match=match):
        call()


# --- gamma and beta -------------------------------------------------------------------------

def test_affine_gradients_match_the_closed_form():
    out = bn.affine_gradients(n=9, features=3, seed=2)
    assert out["gamma_diff"] < 1e-12 and out["beta_diff"] < 1e-12
    assert out["gamma_grad"].shape == out["beta_grad"].shape == (3,)


def test_affine_moments_and_shapes():
    m = bn.affine_moments(gamma=(2.0, 0.5), beta=(1.0, -3.0), n=400)
    assert m["std"] == pytest.approx([2.0, 0.5], abs=1e-3)
    assert m["mean"] == pytest.approx([1.0, -3.0], abs=1e-3)
    assert bn.affine_shapes(_mlp()) == [{"units": 16, "gamma": (16,), "beta": (16,)},
                                        {"units": 8, "gamma": (8,), "beta": (8,)}]
    assert bn.affine_shapes(_mlp(norm=None)) == []


def test_affine_change_probe_measures_how_far_gamma_and_beta_moved():
    model = _mlp()
    probe = bn.AffineChange()
    probe.on_train_begin(TrainState(model))
    assert probe.measure(TrainState(model)) == {"gamma_change": 0.0, "beta_change": 0.0}
    with torch.no_grad():
        model.blocks[1][1].gamma[3] += 0.25
        model.blocks[0][1].beta[0] -= 0.5
    assert probe.measure(TrainState(model)) == pytest.approx({"gamma_change": 0.25, "beta_change": 0.5})


@pytest.mark.parametrize("call, error, match", [
    (lambda: bn.affine_gradients(n=1), ValueError, "n must be >= 2"),
    (lambda: bn.affine_gradients(features=0), ValueError, "features must be >= 1"),
    (lambda: bn.affine_moments(gamma=(1.0,), beta=(0.0, 1.0)), ValueError, "equal length"),
    (lambda: bn.affine_moments(gamma=("a",), beta=(0.0,)), TypeError, r"gamma\[0\] must be a number"),
    (lambda: bn.affine_moments(n=1), ValueError, "n must be >= 2"),
    (lambda: bn.affine_shapes("model"), TypeError, "model must be a torch.nn.Module"),
    (lambda: bn.AffineChange().on_train_begin(TrainState(_mlp(norm=None))), ValueError, "at least one affine"),
    (lambda: bn.AffineChange().measure(TrainState(_mlp())), RuntimeError, "needs on_train_begin"),
])
def test_affine_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- the input-drift probe --------------------------------------------------------------

def test_input_drift_records_the_relu_input_and_leaves_the_model_alone():
    model = _mlp()
    x = torch.randn(40, 1, 28, 28)
    probe = InputDrift(x, layer=2, every=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    probe.on_train_begin(TrainState(model))
    for step in range(1, 5):
        probe.on_step_end(TrainState(model, steps=step), x, None)
    assert [t["step"] for t in probe.trace] == [0, 2, 4]
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    first = probe.trace[0]
    assert len(first["mean"]) == 8
    # after BN (training mode, the probe images' own statistics) each unit has mean beta = 0, std 1
    assert max(abs(m) for m in first["mean"]) < 1e-5
    assert first["std"] == pytest.approx([1.0] * 8, abs=1e-3)
    assert all(a <= b <= c for a, b, c in zip(first["q10"], first["q50"], first["q90"]))
    assert probe.drift()["mean_shift"] < 1e-5      # nothing trained, nothing moved
    assert probe.measure(TrainState(model)) == {}


def test_input_drift_measures_a_shift_in_units_of_the_initial_spread():
    model = _mlp(norm=None)
    x = torch.randn(64, 1, 28, 28)
    probe = InputDrift(x, layer=1, every=1)
    probe.on_train_begin(TrainState(model))
    scale = sum(probe.trace[0]["std"]) / 16
    with torch.no_grad():
        model.blocks[0][0].bias += 2 * scale
    probe.on_step_end(TrainState(model, steps=1), x, None)
    assert probe.drift()["mean_shift"] == pytest.approx(2.0, rel=1e-4)
    assert probe.drift()["std_change"] == pytest.approx(0.0, abs=1e-5)
    assert probe.drift()["max_mean_shift"] == pytest.approx(2.0, rel=1e-4)


@pytest.mark.parametrize("call, error, match", [
    (lambda: InputDrift("x"), TypeError, "x must be a torch.Tensor"),
    (lambda: InputDrift(torch.zeros(1, 784)), ValueError, "at least 2 images"),
    (lambda: InputDrift(torch.zeros(4, 784), layer=0), ValueError, "layer must be >= 1"),
    (lambda: InputDrift(torch.zeros(4, 784), every=0), ValueError, "every must be >= 1"),
    (lambda: InputDrift(torch.zeros(4, 784)).on_train_begin(TrainState(torch.nn.Linear(784, 2))), TypeError, "NormMLP"),
    (lambda: InputDrift(torch.zeros(4, 784), layer=3).on_train_begin(TrainState(_mlp())), ValueError,
     "layer must be <= 2"),
    (lambda: InputDrift(torch.zeros(4, 784)).drift(), ValueError, "at least two measurements"),
])
def test_input_drift_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- plots --------------------------------------------------------------------------------

def test_plots_draw_and_reject_bad_inputs():
    model = _mlp()
    probe = InputDrift(torch.randn(20, 1, 28, 28), layer=1, every=1)
    probe.on_train_begin(TrainState(model))
    probe.on_step_end(TrainState(model, steps=1), None, None)
    ax = plots.input_drift(probe.trace, units=(0, 5))
    assert len(ax.lines) == 2 and ax.get_xlabel() == "optimizer steps"
    ax = plots.running_average(bn.running_average(steps=5))
    assert len(ax.lines) == 6
    with pytest.raises(ValueError, match="at least two measurements"):
        plots.input_drift(probe.trace[:1])
    with pytest.raises(ValueError, match=r"units\[0\] must be in \[0, 15\]"):
        plots.input_drift(probe.trace, units=(16,))
    with pytest.raises(TypeError, match="units must be a non-empty tuple"):
        plots.input_drift(probe.trace, units=())
    with pytest.raises(ValueError, match="ema is missing"):
        plots.running_average({"step": [0]})
    with pytest.raises(TypeError, match="ema must be"):
        plots.running_average([1, 2])
    matplotlib.pyplot.close("all")


def test_drift_and_smoothness_runs_return_their_probes(ci_preset):
    s = bn.scale("ci")
    runs = bn.drift_runs(s)
    assert set(runs) == {"no BN", "BN"}
    h, probe = runs["BN"]
    assert probe.trace[-1]["step"] == h.steps[-1] and math.isfinite(probe.drift()["mean_shift"])


# --- the package --------------------------------------------------------------------------

def test_package_re_exports_every_public_name_of_its_modules():
    """The notebook, the claims and the widget read ``bn.NAME``: whichever module defines a
    name (a top-level def, class or assignment), the package holds that same object, and
    ``__all__`` lists exactly those names."""
    defined = {}
    for info in pkgutil.iter_modules(bn.__path__):
        module = importlib.import_module(f"{bn.__name__}.{info.name}")
        for node in ast.parse(Path(module.__file__).read_text()).body:
            names = [node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else \
                [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            defined.update({n: getattr(module, n) for n in names if not n.startswith("_")})
    assert len(defined) >= 30
    assert sorted(bn.__all__) == sorted(defined)
    for name, value in defined.items():
        assert getattr(bn, name) is value, name
