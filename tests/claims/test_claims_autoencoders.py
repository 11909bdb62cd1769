"""Claims AE1, AE2, VAE2 and VAE3 of the autoencoder chapters, at the `ci` preset.

UNFINISHED: the margins below rest on seed 0 only (seed 1 for AE1 too); the
3-seed check the guide asks for could not be run in this session's time. The
numbers in the comments are what the same experiments printed outside pytest. VAE1 is checked by the unit tests of
lecturelib.autoencoders (closed-form KL vs Monte Carlo, gradient flow).
"""
import pytest

from lecturelib.experiments import autoencoders as exp

SEED = 0


@pytest.fixture(scope="module")
def scale():
    return exp.scale("ci")


@pytest.fixture(scope="module")
def vae_run(scale):
    return exp.train("vae", scale.latent_size, scale, seed=SEED)


def test_claim_ae1_error_falls_with_code_size(scale):
    # seeds 0 and 1: test error per pixel 0.539-0.546 / 0.329 / 0.208-0.212 for codes 2 / 8 / 32.
    errors = [h.final("test_loss") for _, h in exp.code_size_sweep(scale, seed=SEED).values()]
    assert all(a > b + 0.05 for a, b in zip(errors, errors[1:])), errors


def test_claim_ae2_linear_ae_matches_pca(scale):
    # seed 0: error ratio AE / PCA 1.060 / 1.047 / 1.101 for k = 2 / 8 / 32;
    # median principal angle 5.2 and 3.0 degrees for k = 8 and 32 (largest 52 and 74).
    for row in exp.linear_vs_pca(scale, seed=SEED):
        assert row["ae_error"] >= row["pca_error"] * 0.999, row   # PCA is optimal among linear codes
        assert row["ratio"] < 1.2, row
        if row["k"] >= 8:
            assert row["median_angle"] < 20.0, row


def test_claim_vae2_prior_samples_score_higher(scale, vae_run):
    # seed 0: classifier confidence 0.622 for VAE prior samples, 0.528 for the plain AE
    # at N(0, I) codes, 0.905 for test digits (0.713 for the AE's fitted Gaussian, not asserted).
    judge, _ = exp.classifier(scale, seed=SEED)
    plain, _ = exp.train("mlp", scale.latent_size, scale, seed=SEED)
    scores = exp.sample_scores(plain, vae_run[0], judge, scale, seed=SEED)
    vae_conf = scores["VAE, prior N(0, I)"]["confidence"]
    assert vae_conf > scores["autoencoder, N(0, I)"]["confidence"] + 0.04, scores
    assert scores["test digits"]["confidence"] > vae_conf, scores


def test_claim_vae3_elbo_improves(scale, vae_run):
    # seed 0: test ELBO -551.7, -182.8, -155.9, -145.2 nats per image over epochs 0-3.
    elbo = vae_run[1]["test_elbo"]
    assert all(b > a for a, b in zip(elbo, elbo[1:])), elbo
    assert elbo[-1] > elbo[0] + 200.0, elbo

