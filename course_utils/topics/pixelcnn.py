"""The autoregressive model of section 7.3: masked convolutions, the
PixelCNN for binary images with its exact log-likelihood and its
pixel-by-pixel sampler, and the Fashion-MNIST training recipe through
the model cache.

Generated from notebooks/10_autoregressive_models.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import time

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.core.cache import cached_training, data_checksum
from course_utils.core.config import make_generator, seeded
from course_utils.core.errors import ShapeError
from course_utils.core.training import History, adam, fit, progress_bar


def causal_mask(kernel: int, include_centre: bool) -> torch.Tensor:
    # A (kernel, kernel) mask of 0/1: 1 on every row above the centre and on the
    # centre row left of the centre; on the centre too when include_centre
    mask = torch.zeros(kernel, kernel)
    centre = kernel // 2
    mask[:centre] = 1
    mask[centre, :centre + int(include_centre)] = 1
    return mask


class MaskedConv2d(nn.Conv2d):
    # A convolution whose kernel is multiplied by a causal mask: mask "A" sees
    # pixels strictly before the centre in raster order, mask "B" the centre too

    def __init__(self, in_channels: int, out_channels: int, kernel: int,
                 mask_type: str):
        if mask_type not in ("A", "B") or kernel % 2 == 0:
            raise ShapeError("MaskedConv2d: mask_type is 'A' or 'B' and the kernel "
                             f"size odd, got {mask_type!r} and {kernel}.")
        super().__init__(in_channels, out_channels, kernel, padding=kernel // 2)
        self.register_buffer("mask", causal_mask(kernel, mask_type == "B"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNN(nn.Module):
    # A PixelCNN for binary images (van den Oord et al., 2016): one mask-A
    # convolution, mask-B convolutions with ReLUs, then 1x1 convolutions to one
    # logit per pixel, the logit of p(x_i = 1 | x_<i)

    def __init__(self, channels: int = 16, layers: int = 6, first_kernel: int = 7,
                 kernel: int = 3, head: int = 32):
        super().__init__()
        parts: list[nn.Module] = [MaskedConv2d(1, channels, first_kernel, "A")]
        for _ in range(layers):
            parts += [nn.ReLU(), MaskedConv2d(channels, channels, kernel, "B")]
        parts += [nn.ReLU(), nn.Conv2d(channels, head, 1), nn.ReLU(),
                  nn.Conv2d(head, 1, 1)]
        self.net = nn.Sequential(*parts)
        # rows above a pixel that can reach it: the window the sampler needs
        self.reach = first_kernel // 2 + layers * (kernel // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # logits (N, 1, H, W) of each pixel given the pixels before it
        return self.net(x.reshape(len(x), 1, *x.shape[-2:]))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        # log p(x), exact, in nats per image (N,), for binary images (N, H, W)
        x = x.reshape(len(x), 1, *x.shape[-2:])
        return -F.binary_cross_entropy_with_logits(
            self(x), x, reduction="none").sum(dim=(1, 2, 3))

    @torch.no_grad()
    def sample(self, n: int, height: int = 28, width: int = 28,
               generator: torch.Generator | None = None) -> torch.Tensor:
        # n binary images (n, height, width), one pixel at a time in raster
        # order; each step runs the network on the rows that can reach the
        # current one only (the same logits, far less work)
        device = next(self.parameters()).device
        x = torch.zeros(n, 1, height, width, device=device)
        bar = progress_bar(height, "rows sampled")  # shown once it passes 2 s
        for row in range(height):
            top = max(0, row - self.reach)
            for col in range(width):
                logits = self(x[:, :, top:row + 1])[:, 0, -1, col]
                u = torch.rand(n, generator=generator).to(device)
                x[:, 0, row, col] = (u < torch.sigmoid(logits)).float()
            bar.update(1)
        bar.close()
        return x[:, 0].cpu()


def gate(a: torch.Tensor) -> torch.Tensor:
    # the gated activation: tanh of the first half of the channels times the
    # sigmoid of the second half
    value, how_much = a.chunk(2, dim=1)
    return torch.tanh(value) * torch.sigmoid(how_much)


class GatedLayer(nn.Module):
    # One layer of the gated PixelCNN (van den Oord et al., 2016, Conditional
    # Image Generation with PixelCNN Decoders): a vertical stack over the rows
    # above (and its own row), handed one row lower, through a 1x1 convolution,
    # to a horizontal stack over the row so far

    def __init__(self, in_channels: int, channels: int, kernel: int, first: bool):
        super().__init__()
        p = kernel // 2
        # output row j reads input rows j - p - 1 .. j - 1 (p + 1 rows of padding)
        self.vertical = nn.Conv2d(in_channels, 2 * channels, (p + 1, kernel),
                                  padding=(p + 1, p))
        self.down = nn.Conv2d(2 * channels, 2 * channels, 1)
        # output column j reads columns j - p .. j (j - p - 1 .. j - 1 when first)
        self.horizontal = nn.Conv2d(in_channels, 2 * channels, (1, p + 1),
                                    padding=(0, p + int(first)))
        self.out = nn.Conv2d(channels, channels, 1)
        self.first = first

    def forward(self, v: torch.Tensor, h: torch.Tensor):
        height, width = v.shape[-2:]
        rows = self.vertical(v)
        v_next = gate(rows[:, :, 1:height + 1])        # rows r - p .. r
        down = self.down(rows[:, :, :height])           # rows r - p - 1 .. r - 1
        h_new = self.out(gate(self.horizontal(h)[..., :width] + down))
        return v_next, (h_new if self.first else h + h_new)


class GatedPixelCNN(PixelCNN):
    # A PixelCNN without the blind spot: gated layers of two stacks, then the
    # plain one's 1x1 head; its log_prob and sample are PixelCNN's

    def __init__(self, channels: int = 8, layers: int = 4, first_kernel: int = 7,
                 kernel: int = 3, head: int = 32):
        nn.Module.__init__(self)   # not PixelCNN's masked layers, only its methods
        self.stacks = nn.ModuleList(
            [GatedLayer(1, channels, first_kernel, True)]
            + [GatedLayer(channels, channels, kernel, False) for _ in range(layers)])
        self.net = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, head, 1), nn.ReLU(),
                                 nn.Conv2d(head, 1, 1))
        # rows above that reach a pixel: the row of the hand-down, the first
        # layer's, then one kernel // 2 per layer
        self.reach = 1 + first_kernel // 2 + layers * (kernel // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = h = x.reshape(len(x), 1, *x.shape[-2:])
        for layer in self.stacks:
            v, h = layer(v, h)
        return self.net(h)


PIXELCNN_RECIPE = dict(channels=16, layers=6, first_kernel=7, kernel=3, head=32,
                       epochs=1, batch_size=32, max_lr=5e-3)
PIXELCNN_IMAGES = {"full": 15000, "fast": 4000}  # pick(**PIXELCNN_IMAGES)
GATED_RECIPE = dict(PIXELCNN_RECIPE, channels=8, layers=4, gated=True)


def pixelcnn_from(recipe: dict) -> PixelCNN:
    # the untrained network a recipe names: the plain PixelCNN or the gated one
    kind = GatedPixelCNN if recipe.get("gated") else PixelCNN
    return kind(recipe["channels"], recipe["layers"], recipe["first_kernel"],
                recipe["kernel"], recipe["head"])


def train_pixelcnn(train_images: torch.Tensor, seed: int = 0, *,
                   device: torch.device | str | None = None, progress: bool = True,
                   **overrides) -> tuple[PixelCNN, History]:
    # Train a PixelCNN on grey images (N, 28, 28), binarised afresh at every
    # use; seed: initial weights, batch order and the binarisation draws.
    r = {**PIXELCNN_RECIPE, **overrides}
    x = train_images.reshape(len(train_images), 1, *train_images.shape[-2:]).float()
    start = time.perf_counter()
    with seeded(seed):
        model = pixelcnn_from(r)
        p = x.mean().clamp(1e-3, 1 - 1e-3)
        with torch.no_grad():
            model.net[-1].bias.fill_(float(torch.log(p) - torch.log1p(-p)))
    model.to(device or "cpu")
    steps = r["epochs"] * -(-len(x) // r["batch_size"])
    optimizer = adam(model.parameters(), lr=r["max_lr"])
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=r["max_lr"], total_steps=steps, pct_start=0.2)
    draws = make_generator(seed + 1)  # the binarisation, on the CPU

    def loss(m, batch):
        u = torch.rand(batch.shape, generator=draws).to(batch.device)
        return -m.log_prob((u < batch).float()).mean()

    history = fit(model, loss, x, epochs=r["epochs"], batch_size=r["batch_size"],
                  optimizer=optimizer, scheduler=schedule, seed=seed,
                  progress=progress)
    history.seconds = time.perf_counter() - start
    return model, history


def fashion_pixelcnn(train_images: torch.Tensor, seed: int = 0, *,
                     name: str = "pixelcnn-fashion", device=None,
                     **overrides) -> tuple[PixelCNN, History]:
    # train_pixelcnn through the model cache; the model comes back on the CPU
    r = {**PIXELCNN_RECIPE, **overrides}
    model = pixelcnn_from(r)

    def train(target: PixelCNN) -> History:
        trained, history = train_pixelcnn(train_images, seed, device=device, **r)
        target.load_state_dict(trained.state_dict())
        return history

    settings = {**r, "seed": seed, "n": len(train_images),
                "checksum": data_checksum(train_images)}
    history = cached_training(name, model, train, settings)
    return model.cpu().eval(), history
