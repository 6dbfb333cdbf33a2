"""The generative adversarial network of section 7.2: the discriminator's
and the generator's losses, the minibatch standard deviation against
mode collapse, and the alternating training loop with its snapshots.

Generated from notebooks/07_generative_adversarial_networks.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.core.config import make_generator
from course_utils.core.errors import CourseError
from course_utils.core.training import progress_bar


def discriminator_loss(real_logits, fake_logits):
    """-V(D, G) on a batch: BCE with label 1 for real, 0 for generated samples."""
    real = F.binary_cross_entropy_with_logits(real_logits,
                                              torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits,
                                              torch.zeros_like(fake_logits))
    return real + fake


def generator_loss_minmax(fake_logits):
    """The min-max generator loss E[log(1 - D(G(z)))] (to be minimised)."""
    return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)


def generator_loss_nonsaturating(fake_logits):
    """The non-saturating generator loss -E[log D(G(z))]."""
    return F.softplus(-fake_logits).mean()  # -log(sigmoid(l)) = softplus(-l)


@dataclass
class GanHistory:
    """What :func:`train_gan` records: the losses at every step, the generator's
    samples at a few steps (``snapshots``: step -> tensor), and wall time."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0

    def to_plain(self) -> dict:
        """Plain lists and tensors, so that the model cache can store it."""
        return {"d_loss": self.d_loss, "g_loss": self.g_loss, "seconds": self.seconds,
                "snapshot_steps": list(self.snapshots),
                "snapshots": [v for v in self.snapshots.values()]}

    @classmethod
    def from_plain(cls, d: dict) -> "GanHistory":
        return cls(d_loss=list(d["d_loss"]), g_loss=list(d["g_loss"]),
                   snapshots=dict(zip(d["snapshot_steps"], d["snapshots"],
                                      strict=True)),
                   seconds=float(d["seconds"]))


def train_gan(generator: nn.Module, discriminator: nn.Module,
              sample_real: Callable[[int, torch.Generator], torch.Tensor],
              d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
              g_loss: Callable[[torch.Tensor], torch.Tensor], *, latent_dim: int,
              steps: int, batch_size: int = 128, lr_g: float = 1e-3,
              lr_d: float = 1e-3, betas: tuple[float, float] = (0.5, 0.999),
              seed: int = 0, snapshot_steps: Sequence[int] = (),
              snapshot_size: int = 1000, device: torch.device | str = "cpu",
              progress: bool = True) -> GanHistory:
    """Alternate one discriminator step and one generator step, ``steps`` times.

    sample_real: ``sample_real(n, generator)`` returns ``n`` real examples.
    d_loss: ``d_loss(real_logits, fake_logits)``, minimised by the discriminator.
    g_loss: ``g_loss(fake_logits)``, minimised by the generator.
    latent_dim: size of the noise z ~ N(0, I) fed to the generator.
    snapshot_steps: after these steps (1-based), keep ``snapshot_size`` samples
        from the same fixed noise, to watch the generator's distribution move
        (step 0 = before training).
    The discriminator's logits come from ``discriminator(x)`` for a batch ``x``;
    a discriminator that looks at several samples at once (a packed one) may
    return fewer logits than it receives samples.
    Adam with ``betas`` (0.5, 0.999), the usual choice for GANs since DCGAN.
    progress: a progress bar over the steps (shown once training passes 2 s).
    """
    if steps < 1 or batch_size < 1:
        raise CourseError("train_gan: steps and batch_size must be positive.")
    device = torch.device(device)
    generator.to(device).train()
    discriminator.to(device).train()
    gen = make_generator(seed)
    fixed_z = torch.randn(snapshot_size, latent_dim, generator=make_generator(seed + 1))
    # plain Adam, not training.adam's fused kernel: the collapse of notebook 07 is
    # a chaotic outcome measured with this arithmetic; with the fused kernel (the
    # same algorithm, other rounding) seed 1 kept 3.2 modes instead of 1.0
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
    history = GanHistory()
    wanted = set(snapshot_steps)

    def snapshot(step: int) -> None:
        with torch.no_grad():
            history.snapshots[step] = generator(fixed_z.to(device)).cpu()

    if 0 in wanted:
        snapshot(0)
    bar = progress_bar(steps, "GAN steps") if progress else None
    start = time.perf_counter()
    for step in range(1, steps + 1):
        real = sample_real(batch_size, gen).to(device)
        z = torch.randn(batch_size, latent_dim, generator=gen).to(device)
        fake = generator(z)
        loss_d = d_loss(discriminator(real), discriminator(fake.detach()))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        z = torch.randn(batch_size, latent_dim, generator=gen).to(device)
        loss_g = g_loss(discriminator(generator(z)))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        history.d_loss.append(float(loss_d.detach()))
        history.g_loss.append(float(loss_g.detach()))
        if step in wanted:
            snapshot(step)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    history.seconds = time.perf_counter() - start
    generator.eval()
    discriminator.eval()
    return history


class MinibatchStd(nn.Module):
    """Wraps a discriminator: appends the batch's standard deviation to every
    sample before judging it, averaged over the coordinates (one feature, for
    images) or, with ``per_coordinate``, one feature per coordinate (2-D data)."""

    def __init__(self, net, per_coordinate=False):
        super().__init__()
        self.net, self.per_coordinate = net, per_coordinate

    def forward(self, x):
        spread = x.std(dim=0, keepdim=True)
        if not self.per_coordinate:
            spread = spread.mean(dim=1, keepdim=True)
        return self.net(torch.cat([x, spread.expand(len(x), -1)], dim=1))
