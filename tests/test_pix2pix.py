"""Pix2Pix of notebook 09: the edge operator, the U-Net and its skip connections,
the PatchGAN, and the training loop (both modes)."""

from __future__ import annotations

import pytest
import torch

from course_utils.core.errors import CourseError
from course_utils.topics.gan_family import (
    PatchDiscriminator,
    UNet,
    edge_map,
    sobel_magnitude,
    train_pix2pix,
)


def square(size=28, lo=10, hi=18):
    x = torch.zeros(1, size, size)
    x[0, lo:hi, lo:hi] = 1.0
    return x


def test_sobel_on_a_square():
    magnitude = sobel_magnitude(square())[0]
    # flat regions (inside, outside) have no gradient
    assert float(magnitude[14, 14]) == 0.0 and float(magnitude[3, 3]) == 0.0
    # on a straight side, away from the corners, one step of height 1 gives 4
    assert float(magnitude[14, 10]) == pytest.approx(4.0)
    assert float(magnitude[14, 9]) == pytest.approx(4.0)
    assert float(magnitude[10, 14]) == pytest.approx(4.0)


def test_edge_map_is_the_square_outline():
    edges = edge_map(square())[0]
    assert set(edges.unique().tolist()) == {0.0, 1.0}
    expected = torch.zeros(28, 28)
    expected[9:19, 9:19] = 1.0  # the two pixel rings on both sides of the step
    expected[11:17, 11:17] = 0.0
    assert torch.equal(edges, expected)
    # a faint step (0.2, a gradient of 0.8) stays below the threshold of 1
    assert float(edge_map(0.2 * square()).sum()) == 0.0


def test_edges_reject_a_flat_batch():
    with pytest.raises(CourseError, match=r"\(N, H, W\)"):
        sobel_magnitude(torch.rand(4, 784))
    with pytest.raises(CourseError, match="tensor"):
        edge_map([[0.0]])


def test_shapes_and_range():
    torch.manual_seed(0)
    x = torch.rand(5, 28, 28)
    unet, patch = UNet(4), PatchDiscriminator(4)
    with torch.no_grad():
        y = unet(x)
    assert y.shape == (5, 28, 28)
    assert 0 <= float(y.min()) and float(y.max()) <= 1
    assert patch(x, y).shape == (5, 7, 7)  # one logit per patch
    with pytest.raises(CourseError, match=r"\(N, 28, 28\)"):
        unet(torch.rand(5, 784))
    with pytest.raises(CourseError, match="same|both"):
        patch(x, torch.rand(5, 14, 14))


def test_the_skip_connection_carries_fine_detail():
    # one pixel changed in the input changes the output at that pixel; with the
    # skip connections cut (zeroed), the same pixel's change reaches the output
    # only through the 7x7 bottleneck and is spread out
    torch.manual_seed(0)
    unet = UNet(4).eval()
    x = torch.zeros(1, 28, 28)
    poked = x.clone()
    poked[0, 13, 13] = 1.0
    with torch.no_grad():
        change = (unet(poked) - unet(x)).abs()[0]
    assert float(change[13, 13]) > 0
    # the output layer sees the input itself: its weight on the input channel
    # makes the poked pixel's change local; zero that weight and it vanishes there
    with torch.no_grad():
        unet.out[0].weight[:, -1] = 0.0
        without = (unet(poked) - unet(x)).abs()[0]
    assert float(without[13, 13]) < float(change[13, 13])


def test_the_decoder_uses_the_encoder_features():
    # up2 reads cat([u1, d1]): its weights on d1's channels (the second half of
    # its inputs) matter
    torch.manual_seed(0)
    unet = UNet(4).eval()
    x = torch.rand(3, 28, 28)
    with torch.no_grad():
        before = unet(x)
        unet.up2[0].weight[4:] = 0.0
        after = unet(x)
    assert (before - after).abs().max() > 1e-3


def test_training_is_deterministic_and_records_both_modes():
    data = torch.rand(32, 28, 28)

    def pairs(n, g):
        y = data[torch.randint(len(data), (n,), generator=g)]
        return edge_map(y), y

    def run(adversarial):
        torch.manual_seed(0)
        unet = UNet(4)
        patch = PatchDiscriminator(4) if adversarial else None
        history = train_pix2pix(unet, patch, pairs, steps=3, batch_size=4)
        with torch.no_grad():
            out = unet(data[:2])
        return history, out

    for adversarial in (False, True):
        (h1, out1), (h2, out2) = run(adversarial), run(adversarial)
        assert h1["l1"] == h2["l1"] and torch.equal(out1, out2)
        assert len(h1["l1"]) == 3
        assert len(h1["adversarial"]) == len(h1["d_loss"]) == (3 if adversarial else 0)
    # the GAN term changes what the generator learns
    assert not torch.equal(run(False)[1], run(True)[1])
