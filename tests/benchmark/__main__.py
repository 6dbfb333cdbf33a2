"""The course benchmark: ``python -m tests.benchmark`` from the repository root.

Measures what students feel: every notebook run in a fresh kernel in fast and
default mode (wall time, kernel CPU time, peak memory), the course VAE against
the classic pytorch/examples recipe trained in the same run, the linear
autoencoder's ratio to PCA and the sample-quality tables (read from the executed
notebooks 02, 03, 06, 07) and, with ``--with-tests``, the whole test suite; each
against the course's targets (``report.TARGETS``). Writes ``RESULTS.md`` and
``results.json``, after every step, so an interrupted run still leaves a table.

A full run writes into ``tests/benchmark/`` (the committed table); a partial run
(``--notebooks``, ``--fast-only``, ...) writes into a temporary folder unless
``--out`` says where, so it never overwrites the committed table by accident.
``--combine`` merges the results of runs made side by side into one table.

Usage::

    python -m tests.benchmark --with-tests          # the full run
    python -m tests.benchmark --notebooks 06 --fast-only --skip-quality
    python -m tests.benchmark --help
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from course_utils.core.config import env_setting

from . import report
from .quality import linear_ae_ratio
from .runner import run_floor, run_notebook

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def find_notebooks(wanted: list[str] | None) -> list[tuple[str, Path | None]]:
    """(number, path or None if missing) for each wanted notebook number, in order.

    wanted: numbers such as ``["01", "6"]``; None means every notebook of the
    course plan plus any other numbered notebook in ``notebooks/``.
    """
    files = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    present = {p.name[:2]: p for p in files}
    if wanted is None:
        numbers = sorted(set(report.EXPECTED_NOTEBOOKS) | set(present))
    else:
        numbers = []
        for w in wanted:
            if not w.strip().isdigit():
                raise SystemExit(f"--notebooks takes numbers such as 01,06; got {w!r}")
            numbers.append(f"{int(w):02d}")
    return [(n, present.get(n)) for n in numbers]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.benchmark",
                                description=__doc__.split("\n\n")[1])
    p.add_argument("--notebooks", help="comma-separated numbers, e.g. 01,06 "
                   "(default: all)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fast-only", action="store_true", help="fast mode only")
    mode.add_argument("--default-only", action="store_true",
                      help="default mode only")
    p.add_argument("--skip-notebooks", action="store_true",
                   help="do not run the notebooks (quality figures only)")
    p.add_argument("--skip-recipe", action="store_true",
                   help="do not train the classic recipe (no time ratio then)")
    p.add_argument("--skip-quality", action="store_true",
                   help="do not train the course VAE and the recipe")
    p.add_argument("--with-tests", action="store_true",
                   help="also time the whole test suite (the README's test command)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads for kernels and training (default: "
                   "COURSE_THREADS if set, else torch's default)")
    p.add_argument("--timeout", type=int, default=1800,
                   help="seconds allowed per notebook cell (default 1800)")
    p.add_argument("--out", help="folder for RESULTS.md and results.json "
                   "(default: tests/benchmark for a full run, a temporary folder "
                   "otherwise)")
    p.add_argument("--combine", nargs="+", metavar="RESULTS_JSON",
                   help="run nothing: merge the results.json files of runs made "
                   "side by side (e.g. the notebooks and the VAE step) into one "
                   "table, or re-render one (default --out: tests/benchmark)")
    p.add_argument("--note", action="append", default=[],
                   help="a sentence to print above the table (repeatable)")
    p.add_argument("--keep-executed", metavar="DIR",
                   help="also save the executed notebooks into DIR (not under "
                   "tests/: pytest would collect them)")
    args = p.parse_args(argv)
    if args.threads is None:
        args.threads = env_setting("COURSE_THREADS")  # None when unset
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    if args.keep_executed:
        kept = Path(args.keep_executed).resolve()
        for collected in (ROOT / "tests", ROOT / "notebooks"):
            if kept == collected or collected in kept.parents:
                p.error(f"--keep-executed: {collected.relative_to(ROOT)}/ is "
                        "collected by pytest; keep executed notebooks elsewhere")
    return args


def is_full_run(args: argparse.Namespace) -> bool:
    return not (args.notebooks or args.fast_only or args.default_only
                or args.skip_notebooks or args.skip_recipe or args.skip_quality)


def readme_test_command() -> list[str]:
    """The pytest part of README.md's test command (after its pip install),
    with this interpreter: the suite is timed exactly as students and CI run it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme,
                      re.S)
    if block is None:
        raise SystemExit("README.md shows no test command after <!-- test-command -->")
    words = block.group(1).split("&&")[-1].split()
    if words[:3] != ["python", "-m", "pytest"]:
        raise SystemExit(f"unexpected README test command: {block.group(1)!r}")
    return [sys.executable, *words[1:], "-q"]


def time_test_suite(log=print) -> dict:
    """Run the whole test suite as README says and time it."""
    cmd = readme_test_command()
    log("running the test suite: " + " ".join(cmd[1:]))
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    return {"command": "python " + " ".join(cmd[1:]), "returncode": proc.returncode,
            "wall_seconds": round(time.perf_counter() - start, 1),
            "summary": lines[-1] if lines else proc.stderr.strip()[-300:]}


def _log(text: str) -> None:
    print(f"[benchmark {time.strftime('%H:%M:%S')}] {text}", flush=True)


