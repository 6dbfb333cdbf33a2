"""The deep autoencoder of section 7.1.2: the MLP, the model, its loss
(squared error summed over the features, averaged over the batch), its
training recipe through the model cache, and the Fashion-MNIST
autoencoders that notebooks 06 and 07 reuse.

Generated from notebooks/03_deep_autoencoders.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import math
from collections.abc import Sequence

import torch
from torch import nn

from course_utils.core.cache import cached_training, data_checksum
from course_utils.core.config import pick, seeded
from course_utils.core.errors import ShapeError
from course_utils.core.training import adam, fit


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given ``sizes``, ``activation`` between them."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class DeepAutoencoder(nn.Module):
    """x -> encoder -> z -> decoder -> x_hat (section 7.1.2).

    input_shape: one example's shape, (28, 28) for images or 18 for features.
    latent_dim: size of the bottleneck z.
    hidden: widths of the encoder's hidden layers; the decoder mirrors them.
    output: "sigmoid" for data in [0, 1] (images), "linear" otherwise.
    """

    def __init__(self, input_shape: int | Sequence[int] = (28, 28),
                 latent_dim: int = 2, hidden: Sequence[int] = (256, 64),
                 output: str = "sigmoid", activation: type[nn.Module] = nn.ReLU):
        super().__init__()
        shape = ((int(input_shape),) if isinstance(input_shape, int)
                 else tuple(int(s) for s in input_shape))
        if latent_dim < 1 or any(h < 1 for h in hidden) or not shape:
            raise ShapeError("DeepAutoencoder: latent_dim and hidden widths must be "
                             f"positive, got latent_dim={latent_dim}, hidden={hidden}.")
        if output not in ("sigmoid", "linear"):
            raise ShapeError("DeepAutoencoder: output must be 'sigmoid' or 'linear', "
                             f"got {output!r}.")
        self.input_shape, self.latent_dim = shape, int(latent_dim)
        n = math.prod(shape)
        self.encoder = nn.Sequential(nn.Flatten(),
                                     mlp([n, *hidden, latent_dim], activation))
        self.decoder = nn.Sequential(
            mlp([latent_dim, *reversed(hidden), n], activation),
            nn.Sigmoid() if output == "sigmoid" else nn.Identity(),
            nn.Unflatten(1, shape))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code z = e(x), shape (N, latent_dim)."""
        if not isinstance(x, torch.Tensor) or x[0].numel() != math.prod(
                self.input_shape):
            raise ShapeError(
                f"DeepAutoencoder: x should be a tensor of shape (N, "
                f"{', '.join(map(str, self.input_shape))}), got "
                f"{tuple(getattr(x, 'shape', ())) or type(x).__name__}.")
        return self.encoder(x.reshape(len(x), *self.input_shape))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The reconstruction x_hat = d(z), shape (N, *input_shape)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ShapeError(f"DeepAutoencoder.decode: z should have shape (N, "
                             f"{self.latent_dim}), got {tuple(z.shape)}.")
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def reconstruction_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Squared error summed over each example's features, mean over the batch."""
    x_hat = model(x)
    return (x_hat - x.reshape(x_hat.shape)).pow(2).flatten(1).sum(dim=1).mean()


@torch.no_grad()
def encode_all(model: DeepAutoencoder, x: torch.Tensor,
               batch_size: int = 4096) -> torch.Tensor:
    """The codes of all of x, (N, latent_dim), in batches."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model.encode(x[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(x), batch_size)])


def train_autoencoder(x: torch.Tensor, latent_dim: int, *, name: str,
                      hidden: Sequence[int] = (256, 64), output: str = "sigmoid",
                      epochs: int = 20, batch_size: int = 128, lr: float = 2e-3,
                      seed: int = 0, val_x: torch.Tensor | None = None,
                      weight_decay: float = 0.0, cache: bool = True,
                      device: torch.device | str | None = None,
                      progress: bool = True):
    """Build a DeepAutoencoder for x (N, ...) and train it on reconstruction_loss.

    name: the cache file's prefix. seed: initial weights and batch order.
    val_x: validation data, recorded after every epoch. cache: False skips it.
    device: where to train (default: the CPU); the model comes back on the CPU.
    progress: a progress bar over the epochs (shown once training passes 2 s).
    Returns (model, history).
    """
    if not isinstance(x, torch.Tensor) or x.ndim < 2:
        raise ShapeError("train_autoencoder: x should be a tensor (N, ...), got "
                         f"{getattr(x, 'shape', type(x).__name__)}.")
    with seeded(seed):
        model = DeepAutoencoder(tuple(x.shape[1:]), latent_dim, hidden, output)
    steps = epochs * math.ceil(len(x) / batch_size)

    def train(model):
        optimizer = adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer,
                                                              T_max=max(1, steps))
        return fit(model, reconstruction_loss, x, epochs=epochs,
                   batch_size=batch_size, optimizer=optimizer, scheduler=schedule,
                   seed=seed, val_data=val_x, progress=progress, device=device)

    settings = {"n": len(x), "checksum": data_checksum(x),
                "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
                "weight_decay": weight_decay,
                "val": None if val_x is None else len(val_x)}
    with torch.random.fork_rng():  # training draws nothing from the notebook's state
        history = (cached_training(name, model, train, settings, verbose=False)
                   if cache else train(model))
    return model.cpu().eval(), history


FASHION_AE_IMAGES = {"full": 10000, "fast": 3000}  # pick(**FASHION_AE_IMAGES)


def fashion_autoencoder(x_train: torch.Tensor, latent_dim: int = 2, seed: int = 0,
                        epochs: int | None = None, device=None):
    """The deep autoencoder of Fashion-MNIST images x_train (N, 28, 28), hidden
    layers 256 and 64, batches of 64, 10 epochs (6 in fast mode); cached, so
    notebooks 06 and 07 load what this notebook trained. Returns (model, history).
    """
    epochs = epochs if epochs is not None else pick(full=10, fast=6)
    return train_autoencoder(x_train, latent_dim, name=f"ae-fashion-{latent_dim}d",
                             hidden=(256, 64), epochs=epochs, batch_size=64,
                             seed=seed, device=device)


def random_latents(z, n, kind, generator):
    """n random codes: uniform in the box around the codes `z` (N, m), or drawn
    from a Gaussian with their mean and covariance (``kind="gaussian"``)."""
    if kind == "box":
        lo, hi = z.min(dim=0).values, z.max(dim=0).values
        return lo + (hi - lo) * torch.rand(n, z.shape[1], generator=generator)
    mean, cov = z.mean(dim=0), torch.cov(z.T).reshape(z.shape[1], z.shape[1])
    chol = torch.linalg.cholesky(cov + 1e-6 * torch.eye(z.shape[1]))
    return mean + torch.randn(n, z.shape[1], generator=generator) @ chol.T
