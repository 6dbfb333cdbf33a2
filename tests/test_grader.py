"""The grader of the graded course (:mod:`course_utils.tools.grader`), in this
process, no nbgrader needed: it refuses the course's own code as an answer, takes
the student's own, ignores a replaced check, and grades every exercise's solution
as correct when a notebook hands it in."""

from __future__ import annotations

import os
import sys

import pytest

from course_utils.tools import nbgrader as tool

# The graded course's tests run in CI's grading step (COURSE_GRADE_TEST=1, after
# pip install -r requirements-grade.txt), like the hub's, not in the README's suite
pytestmark = pytest.mark.skipif(os.environ.get("COURSE_GRADE_TEST") != "1",
                                reason="the graded course: COURSE_GRADE_TEST=1")


def _notebook_namespace(code: str) -> dict:
    """What a notebook cell defines: code compiled under a cell's file name."""
    import torch

    from course_utils.topics.exercises import nb05
    namespace = {"torch": torch, "nb05": nb05}
    exec(compile(code, "/tmp/ipykernel_1/1234.py", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def grader_copy(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    tool.copy_grader(course)
    return course / "grader"


@pytest.fixture
def graded(grader_copy, monkeypatch):
    monkeypatch.setenv("COURSE_GRADER", str(grader_copy))
    from course_utils.tools import grader
    return grader


SOLUTION = ("def kl_from_log_var(mu, log_var):\n"
            "    return 0.5 * torch.sum(mu**2 + log_var.exp() - log_var - 1, dim=1)\n")


@pytest.mark.parametrize("cheat", [
    "kl_from_log_var = nb05.ex1.reference",
    "kl_from_log_var = nb05.kl_from_log_var",
    "kl_from_log_var = lambda mu, lv: nb05.ex1.reference(mu, lv)",
    "def kl_from_log_var(mu, lv):\n    return nb05.kl_from_log_var(mu, lv)",
    "import functools\nkl_from_log_var = functools.partial(nb05.kl_from_log_var)",
    "from course_utils.topics.exercises.nb05 import kl_from_log_var as f\n"
    "def kl_from_log_var(mu, lv):\n    return f(mu, lv)",
    "import importlib.util as u, course_utils.topics.exercises.nb05 as m\n"
    "s = u.spec_from_file_location('x', m.__file__); x = u.module_from_spec(s)\n"
    "s.loader.exec_module(x); kl_from_log_var = x.kl_from_log_var",
])
def test_the_grader_refuses_the_course_s_own_code(graded, cheat):
    with pytest.raises(graded.GraderRefused, match="Exercise 5.1"):
        graded.grade("nb05.ex1", "kl_from_log_var", _notebook_namespace(cheat))


def test_the_grader_takes_the_student_s_own_answer_and_ignores_a_replaced_check(
        graded, capsys):
    import course_utils
    before = sys.modules["course_utils"]
    graded.grade("nb05.ex1", "kl_from_log_var", _notebook_namespace(SOLUTION))
    assert "correct" in capsys.readouterr().out
    assert sys.modules["course_utils"] is before is course_utils
    wrong = _notebook_namespace(SOLUTION.replace(" - 1,", ",") +
                                "nb05.ex1.check = lambda *a: None\n")
    try:
        wrong["nb05"].ex1.check(wrong["kl_from_log_var"])   # the replaced check
        with pytest.raises(Exception, match="not right yet"):
            graded.grade("nb05.ex1", "kl_from_log_var", wrong)
    finally:
        del wrong["nb05"].ex1.check
    with pytest.raises(Exception, match="no answer yet|not filled in"):
        graded.grade("nb05.ex1", "kl_from_log_var", {})


def test_an_explored_value_is_refused_only_when_it_is_the_reference_object(graded):
    with pytest.raises(graded.GraderRefused, match="Exercise 5.5"):
        graded.grade("nb05.ex5", "q_5_5", _notebook_namespace(
            "q_5_5 = nb05.ex5.reference"))
    graded.grade("nb05.ex5", "q_5_5", _notebook_namespace("q_5_5 = (-2.0, 0.75)"))


def _exercises():
    import importlib
    from pathlib import Path

    folder = Path(tool.__file__).resolve().parents[1] / "topics" / "exercises"
    for path in sorted(folder.glob("nb*.py")):
        module = importlib.import_module(f"course_utils.topics.exercises.{path.stem}")
        yield from (ex for ex in module.EXERCISES if ex.kind != "think")


@pytest.mark.parametrize("exercise", list(_exercises()), ids=lambda e: e.handle)
def test_every_solution_written_in_a_notebook_is_graded_correct(graded, exercise,
                                                                capsys):
    """No false refusal: the lecturer's solution, as a notebook cell defines it
    (beside the names the module offers), passes the grader's check."""
    import importlib

    short = exercise.handle.split(".")[0]
    module = importlib.import_module(f"course_utils.topics.exercises.{short}")
    namespace = dict(vars(module), **{short: module, "__name__": "__main__"})
    name = exercise.answer_name or exercise.reference.__name__
    namespace.pop(name, None)
    exec(compile(exercise.solution_source(), "/tmp/ipykernel_1/5678.py", "exec"),
         namespace)
    graded.grade(exercise.handle, name, namespace)
    assert "Exercise" in capsys.readouterr().out
