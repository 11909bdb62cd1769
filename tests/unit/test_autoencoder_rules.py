"""The rules of AE1, AE2, VAE1-VAE3 on made-up measurements (every outcome they can return), and
the measurements behind them that need no training: the KL check's standard error, the
importance-weighted bound, the gradient check."""
import numpy as np
import pytest
import torch

from lecturelib import autoencoders as ae
from lecturelib import claims
from lecturelib.claims import CAVEAT, FAILS, HOLDS
from lecturelib.claims import autoencoders as ae_rules
from lecturelib.claims import vae as vae_rules
from lecturelib.experiments import autoencoders as exp
from lecturelib.train import History


def test_rules_are_registered_with_their_chapters_and_tests():
    rules = claims.load_all()
    for claim, chapter in [("AE1", "autoencoders"), ("AE2", "autoencoders"), ("VAE1", "vae"),
                           ("VAE2", "vae"), ("VAE3", "vae")]:
        assert rules[claim].chapter == chapter and rules[claim].test.startswith(f"test_claim_{claim.lower()}_")
        assert rules[claim].measure is not None and rules[claim].threshold is not None
    assert claims.TEXT_ONLY["AE3"][0] == "autoencoders"


# --- AE1 -------------------------------------------------------------------------------------

def _codes(errors=(0.5, 0.3, 0.2), accuracies=(0.45, 0.75, 0.85)):
    return {"errors": dict(zip((2, 8, 32), errors)), "accuracies": dict(zip((2, 8, 32), accuracies)),
            "pixel_accuracy": 0.87, "mean_image": 0.68, "global_mean": 0.94}


def test_ae1_outcomes():
    v = ae_rules.ae1(_codes())
    assert v.outcome == HOLDS and v.margin == pytest.approx(0.10)
    assert "mean image" in v.sentence and "0.680" in v.sentence and "0.940" in v.sentence
    v = ae_rules.ae1(_codes(accuracies=(0.45, 0.85, 0.855)))
    assert v.outcome == CAVEAT and "between codes of 8 and 32" in v.sentence
    assert ae_rules.ae1(_codes(errors=(0.5, 0.3, 0.299))).outcome == FAILS
    assert ae_rules.ae1(_codes(errors=(0.7, 0.3, 0.2))).outcome == FAILS     # worse than the mean image
    with pytest.raises(ValueError, match="study must hold"):
        ae_rules.ae1({"errors": {}})
    with pytest.raises(ValueError, match="same 2\\+ code sizes"):
        ae_rules.ae1({**_codes(), "accuracies": {2: 0.4}})


# --- AE2 -------------------------------------------------------------------------------------

def _row(k, ratio, max_angle):
    angles = np.linspace(1.0, max_angle, k)
    captured = np.cos(np.radians(angles))
    return {"k": k, "ae_error": 0.5 * ratio, "pca_error": 0.5, "ratio": ratio,
            "median_angle": float(np.median(angles)), "max_angle": max_angle, "angles": angles,
            "captured": captured, "variance_gap": 0.05}


def test_ae2_outcomes():
    assert ae_rules.ae2([_row(2, 1.05, 5.0), _row(8, 1.02, 10.0)]).outcome == HOLDS
    v = ae_rules.ae2([_row(2, 1.05, 80.0), _row(8, 1.02, 40.0)])
    assert v.outcome == CAVEAT and v.margin == pytest.approx(1 / 1.05)
    assert "k = 2" in v.sentence and "principal angle is 80°" in v.sentence and "direction 2 keeps" in v.sentence
    assert ae_rules.ae2([_row(2, 1.5, 5.0)]).outcome == FAILS
    with pytest.raises(ValueError, match="one row per k"):
        ae_rules.ae2([])


# --- VAE1 ------------------------------------------------------------------------------------

def test_kl_check_standard_error_is_the_per_draw_spread():
    check = exp.kl_check(3, draws=(10,))
    mu, logvar = check["mu"], check["logvar"]
    eps = torch.randn((200_000, *mu.shape), generator=torch.Generator().manual_seed(0))
    z = mu + torch.exp(0.5 * logvar) * eps
    per_draw = (-0.5 * (eps.pow(2) + logvar) + 0.5 * z.pow(2)).sum(dim=2)   # log q - log p
    assert torch.allclose(per_draw.std(dim=0) / 10 ** 0.5, check["se"][10], rtol=0.02)


def test_vae1_holds_on_the_real_checks_and_fails_on_a_wrong_kl():
    mechanics = exp.vae_mechanics(0)
    assert vae_rules.vae1(mechanics).outcome == HOLDS
    wrong = {**mechanics, "kl": {**mechanics["kl"], "exact": mechanics["kl"]["exact"] + 0.5}}   # "-1" forgotten
    assert vae_rules.vae1(wrong).outcome == FAILS
    grads = mechanics["gradients"]
    broken = {**mechanics, "gradients": {**grads, "vae_grad_norms": {
        **grads["vae_grad_norms"], "reparameterized": {"mu": 0.0, "logvar": 0.0}}}}
    assert vae_rules.vae1(broken).outcome == FAILS


def test_gradient_check_matches_the_chain_rule_and_direct_sampling_passes_nothing():
    g = exp.gradient_check(1)
    for p in ("mu", "logvar"):
        assert torch.allclose(g["autograd"][p], g["chain_rule"][p])
        assert torch.equal(g["direct"][p], torch.zeros_like(g["direct"][p]))
    assert g["vae_grad_norms"]["reparameterized"]["mu"] > 0
    assert g["vae_grad_norms"]["torch.normal"] == {"mu": 0.0, "logvar": 0.0}


