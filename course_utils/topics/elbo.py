"""Exact reference models for notebook 04 (Jensen and the ELBO).

Everything here is computed in closed form, in float64 NumPy, so that a notebook
can check the chapter's identities to numerical precision:

- :class:`GaussianMixture`, a model with a discrete latent variable (the chapter's
  sums over z): log p(x, z), log p(x) and p(z|x), exactly;
- :class:`PPCA`, probabilistic PCA, a linear-Gaussian model with a continuous
  latent variable: p(x) and p(z|x) in closed form;
- the logic behind notebook 04's interactive view, :func:`jensen_gap` (its figure
  is :func:`course_utils.topics.figures.draw_jensen`).

The ELBO itself and the closed-form KL are written in the notebooks that teach
them; the notebooks check them against what is here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from course_utils.core.errors import CourseError, ShapeError
from course_utils.topics.kl import gaussian_log_pdf

# Small numerics ---------------------------------------------------------------

def logsumexp(a, axis: int = -1) -> np.ndarray:
    """log(sum(exp(a))) along ``axis`` without overflow (notebook 04)."""
    a = np.asarray(a, dtype=np.float64)
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
    return np.squeeze(out, axis=axis)


# A discrete latent variable: the Gaussian mixture -------------------------------

@dataclass(frozen=True)
class GaussianMixture:
    """p(z = k) = weights[k],  p(x | z = k) = N(x; means[k], covs[k])  (notebook 04).

    weights: (K,) positive, summing to 1; means: (K, n); covs: (K, n, n).
    """

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray

    def __post_init__(self):
        w = np.asarray(self.weights, dtype=np.float64)
        m = np.asarray(self.means, dtype=np.float64)
        c = np.asarray(self.covs, dtype=np.float64)
        k = w.shape[0]
        if w.ndim != 1 or np.any(w <= 0) or abs(w.sum() - 1) > 1e-9:
            raise CourseError("GaussianMixture: `weights` should be a vector of K "
                              "positive numbers that sum to 1.")
        if m.ndim != 2 or m.shape[0] != k:
            raise ShapeError(f"GaussianMixture: `means` should have shape ({k}, n), "
                             f"got {m.shape}.")
        if c.shape != (k, m.shape[1], m.shape[1]):
            raise ShapeError(f"GaussianMixture: `covs` should have shape ({k}, "
                             f"{m.shape[1]}, {m.shape[1]}), got {c.shape}.")
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "means", m)
        object.__setattr__(self, "covs", c)

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def log_prior(self) -> np.ndarray:
        """log p(z = k), shape (K,)."""
        return np.log(self.weights)

    def log_likelihood(self, x) -> np.ndarray:
        """log p(x | z = k) for points (..., n): shape (..., K)."""
        return np.stack([gaussian_log_pdf(x, m, c)
                         for m, c in zip(self.means, self.covs, strict=True)], axis=-1)

    def log_joint(self, x) -> np.ndarray:
        """log p(x, z = k) = log p(x | z = k) + log p(z = k): shape (..., K)."""
        return self.log_likelihood(x) + self.log_prior()

    def log_evidence(self, x) -> np.ndarray:
        """log p(x) = log sum_k p(x, z = k): shape (...)."""
        return logsumexp(self.log_joint(x), axis=-1)

    def posterior(self, x) -> np.ndarray:
        """p(z = k | x) by Bayes' rule: shape (..., K), rows sum to 1."""
        log_joint = self.log_joint(x)
        return np.exp(log_joint - logsumexp(log_joint, axis=-1)[..., None])

    def sample(self, n_points: int, rng: np.random.Generator):
        """Draw ``n_points`` pairs (x, z): x of shape (N, n), z of shape (N,)."""
        z = rng.choice(self.n_components, size=n_points, p=self.weights)
        chols = np.linalg.cholesky(self.covs)
        eps = rng.normal(size=(n_points, self.means.shape[1]))
        x = self.means[z] + np.einsum("nij,nj->ni", chols[z], eps)
        return x, z


