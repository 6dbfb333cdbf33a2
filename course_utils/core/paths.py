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

_CHOSEN: dict[Path, Path] = {}  # the folder asked for -> the folder in use


def repo_root() -> Path | None:
    """The course checkout this package lives in, or None when installed elsewhere."""
    root = Path(__file__).resolve().parents[2]  # course_utils/core/paths.py
    return root if (root / "notebooks").is_dir() else None


def user_cache_dir() -> Path:
    """The user's own cache folder for the course (``$XDG_CACHE_HOME/dgm-course``,
    by default ``~/.cache/dgm-course``)."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "dgm-course"


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
    with a warning the first time.
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
    for folder in (wanted, user_cache_dir()):
        if writable(folder):
            break
    else:
        folder = Path(tempfile.mkdtemp(prefix="dgm-course-"))
    if folder != wanted:
        warnings.warn(f"{wanted} cannot be written to; the course caches data and "
                      f"trained models in {folder} instead. Set COURSE_DATA_DIR to "
                      "a folder of yours to choose another.", stacklevel=2)
    _CHOSEN[wanted] = folder
    return folder
