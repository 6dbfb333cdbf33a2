"""Train the course's models on the CPU and on a GPU with the same seed, and
compare: ``python -m course_utils.tools.gpu_check``.

Both devices start from the same initial weights (drawn on the CPU under
:func:`config.seeded`) and see the same batches (:func:`training.fit` shuffles
with a CPU generator), so their results may differ only by floating-point
rounding. The table gives each path's final number on each device, their
relative difference and the seconds each took. Paths:

- ``autoencoder``: :func:`training.fit` on a small MLP autoencoder of the 8x8
  digits (final training loss, binary cross-entropy summed over pixels);
- ``quality``: the sample-quality classifier of the digits
  (:meth:`quality.SampleQuality.train`; accuracy on the test digits);
- ``vae``: notebook 06's recipe (:func:`vae.train_fashion_vae`) on the digits,
  shrunk (final negative ELBO);
- ``gan``: notebook 07's alternating loop (:func:`gan.train_gan`) on the ring of
  Gaussians (mean discriminator loss of the last 20 steps).

Without a GPU it says ``no GPU: compared nothing`` and exits with 0;
``--cpu-only`` runs the CPU column anyway (the unit test does, with ``--size``).
Trained-model caching is off while it runs, so every device really trains.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from course_utils.core.config import as_device, seeded
from course_utils.core.data import load_digits
from course_utils.core.synthetic import ring_centers, sample_ring
from course_utils.core.training import fit
from course_utils.topics import gan, vae
from course_utils.topics.autoencoder import mlp
from course_utils.topics.quality import SampleQuality

NO_GPU = "no GPU: compared nothing"


@dataclass
class Row:
    """One training path: its metric's value and seconds on each device."""

    path: str
    metric: str
    values: dict[str, float]
    seconds: dict[str, float]


@contextmanager
def _cache_off() -> Iterator[None]:
    saved = os.environ.get("COURSE_NO_CACHE")
    os.environ["COURSE_NO_CACHE"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COURSE_NO_CACHE", None)
        else:
            os.environ["COURSE_NO_CACHE"] = saved


def _autoencoder(device: torch.device, size: int, epochs: int, seed: int) -> float:
    x = load_digits("train").flat[:size]
    with seeded(seed):
        model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 2),
                              nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 64))

    def loss_fn(m: nn.Module, batch: torch.Tensor) -> torch.Tensor:
        logits = m(batch)
        bce = nn.functional.binary_cross_entropy_with_logits(logits, batch,
                                                             reduction="sum")
        return bce / len(batch)

    history = fit(model, loss_fn, x, epochs=epochs, batch_size=64, lr=3e-3,
                  seed=seed, device=device, progress=False)
    return history.last("loss")


def _quality(device: torch.device, size: int, epochs: int, seed: int) -> float:
    train = load_digits("train").subset(size, seed=seed)
    ruler = SampleQuality.train(train, load_digits("test"), "gpu-check-digits",
                                hidden=(128, 32), epochs=epochs, seed=seed,
                                lr=2e-3, batch_size=64, device=device)
    return float(ruler.accuracy)


def _vae(device: torch.device, size: int, epochs: int, seed: int) -> float:
    images = load_digits("train").images[:size]
    _, history = vae.train_fashion_vae(
        images, seed, device=device, progress=False, epochs=max(1, epochs // 3),
        batch_size=64, hidden=(64,), latent_dim=4, input_pca=16, max_lr=3e-3)
    return history.last("loss")


def _gan(device: torch.device, size: int, epochs: int, seed: int) -> float:
    centers = ring_centers(8, 2.0)
    with seeded(seed):
        generator = mlp([2, 32, 32, 2])
        discriminator = mlp([2, 32, 32, 1])
    history = gan.train_gan(
        generator, discriminator, lambda n, g: sample_ring(n, g, centers, 0.05),
        gan.discriminator_loss, gan.generator_loss_nonsaturating, latent_dim=2,
        steps=10 * epochs, batch_size=64, seed=seed, device=device)
    return sum(history.d_loss[-20:]) / len(history.d_loss[-20:])


PATHS: dict[str, tuple[str, Callable[..., float]]] = {
    "autoencoder": ("final training loss", _autoencoder),
    "quality": ("test accuracy", _quality),
    "vae": ("final training loss", _vae),
    "gan": ("discriminator loss", _gan),
}


def compare(devices: Sequence[str], size: int = 1347, epochs: int = 30,
            seed: int = 0) -> list[Row]:
    """Run every path of :data:`PATHS` on each of ``devices``; one row a path."""
    chosen = [as_device(d, where="gpu_check") for d in devices]
    for device in chosen:  # start each device once before timing it
        torch.ones(1, device=device).sum().item()
    rows = []
    with _cache_off():
        for path, (metric, run) in PATHS.items():
            row = Row(path, metric, {}, {})
            for name, device in zip(devices, chosen, strict=True):
                start = time.perf_counter()
                row.values[name] = run(device, size, epochs, seed)
                row.seconds[name] = time.perf_counter() - start
            rows.append(row)
    return rows


def format_table(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table (relative difference to the first
    device when there are two)."""
    devices = list(rows[0].values) if rows else []
    head = ["path", "metric"] + devices
    if len(devices) > 1:
        head.append("rel. diff")
    head += [f"{d} s" for d in devices]
    lines = [head]
    for row in rows:
        cells = [row.path, row.metric] + [f"{row.values[d]:.5f}" for d in devices]
        if len(devices) > 1:
            a, b = row.values[devices[0]], row.values[devices[1]]
            cells.append(f"{abs(a - b) / max(abs(a), 1e-12):.2e}")
        cells += [f"{row.seconds[d]:.2f}" for d in devices]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True))
                     .rstrip() for line in lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: compare the CPU with ``cuda`` when present."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.gpu_check",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1347,
                        help="training digits per path (default: all 1347)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cpu-only", action="store_true",
                        help="run the CPU column even without a GPU")
    args = parser.parse_args(argv)
    if args.size < 2 or args.epochs < 1:
        parser.error("--size must be at least 2 and --epochs at least 1")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if len(devices) == 1:
        print(NO_GPU)
        if not args.cpu_only:
            return 0
    print(format_table(compare(devices, args.size, args.epochs, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
