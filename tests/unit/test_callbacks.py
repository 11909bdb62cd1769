"""The callback protocol of ``fit``: hook order, StopTraining, the built-ins and their defaults."""
import inspect

import pytest
import torch

from lecturelib import data, models, presets, progress, train
from lecturelib.callbacks import Callback, Evaluation, ProgressBar, RunEstimate, StopTraining, Warmup, arrange
from lecturelib.checkpoint import Checkpoint
from lecturelib.probes import WeightGeometry

STEPS_PER_EPOCH = 4   # 256 training images at batch size 64


@pytest.fixture(scope="module")
def small():
    return data.mnist(train_limit=256, test_limit=64)


def make_model():
    presets.set_seed(0)
    return models.MLP(784, (16,), 10)


class Recorder(Callback):
    """Logs every hook call as (hook, epoch, steps); may stop the run at one of them."""

    def __init__(self, stop_at=None, log=None):
        self.stop_at, self.log = stop_at, [] if log is None else log

    def _hook(self, name, run):
        self.log.append((name, run.epoch, run.steps))
        if self.stop_at == (name, run.epoch, run.steps):
            raise StopTraining(f"{name} said stop")

    def on_train_begin(self, run):
        self._hook("on_train_begin", run)

    def on_epoch_begin(self, run):
        self._hook("on_epoch_begin", run)

    def on_step_begin(self, run):
        self._hook("on_step_begin", run)

    def on_step_end(self, run, xb, yb):
        self._hook("on_step_end", run)

    def measure(self, run):
        self.log.append(("measure", run.epoch, run.steps))
        return {"seen": len(self.log)}

    def on_epoch_end(self, run):
        self._hook("on_epoch_end", run)

    def on_train_end(self, run):
        self.log.append(("on_train_end", run.epoch, run.steps))


def expected_log(epochs):
    log = [("on_train_begin", 0, 0), ("measure", 0, 0)]
    steps = 0
    for epoch in range(1, epochs + 1):
        log.append(("on_epoch_begin", epoch, steps))
        for _ in range(STEPS_PER_EPOCH):
            log += [("on_step_begin", epoch, steps), ("on_step_end", epoch, steps + 1)]
            steps += 1
        log += [("measure", epoch, steps), ("on_epoch_end", epoch, steps)]
    return log + [("on_train_end", epochs, steps)]


def test_hooks_are_called_in_the_documented_order(small):
    rec = Recorder()
    h = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=2, callbacks=[rec])
    assert rec.log == expected_log(2)
    assert h.stopped is None and h.epoch == [0, 1, 2]
    assert list(h.values) == ["train_loss", "train_acc", "test_loss", "test_acc", "seen"]   # Evaluation first


def test_callbacks_are_ordered_by_their_order_then_as_given(tmp_path):
    a, b, ck, bar, warm = Recorder(), Recorder(), Checkpoint(tmp_path / "c.pt", {}), ProgressBar(), Warmup(3)
    run = arrange([bar, ck, a, warm, b])
    kinds = [type(cb) for cb in run]
    assert kinds == [Evaluation, Warmup, Recorder, Recorder, Checkpoint, ProgressBar, RunEstimate]
    assert run[2] is a and run[3] is b and run[1] is warm


def test_a_given_built_in_replaces_the_default(small):
    mine = Evaluation(train_limit=100, batch_size=7)
    chosen = arrange([mine])
    assert [cb for cb in chosen if isinstance(cb, Evaluation)] == [mine]
    default = next(cb for cb in arrange([]) if isinstance(cb, Evaluation))
    assert (default.train_limit, default.batch_size) == (10_000, 2048)
    assert sum(isinstance(cb, RunEstimate) for cb in arrange([RunEstimate(enabled=False)])) == 1


def test_evaluation_measures_on_the_first_train_limit_samples(small):
    model = make_model()
    h = train.fit(model, small, lr=0.05, batch_size=64, epochs=1, callbacks=[Evaluation(train_limit=100)])
    on_100 = train.Classification().evaluate(model.eval(), small.x_train[:100], small.y_train[:100])
    on_all = train.Classification().evaluate(model, small.x_train, small.y_train)
    assert h.final("train_loss") == on_100["loss"] and h.final("train_acc") == on_100["acc"]
    assert on_100["loss"] != on_all["loss"]


