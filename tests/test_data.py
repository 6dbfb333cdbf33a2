"""course_utils.core.data: IDX parsing on tiny files the tests write, the search order
for Fashion-MNIST, and one clear error when it cannot be found."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils.core import data
from course_utils.core.errors import DataUnavailableError


def _write_split(folder: Path, split: str, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    data.write_idx(folder / data.FASHION_FILES[(split, "images")][0], images)
    data.write_idx(folder / data.FASHION_FILES[(split, "labels")][0], labels)
    return images


@pytest.fixture
def no_system_data(monkeypatch, tmp_path):
    """No system package, an empty cache, no network."""
    monkeypatch.setattr(data, "SYSTEM_FASHION_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.delenv("COURSE_FASHION_DIR", raising=False)
    return tmp_path


@pytest.mark.parametrize("name", ["tiny.idx", "tiny.idx.gz"])
def test_idx_round_trip(tmp_path, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(data.read_idx(data.write_idx(tmp_path / name, array)), array)


def test_idx_header_is_parsed_by_hand(tmp_path):
    raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
    (tmp_path / "labels.idx").write_bytes(raw)
    assert data.read_idx(tmp_path / "labels.idx").tolist() == [7, 8, 9]


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 not an idx", "not an IDX"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]), "truncated or corrupt"),
    (bytes([0, 0, 8, 2, 0, 0]), "truncated"),
])
def test_corrupt_idx_gives_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(DataUnavailableError, match=message):
        data.read_idx(path)


def test_corrupt_gzip_gives_one_clear_error(tmp_path):
    path = tmp_path / "bad.idx.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1]))[:-6])
    with pytest.raises(DataUnavailableError, match="corrupt|truncated"):
        data.read_idx(path)


def test_fashion_from_a_folder_of_small_files(no_system_data, monkeypatch):
    folder = no_system_data / "fm"
    folder.mkdir()
    images = _write_split(folder, "train", 12)
    _write_split(folder, "test", 5, seed=1)
    monkeypatch.setenv("COURSE_FASHION_DIR", str(folder))
    train = data.load_fashion_mnist("train")
    assert train.images.shape == (12, 28, 28) and train.images.dtype == torch.float32
    assert torch.allclose(train.images, torch.from_numpy(images).float() / 255)
    assert float(train.images.min()) >= 0 and float(train.images.max()) <= 1
    assert train.labels.dtype == torch.int64 and train.flat.shape == (12, 784)
    assert len(data.load_fashion_mnist("test")) == 5
    small = data.load_fashion_mnist("train", limit=4, seed=3)
    assert len(small) == 4 and small.classes == data.FASHION_CLASSES
    assert torch.equal(small.images, data.load_fashion_mnist("train", limit=4,
                                                             seed=3).images)


def test_fashion_bytes_are_read_once_and_reread_when_the_file_changes(
        no_system_data, monkeypatch):
    folder = no_system_data / "fm"
    folder.mkdir()
    _write_split(folder, "train", 12)
    monkeypatch.setenv("COURSE_FASHION_DIR", str(folder))
    reads = []
    real_read = data.read_idx
    monkeypatch.setattr(data, "read_idx", lambda p: reads.append(p) or real_read(p))
    first = data.load_fashion_mnist("train", limit=5, seed=2)
    again = data.load_fashion_mnist("train", limit=5, seed=2)
    assert len(reads) == 2  # images and labels, once each
    assert torch.equal(first.images, again.images)
    # the subset taken on the bytes is the one ImageSet.subset takes
    assert torch.equal(first.images, data.load_fashion_mnist("train").subset(
        5, seed=2).images)
    again.images.zero_()  # a caller changing its copy changes nothing remembered
    assert torch.equal(first.images, data.load_fashion_mnist("train", limit=5,
                                                             seed=2).images)
    new = _write_split(folder, "train", 7, seed=5)  # the file changes on disk
    changed = data.load_fashion_mnist("train")
    assert len(changed) == 7
    assert torch.allclose(changed.images, torch.from_numpy(new).float() / 255)


def test_fashion_from_the_cache_folder_unzipped(no_system_data):
    cache = no_system_data / "cache" / "fashion-mnist"
    cache.mkdir(parents=True)
    for split in ("train", "test"):
        for kind in ("images", "labels"):
            name = data.FASHION_FILES[(split, kind)][0].removesuffix(".gz")
            shape = (3, 28, 28) if kind == "images" else (3,)
            data.write_idx(cache / name, np.zeros(shape, dtype=np.uint8))
    assert data.fashion_available()
    assert len(data.load_fashion_mnist("test")) == 3


def test_missing_fashion_says_what_to_do(no_system_data):
    with pytest.raises(DataUnavailableError) as info:
        data.load_fashion_mnist("train")
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "COURSE_FASHION_DIR" in message
    assert not data.fashion_available()


def test_failed_download_says_what_to_do(no_system_data, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE")

    def no_network(*args, **kwargs):
        raise ConnectionError("no route to host")

    import pooch

    monkeypatch.setattr(pooch, "retrieve", no_network)
    with pytest.raises(DataUnavailableError, match="download failed.*no route"):
        data.load_fashion_mnist("test")


def test_download_checks_the_published_checksums(no_system_data, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE")
    calls = []

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        calls.append((url, known_hash))
        target = Path(path) / fname
        target.parent.mkdir(parents=True, exist_ok=True)
        shape = (2, 28, 28) if "images" in fname else (2,)
        data.write_idx(target, np.zeros(shape, dtype=np.uint8))
        return str(target)

    import pooch

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    assert len(data.load_fashion_mnist("test")) == 2
    assert all(url.startswith(data.FASHION_URL) and h.startswith("md5:")
               for url, h in calls) and len(calls) == 2


def test_split_names_are_checked():
    with pytest.raises(ValueError, match="train"):
        data.find_fashion_files("validation")
    with pytest.raises(ValueError):
        data.load_digits("validation")


def test_digits_are_offline_and_scaled():
    digits = data.load_digits()
    assert digits.images.shape == (1797, 8, 8)
    assert float(digits.images.max()) == 1.0 and float(digits.images.min()) == 0.0
    train, test = data.load_digits("train"), data.load_digits("test")
    assert len(train) + len(test) == 1797 and len(test) == 450
    assert set(test.labels.tolist()) == set(range(10))


@pytest.mark.skipif(not data.SYSTEM_FASHION_DIR.is_dir(),
                    reason="the system package dataset-fashion-mnist is not installed")
def test_system_fashion_mnist_has_60000_and_10000_images(monkeypatch):
    monkeypatch.delenv("COURSE_FASHION_DIR", raising=False)
    train, test = data.load_fashion_mnist("train"), data.load_fashion_mnist("test")
    assert len(train) == 60_000 and len(test) == 10_000
    assert train.images.shape[1:] == (28, 28)
    assert sorted(torch.bincount(test.labels).tolist()) == [1000] * 10


# Wrong-size images and a machine without a home folder ---------------------------

def test_images_of_another_size_are_named_with_their_size(no_system_data, monkeypatch):
    folder = no_system_data / "mnist-like"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        data.write_idx(folder / data.FASHION_FILES[(split, "images")][0],
                       rng.integers(0, 256, size=(4, 32, 32), dtype=np.uint8))
        data.write_idx(folder / data.FASHION_FILES[(split, "labels")][0],
                       np.zeros(4, dtype=np.uint8))
    monkeypatch.setenv("COURSE_FASHION_DIR", str(folder))
    with pytest.raises(DataUnavailableError) as info:
        data.load_fashion_mnist("train")
    message = str(info.value)
    assert "\n" not in message and "train-images-idx3-ubyte.gz" in message
    assert "32x32" in message and "28x28" in message and "COURSE_FASHION_DIR" in message


def _no_home(monkeypatch):
    """As on a machine where HOME is unset and the user has no password entry."""
    def home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(home))


def test_no_home_folder_is_fine_when_the_data_folder_is_set(no_system_data,
                                                             monkeypatch):
    from course_utils.core import paths

    _write_split(no_system_data, "test", 3)
    monkeypatch.setenv("COURSE_FASHION_DIR", str(no_system_data))
    _no_home(monkeypatch)
    paths._CHOSEN.clear()
    try:
        assert paths.data_dir() == no_system_data / "cache"
        assert len(data.load_fashion_mnist("test")) == 3
    finally:
        paths._CHOSEN.clear()


def test_no_home_folder_and_no_data_folder_says_what_to_set(monkeypatch):
    from course_utils.core import paths
    from course_utils.core.errors import ConfigError

    _no_home(monkeypatch)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setattr(paths, "repo_root", lambda: None)  # installed, no checkout
    paths._CHOSEN.clear()
    try:
        with pytest.raises(ConfigError) as info:
            paths.data_dir()
    finally:
        paths._CHOSEN.clear()
    assert "\n" not in str(info.value) and "COURSE_DATA_DIR" in str(info.value)
