"""Mini-batch gradients drawn many times at fixed weights (the batch-size chapters).

For a pool of N training samples we compute every sample's gradient once
(``per_sample_grads``, vectorized). A mini-batch of B samples drawn with
replacement is then a row of counts c (summing to B), its batch-mean gradient is
c @ G / B and its batch-sum gradient is c @ G. So 1000 trials at 10 batch sizes
cost 10 matrix products instead of 10,000 backward passes.

Drawing with replacement makes the theory exact for the pool:
E||g_B||² = ||∇L||² + tr(Σ)/B for the mean, and B²||∇L||² + B tr(Σ) for the sum,
with ∇L the pool's mean gradient and Σ the pool's (population) covariance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._checks import check_choice, check_int, check_type
from .probes import last_layer_names, per_sample_grads

REDUCTIONS = ("mean", "sum")


@dataclass
class GradientSamples:
    """Gradient norms of ``trials`` mini-batches per batch size, and the pool's statistics.

    norms[B]: the batch-MEAN gradient norm of each trial (the sum's is B times it).
    entries[B]: a random subset of the batch-mean gradient's entries, pooled over trials.
    grad_sq = ||∇L||², trace_cov = tr(Σ), both of the pool (exact for the theory lines).
    """
    batch_sizes: tuple[int, ...]
    norms: dict[int, np.ndarray]
    entries: dict[int, np.ndarray]
    grad_sq: float
    trace_cov: float
    n_params: int

    def norms_for(self, reduction: str) -> dict[int, np.ndarray]:
        check_choice("reduction", reduction, REDUCTIONS)
        return {b: v * (b if reduction == "sum" else 1) for b, v in self.norms.items()}

    def rms_norms(self, reduction: str = "mean") -> dict[int, float]:
        """sqrt(mean ||g||²) per batch size: the measured counterpart of ``expected_sq_norm``.

        Late in training a few badly fit samples dominate small batches, so the
        mean norm sits well below the root-mean-square; the theory is about the latter.
        """
        return {b: float(np.sqrt(np.mean(v ** 2))) for b, v in self.norms_for(reduction).items()}

    def expected_sq_norm(self, reduction: str, batch_size: int) -> float:
        """The theory line: E||g_B||² for the mean, E||B g_B||² for the sum."""
        check_choice("reduction", reduction, REDUCTIONS)
        b = check_int("batch_size", batch_size, low=1)
        mean_sq = self.grad_sq + self.trace_cov / b
        return mean_sq * b * b if reduction == "sum" else mean_sq

    def coefficient_of_variation(self) -> dict[int, float]:
        """std/mean of the norms per batch size (unchanged by any rescaling, e.g. μ₁₀₂₄/μ_B)."""
        return {b: float(v.std() / v.mean()) for b, v in self.norms.items()}

    def rescaled_norms(self, reference: int | None = None) -> dict[int, np.ndarray]:
        """Norms multiplied by μ_ref/μ_B so every batch size has the same mean step (BS5)."""
        reference = max(self.batch_sizes) if reference is None else reference
        check_choice("reference", reference, self.batch_sizes)
        mu_ref = self.norms[reference].mean()
        return {b: v * mu_ref / v.mean() for b, v in self.norms.items()}

    def excess_kurtosis(self, reduction: str = "mean") -> dict[int, float]:
        """Tail weight of the gradient entries per batch size (0 for a Gaussian; scale-free)."""
        check_choice("reduction", reduction, REDUCTIONS)
        out = {}
        for b, e in self.entries.items():
            z = e - e.mean()
            out[b] = float((z ** 4).mean() / (z ** 2).mean() ** 2 - 3.0)
        return out

    def count_above(self, threshold: float, reduction: str = "sum") -> dict[int, float]:
        """Fraction of gradient entries with |value| > threshold (a fixed, unnormalized cut)."""
        check_choice("reduction", reduction, REDUCTIONS)
        return {b: float((np.abs(e * (b if reduction == "sum" else 1)) > threshold).mean())
                for b, e in self.entries.items()}


def sample_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_sizes, *, trials: int = 1000,
                     seed: int = 0, names=None, entries_per_batch_size: int = 200_000) -> GradientSamples:
    """Draw ``trials`` mini-batches of each batch size from the pool (x, y) at the model's current weights.

    names: the parameters whose gradient is measured; default the last layer, as in the study.
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    batch_sizes = _check_batch_sizes(batch_sizes)
    trials = check_int("trials", trials, low=2)
    check_int("seed", seed, low=0)
    check_int("entries_per_batch_size", entries_per_batch_size, low=1)
    if len(x) < 2:
        raise ValueError(f"x must hold a pool of at least 2 samples, got {len(x)}")
    names = last_layer_names(model) if names is None else names
    was_training = model.training
    model.eval()   # the study's MLP has no dropout or BN; eval only fixes the mode
    G = per_sample_grads(model, x, y, names=names).double()
    model.train(was_training)
    n, p = G.shape
    mean = G.mean(0)
    grad_sq = float(mean @ mean)
    trace_cov = float((G * G).sum(1).mean() - grad_sq)   # population covariance of the pool
    gen = torch.Generator().manual_seed(seed)
    norms, entries = {}, {}
    for b in batch_sizes:
        idx = torch.randint(n, (trials, b), generator=gen)
        counts = torch.zeros(trials, n, dtype=G.dtype).scatter_add_(1, idx, torch.ones(trials, b, dtype=G.dtype))
        g = counts @ G / b
        norms[b] = g.norm(dim=1).numpy()
        flat = g.flatten()
        keep = torch.randperm(len(flat), generator=gen)[:entries_per_batch_size]
        entries[b] = flat[keep].numpy()
    return GradientSamples(batch_sizes, norms, entries, grad_sq, trace_cov, p)


def _check_batch_sizes(batch_sizes) -> tuple[int, ...]:
    if not isinstance(batch_sizes, (list, tuple)) or not batch_sizes:
        raise TypeError(f"batch_sizes must be a non-empty list or tuple of integers, got {batch_sizes!r}")
    return tuple(check_int(f"batch_sizes[{i}]", b, low=1) for i, b in enumerate(batch_sizes))


@dataclass
class Agreement:
    """How much the per-sample gradients of one pool agree with each other (BS17, gradient competition).

    mean_cosine: the mean cosine similarity between two different samples' gradients;
    opposing: the fraction of such pairs with a negative cosine (pairs that "compete");
    ratio[B]: mean over drawn batches of ‖mean of the batch's per-sample gradients‖ divided by the
    mean ‖per-sample gradient‖ of the same batch: 1 if all pointed the same way;
    random[B]: the same ratio if the batch's gradients kept their lengths but pointed in independent
    random directions (all cross terms zero), sqrt(Σ c_i² ‖g_i‖²) / Σ c_i ‖g_i‖ for a batch that
    holds sample i c_i times. About 1/√B when the lengths are equal, larger when a few samples
    dominate. ratio below random means the samples cancel more than chance: competition.
    mean_dot: the mean inner product g_i·g_j over pairs of different samples, in units of the
    mean ‖g_i‖²; for independent draws its expectation is ‖∇L‖² ≥ 0, whatever the samples are.
    """
    mean_cosine: float
    opposing: float
    ratio: dict[int, float]
    random: dict[int, float]
    mean_dot: float

    def excess(self, batch_size: int) -> float:
        """ratio / random at one batch size: above 1, the samples agree more than random directions."""
        b = check_choice("batch_size", batch_size, sorted(self.ratio))
        return self.ratio[b] / self.random[b]


def agreement(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_sizes, *, trials: int = 200,
              seed: int = 0, names=None, chunk: int = 1024, loss_fn=None) -> Agreement:
    """Cosines between per-sample gradients and the cancellation in their batch means, at fixed weights.

    Batches are drawn with replacement from the pool (x, y), as in ``sample_gradients``, and
    written as rows of counts, so ``trials`` batches of any size cost one matrix product.
    names: the parameters measured (default the last layer, as in the study); chunk: rows of
    the cosine matrix formed at a time; loss_fn: as in ``probes.per_sample_grads``.
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("x", x, torch.Tensor, "a torch.Tensor")
    check_type("y", y, torch.Tensor, "a torch.Tensor")
    if len(x) != len(y):
        raise ValueError(f"x and y must have equal length, got {len(x)} and {len(y)}")
    batch_sizes = _check_batch_sizes(batch_sizes)
    trials = check_int("trials", trials, low=1)
    check_int("seed", seed, low=0)
    chunk = check_int("chunk", chunk, low=1)
    if len(x) < 2:
        raise ValueError(f"x must hold at least 2 samples, got {len(x)}")
    names = last_layer_names(model) if names is None else names
    was_training = model.training
    model.eval()
    G = per_sample_grads(model, x, y, names=names, loss_fn=loss_fn).double()
    model.train(was_training)
    n = len(G)
    lengths = G.norm(dim=1)
    unit = G / lengths.clamp_min(1e-30)[:, None]
    total = unit.sum(0)
    mean_cosine = float((total @ total - (unit * unit).sum()) / (n * (n - 1)))   # Σ_{i≠j} cos / pairs
    negative = sum(int((unit[i:i + chunk] @ unit.T < 0).sum()) for i in range(0, n, chunk))
    g_sum = G.sum(0)
    mean_dot = float((g_sum @ g_sum - (lengths ** 2).sum()) / (n * (n - 1)) / (lengths ** 2).mean())
    gen = torch.Generator().manual_seed(seed)
    ratio, random = {}, {}
    for b in batch_sizes:
        idx = torch.randint(n, (trials, b), generator=gen)
        counts = torch.zeros(trials, n, dtype=G.dtype).scatter_add_(1, idx, torch.ones(trials, b, dtype=G.dtype))
        summed_length = counts @ lengths
        ratio[b] = float(((counts @ G).norm(dim=1) / summed_length).mean())
        random[b] = float(((counts ** 2 @ lengths ** 2).sqrt() / summed_length).mean())
    return Agreement(mean_cosine, negative / (n * (n - 1)), ratio, random, mean_dot)
