"""Where the course reads and writes its files: the checkout, and the cache of
downloaded data and trained models (``data/``).

The cache must be writable. A course folder that is not (a lab machine, a shared
install) falls back to the user's own cache folder, and if even that fails, to a
temporary folder for this session, with one line saying so: loading Fashion-MNIST
from the system package and training never stop because a folder is read-only.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from course_utils.core.config import env_setting
from course_utils.core.errors import ConfigError

_CHOSEN: dict[Path, Path] = {}  # the folder asked for -> the folder in use


def repo_root() -> Path | None:
    """The course checkout this package lives in, or None when installed elsewhere."""
    root = Path(__file__).resolve().parents[2]  # course_utils/core/paths.py
    return root if (root / "notebooks").is_dir() else None


def user_cache_dir() -> Path:
    """The user's own cache folder for the course (``$XDG_CACHE_HOME/dgm-course``,
    by default ``~/.cache/dgm-course``). Raises :class:`errors.ConfigError` when
    no home folder is known (``HOME`` unset and no password entry)."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if base:
        return Path(base) / "dgm-course"
    try:
        home = Path.home()
    except (RuntimeError, KeyError, OSError):  # no HOME, no password entry
        raise ConfigError(
            "No home folder is known here (HOME is not set), so the course has "
            "nowhere to keep its data and trained models: set COURSE_DATA_DIR to a "
            "folder of yours (or HOME) and run the cell again.") from None
    return home / ".cache" / "dgm-course"


def _fallback_dir() -> Path | None:
    """The user's cache folder when it is known and writable, else None."""
    try:
        folder = user_cache_dir()
    except ConfigError:
        return None
    return folder if writable(folder) else None


def writable(folder: Path) -> bool:
    """True when ``folder`` exists (or can be made) and a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def data_dir() -> Path:
    """Where the course caches data sets and trained models.

    ``COURSE_DATA_DIR`` if set; else ``data/`` of the checkout; else the user's
    cache folder (for example on Colab when installed from a URL). When the
    folder is not writable: the user's cache folder, then a temporary folder,
    with a warning the first time. Without ``COURSE_DATA_DIR`` or a checkout,
    and with no home folder, :class:`errors.ConfigError` says what to set.
    """
    env = env_setting("COURSE_DATA_DIR")
    if env is not None:
        wanted = env
    elif repo_root() is not None:
        wanted = repo_root() / "data"
    else:
        wanted = user_cache_dir()
    if wanted in _CHOSEN and writable(_CHOSEN[wanted]):
        return _CHOSEN[wanted]
    if writable(wanted):
        folder = wanted
    else:  # the user's cache folder is asked for only now: it may not be known
        folder = _fallback_dir() or Path(tempfile.mkdtemp(prefix="dgm-course-"))
    if folder != wanted:
        warnings.warn(f"{wanted} cannot be written to; the course caches data and "
                      f"trained models in {folder} instead. Set COURSE_DATA_DIR to "
                      "a folder of yours to choose another.", stacklevel=2)
    _CHOSEN[wanted] = folder
    return folder
