"""Data sets of the course: scikit-learn's bundled digits and Fashion-MNIST.

Everything returns float32 tensors in [0, 1] with integer labels and class names.

Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) is looked for, in order:

1. ``COURSE_FASHION_DIR`` (a folder with the four IDX files), if set;
2. the system package (Debian/Ubuntu ``dataset-fashion-mnist``), in
   ``/usr/share/datasets/fashion-mnist``;
3. the course's cache, ``data/fashion-mnist`` (see :func:`config.data_dir`);
4. a download into that cache, once, with checksums (``pooch``), where a network
   exists and ``COURSE_OFFLINE`` is not set.

When none works, :class:`DataUnavailableError` says how to get the files.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from course_utils.core.config import env_setting, make_generator
from course_utils.core.errors import DataUnavailableError
from course_utils.core.memory import release
from course_utils.core.paths import data_dir

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                   "Shirt", "Sneaker", "Bag", "Ankle boot")
FASHION_SIZE = (28, 28)  # pixels of every Fashion-MNIST image
SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# MD5 of the gzip files as published by the data set's authors.
FASHION_FILES = {
    ("train", "images"): ("train-images-idx3-ubyte.gz",
                          "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    ("train", "labels"): ("train-labels-idx1-ubyte.gz",
                          "md5:25c81989df183df01b3e8a0aad5dffbe"),
    ("test", "images"): ("t10k-images-idx3-ubyte.gz",
                         "md5:bef4ecab320f06d8554ea6380940ec79"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte.gz",
                         "md5:bb300cfdad3c16e7a12a480ee83cd310"),
}
HOW_TO_GET_FASHION = (
    "Fashion-MNIST was not found. Get it in one of these ways, then run the cell "
    "again:\n"
    "  * Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
    "  * {network}\n"
    "  * by hand: put the four files train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz "
    "into {cache} (or point COURSE_FASHION_DIR at their folder).\n"
    "The notebooks that need only the bundled digits keep working meanwhile."
)

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
               0x0D: ">f4", 0x0E: ">f8"}


@dataclass
class ImageSet:
    """Images in [0, 1] with labels. ``images``: (N, H, W) float32 tensor."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    name: str = ""

    @property
    def flat(self) -> torch.Tensor:
        """The images as (N, H*W) vectors."""
        return self.images.reshape(len(self.images), -1)

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.images.shape[1:])

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, n: int | None, seed: int = 0) -> ImageSet:
        """A random subset of ``n`` images (all when ``n`` is None or too large),
        drawn with its own generator so it does not depend on earlier draws."""
        idx = subset_indices(len(self), n, seed)
        if idx is None:
            return self
        return ImageSet(self.images[idx], self.labels[idx], self.classes, self.name)

    def __repr__(self) -> str:
        return (f"ImageSet({self.name!r}: {len(self)} images of "
                f"{self.image_shape[0]}x{self.image_shape[1]}, "
                f"{len(self.classes)} classes)")


