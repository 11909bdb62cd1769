"""Claims AE1, AE2 (autoencoders chapter) and VAE1, VAE2, VAE3 (vae chapter) at `ci`, through the
rules the chapters print (lecturelib.claims.autoencoders and lecturelib.claims.vae).

Seed sweep, seeds 0-9 (python -m lecturelib.claims --seeds 0-9 --chapter autoencoders vae):
AE1 holds x10, margin 0.064 to 0.132 against 0.02; AE2 holds with a caveat x10 (error ratio
PCA/AE 0.885 to 0.922 against 0.8, largest principal angle 52 degrees or more on every seed);
VAE1 holds x10, margin 1.77 to 4.20 standard errors against 0; VAE2 holds with a caveat x10
(confidence gap 0.084 to 0.140 against 0.04; the fitted-Gaussian baseline wins on every seed);
VAE3 holds x10, margin 7.6 to 10.3 nats against 2.
"""
import pytest

from lecturelib import claims
from lecturelib.claims import autoencoders as ae_rules
from lecturelib.claims import vae as vae_rules

SEED = claims.claim_seed()


@pytest.fixture(scope="module")
def codes():
    return ae_rules.measure_codes(SEED)


@pytest.fixture(scope="module")
def linear():
    return ae_rules.measure_linear(SEED)


@pytest.fixture(scope="module")
def samples():
    return vae_rules.measure_samples(SEED)


@pytest.fixture(scope="module")
def elbo():
    return vae_rules.measure_elbo(SEED)


@pytest.mark.claim("AE1")
def test_claim_ae1_code_compresses_maps_and_describes(codes):
    verdict = ae_rules.ae1(codes)
    assert verdict.outcome == claims.get("AE1").expected_ci, verdict.text
    assert verdict.margin > ae_rules.AE1_MIN_STEP, verdict.text


@pytest.mark.claim("AE2")
def test_claim_ae2_linear_autoencoder_and_pca(linear):
    verdict = ae_rules.ae2(linear)
    assert verdict.outcome == claims.get("AE2").expected_ci, verdict.text
    assert verdict.margin > ae_rules.AE2_MIN_ERROR_RATIO, verdict.text


@pytest.mark.claim("VAE1")
def test_claim_vae1_closed_form_kl_and_gradients_through_the_sample():
    verdict = vae_rules.vae1(vae_rules.measure_mechanics(SEED))
    assert verdict.outcome == claims.get("VAE1").expected_ci, verdict.text
    assert verdict.numbers["direct_gradient"] == 0.0, verdict.text   # the contrast the page shows


@pytest.mark.claim("VAE2")
def test_claim_vae2_prior_samples_score_higher(samples):
    verdict = vae_rules.vae2(samples)
    assert verdict.outcome == claims.get("VAE2").expected_ci, verdict.text
    assert verdict.margin > vae_rules.VAE2_MIN_CONFIDENCE_GAP, verdict.text


@pytest.mark.claim("VAE3")
def test_claim_vae3_loss_is_the_negative_elbo(elbo):
    verdict = vae_rules.vae3(elbo)
    assert verdict.outcome == claims.get("VAE3").expected_ci, verdict.text
    assert verdict.numbers["bound_gap"] > 0, verdict.text
