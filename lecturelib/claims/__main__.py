"""The seed sweep: every claim's rule over many seeds at ``ci``.

    python -m lecturelib.claims [--seeds 0-9] [--only BS1 BS2 ...] [--chapter batch_size ...]

For each claim it runs the rule's experiment (``measure(seed)``, at ``ci``) once per
seed and prints how many seeds gave each outcome, the range of the rule's margin and
the threshold the rule uses, beside the outcome its claim test expects at ``ci``. A
threshold is sound when every seed lands on the expected side with room to spare.
"""
from __future__ import annotations

import argparse
import os
import time
from collections import Counter

from . import CHAPTERS, OUTCOMES, load_all


def parse_seeds(text: str) -> list[int]:
    """'0-9' -> [0..9]; '0,3,5' -> [0, 3, 5]; '2' -> [2]."""
    seeds = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            if not (lo.isdigit() and hi.isdigit()) or int(hi) < int(lo):
                raise ValueError(f"seeds: {part!r} is not a range like 0-9")
            seeds += range(int(lo), int(hi) + 1)
        elif part.isdigit():
            seeds.append(int(part))
        else:
            raise ValueError(f"seeds must look like 0-9 or 0,3,5; got {text!r}")
    return seeds


def sweep(rules, seeds, *, log=print) -> list[dict]:
    """Run every rule's experiment for every seed; one summary dict per claim."""
    cache = {}
    rows = []
    for r in rules:
        outcomes, margins, started = Counter(), [], time.time()
        for seed in seeds:
            if r.measure is None:
                verdict = r.function()
            else:
                key = (r.measure, seed)
                if key not in cache:
                    cache[key] = r.measure(seed)
                verdict = r.function(cache[key])
            outcomes[verdict.outcome] += 1
            if verdict.margin is not None:
                margins.append(verdict.margin)
        rows.append({"claim": r.claim, "expected_ci": r.expected_ci, "outcomes": dict(outcomes),
                     "margin": r.margin, "min": min(margins) if margins else None,
                     "max": max(margins) if margins else None, "threshold": r.threshold,
                     "seconds": time.time() - started})
        log(format_row(rows[-1], len(seeds)), flush=True)
    return rows


def format_row(row: dict, n: int) -> str:
    counts = ", ".join(f"{o} ×{row['outcomes'][o]}" for o in OUTCOMES if o in row["outcomes"])
    ok = "ok" if row["outcomes"].get(row["expected_ci"], 0) == n else "MISS"
    rng = "—" if row["min"] is None else f"{row['min']:.4g} … {row['max']:.4g}"
    thr = "—" if row["threshold"] is None else f"{row['threshold']:g}"
    return (f"| {row['claim']} | {row['expected_ci']} | {counts} | {row['margin'] or '—'} | {rng} | {thr} "
            f"| {ok} | {row['seconds']:.0f} s |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0-9", help="seeds to run, e.g. 0-9 or 0,3,5 (default 0-9)")
    ap.add_argument("--only", nargs="*", default=None, help="claim ids to run (default: all)")
    ap.add_argument("--chapter", nargs="*", default=None, choices=CHAPTERS, help="only these chapters' claims")
    args = ap.parse_args(argv)
    os.environ["LECTURELIB_PRESET"] = "ci"
    seeds = parse_seeds(args.seeds)
    rules = load_all()
    chosen = [r for r in rules.values()
              if (args.only is None or r.claim in args.only) and (args.chapter is None or r.chapter in args.chapter)]
    if args.only:
        unknown = sorted(set(args.only) - set(rules))
        if unknown:
            ap.error(f"--only: unknown claim(s) {unknown}; known: {sorted(rules)}")
    print(f"seeds {args.seeds} ({len(seeds)}), {len(chosen)} claims, preset ci")
    print("| claim | expected at ci | outcomes | margin | range | threshold | all expected | time |")
    print("|---|---|---|---|---|---|---|---|")
    sweep(chosen, seeds)


if __name__ == "__main__":
    main()
