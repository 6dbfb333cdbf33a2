"""Seeding, device, figure style and fast mode: the one ``setup()`` call that opens
every notebook (taught in ``00_start_here``).

Nothing here runs on import; a notebook calls :func:`setup` once.

Environment variables (all optional):

``COURSE_SEED``
    overrides the notebook's seed, so every claim can be tried under other seeds.
``COURSE_FAST=1``
    fast mode: fewer epochs and smaller data, every assertion still runs (tests).
``COURSE_PRESENT=1``
    presenting style: large fonts and figures for a lecture hall.
``COURSE_DEVICE``
    force a device (``cpu``, ``cuda``); by default a GPU is used when present.
``COURSE_THREADS``
    number of CPU threads torch may use (the test suite sets it).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

DEFAULT_SEED = 0


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def is_fast() -> bool:
    """True in fast mode (``COURSE_FAST=1``): small data, few epochs, same checks."""
    return _env_flag("COURSE_FAST")


def pick(full: T, fast: T) -> T:
    """Return ``fast`` in fast mode and ``full`` otherwise.

    Example: ``epochs = pick(full=20, fast=2)``.
    """
    return fast if is_fast() else full


def resolve_seed(seed: int | None = None) -> int:
    """The seed to use: ``COURSE_SEED`` if set, else ``seed``, else 0."""
    env = os.environ.get("COURSE_SEED", "").strip()
    if env:
        try:
            return int(env)
        except ValueError:
            raise ValueError(
                f"COURSE_SEED must be a whole number, got {env!r}. "
                "Unset it or write e.g. COURSE_SEED=3."
            ) from None
    return DEFAULT_SEED if seed is None else int(seed)


def set_seed(seed: int | None = None) -> int:
    """Seed Python's ``random``, NumPy and torch (CPU and GPU); return the seed used.

    ``COURSE_SEED`` in the environment overrides the argument.
    """
    seed = resolve_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's global generator seeded with ``seed``, then put the
    caller's random state back: building a model's initial weights from a seed
    does not change what the notebook draws next.

    Example: ``with seeded(3): model = nn.Linear(4, 2)``.
    """
    with torch.random.fork_rng():
        torch.manual_seed(int(seed))
        yield


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` seeded with ``seed``: pass one to every random draw that
    must not depend on what ran before it (shuffling, sampling)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def get_device() -> torch.device:
    """A GPU when one is present (``cuda``), else the CPU. Never required.

    ``COURSE_DEVICE`` forces a choice. Apple's ``mps`` is not chosen
    automatically: the course's small models run faster on the laptop CPU.
    """
    forced = os.environ.get("COURSE_DEVICE", "").strip()
    if forced:
        if forced.startswith("cuda") and not torch.cuda.is_available():
            return torch.device("cpu")
        return torch.device(forced)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_threads() -> int:
    """Apply ``COURSE_THREADS`` to torch if set; return torch's thread count."""
    env = os.environ.get("COURSE_THREADS", "").strip()
    if env:
        torch.set_num_threads(max(1, int(env)))
    return torch.get_num_threads()


# Figure style ----------------------------------------------------------------

_BASE_STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "figure.figsize": (7.0, 4.2),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "image.cmap": "gray_r",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "lines.linewidth": 2.0,
    "axes.prop_cycle": None,  # filled in by use_style
}

# Colour-blind-safe cycle (Okabe and Ito, 2008).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
             "#F0E442", "#000000"]


def use_style(presenting: bool | None = None) -> str:
    """Set the course's matplotlib style; ``presenting`` enlarges everything.

    ``presenting=None`` reads ``COURSE_PRESENT``. Returns the style's name.
    """
    import matplotlib as mpl
    from cycler import cycler

    if presenting is None:
        presenting = _env_flag("COURSE_PRESENT")
    style = dict(_BASE_STYLE)
    style["axes.prop_cycle"] = cycler(color=OKABE_ITO)
    if presenting:
        style.update({
            "figure.figsize": (11.0, 6.5),
            "font.size": 17,
            "axes.titlesize": 19,
            "axes.labelsize": 17,
            "xtick.labelsize": 15,
            "ytick.labelsize": 15,
            "legend.fontsize": 15,
            "lines.linewidth": 3.0,
            "lines.markersize": 9,
        })
    mpl.rcParams.update(style)
    return "presenting" if presenting else "notebook"


@dataclass(frozen=True)
class CourseConfig:
    """What :func:`setup` chose. ``pick`` is here too for convenience."""

    seed: int
    device: torch.device
    fast: bool
    style: str
    threads: int

    @staticmethod
    def pick(full: T, fast: T) -> T:
        return pick(full, fast)

    def generator(self, offset: int = 0) -> torch.Generator:
        """A CPU generator seeded with ``seed + offset``."""
        return make_generator(self.seed + offset)

    def __str__(self) -> str:
        return (f"seed {self.seed} | device {self.device.type} | "
                f"fast mode {'on' if self.fast else 'off'} | style {self.style} | "
                f"torch threads {self.threads}")


def setup(seed: int | None = None, presenting: bool | None = None,
          quiet: bool = False) -> CourseConfig:
    """Seed everything, pick the device and the figure style; report fast mode.

    The one call at the top of every notebook. ``COURSE_SEED`` overrides ``seed``.
    """
    cfg = CourseConfig(
        seed=set_seed(seed),
        device=get_device(),
        fast=is_fast(),
        style=use_style(presenting),
        threads=set_threads(),
    )
    if not quiet:
        print(cfg)
    return cfg


def repo_root() -> Path | None:
    """The course checkout this package lives in, or None when installed elsewhere."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "notebooks").is_dir() else None


def data_dir() -> Path:
    """Where the course caches data sets and trained models.

    ``COURSE_DATA_DIR`` if set; else ``data/`` of the checkout; else
    ``~/.cache/dgm-course`` (for example on Colab when installed from a URL).
    """
    env = os.environ.get("COURSE_DATA_DIR", "").strip()
    if env:
        path = Path(env).expanduser()
    elif repo_root() is not None:
        path = repo_root() / "data"
    else:
        path = Path.home() / ".cache" / "dgm-course"
    path.mkdir(parents=True, exist_ok=True)
    return path
