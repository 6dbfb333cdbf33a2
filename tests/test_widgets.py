"""The interactive views of notebooks 04 and 05, driven without a browser: the
logic is a plain function, and setting a control updates the result and readout."""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib
import pytest

from course_utils.core.errors import CourseError
from course_utils.core.widgets import LiveView, dropdown, slider
from course_utils.topics.elbo import JENSEN_FAMILIES, describe_jensen, jensen_gap
from course_utils.topics.figures import draw_jensen, draw_kl_view
from course_utils.topics.kl import describe_kl, kl_view

matplotlib.use("Agg")


def _kl_widget() -> LiveView:
    return LiveView(kl_view, {"mu": slider("mu", 1.0, -3.0, 3.0),
                              "sigma": slider("sigma", 0.5, 0.1, 3.0)},
                    describe=describe_kl, draw=draw_kl_view)


def test_kl_view_logic():
    r = kl_view(0.0, 1.0)
    assert r["kl"] == 0.0 and r["kl_reverse"] == 0.0
    assert r["kl_book"] == 0.5          # the chapter's formula without -1
    r = kl_view(1.0, 1.0)
    assert r["kl"] == pytest.approx(0.5) and r["kl_reverse"] == pytest.approx(0.5)
    r = kl_view(0.3, 2.0)
    expected = 0.5 * (0.3**2 + 4.0 - math.log(4.0) - 1)
    assert r["kl"] == pytest.approx(expected, rel=1e-12)
    assert r["kl"] != pytest.approx(r["kl_reverse"])   # asymmetry
    with pytest.raises(CourseError):
        kl_view(0.0, 0.0)


def test_kl_widget_follows_its_sliders():
    view = _kl_widget()
    assert isinstance(view, widgets.VBox)
    assert view.result["kl"] == pytest.approx(kl_view(1.0, 0.5)["kl"])
    before, png = view.n_updates, bytes(view.figure.value)
    assert png.startswith(b"\x89PNG")          # the figure is drawn at once
    view.controls["mu"].value = 0.0
    view.controls["sigma"].value = 1.0
    assert view.n_updates == before + 2
    assert bytes(view.figure.value) != png      # ... and redrawn on a change
    assert view.result["kl"] == 0.0
    assert "KL(q‖p) = 0.0000" in view.readout.value
    before = view.n_updates
    assert view.set(mu=2.0, sigma=1.0)["kl"] == pytest.approx(2.0)
    assert view.n_updates == before + 1          # set() updates once
    assert view.values() == {"mu": 2.0, "sigma": 1.0}
    with pytest.raises(CourseError):
        view.set(tau=1.0)


def test_jensen_logic():
    for dist in JENSEN_FAMILIES:
        zero = jensen_gap(dist, mean=2.0, spread=0.0)
        assert zero["gap"] == 0.0
        for spread in (0.05, 0.2, 0.5):
            r = jensen_gap(dist, mean=2.0, spread=spread)
            assert r["gap"] > 0
            # scale-free: the gap depends on the spread only
            assert r["gap"] == pytest.approx(jensen_gap(dist, 7.0, spread)["gap"],
                                             rel=1e-9)
    assert jensen_gap("log-normal", 1.0, 0.5)["gap"] == pytest.approx(
        0.5 * math.log1p(0.25))
    assert jensen_gap("two-point", 1.0, 0.5)["gap"] == pytest.approx(
        -0.5 * math.log(1 - 0.25))
    with pytest.raises(CourseError):
        jensen_gap("cauchy")
    with pytest.raises(CourseError):
        jensen_gap("two-point", mean=1.0, spread=1.5)   # X would be negative
    with pytest.raises(CourseError):
        jensen_gap("gamma", mean=-1.0)


