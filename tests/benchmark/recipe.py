"""The classic VAE recipe, re-expressed as the yardstick for the course's VAE.

The reference is the VAE example of pytorch/examples (``vae/main.py``, after
Kingma and Welling, 2014), trained here on Fashion-MNIST instead of MNIST:

* encoder 784 -> 400 (ReLU) -> two heads of 20 (mean and log-variance);
* decoder 20 -> 400 (ReLU) -> 784 (sigmoid): a Bernoulli decoder;
* loss per batch: binary cross-entropy summed over pixels plus the closed-form
  KL to N(0, I), summed over the batch (the example divides by the data-set size
  only when it reports), one reparameterised sample of z per image;
* Adam, learning rate 1e-3, batch 128, 10 epochs, a ``DataLoader`` with
  ``shuffle=True`` (train) and ``shuffle=False`` (test);
* test loss: the mean over the 10,000 test images of the same single-sample
  negative ELBO, in nats per image.

Left out: the example's per-epoch test pass and its image files (reconstructions
and samples written with torchvision); the timed part is the training loop alone,
as the course VAE's ``history.seconds`` is.

The benchmark runs it on the same machine, in the same run and with the same
thread count as the course, so the course VAE's time is compared with a time
measured under the same conditions. Nothing here is imported by the course.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812  (the usual alias)

INPUT_DIM = 784
HIDDEN_DIM = 400
LATENT_DIM = 20


@dataclass(frozen=True)
class RecipeSettings:
    """The recipe's settings (defaults: those of pytorch/examples)."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 1  # the example's default ``--seed``
    train_limit: int | None = None  # None: all 60,000 training images
    test_limit: int | None = None  # None: all 10,000 test images


@dataclass
class RecipeResult:
    """What one run of the recipe measured."""

    settings: dict
    threads: int
    train_images: int
    test_images: int
    test_loss: float  # mean single-sample negative ELBO per test image (nats)
    train_seconds: float  # the training loop alone (no data loading, no tests)
    epoch_seconds: list[float] = field(default_factory=list)
    epoch_train_loss: list[float] = field(default_factory=list)
    epoch_test_loss: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class ClassicVAE(nn.Module):
    """784-400-20 MLP encoder and 20-400-784 decoder with a sigmoid output."""

    def __init__(self):
        super().__init__()
        self.hidden_enc = nn.Linear(INPUT_DIM, HIDDEN_DIM)
        self.to_mu = nn.Linear(HIDDEN_DIM, LATENT_DIM)
        self.to_log_var = nn.Linear(HIDDEN_DIM, LATENT_DIM)
        self.hidden_dec = nn.Linear(LATENT_DIM, HIDDEN_DIM)
        self.to_pixels = nn.Linear(HIDDEN_DIM, INPUT_DIM)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.hidden_enc(x))
        return self.to_mu(h), self.to_log_var(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.to_pixels(F.relu(self.hidden_dec(z))))

    def forward(self, x: torch.Tensor):
        mu, log_var = self.encode(x.view(-1, INPUT_DIM))
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)
        return self.decode(z), mu, log_var


def negative_elbo_sum(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor,
                      log_var: torch.Tensor) -> torch.Tensor:
    """BCE summed over pixels plus KL(N(mu, sigma^2) || N(0, I)), summed over the
    batch: the example's ``loss_function``."""
    bce = F.binary_cross_entropy(x_hat, x.view(-1, INPUT_DIM), reduction="sum")
    kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
    return bce + kl


@torch.no_grad()
def mean_negative_elbo(model: ClassicVAE, loader) -> float:
    """Mean single-sample negative ELBO per image over ``loader`` (the example's
    ``test``: eval mode, but z is still sampled)."""
    model.eval()
    total, n = 0.0, 0
    for (x,) in loader:
        x_hat, mu, log_var = model(x)
        total += float(negative_elbo_sum(x_hat, x, mu, log_var))
        n += len(x)
    return total / n


