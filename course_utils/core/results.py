"""Named results that a notebook records, for readers outside the notebook.

A notebook states the figures that others (the benchmark, a report) may read::

    from course_utils.core.results import record

    record("linear_ae_pca_ratio", ratio)      # a number
    record("quality_table", quality_table)    # a QualityTable: its rows
    record("losses", {"train": 1.2, "test": 1.3})  # a plain dict

Every value is kept in :data:`RESULTS` (this kernel's results, by name). When
the environment variable ``COURSE_RESULTS_FILE`` names a file, each record also
updates that JSON file (written atomically: a reader never sees half a file),
so a process that ran the notebook reads them with :func:`read_results`.

What a value becomes:

- a number (``int``, ``float``, a numpy scalar, a one-element tensor): a float;
- an object with a ``rows`` dict (``course_utils.topics.quality.QualityTable``):
  its rows, ``{image set: {metric: value}}``;
- a dict with string keys: the same dict, its numbers made floats.

Anything else is refused with a :class:`ResultError`.
"""

from __future__ import annotations

import json
import numbers
import os
import tempfile
from pathlib import Path

from course_utils.core.errors import CourseError

#: The environment variable naming the JSON file that records are written to.
RESULTS_ENV = "COURSE_RESULTS_FILE"

#: This kernel's results, by name, in the order recorded.
RESULTS: dict[str, float | dict] = {}


class ResultError(CourseError, ValueError):
    """A result has a bad name or a value that cannot be recorded."""


def _plain(value: object, name: str) -> float | dict:
    """The JSON-friendly form of ``value`` (see the module help)."""
    if isinstance(value, bool):
        raise ResultError(f"record({name!r}, ...): a bool is not a figure; "
                          "record a number, a QualityTable or a dict")
    if isinstance(value, numbers.Real):
        return float(value)
    if getattr(value, "shape", None) in ((), (1,)) and hasattr(value, "item"):
        return _plain(value.item(), name)  # a numpy scalar or a one-element tensor
    rows = getattr(value, "rows", None)
    if isinstance(rows, dict):
        return _plain(rows, name)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ResultError(f"record({name!r}, ...): a dict needs string keys")
        return {key: _plain(item, f"{name}.{key}") for key, item in value.items()}
    raise ResultError(f"record({name!r}, ...): cannot record a "
                      f"{type(value).__name__}; record a number, a QualityTable "
                      "or a dict")


def record(name: str, value: object) -> object:
    """Record ``value`` under ``name`` (see the module help); returns ``value``.

    Recording a name again replaces its value.
    """
    if not isinstance(name, str) or not name.strip():
        raise ResultError(f"a result needs a non-empty name, got {name!r}")
    RESULTS[name] = _plain(value, name)
    path = os.environ.get(RESULTS_ENV, "").strip()
    if path:
        _update_file(Path(path), name, RESULTS[name])
    return value


def read_results(path: str | Path) -> dict[str, float | dict]:
    """The results recorded into the JSON file ``path`` (empty if it is absent)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as err:
        raise ResultError(f"{path} is not a readable results file ({err})") from None
    if not isinstance(data, dict):
        raise ResultError(f"{path} holds no results (a JSON object was expected)")
    return data


def _update_file(path: Path, name: str, value: float | dict) -> None:
    """Add ``name`` to the results file, replacing it in one step."""
    data = read_results(path)
    data[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
