"""The one training loop of the course.

``fit`` trains a model on tensors that already live on the device, records the
model before training and after every epoch, and returns a ``History``. A
``schedule`` of ``Phase``s changes the batch size or learning rate between epochs
(the switching runs of the batch-size chapter); an ``objective`` says what the loss
and the reported metrics are (classification by default, so autoencoders use the
same loop with their own objective). Everything else a run may do (evaluate,
warm up, show a progress bar, checkpoint, measure the weights with probes, stop
early) is a callback: see ``lecturelib.callbacks``.

A run whose training loss stops being a finite number has diverged: ``fit``
notices at that step, stops the run, and records the step in
``History.diverged_at``; plots and widgets then say "diverged at step N".
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_float, check_int, check_type
from .callbacks import TrainState, StopTraining, arrange
from .data import Data, batches

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")


@dataclass(frozen=True)
class Phase:
    """``epochs`` epochs at ``batch_size`` and ``lr``; ``None`` keeps the previous value."""
    epochs: int
    batch_size: int | None = None
    lr: float | None = None

    def __post_init__(self):
        check_int("Phase.epochs", self.epochs, low=1)
        if self.batch_size is not None:
            check_int("Phase.batch_size", self.batch_size, low=1)
        if self.lr is not None:
            check_float("Phase.lr", self.lr, low=0.0, low_open=True)


class Classification:
    """Cross-entropy on the model's logits; reports loss and accuracy."""

    metrics = ("loss", "acc")

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(model(x), y)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2048) -> dict:
        loss_sum, correct = 0.0, 0
        for xb, yb in batches(x, y, batch_size, shuffle=False):
            logits = model(xb)
            loss_sum += float(F.cross_entropy(logits, yb, reduction="sum"))
            correct += int((logits.argmax(1) == yb).sum())
        return {"loss": loss_sum / len(x), "acc": correct / len(x)}


@dataclass
class History:
    """What happened in one run, one entry per epoch (entry 0 is before training).

    ``values`` holds the metrics (``train_loss``, ``train_acc``, ``test_loss``,
    ``test_acc`` for classification) and every callback's ``measure``; ``h["test_acc"]``
    is a shortcut for ``h.values["test_acc"]``. ``diverged_at`` is the optimizer
    step (counted from 1) whose training loss was not a finite number, or None.
    ``stopped`` says why a run ended early: the reason of a callback's
    ``StopTraining``, or "diverged at step N"; None for a run that trained all its
    epochs. A stopped run's last entry is the model as it was when the run stopped.
    """
    label: str
    config: dict
    epoch: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)       # optimizer steps so far
    samples: list[int] = field(default_factory=list)     # training samples seen so far
    seconds: list[float] = field(default_factory=list)   # training wall time so far (no evaluation)
    batch_size: list = field(default_factory=list)      # batch size used in that epoch
    lr: list = field(default_factory=list)              # learning rate at the end of that epoch
    values: dict[str, list] = field(default_factory=dict)
    diverged_at: int | None = None
    stopped: str | None = None     # why the run ended before its last epoch; None when it trained them all

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def divergence(self) -> str:
        """ "diverged at step N" for a diverged run, "" otherwise: what plots and widgets print."""
        return "" if self.diverged_at is None else f"diverged at step {self.diverged_at}"

    def __getitem__(self, key: str) -> list:
        if key not in self.values:
            raise KeyError(f"{key!r} is not recorded in this History; recorded: {sorted(self.values)}")
        return self.values[key]

    def final(self, key: str):
        """The value of ``key`` after the last epoch."""
        return self[key][-1]

    def record(self, values: dict) -> None:
        for key, value in values.items():
            self.values.setdefault(key, []).append(value)

    def to_dict(self) -> dict:
        return {"label": self.label, "config": self.config, "epoch": self.epoch, "steps": self.steps,
                "samples": self.samples, "seconds": self.seconds, "batch_size": self.batch_size,
                "lr": self.lr, "values": self.values, "diverged_at": self.diverged_at, "stopped": self.stopped}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        # Dicts written before diverged_at existed load with None; before stopped existed,
        # the only early stop was a divergence.
        if "stopped" not in d and d.get("diverged_at") is not None:
            d = {**d, "stopped": f"diverged at step {d['diverged_at']}"}
        return cls(**d)


