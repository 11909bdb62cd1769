"""Claims AE1, AE2, VAE2 and VAE3 of the autoencoder chapters, at the `ci` preset.

The tests use seed 0. The margins were checked over seeds 0, 1 and 2 at `ci`
(the same experiments run outside pytest); the comments give the range
observed over the three seeds. VAE1 is checked by the unit tests of
lecturelib.autoencoders (closed-form KL vs Monte Carlo, gradient flow).
"""
import os

os.environ.setdefault("LECTURELIB_PRESET", "ci")

import pytest  # noqa: E402

from lecturelib.experiments import autoencoders as exp  # noqa: E402

SEED = 0


@pytest.fixture(scope="module")
def scale():
    return exp.scale("ci")


@pytest.fixture(scope="module")
def sweep(scale):
    return exp.code_size_sweep(scale, seed=SEED)


@pytest.fixture(scope="module")
def vae_run(scale):
    return exp.train("vae", scale.latent_size, scale, seed=SEED)


def test_claim_ae1_error_falls_with_code_size(sweep):
    # seeds 0-2: test error per pixel 0.524-0.546 / 0.329-0.330 / 0.208-0.212 for codes 2 / 8 / 32
    # (smallest drop between neighbours 0.117).
    errors = [h.final("test_loss") for _, h in sweep.values()]
    assert all(a > b + 0.05 for a, b in zip(errors, errors[1:])), errors


def test_claim_ae1_codes_are_better_features_as_they_grow(scale, sweep):
    # seeds 0-2: logistic regression on the codes, test accuracy 0.403-0.505 / 0.739-0.765 / 0.855-0.861
    # for codes 2 / 8 / 32 (smallest rise between neighbours 0.091).
    accuracies = [exp.code_features(model, scale, seed=SEED).final("test_acc") for model, _ in sweep.values()]
    assert all(b > a + 0.04 for a, b in zip(accuracies, accuracies[1:])), accuracies


def test_claim_ae2_linear_ae_matches_pca(scale):
    # seeds 0-2: error ratio AE / PCA 1.060-1.124 / 1.047-1.066 / 1.082-1.101 for k = 2 / 8 / 32;
    # median principal angle 5.2-11.3 degrees (k = 8) and 3.0-3.3 (k = 32). Not asserted, because
    # it does not hold at this training budget: the largest angle is 52-89 degrees at every k, and
    # at k = 2 the second angle is 72-87 degrees.
    for row in exp.linear_vs_pca(scale, seed=SEED):
        assert row["ae_error"] >= row["pca_error"] * 0.999, row   # PCA is optimal among linear codes
        assert row["ratio"] < 1.2, row
        if row["k"] >= 8:
            assert row["median_angle"] < 20.0, row


@pytest.fixture(scope="module")
def scores(scale, vae_run):
    judge, _ = exp.classifier(scale, seed=SEED)
    plain, _ = exp.train("mlp", scale.latent_size, scale, seed=SEED)
    return exp.sample_scores(plain, vae_run[0], judge, scale, seed=SEED)


def test_claim_vae2_prior_samples_score_higher(scores):
    # seeds 0-2: classifier confidence 0.608-0.624 for VAE prior samples, 0.516-0.528 for the
    # plain AE at N(0, I) codes (gap 0.083-0.108), 0.892-0.905 for test digits.
    vae_conf = scores["VAE, prior N(0, I)"]["confidence"]
    assert vae_conf > scores["autoencoder, N(0, I)"]["confidence"] + 0.04, scores
    assert scores["test digits"]["confidence"] > vae_conf + 0.1, scores


def test_claim_vae2_caveat_fitted_gaussian_beats_the_prior(scores):
    # The chapter's caveat. seeds 0-2: the plain AE decoded at a Gaussian fitted to its own codes
    # scores 0.713-0.726, above the VAE's prior samples (0.608-0.624) by 0.091-0.110.
    assert (scores["autoencoder, fitted Gaussian"]["confidence"]
            > scores["VAE, prior N(0, I)"]["confidence"] + 0.04), scores


def test_claim_vae3_elbo_improves(vae_run):
    # seeds 0-2: test ELBO -548.9 to -551.7 before training, -145.2 to -146.6 after 3 epochs,
    # rising every epoch (smallest rise, epoch 2 to 3: 10.2).
    elbo = vae_run[1]["test_elbo"]
    assert all(b > a + 2.0 for a, b in zip(elbo, elbo[1:])), elbo
    assert elbo[-1] > elbo[0] + 200.0, elbo


def test_claim_vae3_beta_trades_reconstruction_for_kl(scale):
    # seeds 0-2, beta 0.5 / 1 / 4: reconstruction 117.2-118.6 / 126.1-127.2 / 161.3-164.7 nats,
    # KL 28.4-29.8 / 19.1-19.3 / 4.6-5.1 nats (smallest step 7.5 in reconstruction, 9.3 in KL).
    runs = [h for _, h in exp.beta_sweep(scale, seed=SEED).values()]
    recon, kl = [h.final("test_recon") for h in runs], [h.final("test_kl") for h in runs]
    assert all(b > a + 3.0 for a, b in zip(recon, recon[1:])), recon
    assert all(a > b + 3.0 for a, b in zip(kl, kl[1:])), kl
