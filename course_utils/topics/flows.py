"""Normalizing flows: the affine coupling layer (RealNVP) and a stack of
them with its exact log-likelihood and one-pass sampler, the 2-D
training recipe, and the dequantised Fashion-MNIST flow (logit map,
bounds on a binary image's log-probability) through the model cache.

Generated from notebooks/11_normalizing_flows.ipynb (its cells marked
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


class AffineCoupling(nn.Module):
    # One affine coupling layer (Dinh, Sohl-Dickstein and Bengio, 2017): the
    # coordinates where mask is 1 pass unchanged; the others are scaled by
    # exp(s) and shifted by t, both computed from the unchanged ones only

    def __init__(self, mask: torch.Tensor, hidden: int = 64, layers: int = 2):
        super().__init__()
        self.register_buffer("mask", mask.float())
        width, parts = len(mask), []
        for _ in range(layers):
            parts += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        parts.append(nn.Linear(width, 2 * len(mask)))
        self.net = nn.Sequential(*parts)
        nn.init.zeros_(self.net[-1].weight)   # every layer starts as the identity
        nn.init.zeros_(self.net[-1].bias)
        self.scale = nn.Parameter(torch.zeros(len(mask)))  # bounds s: |s| < e^scale

    def scale_shift(self, kept: torch.Tensor):
        # s and t for the changed coordinates (0 on the kept ones)
        s, t = self.net(kept).chunk(2, dim=-1)
        free = 1 - self.mask
        return self.scale.exp() * torch.tanh(s) * free, t * free

    def forward(self, x: torch.Tensor):
        # y and log|det dy/dx| per example: the Jacobian is triangular, so its
        # log-determinant is the sum of the log-scales on its diagonal
        s, t = self.scale_shift(x * self.mask)
        return x * torch.exp(s) + t, s.sum(-1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        # the kept coordinates are y's own, so s and t can be recomputed
        s, t = self.scale_shift(y * self.mask)
        return (y - t) * torch.exp(-s)


class Flow(nn.Module):
    # A normalizing flow: couplings f = f_K o ... o f_1 from data x to a code z of
    # the same size, with a standard normal base p(z); log p(x) by the change of
    # variables, a sample by one pass of the inverses

    def __init__(self, masks, hidden: int = 64, layers: int = 2):
        super().__init__()
        self.dim = len(masks[0])
        self.couplings = nn.ModuleList(AffineCoupling(m, hidden, layers)
                                       for m in masks)

    def forward(self, x: torch.Tensor):
        # z = f(x) and log|det df/dx| per example
        log_det = torch.zeros(len(x), dtype=x.dtype, device=x.device)
        for coupling in self.couplings:
            x, step = coupling(x)
            log_det = log_det + step
        return x, log_det

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        for coupling in reversed(self.couplings):
            z = coupling.inverse(z)
        return z

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        # log p(x) = log N(f(x); 0, I) + log|det df/dx|, exact, in nats (N,)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ShapeError(f"Flow.log_prob: x should be (N, {self.dim}), got "
                             f"{tuple(x.shape)}.")
        z, log_det = self(x)
        base = -0.5 * (z ** 2).sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)
        return base + log_det

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None):
        # n draws (n, dim): z from the base, then x = f^-1(z), one pass
        device = next(self.parameters()).device
        z = torch.randn(n, self.dim, generator=generator).to(device)
        return self.inverse(z)


def alternating_masks(dim: int, n: int) -> list[torch.Tensor]:
    # n masks that alternate between two halves: even coordinates, then odd
    half = (torch.arange(dim) % 2).float()
    return [half if i % 2 == 0 else 1 - half for i in range(n)]


def checkerboard_masks(height: int, width: int, n: int) -> list[torch.Tensor]:
    # n masks over a flattened image, alternating a checkerboard and its
    # complement: each pixel is changed by every other coupling
    board = ((torch.arange(height)[:, None] + torch.arange(width)) % 2).reshape(-1)
    return [board.float() if i % 2 == 0 else 1 - board.float() for i in range(n)]


def train_flow(flow: Flow, x: torch.Tensor, *, epochs: int, batch_size: int = 256,
               max_lr: float = 5e-3, seed: int = 0, loss=None, device=None,
               progress: bool = True) -> History:
    # maximum likelihood: minimise -log p(x), averaged over the batch, with Adam
    # and a one-cycle rate; loss(model, batch) replaces -log p (dequantised data)
    steps = epochs * -(-len(x) // batch_size)
    optimizer = adam(flow.parameters(), lr=max_lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=steps, pct_start=0.2)
    loss = loss or (lambda model, batch: -model.log_prob(batch).mean())
    return fit(flow, loss, x, epochs=epochs, batch_size=batch_size,
               optimizer=optimizer, scheduler=schedule, seed=seed, device=device,
               progress=progress)


FLOW_2D_RECIPE = dict(couplings=8, hidden=64, layers=2, epochs=10, batch_size=256,
                      max_lr=5e-3)


def flow_2d(points: torch.Tensor, seed: int = 0, *, name: str = "flow-2d",
            device=None, progress: bool = True, **overrides) -> tuple[Flow, History]:
    # a flow fitted to 2-D points (N, 2) by maximum likelihood, through the
    # model cache; the model comes back on the CPU
    r = {**FLOW_2D_RECIPE, **overrides}
    with seeded(seed):
        model = Flow(alternating_masks(2, r["couplings"]), r["hidden"], r["layers"])

    def train(target: Flow) -> History:
        return train_flow(target, points, epochs=r["epochs"],
                          batch_size=r["batch_size"], max_lr=r["max_lr"], seed=seed,
                          device=device, progress=progress)

    settings = {**r, "seed": seed, "n": len(points), "checksum": data_checksum(points)}
    history = cached_training(name, model, train, settings)
    return model.cpu().eval(), history


ALPHA = 0.05  # keeps the logit finite at the edges of [0, 2)


def to_logits(y: torch.Tensor):
    # dequantised pixels y in [0, 2) to R, and log|det| of the map per image:
    # p = ALPHA + (1 - 2 ALPHA) y / 2, then v = log p - log(1 - p)
    p = ALPHA + (1 - 2 * ALPHA) * y / 2
    v = torch.log(p) - torch.log1p(-p)
    log_det = (math.log((1 - 2 * ALPHA) / 2) - torch.log(p)
               - torch.log1p(-p)).sum(-1)
    return v, log_det


def from_logits(v: torch.Tensor) -> torch.Tensor:
    # the inverse of to_logits
    return 2 * (torch.sigmoid(v) - ALPHA) / (1 - 2 * ALPHA)


def continuous_log_prob(flow: Flow, y: torch.Tensor) -> torch.Tensor:
    # log p(y) of dequantised images y (N, 784), exact, in nats per image
    v, log_det = to_logits(y)
    return flow.log_prob(v) + log_det


def dequantised_bounds(flow: Flow, x: torch.Tensor, k: int,
                       generator: torch.Generator):
    # two lower bounds on log P(x) of binary images x (N, 784), per image:
    # the mean of log p(x + u) over k uniform draws u (an estimate of E_u), and
    # log of the mean of p(x + u) (tighter, as the IWAE's L_k is)
    with torch.no_grad():
        logs = torch.stack([continuous_log_prob(
            flow, x + torch.rand(x.shape, generator=generator).to(x.device))
            for _ in range(k)])
    return logs.mean(0), torch.logsumexp(logs, 0) - math.log(k)


@torch.no_grad()
def sample_binary(flow: Flow, n: int, generator: torch.Generator | None = None):
    # n binary images (n, 784): one pass of the inverses, back through the logit,
    # then the cell each pixel fell in (beyond [0, 2): the nearer cell)
    y = from_logits(flow.sample(n, generator=generator))
    return torch.floor(y).clamp(0, 1).cpu()


FLOW_RECIPE = dict(couplings=6, hidden=128, layers=1, epochs=1, batch_size=64,
                   max_lr=2e-3)
FLOW_IMAGES = {"full": 15000, "fast": 4000}  # pick(**FLOW_IMAGES)


def fashion_flow(train_images: torch.Tensor, seed: int = 0, *,
                 name: str = "flow-fashion", device=None, progress: bool = True,
                 **overrides) -> tuple[Flow, History]:
    # A flow on dequantised, dynamically binarised images (N, 28, 28): every use
    # draws the binary pixels and the uniform noise afresh; through the model
    # cache, the model back on the CPU
    r = {**FLOW_RECIPE, **overrides}
    x = train_images.reshape(len(train_images), -1).float()
    with seeded(seed):
        model = Flow(checkerboard_masks(28, 28, r["couplings"]), r["hidden"],
                     r["layers"])

    def train(target: Flow) -> History:
        draws = make_generator(seed + 1)   # binarisation and noise, on the CPU

        def loss(m, batch):
            u = torch.rand(batch.shape, generator=draws).to(batch.device)
            binary = (u < batch).float()
            noise = torch.rand(batch.shape, generator=draws).to(batch.device)
            return -continuous_log_prob(m, binary + noise).mean()

        return train_flow(target, x, epochs=r["epochs"],
                          batch_size=r["batch_size"], max_lr=r["max_lr"],
                          seed=seed, loss=loss, device=device, progress=progress)

    settings = {**r, "seed": seed, "n": len(x), "checksum": data_checksum(x)}
    history = cached_training(name, model, train, settings)
    return model.cpu().eval(), history
