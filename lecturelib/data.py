"""MNIST as tensors on the device, and mini-batches drawn from them by index.

Loading goes through ``torchvision.datasets.MNIST(root, download=True)``: on a
machine with internet (Colab, a laptop) torchvision downloads the four files
once; offline it uses the files already under ``<root>/MNIST/raw``.

Training reads batches straight from tensors that already live on the device
(``batches``): no ``DataLoader``, no per-sample transforms. For a small MLP this
is several times faster than the usual pipeline; ``python -m lecturelib.bench``
measures by how much.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, NamedTuple

import torch

from ._checks import check_bool, check_choice, check_int, check_type

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # over the training pixels, scaled to [0, 1]
MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
SPLITS = ("train", "test")

# Decoded, normalized tensors, keyed by (root, split, device). Decoding the
# files takes a second or two, so each process does it once per split.
_CACHE: dict[tuple[str, str, str], tuple[torch.Tensor, torch.Tensor]] = {}


class Data(NamedTuple):
    """A training and a test set, as tensors on one device."""
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def data_root() -> Path:
    """Where datasets live: ``$LECTURELIB_DATA``, else ``data/`` in a source checkout,
    else ``~/.cache/lecturelib``."""
    if os.environ.get("LECTURELIB_DATA"):
        return Path(os.environ["LECTURELIB_DATA"]).expanduser()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "data"
    return Path.home() / ".cache" / "lecturelib"


def load_mnist(split: str, *, root=None, device=None, limit: int | None = None):
    """Return ``(images, labels)`` of one MNIST split.

    images: float32, shape (N, 1, 28, 28), normalized to mean 0 and std 1 over
    the training set; labels: int64, shape (N,). Both on ``device`` (default:
    ``lecturelib.presets.device()``). ``limit`` keeps the first ``limit`` samples.
    The tensors are shared with a per-process cache: treat them as read-only.
    """
    from .presets import device as default_device

    check_choice("split", split, SPLITS)
    if limit is not None:
        limit = check_int("limit", limit, low=1)
    root = data_root() if root is None else Path(check_type("root", root, (str, os.PathLike), "a path"))
    device = default_device() if device is None else torch.device(device)
    key = (str(root), split, str(device))
    if key not in _CACHE:
        images, labels = _decode(root, split)
        images = ((images.float() / 255.0 - MNIST_MEAN) / MNIST_STD).unsqueeze(1)
        _CACHE[key] = (images.to(device), labels.to(device))
    images, labels = _CACHE[key]
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return images, labels


def mnist(*, train_limit: int | None = None, test_limit: int | None = None, root=None, device=None) -> Data:
    """Both splits of MNIST as a ``Data`` tuple (see ``load_mnist``)."""
    x_train, y_train = load_mnist("train", root=root, device=device, limit=train_limit)
    x_test, y_test = load_mnist("test", root=root, device=device, limit=test_limit)
    return Data(x_train, y_train, x_test, y_test)


def batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, *, shuffle: bool,
            generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(x[idx], y[idx])`` mini-batches covering every sample exactly once.

    With ``shuffle`` the order is a fresh permutation drawn from ``generator``;
    without, batches are contiguous slices (views, no copy). The last batch is
    kept even when it is smaller than ``batch_size``.
    """
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    check_type("y", y, torch.Tensor, "a torch.Tensor")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError("x must hold at least one sample, got an empty tensor")
    batch_size = check_int("batch_size", batch_size, low=1)
    check_bool("shuffle", shuffle)
    if generator is not None:
        check_type("generator", generator, torch.Generator, "a torch.Generator or None")
    n = len(x)
    if not shuffle:
        for start in range(0, n, batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]
        return
    order = torch.randperm(n, generator=generator).to(x.device)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]


def _decode(root: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST

    try:
        dataset = MNIST(str(root), train=(split == "train"), download=True)
    except (RuntimeError, OSError) as err:
        raw = Path(root) / "MNIST" / "raw"
        raise FileNotFoundError(
            f"MNIST is not in {raw} and could not be downloaded ({err}). "
            f"Put the four files {', '.join(MNIST_FILES)} in {raw} "
            f"(the torchvision layout), or set LECTURELIB_DATA to a folder that holds MNIST/raw/."
        ) from err
    return dataset.data, dataset.targets
