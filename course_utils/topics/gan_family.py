"""The GAN family of section 7.2: Pix2Pix's edge maps, U-Net, PatchGAN
and training loop, and WGAN-GP's gradient penalty.

Generated from notebooks/09_gan_family.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import time

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.core.config import make_generator
from course_utils.core.errors import ShapeError
from course_utils.core.training import progress_bar
from course_utils.topics.gan import discriminator_loss, generator_loss_nonsaturating


def _check_images(images, where):
    if not isinstance(images, torch.Tensor) or images.ndim != 3:
        got = (tuple(images.shape) if isinstance(images, torch.Tensor)
               else type(images).__name__)
        raise ShapeError(f"{where}: images should be a tensor (N, H, W) of grey "
                         f"levels in [0, 1], got {got}.")


def sobel_magnitude(images):
    """The length of each pixel's Sobel gradient, (N, H, W) -> (N, H, W); a step
    from 0 to 1 gives 4 (the kernel's weights 1, 2, 1)."""
    _check_images(images, "sobel_magnitude")
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernels = torch.stack([sobel, sobel.T])[:, None].to(images)
    grad = F.conv2d(images[:, None], kernels, padding=1)  # zero padding: a black frame
    return grad.pow(2).sum(dim=1).sqrt()


def edge_map(images, threshold=1.0):
    """Pix2Pix's input for our paired task: 1 where the Sobel gradient is longer
    than ``threshold`` (a quarter of a full black-to-white step), else 0."""
    return (sobel_magnitude(images) > threshold).float()


class UNet(nn.Module):
    """A CPU-sized U-Net for 28x28 images (Ronneberger et al., 2015): the encoder
    halves the size twice (28 -> 14 -> 7, ``width`` then 2 ``width`` channels),
    the decoder doubles it back, and each decoder stage also gets the encoder's
    features of its size (the skip connections; the last one is the input)."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.down1 = nn.Sequential(nn.Conv2d(1, w, 4, stride=2, padding=1),
                                   nn.LeakyReLU(0.2))
        self.down2 = nn.Sequential(nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),
                                   nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2))
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),
                                 nn.BatchNorm2d(w), nn.ReLU())
        self.up2 = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),
                                 nn.BatchNorm2d(w), nn.ReLU())
        self.out = nn.Sequential(nn.Conv2d(w + 1, 1, 3, padding=1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or tuple(x.shape[1:]) != (28, 28):
            raise ShapeError(f"UNet: the input should have shape (N, 28, 28), got "
                             f"{tuple(x.shape)}.")
        x = x[:, None]
        d1 = self.down1(x)                               # (w, 14, 14)
        d2 = self.down2(d1)                              # (2w, 7, 7)
        u1 = self.up1(d2)                                # (w, 14, 14)
        u2 = self.up2(torch.cat([u1, d1], dim=1))        # skip: (w, 28, 28)
        return self.out(torch.cat([u2, x], dim=1))[:, 0]  # skip: the input itself


class PatchDiscriminator(nn.Module):
    """Pix2Pix's PatchGAN for 28x28 pairs: the condition and the image enter as
    two channels, and it returns a 7x7 grid of logits, one per overlapping patch
    (each sees 18x18 pixels), instead of one logit per image."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(2, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(0.2), nn.Conv2d(2 * w, 1, 3, padding=1))

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        if condition.shape != image.shape or image.ndim != 3:
            raise ShapeError("PatchDiscriminator: condition and image should both "
                             f"have shape (N, 28, 28), got {tuple(condition.shape)} "
                             f"and {tuple(image.shape)}.")
        return self.net(torch.stack([condition, image], dim=1))[:, 0]


def train_pix2pix(generator, discriminator, sample_pairs, *, steps, batch_size=32,
                  lr=1e-3, betas=(0.5, 0.999), l1_weight=100.0, seed=0,
                  device="cpu"):
    """Train ``generator`` to translate inputs into targets for ``steps`` steps.

    sample_pairs: ``sample_pairs(n, generator)`` returns (inputs, targets).
    The generator minimises ``l1_weight`` times the mean |G(input) - target|,
    plus, when ``discriminator`` (a PatchDiscriminator) is given, the
    non-saturating loss of notebook 07 on its patches; each generator step then
    follows a discriminator step on real (input, target) and generated
    (input, G(input)) pairs. ``discriminator=None``: the L1 loss alone.
    Returns the losses at every step ("l1", "adversarial", "d_loss") and "seconds".
    """
    device = torch.device(device)
    generator.to(device).train()
    gen = make_generator(seed)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
    if discriminator is not None:
        discriminator.to(device).train()
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas)
    history = {"l1": [], "adversarial": [], "d_loss": []}
    start = time.perf_counter()
    bar = progress_bar(steps, "Pix2Pix steps")  # shown once it passes 2 s
    for _ in range(steps):
        inputs, targets = (t.to(device) for t in sample_pairs(batch_size, gen))
        fake = generator(inputs)
        l1 = (fake - targets).abs().mean()
        loss_g = l1_weight * l1
        if discriminator is not None:
            loss_d = discriminator_loss(discriminator(inputs, targets),
                                        discriminator(inputs, fake.detach()))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            adversarial = generator_loss_nonsaturating(discriminator(inputs, fake))
            loss_g = loss_g + adversarial
            history["adversarial"].append(float(adversarial.detach()))
            history["d_loss"].append(float(loss_d.detach()))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        history["l1"].append(float(l1.detach()))
        bar.update(1)
    bar.close()
    history["seconds"] = time.perf_counter() - start
    generator.eval()
    if discriminator is not None:
        discriminator.eval()
    return history


def gradient_penalty(critic, real, fake, labels=None, generator=None):
    """WGAN-GP's penalty (Gulrajani et al., 2017): E[(|grad f(x_mix)| - 1)^2] at
    random points x_mix on the lines between real and generated samples."""
    shape = (len(real),) + (1,) * (real.ndim - 1)
    t = torch.rand(shape, generator=generator).to(real.device)
    mix = (t * real + (1 - t) * fake).requires_grad_(True)
    out = critic(mix) if labels is None else critic(mix, labels)
    (grad,) = torch.autograd.grad(out.sum(), mix, create_graph=True)
    return (grad.reshape(len(mix), -1).norm(dim=1) - 1).pow(2).mean()
