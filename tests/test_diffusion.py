"""The diffusion model of notebook 12 (course_utils/topics/diffusion.py): the
schedule's numbers, the closed-form forward process, and samplers that land on
the data when the network is an oracle. Small tensors, no training."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils.topics.diffusion import (
    ImageDenoiser,
    PointDenoiser,
    Schedule,
    ddim_sample,
    ddim_step,
    ddpm_sample,
    linear_schedule,
    noise_loss,
    q_sample,
    time_features,
)


class Oracle(nn.Module):
    """The exact noise for data that are one point c: eps = (x - sqrt(abar) c) /
    sqrt(1 - abar), what a perfect network would predict."""

    def __init__(self, c: torch.Tensor, schedule: Schedule):
        super().__init__()
        self.c, self.abar = c, schedule.alpha_bars
        self.dummy = nn.Parameter(torch.zeros(1, dtype=c.dtype))  # a device
        self.calls = 0

    def forward(self, x, t):
        self.calls += 1
        abar = self.abar[t].reshape(-1, *[1] * (x.ndim - 1)).to(x.dtype)
        return (x - abar.sqrt() * self.c) / (1 - abar).sqrt()


def test_the_schedule_runs_from_data_to_noise():
    s = linear_schedule(100, dtype=torch.float64)
    assert s.T == 100 and s.alpha_bars[0] == 1 and s.betas[0] == 0
    assert bool((s.alpha_bars[1:] < s.alpha_bars[:-1]).all())
    snr = s.snr()
    assert len(snr) == 100 and bool((snr[1:] < snr[:-1]).all())
    assert snr[0] > 100 and snr[-1] < 1e-3
    # the first step's posterior is the data itself: no variance
    assert s.posterior_variance()[0] == 0 and len(s.posterior_variance()) == 100


def test_q_sample_is_the_closed_form():
    s = linear_schedule(50, dtype=torch.float64)
    x0 = torch.randn(6, 3, 4, dtype=torch.float64)
    noise = torch.randn_like(x0)
    t = torch.tensor([0, 1, 10, 25, 49, 50])
    x_t = q_sample(x0, t, noise, s)
    for i, step in enumerate(t.tolist()):
        abar = s.alpha_bars[step]
        want = abar.sqrt() * x0[i] + (1 - abar).sqrt() * noise[i]
        assert torch.allclose(x_t[i], want)
    assert torch.equal(x_t[0], x0[0]), "step 0 is the data"


def test_q_sample_matches_the_chain_in_distribution():
    # 1-D, float64: 40,000 chains step by step, against the closed form's moments
    s = linear_schedule(20, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    x = torch.full((40000,), 1.5, dtype=torch.float64)
    for t in range(1, 21):
        x = (1 - s.betas[t]).sqrt() * x + s.betas[t].sqrt() * torch.randn(
            x.shape, generator=gen, dtype=torch.float64)
    mean = float(1.5 * s.alpha_bars[20].sqrt())
    var = float(1 - s.alpha_bars[20])
    assert float(x.mean()) == pytest.approx(mean, abs=4 * (var / 40000) ** 0.5)
    assert float(x.var()) == pytest.approx(var, rel=0.03)


def test_a_ddim_step_with_the_true_noise_moves_along_it():
    s = linear_schedule(100, dtype=torch.float64)
    x0 = torch.randn(5, 2, dtype=torch.float64)
    eps = torch.randn(5, 2, dtype=torch.float64)
    t, prev = 80, 30
    x_t = s.alpha_bars[t].sqrt() * x0 + (1 - s.alpha_bars[t]).sqrt() * eps
    x_prev = ddim_step(x_t, eps, s.alpha_bars[t], s.alpha_bars[prev])
    want = s.alpha_bars[prev].sqrt() * x0 + (1 - s.alpha_bars[prev]).sqrt() * eps
    assert torch.allclose(x_prev, want, atol=1e-12)


@pytest.mark.parametrize("steps", [1, 5, 100])
def test_ddim_with_an_oracle_lands_on_the_data(steps):
    s = linear_schedule(100, dtype=torch.float64)
    c = torch.tensor([0.3, -0.7], dtype=torch.float64)
    oracle = Oracle(c, s)
    out = ddim_sample(oracle, (8, 2), s, steps, torch.Generator().manual_seed(1))
    assert oracle.calls == steps, "one network pass per step"
    assert torch.allclose(out, c.expand(8, 2).float().double(), atol=1e-6)


def test_ddpm_with_an_oracle_lands_on_the_data_in_t_passes():
    s = linear_schedule(40, dtype=torch.float64)
    c = torch.tensor([1.0, -0.5], dtype=torch.float64)
    oracle = Oracle(c, s)
    out, kept = ddpm_sample(oracle, (16, 2), s, torch.Generator().manual_seed(2),
                            keep=(40, 20, 0))
    assert oracle.calls == 40 and sorted(kept) == [0, 20, 40]
    assert torch.allclose(out.double(), c.expand(16, 2), atol=1e-5)
    assert float(kept[20].std()) > 0.1, "half way down the chain is still noisy"


def test_the_networks_keep_the_shape_and_read_the_step():
    t = torch.tensor([1, 50, 100])
    assert time_features(t, 100).shape == (3, 32)
    torch.manual_seed(0)
    points = PointDenoiser(100)
    x = torch.randn(3, 2)
    assert points(x, t).shape == (3, 2)
    assert not torch.allclose(points(x, t), points(x, torch.tensor([2, 2, 2])))
    images = ImageDenoiser(100, width=8)
    assert images(torch.randn(3, 28, 28), t).shape == (3, 28, 28)


def test_the_loss_is_the_noise_error_and_an_oracle_scores_zero():
    s = linear_schedule(30, dtype=torch.float64)
    c = torch.tensor([0.2, 0.4], dtype=torch.float64)
    loss = noise_loss(Oracle(c, s), c.expand(64, 2).clone(), s,
                      torch.Generator().manual_seed(3))
    assert float(loss) == pytest.approx(0.0, abs=1e-18)