def test_stop_in_on_step_end_ends_the_epoch_there_and_returns_the_history(small):
    stopper, other = Recorder(stop_at=("on_step_end", 2, 6)), Recorder()
    h = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=3, callbacks=[stopper, other])
    assert h.stopped == "on_step_end said stop"
    assert h.epoch == [0, 1, 2] and h.steps == [0, 4, 6] and h.samples == [0, 256, 384]   # the last entry: step 6
    assert len(h["test_acc"]) == 3
    # the other callback still saw that step's end, then the epoch's end and the run's end
    assert other.log[-4:] == [("on_step_end", 2, 6), ("measure", 2, 6), ("on_epoch_end", 2, 6),
                              ("on_train_end", 2, 6)]


def test_stop_in_on_epoch_end_keeps_every_entry_so_far(small):
    rec = Recorder(stop_at=("on_epoch_end", 2, 8))
    h = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=5, callbacks=[rec])
    assert h.stopped == "on_epoch_end said stop" and h.epoch == [0, 1, 2] and h.steps == [0, 4, 8]
    assert rec.log == expected_log(2)   # the run ends after epoch 2 exactly as a 2-epoch run does


def test_stop_before_a_step_takes_no_step(small):
    h = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=2,
                  callbacks=[Recorder(stop_at=("on_step_begin", 1, 2))])
    assert h.stopped == "on_step_begin said stop" and h.steps == [0, 2] and h.epoch == [0, 1]
    rec = Recorder(stop_at=("on_epoch_begin", 2, 4))
    h = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=3, callbacks=[rec])
    assert h.stopped == "on_epoch_begin said stop" and h.steps == [0, 4] and h.epoch == [0, 1]   # no epoch 2
    assert rec.log[-2:] == [("on_epoch_begin", 2, 4), ("on_train_end", 2, 4)]


def test_stop_in_on_train_begin_trains_nothing(small):
    model = make_model()
    before = [p.detach().clone() for p in model.parameters()]
    h = train.fit(model, small, lr=0.05, batch_size=64, epochs=2,
                  callbacks=[Recorder(stop_at=("on_train_begin", 0, 0))])
    assert h.stopped == "on_train_begin said stop" and h.epoch == [0] and h.steps == [0]
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_the_first_reason_wins_and_reaches_the_progress_bar(small, capsys):
    h = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=2,
                  callbacks=[Recorder(stop_at=("on_step_end", 1, 3)), ProgressBar(),
                             Recorder(stop_at=("on_step_end", 1, 3))])
    assert h.stopped == "on_step_end said stop" and h.steps == [0, 3]
    assert "on_step_end said stop" in capsys.readouterr().err


class Counter(Callback):
    """Counts steps; resets in on_train_begin, so it needs its restored count after a resume."""

    def on_train_begin(self, run):
        self.count = 0

    def on_step_end(self, run, xb, yb):
        self.count += 1

    def measure(self, run):
        return {"count": self.count}

    def state_dict(self):
        return {"count": self.count}

    def load_state_dict(self, state):
        self.count = state["count"]


class Kill(Callback):
    """Kills the process-like run in epoch ``at``'s measure (before that epoch's checkpoint)."""

    def __init__(self, at):
        self.at = at

    def measure(self, run):
        if run.epoch == self.at:
            raise KeyboardInterrupt("simulated kill")
        return {}

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def test_the_checkpoint_restores_after_every_other_on_train_begin(small, tmp_path):
    whole = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=3, callbacks=[Counter(), Kill(99)])
    ck = Checkpoint(tmp_path / "run.pt", {"run": "counter"})
    with pytest.raises(KeyboardInterrupt):
        train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=3, callbacks=[ck, Counter(), Kill(2)])
    # given first, the Checkpoint still restores last: Counter's reset does not undo the restored count
    resumed = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=3, callbacks=[ck, Counter(), Kill(99)])
    assert resumed["count"] == whole["count"] == [0, 4, 8, 12]
    assert resumed.values == whole.values and resumed.steps == whole.steps


def test_a_stopped_run_resumes_as_stopped(small, tmp_path):
    ck = Checkpoint(tmp_path / "run.pt", {"run": "stop"})
    a = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=4,
                  callbacks=[ck, WeightGeometry(), Counter(), _StopAfter(2)])
    b = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=4,
                  callbacks=[ck, WeightGeometry(), Counter(), _StopAfter(2)])
    assert a.stopped == b.stopped == "enough after epoch 2" and a.epoch == b.epoch == [0, 1, 2]
    assert a.values == b.values and b.seconds == a.seconds   # restored, not trained again


class _StopAfter(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, run):
        if run.epoch == self.epoch:
            raise StopTraining(f"enough after epoch {self.epoch}")

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def test_warmup_zero_leaves_the_rate_alone(small):
    a = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=1)
    b = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=1, callbacks=[Warmup(0)])
    assert a.values == b.values and b.config["warmup_steps"] == 0
    c = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=1, callbacks=[Warmup(3)])
    assert c.config["warmup_steps"] == 3 and c.values != a.values and c.lr == [None, 0.05]