def subset_indices(total: int, n: int | None, seed: int = 0) -> torch.Tensor | None:
    """The sorted indices of a random subset of ``n`` of ``total`` items, drawn
    with its own generator seeded by ``seed``; None when ``n`` keeps them all."""
    if n is None or n >= total:
        return None
    g = make_generator(seed)
    return torch.randperm(total, generator=g)[:n].sort().values


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a NumPy array.

    The format (LeCun et al.): two zero bytes, a type byte, the number of
    dimensions, one big-endian 32-bit size per dimension, then the data.
    Raises :class:`DataUnavailableError` for a missing, truncated or corrupt file.
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise DataUnavailableError(f"{path} does not exist.") from None
    except (OSError, EOFError, zlib.error) as err:  # bad gzip stream, truncation
        raise DataUnavailableError(
            f"{path} is corrupt ({err}). Delete it and load again.") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataUnavailableError(
            f"{path} is not an IDX file (bad header). Delete it and load again.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataUnavailableError(f"{path} is truncated (header). Delete it.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataUnavailableError(
            f"{path} has {len(raw) - header} data bytes, its header promises "
            f"{expected}: the file is truncated or corrupt. Delete it and load again.")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).copy()


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` (uint8) as an IDX file, gzip-compressed if the name ends in
    ``.gz``. The tests use it to make small files."""
    path = Path(path)
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape)
    data = header + array.tobytes()
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


def _offline() -> bool:
    return bool(env_setting("COURSE_OFFLINE"))


def _candidate_dirs() -> list[Path]:
    dirs = []
    if env_setting("COURSE_FASHION_DIR") is not None:
        dirs.append(env_setting("COURSE_FASHION_DIR"))
    dirs += [SYSTEM_FASHION_DIR, data_dir() / "fashion-mnist"]
    return dirs


def find_fashion_files(split: str, download: bool = True) -> tuple[Path, Path]:
    """Paths of the (images, labels) IDX files of ``split`` ("train" or "test")."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    names = [FASHION_FILES[(split, kind)][0] for kind in ("images", "labels")]
    for folder in _candidate_dirs():
        for variant in (names, [n.removesuffix(".gz") for n in names]):
            paths = [folder / n for n in variant]
            if all(p.is_file() for p in paths):
                return paths[0], paths[1]
    cache = data_dir() / "fashion-mnist"
    if _offline():
        network = ("with a network: unset COURSE_OFFLINE (it is set now) and the "
                   f"course downloads it once into {cache}")
    else:
        network = f"with a network the course downloads it once into {cache}"
    how = HOW_TO_GET_FASHION.format(cache=cache, network=network)
    if download and not _offline():
        try:
            return _download(split, cache)
        except Exception as err:  # no network, bad checksum, ...
            raise DataUnavailableError(
                how + f"\n(The download failed: {type(err).__name__}: {err})"
            ) from None
    raise DataUnavailableError(how)


def _download(split: str, cache: Path) -> tuple[Path, Path]:
    """Download one split's files into ``cache`` with their checksums (pooch)."""
    import pooch  # pooch: only a download needs it, never the offline paths

    paths = []
    for kind in ("images", "labels"):
        name, known_hash = FASHION_FILES[(split, kind)]
        paths.append(Path(pooch.retrieve(FASHION_URL + name, known_hash=known_hash,
                                         fname=name, path=cache, progressbar=False)))
    return paths[0], paths[1]


def load_fashion_mnist(split: str = "train", limit: int | None = None,
                       seed: int = 0, download: bool = True) -> ImageSet:
    """Fashion-MNIST ``split`` ("train": 60,000 images, "test": 10,000) in [0, 1].

    ``limit`` keeps a random subset of that size (drawn with ``seed``), for fast
    mode. Defined for notebooks 01, 02, 03, 06 and 07.
    """
    images_path, labels_path = find_fashion_files(split, download=download)
    images = _read_idx_once(images_path)
    labels = _read_idx_once(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataUnavailableError(
            f"{images_path} and {labels_path} do not fit together (shapes "
            f"{images.shape} and {labels.shape}). Delete them and load again.")
    if images.shape[1:] != FASHION_SIZE:
        raise DataUnavailableError(
            f"{images_path} holds images of {images.shape[1]}x{images.shape[2]} "
            f"pixels; Fashion-MNIST's are {FASHION_SIZE[0]}x{FASHION_SIZE[1]}. Point "
            "COURSE_FASHION_DIR at the Fashion-MNIST files (or unset it) and run the "
            "cell again.")
    # the subset is taken on the bytes, before the float copy (4x their size)
    idx = subset_indices(len(images), limit, seed)
    if idx is not None:
        images, labels = images[idx.numpy()], labels[idx.numpy()]
    loaded = ImageSet(torch.from_numpy(np.array(images)).float().div_(255.0),
                      torch.from_numpy(labels.astype(np.int64)), FASHION_CLASSES,
                      f"Fashion-MNIST {split}")
    release()  # the decompressed bytes' temporaries go back to the system
    return loaded


# Decompressing the 60,000 training images takes about 0.3 s; notebooks load the
# splits several times, so the bytes of the last few files read (55 MB for all of
# Fashion-MNIST) are kept. A changed file (size or modification time) is read again.
_IDX_MEMO: dict[tuple[str, int, int], np.ndarray] = {}
_IDX_MEMO_SIZE = 4


def _read_idx_once(path: Path) -> np.ndarray:
    """:func:`read_idx`, remembered for the files read last (read-only arrays)."""
    try:
        stat = Path(path).stat()
        key = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        return read_idx(path)  # read_idx says what is wrong
    if key not in _IDX_MEMO:
        array = read_idx(path)
        array.setflags(write=False)
        while len(_IDX_MEMO) >= _IDX_MEMO_SIZE:
            _IDX_MEMO.pop(next(iter(_IDX_MEMO)))
        _IDX_MEMO[key] = array
    return _IDX_MEMO[key]


def load_digits(split: str | None = None, test_fraction: float = 0.25,
                seed: int = 0) -> ImageSet:
    """scikit-learn's bundled 8x8 digits (1,797 images), scaled to [0, 1].

    ``split`` None returns all; "train" or "test" returns a fixed stratified split
    (``test_fraction`` of each class in the test set). No network needed.
    """
    # scikit-learn: slow to import; only the digits need it
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    images = torch.from_numpy(bunch.images.astype(np.float32) / 16.0)
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    classes = tuple(str(i) for i in range(10))
    if split is None:
        return ImageSet(images, labels, classes, "digits")
    if split not in ("train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test', got {split!r}")
    from sklearn.model_selection import train_test_split  # scikit-learn: as above

    idx_train, idx_test = train_test_split(
        np.arange(len(labels)), test_size=test_fraction, random_state=seed,
        stratify=bunch.target)
    idx = torch.from_numpy(np.sort(idx_train if split == "train" else idx_test))
    return ImageSet(images[idx], labels[idx], classes, f"digits {split}")


def fashion_available() -> bool:
    """True when Fashion-MNIST can be read without a download."""
    try:
        find_fashion_files("train", download=False)
        find_fashion_files("test", download=False)
        return True
    except DataUnavailableError:
        return False
