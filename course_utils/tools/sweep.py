"""Sweep a notebook's claims over seeds: is each claim true for every seed?

Every claim of a notebook is an ``assert``, and beside it the notebook records
the number it checks (``record("07.remedy_modes", remedy_modes)``, see
:mod:`course_utils.core.results`). A sweep runs each notebook once per seed and
mode in a fresh kernel (the one executor, :mod:`course_utils.tools.execute`),
with ``COURSE_SEED``, ``COURSE_FAST``, its own ``COURSE_RESULTS_FILE``, no model
cache, an empty ``COURSE_DATA_DIR`` and ``COURSE_THREADS=1``, and writes one
table per notebook and mode: each recorded number's minimum and maximum over the
seeds, and the seeds whose run failed, with the failing line::

    python -m course_utils.tools.sweep --seeds 0-19 --mode fast --notebooks 07 \\
        --jobs 2 --out sweep/

Each run is kept as ``DIR/NN-MODE/seed-S.json``; a later sweep into the same
folder reuses a run whose notebook's code has not changed since (comments and
markdown do not count; ``--rerun`` forces).
The tables are ``DIR/NN-MODE.md``, and every seed's records ``DIR/NN-MODE.json``;
the spread to write beside an assertion is the table's min-max (CONTRIBUTING.md,
"Sweeping a claim"). A sweep that the notebooks' prose quotes is committed under
``tests/sweeps/`` and checked there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from course_utils.core.errors import CourseError
from course_utils.core.results import read_results
from course_utils.tools.benchmark import kernel_env
from course_utils.tools.execute import execute, failing_cell
from course_utils.tools.notebooks import cell_source, read_notebook, select_notebooks

MODES = ("fast", "default")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class SweepError(CourseError):
    """A sweep was asked for something it cannot do."""


def parse_seeds(text: str) -> list[int]:
    """``"0-19"``, ``"3,7"`` or ``"0-4,7"``: the seeds, in order, each once."""
    seeds: list[int] = []
    for part in text.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
            raise SweepError(f"seeds are given as 0-19 or 3,7 or 0-4,7; got {text!r}")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        seeds += [s for s in range(low, high + 1) if s not in seeds]
    return seeds


def flatten(records: dict, prefix: str = "") -> dict[str, float]:
    """The numbers of a results file, nested dicts named with dots."""
    flat: dict[str, float] = {}
    for name, value in records.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{name}."))
        elif isinstance(value, (int, float)):
            flat[f"{prefix}{name}"] = float(value)
    return flat


def failing_line(nb: dict) -> str | None:
    """``cell N: <the source line that raised>`` from an executed notebook."""
    index = failing_cell(nb)
    if index is None:
        return None
    cell = nb["cells"][index]
    for out in cell.get("outputs", []):
        if out.get("output_type") != "error":
            continue
        text = _ANSI.sub("", "\n".join(out.get("traceback", [])))
        # IPython marks the raising line of each frame with "---->"; the first
        # frame is the cell itself
        marked = re.findall(r"^-+>\s*(\d+)\s*(.*)$", text, re.MULTILINE)
        if marked:
            number = int(marked[0][0])
            lines = cell_source(cell).splitlines()
            line = lines[number - 1] if 0 < number <= len(lines) else marked[0][1]
            return f"cell {index} line {number}: {line.strip()}"
    return f"cell {index}"


def run_one(path: str, seed: int, mode: str, out_dir: str, root: str) -> dict:
    """Run notebook ``path`` once with ``seed`` in ``mode``; the run's record."""
    path_ = Path(path)
    scratch = Path(tempfile.mkdtemp(prefix="course-sweep-"))
    try:
        results_file = scratch / "results.json"
        env = kernel_env(mode == "fast", scratch / "data", threads=1, seed=seed,
                         results_file=results_file)
        # the kernel imports the course_utils of this checkout, not an installed one
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (root, env.get("PYTHONPATH", "")) if p)
        done = execute(read_notebook(path_), path_.parent, env)
        records = flatten(read_results(results_file))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    run = {"notebook": path_.name, "seed": seed, "mode": mode, "status": done.status,
           "error": done.error, "line": failing_line(done.notebook),
           "wall_seconds": done.wall_seconds, "records": records,
           "notebook_hash": notebook_hash(path_)}
    (Path(out_dir) / f"seed-{seed}.json").write_text(json.dumps(run, indent=1))
    return run


def notebook_hash(path: Path) -> str:
    """A hash of the notebook's code, comment lines and markdown left out: editing
    the spread beside an assertion keeps the runs that measured it."""
    code = [line for cell in read_notebook(path)["cells"]
            if cell["cell_type"] == "code"
            for line in cell_source(cell).splitlines()
            if not line.strip().startswith("#") or line.startswith("#|")]
    return hashlib.sha256("\n".join(code).encode()).hexdigest()[:16]


# The table -------------------------------------------------------------------


