"""Plumbing for notebook 07 (7.2 Generative Adversarial Networks).

The GAN idea, its losses and the remedy for mode collapse are written in the
notebook; this module holds what is not the lesson: the toy distributions with
known densities, the mode-coverage measure, the alternating training loop and
its snapshots, and the plots of the generator's distribution.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from course_utils.core.config import make_generator
from course_utils.core.errors import CourseError, ShapeError, expect_shape

# Densities with a closed form (section 1 of notebook 07) ----------------------


def normal_pdf(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """Density of N(mean, std^2) at ``x`` (any shape)."""
    if std <= 0:
        raise CourseError(f"normal_pdf: std must be positive, got {std}.")
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


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


# The toy 2-D data: a ring of Gaussians (section 3) -----------------------------


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


@dataclass
class ModeCoverage:
    """How many modes of a mixture a set of samples covers.

    covered: modes that received at least ``min_share`` of their fair share of
        samples (n / k) within 3 standard deviations of their centre.
    counts: samples within 3 std of each mode.
    quality: fraction of all samples within 3 std of some mode.
    """

    covered: int
    total: int
    counts: list[int]
    quality: float

    def __str__(self) -> str:
        return (f"{self.covered} of {self.total} modes covered; "
                f"{100 * self.quality:.0f}% of samples near a mode")


def mode_coverage(samples: torch.Tensor, centers: torch.Tensor, std: float,
                  min_share: float = 0.25) -> ModeCoverage:
    """Count the modes covered by ``samples`` (notebook 07, section 3).

    samples: (n, d) generated points.
    centers: (k, d) centres of the true modes, each N(center, std^2 I).
    min_share: a mode counts as covered when at least ``min_share * n / k``
        samples fall within 3 std of it (a quarter of its fair share by default).
    """
    samples = torch.as_tensor(samples, dtype=torch.float32)
    if samples.ndim != 2 or samples.shape[1] != centers.shape[1] or len(samples) < 1:
        raise ShapeError(f"mode_coverage: `samples` should have shape (n, "
                         f"{centers.shape[1]}), got {tuple(samples.shape)}.")
    dist = torch.cdist(samples, centers.float())
    nearest = dist.min(dim=1)
    near = nearest.values < 3 * std
    counts = torch.bincount(nearest.indices[near], minlength=len(centers))
    need = min_share * len(samples) / len(centers)
    return ModeCoverage(covered=int((counts >= need).sum()), total=len(centers),
                        counts=counts.tolist(), quality=float(near.float().mean()))


# The alternating training loop ------------------------------------


@dataclass
class GanHistory:
    """What :func:`train_gan` records: the losses at every step, the generator's
    samples at a few steps (``snapshots``: step -> tensor), and wall time."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0

    def as_plain(self) -> dict:
        """A dict that ``torch.load(weights_only=True)`` reads back (for the cache)."""
        return {"d_loss": self.d_loss, "g_loss": self.g_loss, "seconds": self.seconds,
                "snapshot_steps": list(self.snapshots),
                "snapshots": [v for v in self.snapshots.values()]}

    @classmethod
    def from_plain(cls, d: dict) -> GanHistory:
        return cls(d_loss=list(d["d_loss"]), g_loss=list(d["g_loss"]),
                   snapshots=dict(zip(d["snapshot_steps"], d["snapshots"],
                                      strict=True)),
                   seconds=float(d["seconds"]))


