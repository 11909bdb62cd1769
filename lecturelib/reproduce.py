"""Run every run of the batch-size study at the ``full`` preset and keep one results file per run,
plus the article's gradient protocol (``gradient-protocol``, run last).

    python -m lecturelib.reproduce [--preset full] [--out results] [--only SLUG ...] [--list]

Each run writes ``<out>/<slug>.json``: the History (metrics and probe values per
epoch), the final distances, norms, cosines and test accuracy, and provenance
(command, the git commit checked out when the run started and whether the working
tree had uncommitted changes, versions, device, seed, date, wall time). Files are
written atomically (a temporary file, then a rename). A run whose file exists, parses
and was made at the same preset is skipped; any other file is reported and the run
is done again. Inside a run, a checkpoint after every epoch (``--checkpoints``,
git-ignored) lets a restarted command continue from the last finished epoch, as
long as the run, the preset and the commit are the same.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import torch

from . import __version__
from . import gradient_protocol as gp
from ._checks import check_type
from .checkpoint import Checkpoint
from .environment import device_name
from .experiments import batch_size as bs
from .presets import PRESETS

SEED = 0
PROTOCOL_SLUG = "gradient-protocol"
SUMMARY_KEYS = ("test_acc", "train_acc", "dist_w", "dist_b", "norm_w", "norm_b", "cos_layers")


def slug(label: str) -> str:
    """A file name from a run label: 'BS 64, lr 0.01' -> 'bs-64-lr-0.01'."""
    return re.sub(r"[^a-z0-9.]+", "-", label.lower().replace("→", "to").replace("×", "x")).strip("-")


def _git(*args) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent).stdout.strip()


def git_commit() -> str:
    """The commit checked out now ("unknown" outside a git checkout)."""
    try:
        return _git("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def git_dirty() -> bool | None:
    """Whether tracked files differ from that commit (``None`` outside a git checkout)."""
    try:
        return bool(_git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return None


def in_history(sha: str) -> bool | None:
    """Whether ``sha`` names a commit of this checkout's repository.

    ``None`` when git cannot say: no git checkout, or a shallow clone that lacks the commit
    (its history is cut off, so the commit may well exist upstream).
    """
    check_type("sha", sha, str, "a commit hash (str)")
    try:
        shallow = _git("rev-parse", "--is-shallow-repository") == "true"
    except (OSError, subprocess.CalledProcessError):
        return None
    try:
        _git("cat-file", "-e", f"{sha}^{{commit}}")
        return True
    except subprocess.CalledProcessError:
        return None if shallow else False


def summary(history) -> dict:
    """The numbers of the study's tables, from the last epoch."""
    return {k: history.final(k) for k in SUMMARY_KEYS}


def write_atomically(path: Path, payload: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)


def why_not_done(path: Path, label: str, preset: str) -> str | None:
    """``None`` when ``path`` is a finished results file of this run at this preset, else the reason it is not."""
    if not path.exists():
        return "no results file"
    try:
        payload = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        return f"{path} does not parse ({err})"
    if not isinstance(payload, dict) or payload.get("run") != label:
        return f"{path} holds another run ({payload.get('run') if isinstance(payload, dict) else payload!r})"
    if payload.get("preset") != preset:
        return f"{path} was made at preset {payload.get('preset')!r}, not {preset!r}"
    if label == gp.RUN:
        missing = [r for r in gp.REGIMES if r not in payload.get("summary", {}) or r not in payload.get("regimes", {})]
    else:
        missing = [k for k in SUMMARY_KEYS if k not in payload.get("summary", {})]
        missing += [k for k in ("history",) if k not in payload]
    if missing or "provenance" not in payload:
        return f"{path} lacks {missing or ['provenance']}"
    return None


