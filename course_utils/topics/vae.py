"""The variational autoencoder of notebook ``06_variational_autoencoder``.

The ideas (the negative ELBO as a loss, the reparameterization trick, the
closed-form Gaussian KL of notebook 05) are written out and explained in the
notebook; this module holds the same model and the Fashion-MNIST training recipe
so that the benchmark (``tests/benchmark``) measures exactly what the notebook
trains.

Conventions (the course's loss table): every loss is summed over pixels and
latent dimensions, averaged over the batch, in nats.

Public API::

    model = VAE(x_dim=784, hidden=(400,), latent_dim=20)
    terms = negative_elbo(model, x)          # {"loss", "recon", "kl"}, per image
    model, history = train_fashion_vae(seed=0)
    test_negative_elbo(model, test_images)   # single-sample estimate, nats/image
    iwae_bound(model, x, k=100)              # importance-sampled log p(x) bound
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.core.errors import ShapeError
from course_utils.core.training import History
from course_utils.topics.autoencoder import mlp

__all__ = [
    "VAE", "FASHION_RECIPE", "gaussian_kl", "negative_elbo", "train_fashion_vae",
    "test_negative_elbo", "iwae_bound", "reference_loss_target",
]

# What the classic pytorch/examples recipe (784-400-20 MLP, Adam 1e-3, batch 128,
# 10 epochs) reaches on Fashion-MNIST: test negative ELBO in nats per image.
reference_loss_target = 244.35


class VAE(nn.Module):
    """A VAE with MLP encoder and decoder (taught in notebook 06).

    x_dim: pixels per image (784 for 28x28, 64 for the 8x8 digits).
    hidden: widths of the hidden layers of the encoder; the decoder mirrors them.
    latent_dim: dimension of z.
    activation: the hidden layers' non-linearity (a torch module class).
    input_pca: if set, the encoder reads the image through this many principal
        components (notebook 01) instead of all pixels: a fixed, untrained first
        step ``(x - mean) @ basis`` set from data by :meth:`fit_input_pca` and
        saved with the weights. The decoder still draws every pixel.

    ``encoder`` (parameters lambda) maps x to the mean ``mu`` and the log-variance
    ``log_var`` of q(z|x; lambda) = N(mu, diag(exp(log_var))); ``decoder``
    (parameters theta) maps z to the logits of the pixel means f(z).
    """

    def __init__(self, x_dim: int = 784, hidden: Sequence[int] = (400,),
                 latent_dim: int = 20, activation: type[nn.Module] = nn.ReLU,
                 input_pca: int | None = None):
        super().__init__()
        if x_dim < 1 or latent_dim < 1 or any(h < 1 for h in hidden):
            raise ShapeError(f"VAE: sizes must be positive, got x_dim={x_dim}, "
                             f"hidden={tuple(hidden)}, latent_dim={latent_dim}.")
        if input_pca is not None and not 1 <= input_pca <= x_dim:
            raise ShapeError(f"VAE: input_pca must lie between 1 and x_dim={x_dim}, "
                             f"got {input_pca}.")
        self.x_dim, self.latent_dim = int(x_dim), int(latent_dim)
        self.input_pca = int(input_pca) if input_pca else None
        if self.input_pca:
            # placeholders until fit_input_pca (or load_state_dict) sets them
            self.register_buffer("pca_mean", torch.zeros(x_dim))
            self.register_buffer("pca_basis", torch.eye(x_dim, self.input_pca))
        self.encoder = mlp([self.input_pca or x_dim, *hidden, 2 * latent_dim],
                           activation)
        self.decoder = mlp([latent_dim, *reversed(tuple(hidden)), x_dim], activation)

    @torch.no_grad()
    def fit_input_pca(self, x: torch.Tensor, max_images: int = 20000) -> float:
        """Set the encoder's input projection to the top ``input_pca`` principal
        directions of ``x`` (its first ``max_images`` rows), found by notebook 01's
        :func:`linear.fit_pca`; return the fraction of the pixel variance they keep."""
        from course_utils.topics.pca import fit_pca

        if not self.input_pca:
            raise ShapeError("VAE.fit_input_pca: build the model with input_pca=k.")
        pca = fit_pca(self._flat(x)[:max_images])
        self.pca_mean.copy_(pca.mean)
        self.pca_basis.copy_(pca.components[:, :self.input_pca])
        return float(pca.eigenvalues[:self.input_pca].sum() / pca.eigenvalues.sum())

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(len(x), -1)
        if x.shape[1] != self.x_dim:
            raise ShapeError(f"VAE: expected images with {self.x_dim} pixels, got "
                             f"{x.shape[1]}. Pass (N, H, W) images or (N, H*W) "
                             "vectors of the size the model was built for.")
        return x

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """mu and log_var of q(z|x; lambda), each (N, latent_dim)."""
        x = self._flat(x)
        if self.input_pca:
            x = (x - self.pca_mean) @ self.pca_basis
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        return mu, log_var

    @staticmethod
    def reparameterize(mu: torch.Tensor, log_var: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I): a differentiable sample."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device,
                          dtype=mu.dtype)
        return mu + torch.exp(0.5 * log_var) * eps

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of the pixel means, (N, x_dim)."""
        return self.decoder(z)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel means f(z) in [0, 1], (N, x_dim): what the model draws for z."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """(logits of x_hat, mu, log_var) for one sample z per image."""
        mu, log_var = self.encode(x)
        z = self.reparameterize(mu, log_var, generator)
        return self.decode_logits(z), mu, log_var

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from z ~ N(0, I) (the prior), (n, x_dim)."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.decode(z)


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(sigma^2)) || N(0, I)) per row, summed over dimensions (nats).

    The closed form derived in notebook 05: 1/2 sum(mu^2 + sigma^2 - log sigma^2 - 1).
    """
    return 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1.0).sum(dim=1)