def test_jensen_widget_and_bad_values():
    view = LiveView(jensen_gap, {"dist": dropdown("distribution", JENSEN_FAMILIES),
                                 "mean": slider("E[X]", 2.0, 0.5, 5.0),
                                 "spread": slider("sd/mean", 0.4, 0.0, 2.0)},
                    describe=describe_jensen, draw=draw_jensen)
    assert view.result["dist"] == "two-point"
    view.set(dist="gamma", spread=0.0)
    assert view.result["gap"] == 0.0 and "gap = 0.0000" in view.readout.value
    good = view.set(dist="uniform", spread=0.3)
    # outside the uniform's range: the readout shows the message, result is kept
    view.set(spread=1.5)
    assert view.error is not None and "spread" in view.readout.value
    assert view.result is good
    view.set(spread=0.2)
    assert view.error is None and view.result["spread"] == pytest.approx(0.2)


def test_live_view_without_a_figure():
    view = LiveView(lambda n: n * n, {"n": widgets.IntSlider(value=3)})
    assert view.result == 9 and view.readout.value == "9"
    assert view.figure not in view.children
    assert view.set(n=4) == 16


def test_live_view_rejects_bad_controls():
    with pytest.raises(CourseError):
        LiveView(kl_view, {})
    with pytest.raises(CourseError):
        LiveView(kl_view, {"mu": widgets.Button(description="no value")})


def test_many_sliders_stand_in_a_column_beside_the_figure():
    controls = {f"z{j}": slider(f"z{j}", 0.0, -3.0, 3.0) for j in range(8)}
    view = LiveView(lambda **z: sum(z.values()), controls, draw=lambda r: _figure())
    assert view.arrange == "column"
    row = view.children[0]
    column, side = row.children
    assert list(column.children) == list(controls.values())
    assert all(c.layout.width == "100%" for c in controls.values())
    assert view.figure in side.children        # the picture beside the sliders
    assert view.figure.layout.width.endswith("px")  # at its own size
    assert _kl_widget().arrange == "row"       # two sliders stay in a row
    with pytest.raises(CourseError):
        LiveView(kl_view, {"mu": slider("mu", 1.0, -3.0, 3.0)}, arrange="grid")


def _figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1])
    return fig


def test_where_no_kernel_runs_a_view_shows_a_still_and_no_markup():
    if int(widgets.__version__.split(".")[0]) < 8:
        # ipywidgets 7 (the lowest allowed; Colab's) displays a widget through its
        # own _ipython_display_, so no still reaches an export there; a fresh
        # install (and so every export the tools make) gets ipywidgets 8
        pytest.skip("the export still needs ipywidgets 8")
    view = _kl_widget()
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    still = bundle["text/html"]
    assert 'src="data:image/png;base64,' in still
    assert "JupyterLab" in bundle["text/plain"]
    assert "KL(q‖p) = 0.8181" in still and "JupyterLab" in still
    assert "LiveView(" not in bundle["text/plain"]
    assert "<" not in view.text and "&nbsp;" not in view.text
    assert "KL(q‖p) = 0.8181" in view.text
    view.set(mu=0.0, sigma=1.0)                # the still stays the first state
    assert view._repr_mimebundle_()["text/html"] == still


def test_a_finished_progress_bar_leaves_a_line_a_saved_notebook_can_show():
    """A reopened notebook showed "Error displaying widget: model not found"
    for every progress bar: what is saved now is the bar's last line of text."""
    import nbformat
    from nbclient import NotebookClient

    from course_utils.core.training import PROGRESS_AFTER_S

    steps, pause = 3, PROGRESS_AFTER_S / 2 + 0.1   # shown from the 3rd step on
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import time\n"
        "from course_utils.core.training import progress_bar\n"
        f"bar = progress_bar({steps}, 'epochs')\n"
        f"for _ in range({steps}):\n"
        f"    time.sleep({pause})\n"
        "    bar.update(1)\n"
        "bar.close()\n"
        "print('trained')")]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    saved = nbformat.writes(nb)
    assert "application/vnd.jupyter.widget-view+json" not in saved, outputs
    lines = [o["data"]["text/plain"] for o in outputs if o.get("data")]
    assert any("epochs: 100%" in line and f"{steps}/{steps}" in line
               for line in lines), outputs
    assert any("trained" in o.get("text", "") for o in outputs)
