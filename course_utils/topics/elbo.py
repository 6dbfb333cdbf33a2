"""Exact reference models and divergences for notebooks 04 (Jensen and the ELBO)
and 05 (the Gaussian KL).

Everything here is computed in closed form, in float64 NumPy, so that a notebook
can check the chapter's identities to numerical precision:

- Gaussian log-densities and the KL divergence between two Gaussians;
- :class:`GaussianMixture`, a model with a discrete latent variable (the chapter's
  sums over z): log p(x, z), log p(x) and p(z|x), exactly;
- :class:`PPCA`, probabilistic PCA, a linear-Gaussian model with a continuous
  latent variable: p(x) and p(z|x) in closed form;
- the logic behind the two interactive views: :func:`jensen_gap` (notebook 04) and
  :func:`kl_view` (notebook 05), with their figures :func:`draw_jensen` and
  :func:`draw_kl_view`.

The ELBO itself and the closed-form KL are written in the notebooks that teach
them; the notebooks check them against what is here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from course_utils.core.errors import CourseError, ShapeError

LOG_2PI = math.log(2.0 * math.pi)


# Small numerics ---------------------------------------------------------------

def logsumexp(a, axis: int = -1) -> np.ndarray:
    """log(sum(exp(a))) along ``axis`` without overflow (notebook 04)."""
    a = np.asarray(a, dtype=np.float64)
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
    return np.squeeze(out, axis=axis)


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


# Gaussians ----------------------------------------------------------------------

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


def kl_normal(mu, sigma, mu_p=0.0, sigma_p=1.0):
    """KL(N(mu, sigma^2) || N(mu_p, sigma_p^2)) for scalars or arrays, elementwise.

    With the defaults, the chapter's closed form with its -1 (notebook 05):
    1/2 (mu^2 + sigma^2 - log sigma^2 - 1).
    """
    mu, sigma = np.asarray(mu, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    if np.any(sigma <= 0) or np.any(np.asarray(sigma_p) <= 0):
        raise CourseError("kl_normal: standard deviations must be positive.")
    ratio = (sigma / sigma_p) ** 2
    return 0.5 * (ratio + (mu - mu_p) ** 2 / sigma_p**2 - 1.0 - np.log(ratio))


def normal_pdf(z, mu: float = 0.0, sigma: float = 1.0) -> np.ndarray:
    """The density of N(mu, sigma^2) at ``z`` (plots of notebooks 04 and 05)."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-0.5 * ((z - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def random_covariance(n: int, rng: np.random.Generator, scale: float = 1.0,
                      diagonal: bool = False) -> np.ndarray:
    """A random, well-conditioned n x n covariance, for "any q" checks (notebook 04)."""
    if diagonal:
        return np.diag(scale * rng.uniform(0.2, 2.0, size=n))
    a = rng.normal(size=(n, n))
    return scale * (a @ a.T / n + 0.2 * np.eye(n))


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
    import torch

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


def draw_jensen(result: dict, ax=None):
    """The concave log, the distribution of X beneath it, and the Jensen gap."""
    if ax is None:
        _, ax = plt.subplots()
    mean = result["mean"]
    right = mean * (1 + 3 * max(result["spread"], 0.15))
    if "x" in result:
        right = max(right, float(result["x"][-1]))
    grid = np.linspace(mean * 0.02, right, 400)
    ax.plot(grid, np.log(grid), color="C0", label="log x (concave)")
    dens_ax = ax.twinx()
    if "x" in result:
        dens_ax.fill_between(result["x"], result["density"], color="C1", alpha=0.3,
                             label="density of X")
    else:
        dens_ax.vlines(result["atoms"], 0, result["probs"], color="C1", lw=6,
                       alpha=0.5, label="P(X = x)")
        ax.plot(result["atoms"], np.log(result["atoms"]), "o", color="C1")
        if len(result["atoms"]) == 2:
            ax.plot(result["atoms"], np.log(result["atoms"]), "--", color="C1",
                    lw=1.2, label="chord")
    top = dens_ax.get_ylim()[1]
    dens_ax.set_ylim(0, top * 3)  # keep the density in the lower third
    dens_ax.set_yticks([])
    dens_ax.grid(False)
    ax.axvline(mean, color="gray", lw=1, ls=":")
    ax.plot([mean], [result["log_mean"]], "o", color="C0", ms=9,
            label="log E[X]")
    ax.plot([mean], [result["mean_log"]], "s", color="C3", ms=9,
            label="E[log X]")
    ax.annotate(f"gap {result['gap']:.3f}", xy=(mean, result["mean_log"]),
                xytext=(mean + 0.08 * right, 0.5 * (result["log_mean"]
                                                    + result["mean_log"]) - 0.2),
                arrowprops={"arrowstyle": "->", "color": "C3"}, color="C3")
    low = min(result["mean_log"], np.log(grid[0])) - 0.3
    ax.set_ylim(max(low, np.log(mean) - 3.5), np.log(right) + 0.3)
    ax.set_xlim(0, right)
    ax.set_xlabel("x")
    ax.set_ylabel("log x")
    ax.set_title(f"Jensen: log E[X] ≥ E[log X]  ({result['dist']})")
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = dens_ax.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, loc="upper left", fontsize="small")
    return ax.figure


# The Gaussian KL: the logic of notebook 05's interactive view --------------------

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
        "kl": float(kl_normal(mu, sigma)),
        "kl_reverse": float(kl_normal(0.0, 1.0, mu, sigma)),
        "kl_book": 0.5 * (mu**2 + sigma**2 - math.log(sigma**2)),
        "z": z, "q": q, "p": p, "integrand": q * log_ratio,
    }


def describe_kl(result: dict) -> str:
    """One line of HTML for the KL view's readout."""
    return (f"q = N({result['mu']:.2f}, {result['sigma']:.2f}²): &nbsp; "
            f"<b>KL(q‖p) = {result['kl']:.4f}</b>, &nbsp; KL(p‖q) = "
            f"{result['kl_reverse']:.4f}, &nbsp; the book's form without −1: "
            f"{result['kl_book']:.4f}")


def draw_kl_view(result: dict, axes=None):
    """Two panels: q and p, and the integrand q log(q/p) whose area is KL(q||p)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(plt.rcParams["figure.figsize"][0] * 1.7,
                                              plt.rcParams["figure.figsize"][1]))
    left, right = axes
    z = result["z"]
    left.plot(z, result["p"], color="C0", label="p = N(0, 1)")
    left.plot(z, result["q"], color="C1",
              label=f"q = N({result['mu']:.2f}, {result['sigma']:.2f}²)")
    left.fill_between(z, result["q"], color="C1", alpha=0.15)
    left.set_xlabel("z")
    left.set_ylabel("density")
    left.set_title("the two densities")
    left.legend(loc="upper left", fontsize="small")
    integrand = result["integrand"]
    right.plot(z, integrand, color="C3")
    right.fill_between(z, integrand, where=integrand >= 0, color="C3", alpha=0.3,
                       label="adds to KL")
    right.fill_between(z, integrand, where=integrand < 0, color="C5", alpha=0.4,
                       label="subtracts")
    right.axhline(0, color="gray", lw=1)
    right.set_xlabel("z")
    right.set_title(f"q log(q/p): area = KL(q‖p) = {result['kl']:.3f}")
    right.legend(loc="upper left", fontsize="small")
    left.figure.tight_layout()
    return left.figure
