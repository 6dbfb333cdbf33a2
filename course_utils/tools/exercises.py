"""Write each exercise's solution cells from its one source, and count kinds.

An exercise's solution is written once, in ``course_utils/topics/exercises/
nbNN.py`` (its ``reference``). This command copies it into the lecturer
notebook: the code cell tagged ``solution`` between the exercise's stub and its
check cell gets ``exercise.solution_source()``, and a think exercise also gets a
markdown solution cell with its model answer (speaker notes in the slides,
removed from the student edition). ``tests/test_exercises.py`` fails when a
notebook and its module disagree.

Usage (from the repository root)::

    python -m course_utils.tools.exercises           # rewrite solution cells
    python -m course_utils.tools.exercises --check   # report, change nothing
    python -m course_utils.tools.exercises --kinds   # exercises per kind
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import secrets
import sys
from collections import Counter
from pathlib import Path

from course_utils.core.checks import KINDS, Exercise
from course_utils.core.errors import CourseError
from course_utils.tools.guard import Guard, cells_part
from course_utils.tools.notebooks import cell_source, cell_tags, load_notebook

_HANDLE = re.compile(r"\b(nb\d\d)\.(ex\d+)\.check\(")


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def exercise_cells(nb: dict) -> list[dict]:
    """One entry per check cell: ``handle``, ``exercise``, ``stub`` (index),
    ``solutions`` (indices of the solution cells) and ``check`` (index)."""
    found = []
    cells = nb["cells"]
    for i, cell in enumerate(cells):
        if "check" not in cell_tags(cell):
            continue
        match = _HANDLE.search(cell_source(cell))
        if not match:
            continue
        module = importlib.import_module(
            f"course_utils.topics.exercises.{match.group(1)}")
        exercise = getattr(module, match.group(2))
        stub = next((j for j in range(i - 1, -1, -1)
                     if "stub" in cell_tags(cells[j])), None)
        solutions = [j for j in range((stub or 0) + 1, i)
                     if "solution" in cell_tags(cells[j])]
        found.append({"handle": f"{match.group(1)}.{match.group(2)}",
                      "exercise": exercise, "stub": stub, "solutions": solutions,
                      "check": i})
    return found


def problems(nb: dict, name: str = "notebook") -> list[str]:
    """What differs between the notebook's exercise cells and their modules."""
    out = []
    for entry in exercise_cells(nb):
        ex: Exercise = entry["exercise"]
        cells = [nb["cells"][j] for j in entry["solutions"]]
        code = [c for c in cells if c["cell_type"] == "code"]
        text = [c for c in cells if c["cell_type"] == "markdown"]
        where = f"{name}, exercise {ex.number} ({entry['handle']})"
        if entry["stub"] is None:
            out.append(f"{where}: no stub cell before the check")
            continue
        kinds = [t for t in cell_tags(nb["cells"][entry["stub"]])
                 if t.startswith("kind-")]
        if kinds != [f"kind-{ex.kind}"]:
            out.append(f"{where}: the stub is tagged {kinds}, the module says "
                       f"kind-{ex.kind}")
        if len(code) != 1 or cell_source(code[0]).strip() != ex.solution_source():
            out.append(f"{where}: the solution cell differs from the module's")
        want = ex.solution_markdown()
        if (want is None) != (not text) or (want and cell_source(text[0]).strip()
                                            != want):
            out.append(f"{where}: the solution's markdown differs from the module's")
    return out


def sync(nb: dict) -> dict:
    """Rewrite the solution cells of ``nb`` from the exercise modules (in place)."""
    for entry in reversed(exercise_cells(nb)):  # later insertions shift nothing
        ex: Exercise = entry["exercise"]
        cells = nb["cells"]
        code = [j for j in entry["solutions"] if cells[j]["cell_type"] == "code"]
        text = [j for j in entry["solutions"] if cells[j]["cell_type"] == "markdown"]
        stub = cells[entry["stub"]]
        tags = [t for t in cell_tags(stub) if not t.startswith("kind-")]
        stub.setdefault("metadata", {})["tags"] = tags + [f"kind-{ex.kind}"]
        if code:
            cells[code[0]]["source"] = _lines(ex.solution_source())
        else:
            code = [entry["stub"] + 1]
            cells.insert(code[0], {
                "cell_type": "code", "execution_count": None,
                "id": secrets.token_hex(4), "metadata": {"tags": ["solution"]},
                "outputs": [], "source": _lines(ex.solution_source())})
            text = [j + 1 for j in text]
        want = ex.solution_markdown()
        if want is None:
            for j in reversed(text):
                del cells[j]
        elif text:
            cells[text[0]]["source"] = _lines(want)
        else:
            cells.insert(code[0] + 1, {
                "cell_type": "markdown", "id": secrets.token_hex(4),
                "metadata": {"tags": ["solution"]}, "source": _lines(want)})
    return nb


def kind_counts(nb: dict) -> Counter:
    """Exercises per kind, from the tags of the stub cells."""
    return Counter(t.removeprefix("kind-") for c in nb["cells"]
                   if "stub" in cell_tags(c) for t in cell_tags(c)
                   if t.startswith("kind-"))


def main(argv: list[str] | None = None) -> int:
    # core.paths imports torch through core.config; only the command needs it
    from course_utils.core.paths import repo_root

    root = repo_root() or Path.cwd()
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.exercises",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing")
    parser.add_argument("--kinds", action="store_true", help="count kinds")
    parser.add_argument("--force", action="store_true",
                        help="replace solution cells edited in the notebook too, "
                             "after copying the notebook to backups/ beside it")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    try:
        return _run(paths, args)
    except CourseError as err:  # a notebook it cannot read, a folder it cannot write
        print(f"error: {err}", file=sys.stderr)
        return 2


#: The part of a lecturer notebook this command owns: its solution cells.
SOLUTIONS = cells_part(lambda cell: "solution" in cell_tags(cell))


def _run(paths: list[Path], args: argparse.Namespace) -> int:
    status = 0
    guards: dict[Path, Guard] = {}
    for path in paths:
        nb = load_notebook(path)
        if args.kinds:
            counts = kind_counts(nb)
            print(f"{path.name}: {sum(counts.values())} exercises, " + ", ".join(
                f"{k} {counts[k]}" for k in KINDS if counts[k]))
            continue
        found = problems(nb, path.name)
        if args.check:
            for line in found:
                print(line)
            status |= bool(found)
            continue
        guard = guards.setdefault(path.parent, Guard(path.parent, args.force))
        text = json.dumps(sync(nb) if found else nb, indent=1, ensure_ascii=False)
        if guard.write(path, text + "\n", "exercises", SOLUTIONS) == "written":
            print(f"wrote {path}")
    for guard in guards.values():
        guard.save()
        for line in guard.kept_lines(
                "Its solution cells differ from what this command last wrote: "
                "move your change into the exercise's module (course_utils/topics/"
                "exercises/), or run again with --force (which keeps a backup)."):
            print(line, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
