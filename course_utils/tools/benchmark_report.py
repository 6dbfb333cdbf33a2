"""The benchmark's targets, machine information and results table.

:func:`write_results` writes ``results.json`` and ``RESULTS.md`` (the table that
README links); :func:`combine` merges the results of several runs.
The figures the notebooks recorded (see :mod:`course_utils.core.results`) appear
under "Recorded by the notebooks", with a line for each expected record that a
notebook did not make.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from course_utils.tools.benchmark import (  # noqa: F401 - machine_info: its old home
    contention_lines,
    git_commit,
    machine_info,
)

# The issues' targets, on a 2-core CPU. Seconds and megabytes. The whole course
# had 300 s (default) and 120 s (fast) for notebooks 00-07; the issue that added
# 08-10 gave each of them 120 s and 30 s, so the totals grow by those budgets.
TARGETS = {
    "course_default_seconds": 300.0 + 3 * 120.0,  # whole course, default mode
    "course_fast_seconds": 120.0 + 3 * 30.0,  # whole course, fast mode
    "notebook_peak_mb": 1024.0,  # every notebook, either mode
    "test_suite_seconds": 300.0,  # the whole test suite
    "linear_ae_pca_ratio": 1.001,  # linear AE test MSE / PCA test MSE
    "vae_time_ratio": 0.5,  # course VAE time / recipe time (loss at most recipe's)
    "vae_time_ratio_stretch": 1 / 3,
    # two notebooks at once on the 2 cores: each may take this many times its
    # time alone (fair sharing gives 2; spinning threads gave 15)
    "contention_ratio": 2.5,
}

# The notebooks the course plans (spec), so a missing one is reported as missing.
EXPECTED_NOTEBOOKS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10",
                      "11", "12")

# Budgets of single notebooks (wall seconds, no model cache) by mode: the
# convolutional generators (08), the GAN family (09), the autoregressive
# models (10), normalizing flows (11) and diffusion models (12) were given
# these by their issue.
NOTEBOOK_BUDGETS = {nb: {"default": 120.0, "fast": 30.0}
                    for nb in ("08", "09", "10", "11", "12")}
# 09 fast took 29.6 s on an AMD CPU and 32.6-34.7 s on an Intel one against its
# 30 s: the portability issue asks for about 25 s, a margin for another CPU
NOTEBOOK_BUDGETS["09"]["fast"] = 25.0

# A machine counts as busy when its 1-minute load average exceeds what the
# benchmark itself puts on it (one kernel with its threads) by this much.
BUSY_MARGIN = 0.75


def load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages, or None where unknown."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def busy_warning(loads: list[list[float] | None], threads: int) -> str | None:
    """A warning when the 1-minute load average, sampled during the run, says
    other work shared the CPU (so the times are inflated); None otherwise."""
    seen = [x[0] for x in loads if x]
    if not seen:
        return None
    worst = max(seen)
    if worst <= threads + BUSY_MARGIN:
        return None
    return (f"The machine was busy: the 1-minute load average reached {worst:.1f} "
            f"while the benchmark itself needs about {threads} core(s). Other work "
            "shared the CPU, so wall times here are inflated; run the benchmark "
            "again on a quiet machine for numbers to compare with the targets.")


def verdict(value: float | None, limit: float, partial: bool = False) -> str:
    """'met', 'MISSED' or 'not measured' for ``value <= limit``; a total over a
    partial set of notebooks that meets the limit is marked as partial."""
    if value is None:
        return "not measured"
    if value > limit:  # a partial total above the limit is a miss already
        return "MISSED"
    return "met (partial)" if partial else "met"


def summarise(results: dict) -> list[dict]:
    """One row per target: name, measured value, limit, verdict."""
    rows = []
    for mode, key in (("default", "course_default_seconds"),
                      ("fast", "course_fast_seconds")):
        runs = [r for r in results.get("notebooks", []) if r["mode"] == mode]
        if not runs:
            continue
        ok = [r for r in runs if r["status"] == "ok"]
        total = sum(r["wall_seconds"] for r in ok) if ok else None
        cpu = sum(r.get("cpu_seconds") or 0.0 for r in ok)
        partial = len(ok) < len(runs)
        note = f"kernel CPU time {cpu:.0f} s" if ok else ""
        if partial:
            note += f"; only {len(ok)} of {len(runs)} notebooks ran"
        rows.append({"target": f"whole course, {mode} mode", "value": total,
                     "unit": "s", "limit": TARGETS[key],
                     "verdict": verdict(total, TARGETS[key], partial),
                     "note": note})
    for run in results.get("notebooks", []):
        budget = NOTEBOOK_BUDGETS.get(run["notebook"][:2], {}).get(run["mode"])
        if budget is None:
            continue
        value = run["wall_seconds"] if run["status"] == "ok" else None
        rows.append({"target": f"notebook {run['notebook'][:2]}, {run['mode']} mode",
                     "value": value, "unit": "s", "limit": budget,
                     "verdict": verdict(value, budget) if value is not None
                     else run["status"],
                     "note": (f"kernel CPU time {run['cpu_seconds']:.0f} s"
                              if run.get("cpu_seconds") else "")})
    peaks = [r["peak_rss_mb"] for r in results.get("notebooks", [])
             if r.get("peak_rss_mb") is not None]
    if peaks:
        worst = max(peaks)
        rows.append({"target": "peak memory of every notebook (largest)",
                     "value": worst, "unit": "MB",
                     "limit": TARGETS["notebook_peak_mb"],
                     "verdict": verdict(worst, TARGETS["notebook_peak_mb"]),
                     "note": ""})
    side = results.get("contention")
    if side:
        value = side.get("ratio")
        rows.append({"target": "two notebooks at once, slowest / alone",
                     "value": value, "unit": "", "limit": TARGETS["contention_ratio"],
                     "verdict": verdict(value, TARGETS["contention_ratio"])
                     if value is not None else "FAILED",
                     "note": side.get("note", "")})
    tests = results.get("test_suite")
    if not tests:
        rows.append({"target": "whole test suite", "value": None, "unit": "s",
                     "limit": TARGETS["test_suite_seconds"],
                     "verdict": "not measured", "note": "run with --with-tests"})
    else:
        rows.append({"target": "whole test suite", "value": tests.get("wall_seconds"),
                     "unit": "s", "limit": TARGETS["test_suite_seconds"],
                     "verdict": verdict(tests.get("wall_seconds"),
                                        TARGETS["test_suite_seconds"])
                     if tests.get("returncode") == 0 else "FAILED",
                     "note": tests.get("summary", "")})
    lin = results.get("linear_ae")
    if lin:
        value = lin.get("ratio")
        rows.append({"target": "linear AE / PCA test MSE", "value": value, "unit": "",
                     "limit": TARGETS["linear_ae_pca_ratio"],
                     "verdict": verdict(value, TARGETS["linear_ae_pca_ratio"]),
                     "note": lin.get("source", lin.get("error", ""))})
    vae = results.get("vae")
    if vae and vae.get("time_ratio") is not None:
        loss_ok = vae.get("loss_difference", float("inf")) <= 0
        value = vae["time_ratio"]
        word = verdict(value, TARGETS["vae_time_ratio"])
        if not loss_ok:
            word = "MISSED (loss above the recipe's)"
        elif value <= TARGETS["vae_time_ratio_stretch"]:
            word = "met (stretch too)"
        rows.append({"target": "course VAE time / recipe time, loss <= recipe's",
                     "value": value, "unit": "", "limit": TARGETS["vae_time_ratio"],
                     "verdict": word,
                     "note": f"CPU-time ratio {vae['cpu_ratio']:.2f}"
                     if vae.get("cpu_ratio") is not None else ""})
    return rows


# Writing ------------------------------------------------------------------------


def _fmt(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if unit == "":  # ratios: enough digits to compare with 1.001
        return f"{value:.5f}" if isinstance(value, float) else str(value)
    return f"{value:.{digits}f} {unit}"


def to_markdown(results: dict) -> str:
    """The results table that README links (tests/benchmark/RESULTS.md)."""
    m = results["machine"]
    lines = ["# Benchmark results", "",
             f"Measured {results['started']} (UTC) with `{results['command']}`, "
             f"commit {m.get('git_commit') or 'unknown'}.", "",
             f"Machine: {m['cpu']}, {m['usable_cpus']} usable of "
             f"{m['logical_cpus']} logical CPUs"
             + (f" (CPU quota {m['cpu_quota']:g})" if m.get("cpu_quota") else "")
             + f", {m['memory_gb']} GB RAM; "
             f"Python {m['python']}, torch {m['torch']}, "
             f"{m['torch_threads']} torch thread(s), OMP_WAIT_POLICY "
             f"{m.get('omp_wait_policy') or 'unset'}. Load average (1, 5, 15 min) "
             f"before: {results.get('load_before')}, after: "
             f"{results.get('load_after')}.", ""]
    if results.get("in_progress"):
        lines += ["> **Unfinished.** This run was interrupted or is still running: "
                  "the steps it did not reach are missing below.", ""]
    if results.get("busy_warning"):
        lines += [f"> **Warning.** {results['busy_warning']}", ""]
    for note in results.get("notes", []):
        lines += [f"> {note}", ""]
    lines += ["## Targets", "", "| target | measured | limit | verdict | note |",
              "|---|---|---|---|---|"]
    for row in summarise(results):
        lines.append(f"| {row['target']} | {_fmt(row['value'], row['unit'])} | "
                     f"{_fmt(row['limit'], row['unit'])} | {row['verdict']} | "
                     f"{row['note']} |")
    lines += ["", "## Notebooks (fresh kernel, no model cache)", "",
              "Wall time: from starting the kernel to the last cell's end, what a "
              "student waits. Kernel CPU time: CPU seconds of the kernel over all "
              "its threads; on a busy machine it is the better guide to what a "
              "quiet one would take. Peak memory: the kernel's peak resident set "
              "(with any child processes).", "",
              "| notebook | mode | status | wall time | kernel CPU time | peak memory "
              "| slowest cell | cell raising the peak most |",
              "|---|---|---|---|---|---|---|---|"]
    for r in results.get("notebooks", []):
        slow = r["slowest_cells"][0] if r.get("slowest_cells") else None
        slow_text = (f"{slow['seconds']:.1f} s, cell {slow['cell']} "
                     f"(`{slow['head'].replace('|', '/')}`)" if slow else "")
        big = r["memory_cells"][0] if r.get("memory_cells") else None
        big_text = (f"+{big['rise_mb']:.0f} MB to {big['peak_mb']:.0f} MB, cell "
                    f"{big['cell']} (`{big['head'].replace('|', '/')}`)" if big else "")
        status = r["status"] if not r.get("error") else f"{r['status']}: {r['error']}"
        lines.append(f"| {r['notebook']} | {r['mode']} | {status.replace('|', '/')} | "
                     f"{_fmt(r['wall_seconds'], 's')} | "
                     f"{_fmt(r.get('cpu_seconds'), 's')} | "
                     f"{_fmt(r['peak_rss_mb'], 'MB', 0)} | {slow_text} | "
                     f"{big_text} |")
    floor = results.get("floor")
    if floor and floor.get("status") == "ok":
        lines += ["", f"Floor: a notebook holding only the Setup cell (kernel start, "
                  f"imports of torch, numpy, matplotlib and course_utils, `setup()`) "
                  f"takes {floor['wall_seconds']:.1f} s wall, "
                  f"{floor['cpu_seconds']:.1f} s CPU and "
                  f"{floor['peak_rss_mb']:.0f} MB: every notebook pays it once."]
    lines += contention_lines(results.get("contention"))
    lines += _vae_lines(results.get("vae"))
    lines += _record_lines(results.get("notebooks", []))
    lines += _quality_lines(results.get("notebooks", []))
    lines += ["", "Produced by `python -m tests.benchmark` "
              "(see `python -m tests.benchmark --help`); the same numbers, with "
              "more detail, are in `results.json`.", ""]
    return "\n".join(lines)


def _vae_lines(vae: dict | None) -> list[str]:
    if not vae:
        return []
    lines = ["", "## Course VAE against the classic recipe (Fashion-MNIST, same run)",
             "", "Test loss: mean single-sample negative ELBO over the 10,000 test "
             "images, nats per image (lower is better).", "",
             "| model | test loss | training wall time | CPU time | setup |",
             "|---|---|---|---|---|"]
    r, c = vae.get("recipe"), vae.get("course", {})
    if r:
        s = r["settings"]
        lines.append(f"| classic recipe (pytorch/examples) | {r['test_loss']:.2f} | "
                     f"{r['train_seconds']:.1f} s | {r['cpu_seconds']:.1f} s | "
                     f"784-400-20, Adam {s['lr']:g}, batch {s['batch_size']}, "
                     f"{s['epochs']} epochs, DataLoader |")
    if c.get("status") == "ok":
        setup = ", ".join(f"{k} {v}" for k, v in c.get("recipe", {}).items())
        lines.append(f"| course VAE (course_utils.topics.vae) | {c['test_loss']:.2f} | "
                     f"{c['train_seconds']:.1f} s | {c['cpu_seconds']:.1f} s | "
                     f"{setup} |")
    elif c:
        lines.append(f"| course VAE | - | - | - | {c.get('status')}: "
                     f"{c.get('error', '')} |")
    if vae.get("time_ratio") is not None:
        lines += ["", f"Wall-time ratio course/recipe: {vae['time_ratio']:.3f}; "
                  f"CPU-time ratio: {vae['cpu_ratio']:.3f}; loss difference "
                  f"course - recipe: {vae['loss_difference']:+.2f} nats. Both ran "
                  f"with {vae['threads']} torch thread(s)."]
    return lines


def _is_table(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())


def _quality_lines(runs: list[dict]) -> list[str]:
    rows = []
    for r in runs:
        for table, entries in r.get("records", {}).items():
            if not _is_table(entries):
                continue
            for name, s in entries.items():
                rows.append(f"| {r['notebook']} | {r['mode']} | {table}: {name} | "
                            f"{s.get('confidence', float('nan')):.3f} | "
                            f"{s.get('entropy', float('nan')):.3f} | "
                            f"{s.get('diversity', float('nan')):.3f} | "
                            f"{s.get('frechet', float('nan')):.2f} | "
                            f"{s.get('n', '')} |")
    if not rows:
        return []
    return ["", "## Sample quality (the course metric, as computed in the notebooks)",
            "", "Confidence: mean top class probability; entropy: mean predictive "
            "entropy (nats); diversity: entropy of the predicted-class histogram "
            "(log 10 = 2.30 is best); Frechet: distance of classifier features to "
            "real test images (lower is better; compare equal n only).", "",
            "| notebook | mode | image set | confidence | entropy | diversity | "
            "Frechet | n |", "|---|---|---|---|---|---|---|---|", *rows]


def _record_lines(runs: list[dict]) -> list[str]:
    """The numbers the notebooks recorded, and the expected records they did not."""
    rows = [f"| {r['notebook']} | {r['mode']} | `{name}` | {value:.5g} |"
            for r in runs for name, value in r.get("records", {}).items()
            if isinstance(value, (int, float))]
    missing = [f"- {line} ({r['mode']} mode)" for r in runs
               for line in r.get("missing_records", [])]
    if not (rows or missing):
        return []
    lines = ["", "## Recorded by the notebooks", "",
             "Figures each notebook recorded with "
             "`course_utils.core.results.record` (tables are shown below)."]
    if rows:
        lines += ["", "| notebook | mode | record | value |", "|---|---|---|---|",
                  *rows]
    if missing:
        lines += ["", "Expected but not recorded:", "", *missing]
    return lines


def write_results(results: dict, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``results.json`` and ``RESULTS.md`` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {**results, "targets": TARGETS, "summary": summarise(results)}
    json_path, md_path = out_dir / "results.json", out_dir / "RESULTS.md"
    json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
    md_path.write_text(to_markdown(results))
    return json_path, md_path


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
        for key in ("vae", "linear_ae", "test_suite", "floor", "contention"):
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
    merged["notes"] = [f"Combined from {len(runs)} runs on the same machine "
                       "(started " + ", ".join(run["started"] for run in runs)
                       + "): a notebook's row is from the last run that measured "
                       "it; where runs overlapped, each run's times include the "
                       "load of the others."]
    return merged
