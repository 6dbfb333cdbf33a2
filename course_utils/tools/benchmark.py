"""The benchmark harness: each notebook run as a student would, timed, measured.

A run (:func:`run_notebook`) gets a fresh kernel (through the one executor,
:func:`course_utils.tools.execute.execute`), ``COURSE_FAST`` set to the mode, the
trained-model cache turned off (``COURSE_NO_CACHE=1``, so no cache hides training
time) and an empty ``COURSE_DATA_DIR``; Fashion-MNIST comes from the system
package as usual.

The figures a notebook reports are read from its results file, not from its
variables: the kernel gets ``COURSE_RESULTS_FILE`` and the notebook calls
``course_utils.core.results.record(name, value)``. :data:`EXPECTED_RECORDS`
lists the names the benchmark reads; a missing one is reported as "notebook NN
recorded no `name`", never raised.

The command line is ``python -m tests.benchmark`` (it adds the classic VAE
recipe, the yardstick); the table is written by
:mod:`course_utils.tools.benchmark_report`.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from course_utils.core.cpus import cgroup_cpu_quota, kernel_threads, usable_cpus
from course_utils.core.errors import CourseError
from course_utils.core.results import RESULTS_ENV, read_results
from course_utils.tools.execute import Execution, execute
from course_utils.tools.notebooks import (
    NOTEBOOK_GLOB,
    cell_source,
    notebook_text,
    read_notebook,
)

#: The records the benchmark reads, by notebook number: name -> what it holds.
EXPECTED_RECORDS: dict[str, dict[str, str]] = {
    "02": {"linear_ae_pca_ratio": "linear AE test MSE / PCA test MSE"},
    "03": {"sanity": "sample-quality table of real and broken image sets"},
    "06": {"quality_table": "sample-quality table of the AE and VAE samplers",
           "test_loss": "the VAE's test negative ELBO (nats per image)"},
    "07": {"quality_table": "sample-quality table of the AE, VAE and GAN"},
    "08": {"quality_table": "sample-quality table of the DCGAN"},
    "09": {},
    "10": {"quality_table": "sample-quality table of the PixelCNN, VAE and GAN"},
}
LINEAR_RATIO = ("02", "linear_ae_pca_ratio")


class BenchmarkError(CourseError):
    """The benchmark was asked for something it cannot do."""


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
    records: dict = field(default_factory=dict)  # what the notebook recorded
    missing_records: list[str] = field(default_factory=list)  # "notebook NN ..."

    def to_dict(self) -> dict:
        return asdict(self)


def kernel_env(fast: bool, data_dir: str | Path, threads: int | None = None,
               seed: int | None = None, base: dict | None = None,
               results_file: str | Path | None = None) -> dict:
    """The environment of the kernel: the mode, no model cache, a fresh data folder,
    offline, a headless plotting backend; ``threads``, ``seed`` and the results
    file if given."""
    env = dict(os.environ if base is None else base)
    env.update({"COURSE_FAST": "1" if fast else "0", "COURSE_NO_CACHE": "1",
                "COURSE_DATA_DIR": str(data_dir), "COURSE_OFFLINE": "1",
                "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    for key in ("COURSE_THREADS", "COURSE_SEED", "COURSE_PRESENT", "COURSE_DEVICE",
                RESULTS_ENV):
        env.pop(key, None)
    if threads is not None:
        env["COURSE_THREADS"] = str(int(threads))
    if seed is not None:
        env["COURSE_SEED"] = str(int(seed))
    if results_file is not None:
        env[RESULTS_ENV] = str(results_file)
    return env


def missing_records(number: str, records: dict) -> list[str]:
    """One "notebook NN recorded no `name`" line per expected record not there."""
    return [f"notebook {number} recorded no `{name}`"
            for name in EXPECTED_RECORDS.get(number, {}) if name not in records]


# What the executed notebook says about its cells ----------------------------------


def _head(cell: dict) -> str:
    return next((ln for ln in cell_source(cell).splitlines() if ln.strip()), "")[:70]


def _cell_seconds(cell: dict) -> float | None:
    """Seconds a cell ran, from the timing nbclient records in its metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start = timing.get("iopub.execute_input") or timing.get("shell.execute_request")
    end = timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00"))
            - parse(start.replace("Z", "+00:00"))).total_seconds()


