"""How many CPUs this process may really use: the cores it is allowed to run on
(its affinity) and the CPU time its control group grants (the quota of cgroup
v1's ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` or cgroup v2's ``cpu.max``).

A class server, Binder and a container often show a process all of the node's
cores while granting it one or two CPUs' worth of time; torch, asked for one
thread per visible core, then runs more threads than it is given time for, and
its threads wait on each other (each slice of time one of them loses stalls the
others at the next barrier). The course asks for half of :func:`usable_cpus`
(:func:`kernel_threads`), so that a second kernel, a student's other notebook
or a neighbour on the server, fits beside it: measured on 2 cores (notebook 03,
fast mode), one thread took 18 s alone and 19 s with a second kernel beside it,
where two threads took 16 s alone and had not finished after 320 s beside
another two-thread kernel (OpenMP's threads spin while they wait).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")
_TORCH_DEFAULT: int | None = None  # torch's own thread count, read once


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _levels(base: Path, path: str) -> list[Path]:
    """``base/path`` and every folder above it up to ``base`` (a quota set on a
    parent holds for its children too)."""
    parts = [p for p in path.split("/") if p]
    return [base.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]


def _v2_quota(folder: Path) -> float | None:
    text = _read(folder / "cpu.max")  # "max 100000" or "150000 100000"
    if not text:
        return None
    fields = text.split()
    try:
        if fields[0] == "max":
            return None
        return int(fields[0]) / int(fields[1] if len(fields) > 1 else 100000)
    except (ValueError, ZeroDivisionError):
        return None


def _v1_quota(folder: Path) -> float | None:
    quota = _read(folder / "cpu.cfs_quota_us")
    period = _read(folder / "cpu.cfs_period_us")
    try:
        quota_us, period_us = int(quota or "-1"), int(period or "0")
    except ValueError:
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def cgroup_cpu_quota(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP
                     ) -> float | None:
    """The CPUs' worth of time this process's control group grants (1.5 means
    one and a half CPUs), the smallest over its cgroup and every cgroup above
    it, v1 or v2; None when no quota is set or nothing can be read."""
    found = []
    for line in (_read(proc_cgroup) or "").splitlines():
        hier, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hier == "0" and controllers == "":  # cgroup v2 (unified)
            bases, quota_of = [root, root / "unified"], _v2_quota
        elif "cpu" in controllers.split(","):   # cgroup v1, the cpu controller
            bases = [root / name for name in ("cpu", "cpu,cpuacct", "cpuacct,cpu")]
            quota_of = _v1_quota
        else:
            continue
        for base in bases:
            # the cgroup's folder and those above it; in a container the
            # cgroup's own folder is often mounted as the base itself
            for folder in _levels(base, path):
                quota = quota_of(folder)
                if quota is not None:
                    found.append(quota)
    return min(found) if found else None


def usable_cpus(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """The CPUs this process may keep busy: the cores of its affinity mask, cut
    to its cgroup's quota rounded down (a quota of 1.5 CPUs gives 1), at least
    1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # not on Linux
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_quota(root, proc_cgroup)
    if quota is not None:
        cores = min(cores, math.floor(quota))
    return max(1, cores)


def kernel_threads(usable: int | None = None) -> int:
    """Torch threads for one kernel: half the CPUs it may use (rounded down, at
    least 1), never more than torch's own choice (its physical cores)."""
    global _TORCH_DEFAULT
    if _TORCH_DEFAULT is None:  # torch's choice before the course changed it
        import torch  # only the choice itself needs torch; the quota does not

        _TORCH_DEFAULT = torch.get_num_threads()
    usable = usable_cpus() if usable is None else usable
    return max(1, min(usable // 2, _TORCH_DEFAULT))

