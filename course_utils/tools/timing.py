"""Measure how long each section of a notebook takes, and write it into the
notebook's objectives.

A section's time is measured, not guessed, from two parts:

- running: every code cell is executed (default mode unless ``COURSE_FAST`` is
  set) and its wall-clock time is summed per ``## `` section;
- reading: the words of the section's markdown and code, at ``WPM`` words per
  minute (technical text with formulas and code reads slowly).

The Exercises section adds, for each exercise, its task's reading time plus an
allowance for doing it (``DOING``, minutes by kind). The allowance is the one
part that is not measured here; replace it with times measured with students.

Usage (from the repository root)::

    python -m course_utils.tools.timing notebooks/01_*.ipynb           # print
    python -m course_utils.tools.timing --write notebooks/01_*.ipynb   # and write

``--write`` replaces the paragraph that starts with ``**Time**`` in the "What you
will learn" cell (or adds one after its bullets). Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

from course_utils.core.errors import CourseError
from course_utils.tools.guard import Guard, cells_part
from course_utils.tools.notebooks import cell_source, cell_tags, load_notebook

WPM = 120
DOING = {"predict": 2, "think": 5, "explore": 8, "implement": 10, "derive": 12}
MARK = "**Time**"


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _cell_seconds(cell: dict) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].rstrip("Z"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].rstrip("Z"))
    except (KeyError, ValueError):
        return 0.0
    return max((end - start).total_seconds(), 0.0)


def execute(path: Path) -> dict:
    """The notebook, executed in place of its folder, with per-cell timings."""
    import nbformat  # the tests' and JupyterLab's dependency, not the course's
    from nbclient import NotebookClient  # (same)

    nb = nbformat.from_dict(load_notebook(path))  # one line when it is none
    client = NotebookClient(nb, timeout=1200, kernel_name="python3",
                            allow_errors=True, record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return json.loads(nbformat.writes(nb))


def sections(nb: dict) -> list[dict]:
    """Per ``## `` section: title, run seconds, reading minutes, doing minutes."""
    out: list[dict] = []
    for cell in nb["cells"]:
        src = cell_source(cell)
        if cell["cell_type"] == "markdown" and src.startswith("## "):
            out.append({"title": src.splitlines()[0][3:].strip(), "run": 0.0,
                        "words": 0, "doing": 0})
        if not out or "solution" in cell_tags(cell):
            continue  # before the first section; solutions are not read by students
        part = out[-1]
        part["words"] += _words(src)
        if cell["cell_type"] == "code":
            part["run"] += _cell_seconds(cell)
        for tag in cell_tags(cell):
            if tag.startswith("kind-"):
                part["doing"] += DOING[tag[5:]]
    for part in out:
        part["minutes"] = part["run"] / 60 + part["words"] / WPM + part["doing"]
    return out


def _label(title: str) -> str:
    number = re.match(r"(\d+)\.", title)
    return f"§{number.group(1)}" if number else title.lower()


def benchmark_seconds(name: str, root: Path) -> float | None:
    """The notebook's default-mode wall time in tests/benchmark/RESULTS.md."""
    try:
        text = (root / "tests" / "benchmark" / "RESULTS.md").read_text("utf-8")
    except OSError:
        return None
    match = re.search(rf"^\| {re.escape(name)} \| default \| ok \| ([\d.]+) s", text,
                      re.M)
    return float(match.group(1)) if match else None


def static_paragraph(parts: list[dict], seconds: float | None) -> str:
    """The time from reading and doing only, when the cells were not run here;
    the whole notebook's run time (from the benchmark) is added to the total."""
    run = (seconds or 0) / 60
    shown = [p for p in parts if p["title"] not in ("What you will learn", "Summary")]
    total = sum(p["minutes"] for p in parts) + run
    items = ", ".join(f"{_label(p['title'])} {max(1, round(p['minutes']))}"
                      for p in shown)
    ran = (f"plus {seconds:.0f} s for running all cells in default mode "
           "(tests/benchmark/RESULTS.md)" if seconds else "not counting run time")
    return (f"{MARK} (minutes): about {5 * math.ceil(total / 5)} in all; {items}. "
            f"Measured: each section's text and code read at {WPM} words a minute, "
            f"{ran}, and each exercise adds a fixed allowance by kind "
            f"({', '.join(f'{k} {v}' for k, v in DOING.items())}), not yet "
            "timed with students.")


