"""The time estimates in the objectives come from measured parts: cell run
times, words read at a stated speed, and a stated allowance per exercise."""

from __future__ import annotations

import json

from course_utils.tools import timing


def _cell(kind, text, seconds=None, tags=()):
    cell = {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": text}
    if seconds is not None:
        cell["metadata"]["execution"] = {
            "iopub.execute_input": "2026-11-30T10:00:00.000000Z",
            "shell.execute_reply": f"2026-11-30T10:00:{seconds:02d}.000000Z"}
    return cell


def _notebook():
    return {"cells": [
        _cell("markdown", "# Title"),
        _cell("markdown", "## What you will learn\n- a\n- b\n- c"),
        _cell("markdown", "## 1. A section\n" + "word " * 240),
        _cell("code", "x = 1", seconds=30),
        _cell("markdown", "## Exercises"),
        _cell("code", "answer = ...", tags=["stub", "kind-predict"]),
        _cell("code", "answer = 2 " + "secret " * 500, seconds=1, tags=["solution"]),
        _cell("code", "nb01.ex1.check(answer)", seconds=1, tags=["check"]),
        _cell("markdown", "## Summary\n- a"),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_sections_add_run_reading_and_doing_time():
    parts = {p["title"]: p for p in timing.sections(_notebook())}
    first = parts["1. A section"]
    assert first["run"] == 30 and first["words"] == 245  # 3 + 240 + "x = 1"
    assert abs(first["minutes"] - (0.5 + 245 / timing.WPM)) < 1e-9
    exercises = parts["Exercises"]
    assert exercises["doing"] == timing.DOING["predict"]
    assert exercises["words"] < 20   # solutions are not read by students
    text = timing.paragraph(list(parts.values()), "fast", "a test machine")
    assert text.startswith(timing.MARK) and "§1 3" in text and "exercises 2" in text
    assert "fast mode" in text and "not yet timed with students" in text


def test_write_replaces_the_time_paragraph(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(_notebook()))
    timing.write(path, f"{timing.MARK} (minutes): about 5 in all.")
    timing.write(path, f"{timing.MARK} (minutes): about 10 in all.")
    learn = "".join(json.loads(path.read_text())["cells"][1]["source"])
    assert learn.count(timing.MARK) == 1 and "about 10" in learn and "- c" in learn


def test_static_time_adds_the_benchmarks_run_time(tmp_path):
    parts = timing.sections(_notebook())
    text = timing.static_paragraph(parts, 60.0)
    assert "plus 60 s for running all cells" in text and "§1 3" in text
    results = tmp_path / "tests" / "benchmark"
    results.mkdir(parents=True)
    (results / "RESULTS.md").write_text(
        "| 05_x.ipynb | fast | ok | 5.0 s |\n| 05_x.ipynb | default | ok | 5.2 s |\n")
    assert timing.benchmark_seconds("05_x.ipynb", tmp_path) == 5.2
    assert timing.benchmark_seconds("06_y.ipynb", tmp_path) is None
