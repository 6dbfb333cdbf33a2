"""Every exercise check accepts its reference answer, rejects each known wrong
answer with its own teaching message, and reports an unfilled stub as not done;
predictions and written answers are gated; each solution is written once (the
notebooks' solution cells are the modules' references); a bug in the student's
own code is reported as one message that names their line."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import course_utils.topics.exercises as exercises_pkg
from course_utils.core.checks import (
    DONE,
    KINDS,
    NOT_STARTED,
    TRIED,
    Exercise,
    Prediction,
    Think,
    scoreboard,
)
from course_utils.core.errors import ExerciseIncorrect, ExerciseNotDone
from course_utils.core.student_code import ExerciseCodeError
from course_utils.tools import exercises as sync_tool
from course_utils.tools.editions import student_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _modules():
    return {info.name: importlib.import_module(f"{exercises_pkg.__name__}.{info.name}")
            for info in pkgutil.iter_modules(exercises_pkg.__path__)}


def _all_exercises() -> list[tuple[str, Exercise]]:
    found = []
    for short, module in _modules().items():
        for name, value in vars(module).items():
            if isinstance(value, Exercise):
                found.append((f"{short}.{name}", value))
    return sorted(found, key=lambda item: item[0])


EXERCISES = _all_exercises()
IDS = [name for name, _ in EXERCISES]


@pytest.fixture(autouse=True)
def _fresh_status():
    for _, exercise in EXERCISES:
        exercise.status = NOT_STARTED
    yield


def test_exercises_exist_and_are_registered():
    assert len(EXERCISES) >= 30
    for name, exercise in EXERCISES:
        assert exercise.handle == name, f"{name}: call register(globals())"
        assert exercise.kind in KINDS


@pytest.mark.parametrize("name, exercise", EXERCISES, ids=IDS)
def test_reference_answer_passes_and_prints_once(name, exercise, capsys):
    assert exercise.reference is not None, f"{name} has no reference answer"
    assert exercise.check(exercise.reference) is None   # no stray True
    out = capsys.readouterr().out
    assert out.count(f"Exercise {exercise.number} (") == 1, out
    assert "correct" in out or "was right" in out or "recorded" in out
    assert exercise.status == DONE


@pytest.mark.parametrize("name, exercise", EXERCISES, ids=IDS)
def test_known_wrong_answers_fail_each_with_its_own_message(name, exercise, capsys):
    assert len(exercise.wrong_answers) >= 2, f"{name}: at least two wrong answers"
    messages = []
    for wrong in exercise.wrong_answers:
        if isinstance(exercise, Prediction):
            exercise.check(wrong)     # a prediction is never an error ...
            out = capsys.readouterr().out
            assert f"you predicted {wrong!r}" in out and "was right" not in out
            messages.append(out)
            continue
        with pytest.raises(ExerciseIncorrect) as info:
            exercise.check(wrong)
        message = str(info.value)
        assert f"Exercise {exercise.number}" in message and len(message) > 40
        assert "\n" not in message  # one line
        messages.append(message)
    if exercise.kind != "think":
        # ... and the messages teach something different for different mistakes
        assert len(set(messages)) >= 2, f"{name}: wrong answers share one message"


@pytest.mark.parametrize("name, exercise", EXERCISES, ids=IDS)
def test_unfilled_stub_is_reported_as_not_done(name, exercise, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("stub")

    if exercise.kind in ("implement", "derive"):
        with pytest.raises(ExerciseNotDone, match="not filled in yet"):
            exercise.check(stub)
    for empty in (None, ...):
        with pytest.raises(NotImplementedError, match="no (answer|prediction) yet"):
            exercise.check(empty)   # ExerciseNotDone is a NotImplementedError
    assert exercise.status == NOT_STARTED
    exercise.hint()
    exercise.hint(len(exercise.hints))
    exercise.solution()
    printed = capsys.readouterr().out
    assert "Hint 1 of" in printed and "solution" in printed.lower()


@pytest.mark.parametrize("name, exercise", EXERCISES, ids=IDS)
def test_hints_come_in_steps(name, exercise, capsys):
    if name.startswith("nb00"):
        pytest.skip("notebook 00's warm-ups")
    assert len(exercise.hints) >= 2, f"{name}: hints in steps, hint() then hint(2)"
    exercise.hint()
    first = capsys.readouterr().out
    assert ".hint(2)" in first
    exercise.hint(99)   # past the last: the last one
    assert exercise.hints[-1] in capsys.readouterr().out


THINKS = [(n, e) for n, e in EXERCISES if isinstance(e, Think)]
PREDICTS = [(n, e) for n, e in EXERCISES if isinstance(e, Prediction)]


@pytest.mark.parametrize("name, exercise", PREDICTS, ids=[n for n, _ in PREDICTS])
def test_a_prediction_is_gated_and_validated(name, exercise, capsys):
    with pytest.raises(ExerciseNotDone, match="no prediction yet"):
        exercise.check(...)
    assert "you predicted" not in capsys.readouterr().out  # nothing revealed
    bad = "no such choice" if exercise.choices else "a lot"
    with pytest.raises(ExerciseNotDone, match="not counted until"):
        exercise.check(bad)   # a prediction in the wrong form is not a try
    assert capsys.readouterr().out == ""
    assert exercise.status == NOT_STARTED


@pytest.mark.parametrize("name, exercise", THINKS, ids=[n for n, _ in THINKS])
def test_a_think_answer_is_gated_and_its_model_answer_hidden(name, exercise, capsys):
    exercise.solution()          # before answering: no model answer
    assert exercise.model_answer[:40] not in capsys.readouterr().out
    for bad in ("", "yes", 42):
        with pytest.raises(ExerciseIncorrect):
            exercise.check(bad)
    assert exercise.status == TRIED
    exercise.check(exercise.model_answer)
    out = capsys.readouterr().out
    n = len(exercise.key_ideas)
    assert f"touches {n} of the {n} ideas" in out, out  # the model answer uses all
    exercise.solution()
    assert exercise.model_answer[:40] in capsys.readouterr().out


def test_think_answers_are_in_the_lecturer_edition_only():
    hidden = 0
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        lecturer = "".join("".join(c["source"]) for c in nb["cells"])
        student = "".join("".join(c["source"]) for c in student_notebook(nb)["cells"])
        for entry in sync_tool.exercise_cells(nb):
            exercise = entry["exercise"]
            if isinstance(exercise, Think):
                start = exercise.solution_markdown()[:60]
                assert start in lecturer and start not in student
                hidden += 1
            for j in entry["solutions"]:
                cell = nb["cells"][j]
                if cell["cell_type"] == "markdown":  # speaker notes in the slides
                    assert cell["metadata"]["slideshow"]["slide_type"] == "notes"
    assert hidden >= 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_each_solution_is_written_once(path):
    """The notebook's solution cells are the modules' references, character for
    character (``python -m course_utils.tools.exercises`` rewrites them)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert sync_tool.problems(nb, path.name) == []
    for entry in sync_tool.exercise_cells(nb):
        exercise = entry["exercise"]
        assert exercise.solution_source()   # solution() prints this
        stub = "".join(nb["cells"][entry["stub"]]["source"])
        if callable(exercise.reference) and exercise.kind in ("implement", "derive"):
            body = exercise.solution_source().splitlines()[-1].strip()
            assert body not in stub, f"{path.name}: the stub gives the answer away"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem[:2] != "00"],
                         ids=[p.stem[:2] for p in NOTEBOOKS if p.stem[:2] != "00"])
