"""The course's own errors, and a short display for them in Jupyter.

A student who meets one of these (an unfilled exercise, a missing data set, a wrong
shape passed to a helper) sees one message that says what to do, not a traceback
through the helper package.
"""

from __future__ import annotations

import textwrap


class CourseError(Exception):
    """Base class: an error whose message tells the student what to do.

    In Jupyter it is shown as its name and message only, in red, without a
    traceback through the helper package (IPython asks an exception for
    ``_render_traceback_`` before it formats a traceback). Tools such as nbval
    still see the cell fail with this exception's name.
    """

    def _render_traceback_(self) -> list[str]:
        # i18n reads COURSE_LANG through config, which imports torch: not at import
        from course_utils.core.i18n import translate

        name = type(self).__name__
        text = _wrapped(f"{name}: {translate(str(self))}")
        return [f"\x1b[31m{name}\x1b[0m{text[len(name):]}"]


#: Error messages are wrapped between words at this width: JupyterLab's error box
#: breaks a longer line anywhere, mid-word. (A right-to-left message comes wrapped
#: by course_utils.core.i18n already.)
ERROR_WIDTH = 80


def _wrapped(text: str) -> str:
    """Each line of ``text`` longer than :data:`ERROR_WIDTH` wrapped between
    words, its indentation kept; words are never split (a long path stays whole)."""
    out = []
    for line in text.split("\n"):
        if len(line) <= ERROR_WIDTH or "\u2067" in line:
            out.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        out.append(textwrap.fill(line, ERROR_WIDTH, subsequent_indent=indent,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


class ConfigError(CourseError, ValueError):
    """A ``COURSE_*`` environment variable or a device name has a value the course
    does not accept; the message names it, its value and what it accepts."""


class DataUnavailableError(CourseError, FileNotFoundError):
    """A data set cannot be found, read or downloaded."""


class ShapeError(CourseError, ValueError):
    """A helper received an array of the wrong shape or type."""


class ExerciseNotDone(CourseError, NotImplementedError):
    """An exercise stub has not been filled in yet."""


class ExerciseIncorrect(CourseError, AssertionError):
    """An exercise answer was checked and is not right yet."""


def expect_shape(name: str, value, shape: tuple, where: str = "") -> None:
    """Raise :class:`ShapeError` unless ``value.shape`` matches ``shape``.

    ``shape`` may hold ``None`` for "any size". ``where`` names the helper.
    """
    actual = tuple(getattr(value, "shape", ()))
    ok = len(actual) == len(shape) and all(
        s is None or s == a for s, a in zip(shape, actual, strict=False)
    )
    if not ok:
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        place = f"{where}: " if where else ""
        raise ShapeError(
            f"{place}`{name}` should have shape {want}, but has shape {actual}. "
            "Check that you passed the right array (reshape or flatten it first)."
        )


#: what the graded course's student package says where a check or ``solution()``
#: would need the solution it does not hold (course_utils.tools.graded_package)
WITHHELD = ("This check compares your answer with the course's solution, which the "
            "graded course keeps for the grader: your answer is checked when your "
            "notebook is graded.")
NO_SOLUTIONS = ("The graded course shows no solutions: your answer is checked when "
                "your notebook is graded.")


class ReferenceWithheld(ExerciseNotDone):
    """A check of the graded course that needs the solution it does not hold."""
