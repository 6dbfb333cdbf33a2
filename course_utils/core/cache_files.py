"""The files of the model cache (:mod:`cache`): written whole or not at all, and
read back only when they are what the cache wrote under that key.

A file is what ``torch.save`` writes of a dict (``torch.load(path,
weights_only=True)["state_dict"]`` reads its weights)::

    {"state_dict": ..., "result": ..., "key": <file name without .pt>,
     "sha256": <SHA-256 of the weights' bytes and of the result>}

The key is the one the file was written under (a file renamed from another seed
or data set is refused), the checksum covers every byte of every weight and the
stored result (a flipped byte is refused, not loaded as a NaN). Only regular
files are opened: a FIFO would block ``open`` forever, a folder or a device is
no model. The bytes are unpickled with ``weights_only=True``.

Writing goes through a temporary file of this writer's own, renamed into place
when complete; whatever stops a save (a full disk, an interrupt) removes it.

Two kernels that want the same model at once (a student running both editions of
a notebook, the test suite's two workers, two tabs on a class server) train it
once: :func:`training_lock` lets the first train while the second waits, then
loads what the first saved. The lock files live in the system's temporary
folder, not among the student's files, and the operating system releases a lock
whose holder dies or is interrupted.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import shutil
import stat
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no lock; two kernels may then train the same model
    fcntl = None

import numpy as np
import torch

from course_utils.core.i18n import translate

STALE_SECONDS = 3600  # a temporary file this old is a crashed writer's: removed


class UnusableCacheFile(Exception):
    """A cache file that must not be loaded; the message says why, in a few words
    that complete "Could not use the cached NAME (...)"."""


def _digest_into(digest, value: Any) -> None:
    """Feed ``value`` (tensors, plain values, and dicts, lists, tuples of them) to
    ``digest``, each part with its type, so that no two contents collide."""
    if isinstance(value, torch.Tensor):
        flat = value.detach().cpu().contiguous().reshape(-1)
        digest.update(f"T{value.dtype}{list(value.shape)}|".encode())
        digest.update(np.ascontiguousarray(flat.view(torch.uint8).numpy()).data)
    elif isinstance(value, dict):
        digest.update(f"D{len(value)}|".encode())
        for key, item in value.items():
            _digest_into(digest, key)
            _digest_into(digest, item)
    elif isinstance(value, (list, tuple)):
        digest.update(f"{type(value).__name__[0]}{len(value)}|".encode())
        for item in value:
            _digest_into(digest, item)
    else:
        digest.update(f"{type(value).__name__}:{value!r}|".encode())


def checksum(state_dict: dict, result: Any) -> str:
    """The SHA-256 of the weights' bytes and of the stored result."""
    digest = hashlib.sha256()
    _digest_into(digest, state_dict)
    _digest_into(digest, result)
    return digest.hexdigest()


def _read_regular(path: Path) -> bytes:
    """The bytes of ``path``, refusing what is not a regular file without opening
    it (then checked again on the open handle, in case it was swapped)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise UnusableCacheFile("it is not a regular file (a folder, FIFO or device)")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UnusableCacheFile("it is not a regular file")
        return handle.read()


def read(path: Path, key: str) -> dict:
    """What :func:`write` saved at ``path`` under ``key``, read onto the CPU.

    Raises :class:`UnusableCacheFile` for a file of another format, key or
    content; an error of ``torch.load`` (a pickle that is not weights) passes.
    """
    raw = _read_regular(path)
    saved = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    if (not isinstance(saved, dict) or not isinstance(saved.get("state_dict"), dict)
            or "sha256" not in saved):
        raise UnusableCacheFile("written by an older version of the course, "
                                "or no cache file")
    if saved.get("key") != key:
        raise UnusableCacheFile("saved for other settings or data: a renamed file")
    if saved["sha256"] != checksum(saved["state_dict"], saved.get("result")):
        raise UnusableCacheFile("its content does not match its checksum: "
                                "a damaged file")
    return saved


@contextlib.contextmanager
def training_lock(path: Path, on_wait: Callable[[], None] | None = None
                  ) -> Iterator[None]:
    """Hold an exclusive lock named after the cache file ``path`` while the body
    runs; when another process holds it, call ``on_wait()`` once and wait for it.
    Without ``fcntl`` (Windows), or when no lock file can be made, the body runs
    unlocked: a lock saves time, it is never needed for a correct result (files
    are written atomically)."""
    if fcntl is None:
        yield
        return
    name = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:24]
    folder = Path(tempfile.gettempdir()) / f"course-locks-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        handle = open(folder / f"{name}.lock", "a")
    except OSError:
        yield
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)  # an interrupt stops the wait
        except OSError:  # a file system without locks
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale(folder: Path) -> None:
    """Remove temporary files that crashed writers left more than an hour ago."""
    now = time.time()
    for leftover in folder.glob("*.tmp"):
        try:
            if now - leftover.lstat().st_mtime > STALE_SECONDS:
                leftover.unlink()
        except OSError:
            pass


def free_space(folder: Path) -> int | None:
    """Bytes free on the disk of ``folder`` (or of its nearest existing parent)."""
    for place in (folder, *folder.parents):
        try:
            return shutil.disk_usage(place).free
        except OSError:
            continue
    return None


def write(path: Path, key: str, state_dict: dict, result: Any) -> None:
    """Save ``state_dict`` and ``result`` (plain values, tensors) at ``path`` under
    ``key``, atomically. Raises what stopped it (``OSError``, torch's
    ``RuntimeError`` for a full disk, ...), after removing the temporary file."""
    content = {"state_dict": state_dict, "result": result, "key": key,
               "sha256": checksum(state_dict, result)}
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path.parent)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".",
                                    suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        torch.save(content, tmp)
        os.replace(tmp, path)  # atomic: no reader ever sees half a file
    finally:
        tmp.unlink(missing_ok=True)  # gone after os.replace; else the leftover


def save_or_warn(path: Path, state_dict: dict, result: Any,
                 stacklevel: int = 2) -> None:
    """:func:`write`, where a failed save (a full disk, a folder in the way, a
    result that cannot be stored) is one warning, never a lost model: it stays
    trained in memory, and no temporary file is left behind."""
    free = free_space(path.parent)  # before a partial file takes some
    try:
        write(path, path.stem, state_dict, result)
    except Exception as err:  # OSError, torch's RuntimeError, a pickling error
        needed = sum(v.numel() * v.element_size() for v in state_dict.values())
        if getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or (
                free is not None and free < needed + 2**16):
            # torch reports a full disk as "[enforce fail at inline_container.cc]"
            why = (f"the disk is full: {_megabytes(free)} free, the weights need "
                   f"{_megabytes(needed)}. Free some space or set COURSE_DATA_DIR "
                   "to a folder on another disk")
        else:
            reason = getattr(err, "strerror", None) or str(err).splitlines()[0]
            why = f"{type(err).__name__}: {reason}"
        warnings.warn(translate(
            f"Could not save the trained model to {path} ({why}); it is trained "
            "for this session but will be trained again next time."),
            stacklevel=stacklevel + 1)


def _megabytes(size: int | None) -> str:
    return "an unknown amount" if size is None else f"{size / 1e6:.1f} MB"
