"""Interactive front-ends. They call the experiments; they hold no experiment logic.

Training never starts on a slider move, only from a button. Built from the
widgets that ipywidgets 7.7 (Colab) and 8.x share.

One module per panel family, named after its chapter: ``batch_size`` (BatchSizeExplorer,
GradientNormExplorer), ``padding``, ``batchnorm``, ``autoencoders`` (LatentExplorer,
AutoencoderTrainer), ``sampling``, ``lr_scaling``; ``base`` holds what every panel shares.
Each panel registers itself in ``registry`` (see there), which the tests iterate over, with an
example built from the made-up inputs of ``examples``.
Notebooks call the builders re-exported here, e.g. ``widgets.batch_size_explorer(runs=runs)``.
"""
# The panels register themselves in the order of these imports (the chapters' order).
from . import registry
from .base import WIDGET_VIEW, _check_runs, _outcome, _Panel, _RunsPanel
from .batch_size import (BATCH_SIZES, BatchSizeExplorer, GradientNormExplorer, batch_size_explorer,
                         gradient_norm_explorer)
from .padding import PaddingVisualizer, padding_visualizer
from .batchnorm import BatchNormExplorer, batchnorm_explorer
from .autoencoders import AutoencoderTrainer, LatentExplorer, autoencoder_trainer, latent_explorer
from .sampling import SamplingExplorer, sampling_explorer
from .lr_scaling import GRID_BEST, LRScalingExplorer, lr_scaling_explorer

__all__ = [
    "WIDGET_VIEW", "BATCH_SIZES", "GRID_BEST", "registry",
    "BatchSizeExplorer", "batch_size_explorer", "GradientNormExplorer", "gradient_norm_explorer",
    "PaddingVisualizer", "padding_visualizer", "BatchNormExplorer", "batchnorm_explorer",
    "LatentExplorer", "latent_explorer", "AutoencoderTrainer", "autoencoder_trainer",
    "SamplingExplorer", "sampling_explorer", "LRScalingExplorer", "lr_scaling_explorer",
]