def make_optimizer(name: str, params, lr: float, *, momentum: float = 0.9, weight_decay: float = 0.0):
    """An optimizer by name: ``sgd`` (plain), ``momentum`` (SGD with momentum),
    ``adam`` or ``adamw`` (Adam with decoupled weight decay)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)} or a torch.optim.Optimizer; got {name!r}")
    lr = check_float("lr", lr, low=0.0, low_open=True)
    weight_decay = check_float("weight_decay", weight_decay, low=0.0)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        momentum = check_float("momentum", momentum, low=0.0, high=1.0, high_open=True)
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


# fit's arguments that became callbacks, and what to pass instead.
REMOVED_ARGUMENTS = {
    "probes": "pass the probes as callbacks=[...] (every probe is a lecturelib.callbacks.Callback)",
    "progress": "pass callbacks=[ProgressBar()] (lecturelib.callbacks.ProgressBar)",
    "warmup_steps": "pass callbacks=[Warmup(steps)] (lecturelib.callbacks.Warmup)",
    "train_eval_limit": "pass callbacks=[Evaluation(train_limit=...)] (lecturelib.callbacks.Evaluation)",
    "eval_batch_size": "pass callbacks=[Evaluation(batch_size=...)] (lecturelib.callbacks.Evaluation)",
    "checkpoint": "pass the Checkpoint in callbacks=[...] (lecturelib.checkpoint.Checkpoint is a callback)",
    "estimate": "pass callbacks=[RunEstimate(enabled=False)] to turn the estimate off "
                "(lecturelib.callbacks.RunEstimate)",
}


def _no_removed_arguments(func):
    """Turn a call with one of fit's former arguments into a TypeError that names its callback."""
    @functools.wraps(func)
    def checked(*args, **kwargs):
        for name, instead in REMOVED_ARGUMENTS.items():
            if name in kwargs:
                raise TypeError(f"fit() no longer takes {name}=: {instead}")
        return func(*args, **kwargs)
    return checked


