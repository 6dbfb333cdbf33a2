"""Exercises of notebook 03 (deep autoencoders)."""

from __future__ import annotations

import torch

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close
from course_utils.topics.pca import linear_probe_r2
from course_utils.topics.quality import frechet_distance

# 3.1 A linear probe ------------------------------------------------------------


def _probe_cases():
    g = torch.Generator().manual_seed(3)
    z = torch.randn(200, 2, generator=g)
    y = 2.0 + 1.5 * z[:, 0] - 0.5 * z[:, 1] + 0.7 * torch.randn(200, generator=g)
    z1 = torch.randn(150, 1, generator=g)
    y1 = 5.0 + torch.randn(150, generator=g)  # unrelated to z1, far from 0
    return [(z1, y1, "a 1-D code that says nothing about a factor with mean 5"),
            (z, y, "a 2-D code with a linear factor plus noise")]


def _test_probe(probe_r2) -> None:
    expect_callable(probe_r2, "probe_r2")
    for z, y, what in _probe_cases():
        got = probe_r2(z, y)
        expected = linear_probe_r2(z, y)
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise Wrong("probe_r2 should return one number (R^2).") from None
        if what.startswith("a 1-D") and value < -0.5:
            raise Wrong(f"on {what} your R^2 is {value:.2f}, far below 0: did you "
                        "leave out the intercept b (a column of ones)?")
        expect_close(value, expected, f"R^2 on {what}", rtol=1e-4, atol=1e-4)


def _probe_no_intercept(z, y):
    z, y = torch.as_tensor(z).double(), torch.as_tensor(y).double().reshape(-1, 1)
    w = torch.linalg.lstsq(z.reshape(len(y), -1), y).solution
    r = y - z.reshape(len(y), -1) @ w
    return float(1 - r.pow(2).sum() / (y - y.mean()).pow(2).sum())


def _probe_corr(z, y):  # correlation, not squared, of the first coordinate only
    z, y = torch.as_tensor(z).double(), torch.as_tensor(y).double()
    return float(torch.corrcoef(torch.stack([z.reshape(len(y), -1)[:, 0], y]))[0, 1])


ex1 = Exercise(
    number="3.1",
    title="a linear probe",
    test=_test_probe,
    hint_text="design = torch.cat([z, torch.ones(len(z), 1)], dim=1); "
              "w = torch.linalg.lstsq(design, y[:, None]).solution; then "
              "R^2 = 1 - residual sum of squares / total sum of squares.",
    solution_text="""
        def probe_r2(z, y):
            z = torch.as_tensor(z).double()
            y = torch.as_tensor(y).double().reshape(-1, 1)
            design = torch.cat([z.reshape(len(y), -1),
                                torch.ones(len(y), 1, dtype=torch.float64)], 1)
            w = torch.linalg.lstsq(design, y).solution
            residual = y - design @ w
            return float(1 - residual.pow(2).sum() / (y - y.mean()).pow(2).sum())
    """,
    reference=lambda z, y: linear_probe_r2(z, y),
    wrong_answers=(_probe_no_intercept, _probe_corr),
    success="A probe's R^2 says how much of a factor a code holds linearly.",
)


# 3.2 The Frechet distance in one dimension -------------------------------------

_FRECHET_CASES = [(0.0, 1.0, 0.0, 1.0), (1.0, 1.0, -1.0, 1.0), (0.0, 2.0, 0.0, 0.5),
                  (3.0, 0.3, 1.0, 1.7)]


def _test_frechet_1d(frechet_1d) -> None:
    expect_callable(frechet_1d, "frechet_1d")
    for mu1, s1, mu2, s2 in _FRECHET_CASES:
        expected = frechet_distance([mu1], [[s1 ** 2]], [mu2], [[s2 ** 2]])
        got = frechet_1d(mu1, s1, mu2, s2)
        if mu1 == mu2 and s1 == s2 and abs(float(got)) > 1e-9:
            raise Wrong(f"two identical Gaussians should be at distance 0, got "
                        f"{float(got):.3g}.")
        expect_close(got, expected, f"frechet_1d({mu1}, {s1}, {mu2}, {s2})",
                     rtol=1e-6, atol=1e-9)


