"""Rules of the VAE chapter: VAE1 (encode a distribution, sample by reparameterization,
back-propagate reconstruction + KL), VAE2 (the KL term makes prior samples decode into data)
and VAE3 (the loss is the negative ELBO, a bound on log p(x); the β-VAE trade-off).

Thresholds come from the seed sweep at ``ci`` (``python -m lecturelib.claims --seeds 0-9
--chapter vae``); the comments give the spread it measured.
"""
from __future__ import annotations

from . import CAVEAT, FAILS, HOLDS, Verdict, rule
from ..experiments import autoencoders as exp

# VAE1: the closed-form KL must lie within this many standard errors of the Monte-Carlo
# estimate with the most draws (100,000), for all four test Gaussians. The standard error is
# exact (experiments.autoencoders.kl_check), so |z| > 5 has a chance of about 6e-7 per
# Gaussian when the formula is right, while a wrong term (e.g. a missing -1) shifts z by
# hundreds. Seeds 0-9 at ci: the largest |z| was 0.80 to 3.23, the margin 5 - max |z| 1.77 to
# 4.20. Autograd matched the chain rule to 1.2e-7 or better.
VAE1_MAX_Z = 5.0
VAE1_GRAD_TOL = 1e-5

# VAE2 weighs both of the classifier's scores. The VAE's prior samples must be more confident
# than the plain autoencoder's at the same N(0, I) codes by VAE2_MIN_CONFIDENCE_GAP, and not less
# balanced by more than VAE2_BALANCE_TOL. Seeds 0-9 at ci: the confidence gap was 0.084 to
# 0.140; the balance gap -0.054 to +0.067 with mean +0.003 and standard deviation 0.037, so a
# balance difference below 0.1 (2.7 standard deviations; a balance b means 10^b equally used
# digits) is within what changes from seed to seed. The plain autoencoder at a Gaussian fitted
# to its own codes beat the VAE's confidence by 0.066 to 0.111 on every seed, so by the same
# standard (0.04) it wins at ci: holds with a caveat x10. At quick (seed 0) it was ahead by
# only 0.008 and less balanced, so the VAE ties with it there.
VAE2_MIN_CONFIDENCE_GAP = 0.04
VAE2_BALANCE_TOL = 0.1

# VAE3: training must raise the test ELBO by VAE3_MIN_RISE nats per image overall (its end
# against its start; a run that converges may gain little in its last epochs, so single epochs
# are reported, not tested), the importance-weighted estimate must lie above the ELBO, and
# every larger β must raise the reconstruction term and lower the KL term by VAE3_MIN_STEP
# nats. Seeds 0-9 at ci: the ELBO rose by 402 to 409 nats (and by at least 8.8 in every
# epoch); the smallest β step, the margin, was 7.6 to 10.3 nats; the importance-weighted bound
# (100 draws) lay 4.2 to 4.7 nats above the ELBO. At quick (seed 0) the last epoch still added
# 1.1 nats and the smallest β step was 4.6 (the KL from β = 4 to 8).
VAE3_MIN_RISE = 100.0
VAE3_MIN_STEP = 2.0


def measure_mechanics(seed: int) -> dict:
    return exp.vae_mechanics(seed)


def measure_samples(seed: int) -> dict:
    return exp.prior_samples_study(exp.scale("ci"), seed=seed)


def measure_elbo(seed: int) -> dict:
    return exp.elbo_study(exp.scale("ci"), seed=seed)


@rule("VAE1", chapter="vae", test="test_claim_vae1_closed_form_kl_and_gradients_through_the_sample",
      paraphrase="A VAE encodes x as (μ, σ), samples z = μ + σ·ε, decodes, and back-propagates "
                 "reconstruction error plus KL(q(z|x) ‖ N(0, I)).",
      measure=measure_mechanics, threshold=0.0, expected_ci=HOLDS,
      margin=f"{VAE1_MAX_Z:g} − the largest |closed form − Monte Carlo| in standard errors "
             "(100,000 draws)")