def slowest_cells(nb: dict, top: int = 3) -> list[dict]:
    """The ``top`` slowest code cells: index, seconds and the first source line."""
    rows = []
    for i, cell in enumerate(nb["cells"]):
        seconds = _cell_seconds(cell) if cell["cell_type"] == "code" else None
        if seconds is not None:
            rows.append({"cell": i, "seconds": round(seconds, 2), "head": _head(cell)})
    return sorted(rows, key=lambda r: -r["seconds"])[:top]


def memory_cells(nb: dict, hwm_after: list[tuple[int | None, int]],
                 top: int = 3) -> list[dict]:
    """The ``top`` cells that raised the kernel's peak memory most: index, the
    rise in MB, the peak after the cell, and the first source line.

    hwm_after: (cell index, kernel VmHWM in kB after that cell), in run order;
        a first entry with index None is the kernel before any cell ran.
    """
    rows, previous = [], 0
    for index, hwm in hwm_after:
        if previous and hwm > previous and index is not None and index < len(
                nb["cells"]):
            rows.append({"cell": index, "rise_mb": round((hwm - previous) / 1024, 1),
                         "peak_mb": round(hwm / 1024, 1),
                         "head": _head(nb["cells"][index])})
        previous = max(previous, hwm)
    return sorted(rows, key=lambda r: -r["rise_mb"])[:top]


# Running -------------------------------------------------------------------------


def _measured(run: NotebookRun, done: Execution) -> None:
    """Copy what the executor measured into ``run``."""
    run.status, run.error = done.status, done.error
    run.wall_seconds, run.cpu_seconds = done.wall_seconds, done.cpu_seconds
    if done.tree_peak_mb is not None:
        run.kernel_hwm_mb, run.tree_peak_mb = done.kernel_hwm_mb, done.tree_peak_mb
        run.peak_rss_mb = done.peak_rss_mb
    run.slowest_cells = slowest_cells(done.notebook)
    run.memory_cells = memory_cells(done.notebook, done.hwm_after)


def run_notebook(path: str | Path, fast: bool, timeout: int = 1800,
                 threads: int | None = None, seed: int | None = None,
                 keep_executed: str | Path | None = None) -> NotebookRun:
    """Execute ``path`` in a fresh kernel and return what was measured.

    fast: run in fast mode (``COURSE_FAST=1``) or in default mode.
    timeout: seconds allowed per cell.
    threads: ``COURSE_THREADS`` for the kernel (None: the course's own choice,
        :func:`cpus.kernel_threads`).
    seed: ``COURSE_SEED`` for the kernel (None: the notebook's own seed).
    keep_executed: if given, write the executed notebook there.
    """
    path = Path(path)
    run = NotebookRun(path.name, "fast" if fast else "default", "missing")
    if not path.is_file():
        return run
    nb = read_notebook(path)
    run.cells = len(nb["cells"])
    scratch = Path(tempfile.mkdtemp(prefix="course-bench-"))
    try:
        results_file = scratch / "results.json"
        env = kernel_env(fast, scratch / "data", threads, seed,
                         results_file=results_file)
        done = execute(nb, path.parent, env, timeout=timeout)
        run.records = read_results(results_file)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _measured(run, done)
    run.missing_records = missing_records(path.name[:2], run.records)
    if keep_executed:
        Path(keep_executed).write_text(notebook_text(done.notebook),
                                       encoding="utf-8")
    return run


FLOOR_SOURCE = """\
import numpy as np
import torch
import matplotlib.pyplot as plt
from course_utils import setup, pick
cfg = setup()
"""


def run_side_by_side(paths: list[str | Path], fast: bool, timeout: int = 1800,
                     threads: int | None = None) -> list[NotebookRun]:
    """Start every notebook of ``paths`` at once, each in its own fresh kernel,
    and measure each as :func:`run_notebook` does: what a student with two
    kernels open, or two students on one small server, meet."""
    from concurrent.futures import ThreadPoolExecutor  # only this step uses it

    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        futures = [pool.submit(run_notebook, path, fast, timeout, threads)
                   for path in paths]
        return [future.result() for future in futures]


def contention_lines(side: dict | None) -> list[str]:
    """The side-by-side runs: each notebook's time with the others against its
    time alone."""
    if not side:
        return []
    lines = ["", "## Two notebooks at once", "", side.get("note", ""), "",
             "| notebook | mode | alone | side by side | ratio | kernel CPU time |",
             "|---|---|---|---|---|---|"]
    for row in side.get("runs", []):
        alone, together = row.get("alone_seconds"), row.get("wall_seconds")
        ratio = (f"{together / alone:.2f}" if alone and together else "-")
        lines.append(f"| {row['notebook']} | {row['mode']} | "
                     f"{alone if alone is not None else '-'} s | "
                     f"{together if together is not None else row['status']} s | "
                     f"{ratio} | {row.get('cpu_seconds')} s |")
    return lines


