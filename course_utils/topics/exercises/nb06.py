"""Exercises of notebook 06 (the variational autoencoder)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from course_utils.core.checks import (
    Exercise,
    Wrong,
    as_numpy,
    expect_callable,
    expect_close,
)


def _draws(seed: int, n: int = 6, d: int = 3):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n, d, generator=g) * 2
    log_var = torch.randn(n, d, generator=g)
    eps = torch.randn(n, d, generator=g)
    return mu, log_var, eps


# 6.1 the reparameterization trick ------------------------------------------------

def _reference_reparameterize(mu, log_var, eps):
    return mu + torch.exp(0.5 * log_var) * eps


def _test_reparameterize(reparameterize) -> None:
    expect_callable(reparameterize, "reparameterize")
    mu, log_var, eps = _draws(0)
    z = reparameterize(mu, log_var, torch.zeros_like(eps))
    expect_close(z, mu, "z for eps = 0 (it should be the mean mu)", atol=1e-5)
    z = reparameterize(mu, log_var, eps)
    if not isinstance(z, torch.Tensor):
        raise Wrong("return a torch tensor, so that gradients can flow through it.")
    std = torch.exp(0.5 * log_var)
    if torch.allclose(z, mu + log_var * eps, atol=1e-4):
        raise Wrong("log_var is log sigma^2, not sigma: sigma = exp(log_var / 2).")
    if torch.allclose(z, mu + log_var.exp() * eps, atol=1e-4):
        raise Wrong("exp(log_var) is the variance sigma^2; multiply eps by the "
                    "standard deviation sigma = exp(log_var / 2).")
    z = reparameterize(mu, torch.zeros_like(log_var), eps)
    expect_close(z, mu + eps, "z for log_var = 0 (sigma = 1)", atol=1e-5)
    z = reparameterize(mu, log_var, eps)
    expect_close(z, mu + std * eps, "z", atol=1e-5)
    mu_g = mu.clone().requires_grad_(True)
    lv_g = log_var.clone().requires_grad_(True)
    out = reparameterize(mu_g, lv_g, eps)
    if not out.requires_grad:
        raise Wrong("the sample must stay differentiable in mu and log_var: build it "
                    "from them with torch operations (no .detach(), no .sample()).")
    out.sum().backward()
    expect_close(mu_g.grad, torch.ones_like(mu), "dz/dmu (it should be 1)")
    expect_close(lv_g.grad, 0.5 * std * eps, "dz/dlog_var", atol=1e-5)


ex1 = Exercise(
    number="6.1",
    title="the reparameterization trick",
    test=_test_reparameterize,
    hint_text="sigma = exp(0.5 * log_var); then z = mu + sigma * eps.",
    solution_text="""
        def reparameterize_answer(mu, log_var, eps):
            return mu + torch.exp(0.5 * log_var) * eps

    The sample is a differentiable function of mu and log_var; the randomness is
    all in eps, which does not depend on the encoder's parameters.
    """,
    reference=_reference_reparameterize,
    wrong_answers=(
        lambda mu, log_var, eps: mu + log_var * eps,          # log_var used as sigma
        lambda mu, log_var, eps: mu + log_var.exp() * eps,    # variance, not std
        lambda mu, log_var, eps: (mu + torch.exp(0.5 * log_var) * eps).detach(),
        lambda mu, log_var, eps: mu * eps + torch.exp(0.5 * log_var),
    ),
    success="z = mu + sigma * eps carries the gradient to the encoder.",
)


# 6.2 the negative ELBO ----------------------------------------------------------

def _reference_vae_loss(x, logits, mu, log_var):
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum()
    return (recon + kl) / len(x)


def _test_vae_loss(vae_loss) -> None:
    expect_callable(vae_loss, "vae_loss")
    g = torch.Generator().manual_seed(1)
    x = torch.rand(5, 12, generator=g)
    logits = torch.randn(5, 12, generator=g)
    mu, log_var, _ = _draws(2, n=5, d=3)
    got = vae_loss(x, logits, mu, log_var)
    value = as_numpy(got, "vae_loss")
    if value.shape not in ((), (1,)):
        raise Wrong(f"return one number (the mean over the batch), got shape "
                    f"{value.shape}.")
    # the KL at the prior is zero: checks the -1
    zero = torch.zeros(5, 3)
    recon_only = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / 5
    at_prior = float(as_numpy(vae_loss(x, logits, zero, zero), "vae_loss"))
    if math.isclose(at_prior, float(recon_only) + 1.5, rel_tol=1e-4):
        raise Wrong("with mu = 0 and log_var = 0 the KL must be 0: the closed form "
                    "has a -1 per dimension (notebook 05, slip 5).")
    expected = float(_reference_vae_loss(x, logits, mu, log_var))
    per_pixel = float(F.binary_cross_entropy_with_logits(logits, x)) + float(
        0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum() / 5)
    if math.isclose(float(value), per_pixel, rel_tol=1e-4):
        raise Wrong("sum the cross-entropy over the pixels, then average over the "
                    "images (not a mean over pixels).")
    if math.isclose(float(value), expected * 5, rel_tol=1e-4):
        raise Wrong("average over the batch: divide the sums by the number of "
                    "images.")
    expect_close(at_prior, recon_only, "the loss at mu = 0, log_var = 0", rtol=1e-4)
    expect_close(value.reshape(()), expected, "the negative ELBO", rtol=1e-4)


ex2 = Exercise(
    number="6.2",
    title="the negative ELBO",
    test=_test_vae_loss,
    hint_text="F.binary_cross_entropy_with_logits(logits, x, reduction='sum') plus "
              "0.5 * (mu^2 + exp(log_var) - log_var - 1).sum(), divided by len(x).",
    solution_text="""
        def vae_loss(x, logits, mu, log_var):
            recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            kl = 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum()
            return (recon + kl) / len(x)
    """,
    reference=_reference_vae_loss,
    wrong_answers=(
        # the book's KL without the -1
        lambda x, lo, mu, lv: (F.binary_cross_entropy_with_logits(lo, x,
                                                                  reduction="sum")
                               + 0.5 * (mu**2 + lv.exp() - lv).sum()) / len(x),
        # mean over pixels
        lambda x, lo, mu, lv: F.binary_cross_entropy_with_logits(lo, x)
        + 0.5 * (mu**2 + lv.exp() - lv - 1).sum() / len(x),
        # summed over the batch
        lambda x, lo, mu, lv: F.binary_cross_entropy_with_logits(lo, x,
                                                                 reduction="sum")
        + 0.5 * (mu**2 + lv.exp() - lv - 1).sum(),
        # the ELBO itself (wrong sign)
        lambda x, lo, mu, lv: -_reference_vae_loss(x, lo, mu, lv),
    ),
    success="This is the loss the notebook trains, in the course's convention.",
)


# 6.3 the importance-weighted bound ---------------------------------------------

def _reference_importance_bound(log_w):
    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])


def _test_importance_bound(importance_bound) -> None:
    expect_callable(importance_bound, "importance_bound")
    g = torch.Generator().manual_seed(3)
    small = torch.randn(7, 4, generator=g, dtype=torch.float64)
    got = importance_bound(small)
    value = as_numpy(got, "importance_bound")
    if value.shape != (4,):
        raise Wrong(f"return one bound per image, shape (N,) = (4,); got "
                    f"{value.shape}. Reduce over the first axis (the k samples).")
    expected = torch.log(small.exp().mean(0))
    if torch.allclose(torch.as_tensor(got, dtype=torch.float64),
                      small.mean(0), atol=1e-6):
        raise Wrong("the mean of the log weights is the ELBO, not the bound: take "
                    "the log of the mean of the weights.")
    if torch.allclose(torch.as_tensor(got, dtype=torch.float64),
                      torch.logsumexp(small, 0), atol=1e-6):
        raise Wrong("that is the log of the sum: divide by k (subtract log k).")
    expect_close(got, expected, "the bound for small log weights", rtol=1e-6)
    large = (small - 250.0).float()  # float32, as in a network: exp underflows
    got = as_numpy(importance_bound(large), "importance_bound")
    if not all(math.isfinite(v) for v in got):
        raise Wrong("with log weights near -250, exp underflows to 0: use "
                    "torch.logsumexp, which subtracts the maximum first.")
    expect_close(got, expected.numpy() - 250.0, "the bound for log weights near -250",
                 rtol=0, atol=1e-3)


ex3 = Exercise(
    number="6.3",
    title="the importance-weighted bound",
    test=_test_importance_bound,
    hint_text="log (1/k) sum exp(a_j) = logsumexp(a) - log k; torch.logsumexp "
              "(log_w, dim=0) does the stable part.",
    solution_text="""
        def importance_bound(log_w):
            return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])
    """,
    reference=_reference_importance_bound,
    wrong_answers=(
        lambda log_w: log_w.mean(0),                            # the ELBO
        lambda log_w: torch.logsumexp(log_w, dim=0),             # no 1/k
        lambda log_w: torch.log(log_w.exp().mean(0)),            # underflows
        lambda log_w: torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1]),
    ),
    success="With k = 1 this is the ELBO; it rises towards log p(x) as k grows.",
)
