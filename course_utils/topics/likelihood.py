"""Estimates of log p(x) for a VAE by importance sampling (notebook 06, section 5).

p(x) = E_{z ~ r}[p(x|z) p(z) / r(z)] for any proposal r; with K draws the log of
the average weight estimates log p(x) from below in expectation (Jensen), the
importance-weighted bound L_K (Burda, Grosse and Salakhutdinov, 2016). With the
prior as proposal this is naive Monte Carlo; with the encoder's q(z|x) it is
what makes the estimate usable. The decoder's likelihood must be a density for
the data it scores: ``"bernoulli"`` for binary images, ``"continuous_bernoulli"``
for grey levels in [0, 1] (Loaiza-Ganem and Cunningham, 2019).

Kept out of the notebook on purpose: the last step, the stable log of an average
of importance weights, is exercise 6.3.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from course_utils.core.errors import ShapeError

LIKELIHOODS = ("bernoulli", "continuous_bernoulli")
_LOG_2PI = math.log(2 * math.pi)


def log_likelihood(logits: torch.Tensor, x: torch.Tensor,
                   likelihood: str = "bernoulli") -> torch.Tensor:
    """log p(x|z) summed over the pixels (last axis), from the decoder's logits.

    ``"bernoulli"``: x in {0, 1}; ``"continuous_bernoulli"``: x in [0, 1], the
    Bernoulli's formula plus its normalising constant log C(logits), so that it
    integrates to one over [0, 1] (a Bernoulli cross-entropy on grey levels does
    not).
    """
    if likelihood == "bernoulli":
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    if likelihood == "continuous_bernoulli":
        return torch.distributions.ContinuousBernoulli(logits=logits).log_prob(
            x).sum(-1)
    raise ShapeError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}.")


@torch.no_grad()  # an estimate, not a loss: no graph kept for the k samples
def log_weights(model: torch.nn.Module, x: torch.Tensor, k: int,
                proposal: str | tuple = "posterior", likelihood: str = "bernoulli",
                generator: torch.Generator | None = None,
                chunk: int | None = None) -> torch.Tensor:
    """The (k, N) log importance weights log p(x, z_j) - log r(z_j), z_j ~ r.

    model: a VAE (notebook 06's ``VAE``: ``flat``, ``encode``, ``decode_logits``).
    proposal: ``"posterior"``, the encoder's q(z|x), ``"prior"``, N(0, I)
        (naive Monte Carlo: log r = log p(z), so the weight is p(x|z)), or a
        pair ``(mu, log_var)`` of (N, d) tensors: a diagonal Gaussian per image,
        such as a q fitted to each image (notebook 06, section 5.4).
    chunk: samples decoded at a time (default: each intermediate tensor near 16 MB,
        4 MB for the continuous Bernoulli, whose log-density makes about ten
        temporaries of that size: 170 MB at 16 MB, notebook 06's peak).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    own = isinstance(proposal, tuple)
    if not own and proposal not in ("posterior", "prior"):
        raise ShapeError("proposal must be 'posterior', 'prior' or a pair (mu, "
                         f"log_var), got {proposal!r}.")
    x = model.flat(x)
    budget = 1_000_000 if likelihood == "continuous_bernoulli" else 4_000_000
    chunk = chunk or max(1, budget // (len(x) * x.shape[1]))
    mu, log_var = proposal if own else model.encode(x)
    if own and (mu.shape != log_var.shape or mu.shape[0] != len(x)):
        raise ShapeError(f"proposal (mu, log_var): two (N, d) tensors for {len(x)} "
                         f"images, got {tuple(mu.shape)} and {tuple(log_var.shape)}.")
    if proposal == "prior":
        mu, log_var = torch.zeros_like(mu), torch.zeros_like(log_var)
    std = torch.exp(0.5 * log_var)
    out = []
    for start in range(0, k, chunk):
        m = min(chunk, k - start)
        eps = torch.randn((m, *mu.shape), generator=generator, device=mu.device)
        z = mu + std * eps                                   # (m, N, d)
        logits = model.decode_logits(z.reshape(-1, mu.shape[1])).reshape(
            m, len(x), -1)
        log_px_z = log_likelihood(logits, x.expand(m, -1, -1), likelihood)
        log_pz = -0.5 * (z.pow(2) + _LOG_2PI).sum(-1)
        log_rz = -0.5 * (eps.pow(2) + log_var + _LOG_2PI).sum(-1)
        out.append(log_px_z + log_pz - log_rz)
    return torch.cat(out)


def iwae_bound(model: torch.nn.Module, x: torch.Tensor, k: int,
               generator: torch.Generator | None = None, chunk: int | None = None,
               likelihood: str = "bernoulli") -> torch.Tensor:
    """The importance-weighted bound L_k on log p(x), per image (nats), an (N,)
    tensor: log (1/k) sum_j p(x, z_j) / q(z_j|x). k = 1 is the ELBO; it rises
    towards log p(x) as k grows."""
    log_w = log_weights(model, x, k, "posterior", likelihood, generator, chunk)
    return torch.logsumexp(log_w, dim=0) - math.log(k)


def effective_sample_size(log_w: torch.Tensor) -> torch.Tensor:
    """Kish's effective sample size (sum w)^2 / sum w^2 of each column of the
    (k, N) log weights: k when all weights are equal, 1 when one dominates."""
    w = torch.softmax(log_w, dim=0)
    return 1.0 / w.pow(2).sum(dim=0)
