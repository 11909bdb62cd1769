"""A cache of trained models, keyed by the run's configuration and a fingerprint of the
code that trained them: ``train_cached`` stores the weights in a git-ignored
``cache/models/`` folder so re-running a chapter skips training."""
from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .._checks import check_bool, check_type


# A cached model is only reused when it was trained with the same configuration AND by
# the same code. "The code" is the source of the lecturelib modules a cached run
# executes, listed in FINGERPRINT_MODULES, plus torch's version:
#   autoencoders.models      the autoencoders, the VAE and its sampling step;
#   autoencoders.objectives  the losses and their evaluation (Reconstruction, ELBO);
#   autoencoders.cache       this cache (what is saved and loaded);
#   models                   the classifier that scores samples (MLP) and its checks;
#   train                    the training loop, fit (batches, optimizer, seeding, History);
#   callbacks                what fit calls during a run (evaluation, the progress bar, StopTraining);
#   data                     MNIST loading, normalization and batching;
#   presets                  set_seed (the initial weights), the device and the preset tables;
#   experiments.autoencoders the chapters' runs: sizes, learning rates, which objective.
# Comments, docstrings and formatting do not count (the fingerprint hashes each module's
# syntax tree without docstrings); any other change retrains. Code that only looks at a
# trained model (autoencoders.analysis and .figures, plots, widgets, report) cannot change
# one, so it is not fingerprinted.

FINGERPRINT_MODULES = ("autoencoders.models", "autoencoders.objectives", "autoencoders.cache",
                       "models", "train", "callbacks", "data", "presets", "experiments.autoencoders")
CACHE_FORMAT = 2     # the layout below; a cache entry of another format is retrained
_PACKAGE = Path(__file__).resolve().parents[1]    # lecturelib/: where the fingerprinted sources are read


def cache_dir() -> Path:
    """``$LECTURELIB_CACHE``, else ``cache/models/`` in a source checkout (git-ignored),
    else ``~/.cache/lecturelib/models``."""
    if os.environ.get("LECTURELIB_CACHE"):
        return Path(os.environ["LECTURELIB_CACHE"]).expanduser()
    checkout = Path(__file__).resolve().parents[2]    # above lecturelib/autoencoders/
    if (checkout / "pyproject.toml").exists():
        return checkout / "cache" / "models"
    return Path.home() / ".cache" / "lecturelib" / "models"


