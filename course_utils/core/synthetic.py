"""Every data set the course generates from a seed, with its density where it has
one (the real data sets are in :mod:`course_utils.core.data`):

- :func:`latent_factor_data`: points driven by a few hidden factors (notebook 01);
- :func:`make_objects`: the "objects" of the chapter's figure 7.4 (notebook 03);
- :func:`random_covariance`: random covariances for "any q" checks (04, 05);
- :func:`normal_pdf`, :class:`Mixture1D`, :func:`grid_1d`: 1-D densities known in
  closed form (05, 07);
- :func:`ring_centers`, :func:`sample_ring`: the ring of Gaussians (07).

The "objects" data set: the chapter's figure 7.4 made real (notebook 03).

Four kinds of object, dog, bird, car and airplane, are described by many observed
features (legs, wings, wheels, weight, top speed, ...). Behind them are two hidden
factors, as in the chapter's example:

- ``alive``: 1 for a dog or a bird, 0 for a car or an airplane;
- ``flies``: 1 for a bird or an airplane, 0 for a dog or a car.

How one object is drawn (all from one seed, so the set is reproducible):

1. its kind, uniformly (so the two factors are balanced and uncorrelated);
2. its own factor values: the kind's (alive, flies) corner plus Gaussian
   within-kind variation of standard deviation ``spread`` (a sparrow flies more
   than a chicken, a glider less than a jet);
3. its features: each feature has a typical value for each kind
   (:data:`FEATURE_TABLE`); an object with factors (a, f) gets the bilinear blend
   of the four typical values,
   ``v(a, f) = (1-a)(1-f) v_car + (1-a) f v_airplane + a (1-f) v_dog + a f v_bird``,
   which is exactly the typical value at the corners and changes smoothly between
   them (not linearly: the ``a f`` term couples the factors);
4. a third, nuisance factor ``size`` (standard normal) that shifts the size-like
   features (weight, length, top speed, engine power) by ``size_effect`` times its
   value: variation within a kind that the factors do not explain;
5. independent Gaussian noise of standard deviation ``noise`` on every feature,
   after each feature is scaled to unit spread across the four kinds.

The features are returned standardised (mean 0, standard deviation 1 over the
set), ready for an autoencoder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from course_utils.core.config import make_generator
from course_utils.core.errors import CourseError, ShapeError, expect_shape

OBJECTS = ("dog", "bird", "car", "airplane")
FACTOR_NAMES = ("alive", "flies")
# (alive, flies) of each kind, in the order of OBJECTS.
FACTOR_CORNERS = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 1.0]])

# Typical value of each feature for (dog, bird, car, airplane). Units are loose
# on purpose (log scales where sizes span orders of magnitude); every feature is
# rescaled before noise is added.
FEATURE_TABLE: dict[str, tuple[float, float, float, float]] = {
    "legs": (4, 2, 0, 0),
    "wings": (0, 2, 0, 2),
    "wheels": (0, 0, 4, 3),
    "fur": (1, 0, 0, 0),
    "feathers": (0, 1, 0, 0),
    "metal body": (0, 0, 1, 1),
    "needs fuel": (0, 0, 1, 1),
    "eats and sleeps": (1, 1, 0, 0),
    "lays eggs": (0, 1, 0, 0),
    "body temperature (C)": (38.5, 41.0, 20.0, 20.0),
    "heart rate (log bpm)": (4.5, 6.0, 0.0, 0.0),
    "max altitude (log m)": (1.0, 6.0, 1.0, 9.3),
    "top speed (log km/h)": (3.7, 4.0, 5.2, 6.7),
    "weight (log kg)": (3.0, -1.5, 7.2, 11.0),
    "length (log m)": (-0.2, -1.6, 1.5, 3.6),
    "engine power (log kW)": (0.0, 0.0, 4.6, 9.0),
    "passengers": (0, 0, 4, 150),
    "noise level (dB)": (60, 50, 70, 120),
}
FEATURE_NAMES = tuple(FEATURE_TABLE)
# Features that grow with the nuisance factor `size` (bigger dogs, bigger planes).
SIZE_FEATURES = ("top speed (log km/h)", "weight (log kg)", "length (log m)",
                 "engine power (log kW)", "passengers")


@dataclass
class ObjectSet:
    """A generated objects data set.

    x: (N, D) float32 tensor of standardised features (the autoencoder's input).
    labels: (N,) int64 tensor, the kind (index into ``classes``).
    factors: (N, 2) float32 tensor, each object's own (alive, flies) values.
    size: (N,) float32 tensor, the nuisance factor.
    raw: (N, D) the features before standardisation (noise included).
    classes, factor_names, feature_names: names, in order.
    """

    x: torch.Tensor
    labels: torch.Tensor
    factors: torch.Tensor
    size: torch.Tensor
    raw: torch.Tensor
    classes: tuple[str, ...] = OBJECTS
    factor_names: tuple[str, ...] = FACTOR_NAMES
    feature_names: tuple[str, ...] = FEATURE_NAMES

    def __len__(self) -> int:
        return len(self.x)

    @property
    def kind_factors(self) -> torch.Tensor:
        """(N, 2): the (alive, flies) corner of each object's kind (0 or 1)."""
        return torch.from_numpy(FACTOR_CORNERS[self.labels.numpy()]).float()

    def split(self, n_test: int) -> tuple[ObjectSet, ObjectSet]:
        """The first ``len - n_test`` objects and the last ``n_test`` (the order is
        already random)."""
        if not 0 < n_test < len(self):
            raise ShapeError(f"ObjectSet.split: n_test must be between 1 and "
                             f"{len(self) - 1}, got {n_test}.")
        cut = len(self) - n_test
        parts = []
        for sl in (slice(0, cut), slice(cut, None)):
            parts.append(ObjectSet(self.x[sl], self.labels[sl], self.factors[sl],
                                   self.size[sl], self.raw[sl]))
        return parts[0], parts[1]

    def __repr__(self) -> str:
        counts = np.bincount(self.labels.numpy(), minlength=len(self.classes))
        kinds = ", ".join(f"{c} {n}" for c, n in zip(self.classes, counts,
                                                      strict=True))
        return (f"ObjectSet({len(self)} objects x {self.x.shape[1]} features; "
                f"{kinds}; hidden factors {', '.join(self.factor_names)})")


def blend(factors: np.ndarray) -> np.ndarray:
    """Bilinear blend of :data:`FEATURE_TABLE` at factor values (N, 2) -> (N, D):
    the typical values at the four corners, smooth in between."""
    factors = np.asarray(factors, dtype=np.float64)
    if factors.ndim != 2 or factors.shape[1] != 2:
        raise ShapeError(f"blend: `factors` should have shape (N, 2), got "
                         f"{factors.shape}.")
    a, f = factors[:, :1], factors[:, 1:]
    table = np.array(list(FEATURE_TABLE.values()), dtype=np.float64).T  # (4, D)
    dog, bird, car, plane = table
    return ((1 - a) * (1 - f) * car + (1 - a) * f * plane + a * (1 - f) * dog
            + a * f * bird)


def make_objects(n: int = 1000, seed: int = 0, spread: float = 0.3,
                 size_effect: float = 0.15, noise: float = 0.1) -> ObjectSet:
    """Generate ``n`` objects (see the module docstring), reproducibly from ``seed``.

    n: number of objects (at least 8).
    seed: the same seed gives the same set, on any machine.
    spread: within-kind standard deviation of each hidden factor.
    size_effect: how strongly the nuisance factor ``size`` moves the size-like
        features (in units of each feature's spread across kinds).
    noise: standard deviation of the independent noise on every feature (same
        units).
    """
    if int(n) < 8:
        raise ShapeError(f"make_objects: n should be at least 8, got {n}.")
    if min(spread, size_effect, noise) < 0:
        raise ShapeError("make_objects: spread, size_effect and noise must be >= 0.")
    rng = np.random.default_rng(seed)
    n = int(n)
    labels = rng.integers(0, len(OBJECTS), size=n)
    factors = FACTOR_CORNERS[labels] + spread * rng.standard_normal((n, 2))
    size = rng.standard_normal(n)
    clean = blend(factors)
    table = np.array(list(FEATURE_TABLE.values()), dtype=np.float64)  # (D, 4)
    scale = table.std(axis=1)  # each feature's spread across the four kinds
    raw = clean / scale
    in_size = np.array([name in SIZE_FEATURES for name in FEATURE_NAMES])
    raw[:, in_size] += size_effect * size[:, None]
    raw += noise * rng.standard_normal(raw.shape)
    raw *= scale  # back to the table's units
    x = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    return ObjectSet(
        x=torch.from_numpy(x).float(),
        labels=torch.from_numpy(labels).long(),
        factors=torch.from_numpy(factors).float(),
        size=torch.from_numpy(size).float(),
        raw=torch.from_numpy(raw).float(),
    )


# Points driven by hidden factors (notebook 01) ----------------------------------


def latent_factor_data(n_points: int, n_features: int = 40, n_factors: int = 4,
                       noise: float = 0.3, seed: int = 0):
    """Data driven by a few hidden factors: x = z A^T + noise (notebook 01).

    n_points: how many points N.
    n_features: observed dimension n.
    n_factors: true number of hidden factors k (< n).
    noise: standard deviation of the independent noise on each feature.
    seed: seeds its own generator.
    Returns ``(x, loadings)``: x (N, n) float64 tensor, loadings A (n, k). The
    factors are standard normal; factor j's loading column has norm
    ``sqrt(n) * (1 - 0.5 j / k)``, so each factor matters, but not equally.
    """
    if not 0 < n_factors < n_features:
        raise ShapeError(f"latent_factor_data: need 0 < n_factors < n_features, "
                         f"got n_factors={n_factors}, n_features={n_features}.")
    g = make_generator(seed)
    basis, _ = torch.linalg.qr(torch.randn(n_features, n_factors, generator=g,
                                           dtype=torch.float64))
    scales = np.sqrt(n_features) * (1.0 - 0.5 * np.arange(n_factors) / n_factors)
    loadings = basis * torch.tensor(scales) / np.sqrt(n_factors)
    z = torch.randn(n_points, n_factors, generator=g, dtype=torch.float64)
    eps = noise * torch.randn(n_points, n_features, generator=g, dtype=torch.float64)
    return z @ loadings.T + eps, loadings


# Densities known in closed form (notebooks 04, 05, 07) ---------------------------


def normal_pdf(x: Any, mean: float = 0.0, std: float = 1.0) -> Any:
    """The density of N(mean, std^2) at ``x``: a torch tensor in, a tensor out;
    anything else (a number, a list, a NumPy array) gives a float64 NumPy array
    (figures of notebooks 04, 05 and 07)."""
    if not std > 0:
        raise CourseError(f"normal_pdf: std must be positive, got {std}.")
    exp = torch.exp if isinstance(x, torch.Tensor) else np.exp
    if not isinstance(x, torch.Tensor):
        x = np.asarray(x, dtype=np.float64)
    return exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def random_covariance(n: int, rng: np.random.Generator, scale: float = 1.0,
                      diagonal: bool = False) -> np.ndarray:
    """A random, well-conditioned n x n covariance, for "any q" checks (notebook 04)."""
    if diagonal:
        return np.diag(scale * rng.uniform(0.2, 2.0, size=n))
    a = rng.normal(size=(n, n))
    return scale * (a @ a.T / n + 0.2 * np.eye(n))


@dataclass(frozen=True)
class Mixture1D:
    """A 1-D mixture of Gaussians with known density, to sample from and to
    evaluate exactly (notebook 07, section 1)."""

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self):
        if len(self.means) == 0 or len(self.means) != len(self.stds):
            raise CourseError("Mixture1D: give one std per mean (at least one).")
        if self.weights is not None and (
                len(self.weights) != len(self.means)
                or abs(sum(self.weights) - 1) > 1e-6 or min(self.weights) < 0):
            raise CourseError("Mixture1D: weights must be one per mean, >= 0, "
                              "summing to 1.")

    @property
    def w(self) -> tuple[float, ...]:
        return self.weights or tuple(1 / len(self.means) for _ in self.means)

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        """The density at ``x``."""
        return sum(w * normal_pdf(x, m, s)
                   for w, m, s in zip(self.w, self.means, self.stds, strict=True))

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws as an (n, 1) float32 tensor."""
        k = torch.multinomial(torch.tensor(self.w), n, replacement=True,
                              generator=generator)
        means = torch.tensor(self.means)[k]
        stds = torch.tensor(self.stds)[k]
        return (means + stds * torch.randn(n, generator=generator))[:, None]


def grid_1d(low: float = -8.0, high: float = 8.0, n: int = 20001
            ) -> tuple[torch.Tensor, float]:
    """A fine float64 grid for quadrature: ``(x, dx)``; integrals are
    ``(f(x) * dx).sum()``."""
    x = torch.linspace(low, high, n, dtype=torch.float64)
    return x, float(x[1] - x[0])


def ring_centers(k: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The (k, 2) centres of ``k`` modes equally spaced on a circle."""
    if k < 1:
        raise CourseError(f"ring_centers: need at least one mode, got k={k}.")
    angles = 2 * math.pi * torch.arange(k, dtype=torch.float32) / k
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def sample_ring(n: int, generator: torch.Generator, centers: torch.Tensor,
                std: float) -> torch.Tensor:
    """``n`` points from the equal-weight mixture of N(center, std^2 I)."""
    expect_shape("centers", centers, (None, 2), "sample_ring")
    idx = torch.randint(len(centers), (n,), generator=generator)
    return centers[idx] + std * torch.randn(n, 2, generator=generator)