def summarise(runs: list[dict]) -> dict:
    """Per recorded name: min, max and the seeds that recorded it; and the failed
    runs (seed, error, line). Runs of one notebook in one mode."""
    claims: dict[str, dict] = {}
    failed = []
    for run in sorted(runs, key=lambda r: r["seed"]):
        for name, value in run["records"].items():
            row = claims.setdefault(name, {"min": value, "max": value, "seeds": []})
            row["min"], row["max"] = min(row["min"], value), max(row["max"], value)
            row["seeds"].append(run["seed"])
        if run["status"] != "ok":
            failed.append({"seed": run["seed"], "error": run["error"],
                           "line": run["line"]})
    seeds = sorted(run["seed"] for run in runs)
    for row in claims.values():
        row["missing"] = [s for s in seeds if s not in row["seeds"]]
    return {"seeds": seeds, "claims": claims, "failed": failed,
            "wall_seconds": round(sum(r.get("wall_seconds") or 0 for r in runs), 1)}


def number(x: float) -> str:
    """Four significant digits; small and large numbers in scientific notation."""
    return f"{x:.4g}" if x == 0 or 1e-3 <= abs(x) < 1e5 else f"{x:.3e}"


def seed_text(seeds: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2,5"``."""
    parts: list[str] = []
    for s in sorted(seeds):
        if parts and parts[-1][1] == s - 1:
            parts[-1] = (parts[-1][0], s)
        else:
            parts.append((s, s))
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in parts)


def table(title: str, summary: dict) -> str:
    """The markdown table of one notebook in one mode."""
    lines = [f"## {title}", "",
             f"seeds {seed_text(summary['seeds'])} ({len(summary['seeds'])} runs, "
             f"{summary['wall_seconds']:.0f} s of kernel time)", "",
             "| record | min | max | not recorded by seeds |", "|---|---|---|---|"]
    for name, row in summary["claims"].items():
        lines.append(f"| {name} | {number(row['min'])} | {number(row['max'])} | "
                     f"{seed_text(row['missing'])} |")
    lines.append("")
    if summary["failed"]:
        lines += ["failed:", ""]
        lines += [f"- seed {f['seed']}: {f['line'] or ''} ({f['error']})"
                  for f in summary["failed"]]
    else:
        lines.append("every seed passed every assertion")
    return "\n".join(lines) + "\n"


def records_json(runs: list[dict]) -> str:
    """Every seed's recorded numbers (4 significant digits) and status, for the
    repository: what the notebooks' prose quotes from a sweep can be checked
    against it (tests/sweeps/)."""
    def short(value):
        return float(f"{value:.4g}") if isinstance(value, float) else value
    by_seed = {str(run["seed"]): {"status": run["status"], "records": {
        name: short(value) for name, value in sorted(run["records"].items())}}
        for run in sorted(runs, key=lambda run: run["seed"])}
    first = runs[0] if runs else {}
    return json.dumps({"notebook": first.get("notebook"), "mode": first.get("mode"),
                       "seeds": by_seed}, indent=1, ensure_ascii=False) + "\n"


# The command -----------------------------------------------------------------


def sweep(notebooks: list[Path], seeds: list[int], modes: list[str], out: Path,
          jobs: int = 1, rerun: bool = False, log=None) -> dict[str, dict]:
    """Run every notebook x mode x seed (reusing kept runs); write and return the
    summaries, by ``"NN-MODE"``."""
    log = log or (lambda text: print(text, flush=True))
    root = str(Path(__file__).resolve().parents[2])
    todo, kept = [], {}
    for path in notebooks:
        for mode in modes:
            key = f"{path.name[:2]}-{mode}"
            folder = out / key
            folder.mkdir(parents=True, exist_ok=True)
            for seed in seeds:
                old = folder / f"seed-{seed}.json"
                run = json.loads(old.read_text()) if old.is_file() else None
                if run and not rerun and run["notebook_hash"] == notebook_hash(path):
                    kept.setdefault(key, []).append(run)
                else:
                    todo.append((str(path), seed, mode, str(folder), root))
    log(f"{len(todo)} runs to do, {sum(map(len, kept.values()))} kept")
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_one, *args) for args in todo]
        for future in futures:
            run = future.result()
            kept.setdefault(f"{run['notebook'][:2]}-{run['mode']}", []).append(run)
            log(f"{run['notebook'][:2]} {run['mode']:7} seed {run['seed']:3}: "
                f"{run['status']} ({run['wall_seconds']:.0f} s) "
                f"{run['line'] or ''}")
    summaries = {}
    for key, runs in sorted(kept.items()):
        runs = [r for r in runs if r["seed"] in seeds]
        summaries[key] = summarise(runs)
        (out / f"{key}.md").write_text(table(key, summaries[key]))
        (out / f"{key}.json").write_text(records_json(runs))
    log(f"done in {time.perf_counter() - start:.0f} s; tables in {out}/")
    return summaries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.sweep",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-19", help="e.g. 0-19 or 0-4,7")
    parser.add_argument("--mode", choices=(*MODES, "both"), default="fast")
    parser.add_argument("--notebooks", default="",
                        help="numbers such as 03,07 (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel")
    parser.add_argument("--out", default="sweep", help="folder for runs and tables")
    parser.add_argument("--rerun", action="store_true", help="ignore kept runs")
    args = parser.parse_args(argv)
    try:
        names = [n for n in args.notebooks.split(",") if n.strip()]
        summaries = sweep(select_notebooks(names), parse_seeds(args.seeds),
                          list(MODES) if args.mode == "both" else [args.mode],
                          Path(args.out), jobs=args.jobs, rerun=args.rerun)
    except CourseError as err:
        print(f"sweep: {err}", file=sys.stderr)
        return 2
    for key, summary in summaries.items():
        print(table(key, summary))
    return 1 if any(s["failed"] for s in summaries.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
