"""Exercises of notebook 04 (Jensen's inequality and the ELBO)."""

from __future__ import annotations

import numpy as np

from course_utils.core.checks import (
    Exercise,
    Wrong,
    as_numpy,
    expect_callable,
    expect_close,
)
from course_utils.topics.elbo import PPCA, GaussianMixture, logsumexp

# Exercise 4.1: the ELBO of a discrete q ----------------------------------------

_MIXTURE = GaussianMixture(
    weights=np.array([0.6, 0.3, 0.1]),
    means=np.array([[-1.0], [1.5], [4.0]]),
    covs=np.array([[[1.0]], [[0.5]], [[2.0]]]))


def _elbo_reference(log_joint, q):
    q = np.asarray(q, dtype=float)
    keep = q > 0
    return float(np.sum(q[keep] * (np.asarray(log_joint)[keep] - np.log(q[keep]))))


def _test_elbo(elbo_discrete) -> None:
    expect_callable(elbo_discrete, "elbo_discrete")
    x = np.array([0.7])
    log_joint = _MIXTURE.log_joint(x)
    posterior = _MIXTURE.posterior(x)
    log_px = float(logsumexp(log_joint))
    q = np.array([0.2, 0.5, 0.3])
    value = float(as_numpy(elbo_discrete(log_joint, q), "elbo_discrete(...)"))
    if abs(value - log_px) < 1e-9:
        raise Wrong("your ELBO equals log p(x) for a q that is not the posterior: "
                    "did you take the log of the average (log sum q p/q) instead "
                    "of the average of the logs?")
    if abs(value - float(np.sum(q * log_joint))) < 1e-9:
        raise Wrong("your value is sum_k q_k log p(x, z_k) only: the entropy term "
                    "- sum_k q_k log q_k is missing.")
    if value > log_px:
        raise Wrong(f"your ELBO ({value:.4f}) is above log p(x) ({log_px:.4f}), "
                    "which Jensen's inequality forbids; check the sign of the "
                    "- q log q (entropy) term.")
    expect_close(value, _elbo_reference(log_joint, q), "the ELBO for q = "
                 "[0.2, 0.5, 0.3]", rtol=1e-9)
    expect_close(elbo_discrete(log_joint, posterior), log_px,
                 "the ELBO at the posterior (it should equal log p(x))", rtol=1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        edge = elbo_discrete(log_joint, np.array([0.0, 1.0, 0.0]))
    edge = float(as_numpy(edge, "elbo_discrete with zeros in q"))
    if not np.isfinite(edge):
        raise Wrong("with q = [0, 1, 0] your ELBO is not finite: a term with "
                    "q_k = 0 must count as 0 (0 log 0 = 0); skip those terms.")
    expect_close(edge, log_joint[1], "the ELBO for q = [0, 1, 0]", rtol=1e-9)


def _wrong_no_entropy(log_joint, q):
    return float(np.sum(np.asarray(q) * np.asarray(log_joint)))


def _wrong_ratio_of_logs(log_joint, q):   # slip 3 of the chapter
    q = np.asarray(q, dtype=float)
    keep = q > 0
    return float(np.sum(q[keep] * np.asarray(log_joint)[keep])
                 - np.sum(q[keep] * np.log(q[keep]) / np.asarray(log_joint)[keep]))


def _wrong_log_outside(log_joint, q):
    q = np.asarray(q, dtype=float)
    keep = q > 0
    return float(np.log(np.sum(q[keep] * np.exp(np.asarray(log_joint)[keep])
                               / q[keep])))


def _wrong_nan_at_zero(log_joint, q):
    q = np.asarray(q, dtype=float)
    return float(np.sum(q * (np.asarray(log_joint) - np.log(q))))


ex1 = Exercise(
    number="4.1",
    title="the ELBO of a discrete q",
    test=_test_elbo,
    hint_text="ELBO = sum over k of q_k * (log_joint_k - log q_k); leave out the "
              "terms where q_k == 0.",
    solution_text="""
        def elbo_discrete(log_joint, q):
            q = np.asarray(q, dtype=float)
            keep = q > 0                    # 0 log 0 = 0
            return float(np.sum(q[keep] * (np.asarray(log_joint)[keep]
                                           - np.log(q[keep]))))
    """,
    reference=_elbo_reference,
    wrong_answers=(_wrong_no_entropy, _wrong_ratio_of_logs, _wrong_log_outside,
                   _wrong_nan_at_zero),
    success="The ELBO is below log p(x) for every q and touches it at the posterior.",
)


# Exercise 4.2: the PPCA posterior ------------------------------------------------

def _ppca_posterior_reference(x, W, b, c):
    M = W.T @ W + c * np.eye(W.shape[1])
    return np.linalg.solve(M, W.T @ (x - b)), c * np.linalg.inv(M)


def _test_ppca_posterior(ppca_posterior) -> None:
    expect_callable(ppca_posterior, "ppca_posterior")
    rng = np.random.default_rng(4)
    for n, d in ((4, 2), (6, 3)):
        model = PPCA(W=rng.normal(size=(n, d)), b=rng.normal(size=n), sigma2=0.3)
        x = model.sample(1, rng)[0][0]
        result = ppca_posterior(x, model.W, model.b, model.sigma2)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Wrong("return a pair (mean, covariance).")
        mean, cov = model.posterior(x)
        expect_close(result[0], mean, f"the posterior mean (n={n}, d={d})",
                     rtol=1e-7, atol=1e-9)
        expect_close(result[1], cov, f"the posterior covariance (n={n}, d={d})",
                     rtol=1e-7, atol=1e-9)


ex2 = Exercise(
    number="4.2",
    title="the PPCA posterior",
    test=_test_ppca_posterior,
    hint_text="M = W.T @ W + c * np.eye(d); mean = M^-1 W^T (x - b) (use "
              "np.linalg.solve); covariance = c * M^-1.",
    solution_text="""
        def ppca_posterior(x, W, b, c):
            M = W.T @ W + c * np.eye(W.shape[1])
            return np.linalg.solve(M, W.T @ (x - b)), c * np.linalg.inv(M)
    """,
    reference=_ppca_posterior_reference,
    wrong_answers=(
        # the covariance without the noise variance c
        lambda x, W, b, c: (_ppca_posterior_reference(x, W, b, c)[0],
                            np.linalg.inv(W.T @ W + c * np.eye(W.shape[1]))),
        # forgot to subtract the offset b
        lambda x, W, b, c: _ppca_posterior_reference(x + b, W, b, c),
        # the prior's covariance, ignoring x entirely
        lambda x, W, b, c: (_ppca_posterior_reference(x, W, b, c)[0],
                            np.eye(W.shape[1])),
    ),
    success="With a linear decoder the posterior is exact; a VAE has to learn q.",
)


# Exercise 4.3: the data log-likelihood --------------------------------------------

def _test_data_log_likelihood(data_log_likelihood) -> None:
    expect_callable(data_log_likelihood, "data_log_likelihood")
    log_p = np.array([-1.2, -0.4, -3.0, -2.2])
    value = float(as_numpy(data_log_likelihood(log_p), "data_log_likelihood(...)"))
    if abs(value - float(logsumexp(log_p))) < 1e-9:
        raise Wrong("that is log sum_n p(x_n), the log of a sum (the chapter's slip "
                    "1). For independent points the probabilities multiply.")
    if abs(value - log_p.mean()) < 1e-9:
        raise Wrong("that is the mean of the logs; the log-likelihood of the data "
                    "set is their sum (the mean is the same up to a factor 1/N).")
    expect_close(value, log_p.sum(), "the log-likelihood of four points",
                 rtol=1e-9)


ex3 = Exercise(
    number="4.3",
    title="the log-likelihood of a data set",
    test=_test_data_log_likelihood,
    hint_text="log of a product = sum of the logs.",
    solution_text="""
        def data_log_likelihood(log_p):
            return float(np.sum(log_p))
    """,
    reference=lambda log_p: float(np.sum(log_p)),
    wrong_answers=(lambda log_p: float(logsumexp(log_p)),
                   lambda log_p: float(np.mean(log_p)),
                   lambda log_p: float(np.log(np.sum(np.exp(log_p)) / len(log_p)))),
    success="Sum of logs: the data log-likelihood L(theta) the ELBO bounds.",
)
