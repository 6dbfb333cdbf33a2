"""Turn the lecturer edition into an nbgrader course (the graded course).

    python -m course_utils.tools.nbgrader              # every notebook, in grading/
    python -m course_utils.tools.nbgrader 05 06 --out DIR
    python -m course_utils.tools.nbgrader --lang he    # Hebrew, in grading-he/

writes an nbgrader course folder: one assignment per notebook
(``source/05_gaussian_kl/05_gaussian_kl.ipynb``), ``nbgrader_config.py``, and
``grader/`` (the grader's copy of ``course_utils`` and of
:mod:`course_utils.tools.grader`), which nbgrader never releases, and
``student-package/``, the course_utils to install for the graded course's
students: no solutions (:mod:`course_utils.tools.graded_package`). Each source
notebook is the student edition, cell for cell, with nbgrader's metadata:

- an exercise's stub cell is an answer cell: the stub, then the lecturer's
  solution between nbgrader's ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  lines (the config's :data:`CONFIG` drops the region whole, so that the released
  cell is exactly the stub); a *think* exercise's stub is a manually graded
  answer (its model answer only in the solution region);
- an exercise's check cell is a locked autograder test worth :data:`POINTS` of
  its kind: the student's check as it is, then a hidden block that grades the
  answer with the grader's copy (:func:`course_utils.tools.grader.grade`);
- every other cell is locked.

``nbgrader generate_assignment`` then writes the release, whose code cells are
the student edition's. Files this command wrote and a lecturer changed since
are kept (reported; ``--force`` replaces them after a backup); nbgrader's own
folders (``release/``, ``submitted/``, ``autograded/``, ``feedback/``, the
gradebook) are never touched.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
from pathlib import Path

from course_utils.core.errors import CourseError
from course_utils.tools.exercises import exercise_cells
from course_utils.tools.graded_package import write_package
from course_utils.tools.guard import MANIFEST, Guard, writable
from course_utils.tools.links import LANGUAGES, edition_path
from course_utils.tools.notebooks import (
    PublishError,
    cell_source,
    load_notebook,
    repo_path,
    select_notebooks,
)

#: points of an exercise, by its kind (think: graded by hand)
POINTS = {"implement": 3, "derive": 3, "explore": 2, "predict": 1, "think": 2}
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
#: seconds a cell may run when nbgrader executes a notebook: the slowest
#: training cell measured (tests/benchmark/RESULTS.md) takes about 50 s on a
#: quiet 2-core machine in the default mode; nbgrader's default is 30 s
CELL_TIMEOUT = 600
COURSE_ID = "deep-generative-models"

HIDDEN = """### BEGIN HIDDEN TESTS
# graded with the grader's own copy of the check (grader/, see nbgrader_config.py);
# the built-ins by their module, whatever the notebook calls open or exec
import builtins as _builtins
import os as _os
_grader = {{"__name__": "course_grader"}}
with _builtins.open(_os.path.join(_os.environ["COURSE_GRADER"], "course_grader.py"),
                    encoding="utf-8") as _file:
    _builtins.exec(_file.read(), _grader)
_grader["grade"]({handle!r}, {name!r}, _builtins.globals())
### END HIDDEN TESTS"""

