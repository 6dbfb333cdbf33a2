"""The "objects" data set: the chapter's figure 7.4 made real (notebook 03).

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

from dataclasses import dataclass

import numpy as np
import torch

from course_utils.core.errors import ShapeError

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


def linear_probe_r2(z, target, z_test=None, target_test=None) -> float:
    """How well a linear function of the code ``z`` reads ``target``: R^2 of a
    least-squares fit ``target ~ w z + b`` (1 = perfectly, 0 = not at all).

    Fitted on (z, target); scored on (z_test, target_test) when given.
    """
    def as2d(v):
        v = v.detach().cpu().double().numpy() if isinstance(v, torch.Tensor) else v
        v = np.asarray(v, dtype=np.float64)
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
