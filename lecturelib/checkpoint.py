"""Per-epoch checkpoints, so that a long run interrupted at epoch 300 of 480 loses one epoch, not 300.

``fit(..., callbacks=[Checkpoint(path, key)])`` writes, after every epoch, everything
the rest of the run depends on: the model's and the optimizer's state, the state of
the batch-order generator and of torch's global generator, the counters and the
History so far, and the state of every other callback. Restarted with a checkpoint
whose ``key`` matches (the same run, preset and commit of the code), ``fit`` continues
from the last finished epoch and ends with the History an uninterrupted run gives.

The restore happens in ``on_train_begin``, and ``Checkpoint.order`` (10) puts it after
every other callback's ``on_train_begin``: a probe that snapshots the starting weights
there (``WeightGeometry``) would otherwise overwrite the restored snapshot with the
freshly initialized model's. For the same reason it saves in ``on_epoch_end`` after
the other callbacks have finished theirs.

The file holds tensors and plain Python values only, written with ``torch.save`` to
a temporary file and renamed (so an interrupted save never leaves a torn file), and
read with ``torch.load(weights_only=True)``, which unpickles no arbitrary objects.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from ._checks import check_type
from .callbacks import Callback, TrainState


class Checkpoint(Callback):
    """One run's checkpoint file, and the callback that saves and restores a ``fit`` run with it.

    ``key`` (a dict of plain values) says which run and code wrote it. Every other
    callback of the run needs ``state_dict()`` and ``load_state_dict(state)``.
    """

    order = 10   # restore after, and save after, every other callback (see the module's docstring)

    def __init__(self, path, key: dict):
        check_type("path", path, (str, os.PathLike), "a file path (str or pathlib.Path)")
        check_type("key", key, dict, "a dict of plain values (run, preset, commit, ...)")
        self.path = Path(path)
        self.key = dict(key)

    def load(self) -> dict | None:
        """The saved state, or ``None`` when there is none to resume from.

        A file that cannot be read, or that another run or commit wrote, is not
        resumed from: a one-line message says why and training starts afresh.
        """
        if not self.path.exists():
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as err:   # a torn or foreign file: never fatal, the run just starts over
            print(f"checkpoint {self.path} is unreadable ({type(err).__name__}); starting the run afresh")
            return None
        if not isinstance(state, dict) or state.get("key") != self.key:
            found = state.get("key") if isinstance(state, dict) else None
            print(f"checkpoint {self.path} belongs to {found}, not {self.key}; starting the run afresh")
            return None
        return state

    def save(self, state: dict) -> None:
        """Write ``state`` (plus the key) atomically: a temporary file, then a rename."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        torch.save({**state, "key": self.key}, tmp)
        os.replace(tmp, self.path)

    def clear(self) -> None:
        """Remove the file (after the run's results are safely written)."""
        self.path.unlink(missing_ok=True)

    def on_train_begin(self, run: TrainState) -> None:
        others = [cb for cb in run.callbacks if cb is not self]
        for cb in others:
            if not (hasattr(cb, "state_dict") and hasattr(cb, "load_state_dict")):
                raise TypeError(f"with a checkpoint every callback needs state_dict() and load_state_dict(state) "
                                f"so a resumed run measures like an uninterrupted one; {type(cb).__name__} has not")
        state = self.load()
        if state is None:
            return
        names, saved = [type(cb).__name__ for cb in others], state.get("callbacks", {}).get("names")
        if saved != names:
            print(f"checkpoint {self.path} was written with the callbacks {saved}, not {names}; "
                  f"starting the run afresh")
            return
        _restore(state, run, others)

    def on_epoch_end(self, run: TrainState) -> None:
        self.save(_state(run, [cb for cb in run.callbacks if cb is not self]))

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r}, key={self.key!r})"


def _state(run: TrainState, callbacks) -> dict:
    """Everything the rest of a run depends on, as tensors and plain values."""
    device = run.device
    return {"epoch": run.epoch, "steps": run.steps, "samples": run.samples, "seconds": run.seconds,
            "current_lr": run.lr, "model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
            "generator": run.generator.get_state(), "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            "callbacks": {"names": [type(cb).__name__ for cb in callbacks],
                          "states": [cb.state_dict() for cb in callbacks]},
            "history": run.history.to_dict()}


def _restore(state: dict, run: TrainState, callbacks) -> None:
    """Put a saved ``_state`` back in place: the run continues after its last saved epoch."""
    from .train import History

    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"] is not None and run.device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda_rng"], run.device)
    for cb, s in zip(callbacks, state["callbacks"]["states"]):
        cb.load_state_dict(s)
    saved = History.from_dict(state["history"])
    for name in ("epoch", "steps", "samples", "seconds", "batch_size", "lr", "values", "diverged_at", "stopped"):
        setattr(run.history, name, getattr(saved, name))
    run.epoch, run.steps, run.samples = state["epoch"], state["steps"], state["samples"]
    run.seconds, run.lr, run.resumed = state["seconds"], state["current_lr"], True