def cache_key(config: dict) -> str:
    """A short stable hash of a JSON-serializable configuration."""
    check_type("config", config, dict, "a dict")
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _syntax_without_docstrings(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or ([] if isinstance(node, ast.Module) else [ast.Pass()])
    return ast.dump(tree, annotate_fields=False)


def source_fingerprint(source: str) -> str:
    """Hash of Python source that ignores comments, docstrings and formatting."""
    check_type("source", source, str, "Python source code (str)")
    return hashlib.sha256(_syntax_without_docstrings(source).encode()).hexdigest()[:16]


_FINGERPRINTS: dict = {}


def code_fingerprint(modules=FINGERPRINT_MODULES) -> str:
    """One hash over the source of ``lecturelib.<m>`` for each ``m`` in ``modules`` and
    torch's version: the code that trains a cached model.

    Computed once per process (per tuple of modules), when it is first needed: it
    describes the code this process imported, so after editing lecturelib, restart the
    kernel (Python does not reload changed modules either).
    """
    modules = tuple(modules)
    if not modules or not all(isinstance(m, str) for m in modules):
        raise TypeError(f"modules must be a non-empty sequence of module names, got {modules!r}")
    if modules not in _FINGERPRINTS:
        parts = [f"torch {torch.__version__}"]
        for name in modules:
            path = _PACKAGE.joinpath(*name.split(".")).with_suffix(".py")
            if not path.exists():
                raise ValueError(f"modules: lecturelib.{name} has no source file {path}")
            parts.append(f"{name} {source_fingerprint(path.read_text())}")
        _FINGERPRINTS[modules] = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return _FINGERPRINTS[modules]


def _warn(message: str) -> None:
    print(f"lecturelib cache: {message}", file=sys.stderr)


def _load_cached(paths, config, fingerprint, model):
    """The History of a usable cache entry after loading its weights into ``model``, else
    ``None`` (with one line on stderr when an entry exists but cannot be used)."""
    from ..train import History

    weights, meta = paths
    if not meta.exists():
        stale = _stale_entries(meta)
        if stale:
            others = ", ".join(sorted({p.stem.rsplit("-", 1)[-1] for p in stale}))
            _warn(f"{meta.stem.rsplit('-', 1)[0]} was trained by other code (fingerprint {others}, "
                  f"now {fingerprint}); retraining")
        return None
    try:
        saved = json.loads(meta.read_text())
        if saved.get("format") != CACHE_FORMAT:
            raise ValueError(f"cache format {saved.get('format')!r}, expected {CACHE_FORMAT}")
        if saved.get("fingerprint") != fingerprint:
            raise ValueError(f"trained by other code (fingerprint {saved.get('fingerprint')}, "
                             f"now {fingerprint})")
        if saved.get("config") != json.loads(json.dumps(config, default=str)):
            raise ValueError("trained with another configuration")
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return History.from_dict(saved["history"])
    except Exception as err:   # a torn, foreign or stale entry is never fatal: train again
        reason = " ".join(str(err).split())[:160]
        _warn(f"{meta.stem} unusable ({type(err).__name__}: {reason}); retraining")
        return None


def _stale_entries(meta: Path) -> list[Path]:
    """JSON files of the same configuration written by other code."""
    key = meta.stem.rsplit("-", 1)[0]
    return [p for p in meta.parent.glob(f"{key}-*.json") if p != meta]


def _write_atomically(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _plain(value):
    """Values JSON can hold exactly: numpy and torch scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.generic, torch.Tensor)):
        return value.item()
    return value


def cache_paths(config: dict, fingerprint: str | None = None) -> tuple[Path, Path]:
    """The weights file and the JSON file of ``config`` trained by the code ``fingerprint``
    (default: this process's ``code_fingerprint()``)."""
    fingerprint = code_fingerprint() if fingerprint is None else fingerprint
    stem = f"{cache_key(config)}-{fingerprint}"
    return cache_dir() / f"{stem}.pt", cache_dir() / f"{stem}.json"


def train_cached(config: dict, model: nn.Module, train, *, use_cache: bool = True):
    """Return ``(model, history)``: loaded from the cache when ``config`` was trained
    before by the same code, else ``history = train(model)`` and both are saved.

    ``config`` must name everything that changes the result (model, sizes, seed); the
    code is named by ``code_fingerprint()``. An entry holds two files, written each to a
    temporary file and renamed into place: ``<key>.pt``, the weights as tensors (read
    with ``torch.load(weights_only=True)``, which unpickles nothing else), and
    ``<key>.json``, the configuration, the fingerprint and the History. An entry that
    cannot be read or does not match is reported in one line and trained again.
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_bool("use_cache", use_cache)
    if not callable(train):
        raise TypeError(f"train must be a function model -> History, got {type(train).__name__}")
    check_type("config", config, dict, "a dict")
    if not use_cache:
        return model, train(model)
    fingerprint = code_fingerprint()
    weights, meta = cache_paths(config, fingerprint)
    history = _load_cached((weights, meta), config, fingerprint, model)
    if history is not None:
        return model, history
    history = train(model)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    record = {"format": CACHE_FORMAT, "fingerprint": fingerprint, "modules": list(FINGERPRINT_MODULES),
              "config": config, "history": _plain(history.to_dict())}
    try:
        weights.parent.mkdir(parents=True, exist_ok=True)
        # Weights first, the JSON last: an entry is complete once its JSON exists.
        _write_atomically(weights, lambda p: torch.save(state, p))
        _write_atomically(meta, lambda p: p.write_text(json.dumps(record, default=str)))
    except OSError as err:
        _warn(f"could not write {meta.stem} ({type(err).__name__}: {err}); the model is not cached")
        return model, history
    for old in _stale_entries(meta):   # the same configuration, trained by older code
        old.unlink(missing_ok=True)
        old.with_suffix(".pt").unlink(missing_ok=True)
    return model, history
