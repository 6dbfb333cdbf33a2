"""The GAN family of section 7.2: WGAN-GP's gradient penalty.

Generated from notebooks/09_gan_family.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import torch


def gradient_penalty(critic, real, fake, labels=None, generator=None):
    """WGAN-GP's penalty (Gulrajani et al., 2017): E[(|grad f(x_mix)| - 1)^2] at
    random points x_mix on the lines between real and generated samples."""
    shape = (len(real),) + (1,) * (real.ndim - 1)
    t = torch.rand(shape, generator=generator).to(real.device)
    mix = (t * real + (1 - t) * fake).requires_grad_(True)
    out = critic(mix) if labels is None else critic(mix, labels)
    (grad,) = torch.autograd.grad(out.sum(), mix, create_graph=True)
    return (grad.reshape(len(mix), -1).norm(dim=1) - 1).pow(2).mean()
