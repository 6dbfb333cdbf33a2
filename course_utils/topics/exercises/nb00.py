"""Exercises of notebook 00 (start here)."""

from __future__ import annotations

import torch

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close
from course_utils.core.config import set_seed
from course_utils.core.data import ImageSet, load_digits


def _test_draw_twice(draw_twice) -> None:
    expect_callable(draw_twice, "draw_twice")
    result = draw_twice(7)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Wrong("draw_twice should return a pair (first, second).")
    first, second = result
    if tuple(first.shape) != (5,) or tuple(second.shape) != (5,):
        raise Wrong("each draw should be a tensor of five numbers (torch.randn(5)).")
    if not torch.equal(first, second):
        raise Wrong("the two draws differ: seed again with the same seed right "
                    "before the second draw.")
    other, _ = draw_twice(8)
    if torch.equal(first, other):
        raise Wrong("different seeds gave the same numbers: pass `seed` to set_seed.")
    set_seed(7)
    expect_close(first, torch.randn(5), "the first draw for seed 7")


def _reference_draw_twice(seed: int):
    set_seed(seed)
    first = torch.randn(5)
    set_seed(seed)
    return first, torch.randn(5)


ex1 = Exercise(
    number="0.1",
    title="the same seed, the same numbers",
    test=_test_draw_twice,
    hint_text="call set_seed(seed) right before each torch.randn(5).",
    solution_text="""
        def draw_twice(seed):
            set_seed(seed)
            first = torch.randn(5)
            set_seed(seed)
            second = torch.randn(5)
            return first, second
    """,
    reference=_reference_draw_twice,
    wrong_answers=(
        lambda seed: (set_seed(seed), torch.randn(5), torch.randn(5))[1:],
        lambda seed: (torch.randn(5), torch.randn(5)),
    ),
    success="Seeding makes every run of a notebook print the same numbers.",
)


def _test_mean_image(mean_image) -> None:
    expect_callable(mean_image, "mean_image")
    data = load_digits()
    for label in (0, 3, 9):
        expected = data.images[data.labels == label].mean(dim=0)
        expect_close(mean_image(data, label), expected,
                     f"the mean image of class {label}", rtol=1e-5, atol=1e-6)
    tiny = ImageSet(torch.tensor([[[1.0]], [[0.0]], [[0.5]]]),
                    torch.tensor([1, 0, 1]), ("a", "b"))
    expect_close(mean_image(tiny, 1), torch.tensor([[0.75]]),
                 "the mean of a tiny set with two images of class 1")


ex2 = Exercise(
    number="0.2",
    title="the mean digit",
    test=_test_mean_image,
    hint_text="data.labels == label is a boolean mask; index data.images with it "
              "and take .mean(dim=0).",
    solution_text="""
        def mean_image(data, label):
            return data.images[data.labels == label].mean(dim=0)
    """,
    reference=lambda data, label: data.images[data.labels == label].mean(dim=0),
    wrong_answers=(
        lambda data, label: data.images.mean(dim=0),             # every class
        lambda data, label: data.images[data.labels == label].sum(dim=0),
        lambda data, label: data.images[label],                  # one image
    ),
    success="Averaging the images of one class is the simplest 'prototype'.",
)
