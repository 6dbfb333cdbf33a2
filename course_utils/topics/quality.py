"""One sample-quality metric for the course's generators (taught in notebook 03,
reused in 06 for the VAE and in 07 for the GAN, so the three share one table).

A small classifier is trained once on the real training images (cached with
:func:`cache.cached_training`) and then acts as a fixed ruler. For a batch of
images it reports:

``confidence``
    mean over images of the largest class probability (0.1 = no idea, 1 = sure).
    Real clothes score high; blurry or meaningless images usually lower.
``entropy``
    mean per-image predictive entropy in nats (0 = sure, log 10 = 2.30 = no idea).
``diversity``
    entropy of the histogram of predicted classes in nats (log 10 = 2.30: every
    class equally often; 0: every image is called the same class). Low diversity
    is the signature of mode collapse (notebook 07).
``frechet``
    the squared Frechet distance between Gaussians fitted to the classifier's
    penultimate-layer features of the images and of real test images:
    ``|mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1^1/2 S_2 S_1^1/2)^1/2)``. This is the
    recipe of the FID (Heusel et al., 2017, "GANs trained by a two time-scale update
    rule converge to a local Nash equilibrium"), with our small classifier in place
    of the Inception network, so its values are only comparable within this course.
    0 for a set with the real images' statistics; larger is worse. It depends on
    the number of images scored (a small set has a positive bias), so compare sets
    of equal size.

Usage::

    from course_utils.core.data import load_fashion_mnist
    from course_utils.topics.quality import SampleQuality
    quality = SampleQuality.fashion(load_fashion_mnist("train"),
                                    load_fashion_mnist("test"), device=cfg.device)
    quality.score(x)                            # x: (N, 28, 28) in [0, 1]
    print(quality.table({"real": x_real, "AE, random z": x_fake}))

The builders take the data as arguments and load nothing themselves: pass the
whole training split (they draw their own fixed subset of it), so that every
notebook measures with the same ruler. ``SampleQuality.digits(load_digits("train"),
load_digits("test"))`` does the same for the 8x8 digits. The classifier trains
and scores on ``device``; the scores come back as Python floats on the CPU.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from course_utils.core.cache import cached_training
from course_utils.core.config import as_device, pick, seeded
from course_utils.core.errors import ShapeError
from course_utils.core.training import evaluate, fit

METRIC_KEYS = ("confidence", "entropy", "diversity", "frechet")
# the training images of the Fashion-MNIST ruler: pick(**RULER_IMAGES), seed 0
RULER_IMAGES = {"full": 30000, "fast": 10000}
METRIC_DESCRIPTIONS = {
    "confidence": "mean max class probability (higher: more recognisable)",
    "entropy": "mean predictive entropy, nats (lower: more recognisable)",
    "diversity": "entropy of predicted-class histogram, nats (log 10 = 2.30 best)",
    "frechet": "Frechet distance of features to real test images (lower: better)",
}


# Frechet distance between Gaussians, NumPy only -------------------------------

def gaussian_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector and covariance matrix (float64) of ``features`` (N, D), N >= 2."""
    f = _as_numpy(features)
    if f.ndim != 2 or len(f) < 2:
        raise ShapeError("gaussian_stats: `features` should have shape (N, D) with "
                         f"N >= 2, got {f.shape}.")
    return f.mean(axis=0), np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (eigendecomposition;
    tiny negative eigenvalues from rounding are set to 0)."""
    vals, vecs = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """Squared Frechet (2-Wasserstein) distance between N(mu1, cov1), N(mu2, cov2).

    ``|mu1 - mu2|^2 + tr(cov1) + tr(cov2) - 2 tr((cov1^1/2 cov2 cov1^1/2)^1/2)``.
    The last trace equals tr((cov1 cov2)^1/2); writing it with the symmetric product
    lets a symmetric eigendecomposition do the work (no SciPy needed).
    """
    mu1, mu2 = _as_numpy(mu1).ravel(), _as_numpy(mu2).ravel()
    cov1, cov2 = _as_numpy(cov1), _as_numpy(cov2)
    d = len(mu1)
    if mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ShapeError("frechet_distance: expected means of shape (D,) and "
                         f"covariances (D, D), got {mu1.shape}, {cov1.shape}, "
                         f"{mu2.shape}, {cov2.shape}.")
    root1 = _sqrt_psd(cov1)
    middle = root1 @ cov2 @ root1
    vals = np.linalg.eigvalsh((middle + middle.T) / 2)
    cross = float(np.sqrt(np.clip(vals, 0.0, None)).sum())
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2)
                  - 2.0 * cross)
    return max(value, 0.0)


def _as_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


# The classifier ----------------------------------------------------------------

class QualityClassifier(nn.Module):
    """An MLP classifier whose penultimate layer gives the features of the metric.

    input_dim: pixels per image (784 for 28x28, 64 for 8x8).
    hidden: widths of the hidden ReLU layers; the last one is the feature layer.
    n_classes: number of classes.
    """

    def __init__(self, input_dim: int, hidden: Sequence[int] = (256, 64),
                 n_classes: int = 10):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = input_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        return self.head(self.features(x))


@dataclass
class QualityTable:
    """Scores of several image sets, one row each; prints as an aligned table.

    rows: ``{name: score dict}`` in the order given. ``table[name]`` is a row.
    """

    rows: dict[str, dict[str, float]]

    def __getitem__(self, name: str) -> dict[str, float]:
        return self.rows[name]

    def __str__(self) -> str:
        width = max([len("image set")] + [len(n) for n in self.rows])
        head = f"{'image set':<{width}}  " + "  ".join(f"{k:>10}" for k in METRIC_KEYS)
        lines = [head, "-" * len(head)]
        for name, s in self.rows.items():
            lines.append(f"{name:<{width}}  "
                         + "  ".join(f"{s[k]:>10.3f}" for k in METRIC_KEYS))
        lines.append("")
        lines += [f"{k}: {METRIC_DESCRIPTIONS[k]}" for k in METRIC_KEYS]
        return "\n".join(lines)

    __repr__ = __str__


class SampleQuality:
    """A fixed, trained classifier and the feature statistics of real test images.

    Build it with :meth:`fashion` or :meth:`digits`; call :meth:`score` on a batch
    of images or :meth:`table` on several. Taught in notebook 03.
    """

    def __init__(self, classifier: QualityClassifier, real_images: torch.Tensor,
                 image_shape: tuple[int, int], classes: Sequence[str],
                 accuracy: float = float("nan"), name: str = "",
                 device: str | torch.device | None = "cpu"):
        self.device = as_device(device, where="SampleQuality")
        self.classifier = classifier.eval().to(self.device)
        self.image_shape = tuple(image_shape)
        self.classes = tuple(classes)
        self.accuracy = accuracy  # on the real test images
        self.name = name
        self.real_mu, self.real_cov = gaussian_stats(self.features(real_images))
        self.n_real = len(real_images)

    # inputs ---------------------------------------------------------------
    def _prepare(self, images) -> torch.Tensor:
        x = images
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(x)
        if not isinstance(x, torch.Tensor):
            raise ShapeError("SampleQuality: `images` should be a tensor or NumPy "
                             f"array, got {type(images).__name__}.")
        x = x.detach().cpu().float()
        pixels = self.image_shape[0] * self.image_shape[1]
        if x.ndim == 4 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim == 2 and x.shape[1] == pixels:
            x = x.reshape(-1, *self.image_shape)
        if x.ndim != 3 or tuple(x.shape[1:]) != self.image_shape or len(x) < 2:
            h, w = self.image_shape
            raise ShapeError(
                f"SampleQuality ({self.name}): `images` should have shape (N, {h}, "
                f"{w}), (N, 1, {h}, {w}) or (N, {pixels}) with N >= 2, got "
                f"{tuple(x.shape)}.")
        if not torch.isfinite(x).all():
            raise ShapeError("SampleQuality: `images` contain NaN or infinite values.")
        lo, hi = float(x.min()), float(x.max())
        if lo < -0.01 or hi > 1.01:
            raise ShapeError(
                f"SampleQuality: pixel values should lie in [0, 1], got [{lo:.3g}, "
                f"{hi:.3g}]. Pass images as the decoder outputs them (a sigmoid), "
                "or rescale, e.g. (x + 1) / 2 for images in [-1, 1].")
        return x.clamp(0.0, 1.0).to(self.device)

    @torch.no_grad()
    def features(self, images, batch_size: int = 2048) -> np.ndarray:
        """Penultimate-layer features (N, D) of ``images``."""
        x = self._prepare(images)
        out = [self.classifier.features(x[i:i + batch_size])
               for i in range(0, len(x), batch_size)]
        return torch.cat(out).double().cpu().numpy()

    # the metric -----------------------------------------------------------
    def score(self, images) -> dict[str, float]:
        """``confidence``, ``entropy``, ``diversity``, ``frechet`` and ``n``
        (see the module docstring) for a batch of images in [0, 1]."""
        x = self._prepare(images)
        with torch.no_grad():
            feats = self.classifier.features(x)
            probs = torch.softmax(self.classifier.head(feats), dim=1)
        probs = probs.double().cpu().numpy()
        feats = feats.double().cpu().numpy()
        entropy = -(probs * np.log(np.clip(probs, 1e-12, None))).sum(axis=1)
        counts = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1])
        freq = counts / counts.sum()
        diversity = abs(float((freq[freq > 0] * np.log(freq[freq > 0])).sum()))
        mu, cov = gaussian_stats(feats)
        return {
            "confidence": float(probs.max(axis=1).mean()),
            "entropy": float(entropy.mean()),
            "diversity": diversity,
            "frechet": frechet_distance(mu, cov, self.real_mu, self.real_cov),
            "n": len(x),
        }

    def table(self, image_sets: Mapping[str, object]) -> QualityTable:
        """Score each image set of ``{name: images}``; returns a printable table."""
        if not isinstance(image_sets, Mapping) or not image_sets:
            raise ShapeError("SampleQuality.table: pass a non-empty dict "
                             "{name: images}.")
        return QualityTable({name: self.score(x) for name, x in image_sets.items()})

    def __repr__(self) -> str:
        return (f"SampleQuality({self.name!r}: classifier accuracy "
                f"{self.accuracy:.3f} on real test images, reference features of "
                f"{self.n_real} real test images)")

    # constructors ---------------------------------------------------------
    @classmethod
    def train(cls, train_set, test_set, name: str, hidden: Sequence[int],
              epochs: int, n_reference: int | None = None, seed: int = 0,
              lr: float = 1e-3, batch_size: int = 128,
              device: str | torch.device | None = "cpu",
              verbose: bool = False) -> SampleQuality:
        """Train (or load from the cache) a classifier on ``train_set`` (an
        :class:`data.ImageSet`) and take reference features from ``test_set``.

        The seed is fixed by default, so every notebook and every ``COURSE_SEED``
        measures with the same ruler. The initial weights are drawn on the CPU
        under :func:`config.seeded` (the caller's random state is left alone), so
        they are the same on every device; training and scoring run on
        ``device``.
        """
        device = as_device(device, where="SampleQuality")
        pixels = train_set.flat.shape[1]
        with seeded(seed):
            model = QualityClassifier(pixels, hidden, len(train_set.classes))

        def loss_fn(m, batch):
            x, y = batch
            return nn.functional.cross_entropy(m(x), y)

        def train(m):
            return fit(m, loss_fn, (train_set.images, train_set.labels),
                       epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                       device=device, progress=True)

        # the images and labels are in the key too: cached_training fingerprints
        # the data `train` reads (a per-image float64 sum here cost 190 MB)
        settings = {"n_train": len(train_set), "epochs": epochs, "seed": seed,
                    "lr": lr, "batch_size": batch_size, "data": train_set.name}
        cached_training(f"quality-{name}", model, train, settings, verbose=verbose,
                        device=device)
        model.eval()

        def accuracy(m, batch):
            x, y = batch
            return (m(x).argmax(dim=1) == y).float().mean()

        acc = evaluate(model, accuracy, (test_set.images, test_set.labels),
                       device=device)["loss"]
        reference = test_set.subset(n_reference, seed=seed)
        return cls(model, reference.images, train_set.image_shape, train_set.classes,
                   accuracy=acc, name=name, device=device)

    @classmethod
    def fashion(cls, train_set, test_set, *, n_train: int | None = None,
                epochs: int | None = None, n_reference: int | None = None,
                seed: int = 0, device: str | torch.device | None = "cpu",
                verbose: bool = False) -> SampleQuality:
        """The ruler for 28x28 Fashion-MNIST images (notebooks 03, 06, 07).

        train_set, test_set: the Fashion-MNIST training and test splits
            (:func:`data.load_fashion_mnist`). Pass the training split loaded
            with ``limit=pick(**RULER_IMAGES)`` (what the ruler trains on: the
            loader subsets the bytes before the float copy, 190 MB less than the
            whole split) or the whole split; both give the same images.
        n_train: training images drawn from ``train_set`` with ``seed``. Default
            30,000 (fast mode: 10,000), the same images as
            ``load_fashion_mnist("train", limit=n_train, seed=seed)``.
        epochs: default 5 (fast mode: 3): a few seconds on two CPU cores, once;
            then cached.
        n_reference: real test images behind the reference statistics, default
            5,000 (fast mode: 2,000).
        seed: the ruler's own seed (subset, initial weights, batches).
        device: where the classifier trains and scores (e.g. ``cfg.device``).
        """
        n_train = n_train if n_train is not None else pick(**RULER_IMAGES)
        epochs = epochs if epochs is not None else pick(full=5, fast=3)
        n_reference = (n_reference if n_reference is not None
                       else pick(full=5000, fast=2000))
        return cls.train(train_set.subset(n_train, seed=seed), test_set, "fashion",
                         hidden=(256, 64), epochs=epochs, n_reference=n_reference,
                         seed=seed, lr=2e-3, batch_size=256, device=device,
                         verbose=verbose)

    @classmethod
    def digits(cls, train_set, test_set, *, epochs: int | None = None,
               seed: int = 0, device: str | torch.device | None = "cpu",
               verbose: bool = False) -> SampleQuality:
        """The ruler for the 8x8 digits: pass ``load_digits("train")`` (1,347
        images) and ``load_digits("test")`` (450 images, the reference
        statistics). ``epochs``: default 60 (fast mode: 40)."""
        epochs = epochs if epochs is not None else pick(full=60, fast=40)
        return cls.train(train_set, test_set, "digits", hidden=(128, 32),
                         epochs=epochs, seed=seed, lr=2e-3, batch_size=64,
                         device=device, verbose=verbose)


