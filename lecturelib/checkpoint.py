"""Per-epoch checkpoints, so that a long run interrupted at epoch 300 of 480 loses one epoch, not 300.

``fit(..., checkpoint=Checkpoint(path, key))`` writes, after every epoch, everything
the rest of the run depends on: the model's and the optimizer's state, the state of
the batch-order generator and of torch's global generator, the counters and the
History so far, and the state of every probe. Restarted with a checkpoint whose
``key`` matches (the same run, preset and commit of the code), ``fit`` continues
from the last finished epoch and ends with the History an uninterrupted run gives.

The file holds tensors and plain Python values only, written with ``torch.save`` to
a temporary file and renamed (so an interrupted save never leaves a torn file), and
read with ``torch.load(weights_only=True)``, which unpickles no arbitrary objects.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from ._checks import check_type


class Checkpoint:
    """One run's checkpoint file. ``key`` (a dict of plain values) says which run and code wrote it."""

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

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r}, key={self.key!r})"
