"""Linear dimensionality reduction: PCA, subspaces and their angles, and the
linear probe that reads a factor from a code.

Taught in ``01_dimensionality_reduction_pca`` (PCA, the discarded-eigenvalue
identity, the slider) and used again in ``02_linear_autoencoder_vs_pca``
(principal angles, orthogonality of a basis, correlation of codes).

Conventions. Data are rows: ``x`` has shape (N, n), N points of n coordinates.
The covariance is ``C = (1/N) sum_i (x_i - mean)(x_i - mean)^T`` (divided by N, not
N - 1). A reconstruction error is the squared error summed over the n coordinates
and averaged over the N points (the course's loss convention), so that for PCA
``reconstruction_error(x, pca.reconstruct(x, m)) == pca.eigenvalues[m:].sum()``
on the data PCA was fitted to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from course_utils.core.arrays import to_numpy
from course_utils.core.errors import CourseError, ShapeError


class LatentSizeError(CourseError, ValueError):
    """A latent size m outside 0..n was asked for."""


def _as_matrix(x, name: str, where: str) -> torch.Tensor:
    """A float64 (N, n) tensor from a tensor or array; a ShapeError otherwise."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise ShapeError(f"{where}: `{name}` should be a tensor or a NumPy array, "
                         f"got {type(x).__name__}.")
    if x.ndim != 2:
        raise ShapeError(f"{where}: `{name}` should be a matrix of shape (N, n), one "
                         f"point per row, but has shape {tuple(x.shape)}. Flatten "
                         "images first (ImageSet.flat).")
    return x.detach().to("cpu", torch.float64)


def _check_m(m: int, n: int, where: str) -> int:
    if isinstance(m, bool) or int(m) != m or not 0 <= int(m) <= n:
        raise LatentSizeError(f"{where}: the latent size m must be a whole number "
                              f"from 0 to {n} (the data's dimension), got {m!r}.")
    return int(m)


@dataclass
class PCAFit:
    """PCA of a data set: its mean, the covariance's eigenvalues (largest first) and
    eigenvectors (the columns of ``components``, same order). Float64 tensors.

    Made by :func:`fit_pca` (notebook 01 writes the same recipe from scratch).
    """

    mean: torch.Tensor         # (n,)
    eigenvalues: torch.Tensor  # (n,), descending, >= 0 up to rounding
    components: torch.Tensor   # (n, n), column j is the j-th principal direction

    @property
    def dim(self) -> int:
        return len(self.mean)

    def encode(self, x, m: int) -> torch.Tensor:
        """The m-dimensional codes z = U_m^T (x - mean), shape (N, m)."""
        x = _as_matrix(x, "x", "PCAFit.encode")
        m = _check_m(m, self.dim, "PCAFit.encode")
        return (x - self.mean) @ self.components[:, :m]

    def decode(self, z) -> torch.Tensor:
        """Back to data space: x_hat = mean + U_m z, shape (N, n)."""
        z = _as_matrix(z, "z", "PCAFit.decode")
        _check_m(z.shape[1], self.dim, "PCAFit.decode")
        return self.mean + z @ self.components[:, : z.shape[1]].T

    def reconstruct(self, x, m: int) -> torch.Tensor:
        """decode(encode(x, m)): the orthogonal projection onto the top-m subspace."""
        return self.decode(self.encode(x, m))

    def discarded(self, m: int) -> float:
        """The sum of the eigenvalues PCA drops when it keeps m directions."""
        m = _check_m(m, self.dim, "PCAFit.discarded")
        return float(self.eigenvalues[m:].sum())

    def error_curve(self, x, ms=None) -> np.ndarray:
        """Reconstruction error of ``x`` for each latent size in ``ms`` (default
        0..n), from one projection of the data (not one reconstruction per m)."""
        x = _as_matrix(x, "x", "PCAFit.error_curve")
        ms = np.arange(self.dim + 1) if ms is None else np.asarray(ms)
        for m in ms:
            _check_m(m, self.dim, "PCAFit.error_curve")
        energy = (((x - self.mean) @ self.components) ** 2).mean(dim=0)  # per axis
        total = float(((x - self.mean) ** 2).sum(dim=1).mean())
        kept = np.concatenate([[0.0], np.cumsum(energy.numpy())])
        return total - kept[ms.astype(int)]


