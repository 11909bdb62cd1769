"""Which scale the course runs at, which device it uses, and seeding.

``LECTURELIB_PRESET`` picks one of three scales:

* ``ci``    -- seconds; what the tests use.
* ``quick`` -- minutes on a laptop CPU or a free Colab runtime; the default on
  every machine, with or without a GPU.
* ``full``  -- the size of the published studies (hours on a CPU); only when
  asked for with ``LECTURELIB_PRESET=full``.

``quick`` is the default with a GPU too: a student on a free Colab GPU who opens
a chapter should see it finish in minutes, not start a study of hours
(the batch-size chapter's B = 1 sweep over 60,000 images for 30 epochs). Before
a run longer than about a minute, ``fit`` prints how long it will take at the
active preset on this device (``lecturelib.progress.RunClock``).

This module owns only the name of the scale. Each experiment decides what
``ci``, ``quick`` and ``full`` mean for its own sizes.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

from ._checks import check_int

PRESETS = ("ci", "quick", "full")
ENV_VAR = "LECTURELIB_PRESET"
DEFAULT = "quick"


def preset() -> str:
    """The active preset: ``$LECTURELIB_PRESET``, else ``quick`` (with or without a GPU)."""
    name = os.environ.get(ENV_VAR, "").strip()
    if not name:
        return DEFAULT
    if name not in PRESETS:
        raise ValueError(
            f"{ENV_VAR} must be one of {', '.join(PRESETS)}; got {name!r}. "
            f"Unset it for the default, {DEFAULT!r}."
        )
    return name


def device() -> torch.device:
    """The device experiments run on: the first CUDA GPU if there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every CUDA device) with one number."""
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def pick(table: dict, name: str | None = None):
    """Return ``table[name]`` for the active preset (or ``name``), checking the name."""
    name = preset() if name is None else name
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
    missing = [p for p in PRESETS if p not in table]
    if missing:
        raise ValueError(f"a preset table needs an entry for every preset; missing {missing}")
    return table[name]
