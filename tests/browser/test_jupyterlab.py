"""The course in a real browser: JupyterLab 4 in headless Chromium.

- A course notebook with widgets runs top to bottom; its widget renders, and typing
  into it changes what it shows (a round trip through the kernel).
- The live slides view (jupyterlab-rise, View > Render as slides) renders the
  notebook as reveal.js slides.
- A saved notebook, opened again without its kernel, shows its finished
  progress bars as text and its live views' last pictures and sliders.
- The offline slides export opens from disk with every script and style local,
  and MathJax typesets its equations.

Screenshots go to tests/browser/screenshots/ (ignored by git). Timeouts are
generous but bounded; the whole file takes about a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from labtools import ERRORS, FINISHED, RUN_ALL, RUN_ALL_S, open_notebook, run_all

from course_utils.tools import prepare, site
from course_utils.tools.assets import missing_assets
from course_utils.tools.notebooks import notebook_text, read_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


@dataclass(frozen=True)
class WidgetCheck:
    """How to try one notebook's widget: type ``value`` into the element at
    ``control``, then ``result`` must show ``expect``."""

    notebook: str
    control: str  # CSS selector of the input the student changes
    value: str
    result: str  # CSS selector of the element that shows the answer
    expect: str


#: The course notebooks whose widgets the browser test tries (add one per notebook).
WIDGET_CHECKS = [
    WidgetCheck("00_start_here.ipynb", ".widget-text input", "bottleneck",
                ".widget-textarea textarea", "צוואר בקבוק"),
]

@pytest.mark.parametrize("check", WIDGET_CHECKS, ids=lambda c: c.notebook)
def test_widget_renders_and_responds(check, page, lab, screenshot):
    path = NOTEBOOKS / check.notebook
    if not path.exists():
        pytest.skip(f"{check.notebook} is not written yet")
    server = lab(path)
    open_notebook(page, server, check.notebook)
    page.evaluate(RUN_ALL)
    control = page.locator(check.control).first
    control.wait_for(state="visible", timeout=RUN_ALL_S * 1000)
    page.wait_for_function(FINISHED, timeout=RUN_ALL_S * 1000)
    errors = page.evaluate(ERRORS)
    assert not errors, f"{check.notebook}: cells failed in JupyterLab: {errors}"
    control.scroll_into_view_if_needed()
    control.fill(check.value)
    control.press("Enter")
    result = page.locator(check.result).first
    result.scroll_into_view_if_needed()
    try:
        page.wait_for_function(
            "([sel, text]) => { const el = document.querySelector(sel);"
            " return !!el && (el.value || el.textContent || '').includes(text); }",
            arg=[check.result, check.expect], timeout=30_000)
    finally:
        screenshot(page, f"widget_{Path(check.notebook).stem}")
    shown = result.input_value() if result.evaluate(
        "el => 'value' in el") else result.text_content()
    assert check.expect in shown, \
        f"{check.notebook}: after typing {check.value!r} the widget shows {shown!r}"


def test_live_slides_view_renders(page, lab, screenshot, tmp_path):
    source = NOTEBOOKS / "00_start_here.ipynb"
    if not source.exists():
        pytest.skip("00_start_here.ipynb is not written yet")
    path = tmp_path / "00_slides.ipynb"  # with the slide metadata `prepare` writes
    path.write_text(notebook_text(prepare.prepare(
        read_notebook(source), source.name)), encoding="utf-8")
    server = lab(path)
    open_notebook(page, server, path.name)
    assert page.evaluate(
        "() => window.jupyterapp.commands.hasCommand('RISE:preview')"), \
        "jupyterlab-rise is not active in JupyterLab (pip install jupyterlab-rise)"
    page.evaluate("() => { window.jupyterapp.commands.execute('RISE:preview'); }")
    frame = page.frame_locator("iframe").first
    sections = frame.locator(".reveal .slides > section")
    sections.first.wait_for(state="attached", timeout=60_000)
    frame.locator(".reveal .slides section.present").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let the first slide settle for the picture
    screenshot(page, "live_slides_view")
    headings = sum(1 for c in read_notebook(path).cells
                   if c.cell_type == "markdown" and c.source.startswith("## "))
    assert sections.count() >= headings, \
        f"{sections.count()} slides for {headings} sections: slide metadata missing?"


def test_offline_slides_export_works_without_internet(page, tmp_path, screenshot):
    missing = missing_assets()
    if missing:
        pytest.skip(f"web assets not fetched ({missing[0]}, ...): run python -m "
                    "course_utils.tools.publish assets")
    notebook = tmp_path / "09_offline.ipynb"
    cells = [
        "# 7.1.3 Variational AutoEncoders (VAE): offline slides",
        "## 1. An equation\n$$\\log p(x) = \\mathrm{ELBO} + "
        "\\mathrm{KL}\\big(q(z\\mid x)\\,\\|\\,p(z\\mid x)\\big)$$",
        "import matplotlib.pyplot as plt\n"
        "plt.plot([0, 1, 4, 9])\nplt.title('a figure')",
        "## Summary\n- it works offline",
    ]
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(c) if c.startswith("import")
        else nbformat.v4.new_markdown_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb = prepare.prepare(nb, notebook.name)
    notebook.write_text(notebook_text(nb), encoding="utf-8")
    out = tmp_path / "slides"
    report = site.export([notebook], out, "slides", fast=True)
    assert report["failed"] == []
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto((out / report["written"][0]).as_uri())
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    page.wait_for_selector("mjx-container", state="attached", timeout=30_000)
    page.evaluate("() => Reveal.slide(1)")
    page.wait_for_timeout(800)
    screenshot(page, "offline_slides")
    remote = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert not remote, f"the offline slides asked the network for {remote}"
    assert not page.problems, page.problems
    assert page.evaluate("() => Reveal.getTotalSlides()") >= 3


def test_a_reopened_notebook_shows_its_bars_and_live_views(page, lab, screenshot,
                                                          tmp_path):
    """A notebook saved and opened again once its kernel has gone (a student back
    the next day; JupyterLab autosaves) showed "Error displaying widget: model not
    found" for every progress bar and every live view, picture included. Now a
    finished bar leaves a line of text, and the widget state saved with the
    notebook (the course's JupyterLab settings, installed by requirements.txt)
    shows a live view's last picture and its slider where the student left it."""
    import nbformat

    path = tmp_path / "reopened.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(
        "import time\n"
        "from course_utils.core.training import progress_bar\n"
        "bar = progress_bar(3, 'epochs')\n"
        "for _ in range(3):\n"
        "    time.sleep(1.1)\n"
        "    bar.update(1)\n"
        "bar.close()\n"
        "print('trained')"), nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "from course_utils.core.widgets import LiveView, slider\n\n"
        "def draw(a):\n"
        "    fig, ax = plt.subplots(figsize=(3, 2))\n"
        "    ax.plot([0, 1], [0, a])\n"
        "    return fig\n\n"
        "view = LiveView(lambda a: a, {'a': slider('a', 1.0, 0.0, 2.0)}, draw=draw)\n"
        "view"), nbformat.v4.new_code_cell("view.set(a=1.7);  # as a drag would")]
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    server = lab(path)
    open_notebook(page, server, path.name)
    run_all(page, path.name)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget"
                           ".context.model.dirty", timeout=30_000)
    page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
    page.wait_for_function("() => { const s = window.jupyterapp.shell.currentWidget"
                           ".sessionContext; return !s.session || !s.session.kernel; }",
                           timeout=30_000)
    served = (server.root / path.name).read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in served, (
        "no widget state saved with the notebook: is the course's JupyterLab "
        "setting installed? (pip install -r requirements.txt installs "
        "./course_utils/jupyterlab-settings)")
    page.goto("about:blank")
    open_notebook(page, server, path.name)   # reopened: nothing runs
    page.wait_for_selector(".jp-OutputArea-output img", timeout=60_000)
    page.wait_for_timeout(2000)
    shown = page.inner_text(".jp-Notebook")
    screenshot(page, "reopened_notebook")
    assert "model not found" not in shown, shown
    assert "epochs: 100%" in shown and "3/3" in shown and "trained" in shown, shown
    readout = page.locator(".jp-OutputArea .widget-slider .widget-readout").first
    assert readout.text_content().strip() == "1.70", "the slider is not where it was"
