"""Freed memory goes back to the system (course_utils.core.memory): after a large
temporary is freed, many medium blocks freed later must not stay resident."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys
import numpy as np
if sys.argv[1] == "course":
    import course_utils  # sets the allocator as every notebook's Setup cell does
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
big = np.ones(64 * 2**20 // 8); del big   # glibc now keeps blocks up to 64 MB
before = rss()
blocks = [np.ones(4 * 2**20 // 8) for _ in range(40)]   # 160 MB in 4 MB blocks
del blocks
from course_utils.core.memory import release
release()
print(rss() - before)
"""


def _kept_mb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True,
                          text=True, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_blocks_do_not_stay_resident():
    from course_utils.core import memory
    if not memory.compact_allocator():
        pytest.skip("not glibc")
    assert _kept_mb("course") < 40
