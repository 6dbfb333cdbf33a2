"""Exercises of notebook 10 (7.3 Autoregressive Models: PixelCNN)."""

from __future__ import annotations

import math

import torch

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close

# Exercise 10.1: the causal mask ----------------------------------------------------


def _reference_causal_mask(kernel, include_centre):
    mask = torch.zeros(kernel, kernel)
    centre = kernel // 2
    mask[:centre] = 1
    mask[centre, :centre + int(include_centre)] = 1
    return mask


def _test_causal_mask(make_causal_mask) -> None:
    expect_callable(make_causal_mask, "make_causal_mask")
    for kernel in (3, 5, 7):
        for include in (False, True):
            mask = make_causal_mask(kernel, include)
            if not isinstance(mask, torch.Tensor) or mask.shape != (kernel, kernel):
                raise Wrong(f"return a ({kernel}, {kernel}) tensor for "
                            f"kernel={kernel}.")
            ref = _reference_causal_mask(kernel, include)
            centre = kernel // 2
            if float(mask[centre + 1:].abs().sum()) > 0:
                raise Wrong("the rows below the centre come later in raster order: "
                            "they must be 0.")
            if float(mask[centre, centre + 1:].abs().sum()) > 0:
                raise Wrong("the centre row right of the centre comes later: 0 there.")
            if float(mask[centre, centre]) != float(include):
                raise Wrong("the centre is 1 for mask B (include_centre=True) and 0 "
                            "for mask A: the first layer must not see the pixel it "
                            "predicts.")
            expect_close(mask.float(), ref, f"the mask for kernel={kernel}, "
                         f"include_centre={include}")


ex1 = Exercise(
    number="10.1",
    title="the causal mask",
    test=_test_causal_mask,
    hint_text="start from zeros; set every row above the centre to 1, then the "
              "centre row up to the centre (one further for mask B).",
    solution_text="""
        def make_causal_mask(kernel, include_centre):
            mask = torch.zeros(kernel, kernel)
            centre = kernel // 2
            mask[:centre] = 1
            mask[centre, :centre + int(include_centre)] = 1
            return mask
    """,
    reference=_reference_causal_mask,
    wrong_answers=(
        lambda k, inc: torch.tril(torch.ones(k, k)),           # a triangle, not raster
        lambda k, inc: _reference_causal_mask(k, not inc),     # A and B swapped
        lambda k, inc: _reference_causal_mask(k, inc).flip(0),  # rows below instead
        lambda k, inc: _reference_causal_mask(k, True),        # centre always seen
    ),
    success="Mask A hides the pixel itself; mask B may read the features computed "
            "at that position, which saw only earlier pixels.",
)


# Exercise 10.2: nats per image to bits per dimension -------------------------------

def _reference_bits_per_dim(nll_nats, n_pixels):
    return nll_nats / (n_pixels * math.log(2))


def _test_bits_per_dim(bits_per_dim) -> None:
    expect_callable(bits_per_dim, "bits_per_dim")
    value = float(bits_per_dim(784 * math.log(2), 784))
    if abs(value - math.log(2)) < 1e-9:
        raise Wrong("that is nats per pixel: divide by log 2 to get bits.")
    if abs(value - 784) < 1e-6:
        raise Wrong("that is bits per image: share it among the pixels.")
    expect_close(value, 1.0, "784 ln 2 nats on a 784-pixel image (one bit per "
                 "pixel)")
    expect_close(float(bits_per_dim(250.0, 784)), 250 / (784 * math.log(2)),
                 "250 nats on a 28x28 image", rtol=1e-9)
    expect_close(float(bits_per_dim(3000.0, 3072)), 3000 / (3072 * math.log(2)),
                 "3000 nats on a 32x32 colour image (3072 dimensions)", rtol=1e-9)


ex2 = Exercise(
    number="10.2",
    title="bits per dimension",
    test=_test_bits_per_dim,
    hint_text="log2 p = ln p / ln 2; then divide by the number of pixels.",
    solution_text="""
        def bits_per_dim(nll_nats, n_pixels):
            return nll_nats / (n_pixels * math.log(2))
        # 250 nats on 784 pixels = 0.46 bits per dimension: 0.45 is (a little) better
    """,
    reference=_reference_bits_per_dim,
    wrong_answers=(
        lambda nll, n: nll / n,                    # nats per pixel
        lambda nll, n: nll / math.log(2),          # bits per image
        lambda nll, n: nll * math.log(2) / n,      # multiplied by ln 2
        lambda nll, n: nll / (n * math.log(10)),   # decimal digits
    ),
    success="Bits per dimension compares likelihoods across image sizes: the "
            "cost, per pixel, of the shortest code the model allows.",
)


# Exercise 10.3: the receptive field's reach ----------------------------------------

def _reference_reach(first_kernel, kernel, layers):
    steps = first_kernel // 2 + layers * (kernel // 2)
    return steps, steps


def _test_reach(reach) -> None:
    expect_callable(reach, "reach")
    cases = [(7, 3, 0), (7, 3, 2), (7, 3, 6), (5, 5, 3), (3, 3, 1)]
    for first, kernel, layers in cases:
        got = reach(first, kernel, layers)
        if not isinstance(got, tuple) or len(got) != 2:
            raise Wrong("return a pair (rows_above, columns_left).")
        want = _reference_reach(first, kernel, layers)
        if tuple(int(v) for v in got) != want:
            if layers and int(got[0]) == first // 2 + layers * kernel:
                raise Wrong("a k x k kernel reaches k // 2 pixels from its centre, "
                            "not k.")
            if int(got[0]) == first // 2:
                raise Wrong("every mask-B layer reaches further: add its half "
                            "kernel per layer.")
            raise Wrong(f"for first_kernel={first}, kernel={kernel}, layers="
                        f"{layers} the reach is {want}, got {got}.")


ex3 = Exercise(
    number="10.3",
    title="the receptive field's reach",
    test=_test_reach,
    hint_text="the mask-A layer reaches first_kernel // 2 rows up and columns left; "
              "each mask-B layer adds kernel // 2 to both.",
    solution_text="""
        def reach(first_kernel, kernel, layers):
            steps = first_kernel // 2 + layers * (kernel // 2)
            return steps, steps
    """,
    reference=_reference_reach,
    wrong_answers=(
        lambda f, k, n: (f // 2 + n * k, f // 2 + n * k),   # whole kernels
        lambda f, k, n: (f // 2, f // 2),                   # first layer only
        lambda f, k, n: (f + n * k, f + n * k),             # kernels, not halves
    ),
    success="The reach grows linearly with depth; to the upper right the masks "
            "leave a blind spot no depth fills.",
)