CONFIG = '''"""nbgrader's settings for the graded course, written by
python -m course_utils.tools.nbgrader (run nbgrader from this folder)."""

import os
from pathlib import Path

from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions

HERE = Path(__file__).resolve().parent
c = get_config()  # noqa: F821 - nbgrader's config loader provides it
c.CourseDirectory.root = str(HERE)
c.CourseDirectory.course_id = {course_id!r}
# A training cell of the course takes up to about 50 s on a quiet 2-core machine
# (default mode); nbgrader's default of 30 s a cell would stop it.
c.Execute.timeout = {timeout}
# The kernels nbgrader starts inherit these: the hidden tests grade with the
# grader's copy of the checks, and the notebook imports that full copy too, even
# where the students' package (no solutions) is what the environment installs.
# grader/ is never released.
os.environ["COURSE_GRADER"] = str(HERE / "grader")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(HERE / "grader")] + [p for p in [os.environ.get("PYTHONPATH")] if p])


class ClearSolutionsToStub(ClearSolutions):
    """An answer cell of the course holds the student's stub, then the solution
    between the solution lines: the release keeps the stub exactly as it is."""

    def _replace_solution_region(self, cell, language):
        lines = cell.source.split("\\n")
        if not any(self.begin_solution_delimeter in line for line in lines):
            return False
        kept, inside = [], False
        for line in lines:
            if self.begin_solution_delimeter in line:
                inside = True
            elif self.end_solution_delimeter in line:
                inside = False
            elif not inside:
                kept.append(line)
        cell.source = "\\n".join(kept)
        return True


c.GenerateAssignment.preprocessors = [
    ClearSolutionsToStub if p is ClearSolutions else p
    for p in GenerateAssignment.class_traits()["preprocessors"].default()]
'''


class GradingError(CourseError):
    """A notebook the graded course cannot be made from."""


