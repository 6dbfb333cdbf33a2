"""course_utils plumbing: the training loop, the model cache, plotting helpers,
course errors, the glossary and the environment report."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from course_utils.core import cache, config, errors, plotting
from course_utils.core.training import History, adam, evaluate, fit
from course_utils.tools import envcheck
from course_utils.tools.envcheck import environment_report
from course_utils.topics import glossary


def _regression(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return x, y


def _mse(model, batch):
    x, y = batch
    err = ((model(x) - y) ** 2).mean()
    return {"loss": err, "abs": (model(x) - y).abs().mean()}


def test_fit_learns_and_records_every_term():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    data = _regression()
    history = fit(model, _mse, data, epochs=60, batch_size=32, lr=0.05,
                  val_data=_regression(1), progress=False)
    assert history.epochs == 60 and set(history.train) == {"loss", "abs"}
    assert len(history.steps) == 60 * 8 and history.seconds > 0
    assert set(history.step_terms) == {"loss", "abs"}
    assert history.step_terms["loss"] == history.steps
    assert len(history.step_terms["abs"]) == 60 * 8
    assert history.last("loss", "val") < 1e-3 < history.train["loss"][0]
    assert evaluate(model, _mse, data)["loss"] == pytest.approx(
        history.last("loss"), abs=1e-3)


def test_fit_is_deterministic_given_the_seed():
    results = []
    for _ in range(2):
        torch.manual_seed(1)
        model = torch.nn.Linear(3, 1)
        fit(model, _mse, _regression(), epochs=3, seed=7, progress=False)
        results.append(model.weight.detach().clone())
    assert torch.equal(results[0], results[1])


def test_adam_is_fused_on_the_cpu_and_steps_like_plain_adam():
    torch.manual_seed(0)
    a, b = torch.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    b.load_state_dict(a.state_dict())
    fused = adam(a.parameters(), lr=0.01, betas=(0.9, 0.99))
    plain = torch.optim.Adam(b.parameters(), lr=0.01, betas=(0.9, 0.99))
    assert fused.defaults["fused"] and fused.defaults["betas"] == (0.9, 0.99)
    x = torch.randn(16, 4)
    for model, opt in ((a, fused), (b, plain)):
        for _ in range(5):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
    assert torch.allclose(a.weight, b.weight, atol=1e-6)


def test_adam_falls_back_when_the_fused_kernel_is_missing(monkeypatch):
    real = torch.optim.Adam

    def no_fused(params, fused=None, **kw):
        if fused:
            raise RuntimeError("`fused=True` requires all the params to be ...")
        return real(params, **kw)

    monkeypatch.setattr(torch.optim, "Adam", no_fused)
    opt = adam(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    assert not opt.defaults.get("fused") and opt.defaults["lr"] == 0.1


def test_fit_rejects_mismatched_data():
    model = torch.nn.Linear(3, 1)
    with pytest.raises(errors.ShapeError, match="same length"):
        fit(model, _mse, (torch.zeros(4, 3), torch.zeros(5, 1)), epochs=1,
            progress=False)
    with pytest.raises(errors.ShapeError, match="tensor"):
        fit(model, _mse, [1, 2, 3], epochs=1, progress=False)


def test_history_plots_one_panel_per_term():
    history = History(train={"loss": [3.0, 2.0], "kl": [1.0, 1.5]},
                      val={"loss": [3.1, 2.2]})
    fig = plotting.plot_history(history)
    assert len(fig.axes) == 2
    plt.close(fig)


def _train_counter(calls):
    def train(model):
        calls.append(1)
        with torch.no_grad():
            model.weight.fill_(2.0)
        return History(train={"loss": [1.0, 0.5]}, seconds=1.5,
                       step_terms={"loss": [1.2, 0.8, 0.6, 0.4]})
    return train


def test_cache_trains_once_then_loads(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_NO_CACHE", raising=False)
    calls = []
    first = cache.cached_training("lin", torch.nn.Linear(2, 1), _train_counter(calls),
                                  {"epochs": 2})
    model = torch.nn.Linear(2, 1)
    second = cache.cached_training("lin", model, _train_counter(calls), {"epochs": 2})
    assert len(calls) == 1 and torch.all(model.weight == 2.0)
    assert second.train == first.train and second.seconds == 1.5
    assert second.step_terms == {"loss": [1.2, 0.8, 0.6, 0.4]}
    # a changed recipe or architecture trains anew
    cache.cached_training("lin", torch.nn.Linear(2, 1), _train_counter(calls),
                          {"epochs": 3})
    cache.cached_training("lin", torch.nn.Linear(3, 1), _train_counter(calls),
                          {"epochs": 2})
    assert len(calls) == 3


def test_corrupt_cache_file_retrains(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_NO_CACHE", raising=False)
    calls = []
    cache.cached_training("lin", torch.nn.Linear(2, 1), _train_counter(calls), {})
    (path,) = (tmp_path / "models").glob("lin-*.pt")
    path.write_bytes(b"not a torch file")
    cache.cached_training("lin", torch.nn.Linear(2, 1), _train_counter(calls), {})
    assert len(calls) == 2 and "training again" in capsys.readouterr().out
    assert torch.load(path, weights_only=True)["state_dict"]["weight"].shape == (1, 2)


def test_cache_can_be_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_NO_CACHE", "1")
    calls = []
    for _ in range(2):
        cache.cached_training("lin", torch.nn.Linear(2, 1), _train_counter(calls), {})
    assert len(calls) == 2 and not (tmp_path / "models").exists()


def test_image_grid_accepts_flat_and_square_images():
    fig = plotting.image_grid(torch.rand(6, 64), ncols=3, titles=list("abcdef"))
    assert len(fig.axes) == 6
    plt.close(fig)
    fig = plotting.image_grid(torch.rand(4, 1, 28, 28))
    plt.close(fig)


@pytest.mark.parametrize("bad", [torch.rand(3, 10), torch.rand(2, 3, 4, 5, 6)])
def test_image_grid_wrong_shape_says_what_to_do(bad):
    with pytest.raises(errors.ShapeError, match="image"):
        plotting.image_grid(bad)


def test_latent_scatter_needs_two_columns():
    ax = plotting.latent_scatter(torch.randn(50, 2), torch.arange(50) % 3,
                                 classes=["a", "b", "c"])
    assert len(ax.collections) == 3
    plt.close(ax.figure)
    with pytest.raises(errors.ShapeError, match=r"\(N, 2\)"):
        plotting.latent_scatter(torch.randn(50, 3))


def test_expect_shape():
    errors.expect_shape("x", torch.zeros(4, 2), (None, 2))
    with pytest.raises(errors.ShapeError, match=r"\(any, 3\)"):
        errors.expect_shape("x", torch.zeros(4, 2), (None, 3), where="helper")


def test_short_error_display_keeps_the_error_name():
    lines = errors.ExerciseNotDone("fill in the stub")._render_traceback_()
    assert lines == ["\x1b[31mExerciseNotDone\x1b[0m: fill in the stub"]
    long = errors.ExerciseIncorrect("word " * 40 + "/a/very/long/path/" * 6)
    (shown,) = long._render_traceback_()
    assert shown.split() == f"\x1b[31mExerciseIncorrect\x1b[0m: {long}".split()
    assert "/a/very/long/path/" * 6 in shown  # a path is never split
    assert max(len(line) for line in shown.split("\n")[1:-1]) <= errors.ERROR_WIDTH
    assert issubclass(errors.ExerciseNotDone, NotImplementedError)
    assert issubclass(errors.DataUnavailableError, FileNotFoundError)


def test_glossary_lookup_both_ways():
    assert [t.english for t in glossary.lookup("צוואר")] == ["bottleneck"]
    assert glossary.lookup("Jensen")[0].hebrew == "אי-שוויון ינסן"
    assert glossary.lookup("no such term") == []
    table = glossary.as_markdown()
    assert table.count("\n") == len(glossary.GLOSSARY) + 1


def test_environment_report_lists_versions_and_data():
    report = environment_report()
    assert report["torch"] == torch.__version__
    assert "digits (bundled with scikit-learn)" in report and "Fashion-MNIST" in report


@pytest.mark.parametrize("versions, says", [
    ({"jupyterlab-rise": (0, 43, 1), "jupyterlab-widgets": (3, 0, 10)}, "live"),
    ({"jupyterlab-rise": (0, 43, 1), "jupyterlab-widgets": (3, 0, 17)},
     'MISSING from the live slides (jupyterlab-widgets 3.0.17): pip install '
     '"jupyterlab-widgets<3.0.11"'),
    ({"jupyterlab-widgets": (3, 0, 10)}, "no live slides"),
    ({"jupyterlab-rise": (0, 43, 1)}, "no widgets in JupyterLab")])
def test_environment_check_says_whether_widgets_are_live_in_the_slides(
        monkeypatch, versions, says):
    monkeypatch.setattr(envcheck, "_version", versions.get)
    assert says in envcheck.slides_widgets_status()


def test_fit_on_an_explicit_device_trains_as_on_the_models_own():
    weights = []
    for device in (None, "cpu", torch.device("cpu")):
        with config.seeded(1):
            model = torch.nn.Linear(3, 1)
        fit(model, _mse, _regression(), epochs=2, seed=7, device=device,
            progress=False)
        weights.append(model.weight.detach().clone())
    assert torch.equal(weights[0], weights[1]) and torch.equal(weights[0], weights[2])


def test_fit_draws_its_batches_with_the_cpu_generator_of_its_seed():
    seen = []

    def record(model, x):
        seen.append(x[:, 0].long().clone())
        return (model(x) ** 2).mean()

    data = torch.arange(10, dtype=torch.float32)[:, None]
    fit(torch.nn.Linear(1, 1), record, data, epochs=2, batch_size=4, seed=3,
        device="cpu", progress=False)
    gen = config.make_generator(3)
    expected = torch.cat([torch.randperm(10, generator=gen) for _ in range(2)])
    assert torch.equal(torch.cat(seen), expected)


@pytest.mark.parametrize("device", ["meta", "gpu0"])
def test_fit_and_evaluate_refuse_a_device_they_cannot_use(device):
    model = torch.nn.Linear(3, 1)
    with pytest.raises(errors.ConfigError, match=f"^fit: device={device}: expected"):
        fit(model, _mse, _regression(), epochs=1, device=device, progress=False)
    with pytest.raises(errors.ConfigError, match="^evaluate: device="):
        evaluate(model, _mse, _regression(), device=device)


def test_cache_puts_the_model_on_the_device_asked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_NO_CACHE", raising=False)
    places = []
    for _ in range(2):  # trains, then loads
        model = torch.nn.Linear(2, 1)
        cache.cached_training("dev", model, lambda m: places.append(
            next(m.parameters()).device), {"n": 1}, verbose=False, device="cpu")
        assert next(model.parameters()).device == torch.device("cpu")
    assert places == [torch.device("cpu")]
    with pytest.raises(errors.ConfigError, match="^cached_training: device=meta"):
        cache.cached_training("dev", model, lambda m: None, {"n": 1}, device="meta")
