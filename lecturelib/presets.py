"""Which scale the course runs at, which device it uses, and seeding.

``LECTURELIB_PRESET`` picks one of three scales:

* ``ci``    -- seconds; what the tests use.
* ``quick`` -- minutes on a laptop CPU or free Colab; the default without a GPU.
* ``full``  -- the size of the published studies; the default with a GPU.

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


def preset() -> str:
    """The active preset: ``$LECTURELIB_PRESET``, else ``full`` with CUDA, else ``quick``."""
    name = os.environ.get(ENV_VAR, "").strip()
    if not name:
        return "full" if torch.cuda.is_available() else "quick"
    if name not in PRESETS:
        raise ValueError(
            f"{ENV_VAR} must be one of {', '.join(PRESETS)}; got {name!r}. "
            f"Unset it to get the default for this machine."
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
