"""The VAE of notebook 06 (course_utils.topics.vae): shapes, the loss convention, the
closed-form KL, the importance-weighted bound, the recipe and clear errors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.core.errors import ShapeError
from course_utils.topics.gaussian_kl import kl_standard_normal
from course_utils.topics.likelihood import iwae_bound
from course_utils.topics.vae import (
    VAE,
    fashion_vae,
    negative_elbo,
    test_negative_elbo,
    train_fashion_vae,
)

test_negative_elbo.__test__ = False  # a function under test, not a pytest test


def _model(seed: int = 0, x_dim: int = 12, latent_dim: int = 3) -> VAE:
    torch.manual_seed(seed)
    return VAE(x_dim=x_dim, hidden=(16,), latent_dim=latent_dim)


def test_shapes_and_sampling():
    model = _model()
    x = torch.rand(5, 3, 4)  # (N, H, W) images are flattened
    logits, mu, log_var = model(x)
    assert logits.shape == (5, 12) and mu.shape == log_var.shape == (5, 3)
    images = model.sample(7, generator=torch.Generator().manual_seed(0))
    assert images.shape == (7, 12)
    assert float(images.min()) >= 0 and float(images.max()) <= 1


def test_wrong_image_size_is_a_clear_error():
    with pytest.raises(ShapeError, match="12 pixels"):
        negative_elbo(_model(), torch.rand(4, 10))
    with pytest.raises(ShapeError, match="positive"):
        VAE(x_dim=0)


def gaussian_kl(mu, log_var):
    """The VAE's KL term per image: notebook 05's closed form, summed."""
    return kl_standard_normal(mu, torch.exp(0.5 * log_var)).sum(1)


def test_kl_closed_form_matches_torch_and_is_zero_at_the_prior():
    mu, log_var = torch.randn(6, 4), torch.randn(6, 4)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
    expected = torch.distributions.kl_divergence(
        q, torch.distributions.Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(gaussian_kl(mu, log_var), expected, atol=1e-5)
    assert torch.allclose(gaussian_kl(torch.zeros(2, 4), torch.zeros(2, 4)),
                          torch.zeros(2))


def test_loss_convention_sum_over_pixels_mean_over_batch():
    model = _model()
    x = torch.rand(8, 12)
    gen = torch.Generator().manual_seed(1)
    terms = negative_elbo(model, x, generator=gen)
    gen = torch.Generator().manual_seed(1)
    logits, mu, log_var = model(x, gen)
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    assert torch.allclose(terms["recon"], recon.mean(), atol=1e-5)
    assert torch.allclose(terms["kl"], gaussian_kl(mu, log_var).mean(), atol=1e-6)
    assert torch.allclose(terms["loss"], terms["recon"] + terms["kl"])
    beta = negative_elbo(model, x, beta=2.0, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(beta["loss"], terms["recon"] + 2 * terms["kl"], atol=1e-5)


def test_iwae_bound_is_elbo_at_k1_and_rises():
    model = _model(latent_dim=2)
    x = torch.rand(20, 12)
    gen = torch.Generator().manual_seed(0)
    # k = 1: averaged over many draws it is the ELBO (with a Monte Carlo KL)
    many = x.repeat(400, 1)
    with torch.no_grad():
        b1 = iwae_bound(model, many, 1, generator=gen)
        elbo = -negative_elbo(model, many, generator=gen)["loss"]
    assert abs(float(b1.mean()) - float(elbo)) < 0.05 * abs(float(elbo))
    b100 = iwae_bound(model, x, 100, generator=gen, chunk=30)
    assert b100.shape == (20,)
    assert float(b100.mean()) > float(b1.mean())
    with pytest.raises(ValueError, match="at least 1"):
        iwae_bound(model, x, 0)


def test_iwae_bound_is_exact_when_q_is_the_posterior():
    """A decoder that ignores z: p(z|x) = p(z). With q = p(z) every weight equals
    p(x), so the bound is log p(x) for any k."""
    model = _model(latent_dim=2)
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.zero_()  # mu = 0, log_var = 0: q = N(0, I)
        model.decoder[-1].weight.zero_()
    x = torch.rand(3, 12)
    logits = model.decoder[-1].bias.expand(3, -1)
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    for k in (1, 7):
        assert torch.allclose(iwae_bound(model, x, k), log_px, atol=1e-4)


def test_test_negative_elbo_is_reproducible():
    model = _model()
    x = torch.rand(30, 12)
    a = test_negative_elbo(model, x, seed=3, batch_size=7)
    b = test_negative_elbo(model, x, seed=3, batch_size=7)
    assert a == b and math.isfinite(a)


def test_recipe_trains_and_lowers_the_loss():
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(256, 28, 28, generator=g) < 0.3).float()
    images[:, 10:18, 10:18] = 1.0  # a shared structure the decoder can learn
    model, history = train_fashion_vae(images, seed=0, epochs=3, batch_size=64,
                                       progress=False, latent_dim=4, hidden=(32,))
    assert history.epochs == 3 and history.seconds > 0
    assert history.train["loss"][-1] < history.train["loss"][0]
    assert set(history.train) == {"loss", "recon", "kl"}
    assert model.latent_dim == 4
    # the output bias starts at the mean image, so the start is already sensible
    assert history.train["loss"][0] < 784 * math.log(2)


def test_pca_input_encoder_reads_principal_components():
    g = torch.Generator().manual_seed(0)
    # data that varies along two pixel directions only, around a mean image
    directions = torch.zeros(2, 12)
    directions[0, :6], directions[1, 6:] = 1.0, 1.0
    x = 0.5 + torch.randn(200, 2, generator=g) @ directions * 0.1
    torch.manual_seed(0)
    model = VAE(x_dim=12, hidden=(16,), latent_dim=3, input_pca=2)
    kept = model.fit_input_pca(x)
    assert kept == pytest.approx(1.0, abs=1e-5)  # two components hold it all
    assert torch.allclose(model.pca_mean, x.mean(0), atol=1e-6)
    basis = model.pca_basis
    assert basis.shape == (12, 2)
    assert torch.allclose(basis.T @ basis, torch.eye(2), atol=1e-5)
    # the encoder sees the centred image projected on the basis, nothing else
    projected = (x - model.pca_mean) @ basis
    mu, log_var = model.encode(x)
    expected = model.encoder(projected).chunk(2, dim=1)
    assert torch.allclose(mu, expected[0]) and torch.allclose(log_var, expected[1])
    assert model(x)[0].shape == (200, 12)  # the decoder still draws every pixel


def test_pca_input_is_saved_with_the_weights():
    model = VAE(x_dim=12, hidden=(16,), latent_dim=3, input_pca=4)
    model.fit_input_pca(torch.rand(50, 12))
    fresh = VAE(x_dim=12, hidden=(16,), latent_dim=3, input_pca=4)
    fresh.load_state_dict(model.state_dict())
    x = torch.rand(5, 12)
    assert torch.equal(fresh.encode(x)[0], model.encode(x)[0])


def test_pca_input_errors_say_what_to_do():
    with pytest.raises(ShapeError, match="input_pca"):
        VAE(x_dim=12, input_pca=13)
    with pytest.raises(ShapeError, match="input_pca=k"):
        _model().fit_input_pca(torch.rand(5, 12))


def test_training_leaves_the_callers_random_state_alone():
    images = torch.rand(64, 28, 28, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train_fashion_vae(images, seed=0, epochs=1, batch_size=32, progress=False,
                      latent_dim=2, hidden=(16,), input_pca=0)
    assert torch.equal(torch.rand(3), expected)


def test_fashion_vae_is_cached_by_data_and_seed(tmp_path,
                                                  monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    images = torch.rand(64, 28, 28, generator=torch.Generator().manual_seed(0))
    small = dict(epochs=1, batch_size=32, latent_dim=2, hidden=(16,), input_pca=0)
    first, _ = fashion_vae(images, seed=0, progress=False, **small)
    assert len(list((tmp_path / "models").glob("vae-fashion-20d-*.pt"))) == 1
    again, _ = fashion_vae(images, seed=0, progress=False, **small)  # a cache hit
    assert all(torch.equal(a, b) for a, b in zip(
        first.state_dict().values(), again.state_dict().values(), strict=True))
    assert len(list((tmp_path / "models").glob("*.pt"))) == 1
    fashion_vae(images, seed=1, progress=False, **small)  # another seed: another file
    assert len(list((tmp_path / "models").glob("*.pt"))) == 2


def test_log_likelihoods_are_densities():
    from course_utils.topics.likelihood import log_likelihood

    logits = torch.tensor([[0.7, -1.2]])
    binary = torch.tensor([[1.0, 0.0]])
    p = torch.sigmoid(logits)
    expected = (torch.log(p[0, 0]) + torch.log1p(-p[0, 1])).item()
    assert log_likelihood(logits, binary).item() == pytest.approx(expected, abs=1e-6)
    # the continuous Bernoulli integrates to one over [0, 1]; the cross-entropy
    # on grey levels does not
    grid = torch.linspace(0.0005, 0.9995, 1000)[:, None]
    one = torch.full((1000, 1), 0.9)
    cb = log_likelihood(one, grid, "continuous_bernoulli").exp().mean().item()
    ce = log_likelihood(one, grid, "bernoulli").exp().mean().item()
    assert cb == pytest.approx(1.0, abs=1e-3) and abs(ce - 1.0) > 0.05
    with pytest.raises(ShapeError, match="likelihood"):
        log_likelihood(logits, binary, "gaussian")


def test_log_weights_and_the_effective_sample_size():
    from course_utils.topics.likelihood import effective_sample_size, log_weights

    model = _model(latent_dim=4)
    x = (torch.rand(3, 12, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    for proposal in ("prior", "posterior"):
        lw = log_weights(model, x, 50, proposal, generator=torch.Generator()
                         .manual_seed(1))
        ess = effective_sample_size(lw)
        assert lw.shape == (50, 3) and bool(((ess >= 1) & (ess <= 50)).all())
    equal = effective_sample_size(torch.zeros(8, 2))  # equal weights: all count
    assert torch.allclose(equal, torch.full((2,), 8.0))


def test_log_weights_with_a_gaussian_of_ones_own():
    # notebook 06's section 5.4: a q fitted to each image as the proposal; the
    # encoder's own (mu, log_var) must give exactly the "posterior" weights
    from course_utils.core.errors import ShapeError
    from course_utils.topics.likelihood import log_weights

    model = _model(latent_dim=4)
    x = (torch.rand(3, 12, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    with torch.no_grad():
        mu, log_var = model.encode(model.flat(x))
        posterior = log_weights(model, x, 20, "posterior",
                                generator=torch.Generator().manual_seed(1))
        own = log_weights(model, x, 20, (mu, log_var),
                          generator=torch.Generator().manual_seed(1))
        wider = log_weights(model, x, 20, (mu, log_var + 1.0),
                            generator=torch.Generator().manual_seed(1))
    assert torch.equal(posterior, own) and not torch.equal(own, wider)
    with pytest.raises(ShapeError, match="two \\(N, d\\) tensors"):
        log_weights(model, x, 5, (mu[:2], log_var[:2]))
