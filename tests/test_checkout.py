"""On a hub, a kernel started in a pulled checkout imports that checkout's
course_utils (issue 28): ``course_utils.tools.checkout`` installs a module and a
``.pth`` line into site-packages. Here they go into a temporary folder that Python
treats as site-packages (``site.addsitedir`` reads its ``.pth`` files as start-up
does), and a fake checkout stands in for a student's pulled course."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.tools import checkout

WHERE = "import site, sys; site.addsitedir(sys.argv[1]); import course_utils; " \
        "print(course_utils.__file__)"


@pytest.fixture
def pulled(tmp_path: Path) -> Path:
    """A student's home holding a checkout of the course (its package marked)."""
    root = tmp_path / "home" / "deep-generative-models"
    (root / "course_utils").mkdir(parents=True)
    (root / "course_utils" / "__init__.py").write_text("PULLED = True\n")
    for folder in ("notebooks/hebrew/student", "notebooks/student"):
        (root / folder).mkdir(parents=True)
    (root / "notebooks" / "00_start_here.ipynb").write_text("{}")
    return root


def _imported_from(site: Path, cwd: Path) -> Path:
    out = subprocess.run([sys.executable, "-c", WHERE, str(site)], cwd=cwd,
                         capture_output=True, text=True, check=True, env={})
    return Path(out.stdout.strip())


def test_the_checkout_is_found_from_any_notebook_folder(pulled, tmp_path):
    for folder in ("notebooks", "notebooks/hebrew/student", "."):
        assert checkout.checkout_root(pulled / folder) == pulled
    assert checkout.checkout_root(tmp_path) is None
    # a folder named course_utils alone is not the course
    (tmp_path / "other" / "course_utils").mkdir(parents=True)
    (tmp_path / "other" / "course_utils" / "__init__.py").write_text("")
    assert checkout.checkout_root(tmp_path / "other") is None


def test_a_kernel_in_the_checkout_imports_the_checkouts_package(pulled, tmp_path):
    site = tmp_path / "site-packages"
    site.mkdir()
    written = checkout.install(site)
    assert sorted(p.name for p in written) == ["dgm_course_checkout.pth",
                                               "dgm_course_checkout.py"]
    inside = _imported_from(site, pulled / "notebooks" / "hebrew" / "student")
    assert inside == pulled / "course_utils" / "__init__.py"
    # elsewhere, the environment's own copy (here this repository's)
    outside = _imported_from(site, tmp_path)
    assert outside == Path(checkout.__file__).parents[1] / "__init__.py"


def test_start_up_survives_a_deleted_working_folder(tmp_path):
    site = tmp_path / "site-packages"
    site.mkdir()
    checkout.install(site)
    gone = tmp_path / "gone"
    gone.mkdir()
    code = ("import os, site, sys; os.rmdir(sys.argv[2]); site.addsitedir(sys.argv[1]);"
            " print('started')")
    out = subprocess.run([sys.executable, "-c", code, str(site), str(gone)],
                         cwd=gone, capture_output=True, text=True, env={})
    assert out.returncode == 0 and out.stdout.strip() == "started", out.stderr
