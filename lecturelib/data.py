"""MNIST as tensors on the device, and mini-batches drawn from them by index.

Loading goes through ``torchvision.datasets.MNIST(root, download=True)``: on a
machine with internet (Colab, a laptop) torchvision downloads the four files
once; offline it uses the files already under ``<root>/MNIST/raw``. Before that,
the files a split needs are checked against their known MD5 sums: a truncated or
corrupt file is named, with what to do about it (``ChecksumError``), instead of
torchvision's "could not be downloaded" or a parse error.

Training reads batches straight from tensors that already live on the device
(``batches``): no ``DataLoader``, no per-sample transforms. For a small MLP this
is several times faster than the usual pipeline; ``python -m lecturelib.bench``
measures by how much.
"""
from __future__ import annotations

import hashlib
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
# MD5 of each file, compressed (torchvision's own sums, ``MNIST.resources``) and as
# torchvision extracts it beside the .gz (the file it then reads), with its size.
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
MNIST_SIZES = {"train-images-idx3-ubyte": 47_040_016, "train-labels-idx1-ubyte": 60_008,
               "t10k-images-idx3-ubyte": 7_840_016, "t10k-labels-idx1-ubyte": 10_008}
# Where the course machines keep a good copy (``make data`` copies it into data/).
SHARED_MNIST = "../shared/data/MNIST/raw/"


class ChecksumError(RuntimeError):
    """A data file is there but is not the file it should be (truncated or corrupt)."""

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


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_mnist_files(root) -> None:
    """Raise ``ChecksumError`` naming the first MNIST file under ``<root>/MNIST/raw`` that is
    there but fails its checksum. All four are checked whichever split is loaded: torchvision
    needs all four before it reads either split. Files that are missing are left to
    torchvision (it downloads them, or ``load_mnist`` says where to put them)."""
    raw = Path(check_type("root", root, (str, os.PathLike), "a path")) / "MNIST" / "raw"
    stamp = _stamp(raw)
    if stamp in _VERIFIED:   # the same files, unchanged, already passed in this process
        return
    for packed_name in MNIST_FILES:
        name = packed_name.removesuffix(".gz")
        extracted, packed = raw / name, raw / f"{name}.gz"
        if extracted.is_file():   # torchvision reads this one and never looks at the .gz again
            size = extracted.stat().st_size
            if size != MNIST_SIZES[name] or _md5(extracted) != MNIST_MD5[name]:
                what = (f"is {size:,} bytes, not {MNIST_SIZES[name]:,} (truncated?)" if size != MNIST_SIZES[name]
                        else "has the right size but the wrong MD5 sum (corrupt)")
                fix = ("delete it and load again: torchvision extracts it afresh from the .gz beside it"
                       if packed.is_file() else "delete it and load again: torchvision downloads it (needs internet)")
                raise ChecksumError(_checksum_message(extracted, what, fix))
        elif packed.is_file() and _md5(packed) != MNIST_MD5[packed.name]:
            size = packed.stat().st_size
            raise ChecksumError(_checksum_message(
                packed, f"({size:,} bytes) fails its MD5 checksum (truncated or corrupt)",
                "delete it and load again: torchvision downloads it (needs internet)"))
    _VERIFIED.add(stamp)


_VERIFIED: set = set()


def _stamp(raw: Path) -> tuple:
    """The folder and each file's size and modification time: what a passed check is remembered by."""
    files = []
    for name in MNIST_FILES + tuple(n.removesuffix(".gz") for n in MNIST_FILES):
        try:
            st = (raw / name).stat()
            files.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            files.append((name, None, None))
    return (str(raw.resolve()), tuple(files))


def _checksum_message(path: Path, what: str, fix: str) -> str:
    return (f"MNIST file {path} {what}. To fix it, {fix}; or copy the file again from a good copy: on the "
            f"course machines {SHARED_MNIST} (`make data` copies it when data/ lacks it), elsewhere any "
            f"MNIST download in the torchvision layout.")


def _decode(root: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST

    check_mnist_files(root)
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
