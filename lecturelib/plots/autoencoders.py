"""The autoencoder and VAE chapters: error against code size, principal angles against PCA,
rate against distortion."""
from __future__ import annotations

from .style import axes, finish


def code_size_errors(study: dict, *, ax=None, title: str | None = "reconstruction error"):
    """AE1: the test error per pixel against the code size (log axis), PCA's error with the
    same k, and the two predictors that ignore the image (the mean image, the global mean)
    as horizontal lines; ``study`` as ``experiments.autoencoders.code_size_study`` returns it."""
    if not isinstance(study, dict) or not {"errors", "pca_errors", "mean_image", "global_mean"} <= set(study):
        raise TypeError("study must be a dict with errors, pca_errors, mean_image and global_mean "
                        "(see experiments.autoencoders.code_size_study)")
    if ax is None:
        _, (ax,) = axes()
    ks = sorted(study["errors"])
    ax.plot(ks, [study["errors"][k] for k in ks], "o-", label="autoencoder")
    ax.plot(ks, [study["pca_errors"][k] for k in ks], "s--", label="PCA, same k", alpha=0.8)
    ax.axhline(study["mean_image"], color="tab:gray", ls=":", label="mean image")
    ax.axhline(study["global_mean"], color="black", ls=":", label="global mean")
    ax.set(xscale="log", xlabel="code size k", ylabel="test squared error per pixel", ylim=(0, None))
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.minorticks_off()
    finish(ax, title)
    ax.legend(fontsize="small")
    return ax


def principal_angles(rows, *, ax=None,
                     title: str | None = "angles between the linear AE's and PCA's subspaces"):
    """AE2: the principal angles (degrees, smallest first) for each k of
    ``experiments.autoencoders.linear_vs_pca``."""
    if not isinstance(rows, (list, tuple)) or not rows or not all("angles" in r for r in rows):
        raise TypeError("rows must be a non-empty list of dicts with k and angles "
                        "(see experiments.autoencoders.linear_vs_pca)")
    if ax is None:
        _, (ax,) = axes(width=6)
    for r in rows:
        ax.plot(range(1, r["k"] + 1), r["angles"], "o-", ms=3, label=f"k = {r['k']}")
    ax.set(xlabel="principal angle index (smallest first)", ylabel="angle (degrees)", ylim=(0, 90))
    finish(ax, title)
    ax.legend(fontsize="small")
    return ax


def rate_distortion(betas: dict, *, ax=None, title: str | None = "β-VAE: rate against distortion"):
    """VAE3: one point per β of a β-VAE sweep (β -> (model, History)), its final test KL
    (nats per image, horizontal) against its reconstruction term (vertical)."""
    if not isinstance(betas, dict) or not betas:
        raise TypeError("betas must be a non-empty dict of beta -> (model, History)")
    if ax is None:
        _, (ax,) = axes(width=6)
    bs = sorted(betas)
    kl = [betas[b][1].final("test_kl") for b in bs]
    recon = [betas[b][1].final("test_recon") for b in bs]
    ax.plot(kl, recon, "o-")
    for b, k, r in zip(bs, kl, recon):
        ax.annotate(f"β = {b:g}", (k, r), textcoords="offset points", xytext=(5, 5))
    ax.set(xlabel="KL (nats per image)", ylabel="reconstruction (nats per image)")
    finish(ax, title)
    return ax
