"""Diffusion models (DDPM): the noise schedule and the forward process in
closed form, the noise-prediction loss, the ancestral (DDPM) and
deterministic (DDIM) samplers, and the 2-D and Fashion-MNIST training
recipes through the model cache.

Generated from notebooks/12_diffusion_models.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import math

import torch
from torch import nn

from course_utils.core.cache import cached_training, data_checksum
from course_utils.core.config import make_generator, seeded
from course_utils.core.errors import ShapeError
from course_utils.core.training import History, adam, fit


class Schedule:
    # The noise schedule of a diffusion: beta_t for t = 1..T, and what follows
    # from it, indexed so that [t] is step t ([0] is the clean data: abar 1)

    def __init__(self, betas: torch.Tensor):
        self.T = len(betas)
        self.betas = torch.cat([torch.zeros(1, dtype=betas.dtype), betas])
        self.alphas = 1 - self.betas
        self.alpha_bars = torch.cumprod(self.alphas, 0)

    def snr(self) -> torch.Tensor:
        # signal-to-noise ratio of x_t: abar_t / (1 - abar_t), for t = 1..T
        abar = self.alpha_bars[1:]
        return abar / (1 - abar)

    def posterior_variance(self) -> torch.Tensor:
        # beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t, for t = 1..T
        abar = self.alpha_bars
        return (1 - abar[:-1]) / (1 - abar[1:]) * self.betas[1:]


def linear_schedule(T: int = 100, dtype=torch.float32) -> Schedule:
    # Ho et al.'s linear betas (1e-4 to 0.02 over 1,000 steps), stretched to T
    # steps so that the total noise added is about the same
    scale = 1000 / T
    return Schedule(torch.linspace(1e-4 * scale, 0.02 * scale, T, dtype=dtype))


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
             schedule: Schedule) -> torch.Tensor:
    # x_t drawn from q(x_t | x_0) in closed form: sqrt(abar_t) x_0 +
    # sqrt(1 - abar_t) noise; t holds one step (1..T) per example
    abar = schedule.alpha_bars.to(x0.device)[t].reshape(-1, *[1] * (x0.ndim - 1))
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def time_features(t: torch.Tensor, T: int, size: int = 32) -> torch.Tensor:
    # sines and cosines of the step at geometric frequencies (N, size)
    freqs = torch.exp(-math.log(1000.0) * torch.arange(size // 2) / (size // 2))
    angle = (t.float() / T * 1000)[:, None] * freqs.to(t.device)
    return torch.cat([angle.sin(), angle.cos()], dim=1)


class PointDenoiser(nn.Module):
    # eps_theta(x_t, t) for 2-D points: an MLP reading the point and the step

    def __init__(self, T: int, hidden: int = 128, dim: int = 2):
        super().__init__()
        self.T = T
        self.net = nn.Sequential(nn.Linear(dim + 32, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, time_features(t, self.T)], dim=1))


def noise_loss(model: nn.Module, x0: torch.Tensor, schedule: Schedule,
               generator: torch.Generator) -> torch.Tensor:
    # Ho et al.'s simple loss: a random step per example, x_t in closed form,
    # the squared error of the predicted noise (summed over the pixels)
    t = torch.randint(1, schedule.T + 1, (len(x0),), generator=generator)
    noise = torch.randn(x0.shape, generator=generator)
    t, noise = t.to(x0.device), noise.to(x0.device)
    x_t = q_sample(x0, t, noise, schedule)
    return ((model(x_t, t) - noise) ** 2).reshape(len(x0), -1).sum(1).mean()


def predicted_x0(x_t, eps, abar_t, clip: bool):
    # the x_0 that x_t and the noise estimate imply; clipped to the data's range
    # [-1, 1] when clip (as Ho et al.'s code does for images)
    x0 = (x_t - (1 - abar_t).sqrt() * eps) / abar_t.sqrt()
    return x0.clamp(-1, 1) if clip else x0


@torch.no_grad()
def ddpm_sample(model: nn.Module, shape: tuple, schedule: Schedule,
                generator: torch.Generator, keep: tuple = (), clip: bool = False):
    # ancestral sampling (Ho et al., algorithm 2): T passes of the network,
    # from x_T ~ N(0, I) down to x_0, each a draw from N(mu_theta, beta~_t I), with
    # mu_theta the posterior mean q(x_{t-1} | x_t, x_0) at the x_0 the network
    # implies; returns x_0 and {t: x_t} for the steps in keep
    device = next(model.parameters()).device
    a, abar, b = schedule.alphas, schedule.alpha_bars, schedule.betas
    sigma = schedule.posterior_variance().sqrt()   # sigma[t - 1]: step t's
    x = torch.randn(shape, generator=generator).to(device)
    kept = {schedule.T: x.cpu()} if schedule.T in keep else {}
    for t in range(schedule.T, 0, -1):
        eps = model(x, torch.full((shape[0],), t, device=device))
        x0 = predicted_x0(x, eps, abar[t], clip)
        x = ((abar[t - 1].sqrt() * b[t] * x0 + a[t].sqrt() * (1 - abar[t - 1]) * x)
             / (1 - abar[t]))
        if t > 1:
            x = x + sigma[t - 1] * torch.randn(shape, generator=generator).to(device)
        if t - 1 in keep:
            kept[t - 1] = x.cpu()
    return x.cpu(), kept


def ddim_step(x_t, eps, abar_t, abar_prev, clip: bool = False):
    # one deterministic DDIM step (Song, Meng and Ermon, 2021, eta = 0): the
    # x_0 the noise estimate implies, moved to the earlier step's noise level
    # along the same noise
    x0 = predicted_x0(x_t, eps, abar_t, clip)
    eps = (x_t - abar_t.sqrt() * x0) / (1 - abar_t).sqrt()
    return abar_prev.sqrt() * x0 + (1 - abar_prev).sqrt() * eps


@torch.no_grad()
def ddim_sample(model: nn.Module, shape: tuple, schedule: Schedule, steps: int,
                generator: torch.Generator, clip: bool = False):
    # DDIM with `steps` passes of the network, on evenly spaced steps from T to 0
    device = next(model.parameters()).device
    abar = schedule.alpha_bars
    times = torch.linspace(schedule.T, 0, steps + 1).round().long().tolist()
    x = torch.randn(shape, generator=generator).to(device)
    for t, prev in zip(times[:-1], times[1:], strict=True):
        eps = model(x, torch.full((shape[0],), t, device=device))
        x = ddim_step(x, eps, abar[t], abar[prev], clip)
    return x.cpu()

def train_diffusion(model: nn.Module, x: torch.Tensor, schedule: Schedule, *,
                    epochs: int, batch_size: int = 128, max_lr: float = 2e-3,
                    seed: int = 0, device=None, progress: bool = True) -> History:
    # the simple loss with Adam and a one-cycle rate; the steps and the noise
    # come from their own generator (on the CPU), seeded
    steps = epochs * -(-len(x) // batch_size)
    optimizer = adam(model.parameters(), lr=max_lr)
    schedule_lr = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=steps, pct_start=0.2)
    draws = make_generator(seed + 1)
    return fit(model, lambda m, batch: noise_loss(m, batch, schedule, draws), x,
               epochs=epochs, batch_size=batch_size, optimizer=optimizer,
               scheduler=schedule_lr, seed=seed, device=device, progress=progress)


DIFFUSION_2D_RECIPE = dict(T=100, hidden=128, epochs=50, batch_size=128, max_lr=1e-2)


def diffusion_2d(points: torch.Tensor, seed: int = 0, *, name: str = "ddpm-2d",
                 device=None, progress: bool = True, **overrides):
    # a DDPM noise predictor for 2-D points (N, 2), through the model cache;
    # returns the model (on the CPU), its schedule and its History
    r = {**DIFFUSION_2D_RECIPE, **overrides}
    schedule = linear_schedule(r["T"])
    with seeded(seed):
        model = PointDenoiser(r["T"], r["hidden"])

    def train(target: nn.Module) -> History:
        return train_diffusion(target, points, schedule, epochs=r["epochs"],
                               batch_size=r["batch_size"], max_lr=r["max_lr"],
                               seed=seed, device=device, progress=progress)

    settings = {**r, "seed": seed, "n": len(points), "checksum": data_checksum(points)}
    history = cached_training(name, model, train, settings)
    return model.cpu().eval(), schedule, history


class Block(nn.Module):
    # a 3x3 convolution, group norm and SiLU; the step enters as a per-channel
    # shift after the norm
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.norm = nn.GroupNorm(4, c_out)
        self.time = nn.Linear(32, c_out)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.conv(x)) + self.time(emb)[:, :, None, None]
        return nn.functional.silu(h)


class ImageDenoiser(nn.Module):
    # eps_theta(x_t, t) for 28x28 images: a small U-Net (notebook 09's shape,
    # 28 -> 14 -> 7 and back, with skip connections, the last one the input
    # itself) whose blocks also read the step

    def __init__(self, T: int, width: int = 16):
        super().__init__()
        w = width
        self.T = T
        self.embed = nn.Sequential(nn.Linear(32, 32), nn.SiLU())
        self.down1 = Block(1, w)                      # 28x28
        self.down2 = Block(w, 2 * w)                  # 14x14
        self.mid = Block(2 * w, 2 * w)                # 7x7
        self.up2 = Block(4 * w, w)                    # 14x14, with down2's skip
        self.up1 = Block(2 * w, w)                    # 28x28, with down1's skip
        self.out = nn.Conv2d(w + 1, 1, 3, padding=1)  # with the input's skip
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or tuple(x.shape[1:]) != (28, 28):
            raise ShapeError(f"ImageDenoiser: x should have shape (N, 28, 28), got "
                             f"{tuple(x.shape)}.")
        emb = self.embed(time_features(t, self.T))
        x = x[:, None]
        d1 = self.down1(x, emb)
        d2 = self.down2(nn.functional.avg_pool2d(d1, 2), emb)
        m = self.mid(nn.functional.avg_pool2d(d2, 2), emb)
        u2 = self.up2(torch.cat([nn.functional.interpolate(m, scale_factor=2), d2], 1),
                      emb)
        u1 = self.up1(torch.cat([nn.functional.interpolate(u2, scale_factor=2), d1], 1),
                      emb)
        return self.out(torch.cat([u1, x], 1))[:, 0]


DIFFUSION_RECIPE = dict(T=100, width=16, epochs=1, batch_size=32, max_lr=3e-3)
DIFFUSION_IMAGES = {"full": 15000, "fast": 4000}  # pick(**DIFFUSION_IMAGES)


def fashion_diffusion(train_images: torch.Tensor, seed: int = 0, *,
                      name: str = "ddpm-fashion", device=None, progress: bool = True,
                      **overrides):
    # a DDPM on grey images (N, 28, 28) in [0, 1], trained on 2x - 1 (pixels
    # in [-1, 1]), through the model cache; returns the model (on the CPU), its
    # schedule and its History
    r = {**DIFFUSION_RECIPE, **overrides}
    schedule = linear_schedule(r["T"])
    x = 2 * train_images.float() - 1
    with seeded(seed):
        model = ImageDenoiser(r["T"], r["width"])

    def train(target: nn.Module) -> History:
        return train_diffusion(target, x, schedule, epochs=r["epochs"],
                               batch_size=r["batch_size"], max_lr=r["max_lr"],
                               seed=seed, device=device, progress=progress)

    settings = {**r, "seed": seed, "n": len(x), "checksum": data_checksum(x)}
    history = cached_training(name, model, train, settings)
    return model.cpu().eval(), schedule, history
