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


PEAK_SCRIPT = """
import sys
import torch
import course_utils  # noqa: F401
from course_utils.topics.likelihood import iwae_bound
from course_utils.topics.vae import VAE
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
torch.manual_seed(0)
model, x = VAE(784, (256, 128), 20).eval(), torch.rand(500, 784)
iwae_bound(model, x[:2], 2, likelihood=sys.argv[1])  # warm up the kernels
before = hwm()
iwae_bound(model, x, 30, likelihood=sys.argv[1])  # three chunks: the peak is one's
print(hwm() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status")
@pytest.mark.parametrize("likelihood", ["bernoulli", "continuous_bernoulli"])
def test_importance_sampling_stays_small(likelihood):
    """Notebook 06's bound on 500 grey test images (k = 30 here, three chunks; the
    peak is a chunk's, whatever k): its peak rose by 170 MB with
    the continuous Bernoulli (the default chunk made ten 16 MB temporaries)."""
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, likelihood],
                          capture_output=True, text=True, check=True)
    assert int(done.stdout.split()[-1]) < 100
