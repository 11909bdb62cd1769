"""Everything the chapter's claims are read from, in two bundles: the ridge's and the convex case's.

``ridge_results`` gathers LR1-LR3 and BS12 (the averaged SGD grid with warm-up, Adam's grid,
the steps to target per seed, their fits and the noise scale); ``convex_results`` gathers
BS13 (the optimum, the noise ball, the schedules). Each part caches itself.
"""
from __future__ import annotations

from .analysis import best_lrs
from .convex import convex_optimum, noise_ball, schedules
from .runs import SCALES, Scale, grid, grid_seeds, mean_grid
from .search import critical_batch, mean_steps, noise_scale, power_law, steps_to_target

def ridge_results(s: Scale | None = None, *, seed: int = 0) -> dict:
    """Everything LR1, LR2, LR3 and BS12 are read from, for seed ``seed`` of the chapter.

    The SGD grid with warm-up is averaged over ``grid_seeds(s, seed)``; Adam's grid is trained
    with the first of them; steps to target are counted for every one of those seeds, each
    batch size starting from the averaged grid's tuned lr, and averaged (``mean_steps``); the
    noise scale is measured at the first seed's target weights. Cached, like its parts.
    """
    s = SCALES.resolve(s)
    seeds = grid_seeds(s, seed)
    sgd = mean_grid(s, optimizer="sgd", warmup=True, seeds=seeds)
    adam = grid(s, optimizer="adam", seed=seeds[0])
    best = best_lrs(sgd)
    runs = {x: steps_to_target(s, seed=x, best=best) for x in seeds}
    steps = mean_steps(runs)
    return {"scale": s, "seeds": seeds, "sgd": sgd, "adam": adam, "runs": runs, "steps": steps,
            "crit": critical_batch(steps), "power": power_law(steps),
            "noise": noise_scale(s, seed=seeds[0], best=best)}


def convex_results(s: Scale | None = None, *, seed: int = 0) -> dict:
    """Everything BS13 is read from: the optimum, the noise ball and the two schedules."""
    s = SCALES.resolve(s)
    return {"scale": s, "optimum": convex_optimum(s), "ball": noise_ball(s, seed=seed),
            "sched": schedules(s, seed=seed)}
