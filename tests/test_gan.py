"""Notebook 07's GAN (course_utils.topics.gan, generated from the notebook), its
toy data (core.synthetic), the mode measure (topics.modes) and its figures."""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch
import torch.nn.functional as F

from course_utils.core.errors import CourseError, ShapeError
from course_utils.core.synthetic import (
    Mixture1D,
    grid_1d,
    normal_pdf,
    ring_centers,
    sample_ring,
)
from course_utils.topics import gan
from course_utils.topics.autoencoder import mlp
from course_utils.topics.figures import plot_coverage, plot_snapshots
from course_utils.topics.modes import mode_coverage

matplotlib.use("Agg")


def test_mixture_density_integrates_to_one_and_matches_samples():
    mix = Mixture1D(means=(-1.5, 1.5), stds=(0.5, 0.5), weights=(0.25, 0.75))
    x, dx = grid_1d(-8, 8, 8001)
    assert abs(float((mix.pdf(x) * dx).sum()) - 1) < 1e-9
    draws = mix.sample(20000, torch.Generator().manual_seed(0))
    assert draws.shape == (20000, 1)
    assert abs(float(draws.mean()) - (0.25 * -1.5 + 0.75 * 1.5)) < 0.03


def test_mixture_rejects_bad_parameters():
    with pytest.raises(CourseError):
        Mixture1D(means=(0.0, 1.0), stds=(1.0,))
    with pytest.raises(CourseError):
        Mixture1D(means=(0.0,), stds=(1.0,), weights=(0.5,))
    with pytest.raises(CourseError):
        normal_pdf(torch.zeros(3), 0.0, 0.0)


def test_ring_centers_lie_on_the_circle():
    c = ring_centers(8, 2.0)
    assert c.shape == (8, 2)
    assert torch.allclose(c.norm(dim=1), torch.full((8,), 2.0))
    with pytest.raises(CourseError):
        ring_centers(0)


def test_mode_coverage_counts_known_cases():
    centers = ring_centers(8, 2.0)
    g = torch.Generator().manual_seed(1)
    real = sample_ring(4000, g, centers, 0.05)
    full = mode_coverage(real, centers, 0.05)
    assert full.covered == 8 and full.quality > 0.98 and sum(full.counts) <= 4000
    one = centers[:1] + 0.05 * torch.randn(1000, 2, generator=g)
    assert mode_coverage(one, centers, 0.05).covered == 1
    assert mode_coverage(torch.zeros(500, 2), centers, 0.05).covered == 0
    # a mode with fewer than a quarter of its fair share is not covered
    lopsided = torch.cat([centers[:1].repeat(990, 1), centers[1:2].repeat(10, 1)])
    assert mode_coverage(lopsided, centers, 0.05).covered == 1
    assert "of 8 modes" in str(full)


def test_mode_coverage_rejects_wrong_shapes():
    centers = ring_centers()
    with pytest.raises(ShapeError):
        mode_coverage(torch.zeros(10, 3), centers, 0.05)
    with pytest.raises(ShapeError):
        sample_ring(10, torch.Generator(), torch.zeros(8, 3), 0.05)


def _d_loss(real, fake):
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def _g_loss(fake):
    return F.softplus(-fake).mean()


def test_train_gan_records_and_is_reproducible(tmp_path):
    centers = ring_centers()

    def real(n, g):
        return sample_ring(n, g, centers, 0.05)

    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        G, D = mlp([2, 16, 2]), mlp([2, 16, 1])
        h = gan.train_gan(G, D, real, _d_loss, _g_loss, latent_dim=2, steps=20,
                          batch_size=32, seed=3, snapshot_steps=(0, 10, 20),
                          snapshot_size=50)
        runs.append(h)
    h = runs[0]
    assert len(h.d_loss) == len(h.g_loss) == 20
    assert sorted(h.snapshots) == [0, 10, 20]
    assert h.snapshots[20].shape == (50, 2)
    assert runs[0].d_loss == runs[1].d_loss
    # the plain form survives torch.save / torch.load(weights_only=True)
    path = tmp_path / "h.pt"
    torch.save(h.to_plain(), path)
    back = gan.GanHistory.from_plain(torch.load(path, weights_only=True))
    assert back.d_loss == h.d_loss and torch.equal(back.snapshots[10], h.snapshots[10])
    fig = plot_snapshots(h, real(100, torch.Generator()), centers, 0.05)
    assert len(fig.axes) == 3
    fig = plot_snapshots(h, real(100, torch.Generator()), centers, 0.05,
                             steps=[0, 20], title="two panels")
    assert len(fig.axes) == 2
    with pytest.raises(CourseError, match="no snapshot at step"):
        plot_snapshots(h, real(10, torch.Generator()), centers, 0.05, steps=[5])
    ax = plot_coverage({"a run": h}, centers, 0.05)
    assert len(ax.lines) == 1 and len(ax.lines[0].get_xdata()) == 3
    with pytest.raises(CourseError):
        plot_snapshots(gan.GanHistory(), real(10, torch.Generator()), centers,
                           0.05)
    with pytest.raises(CourseError):
        gan.train_gan(G, D, real, _d_loss, _g_loss, latent_dim=2, steps=0)


def test_losses_of_the_notebook_at_equilibrium():
    # D = 1/2 everywhere: the discriminator's loss is 2 log 2, the generator's log 2
    zeros = torch.zeros(16, 1)
    assert abs(float(_d_loss(zeros, zeros)) - 2 * math.log(2)) < 1e-6
    assert abs(float(_g_loss(zeros)) - math.log(2)) < 1e-6
