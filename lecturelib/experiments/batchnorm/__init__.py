"""The experiments of the batch-normalization chapter (claims BN1-BN8).

Every run trains through ``lecturelib.train.fit`` on MNIST. ``ci`` and
``quick`` shrink the data, the widths and the epochs; ``full`` uses all of
MNIST. The same functions serve the notebook, the claim tests and the widget.

One module per part; every public name is also here, so ``from
lecturelib.experiments import batchnorm as bn; bn.lr_sweep(...)`` reads the same
whichever module defines it:

* ``runs``       ``Scale`` and ``SCALES`` (the sizes at each preset), ``scale``,
                 ``data``, ``build_model``, ``train`` and the shared learning rates;
* ``layer``      one BatchNorm layer on synthetic data, against torch's and its
                 formulas: ``equivalence`` and ``affine_moments`` (BN1),
                 ``affine_gradients`` and ``affine_shapes`` (BN4), ``running_average`` (BN5);
* ``forward``    forward passes without training: ``eval_train_gap`` and
                 ``train_mode_logits`` (BN5), ``bias_invariance`` (BN3);
* ``training``   training comparisons: ``placement_runs`` (BN2), ``optimizer_runs``
                 with the ``AffineChange`` probe (BN4), ``lr_sweep``, ``depth_runs`` and
                 ``layer_stats`` (BN7);
* ``mechanism``  why it works (BN6): ``drift_runs``, ``smoothness_runs``, ``freeze_runs``;
* ``relatives``  the other norms and the batch dependence (BN8): ``norm_batch_runs``.
"""
from .forward import MODE_BATCH, SMALL_BATCH, bias_invariance, eval_train_gap, train_mode_logits
from .layer import (EQUIVALENCE_SHAPES, affine_gradients, affine_moments, affine_shapes, equivalence,
                    output_moments, running_average)
from .mechanism import DRIFT_LR, DRIFT_PROBE_IMAGES, FREEZES, drift_runs, freeze_runs, smoothness_runs
from .relatives import norm_batch_runs
from .runs import (BATCH_SIZE, DEEP_LR, HIGH_LR, SCALES, SMALL_BATCH_LR, Scale, build_model, data, scale,
                   train)
from .training import OPTIMIZER_LRS, AffineChange, depth_runs, layer_stats, lr_sweep, optimizer_runs, placement_runs

__all__ = [
    "Scale", "SCALES", "BATCH_SIZE", "HIGH_LR", "DEEP_LR", "SMALL_BATCH_LR", "scale", "data", "build_model",
    "train", "EQUIVALENCE_SHAPES", "equivalence", "affine_moments", "affine_shapes", "output_moments",
    "affine_gradients", "running_average", "MODE_BATCH", "SMALL_BATCH", "train_mode_logits", "eval_train_gap",
    "bias_invariance", "placement_runs", "OPTIMIZER_LRS", "AffineChange", "optimizer_runs", "lr_sweep",
    "depth_runs", "layer_stats", "DRIFT_PROBE_IMAGES", "DRIFT_LR", "drift_runs", "smoothness_runs", "FREEZES",
    "freeze_runs", "norm_batch_runs",
]
