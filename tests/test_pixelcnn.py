"""The PixelCNNs of notebook 10, plain and gated: causal, normalised, and the
sampler draws from the model it scores; the gated one reads every earlier pixel."""

from __future__ import annotations

import pytest
import torch

from course_utils.core.errors import ShapeError
from course_utils.topics.pixelcnn import (
    GatedPixelCNN,
    MaskedConv2d,
    PixelCNN,
    causal_mask,
)


def _model(**kw):
    torch.manual_seed(0)
    return PixelCNN(**kw).double().eval()


@pytest.mark.parametrize("layers", [0, 1, 3])
def test_no_output_sees_its_own_or_a_later_pixel(layers):
    model = _model(channels=4, layers=layers, head=4)
    side = 6
    x = torch.rand(1, 1, side, side, dtype=torch.float64, requires_grad=True)
    logits = model(x)[0, 0].reshape(-1)
    for i in range(side * side):
        (grad,) = torch.autograd.grad(logits[i], x, retain_graph=True)
        assert (grad.reshape(-1)[i:] == 0).all(), f"output {i} sees a later pixel"
    # and it does see its left neighbour (the masks are not all zero)
    (grad,) = torch.autograd.grad(logits[side + 1], x)
    assert grad.reshape(-1)[side] != 0


def test_the_masks():
    a, b = causal_mask(3, False), causal_mask(3, True)
    assert a.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert b.tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    with pytest.raises(ShapeError):
        MaskedConv2d(1, 1, 4, "A")
    with pytest.raises(ShapeError):
        MaskedConv2d(1, 1, 3, "C")


def _total_probability(model) -> float:
    # p(x) summed over all 512 binary 3x3 images
    codes = torch.arange(2 ** 9)
    images = ((codes[:, None] >> torch.arange(9)) & 1).double().reshape(-1, 3, 3)
    with torch.no_grad():
        return float(torch.logsumexp(model.log_prob(images), dim=0).exp())


def test_probabilities_of_all_small_images_sum_to_one():
    assert abs(_total_probability(_model(channels=4, layers=2, head=4)) - 1) < 1e-12


def test_the_sampler_uses_the_same_logits_as_the_whole_image():
    model = _model(channels=4, layers=2, head=4).float()
    x = model.sample(3, height=10, width=7, generator=torch.Generator().manual_seed(1))
    assert x.shape == (3, 10, 7) and set(x.unique().tolist()) <= {0.0, 1.0}
    with torch.no_grad():
        full = model(x)[:, 0]
        for row in range(10):
            top = max(0, row - model.reach)
            strip = model(x[:, top:row + 1])[:, 0, -1]
            assert torch.allclose(strip, full[:, row], atol=1e-5)


def test_sampling_draws_from_the_model():
    # on 2x2 images the sample frequencies match the model's probabilities
    model = _model(channels=4, layers=1, head=4).float()
    codes = torch.arange(16)
    images = ((codes[:, None] >> torch.arange(4)) & 1).float().reshape(-1, 2, 2)
    with torch.no_grad():
        p = model.log_prob(images).exp()
    x = model.sample(4000, height=2, width=2,
                     generator=torch.Generator().manual_seed(0))
    index = (x.reshape(-1, 4).long() * (2 ** torch.arange(4))).sum(1)
    freq = torch.bincount(index, minlength=16).float() / len(x)
    assert (freq - p).abs().max() < 0.03


def _gated(**kw):
    torch.manual_seed(0)
    return GatedPixelCNN(**kw).double().eval()


def _reads(model, side):
    x = torch.rand(1, 1, side, side, dtype=torch.float64, requires_grad=True)
    logits = model(x)[0, 0].reshape(-1)
    return torch.stack([torch.autograd.grad(logit, x, retain_graph=True)[0]
                        .reshape(-1) != 0 for logit in logits]).long()


@pytest.mark.parametrize("layers", [0, 1, 3])
def test_the_gated_pixelcnn_reads_every_earlier_pixel_and_nothing_else(layers):
    side = 6
    reads = _reads(_gated(channels=4, layers=layers, head=4), side)
    assert int(reads.triu().sum()) == 0, "an output reads its own or a later pixel"
    if layers == 3:   # the field covers the whole 6x6 past: no blind spot
        assert int((1 - reads).tril(-1).sum()) == 0
    plain = _reads(_model(channels=4, layers=3, head=4), side)
    assert int((1 - plain).tril(-1).sum()) > 0, "the plain one has a blind spot"


def test_the_gated_reach_is_the_rows_its_logits_read():
    model = _gated(channels=4, layers=2, head=4)   # reach 1 + 3 + 2 = 6
    x = torch.rand(1, 1, 12, 9, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(model(x)[0, 0, 10, 4], x)
    rows = grad[0, 0].abs().sum(1).nonzero().reshape(-1)
    assert model.reach == 6 and int(10 - rows.min()) == model.reach


def test_the_gated_model_is_normalised_and_samples_from_its_strips():
    model = _gated(channels=4, layers=1, head=4)
    assert abs(_total_probability(model) - 1) < 1e-12
    model = model.float()
    x = model.sample(3, height=10, width=7, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = model(x)[:, 0]
        for row in range(10):
            strip = model(x[:, max(0, row - model.reach):row + 1])[:, 0, -1]
            assert torch.allclose(strip, full[:, row], atol=1e-5)
