"""course_utils.core.config: seeds, fast mode, device, style, data folder."""

from __future__ import annotations

import random
import re
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
import torch

from course_utils.core import cache, config, data, paths
from course_utils.core.errors import ConfigError, CourseError
from course_utils.tools import assets

ROOT = Path(__file__).resolve().parent.parent


def test_set_seed_makes_every_generator_repeat(monkeypatch):
    monkeypatch.delenv("COURSE_SEED", raising=False)
    draws = []
    for _ in range(2):
        assert config.set_seed(5) == 5
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1]


def test_course_seed_overrides_the_notebooks_seed_not_an_explicit_one(monkeypatch):
    monkeypatch.setenv("COURSE_SEED", "3")
    assert config.set_seed() == 3  # the notebook's seed: COURSE_SEED decides
    assert config.set_seed(0) == 0  # an explicit seed (exercise 0.1) is kept
    assert config.setup(seed=0, quiet=True).seed == 3
    monkeypatch.setenv("COURSE_SEED", "three")
    with pytest.raises(ConfigError, match="whole number"):
        config.resolve_seed()


def test_pick_follows_fast_mode(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert config.pick(full=100, fast=2) == 2 and config.is_fast()
    monkeypatch.setenv("COURSE_FAST", "0")
    assert config.pick(full=100, fast=2) == 100 and not config.is_fast()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("value", ["cuda", "CUDA", "cuda:1"])
def test_device_falls_back_to_cpu(monkeypatch, value):
    monkeypatch.setenv("COURSE_DEVICE", value)
    assert config.get_device() == torch.device("cpu")
    assert config.as_device(value) == torch.device("cpu")


def test_default_device(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert config.get_device().type in {"cpu", "cuda"}
    assert config.as_device(None) == config.get_device()
    assert config.as_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("value", ["meta", "gpu", "cuda:x", "cpu:0:1"])
def test_a_device_name_the_course_does_not_use_is_one_clear_error(monkeypatch, value):
    with pytest.raises(ConfigError) as err:
        config.as_device(value, where="fit")
    assert str(err.value).startswith(f"fit: device={value}: expected cpu, cuda")
    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(ConfigError, match=f"^COURSE_DEVICE={value}: expected"):
        config.get_device()


def test_presenting_style_is_larger():
    config.use_style(presenting=False)
    small = mpl.rcParams["font.size"]
    assert config.use_style(presenting=True) == "presenting"
    assert mpl.rcParams["font.size"] > small
    # two panels side by side (1.7 x the width) fit a 1280 px slide at the dpi
    width = 1.7 * mpl.rcParams["figure.figsize"][0]
    for dpi in ("figure.dpi", "savefig.dpi"):
        assert width * mpl.rcParams[dpi] <= 1280
    config.use_style(presenting=False)


def test_setup_reports_its_choices(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_SEED", "4")
    cfg = config.setup(seed=0)
    assert cfg.seed == 4 and "seed 4" in capsys.readouterr().out
    assert cfg.generator(1).initial_seed() == 5


def test_data_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    assert paths.data_dir() == tmp_path / "cache" and (tmp_path / "cache").is_dir()


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


# One parser for every COURSE_* variable ------------------------------------------

def _bad_values(tmp_path: Path) -> dict[str, str]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    return {
        "COURSE_SEED": "abc", "COURSE_FAST": "yes", "COURSE_PRESENT": "on",
        "COURSE_DEVICE": "meta", "COURSE_THREADS": "0", "COURSE_NO_CACHE": "yes",
        "COURSE_OFFLINE": "2", "COURSE_FASHION_DIR": str(tmp_path / "missing"),
        "COURSE_DATA_DIR": str(a_file), "COURSE_WEB_ASSETS": str(a_file),
        "COURSE_PARALLEL": "maybe", "COURSE_LANG": "hebrew",
    }


# every variable that a value can be wrong for (any path names a program)
ALWAYS_VALID = {"COURSE_CHROMIUM"}


def test_every_setting_has_a_bad_value_under_test(tmp_path):
    assert set(_bad_values(tmp_path)) == set(config.SETTINGS) - ALWAYS_VALID


@pytest.mark.parametrize("name", sorted(set(config.SETTINGS) - ALWAYS_VALID))
def test_a_bad_value_is_one_line_naming_variable_value_and_what_it_accepts(
        monkeypatch, tmp_path, name):
    value = _bad_values(tmp_path)[name]
    setting = config.SETTINGS[name]
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        config.env_setting(name)
    expected = (f"{name}={value}: expected {setting.accepts} (for example "
                f"{name}={setting.example}).")
    assert str(err.value) == expected
    assert isinstance(err.value, CourseError)
    (shown,) = err.value._render_traceback_()  # wrapped between words
    assert shown.split() == f"\x1b[31mConfigError\x1b[0m: {expected}".split()
    assert all(len(line) <= 80 + 9 or len(line.split()) == 1  # + colour codes;
               for line in shown.split("\n"))  # a long path alone on its line
    with pytest.raises(ConfigError, match=f"^{name}="):
        config.setup(quiet=True)  # setup checks every variable first


@pytest.mark.parametrize(("name", "reader"), [
    ("COURSE_SEED", config.resolve_seed),
    ("COURSE_FAST", config.is_fast),
    ("COURSE_PRESENT", config.use_style),
    ("COURSE_DEVICE", config.get_device),
    ("COURSE_THREADS", config.set_threads),
    ("COURSE_NO_CACHE", cache.cache_enabled),
    ("COURSE_OFFLINE", lambda: data.find_fashion_files("train", download=True)),
    ("COURSE_FASHION_DIR", data.fashion_available),
    ("COURSE_DATA_DIR", paths.data_dir),
    ("COURSE_WEB_ASSETS", assets.web_assets_dir),
])
def test_every_reader_in_the_package_uses_the_one_parser(monkeypatch, tmp_path, name,
                                                         reader):
    monkeypatch.setenv(name, _bad_values(tmp_path)[name])
    monkeypatch.setattr(data, "SYSTEM_FASHION_DIR", tmp_path / "no-system-data")
    with pytest.raises(ConfigError, match=f"^{name}="):
        reader()


@pytest.mark.parametrize(("text", "value"), [
    ("1", True), ("0", False), ("true", True), ("FALSE", False), (" True ", True),
    ("", None), ("   ", None)])
def test_flags_accept_exactly_one_zero_true_false(monkeypatch, text, value):
    monkeypatch.setenv("COURSE_FAST", text)
    assert config.env_setting("COURSE_FAST") is value


@pytest.mark.parametrize("text", ["yes", "no", "on", "2", "-1", "t"])
def test_other_flag_spellings_are_refused(monkeypatch, text):
    monkeypatch.setenv("COURSE_OFFLINE", text)
    with pytest.raises(ConfigError, match="expected 1, 0, true or false"):
        config.env_setting("COURSE_OFFLINE")


@pytest.mark.parametrize(("name", "text", "ok"), [
    ("COURSE_SEED", "0", True), ("COURSE_SEED", "+7", True),
    ("COURSE_SEED", str(config.MAX_SEED), True),
    ("COURSE_SEED", str(config.MAX_SEED + 1), False), ("COURSE_SEED", "-1", False),
    ("COURSE_SEED", "1.5", False), ("COURSE_THREADS", "1", True),
    ("COURSE_THREADS", "-2", False), ("COURSE_THREADS", "two", False),
])
def test_whole_numbers_and_their_ranges(monkeypatch, name, text, ok):
    monkeypatch.setenv(name, text)
    if ok:
        assert config.env_setting(name) == int(text)
    else:
        with pytest.raises(ConfigError, match=f"^{name}={re.escape(text)}: "):
            config.env_setting(name)


def test_folders_expand_the_home_and_may_be_made(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", "~/somewhere-new")
    assert config.env_setting("COURSE_DATA_DIR") == Path.home() / "somewhere-new"
    monkeypatch.setenv("COURSE_FASHION_DIR", str(tmp_path))
    assert config.env_setting("COURSE_FASHION_DIR") == tmp_path


def test_only_listed_variables_are_read():
    with pytest.raises(KeyError, match="SETTINGS"):
        config.env_setting("COURSE_NOT_A_SETTING")


def test_readme_table_is_the_parsers_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config.settings_markdown() in readme, (
        "README.md's 'Modes and settings' table differs from config.SETTINGS: "
        "paste config.settings_markdown() there.")


def test_bad_seed_in_a_notebook_is_one_red_line(monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from course_utils import setup\n"
                                          "cfg = setup()")]
    monkeypatch.setenv("COURSE_SEED", "abc")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # this checkout's course_utils
    client = nbclient.NotebookClient(nb, timeout=120, allow_errors=True,
                                     kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "ConfigError"
    (line,) = errors[0].traceback  # one line, no traceback through the package
    assert "COURSE_SEED=abc: expected a whole number" in line
    assert "course_utils" not in line and "File " not in line


# Seeding without touching the caller's random state ------------------------------

def test_seeded_repeats_and_leaves_the_global_state_alone():
    with config.seeded(3):
        first = torch.randn(4)
    with config.seeded(3):
        again = torch.randn(4)
    assert torch.equal(first, again)
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    with config.seeded(5):
        torch.nn.Linear(50, 50)  # initial weights drawn inside
    assert torch.equal(torch.rand(3), expected)


def test_models_built_under_seeded_are_equal():
    with config.seeded(2):
        a = torch.nn.Linear(4, 3)
    torch.rand(10)  # whatever ran in between
    with config.seeded(2):
        b = torch.nn.Linear(4, 3)
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)


def test_one_thread_runs_the_block_on_one_thread_and_restores_the_count():
    import torch

    from course_utils.core.training import one_thread

    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    try:
        with one_thread():
            raise ValueError("inside")
    except ValueError:
        pass
    assert torch.get_num_threads() == before