def fit_pca(x, chunk: int = 1024) -> PCAFit:
    """PCA from the eigendecomposition of the covariance (divided by N), float64.

    x: data, shape (N, n), one point per row. Defined in notebook 01.
    chunk: rows converted to float64 at a time (bounds the memory used).
    """
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor) or x.ndim != 2:
        _as_matrix(x, "x", "fit_pca")  # raises the ShapeError
    if len(x) < 2:
        raise ShapeError("fit_pca: need at least two points to estimate a covariance.")
    x = x.detach().cpu()
    # float64 in chunks of 1,024 rows, the mean too: a float64 copy of 20,000
    # images at once, or chunks of 4,096, raised a notebook's peak by 90-125 MB
    mean = sum(x[start:start + chunk].double().sum(dim=0)
               for start in range(0, len(x), chunk)) / len(x)
    cov = torch.zeros(x.shape[1], x.shape[1], dtype=torch.float64)
    for start in range(0, len(x), chunk):
        xc = x[start:start + chunk].double() - mean
        cov += xc.T @ xc
    cov /= len(x)
    return pca_from_covariance(mean, cov)


def pca_from_covariance(mean, cov) -> PCAFit:
    """PCA from a mean (n,) and a covariance matrix (n, n) already computed (for
    example in float32 on 60,000 images, as notebook 02 does to save time)."""
    cov = _as_matrix(cov, "cov", "pca_from_covariance")
    mean = torch.as_tensor(mean).detach().cpu().double().reshape(-1)
    if cov.shape != (len(mean), len(mean)):
        raise ShapeError(f"pca_from_covariance: `cov` should have shape "
                         f"({len(mean)}, {len(mean)}) to match the mean, got "
                         f"{tuple(cov.shape)}.")
    eigenvalues, eigenvectors = torch.linalg.eigh((cov + cov.T) / 2)  # ascending
    return PCAFit(mean, eigenvalues.flip(0).clamp(min=0.0), eigenvectors.flip(1))


def reconstruction_error(x, x_hat) -> float:
    """Squared error summed over coordinates, averaged over points (notebook 01)."""
    x = _as_matrix(x, "x", "reconstruction_error")
    x_hat = _as_matrix(x_hat, "x_hat", "reconstruction_error")
    if x.shape != x_hat.shape:
        raise ShapeError(f"reconstruction_error: `x` has shape {tuple(x.shape)} but "
                         f"`x_hat` has shape {tuple(x_hat.shape)}; they must match.")
    return float(((x - x_hat) ** 2).sum(dim=1).mean())


# Subspaces ---------------------------------------------------------------------

def orthonormal_basis(a) -> torch.Tensor:
    """An orthonormal basis (columns) of the span of the columns of ``a`` (n, k)."""
    a = _as_matrix(a, "a", "orthonormal_basis")
    q, r = torch.linalg.qr(a)
    rank = int((r.diagonal().abs() > 1e-10 * max(1.0, float(r.abs().max()))).sum())
    if rank < a.shape[1]:
        raise ShapeError(f"orthonormal_basis: the {a.shape[1]} columns span only "
                         f"{rank} dimensions; they are linearly dependent.")
    return q


def principal_angles(a, b) -> torch.Tensor:
    """Principal angles (radians, ascending) between the column spans of ``a`` (n, p)
    and ``b`` (n, q): arccos of the singular values of Qa^T Qb, where Qa and Qb are
    orthonormal bases (Bjorck and Golub, 1973). All zero iff the spans coincide
    (for p == q). Used in notebook 02.

    Small angles are computed from sines (more accurate than arccos near 1).
    """
    a = _as_matrix(a, "a", "principal_angles")
    b = _as_matrix(b, "b", "principal_angles")
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"principal_angles: `a` has {a.shape[0]} rows and `b` has "
                         f"{b.shape[0]}; both hold vectors of the same space as "
                         "columns.")
    qa, qb = orthonormal_basis(a), orthonormal_basis(b)
    if qa.shape[1] < qb.shape[1]:
        qa, qb = qb, qa                       # now span(qa) has the larger dimension
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(0.0, 1.0)   # descending
    sines = torch.linalg.svdvals(qb - qa @ (qa.T @ qb))            # the parts of qb
    sines = torch.sort(sines.clamp(0.0, 1.0)).values               # outside: ascending
    angles = torch.where(cosines > np.sqrt(0.5), torch.arcsin(sines),
                         torch.arccos(cosines))
    return torch.sort(angles).values


