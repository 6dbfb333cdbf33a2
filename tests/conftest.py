"""Test-suite set-up.

- Fast mode, offline, a headless matplotlib backend, and a fresh data cache for the
  whole session (so a run here behaves like a clean clone in CI; the system
  Fashion-MNIST package is still used). Set ``COURSE_FAST=0`` to test the default
  mode, ``COURSE_SEED`` to try the claims under another seed.
- The student edition is generated into ``tests/student_edition`` before
  collection, so nbval runs both editions.
- In the student edition, a check cell (tagged ``raises-exception``) must raise,
  and only ``NotImplementedError`` (an unfilled stub): anything else fails.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from course_utils.core.config import env_setting

ROOT = Path(__file__).resolve().parent.parent
STUDENT_DIR = ROOT / "tests" / "student_edition"

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("COURSE_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
if "COURSE_DATA_DIR" not in os.environ:
    os.environ["COURSE_DATA_DIR"] = tempfile.mkdtemp(prefix="course-data-")
# Under pytest-xdist two kernels share the two cores: one thread each.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT") or env_setting("COURSE_PARALLEL"):
    os.environ.setdefault("COURSE_THREADS", "1")


def pytest_configure(config):
    # Only the controller (not xdist workers) writes the student edition.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    from course_utils.tools.editions import generate

    report = generate(ROOT / "notebooks", STUDENT_DIR, force=True)
    # drop notebooks whose lecturer edition is gone; rewrite nothing else, so that
    # a second test run at the same time keeps its working folder
    current = set().union(*report.values())
    for stale in STUDENT_DIR.glob("*.ipynb"):
        if stale.name not in current:
            stale.unlink()


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# the last line of the error output names the exception
_NOT_DONE = re.compile(r"^\s*(NotImplementedError|ExerciseNotDone):", re.M)


def _patch_nbval_for_student_edition():
    try:
        import nbval  # noqa: F401
    except ImportError:  # nbval not installed: notebooks are not collected anyway
        return
    from nbval.plugin import IPyNbCell, NbCellError  # fails loudly if nbval changed
    original = IPyNbCell.runtest
    if getattr(original, "_course_patched", False):
        return

    def runtest(self):
        metadata = getattr(self.parent, "nb", {}).get("metadata", {})
        in_student = metadata.get("course_edition") == "student"
        tags = self.cell.get("metadata", {}).get("tags", [])
        if not (in_student and "raises-exception" in tags):
            return original(self)
        self.options["check_exception"] = False  # let the error surface here
        try:
            original(self)
        except NbCellError as err:
            text = _ANSI.sub("", f"{err} {err.inner_traceback or ''}")
            if _NOT_DONE.search(text):
                return
            raise
        pytest.fail("In the student edition this check cell should raise "
                    "NotImplementedError (its exercise stub is empty), but it ran "
                    "without error: is the solution left in a 'stub' cell?")

    runtest._course_patched = True
    IPyNbCell.runtest = runtest


_patch_nbval_for_student_edition()
