"""How many modes of a mixture a generator covers: the measure of mode collapse
in notebook 07 (section 3)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from course_utils.core.errors import ShapeError


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
