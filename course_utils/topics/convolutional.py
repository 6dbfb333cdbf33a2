"""Convolutional generators of section 7.2: the DCGAN generator and
discriminator (conditional with a label), and the adversarial training
loop with both objectives (the GAN's and WGAN-GP's).

Generated from notebooks/08_convolutional_generators.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.core.config import make_generator, seeded
from course_utils.core.errors import CourseError, ShapeError
from course_utils.core.training import History, adam, fit, progress_bar
from course_utils.topics.gan import (
    GanHistory,
    discriminator_loss,
    generator_loss_nonsaturating,
)
from course_utils.topics.vae import VAE


def conv_encoder(out_dim: int, width: int = 16) -> nn.Sequential:
    """Flat 28x28 images (N, 784) -> (N, out_dim): two convolutions of stride 2
    (28 -> 14 -> 7 pixels, ``width`` then 2 * ``width`` channels) with ReLUs,
    then a linear layer."""
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, width, 4, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(2 * width * 7 * 7, out_dim))


class PixelBias(nn.Module):
    """Adds one learned bias per pixel to flat images (N, n_pixels)."""

    def __init__(self, n_pixels: int = 784):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(n_pixels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias


def conv_decoder(latent_dim: int, width: int = 16) -> nn.Sequential:
    """z (N, latent_dim) -> logits (N, 784): the encoder mirrored, a linear layer
    to (2 * width, 7, 7), two transposed convolutions of stride 2 (7 -> 14 -> 28)
    and a bias per pixel (the last layer, as in the MLP decoders, so that
    notebook 06's init_output_bias applies)."""
    return nn.Sequential(
        nn.Linear(latent_dim, 2 * width * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (2 * width, 7, 7)),
        nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1, bias=False),
        nn.Flatten(), PixelBias(28 * 28))


def _check_sizes(who: str, latent_dim: int, width: int) -> None:
    if latent_dim < 1 or width < 1:
        raise ShapeError(f"{who}: latent_dim and width must be positive, got "
                         f"latent_dim={latent_dim}, width={width}.")


