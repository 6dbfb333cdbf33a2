"""Exercises of notebook 08 (7.2 Generative Adversarial Networks: the family)."""

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


# Exercise 8.2: the gradient penalty -------------------------------------------------

def _reference_gradient_penalty(critic, real, fake, t):
    mix = (t * real + (1 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    return (grad.reshape(len(mix), -1).norm(dim=1) - 1).pow(2).mean()


def _test_gradient_penalty(penalty_at) -> None:
    expect_callable(penalty_at, "penalty_at")
    g = torch.Generator().manual_seed(0)
    real = torch.rand(16, 3, 4, generator=g, dtype=torch.float64)
    fake = torch.rand(16, 3, 4, generator=g, dtype=torch.float64)
    t = torch.rand(16, 1, 1, generator=g, dtype=torch.float64)
    w = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)

    def linear(x):  # gradient w everywhere: the penalty is (|w| - 1)^2
        return (x * w).sum(dim=(1, 2))

    value = penalty_at(linear, real, fake, t)
    if not isinstance(value, torch.Tensor) or value.ndim != 0:
        raise Wrong("return a scalar tensor (the mean over the batch).")
    expect_close(float(value.detach()), float((w.detach().norm() - 1) ** 2),
                 "the penalty of a linear critic f(x) = <w, x>, which is (|w| - 1)^2")
    if not value.requires_grad:
        raise Wrong("the penalty must stay differentiable in the critic's weights: "
                    "pass create_graph=True to torch.autograd.grad.")

    def bumpy(x):
        return (x.reshape(len(x), -1) ** 2).sum(1) * 0.7

    expect_close(float(penalty_at(bumpy, real, fake, t).detach()),
                 float(_reference_gradient_penalty(bumpy, real, fake, t).detach()),
                 "the penalty of f(x) = 0.7 |x|^2 (its gradient depends on x)")


def _batch_norm_penalty(critic, real, fake, t):
    mix = (t * real + (1 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    return (grad.norm() - 1).pow(2)


def _squared_norm_penalty(critic, real, fake, t):
    mix = (t * real + (1 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    return grad.reshape(len(mix), -1).pow(2).sum(1).mean()


ex2 = Exercise(
    number="8.2",
    title="the gradient penalty",
    test=_test_gradient_penalty,
    hint_text="mix = t * real + (1 - t) * fake with requires_grad; "
              "torch.autograd.grad(critic(mix).sum(), mix, create_graph=True); one "
              "norm per sample over all its other axes; (norm - 1)^2, averaged.",
    solution_text="""
        def penalty_at(critic, real, fake, t):
            mix = (t * real + (1 - t) * fake).requires_grad_(True)
            (grad,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
            return (grad.reshape(len(mix), -1).norm(dim=1) - 1).pow(2).mean()
    """,
    reference=_reference_gradient_penalty,
    wrong_answers=(
        _batch_norm_penalty,  # one norm over the whole batch, not per sample
        # the squared norm, not (norm - 1)^2
        _squared_norm_penalty,
        # without create_graph: the critic's weights get no gradient from it
        lambda c, r, f, t: _reference_gradient_penalty(c, r, f, t).detach(),
    ),
    success="The penalty holds the critic's slope near 1 where it matters: between "
            "the data and the generator's samples.",
)


# Exercise 8.3: the Wasserstein distance in one dimension -------------------------

def _reference_wasserstein_1d(a, b):
    return float((a.sort().values - b.sort().values).abs().mean())


def _test_wasserstein_1d(wasserstein_1d) -> None:
    expect_callable(wasserstein_1d, "wasserstein_1d")
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, generator=g, dtype=torch.float64)
    b = torch.randn(20000, generator=g, dtype=torch.float64) + 3
    value = float(wasserstein_1d(a, b))
    expect_close(value, _reference_wasserstein_1d(a, b),
                 "W_1 between samples of N(0, 1) and N(3, 1)", rtol=1e-9)
    expect_close(value, 3.0, "W_1 between N(0, 1) and N(3, 1), which is exactly 3",
                 atol=0.05)
    x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    y = torch.tensor([2.0, 0.0, 1.0], dtype=torch.float64)
    if float(wasserstein_1d(x, y)) > 1e-12:
        raise Wrong("two samples with the same values in another order are the same "
                    "distribution: sort before comparing.")


ex3 = Exercise(
    number="8.3",
    title="the Wasserstein distance in one dimension",
    test=_test_wasserstein_1d,
    hint_text="sort a and b; W_1 is the mean of |a_sorted - b_sorted|.",
    solution_text="""
        def wasserstein_1d(a, b):
            return float((a.sort().values - b.sort().values).abs().mean())
        # N(0, 1) to N(3, 1): every grain moves by 3, so W_1 = 3
    """,
    reference=_reference_wasserstein_1d,
    wrong_answers=(
        lambda a, b: float((a - b).abs().mean()),                   # unsorted
        lambda a, b: float(((a.sort().values - b.sort().values) ** 2).mean()),
        lambda a, b: float(abs(a.mean() - b.mean()) * 0 + (a - b).abs().max()),
    ),
    success="W_1 is the mass times the distance moved: for two shifted copies, the "
            "shift, however little they overlap (where the JSD is stuck at log 2).",
)