def paragraph(parts: list[dict], mode: str, machine: str = "this machine") -> str:
    shown = [p for p in parts if p["title"] not in ("What you will learn", "Summary")]
    total = sum(p["minutes"] for p in parts)
    items = ", ".join(f"{_label(p['title'])} {max(1, round(p['minutes']))}"
                      for p in shown)
    run = sum(p["run"] for p in parts)
    default = ("" if mode == "default" else "; default mode trains longer, see "
               "tests/benchmark/RESULTS.md")
    return (f"{MARK} (minutes): about {5 * math.ceil(total / 5)} in all; {items}. "
            f"Measured: each section's cells run in {mode} mode ({run:.0f} s in all "
            f"on {machine}{default}), its text and code read at {WPM} words a "
            f"minute, and each exercise adds a fixed allowance by kind "
            f"({', '.join(f'{k} {v}' for k, v in DOING.items())}), not yet "
            "timed with students.")


def _learn_cell(cell: dict) -> bool:
    return cell_source(cell).startswith("## What you will learn")


def _time_paragraph(cell: dict) -> str:
    return "\n\n".join(p for p in cell_source(cell).split("\n\n")
                       if p.startswith(MARK))


#: The part of a notebook ``--write`` owns: the time paragraph.
TIME = cells_part(_learn_cell, _time_paragraph)


def write(path: Path, text: str, guard: Guard | None = None) -> str:
    """Put the time paragraph ``text`` into the notebook at ``path``, unless its
    time paragraph was edited by hand since this command wrote it (see
    :mod:`course_utils.tools.guard`); return ``written``, ``unchanged`` or
    ``kept``."""
    own = guard or Guard(path.parent)
    nb = load_notebook(path)
    cell = next(c for c in nb["cells"] if _learn_cell(c))
    body = [ln for ln in cell_source(cell).split("\n\n") if not ln.startswith(MARK)]
    lines = "\n\n".join(body + [_wrap(text)]).split("\n")
    cell["source"] = [ln + "\n" for ln in lines[:-1]] + [lines[-1]]
    outcome = own.write(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                        "timing", TIME)
    if guard is None:
        own.save()
    return outcome


def _wrap(text: str) -> str:
    return textwrap.fill(text, 84, break_on_hyphens=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.timing",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true",
                        help="write the time into the notebook's objectives")
    parser.add_argument("--machine", default="this machine",
                        help="what the cells ran on, for the text")
    parser.add_argument("--static", action="store_true",
                        help="do not run the cells: reading and doing time, plus "
                             "the benchmark's run time for the whole notebook")
    parser.add_argument("--force", action="store_true",
                        help="with --write: replace a time paragraph edited by hand "
                             "too, after copying the notebook to backups/")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except CourseError as err:  # a notebook it cannot read, a folder it cannot write
        print(f"error: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    mode = "fast" if os.environ.get("COURSE_FAST") == "1" else "default"
    guards: dict[Path, Guard] = {}
    for path in args.notebooks:
        start = time.perf_counter()
        if args.static:
            parts = sections(load_notebook(path))
            text = static_paragraph(parts, benchmark_seconds(
                path.name, path.resolve().parent.parent))
        else:
            parts = sections(execute(path))
            text = paragraph(parts, mode, args.machine)
        print(f"{path.name} ({time.perf_counter() - start:.0f} s): {text}")
        for p in parts:
            print(f"    {p['title'][:50]:<50} run {p['run']:6.1f} s, "
                  f"{p['words']:5d} words, doing {p['doing']:3d} min "
                  f"-> {p['minutes']:5.1f} min")
        if args.write:
            write(path, text, guards.setdefault(path.parent,
                                                Guard(path.parent, args.force)))
    kept = []
    for guard in guards.values():
        guard.save()
        kept += guard.kept_lines("Its time paragraph was edited by hand: run "
                                 "again with --force to replace it (a backup is "
                                 "kept).")
    for line in kept:
        print(line, file=sys.stderr)
    return 1 if kept else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