ex2 = Exercise(
    number="3.2",
    title="the Frechet distance in one dimension",
    test=_test_frechet_1d,
    hint_text="in 1-D, tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2) is "
              "sigma1^2 + sigma2^2 - 2 sigma1 sigma2, a perfect square.",
    solution_text="""
        def frechet_1d(mu1, sigma1, mu2, sigma2):
            return (mu1 - mu2) ** 2 + (sigma1 - sigma2) ** 2
    """,
    reference=lambda mu1, s1, mu2, s2: (mu1 - mu2) ** 2 + (s1 - s2) ** 2,
    wrong_answers=(
        lambda mu1, s1, mu2, s2: (mu1 - mu2) ** 2 + (s1 ** 2 - s2 ** 2) ** 2,
        lambda mu1, s1, mu2, s2: abs(mu1 - mu2) + abs(s1 - s2),
        lambda mu1, s1, mu2, s2: (mu1 - mu2) ** 2 + s1 ** 2 + s2 ** 2,
    ),
    success="The squared distance of the means plus that of the spreads.",
)


# 3.3 Sampling from a Gaussian fitted to codes ----------------------------------


def _codes() -> torch.Tensor:
    g = torch.Generator().manual_seed(5)
    base = torch.randn(3000, 3, generator=g)
    mix = torch.tensor([[2.0, 0.0, 0.0], [1.5, 0.5, 0.0], [0.0, -1.0, 0.3]])
    return base @ mix.T + torch.tensor([1.0, -2.0, 4.0])


def _test_sampler(sample_fitted_gaussian) -> None:
    expect_callable(sample_fitted_gaussian, "sample_fitted_gaussian")
    z = _codes()
    draws = sample_fitted_gaussian(z, 20000, torch.Generator().manual_seed(0))
    if not isinstance(draws, torch.Tensor) or tuple(draws.shape) != (20000, 3):
        raise Wrong("return a tensor of shape (n, k): here (20000, 3), got "
                    f"{getattr(draws, 'shape', type(draws).__name__)}.")
    again = sample_fitted_gaussian(z, 20000, torch.Generator().manual_seed(0))
    if not torch.equal(draws, again):
        raise Wrong("the same generator seed gave different draws: draw with "
                    "`generator=generator`.")
    if (draws.min(dim=0).values >= z.min(dim=0).values).all() and (
            draws.max(dim=0).values <= z.max(dim=0).values).all():
        mean_ok = (draws.mean(0) - z.mean(0)).abs().max() < 0.1
        if mean_ok and draws.std(0).max() < z.std(0).max() * 0.8:
            raise Wrong("the draws look uniform in a box, not Gaussian.")
    expect_close(draws.mean(dim=0), z.mean(dim=0), "the mean of your draws",
                 rtol=0, atol=0.08)
    cov_d, cov_z = torch.cov(draws.T), torch.cov(z.T)
    if (cov_d.diagonal() - cov_z.diagonal()).abs().max() < 0.2 and (
            cov_d - cov_z).abs().max() > 0.5:
        raise Wrong("the variances are right but not the correlations: use the "
                    "full covariance (its Cholesky factor), not one standard "
                    "deviation per coordinate.")
    expect_close(cov_d, cov_z, "the covariance of your draws", rtol=0, atol=0.2)


def _reference_sampler(z, n, generator):
    chol = torch.linalg.cholesky(torch.cov(z.T))
    return z.mean(dim=0) + torch.randn(n, z.shape[1], generator=generator) @ chol.T


ex3 = Exercise(
    number="3.3",
    title="sampling from a Gaussian fitted to the codes",
    test=_test_sampler,
    hint_text="L = torch.linalg.cholesky(torch.cov(z.T)); draws = z.mean(0) + "
              "torch.randn(n, k, generator=generator) @ L.T.",
    solution_text="""
        def sample_fitted_gaussian(z, n, generator):
            chol = torch.linalg.cholesky(torch.cov(z.T))
            eps = torch.randn(n, z.shape[1], generator=generator)
            return z.mean(dim=0) + eps @ chol.T
    """,
    reference=_reference_sampler,
    wrong_answers=(
        # one standard deviation per coordinate: loses the correlations
        lambda z, n, g: z.mean(0) + torch.randn(n, z.shape[1], generator=g) * z.std(0),
        # the standard normal prior, ignoring where the codes are
        lambda z, n, g: torch.randn(n, z.shape[1], generator=g),
        # L instead of L.T: a wrong covariance
        lambda z, n, g: z.mean(0) + torch.randn(n, z.shape[1], generator=g)
        @ torch.linalg.cholesky(torch.cov(z.T)),
        # unseeded
        lambda z, n, g: _reference_sampler(z, n, None),
    ),
    success="Even this careful choice of z decodes to poor images in section 5.",
)