def git_commit() -> str | None:
    """The short commit of this checkout, "+changes" when it has any; None outside
    a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True,
                               text=True, timeout=10,
                               cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


# Verdicts -----------------------------------------------------------------------



def machine_info(threads: int | None) -> dict:
    """CPU model, cores, memory, versions, torch threads and the load average."""
    import torch  # torch: heavy, and only this report of the machine needs it

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = usable_cpus()  # affinity, cut to the cgroup's CPU quota
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "cpu": cpu, "logical_cpus": os.cpu_count(), "usable_cpus": usable,
        "cpu_quota": cgroup_cpu_quota(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "memory_gb": mem_gb, "python": platform.python_version(),
        "torch": torch.__version__, "platform": platform.platform(),
        # what each notebook's kernel gets, not this process's own count
        "torch_threads": int(threads) if threads else kernel_threads(usable),
        "course_threads_env": threads, "git_commit": git_commit(),
    }


def run_floor(fast: bool = True, threads: int | None = None,
              timeout: int = 600) -> NotebookRun:
    """Run a notebook holding only the course's Setup cell (CONTRIBUTING.md): the
    time and memory every notebook pays before its first lesson cell."""
    import nbformat  # nbformat: heavy to import; only notebook files need it

    folder = Path(tempfile.mkdtemp(prefix="course-bench-floor-"))
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
        path = folder / "setup_only.ipynb"
        nbformat.write(nb, str(path))
        return run_notebook(path, fast=fast, timeout=timeout, threads=threads)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def find_notebooks(folder: str | Path, wanted: list[str] | None,
                   expected: tuple[str, ...] = ()) -> list[tuple[str, Path | None]]:
    """(number, path or None if missing) for each wanted notebook number, in order.

    wanted: numbers such as ``["01", "6"]``; None means every number in
    ``expected`` plus any other numbered notebook in ``folder``.
    """
    present = {p.name[:2]: p for p in sorted(Path(folder).glob(NOTEBOOK_GLOB))}
    if wanted is None:
        numbers = sorted(set(expected) | set(present))
    else:
        bad = [w for w in wanted if not w.strip().isdigit()]
        if bad:
            raise BenchmarkError(f"notebooks are given by number, such as 01,06; "
                                 f"got {bad[0]!r}")
        numbers = [f"{int(w):02d}" for w in wanted]
    return [(n, present.get(n)) for n in numbers]


def linear_ae_ratio(records_by_mode: dict[str, dict]) -> dict:
    """The linear AE / PCA test-MSE ratio that notebook 02 recorded (and asserts),
    in each mode it ran; the target applies to the default mode."""
    number, name = LINEAR_RATIO
    out: dict = {}
    for mode, records in records_by_mode.items():
        if isinstance(records.get(name), float):
            out[f"ratio_{mode}"] = records[name]
            out["source"] = f"notebook {number}, record `{name}`"
    out["ratio"] = out.get("ratio_default")
    if not out.get("source"):
        out["error"] = f"notebook {number} recorded no `{name}`"
    elif "ratio_fast" in out:
        out["source"] += f"; fast mode: {out['ratio_fast']:.5f}"
    return out


# The test suite ---------------------------------------------------------------


def readme_test_command(root: str | Path) -> list[str]:
    """The pytest part of README.md's test command (after its pip install),
    with this interpreter: the suite is timed exactly as students and CI run it."""
    readme = (Path(root) / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme,
                      re.S)
    if block is None:
        raise BenchmarkError("README.md shows no test command after "
                             "<!-- test-command -->")
    words = block.group(1).split("&&")[-1].split()
    if words[:3] != ["python", "-m", "pytest"]:
        raise BenchmarkError(f"unexpected README test command: {block.group(1)!r}")
    return [sys.executable, *words[1:], "-q"]


def time_test_suite(root: str | Path, log=print) -> dict:
    """Run the whole test suite as README says and time it."""
    cmd = readme_test_command(root)
    log("running the test suite: " + " ".join(cmd[1:]))
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    return {"command": "python " + " ".join(cmd[1:]), "returncode": proc.returncode,
            "wall_seconds": round(time.perf_counter() - start, 1),
            "summary": lines[-1] if lines else proc.stderr.strip()[-300:]}