def _loaders(settings: RecipeSettings, train: torch.Tensor | None = None,
             test: torch.Tensor | None = None):
    """Data loaders over Fashion-MNIST (or over the given (N, 784) tensors)."""
    from torch.utils.data import DataLoader, TensorDataset

    from course_utils.core.data import load_fashion_mnist

    if train is None:
        train = load_fashion_mnist("train", limit=settings.train_limit, seed=0).flat
    if test is None:
        test = load_fashion_mnist("test", limit=settings.test_limit, seed=0).flat
    gen = torch.Generator().manual_seed(settings.seed)
    train_loader = DataLoader(TensorDataset(train.reshape(len(train), -1)),
                              batch_size=settings.batch_size, shuffle=True,
                              generator=gen)
    test_loader = DataLoader(TensorDataset(test.reshape(len(test), -1)),
                             batch_size=settings.batch_size, shuffle=False)
    return train_loader, test_loader


def run_recipe(settings: RecipeSettings | None = None, threads: int | None = None,
               test_every_epoch: bool = False, log=None,
               train_images: torch.Tensor | None = None,
               test_images: torch.Tensor | None = None) -> RecipeResult:
    """Train the classic recipe and return its test loss and training time.

    threads: torch's CPU threads during the run (restored afterwards); None keeps
        the current setting.
    test_every_epoch: also measure the test loss after each epoch (outside the
        timed training loop), for a loss-versus-time curve.
    log: a callable taking one line of progress text (e.g. ``print``), or None.
    train_images, test_images: images in [0, 1] to use instead of Fashion-MNIST
        (the unit tests pass small random ones).
    """
    settings = settings or RecipeSettings()
    if settings.epochs < 1 or settings.batch_size < 1 or settings.lr <= 0:
        raise ValueError(f"the recipe needs epochs >= 1, batch_size >= 1 and lr > 0; "
                         f"got {settings}")
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(max(1, int(threads)))
    try:
        torch.manual_seed(settings.seed)
        train_loader, test_loader = _loaders(settings, train_images, test_images)
        model = ClassicVAE()
        optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
        epoch_seconds, epoch_train, epoch_test = [], [], []
        for epoch in range(1, settings.epochs + 1):
            start = time.perf_counter()
            model.train()
            total = 0.0
            for (x,) in train_loader:
                optimizer.zero_grad()
                loss = negative_elbo_sum(*_swap(model(x), x))
                loss.backward()
                total += loss.item()
                optimizer.step()
            epoch_seconds.append(time.perf_counter() - start)
            epoch_train.append(total / len(train_loader.dataset))
            if test_every_epoch or epoch == settings.epochs:
                epoch_test.append(mean_negative_elbo(model, test_loader))
            if log is not None:
                shown = f", test {epoch_test[-1]:.2f}" if test_every_epoch else ""
                log(f"recipe epoch {epoch}/{settings.epochs}: train "
                    f"{epoch_train[-1]:.2f}{shown} nats/image, "
                    f"{epoch_seconds[-1]:.1f} s")
        return RecipeResult(
            settings=asdict(settings), threads=torch.get_num_threads(),
            train_images=len(train_loader.dataset),
            test_images=len(test_loader.dataset), test_loss=epoch_test[-1],
            train_seconds=sum(epoch_seconds), epoch_seconds=epoch_seconds,
            epoch_train_loss=epoch_train,
            epoch_test_loss=epoch_test if test_every_epoch else [])
    finally:
        torch.set_num_threads(old_threads)


def _swap(out, x):
    """(x_hat, mu, log_var), x -> the argument order of negative_elbo_sum."""
    x_hat, mu, log_var = out
    return x_hat, x, mu, log_var


if __name__ == "__main__":  # python -m tests.benchmark.recipe: the recipe alone
    import json
    import sys

    result = run_recipe(test_every_epoch="--curve" in sys.argv, log=print)
    print(json.dumps(result.to_dict(), indent=1))
