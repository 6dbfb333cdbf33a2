"""The KL divergence between Gaussians, for notebook 05 (and the exact models of
notebook 04).

- :func:`gaussian_log_pdf` and :func:`kl_gaussians`: n-dimensional Gaussians in
  closed form, in float64 NumPy;
- :func:`kl_view` and :func:`describe_kl`: the logic behind notebook 05's
  interactive view (its figure is :func:`course_utils.topics.figures.draw_kl_view`).

The closed-form KL to the standard normal, with its -1, is written in notebook 05
itself and exported to :mod:`course_utils.topics.gaussian_kl`.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from course_utils.core.errors import CourseError, ShapeError
from course_utils.core.synthetic import normal_pdf
from course_utils.topics.gaussian_kl import kl_standard_normal

LOG_2PI = math.log(2.0 * math.pi)


def _square(name: str, matrix, n: int, where: str) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape != (n, n):
        raise ShapeError(f"{where}: `{name}` should be a {n}x{n} covariance matrix, "
                         f"got shape {matrix.shape}.")
    return matrix


def _cholesky(name: str, matrix: np.ndarray, where: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise CourseError(f"{where}: `{name}` is not a covariance matrix (it must be "
                          "symmetric positive definite).") from None


def gaussian_log_pdf(x, mean, cov) -> np.ndarray:
    """log N(x; mean, cov) for points ``x`` of shape (..., n) (notebooks 04, 05).

    mean: (n,); cov: (n, n) symmetric positive definite.
    Returns an array of shape (...).
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    n = mean.shape[0]
    cov = _square("cov", cov, n, "gaussian_log_pdf")
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1:] != (n,):
        raise ShapeError(f"gaussian_log_pdf: points `x` should end in dimension {n} "
                         f"(the mean's length), got shape {x.shape}.")
    chol = _cholesky("cov", cov, "gaussian_log_pdf")
    diff = (x - mean).reshape(-1, n).T
    sol = np.linalg.solve(chol, diff)
    maha = np.sum(sol**2, axis=0).reshape(x.shape[:-1])
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    return -0.5 * (n * LOG_2PI + log_det + maha)


def kl_gaussians(mean_q, cov_q, mean_p, cov_p) -> float:
    """KL(N(mean_q, cov_q) || N(mean_p, cov_p)) for n-dimensional Gaussians, in nats.

    The general case of notebook 05:
    1/2 [tr(P^-1 Q) + (m_p - m_q)^T P^-1 (m_p - m_q) - n + log det P - log det Q].
    """
    mean_q = np.atleast_1d(np.asarray(mean_q, dtype=np.float64))
    mean_p = np.atleast_1d(np.asarray(mean_p, dtype=np.float64))
    n = mean_q.shape[0]
    if mean_p.shape != (n,):
        raise ShapeError(f"kl_gaussians: the two means should have the same length, "
                         f"got {mean_q.shape} and {mean_p.shape}.")
    cov_q = _square("cov_q", cov_q, n, "kl_gaussians")
    cov_p = _square("cov_p", cov_p, n, "kl_gaussians")
    chol_q = _cholesky("cov_q", cov_q, "kl_gaussians")
    chol_p = _cholesky("cov_p", cov_p, "kl_gaussians")
    a = np.linalg.solve(chol_p, chol_q)          # P^-1 Q = A A^T in trace
    trace = np.sum(a**2)
    d = np.linalg.solve(chol_p, mean_p - mean_q)
    log_det_p = 2.0 * np.sum(np.log(np.diag(chol_p)))
    log_det_q = 2.0 * np.sum(np.log(np.diag(chol_q)))
    return float(0.5 * (trace + d @ d - n + log_det_p - log_det_q))


def kl_view(mu: float = 0.0, sigma: float = 1.0) -> dict:
    """q = N(mu, sigma^2) against the prior p = N(0, 1) (notebook 05).

    Returns ``kl`` = KL(q || p) (closed form, with the -1), ``kl_reverse`` =
    KL(p || q), ``kl_book`` (the chapter's form without the -1), and for the
    figure a grid ``z``, the densities ``q`` and ``p`` and the integrand
    ``q log(q / p)`` whose area is ``kl``.
    """
    mu, sigma = float(mu), float(sigma)
    if not sigma > 0:
        raise CourseError("kl_view: sigma must be positive.")
    half = max(4.0, abs(mu) + 4 * sigma)
    z = np.linspace(-half, half, 801)
    q, p = normal_pdf(z, mu, sigma), normal_pdf(z, 0.0, 1.0)
    log_ratio = (-np.log(sigma) - 0.5 * ((z - mu) / sigma) ** 2 + 0.5 * z**2)
    return {
        "mu": mu, "sigma": sigma,
        "kl": float(kl_standard_normal(torch.tensor(mu, dtype=torch.float64),
                                       torch.tensor(sigma, dtype=torch.float64))),
        "kl_reverse": kl_gaussians([0.0], [[1.0]], [mu], [[sigma**2]]),
        "kl_book": 0.5 * (mu**2 + sigma**2 - math.log(sigma**2)),
        "z": z, "q": q, "p": p, "integrand": q * log_ratio,
    }


def describe_kl(result: dict) -> str:
    """One line of HTML for the KL view's readout."""
    return (f"q = N({result['mu']:.2f}, {result['sigma']:.2f}²): &nbsp; "
            f"<b>KL(q‖p) = {result['kl']:.4f}</b>, &nbsp; KL(p‖q) = "
            f"{result['kl_reverse']:.4f}, &nbsp; the book's form without −1: "
            f"{result['kl_book']:.4f}")