def vae1(mechanics: dict) -> Verdict:
    """Holds when the closed-form KL agrees with the Monte-Carlo estimate within VAE1_MAX_Z
    standard errors, autograd's gradients through z = μ + σ·ε equal the chain rule's, and the
    reconstruction term of a real VAE sends a nonzero gradient to the encoder's μ and log σ²
    layers. Otherwise does not hold."""
    kl, grads = mechanics["kl"], mechanics["gradients"]
    n = max(kl["mc"])
    z = ((kl["mc"][n] - kl["exact"]) / kl["se"][n]).abs()
    chain_error = max(float((grads["autograd"][p] - grads["chain_rule"][p]).abs().max())
                      for p in ("mu", "logvar"))
    direct = max(float(grads["direct"][p].abs().max()) for p in ("mu", "logvar"))
    norms = grads["vae_grad_norms"]
    reached = min(norms["reparameterized"].values())
    margin = VAE1_MAX_Z - float(z.max())
    numbers = {"max_z": float(z.max()), "draws": n, "max_abs_diff": float((kl["mc"][n] - kl["exact"]).abs().max()),
               "chain_rule_error": chain_error, "direct_gradient": direct, "vae_grad_norms": norms}
    facts = (f"With {n:,} draws the Monte-Carlo KL is at most {float(z.max()):.1f} standard errors "
             f"({numbers['max_abs_diff']:.4f} nats) from the closed form, over the four Gaussians. Autograd's gradients through "
             f"z = μ + σ·ε equal the chain rule's (largest difference {chain_error:.1g}). In an untrained VAE the "
             f"reconstruction term alone sends gradients of norm {norms['reparameterized']['mu']:.3g} "
             f"and {norms['reparameterized']['logvar']:.3g} to the encoder's μ and log σ² layers; "
             f"with z drawn by torch.normal instead they are "
             f"{norms['torch.normal']['mu']:.3g} and {norms['torch.normal']['logvar']:.3g}.")
    if margin <= 0 or chain_error > VAE1_GRAD_TOL or not reached > 0:
        return Verdict("VAE1", FAILS, facts + " A piece of the mechanism does not check out.",
                       numbers, margin)
    return Verdict("VAE1", HOLDS, facts + " The KL has the closed form the loss uses, and the "
                   "reparameterized sample is what carries the reconstruction's gradient to μ and σ.",
                   numbers, margin)


PLAIN, FITTED, PRIOR, REAL = ("autoencoder, N(0, I)", "autoencoder, fitted Gaussian",
                              "VAE, prior N(0, I)", "test digits")


def _digits(balance: float) -> float:
    """A balance b (entropy / log 10) as the number of equally used digit classes, 10^b."""
    return 10 ** balance


@rule("VAE2", chapter="vae", test="test_claim_vae2_prior_samples_score_higher",
      paraphrase="The KL term regularizes the latent space so that prior samples decode into new "
                 "data; a plain autoencoder's latent space has holes.",
      measure=measure_samples, threshold=VAE2_MIN_CONFIDENCE_GAP, expected_ci=CAVEAT,
      margin="classifier confidence, VAE prior samples − plain autoencoder at N(0, I) codes")
def vae2(study: dict) -> Verdict:
    """Weighs both classifier scores: confidence (do the samples look like some digit?) and
    balance (do they cover the ten digits?). The VAE wins against a baseline when it is more
    confident by VAE2_MIN_CONFIDENCE_GAP and not less balanced by more than VAE2_BALANCE_TOL.
    Holds when it wins against the plain autoencoder at N(0, I) codes and the plain
    autoencoder at a Gaussian fitted to its own codes does not win against it by the same
    standard; holds with a caveat when it wins but is less balanced beyond the tolerance, or
    the fitted baseline wins against it; does not hold when it is not more confident."""
    scores = study["scores"]
    missing = {PLAIN, FITTED, PRIOR, REAL} - set(scores)
    if missing:
        raise ValueError(f"scores must hold {sorted(missing)} (see experiments.autoencoders.sample_scores)")
    conf = {k: v["confidence"] for k, v in scores.items()}
    bal = {k: v["balance"] for k, v in scores.items()}
    conf_gap, bal_gap = conf[PRIOR] - conf[PLAIN], bal[PRIOR] - bal[PLAIN]
    fitted_conf_gap, fitted_bal_gap = conf[FITTED] - conf[PRIOR], bal[FITTED] - bal[PRIOR]
    # The fitted baseline beats the VAE by the same standard the VAE must meet against the plain
    # autoencoder: more confident by the minimum gap, and not less balanced beyond the tolerance.
    fitted_wins = fitted_conf_gap >= VAE2_MIN_CONFIDENCE_GAP and fitted_bal_gap >= -VAE2_BALANCE_TOL
    numbers = {"confidence": conf, "balance": bal, "confidence_gap": conf_gap, "balance_gap": bal_gap,
               "fitted_confidence_gap": fitted_conf_gap, "fitted_balance_gap": fitted_bal_gap,
               "judge_accuracy": study.get("judge_accuracy")}
    weigh = (f"The rule weighs both scores: the VAE must be more confident by at least "
             f"{VAE2_MIN_CONFIDENCE_GAP:g} and not less balanced by more than {VAE2_BALANCE_TOL:g}. ")
    facts = (weigh + f"Decoded from N(0, I) codes, the VAE's samples get a confidence of "
             f"{conf[PRIOR]:.3f} against the plain autoencoder's {conf[PLAIN]:.3f} "
             f"({conf_gap:+.3f}), and a balance of {bal[PRIOR]:.3f} against {bal[PLAIN]:.3f} "
             f"({bal_gap:+.3f}, that is {_digits(bal[PRIOR]):.1f} against {_digits(bal[PLAIN]):.1f} "
             f"equally used digits); real test digits score {conf[REAL]:.3f} and {bal[REAL]:.3f}.")
    if conf_gap < VAE2_MIN_CONFIDENCE_GAP:
        return Verdict("VAE2", FAILS, facts + " The prior samples do not look more like digits than "
                       "the plain autoencoder's at the same codes.", numbers, conf_gap)
    if bal_gap >= 0:
        weighed = " So the VAE wins on confidence, and the balance goes its way too."
    elif bal_gap >= -VAE2_BALANCE_TOL:
        weighed = (" So the VAE wins on confidence; its balance is lower, but by less than the "
                   "tolerance (a little under three times the balance gap's standard deviation "
                   "from one training seed to the next at ci), so the balance does not change the "
                   "outcome.")
    else:
        weighed = (" The two scores disagree: the VAE's samples look more like digits but cover "
                   "fewer kinds of digit, by more than the tolerance.")
    caveats = []
    if bal_gap < -VAE2_BALANCE_TOL:
        caveats.append("a VAE whose samples are less varied is only half of what the claim promises")
    if fitted_wins:
        caveats.append(f"the plain autoencoder decoded at a Gaussian fitted to its own training codes "
                       f"scores {conf[FITTED]:.3f} and {bal[FITTED]:.3f}, above the VAE on "
                       f"confidence: the holes are real, but a density fitted after training avoids "
                       f"many of them, and what the KL term buys for certain is a known prior to "
                       f"sample from, with nothing to fit")
    if caveats:
        return Verdict("VAE2", CAVEAT, facts + weighed + " The caveat: " + "; and ".join(caveats) + ".",
                       numbers, conf_gap)
    return Verdict("VAE2", HOLDS, facts + weighed + f" The stronger baseline, the plain autoencoder "
                   f"decoded at a Gaussian fitted to its own training codes, does not beat it by "
                   f"that standard either ({conf[FITTED]:.3f} and {bal[FITTED]:.3f}): the VAE's "
                   f"prior is as good a place to sample as a density fitted after training.",
                   numbers, conf_gap)


