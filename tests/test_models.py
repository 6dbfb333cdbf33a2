"""The shared deep autoencoder (course_utils.topics.autoencoder)."""

from __future__ import annotations

import pytest
import torch

from course_utils.core.errors import ShapeError
from course_utils.topics.autoencoder import (
    DeepAutoencoder,
    encode_all,
    reconstruction_loss,
    train_autoencoder,
)


def test_shapes_and_output_range():
    model = DeepAutoencoder((8, 8), latent_dim=3, hidden=(32, 16))
    x = torch.rand(5, 8, 8)
    assert model.encode(x).shape == (5, 3)
    x_hat = model(x).detach()
    assert x_hat.shape == (5, 8, 8)
    assert float(x_hat.min()) >= 0.0 and float(x_hat.max()) <= 1.0
    assert model(x.reshape(5, 64)).shape == (5, 8, 8)  # flat input accepted
    linear = DeepAutoencoder(12, latent_dim=1, output="linear")
    assert linear(torch.randn(4, 12)).shape == (4, 12)


def test_loss_convention_sum_over_pixels_mean_over_batch():
    model = DeepAutoencoder((2, 2), latent_dim=1, hidden=(4,))
    x = torch.rand(6, 2, 2)
    with torch.no_grad():
        x_hat = model(x)
        loss = float(reconstruction_loss(model, x))
    expected = ((x_hat - x) ** 2).sum() / 6
    assert loss == pytest.approx(float(expected))
    assert float(expected) > 0


@pytest.mark.parametrize("kwargs", [
    {"latent_dim": 0}, {"hidden": (0,)}, {"output": "tanh"}])
def test_bad_arguments(kwargs):
    with pytest.raises(ShapeError):
        DeepAutoencoder((8, 8), **kwargs)


def test_bad_input_shape():
    model = DeepAutoencoder((8, 8), latent_dim=2)
    with pytest.raises(ShapeError):
        model(torch.rand(3, 7, 7))
    with pytest.raises(ShapeError):
        model.decode(torch.rand(3, 3))


def test_training_reduces_the_loss_and_is_reproducible():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 6, generator=g)
    kw = dict(name="test-ae", hidden=(16,), output="linear", epochs=15, seed=3)
    model, history = train_autoencoder(x, 2, cache=False, **kw)
    assert history.train["loss"][-1] < 0.7 * history.train["loss"][0]
    again, _ = train_autoencoder(x, 2, cache=False, **kw)
    assert torch.equal(encode_all(model, x), encode_all(again, x))
    cached, _ = train_autoencoder(x, 2, **kw)      # trains and saves
    loaded, _ = train_autoencoder(x, 2, **kw)      # loads
    assert torch.allclose(encode_all(cached, x), encode_all(loaded, x))
