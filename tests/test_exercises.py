"""Every exercise check accepts its reference answer, rejects each known wrong
answer with a teaching message, and reports an unfilled stub as not done."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import course_utils.topics.exercises as exercises_pkg
from course_utils.core.checks import Exercise
from course_utils.core.errors import ExerciseIncorrect, ExerciseNotDone


def _all_exercises() -> list[tuple[str, Exercise]]:
    found = []
    for info in pkgutil.iter_modules(exercises_pkg.__path__):
        module = importlib.import_module(f"{exercises_pkg.__name__}.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Exercise):
                found.append((f"{info.name}.{name}", value))
    return sorted(found, key=lambda item: item[0])


EXERCISES = _all_exercises()
IDS = [name for name, _ in EXERCISES]


def test_exercises_exist():
    assert len(EXERCISES) >= 2


@pytest.mark.parametrize("name, exercise", EXERCISES, ids=IDS)
def test_reference_answer_passes(name, exercise, capsys):
    assert exercise.reference is not None, f"{name} has no reference answer"
    assert exercise.check(exercise.reference) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("name, exercise", EXERCISES, ids=IDS)
def test_known_wrong_answers_fail_with_a_message(name, exercise):
    assert exercise.wrong_answers, f"{name} lists no known wrong answers"
    for wrong in exercise.wrong_answers:
        with pytest.raises(ExerciseIncorrect) as info:
            exercise.check(wrong)
        message = str(info.value)
        assert f"Exercise {exercise.number}" in message and len(message) > 40


@pytest.mark.parametrize("name, exercise", EXERCISES, ids=IDS)
def test_unfilled_stub_is_reported_as_not_done(name, exercise, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("stub")

    with pytest.raises(ExerciseNotDone, match="not filled in yet"):
        exercise.check(stub)
    with pytest.raises(NotImplementedError):  # ExerciseNotDone is one
        exercise.check(None)
    exercise.hint()
    exercise.solution()
    printed = capsys.readouterr().out
    assert "Hint" in printed and "solution" in printed.lower()
