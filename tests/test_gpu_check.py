"""course_utils.tools.gpu_check: its CPU path, small and quick."""

from __future__ import annotations

import os

import pytest
import torch

from course_utils.tools import gpu_check


def test_cpu_path_runs_and_repeats():
    before = os.environ.get("COURSE_NO_CACHE")
    rows = gpu_check.compare(["cpu"], size=100, epochs=2, seed=1)
    assert os.environ.get("COURSE_NO_CACHE") == before  # the cache switch is put back
    assert [r.path for r in rows] == list(gpu_check.PATHS)
    again = gpu_check.compare(["cpu"], size=100, epochs=2, seed=1)
    assert [r.values for r in rows] == [r.values for r in again]
    assert 0.0 <= rows[1].values["cpu"] <= 1.0  # an accuracy


def test_table_has_a_column_per_device_and_the_difference():
    rows = [gpu_check.Row("autoencoder", "final training loss",
                          {"cpu": 2.0, "cuda": 2.002}, {"cpu": 1.0, "cuda": 0.5})]
    table = gpu_check.format_table(rows)
    assert "rel. diff" in table and "1.00e-03" in table and "cuda s" in table


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_without_a_gpu_it_compares_nothing_and_succeeds(capsys):
    assert gpu_check.main([]) == 0
    assert capsys.readouterr().out.strip() == gpu_check.NO_GPU
    assert gpu_check.main(["--cpu-only", "--size", "50", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "autoencoder" in out and "quality" in out and "cpu s" in out
