"""course_utils.core.config: seeds, fast mode, device, style, data folder."""

from __future__ import annotations

import random

import matplotlib as mpl
import numpy as np
import pytest
import torch

from course_utils.core import config


def test_set_seed_makes_every_generator_repeat(monkeypatch):
    monkeypatch.delenv("COURSE_SEED", raising=False)
    draws = []
    for _ in range(2):
        assert config.set_seed(5) == 5
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1]


def test_course_seed_overrides_the_default(monkeypatch):
    monkeypatch.setenv("COURSE_SEED", "3")
    assert config.set_seed(0) == 3
    monkeypatch.setenv("COURSE_SEED", "three")
    with pytest.raises(ValueError, match="whole number"):
        config.resolve_seed()


def test_pick_follows_fast_mode(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert config.pick(full=100, fast=2) == 2 and config.is_fast()
    monkeypatch.setenv("COURSE_FAST", "0")
    assert config.pick(full=100, fast=2) == 100 and not config.is_fast()


def test_device_falls_back_to_cpu(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    if not torch.cuda.is_available():
        assert config.get_device().type == "cpu"
    monkeypatch.delenv("COURSE_DEVICE")
    assert config.get_device().type in {"cpu", "cuda"}


def test_presenting_style_is_larger():
    config.use_style(presenting=False)
    small = mpl.rcParams["font.size"]
    assert config.use_style(presenting=True) == "presenting"
    assert mpl.rcParams["font.size"] > small
    config.use_style(presenting=False)


def test_setup_reports_its_choices(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_SEED", "4")
    cfg = config.setup(seed=0)
    assert cfg.seed == 4 and "seed 4" in capsys.readouterr().out
    assert cfg.generator(1).initial_seed() == 5


def test_data_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    assert config.data_dir() == tmp_path / "cache" and (tmp_path / "cache").is_dir()


def test_importing_the_package_has_no_side_effects():
    import subprocess
    import sys

    code = (
        "import matplotlib as mpl, torch\n"
        "before = (torch.initial_seed(), dict(mpl.rcParams))\n"
        "import course_utils, course_utils.core.data, course_utils.core.training\n"
        "import course_utils.core.plotting, course_utils.core.checks\n"
        "import course_utils.core.cache\n"
        "assert (torch.initial_seed(), dict(mpl.rcParams)) == before\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
