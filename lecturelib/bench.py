"""Benchmark: how fast the course trains, measured in one run on this machine.

    python -m lecturelib.bench [--samples N] [--presets ci,quick] [--skip-chapter] [--protocol-only]

On MNIST at batch size 64, for the study's MLP (784-1024-1024-10) and the
``quick`` preset's 784-256-256-10, it measures
training samples per second of

  (a) lecturelib's loop (``fit`` on tensors already on the device),
  (b) a bare hand-written loop over the same tensors,
  (c) the canonical PyTorch pipeline: torchvision ``MNIST`` with ``ToTensor`` +
      ``Normalize``, ``DataLoader(shuffle=True)`` with 0 and with 2 workers,

and prints a/b and a/c. It times the gradient sampling of the second chapter
(1000 mini-batches at each of 10 batch sizes, at the ``quick`` pool size, against
a loop of one backward pass per mini-batch on a subsample), and the article's gradient protocol
(``gradient_protocol``: seconds per trial at B = 1, 8, 64 and 1024 for the study MLP, the
hand-written step against autograd at 1 and 1024, and the full run's time estimated from them).
Then it times the batch-size chapter's experiments at
each preset asked for; for a preset not asked for it prints an estimate from
the measured seconds per epoch, labelled as such.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import data, presets
from ._checks import check_bool, check_float, check_int, check_type
from .callbacks import Evaluation
from .experiments import batch_size as bs
from .models import study_mlp
from .train import fit

BATCH = 64


def _model(hidden=(1024, 1024)):
    presets.set_seed(0)
    return study_mlp(hidden)


def lecturelib_loop(n: int, hidden=(1024, 1024)) -> float:
    d = data.mnist(train_limit=n, test_limit=1000)
    h = fit(_model(hidden), d, lr=0.01, batch_size=BATCH, epochs=1, callbacks=[Evaluation(train_limit=1000)])
    return n / h.seconds[-1]   # training time only; evaluation is timed separately by fit


def bare_loop(n: int, hidden=(1024, 1024)) -> float:
    x, y = data.load_mnist("train", limit=n)
    model = _model(hidden)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    start = time.perf_counter()
    order = torch.randperm(n)
    for i in range(0, n, BATCH):
        idx = order[i:i + BATCH]
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    return n / (time.perf_counter() - start)


def dataloader_loop(n: int, workers: int, hidden=(1024, 1024)) -> float:
    from torchvision import datasets, transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((data.MNIST_MEAN,), (data.MNIST_STD,))])
    ds = datasets.MNIST(str(data.data_root()), train=True, download=True, transform=tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=BATCH, shuffle=True, num_workers=workers)
    model = _model(hidden)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    seen = 0
    start = time.perf_counter()
    for xb, yb in loader:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
        seen += len(xb)
        if seen >= n:
            break
    return seen / (time.perf_counter() - start)


def compare_loops(n: int, hidden) -> None:
    print(f"\nMLP 784-{hidden[0]}-{hidden[1]}-10:")
    lecturelib_loop(BATCH * 5, hidden)   # warm-up: allocator and kernels
    a = lecturelib_loop(n, hidden)
    b = bare_loop(n, hidden)
    c0 = dataloader_loop(n, 0, hidden)
    c2 = dataloader_loop(n, 2, hidden)
    for name, rate in (("(a) lecturelib fit", a), ("(b) bare tensor loop", b),
                       ("(c) DataLoader, 0 workers", c0), ("(c) DataLoader, 2 workers", c2)):
        print(f"  {name:28s} {rate:10.0f} samples/s")
    print(f"  a/b = {a / b:.2f} (target >= 0.9);  a/c = {a / c0:.2f} (0 workers), {a / c2:.2f} (2 workers) "
          f"(target >= 5)")


def gradient_sampling() -> None:
    from .experiments import batch_dynamics as bd
    from .gradient_samples import sample_gradients
    from .probes import last_layer_names

    s, model_scale = bd.scale("quick"), bs.scale("quick")
    model = bs.build_model(model_scale)
    x, y = data.load_mnist("train", limit=s.pool)
    start = time.perf_counter()
    sample_gradients(model, x, y, s.batch_sizes, trials=s.trials)
    vectorized = time.perf_counter() - start
    # The direct way: one backward pass per mini-batch, timed on 20 trials per batch size.
    names = set(last_layer_names(model))
    params = [p for n, p in model.named_parameters() if n in names]
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for b in s.batch_sizes:
        for _ in range(20):
            idx = torch.randint(len(x), (b,), generator=gen)
            torch.autograd.grad(F.cross_entropy(model(x[idx]), y[idx]), params)
    loop = (time.perf_counter() - start) * s.trials / 20
    total = s.trials * len(s.batch_sizes)
    print(f"\nGradient sampling at quick ({total} mini-batches, B = 2..1024, pool {s.pool}, MLP 784-256-256-10):")
    print(f"  vectorized (per-sample gradients once, then counts @ G): {vectorized:6.1f} s")
    print(f"  one backward pass per mini-batch (extrapolated from 200): {loop:6.1f} s   speed-up x{loop / vectorized:.1f}")


def protocol_seconds_per_trial(batch_size: int, *, trials: int, fast: bool = True) -> float:
    """Seconds per trial of the gradient protocol at the study size and ``full``'s sample count."""
    from . import gradient_protocol as gp

    check_int("trials", trials, low=1)
    check_bool("fast", fast)
    x, y = data.load_mnist("train")
    model, samples = _model(), gp.scale("full").samples
    gp.summed_update_norms(model, x, y, [batch_size], trials=1, samples=samples, fast=fast)   # warm-up
    start = time.perf_counter()
    gp.summed_update_norms(model, x, y, [batch_size], trials=trials, samples=samples, fast=fast)
    return (time.perf_counter() - start) / trials