def train_gan(generator: nn.Module, discriminator: nn.Module,
              sample_real: Callable[[int, torch.Generator], torch.Tensor],
              d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
              g_loss: Callable[[torch.Tensor], torch.Tensor], *, latent_dim: int,
              steps: int, batch_size: int = 128, lr_g: float = 1e-3,
              lr_d: float = 1e-3, betas: tuple[float, float] = (0.5, 0.999),
              seed: int = 0, snapshot_steps: Sequence[int] = (),
              snapshot_size: int = 1000, device: torch.device | str = "cpu"
              ) -> GanHistory:
    """Alternate one discriminator step and one generator step, ``steps`` times.

    sample_real: ``sample_real(n, generator)`` returns ``n`` real examples.
    d_loss: ``d_loss(real_logits, fake_logits)``, minimised by the discriminator.
    g_loss: ``g_loss(fake_logits)``, minimised by the generator.
    latent_dim: size of the noise z ~ N(0, I) fed to the generator.
    snapshot_steps: after these steps (1-based), keep ``snapshot_size`` samples
        from the same fixed noise, to watch the generator's distribution move
        (step 0 = before training).
    The discriminator's logits come from ``discriminator(x)`` for a batch ``x``;
    a discriminator that looks at several samples at once (a packed one) may
    return fewer logits than it receives samples.
    Adam with ``betas`` (0.5, 0.999), the usual choice for GANs since DCGAN.
    """
    if steps < 1 or batch_size < 1:
        raise CourseError("train_gan: steps and batch_size must be positive.")
    device = torch.device(device)
    generator.to(device).train()
    discriminator.to(device).train()
    gen = make_generator(seed)
    fixed_z = torch.randn(snapshot_size, latent_dim, generator=make_generator(seed + 1))
    # plain Adam, not training.adam's fused kernel: the collapse of notebook 07 is
    # a chaotic outcome measured with this arithmetic; with the fused kernel (the
    # same algorithm, other rounding) seed 1 kept 3.2 modes instead of 1.0
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
    history = GanHistory()
    wanted = set(snapshot_steps)

    def snapshot(step: int) -> None:
        with torch.no_grad():
            history.snapshots[step] = generator(fixed_z.to(device)).cpu()

    if 0 in wanted:
        snapshot(0)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        real = sample_real(batch_size, gen).to(device)
        z = torch.randn(batch_size, latent_dim, generator=gen).to(device)
        fake = generator(z)
        loss_d = d_loss(discriminator(real), discriminator(fake.detach()))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        z = torch.randn(batch_size, latent_dim, generator=gen).to(device)
        loss_g = g_loss(discriminator(generator(z)))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        history.d_loss.append(float(loss_d.detach()))
        history.g_loss.append(float(loss_g.detach()))
        if step in wanted:
            snapshot(step)
    history.seconds = time.perf_counter() - start
    generator.eval()
    discriminator.eval()
    return history


# Plots ---------------------------------------------------------------------------


def plot_snapshots(history: GanHistory, real: torch.Tensor, centers: torch.Tensor,
                   std: float, title: str = "", steps: Sequence[int] | None = None,
                   axes=None, limit: float = 3.0):
    """One panel per snapshot: real data (grey), generated samples (colour),
    with the number of covered modes in each panel's title. Returns the figure.

    steps: which snapshots to show (default: all of them).
    """
    import matplotlib.pyplot as plt

    steps = sorted(history.snapshots if steps is None else steps)
    missing = [s for s in steps if s not in history.snapshots]
    if not steps or missing:
        raise CourseError("plot_snapshots: no snapshot at step(s) "
                          f"{missing or 'any'}; pass snapshot_steps to train_gan "
                          f"(this history has {sorted(history.snapshots)}).")
    if axes is None:
        # larger fonts (the presenting style) get larger panels, three per row
        grow = max(1.0, plt.rcParams["font.size"] / 11)
        ncols = len(steps) if grow == 1.0 else min(3, len(steps))
        nrows = -(-len(steps) // ncols)
        fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                                 figsize=(2.2 * grow * ncols, 2.7 * grow * nrows))
        axes = axes.ravel()
        for ax in axes[len(steps):]:
            ax.axis("off")
    else:
        axes = np.asarray(axes).ravel()
        fig = axes[0].figure
    real = real.cpu().numpy()
    for ax, step in zip(axes, steps, strict=False):
        fake = history.snapshots[step]
        cov = mode_coverage(fake, centers, std)
        ax.scatter(real[:, 0], real[:, 1], s=3, color="0.75", label="data")
        ax.scatter(fake[:, 0], fake[:, 1], s=3, color="C3", alpha=0.5,
                   label="generator")
        ax.set_title(f"step {step}\n{cov.covered}/{cov.total} modes",
                     fontsize="medium")
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("0.8")
    if title:
        fig.suptitle(title)
    return fig


def plot_coverage(histories: dict[str, GanHistory], centers: torch.Tensor, std: float,
                  ax=None, title: str = "Modes covered during training"):
    """Covered modes at every snapshot, one line per run (``{label: history}``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4))
    for label, history in histories.items():
        steps = sorted(history.snapshots)
        covered = [mode_coverage(history.snapshots[s], centers, std).covered
                   for s in steps]
        ax.plot(steps, covered, marker="o", markersize=3, label=label)
    ax.set_ylim(-0.3, len(centers) + 0.3)
    ax.set_xlabel("step")
    ax.set_ylabel(f"modes covered (of {len(centers)})")
    ax.set_title(title)
    ax.legend()
    return ax