@rule("VAE3", chapter="vae", test="test_claim_vae3_loss_is_the_negative_elbo",
      paraphrase="\"Variational\" comes from variational inference: the loss is the negative ELBO, "
                 "a lower bound on log p(x).",
      measure=measure_elbo, threshold=VAE3_MIN_STEP, expected_ci=HOLDS,
      margin="smallest step across β in nats: the rise of the reconstruction term or the fall "
             "of the KL, whichever is smaller")
def vae3(study: dict) -> Verdict:
    """Holds when training raises the test ELBO by VAE3_MIN_RISE nats overall, the
    importance-weighted estimate lies above the ELBO (the bound is not tight), and each larger β
    trades reconstruction for KL by at least VAE3_MIN_STEP nats in each term. With the β
    trade-off not monotone: holds with a caveat. ELBO not rising, or no gap: does not hold."""
    _, history = study["vae"]
    elbo = list(history["test_elbo"])
    betas = sorted(study["betas"])
    if len(elbo) < 2 or len(betas) < 2:
        raise ValueError("study needs an ELBO curve of 2+ entries and 2+ betas "
                         "(see experiments.autoencoders.elbo_study)")
    recon = [study["betas"][b][1].final("test_recon") for b in betas]
    kl = [study["betas"][b][1].final("test_kl") for b in betas]
    epoch_rises = [b - a for a, b in zip(elbo, elbo[1:])]
    steps = [b - a for a, b in zip(recon, recon[1:])] + [a - b for a, b in zip(kl, kl[1:])]
    draws = max(study["iwae"])
    gap = study["iwae"][draws] - study["elbo"]
    rise = elbo[-1] - elbo[0]
    margin = min(steps)
    numbers = {"elbo_curve": elbo, "elbo_rise": rise, "betas": betas, "recon": recon, "kl": kl,
               "elbo_estimate": study["elbo"], "iwae": study["iwae"], "bound_gap": gap}
    every = ("rising in every epoch" if min(epoch_rises) > 0 else
             f"though it falls by {-min(epoch_rises):.1f} in one epoch")
    facts = (f"The test ELBO goes from {elbo[0]:.1f} nats per image before training to "
             f"{elbo[-1]:.1f} after {len(elbo) - 1} epochs, {every} (the last epoch adds "
             f"{epoch_rises[-1]:.1f}). From β = {betas[0]:g} to β = {betas[-1]:g} the reconstruction "
             f"term goes from {recon[0]:.1f} to {recon[-1]:.1f} nats and the KL term from "
             f"{kl[0]:.1f} to {kl[-1]:.1f}. On {study['images']} test images the importance-weighted "
             f"estimate with {draws} draws is {study['iwae'][draws]:.1f}, {gap:+.1f} nats from the "
             f"ELBO, {study['elbo']:.1f}" + (": the ELBO is a bound below log p(x), not log p(x) "
                                              "itself." if gap > 0 else "."))
    if rise < VAE3_MIN_RISE or not gap > 0:
        return Verdict("VAE3", FAILS, facts + " Training does not raise the bound clearly, or the "
                       "tighter estimate does not lie above it.", numbers, margin)
    if margin < VAE3_MIN_STEP:
        return Verdict("VAE3", CAVEAT, facts + " The β sweep does not trade reconstruction for KL "
                       "at every step.", numbers, margin)
    return Verdict("VAE3", HOLDS, facts + " Minimizing the loss raises the bound, and β moves the "
                   "balance between its two terms as the β-VAE paper describes.", numbers, margin)