def estimate_protocol(per_trial: dict, samples: int, batch_sizes, trials: int) -> float:
    """Seconds of one regime of the protocol, from seconds per trial measured at a few batch sizes.

    A trial at batch size B takes samples/B steps. The cost of one step is
    interpolated linearly in B between the measured batch sizes: roughly a + c·B,
    with a the reading and writing of the weights (the same at every B, what
    dominates at B = 1) and c the arithmetic per sample (what dominates at 1024).
    """
    check_type("per_trial", per_trial, dict, "a dict batch size -> seconds per trial")
    samples = check_int("samples", samples, low=1)
    trials = check_int("trials", trials, low=1)
    measured = sorted(check_int("per_trial key", b, low=1, high=samples) for b in per_trial)
    step = [check_float(f"per_trial[{b}]", per_trial[b], low=0.0, low_open=True) * b / samples for b in measured]
    sizes = [check_int(f"batch_sizes[{i}]", b, low=measured[0], high=measured[-1])
             for i, b in enumerate(batch_sizes)]
    return trials * sum(samples / b * float(np.interp(b, measured, step)) for b in sizes)


def gradient_protocol(trials: int = 3) -> None:
    from . import gradient_protocol as gp

    s = gp.scale("full")
    measured = (1, 8, 64, s.samples)
    fast = {b: protocol_seconds_per_trial(b, trials=trials) for b in measured}
    slow = {b: protocol_seconds_per_trial(b, trials=trials, fast=False) for b in (1, s.samples)}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nGradient protocol at full (MLP 784-1024-1024-10, {s.samples} samples per trial, "
          f"mean of {trials} trials; load average {load:.1f} on {os.cpu_count()} cores, "
          f"so wall times include waiting for a core when it exceeds them):")
    for b in measured:
        versus = f", autograd {slow[b]:6.3f} s/trial (x{slow[b] / fast[b]:.2f})" if b in slow else ""
        print(f"  B = {b:4d}: hand-written {fast[b]:6.3f} s/trial{versus}")
    regime = estimate_protocol(fast, s.samples, s.batch_sizes, s.trials)
    print(f"  full run estimated: {regime / 60:.0f} min per regime, {2 * regime / 3600:.1f} h for both "
          f"({s.trials} trials x B = {', '.join(map(str, s.batch_sizes))}; training the two points not included)")


