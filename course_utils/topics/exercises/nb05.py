"""Exercises of notebook 05 (the Gaussian KL divergence)."""

from __future__ import annotations

import torch
from torch import distributions as D

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close


def _batch(seed: int, batch: int = 5, dim: int = 3):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, dim, generator=g, dtype=torch.float64)
    log_var = torch.randn(batch, dim, generator=g, dtype=torch.float64)
    return mu, log_var


def _torch_kl(mu1, log_var1, mu2, log_var2):
    q = D.Independent(D.Normal(mu1, (0.5 * log_var1).exp()), 1)
    p = D.Independent(D.Normal(mu2, (0.5 * log_var2).exp()), 1)
    return D.kl_divergence(q, p)


def _shape_check(value, batch: int, name: str) -> None:
    if not isinstance(value, torch.Tensor):
        raise Wrong(f"{name} should return a torch tensor, got "
                    f"{type(value).__name__}.")
    if tuple(value.shape) != (batch,):
        raise Wrong(f"{name} should return one KL per example, shape ({batch},); "
                    f"got shape {tuple(value.shape)}. Sum over the latent "
                    "dimensions (dim=1) only, not over the batch.")


# Exercise 5.1 ---------------------------------------------------------------------

def _kl_from_log_var_reference(mu, log_var):
    return 0.5 * torch.sum(mu**2 + log_var.exp() - log_var - 1, dim=1)


def _test_kl_from_log_var(kl_from_log_var) -> None:
    expect_callable(kl_from_log_var, "kl_from_log_var")
    zeros = torch.zeros(2, 4, dtype=torch.float64)
    at_prior = kl_from_log_var(zeros, zeros)
    _shape_check(at_prior, 2, "kl_from_log_var")
    if torch.allclose(at_prior, torch.full_like(at_prior, 2.0)):
        raise Wrong("for q = N(0, I) in 4 dimensions your KL is 2 = 4 x 1/2, not 0: "
                    "the -1 of the closed form is missing (the chapter's slip 5).")
    if not torch.all(torch.isfinite(at_prior)):
        raise Wrong("for mu = 0 and log_var = 0 your KL is not finite: log_var is "
                    "already log sigma^2 (it can be 0 or negative); use "
                    "sigma^2 = log_var.exp() and do not take its log again.")
    expect_close(at_prior, torch.zeros(2), "the KL of N(0, I) to itself", atol=1e-9)
    mu, log_var = _batch(0)
    value = kl_from_log_var(mu, log_var)
    _shape_check(value, 5, "kl_from_log_var")
    expected = _torch_kl(mu, log_var, torch.zeros_like(mu), torch.zeros_like(mu))
    if torch.allclose(value, expected / 3, rtol=1e-6):
        raise Wrong("your KL is the mean over the latent dimensions; the KL of a "
                    "diagonal Gaussian is their sum.")
    if torch.allclose(value, 2 * expected, rtol=1e-6):
        raise Wrong("your KL is twice too large: the closed form has a factor 1/2.")
    expect_close(value, expected, "the KL for a batch of 5 examples in 3 dimensions",
                 rtol=1e-6, atol=1e-9)


ex1 = Exercise(
    number="5.1",
    title="the VAE's KL term from log_var",
    test=_test_kl_from_log_var,
    hint_text="sigma^2 = log_var.exp() and log sigma^2 = log_var; apply the "
              "(Gaussian KL) elementwise, then .sum(dim=1).",
    solution_text="""
        def kl_from_log_var(mu, log_var):
            return 0.5 * torch.sum(mu**2 + log_var.exp() - log_var - 1, dim=1)
    """,
    reference=_kl_from_log_var_reference,
    wrong_answers=(
        # the chapter's formula, without the -1
        lambda mu, log_var: 0.5 * torch.sum(mu**2 + log_var.exp() - log_var, dim=1),
        # log_var used as if it were sigma
        lambda mu, log_var: 0.5 * torch.sum(
            mu**2 + log_var**2 - torch.log(log_var**2) - 1, dim=1),
        # mean instead of sum over the latent dimensions
        lambda mu, log_var: 0.5 * torch.mean(mu**2 + log_var.exp() - log_var - 1,
                                             dim=1),
        # summed over the batch too
        lambda mu, log_var: 0.5 * torch.sum(mu**2 + log_var.exp() - log_var - 1),
        # no factor 1/2
        lambda mu, log_var: torch.sum(mu**2 + log_var.exp() - log_var - 1, dim=1),
    ),
    success="This is the KL term of the VAE's loss in notebook 06.",
)