def _command(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return "python -m tests.benchmark" + (" " + " ".join(args) if args else "")


def _notebook_step(args, results: dict, loads: list,
                   scalars_02: dict, save) -> None:
    """Every wanted notebook in a fresh kernel, in each mode; saves after each."""
    log = _log
    log("the floor: a notebook with only the Setup cell ...")
    results["floor"] = run_floor(fast=True, threads=args.threads,
                                 timeout=args.timeout).to_dict()
    log(f"  {results['floor']['status']}: {results['floor']['wall_seconds']} s")
    wanted = args.notebooks.split(",") if args.notebooks else None
    modes = [m for m, skip in (("fast", args.default_only),
                               ("default", args.fast_only)) if not skip]
    for mode in modes:
        for number, path in find_notebooks(wanted):
            if path is None:
                log(f"notebook {number}: missing")
                results["notebooks"].append(
                    {"notebook": f"{number}_*.ipynb", "mode": mode,
                     "status": "missing", "wall_seconds": None,
                     "peak_rss_mb": None, "slowest_cells": []})
                continue
            log(f"{path.name}, {mode} mode ...")
            loads.append(report.load_average())
            keep = None
            if args.keep_executed:
                keep = Path(args.keep_executed) / f"executed-{mode}-{path.name}"
                keep.parent.mkdir(parents=True, exist_ok=True)
            run = run_notebook(path, fast=mode == "fast", timeout=args.timeout,
                               threads=args.threads, keep_executed=keep)
            loads.append(report.load_average())
            log(f"  {run.status}: {run.wall_seconds} s, peak "
                f"{run.peak_rss_mb} MB" + (f" ({run.error})" if run.error else ""))
            entry = run.to_dict()
            entry["probe"] = {"quality_tables": run.probe.get("quality_tables", {})}
            results["notebooks"].append(entry)
            if number == "02":
                scalars_02[mode] = run.probe.get("scalars", {})
                results["linear_ae"] = linear_ae_ratio(scalars_02)
            save()


def combine(paths: list[str | Path]) -> dict:
    """Merge the results of several runs into one: notebook rows from every run
    (a later run's row replaces an earlier one of the same notebook and mode,
    unless it only says "missing"), the other steps from the last run that has
    them; a note names the runs."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    merged = {k: v for k, v in runs[0].items() if k not in ("targets", "summary")}
    rows: dict[tuple[str, str], dict] = {}  # (mode, notebook number) -> row
    for run in runs:
        for row in run.get("notebooks", []):
            key = (row["mode"], row["notebook"][:2])
            if row["status"] != "missing" or key not in rows:
                rows[key] = row
        for key in ("vae", "linear_ae", "test_suite", "floor"):
            if run.get(key):
                merged[key] = run[key]
    order = {"fast": 0, "default": 1}
    merged["notebooks"] = [rows[k] for k in sorted(
        rows, key=lambda k: (order.get(k[0], 2), k[1]))]
    merged["load_samples"] = [x for run in runs for x in run.get("load_samples", [])]
    merged["load_after"] = runs[-1].get("load_after")
    merged["in_progress"] = any(run.get("in_progress") for run in runs)
    merged["busy_warning"] = next(
        (run["busy_warning"] for run in runs if run.get("busy_warning")), None)
    merged["command"] = "; ".join(run["command"] for run in runs)
    if len(runs) == 1:  # re-rendering one run's table
        return merged
    merged["notes"] = [f"Combined from {len(runs)} runs made side by side on the "
                       "same machine (started " + ", ".join(
                           run["started"] for run in runs) + "): each run's "
                       "times include the load of the others."]
    return merged


def main(argv: list[str] | None = None) -> int:
    """Run the steps (VAE against the recipe, notebooks, test suite) and write the
    results after each one, so an interrupted run still leaves its table."""
    args = parse_args(argv)
    if args.combine:
        out_dir = Path(args.out) if args.out else HERE
        merged = combine(args.combine)
        merged["notes"] = merged.get("notes", []) + args.note
        report.write_results(merged, out_dir)
        _log(f"wrote {out_dir / 'RESULTS.md'} and {out_dir / 'results.json'}")
        return 0
    out_dir = Path(args.out) if args.out else (
        HERE if is_full_run(args)
        else Path(tempfile.gettempdir()) / "course-benchmark")
    loads = [report.load_average()]
    results: dict = {
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "command": _command(argv), "machine": report.machine_info(args.threads),
        "load_before": loads[0], "notebooks": [], "notes": list(args.note),
        "in_progress": True}
    threads = args.threads or results["machine"]["torch_threads"]

    def save(sample_load: bool = True) -> None:
        if sample_load:
            results["load_after"] = report.load_average()
            loads.append(results["load_after"])
        results["load_samples"] = [x for x in loads if x]
        results["busy_warning"] = report.busy_warning(loads, threads)
        report.write_results(results, out_dir)

    if not args.skip_quality:  # first: the longest step, independent of notebooks
        from .quality import vae_versus_recipe

        results["vae"] = vae_versus_recipe(args.threads, skip_recipe=args.skip_recipe,
                                           log=_log)
        save()
    scalars_02: dict[str, dict] = {}
    if not args.skip_notebooks:
        _notebook_step(args, results, loads, scalars_02, save)
    if args.with_tests:
        # the load is sampled before the suite: its own two workers, each with its
        # torch threads, would otherwise read as other work on the machine
        save()
        results["test_suite"] = time_test_suite(_log)
    results["in_progress"] = False
    save(sample_load=not args.with_tests)
    _log(f"wrote {out_dir / 'RESULTS.md'} and {out_dir / 'results.json'}")
    for row in report.summarise(results):
        _log(f"{row['target']}: {row['value']} (limit {row['limit']}): "
             f"{row['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
