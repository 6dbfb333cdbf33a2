"""The course's addresses: the repository, Colab and Binder links, the Colab cell.

:data:`REPO` is the one place the repository's address is written. The "Open in
Colab" badges, the guarded Colab set-up cell of every notebook and the README's
Binder link are all made from it (rerun ``python -m course_utils.tools.publish
prepare`` and ``python -m course_utils.tools.editions`` after changing it).
The Colab cell clones the course at the version in ``notebooks/.course-ref``
(:func:`course_ref`: ``main`` on the main branch, a tag in a release), which
``python -m course_utils.tools.publish release TAG`` writes into every notebook.

Two editions: the lecturer notebooks in ``notebooks/`` (with solutions) and the
student edition in ``notebooks/student/`` (stubs), generated from them. Students
are sent to the student edition; a lecturer badge says that it is one.
:func:`hub_url` makes a lecturer's JupyterHub links (nbgitpuller); ``python -m
course_utils.tools.hub`` prints them for every notebook.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlencode

from course_utils.tools.notebooks import PublishError, repo_path

REPO = "https://github.com/dgm-course/deep-generative-models"
BRANCH = "main"
#: Where the Colab cell clones the course.
COLAB_DIR = "/content/deep-generative-models"
#: The file (in notebooks/) that names the version of the course the notebooks'
#: Colab cells install: a branch or a tag, :data:`BRANCH` when absent.
REF_NAME = "notebooks/.course-ref"
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")
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


#: the folder a hub's nbgitpuller puts the course in, in each student's home
HUB_FOLDER = "deep-generative-models"
LANGUAGES = ("en", "he")


def edition_path(notebook: str, edition: str = "student", language: str = "en") -> str:
    """The notebook's path in the repository, in either language
    (``notebooks/hebrew/student/05_gaussian_kl.ipynb``)."""
    if language not in LANGUAGES:
        raise PublishError(f"language must be one of {LANGUAGES}, got {language!r}")
    path = notebook_path(notebook, edition)
    return path.replace("notebooks", "notebooks/hebrew", 1) if language == "he" \
        else path


def hub_url(hub: str, notebook: str, edition: str = "student", language: str = "en",
            repo: str = REPO, branch: str = BRANCH) -> str:
    """An nbgitpuller link for a lecturer's JupyterHub: a student who clicks it
    logs in, gets the course pulled (cloned the first time, merged after, never
    overwriting her own changes) into ``~/deep-generative-models``, and sees
    ``notebook`` of ``edition`` open in JupyterLab. The branch is always named
    (nbgitpuller's default is the remote's, which a fork may not share)."""
    if not re.match(r"https?://[^\s/?#]+", hub or ""):
        raise PublishError(f"the hub's address must start with https:// or http://, "
                           f"got {hub!r} (for example https://hub.example.edu)")
    target = f"{HUB_FOLDER}/{edition_path(notebook, edition, language)}"
    query = urlencode({"repo": repo, "branch": branch, "targetpath": HUB_FOLDER,
                       "urlpath": f"lab/tree/{target}"}, quote_via=quote, safe="/")
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def colab_badge(notebook: str, edition: str = "lecturer") -> str:
    """The markdown line of the "Open in Colab" badge for ``notebook``: in the
    lecturer edition it says so; in the student edition it is the badge alone."""
    badge = f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, edition)})"
    return f"{LECTURER_LABEL} {badge}" if edition == "lecturer" else badge


def ref_file() -> Path:
    return repo_path(REF_NAME)


def check_ref(ref: str) -> str:
    """``ref`` when it can name a branch or tag to clone; else one error."""
    ref = ref.strip()
    if not _REF.fullmatch(ref) or ".." in ref or ref.endswith((".", "/", ".lock")):
        raise PublishError(f"{ref!r} is not a branch or tag name (letters, digits "
                           "and . _ / -, such as v1.0 or main).")
    return ref


def course_ref() -> str:
    """The version of the course the Colab cells install (see :data:`REF_NAME`)."""
    try:
        return check_ref(ref_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return BRANCH
    except (OSError, UnicodeDecodeError, PublishError) as err:
        raise PublishError(f"{ref_file()}: {err}; it holds one line, the branch "
                           "or tag the Colab cells install (such as main).") from None


def set_ref(ref: str) -> str:
    """Write the version the Colab cells install (checked first)."""
    ref = check_ref(ref)
    try:
        ref_file().write_text(ref + "\n", encoding="utf-8")
    except OSError as err:
        raise PublishError(f"cannot write {ref_file()} ({err.strerror or err}): "
                           "make the folder writable.") from None
    return ref


def colab_cell_source() -> str:
    """The source of the guarded Colab set-up cell (the same in every notebook): it
    clones the course at :func:`course_ref`, the version the notebook belongs to."""
    return f'''\
# Google Colab only: fetch the course's helper package, at the version this
# notebook belongs to (COURSE_REF: a release's tag, or main). Elsewhere nothing
# happens. Colab's torch is kept; Fashion-MNIST is downloaded once, checked.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    COURSE_REPO = "{REPO}"
    COURSE_REF = "{course_ref()}"
    COURSE_DIR = "{COLAB_DIR}"
    if not os.path.isdir(COURSE_DIR):
        subprocess.run(["git", "clone", "--quiet", "--depth=1", "--branch",
                        COURSE_REF, COURSE_REPO, COURSE_DIR], check=True)
    subprocess.run([sys.executable, "-m", "course_utils.tools.colab", "install"],
                   cwd=COURSE_DIR, check=True)
    sys.path.insert(0, COURSE_DIR)
    os.environ["COURSE_OFFLINE"] = "0"'''
