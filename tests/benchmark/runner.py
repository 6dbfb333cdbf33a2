"""Run one notebook as a student would: a fresh kernel, top to bottom, timed.

Each run gets a fresh kernel, ``COURSE_FAST`` set to the mode, the trained-model
cache turned off (``COURSE_NO_CACHE=1``, so no cache hides training time) and an
empty ``COURSE_DATA_DIR``; Fashion-MNIST comes from the system package as usual.

Peak memory: the kernel's own peak resident set (``VmHWM`` in
``/proc/<pid>/status``, read after every cell while the kernel lives), and the
peak of the summed resident sets of the kernel and its child processes (data
loader workers, for example), sampled every ``SAMPLE_SECONDS``. The larger of
the two is reported. Without ``/proc`` (macOS, Windows) memory is not measured.

After the notebook's last cell, one extra cell (the *probe*) prints, as JSON, the
sample-quality tables (``course_utils.topics.quality.QualityTable``) and the numeric
scalars that the notebook left in its global namespace, so the benchmark reports
the notebooks' own numbers without training anything again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.1
PROBE_MARK = "COURSE-BENCHMARK-PROBE "
PROBE_SOURCE = f'''\
def _course_benchmark_probe():
    import numbers
    import sys
    tables, scalars = {{}}, {{}}
    metrics = sys.modules.get("course_utils.topics.quality")  # never import it here
    QualityTable = getattr(metrics, "QualityTable", ())
    for name, value in list(globals().items()):
        if name.startswith("_"):
            continue
        if QualityTable and isinstance(value, QualityTable):
            tables[name] = value.rows
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            scalars[name] = float(value)
        elif getattr(value, "shape", None) == () and hasattr(value, "item"):
            try:
                scalars[name] = float(value.item())
            except (TypeError, ValueError):
                pass
    return {{"quality_tables": tables, "scalars": scalars}}
print({PROBE_MARK!r} + __import__("json").dumps(_course_benchmark_probe(),
                                                default=float))
del _course_benchmark_probe
'''


@dataclass
class NotebookRun:
    """What one fresh-kernel run of one notebook measured."""

    notebook: str  # file name, e.g. "06_variational_autoencoder.ipynb"
    mode: str  # "fast" or "default"
    status: str  # "ok", "error", "missing", "timeout"
    wall_seconds: float | None = None  # kernel start to last cell done
    cpu_seconds: float | None = None  # CPU time of the kernel (all its threads)
    peak_rss_mb: float | None = None  # max(kernel VmHWM, sampled tree peak)
    kernel_hwm_mb: float | None = None
    tree_peak_mb: float | None = None
    cells: int = 0
    slowest_cells: list[dict] = field(default_factory=list)  # index, seconds, head
    memory_cells: list[dict] = field(default_factory=list)  # cells raising the peak
    error: str | None = None  # the failing cell and the exception, when not ok
    probe: dict = field(default_factory=dict)  # what the probe cell printed

    def to_dict(self) -> dict:
        return asdict(self)


# Memory of a process tree, from /proc ------------------------------------------


def _status_kb(pid: int, key: str) -> int | None:
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
    fields = text.rsplit(")", 1)[1].split()  # fields after the command name
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
    own = _status_kb(pid, "VmRSS")
    if own is None:
        return None
    return own + sum(_status_kb(k, "VmRSS") or 0 for k in children(pid))


class MemorySampler(threading.Thread):
    """Samples :func:`tree_rss_kb` of a process every ``interval`` seconds and
    keeps the peak; ``hwm_kb`` keeps the largest ``VmHWM`` seen by :meth:`poll`."""

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
        hwm = _status_kb(self.pid, "VmHWM")
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


# Running a notebook -------------------------------------------------------------


def kernel_env(fast: bool, data_dir: str | Path, threads: int | None = None,
               seed: int | None = None, base: dict | None = None) -> dict:
    """The environment of the kernel: the mode, no model cache, a fresh data folder,
    offline, a headless plotting backend; ``threads`` and ``seed`` if given."""
    env = dict(os.environ if base is None else base)
    env.update({
        "COURSE_FAST": "1" if fast else "0",
        "COURSE_NO_CACHE": "1",
        "COURSE_DATA_DIR": str(data_dir),
        "COURSE_OFFLINE": "1",
        "MPLBACKEND": "Agg",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    for key in ("COURSE_THREADS", "COURSE_SEED", "COURSE_PRESENT", "COURSE_DEVICE"):
        env.pop(key, None)
    if threads is not None:
        env["COURSE_THREADS"] = str(int(threads))
    if seed is not None:
        env["COURSE_SEED"] = str(int(seed))
    return env


def parse_probe(outputs: list) -> dict:
    """The JSON that the probe cell printed (empty dict if none)."""
    for out in outputs:
        text = out.get("text", "") if out.get("output_type") == "stream" else ""
        for line in text.splitlines():
            if line.startswith(PROBE_MARK):
                try:
                    return json.loads(line[len(PROBE_MARK):])
                except json.JSONDecodeError:
                    return {}
    return {}


def _cell_seconds(cell) -> float | None:
    """Seconds a cell ran, from the timing nbclient records in its metadata."""
    from datetime import datetime

    timing = cell.get("metadata", {}).get("execution", {})
    start = timing.get("iopub.execute_input") or timing.get("shell.execute_request")
    end = timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00"))
            - parse(start.replace("Z", "+00:00"))).total_seconds()


def slowest_cells(nb, top: int = 3) -> list[dict]:
    """The ``top`` slowest code cells: index, seconds and the first source line."""
    rows = []
    for i, cell in enumerate(nb.cells):
        seconds = _cell_seconds(cell) if cell.cell_type == "code" else None
        if seconds is not None:
            head = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            rows.append({"cell": i, "seconds": round(seconds, 2), "head": head[:70]})
    return sorted(rows, key=lambda r: -r["seconds"])[:top]


def memory_cells(nb, hwm_after: list[tuple[int, int]], top: int = 3) -> list[dict]:
    """The ``top`` cells that raised the kernel's peak memory most: index, the
    rise in MB, the peak after the cell, and the first source line.

    hwm_after: (cell index, kernel VmHWM in kB after that cell), in run order;
        a first entry with index None is the kernel before any cell ran.
    """
    rows, previous = [], 0
    for index, hwm in hwm_after:
        if previous and hwm > previous and index is not None and index < len(
                nb.cells):
            head = next((ln for ln in nb.cells[index].source.splitlines()
                         if ln.strip()), "")
            rows.append({"cell": index, "rise_mb": round((hwm - previous) / 1024, 1),
                         "peak_mb": round(hwm / 1024, 1), "head": head[:70]})
        previous = max(previous, hwm)
    return sorted(rows, key=lambda r: -r["rise_mb"])[:top]


def run_notebook(path: str | Path, fast: bool, timeout: int = 1800,
                 threads: int | None = None, seed: int | None = None,
                 probe: bool = True, keep_executed: str | Path | None = None
                 ) -> NotebookRun:
    """Execute ``path`` in a fresh kernel and return what was measured.

    fast: run in fast mode (``COURSE_FAST=1``) or in default mode.
    timeout: seconds allowed per cell.
    threads: ``COURSE_THREADS`` for the kernel (None: torch's default).
    seed: ``COURSE_SEED`` for the kernel (None: the notebook's own seed).
    probe: append the probe cell that reports the notebook's quality tables.
    keep_executed: if given, write the executed notebook there.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    path = Path(path)
    mode = "fast" if fast else "default"
    if not path.is_file():
        return NotebookRun(path.name, mode, "missing")
    nb = nbformat.read(path, as_version=4)
    n_cells = len(nb.cells)
    if probe:
        nb.cells.append(nbformat.v4.new_code_cell(PROBE_SOURCE))
    data_dir = tempfile.mkdtemp(prefix="course-bench-data-")
    sampler: list[MemorySampler] = []

    hwm_after: list[tuple[int, int]] = []  # (cell index, kernel VmHWM in kB)

    def on_cell_executed(cell_index=None, **_):
        if sampler:
            sampler[0].poll()
            hwm_after.append((cell_index, sampler[0].hwm_kb))

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            record_timing=True, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_executed=on_cell_executed)

    def on_cell_start(**_):  # the kernel exists by the first cell: start sampling
        if sampler:
            return
        try:
            pid = client.km.provisioner.process.pid
        except AttributeError:  # a provisioner without a local process
            return
        sampler.append(MemorySampler(pid))
        sampler[0].poll()
        hwm_after.append((None, sampler[0].hwm_kb))  # the kernel before any cell
        sampler[0].start()

    client.on_cell_start = on_cell_start
    run = NotebookRun(path.name, mode, "ok", cells=n_cells)
    start = time.perf_counter()
    try:
        client.execute(env=kernel_env(fast, data_dir, threads, seed))
    except CellTimeoutError as err:
        run.status, run.error = "timeout", _short(err)
    except CellExecutionError as err:
        run.status, run.error = "error", _short(err)
    except Exception as err:  # kernel died, could not start, ...
        run.status, run.error = "error", f"{type(err).__name__}: {_short(err)}"
    finally:
        run.wall_seconds = round(time.perf_counter() - start, 2)
        if sampler:
            sampler[0].stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    if sampler and sampler[0].peak_kb:
        run.kernel_hwm_mb = round(sampler[0].hwm_kb / 1024, 1)
        run.tree_peak_mb = round(sampler[0].peak_kb / 1024, 1)
        run.peak_rss_mb = max(run.kernel_hwm_mb, run.tree_peak_mb)
        run.cpu_seconds = round(sampler[0].cpu_seconds, 2)
    if probe and run.status == "ok":
        run.probe = parse_probe(nb.cells[-1].get("outputs", []))
        nb.cells.pop()
    if run.status == "error":
        run.error = f"cell {_failing_cell(nb)}: {run.error}"
    run.slowest_cells = slowest_cells(nb)
    run.memory_cells = memory_cells(nb, hwm_after)
    if keep_executed:
        nbformat.write(nb, str(keep_executed))
    return run


FLOOR_SOURCE = """\
import numpy as np
import torch
import matplotlib.pyplot as plt
from course_utils import setup, pick
cfg = setup()
"""


def run_floor(fast: bool = True, threads: int | None = None,
              timeout: int = 600) -> NotebookRun:
    """Run a notebook holding only the course's Setup cell (CONTRIBUTING.md): the
    time and memory every notebook pays before its first lesson cell."""
    import nbformat

    folder = Path(tempfile.mkdtemp(prefix="course-bench-floor-"))
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
        path = folder / "setup_only.ipynb"
        nbformat.write(nb, str(path))
        return run_notebook(path, fast=fast, timeout=timeout, threads=threads,
                            probe=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _failing_cell(nb) -> int | None:
    """Index of the last code cell that has an error output."""
    for i in range(len(nb.cells) - 1, -1, -1):
        cell = nb.cells[i]
        if cell.cell_type == "code" and any(
                o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    return None


def _short(err: BaseException, limit: int = 400) -> str:
    """The last line of an error's text (the exception and its message), cut."""
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    lines = [ln for ln in ansi.sub("", str(err)).strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else type(err).__name__)[:limit]
