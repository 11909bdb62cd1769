"""The experiments of the learning-rate-scaling chapter (claims LR1-LR3, BS12, BS13).

* ``grid``: test accuracy after a fixed budget of *epochs* for every batch size
  x learning rate pair, for SGD with and without warm-up and for Adam. A fixed
  number of samples means a large batch takes fewer steps: the honest
  comparison. ``best_lrs`` smooths each row's best learning rate (a parabola in
  log lr through the row's maximum and its neighbours) and ``scaling_exponent``
  fits log(best lr) = a + k log(B): k = 1 is the linear rule of Goyal et al.
  (2017), k = 1/2 the square-root rule.
* ``steps_to_target``: optimizer steps (and training seconds) until the test
  accuracy first reaches a target, each batch size at its tuned learning rate;
  ``critical_batch`` fits S = S_min (1 + B_crit / B) (McCandlish et al. 2018)
  and ``noise_scale`` measures B_noise = tr(Sigma) / |G|^2 at the weights where
  the target is reached.
* the convex case: softmax regression on 7x7 average-pooled pixels with an L2
  term, whose optimum ``convex_optimum`` finds with full-batch L-BFGS; the
  distance to it after SGD at a fixed learning rate (``noise_ball``), and a
  decaying-lr schedule against a growing-batch one (``schedules``).

* the chapter's tables: ``best_lr_rows``, ``ridge_rows``, ``target_rows``, ``doubling_rows``,
  ``noise_ball_rows``, ``schedule_rows``. The verdicts are not computed here: the rules of
  ``lecturelib.claims.lr_scaling`` read these measurements. The figures are in ``lecturelib.plots``.

Everything trains through ``lecturelib.train.fit``. Results are cached per
process, so the notebook, its widget and the claim tests share one grid.

One module per part, each importing only the ones above it:

* ``runs``      the sizes per preset (``Scale``, ``SCALES``), the data and model, one grid run, the ``Grid``;
* ``analysis``  the exponent fits on a grid (best lrs, alpha and its interval, the linear rule, the ridge);
* ``search``    steps to a target (BS12): ``TargetProbe``, ``steps_to_target``, the critical-batch fit;
* ``convex``    the convex case (BS13): the optimum, the noise ball, the schedules;
* ``readings``  the chapter's tables and the numbers the claims read off the measurements;
* ``results``   the two bundles the claims are read from (``ridge_results``, ``convex_results``).

Notebooks and the claims use the names re-exported here (``L.grid``, ``L.best_lrs``, ...). The
per-process caches live in the module that fills them (``runs._RUNS``, ``runs._GRIDS``,
``search._TARGETS``, ``search._TARGET_MODELS``, ``convex._CONVEX``); the names here are the same
objects. To replace a function in a test, patch the module that calls it (e.g. ``runs.run``, which
``runs.grid`` calls), not this package.
"""
from . import analysis, convex, readings, results, runs, search
from .runs import (OPTIMIZERS, POW2, SCALES, Grid, Scale, _GRIDS, _RUNS, build_model, data, grid, grid_seeds,
                   mean_grid, run, scale, steps_per_run, warmup_steps)
from .analysis import (_best_arrays, alpha_interval, at_edge, best_lrs, exponent_up_to_peak, interpolate_lr,
                       linear_rule, linear_rule_breaks, neighbour_loss, ridge, rising_part, scaling_exponent,
                       tuned_accuracy)
from .search import (_TARGET_MODELS, _TARGETS, TargetProbe, TargetRun, _check_runs, _steps_arrays, _target_key,
                     critical_batch, mean_steps, noise_scale, power_law, ridge_lr, steps_to_target)
from .convex import (_CONVEX, CONVEX_L2, CONVEX_LR, DistanceToOptimum, StepDistance, convex_data, convex_model,
                     convex_objective, convex_optimum, convex_run, noise_ball, schedules)
from .readings import (DOUBLING_HEADERS, NOISE_BALL_HEADERS, RULES, SCHEDULE_HEADERS, TARGET_HEADERS,
                       _ball_arrays, _check_ball, _check_sched, _number_or_nan, _reached, best_lr_headers,
                       best_lr_rows, doubling_label, doubling_ratios, doubling_rows, fastest_run, knee_ratio,
                       last_phase_distance, noise_ball_rows, noise_ball_shrinks, noise_ball_slope,
                       noise_ball_slopes, ridge_rows, ridge_upto, schedule_ratios, schedule_rows, target_rows)
from .results import convex_results, ridge_results

__all__ = [
    # runs
    "OPTIMIZERS", "POW2", "SCALES", "Scale", "scale", "data", "build_model", "warmup_steps", "run", "Grid",
    "grid", "grid_seeds", "mean_grid", "steps_per_run",
    # analysis
    "tuned_accuracy", "best_lrs", "at_edge", "scaling_exponent", "linear_rule", "linear_rule_breaks", "ridge",
    "neighbour_loss", "rising_part", "exponent_up_to_peak", "alpha_interval", "interpolate_lr",
    # search
    "TargetProbe", "TargetRun", "ridge_lr", "steps_to_target", "mean_steps", "critical_batch", "power_law",
    "noise_scale",
    # convex
    "CONVEX_L2", "CONVEX_LR", "convex_data", "convex_model", "convex_objective", "convex_optimum",
    "DistanceToOptimum", "convex_run", "StepDistance", "noise_ball", "schedules",
    # readings
    "RULES", "NOISE_BALL_HEADERS", "SCHEDULE_HEADERS", "DOUBLING_HEADERS", "TARGET_HEADERS", "best_lr_headers",
    "best_lr_rows", "ridge_upto", "ridge_rows", "target_rows", "doubling_ratios", "doubling_label", "knee_ratio",
    "doubling_rows", "fastest_run", "noise_ball_rows", "noise_ball_slope", "noise_ball_slopes",
    "noise_ball_shrinks", "last_phase_distance", "schedule_rows", "schedule_ratios",
    # results
    "ridge_results", "convex_results",
]
