"""The course's own errors, and a short display for them in Jupyter.

A student who meets one of these (an unfilled exercise, a missing data set, a wrong
shape passed to a helper) sees one message that says what to do, not a traceback
through the helper package.
"""

from __future__ import annotations


class CourseError(Exception):
    """Base class: an error whose message tells the student what to do."""


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


def _short_handler(shell, etype, evalue, tb, tb_offset=None):
    """IPython handler: the error's name and message only, in red, no traceback.

    The returned lines still reach the front end as an error output, so tools such
    as nbval see the cell fail with the right exception name.
    """
    return [f"\x1b[31m{etype.__name__}\x1b[0m: {evalue}"]


def install_short_errors() -> bool:
    """In IPython, show :class:`CourseError` as one message. Returns True if set."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((CourseError,), _short_handler)
    return True
