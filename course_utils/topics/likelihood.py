"""Estimates of log p(x) for a VAE by importance sampling (notebook 06, section 5).

Kept out of the notebook on purpose: its last step, the stable log of an average
of importance weights, is exercise 6.3.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


@torch.no_grad()
def iwae_bound(model: torch.nn.Module, x: torch.Tensor, k: int,
               generator: torch.Generator | None = None,
               chunk: int | None = None) -> torch.Tensor:
    """Importance-weighted bound on log p(x) with ``k`` samples, per image (nats).

    log (1/k) sum_j p(x, z_j) / q(z_j|x), z_j ~ q(z|x) (Burda, Grosse and
    Salakhutdinov, 2016). k = 1 is the ELBO; the bound rises towards log p(x) as k
    grows. Returns an (N,) tensor.

    model: a VAE with a Bernoulli decoder (notebook 06's ``VAE``: ``flat``,
        ``encode`` and ``decode_logits``).
    chunk: samples decoded at a time (default: as many as keep each intermediate
        tensor near 16 MB).
    """
    if k < 1:
        raise ValueError(f"iwae_bound: k must be at least 1, got {k}.")
    x = model.flat(x)
    chunk = chunk or max(1, 4_000_000 // (len(x) * x.shape[1]))
    mu, log_var = model.encode(x)
    std = torch.exp(0.5 * log_var)
    log_w = []
    for start in range(0, k, chunk):
        m = min(chunk, k - start)
        eps = torch.randn((m, *mu.shape), generator=generator, device=mu.device)
        z = mu + std * eps                                   # (m, N, d)
        logits = model.decode_logits(z.reshape(-1, mu.shape[1])).reshape(
            m, len(x), -1)
        log_px_z = -F.binary_cross_entropy_with_logits(
            logits, x.expand(m, -1, -1), reduction="none").sum(-1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + log_var + math.log(2 * math.pi)).sum(-1)
        log_w.append(log_px_z + log_pz - log_qz)
    log_w = torch.cat(log_w)
    return torch.logsumexp(log_w, dim=0) - math.log(k)
