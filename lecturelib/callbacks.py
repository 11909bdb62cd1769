"""What ``fit`` does besides the optimizer step: small callback objects with one protocol.

``fit`` is the course's one training loop. Everything optional in a run (evaluating
after every epoch, warm-up, a progress bar, the run-time estimate, checkpoints, and
every probe that measures the model) is a ``Callback`` that ``fit`` calls at fixed
points, the way Keras and fastai do. A callback may end the run early by raising
``StopTraining``; ``fit`` then returns the History recorded so far, with the reason
in ``History.stopped``.

This module holds the protocol (``Callback``, ``StopTraining``, ``TrainState``) and the
built-in callbacks ``Evaluation``, ``Warmup``, ``RunEstimate`` and ``ProgressBar``;
``lecturelib.checkpoint.Checkpoint`` is one too. The probes of ``lecturelib.probes``,
``lecturelib.smoothness`` and the experiment modules are callbacks as well.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from ._checks import check_bool, check_int, check_type
from .progress import RunClock, progress_bar

if TYPE_CHECKING:   # train imports this module, so History is named here for the annotations only
    from .data import Data
    from .train import History


class StopTraining(Exception):
    """Raised by a callback to end the run early; ``reason`` ends up in ``History.stopped``."""

    def __init__(self, reason: str):
        check_type("reason", reason, str, "a str saying why the run stops")
        if not reason:
            raise ValueError("reason must be a non-empty str saying why the run stops, got ''")
        super().__init__(reason)
        self.reason = reason


@dataclass
class TrainState:
    """The run in progress, as every hook sees it. ``fit`` updates it as it trains.

    ``epoch`` is the epoch in progress (from 1; 0 before training), ``steps`` and
    ``samples`` count the optimizer steps taken and the samples they used,
    ``seconds`` is the training wall time of the finished epochs (``train_seconds()``
    includes the epoch in progress), ``batch_size`` the current phase's batch size
    (None before training) and ``lr`` the learning rate of the step in progress
    (``on_step_begin`` may change it). ``resumed`` is True when a ``Checkpoint``
    restored the run, ``eval_seconds`` how long the last recorded entry took.
    """
    model: nn.Module
    optimizer: torch.optim.Optimizer | None = None
    data: Data | None = None
    objective: object = None             # the loss and the metrics (see train.Classification)
    history: History | None = None
    callbacks: tuple = ()                # every callback of the run, in the order fit calls them
    generator: torch.Generator | None = None   # draws the batch order
    device: torch.device = torch.device("cpu")
    epochs: int = 0                      # epochs the whole run trains
    total_steps: int = 0                 # optimizer steps the whole run takes
    epoch: int = 0
    steps: int = 0
    samples: int = 0
    seconds: float = 0.0
    batch_size: int | None = None
    lr: float | None = None
    epoch_started: float = 0.0           # time.perf_counter() when the epoch in progress started
    eval_seconds: float = 0.0
    resumed: bool = False

    def train_seconds(self) -> float:
        """Training wall time so far, the epoch in progress included."""
        return self.seconds + time.perf_counter() - self.epoch_started


class Callback:
    """Base class of everything ``fit`` calls during a run; every hook does nothing by default.

    ``fit`` calls the hooks in this order (``run`` is the ``TrainState`` in progress)::

        on_train_begin(run)              once, before entry 0
        measure(run) -> dict             entry 0: the model before training (not on a resumed run)
        for each epoch:
            on_epoch_begin(run)
            for each batch:
                on_step_begin(run)       may set run.lr for this step (Warmup does)
                (the optimizer step)
                on_step_end(run, xb, yb) after the update; run.steps counts it
            measure(run) -> dict         the epoch's entry, with the model in eval mode
            on_epoch_end(run)            the entry is in run.history now
        on_train_end(run)                once, also after a StopTraining or a divergence

    ``measure`` returns values to record in the History (``{}`` for none); its keys
    become ``History.values`` keys. Callbacks are called in the order of their
    ``order`` attribute, and in the order given to ``fit`` where that is equal:
    ``Evaluation`` (-20) measures first, ``Warmup`` (-10) sets the rate before other
    callbacks see it, a plain callback has 0, ``Checkpoint`` (10) restores a saved
    run after every other ``on_train_begin`` and saves after every other
    ``on_epoch_end``, ``RunEstimate`` and ``ProgressBar`` (20) start from the restored
    counters.

    Any hook but ``measure`` and ``on_train_end`` may raise ``StopTraining``. The same
    hook of the other callbacks still runs (every callback sees every call), then the
    run stops. Raised in ``on_step_begin`` or ``on_step_end``, the epoch ends there:
    its entry is recorded (the model as it is then) and ``on_epoch_end`` runs as for
    any epoch. Raised in ``on_epoch_end``, that epoch is the last. Raised in
    ``on_epoch_begin``, the epoch does not start (the last entry already is the model
    as it is); raised in ``on_train_begin``, nothing is trained and entry 0 is the
    only one. ``fit`` returns the History with the first reason given in
    ``History.stopped``, after ``on_train_end``.

    A callback used with a ``Checkpoint`` also needs ``state_dict()`` (tensors and
    plain values) and ``load_state_dict(state)``, so that a resumed run measures like
    an uninterrupted one.
    """

    order = 0

    def on_train_begin(self, run: TrainState) -> None:
        pass

    def on_epoch_begin(self, run: TrainState) -> None:
        pass

    def on_step_begin(self, run: TrainState) -> None:
        pass

    def on_step_end(self, run: TrainState, xb: torch.Tensor, yb: torch.Tensor) -> None:
        pass

    def measure(self, run: TrainState) -> dict:
        return {}

    def on_epoch_end(self, run: TrainState) -> None:
        pass

    def on_train_end(self, run: TrainState) -> None:
        pass


class _NoState:
    """For a built-in callback that rebuilds what it needs from the TrainState: nothing to checkpoint."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class Evaluation(_NoState, Callback):
    """The metrics of every entry: the objective's metrics on the training and the test set.

    train_limit: evaluate on the first this-many training samples (None: all of them);
    batch_size: samples per forward pass. ``fit`` adds ``Evaluation()`` when none is given.
    """

    order = -20

    def __init__(self, train_limit: int | None = 10_000, batch_size: int = 2048):
        self.train_limit = None if train_limit is None else check_int("train_limit", train_limit, low=1)
        self.batch_size = check_int("batch_size", batch_size, low=1)

    def measure(self, run: TrainState) -> dict:
        d, metrics = run.data, {}
        for split, (x, y) in (("train", (d.x_train[:self.train_limit], d.y_train[:self.train_limit])),
                              ("test", (d.x_test, d.y_test))):
            for k, v in run.objective.evaluate(run.model, x, y, self.batch_size).items():
                metrics[f"{split}_{k}"] = v
        return metrics

    def __repr__(self) -> str:
        return f"Evaluation(train_limit={self.train_limit}, batch_size={self.batch_size})"