# Exercise 5.2 ---------------------------------------------------------------------

def _kl_diagonal_reference(mu1, log_var1, mu2, log_var2):
    var1, var2 = log_var1.exp(), log_var2.exp()
    return 0.5 * torch.sum(log_var2 - log_var1 + (var1 + (mu1 - mu2) ** 2) / var2
                           - 1, dim=1)


def _test_kl_diagonal(kl_diagonal) -> None:
    expect_callable(kl_diagonal, "kl_diagonal")
    mu1, lv1 = _batch(1)
    mu2, lv2 = _batch(2)
    value = kl_diagonal(mu1, lv1, mu2, lv2)
    _shape_check(value, 5, "kl_diagonal")
    expected = _torch_kl(mu1, lv1, mu2, lv2)
    if torch.allclose(value, _torch_kl(mu2, lv2, mu1, lv1), rtol=1e-6):
        raise Wrong("you computed KL(p || q), the other direction: the KL is not "
                    "symmetric. Divide by the variance of the *second* Gaussian.")
    self_kl = kl_diagonal(mu1, lv1, mu1, lv1)
    if not torch.allclose(self_kl, torch.zeros_like(self_kl), atol=1e-9):
        raise Wrong("the KL of a Gaussian to itself should be 0; check the -1 "
                    "(one per dimension) and the log-variance terms.")
    expect_close(kl_diagonal(mu1, lv1, torch.zeros_like(mu1), torch.zeros_like(lv1)),
                 _kl_from_log_var_reference(mu1, lv1),
                 "the KL to N(0, I) (it should be exercise 5.1's)", rtol=1e-6)
    expect_close(value, expected, "the KL between two batches of diagonal "
                 "Gaussians", rtol=1e-6, atol=1e-9)


ex2 = Exercise(
    number="5.2",
    title="KL between two diagonal Gaussians",
    test=_test_kl_diagonal,
    hint_text="per dimension: 0.5 * (log_var2 - log_var1 + (var1 + (mu1 - mu2)**2) "
              "/ var2 - 1); then sum over dim=1.",
    solution_text="""
        def kl_diagonal(mu1, log_var1, mu2, log_var2):
            var1, var2 = log_var1.exp(), log_var2.exp()
            return 0.5 * torch.sum(log_var2 - log_var1
                                   + (var1 + (mu1 - mu2) ** 2) / var2 - 1, dim=1)
    """,
    reference=_kl_diagonal_reference,
    wrong_answers=(
        # the other direction
        lambda mu1, lv1, mu2, lv2: _kl_diagonal_reference(mu2, lv2, mu1, lv1),
        # forgot the -1
        lambda mu1, lv1, mu2, lv2: 0.5 * torch.sum(
            lv2 - lv1 + (lv1.exp() + (mu1 - mu2) ** 2) / lv2.exp(), dim=1),
        # mean difference not divided by the second variance
        lambda mu1, lv1, mu2, lv2: 0.5 * torch.sum(
            lv2 - lv1 + lv1.exp() / lv2.exp() + (mu1 - mu2) ** 2 - 1, dim=1),
    ),
    success="With mu2 = 0 and log_var2 = 0 it reduces to exercise 5.1.",
)
