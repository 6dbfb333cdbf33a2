"""The course's addresses: the repository, Colab and Binder links, the Colab cell.

:data:`REPO` is the one place the repository's address is written. The "Open in
Colab" badges, the guarded Colab set-up cell of every notebook and the README's
Binder link are all made from it (rerun ``python -m course_utils.tools.publish
prepare`` and ``python -m course_utils.tools.editions`` after changing it).

Two editions: the lecturer notebooks in ``notebooks/`` (with solutions) and the
student edition in ``notebooks/student/`` (stubs), generated from them. Students
are sent to the student edition; a lecturer badge says that it is one.
"""

from __future__ import annotations

import re
from pathlib import Path

from course_utils.tools.notebooks import PublishError

REPO = "https://github.com/dgm-course/deep-generative-models"
BRANCH = "main"
#: Where the Colab cell clones the course.
COLAB_DIR = "/content/deep-generative-models"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def github_path() -> str:
    """``OWNER/NAME`` of :data:`REPO`."""
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)/?", REPO)
    if not match:
        raise PublishError(f"REPO must be a https://github.com/OWNER/NAME address, "
                           f"got {REPO!r}")
    return match.group(1)


EDITIONS = ("lecturer", "student")
#: Where each edition lies in the repository.
EDITION_FOLDERS = {"lecturer": "notebooks", "student": "notebooks/student"}
#: The words before a lecturer notebook's badge (the student edition has none).
LECTURER_LABEL = "**Lecturer edition** (with the solutions):"


def notebook_path(notebook: str, edition: str = "lecturer") -> str:
    """``notebooks/<notebook>`` or ``notebooks/student/<notebook>``."""
    if edition not in EDITIONS:
        raise PublishError(f"edition must be one of {EDITIONS}, got {edition!r}")
    return f"{EDITION_FOLDERS[edition]}/{Path(notebook).name}"


def colab_url(notebook: str, edition: str = "lecturer") -> str:
    """The Colab address that opens ``notebook`` of ``edition`` from the repository."""
    return (f"https://colab.research.google.com/github/{github_path()}/blob/"
            f"{BRANCH}/{notebook_path(notebook, edition)}")


def binder_url(notebook: str = "00_start_here.ipynb", edition: str = "student") -> str:
    """The Binder address that opens ``notebook`` of ``edition`` in JupyterLab."""
    return (f"https://mybinder.org/v2/gh/{github_path()}/{BRANCH}"
            f"?urlpath=lab/tree/{notebook_path(notebook, edition)}")


def colab_badge(notebook: str, edition: str = "lecturer") -> str:
    """The markdown line of the "Open in Colab" badge for ``notebook``: in the
    lecturer edition it says so; in the student edition it is the badge alone."""
    badge = f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, edition)})"
    return f"{LECTURER_LABEL} {badge}" if edition == "lecturer" else badge


def colab_cell_source() -> str:
    """The source of the guarded Colab set-up cell (the same in every notebook)."""
    return f'''\
# Google Colab only: fetch the course's helper package. Elsewhere nothing happens.
# Colab's own torch is kept; Fashion-MNIST is downloaded once, checksums checked.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    COURSE_REPO = "{REPO}"
    COURSE_DIR = "{COLAB_DIR}"
    if not os.path.isdir(COURSE_DIR):
        subprocess.run(["git", "clone", "--quiet", "--depth=1", COURSE_REPO,
                        COURSE_DIR], check=True)
    subprocess.run([sys.executable, "-m", "course_utils.tools.colab", "install"],
                   cwd=COURSE_DIR, check=True)
    sys.path.insert(0, COURSE_DIR)
    os.environ["COURSE_OFFLINE"] = "0"'''
