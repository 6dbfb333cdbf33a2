"""Text that does not depend on the last bit of a float.

A value computed at import (an inverse, a square root) can differ in its last
bit from one CPU to the next: OpenBLAS and torch pick other kernels on an
Intel CPU with AVX-512 than on an AMD one, and ``repr`` shows every bit. Any
text the course writes into a committed file (a solution cell, a table) and
compares with what a generator writes on another machine goes through
:func:`literal`, which rounds each float to ``DIGITS`` significant digits.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: significant digits kept: far below a float64's 15-17, far above what a
#: solution or a table needs
DIGITS = 12
#: below this size a float is written as 0.0: a sum that is 0 on one CPU can
#: be 1e-17 on another
TINY = 1e-12


def rounded(x: float, digits: int = DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits, 0.0 below :data:`TINY`
    (inf and NaN unchanged)."""
    x = float(x)
    if not math.isfinite(x):
        return x
    return 0.0 if abs(x) < TINY else float(f"{x:.{digits}g}")


def literal(value: Any, digits: int = DIGITS) -> str:
    """Python source for ``value`` (numbers, strings, lists, tuples, dicts, NumPy
    arrays and scalars), with every float rounded to ``digits`` significant
    digits (:func:`rounded`), so that one ulp more or less writes the same text."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return repr(bool(value) if isinstance(value, np.bool_) else value)
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(rounded(value, digits))
    if isinstance(value, np.ndarray):
        return literal(value.tolist(), digits)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, digits) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v, digits) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k, digits)}: {literal(v, digits)}"
                               for k, v in value.items()) + "}"
    return repr(value)
