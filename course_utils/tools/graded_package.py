"""The students' package of the graded course: course_utils without the solutions.

In the practice course every student has each exercise's solution
(``nbNN.exK.reference``, ``nbNN.exK.solution()``, the model answers). The graded
course's students get this package instead (``python -m
course_utils.tools.nbgrader`` writes it into the course folder as
``student-package/``, to install in the students' environment): a copy of
course_utils whose exercise modules keep every hint, check and helper, with

- each reference function's body replaced by one line that raises
  :class:`~course_utils.core.errors.ReferenceWithheld` (its docstring stays), so
  that a check comparing with it says (prints, without failing: nbgrader's
  *Validate* then passes) that the answer is checked at grading time; an empty
  stub, or a wrong answer the check finds before it needs the solution, fails
  as in practice mode;
- each value reference, model answer and written solution emptied;
- ``solution()`` saying that the graded course shows none.

The notebooks' own code (the library under ``course_utils/topics``) is kept: the
notebooks run it; the grader refuses it as an answer
(:mod:`course_utils.tools.grader`).
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
from pathlib import Path

from course_utils.core.errors import CourseError

EMPTIED = {"reference": None, "model_answer": "", "solution_text": ""}

TAIL = '''

# The graded course's student package: no solutions (course_utils.tools.graded_package)
from course_utils.core.errors import NO_SOLUTIONS as _NO_SOLUTIONS  # noqa: E402
from course_utils.core.errors import ReferenceWithheld as _Withheld  # noqa: E402
from course_utils.core.messages import say as _say  # noqa: E402


def _no_solution(*args, **kwargs):
    _say(translate(_NO_SOLUTIONS))


def _graded_check(check):
    def graded_check(answer):
        try:
            check(answer)
        except _Withheld as withheld:   # said, not raised: nbgrader's Validate passes
            _say(str(withheld))
    return graded_check


for _exercise in EXERCISES:
    _exercise.solution = _no_solution
    _exercise.check = _graded_check(_exercise.check)
'''

WITHHELD = ("from course_utils.core.errors import WITHHELD, ReferenceWithheld\n"
            "from course_utils.core.i18n import translate as _translate\n"
            "raise ReferenceWithheld(_translate(WITHHELD))")


def _is_exercise(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and any(isinstance(t, ast.Name) and re.fullmatch(r"ex\d+", t.id)
                    for t in node.targets))


def stripped(text: str) -> str:
    """An exercise module's source without its solutions (see the docstring)."""
    tree = ast.parse(text)
    functions = set()
    for node in tree.body:
        if not _is_exercise(node):
            continue
        for keyword in node.value.keywords:
            if keyword.arg == "reference" and isinstance(keyword.value, ast.Name):
                functions.add(keyword.value.id)
            if keyword.arg in EMPTIED:
                keyword.value = ast.Constant(EMPTIED[keyword.arg])
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in functions:
            doc = node.body[:1] if ast.get_docstring(node) else []
            node.body = doc + ast.parse(WITHHELD).body
    source = ast.unparse(tree)
    if "translate" not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}:
        source += "\nfrom course_utils.core.i18n import translate  # noqa: E402\n"
    return source + TAIL


def write_package(out: Path) -> Path:
    """Write the students' package (pyproject.toml and course_utils) to ``out``."""
    package = Path(__file__).resolve().parents[1]
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(package, out / "course_utils", ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", "*.egg-info"))
    pyproject = package.parent / "pyproject.toml"
    if pyproject.is_file():
        shutil.copyfile(pyproject, out / "pyproject.toml")
    for path in sorted((out / "course_utils/topics/exercises").glob("nb*.py")):
        path.write_text(stripped(path.read_text(encoding="utf-8")), encoding="utf-8")
    (out / "course_utils/tools/grader.py").unlink(missing_ok=True)
    for path in (out / "course_utils/locale").glob("*/LC_MESSAGES/*.mo"):
        _drop_answers(path)
    return out


def model_answers() -> set[str]:
    """The English of every model answer and written solution (the catalogs'
    keys of their translations)."""
    found = set()
    folder = Path(__file__).resolve().parents[1] / "topics" / "exercises"
    for path in sorted(folder.glob("nb*.py")):
        module = importlib.import_module(f"course_utils.topics.exercises.{path.stem}")
        for exercise in getattr(module, "EXERCISES", ()):
            for text in (getattr(exercise, "model_answer", ""),
                         exercise.solution_text):
                if text:
                    found.add(text)
    return found


def _drop_answers(path: Path) -> None:
    """Take the model answers (and their translations) out of a compiled catalog."""
    try:
        import polib  # only the graded package needs it (requirements-grade.txt)
    except ImportError:
        raise CourseError("the graded course's student package needs polib: "
                          "pip install -r requirements-grade.txt") from None
    answers = model_answers()
    catalog = polib.mofile(str(path))
    keep = [entry for entry in catalog if entry.msgid not in answers]
    for entry in list(catalog):
        catalog.remove(entry)
    catalog.extend(keep)
    catalog.save(str(path))
