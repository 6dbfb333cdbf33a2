"""The exported slides and HTML pages, opened from disk in Chromium, offline.

A small notebook with a live view (a slider and a figure), a long slide and a
"Note on the text" is exported both ways. Where no kernel runs, the view shows a
still of its first state with a line saying it is live in JupyterLab, never the
widget's repr or raw markup; nothing is loaded from the web (the Colab badge is a
plain link in the HTML page); and in the slides the note, shown on a click, comes
into view. Screenshots: tests/browser/screenshots/export_<kind>.png.
"""

from __future__ import annotations

import nbformat
import pytest

from course_utils.tools import prepare, site
from course_utils.tools.assets import missing_assets
from course_utils.tools.notebooks import notebook_text

VIEW = '''from course_utils.core.widgets import LiveView, slider
import matplotlib.pyplot as plt


def draw(a):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, a])
    return fig


view = LiveView(lambda a: a, {"a": slider("a", 1.0, 0.0, 2.0)},
                describe=lambda a: f"&nbsp; <b>a = {a:.2f}</b>", draw=draw)
view'''
LONG = "## 2. A long slide\n" + "\n\n".join(
    f"Paragraph {i}: words enough to fill a line of the slide." for i in range(14))
NOTE = "> **Note on the text (slip 5).** The closed form lacks its $-1$."


def _notebook(path):
    cells = [nbformat.v4.new_markdown_cell(
                 "# 7.1.3 Variational AutoEncoders (VAE): an export"),
             nbformat.v4.new_markdown_cell("## 1. A live view"),
             nbformat.v4.new_code_cell(VIEW),
             nbformat.v4.new_markdown_cell(LONG),
             nbformat.v4.new_markdown_cell(NOTE),
             nbformat.v4.new_markdown_cell("## Summary\n- it works offline")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path.write_text(notebook_text(prepare.prepare(nb, path.name)), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["slides", "html"])
def test_exports_show_widget_stills_offline(kind, page, tmp_path, screenshot):
    missing = missing_assets()
    if missing:
        pytest.skip(f"web assets not fetched ({missing[0]}, ...): run python -m "
                    "course_utils.tools.publish assets")
    notebook = _notebook(tmp_path / "09_export.ipynb")
    report = site.export([notebook], tmp_path / kind, kind, fast=True)
    assert report["failed"] == [], report["failed"]
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto((tmp_path / kind / report["written"][0]).as_uri())
    if kind == "slides":
        page.wait_for_function("() => window.Reveal && Reveal.isReady()",
                               timeout=30_000)
    page.wait_for_selector(".course-live-view-still img", state="attached",
                           timeout=30_000)
    if kind == "slides":  # to the (sub)slide that holds the view
        page.evaluate("""() => { const i = Reveal.getIndices(document.querySelector(
            '.course-live-view-still').closest('section'));
            Reveal.slide(i.h, i.v); }""")
    page.locator(".course-live-view-still img").first.wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    screenshot(page, f"export_{kind}")
    text = "\n".join(page.locator(".jp-OutputArea").all_inner_texts())
    assert "a = 1.00" in text  # the outputs, not the code, are read here
    for repr_text in ("LiveView(", "children=(", "&nbsp;", "<b>"):
        assert repr_text not in text, f"the {kind} page shows {repr_text!r}"
    assert "IPKernelApp" not in text, "the kernel's log is in the page"
    still = page.locator(".course-live-view-still").first
    assert "JupyterLab" in still.inner_text() and "a = 1.00" in still.inner_text()
    assert still.locator("img").evaluate("img => img.naturalWidth") > 0
    remote = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert not remote, f"the {kind} page asked the network for {remote}"
    assert not page.problems, page.problems
    heading = page.locator("h2").first
    assert heading.evaluate("h => getComputedStyle(h).textTransform") == "none"
    if kind == "slides":
        page.evaluate("() => Reveal.slide(2)")
        page.wait_for_timeout(400)
        page.keyboard.press("ArrowRight")  # the note appears on the next click
        page.wait_for_timeout(800)
        note = page.locator("section.present .fragment.visible").last
        box = note.bounding_box()
        viewport = page.viewport_size
        screenshot(page, "export_slides_note")
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport[
            "height"], f"the note on the text is off the screen at {box}"
