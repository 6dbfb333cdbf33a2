"""The seed sweep's own logic (``course_utils.tools.sweep``): seeds, the table of
recorded claims and the failing line; no notebook is run here."""

from __future__ import annotations

import json

import pytest

from course_utils.tools import sweep


def test_parse_seeds():
    assert sweep.parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert sweep.parse_seeds("3,7, 0-2,7") == [3, 7, 0, 1, 2]
    for bad in ("", "a", "5-2", "1-", "-3"):
        with pytest.raises(sweep.SweepError):
            sweep.parse_seeds(bad)


def test_flatten_keeps_numbers_and_names_nested_dicts():
    flat = sweep.flatten({"07.modes": 6.8, "quality_table": {"GAN": {"frechet": 50.0}},
                          "note": "text"})
    assert flat == {"07.modes": 6.8, "quality_table.GAN.frechet": 50.0}


def _run(seed, records, status="ok", line=None):
    return {"seed": seed, "records": records, "status": status, "line": line,
            "error": None if status == "ok" else "cell 44: AssertionError: remedy",
            "wall_seconds": 10.0}


def test_summarise_min_max_missing_and_failures():
    runs = [_run(2, {"a": 3.0, "b": 1.0}),
            _run(0, {"a": 1.0, "b": 2.0}),
            _run(1, {"a": 5.0}, "error", "cell 44 line 10: assert b >= 7")]
    summary = sweep.summarise(runs)
    assert summary["seeds"] == [0, 1, 2]
    assert summary["claims"]["a"] == {"min": 1.0, "max": 5.0, "seeds": [0, 1, 2],
                                      "missing": []}
    assert summary["claims"]["b"]["missing"] == [1]  # the failed run stopped first
    assert summary["failed"] == [{"seed": 1, "error": runs[2]["error"],
                                  "line": "cell 44 line 10: assert b >= 7"}]
    assert summary["wall_seconds"] == 30.0
    text = sweep.table("07-fast", summary)
    assert "| a | 1 | 5 |  |" in text and "| b | 1 | 2 | 1 |" in text
    assert "- seed 1: cell 44 line 10: assert b >= 7" in text


def test_table_of_a_clean_sweep():
    text = sweep.table("01-default", sweep.summarise([_run(s, {"x": 1e-14})
                                                      for s in range(20)]))
    assert "seeds 0-19 (20 runs" in text and "1.000e-14" in text
    assert "every seed passed every assertion" in text


def test_records_json_keeps_every_seed_in_order_with_four_digits():
    runs = [dict(_run(10, {"b": 2.0 / 3.0, "a": 7.0}), notebook="07_x.ipynb",
                 mode="fast"),
            dict(_run(2, {"a": 123456.789}, "error"), notebook="07_x.ipynb",
                 mode="fast")]
    data = json.loads(sweep.records_json(runs))
    assert (data["notebook"], data["mode"]) == ("07_x.ipynb", "fast")
    assert list(data["seeds"]) == ["2", "10"]
    assert data["seeds"]["10"] == {"status": "ok", "records": {"a": 7.0, "b": 0.6667}}
    assert data["seeds"]["2"]["records"] == {"a": 123500.0}


def test_seed_text():
    assert sweep.seed_text([]) == ""
    assert sweep.seed_text([5, 0, 1, 2, 7, 8]) == "0-2,5,7-8"


def test_failing_line_from_an_executed_notebook():
    source = "x = 6.8\nrecord('x', x)\nassert x >= 7, 'too few'\n"
    traceback = ["\x1b[0;31mAssertionError\x1b[0m  Traceback",
                 "Cell \x1b[0;32mIn[3], line 3\x1b[0m",
                 "\x1b[0;32m----> 3\x1b[0m \x1b[38;5;28;01massert\x1b[39;00m x >= 7",
                 "\x1b[0;31mAssertionError\x1b[0m: too few"]
    nb = {"cells": [{"cell_type": "markdown", "source": "# title"},
                    {"cell_type": "code", "source": source, "outputs": [
                        {"output_type": "error", "ename": "AssertionError",
                         "evalue": "too few", "traceback": traceback}]}]}
    assert sweep.failing_line(nb) == "cell 1 line 3: assert x >= 7, 'too few'"
    nb["cells"][1]["outputs"] = []
    assert sweep.failing_line(nb) is None


def test_notebook_hash_ignores_comments_and_markdown(tmp_path):
    import nbformat  # only this test writes a notebook file

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"),
                nbformat.v4.new_code_cell("#| export\nx = 1  # one\n# seeds 0-4: 1\n")]
    path = tmp_path / "00_x.ipynb"
    nbformat.write(nb, str(path))
    before = sweep.notebook_hash(path)
    nb.cells[0].source = "# another title"
    nb.cells[1].source = "#| export\nx = 1  # one\n# seeds 0-19: 1\n"
    nbformat.write(nb, str(path))
    assert sweep.notebook_hash(path) == before
    nb.cells[1].source = "#| export\nx = 2  # one\n"
    nbformat.write(nb, str(path))
    assert sweep.notebook_hash(path) != before
