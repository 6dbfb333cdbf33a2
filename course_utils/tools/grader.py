"""The grader's side of the graded course: what each hidden autograder test runs.

``python -m course_utils.tools.nbgrader`` copies this file into the nbgrader
course as ``grader/course_grader.py``, beside a complete copy of ``course_utils``
(``grader/course_utils``, references included). Neither is under ``source/``, so
nbgrader never releases them; ``nbgrader_config.py`` points ``COURSE_GRADER`` at
the folder. Each autograder test cell of the source notebook ends in a hidden
block (stripped from the release, put back by ``nbgrader autograde``) that reads
this file afresh and calls :func:`grade`.

:func:`grade` does not trust the notebook it grades:

- the check it runs is a fresh import of the grader's copy of the exercise (with
  its own copy of every course module it uses), not ``nbNN.exK`` from the
  student's kernel, so ``nbNN.exK.check = lambda *a: None`` (or any change to
  the student's ``course_utils``) changes nothing;
- an answer that is the course's own code (the reference, ``solution()``'s
  function, a library function of the same name, or a function of the notebook
  that calls one of them or an exercise object) is refused, and so is an
  explored value that is the reference object itself.

Only the standard library is imported here: the file runs on its own, before
the grader's course_utils is imported.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import os
import sys
import types
from pathlib import Path

PACKAGE = "course_utils"
#: how deep the functions an answer calls are followed, looking for course code
DEPTH = 6


class GraderRefused(AssertionError):
    """An answer the grader does not accept as the student's own work."""


def grader_folder() -> Path:
    folder = os.environ.get("COURSE_GRADER", "").strip()
    if not folder or not (Path(folder) / PACKAGE).is_dir():
        raise RuntimeError("COURSE_GRADER names no folder with the grader's copy of "
                           "course_utils: run nbgrader from the course folder that "
                           "python -m course_utils.tools.nbgrader wrote.")
    return Path(folder)


def _own(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


@contextlib.contextmanager
def grader_modules(folder: Path):
    """Inside the block, ``course_utils`` is the grader's copy in ``folder``,
    imported afresh; afterwards the kernel's own modules are back."""
    saved = {k: sys.modules.pop(k) for k in [k for k in sys.modules if _own(k)]}
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in [k for k in sys.modules if _own(k)]:
            del sys.modules[name]
        sys.modules.update(saved)


def course_folders() -> list[Path]:
    """Every course_utils the kernel knows: its own and the grader's copy."""
    found = []
    module = sys.modules.get(PACKAGE)
    if module is not None and getattr(module, "__file__", None):
        found.append(Path(module.__file__).resolve().parent)
    with contextlib.suppress(RuntimeError):
        found.append((grader_folder() / PACKAGE).resolve())
    return found


def _from_course(obj, folders: list[Path]) -> bool:
    """Whether a function (or class, or module) is the course's code."""
    if isinstance(obj, functools.partial):
        obj = obj.func
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    name = getattr(obj, "__module__", None) if not isinstance(obj, types.ModuleType) \
        else obj.__name__
    if isinstance(name, str) and _own(name):
        return True
    code = getattr(obj, "__code__", None)
    if code is None:
        return False
    where = Path(code.co_filename).resolve()
    # any copy of the package, wherever it was loaded from and under any name
    return PACKAGE in where.parts or any(where.is_relative_to(f) for f in folders)


def _same_code(one, other) -> bool:
    a, b = getattr(one, "__code__", None), getattr(other, "__code__", None)
    return a is not None and b is not None and (a.co_code, a.co_consts) == (
        b.co_code, b.co_consts)


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _is_exercise(obj) -> bool:
    return any(cls.__name__ == "Exercise" and _own(cls.__module__)
               for cls in type(obj).__mro__)


def borrowed(answer, reference, folders: list[Path]) -> str | None:
    """What of the course's own code ``answer`` hands in, or None."""
    if isinstance(answer, functools.partial) or inspect.ismethod(answer):
        return "a wrapper around the course's code"
    seen: set[int] = set()
    todo = [(answer, 0)]
    while todo:
        obj, depth = todo.pop()
        if id(obj) in seen or depth > DEPTH:
            continue
        seen.add(id(obj))
        if isinstance(obj, types.ModuleType) and obj.__name__.startswith(
                PACKAGE + ".topics.exercises"):
            return f"the course's exercise module {obj.__name__}"
        if _is_exercise(obj):
            return f"the course's exercise {getattr(obj, 'handle', '')}".rstrip()
        if obj is reference or (inspect.isfunction(obj) and _same_code(obj, reference)
                                and _from_course(obj, folders)):
            return "the course's reference solution"
        if _from_course(obj, folders) and getattr(obj, "__name__", None) == getattr(
                reference, "__name__", ""):
            return f"the course's own {obj.__name__}"
        if depth == 0 and _from_course(obj, folders):
            return "the course's code, not a function written in the notebook"
        if isinstance(obj, types.ModuleType) and _own(obj.__name__):
            continue   # a course module reached by name: its attributes below
        code = getattr(obj, "__code__", None)
        if not inspect.isfunction(obj) or code is None or _from_course(obj, folders):
            continue
        names = _names(code)
        for name in names:
            value = obj.__globals__.get(name)
            if isinstance(value, types.ModuleType) and _own(value.__name__):
                todo.append((value, depth + 1))
                todo += [(getattr(value, n), depth + 1) for n in names
                         if hasattr(value, n)]
            elif value is not None:
                todo.append((value, depth + 1))
        todo += [(cell.cell_contents, depth + 1) for cell in (obj.__closure__ or ())
                 if _filled(cell)]
        todo += [(v, depth + 1) for v in (obj.__defaults__ or ())]
    return None


def _filled(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def _student_references(handle: str) -> list:
    """The reference of ``handle`` in every exercise module the kernel loaded."""
    short, name = handle.split(".")
    found = []
    for key, module in list(sys.modules.items()):
        if _own(key) and key.endswith(f".exercises.{short}"):
            exercise = getattr(module, name, None)
            if exercise is not None:
                found.append(getattr(exercise, "reference", None))
    return found


def grade(handle: str, name: str, namespace: dict) -> None:
    """Grade the answer ``namespace[name]`` to exercise ``handle`` (``"nb05.ex1"``)
    with the grader's own copy of its check; raise when it is not right."""
    folder = grader_folder()
    answer = namespace.get(name)
    folders = course_folders()
    theirs = [ref for ref in _student_references(handle) if ref is not None]
    with grader_modules(folder):
        short, attr = handle.split(".")
        module = importlib.import_module(f"{PACKAGE}.topics.exercises.{short}")
        exercise = getattr(module, attr)
        reference = exercise.reference
        if callable(answer):
            what = borrowed(answer, reference, folders + course_folders())
        elif (exercise.kind == "explore" and not isinstance(answer, (int, str))
              and any(answer is ref for ref in theirs)):
            # an int or a string may be the same object as the reference only
            # because Python keeps one copy of small ones (28 is 28): no sign
            # of copying; the students' package has no value references anyway
            what = "the course's reference value"
        else:
            what = None
        if what:
            from course_utils.core.i18n import translate  # the grader's copy

            raise GraderRefused(translate(
                f"Exercise {exercise.number}: your answer is {what}; the graded "
                "course takes only an answer written in your notebook.")) from None
        exercise.check(answer)
