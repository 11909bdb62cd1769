"""Autoencoders and variational autoencoders: models, objectives and latent-space tools.

One module per part; every public name is also here, so ``from lecturelib import
autoencoders as ae; ae.VAE(...)`` reads the same whichever module defines it:

* ``models``      the pixel spaces, ``Autoencoder``, ``ConvAutoencoder``, ``VAE`` and its
                  sampling step ``reparameterize``;
* ``objectives``  the VAE's KL and reconstruction terms, its likelihood bounds, and the
                  ``Reconstruction`` and ``ELBO`` objectives that ``lecturelib.train.fit``
                  trains with;
* ``analysis``    codes, samples, interpolations and grids of a trained model, classifier
                  scores of generated digits, PCA and principal angles;
* ``cache``       ``train_cached``: trained weights in a git-ignored ``cache/models/``
                  folder, keyed by the run's configuration and a fingerprint of the code
                  that trained them (``FINGERPRINT_MODULES``);
* ``figures``     ``show_images`` and ``show_codes``.
"""
from .analysis import (classifier_score, codes, decode, decoder_subspace, interpolate, latent_grid, pca,
                       pca_error, principal_angles, reconstruct, sample_fitted_gaussian, sample_prior)
from .cache import (CACHE_FORMAT, FINGERPRINT_MODULES, cache_dir, cache_key, cache_paths, code_fingerprint,
                    source_fingerprint, train_cached)
from .figures import show_codes, show_images
from .models import (IMAGE_SHAPE, MODELS, N_PIXELS, VAE, Autoencoder, ConvAutoencoder, _check_model, from_unit,
                     reparameterize, to_unit)
from .objectives import ELBO, Reconstruction, importance_bounds, kl_monte_carlo, kl_normal, vae_loss, vae_terms

__all__ = [
    "IMAGE_SHAPE", "N_PIXELS", "MODELS", "to_unit", "from_unit", "Autoencoder", "ConvAutoencoder", "VAE",
    "reparameterize", "kl_normal", "kl_monte_carlo", "vae_terms", "vae_loss", "importance_bounds",
    "Reconstruction", "ELBO", "codes", "reconstruct", "decode", "sample_prior", "sample_fitted_gaussian",
    "interpolate", "latent_grid", "classifier_score", "pca", "pca_error", "principal_angles",
    "decoder_subspace", "FINGERPRINT_MODULES", "CACHE_FORMAT", "cache_dir", "cache_key", "source_fingerprint",
    "code_fingerprint", "cache_paths", "train_cached", "show_images", "show_codes",
]
