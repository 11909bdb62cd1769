"""The runs of the autoencoder and VAE chapters, at the sizes of each preset.

Every model trains through ``lecturelib.train.fit`` with Adam. At ``quick`` and
``full`` trained models are cached (``lecturelib.autoencoders.train_cached``),
so re-running a chapter skips training; at ``ci`` they always train.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from .. import autoencoders as ae
from .._checks import check_choice, check_float, check_int, check_type
from ..callbacks import ProgressBar
from ..data import Data, mnist
from ..models import ACTIVATIONS, MLP
from ..presets import ScaleTable, preset, set_seed
from ..train import History, fit

KINDS = ("mlp", "conv", "linear", "vae")


@dataclass(frozen=True)
class Scale:
    """How big the chapters' experiments are at one preset."""
    train_limit: int | None   # training images (None: all 60,000)
    test_limit: int | None    # test images (None: all 10,000)
    hidden: tuple[int, ...]   # hidden widths of the MLP encoder (mirrored in the decoder)
    epochs: int               # epochs for every autoencoder and VAE
    batch_size: int
    lr: float                 # Adam's learning rate
    code_sizes: tuple[int, ...]   # the code-size sweep (AE1)
    pca_ks: tuple[int, ...]       # code sizes of the linear AE vs PCA comparison (AE2)
    linear_epochs: int
    linear_lr: float          # the linear AE's loss is flat along small-variance directions: a larger step helps
    latent_size: int          # the VAE and AE whose samples are scored (VAE2)
    betas: tuple[float, ...]  # the beta-VAE sweep (VAE3)
    classifier_epochs: int    # the MNIST classifier that scores samples
    n_samples: int            # generated digits scored per model


SCALES = ScaleTable(Scale, {
    "ci": Scale(train_limit=5_000, test_limit=1_000, hidden=(256,), epochs=3, batch_size=64, lr=1e-3,
                code_sizes=(2, 8, 32), pca_ks=(2, 8, 32), linear_epochs=5, linear_lr=3e-3, latent_size=16,
                betas=(0.5, 1.0, 4.0), classifier_epochs=3, n_samples=1_000),
    "quick": Scale(train_limit=None, test_limit=None, hidden=(400,), epochs=5, batch_size=128, lr=1e-3,
                   code_sizes=(2, 4, 8, 16, 32, 64), pca_ks=(2, 8, 32, 64), linear_epochs=10, linear_lr=3e-3, latent_size=16,
                   betas=(0.5, 1.0, 2.0, 4.0, 8.0), classifier_epochs=3, n_samples=5_000),
    "full": Scale(train_limit=None, test_limit=None, hidden=(512, 256), epochs=30, batch_size=128, lr=1e-3,
                  code_sizes=(2, 4, 8, 16, 32, 64, 128), pca_ks=(2, 8, 32, 64, 128), linear_epochs=30, linear_lr=1e-3,
                  latent_size=16, betas=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0), classifier_epochs=10,
                  n_samples=10_000),
})


def scale(preset: str | None = None) -> Scale:
    """The ``Scale`` of the active preset (or of ``preset``)."""
    return SCALES.pick(preset)


def data(s: Scale | None = None) -> Data:
    """MNIST at this scale."""
    s = SCALES.resolve(s)
    return mnist(train_limit=s.train_limit, test_limit=s.test_limit)


def build_model(kind: str, code_size: int, s: Scale | None = None, *, seed: int = 0):
    """A fresh model of ``kind`` (mlp, conv, linear or vae) initialized from ``seed``."""
    check_choice("kind", kind, KINDS)
    s = SCALES.resolve(s)
    set_seed(seed)
    if kind == "mlp":
        return ae.Autoencoder(code_size, s.hidden)
    if kind == "linear":
        return ae.Autoencoder(code_size, ())
    if kind == "conv":
        return ae.ConvAutoencoder(code_size)
    return ae.VAE(code_size, s.hidden)


