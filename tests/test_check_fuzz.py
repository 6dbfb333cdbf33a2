"""Bad answers to every exercise end in one course error of one line, never in a
traceback through the course's check code, and never in "correct".

Each exercise of each module (its ``EXERCISES``) gets the answers a student
really writes by mistake: nothing, NaN and infinities, a list or an array of
the wrong shape, a tensor on the 'meta' device, an array of two choices,
``10**400``, a string, a complex number, a dict; and each function exercise
gets its own reference wrapped so that it forgets its ``return``, or returns
its result as float32, float16 or int64, as NaN or infinities, on the 'meta'
device, in the wrong shape, as a string, a complex number or a dict.

An answer "may pass" only when it is the reference's own value in another
type (a float32 tensor of the right numbers, a 0-d tensor); NaN and infinities
never pass. Anything else must raise a :class:`CourseError` whose message is a
single line.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import math
import pkgutil

import numpy as np
import pytest
import torch

import course_utils.topics.exercises as exercises_pkg
from course_utils.core.checks import NOT_STARTED, Exercise, Think
from course_utils.core.errors import CourseError, ExerciseIncorrect

MUST_FAIL, MAY_PASS = "must fail", "may pass"


def _exercises() -> list[Exercise]:
    found = []
    for info in pkgutil.iter_modules(exercises_pkg.__path__):
        module = importlib.import_module(f"{exercises_pkg.__name__}.{info.name}")
        found += list(module.EXERCISES)
    return found


EXERCISES = _exercises()


# Turning a value (an answer, or what a function returns) into a bad one ---------

def _map(value, leaf):
    """``value`` with every number, array or tensor in it replaced by
    ``leaf(number)``; tuples and lists keep their structure."""
    if isinstance(value, (tuple, list)):
        return type(value)(_map(v, leaf) for v in value)
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.number, np.ndarray, torch.Tensor)):
        return leaf(value)
    return value


def _tensor(value) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else torch.as_tensor(
        np.asarray(value))


def _as_dtype(dtype):
    return lambda v: _tensor(v).to(dtype)


def _filled(number: float):
    def leaf(v):
        if isinstance(v, (int, float, np.number)):
            return number
        t = _tensor(v)
        t = t if t.is_floating_point() else t.double()
        return torch.full_like(t.detach(), number)
    return leaf


def _meta(v):
    t = _tensor(v)
    return (t if t.is_floating_point() else t.double()).detach().to("meta")


def _first_nan(value):
    """``value`` with its first number NaN (the rest as they are)."""
    done = []

    def leaf(v):
        if done:
            return v
        done.append(1)
        if isinstance(v, (int, float, np.number)):
            return math.nan
        t = _tensor(v).double().clone()
        t.view(-1)[0] = math.nan
        return t
    return _map(value, leaf)


def _returning(reference, transform):
    """A student's function: the reference, with its result transformed."""
    def answer(*args, **kwargs):
        return transform(reference(*args, **kwargs))
    return answer


GENERIC = [   # (label, answer): never right for any exercise
    ("None", None),
    ("Ellipsis", ...),
    ("NaN", math.nan),
    ("inf", math.inf),
    ("-inf", -math.inf),
    ("a meta tensor", torch.zeros(3, device="meta")),
    ("a 0-d meta tensor", torch.tensor(1.0, device="meta")),
    ("an array of two choices", np.array(["a", "b"])),
    ("10**400", 10**400),
    ("a string", "no idea"),
    ("a complex number", 1 + 2j),
    ("a dict", {"a": 1.0}),
    ("a list with a string", [1.0, "x"]),
    ("a wrong-shape array", np.zeros((3, 1, 7))),
    ("a 2-d tensor", torch.zeros(2, 3)),
    ("a function returning None", lambda *args, **kwargs: None),
]

RESULTS = [   # (label, transform of the reference's result, must fail or may pass)
    ("returning None", lambda r: None, MUST_FAIL),
    ("returning float32", lambda r: _map(r, _as_dtype(torch.float32)), MAY_PASS),
    ("returning float16", lambda r: _map(r, _as_dtype(torch.float16)), MAY_PASS),
    ("returning int64", lambda r: _map(r, _as_dtype(torch.int64)), MAY_PASS),
    ("returning a list", lambda r: _map(r, lambda v: _tensor(v).tolist()), MAY_PASS),
    ("returning NaN", lambda r: _map(r, _filled(math.nan)), MUST_FAIL),
    ("returning inf", lambda r: _map(r, _filled(math.inf)), MUST_FAIL),
    ("returning -inf", lambda r: _map(r, _filled(-math.inf)), MUST_FAIL),
    ("returning one NaN", _first_nan, MUST_FAIL),
    ("returning a meta tensor", lambda r: _map(r, _meta), MUST_FAIL),
    ("returning a wrong-shape array", lambda r: np.zeros((3, 1, 7)), MUST_FAIL),
    ("returning a 2-d tensor", lambda r: torch.ones(2, 3, dtype=torch.float64),
     MUST_FAIL),
    ("returning a string", lambda r: "0.5", MUST_FAIL),
    ("returning 10**400", lambda r: 10**400, MUST_FAIL),
    ("returning a complex number", lambda r: 1 + 2j, MUST_FAIL),
    ("returning a dict", lambda r: {"value": r}, MUST_FAIL),
]


