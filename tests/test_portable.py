"""Generated text must not depend on the last bit of a float.

A value computed at import differs in its last bit between CPUs (OpenBLAS and
torch choose other kernels on an Intel CPU with AVX-512 than on an AMD one), so
committed text written from it (a solution cell) goes through
``course_utils.core.portable.literal``. Two checks, without a second CPU:
each exercise's solution text is unchanged when every float of its value moves
by one ulp; and the generators' ``--check`` passes when numpy's OpenBLAS and
torch are made to run other CPUs' kernels (``OPENBLAS_CORETYPE``,
``ATEN_CPU_CAPABILITY``).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course_utils.core.checks import Think
from course_utils.core.portable import literal

ROOT = Path(__file__).resolve().parents[1]
MODULES = [importlib.import_module(f"course_utils.topics.exercises.nb{i:02d}")
           for i in range(11)]
VALUES = [(e.number, e) for m in MODULES for e in m.EXERCISES
          if e.answer_name and not callable(e.reference) and not e.solution_text
          and not isinstance(e, Think)]


def nudged(value, direction):
    """``value`` with every float moved one ulp towards ``direction``."""
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        return float(np.nextafter(float(value), direction))
    if isinstance(value, np.ndarray):
        return nudged(value.tolist(), direction)
    if isinstance(value, (list, tuple)):
        return type(value)(nudged(v, direction) for v in value)
    return value


@pytest.mark.parametrize("number, exercise", VALUES, ids=[v[0] for v in VALUES])
def test_a_solution_does_not_depend_on_the_last_bit(number, exercise):
    text = literal(exercise.reference)
    for direction in (np.inf, -np.inf):
        assert literal(nudged(exercise.reference, direction)) == text, number
    assert exercise.solution_source() == f"{exercise.answer_name} = {text}"


def test_literal_rounds_floats_and_keeps_the_rest():
    assert literal(0.35999999999999993) == literal(0.3599999999999999) == "0.36"
    assert literal(([1.0, -0.5], np.array([0.1 + 0.2]))) == "([1.0, -0.5], [0.3])"
    assert literal((np.int64(3), "a", None, True, float("inf"))) == \
        "(3, 'a', None, True, inf)"
    assert literal((2.5,)) == "(2.5,)" and literal({"k": 1e-20}) == "{'k': 0.0}"
    assert eval(literal([1 / 3, 2 / 3])) == pytest.approx([1 / 3, 2 / 3], rel=1e-11)


def _kernels() -> list[dict]:
    """Other CPUs' code paths that this CPU can run: OpenBLAS's Prescott (SSE3,
    every x86-64) and Haswell (AVX2) kernels, torch's plain (non-vector) one."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    kernels = [{"OPENBLAS_CORETYPE": "Prescott", "ATEN_CPU_CAPABILITY": "default"}]
    if " avx2" in flags:
        kernels.append({"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"})
    if " avx512f" in flags:
        kernels.append({"OPENBLAS_CORETYPE": "SkylakeX"})
    return kernels


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.uname().machine
                    not in ("x86_64", "AMD64"), reason="OpenBLAS core types of x86-64")
@pytest.mark.parametrize("kernel", _kernels(), ids=lambda k: k["OPENBLAS_CORETYPE"])
def test_generated_solutions_are_the_same_with_another_cpus_kernels(kernel):
    env = {**os.environ, **kernel, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "course_utils.tools.exercises",
                           "--check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, (kernel, done.stdout[-2000:], done.stderr[-2000:])