class ConvAutoencoder(nn.Module):
    """Notebook 03's autoencoder with convolutions: 28x28 images -> z -> images,
    a sigmoid at the output (pixels in [0, 1]). The same interface as
    DeepAutoencoder (encode, decode, forward), so reconstruction_loss,
    encode_all and random_latents apply."""

    def __init__(self, latent_dim: int = 20, width: int = 16):
        super().__init__()
        _check_sizes("ConvAutoencoder", latent_dim, width)
        self.input_shape, self.latent_dim = (28, 28), int(latent_dim)
        self.encoder = conv_encoder(latent_dim, width)
        self.decoder = conv_decoder(latent_dim, width)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code z = e(x), (N, latent_dim), of images (N, 28, 28) or (N, 784)."""
        if not isinstance(x, torch.Tensor) or x.ndim < 2 or x[0].numel() != 784:
            got = tuple(getattr(x, "shape", ())) or type(x).__name__
            raise ShapeError("ConvAutoencoder: x should be a tensor of 28x28 images, "
                             f"(N, 28, 28) or (N, 784), got {got}.")
        return self.encoder(x.reshape(len(x), 784))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The reconstruction x_hat = d(z), (N, 28, 28), pixels in [0, 1]."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ShapeError(f"ConvAutoencoder.decode: z should have shape (N, "
                             f"{self.latent_dim}), got {tuple(z.shape)}.")
        return torch.sigmoid(self.decoder(z)).reshape(len(z), 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ConvVAE(nn.Module):
    """Notebook 06's VAE with a convolutional encoder and decoder (Bernoulli
    decoder, logits out). It borrows the VAE's methods, which only call the
    encoder and the decoder, so negative_elbo, test_negative_elbo and
    init_output_bias apply unchanged."""

    input_pca = None  # the VAE's optional input projection: not used here

    def __init__(self, latent_dim: int = 20, width: int = 16):
        super().__init__()
        _check_sizes("ConvVAE", latent_dim, width)
        self.x_dim, self.latent_dim = 28 * 28, int(latent_dim)
        self.encoder = conv_encoder(2 * latent_dim, width)  # mu and log_var
        self.decoder = conv_decoder(latent_dim, width)      # logits of the pixels

    flat = VAE.flat
    encode = VAE.encode
    decode_logits = VAE.decode_logits
    decode = VAE.decode
    forward = VAE.forward
    sample = VAE.sample


def train_compared(model: nn.Module, loss_fn: Callable, x: torch.Tensor, *,
                   epochs: int, batch_size: int = 64, lr: float = 2e-3,
                   schedule: str = "cosine", seed: int = 0,
                   device: torch.device | str | None = None) -> History:
    """Train any of the four models of section 1 on ``loss_fn`` by
    ``course_utils.core.training.fit``: Adam with a cosine decay from ``lr``
    (``"cosine"``: notebook 03's recipe) or a one-cycle schedule peaking at
    ``lr`` with betas (0.9, 0.99) (``"one-cycle"``: notebook 06's). ``seed``
    fixes the batch order and every random draw (the VAE's z). Returns the
    History; its ``seconds`` is the training's wall time."""
    if schedule not in ("cosine", "one-cycle"):
        raise CourseError(f"schedule is 'cosine' or 'one-cycle', got {schedule!r}.")
    if epochs < 1 or batch_size < 1:
        raise CourseError("train_compared: epochs and batch_size must be positive.")
    steps = epochs * math.ceil(len(x) / batch_size)
    with seeded(seed):
        if schedule == "cosine":
            optimizer = adam(model.parameters(), lr=lr)
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
        else:
            optimizer = adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=lr, total_steps=steps, pct_start=0.25)
        return fit(model, loss_fn, x, epochs=epochs, batch_size=batch_size,
                   optimizer=optimizer, scheduler=scheduler, seed=seed,
                   device=device, progress=True)


class DCGenerator(nn.Module):
    """A DCGAN generator for 28x28 images: z -> (2w, 7, 7) -> (w, 14, 14) ->
    (1, 28, 28), transposed convolutions of stride 2 with batch norm and ReLU,
    a sigmoid at the end. With ``n_classes`` it is conditional: the label's
    one-hot code is appended to z."""

    def __init__(self, latent_dim: int = 32, width: int = 16, n_classes: int = 0):
        super().__init__()
        self.latent_dim, self.width, self.n_classes = latent_dim, width, n_classes
        self.project = nn.Sequential(
            nn.Linear(latent_dim + n_classes, 2 * width * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU())
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None):
        if self.n_classes:
            z = torch.cat([z, F.one_hot(labels, self.n_classes).float()], dim=1)
        h = self.project(z).reshape(len(z), 2 * self.width, 7, 7)
        return self.upsample(h)[:, 0]


class DCDiscriminator(nn.Module):
    """A DCGAN discriminator (or, without batch norm, a WGAN critic) for 28x28
    images: two convolutions of stride 2 with leaky ReLUs, batch norm after the
    second, one logit. With ``n_classes`` the label's one-hot code enters as
    extra input channels."""

    def __init__(self, width: int = 16, n_classes: int = 0, batch_norm: bool = True):
        super().__init__()
        self.n_classes = n_classes
        self.net = nn.Sequential(
            nn.Conv2d(1 + n_classes, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.BatchNorm2d(2 * width) if batch_norm else nn.Identity(),
            nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None):
        x = x.reshape(len(x), 1, 28, 28)
        if self.n_classes:
            code = F.one_hot(labels, self.n_classes).float()[:, :, None, None]
            x = torch.cat([x, code.expand(-1, -1, 28, 28)], dim=1)
        return self.net(x)[:, 0]


@dataclass
class AdversarialHistory(GanHistory):
    """GanHistory plus the critic's Wasserstein estimate
    E[f(real)] - E[f(fake)] at every generator step (WGAN only)."""

    w_estimate: list[float] = field(default_factory=list)

    def to_plain(self) -> dict:
        return {**super().to_plain(), "w_estimate": self.w_estimate}

    @classmethod
    def from_plain(cls, d: dict) -> "AdversarialHistory":
        base = GanHistory.from_plain(d)
        return cls(d_loss=base.d_loss, g_loss=base.g_loss, snapshots=base.snapshots,
                   seconds=base.seconds, w_estimate=list(d["w_estimate"]))


def train_adversarial(generator: nn.Module, critic: nn.Module,
                      sample_real: Callable, *, latent_dim: int, steps: int,
                      objective: str = "gan", n_critic: int = 1,
                      penalty: Callable | None = None, gp_weight: float = 10.0,
                      n_classes: int = 0,
                      batch_size: int = 64, lr_g: float = 2e-4, lr_d: float = 2e-4,
                      betas: tuple[float, float] = (0.5, 0.999),
                      lr_decay: bool = False, seed: int = 0,
                      snapshot_steps: Sequence[int] = (), snapshot_size: int = 100,
                      device: torch.device | str = "cpu") -> AdversarialHistory:
    """``steps`` generator steps, each after ``n_critic`` critic steps.

    objective: "gan" (notebook 07's losses: the discriminator's BCE and the
        non-saturating generator loss) or "wgan-gp" (the critic maximises
        E[f(real)] - E[f(fake)] minus ``gp_weight`` times the gradient penalty;
        the generator maximises E[f(fake)]).
    penalty: for "wgan-gp", ``penalty(critic, real, fake, labels, generator)``
        (notebook 09's gradient penalty; labels is None unless conditional).
    n_classes: 0, or the number of classes of a conditional GAN: then
        ``sample_real(n, generator)`` returns (images, labels), and generator and
        critic take the labels as a second argument (generated samples get labels
        drawn uniformly).
    lr_decay: both learning rates fall linearly to zero over the steps (as in
        Gulrajani et al.'s code), which lets the samples settle at the end.
    Snapshots: ``snapshot_size`` samples from fixed noise (and, when conditional,
    labels 0, 1, 2, ... in turn) after the listed steps (0 = before training).
    """
    if objective not in ("gan", "wgan-gp"):
        raise CourseError(f"objective is 'gan' or 'wgan-gp', got {objective!r}.")
    if objective == "wgan-gp" and penalty is None:
        raise CourseError("objective 'wgan-gp' needs a penalty: pass "
                          "penalty=gradient_penalty (notebook 09).")
    if steps < 1 or batch_size < 1 or n_critic < 1:
        raise CourseError("train_adversarial: steps, batch_size and n_critic must "
                          "be positive.")
    device = torch.device(device)
    generator.to(device).train()
    critic.to(device).train()
    gen = make_generator(seed)
    fixed = make_generator(seed + 1)
    fixed_z = torch.randn(snapshot_size, latent_dim, generator=fixed).to(device)
    fixed_y = (torch.arange(snapshot_size) % max(n_classes, 1)).to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
    opt_d = torch.optim.Adam(critic.parameters(), lr=lr_d, betas=betas)
    schedules = []
    if lr_decay:
        schedules = [torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 - k / steps)
                     for opt in (opt_g, opt_d)]
    history = AdversarialHistory()
    wanted = set(snapshot_steps)

    def draw_real():
        batch = sample_real(batch_size, gen)
        if n_classes:
            return batch[0].to(device), batch[1].to(device)
        return batch.to(device), None

    def generate(n, labels=None):
        z = torch.randn(n, latent_dim, generator=gen).to(device)
        if n_classes:
            labels = torch.randint(n_classes, (n,), generator=gen).to(device)
            return generator(z, labels), labels
        return generator(z), None

    def judge(x, labels):
        out = critic(x) if labels is None else critic(x, labels)
        return out.reshape(-1)

    def snapshot(step):
        generator.eval()
        with torch.no_grad():
            x = generator(fixed_z, fixed_y) if n_classes else generator(fixed_z)
        history.snapshots[step] = x.cpu()
        generator.train()

    if 0 in wanted:
        snapshot(0)
    start = time.perf_counter()
    bar = progress_bar(steps, "generator steps")  # shown once it passes 2 s
    for step in range(1, steps + 1):
        for _ in range(n_critic):
            real, real_y = draw_real()
            with torch.no_grad():
                fake, fake_y = generate(batch_size)
            real_out, fake_out = judge(real, real_y), judge(fake, fake_y)
            if objective == "gan":
                loss_d = discriminator_loss(real_out, fake_out)
            else:
                w = real_out.mean() - fake_out.mean()
                loss_d = -w + gp_weight * penalty(critic, real, fake, real_y, gen)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        fake, fake_y = generate(batch_size)
        fake_out = judge(fake, fake_y)
        if objective == "gan":
            loss_g = generator_loss_nonsaturating(fake_out)
        else:
            loss_g = -fake_out.mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for schedule in schedules:
            schedule.step()
        history.d_loss.append(float(loss_d.detach()))
        history.g_loss.append(float(loss_g.detach()))
        if objective == "wgan-gp":
            history.w_estimate.append(float(w.detach()))
        if step in wanted:
            snapshot(step)
        bar.update(1)
    bar.close()
    history.seconds = time.perf_counter() - start
    generator.eval()
    critic.eval()
    return history
