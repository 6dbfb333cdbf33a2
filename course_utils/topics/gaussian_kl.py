"""The closed-form KL divergence of a Gaussian from the standard normal,
with the -1 the chapter's formula lacks (notebook 05); the VAE's loss in
notebook 06 uses it.

Generated from notebooks/05_gaussian_kl.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import torch


def kl_standard_normal(mu, sigma):
    """(Gaussian KL): KL(N(mu, sigma^2) || N(0, 1)) in nats, elementwise; for a
    diagonal Gaussian, sum it over the latent dimensions (section 4)."""
    return 0.5 * (mu**2 + sigma**2 - torch.log(sigma**2) - 1)
