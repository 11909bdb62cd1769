"""lecturelib: the machinery behind the course's chapters.

One concept per module: ``presets`` (scale, device, seeding), ``data`` (MNIST
and mini-batches), ``models``, ``train`` (the one training loop), ``callbacks`` (what
``fit`` calls during a run: evaluation, warm-up, progress bar, stopping early),
``probes`` (measurements of the weights, as callbacks), ``experiments`` (named
runs per chapter), ``plots``, ``widgets``; ``bench`` is a command-line benchmark.
"""
from .presets import device, preset, set_seed

__version__ = "0.1.0"
__all__ = ["device", "preset", "set_seed", "__version__"]
