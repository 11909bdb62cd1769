import math

import pytest
import torch

from lecturelib import data, models, presets, probes, train
from lecturelib.callbacks import Callback, Warmup


@pytest.fixture(scope="module")
def small():
    return data.mnist(train_limit=512, test_limit=256)


def make_model(seed=0):
    presets.set_seed(seed)
    return models.MLP(784, (32,), 10)


def test_history_fields(small):
    h = train.fit(make_model(), small, lr=0.05, batch_size=100, epochs=2, callbacks=[probes.WeightGeometry()])
    assert h.epoch == [0, 1, 2]
    assert h.steps == [0, 6, 12]              # 512 / 100 -> 6 batches, the last one partial
    assert h.samples == [0, 512, 1024]
    assert h.batch_size == [None, 100, 100] and h.lr == [None, 0.05, 0.05]
    assert len(h.seconds) == 3 and h.seconds[0] == 0 and h.seconds[2] > h.seconds[1] > 0
    for key in ("train_loss", "train_acc", "test_loss", "test_acc", "dist_w", "dist_b", "norm_w", "cos_layers"):
        assert len(h[key]) == 3, key
    assert h["dist_w"][0] == 0 and h["dist_w"][2] > 0
    assert h.final("train_loss") < h["train_loss"][0]
    assert h.config["optimizer"] == "sgd" and h.config["train_samples"] == 512
    with pytest.raises(KeyError, match="'nope' is not recorded"):
        h["nope"]
    assert train.History.from_dict(h.to_dict()) == h


def test_seeded_cpu_run_repeats_exactly(small):
    a = train.fit(make_model(3), small, lr=0.05, batch_size=64, epochs=2, seed=7)
    b = train.fit(make_model(3), small, lr=0.05, batch_size=64, epochs=2, seed=7)
    assert a.values["train_loss"] == b.values["train_loss"] and a.values["test_acc"] == b.values["test_acc"]
    c = train.fit(make_model(3), small, lr=0.05, batch_size=64, epochs=2, seed=8)
    assert c.values["train_loss"] != a.values["train_loss"]


def test_schedule_changes_batch_size_and_lr(small):
    h = train.fit(make_model(), small, schedule=[train.Phase(1, 256, 0.01), train.Phase(2, 64), train.Phase(1, lr=0.1)])
    assert h.batch_size[1:] == [256, 64, 64, 64]
    assert h.lr[1:] == [0.01, 0.01, 0.01, 0.1]
    assert h.steps[1:] == [2, 10, 18, 26]
    assert h.label == "BS 256, lr 0.01 ×1 → BS 64, lr 0.01 ×2 → BS 64, lr 0.1 ×1"


def test_warmup_ramps_the_learning_rate(small):
    seen = []

    class LrSpy(Callback):
        def on_step_end(self, run, xb, yb): seen.append(opt.param_groups[0]["lr"])

    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    h = train.fit(model, small, optimizer=opt, lr=None, batch_size=128, epochs=1, callbacks=[LrSpy(), Warmup(4)])
    assert seen == pytest.approx([0.025, 0.05, 0.075, 0.1])
    assert h.config["warmup_steps"] == 4


@pytest.mark.parametrize("name", train.OPTIMIZERS)
def test_every_named_optimizer_trains(small, name):
    h = train.fit(make_model(), small, optimizer=name, lr=0.01 if name.startswith("adam") else 0.1,
                  batch_size=64, epochs=1, weight_decay=1e-4)
    assert h.final("train_loss") < h["train_loss"][0]


def test_divergence_stops_early(small):
    h = train.fit(make_model(), small, lr=1e6, batch_size=64, epochs=3)
    assert not math.isfinite(h.final("train_loss")) and h.config["diverged_at_epoch"] == 1


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"optimizer": "rmsprop"}, ValueError, "optimizer must be one of sgd, momentum, adam, adamw"),
    ({"optimizer": 3}, TypeError, "optimizer must be a name"),
    ({"lr": 0}, ValueError, "lr must be > 0.0, got 0.0"),
    ({"lr": None}, ValueError, "lr must be a positive number when optimizer is given by name"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1, got 0"),
    ({"schedule": []}, TypeError, "schedule must be a non-empty list of Phase"),
    ({"schedule": [(1, 64)]}, TypeError, r"schedule\[0\] must be a lecturelib.train.Phase"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"callbacks": [object()]}, TypeError, r"callbacks\[0\] must be a lecturelib.callbacks.Callback"),
])
def test_fit_bad_arguments(small, kwargs, err, msg):
    with pytest.raises(err, match=msg):
        train.fit(make_model(), small, **kwargs)


def test_fit_rejects_lr_with_an_optimizer_instance(small):
    model = make_model()
    with pytest.raises(ValueError, match="lr must be None when optimizer is an Optimizer instance"):
        train.fit(model, small, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), lr=0.01)


def test_fit_checks_model_and_data(small):
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        train.fit("mlp", small)
    with pytest.raises(TypeError, match="data must be a lecturelib.data.Data"):
        train.fit(make_model(), (small.x_train, small.y_train))


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"epochs": 0}, ValueError, "Phase.epochs must be >= 1"),
    ({"epochs": 1, "batch_size": 0}, ValueError, "Phase.batch_size must be >= 1"),
    ({"epochs": 1, "lr": -1.0}, ValueError, "Phase.lr must be > 0.0"),
])
def test_phase_bad_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        train.Phase(**kwargs)


def test_make_optimizer_bad_arguments():
    params = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match="momentum must be < 1.0"):
        train.make_optimizer("momentum", params, 0.1, momentum=1.0)
    with pytest.raises(ValueError, match="weight_decay must be >= 0.0"):
        train.make_optimizer("adamw", params, 0.1, weight_decay=-1)
