"""Exercises of notebook 05 (the Gaussian KL divergence).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import distributions as D

from course_utils.core.checks import (
    Exercise,
    Prediction,
    Think,
    Wrong,
    as_scalar,
    expect_callable,
    expect_close,
    register,
)
from course_utils.core.i18n import translate
from course_utils.core.messages import say


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


# Exercise 5.1 (implement) -----------------------------------------------------

def kl_from_log_var(mu, log_var):
    """KL(N(mu, diag exp(log_var)) || N(0, I)) per example, shape (batch,)."""
    return 0.5 * torch.sum(mu**2 + log_var.exp() - log_var - 1, dim=1)


def _test_kl_from_log_var(answer) -> None:
    expect_callable(answer, "kl_from_log_var")
    zeros = torch.zeros(2, 4, dtype=torch.float64)
    at_prior = answer(zeros, zeros)
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
    value = answer(mu, log_var)
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
    kind="implement",
    test=_test_kl_from_log_var,
    hints=(
        "Section 3 gives the KL of N(mu, sigma^2) to N(0, 1) for one dimension; "
        "write sigma^2 and log sigma^2 in terms of log_var.",
        "sigma^2 = log_var.exp() and log sigma^2 = log_var itself. A diagonal "
        "Gaussian's KL is the sum of its dimensions' KLs.",
        "Apply the closed form elementwise, with its -1, then .sum(dim=1) (one "
        "value per example, not summed over the batch).",
    ),
    reference=kl_from_log_var,
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


# Exercise 5.2 (implement) -----------------------------------------------------

def kl_diagonal(mu1, log_var1, mu2, log_var2):
    """KL(N(mu1, diag var1) || N(mu2, diag var2)) per example, shape (batch,)."""
    var1, var2 = log_var1.exp(), log_var2.exp()
    return 0.5 * torch.sum(log_var2 - log_var1 + (var1 + (mu1 - mu2) ** 2) / var2
                           - 1, dim=1)


def _test_kl_diagonal(answer) -> None:
    expect_callable(answer, "kl_diagonal")
    mu1, lv1 = _batch(1)
    mu2, lv2 = _batch(2)
    value = answer(mu1, lv1, mu2, lv2)
    _shape_check(value, 5, "kl_diagonal")
    expected = _torch_kl(mu1, lv1, mu2, lv2)
    if torch.allclose(value, _torch_kl(mu2, lv2, mu1, lv1), rtol=1e-6):
        raise Wrong("you computed KL(p || q), the other direction: the KL is not "
                    "symmetric. Divide by the variance of the *second* Gaussian.")
    self_kl = answer(mu1, lv1, mu1, lv1)
    if not torch.allclose(self_kl, torch.zeros_like(self_kl), atol=1e-9):
        raise Wrong("the KL of a Gaussian to itself should be 0; check the -1 "
                    "(one per dimension) and the log-variance terms.")
    expect_close(answer(mu1, lv1, torch.zeros_like(mu1), torch.zeros_like(lv1)),
                 kl_from_log_var(mu1, lv1),
                 "the KL to N(0, I) (it should be exercise 5.1's)", rtol=1e-6)
    expect_close(value, expected, "the KL between two batches of diagonal "
                 "Gaussians", rtol=1e-6, atol=1e-9)


ex2 = Exercise(
    number="5.2",
    title="KL between two diagonal Gaussians",
    kind="implement",
    test=_test_kl_diagonal,
    hints=(
        "Section 5's formula for two 1-D Gaussians applies to each dimension; "
        "the dimensions' KLs add up.",
        "Per dimension: 0.5 * (log var2 - log var1 + (var1 + (mu1 - mu2)^2) / var2 "
        "- 1). Which variance divides, the first's or the second's?",
        "var1, var2 = log_var1.exp(), log_var2.exp(); apply the formula "
        "elementwise and .sum(dim=1).",
    ),
    reference=kl_diagonal,
    wrong_answers=(
        # the other direction
        lambda mu1, lv1, mu2, lv2: kl_diagonal(mu2, lv2, mu1, lv1),
        # forgot the -1
        lambda mu1, lv1, mu2, lv2: 0.5 * torch.sum(
            lv2 - lv1 + (lv1.exp() + (mu1 - mu2) ** 2) / lv2.exp(), dim=1),
        # mean difference not divided by the second variance
        lambda mu1, lv1, mu2, lv2: 0.5 * torch.sum(
            lv2 - lv1 + lv1.exp() / lv2.exp() + (mu1 - mu2) ** 2 - 1, dim=1),
    ),
    success="With mu2 = 0 and log_var2 = 0 it reduces to exercise 5.1.",
)


# Exercise 5.3 (predict) --------------------------------------------------------


def _reveal_two_directions():
    narrow, wide = D.Normal(0.0, 1.0), D.Normal(0.0, 2.0)
    first = float(D.kl_divergence(narrow, wide))
    second = float(D.kl_divergence(wide, narrow))
    shown = (f"KL(N(0, 1) || N(0, 2^2)) = {first:.3f} nats, "
             f"KL(N(0, 2^2) || N(0, 1)) = {second:.3f} nats.")
    return ("a" if first > second else "b"), shown


ex3 = Prediction(
    number="5.3",
    title="which direction is larger",
    answer_name="prediction_5_3",
    hints=(
        "KL(q || p) averages log q - log p over q. Where does each direction "
        "look, and where is the other density small?",
        "The wide Gaussian puts mass in the tails, where N(0, 1)'s log density "
        "falls like -z^2/2.",
    ),
    reveal=_reveal_two_directions,
    choices=("a", "b", "c"),
    reference="b",
    explain={
        "a": "KL(N(0, 1) || N(0, 4)) averages over the narrow Gaussian, which "
             "never visits the tails; the wide one does, where N(0, 1) is tiny, "
             "so KL(wide || narrow) is the larger: 0.81 against 0.32 nats.",
        "c": "The KL is not symmetric: 0.5 (var - log var - 1) with var = 4 or "
             "1/4 gives 0.81 and 0.32 nats.",
    },
    wrong_answers=("a", "c"),
    success="Covering too much costs more than covering too little when measured "
            "from the wide side: the KL is not a distance.",
    # section 5's formula lets a student compute it: a derivation, not a reveal
    revealed_by=(),
)


# Exercise 5.4 (derive) ---------------------------------------------------------


def kl_full(mu, cov):
    """KL(N(mu, cov) || N(0, I)) for one full-covariance Gaussian."""
    n = len(mu)
    return 0.5 * float(torch.trace(cov) + mu @ mu - n - torch.logdet(cov))


def _full_cases():
    g = torch.Generator().manual_seed(54)
    out = []
    for n in (1, 2, 4):
        a = torch.randn(n, n, generator=g, dtype=torch.float64)
        cov = a @ a.T + 0.5 * torch.eye(n, dtype=torch.float64)
        out.append((torch.randn(n, generator=g, dtype=torch.float64), cov))
    return out


def _test_kl_full(answer) -> None:
    expect_callable(answer, "kl_full")
    for mu, cov in _full_cases():
        n = len(mu)
        truth = float(D.kl_divergence(
            D.MultivariateNormal(mu, cov),
            D.MultivariateNormal(torch.zeros(n, dtype=torch.float64),
                                 torch.eye(n, dtype=torch.float64))))
        got = as_scalar(answer(mu, cov), "kl_full(...)")
        diag = 0.5 * float(torch.trace(cov) + mu @ mu - n
                           - torch.log(torch.diagonal(cov)).sum())
        if n > 1 and abs(got - diag) < 1e-8:
            raise Wrong("your KL uses only the diagonal of the covariance (the sum "
                        "of log variances): log det of a correlated covariance is "
                        "smaller than that sum, and the KL larger.")
        if abs(got - (truth + n / 2)) < 1e-8:
            raise Wrong(f"in {n} dimensions your KL is n/2 = {n / 2} too large: "
                        "the -n (one -1 per dimension) is missing.")
        expect_close(got, truth, f"the KL in {n} dimensions (against "
                     "torch.distributions)", rtol=1e-8, atol=1e-10)


ex4 = Exercise(
    number="5.4",
    title="the KL of a correlated Gaussian",
    kind="derive",
    test=_test_kl_full,
    hints=(
        "Start from KL = E_q[log q(z) - log p(z)] with q = N(mu, S) and p = N(0, "
        "I); write both log densities with their normalising constants.",
        "E_q[(z - mu)^T S^-1 (z - mu)] = n and E_q[z^T z] = tr S + mu^T mu.",
        "KL = 0.5 (tr S + mu^T mu - n - log det S); use torch.logdet for the last "
        "term.",
    ),
    reference=kl_full,
    wrong_answers=(
        lambda mu, cov: 0.5 * float(torch.trace(cov) + mu @ mu - len(mu)
                                    - torch.log(torch.diagonal(cov)).sum()),
        lambda mu, cov: 0.5 * float(torch.trace(cov) + mu @ mu - torch.logdet(cov)),
        lambda mu, cov: 0.5 * float(torch.trace(cov) + mu @ mu - len(mu)
                                    + torch.logdet(cov)),
    ),
    success="With a diagonal S, log det S is the sum of the log variances and this "
            "is exercise 5.1's KL; correlations make it larger.",
)


# Exercise 5.5 (explore) --------------------------------------------------------

_GRID = np.linspace(-12, 12, 4801)
_DX = _GRID[1] - _GRID[0]


def _normal(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


_P = 0.7 * _normal(_GRID, -2.0, 0.7) + 0.3 * _normal(_GRID, 2.5, 0.7)


def kl_q_p(mu, sigma) -> float:
    """KL(q || p) in nats for q = N(mu, sigma^2) and the two-peaked p of this
    exercise (0.7 N(-2, 0.7^2) + 0.3 N(2.5, 0.7^2)), by quadrature."""
    q = _normal(_GRID, float(mu), float(sigma))
    keep = q > 1e-300
    return float(np.sum(q[keep] * (np.log(q[keep]) - np.log(_P[keep] + 1e-300)))
                 * _DX)


@functools.lru_cache(maxsize=1)
def _best_q():
    best = (np.inf, 0.0, 1.0)
    for mu in np.linspace(-4, 4, 81):
        for sigma in np.linspace(0.2, 4, 39):
            best = min(best, (kl_q_p(mu, sigma), mu, sigma))
    return best


def _test_fitted_q(answer) -> None:
    try:
        mu, sigma = (float(v) for v in answer)
    except (TypeError, ValueError):
        raise Wrong("q_5_5 should be a pair (mu, sigma) of two numbers.") from None
    if not sigma > 0:
        raise Wrong("sigma must be positive.")
    best_kl, best_mu, _ = _best_q()
    kl = kl_q_p(mu, sigma)
    if kl > best_kl + 0.02:
        more = ""
        if abs(mu - (0.7 * -2.0 + 0.3 * 2.5)) < 0.3:
            more = (" Your q sits between the peaks, like a fit of KL(p || q) "
                    "would; KL(q || p) punishes q for the mass it puts where p is "
                    "small.")
        elif mu > 0:
            more = " Your q found the smaller peak; the other one is better."
        raise Wrong(f"KL(q || p) = {kl:.3f} nats for your q; the best Gaussian "
                    f"reaches {best_kl:.3f}.{more}")
    say(translate(
        f"KL(q || p) = {kl:.3f} nats (the best on a grid: {best_kl:.3f}, at mu = "
        f"{best_mu:.1f}): your q sits on one peak and ignores the other."))


ex5 = Exercise(
    number="5.5",
    title="fitting one Gaussian to two peaks",
    kind="explore",
    answer_name="q_5_5",
    test=_test_fitted_q,
    hints=(
        "Call nb05.ex5.kl_q_p(mu, sigma) for a few Gaussians: one between the "
        "peaks, one on each peak.",
        "A q on a peak should be about as wide as that peak.",
        "Try mu = -2 with sigma between 0.5 and 1.",
    ),
    reference=(-2.0, 0.75),
    wrong_answers=((-0.65, 2.3), (2.5, 0.7), (0.0, 1.0)),
    success="Minimising KL(q || p) seeks a mode: the VAE's encoder, which minimises "
            "it to the posterior, tends to be narrower than the posterior.",
)
ex5.kl_q_p = kl_q_p


# Exercise 5.6 (think) ----------------------------------------------------------

ex6 = Think(
    number="5.6",
    title="what the missing -1 would break",
    answer_name="answer_5_6",
    hints=(
        "Without the -1, what is the KL of N(0, 1) to itself? Is that still a "
        "divergence?",
        "Does a constant change the gradient? Which numbers that the course "
        "reports would change?",
    ),
    model_answer=(
        "Without the -1 the formula gives 1/2 nat per dimension for a "
        "distribution compared with itself, so it is no longer a divergence "
        "(zero only at equality). The -1 is a constant: every gradient, and so "
        "the trained VAE, is the same. What breaks are the numbers: the KL term "
        "and the negative ELBO are too large by latent_dim / 2 nats per image, "
        "the reported bound on log p(x) is too low, and dimensions whose q is "
        "the prior itself show a KL of 1/2 instead of 0, so 'unused dimension' "
        "can no longer be read off as KL = 0."
    ),
    key_ideas=(("the KL of a distribution to itself", r"itself|same distribution|"
                r"zero|\b0\b"),
               ("the gradient is unchanged", r"gradient|constant|train"),
               ("reported numbers shift", r"report|number|elbo|bound|nats")),
)

EXERCISES = register(globals())
