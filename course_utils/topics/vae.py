"""The variational autoencoder of section 7.1.3: the model, the
reparameterization trick, the negative ELBO, the importance-weighted
bound on log p(x), and the Fashion-MNIST training recipe that notebook
07 and the benchmark reuse.

Generated from notebooks/06_variational_autoencoder.ipynb (its cells marked
``#| export``) by ``python -m course_utils.tools.export``: edit the
notebook, not this file, then run that command.
"""

import functools
import math
import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.core.cache import cached_training, data_checksum
from course_utils.core.config import pick, seeded
from course_utils.core.errors import ShapeError
from course_utils.core.training import History, adam, fit
from course_utils.topics.autoencoder import mlp
from course_utils.topics.gaussian_kl import kl_standard_normal
from course_utils.topics.likelihood import log_likelihood
from course_utils.topics.pca import fit_pca


def reparameterize(mu: torch.Tensor, log_var: torch.Tensor,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """A sample of N(mu, diag sigma^2) written as z = mu + sigma * eps, with
    eps ~ N(0, I) (section 2 explains why)."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device,
                      dtype=mu.dtype)
    return mu + torch.exp(0.5 * log_var) * eps


class VAE(nn.Module):
    """A VAE with MLP encoder and decoder and a Bernoulli decoder distribution.

    x_dim: pixels per image (784 for 28x28, 64 for the 8x8 digits).
    hidden: the encoder's hidden widths; the decoder mirrors them.
    latent_dim: dimension of z.
    input_pca: if set, the encoder reads the image through this many principal
        components (notebook 01): a fixed first step (x - mean) @ basis, set from
        data by fit_input_pca and saved with the weights (section 3).
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
        if self.input_pca:  # placeholders until fit_input_pca or a loaded state
            self.register_buffer("pca_mean", torch.zeros(x_dim))
            self.register_buffer("pca_basis", torch.eye(x_dim, self.input_pca))
        # the encoder (lambda) outputs mu and log_var side by side
        self.encoder = mlp([self.input_pca or x_dim, *hidden, 2 * latent_dim],
                           activation)
        # the decoder (theta) outputs the logits of the pixel means f(z)
        self.decoder = mlp([latent_dim, *reversed(tuple(hidden)), x_dim], activation)

    def flat(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, H, W) or vectors (N, H*W) as (N, x_dim)."""
        x = x.reshape(len(x), -1)
        if x.shape[1] != self.x_dim:
            raise ShapeError(f"VAE: expected images with {self.x_dim} pixels, got "
                             f"{x.shape[1]}. Pass (N, H, W) images or (N, H*W) "
                             "vectors of the size the model was built for.")
        return x

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """mu and log_var of q(z|x; lambda), each (N, latent_dim)."""
        x = self.flat(x)
        if self.input_pca:
            x = (x - self.pca_mean) @ self.pca_basis
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        return mu, log_var

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
        z = reparameterize(mu, log_var, generator)
        return self.decode_logits(z), mu, log_var

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from z ~ N(0, I), the prior, (n, x_dim)."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.decode(z)

    @torch.no_grad()
    def fit_input_pca(self, x: torch.Tensor, max_images: int = 20000) -> float:
        """Set the input projection to the top input_pca principal directions of x
        (its first max_images rows), by notebook 01's fit_pca; return the fraction
        of the pixel variance they keep."""
        if not self.input_pca:
            raise ShapeError("VAE.fit_input_pca: build the model with input_pca=k.")
        pca = fit_pca(self.flat(x)[:max_images])
        self.pca_mean.copy_(pca.mean)
        self.pca_basis.copy_(pca.components[:, :self.input_pca])
        return float(pca.eigenvalues[:self.input_pca].sum() / pca.eigenvalues.sum())


def negative_elbo(model: VAE, x: torch.Tensor, beta: float = 1.0,
                  generator: torch.Generator | None = None,
                  likelihood: str = "bernoulli") -> dict[str, torch.Tensor]:
    """Single-sample negative ELBO (nats per image): recon + beta * KL.

    likelihood: the decoder's p(x|z). "bernoulli": the cross-entropy of x against
    the pixel means (a log-likelihood only for 0/1 pixels; section 5);
    "binarised": x is first drawn as 0/1 pixels with the grey levels as
    probabilities, then scored by the Bernoulli; "continuous_bernoulli": a
    density on grey levels in [0, 1] (section 5).
    """
    x = model.flat(x)
    if likelihood == "binarised":  # a fresh 0/1 image each time x is seen
        x, likelihood = torch.bernoulli(x, generator=generator), "bernoulli"
    mu, log_var = model.encode(x)                     # encoder, parameters lambda
    z = reparameterize(mu, log_var, generator)
    logits = model.decode_logits(z)                   # decoder, parameters theta
    if likelihood == "bernoulli":
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    else:
        recon = -log_likelihood(logits, x, likelihood).mean()
    kl = kl_standard_normal(mu, torch.exp(0.5 * log_var)).sum(dim=1).mean()
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


# what the classic pytorch/examples recipe reaches: test negative ELBO, nats/image
reference_loss_target = 244.35
FASHION_RECIPE = dict(hidden=(256, 128), latent_dim=20, input_pca=100, epochs=4,
                      batch_size=256, max_lr=8e-3, adam_betas=(0.9, 0.99),
                      likelihood="bernoulli")
VAE_IMAGES = {"full": None, "fast": 12000}  # pick(**VAE_IMAGES): the training set


def init_output_bias(model: VAE, x: torch.Tensor) -> None:
    """Start the decoder at the mean image: its output bias = logit(mean pixel)."""
    p = x.mean(dim=0).clamp(1e-3, 1 - 1e-3)
    with torch.no_grad():
        model.decoder[-1].bias.copy_(torch.log(p) - torch.log1p(-p))


def train_fashion_vae(train_images: torch.Tensor, seed: int = 0, *,
                      device: torch.device | str | None = None, progress: bool = True,
                      callbacks: Sequence = (), **overrides) -> tuple[VAE, History]:
    """Train a VAE on Fashion-MNIST images (N, 28, 28) by FASHION_RECIPE.

    seed: the initial weights, the batch order and the samples z.
    overrides: change entries of the recipe (epochs=2, latent_dim=2, ...).
    Returns (model, history); history.seconds includes the principal components.
    """
    r = {**FASHION_RECIPE, **overrides}
    x = train_images.reshape(len(train_images), -1).float().contiguous()
    start = time.perf_counter()
    with seeded(seed):  # every draw of the training, the caller's state untouched
        model = VAE(x.shape[1], r["hidden"], r["latent_dim"],
                    input_pca=r["input_pca"] or None)
        if model.input_pca:
            model.fit_input_pca(x)
        init_output_bias(model, x)
        model.to(device or "cpu")
        steps = r["epochs"] * math.ceil(len(x) / r["batch_size"])
        optimizer = adam(model.parameters(), lr=r["max_lr"], betas=r["adam_betas"])
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=r["max_lr"], total_steps=steps, pct_start=0.25)
        loss = functools.partial(negative_elbo, likelihood=r["likelihood"])
        history = fit(model, loss, x, epochs=r["epochs"],
                      batch_size=r["batch_size"], optimizer=optimizer,
                      scheduler=schedule, seed=seed, progress=progress,
                      callbacks=callbacks)
    history.seconds = time.perf_counter() - start
    return model, history


def fashion_vae(train_images: torch.Tensor, seed: int = 0, *,
                name: str = "vae-fashion-20d", device=None, progress: bool = True,
                callbacks: Sequence = (), **overrides) -> tuple[VAE, History]:
    """train_fashion_vae through the model cache; in fast mode, batches of 128.
    Notebook 07 and the benchmark load the same model. The model comes back on
    the CPU, in eval mode."""
    recipe = {**FASHION_RECIPE, "batch_size": pick(full=256, fast=128), **overrides}
    model = VAE(hidden=recipe["hidden"], latent_dim=recipe["latent_dim"],
                input_pca=recipe["input_pca"] or None)

    def train(target: VAE) -> History:
        trained, history = train_fashion_vae(
            train_images, seed, device=device, progress=progress,
            callbacks=callbacks, **recipe)
        target.load_state_dict(trained.state_dict())
        return history

    settings = {**recipe, "seed": seed, "n": len(train_images),
                "checksum": data_checksum(train_images)}
    history = cached_training(name, model, train, settings)
    return model.cpu().eval(), history


@torch.no_grad()
def test_negative_elbo(model: VAE, images: torch.Tensor, seed: int = 0,
                       batch_size: int = 2000, likelihood: str = "bernoulli") -> float:
    """Mean single-sample negative ELBO over images (nats per image); with the
    "bernoulli" cross-entropy on grey levels, the test loss pytorch/examples
    reports. z drawn from a generator seeded with seed."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    total = 0.0
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device)
        terms = negative_elbo(model, x, generator=generator, likelihood=likelihood)
        total += float(terms["loss"]) * len(x)
    model.train(was_training)
    return total / len(images)
