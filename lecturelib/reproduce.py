"""Run every run of the batch-size study at the ``full`` preset and keep one results file per run.

    python -m lecturelib.reproduce [--preset full] [--out results] [--only SLUG ...] [--list]

Each run writes ``<out>/<slug>.json``: the History (metrics and probe values per
epoch), the final distances, norms, cosines and test accuracy, and provenance
(command, git commit, versions, device, seed, date, wall time). Files are written
atomically (a temporary file, then a rename), and a run whose file exists is
skipped, so an interrupted reproduction resumes where it stopped.
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
from .environment import device_name
from .experiments import batch_size as bs
from .presets import PRESETS

SEED = 0


def slug(label: str) -> str:
    """A file name from a run label: 'BS 64, lr 0.01' -> 'bs-64-lr-0.01'."""
    return re.sub(r"[^a-z0-9.]+", "-", label.lower().replace("→", "to").replace("×", "x")).strip("-")


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def summary(history) -> dict:
    """The numbers of the study's tables, from the last epoch."""
    keys = ("test_acc", "train_acc", "dist_w", "dist_b", "norm_w", "norm_b", "cos_layers")
    return {k: history.final(k) for k in keys}


def write_atomically(path: Path, payload: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)


def run_one(spec, scale, preset: str, out: Path) -> Path:
    path = out / f"{slug(spec.label)}.json"
    start = time.time()
    history = bs.run(spec, scale, seed=SEED, progress=True)
    write_atomically(path, {
        "run": spec.label, "preset": preset, "summary": summary(history), "history": history.to_dict(),
        "provenance": {
            "command": " ".join([Path(sys.executable).name, "-m", "lecturelib.reproduce", *sys.argv[1:]]),
            "git_commit": git_commit(), "lecturelib": __version__, "torch": torch.__version__,
            "python": platform.python_version(), "device": device_name(), "seed": SEED,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": round(time.time() - start, 1),
        },
    })
    return path


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="full", choices=PRESETS)
    ap.add_argument("--out", default="results", help="folder for the results files")
    ap.add_argument("--only", nargs="*", default=None, help="run only these slugs, in this order (see --list)")
    ap.add_argument("--list", action="store_true", help="list the runs and their slugs, then stop")
    args = ap.parse_args(argv)
    scale = bs.scale(args.preset)
    specs = bs.study_runs(scale)
    if args.list:
        for spec in specs:
            print(f"{slug(spec.label):40s} {spec.label} ({spec.epochs} epochs)")
        return
    if args.only is not None:
        known = {slug(s.label) for s in specs}
        unknown = sorted(set(args.only) - known)
        if unknown:
            ap.error(f"--only: unknown run(s) {unknown}; choose from {sorted(known)}")
        by_slug = {slug(s.label): s for s in specs}
        specs = [by_slug[name] for name in dict.fromkeys(args.only)]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        path = out / f"{slug(spec.label)}.json"
        if path.exists():
            print(f"done already: {path}")
            continue
        print(f"running {spec.label} ({spec.epochs} epochs) at {args.preset} -> {path}", flush=True)
        run_one(spec, scale, args.preset, out)


if __name__ == "__main__":
    main()
