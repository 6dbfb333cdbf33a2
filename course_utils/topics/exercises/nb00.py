"""Exercises of notebook 00 (start here)."""

from __future__ import annotations

import torch

from course_utils.core.checks import (
    Exercise,
    Wrong,
    expect_callable,
    expect_close,
    register,
)
from course_utils.core.config import set_seed
from course_utils.core.data import ImageSet, load_digits


def _test_draw_twice(answer) -> None:
    expect_callable(answer, "draw_twice")
    result = answer(7)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Wrong("draw_twice should return a pair (first, second).")
    first, second = result
    if not all(isinstance(draw, torch.Tensor) and tuple(draw.shape) == (5,)
               for draw in (first, second)):
        raise Wrong("each draw should be a tensor of five numbers (torch.randn(5)).")
    if not torch.equal(first, second):
        raise Wrong("the two draws differ: seed again with the same seed right "
                    "before the second draw.")
    other, _ = answer(8)
    if torch.equal(first, other):
        raise Wrong("different seeds gave the same numbers: pass `seed` to set_seed.")
    set_seed(7)
    expect_close(first, torch.randn(5), "the first draw for seed 7")


def draw_twice(seed: int):
    """Return two tensors of five normal draws, each drawn right after seeding."""
    set_seed(seed)
    first = torch.randn(5)
    set_seed(seed)
    second = torch.randn(5)
    return first, second


ex1 = Exercise(
    number="0.1",
    title="the same seed, the same numbers",
    test=_test_draw_twice,
    hints=(
        "Seeding resets the random generator: what comes after set_seed(7) is "
        "always the same.",
        "Call set_seed(seed) right before each torch.randn(5).",
    ),
    reference=draw_twice,
    wrong_answers=(
        lambda seed: (set_seed(seed), torch.randn(5), torch.randn(5))[1:],
        lambda seed: (torch.randn(5), torch.randn(5)),
        # the seed argument ignored: the same numbers for every seed
        lambda seed: (set_seed(0), torch.randn(5), set_seed(0), torch.randn(5))[1::2],
    ),
    success="Seeding makes every run of a notebook print the same numbers.",
)


def mean_image(data, label: int):
    """The average image of class `label` in `data` (an ImageSet)."""
    return data.images[data.labels == label].mean(dim=0)


def _test_mean_image(answer) -> None:
    expect_callable(answer, "mean_image")
    data = load_digits()
    for label in (0, 3, 9):
        expected = data.images[data.labels == label].mean(dim=0)
        expect_close(answer(data, label), expected,
                     f"the mean image of class {label}", rtol=1e-5, atol=1e-6)
    tiny = ImageSet(torch.tensor([[[1.0]], [[0.0]], [[0.5]]]),
                    torch.tensor([1, 0, 1]), ("a", "b"))
    expect_close(answer(tiny, 1), torch.tensor([[0.75]]),
                 "the mean of a tiny set with two images of class 1")


ex2 = Exercise(
    number="0.2",
    title="the mean digit",
    test=_test_mean_image,
    hints=(
        "data.labels == label is a boolean mask, one True per image of that class.",
        "Index data.images with the mask and take .mean(dim=0).",
    ),
    reference=mean_image,
    wrong_answers=(
        lambda data, label: data.images.mean(dim=0),             # every class
        lambda data, label: data.images[data.labels == label].sum(dim=0),
        lambda data, label: data.images[label],                  # one image
    ),
    success="Averaging the images of one class is the simplest 'prototype'.",
)

EXERCISES = register(globals())
