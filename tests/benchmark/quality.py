"""The course VAE against the classic recipe, trained in the same run.

Nothing here re-implements a course model: the VAE comes from
``course_utils.topics.vae`` (the recipe notebook 06 trains). The linear
autoencoder's ratio to PCA and the sample-quality tables are what notebooks 02,
03, 06 and 07 record (``course_utils.core.results``), read by the harness
(``course_utils.tools.benchmark``). Only the classic recipe (:mod:`recipe`) is
the benchmark's own: it is the yardstick.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def timed(fn: Callable, *args, **kwargs) -> tuple[object, float, float]:
    """Call ``fn``; return (its result, wall seconds, CPU seconds of this process).

    CPU seconds are less inflated than wall seconds on a busy machine, as long as
    the work runs in this process's threads.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing or b is zero."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def vae_versus_recipe(threads: int | None, seed: int = 0, skip_recipe: bool = False,
                      recipe_settings=None, log=print, vae=None) -> dict:
    """Train the classic recipe and the course VAE on all of Fashion-MNIST, one
    after the other with the same threads; report both test losses and times.

    The course VAE meets the target when its test loss is at most the recipe's
    and its training wall time is at most half the recipe's (stretch: a third).
    vae: the module with ``train_fashion_vae`` (default: course_utils.topics.vae,
        generated from notebook 06); the tests pass a stand-in.
    """
    from . import recipe

    out: dict = {"threads": threads if threads is not None else
                 torch.get_num_threads()}
    if not skip_recipe:
        log("training the classic recipe (pytorch/examples VAE, 10 epochs)")
        res, wall, cpu = timed(recipe.run_recipe, recipe_settings, threads=threads,
                               log=log)
        out["recipe"] = {**res.to_dict(), "cpu_seconds": round(cpu, 2),
                         "call_seconds": round(wall, 2)}
    if vae is None:
        from course_utils.topics import vae
    from course_utils.core.data import load_fashion_mnist

    train = load_fashion_mnist("train").images
    test = load_fashion_mnist("test").images
    log("training the course VAE (course_utils.topics.vae.train_fashion_vae)")
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        (model, history), wall, cpu = timed(vae.train_fashion_vae, train, seed=seed,
                                            progress=False)
    finally:
        torch.set_num_threads(before)
    loss = vae.test_negative_elbo(model, test, seed=seed)
    out["course"] = {
        "status": "ok", "recipe": {k: _plain(v) for k, v in
                                   vae.FASHION_RECIPE.items()},
        "epochs": history.epochs, "test_loss": loss,
        "train_seconds": round(history.seconds, 2), "cpu_seconds": round(cpu, 2),
        "call_seconds": round(wall, 2)}
    if "recipe" in out:
        r, c = out["recipe"], out["course"]
        out["time_ratio"] = ratio(c["train_seconds"], r["train_seconds"])
        out["cpu_ratio"] = ratio(c["cpu_seconds"], r["cpu_seconds"])
        out["loss_difference"] = c["test_loss"] - r["test_loss"]
    return out


def _plain(value):
    """JSON-friendly: tuples to lists, tensors and numpy scalars to floats."""
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value
