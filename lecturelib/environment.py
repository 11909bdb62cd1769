"""What a run ran on: the preset, the package versions and the hardware.

The book's "How this book was built" page and ``lecturelib.reproduce``'s
results files both record it, so a reader can tell which machine made a number.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata
from pathlib import Path

import torch

from ._checks import check_type
from .presets import preset

# The packages whose versions change what the book computes or how it renders.
PACKAGES = ("lecturelib", "torch", "torchvision", "numpy", "scipy", "matplotlib", "optuna", "ipywidgets",
            "jupyter-book", "myst-nb", "sphinx")


def device_name() -> str:
    """The GPU's name, or the CPU's model with its core and torch-thread counts."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return (f"CPU: {line.split(':', 1)[1].strip()} ({os.cpu_count()} cores, "
                        f"{torch.get_num_threads()} torch threads)")
    except OSError:
        pass
    return f"CPU: {platform.processor() or platform.machine()}"


def memory_gib() -> float | None:
    """Physical memory in GiB, where the system says (Linux); None elsewhere."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    return None


def versions(packages=PACKAGES) -> dict:
    """package -> installed version, or "not installed"."""
    check_type("packages", packages, (list, tuple), "a list of package names")
    out = {}
    for name in packages:
        check_type("package name", name, str, "a string")
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def summary() -> list[tuple[str, str]]:
    """(item, value) rows: when, at which preset, on what, with which versions."""
    memory = memory_gib()
    rows = [
        ("built", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("preset", preset()),
        ("device", device_name()),
        ("memory", f"{memory:.0f} GiB" if memory is not None else "unknown"),
        ("operating system", platform.platform()),
        ("python", platform.python_version()),
    ]
    return rows + list(versions().items())