def provenance(commit: str, dirty, start: float) -> dict:
    """Where a results file came from: command, code (commit when the run started), versions, machine, time."""
    return {"command": " ".join([Path(sys.executable).name, "-m", "lecturelib.reproduce", *sys.argv[1:]]),
            "git_commit": commit, "git_dirty": dirty, "lecturelib": __version__, "torch": torch.__version__,
            "python": platform.python_version(), "device": device_name(), "seed": SEED,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": round(time.time() - start, 1),   # of this process; a resumed run adds its earlier part
            "torch_threads": torch.get_num_threads()}


def run_one(spec, scale, preset: str, out: Path, checkpoints: Path | None = None) -> Path:
    path = out / f"{slug(spec.label)}.json"
    commit, dirty = git_commit(), git_dirty()   # read now: a commit made while the run trains is not its code
    checkpoint = None
    if checkpoints is not None:
        checkpoint = Checkpoint(checkpoints / f"{slug(spec.label)}.pt",
                                {"run": spec.label, "preset": preset, "git_commit": commit, "seed": SEED})
    start = time.time()
    history = bs.run(spec, scale, seed=SEED, progress=True, checkpoint=checkpoint)
    write_atomically(path, {
        "run": spec.label, "preset": preset, "summary": summary(history), "history": history.to_dict(),
        # train_seconds: training time over all epochs, resumed or not
        "provenance": {**provenance(commit, dirty, start), "train_seconds": round(history.seconds[-1], 1)},
    })
    if checkpoint is not None:
        checkpoint.clear()
    return path


def run_protocol(preset: str, out: Path, checkpoints: Path | None = None) -> Path:
    """The article's gradient protocol (``lecturelib.gradient_protocol``), resumable per (regime, B)."""
    path = out / f"{PROTOCOL_SLUG}.json"
    commit, dirty = git_commit(), git_dirty()
    checkpoint = None
    if checkpoints is not None:
        checkpoint = Checkpoint(checkpoints / f"{PROTOCOL_SLUG}.pt",
                                {"run": gp.RUN, "preset": preset, "git_commit": commit, "seed": SEED})
    start = time.time()
    result = gp.run(preset, seed=SEED, progress=True, checkpoint=checkpoint)
    result.provenance = provenance(commit, dirty, start)
    write_atomically(path, result.to_dict())
    if checkpoint is not None:
        checkpoint.clear()
    return path


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="full", choices=PRESETS)
    ap.add_argument("--out", default="results", help="folder for the results files")
    ap.add_argument("--only", nargs="*", default=None, help="run only these slugs, in this order (see --list)")
    ap.add_argument("--list", action="store_true", help="list the runs and their slugs, then stop")
    ap.add_argument("--checkpoints", default="cache/reproduce",
                    help="folder for the per-epoch checkpoints (git-ignored); 'none' turns them off")
    args = ap.parse_args(argv)
    scale = bs.scale(args.preset)
    specs = bs.study_runs(scale)
    ps = gp.scale(args.preset)
    entries = {slug(spec.label): (spec.label, f"{spec.epochs} epochs", spec) for spec in specs}
    entries[PROTOCOL_SLUG] = (gp.RUN, f"{ps.trials} trials x {len(ps.batch_sizes)} batch sizes x 2 regimes", None)
    if args.list:
        for name, (label, size, _) in entries.items():
            print(f"{name:40s} {label} ({size})")
        return
    if args.only is not None:
        unknown = sorted(set(args.only) - set(entries))
        if unknown:
            ap.error(f"--only: unknown run(s) {unknown}; choose from {sorted(entries)}")
        entries = {name: entries[name] for name in dict.fromkeys(args.only)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoints = None if args.checkpoints == "none" else Path(args.checkpoints)
    for name, (label, size, spec) in entries.items():
        path = out / f"{name}.json"
        reason = why_not_done(path, label, args.preset)
        if reason is None:
            print(f"done already: {path}")
            continue
        if path.exists():
            print(f"running it again: {reason}")
        print(f"running {label} ({size}) at {args.preset} -> {path}", flush=True)
        if spec is None:
            run_protocol(args.preset, out, checkpoints)
        else:
            run_one(spec, scale, args.preset, out, checkpoints)


if __name__ == "__main__":
    main()
