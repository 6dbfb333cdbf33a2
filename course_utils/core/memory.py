"""Give freed memory back to the system, so that a notebook's resident memory
follows what it holds, not the most it ever held.

glibc's allocator (Linux: Binder, Colab, class servers) keeps what a process
frees for its next requests: after a large temporary (a float64 copy of the
training images, a batch of importance samples) the kernel still owns the
memory, and each later training raises the floor on which the next peak
stands. Two settings change that, for this process only:

- large blocks (1 MiB and up) come straight from the system and go back to it
  when freed (``M_MMAP_THRESHOLD``; glibc otherwise raises this threshold as the
  process frees large blocks, up to 32 MiB, and then keeps them);
- at most two allocation arenas (``M_ARENA_MAX``), not eight per core: memory
  freed in one thread's arena is not reused by another's.

:func:`release` hands back what is free now (``malloc_trim``); ``fit`` and the
model cache call it after training. Elsewhere (macOS, Windows, musl) all of it
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_ARENA_MAX = -8
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 20  # bytes

_LIBC = None
if sys.platform.startswith("linux"):
    try:
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        if not (hasattr(_LIBC, "mallopt") and hasattr(_LIBC, "malloc_trim")):
            _LIBC = None  # not glibc
    except OSError:
        _LIBC = None


def compact_allocator() -> bool:
    """Set the two allocator settings above; True where they took effect."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and _LIBC.mallopt(_M_ARENA_MAX, 2))


def release() -> None:
    """Give the memory that is free now back to the system (glibc's
    ``malloc_trim``); a few milliseconds."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
