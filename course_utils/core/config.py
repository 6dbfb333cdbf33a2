"""Seeding, device, figure style and fast mode: the one ``setup()`` call that opens
every notebook (taught in ``00_start_here``).

Nothing here runs on import; a notebook calls :func:`setup` once.

Every ``COURSE_*`` environment variable the course reads is listed once, in
:data:`SETTINGS` (what it accepts, an example, its effect), and read through one
function, :func:`env_setting`. An empty or missing variable is unset; a value it
does not accept raises one :class:`~course_utils.core.errors.ConfigError` that
names the variable, the value and what it accepts, for example::

    COURSE_THREADS=0: expected a whole number of at least 1 (for example
    COURSE_THREADS=2).

Flags accept exactly ``1``, ``0``, ``true`` and ``false`` (any case): a value
such as ``yes`` is refused rather than guessed. README.md's table "Modes and
settings" is :func:`settings_markdown` (a test keeps the two equal).
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from course_utils.core.cpus import kernel_threads, usable_cpus
from course_utils.core.errors import ConfigError

T = TypeVar("T")

DEFAULT_SEED = 0
MAX_SEED = 2**32 - 1  # NumPy's seeds are 32-bit
_WHOLE = re.compile(r"[+-]?\d+")
_DEVICE = re.compile(r"cpu|mps|cuda(:\d+)?")


# The table of settings -------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """One ``COURSE_*`` variable: ``accepts`` and ``example`` go into the error
    message and the README; ``parse`` turns a stripped, non-empty value into the
    setting or returns None when the value is not accepted."""

    name: str
    accepts: str
    example: str
    effect: str
    parse: Callable[[str], Any]


def _whole(low: int, high: int | None = None) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        if not _WHOLE.fullmatch(text):
            return None
        value = int(text)
        ok = value >= low and (high is None or value <= high)
        return value if ok else None
    return parse


def _flag(text: str) -> bool | None:
    return {"1": True, "true": True, "0": False, "false": False}.get(text.lower())


def _device(text: str) -> str | None:
    text = text.lower()
    return text if _DEVICE.fullmatch(text) else None


def _folder(must_exist: bool) -> Callable[[str], Path | None]:
    def parse(text: str) -> Path | None:
        path = Path(text).expanduser()
        if path.is_dir() or (not must_exist and not path.exists()):
            return path
        return None
    return parse


def _lang(text: str) -> str | None:
    text = text.lower()
    return text if text in ("en", "he") else None


def _path(text: str) -> Path:
    return Path(text).expanduser()


_FLAG = "1, 0, true or false"
_FOLDER = "a folder, not a file (made if missing)"
SETTINGS: dict[str, Setting] = {s.name: s for s in [
    Setting("COURSE_SEED", f"a whole number from 0 to {MAX_SEED}", "3",
            "run the notebooks under another seed: the claims must hold for any",
            _whole(0, MAX_SEED)),
    Setting("COURSE_FAST", _FLAG, "1",
            "fast mode: smaller data and fewer epochs, every assertion still runs "
            "(the tests use it)", _flag),
    Setting("COURSE_PRESENT", _FLAG, "1",
            "presenting style: large fonts and figures for a lecture hall", _flag),
    Setting("COURSE_DEVICE", "cpu, cuda, cuda:N (N a GPU's number) or mps", "cpu",
            "force a device (by default a GPU is used when present; cuda or mps "
            "where there is none means the CPU)", _device),
    Setting("COURSE_THREADS", "a whole number of at least 1", "2",
            "torch's CPU threads (default: half the CPUs the kernel may use, its "
            "cores cut to its container's CPU quota, at least 1)", _whole(1)),
    Setting("COURSE_NO_CACHE", _FLAG, "1",
            "do not reuse trained models cached in `data/models`", _flag),
    Setting("COURSE_OFFLINE", _FLAG, "1", "never try to download Fashion-MNIST",
            _flag),
    Setting("COURSE_FASHION_DIR", "a folder that exists", "~/fashion-mnist",
            "a folder holding the four Fashion-MNIST IDX files", _folder(True)),
    Setting("COURSE_DATA_DIR", _FOLDER, "~/course-data",
            "where data and trained models are cached (default `data/`)",
            _folder(False)),
    Setting("COURSE_WEB_ASSETS", _FOLDER, "~/web-assets",
            "where reveal.js and MathJax are kept for the slides "
            "(default `~/.cache/dgm-course/web-assets`)", _folder(False)),
    Setting("COURSE_LANG", "en or he", "he",
            "the language of the exercise checks, hints and messages (the Hebrew "
            "notebooks in `notebooks/hebrew/` set he)", _lang),
    Setting("COURSE_PARALLEL", _FLAG, "1",
            "tests only: one torch thread per kernel, as under pytest-xdist", _flag),
    Setting("COURSE_CHROMIUM", "a path to a program", "/usr/bin/chromium",
            "tests only: the browser of the JupyterLab tests", _path),
]}


def env_setting(name: str) -> Any:
    """The ``COURSE_*`` variable ``name``, parsed (:func:`parse_setting`)."""
    return parse_setting(name, os.environ.get(name, ""))


def parse_setting(name: str, text: str) -> Any:
    """``text`` as a value of ``name``, the environment left alone; None when empty.
    :class:`ConfigError` (one line: variable, value, what it accepts) if refused."""
    if name not in SETTINGS:
        raise KeyError(f"{name} is not one of the course's settings: add it to "
                       "config.SETTINGS first.")
    setting, text = SETTINGS[name], text.strip()
    value = setting.parse(text) if text else None
    if value is None and text:
        raise ConfigError(f"{name}={text}: expected {setting.accepts} (for example "
                          f"{name}={setting.example}).")
    return value


def check_settings() -> dict[str, Any]:
    """Read every variable of :data:`SETTINGS`; return ``{name: value}`` of those
    set. Raises :class:`ConfigError` for the first bad value."""
    values = {name: env_setting(name) for name in SETTINGS}
    return {name: value for name, value in values.items() if value is not None}


def settings_markdown() -> str:
    """The table of :data:`SETTINGS` as Markdown, as README.md shows it."""
    lines = ["| variable | accepts | example | effect |", "|---|---|---|---|"]
    lines += [f"| `{s.name}` | {s.accepts} | `{s.name}={s.example}` | {s.effect} |"
              for s in SETTINGS.values()]
    return "\n".join(lines)


# Fast mode, seeds, generators -------------------------------------------------

def is_fast() -> bool:
    """True in fast mode (``COURSE_FAST=1``): small data, few epochs, same checks."""
    return bool(env_setting("COURSE_FAST"))


def pick(full: T, fast: T) -> T:
    """Return ``fast`` in fast mode and ``full`` otherwise.

    Example: ``epochs = pick(full=20, fast=2)``.
    """
    return fast if is_fast() else full


def resolve_seed(seed: int | None = None) -> int:
    """The seed to use: ``COURSE_SEED`` if set, else ``seed``, else 0."""
    env = env_setting("COURSE_SEED")
    if env is not None:
        return env
    return DEFAULT_SEED if seed is None else int(seed)


def set_seed(seed: int | None = None) -> int:
    """Seed Python's ``random``, NumPy and torch (CPU and GPU); return the seed used.

    ``seed`` as given; None: the notebook's seed (``COURSE_SEED`` if set, else 0).
    This is the one global seeding of the course, done by :func:`setup` at the top
    of a notebook; package functions use :func:`seeded` or :func:`make_generator`.
    """
    seed = resolve_seed() if seed is None else int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


@contextmanager
def seeded(seed: int) -> Iterator[int]:
    """Run a block under torch's global generator seeded with ``seed``, then put
    the caller's random state back (CPU and every GPU).

    For what draws from the global generator and takes no ``generator``
    argument, above all a model's initial weights::

        with seeded(cfg.seed):
            model = build_model()

    The model's weights depend on ``seed`` only, and the draws after the block
    are those the caller would have had without it. Only torch's state is
    forked (Python's ``random`` and NumPy are untouched).
    """
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() \
        else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield int(seed)


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` seeded with ``seed``: pass one to every random draw that
    must not depend on what ran before it (shuffling, sampling)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


# Device and threads -----------------------------------------------------------

def as_device(device: str | torch.device | None = None,
              where: str = "") -> torch.device:
    """A checked ``torch.device`` for ``device`` (``None``: :func:`get_device`).

    Accepts what ``COURSE_DEVICE`` accepts. A GPU that is absent (``cuda`` without
    CUDA, ``mps`` off Apple silicon) means the CPU, so one notebook runs
    everywhere; a name such as ``meta`` or ``gpu``, or a GPU number this machine
    lacks, raises :class:`ConfigError`. ``where`` names the caller in the
    message (e.g. ``"fit"``; ``"COURSE_DEVICE"`` for the variable).
    """
    if device is None:
        return get_device()
    text = str(device).strip()
    name = _device(text)
    label = where if where == "COURSE_DEVICE" else \
        (f"{where}: device" if where else "device")
    if name is None:
        raise ConfigError(f"{label}={text}: expected "
                          f"{SETTINGS['COURSE_DEVICE'].accepts} (for example "
                          f"{label.split(': ')[-1]}=cpu).")
    if name.startswith("cuda") and not torch.cuda.is_available():
        return torch.device("cpu")
    if name == "mps" and not (hasattr(torch.backends, "mps")
                              and torch.backends.mps.is_available()):
        return torch.device("cpu")
    chosen = torch.device(name)
    if chosen.type == "cuda" and chosen.index is not None \
            and chosen.index >= torch.cuda.device_count():
        raise ConfigError(f"{label}={text}: this machine has "
                          f"{torch.cuda.device_count()} GPU(s), numbered from 0.")
    return chosen


def get_device() -> torch.device:
    """A GPU when one is present (``cuda``), else the CPU. Never required.

    ``COURSE_DEVICE`` forces a choice (see :func:`as_device`). Apple's ``mps`` is
    not chosen automatically: the course's small models run faster on the laptop
    CPU.
    """
    forced = env_setting("COURSE_DEVICE")
    if forced is not None:
        return as_device(forced, where="COURSE_DEVICE")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_threads() -> int:
    """Torch's threads: half the CPUs this process may use, so that a second
    kernel fits beside it (:func:`cpus.kernel_threads`), or ``COURSE_THREADS``,
    cut to those CPUs with a word; return the thread count."""
    usable = usable_cpus()
    threads = env_setting("COURSE_THREADS")
    if threads is not None and threads > usable:
        print(f"COURSE_THREADS={threads} is more than the {usable} CPU(s) this "
              f"kernel may use; using {usable} (more threads than CPUs only slow "
              "torch down).")
    wanted = min(threads, usable) if threads else kernel_threads(usable)
    if wanted != torch.get_num_threads():
        torch.set_num_threads(wanted)
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

#: The width of a slide in inches at the figures' 100 dpi (1280 px, less margins).
SLIDE_WIDTH_IN = 12.4

# Colour-blind-safe cycle (Okabe and Ito, 2008).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
             "#F0E442", "#000000"]


def use_style(presenting: bool | None = None) -> str:
    """Set the course's matplotlib style; ``presenting`` enlarges everything.

    ``presenting=None`` reads ``COURSE_PRESENT``. Returns the style's name.
    """
    # matplotlib: loaded only when a notebook asks for the figure style
    import matplotlib as mpl
    from cycler import cycler

    if presenting is None:
        presenting = bool(env_setting("COURSE_PRESENT"))
    style = dict(_BASE_STYLE)
    style["axes.prop_cycle"] = cycler(color=OKABE_ITO)
    if presenting:
        # A slide is 1280 px wide (the exported slides; a projector at 100 dpi):
        # two panels side by side (1.7 x the width, as the notebooks draw them)
        # must fit it, or the browser shrinks the figure back to small print.
        style.update({
            "figure.figsize": (SLIDE_WIDTH_IN / 1.7, 4.6),
            "savefig.dpi": 100,  # a saved figure (a widget's) at the screen's size
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
    """What :func:`setup` chose."""

    seed: int
    device: torch.device
    fast: bool
    style: str
    threads: int

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
    Every ``COURSE_*`` variable is checked here first, so a bad value stops the
    first cell with one :class:`ConfigError` instead of a later one.
    """
    check_settings()
    cfg = CourseConfig(
        seed=set_seed(resolve_seed(seed)),
        device=get_device(),
        fast=is_fast(),
        style=use_style(presenting),
        threads=set_threads(),
    )
    if not quiet:
        print(cfg)
    return cfg
