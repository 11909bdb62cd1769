"""The one training loop of the course.

``fit`` trains a model on tensors that already live on the device, evaluates
after every epoch and returns a ``History``. A ``schedule`` of ``Phase``s
changes the batch size or learning rate between epochs (the switching runs of
the batch-size chapter); ``probes`` measure the weights after every epoch; an
``objective`` says what the loss and the reported metrics are (classification
by default, so autoencoders use the same loop with their own objective).

A run whose training loss stops being a finite number has diverged: ``fit``
notices at that step, stops the run, and records the step in
``History.diverged_at``; plots and widgets then say "diverged at step N".
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from ._checks import check_bool, check_float, check_int, check_type
from .data import Data, batches
from .progress import RunClock, progress_bar

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
    ``test_acc`` for classification) and every probe's outputs; ``h["test_acc"]``
    is a shortcut for ``h.values["test_acc"]``. ``diverged_at`` is the optimizer
    step (counted from 1) whose training loss was not a finite number, or None;
    a diverged run's last entry is the model as it was when the run stopped.
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
                "lr": self.lr, "values": self.values, "diverged_at": self.diverged_at}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        return cls(**d)   # dicts written before diverged_at existed load with None


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


def fit(model: nn.Module, data: Data, *, optimizer="sgd", lr: float | None = 0.01, batch_size: int = 64,
        epochs: int = 1, schedule=None, momentum: float = 0.9, weight_decay: float = 0.0,
        warmup_steps: int = 0, objective=None, probes=(), seed: int = 0, progress: bool = False,
        label: str | None = None, train_eval_limit: int | None = 10_000,
        eval_batch_size: int = 2048, checkpoint=None, estimate: bool = True) -> History:
    """Train ``model`` on ``data`` and return its ``History``.

    optimizer: a name (see ``make_optimizer``) or a ``torch.optim.Optimizer``
    already built on the model's parameters (then leave ``lr=None``).
    schedule: a list of ``Phase``; when given it replaces ``epochs``, and each
    phase may change the batch size and the learning rate.
    warmup_steps: grow the learning rate linearly from lr/warmup_steps to lr
    over the first steps (Goyal et al. 2017).
    train_eval_limit: training metrics are computed on the first this-many
    training samples (``None``: all of them) after every epoch.
    seed: seeds the batch order and torch's global generator (dropout, sampling).
    checkpoint: a ``lecturelib.checkpoint.Checkpoint``; the run's state is saved to
    it after every epoch and, when it holds a matching state, the run resumes from
    there (every probe then needs ``state_dict()`` and ``load_state_dict(state)``).
    estimate: after the first seconds of training, print how long the whole run
    will take when that is more than about a minute (``lecturelib.progress.RunClock``).
    progress: show a progress bar (``lecturelib.progress.progress_bar``).
    A training loss that is not finite stops the run at that step (``History.diverged_at``).
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("data", data, Data, "a lecturelib.data.Data (see lecturelib.data.mnist)")
    phases = _phases(schedule, epochs, batch_size, lr, optimizer)
    check_int("warmup_steps", warmup_steps, low=0)
    check_int("seed", seed, low=0, high=2**32 - 1)
    check_bool("progress", progress)
    check_bool("estimate", estimate)
    if train_eval_limit is not None:
        check_int("train_eval_limit", train_eval_limit, low=1)
    check_int("eval_batch_size", eval_batch_size, low=1)
    objective = Classification() if objective is None else objective
    probes = tuple(probes)
    for p in probes:
        if not (hasattr(p, "begin") and hasattr(p, "measure")):
            raise TypeError(f"each probe needs begin(model) and measure(model) methods; got {type(p).__name__}")
    if checkpoint is not None:
        from .checkpoint import Checkpoint
        check_type("checkpoint", checkpoint, Checkpoint, "a lecturelib.checkpoint.Checkpoint or None")
        for p in probes:
            if not (hasattr(p, "state_dict") and hasattr(p, "load_state_dict")):
                raise TypeError(f"with a checkpoint every probe needs state_dict() and load_state_dict(state) "
                                f"so a resumed run measures like an uninterrupted one; {type(p).__name__} has not")

    device = data.x_train.device
    model.to(device)
    if isinstance(optimizer, torch.optim.Optimizer):
        opt = optimizer
    else:
        opt = make_optimizer(optimizer, model.parameters(), phases[0].lr,
                             momentum=momentum, weight_decay=weight_decay)
    base_lr = phases[0].lr if phases[0].lr is not None else opt.param_groups[0]["lr"]
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    n = len(data.x_train)
    x_eval, y_eval = data.x_train[:train_eval_limit], data.y_train[:train_eval_limit]
    config = {"optimizer": optimizer if isinstance(optimizer, str) else type(optimizer).__name__,
              "phases": [vars(p) for p in phases], "momentum": momentum, "weight_decay": weight_decay,
              "warmup_steps": warmup_steps, "seed": seed, "train_samples": n,
              "test_samples": len(data.x_test), "device": str(device)}
    history = History(label=label or _default_label(phases, config["optimizer"]), config=config)

    for p in probes:
        p.begin(model)

    def log_epoch(epoch, steps, samples, seconds, bs, current_lr):
        model.eval()
        metrics = {}
        for split, (x, y) in (("train", (x_eval, y_eval)), ("test", (data.x_test, data.y_test))):
            for k, v in objective.evaluate(model, x, y, eval_batch_size).items():
                metrics[f"{split}_{k}"] = v
        for p in probes:
            metrics.update(p.measure(model))
        model.train()
        history.epoch.append(epoch)
        history.steps.append(steps)
        history.samples.append(samples)
        history.seconds.append(seconds)
        history.batch_size.append(bs)
        history.lr.append(current_lr)
        history.record(metrics)
        return metrics

    steps = samples = done = 0
    seconds = 0.0
    current_lr = base_lr
    state = checkpoint.load() if checkpoint is not None else None
    eval_start = time.perf_counter()
    if state is None:
        log_epoch(0, 0, 0, 0.0, None, None)
    else:
        done, steps, samples, seconds, current_lr = _restore(state, model, opt, generator, probes, history, device)
        if history.diverged:   # the saved run had already stopped: nothing is left to train
            return history
    eval_seconds = time.perf_counter() - eval_start if state is None else 0.0
    # One entry per epoch, so a resumed run skips exactly the epochs it has already done.
    plan = [phase for phase in phases for _ in range(phase.epochs)]
    total_steps = sum(p.epochs * math.ceil(n / p.batch_size) for p in phases)
    clock = RunClock(total_steps - steps, label=history.label, evaluations=len(plan) - done,
                     eval_seconds=eval_seconds, device=device, enabled=estimate)
    bar = progress_bar(total_steps, desc=history.label, initial=steps, enabled=progress)
    watch = _DivergenceWatch(device)
    first_step, first_seconds = steps, seconds
    model.train()
    for epoch, phase in enumerate(plan[done:], start=done + 1):
        if phase.lr is not None:
            base_lr = phase.lr
        _sync(device)
        start = time.perf_counter()
        for xb, yb in batches(data.x_train, data.y_train, phase.batch_size, shuffle=True, generator=generator):
            current_lr = base_lr * min(1.0, (steps + 1) / warmup_steps) if warmup_steps else base_lr
            for group in opt.param_groups:
                group["lr"] = current_lr
            opt.zero_grad(set_to_none=True)
            loss = objective.loss(model, xb, yb)
            if watch.diverged(loss, steps + 1):
                break   # this step's loss is not finite: no update with it, the run stops here
            loss.backward()
            opt.step()
            steps += 1
            samples += len(xb)
            for p in probes:
                if hasattr(p, "on_step"):
                    p.on_step(model, xb, yb, steps)
            bar.update()
            if clock.pending:
                clock.step(steps - first_step, seconds + time.perf_counter() - start - first_seconds)
        if watch.diverged_at is None:
            watch.check()   # on a GPU the check is deferred; the epoch's end settles it
        _sync(device)
        seconds += time.perf_counter() - start
        clock.finish_epoch(steps - first_step, seconds - first_seconds)
        history.diverged_at = watch.diverged_at
        metrics = log_epoch(epoch, steps, samples, seconds, phase.batch_size, current_lr)
        if checkpoint is not None:
            checkpoint.save(_state(epoch, steps, samples, seconds, current_lr, model, opt, generator, probes,
                                   history, device))
        if history.diverged:
            history.config["diverged_at_epoch"] = epoch
            bar.set_postfix_str(history.divergence)
            bar.close()
            return history
        if progress:
            bar.set_postfix({k: f"{v:.3f}" for k, v in metrics.items()
                             if k in ("train_loss", "test_acc", "test_loss")})
    bar.close()
    return history


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


def _state(epoch, steps, samples, seconds, current_lr, model, opt, generator, probes, history, device) -> dict:
    """Everything the rest of a run depends on, as tensors and plain values (see ``checkpoint``)."""
    return {"epoch": epoch, "steps": steps, "samples": samples, "seconds": seconds, "current_lr": current_lr,
            "model": model.state_dict(), "optimizer": opt.state_dict(), "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            "probes": [p.state_dict() for p in probes], "history": history.to_dict()}


def _restore(state, model, opt, generator, probes, history, device):
    """Put a saved ``_state`` back in place; return (epochs done, steps, samples, seconds, lr)."""
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"] is not None and device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda_rng"], device)
    for p, s in zip(probes, state["probes"]):
        p.load_state_dict(s)
    saved = History.from_dict(state["history"])
    for name in ("epoch", "steps", "samples", "seconds", "batch_size", "lr", "values", "diverged_at"):
        setattr(history, name, getattr(saved, name))
    return state["epoch"], state["steps"], state["samples"], state["seconds"], state["current_lr"]


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
