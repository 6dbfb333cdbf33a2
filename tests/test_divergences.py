"""The exact reference models of notebook 04 (course_utils.topics.elbo) and the
Gaussian KLs of notebook 05 (course_utils.topics.kl, .gaussian_kl)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import distributions as D

from course_utils.core.errors import CourseError, ShapeError
from course_utils.core.synthetic import random_covariance
from course_utils.topics.elbo import (
    JENSEN_FAMILIES,
    PPCA,
    GaussianMixture,
    jensen_gap,
    logsumexp,
)
from course_utils.topics.gaussian_kl import kl_standard_normal
from course_utils.topics.kl import gaussian_log_pdf, kl_gaussians


def test_logsumexp_is_stable():
    a = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    assert np.allclose(logsumexp(a, axis=1), [1000 + math.log(2), -1000 + math.log(2)])
    assert logsumexp(np.array([-np.inf, 0.0])) == 0.0


def test_gaussian_log_pdf_and_kl_match_torch():
    rng = np.random.default_rng(0)
    for n in (1, 3, 5):
        m1, m2 = rng.normal(size=n), rng.normal(size=n)
        c1, c2 = random_covariance(n, rng), random_covariance(n, rng, diagonal=True)
        x = rng.normal(size=(7, n))
        q = D.MultivariateNormal(torch.from_numpy(m1), torch.from_numpy(c1))
        p = D.MultivariateNormal(torch.from_numpy(m2), torch.from_numpy(c2))
        assert np.allclose(gaussian_log_pdf(x, m1, c1),
                           q.log_prob(torch.from_numpy(x)).numpy(), rtol=1e-12)
        assert kl_gaussians(m1, c1, m2, c2) == pytest.approx(
            D.kl_divergence(q, p).item(), rel=1e-10)
        assert kl_gaussians(m1, c1, m1, c1) == pytest.approx(0.0, abs=1e-12)


def test_the_closed_form_kl_is_the_one_dimensional_general_kl():
    mu, sigma = torch.tensor([0.5, -2.0, 0.0]), torch.tensor([0.3, 1.7, 1.0])
    closed = kl_standard_normal(mu, sigma)
    assert float(closed[2]) == 0.0, "KL(N(0, 1) || N(0, 1)) = 0: the -1 is there"
    general = [kl_gaussians([m], [[s**2]], [0.0], [[1.0]])
               for m, s in zip(mu.tolist(), sigma.tolist(), strict=True)]
    assert np.allclose(closed.numpy(), general, atol=1e-6)
    with pytest.raises(CourseError):
        kl_gaussians([0.0], [[-1.0]], [0.0], [[1.0]])


def _mixture() -> GaussianMixture:
    return GaussianMixture(np.array([0.2, 0.8]), np.array([[0.0, 0.0], [3.0, 1.0]]),
                           np.array([np.eye(2), [[2.0, 0.5], [0.5, 1.0]]]))


def test_mixture_evidence_and_posterior():
    mix = _mixture()
    x = np.array([[1.0, 0.5], [-2.0, 3.0]])
    brute = np.log(sum(w * np.exp(gaussian_log_pdf(x, m, c))
                       for w, m, c in zip(mix.weights, mix.means, mix.covs,
                                          strict=True)))
    assert np.allclose(mix.log_evidence(x), brute, rtol=1e-12)
    post = mix.posterior(x)
    assert np.allclose(post.sum(axis=1), 1.0)
    assert np.allclose(np.log(post), mix.log_joint(x) - brute[:, None])
    sample, z = mix.sample(4000, np.random.default_rng(1))
    assert sample.shape == (4000, 2) and abs(np.mean(z == 1) - 0.8) < 0.03


def test_mixture_rejects_bad_parameters():
    with pytest.raises(CourseError):
        GaussianMixture(np.array([0.5, 0.6]), np.zeros((2, 1)), np.ones((2, 1, 1)))
    with pytest.raises(ShapeError):
        GaussianMixture(np.array([0.5, 0.5]), np.zeros((3, 1)), np.ones((2, 1, 1)))


def test_ppca_is_consistent_with_bayes_rule():
    rng = np.random.default_rng(2)
    model = PPCA(W=rng.normal(size=(4, 2)), b=rng.normal(size=4), sigma2=0.4)
    x = model.sample(1, rng)[0][0]
    mean, cov = model.posterior(x)
    # log p(x) = log p(x|z) + log p(z) - log p(z|x), for every z
    for z in rng.normal(size=(5, 2)):
        rhs = (model.log_likelihood(x, z) + model.log_prior(z)
               - gaussian_log_pdf(z, mean, cov))
        assert float(model.log_evidence(x)) == pytest.approx(float(rhs), rel=1e-12)
    xs, _ = model.sample(200_000, rng)
    m, c = model.marginal()
    assert np.allclose(xs.mean(axis=0), m, atol=0.02)
    assert np.allclose(np.cov(xs.T), c, atol=0.05)
    with pytest.raises(ShapeError):
        model.posterior(np.zeros(3))
    with pytest.raises(CourseError):
        PPCA(W=np.ones((3, 1)), b=np.zeros(3), sigma2=0.0)


@pytest.mark.parametrize("dist", JENSEN_FAMILIES)
def test_jensen_closed_forms_match_sampling(dist):
    rng = np.random.default_rng(3)
    mean, spread = 2.0, 0.4
    s = mean * spread
    n = 400_000
    samples = {
        "two-point": mean + s * rng.choice([-1.0, 1.0], size=n),
        "uniform": rng.uniform(mean - math.sqrt(3) * s, mean + math.sqrt(3) * s, n),
        "gamma": rng.gamma(1 / spread**2, mean * spread**2, n),
        "log-normal": np.exp(rng.normal(math.log(mean) - math.log1p(spread**2) / 2,
                                        math.sqrt(math.log1p(spread**2)), n)),
    }[dist]
    assert samples.mean() == pytest.approx(mean, rel=0.005)
    assert samples.std() == pytest.approx(s, rel=0.01)
    logs = np.log(samples)
    r = jensen_gap(dist, mean, spread)
    assert abs(logs.mean() - r["mean_log"]) < 4 * logs.std() / math.sqrt(n)