def column_angles(a, b) -> torch.Tensor:
    """Angle (radians, in [0, pi/2]) between column j of ``a`` and column j of ``b``,
    for each j: direction by direction, sign ignored. Used in notebook 02."""
    a = _as_matrix(a, "a", "column_angles")
    b = _as_matrix(b, "b", "column_angles")
    if a.shape != b.shape:
        raise ShapeError(f"column_angles: `a` has shape {tuple(a.shape)} and `b` "
                         f"{tuple(b.shape)}; they must match.")
    cos = (a * b).sum(0).abs() / (a.norm(dim=0) * b.norm(dim=0))
    return torch.arccos(cos.clamp(0.0, 1.0))


def max_offdiag(matrix: torch.Tensor) -> float:
    """The largest absolute off-diagonal entry of a square matrix."""
    matrix = _as_matrix(matrix, "matrix", "max_offdiag")
    if matrix.shape[0] != matrix.shape[1]:
        raise ShapeError(f"max_offdiag: expected a square matrix, got shape "
                         f"{tuple(matrix.shape)}.")
    off = matrix - torch.diag(matrix.diagonal())
    return float(off.abs().max()) if len(matrix) > 1 else 0.0


def cosine_matrix(w) -> torch.Tensor:
    """Cosines of the angles between the columns of ``w`` (n, k): a (k, k) matrix,
    the identity iff the columns are orthogonal. Used in notebook 02."""
    w = _as_matrix(w, "w", "cosine_matrix")
    unit = w / w.norm(dim=0).clamp(min=1e-300)
    return unit.T @ unit


def correlation_matrix(z) -> torch.Tensor:
    """Pearson correlations between the columns (code coordinates) of ``z`` (N, k).
    Used in notebook 02."""
    z = _as_matrix(z, "z", "correlation_matrix")
    zc = z - z.mean(dim=0)
    cov = zc.T @ zc / len(z)
    sd = cov.diagonal().sqrt().clamp(min=1e-300)
    return cov / sd[:, None] / sd[None, :]


def elbow(errors) -> int:
    """The latent size after which the error stops falling fast: the m that
    maximises gain(m) / gain(m + 1), with gain(m) = errors[m - 1] - errors[m].

    errors: reconstruction errors for m = 0, 1, ..., at least three values.
    For PCA, gain(m) is the m-th eigenvalue, so this is the largest eigenvalue gap
    on a log scale. Used in notebook 01.
    """
    errors = np.asarray(errors, dtype=float)
    if errors.ndim != 1 or len(errors) < 3:
        raise ShapeError("elbow: pass errors for m = 0, 1, 2, ... (at least three).")
    gains = errors[:-1] - errors[1:]                      # gains[m - 1] = gain(m)
    ratios = gains[:-1] / np.maximum(gains[1:], 1e-300)   # gain(m) / gain(m + 1)
    return int(np.argmax(ratios)) + 1


# What notebook 01's slider shows ------------------------------------------------

def reconstruction_at(pca: PCAFit, x, m: int) -> tuple[torch.Tensor, float]:
    """What the slider shows for latent size m: the reconstructions of ``x`` and
    their reconstruction error (summed over pixels, mean over images)."""
    x_hat = pca.reconstruct(x, m)
    return x_hat, reconstruction_error(x, x_hat)


# Reading a factor from a code (notebook 03) ----------------------------------------

def linear_probe_r2(z, target, z_test=None, target_test=None) -> float:
    """How well a linear function of the code ``z`` reads ``target``: R^2 of a
    least-squares fit ``target ~ w z + b`` (1 = perfectly, 0 = not at all).

    Fitted on (z, target); scored on (z_test, target_test) when given.
    """
    def as2d(v):
        v = to_numpy(v, what="linear_probe_r2's input")
        return v[:, None] if v.ndim == 1 else v

    z, y = as2d(z), as2d(target).ravel()
    if len(z) != len(y) or len(z) < 3:
        raise ShapeError(f"linear_probe_r2: z has {len(z)} rows and target {len(y)};"
                         " they must match (at least 3).")
    design = np.hstack([z, np.ones((len(z), 1))])
    w, *_ = np.linalg.lstsq(design, y, rcond=None)
    if z_test is not None:
        z, y = as2d(z_test), as2d(target_test).ravel()
        design = np.hstack([z, np.ones((len(z), 1))])
    resid = y - design @ w
    return float(1.0 - (resid ** 2).sum() / ((y - y.mean()) ** 2).sum())
