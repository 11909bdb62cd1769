"""The panel registry: every widget panel of the course, registered once, where it is defined.

The tests that every panel must pass (its static twin, the ipywidgets 7.7 API check, the
Colab check) iterate over this registry instead of a hand-written list, so a new panel is
tested everywhere as soon as it is registered. A panel registers itself with a decorator on
its builder, the function the notebooks call::

    @register(BatchSizeExplorer, frames=2, example=lambda: batch_size_explorer(runs=examples.runs()))
    def batch_size_explorer(**kwargs) -> BatchSizeExplorer:
        ...

Each ``Entry`` holds:

* ``name``: the panel class's name, e.g. ``"BatchSizeExplorer"`` (the tests' ids);
* ``panel``: the class; ``builder``: the decorated function;
* ``example``: a function of no arguments that builds the panel in a small test configuration
  (made-up runs, samples or grids and untrained models from ``widgets.examples``; nothing trains,
  and only AutoencoderTrainer's twin reads data: ten test digits at the active preset);
* ``frames``: how many frames the static twin of ``example()``'s panel has (0: no twin).

Look-up: ``PANELS`` (name -> Entry, in registration order), ``names()`` and ``entry(name)``.
Importing this module imports nothing heavy and builds nothing; importing ``lecturelib.widgets``
(which any import of this module does first) registers every panel.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .._checks import check_choice, check_int


@dataclass(frozen=True)
class Entry:
    """One registered panel (see the module's docstring)."""
    name: str
    panel: type
    builder: Callable
    example: Callable[[], object]
    frames: int


PANELS: dict[str, Entry] = {}


def register(panel: type, *, frames: int, example: Callable[[], object]) -> Callable:
    """Decorator for a panel's builder: record ``panel`` with its example and twin's frame count.

    Returns the builder unchanged. A class registers once: a second registration under the
    same name raises ValueError, since two entries would hide one of them from the tests.
    """
    if not isinstance(panel, type):
        raise TypeError(f"panel must be a class, got {panel!r} ({type(panel).__name__})")
    frames = check_int("frames", frames, low=0)
    if not callable(example):
        raise TypeError(f"example must be a function of no arguments that builds the panel, got {example!r}")
    name = panel.__name__
    if name in PANELS:
        raise ValueError(f"panel {name!r} is already registered (by {PANELS[name].builder.__qualname__})")

    def decorate(builder: Callable) -> Callable:
        if not callable(builder):
            raise TypeError(f"register(...) decorates the panel's builder function, got {builder!r}")
        PANELS[name] = Entry(name=name, panel=panel, builder=builder, example=example, frames=frames)
        return builder

    return decorate


def names() -> list[str]:
    """The registered panels' names, in registration order."""
    return list(PANELS)


def entry(name: str) -> Entry:
    """The entry of the panel called ``name``; the error lists the registered names."""
    return PANELS[check_choice("name", name, PANELS)]