# A continuous latent variable: probabilistic PCA --------------------------------

@dataclass(frozen=True)
class PPCA:
    """Probabilistic PCA (Tipping and Bishop, 1999), the chapter's generative model
    with a linear decoder (notebook 04):

        z ~ N(0, I_m),    x | z ~ N(W z + b, sigma2 I_n).

    W: (n, m) decoder weights; b: (n,) offset; sigma2: the noise variance (the
    chapter's c).
    """

    W: np.ndarray
    b: np.ndarray
    sigma2: float

    def __post_init__(self):
        w = np.asarray(self.W, dtype=np.float64)
        b = np.asarray(self.b, dtype=np.float64)
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise ShapeError(f"PPCA: `W` should be (n, m) and `b` (n,), got "
                             f"{w.shape} and {b.shape}.")
        if not self.sigma2 > 0:
            raise CourseError("PPCA: the noise variance `sigma2` must be positive.")
        object.__setattr__(self, "W", w)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "sigma2", float(self.sigma2))

    @property
    def dims(self) -> tuple[int, int]:
        """(n, m): data and latent dimensions."""
        return self.W.shape

    def log_prior(self, z) -> np.ndarray:
        """log p(z) = log N(z; 0, I), for z of shape (..., m)."""
        m = self.W.shape[1]
        return gaussian_log_pdf(z, np.zeros(m), np.eye(m))

    def log_likelihood(self, x, z) -> np.ndarray:
        """log p(x | z) = log N(x; W z + b, sigma2 I); z of shape (..., m)."""
        z = np.asarray(z, dtype=np.float64)
        n = self.W.shape[0]
        resid = np.asarray(x, dtype=np.float64) - (z @ self.W.T + self.b)
        return -0.5 * (n * math.log(2 * math.pi * self.sigma2)
                       + np.sum(resid**2, axis=-1) / self.sigma2)

    def marginal(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of p(x) = N(b, W W^T + sigma2 I)."""
        n = self.W.shape[0]
        return self.b.copy(), self.W @ self.W.T + self.sigma2 * np.eye(n)

    def log_evidence(self, x) -> np.ndarray:
        """log p(x), exactly, for x of shape (..., n)."""
        mean, cov = self.marginal()
        return gaussian_log_pdf(x, mean, cov)

    def posterior(self, x) -> tuple[np.ndarray, np.ndarray]:
        """p(z | x) = N(M^-1 W^T (x - b), sigma2 M^-1) with M = W^T W + sigma2 I.

        x: one point (n,). Returns the mean (m,) and the covariance (m, m).
        """
        x = np.asarray(x, dtype=np.float64)
        if x.shape != self.b.shape:
            raise ShapeError(f"PPCA.posterior: `x` should be one point of shape "
                             f"{self.b.shape}, got {x.shape}.")
        m = self.W.shape[1]
        big_m = self.W.T @ self.W + self.sigma2 * np.eye(m)
        mean = np.linalg.solve(big_m, self.W.T @ (x - self.b))
        cov = self.sigma2 * np.linalg.inv(big_m)
        return mean, 0.5 * (cov + cov.T)

    def sample(self, n_points: int, rng: np.random.Generator):
        """Draw ``n_points`` pairs (x, z): x of shape (N, n), z of shape (N, m)."""
        n, m = self.W.shape
        z = rng.normal(size=(n_points, m))
        x = z @ self.W.T + self.b + math.sqrt(self.sigma2) * rng.normal(
            size=(n_points, n))
        return x, z


# Jensen's inequality: the logic of notebook 04's interactive view ----------------

JENSEN_FAMILIES = ("two-point", "uniform", "gamma", "log-normal")
_MAX_SPREAD = {"two-point": 0.99, "uniform": 0.99 / math.sqrt(3), "gamma": 5.0,
               "log-normal": 5.0}


def _digamma(k: float) -> float:
    return float(torch.special.digamma(torch.tensor(k, dtype=torch.float64)))


def jensen_gap(dist: str, mean: float = 1.0, spread: float = 0.3) -> dict:
    """log E[X] against E[log X] for a positive random variable X (notebook 04).

    dist: one of ``JENSEN_FAMILIES``.
    mean: E[X] > 0.
    spread: the relative spread sd(X) / E[X] >= 0 (0 makes X a constant).
    Returns a dict with ``log_mean`` (log E[X]), ``mean_log`` (E[log X], exact),
    ``gap`` (their difference, >= 0 by Jensen's inequality), ``delta`` (the
    small-spread approximation spread^2 / 2), and what the figure needs: ``x`` and
    ``density`` (a grid and the pdf) or ``atoms`` and ``probs`` (two-point).
    """
    if dist not in JENSEN_FAMILIES:
        raise CourseError(f"jensen_gap: unknown distribution {dist!r}; choose one of "
                          f"{', '.join(JENSEN_FAMILIES)}.")
    mean, spread = float(mean), float(spread)
    if not mean > 0:
        raise CourseError("jensen_gap: the mean must be positive (log needs X > 0).")
    if not 0 <= spread <= _MAX_SPREAD[dist]:
        raise CourseError(f"jensen_gap: for the {dist} distribution the spread "
                          f"sd/mean must lie in [0, {_MAX_SPREAD[dist]:.3g}] so that "
                          "X stays positive.")
    out = {"dist": dist, "mean": mean, "spread": spread, "log_mean": math.log(mean),
           "delta": 0.5 * spread**2}
    s = spread * mean  # the standard deviation
    if spread == 0:
        out.update(mean_log=math.log(mean), atoms=np.array([mean]),
                   probs=np.array([1.0]))
    elif dist == "two-point":
        atoms = np.array([mean - s, mean + s])
        out.update(mean_log=float(np.mean(np.log(atoms))), atoms=atoms,
                   probs=np.array([0.5, 0.5]))
    elif dist == "uniform":
        a, b = mean - math.sqrt(3) * s, mean + math.sqrt(3) * s
        mean_log = (b * math.log(b) - a * math.log(a)) / (b - a) - 1.0
        x = np.linspace(a, b, 400)
        out.update(mean_log=mean_log, x=x, density=np.full_like(x, 1.0 / (b - a)))
    elif dist == "gamma":
        k = 1.0 / spread**2
        theta = mean / k
        x = np.linspace(1e-6, mean * (1 + 5 * spread), 600)
        log_pdf = ((k - 1) * np.log(x) - x / theta - math.lgamma(k)
                   - k * math.log(theta))
        out.update(mean_log=_digamma(k) + math.log(theta), x=x,
                   density=np.exp(log_pdf))
    else:  # log-normal: log X ~ N(m, v)
        v = math.log1p(spread**2)
        m = math.log(mean) - v / 2
        x = np.linspace(1e-6, mean * (1 + 5 * spread), 600)
        density = np.exp(-(np.log(x) - m) ** 2 / (2 * v)) / (
            x * math.sqrt(2 * math.pi * v))
        out.update(mean_log=m, x=x, density=density)
    out["gap"] = out["log_mean"] - out["mean_log"]
    return out


def describe_jensen(result: dict) -> str:
    """One line of HTML for the Jensen view's readout."""
    return (f"<b>{result['dist']}</b>, E[X] = {result['mean']:.3g}, "
            f"sd/mean = {result['spread']:.2f}: &nbsp; log E[X] = "
            f"{result['log_mean']:.4f}, &nbsp; E[log X] = {result['mean_log']:.4f}, "
            f"&nbsp; <b>gap = {result['gap']:.4f}</b> "
            f"(small-spread approximation spread²/2 = {result['delta']:.4f})")
