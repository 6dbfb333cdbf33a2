"""The normalizing flow of notebook 11 (course_utils/topics/flows.py): invertible,
its log-determinant the full Jacobian's, its density normalised, its logit map
and bounds what the notebook says they are. Small models, no training."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.core.errors import ShapeError
from course_utils.topics.flows import (
    Flow,
    alternating_masks,
    checkerboard_masks,
    dequantised_bounds,
    from_logits,
    sample_binary,
    to_logits,
)


def _random_flow(dim: int, couplings: int, seed: int = 0, masks=None) -> Flow:
    # weights everywhere, so that no coupling is the identity it starts as
    torch.manual_seed(seed)
    flow = Flow(masks or alternating_masks(dim, couplings), hidden=16).double()
    with torch.no_grad():
        for coupling in flow.couplings:
            coupling.net[-1].weight.normal_(0, 0.5)
            coupling.net[-1].bias.normal_(0, 0.5)
    return flow.eval()


def test_a_new_flow_is_the_identity():
    flow = Flow(alternating_masks(4, 3))
    x = torch.randn(5, 4)
    z, log_det = flow(x)
    assert torch.equal(z, x) and torch.equal(log_det, torch.zeros(5))


@pytest.mark.parametrize("dim, couplings", [(2, 4), (5, 3), (16, 6)])
def test_inverse_undoes_forward_both_ways(dim, couplings):
    flow = _random_flow(dim, couplings, seed=dim)
    x = torch.randn(64, dim, dtype=torch.float64)
    with torch.no_grad():
        z, _ = flow(x)
        assert (z - x).abs().max() > 0.1, "the flow should move the points"
        assert torch.allclose(flow.inverse(z), x, atol=1e-12)
        assert torch.allclose(flow(flow.inverse(x))[0], x, atol=1e-12)


def test_log_det_is_the_full_jacobians():
    flow = _random_flow(6, 4, seed=3)
    x = torch.randn(4, 6, dtype=torch.float64)
    with torch.no_grad():
        _, log_det = flow(x)
    for row, summed in zip(x, log_det, strict=True):
        jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], row)
        assert float(torch.linalg.slogdet(jac).logabsdet) == pytest.approx(
            float(summed), abs=1e-10)


def test_the_2d_density_integrates_to_one():
    flow = _random_flow(2, 4, seed=1)
    step = 0.04
    grid = torch.arange(-9, 9, step, dtype=torch.float64)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    with torch.no_grad():
        dens = flow.log_prob(torch.stack([gx, gy], -1).reshape(-1, 2)).exp()
    assert float(dens.sum()) * step ** 2 == pytest.approx(1.0, abs=2e-3)


def test_samples_follow_the_density():
    # the mean of log p over the flow's own samples is minus its entropy, which
    # a change of variables gives exactly: E[log p(x)] = E[log N(z)] - E[log|det|]
    flow = _random_flow(2, 4, seed=2)
    gen = torch.Generator().manual_seed(0)
    x = flow.sample(20000, generator=gen)
    with torch.no_grad():
        z, log_det = flow(x)
    base = -0.5 * (z ** 2).sum(-1) - math.log(2 * math.pi)
    with torch.no_grad():
        assert torch.allclose(flow.log_prob(x), base + log_det)
    assert float((z ** 2).sum(-1).mean()) == pytest.approx(2.0, abs=0.05)


def test_a_coupling_leaves_its_kept_half_alone():
    flow = _random_flow(8, 1, seed=4)
    coupling = flow.couplings[0]
    x = torch.randn(10, 8, dtype=torch.float64)
    with torch.no_grad():
        y, _ = coupling(x)
    kept = coupling.mask.bool()
    assert torch.equal(y[:, kept], x[:, kept]) and not torch.equal(y[:, ~kept],
                                                                    x[:, ~kept])


def test_masks_alternate_and_cover_every_coordinate():
    masks = checkerboard_masks(4, 6, 3)
    assert masks[0].sum() == 12 and torch.equal(masks[0] + masks[1], torch.ones(24))
    assert torch.equal(masks[2], masks[0])
    assert masks[0].reshape(4, 6)[0, 0] != masks[0].reshape(4, 6)[0, 1]
    half = alternating_masks(5, 2)
    assert half[0].tolist() == [0, 1, 0, 1, 0] and half[1].tolist() == [1, 0, 1, 0, 1]


def test_the_logit_map_inverts_and_its_log_det_is_autograds():
    y = torch.rand(3, 7, dtype=torch.float64) * 2
    v, log_det = to_logits(y)
    assert torch.allclose(from_logits(v), y, atol=1e-12)
    for row, summed in zip(y, log_det, strict=True):
        jac = torch.autograd.functional.jacobian(lambda r: to_logits(r)[0], row)
        assert float(torch.linalg.slogdet(jac).logabsdet) == pytest.approx(
            float(summed), abs=1e-10)


def test_more_draws_give_a_bound_no_lower_on_average():
    flow = _random_flow(16, 2, seed=5, masks=checkerboard_masks(4, 4, 2))
    x = torch.bernoulli(torch.full((200, 16), 0.4, dtype=torch.float64),
                        generator=torch.Generator().manual_seed(1))
    one, tighter = dequantised_bounds(flow, x, 8, torch.Generator().manual_seed(2))
    assert bool((tighter >= one - 1e-12).all()), "log-mean-exp is at least the mean"
    assert float((tighter - one).mean()) > 0


def test_binary_samples_are_binary():
    flow = _random_flow(16, 2, seed=6, masks=checkerboard_masks(4, 4, 2)).float()
    images = sample_binary(flow, 50, generator=torch.Generator().manual_seed(0))
    assert images.shape == (50, 16) and set(images.unique().tolist()) <= {0.0, 1.0}


def test_a_wrong_shape_gets_one_clear_message():
    flow = Flow(alternating_masks(4, 2))
    with pytest.raises(ShapeError, match=r"should be \(N, 4\)"):
        flow.log_prob(torch.zeros(3, 5))
