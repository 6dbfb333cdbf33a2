"""The graded course (issue 28): ``python -m course_utils.tools.nbgrader``.

Without nbgrader: every notebook's source, in both languages, releases exactly
the student edition's code cells and no solution (nbgrader's release emulated by
:func:`course_utils.tools.nbgrader.released`), with points by kind.

With nbgrader (``requirements-grade.txt``; CI sets ``COURSE_GRADE_TEST=1``, which
makes a missing nbgrader a failure): a round trip on notebook 05 with nbgrader's
own commands: generate the assignment (its code cells are the student edition's),
submit a complete, a partial, an untouched and a cheating notebook, validate
the complete one where course_utils is the students' package, autograde, generate
feedback. The complete one gets every automatic point, the partial one
some, the untouched one none; the cheats (an answer that is the reference, a
check replaced by a lambda, a fake grader where ``open`` would find it) get
nothing for their exercises.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_utils.tools import nbgrader as tool
from course_utils.tools.exercises import exercise_cells
from course_utils.tools.links import edition_path
from course_utils.tools.notebooks import cell_source, lecturer_notebooks, load_notebook

# The graded course's tests run in CI's grading step (COURSE_GRADE_TEST=1, after
# pip install -r requirements-grade.txt), like the hub's, not in the README's suite
pytestmark = pytest.mark.skipif(os.environ.get("COURSE_GRADE_TEST") != "1",
                                reason="the graded course: COURSE_GRADE_TEST=1")

ROOT = Path(__file__).resolve().parents[1]
NAMES = [p.name for p in lecturer_notebooks(ROOT / "notebooks")]
ROUND_TRIP = "05_gaussian_kl"


def _source(name: str, lang: str) -> tuple[dict, dict, dict]:
    lecturer = load_notebook(ROOT / edition_path(name, "lecturer", lang))
    student = load_notebook(ROOT / edition_path(name, "student", lang))
    return lecturer, student, tool.source_notebook(lecturer, student, name)


def _code(nb: dict) -> list[str]:
    return [cell_source(c) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("lang", ["en", "he"])
@pytest.mark.parametrize("name", NAMES)
def test_the_release_is_the_student_edition_without_solutions(name, lang):
    lecturer, student, source = _source(name, lang)
    release = tool.released(source)
    assert _code(release) == _code(student)
    text = json.dumps(release, ensure_ascii=False)
    for entry in exercise_cells(lecturer):
        for j in entry["solutions"]:
            solution = cell_source(lecturer["cells"][j]).strip()
            if solution and solution not in cell_source(
                    lecturer["cells"][entry["stub"]]):
                assert json.dumps(solution, ensure_ascii=False)[1:-1] not in text
    cells = [c["metadata"]["nbgrader"] for c in source["cells"]]
    assert len({c["grade_id"] for c in cells}) == len(cells)
    for entry in exercise_cells(lecturer):
        slug = entry["handle"].replace(".", "-")
        meta = {c["grade_id"]: c for c in cells}
        answer = meta[f"{slug}-answer"]
        assert answer["solution"] and not answer["locked"]
        if entry["exercise"].kind == "think":
            assert answer["grade"] and answer["points"] == tool.POINTS["think"]
        else:
            test = meta[f"{slug}-test"]
            assert test["locked"] and test["points"] == tool.POINTS[
                entry["exercise"].kind]
    assert all(c["locked"] for c in cells if not c["solution"])


def test_the_course_folder_has_a_config_with_a_long_cell_timeout(tmp_path):
    report = tool.write_course(tmp_path / "course", ["05"])
    assert report["assignments"] == [ROUND_TRIP]
    config = (tmp_path / "course" / "nbgrader_config.py").read_text()
    assert f"c.Execute.timeout = {tool.CELL_TIMEOUT}" in config
    assert tool.CELL_TIMEOUT >= 300
    assert (tmp_path / "course/grader/course_grader.py").is_file()
    assert (tmp_path / "course/grader/course_utils/topics/exercises/nb05.py").is_file()
    # a source notebook the lecturer changed is kept
    path = tmp_path / "course" / "source" / ROUND_TRIP / f"{ROUND_TRIP}.ipynb"
    path.write_text(path.read_text().replace('"points": 3', '"points": 4'))
    again = tool.write_course(tmp_path / "course", ["05"])
    assert again["kept"] == [path.name]
    assert '"points": 4' in path.read_text()


def test_a_folder_among_the_course_files_or_of_other_files_is_refused(tmp_path,
                                                                      capsys):
    assert tool.main(["05", "--out", str(ROOT / "notebooks" / "x")]) == 2
    (tmp_path / "mine.txt").write_text("a student's work")
    assert tool.main(["05", "--out", str(tmp_path)]) == 2
    assert tool.main(["99", "--out", str(tmp_path / "new")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


# The round trip with nbgrader ------------------------------------------------------

def _nbgrader_missing() -> bool:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        return True
    return False


needs_nbgrader = pytest.mark.skipif(
    _nbgrader_missing() and os.environ.get("COURSE_GRADE_TEST") != "1",
    reason="nbgrader is not installed (pip install -r requirements-grade.txt)")


def _run(course: Path, *args: str, cwd: Path | None = None) -> str:
    """An nbgrader command in ``course`` (or ``cwd``), where the environment's
    course_utils is the students' package (as on a hub of a graded class): the
    grader's copy must be what the autograder's kernels import."""
    env = dict(os.environ, PYTHONPATH=str(course / "student-package"),
               COURSE_FAST="1", COURSE_THREADS="1",
               COURSE_OFFLINE="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                     os.environ.get("PATH", "")]))
    env.pop("COURSE_GRADER", None)
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd or course,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def _answers(source: dict) -> dict[str, str]:
    """grade_id of each answer cell -> the stub followed by its solution."""
    out = {}
    for cell in source["cells"]:
        meta = cell["metadata"]["nbgrader"]
        if meta["solution"]:
            out[meta["grade_id"]] = "\n".join(
                line for line in cell_source(cell).split("\n")
                if line not in (tool.BEGIN, tool.END))
    return out


CHEATS = {  # the two cheats the issue names, each in an answer cell, and a third
    "nb05-ex1-answer": "kl_from_log_var = nb05.ex1.reference",
    "nb05-ex2-answer": ("def kl_diagonal(mu1, log_var1, mu2, log_var2):\n"
                        "    return mu1.sum(dim=1)  # wrong\n"
                        "nb05.ex2.check = lambda *a: None"),
    # a grader of its own, for a hidden test that would read it with open()
    "nb05-ex4-answer": ("import io\n"
                        "def kl_full(mu, cov):\n    return 0.0\n"
                        "open = lambda *a, **k: io.StringIO('def grade(*a): pass')\n"
                        "nb05.ex4.check = lambda *a: None"),
}


def _submit(course: Path, release: dict, student: str, answers: dict) -> None:
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    folder = course / "submitted" / student / ROUND_TRIP
    folder.mkdir(parents=True)
    (folder / f"{ROUND_TRIP}.ipynb").write_text(json.dumps(nb, indent=1))


@needs_nbgrader
def test_round_trip_gives_full_partial_and_zero_marks_and_refuses_cheats(tmp_path):
    from nbgrader.api import Gradebook

    start = time.monotonic()
    course = tmp_path / "course"
    tool.write_course(course, ["05"])
    _run(course, "generate_assignment", ROUND_TRIP)
    release = json.loads((course / "release" / ROUND_TRIP / f"{ROUND_TRIP}.ipynb")
                         .read_text())
    _, student, source = _source(f"{ROUND_TRIP}.ipynb", "en")
    assert _code(release) == _code(student)
    assert "BEGIN SOLUTION" not in json.dumps(release)
    assert "course_grader" not in json.dumps(release)
    assert sorted(p.name for p in (course / "release" / ROUND_TRIP).iterdir()) == [
        f"{ROUND_TRIP}.ipynb"]

    full = _answers(source)
    partial = {k: v for k, v in full.items() if k in ("nb05-ex1-answer",
                                                     "nb05-ex3-answer")}
    _submit(course, release, "complete", full)
    _submit(course, release, "partial", partial)
    _submit(course, release, "untouched", {})
    _submit(course, release, "cheat", {**full, **CHEATS})
    # a student's Validate, in her own folder and environment (the students'
    # package: no solutions), passes for a complete notebook
    home = tmp_path / "home"
    home.mkdir()
    mine = course / "submitted" / "complete" / ROUND_TRIP / f"{ROUND_TRIP}.ipynb"
    text = mine.read_text().replace("nb05.ex6.model_answer", repr(
        "Without the -1 the KL of a distribution to itself is not zero."))
    (home / mine.name).write_text(text)
    assert "Success!" in _run(course, "validate", mine.name, cwd=home)
    _run(course, "autograde", ROUND_TRIP)
    _run(course, "generate_feedback", ROUND_TRIP)

    auto, manual = tool.total_points(source)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        def score(student: str) -> tuple[float, dict]:
            sub = gb.find_submission_notebook(ROUND_TRIP, ROUND_TRIP, student)
            grades = {g.name: g.score for g in sub.grades}
            return sum(g.auto_score or 0 for g in sub.grades), grades

        complete, _ = score("complete")
        some, _ = score("partial")
        none, _ = score("untouched")
        cheat, by_cell = score("cheat")
    assert complete == auto
    assert 0 < some < auto
    assert some == tool.POINTS["implement"] + tool.POINTS["predict"]
    assert none == 0
    assert by_cell["nb05-ex1-test"] == 0, "the reference itself scored"
    assert by_cell["nb05-ex2-test"] == 0, "a replaced check scored"
    assert by_cell["nb05-ex4-test"] == 0, "a fake grader scored"
    assert cheat == auto - tool.POINTS["implement"] * 2 - tool.POINTS["derive"]
    for student in ("complete", "partial", "untouched", "cheat"):
        assert (course / "feedback" / student / ROUND_TRIP /
                f"{ROUND_TRIP}.html").is_file()
    print(f"round trip: {time.monotonic() - start:.0f} s, points {auto} automatic "
          f"+ {manual} by hand")


# The students' package of the graded course -----------------------------------------

RUN_CHECKS = r'''
import contextlib, importlib, io, json, sys
out = {}
for handle, given in json.load(open(sys.argv[1])).items():
    short, name = handle.split(".")
    module = importlib.import_module(f"course_utils.topics.exercises.{short}")
    exercise = getattr(module, name)
    namespace = dict(vars(module), **{short: module})
    said = io.StringIO()
    try:
        exec(given["source"], namespace)
        with contextlib.redirect_stdout(said):
            exercise.check(namespace[given["name"]])
        outcome = said.getvalue().strip().splitlines()[-1]
    except Exception as err:
        outcome = "raised " + type(err).__name__ + ": " + str(err)
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        exercise.solution()
    try:
        exercise.check(...)
        empty = "passed"
    except Exception as err:
        empty = type(err).__name__
    out[handle] = [outcome, exercise.reference in (None, ""),
                   getattr(exercise, "model_answer", ""), shown.getvalue(), empty]
print(json.dumps(out))
'''


def test_the_students_package_has_no_solutions_and_its_checks_still_run(tmp_path):
    """Every check of the graded course's student package, given the lecturer's
    solution, passes or says it is checked at grading; none has a solution."""
    import importlib

    from course_utils.core.errors import NO_SOLUTIONS, WITHHELD
    from course_utils.tools.graded_package import model_answers, write_package

    package = write_package(tmp_path / "pkg")
    solutions = {}
    for path in sorted((ROOT / "course_utils/topics/exercises").glob("nb*.py")):
        module = importlib.import_module(f"course_utils.topics.exercises.{path.stem}")
        for ex in module.EXERCISES:
            name = ex.answer_name or ex.reference.__name__
            source = (f"{name} = {'because the text says so ' * 3!r}"
                      if ex.kind == "think" else ex.solution_source())
            solutions[ex.handle] = {"source": source, "name": name}
            if inspect.isfunction(ex.reference):   # its body is not in the package
                body = inspect.getsource(ex.reference).split('"""')[-1].strip()
                assert body not in (package / path.relative_to(ROOT)).read_text()
    (tmp_path / "solutions.json").write_text(json.dumps(solutions))
    env = dict(os.environ, PYTHONPATH=str(package), COURSE_FAST="1",
               COURSE_OFFLINE="1", COURSE_THREADS="1", COURSE_LANG="en")
    done = subprocess.run([sys.executable, "-c", RUN_CHECKS, "solutions.json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.splitlines()[-1])
    assert set(found) == set(solutions)
    raised = {h: found[h][0] for h in found if found[h][0].startswith("raised ")}
    assert not raised, raised   # a withheld check says so, it does not fail
    withheld = [h for h, (outcome, *_) in found.items() if outcome == WITHHELD]
    assert 0 < len(withheld) < len(found) / 3   # most checks still teach
    for handle, (_, emptied, model_answer, shown, empty) in found.items():
        assert emptied and not model_answer, handle
        assert shown.strip() == NO_SOLUTIONS, handle
        assert empty == "ExerciseNotDone", handle   # an empty stub still fails
    text = "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in package.rglob("*") if p.is_file())
    assert not [a for a in model_answers() if a in text]
    assert not (package / "course_utils/tools/grader.py").exists()


@needs_nbgrader
@pytest.mark.parametrize("lang", ["en", "he"])
def test_nbgrader_s_own_release_steps_give_every_student_edition(tmp_path, lang,
                                                                 monkeypatch):
    """The course config's release of solutions and nbgrader's of hidden tests, on
    every notebook (the round trip runs the whole of generate_assignment on one)."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests
    from traitlets.config.loader import PyFileConfigLoader

    course = tmp_path / "course"
    tool.write_course(course, [], lang)
    monkeypatch.setenv("COURSE_GRADER", "")     # the config sets both: restored after
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(course))
    config = loader.load_config()
    clear = next(p for p in config.GenerateAssignment.preprocessors
                 if p.__name__ == "ClearSolutionsToStub")(config=config)
    hidden = ClearHiddenTests(config=config)
    for name in NAMES:
        path = course / "source" / Path(name).stem / name
        nb = nbformat.read(path, as_version=4)
        resources = {}
        nb, resources = clear.preprocess(nb, resources)
        nb, resources = hidden.preprocess(nb, resources)
        student = load_notebook(ROOT / edition_path(name, "student", lang))
        assert [c.source for c in nb.cells if c.cell_type == "code"] == _code(student)
