"""Exercise checks that teach: ``check``, ``hint`` and ``solution``.

Every exercise of the course is an :class:`Exercise`. Its ``test`` function
receives the student's answer (usually a function they wrote) and raises
:class:`Wrong` with a message that explains what is off; ``check`` turns that into
one clear message. The reference answer lives next to the test so that the test
suite can show the check accepts it and rejects known wrong answers
(``tests/test_exercises.py``).

Used in every notebook's Exercises section::

    from course_utils.topics.exercises import nb05
    nb05.ex1.check(gaussian_kl)   # or nb05.ex1.hint(), nb05.ex1.solution()
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_utils.core.arrays import to_numpy
from course_utils.core.errors import ExerciseIncorrect, ExerciseNotDone, ShapeError
from course_utils.core.i18n import translate


class Wrong(Exception):
    """Raised by an exercise's test when the answer is not right; the message
    teaches what to look at."""


@dataclass
class Exercise:
    """One exercise: its test, a hint, a worked solution and a reference answer.

    number: shown to the student, e.g. ``"5.1"``.
    title: a few words, e.g. ``"the closed-form Gaussian KL"``.
    test: ``test(answer)`` raises :class:`Wrong` with a teaching message.
    hint: one or two sentences that point the way without giving it away.
    solution: the worked solution as text (code and/or explanation).
    reference: a correct answer (the tests check that ``test`` accepts it).
    wrong_answers: known wrong answers (the tests check that ``test`` rejects each).
    success: what a correct answer shows, printed on success.
    """

    number: str
    title: str
    test: Callable[[Any], None]
    hint_text: str
    solution_text: str
    reference: Any = None
    wrong_answers: Sequence[Any] = field(default_factory=tuple)
    success: str = ""

    def check(self, answer: Any) -> bool:
        """Check ``answer``; print a short success line or raise one clear error."""
        if answer is None or answer is Ellipsis:
            raise ExerciseNotDone(
                f"Exercise {self.number} ({self.title}) has no answer yet: fill in "
                f"the cell above. Hint: {self.hint_text}"
            )
        try:
            self.test(answer)
        except Wrong as wrong:
            raise ExerciseIncorrect(
                f"Exercise {self.number} ({self.title}) is not right yet: {wrong} "
                f"(Call .hint() for a hint, .solution() to see one answer.)"
            ) from None
        except NotImplementedError:
            raise ExerciseNotDone(
                f"Exercise {self.number} ({self.title}) is not filled in yet: "
                f"replace the `raise NotImplementedError` in the cell above with "
                f"your code. Hint: {self.hint_text}"
            ) from None
        message = translate(f"Exercise {self.number} ({self.title}): correct.")
        if self.success:
            message += " " + translate(self.success)
        print(message)
        return True

    def hint(self) -> None:
        """Print the hint."""
        print(translate(f"Hint for exercise {self.number}: {self.hint_text}"))

    def solution(self) -> None:
        """Print one worked solution."""
        header = f"A solution to exercise {self.number} ({self.title}):"
        print(translate(header) + "\n")
        print(inspect.cleandoc(self.solution_text))


# Helpers for writing tests -----------------------------------------------------

def as_numpy(value: Any, what: str = "your answer") -> np.ndarray:
    """A number, list, NumPy array or torch tensor as a float64 array; anything else
    is :class:`Wrong` with a message naming ``what``."""
    try:
        return to_numpy(value, what=what)
    except ShapeError as err:
        raise Wrong(str(err)) from None


def expect_close(actual: Any, expected: Any, what: str, rtol: float = 1e-5,
                 atol: float = 1e-8) -> None:
    """Raise :class:`Wrong` unless ``actual`` matches ``expected`` (shape and value)."""
    a, e = as_numpy(actual, what), as_numpy(expected, what)
    if a.shape != e.shape:
        raise Wrong(f"{what} has shape {a.shape}, expected {e.shape}.")
    if not np.all(np.isfinite(a)):
        raise Wrong(f"{what} contains NaN or infinite values.")
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        diff = np.max(np.abs(a - e))
        show = (f"{float(a):.6g}, expected {float(e):.6g}" if a.size == 1
                else f"off by up to {diff:.3g}")
        raise Wrong(f"{what} is {show}.")


def expect_callable(answer: Any, what: str = "your answer") -> None:
    """Raise :class:`Wrong` unless ``answer`` is a function."""
    if not callable(answer):
        raise Wrong(f"{what} should be a function; pass the function itself, "
                    f"without calling it (got {type(answer).__name__}).")
