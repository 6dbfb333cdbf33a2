"""The convolutional autoencoder and VAE of notebook 08, section 1: shapes, the
losses they share with notebooks 03 and 06, seeded builds, clear shape errors
and the training recipe."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.core.config import seeded
from course_utils.core.errors import CourseError, ShapeError
from course_utils.topics.autoencoder import reconstruction_loss
from course_utils.topics.convolutional import (
    ConvAutoencoder,
    ConvVAE,
    PixelBias,
    conv_decoder,
    conv_encoder,
    train_compared,
)
from course_utils.topics.vae import init_output_bias, negative_elbo


def test_encoder_and_decoder_shapes():
    x = torch.rand(3, 784)
    assert conv_encoder(5, width=4)(x).shape == (3, 5)
    assert conv_decoder(5, width=4)(torch.randn(3, 5)).shape == (3, 784)


def test_autoencoder_shapes_and_pixel_range():
    model = ConvAutoencoder(latent_dim=6, width=4)
    x = torch.rand(4, 28, 28)
    z = model.encode(x)
    assert z.shape == (4, 6)
    assert torch.equal(model.encode(x.reshape(4, 784)), z)  # flat images too
    x_hat = model(x).detach()
    assert x_hat.shape == (4, 28, 28)
    assert 0 <= float(x_hat.min()) and float(x_hat.max()) <= 1


def test_vae_shapes_and_sample():
    model = ConvVAE(latent_dim=3, width=4)
    logits, mu, log_var = model(torch.rand(5, 28, 28))
    assert logits.shape == (5, 784) and mu.shape == log_var.shape == (5, 3)
    samples = model.sample(7, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (7, 784)
    assert 0 <= float(samples.min()) and float(samples.max()) <= 1


def test_reconstruction_loss_of_a_known_output():
    # with the decoder's weights at zero the output is sigmoid(bias) everywhere
    model = ConvAutoencoder(latent_dim=2, width=2)
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.zero_()  # sigmoid(0) = 0.5 for every pixel
    x = torch.zeros(3, 28, 28)
    x[:, :14] = 1.0
    # every pixel is off by 0.5: 784 * 0.25 per image
    assert float(reconstruction_loss(model, x)) == pytest.approx(784 * 0.25)


def test_negative_elbo_of_a_known_case():
    # decoder at zero (logits 0: every pixel 1/2) and encoder at zero (mu = 0,
    # log_var = 0: q = the prior, KL = 0): the ELBO is 784 log 2 for any image
    model = ConvVAE(latent_dim=4, width=2)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    terms = negative_elbo(model, torch.rand(6, 28, 28),
                          generator=torch.Generator().manual_seed(1))
    assert float(terms["kl"]) == pytest.approx(0.0, abs=1e-6)
    assert float(terms["loss"]) == pytest.approx(784 * math.log(2),
                                                 rel=1e-5)


def test_init_output_bias_starts_at_the_mean_image():
    model = ConvVAE(latent_dim=2, width=2)
    x = torch.rand(20, 784) * 0.5 + 0.25
    init_output_bias(model, x)
    assert isinstance(model.decoder[-1], PixelBias)
    with torch.no_grad():
        for p in list(model.decoder.parameters())[:-1]:
            p.zero_()
    mean = model.decode(torch.zeros(1, 2))[0]
    assert torch.allclose(mean, x.mean(dim=0), atol=1e-5)


@pytest.mark.parametrize("kind", [ConvAutoencoder, ConvVAE])
def test_build_is_deterministic_under_a_seed(kind):
    with seeded(3):
        a = kind(5, width=4)
    with seeded(3):
        b = kind(5, width=4)
    with seeded(4):
        c = kind(5, width=4)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc)
                   for pa, pc in zip(a.parameters(), c.parameters(), strict=True))


def test_wrong_shapes_raise_a_clear_error():
    ae, vae = ConvAutoencoder(4, width=2), ConvVAE(4, width=2)
    with pytest.raises(ShapeError, match="28x28"):
        ae.encode(torch.rand(3, 8, 8))
    with pytest.raises(ShapeError, match=r"\(N, 4\)"):
        ae.decode(torch.randn(3, 5))
    with pytest.raises(ShapeError, match="784 pixels"):
        vae.encode(torch.rand(3, 8, 8))
    with pytest.raises(ShapeError, match="positive"):
        ConvVAE(0)


def test_train_compared_lowers_the_loss_and_is_reproducible():
    x = torch.rand(64, 28, 28).round()

    def run():
        with seeded(0):
            model = ConvAutoencoder(3, width=2)
        history = train_compared(model, reconstruction_loss, x, epochs=3,
                                 batch_size=16, lr=1e-2, seed=0)
        return model, history

    (m1, h1), (_, h2) = run(), run()
    assert h1.train["loss"][-1] < h1.train["loss"][0]
    assert h1.train["loss"] == h2.train["loss"]
    vae_history = train_compared(ConvVAE(3, width=2), negative_elbo, x, epochs=2,
                                 batch_size=16, lr=1e-2, schedule="one-cycle")
    assert len(vae_history.train["loss"]) == 2
    with pytest.raises(CourseError, match="one-cycle"):
        train_compared(m1, reconstruction_loss, x, epochs=1, schedule="step")
