"""Models used by several notebooks, defined once.

:class:`DeepAutoencoder` is the deep (non-linear) MLP autoencoder of section 7.1.2,
taught in notebook 03 and compared with the VAE in notebook 06. Names follow the
chapter: ``encoder`` (parameters lambda) maps ``x`` to the code ``z`` of size
``latent_dim`` (the bottleneck); ``decoder`` (parameters theta) maps ``z`` back to
``x_hat``.

Loss convention of the course: squared error summed over the pixels (features),
averaged over the batch (:func:`reconstruction_loss`). Tables report the mean
squared error per pixel, which is that sum divided by the number of pixels.

:func:`train_autoencoder` trains one through the cache, and
:func:`fashion_autoencoder` returns a trained Fashion-MNIST autoencoder (2-D
bottleneck by default) for notebooks 03 and 06.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from course_utils.core.cache import cached_training
from course_utils.core.config import pick
from course_utils.core.errors import ShapeError

OUTPUTS = ("sigmoid", "linear")


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given ``sizes`` with ``activation`` between them (none
    after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class DeepAutoencoder(nn.Module):
    """A deep MLP autoencoder: ``x -> encoder -> z -> decoder -> x_hat``.

    input_shape: shape of one example, e.g. ``(28, 28)`` for images or ``20`` for
        feature vectors; inputs are flattened, outputs take this shape again.
    latent_dim: size of the bottleneck ``z``.
    hidden: widths of the encoder's hidden layers; the decoder mirrors them.
    output: ``"sigmoid"`` for data in [0, 1] (images), ``"linear"`` otherwise.
    activation: the non-linearity between layers (ReLU by default).
    """

    def __init__(self, input_shape: int | Sequence[int] = (28, 28),
                 latent_dim: int = 2, hidden: Sequence[int] = (256, 64),
                 output: str = "sigmoid", activation: type[nn.Module] = nn.ReLU):
        super().__init__()
        shape = (int(input_shape),) if isinstance(input_shape, int) else tuple(
            int(s) for s in input_shape)
        if latent_dim < 1 or any(h < 1 for h in hidden) or not shape:
            raise ShapeError("DeepAutoencoder: latent_dim and hidden widths must be "
                             f"positive, got latent_dim={latent_dim}, hidden={hidden}.")
        if output not in OUTPUTS:
            raise ShapeError(f"DeepAutoencoder: output must be one of {OUTPUTS}, "
                             f"got {output!r}.")
        self.input_shape = shape
        self.latent_dim = int(latent_dim)
        self.output = output
        n = math.prod(shape)
        self.encoder = nn.Sequential(
            nn.Flatten(), mlp([n, *hidden, latent_dim], activation))
        dec: list[nn.Module] = [mlp([latent_dim, *reversed(hidden), n], activation)]
        if output == "sigmoid":
            dec.append(nn.Sigmoid())
        dec.append(nn.Unflatten(1, shape))
        self.decoder = nn.Sequential(*dec)

    def _check(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise ShapeError("DeepAutoencoder: `x` should be a torch tensor, got "
                             f"{type(x).__name__}.")
        if tuple(x.shape[1:]) != self.input_shape:
            if x.ndim == 2 and x.shape[1] == math.prod(self.input_shape):
                return x.reshape(len(x), *self.input_shape)
            raise ShapeError(
                f"DeepAutoencoder: `x` should have shape (N, "
                f"{', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}.")
        return x

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``z = e(x)``, shape (N, latent_dim)."""
        return self.encoder(self._check(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The reconstruction ``x_hat = d(z)``, shape (N, *input_shape)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ShapeError(f"DeepAutoencoder.decode: `z` should have shape (N, "
                             f"{self.latent_dim}), got {tuple(z.shape)}.")
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x_hat = d(e(x))``."""
        return self.decode(self.encode(x))


def reconstruction_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Squared error summed over the features of each example, averaged over the
    batch (the course's loss convention)."""
    x_hat = model(x)
    return (x_hat - x.reshape(x_hat.shape)).pow(2).flatten(1).sum(dim=1).mean()


@torch.no_grad()
def reconstruction_mse(model: nn.Module, x: torch.Tensor,
                       batch_size: int = 2048) -> float:
    """Mean squared error per feature (pixel) of ``model`` on ``x``."""
    model.eval()
    total = 0.0
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size]
        x_hat = model(xb)
        total += float((x_hat - xb.reshape(x_hat.shape)).pow(2).sum())
    return total / x[0].numel() / len(x)


@torch.no_grad()
def encode_all(model: DeepAutoencoder, x: torch.Tensor,
               batch_size: int = 4096) -> torch.Tensor:
    """Codes of all of ``x`` (N, latent_dim), computed in batches without gradients."""
    model.eval()
    return torch.cat([model.encode(x[i:i + batch_size])
                      for i in range(0, len(x), batch_size)])


def train_autoencoder(x: torch.Tensor, latent_dim: int, *, name: str,
                      hidden: Sequence[int] = (256, 64), output: str = "sigmoid",
                      epochs: int = 20, batch_size: int = 128, lr: float = 2e-3,
                      seed: int = 0, val_x: torch.Tensor | None = None,
                      weight_decay: float = 0.0, cache: bool = True,
                      progress: bool = False):
    """Build a :class:`DeepAutoencoder` for ``x`` and train it on
    :func:`reconstruction_loss` with Adam (learning rate ``lr`` decayed to 0 over the
    run by a cosine schedule), through the cache.

    x: training data, (N, *input_shape).
    latent_dim, hidden, output: passed to :class:`DeepAutoencoder`.
    name: the cache file's prefix; the key also holds the data's size and a
        checksum of it, so different data never load the wrong weights.
    epochs, batch_size, lr, weight_decay, seed: the recipe (``seed`` sets the
        initial weights and the batch order).
    val_x: validation data, recorded in the History after every epoch.
    cache: False trains without the cache.
    Returns ``(model, history)``; the model is in eval mode on the CPU.
    """
    from course_utils.core.training import adam, fit

    if not isinstance(x, torch.Tensor) or x.ndim < 2:
        raise ShapeError("train_autoencoder: `x` should be a tensor (N, ...), got "
                         f"{getattr(x, 'shape', type(x).__name__)}.")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = DeepAutoencoder(tuple(x.shape[1:]), latent_dim, hidden, output)
    steps = epochs * math.ceil(len(x) / batch_size)

    def train(m):
        opt = adam(m.parameters(), lr=lr, weight_decay=weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))
        return fit(m, reconstruction_loss, x, epochs=epochs, batch_size=batch_size,
                   optimizer=opt, scheduler=sched, seed=seed, val_data=val_x,
                   progress=progress, live_plot=False)

    if not cache:
        with torch.random.fork_rng():
            history = train(model)
        return model.eval(), history
    settings = {"n": len(x), "checksum": round(float(x.double().sum()), 3),
                "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
                "weight_decay": weight_decay,
                "val": None if val_x is None else len(val_x)}
    with torch.random.fork_rng():
        history = cached_training(name, model, train, settings, verbose=False)
    return model.cpu().eval(), history


def fashion_autoencoder(latent_dim: int = 2, seed: int = 0, n_train: int | None = None,
                        epochs: int | None = None, hidden: Sequence[int] = (256, 64),
                        batch_size: int = 64):
    """A deep autoencoder trained on Fashion-MNIST (notebooks 03 and 06).

    Default: 10,000 training images, 10 epochs of batches of 64; fast mode: 3,000
    images, 6 epochs
    (the settings of notebook 03, so later notebooks load its cached models).
    Returns ``(model, history)``; ``model.encode`` / ``model.decode`` work on
    (N, 28, 28) images and (N, latent_dim) codes.
    """
    from course_utils.core.data import load_fashion_mnist

    n_train = n_train if n_train is not None else pick(full=10000, fast=3000)
    epochs = epochs if epochs is not None else pick(full=10, fast=6)
    x = load_fashion_mnist("train", limit=n_train, seed=seed).images
    return train_autoencoder(x, latent_dim, name=f"ae-fashion-{latent_dim}d",
                             hidden=hidden, epochs=epochs, batch_size=batch_size,
                             seed=seed)