@_no_removed_arguments
def fit(model: nn.Module, data: Data, *, optimizer="sgd", lr: float | None = 0.01, batch_size: int = 64,
        epochs: int = 1, schedule=None, momentum: float = 0.9, weight_decay: float = 0.0, objective=None,
        seed: int = 0, label: str | None = None, callbacks=()) -> History:
    """Train ``model`` on ``data`` and return its ``History``.

    optimizer: a name (see ``make_optimizer``) or a ``torch.optim.Optimizer``
    already built on the model's parameters (then leave ``lr=None``).
    schedule: a list of ``Phase``; when given it replaces ``epochs``, and each
    phase may change the batch size and the learning rate.
    objective: the loss and the metrics (default ``Classification()``).
    seed: seeds the batch order and torch's global generator (dropout, sampling).
    label: the run's name in plots and messages (default: from the batch size and lr).
    callbacks: a list of ``lecturelib.callbacks.Callback`` that fit calls during the
    run (see ``Callback`` for the protocol and the order): probes, and
      ``Evaluation(train_limit=10_000, batch_size=2048)``: the train and test metrics of
      every entry (training metrics on the first ``train_limit`` training samples);
      ``RunEstimate()``: prints how long a run of more than about a minute will take;
      ``Warmup(steps)``: grows the rate linearly over the first steps (Goyal et al. 2017);
      ``ProgressBar()``: a progress bar;
      ``lecturelib.checkpoint.Checkpoint(path, key)``: saves the run after every epoch
      and resumes it from there.
    ``Evaluation()`` and ``RunEstimate()`` are on by default: an instance of either
    class in ``callbacks`` replaces the default (``Evaluation(train_limit=1)``,
    ``RunEstimate(enabled=False)``). A run holds at most one of each built-in.

    Any callback may end the run with ``StopTraining(reason)``: fit then records the
    model as it is as the last entry and returns the History with ``History.stopped``
    set to the reason. A training loss that is not finite stops the run at that step
    (``History.diverged_at``). Former arguments (probes=, progress=, warmup_steps=,
    train_eval_limit=, eval_batch_size=, checkpoint=, estimate=) raise a TypeError
    that names the callback to use.
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("data", data, Data, "a lecturelib.data.Data (see lecturelib.data.mnist)")
    phases = _phases(schedule, epochs, batch_size, lr, optimizer)
    check_int("seed", seed, low=0, high=2**32 - 1)
    callbacks = arrange(callbacks)
    objective = Classification() if objective is None else objective

    device = data.x_train.device
    model.to(device)
    if isinstance(optimizer, torch.optim.Optimizer):
        opt = optimizer
    else:
        opt = make_optimizer(optimizer, model.parameters(), phases[0].lr,
                             momentum=momentum, weight_decay=weight_decay)
    base_lr = phases[0].lr if phases[0].lr is not None else opt.param_groups[0]["lr"]
    torch.manual_seed(seed)
    n = len(data.x_train)
    # "warmup_steps" is Warmup's to set; it is listed here so the config keeps its key order.
    config = {"optimizer": optimizer if isinstance(optimizer, str) else type(optimizer).__name__,
              "phases": [vars(p) for p in phases], "momentum": momentum, "weight_decay": weight_decay,
              "warmup_steps": 0, "seed": seed, "train_samples": n,
              "test_samples": len(data.x_test), "device": str(device)}
    history = History(label=label or _default_label(phases, config["optimizer"]), config=config)
    # One entry per epoch, so a resumed run skips exactly the epochs it has already done.
    plan = [phase for phase in phases for _ in range(phase.epochs)]
    generator = torch.Generator().manual_seed(seed)
    run = TrainState(model, opt, data, objective, history, callbacks, generator, device, epochs=len(plan),
                     total_steps=sum(p.epochs * math.ceil(n / p.batch_size) for p in phases))

    _call_hook(run, "on_train_begin")   # a Checkpoint, called last, may restore a saved run here
    if not run.resumed:
        _record(run)                    # entry 0: the model before training
    watch = _DivergenceWatch(device)
    model.train()
    for epoch, phase in enumerate(plan[run.epoch:], start=run.epoch + 1):
        if history.stopped is not None:   # a callback stopped the run, or the restored run had stopped
            break
        run.epoch, run.batch_size = epoch, phase.batch_size
        if phase.lr is not None:
            base_lr = phase.lr
        if _call_hook(run, "on_epoch_begin"):
            break   # the epoch does not start: the last entry is the model as it is
        _sync(device)
        run.epoch_started = time.perf_counter()
        for xb, yb in batches(data.x_train, data.y_train, phase.batch_size, shuffle=True, generator=generator):
            run.lr = base_lr
            if _call_hook(run, "on_step_begin"):   # Warmup sets run.lr here; a callback may stop the run
                break
            for group in opt.param_groups:
                group["lr"] = run.lr
            opt.zero_grad(set_to_none=True)
            loss = objective.loss(model, xb, yb)
            if watch.diverged(loss, run.steps + 1):
                break   # this step's loss is not finite: no update with it, the run stops here
            loss.backward()
            opt.step()
            run.steps += 1
            run.samples += len(xb)
            if _call_hook(run, "on_step_end", xb, yb):
                break   # a callback stopped the run: the epoch ends here
        _end_epoch(run, watch)
    _call_hook(run, "on_train_end", may_stop=False)
    return history


def _end_epoch(run: TrainState, watch: "_DivergenceWatch") -> None:
    """Close the epoch, whole or stopped early: its time, a divergence, its entry, then on_epoch_end."""
    if watch.diverged_at is None:
        watch.check()   # on a GPU the check is deferred; the epoch's end settles it
    _sync(run.device)
    run.seconds += time.perf_counter() - run.epoch_started
    history = run.history
    history.diverged_at = watch.diverged_at
    if history.diverged:
        history.config["diverged_at_epoch"] = run.epoch
        history.stopped = history.stopped or history.divergence
    _record(run)
    _call_hook(run, "on_epoch_end")


def _call_hook(run: TrainState, hook: str, *args, may_stop: bool = True) -> bool:
    """Call ``hook`` on every callback; True when one raised StopTraining. The first reason goes to
    ``History.stopped``, and the other callbacks' hook still runs."""
    stopped = False
    for cb in run.callbacks:
        try:
            getattr(cb, hook)(run, *args)
        except StopTraining as stop:
            if not may_stop:
                raise RuntimeError(f"{type(cb).__name__}.{hook} raised StopTraining({stop.reason!r}): "
                                   "the run is over by then; raise it from on_epoch_end") from stop
            stopped = True
            if run.history.stopped is None:
                run.history.stopped = stop.reason
    return stopped