def _value_variants(reference) -> list[tuple[str, object, str]]:
    """Bad (and harmless) versions of a value answer (explore, predict)."""
    if isinstance(reference, str):
        return [("the choice as np.str_", np.str_(reference), MAY_PASS),
                ("the choice twice", np.array([reference, reference]), MUST_FAIL),
                ("the choice in a list", [reference], MUST_FAIL)]
    return [
        ("as float32", _map(reference, _as_dtype(torch.float32)), MAY_PASS),
        ("as a float32 array", _map(reference, lambda v: np.float32(v)), MAY_PASS),
        ("as int64", _map(reference, _as_dtype(torch.int64)), MAY_PASS),
        ("as NaN", _map(reference, _filled(math.nan)), MUST_FAIL),
        ("as inf", _map(reference, _filled(math.inf)), MUST_FAIL),
        ("as -inf", _map(reference, _filled(-math.inf)), MUST_FAIL),
        ("with one NaN", _first_nan(reference), MUST_FAIL),
        ("on the meta device", _map(reference, _meta), MUST_FAIL),
        ("twice, as an array", np.array([reference, reference], dtype=object),
         MUST_FAIL),
    ]


def _cases(exercise: Exercise) -> list[tuple[str, object, str]]:
    cases = [(label, value, MUST_FAIL) for label, value in GENERIC]
    reference = exercise.reference
    if isinstance(exercise, Think):
        return cases
    if callable(reference):
        cases += [(label, _returning(reference, transform), verdict)
                  for label, transform, verdict in RESULTS]
    else:   # a prediction may be a 0-d tensor or a NumPy number ("as float32")
        cases += _value_variants(reference)
    return cases


def _verdict(exercise: Exercise, answer) -> tuple[str, str]:
    """("passed", printed) or ("raised", message); anything else escapes."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exercise.check(answer)
    except CourseError as err:
        if len(err._render_traceback_()) != 1:   # what Jupyter shows
            return "raised", f"{err}\n(rendered in several parts)"
        return "raised", str(err)
    finally:
        exercise.status = NOT_STARTED
    return "passed", printed.getvalue()


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.handle for e in EXERCISES])
def test_bad_answers_end_in_one_course_error_of_one_line(exercise):
    problems = []
    for label, answer, verdict in _cases(exercise):
        try:
            outcome, text = _verdict(exercise, answer)
        except Exception as err:  # noqa: BLE001 - what the test is looking for
            problems.append(f"{label}: raw {type(err).__name__}: "
                            f"{str(err).strip().splitlines()[:1]}")
            continue
        if outcome == "passed" and verdict == MUST_FAIL:
            kind = ("NaN/inf marked correct" if any(w in label for w in
                                                    ("NaN", "inf"))
                    else "bad answer accepted")
            problems.append(f"{label}: {kind}: {text.strip()[:120]!r}")
        elif outcome == "raised" and ("\n" in text.strip() or not text.strip()):
            problems.append(f"{label}: a message of {text.count(chr(10)) + 1} "
                            f"lines: {text[:120]!r}")
    assert not problems, f"{exercise.handle}:\n  " + "\n  ".join(problems)


# The realistic cases of the issue, one by one -----------------------------------

BY_HANDLE = {e.number: e for e in EXERCISES}


@pytest.mark.parametrize("number", ["0.1", "3.2", "7.3", "9.3"])
def test_a_forgotten_return_says_so(number):
    with pytest.raises(ExerciseIncorrect, match="returned None: did you forget"):
        BY_HANDLE[number].check(lambda *args: None)


@pytest.mark.parametrize("number", ["1.2", "5.1", "5.2", "7.1"])
def test_a_float32_result_of_float64_inputs_is_compared_not_a_crash(number):
    exercise = BY_HANDLE[number]
    as_float32 = _returning(exercise.reference, RESULTS[1][1])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exercise.check(as_float32)   # right to float32's precision: correct
    assert "correct" in out.getvalue()
    as_float16 = _returning(exercise.reference, RESULTS[2][1])
    with pytest.raises(ExerciseIncorrect, match="returned float16 values for "
                       "float64 inputs"):
        exercise.check(as_float16)


@pytest.mark.parametrize("number, answer", [
    ("4.4", ([1.0, -0.5], [math.nan, 0.36])),
    ("4.4", ([math.nan, math.nan], [0.36, 0.36])),
    ("5.5", (math.inf, 0.75)),
    ("5.5", (-2.0, math.nan)),
    ("6.5", math.nan),
    ("9.5", lambda x, t: torch.full_like(x, math.nan)),
    ("9.5", lambda x, t: -x / 0.0),
])
def test_nan_or_inf_is_never_correct(number, answer):
    with pytest.raises(ExerciseIncorrect, match="NaN|finite|infinite"):
        BY_HANDLE[number].check(answer)