# --- VAE2 ------------------------------------------------------------------------------------

def _scores(vae=(0.62, 0.90), plain=(0.53, 0.92), fitted=(0.71, 0.97)):
    table = {vae_rules.PRIOR: vae, vae_rules.PLAIN: plain, vae_rules.FITTED: fitted,
             vae_rules.REAL: (0.90, 0.995)}
    return {"scores": {k: {"confidence": c, "balance": b, "counts": [1] * 10} for k, (c, b) in table.items()},
            "judge_accuracy": 0.9}


def test_vae2_weighs_confidence_and_balance():
    v = vae_rules.vae2(_scores())
    assert v.outcome == CAVEAT and "fitted" in v.sentence and "less than the tolerance" in v.sentence
    assert "weighs both scores" in v.sentence and v.margin == pytest.approx(0.09)
    v = vae_rules.vae2(_scores(fitted=(0.60, 0.95)))
    assert v.outcome == HOLDS and "does not beat it" in v.sentence
    assert vae_rules.vae2(_scores(fitted=(0.65, 0.99))).outcome == HOLDS   # ahead by less than 0.04
    v = vae_rules.vae2(_scores(vae=(0.62, 0.75), fitted=(0.60, 0.95)))    # confident, but one-sided
    assert v.outcome == CAVEAT and "two scores disagree" in v.sentence and "less varied" in v.sentence
    v = vae_rules.vae2(_scores(vae=(0.55, 0.99)))                          # varied, not more digit-like
    assert v.outcome == FAILS
    with pytest.raises(ValueError, match="scores must hold"):
        vae_rules.vae2({"scores": {}})


# --- VAE3 ------------------------------------------------------------------------------------

def _history(**values):
    h = History("x", {})
    h.values = {k: list(v) for k, v in values.items()}
    return h


def _elbo(curve=(-550, -180, -155, -145), recon=(118, 126, 161), kl=(28, 19, 5), iwae=-139.0):
    betas = {b: (None, _history(test_recon=[r], test_kl=[k])) for b, r, k in zip((0.5, 1.0, 4.0), recon, kl)}
    return {"vae": (None, _history(test_elbo=curve)), "betas": betas, "elbo": -144.0,
            "iwae": {10: -141.0, 100: iwae}, "images": 500}


def test_vae3_outcomes():
    v = vae_rules.vae3(_elbo())
    assert v.outcome == HOLDS and v.margin == pytest.approx(8) and "+5.0 nats from the" in v.sentence
    assert "rising in every epoch" in v.sentence
    v = vae_rules.vae3(_elbo(curve=(-550, -180, -181, -180.5)))   # a converged run may dip
    assert v.outcome == HOLDS and "falls by 1.0 in one epoch" in v.sentence
    assert vae_rules.vae3(_elbo(kl=(28, 29, 5))).outcome == CAVEAT
    assert vae_rules.vae3(_elbo(curve=(-550, -500, -480, -470))).outcome == FAILS   # rises 80 nats
    assert vae_rules.vae3(_elbo(iwae=-150.0)).outcome == FAILS
    with pytest.raises(ValueError, match="2\\+ betas"):
        vae_rules.vae3({**_elbo(), "betas": {}})


# --- the importance-weighted bound -----------------------------------------------------------

def test_importance_bounds_obey_jensen():
    torch.manual_seed(0)
    model = ae.VAE(3, (16,))
    x = torch.randn(7, 1, 28, 28)
    b = ae.importance_bounds(model, x, 20, seed=1, chunk=3)
    assert b["elbo"].shape == b["iwae"].shape == (7,)
    assert (b["iwae"] >= b["elbo"] - 1e-4).all()                  # log of a mean >= mean of the logs
    one = ae.importance_bounds(model, x, 1, seed=1)
    assert torch.allclose(one["elbo"], one["iwae"])
    again = ae.importance_bounds(model, x, 20, seed=1, chunk=3)   # same draws: repeatable
    assert torch.allclose(again["iwae"], b["iwae"], atol=1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda: ae.importance_bounds(ae.Autoencoder(2), torch.zeros(1, 1, 28, 28), 2), "VAE"),
    (lambda: ae.importance_bounds(ae.VAE(2), torch.zeros(1, 784), 2), r"x must have shape \(n, 1, 28, 28\)"),
    (lambda: ae.importance_bounds(ae.VAE(2), torch.zeros(1, 1, 28, 28), 0), "n_samples must be >= 1"),
    (lambda: ae.importance_bounds(ae.VAE(2), torch.zeros(1, 1, 28, 28), 2, chunk=0), "chunk must be >= 1"),
    (lambda: exp.kl_check(-1), "seed must be >= 0"),
    (lambda: exp.gradient_check("0"), "seed must be an integer"),
    (lambda: exp.code_size_study("ci"), "s must be a lecturelib.experiments.autoencoders.Scale"),
    (lambda: exp.elbo_study("ci"), "s must be a lecturelib.experiments.autoencoders.Scale"),
    (lambda: exp.prior_samples_study(1), "s must be a lecturelib.experiments.autoencoders.Scale"),
    (lambda: exp.baseline_errors("ci"), "s must be a lecturelib.experiments.autoencoders.Scale"),
])
def test_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_baselines_mean_image_never_worse_than_the_global_mean():
    b = exp.baseline_errors(exp.scale("ci"))
    assert 0 < b["mean_image"] < b["global_mean"]