def _meta(grade_id: str, *, solution=False, grade=False, locked=False,
          points: int = 0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": 3, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _commented(markdown: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in markdown.strip().split("\n"))


def source_notebook(lecturer: dict, student: dict, name: str = "notebook") -> dict:
    """The nbgrader source notebook of one lecturer notebook, built on its
    ``student`` edition (a new dict; see the module's docstring)."""
    out = copy.deepcopy(student)
    by_id = {cell.get("id"): i for i, cell in enumerate(lecturer["cells"])}
    answers, checks = {}, {}
    for entry in exercise_cells(lecturer):
        answers[lecturer["cells"][entry["stub"]].get("id")] = entry
        checks[lecturer["cells"][entry["check"]].get("id")] = entry
    seen = set()
    for index, cell in enumerate(out["cells"]):
        cell_id = cell.get("id") or f"cell{index}"
        entry = answers.get(cell_id) or checks.get(cell_id)
        if cell_id in seen or (cell_id not in by_id and cell_id != "student-edition-"
                               "banner"):
            raise GradingError(f"{name}: the student edition is not this lecturer "
                               "notebook's; run python -m course_utils.tools.editions "
                               "(or translate build) first")
        seen.add(cell_id)
        meta = cell.setdefault("metadata", {})
        if entry is None:
            meta["nbgrader"] = _meta(f"cell-{cell_id}", locked=True)
            continue
        ex, handle = entry["exercise"], entry["handle"]
        slug = handle.replace(".", "-")
        if cell_id in answers:
            solution = []
            for j in entry["solutions"]:
                text = cell_source(lecturer["cells"][j]).strip()
                code = lecturer["cells"][j]["cell_type"] == "code"
                solution.append(text if code else _commented(text))
            cell["source"] = "\n".join([cell_source(cell), BEGIN, *solution, END])
            think = ex.kind == "think"
            meta["nbgrader"] = _meta(f"{slug}-answer", solution=True, grade=think,
                                     points=POINTS["think"] if think else 0)
        elif ex.kind == "think":   # the check only records: graded by hand above
            meta["nbgrader"] = _meta(f"{slug}-check", locked=True)
        else:
            answer = ex.answer_name or getattr(ex.reference, "__name__", "")
            if not answer:
                raise GradingError(f"{name}: exercise {ex.number} names no answer")
            cell["source"] = cell_source(cell) + "\n" + HIDDEN.format(
                handle=handle, name=answer)
            meta["nbgrader"] = _meta(f"{slug}-test", grade=True, locked=True,
                                     points=POINTS[ex.kind])
    if not answers:
        raise GradingError(f"{name} has no exercises to grade")
    return out


def released(source: dict) -> dict:
    """What ``nbgrader generate_assignment`` releases of a source notebook, as
    far as code goes (solution regions and hidden tests dropped whole, outputs
    cleared): for the tests, and for a course without nbgrader at hand."""
    out = copy.deepcopy(source)
    for cell in out["cells"]:
        lines, kept, inside = cell_source(cell).split("\n"), [], False
        for line in lines:
            if BEGIN in line or BEGIN_HIDDEN in line:
                inside = True
            elif END in line or END_HIDDEN in line:
                inside = False
            elif not inside:
                kept.append(line)
        cell["source"] = "\n".join(kept)
        cell.get("metadata", {}).pop("nbgrader", None)
    return out


def total_points(source: dict) -> tuple[int, int]:
    """(automatic points, points graded by hand) of a source notebook."""
    auto = manual = 0
    for cell in source["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            if meta.get("solution"):
                manual += meta["points"]
            else:
                auto += meta["points"]
    return auto, manual


def _dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def copy_grader(out: Path) -> None:
    """``out/grader``: this course_utils (references included) and the grader."""
    package = Path(__file__).resolve().parents[1]
    target = out / "grader"
    with writable(out):
        if (target / "course_utils").exists():
            shutil.rmtree(target / "course_utils")
        target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(package, target / "course_utils", ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "jupyterlab-settings", "*.egg-info"))
        shutil.copyfile(Path(__file__).with_name("grader.py"),
                        target / "course_grader.py")


def write_course(out: Path, names: list[str] | None = None, lang: str = "en",
                 force: bool = False) -> dict[str, list]:
    """Write the nbgrader course of ``names`` (all notebooks when empty) in
    ``lang`` into ``out``; return the :class:`Guard`'s report."""
    if lang not in LANGUAGES:
        raise GradingError(f"--lang must be one of {', '.join(LANGUAGES)}")
    out = Path(out)
    if out.resolve() == repo_path().resolve() or out.resolve().is_relative_to(
            repo_path("notebooks").resolve()):
        raise GradingError(f"--out {out} would write among the course's own files; "
                           "choose a folder of its own (default: grading/)")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise GradingError(f"{out} holds files this command did not write; choose an "
                           "empty folder or a course folder it wrote (--out)")
    paths = select_notebooks(names or [])
    guard = Guard(out, force=force)
    written = []
    for path in paths:
        lecturer = load_notebook(repo_path(edition_path(path.name, "lecturer", lang)))
        student = load_notebook(repo_path(edition_path(path.name, "student", lang)))
        source = source_notebook(lecturer, student, path.name)
        target = out / "source" / path.stem / path.name
        guard.write(target, _dump(source))
        written.append(path.stem)
    guard.write(out / "nbgrader_config.py",
                CONFIG.format(course_id=COURSE_ID, timeout=CELL_TIMEOUT))
    guard.save()
    copy_grader(out)
    write_package(out / "student-package")
    guard.report["assignments"] = written
    return guard.report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.nbgrader",
        description="Write an nbgrader course (graded: no references released) "
                    "from the lecturer edition.")
    parser.add_argument("notebooks", nargs="*",
                        help="notebooks by number, e.g. 05 06 (default: all)")
    parser.add_argument("--lang", choices=LANGUAGES, default="en")
    parser.add_argument("--out", type=Path, default=None,
                        help="the course folder (default: grading/, or grading-he/)")
    parser.add_argument("--force", action="store_true",
                        help="replace files you changed, after a backup")
    args = parser.parse_args(argv)
    out = args.out or repo_path("grading" if args.lang == "en" else "grading-he")
    try:
        report = write_course(out, args.notebooks, args.lang, args.force)
    except (CourseError, PublishError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name in report["written"]:
        print(f"wrote     {name}")
    for path in report["backups"]:
        print(f"backed up your edited copy to {path}")
    for name in report["kept"]:
        print(f"KEPT      {name}: you changed it, so it was not overwritten (run "
              "again with --force to replace it; a backup is kept)", file=sys.stderr)
    print(f"{len(report['assignments'])} assignments in {out}/source; next, from "
          f"{out}: nbgrader generate_assignment <name> (or the formgrader)")
    return 1 if report["kept"] else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
