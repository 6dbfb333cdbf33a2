"""Exercises of notebook 08 (7.2 Generative Adversarial Networks: convolutional generators)."""

from __future__ import annotations

import torch

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close

# Exercise 8.1: the size of a transposed convolution --------------------------------


def _reference_conv_transpose_size(n, kernel, stride, padding):
    return (n - 1) * stride - 2 * padding + kernel


def _test_conv_transpose_size(conv_transpose_size) -> None:
    expect_callable(conv_transpose_size, "conv_transpose_size")
    cases = [(7, 4, 2, 1), (14, 4, 2, 1), (4, 3, 1, 1), (5, 5, 3, 0), (1, 4, 1, 0)]
    for n, k, s, p in cases:
        got = conv_transpose_size(n, k, s, p)
        want = _reference_conv_transpose_size(n, k, s, p)
        torch_size = torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p)(
            torch.zeros(1, 1, n, n)).shape[-1]
        assert want == torch_size
        if int(got) != want:
            if int(got) == n * s:
                raise Wrong("n * stride is right only for some kernels and "
                            "paddings: solve n = (out + 2p - k) / s + 1 for out.")
            raise Wrong(f"for n={n}, kernel={k}, stride={s}, padding={p} torch's "
                        f"ConvTranspose2d gives {want}, you gave {got}.")


ex1 = Exercise(
    number="8.1",
    title="the size of a transposed convolution",
    test=_test_conv_transpose_size,
    hint_text="the convolution maps out to n = (out + 2p - k) / s + 1; solve for out.",
    solution_text="""
        def conv_transpose_size(n, kernel, stride, padding):
            return (n - 1) * stride - 2 * padding + kernel
        # 7 -> (7 - 1) * 2 - 2 + 4 = 14, and 14 -> 28: the DCGAN generator's sides
    """,
    reference=_reference_conv_transpose_size,
    wrong_answers=(
        lambda n, k, s, p: n * s,                            # doubling only
        lambda n, k, s, p: (n + 2 * p - k) // s + 1,         # the forward formula
        lambda n, k, s, p: (n - 1) * s + 2 * p + k,          # padding added
        lambda n, k, s, p: n * s - 2 * p + k,                # n, not n - 1
    ),
    success="Kernel 4, stride 2, padding 1 doubles the side exactly: 7, 14, 28.",
)