def new_probes() -> dict[str, float]:
    """Seconds of the sharpness and gradient-agreement probes at each preset's sizes, on the
    study MLP of that preset at its initial weights (the cost does not depend on the weights)."""
    from .experiments import batch_dynamics as bd
    from .experiments import sharpness as sh
    from .sharpness import perturbation_sharpness, top_hessian_eigenvalue

    out = {}
    for p in ("ci", "quick", "full"):
        s, net, g = sh.scale(p), bs.scale(p), bd.scale(p)
        model = bs.build_model(net)
        probe = data.mnist(train_limit=s.probe_samples, test_limit=1)
        start = time.perf_counter()
        top_hessian_eigenvalue(model, probe.x_train, probe.y_train, iters=s.power_iters, tol=0.0)
        out[f"λ_max, {s.power_iters} Hessian-vector products on {s.probe_samples:,} images, {p}"] = (
            time.perf_counter() - start)
        start = time.perf_counter()
        perturbation_sharpness(model, probe.x_train, probe.y_train, radius=1.0, samples=s.perturbations)
        out[f"loss rise, {2 * s.perturbations} perturbed evaluations, {p}"] = time.perf_counter() - start
        if p != "full":       # the agreement probe runs at ci and quick only in the chapter's budget
            start = time.perf_counter()
            bd.competition(model, g)
            out[f"gradient agreement (BS17), {p}"] = time.perf_counter() - start
    return out


def chapter_times(preset: str) -> tuple[float, int]:
    """Wall time of every run in the batch-size chapter at ``preset``, and its epoch count."""
    s = bs.scale(preset)
    specs = bs.generalization_runs(s) + bs.switching_runs(s) + bs.noise_runs(s)
    start = time.perf_counter()
    bs.run_all(specs, s, progress=False)
    return time.perf_counter() - start, sum(sp.epochs for sp in specs)


def estimate_full(seconds_per_epoch: dict) -> float:
    s = bs.scale("full")
    specs = bs.generalization_runs(s) + bs.switching_runs(s) + bs.noise_runs(s)
    total = 0.0
    for spec in specs:
        for phase in spec.schedule:
            share = s.noise_train_limit / 60_000 if spec.data == "noise" else 1.0
            total += phase.epochs * share * seconds_per_epoch(phase.batch_size)
    return total


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=60_000, help="training samples per loop measurement (one epoch: shorter runs are noisy)")
    ap.add_argument("--presets", default="ci,quick", help="comma-separated presets whose chapter runs to time")
    ap.add_argument("--skip-chapter", action="store_true", help="only the loop comparison")
    ap.add_argument("--protocol-only", action="store_true",
                    help="only the gradient protocol's seconds per trial and the full run's estimate")
    ap.add_argument("--protocol-trials", type=int, default=3, help="trials per timing of the gradient protocol")
    args = ap.parse_args(argv)
    if args.samples < BATCH:
        ap.error(f"--samples must be at least {BATCH}")
    if args.protocol_trials < 1:
        ap.error("--protocol-trials must be at least 1")
    wanted = [p for p in args.presets.split(",") if p]
    for p in wanted:
        if p not in presets.PRESETS:
            ap.error(f"--presets: {p!r} is not one of {', '.join(presets.PRESETS)}")

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {presets.device()}")
    print(f"batch size {BATCH}, {args.samples} training samples per measurement")
    data.load_mnist("train")   # decode once, outside every timing
    if args.protocol_only:
        gradient_protocol(args.protocol_trials)
        return
    for hidden in ((1024, 1024), (256, 256)):
        compare_loops(args.samples, hidden)
    gradient_sampling()
    gradient_protocol(args.protocol_trials)
    print("\nSharpness (BS15, BS16) and gradient agreement (BS17) probes, at each preset's sizes:")
    for name, seconds in new_probes().items():
        print(f"  {name:70s} {seconds:7.2f} s")

    if args.skip_chapter:
        return
    print("\nBatch-size chapter, all runs (BS1, BS2, BS3, BS14):")
    for p in wanted:
        seconds, epochs = chapter_times(p)
        print(f"  {p:6s} measured  {seconds:8.1f} s  ({epochs} epochs)")
    if "full" not in wanted:
        per_epoch = {}
        for b in (1, 4, 16, 64, 256, 1024):
            n = min(60_000, 2_000 * b) if b < 64 else 60_000
            d = data.mnist(train_limit=n, test_limit=1000)
            h = fit(_model(), d, lr=0.01, batch_size=b, epochs=1, callbacks=[Evaluation(train_limit=1000)])
            per_epoch[b] = h.seconds[-1] * 60_000 / n
        est = estimate_full(lambda b: per_epoch[b])
        print(f"  full   estimated {est:8.0f} s  (measured s/epoch at 60k images: "
              + ", ".join(f"B{b} {s:.1f}" for b, s in per_epoch.items()) + "; evaluation not included)")


if __name__ == "__main__":
    main()
