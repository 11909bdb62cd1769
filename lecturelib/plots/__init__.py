"""Figures from Histories, in one house style.

Every function draws on an ``ax`` you pass (or a new one) and returns it, so a
notebook can lay figures side by side. Nothing here trains or computes.

One module per kind of figure; every public name is also here, so
``from lecturelib import plots; plots.curves(...)`` reads the same whichever module
defines it:

* ``style``         axis labels, a run's legend entry (``label``), the default ``axes``;
* ``histories``     ``curves`` and ``final_bars`` of Histories, for every chapter;
* ``batch_size``    the batch-size, sharpness and batch-dynamics chapters;
* ``lr_scaling``    the learning-rate scaling chapter;
* ``batchnorm``     the batch-normalization chapter;
* ``autoencoders``  the autoencoder and VAE chapters;
* ``tuning``        the hyperparameter-tuning chapter.
"""
from .autoencoders import code_size_errors, principal_angles, rate_distortion
from .batch_size import protocol_norms, sharpness_bars, temperature, toy_paths
from .batchnorm import input_drift, running_average
from .histories import curves, final_bars
from .lr_scaling import DISTANCE_X, distance_to_optimum, lr_grid, noise_ball, seconds_to_target, steps_to_target
from .style import AXIS_LABELS, X_AXES, axes, label
from .tuning import importance_bars

__all__ = [
    "AXIS_LABELS", "X_AXES", "label", "axes", "curves", "final_bars", "lr_grid", "steps_to_target",
    "seconds_to_target", "noise_ball", "DISTANCE_X", "distance_to_optimum", "sharpness_bars", "temperature",
    "toy_paths", "code_size_errors", "principal_angles", "rate_distortion", "input_drift", "running_average",
    "importance_bars", "protocol_norms",
]
