"""requirements.txt's ranges are promises: every lower bound is a release that CI
installs and tests (.ci/lowest, with the pins of .ci/lowest-constraints.txt)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".ci"


def _load_lowest():
    spec = importlib.util.spec_from_file_location("ci_lowest", CI / "lowest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lowest = _load_lowest()
REQUIREMENTS = (ROOT / "requirements.txt").read_text(encoding="utf-8")


def test_committed_constraints_are_the_lower_bounds():
    committed = (CI / "lowest-constraints.txt").read_text(encoding="utf-8")
    assert committed == lowest.constraints(REQUIREMENTS), (
        ".ci/lowest-constraints.txt does not match requirements.txt's lower bounds:"
        " run python .ci/lowest.py --write")
    pins = lowest.pins(committed)
    assert pins == lowest.lower_bounds(REQUIREMENTS)
    assert pins["torch"] == "2.13.0", "the torch CI installs is 2.13.0 (CPU build)"


def test_every_requirement_is_a_range_with_both_ends():
    for name in lowest.lower_bounds(REQUIREMENTS):
        line = next(raw for raw in REQUIREMENTS.splitlines()
                    if raw.startswith(name) and not raw.startswith("#"))
        assert re.search(r",\s*<\s*\d", line), f"{name}: no upper bound in {line!r}"


def test_a_requirement_without_a_tested_lower_bound_is_refused():
    assert lowest.lower_bounds("# c\n-e .\nnumpy>=2.0.0,<3  # why\n\npooch>=1.8.0\n") \
        == {"numpy": "2.0.0", "pooch": "1.8.0"}
    assert lowest.constraints("tqdm>=4.66.0,<5\n").endswith("\ntqdm==4.66.0\n")
    for bad in ("numpy<3", "numpy", "numpy>=2.0,>=2.1", "numpy>=2.0.0rc1",
                "numpy~=2.0"):
        with pytest.raises(ValueError, match="lower bound"):
            lowest.lower_bounds(bad + "\n")


def test_installed_versions_are_compared_without_the_build_label(monkeypatch):
    have = {"torch": "2.13.0+cpu", "numpy": "2.4.6"}

    def version(name):
        if name not in have:
            raise lowest.metadata.PackageNotFoundError(name)
        return have[name]

    monkeypatch.setattr(lowest.metadata, "version", version)
    wrong = lowest.not_installed({"torch": "2.13.0", "numpy": "2.0.0",
                                  "tqdm": "4.66.0"})
    assert wrong == ["numpy: want 2.0.0, have 2.4.6", "tqdm: want 4.66.0, have nothing"]


def test_ci_tests_the_lowest_versions_before_the_readme_command():
    run = (CI / "run").read_text(encoding="utf-8")
    script = (CI / "lowest").read_text(encoding="utf-8")
    assert run.index("\n.ci/lowest\n") < run.index("python -m pytest -n 3")
    assert (CI / "lowest").stat().st_mode & 0o100, ".ci/lowest must be executable"
    # a separate environment, torch first, then the pinned lower bounds
    assert "-m venv" in script
    assert script.index("pip install --quiet torch==2.13.0") < script.index(
        "-c .ci/lowest-constraints.txt -r requirements-test.txt")
    for notebook in ("00_start_here", "04_jensen_and_the_elbo", "05_gaussian_kl",
                     "06_variational_autoencoder"):
        assert f"notebooks/{notebook}.ipynb" in script
    assert "--ignore=tests/browser" in script and "COURSE_FAST=1" in script