def negative_elbo(model: VAE, x: torch.Tensor, beta: float = 1.0,
                  generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """The single-sample negative ELBO of a Bernoulli-decoder VAE, per image.

    Returns ``{"loss": recon + beta * kl, "recon": ..., "kl": ...}``, each summed
    over pixels (recon) or latent dimensions (kl) and averaged over the batch.
    recon = -log p(x|z) = binary cross-entropy of x against the decoder's means.
    """
    x = model._flat(x)
    logits, mu, log_var = model(x, generator)
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = gaussian_kl(mu, log_var).mean()
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


@torch.no_grad()
def test_negative_elbo(model: VAE, images: torch.Tensor, seed: int = 0,
                       batch_size: int = 2000) -> float:
    """Mean single-sample negative ELBO over ``images`` (nats per image).

    The estimator pytorch/examples reports as its test loss; one z per image,
    drawn from a generator seeded with ``seed`` so the number is reproducible.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    total = 0.0
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device)
        total += float(negative_elbo(model, x, generator=gen)["loss"]) * len(x)
    model.train(was_training)
    return total / len(images)


@torch.no_grad()
def iwae_bound(model: VAE, x: torch.Tensor, k: int,
               generator: torch.Generator | None = None,
               chunk: int | None = None) -> torch.Tensor:
    """Importance-weighted bound on log p(x) with ``k`` samples, per image (nats).

    log (1/k) sum_j p(x, z_j) / q(z_j|x), z_j ~ q(z|x) (Burda, Grosse and
    Salakhutdinov, 2016). k = 1 is the ELBO; the bound rises towards log p(x) as k
    grows. Returns an (N,) tensor. ``chunk`` samples are decoded at a time
    (default: as many as keep each intermediate tensor near 16 MB).
    """
    if k < 1:
        raise ValueError(f"iwae_bound: k must be at least 1, got {k}.")
    x = model._flat(x)
    chunk = chunk or max(1, 4_000_000 // (len(x) * x.shape[1]))
    mu, log_var = model.encode(x)
    std = torch.exp(0.5 * log_var)
    log_w = []
    for start in range(0, k, chunk):
        m = min(chunk, k - start)
        eps = torch.randn((m, *mu.shape), generator=generator, device=mu.device)
        z = mu + std * eps                                   # (m, N, d)
        logits = model.decode_logits(z.reshape(-1, mu.shape[1])).reshape(
            m, len(x), -1)
        log_px_z = -F.binary_cross_entropy_with_logits(
            logits, x.expand(m, -1, -1), reduction="none").sum(-1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + log_var + math.log(2 * math.pi)).sum(-1)
        log_w.append(log_px_z + log_pz - log_qz)
    log_w = torch.cat(log_w)
    return torch.logsumexp(log_w, dim=0) - math.log(k)


# The Fashion-MNIST recipe ------------------------------------------------------

FASHION_RECIPE = dict(hidden=(256, 128), latent_dim=20, input_pca=100, epochs=4,
                      batch_size=256, max_lr=8e-3, adam_betas=(0.9, 0.99),
                      activation="relu")


def _init_output_bias(model: VAE, x: torch.Tensor) -> None:
    """Start the decoder at the mean image: its output bias = logit(mean pixel)."""
    p = x.mean(dim=0).clamp(1e-3, 1 - 1e-3)
    with torch.no_grad():
        model.decoder[-1].bias.copy_(torch.log(p) - torch.log1p(-p))


def train_fashion_vae(seed: int = 0, epochs: int | None = None,
                      n_train: int | None = None, batch_size: int | None = None,
                      max_lr: float | None = None, hidden: Sequence[int] | None = None,
                      latent_dim: int | None = None, input_pca: int | None = None,
                      progress: bool = True, live_plot: bool | None = None,
                      train_images=None, threads: int | None = None,
                      activation: str | None = None):
    """Train the course's Fashion-MNIST VAE; return ``(model, history)``.

    The recipe (defaults in ``FASHION_RECIPE``), explained and measured in
    notebook 06: an encoder that reads the first 100 principal components of the
    image (fixed, computed from the training images), then 256-128 ReLU layers to
    a 20-D latent; the decoder 20-128-256-784 with a Bernoulli output whose bias
    starts at the mean image. Tensors in memory (no DataLoader), batches of 256,
    fused Adam with beta2 = 0.99 and a one-cycle learning-rate schedule peaking
    at 8e-3, 4 epochs.

    seed: seeds the weights and the shuffling.
    epochs, batch_size, max_lr, hidden, latent_dim, input_pca: override the
        recipe (input_pca=0: the encoder reads all pixels).
    activation: "relu" (the recipe), "silu", "elu" or "gelu".
    n_train: train on a random subset of this size (fast mode).
    train_images: (N, 28, 28) or (N, 784) tensor to train on instead of loading
        the Fashion-MNIST training split.
    threads: torch threads to use during training (default: leave as set).
    history.seconds is the wall time of the training, the principal components
    included.
    """
    from course_utils.core.data import load_fashion_mnist
    from course_utils.core.training import adam, fit

    r = dict(FASHION_RECIPE)
    for key, value in dict(epochs=epochs, batch_size=batch_size, max_lr=max_lr,
                           hidden=hidden, latent_dim=latent_dim,
                           input_pca=input_pca).items():
        if value is not None:
            r[key] = value
    if train_images is None:
        train_images = load_fashion_mnist("train", limit=n_train, seed=seed).images
    elif n_train is not None:
        train_images = train_images[:n_train]
    x = train_images.reshape(len(train_images), -1).float().contiguous()
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        start = time.perf_counter()
        torch.manual_seed(seed)
        act = {"relu": nn.ReLU, "silu": nn.SiLU, "elu": nn.ELU, "gelu": nn.GELU}[
            activation or r.get("activation", "relu")]
        model = VAE(x.shape[1], r["hidden"], r["latent_dim"], act,
                    input_pca=r["input_pca"] or None)
        if model.input_pca:
            model.fit_input_pca(x)
        _init_output_bias(model, x)
        steps = r["epochs"] * math.ceil(len(x) / r["batch_size"])
        optimizer = adam(model.parameters(), lr=r["max_lr"], betas=r["adam_betas"])
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=r["max_lr"], total_steps=steps, pct_start=0.25)
        history = fit(model, negative_elbo, x, epochs=r["epochs"],
                      batch_size=r["batch_size"], optimizer=optimizer,
                      scheduler=scheduler, seed=seed, progress=progress,
                      live_plot=live_plot)
        history.seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(old_threads)
    return model, history


def fashion_vae(seed: int = 0, **progress) -> tuple[VAE, History]:
    """The Fashion-MNIST VAE of notebook 06 (20-D latent, :data:`FASHION_RECIPE`),
    trained once and cached; notebook 07 scores the same model.

    Fast mode trains on 12,000 images with batches of 128. ``progress``
    is passed on to :func:`train_fashion_vae` (``progress``, ``live_plot``).
    Returns ``(model, history)``, the model in eval mode.
    """
    from course_utils.core.cache import cached_training
    from course_utils.core.config import pick

    recipe = dict(seed=seed, n_train=pick(full=None, fast=12000),
                  batch_size=pick(full=None, fast=128))
    model = VAE(hidden=FASHION_RECIPE["hidden"],
                latent_dim=FASHION_RECIPE["latent_dim"],
                input_pca=FASHION_RECIPE["input_pca"])

    def train(target: VAE) -> History:
        trained, history = train_fashion_vae(**recipe, **progress)
        target.load_state_dict(trained.state_dict())
        return history

    # the key holds the whole recipe, so a changed recipe trains again
    history = cached_training("vae-fashion-20d", model, train,
                              {**FASHION_RECIPE, **recipe})
    return model.eval(), history
