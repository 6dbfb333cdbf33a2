"""The ways students, lecturers and maintainers break things by accident: a
read-only course folder, a corrupt gzip, two writers of one cached model, and
settings a machine cannot use (a student's edited notebook and --force are in
test_editions.py). Each test failed before its fix."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest
import torch

from course_utils.core import cache, config, data, paths
from course_utils.core.errors import DataUnavailableError

# A read-only course folder ------------------------------------------------------

def test_unwritable_data_folder_falls_back_with_a_warning(monkeypatch, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocked / "data"))  # cannot be made
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    paths._CHOSEN.clear()
    with pytest.warns(UserWarning, match="cannot be written to"):
        folder = paths.data_dir()
    assert folder == tmp_path / "user-cache" / "dgm-course" and folder.is_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, not at every call
        assert paths.data_dir() == folder
    paths._CHOSEN.clear()


def test_a_failed_save_keeps_the_trained_model(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    (tmp_path / "models").write_text("a file where the folder should be")
    model = torch.nn.Linear(2, 1)

    def train(m):
        with torch.no_grad():
            m.weight.fill_(3.0)
        return {"loss": 1.0}

    with pytest.warns(UserWarning, match="Could not save the trained model"):
        result = cache.cached_training("lin", model, train, {}, verbose=False)
    assert result == {"loss": 1.0} and torch.all(model.weight == 3.0)


# Two writers of one cached model -------------------------------------------------

def test_each_writer_saves_through_its_own_temporary_file(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_NO_CACHE", "0")
    names = []
    real_save = torch.save

    def save(obj, f, *args, **kwargs):
        names.append(str(f))
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(cache.torch, "save", save)
    for _ in range(2):  # as two notebooks would, before either file exists
        path = next((tmp_path / "models").glob("*.pt"), None)
        if path is not None:
            path.unlink()
        cache.cached_training("same", torch.nn.Linear(2, 1), lambda m: None, {},
                              verbose=False)
    assert len(names) == 2 and names[0] != names[1]
    assert not list((tmp_path / "models").glob("*.tmp"))


# A gzip file with a few flipped bytes ------------------------------------------

def test_flipped_bytes_in_a_gzip_give_the_corrupt_file_message(tmp_path):
    array = np.arange(600, dtype=np.uint8).reshape(6, 10, 10)
    good = data.write_idx(tmp_path / "good.gz", array).read_bytes()
    rng = random.Random(0)
    outcomes = {"message": 0, "intact": 0}
    for trial in range(60):
        raw = bytearray(good)
        for _ in range(3):
            raw[rng.randrange(10, len(raw))] ^= 1 << rng.randrange(8)
        path = tmp_path / f"bad-{trial}.gz"
        path.write_bytes(bytes(raw))
        try:
            loaded = data.read_idx(path)
        except DataUnavailableError as err:
            assert "Delete it" in str(err) or "corrupt" in str(err)
            outcomes["message"] += 1
        else:  # a flip in the gzip header's spare fields changes nothing
            assert np.array_equal(loaded, array)
            outcomes["intact"] += 1
    assert outcomes["message"] > 30


# Settings the machine cannot use -------------------------------------------------

def test_more_threads_than_cores_are_cut_with_a_word(monkeypatch, capsys):
    before = torch.get_num_threads()
    monkeypatch.setattr(config, "usable_cpus", lambda: 2)
    monkeypatch.setenv("COURSE_THREADS", "100")
    try:
        assert config.set_threads() == 2
        assert "COURSE_THREADS=100 is more than the 2 CPU(s) this kernel may use" in (
            capsys.readouterr().out)
    finally:
        torch.set_num_threads(before)


def test_threads_follow_the_cpu_quota_not_the_visible_cores(monkeypatch, capsys):
    before = torch.get_num_threads()
    monkeypatch.delenv("COURSE_THREADS", raising=False)
    monkeypatch.setattr(config, "usable_cpus", lambda: 1)
    try:
        torch.set_num_threads(2)
        assert config.set_threads() == 1 and capsys.readouterr().out == ""
    finally:
        torch.set_num_threads(before)


def test_offline_advice_only_when_offline_is_set(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "SYSTEM_FASHION_DIR", tmp_path / "none")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_FASHION_DIR", raising=False)
    monkeypatch.setenv("COURSE_OFFLINE", "0")
    with pytest.raises(DataUnavailableError) as err:
        data.find_fashion_files("train", download=False)
    assert "unset COURSE_OFFLINE" not in str(err.value)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(DataUnavailableError, match="unset COURSE_OFFLINE"):
        data.find_fashion_files("train", download=True)