def train(kind: str, code_size: int, s: Scale | None = None, *, seed: int = 0, beta: float = 1.0,
          epochs: int | None = None, progress: bool = False):
    """Train one model and return ``(model, history)``.

    Plain autoencoders minimize squared error (``Reconstruction``); a VAE
    minimizes reconstruction + beta * KL (``ELBO``). A configuration trained
    before in this process is returned as it is, not trained again.
    """
    s = SCALES.resolve(s)
    model = build_model(kind, check_int("code_size", code_size, low=1), s, seed=seed)
    beta = check_float("beta", beta, low=0.0)
    if epochs is None:
        epochs = s.linear_epochs if kind == "linear" else s.epochs
    epochs = check_int("epochs", epochs, low=1)
    objective = ae.ELBO(beta) if kind == "vae" else ae.Reconstruction()
    label = f"{kind}, code {code_size}" + (f", β {beta:g}" if kind == "vae" else "")
    config = {"kind": kind, "code_size": code_size, "beta": beta if kind == "vae" else None,
              "epochs": epochs, "seed": seed, "scale": asdict(s), "v": 1}
    key = ae.cache_key(config)
    if key in _TRAINED:   # the same run earlier in this process (e.g. beta = 1 of the sweep)
        return _TRAINED[key]
    d = data(s)

    def run(m):
        lr = s.linear_lr if kind == "linear" else s.lr
        return fit(m, d, optimizer="adam", lr=lr, batch_size=s.batch_size, epochs=epochs,
                   objective=objective, seed=seed, label=label, callbacks=[ProgressBar(enabled=progress)])

    _TRAINED[key] = ae.train_cached(config, model, run, use_cache=preset() != "ci")
    return _TRAINED[key]


# Models trained in this process, keyed by configuration: a chapter that needs the
# same run twice trains it once, at every preset (at ``ci`` nothing goes to disk).
_TRAINED: dict = {}


def code_size_sweep(s: Scale | None = None, *, kind: str = "mlp", seed: int = 0) -> dict:
    """AE1: one autoencoder per code size; returns code size -> (model, history)."""
    s = SCALES.resolve(s)
    return {k: train(kind, k, s, seed=seed) for k in s.code_sizes}


def code_features(model, s: Scale | None = None, *, seed: int = 0) -> History:
    """AE1: a logistic-regression classifier trained on the model's codes instead of pixels."""
    s = SCALES.resolve(s)
    d = data(s)
    features = Data(ae.codes(model, d.x_train), d.y_train, ae.codes(model, d.x_test), d.y_test)
    return _logistic(features, s, seed=seed, label=f"codes of size {model.code_size}")


def pixel_features(s: Scale | None = None, *, seed: int = 0) -> History:
    """AE1's reference: the same logistic regression on the 784 raw pixels."""
    s = SCALES.resolve(s)
    d = data(s)
    flat = Data(d.x_train.flatten(1), d.y_train, d.x_test.flatten(1), d.y_test)
    return _logistic(flat, s, seed=seed, label="raw pixels")


def _logistic(features: Data, s: Scale, *, seed: int, label: str) -> History:
    set_seed(seed)
    probe = MLP(features.x_train.shape[1], (), 10)
    return fit(probe, features, optimizer="adam", lr=1e-2, batch_size=s.batch_size,
               epochs=s.classifier_epochs, seed=seed, label=label)


def baseline_errors(s: Scale | None = None) -> dict:
    """AE1's floor to beat: the test error per pixel of two predictors that ignore the image.

    ``global_mean``: every pixel predicted as the mean brightness of all training pixels
    (about 0 in the normalized space, so its error is about the variance, 1);
    ``mean_image``: each pixel predicted as its own mean over the training images (the
    mean image). The second is never worse: by the bias-variance split, a constant's
    error is the pixel's variance plus the squared distance of the constant from the
    pixel's mean.
    """
    s = SCALES.resolve(s)
    d = data(s)
    x_train, x_test = d.x_train.double(), d.x_test.double()
    return {"global_mean": float((x_test - x_train.mean()).pow(2).mean()),
            "mean_image": float((x_test - x_train.mean(dim=0)).pow(2).mean())}


