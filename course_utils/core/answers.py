"""What a student hands to an exercise's check, validated once, before any test
does arithmetic on it.

A check runs the student's function on its own inputs, or reads the value they
wrote. Whatever comes back (a forgotten ``return``, a float32 tensor where the
inputs were float64, a tensor on the 'meta' device, a list, a complex number,
``10**400``, NaN) ends in one :class:`Wrong` with a one-line message, never in a
traceback through the test's own arithmetic, and a NaN or an infinity never in
"correct":

- :func:`checked_function` wraps the student's function: what it returns is
  validated (:func:`returned_value`) and brought to the CPU and to the
  precision of its inputs; whether it ever returned NaN or an infinity is
  recorded, so that the check can refuse an answer whose test did not notice;
- :func:`validate_value` checks a written value (an explore exercise's answer);
- :func:`as_numpy`, :func:`as_scalar`, :func:`expect_number`,
  :func:`expect_close` and :func:`expect_callable` are the helpers the tests of
  ``course_utils/topics/exercises/nbNN.py`` read an answer with.

Every message is a plain string here (to be translated).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_utils.core.arrays import to_numpy
from course_utils.core.errors import ShapeError

_DEPTH = 3   # how deep into tuples and lists of tuples and lists a value is read


class Wrong(Exception):
    """Raised by an exercise's test when the answer is not right; the message
    teaches what to look at."""


# What a value holds ----------------------------------------------------------------

def _leaves(value: Any, depth: int = 0):
    """The numbers, arrays and tensors in ``value`` (through tuples and lists)."""
    if isinstance(value, (tuple, list)) and depth < _DEPTH:
        for item in value:
            yield from _leaves(item, depth + 1)
    else:
        yield value


def _is_complex(value: Any) -> bool:
    if isinstance(value, (complex, np.complexfloating)):
        return True
    if isinstance(value, torch.Tensor):
        return value.is_complex()
    return isinstance(value, np.ndarray) and np.iscomplexobj(value)


def _too_large(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    try:
        float(value)
    except OverflowError:
        return True
    return False


def reject_unusable(value: Any, what: str = "your answer") -> None:
    """Raise :class:`Wrong` when ``value`` holds something no test can read: a
    tensor on the 'meta' device, a complex number, a whole number beyond the
    range of a float."""
    for leaf in _leaves(value):
        if isinstance(leaf, torch.Tensor) and leaf.device.type == "meta":
            raise Wrong(f"{what} is a tensor on the 'meta' device, which has a shape "
                        "but no values: create it without device='meta' (on the "
                        "CPU, or move it there with .cpu()).")
        if _is_complex(leaf):
            raise Wrong(f"{what} holds complex numbers (a square root or a "
                        "fractional power of a negative number?): the answer is "
                        "real.")
        if _too_large(leaf):
            raise Wrong(f"{what} is a whole number too large to be a float (beyond "
                        "about 1.8e308); the answer is far smaller.")


def is_finite(value: Any) -> bool:
    """Whether every number in ``value`` is finite (what is not a number, is)."""
    for leaf in _leaves(value):
        if isinstance(leaf, torch.Tensor):
            if leaf.device.type != "meta" and not leaf.is_complex() and \
                    not bool(torch.isfinite(leaf.detach()).all()):
                return False
        elif isinstance(leaf, np.ndarray):
            if leaf.dtype.kind in "fiub" and not np.all(np.isfinite(leaf)):
                return False
        elif isinstance(leaf, (float, np.floating)) and not math.isfinite(leaf):
            return False
    return True


def validate_value(value: Any, what: str = "your answer") -> None:
    """A written value (an explore exercise's answer): :func:`reject_unusable`,
    and every number in it finite."""
    reject_unusable(value, what)
    if not is_finite(value):
        raise Wrong(f"{what} contains NaN or an infinite value: write finite "
                    "numbers.")


# What a student's function returns -------------------------------------------------

_NOT_A_RESULT = (str, bytes, dict, set, frozenset)


def _widest_float(values) -> torch.dtype | None:
    """The most precise floating dtype among the tensors and arrays in ``values``."""
    best = None
    for leaf in _leaves(list(values)):
        if isinstance(leaf, torch.Tensor) and leaf.is_floating_point():
            dtype = leaf.dtype
        elif isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f" and \
                leaf.dtype.itemsize in (2, 4, 8):
            dtype = {2: torch.float16, 4: torch.float32, 8: torch.float64}[
                leaf.dtype.itemsize]
        else:
            continue
        if best is None or torch.finfo(dtype).bits > torch.finfo(best).bits:
            best = dtype
    return best


def _tensor_result(tensor: torch.Tensor, widest: torch.dtype | None,
                   lowered: list) -> torch.Tensor:
    if tensor.device.type not in ("cpu", "meta"):
        tensor = tensor.cpu()   # a GPU result is compared on the CPU
    if widest is None or tensor.dtype == torch.bool or tensor.is_complex():
        return tensor
    if not tensor.is_floating_point():   # a count, compared with floats
        return tensor.to(widest)
    if torch.finfo(tensor.dtype).bits < torch.finfo(widest).bits:
        lowered.append((tensor.dtype, widest))   # float32 out of float64 inputs
        tensor = tensor.to(widest)
    return tensor


def returned_value(result: Any, widest: torch.dtype | None = None,
                   lowered: list | None = None, depth: int = 0) -> Any:
    """What a student's function returned, ready for the test: :class:`Wrong`
    for None, text, a dict, a tensor on the 'meta' device, complex numbers or a
    number too large for a float; a tensor on another device moved to the CPU,
    and one of lower precision than the inputs' (``widest``) brought to it
    (``(its dtype, widest)`` appended to ``lowered``)."""
    lowered = [] if lowered is None else lowered
    if result is None:
        raise Wrong("your function returned None: did you forget its `return` "
                    "line?")
    if isinstance(result, _NOT_A_RESULT):
        raise Wrong(f"your function returned a {type(result).__name__}; return a "
                    "number, an array or a tensor.")
    if depth == 0:
        reject_unusable(result, "what your function returned")
    if isinstance(result, torch.Tensor):
        return _tensor_result(result, widest, lowered)
    if isinstance(result, (tuple, list)) and depth < _DEPTH:
        items = [returned_value(item, widest, lowered, depth + 1)
                 if item is not None else item for item in result]
        if all(a is b for a, b in zip(items, result, strict=True)):
            return result
        if isinstance(result, list):
            return items
        return tuple(items) if type(result) is tuple else type(result)(*items)
    return result


def checked_function(function: Callable) -> Callable:
    """``function`` (the student's), wrapped: each result goes through
    :func:`returned_value`; ``.nonfinite`` records whether one held NaN or an
    infinity (a test may want to see it, so the check refuses it at the end),
    ``.lowered`` the dtypes of results brought to their inputs' precision (the
    check says so when the test then fails)."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        result = function(*args, **kwargs)
        result = returned_value(result, _widest_float([args, list(kwargs.values())]),
                                call.lowered)
        if not is_finite(result):
            call.nonfinite = True
        return result

    call.nonfinite = False
    call.lowered = []
    return call


def lowered_message(lowered: list) -> str:
    """Why a result of lower precision than its inputs failed the check."""
    got, inputs = (str(dtype).removeprefix("torch.") for dtype in lowered[0])
    return (f"your function returned {got} values for {inputs} inputs, and the "
            f"check needs {inputs} precision: keep the inputs' dtype (make new "
            "tensors with dtype=x.dtype, and no .float()).")


NONFINITE = ("your function returned NaN or an infinite value for one of the "
             "check's inputs; a right answer is finite there: look for a log of 0, "
             "a division by 0 or an exp that overflows.")


# Helpers for writing tests -------------------------------------------------------

def as_numpy(value: Any, what: str = "your answer") -> np.ndarray:
    """A number, list, NumPy array or torch tensor as a float64 array; anything else
    is :class:`Wrong` with a message naming ``what``."""
    if value is None:
        raise Wrong(f"{what} is None: a value (a number or an array) was expected; "
                    "did a function forget its `return` line?")
    reject_unusable(value, what)
    try:
        return to_numpy(value, what=what)
    except ShapeError as err:
        raise Wrong(str(err)) from None


def as_scalar(value: Any, what: str = "your answer") -> float:
    """``value`` as one float (NaN and infinities kept, for the test to explain);
    an array of another size is :class:`Wrong`."""
    array = as_numpy(value, what)
    if array.size != 1:
        raise Wrong(f"{what} should be one number, got an array of shape "
                    f"{array.shape}.")
    return float(array.reshape(()))


def expect_close(actual: Any, expected: Any, what: str, rtol: float = 1e-5,
                 atol: float = 1e-8) -> None:
    """Raise :class:`Wrong` unless ``actual`` matches ``expected`` (shape and value)."""
    a, e = as_numpy(actual, what), as_numpy(expected, what)
    if a.shape != e.shape:
        raise Wrong(f"{what} has shape {a.shape}, expected {e.shape}.")
    if not np.all(np.isfinite(a)):
        raise Wrong(f"{what} contains NaN or infinite values.")
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        _explain_scaled(a, e, what, rtol, atol)
        diff = np.max(np.abs(a - e))
        show = (f"{float(a):.6g}, expected {float(e):.6g}" if a.size == 1
                else f"off by up to {diff:.3g}")
        raise Wrong(f"{what} is {show}.")


def _explain_scaled(a: np.ndarray, e: np.ndarray, what: str, rtol: float,
                    atol: float) -> None:
    """Raise :class:`Wrong` naming the factor when ``a`` is ``e`` times one number
    (a sum for a mean, a sign flipped): "off by up to 158" says less."""
    nonzero = np.abs(e) > 1e-12
    if nonzero.sum() < 2:
        return
    k = float(np.median(a[nonzero] / e[nonzero]))
    if not np.isfinite(k) or abs(k - 1) < 1e-3 or not np.allclose(
            a, k * e, rtol=10 * rtol, atol=10 * atol):
        return
    if abs(k + 1) < 1e-3:
        raise Wrong(f"{what} has the right size but the opposite sign, everywhere.")
    raise Wrong(f"{what} is {k:.4g} times the expected values, everywhere: a sum "
                "where a mean belongs, or a division by the wrong number?")


def expect_callable(answer: Any, what: str = "your answer") -> None:
    """Raise :class:`Wrong` unless ``answer`` is a function."""
    if not callable(answer):
        raise Wrong(f"{what} should be a function; pass the function itself, "
                    f"without calling it (got {type(answer).__name__}).")


def expect_number(answer: Any, what: str = "your answer") -> float:
    """``answer`` as a finite float, or :class:`Wrong`."""
    reject_unusable(answer, what)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a number, got {type(answer).__name__}.") \
            from None
    if not math.isfinite(value):
        raise Wrong(f"{what} is not finite.")
    return value