class Warmup(_NoState, Callback):
    """Grow the learning rate linearly from lr/steps to lr over the first ``steps`` steps
    (Goyal et al. 2017); ``steps=0`` leaves the rate alone. Recorded as ``warmup_steps``
    in ``History.config``."""

    order = -10

    def __init__(self, steps: int):
        self.steps = check_int("steps", steps, low=0)

    def on_train_begin(self, run: TrainState) -> None:
        run.history.config["warmup_steps"] = self.steps

    def on_step_begin(self, run: TrainState) -> None:
        if self.steps:
            run.lr = run.lr * min(1.0, (run.steps + 1) / self.steps)

    def __repr__(self) -> str:
        return f"Warmup({self.steps})"


class RunEstimate(_NoState, Callback):
    """After the first seconds of training, print how long the whole run will take when that
    is more than about a minute (``lecturelib.progress.RunClock``). On by default in ``fit``;
    ``RunEstimate(enabled=False)`` turns it off."""

    order = 20

    def __init__(self, enabled: bool = True):
        self.enabled = check_bool("enabled", enabled)
        self.clock = None

    def on_train_begin(self, run: TrainState) -> None:
        self.clock = None   # made at the first epoch, when entry 0's evaluation time is known

    def on_epoch_begin(self, run: TrainState) -> None:
        if self.clock is None:   # the first epoch of this call (a resumed run starts later)
            self._first = (run.steps, run.seconds)
            self.clock = RunClock(run.total_steps - run.steps, label=run.history.label,
                                  evaluations=run.epochs - run.epoch + 1, eval_seconds=run.eval_seconds,
                                  device=run.device, enabled=self.enabled)

    def on_step_end(self, run: TrainState, xb, yb) -> None:
        if self.clock.pending:
            self.clock.step(run.steps - self._first[0], run.train_seconds() - self._first[1])

    def on_epoch_end(self, run: TrainState) -> None:
        self.clock.finish_epoch(run.steps - self._first[0], run.seconds - self._first[1])

    def __repr__(self) -> str:
        return f"RunEstimate(enabled={self.enabled})"


class ProgressBar(_NoState, Callback):
    """A progress bar over the run's steps (``lecturelib.progress.progress_bar``), with the
    latest losses and test accuracy after each epoch and the reason when the run stops early.
    ``enabled=False`` shows nothing (for an experiment's own ``progress`` flag)."""

    order = 20

    def __init__(self, enabled: bool = True):
        self.enabled = check_bool("enabled", enabled)
        self.bar = None

    def on_train_begin(self, run: TrainState) -> None:
        self.bar = progress_bar(run.total_steps, desc=run.history.label, initial=run.steps, enabled=self.enabled)

    def on_step_end(self, run: TrainState, xb, yb) -> None:
        self.bar.update()

    def on_epoch_end(self, run: TrainState) -> None:
        if self.enabled and run.history.stopped is None:
            self.bar.set_postfix({k: f"{v[-1]:.3f}" for k, v in run.history.values.items()
                                  if k in ("train_loss", "test_acc", "test_loss")})

    def on_train_end(self, run: TrainState) -> None:
        if run.history.stopped is not None:
            self.bar.set_postfix_str(run.history.stopped)
        self.bar.close()

    def __repr__(self) -> str:
        return f"ProgressBar(enabled={self.enabled})"


# Built-in callbacks of which a run has at most one; fit adds the DEFAULTS when none is given.
SINGLE = (Evaluation, Warmup, RunEstimate, ProgressBar)
DEFAULTS = (Evaluation, RunEstimate)


def arrange(callbacks) -> tuple[Callback, ...]:
    """``fit``'s callbacks in calling order: the given ones, plus a default ``Evaluation()`` and
    ``RunEstimate()`` where none is given, sorted by ``order`` (stable)."""
    from .checkpoint import Checkpoint

    if isinstance(callbacks, Callback) or not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of lecturelib.callbacks.Callback, got {callbacks!r}")
    for i, cb in enumerate(callbacks):
        check_type(f"callbacks[{i}]", cb, Callback, "a lecturelib.callbacks.Callback (subclass it)")
    for kind in (*SINGLE, Checkpoint):
        given = [cb for cb in callbacks if isinstance(cb, kind)]
        if len(given) > 1:
            raise ValueError(f"callbacks may hold at most one {kind.__name__}, got {len(given)}: {given}")
    defaults = [kind() for kind in DEFAULTS if not any(isinstance(cb, kind) for cb in callbacks)]
    return tuple(sorted([*callbacks, *defaults], key=lambda cb: cb.order))
