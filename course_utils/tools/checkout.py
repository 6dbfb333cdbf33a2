"""Import the course's helper package from the checkout a notebook sits in.

On a class's hub the software comes with the image (or the shared environment)
and the course comes by nbgitpuller links into each student's home. The notebooks
and ``course_utils`` must then match: a kernel started inside a checkout of the
course imports *that checkout's* ``course_utils``, the same commit as its
notebooks; anywhere else it imports the copy installed in the environment.

``install`` puts two files into the environment's site-packages: this module,
as ``dgm_course_checkout.py``, and ``dgm_course_checkout.pth``, whose one line
imports it when any Python of that environment starts. On import it walks up
from the working folder (a kernel's is its notebook's folder) to the first
folder holding both ``course_utils/__init__.py`` and
``notebooks/00_start_here.ipynb``, and puts that folder first on ``sys.path``.
Nothing else changes; a folder that cannot be read is skipped silently (a
Python start must never fail because of it).

Usage, once per environment, after ``pip install --no-deps .`` (the fallback copy)::

    python -m course_utils.tools.checkout install

It needs nothing but the standard library, so that the copy works before any
``course_utils`` is found.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

MODULE = "dgm_course_checkout"
MARKERS = (("course_utils", "__init__.py"), ("notebooks", "00_start_here.ipynb"))


def checkout_root(start: str | os.PathLike, levels: int = 12) -> Path | None:
    """The nearest folder at or above ``start`` that is a checkout of the course."""
    folder = Path(start)
    for _ in range(levels):
        try:
            if all((folder / a / b).is_file() for a, b in MARKERS):
                return folder
        except OSError:   # an unreadable folder on the way up: look further
            pass
        if folder.parent == folder:
            return None
        folder = folder.parent
    return None


def activate() -> Path | None:
    """Put the checkout around the working folder first on ``sys.path``."""
    try:
        root = checkout_root(os.getcwd())
    except OSError:       # the working folder was deleted under us
        return None
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def install(site_dir: str | os.PathLike | None = None) -> list[Path]:
    """Write the module and its ``.pth`` line into ``site_dir`` (by default the
    running environment's site-packages); returns the two paths."""
    site = Path(site_dir or sysconfig.get_paths()["purelib"])
    module = site / f"{MODULE}.py"
    pth = site / f"{MODULE}.pth"
    module.write_text(Path(__file__).read_text(encoding="utf-8"), encoding="utf-8")
    pth.write_text(f"import {MODULE}\n", encoding="utf-8")
    return [module, pth]


if __name__ == MODULE:    # imported by the .pth line at start-up
    activate()
elif __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m course_utils.tools.checkout install")
    for path in install():
        print(f"wrote {path}")
