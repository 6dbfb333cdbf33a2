"""The CPUs a kernel may use: its affinity, cut to its cgroup's CPU quota (v1 and
v2, nested, and a container's cgroup mounted as the root)."""

from __future__ import annotations

import os

import pytest

from course_utils.core import cpus


def _tree(tmp_path, files: dict[str, str], proc: str):
    for name, text in files.items():
        path = tmp_path / "cg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "cgroup").write_text(proc)
    return tmp_path / "cg", tmp_path / "cgroup"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


@pytest.mark.parametrize(("files", "proc", "quota"), [
    ({}, "0::/\n", None),                                       # nothing readable
    ({"cpu.max": "max 100000\n"}, "0::/\n", None),              # v2, no limit
    ({"cpu.max": "150000 100000\n"}, "0::/\n", 1.5),            # v2 at the root
    ({"user/a/cpu.max": "max 100000", "user/cpu.max": "100000 100000"},
     "0::/user/a\n", 1.0),                                      # a parent's limit
    ({"cpu.max": "300000 100000"}, "0::/kubepods/pod1/c\n", 3.0),  # container root
    ({"unified/cpu.max": "50000 100000"}, "0::/\n", 0.5),       # hybrid layout
    ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"},
     "2:cpuacct:/\n1:cpu:/\n0::/\n", None),                     # v1, no limit
    ({"cpu,cpuacct/docker/x/cpu.cfs_quota_us": "200000",
      "cpu,cpuacct/docker/x/cpu.cfs_period_us": "100000"},
     "3:cpu,cpuacct:/docker/x\n", 2.0),                         # v1, nested
    ({"cpu.max": "garbage"}, "0::/\n", None),                   # unreadable value
])
def test_the_quota_is_read_from_cgroup_v1_and_v2(tmp_path, files, proc, quota):
    root, proc_file = _tree(tmp_path, files, proc)
    assert cpus.cgroup_cpu_quota(root, proc_file) == quota


def test_usable_cpus_is_the_quota_rounded_down_at_least_one(tmp_path):
    root, proc = _tree(tmp_path, {"cpu.max": "50000 100000"}, "0::/\n")
    assert cpus.usable_cpus(root, proc) == 1
    (root / "cpu.max").write_text("150000 100000")
    assert cpus.usable_cpus(root, proc) == 1
    (root / "cpu.max").write_text("6400000 100000")   # 64 CPUs granted
    assert cpus.usable_cpus(root, proc) == _cores()
    (root / "cpu.max").write_text("max 100000")
    assert cpus.usable_cpus(root, proc) == _cores()


def test_this_machine_gives_a_sensible_answer():
    assert 1 <= cpus.usable_cpus() <= (os.cpu_count() or 1)


def test_a_kernel_takes_half_the_usable_cpus_so_a_second_one_fits(monkeypatch):
    monkeypatch.setattr(cpus, "_TORCH_DEFAULT", 8)
    assert [cpus.kernel_threads(n) for n in (1, 2, 3, 4, 8, 64)] == [1, 1, 1, 2, 4, 8]
    monkeypatch.setattr(cpus, "_TORCH_DEFAULT", 1)   # torch's own choice caps it
    assert cpus.kernel_threads(8) == 1
