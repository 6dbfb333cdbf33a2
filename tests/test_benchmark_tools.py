"""Fast tests of the benchmark's own logic: the harness
(``course_utils.tools.benchmark``, ``benchmark_report``), the results notebooks
record (``course_utils.core.results``), and tests/benchmark (the classic recipe,
the comparison, the command line; importable as ``tests.benchmark`` because
``python -m pytest`` runs from the repository root).

The benchmark itself (timings against targets) is not a test: it runs with
``python -m tests.benchmark`` and writes tests/benchmark/RESULTS.md.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import nbformat
import pytest
import torch

from course_utils.core import results
from course_utils.tools import benchmark, execute
from course_utils.tools import benchmark_report as report
from tests.benchmark import __main__ as cli
from tests.benchmark import quality, recipe

ROOT = Path(__file__).resolve().parent.parent

# The classic recipe ------------------------------------------------------------


def test_recipe_architecture_is_the_classic_one():
    model = recipe.ClassicVAE()
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes["hidden_enc.weight"] == (400, 784)
    assert shapes["to_mu.weight"] == shapes["to_log_var.weight"] == (20, 400)
    assert shapes["hidden_dec.weight"] == (400, 20)
    assert shapes["to_pixels.weight"] == (784, 400)
    x = torch.rand(5, 28, 28)
    with torch.no_grad():
        x_hat, mu, log_var = model(x)
    assert x_hat.shape == (5, 784) and mu.shape == log_var.shape == (5, 20)
    assert float(x_hat.min()) >= 0 and float(x_hat.max()) <= 1  # sigmoid output


def test_recipe_loss_is_bce_sum_plus_closed_form_kl():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(4, 784, generator=gen)
    x_hat = torch.rand(4, 784, generator=gen).clamp(0.01, 0.99)
    mu, log_var = torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen)
    bce = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum()
    kl = 0.5 * (mu**2 + log_var.exp() - log_var - 1).sum()
    got = recipe.negative_elbo_sum(x_hat, x, mu, log_var)
    assert torch.allclose(got, bce + kl, rtol=1e-5)
    # the KL term vanishes at the prior: only the reconstruction is left
    zero = torch.zeros(4, 3)
    assert torch.allclose(recipe.negative_elbo_sum(x_hat, x, zero, zero), bce,
                          rtol=1e-5)


def test_recipe_runs_on_a_tiny_subset_and_restores_threads():
    before = torch.get_num_threads()
    gen = torch.Generator().manual_seed(0)
    train = torch.rand(256, 28, 28, generator=gen).round()  # binary images
    test = torch.rand(128, 784, generator=gen).round()
    settings = recipe.RecipeSettings(epochs=1)
    result = recipe.run_recipe(settings, threads=1, test_every_epoch=True,
                               train_images=train, test_images=test)
    assert torch.get_num_threads() == before
    assert result.threads == 1
    assert result.train_images == 256 and result.test_images == 128
    # random binary pixels: about log 2 = 0.69 nats each, 784 of them
    assert math.isfinite(result.test_loss) and 400 < result.test_loss < 800
    assert result.epoch_test_loss == [result.test_loss]
    assert result.train_seconds > 0 and len(result.epoch_seconds) == 1
    assert json.loads(json.dumps(result.to_dict()))["settings"]["batch_size"] == 128


def test_recipe_rejects_bad_settings():
    with pytest.raises(ValueError, match="epochs"):
        recipe.run_recipe(recipe.RecipeSettings(epochs=0))


def test_recipe_defaults_are_those_of_pytorch_examples():
    s = recipe.RecipeSettings()
    assert (s.epochs, s.batch_size, s.lr) == (10, 128, 1e-3)
    assert s.train_limit is None and s.test_limit is None


# The notebook runner (the one executor and the harness) ----------------------


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_memory_and_cpu_of_this_process():
    pid = os.getpid()
    rss = execute.tree_rss_kb(pid)
    hwm = execute.status_kb(pid, "VmHWM")
    assert rss is not None and rss > 10_000  # a Python with torch: > 10 MB
    assert hwm is not None and hwm >= execute.status_kb(pid, "VmRSS")
    assert execute.cpu_seconds(pid) > 0
    assert execute.tree_rss_kb(2**22 + 12345) is None  # no such process


def test_kernel_env_sets_the_mode_and_drops_personal_settings():
    base = {"PATH": "/bin", "COURSE_SEED": "3", "COURSE_PRESENT": "1",
            "COURSE_NO_CACHE": "0", results.RESULTS_ENV: "/tmp/mine.json"}
    env = benchmark.kernel_env(True, "/tmp/x", threads=2, base=base,
                               results_file="/tmp/r.json")
    assert env[results.RESULTS_ENV] == "/tmp/r.json"
    assert env["COURSE_FAST"] == "1" and env["COURSE_NO_CACHE"] == "1"
    assert env["COURSE_DATA_DIR"] == "/tmp/x" and env["COURSE_THREADS"] == "2"
    assert "COURSE_SEED" not in env and "COURSE_PRESENT" not in env
    assert env["PATH"] == "/bin"
    env = benchmark.kernel_env(False, "/tmp/x", seed=4, base=base)
    assert env["COURSE_FAST"] == "0" and env["COURSE_SEED"] == "4"
    assert "COURSE_THREADS" not in env and results.RESULTS_ENV not in env


def test_records_are_kept_written_to_the_file_and_read_back(tmp_path, monkeypatch):
    path = tmp_path / "out" / "results.json"
    monkeypatch.setattr(results, "RESULTS", {})
    monkeypatch.setenv(results.RESULTS_ENV, str(path))
    table = type("Table", (), {"rows": {"VAE": {"frechet": torch.tensor(1.5),
                                                "n": 500}}})()
    assert results.record("ratio", torch.tensor(1.0004)) is not None
    results.record("table", table)
    results.record("ratio", 1.0003)  # a second record replaces the first
    assert results.RESULTS == {"ratio": 1.0003,
                               "table": {"VAE": {"frechet": 1.5, "n": 500.0}}}
    assert results.read_results(path) == results.RESULTS
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no temps
    assert results.read_results(tmp_path / "absent.json") == {}
    for bad in ("text", True, [1.0], {1: 2.0}, torch.zeros(3)):
        with pytest.raises(results.ResultError, match="record"):
            results.record("bad", bad)
    with pytest.raises(results.ResultError, match="name"):
        results.record("", 1.0)
    (tmp_path / "broken.json").write_text("{oops")
    with pytest.raises(results.ResultError, match="not a readable"):
        results.read_results(tmp_path / "broken.json")


def _timed_cell(source: str, start: str, end: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["execution"] = {"iopub.execute_input": start,
                                  "shell.execute_reply": end}
    return cell


def test_slowest_cells_and_failing_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"),
                _timed_cell("a = 1", "2026-01-01T00:00:00.000Z",
                            "2026-01-01T00:00:01.500Z"),
                _timed_cell("\n# train\nfit()", "2026-01-01T00:00:02.000Z",
                            "2026-01-01T00:00:12.000Z"),
                nbformat.v4.new_code_cell("untimed")]
    slow = benchmark.slowest_cells(nb, top=2)
    assert [r["cell"] for r in slow] == [2, 1]
    assert slow[0]["seconds"] == 10.0 and slow[0]["head"] == "# train"
    assert execute.failing_cell(nb) is None
    big = benchmark.memory_cells(nb, [(1, 300 * 1024), (2, 800 * 1024),
                                      (3, 800 * 1024)])
    assert big == [{"cell": 2, "rise_mb": 500.0, "peak_mb": 800.0, "head": "# train"}]
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="E", evalue="",
                                                  traceback=[])]
    assert execute.failing_cell(nb) == 1


def test_missing_notebook_is_reported_not_raised(tmp_path):
    run = benchmark.run_notebook(tmp_path / "99_absent.ipynb", fast=True)
    assert run.status == "missing" and run.wall_seconds is None


def test_run_notebook_measures_a_tiny_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import os\nfrom course_utils.core.results import record\n"
        "record('ratio', 1.0004)\nrecord('fast', float(os.environ['COURSE_FAST']))\n"
        "assert os.environ['COURSE_NO_CACHE'] == '1'\n"
        "block = bytearray(60 * 2**20)")]
    path = tmp_path / "02_tiny.ipynb"  # notebook 02 is expected to record a ratio
    nbformat.write(nb, str(path))
    kept = tmp_path / "executed.ipynb"
    run = benchmark.run_notebook(path, fast=True, timeout=120, keep_executed=kept)
    assert run.status == "ok", run.error
    assert run.cells == 1 and run.wall_seconds > 0
    assert run.records == {"ratio": pytest.approx(1.0004), "fast": 1.0}
    assert run.missing_records == ["notebook 02 recorded no `linear_ae_pca_ratio`"]
    if Path("/proc").is_dir():
        assert run.peak_rss_mb >= 60  # the 60 MB block was seen
        assert run.cpu_seconds > 0
        assert run.memory_cells and run.memory_cells[0]["cell"] == 0
    executed = nbformat.read(str(kept), as_version=4)
    assert len(executed.cells) == 1 and executed.cells[0].outputs == []


def test_a_failing_notebook_is_reported_with_its_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t"),
                nbformat.v4.new_code_cell("1 / 0")]
    path = tmp_path / "97_fails.ipynb"
    nbformat.write(nb, str(path))
    run = benchmark.run_notebook(path, fast=False, timeout=120)
    assert run.status == "error"
    assert run.error.startswith("cell 1:") and "ZeroDivisionError" in run.error


# Targets and the report --------------------------------------------------------


def _results(**extra) -> dict:
    machine = {"cpu": "Test CPU", "logical_cpus": 2, "usable_cpus": 2,
               "memory_gb": 4.0, "python": "3.11", "torch": "2.x",
               "torch_threads": 2, "git_commit": "abc"}
    nbs = [
        {"notebook": "01_a.ipynb", "mode": "default", "status": "ok",
         "wall_seconds": 100.0, "cpu_seconds": 150.0, "peak_rss_mb": 500.0,
         "slowest_cells": [{"cell": 3, "seconds": 50.0, "head": "fit(a | b)"}],
         "records": {"table": {"VAE": {
             "confidence": 0.8, "entropy": 0.5, "diversity": 2.2, "frechet": 3.0,
             "n": 1000}}, "test_loss": 244.51},
         "missing_records": ["notebook 01 recorded no `sanity`"]},
        {"notebook": "02_b.ipynb", "mode": "default", "status": "ok",
         "wall_seconds": 600.0, "cpu_seconds": 300.0, "peak_rss_mb": 1200.0,
         "slowest_cells": []},
        {"notebook": "01_a.ipynb", "mode": "fast", "status": "ok",
         "wall_seconds": 30.0, "cpu_seconds": 40.0, "peak_rss_mb": 400.0,
         "slowest_cells": []},
        {"notebook": "03_*.ipynb", "mode": "fast", "status": "missing",
         "wall_seconds": None, "peak_rss_mb": None, "slowest_cells": []},
    ]
    base = {"started": "2026-01-01 00:00", "command": "python -m tests.benchmark",
            "machine": machine, "load_before": [0.1, 0.1, 0.1],
            "load_after": [1.0, 0.5, 0.2], "notebooks": nbs, "notes": []}
    base.update(extra)
    return base


def test_verdicts():
    assert report.verdict(1.0, 2.0) == "met"
    assert report.verdict(3.0, 2.0) == "MISSED"
    assert report.verdict(None, 2.0) == "not measured"
    assert report.verdict(1.0, 2.0, partial=True) == "met (partial)"


def test_summary_rows_say_what_was_missed():
    vae = {"time_ratio": 0.4, "cpu_ratio": 0.45, "loss_difference": -1.0,
           "threads": 2}
    rows = {r["target"]: r for r in report.summarise(
        _results(vae=vae, linear_ae={"ratio": 1.0002, "source": "nb 02"},
                 test_suite={"wall_seconds": 400.0, "returncode": 0,
                             "summary": "10 passed"}))}
    default = rows["whole course, default mode"]
    assert default["value"] == 700.0 and default["verdict"] == "MISSED"
    assert report.verdict(3.0, 2.0, partial=True) == "MISSED"
    fast = rows["whole course, fast mode"]
    assert fast["verdict"] == "met (partial)" and "1 of 2" in fast["note"]
    assert rows["peak memory of every notebook (largest)"]["verdict"] == "MISSED"
    assert rows["whole test suite"]["verdict"] == "MISSED"
    assert rows["linear AE / PCA test MSE"]["verdict"] == "met"
    vae_row = rows["course VAE time / recipe time, loss <= recipe's"]
    assert vae_row["verdict"] == "met"
    # a faster VAE whose loss is worse than the recipe's does not meet the target
    worse = dict(vae, time_ratio=0.2, loss_difference=0.5)
    rows = {r["target"]: r for r in report.summarise(_results(vae=worse))}
    assert rows["course VAE time / recipe time, loss <= recipe's"][
        "verdict"].startswith("MISSED")
    stretch = dict(vae, time_ratio=0.3)
    rows = {r["target"]: r for r in report.summarise(_results(vae=stretch))}
    assert "stretch" in rows["course VAE time / recipe time, loss <= recipe's"][
        "verdict"]


def test_failed_test_suite_is_not_a_met_target():
    rows = report.summarise(_results(test_suite={
        "wall_seconds": 10.0, "returncode": 1, "summary": "1 failed"}))
    assert [r["verdict"] for r in rows if r["target"] == "whole test suite"] == [
        "FAILED"]
    rows = report.summarise(_results())  # not run: said so, not left out
    assert [r["verdict"] for r in rows if r["target"] == "whole test suite"] == [
        "not measured"]


def test_busy_warning():
    assert report.busy_warning([[0.3, 0, 0], [2.5, 0, 0]], threads=2) is None
    text = report.busy_warning([[0.3, 0, 0], [9.0, 0, 0], None], threads=2)
    assert "busy" in text and "9.0" in text
    assert report.busy_warning([None], threads=1) is None


def test_markdown_and_json_are_written(tmp_path):
    results = _results(busy_warning="The machine was busy.", floor={
        "status": "ok", "wall_seconds": 4.0, "cpu_seconds": 3.5,
        "peak_rss_mb": 350.0})
    json_path, md_path = report.write_results(results, tmp_path)
    text = md_path.read_text()
    assert "**Warning.** The machine was busy." in text
    assert "| 01_a.ipynb | default | ok | 100.0 s | 150.0 s | 500 MB |" in text
    assert "fit(a / b)" in text  # a '|' in code would break the table
    assert "| 03_*.ipynb | fast | missing |" in text
    assert "table: VAE" in text and "2.200" in text
    assert "| 01_a.ipynb | default | `test_loss` | 244.51 |" in text
    assert "- notebook 01 recorded no `sanity` (default mode)" in text
    assert "Setup cell" in text and "4.0 s wall" in text
    data = json.loads(json_path.read_text())
    assert data["targets"]["notebook_peak_mb"] == 1024.0
    assert data["summary"][0]["target"] == "whole course, default mode"
    machine = report.machine_info(threads=None)
    assert machine["torch_threads"] >= 1 and machine["usable_cpus"] >= 1


def test_ratio_and_timed():
    assert quality.ratio(1.0, 4.0) == 0.25
    assert quality.ratio(None, 4.0) is None and quality.ratio(1.0, 0.0) is None
    value, wall, cpu = quality.timed(sum, [1, 2, 3])
    assert value == 6 and wall >= 0 and cpu >= 0


# The command line --------------------------------------------------------------


def test_notebook_selection_reports_missing_ones():
    folder = ROOT / "notebooks"
    found = dict(benchmark.find_notebooks(folder, ["0", "96"]))
    assert found["00"] is not None and found["00"].name.startswith("00_")
    assert found["96"] is None
    every = [n for n, _ in benchmark.find_notebooks(folder, None,
                                                    report.EXPECTED_NOTEBOOKS)]
    assert set(report.EXPECTED_NOTEBOOKS) <= set(every) and every == sorted(every)
    with pytest.raises(benchmark.BenchmarkError, match="by number"):
        benchmark.find_notebooks(folder, ["x1"])
    with pytest.raises(SystemExit):  # the command line says so in one line
        cli.parse_args(["--notebooks", "x1"])


def test_partial_runs_do_not_overwrite_the_committed_table():
    assert cli.is_full_run(cli.parse_args([]))
    for flags in (["--fast-only"], ["--notebooks", "01"], ["--skip-recipe"],
                  ["--default-only"], ["--skip-quality"], ["--skip-notebooks"]):
        assert not cli.is_full_run(cli.parse_args(flags)), flags
    with pytest.raises(SystemExit):
        cli.parse_args(["--threads", "0"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--fast-only", "--default-only"])
    with pytest.raises(SystemExit):  # pytest would collect them as notebooks
        cli.parse_args(["--keep-executed", str(ROOT / "tests" / "benchmark")])


def test_linear_ratio_is_read_from_notebook_02_records():
    name = benchmark.LINEAR_RATIO[1]
    assert "02" in benchmark.EXPECTED_RECORDS and name in benchmark.EXPECTED_RECORDS[
        "02"]
    out = benchmark.linear_ae_ratio({"default": {name: 1.0004},
                                     "fast": {name: 1.003, "other": 2.0}})
    assert out["ratio"] == 1.0004 and "1.00300" in out["source"]
    assert f"record `{name}`" in out["source"]
    out = benchmark.linear_ae_ratio({"fast": {name: 1.003}})
    assert out["ratio"] is None and out["ratio_fast"] == 1.003  # target: default
    out = benchmark.linear_ae_ratio({"fast": {"ratio": 1.0}})
    assert out["ratio"] is None
    assert out["error"] == f"notebook 02 recorded no `{name}`"
    assert benchmark.missing_records("07", {}) == [
        "notebook 07 recorded no `quality_table`"]
    assert benchmark.missing_records("01", {}) == []


def test_vae_versus_recipe_glue(monkeypatch):
    """The comparison calls the recipe and the course's VAE recipe with the same
    threads and reports losses, times and their ratios (training faked here)."""
    import types

    from course_utils.core import data as course_data
    from course_utils.core.training import History

    calls = {}

    def fake_recipe(settings, threads=None, log=None):
        calls["recipe_threads"] = threads
        return recipe.RecipeResult(settings={"epochs": 10}, threads=1,
                                   train_images=60000, test_images=10000,
                                   test_loss=245.0, train_seconds=100.0)

    def fake_train(train_images, seed, progress):
        calls["vae_threads"] = torch.get_num_threads()
        return torch.nn.Linear(1, 1), History(train={"loss": [1.0] * 6},
                                              seconds=40.0)

    fake_vae = types.SimpleNamespace(
        train_fashion_vae=fake_train, FASHION_RECIPE={"hidden": (400,)},
        test_negative_elbo=lambda model, images, seed: 244.0)
    images = types.SimpleNamespace(images=torch.zeros(2, 28, 28))
    monkeypatch.setattr(recipe, "run_recipe", fake_recipe)
    monkeypatch.setattr(course_data, "load_fashion_mnist", lambda split: images)
    out = quality.vae_versus_recipe(threads=1, log=lambda text: None, vae=fake_vae)
    assert calls == {"recipe_threads": 1, "vae_threads": 1}
    assert out["time_ratio"] == pytest.approx(0.4)
    assert out["loss_difference"] == pytest.approx(-1.0)
    assert out["course"]["recipe"] == {"hidden": [400]} and out["course"]["epochs"] == 6
    skipped = quality.vae_versus_recipe(threads=1, skip_recipe=True,
                                        log=lambda text: None, vae=fake_vae)
    assert "recipe" not in skipped and "time_ratio" not in skipped


def test_main_writes_a_table_even_with_every_step_skipped(tmp_path):
    assert cli.main(["--skip-quality", "--skip-notebooks", "--out",
                     str(tmp_path)]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["in_progress"] is False and data["notebooks"] == []
    assert data["command"].endswith("--out " + str(tmp_path))
    assert "Unfinished" not in (tmp_path / "RESULTS.md").read_text()


def test_combine_merges_side_by_side_runs(tmp_path):
    first = _results(started="2026-01-01 00:00", command="run A",
                     load_samples=[[3.0, 1, 1]], in_progress=False)
    second = _results(started="2026-01-01 00:01", command="run B", notebooks=[
        {"notebook": "01_a.ipynb", "mode": "fast", "status": "ok",
         "wall_seconds": 20.0, "peak_rss_mb": 300.0, "slowest_cells": []},
        {"notebook": "02_*.ipynb", "mode": "default", "status": "missing",
         "wall_seconds": None, "peak_rss_mb": None, "slowest_cells": []}],
        vae={"time_ratio": 0.4, "cpu_ratio": 0.5, "loss_difference": -1.0,
             "threads": 1}, load_samples=[[5.0, 1, 1]], in_progress=False)
    paths = []
    for name, run in (("a", first), ("b", second)):
        (tmp_path / name).mkdir()
        paths.append(report.write_results(run, tmp_path / name)[0])
    merged = report.combine(paths)
    rows = {(r["notebook"], r["mode"]): r for r in merged["notebooks"]}
    assert rows[("01_a.ipynb", "fast")]["wall_seconds"] == 20.0  # the later run
    assert rows[("01_a.ipynb", "default")]["wall_seconds"] == 100.0
    assert rows[("02_b.ipynb", "default")]["status"] == "ok"  # not the "missing"
    assert [r["mode"] for r in merged["notebooks"]] == ["fast", "fast", "default",
                                                       "default"]
    assert merged["vae"]["time_ratio"] == 0.4
    assert merged["load_samples"] == [[3.0, 1, 1], [5.0, 1, 1]]
    assert merged["command"] == "run A; run B" and "2 runs" in merged["notes"][0]
    assert cli.main(["--combine", *map(str, paths), "--out", str(tmp_path),
                     "--note", "Measured on a test."]) == 0
    text = (tmp_path / "RESULTS.md").read_text()
    assert "Combined from 2 runs" in text and "> Measured on a test." in text


def test_two_notebooks_run_at_once_and_the_contention_row(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(1.0)")]
    path = tmp_path / "09_tiny.ipynb"
    nbformat.write(nb, str(path))
    start = time.perf_counter()
    runs = benchmark.run_side_by_side([path, path], fast=True, timeout=120)
    both = time.perf_counter() - start
    assert [r.status for r in runs] == ["ok", "ok"]
    # side by side, not one after the other: two 1-second sleeps overlap
    assert both < sum(r.wall_seconds for r in runs)
    side = {"ratio": 2.6, "note": "two at once", "runs": [
        {**r.to_dict(), "alone_seconds": 1.5} for r in runs]}
    rows = {r["target"]: r for r in report.summarise(_results(contention=side))}
    row = rows["two notebooks at once, slowest / alone"]
    assert row["verdict"] == "MISSED" and row["limit"] == 2.5
    text = report.to_markdown(_results(contention=side))
    assert "## Two notebooks at once" in text
    assert "| 09_tiny.ipynb | fast | 1.5 s" in text


def test_the_machine_line_names_the_cpu_its_quota_and_the_wait_policy():
    machine = report.machine_info(threads=None)
    assert machine["cpu"] and machine["usable_cpus"] >= 1
    assert "cpu_quota" in machine and "omp_wait_policy" in machine
    text = report.to_markdown(_results(machine={**machine, "cpu_quota": 1.5}))
    assert "(CPU quota 1.5)" in text and "OMP_WAIT_POLICY" in text


def test_a_run_keeps_a_cells_warnings_and_drops_the_kernels_tcp_notice(capfd, tmp_path):
    """`publish` printed the kernel's "running over TCP without encryption" for
    every notebook (the kernel listens on 127.0.0.1 for us alone); a warning that
    a cell raises is the notebook's own output and stays."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import warnings\nwarnings.warn('a real warning')\nprint(1)")]
    run = execute.execute(nb, tmp_path)
    assert run.status == "ok", run.error
    outputs = run.notebook.cells[0].outputs
    assert any("a real warning" in o.get("text", "") for o in outputs), outputs
    assert "running over TCP" not in capfd.readouterr().err
