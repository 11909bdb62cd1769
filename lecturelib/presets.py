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

This module owns the name of the scale and the scaffold of "an experiment at a
preset": each experiment decides what ``ci``, ``quick`` and ``full`` mean for its own
sizes, in a frozen ``Scale`` dataclass and a ``ScaleTable`` of one ``Scale`` per preset.
"""
from __future__ import annotations

import os
import random
from collections.abc import Mapping

import numpy as np
import torch

from ._checks import check_int, check_type

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


class ScaleTable(Mapping):
    """An experiment's sizes at every preset: ``{"ci": Scale(...), "quick": ..., "full": ...}``.

    It reads like the dict it holds (``SCALES["ci"]``, ``SCALES.items()``) and adds the three
    lookups every experiment module needs, so no module writes its own:

    * ``pick(preset)``: the ``Scale`` of ``preset`` (default: the active preset);
    * ``resolve(s)``: what an experiment function does with its ``s`` argument: ``None``
      becomes the active preset's ``Scale``, a ``Scale`` of another class is a TypeError;
    * ``preset_of(s)``: the name of the preset a ``Scale`` came from.

    An experiment module writes ``SCALES = ScaleTable(Scale, {...})``, a public
    ``scale(preset=None)`` that returns ``SCALES.pick(preset)``, and starts each function
    with ``s = SCALES.resolve(s)``.
    """

    def __init__(self, scale_class: type, entries: dict):
        if not isinstance(scale_class, type):
            raise TypeError(f"scale_class must be a class (the module's Scale), got {scale_class!r}")
        check_type("entries", entries, dict, "a dict preset -> Scale")
        if sorted(entries) != sorted(PRESETS):
            raise ValueError(f"entries must hold one Scale for each preset, {', '.join(PRESETS)}; "
                             f"got {list(entries)}")
        for name, s in entries.items():
            check_type(f"entries[{name!r}]", s, scale_class, f"a {_qualified(scale_class)}")
        self.scale_class = scale_class
        self._entries = dict(entries)

    def __getitem__(self, name: str):
        return self._entries[name]

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"ScaleTable({self.scale_class.__qualname__}, {self._entries!r})"

    def pick(self, preset: str | None = None):
        """The ``Scale`` of the active preset (or of ``preset``)."""
        return pick(self._entries, preset)

    def resolve(self, s, name: str = "s", *, from_table: bool = False):
        """``s`` itself if it is a ``Scale`` of this table's class; the active preset's when ``None``.

        from_table: also require ``s`` to be one of the table's entries (``preset_of``), for an
        experiment that reads other experiments' sizes at the same preset.
        """
        if s is None:
            return self.pick()
        if not isinstance(s, self.scale_class):
            raise TypeError(f"{name} must be a {_qualified(self.scale_class)} or None, got {_short(s)} "
                            f"({type(s).__name__})")
        if from_table:
            self.preset_of(s, name)
        return s

    def preset_of(self, s, name: str = "s", *, unknown: str | None = None) -> str:
        """The preset whose entry ``s`` is: the entry that is ``s`` itself, else the first equal one.

        unknown: what to return for a ``Scale`` equal to no entry (a custom one); ``None``
        (the default) raises ValueError instead.
        """
        what = _qualified(self.scale_class)
        check_type(name, s, self.scale_class, f"a {what}")
        found = next((p for p, entry in self._entries.items() if entry is s), None)
        if found is None:
            found = next((p for p, entry in self._entries.items() if entry == s), None)
        if found is not None:
            return found
        if unknown is not None:
            return unknown
        module = self.scale_class.__module__
        raise ValueError(f"{name} must be one of {module}.SCALES, the Scale of a preset "
                         f"(use {module}.scale(preset)); got {_short(s)}")


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _short(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
