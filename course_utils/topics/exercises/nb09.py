"""Exercises of notebook 09 (7.2 Generative Adversarial Networks: the family)."""

from __future__ import annotations

import torch

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close

# Exercise 9.1: the gradient penalty -------------------------------------------------

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


ex1 = Exercise(
    number="9.1",
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


# Exercise 9.2: the Wasserstein distance in one dimension -------------------------

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


ex2 = Exercise(
    number="9.2",
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
