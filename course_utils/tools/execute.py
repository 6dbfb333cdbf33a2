"""The one notebook executor: a notebook run top to bottom in a fresh kernel.

Publishing (slides and HTML pages show a notebook's outputs) and the benchmark
(time and memory of each notebook) both run notebooks with :func:`execute`. It
never raises for a failing cell: the returned :class:`Execution` says whether
the run was ``"ok"``, ended in an ``"error"`` or a ``"timeout"``, and which cell
failed.

Measured on the way: the wall time from starting the kernel to the end of the
last cell; with ``/proc`` (Linux) also the kernel's CPU time, its own peak
resident set (``VmHWM``, read after every cell) and the peak of the summed
resident sets of the kernel and its child processes (data loader workers, for
example), sampled every :data:`SAMPLE_SECONDS`. Elsewhere those stay None.
"""

from __future__ import annotations

import copy
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.1

#: The kernel's own log shows errors only: its warning that it "is running over
#: TCP without encryption", printed once per notebook by every export, is noise
#: here (the kernel listens on 127.0.0.1, for this process alone). A cell's
#: warnings (Python's ``warnings``) are output of the notebook and stay.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]


@dataclass
class Execution:
    """One run of a notebook: the executed copy and what was measured."""

    notebook: dict  # the executed copy, outputs and nbclient's timings included
    status: str  # "ok", "error" or "timeout"
    error: str | None = None  # "cell N: Name: message" when not ok
    wall_seconds: float = 0.0  # kernel start to the last cell's end
    cpu_seconds: float | None = None  # CPU time of the kernel, all its threads
    kernel_hwm_mb: float | None = None  # the kernel's own peak resident set
    tree_peak_mb: float | None = None  # peak of kernel + children, sampled
    #: (cell index, kernel VmHWM in kB after that cell), in run order; the first
    #: entry, with index None, is the kernel before any cell ran.
    hwm_after: list[tuple[int | None, int]] = field(default_factory=list)

    @property
    def peak_rss_mb(self) -> float | None:
        """The larger of the two memory peaks (None where not measured)."""
        seen = [m for m in (self.kernel_hwm_mb, self.tree_peak_mb) if m is not None]
        return max(seen) if seen else None


# Memory and CPU of a process tree, from /proc -------------------------------------


def status_kb(pid: int, key: str) -> int | None:
    """A ``kB`` field (``VmRSS``, ``VmHWM``) of ``/proc/<pid>/status``, or None."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{key}:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, seconds) that ``pid`` and its waited-for children
    have used so far, from ``/proc/<pid>/stat``; None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the fields after the command name
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from ``/proc/<pid>/task/*/children``)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


def tree_rss_kb(pid: int) -> int | None:
    """Summed resident set (kB) of ``pid`` and its descendants, None if gone."""
    own = status_kb(pid, "VmRSS")
    if own is None:
        return None
    return own + sum(status_kb(k, "VmRSS") or 0 for k in children(pid))


class MemorySampler(threading.Thread):
    """Samples :func:`tree_rss_kb` of a process every ``interval`` seconds and
    keeps the peak; :meth:`poll` also keeps the largest ``VmHWM`` and CPU time."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.hwm_kb = 0
        self.cpu_seconds = 0.0
        self._stop_event = threading.Event()

    def poll(self) -> None:
        rss = tree_rss_kb(self.pid)
        if rss is not None:
            self.peak_kb = max(self.peak_kb, rss)
        hwm = status_kb(self.pid, "VmHWM")
        if hwm is not None:
            self.hwm_kb = max(self.hwm_kb, hwm)
        cpu = cpu_seconds(self.pid)
        if cpu is not None:
            self.cpu_seconds = max(self.cpu_seconds, cpu)

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.poll()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


# Running -----------------------------------------------------------------------


def failing_cell(nb: dict) -> int | None:
    """Index of the last code cell that has an error output (None: none has)."""
    for i in range(len(nb["cells"]) - 1, -1, -1):
        cell = nb["cells"][i]
        if cell["cell_type"] == "code" and any(
                o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    return None


def error_line(err: BaseException, limit: int = 400) -> str:
    """One line for a failed run: the exception's name and message."""
    if getattr(err, "ename", None):  # nbclient's CellExecutionError
        text = f"{err.ename}: {err.evalue}"
    else:
        lines = [ln for ln in str(err).strip().splitlines() if ln.strip()]
        text = f"{type(err).__name__}: {lines[-1]}" if lines else type(err).__name__
    return re.sub(r"\x1b\[[0-9;]*m", "", text).strip()[:limit]


class _Watch:
    """nbclient's hooks: starts the sampler with the kernel, polls after cells."""

    def __init__(self, client, sample_memory: bool):
        self.client, self.sample_memory = client, sample_memory
        self.sampler: MemorySampler | None = None
        self.hwm_after: list[tuple[int | None, int]] = []

    def on_cell_start(self, **_) -> None:  # the kernel exists by the first cell
        if self.sampler or not self.sample_memory:
            return
        try:
            pid = self.client.km.provisioner.process.pid
        except AttributeError:  # a provisioner without a local process
            return
        self.sampler = MemorySampler(pid)
        self.sampler.poll()
        self.hwm_after.append((None, self.sampler.hwm_kb))
        self.sampler.start()

    def on_cell_executed(self, cell_index: int | None = None, **_) -> None:
        if self.sampler:
            self.sampler.poll()
            self.hwm_after.append((cell_index, self.sampler.hwm_kb))

    def finish(self, run: Execution) -> None:
        if not self.sampler:
            return
        self.sampler.stop()
        run.hwm_after = self.hwm_after
        if self.sampler.peak_kb:
            run.kernel_hwm_mb = round(self.sampler.hwm_kb / 1024, 1)
            run.tree_peak_mb = round(self.sampler.peak_kb / 1024, 1)
            run.cpu_seconds = round(self.sampler.cpu_seconds, 2)


def execute(nb: dict, workdir: str | Path, env: Mapping[str, str] | None = None,
            timeout: int = 1800, sample_memory: bool = True) -> Execution:
    """Run a copy of ``nb`` top to bottom in a fresh ``python3`` kernel.

    workdir: the kernel's working folder (a notebook's own folder, usually).
    env: the kernel's whole environment (default: this process's).
    timeout: seconds allowed per cell.
    sample_memory: sample the kernel's memory and CPU time (Linux only).
    """
    # nbformat, nbclient: heavy to import (jsonschema, zmq); only running needs them
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    nb = nbformat.from_dict(copy.deepcopy(nb))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            record_timing=True, allow_errors=False,
                            resources={"metadata": {"path": str(workdir)}},
                            extra_arguments=KERNEL_ARGUMENTS)
    watch = _Watch(client, sample_memory)
    client.on_cell_start = watch.on_cell_start
    client.on_cell_executed = watch.on_cell_executed
    run = Execution(nb, "ok")
    start = time.perf_counter()
    try:
        client.execute(env=dict(os.environ if env is None else env))
    except CellTimeoutError as err:
        run.status, run.error = "timeout", error_line(err)
    except Exception as err:  # a failing cell, a kernel that died or never started
        run.status, run.error = "error", error_line(err)
        cell = failing_cell(nb)
        if cell is not None:
            run.error = f"cell {cell}: {run.error}"
    finally:
        run.wall_seconds = round(time.perf_counter() - start, 2)
        watch.finish(run)
    return run