def test_history_stopped_round_trips(small):
    h = train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=2,
                  callbacks=[Recorder(stop_at=("on_step_end", 1, 2))])
    assert train.History.from_dict(h.to_dict()) == h and h.to_dict()["stopped"] == "on_step_end said stop"


def test_fit_has_no_argument_a_callback_carries():
    params = list(inspect.signature(train.fit).parameters)
    assert params == ["model", "data", "optimizer", "lr", "batch_size", "epochs", "schedule", "momentum",
                      "weight_decay", "objective", "seed", "label", "callbacks"]


@pytest.mark.parametrize("kwargs, instead", [
    ({"probes": [WeightGeometry()]}, r"callbacks=\[\.\.\.\]"),
    ({"progress": True}, r"callbacks=\[ProgressBar\(\)\]"),
    ({"warmup_steps": 10}, r"callbacks=\[Warmup\(steps\)\]"),
    ({"train_eval_limit": 1}, r"callbacks=\[Evaluation\(train_limit=\.\.\.\)\]"),
    ({"eval_batch_size": 64}, r"callbacks=\[Evaluation\(batch_size=\.\.\.\)\]"),
    ({"checkpoint": None}, r"Checkpoint in callbacks=\[\.\.\.\]"),
    ({"estimate": False}, r"callbacks=\[RunEstimate\(enabled=False\)\]"),
])
def test_a_removed_argument_names_its_callback(small, kwargs, instead):
    name = next(iter(kwargs))
    with pytest.raises(TypeError, match=rf"fit\(\) no longer takes {name}=: pass .*{instead}"):
        train.fit(make_model(), small, **kwargs)


@pytest.mark.parametrize("callbacks, err, msg", [
    (Evaluation(), TypeError, "callbacks must be a list of lecturelib.callbacks.Callback"),
    ([WeightGeometry(), "bar"], TypeError, r"callbacks\[1\] must be a lecturelib.callbacks.Callback"),
    ([Evaluation(), Evaluation(train_limit=5)], ValueError, "at most one Evaluation, got 2"),
    ([Warmup(2), Warmup(3)], ValueError, "at most one Warmup, got 2"),
])
def test_fit_rejects_bad_callbacks(small, callbacks, err, msg):
    with pytest.raises(err, match=msg):
        train.fit(make_model(), small, callbacks=callbacks)


@pytest.mark.parametrize("make, err, msg", [
    (lambda: Warmup(-1), ValueError, "steps must be >= 0"),
    (lambda: Warmup(2.5), TypeError, "steps must be an integer"),
    (lambda: Evaluation(train_limit=0), ValueError, "train_limit must be >= 1"),
    (lambda: Evaluation(batch_size=0), ValueError, "batch_size must be >= 1"),
    (lambda: ProgressBar(enabled="yes"), TypeError, "enabled must be True or False"),
    (lambda: RunEstimate(enabled=1), TypeError, "enabled must be True or False"),
    (lambda: StopTraining(""), ValueError, "reason must be a non-empty str"),
    (lambda: StopTraining(3), TypeError, "reason must be a str"),
])
def test_built_ins_check_their_arguments(make, err, msg):
    with pytest.raises(err, match=msg):
        make()


class _StopsInMeasure(Callback):
    def measure(self, run):
        raise StopTraining("too late")


class _StopsAtTheEnd(Callback):
    def on_train_end(self, run):
        raise StopTraining("too late")


@pytest.mark.parametrize("callback, msg", [
    (_StopsInMeasure(), "_StopsInMeasure.measure raised StopTraining"),
    (_StopsAtTheEnd(), "_StopsAtTheEnd.on_train_end raised StopTraining"),
])
def test_stop_training_where_it_cannot_stop_is_an_error(small, callback, msg):
    with pytest.raises(RuntimeError, match=msg):
        train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=1, callbacks=[callback])



def test_a_reused_run_estimate_times_each_run(small, monkeypatch, capsys):
    monkeypatch.setattr(progress, "ANNOUNCE_ABOVE_S", 0.0)   # every run counts as long here
    monkeypatch.setattr(progress, "MEASURE_S", 0.0)
    estimate = RunEstimate()
    for label in ("first", "second"):
        train.fit(make_model(), small, lr=0.05, batch_size=64, epochs=1, label=label, callbacks=[estimate])
    out = capsys.readouterr().out
    assert out.count("first: about") == 1 and out.count("second: about") == 1
