"""A bug in the student's own code, reported as one message.

When a check calls the student's function and it raises (a ``NameError``, a
shape mismatch inside their function), the student should see where in *their*
code it happened and what to try, not a traceback through ``course_utils`` and
torch. :func:`student_error` finds the innermost frame that is neither the
course's code nor a library's and builds that message.
"""

from __future__ import annotations

import linecache
import re
import sys
import sysconfig
import traceback
from pathlib import Path

from course_utils.core.errors import CourseError

_COURSE = str(Path(__file__).resolve().parent.parent)
_LIBRARIES = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "purelib",
                                                         "platlib")}
                   | {sys.prefix, sys.base_prefix})


class ExerciseCodeError(CourseError):
    """The student's code raised an error while an exercise was checked."""


ADVICE = {
    "NameError": "a name is not defined there: check its spelling, or run the cell "
                 "that defines it first (after a restart, run the notebook from the "
                 "top).",
    "AttributeError": "the object has no such attribute: NumPy arrays and torch "
                      "tensors name things differently (axis= and dim=); print "
                      "type(...) of the value on that line.",
    "TypeError": "a value has the wrong type for that operation: mixing NumPy "
                 "arrays and torch tensors, or a number where a tensor is expected; "
                 "print type(...) of each value on that line.",
    "IndexError": "an index is out of range: print the shape of the array and the "
                  "index on that line.",
    "ZeroDivisionError": "a division by zero: which denominator on that line can "
                         "be 0?",
    "index": "an index or a size is a float where a whole number is needed: "
             "`/` always gives a float in Python 3 (5 / 2 is 2.5); use `//` (5 // 2 "
             "is 2) or int(...).",
    "shape": "the shapes do not fit: print x.shape for each array on that line; a "
             "transposed matrix or the wrong axis (dim=0 against dim=1) is the "
             "usual cause.",
}
_SHAPE_WORDS = ("shape", "size", "dimension", "mat1", "broadcast", "must match")
# what Python, NumPy and torch say when a float is used as an index or a count
# (written with \s, so that the catalog does not take them for messages)
_FLOAT_INDEX = re.compile(r"slice\sindices\smust\sbe\sintegers|\(got\sfloat\)"
                          r"|cannot\sbe\sinterpreted\sas\san\sinteger"
                          r"|only\sintegers,\sslices|converted\sto\san\sindex")


def _is_student_file(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return False  # the interpreter's own; <string> and <ipython-input-..> count
    path = str(Path(filename).resolve()) if not filename.startswith("<") else filename
    return not (path.startswith(_COURSE) or path.startswith(_LIBRARIES))


def advice_for(err: BaseException) -> str:
    """What to try for this kind of error."""
    name = type(err).__name__
    text = str(err).lower()
    if name in ("TypeError", "IndexError") and _FLOAT_INDEX.search(text):
        return ADVICE["index"]
    if name in ("RuntimeError", "ValueError") and any(w in text for w in _SHAPE_WORDS):
        return ADVICE["shape"]
    return ADVICE.get(name, "read the message, then print the values used on that "
                            "line to see which one is not what you expect.")


def student_error(number: str, err: BaseException,
                  answer: object = None) -> ExerciseCodeError | None:
    """One message for an error raised in the student's code, or None when the
    traceback does not pass through the student's ``answer`` (then the course
    has a bug, and its traceback is the useful one)."""
    code = getattr(answer, "__code__", None)
    if code is None:
        return None
    frames = traceback.extract_tb(err.__traceback__)
    start = next((i for i, f in enumerate(frames) if f.filename == code.co_filename
                  and f.name == code.co_name), None)
    if start is None:   # the answer is not on the stack: it returned, then we broke
        return None
    frames = [f for f in frames[start:] if _is_student_file(f.filename)]
    frame = frames[-1]
    line = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
    where = (f"in your function `{frame.name}`" if frame.name not in ("<module>",
                                                                      "<lambda>")
             else "in your code")
    message = str(err).strip().splitlines()[0] if str(err).strip() else ""
    # no part of the message is empty, so that its translation finds each one
    raised = f"{type(err).__name__}: {message}" if message else type(err).__name__
    at = f"line {frame.lineno}: `{line}`" if line else f"line {frame.lineno}"
    return ExerciseCodeError(
        f"Exercise {number}: your code raised {raised}, {where}, {at}. Try: "
        f"{advice_for(err)} Your answer was not checked yet; fix the line and run "
        "the cell again.")