def pca_basis(s: Scale | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The training images' mean and all their principal directions at this scale
    (``ae.pca``; one SVD per process and scale, shared by AE1 and AE2)."""
    s = SCALES.resolve(s)
    key = (s.train_limit,)
    if key not in _PCA:
        x = data(s).x_train
        _PCA[key] = ae.pca(x, min(len(x), ae.N_PIXELS))
    return _PCA[key]


_PCA: dict = {}


def code_size_study(s: Scale | None = None, *, seed: int = 0) -> dict:
    """AE1: the code-size sweep and everything its rule reads.

    runs: code size -> (model, history); errors: code size -> test error per pixel;
    accuracies: code size -> test accuracy of a logistic regression on the codes;
    pixel_accuracy: the same classifier on raw pixels; pca_errors: PCA's test error
    with the same k; global_mean, mean_image: the errors of ``baseline_errors``.
    """
    s = SCALES.resolve(s)
    d = data(s)
    runs = code_size_sweep(s, seed=seed)
    mean, components = pca_basis(s)
    return {"runs": runs,
            "errors": {k: h.final("test_loss") for k, (_, h) in runs.items()},
            "accuracies": {k: code_features(m, s, seed=seed).final("test_acc")
                           for k, (m, _) in runs.items()},
            "pixel_accuracy": pixel_features(s, seed=seed).final("test_acc"),
            "pca_errors": {k: ae.pca_error(d.x_test, mean, components[:k]) for k in runs},
            **baseline_errors(s)}


def linear_vs_pca(s: Scale | None = None, *, seed: int = 0) -> list[dict]:
    """AE2: for each k, a trained linear autoencoder's test error, PCA's, and how their
    k-dimensional subspaces sit relative to each other.

    angles: the principal angles between the two subspaces (degrees, smallest first);
    captured: for each of PCA's top k directions, the cosine of its angle with the
    autoencoder's subspace (1: it lies inside); variance_gap: how much less variance
    PCA's direction k+1 carries than direction k, relative to direction k (a small gap
    makes the loss nearly flat between them).
    """
    s = SCALES.resolve(s)
    d = data(s)
    mean, all_components = pca_basis(s)
    centred = d.x_train.reshape(len(d.x_train), -1).double() - mean
    rows = []
    for k in s.pca_ks:
        model, history = train("linear", k, s, seed=seed)
        components = all_components[:k]
        decoder = ae.decoder_subspace(model)
        angles = ae.principal_angles(decoder, components.T)
        basis, _ = torch.linalg.qr(decoder.double().cpu())
        captured = (components @ basis).norm(dim=1).clamp(max=1.0).numpy()
        var_k, var_next = (centred @ all_components[k - 1:k + 1].T).pow(2).mean(dim=0).tolist()
        ae_err, pca_err = history.final("test_loss"), ae.pca_error(d.x_test, mean, components)
        rows.append({"k": k, "ae_error": ae_err, "pca_error": pca_err, "ratio": ae_err / pca_err,
                     "median_angle": float(sorted(angles)[len(angles) // 2]),
                     "max_angle": float(angles.max()), "angles": angles, "captured": captured,
                     "variance_gap": (var_k - var_next) / var_k})
    return rows


def classifier(s: Scale | None = None, *, seed: int = 0):
    """An MLP classifier of MNIST digits at this scale, to score generated digits."""
    s = SCALES.resolve(s)
    set_seed(seed)
    model = MLP(784, s.hidden, 10)
    config = {"kind": "classifier", "seed": seed, "scale": asdict(s), "v": 1}

    def run(m):
        return fit(m, data(s), optimizer="adam", lr=s.lr, batch_size=s.batch_size,
                   epochs=s.classifier_epochs, seed=seed, label="classifier")

    return ae.train_cached(config, model, run, use_cache=preset() != "ci")


def sample_scores(plain, vae, judge, s: Scale | None = None, *, seed: int = 0) -> dict:
    """VAE2: classifier scores of digits decoded from random codes.

    The VAE's codes come from its prior N(0, I). The plain autoencoder has no
    prior: its codes come from the same N(0, I), and from a Gaussian fitted to
    its training codes (a stronger baseline). Real test digits are the ceiling.
    """
    s = SCALES.resolve(s)
    n = check_int("n_samples", s.n_samples, low=1)
    d = data(s)
    return {
        "test digits": ae.classifier_score(judge, d.x_test[:n]),
        "autoencoder, N(0, I)": ae.classifier_score(
            judge, ae.decode(plain, torch.randn((n, plain.code_size), generator=torch.Generator().manual_seed(seed)))),
        "autoencoder, fitted Gaussian": ae.classifier_score(
            judge, ae.sample_fitted_gaussian(plain, d.x_train, n, seed=seed)),
        "VAE, prior N(0, I)": ae.classifier_score(judge, ae.sample_prior(vae, n, seed=seed)),
    }


def beta_sweep(s: Scale | None = None, *, latent_size: int | None = None, seed: int = 0) -> dict:
    """VAE3: one VAE per beta; returns beta -> (model, history)."""
    s = SCALES.resolve(s)
    k = s.latent_size if latent_size is None else latent_size
    return {b: train("vae", k, s, seed=seed, beta=b) for b in s.betas}


def greedy_pretraining(s: Scale | None = None, *, widths=(256, 64), activation: str = "sigmoid",
                       lr: float = 0.1, epochs: int = 1, seed: int = 0) -> dict:
    """AE3 as a small demo: greedy, layer-wise pretraining of an MLP classifier.

    Each hidden layer in turn is trained, without labels, as the encoder of a one-layer
    autoencoder on the outputs of the layers below it (Adam, squared error); then the
    whole network is trained with labels by plain SGD at ``lr``. The same network from
    random weights is trained beside it. The defaults are in the spirit of 2006: sigmoid
    units and plain SGD. Returns {"pretrained": History, "random": History}.
    """
    s = SCALES.resolve(s)
    widths = tuple(check_int("widths[i]", w, low=1) for w in widths)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    epochs = check_int("epochs", epochs, low=1)
    d = data(s)
    set_seed(seed)
    pretrained = MLP(ae.N_PIXELS, widths, 10, activation=activation)
    x_train, x_test = d.x_train.flatten(1), d.x_test.flatten(1)
    layers = [m for m in pretrained.net if isinstance(m, torch.nn.Linear)][:-1]
    for depth, layer in enumerate(layers, start=1):
        encoder = torch.nn.Sequential(layer, ACTIVATIONS[activation]())
        autoencoder = torch.nn.Sequential(encoder, torch.nn.Linear(layer.out_features, layer.in_features))
        fit(autoencoder, Data(x_train, d.y_train, x_test, d.y_test), optimizer="adam", lr=s.lr,
            batch_size=s.batch_size, epochs=epochs, objective=ae.Reconstruction(), seed=seed,
            label=f"pretraining layer {depth}")
        with torch.no_grad():
            x_train, x_test = encoder(x_train), encoder(x_test)
    set_seed(seed)
    random = MLP(ae.N_PIXELS, widths, 10, activation=activation)
    return {name: fit(model, d, optimizer="sgd", lr=lr, batch_size=s.batch_size, epochs=epochs,
                      seed=seed, label=name)
            for name, model in (("pretrained", pretrained), ("random", random))}


def prior_samples_study(s: Scale | None = None, *, seed: int = 0) -> dict:
    """VAE2: a plain autoencoder and a VAE with the same latent size, the classifier that
    judges their samples, and the scores (``sample_scores``)."""
    s = SCALES.resolve(s)
    plain = train("mlp", s.latent_size, s, seed=seed)
    vae = train("vae", s.latent_size, s, seed=seed)
    judge, judge_history = classifier(s, seed=seed)
    return {"plain": plain, "vae": vae, "judge": judge,
            "judge_accuracy": judge_history.final("test_acc"),
            "scores": sample_scores(plain[0], vae[0], judge, s, seed=seed)}


BOUND_IMAGES = 500          # test images whose log-likelihood bounds VAE3 estimates
BOUND_DRAWS = (10, 100)     # draws of z per image for the importance-weighted bound


def elbo_study(s: Scale | None = None, *, seed: int = 0) -> dict:
    """VAE3: the VAE's History (the test ELBO per epoch), the beta sweep, and bounds on
    log p(x) for the first ``BOUND_IMAGES`` test images: the ELBO averaged over 100
    draws and the importance-weighted bound with 10 and 100 draws (``ae.importance_bounds``)."""
    s = SCALES.resolve(s)
    model, history = train("vae", s.latent_size, s, seed=seed)
    x = data(s).x_test[:BOUND_IMAGES]
    bounds = {n: ae.importance_bounds(model, x, n, seed=seed) for n in BOUND_DRAWS}
    return {"vae": (model, history), "betas": beta_sweep(s, seed=seed),
            "elbo": float(bounds[max(BOUND_DRAWS)]["elbo"].mean()),
            "iwae": {n: float(b["iwae"].mean()) for n, b in bounds.items()},
            "images": len(x)}


def kl_check(seed: int = 0, *, draws=(10, 1_000, 100_000)) -> dict:
    """VAE1: the closed-form KL of four random diagonal Gaussians (3-D) against
    Monte-Carlo estimates with each number of ``draws``, and the standard error of
    each estimate.

    The standard error uses the exact variance of one draw of log q(z) - log p(z):
    per dimension it is mu*sigma*eps + (sigma^2 - 1) * eps^2 / 2 plus a constant, whose
    variance is mu^2 sigma^2 + (sigma^2 - 1)^2 / 2 (eps ~ N(0, 1), Var eps^2 = 2).
    """
    check_int("seed", seed, low=0)
    g = torch.Generator().manual_seed(seed)
    mu, logvar = torch.randn(4, 3, generator=g), 0.5 * torch.randn(4, 3, generator=g)
    var = logvar.exp()
    per_draw = (mu.pow(2) * var + 0.5 * (var - 1).pow(2)).sum(dim=1)
    return {"mu": mu, "logvar": logvar, "exact": ae.kl_normal(mu, logvar),
            "mc": {n: ae.kl_monte_carlo(mu, logvar, n,
                                        generator=torch.Generator().manual_seed(seed + 1))
                   for n in draws},
            "se": {n: (per_draw / n).sqrt() for n in draws}}


def gradient_check(seed: int = 0) -> dict:
    """VAE1: do gradients reach mu and sigma through the sample?

    Toy: z = reparameterize(mu, logvar) for one 2-D Gaussian and f = sum z^2; autograd's
    gradients against the chain rule's 2z (for mu) and z * sigma * eps (for log sigma^2),
    and the gradients when z is drawn with ``torch.normal`` instead.
    VAE: an untrained VAE at ci size on 64 training images; the norm of the
    reconstruction term's gradient at the encoder's mu and logvar layers, with z
    reparameterized and with z drawn by ``torch.normal``.
    """
    check_int("seed", seed, low=0)
    mu = torch.tensor([[0.5, -1.0]], requires_grad=True)
    logvar = torch.tensor([[0.0, -0.5]], requires_grad=True)
    z = ae.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(seed))
    z.pow(2).sum().backward()
    sigma = torch.exp(0.5 * logvar.detach())
    eps = (z.detach() - mu.detach()) / sigma
    predicted = {"mu": 2 * z.detach(), "logvar": z.detach() * sigma * eps}
    mu_d, logvar_d = mu.detach().clone().requires_grad_(), logvar.detach().clone().requires_grad_()
    torch.manual_seed(seed)
    torch.normal(mu_d, torch.exp(0.5 * logvar_d)).pow(2).sum().backward()

    s = scale("ci")
    x = data(s).x_train[:64]
    norms = {}
    for way in ("reparameterized", "torch.normal"):
        model = build_model("vae", s.latent_size, s, seed=seed)
        m, lv = model.encode(x)
        zz = ae.reparameterize(m, lv) if way == "reparameterized" else torch.normal(m, torch.exp(0.5 * lv))
        recon = torch.nn.functional.binary_cross_entropy_with_logits(
            model.decode_logits(zz), ae.to_unit(x), reduction="sum") / len(x)
        recon.backward()
        norms[way] = {"mu": float(model.mu.weight.grad.norm()),
                      "logvar": float(model.logvar.weight.grad.norm())}
    return {"z": z.detach(), "autograd": {"mu": mu.grad, "logvar": logvar.grad},
            "chain_rule": predicted, "direct": {"mu": mu_d.grad, "logvar": logvar_d.grad},
            "vae_grad_norms": norms}


def vae_mechanics(seed: int = 0) -> dict:
    """VAE1: ``kl_check`` and ``gradient_check`` together (what the rule reads)."""
    return {"kl": kl_check(seed), "gradients": gradient_check(seed)}
