"""The course benchmark: ``python -m tests.benchmark`` from the repository root.

Measures what students feel: every notebook run in a fresh kernel in fast and
default mode (wall time, kernel CPU time, peak memory), the course VAE against
the classic pytorch/examples recipe trained in the same run, the linear
autoencoder's ratio to PCA and the sample-quality tables (what notebooks 02, 03,
06 and 07 record with ``course_utils.core.results.record``) and, with
``--with-tests``, the whole test suite; each against the course's targets
(``course_utils.tools.benchmark_report.TARGETS``). Writes ``RESULTS.md`` and
``results.json``, after every step, so an interrupted run still leaves a table.

A full run writes into ``tests/benchmark/`` (the committed table); a partial run
(``--notebooks``, ``--fast-only``, ...) writes into a temporary folder unless
``--out`` says where, so it never overwrites the committed table by accident.
``--combine`` merges the results of runs made side by side into one table.

The harness (running and measuring notebooks, the table) is
``course_utils.tools.benchmark`` and ``course_utils.tools.benchmark_report``; this
package adds the classic VAE recipe (``recipe``, the yardstick) and the course
VAE's comparison with it (``quality``).

Usage::

    python -m tests.benchmark --with-tests          # the full run
    python -m tests.benchmark --notebooks 06 --fast-only --skip-quality
    python -m tests.benchmark --help
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from course_utils.core.config import env_setting
from course_utils.tools import benchmark_report as report
from course_utils.tools.benchmark import (
    BenchmarkError,
    find_notebooks,
    linear_ae_ratio,
    run_floor,
    run_notebook,
    run_side_by_side,
    time_test_suite,
)

from .quality import vae_versus_recipe

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


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
    p.add_argument("--skip-contention", action="store_true",
                   help="skip the step that runs notebook 09 in fast mode twice "
                        "at once (its time alone comes from the notebook step, or "
                        "is measured first)")
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
    try:
        args.selected = find_notebooks(
            ROOT / "notebooks", args.notebooks.split(",") if args.notebooks else None,
            report.EXPECTED_NOTEBOOKS)
    except BenchmarkError as err:
        p.error(f"--notebooks: {err}")
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
                or args.skip_notebooks or args.skip_recipe or args.skip_quality
                or args.skip_contention)


def _log(text: str) -> None:
    print(f"[benchmark {time.strftime('%H:%M:%S')}] {text}", flush=True)


def _command(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return "python -m tests.benchmark" + (" " + " ".join(args) if args else "")


def _missing_row(number: str, mode: str) -> dict:
    return {"notebook": f"{number}_*.ipynb", "mode": mode, "status": "missing",
            "wall_seconds": None, "peak_rss_mb": None, "slowest_cells": []}


def _notebook_step(args, results: dict, loads: list, save) -> None:
    """Every wanted notebook in a fresh kernel, in each mode; saves after each.
    The figures come from what each notebook recorded (``core.results``)."""
    _log("the floor: a notebook with only the Setup cell ...")
    results["floor"] = run_floor(fast=True, threads=args.threads,
                                 timeout=args.timeout).to_dict()
    _log(f"  {results['floor']['status']}: {results['floor']['wall_seconds']} s")
    modes = [m for m, skip in (("fast", args.default_only),
                               ("default", args.fast_only)) if not skip]
    records_02: dict[str, dict] = {}
    for mode in modes:
        for number, path in args.selected:
            if path is None:
                _log(f"notebook {number}: missing")
                results["notebooks"].append(_missing_row(number, mode))
                continue
            _log(f"{path.name}, {mode} mode ...")
            keep = None
            if args.keep_executed:
                keep = Path(args.keep_executed) / f"executed-{mode}-{path.name}"
                keep.parent.mkdir(parents=True, exist_ok=True)
            loads.append(report.load_average())
            run = run_notebook(path, fast=mode == "fast", timeout=args.timeout,
                               threads=args.threads, keep_executed=keep)
            loads.append(report.load_average())
            _log(f"  {run.status}: {run.wall_seconds} s, peak "
                 f"{run.peak_rss_mb} MB" + (f" ({run.error})" if run.error else ""))
            for line in run.missing_records:
                _log(f"  {line}")
            results["notebooks"].append(run.to_dict())
            if number == "02":
                records_02[mode] = run.records
                results["linear_ae"] = linear_ae_ratio(records_02)
            save()


#: the notebook run twice at once: the slowest fast notebook, Python-bound
#: training loops that lose most when threads compete
CONTENTION_NOTEBOOK = "09"


def _contention_step(args, results: dict) -> None:
    """Notebook 09 in fast mode, two kernels at once (a student with two
    notebooks open, two students on one 2-core server), against its time alone."""
    found = dict(find_notebooks(ROOT / "notebooks", [CONTENTION_NOTEBOOK]))
    path = found.get(CONTENTION_NOTEBOOK)
    if path is None:
        return
    alone = next((r for r in results.get("notebooks", [])
                  if r["notebook"] == path.name and r["mode"] == "fast"
                  and r["status"] == "ok"), None)
    if alone is None:
        _log(f"{path.name}, fast mode, alone ...")
        alone = run_notebook(path, fast=True, timeout=args.timeout,
                             threads=args.threads).to_dict()
    _log(f"{path.name}, fast mode, twice at once ...")
    runs = run_side_by_side([path, path], fast=True, timeout=args.timeout,
                            threads=args.threads)
    rows = [{**run.to_dict(), "alone_seconds": alone["wall_seconds"]}
            for run in runs]
    ok = all(r["status"] == "ok" for r in rows) and alone["wall_seconds"]
    ratio = (max(r["wall_seconds"] for r in rows) / alone["wall_seconds"]
             if ok else None)
    results["contention"] = {
        "runs": rows, "ratio": round(ratio, 2) if ratio else None,
        "note": (f"Notebook {CONTENTION_NOTEBOOK} in fast mode, two fresh kernels "
                 f"started at once, each with the course's thread choice "
                 f"(threads: {args.threads or 'half the CPUs the kernel may use'}), "
                 "against its time alone: fair sharing of two cores would "
                 "double it.")}
    _log(f"  ratio {results['contention']['ratio']}")


def main(argv: list[str] | None = None) -> int:
    """Run the steps (VAE against the recipe, notebooks, test suite) and write the
    results after each one, so an interrupted run still leaves its table."""
    args = parse_args(argv)
    if args.combine:
        out_dir = Path(args.out) if args.out else HERE
        merged = report.combine(args.combine)
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
        results["vae"] = vae_versus_recipe(args.threads, skip_recipe=args.skip_recipe,
                                           log=_log)
        save()
    if not args.skip_notebooks:
        _notebook_step(args, results, loads, save)
    if not args.skip_contention and not args.skip_notebooks and (
            args.notebooks is None or CONTENTION_NOTEBOOK in args.notebooks) and (
            not args.default_only):
        _contention_step(args, results)
        save()
    if args.with_tests:
        # the load is sampled before the suite: its own two workers, each with its
        # torch threads, would otherwise read as other work on the machine
        save()
        results["test_suite"] = time_test_suite(ROOT, _log)
    results["in_progress"] = False
    save(sample_load=not args.with_tests)
    _log(f"wrote {out_dir / 'RESULTS.md'} and {out_dir / 'results.json'}")
    for row in report.summarise(results):
        _log(f"{row['target']}: {row['value']} (limit {row['limit']}): "
             f"{row['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