def _record(run: TrainState) -> None:
    """Append the run as it is now to its History: the counters and every callback's ``measure``."""
    start = time.perf_counter()
    run.model.eval()
    metrics = {}
    for cb in run.callbacks:
        try:
            metrics.update(cb.measure(run))
        except StopTraining as stop:
            raise RuntimeError(f"{type(cb).__name__}.measure raised StopTraining({stop.reason!r}); "
                               "measure only measures: raise it from on_epoch_end") from stop
    run.model.train()
    h = run.history
    h.epoch.append(run.epoch)
    h.steps.append(run.steps)
    h.samples.append(run.samples)
    h.seconds.append(run.seconds)
    h.batch_size.append(run.batch_size)
    h.lr.append(run.lr)
    h.record(metrics)
    run.eval_seconds = time.perf_counter() - start


class _DivergenceWatch:
    """Notices the first step whose training loss is not finite.

    On the CPU it looks at every step's loss (reading a CPU scalar costs nothing).
    On a GPU reading the loss would stall the device at every step, so the step
    number of the first bad loss is kept on the device and read every
    ``GPU_EVERY`` steps and at the end of each epoch; the recorded step is exact
    either way, the run just stops up to ``GPU_EVERY`` steps later.
    """

    GPU_EVERY = 32

    def __init__(self, device: torch.device):
        self.lazy = device.type != "cpu"
        self.diverged_at: int | None = None
        self._first_bad = torch.zeros((), dtype=torch.long, device=device) if self.lazy else None
        self._unchecked = 0

    def diverged(self, loss: torch.Tensor, step: int) -> bool:
        """Record ``step``'s loss; True once a non-finite loss has been seen (the run should stop)."""
        if not self.lazy:
            if not math.isfinite(loss.item()):
                self.diverged_at = step
            return self.diverged_at is not None
        bad = (~torch.isfinite(loss.detach())).long() * (self._first_bad == 0).long()
        self._first_bad += bad * step
        self._unchecked += 1
        if self._unchecked >= self.GPU_EVERY:
            self.check()
        return self.diverged_at is not None

    def check(self) -> None:
        if self.lazy and self._unchecked:
            self._unchecked = 0
            first = int(self._first_bad)
            if first:
                self.diverged_at = first


def _phases(schedule, epochs, batch_size, lr, optimizer) -> list[Phase]:
    named = isinstance(optimizer, str)
    if not named and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a name ({', '.join(OPTIMIZERS)}) or a torch.optim.Optimizer, "
                        f"got {type(optimizer).__name__}")
    if named:
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)} or a torch.optim.Optimizer; got {optimizer!r}")
        if lr is None:
            raise ValueError("lr must be a positive number when optimizer is given by name, got None")
    elif lr is not None:
        raise ValueError("lr must be None when optimizer is an Optimizer instance: set the rate on the optimizer")
    if lr is not None:
        lr = check_float("lr", lr, low=0.0, low_open=True)
    batch_size = check_int("batch_size", batch_size, low=1)
    if schedule is None:
        return [Phase(check_int("epochs", epochs, low=1), batch_size, lr)]
    if not isinstance(schedule, (list, tuple)) or not schedule:
        raise TypeError(f"schedule must be a non-empty list of Phase, got {schedule!r}")
    phases, bs, rate = [], batch_size, lr
    for i, p in enumerate(schedule):
        check_type(f"schedule[{i}]", p, Phase, "a lecturelib.train.Phase")
        bs = p.batch_size if p.batch_size is not None else bs
        rate = p.lr if p.lr is not None else rate
        phases.append(Phase(p.epochs, bs, rate))
    return phases


def _default_label(phases, optimizer: str) -> str:
    def one(p):
        lr = "" if p.lr is None else f", lr {p.lr:g}"
        return f"BS {p.batch_size}{lr}"
    text = " → ".join(f"{one(p)} ×{p.epochs}" if len(phases) > 1 else one(p) for p in phases)
    return text if optimizer == "sgd" else f"{optimizer}: {text}"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