def test_four_exercises_of_three_kinds_and_a_scoreboard(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    counts = sync_tool.kind_counts(nb)
    assert sum(counts.values()) >= 4 and len(counts) >= 3, counts
    last = [c for c in nb["cells"] if c["cell_type"] == "code"][-1]
    assert "scoreboard(" in "".join(last["source"])


def test_sync_rewrites_a_changed_solution_cell():
    path = next(p for p in NOTEBOOKS if p.stem.startswith("05"))
    nb = json.loads(path.read_text(encoding="utf-8"))
    entry = sync_tool.exercise_cells(nb)[0]
    nb["cells"][entry["solutions"][0]]["source"] = ["def kl_from_log_var(): pass"]
    assert sync_tool.problems(nb)
    assert sync_tool.problems(sync_tool.sync(nb)) == []


def test_scoreboard_counts_done_tried_and_not_started(capsys):
    module = _modules()["nb05"]
    module.ex1.check(module.ex1.reference)
    with pytest.raises(ExerciseIncorrect):
        module.ex2.check(module.ex2.wrong_answers[0])
    capsys.readouterr()
    assert scoreboard(module) is None   # prints, shows no value in Jupyter
    out = capsys.readouterr().out
    assert module.ex1.status == DONE and module.ex2.status == TRIED
    assert module.ex3.status == NOT_STARTED
    assert "[x] 5.1" in out and "[~] 5.2" in out and "[ ] 5.3" in out
    assert "1 done, 1 tried, 4 not started" in out


# A bug in the student's own code ----------------------------------------------

def test_a_name_error_in_the_students_code_names_their_line():
    module = _modules()["nb05"]

    def kl_from_log_var(mu, log_var):
        total = 0.5 * (mu**2 + log_var.exp() - log_var - 1)  # noqa: F841
        return totl.sum(dim=1)  # noqa: F821 - the student's typo

    with pytest.raises(ExerciseCodeError) as info:
        module.ex1.check(kl_from_log_var)
    message = str(info.value)
    assert "NameError" in message and "totl" in message
    assert "`kl_from_log_var`" in message and "return totl.sum(dim=1)" in message
    assert "spelling" in message and "\n" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    # rendered in Jupyter as one line, no traceback through course_utils
    assert len(info.value._render_traceback_()) == 1
    assert module.ex1.status == TRIED


def test_a_shape_error_inside_the_students_function_says_what_to_try():
    import torch

    module = _modules()["nb01"]

    def best_decoder(x, w_e):
        z = x @ w_e            # forgot the transpose
        return torch.linalg.solve(z.T @ z, z.T @ x).T

    with pytest.raises(ExerciseCodeError) as info:
        module.ex2.check(best_decoder)
    message = str(info.value)
    assert "z = x @ w_e" in message and "shape" in message


def test_a_float_index_gets_advice_about_floor_division():
    """`kernel / 2` as a slice got advice about mixing NumPy and torch."""
    module = _modules()["nb10"]

    def make_causal_mask(kernel, include_centre):
        import torch
        mask = torch.zeros(kernel, kernel)
        mask[:kernel / 2] = 1      # 3 / 2 is 1.5
        return mask

    with pytest.raises(ExerciseCodeError) as info:
        module.ex1.check(make_causal_mask)
    message = str(info.value)
    assert "mask[:kernel / 2] = 1" in message and "`//`" in message
    assert "NumPy" not in message


def test_a_bug_in_the_course_is_not_blamed_on_the_student():
    def broken_test(answer):
        return answer() + {}["a bug in the course, after the answer ran"]

    exercise = Exercise(number="9.9", title="t", test=broken_test, hints=("h", "h2"))
    with pytest.raises(KeyError):
        exercise.check(lambda: 0)
    exercise = Exercise(number="9.9", title="t", test=lambda value: {}[value],
                        hints=("h", "h2"))
    with pytest.raises(KeyError):
        exercise.check("a value, not code: nothing of the student's ran")


@pytest.mark.parametrize("name, exercise",
                         [(n, e) for n, e in EXERCISES if not n.startswith("nb00")],
                         ids=[n for n, _ in EXERCISES if not n.startswith("nb00")])
def test_a_check_leaves_the_notebooks_random_state_alone(name, exercise, capsys):
    """A check cell builds models and draws numbers with its own generators: the
    student's later cells draw the same numbers whether or not they ran it."""
    import torch

    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    exercise.check(exercise.reference)
    assert torch.equal(torch.rand(3), expected), f"{name} moved torch's global RNG"


# Asked before answered -------------------------------------------------------


def _check_cells() -> dict[str, tuple[str, int, list[str]]]:
    """handle -> (notebook name, index of its check cell, the notebook's cell ids)."""
    found = {}
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        ids = [cell.get("id", "") for cell in nb["cells"]]
        for entry in sync_tool.exercise_cells(nb):
            found[entry["handle"]] = (path.name, entry["check"], ids)
    return found


CHECK_CELLS = _check_cells()


@pytest.mark.parametrize("name,exercise", EXERCISES, ids=IDS)
def test_no_exercise_is_answered_before_it_is_asked(name, exercise):
    """A cell that gives an exercise's answer away (a printed number, a plot, the
    code asked for) comes after the exercise's check, never before it (exercise
    7.2's ratio was printed in section 2, 10.1's mask shown in section 2)."""
    if isinstance(exercise, Prediction):
        assert exercise.revealed_by is not None, (
            f"prediction {exercise.number}: say which cells give its answer "
            "(revealed_by=(...), or () when none does)")
    if not exercise.revealed_by:
        return
    notebook, check, ids = CHECK_CELLS[name]
    for cell in exercise.revealed_by:
        assert cell in ids, f"{exercise.number}: no cell {cell!r} in {notebook}"
        assert ids.index(cell) > check, (
            f"exercise {exercise.number} is asked after cell {cell} of {notebook} "
            "answers it: move the exercise before that cell")


@pytest.mark.parametrize("name, exercise", THINKS, ids=[n for n, _ in THINKS])
def test_a_think_answer_touching_no_idea_is_a_try_with_a_nudge(name, exercise,
                                                                capsys):
    """Eight words about nothing the question asks were marked done, silently."""
    exercise.check("I am not sure what this question is asking me about here.")
    out = capsys.readouterr().out
    assert "touches none of the" in out and "answer again" in out
    assert exercise.status == TRIED
    exercise.solution()   # they wrote their own: the model answer may be shown
    assert exercise.model_answer[:40] in capsys.readouterr().out
