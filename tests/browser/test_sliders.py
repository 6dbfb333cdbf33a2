"""Every widget slider of the course, dragged with the mouse in JupyterLab.

For each notebook whose code makes a slider (found in its source, so a new one is
tested too): run it in JupyterLab (fast mode) down to its last slider (the rest,
which makes no slider, runs under nbval), then drag each slider's handle with
the mouse, as a student would, and check that the slider's value and the picture
beside it change. The sliders must be long enough to drag (a track of at least
150 px), and a view's picture must fit on the screen with its sliders.
Screenshots: tests/browser/screenshots/sliders_<notebook>.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from labtools import PICTURE, RUN_ALL_S, drag, open_notebook, run_all

from course_utils.tools.notebooks import read_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
_MAKES_SLIDER = re.compile(r"\b(LiveView|pca_slider|\w*Slider)\(")
MIN_TRACK_PX = 150
VIEWPORT = {"width": 1280, "height": 800}


def notebooks_with_sliders() -> list[str]:
    found = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        code = "\n".join(c.source for c in read_notebook(path).cells
                         if c.cell_type == "code")
        if _MAKES_SLIDER.search(code):
            found.append(path.name)
    return found


SLIDER_NOTEBOOKS = notebooks_with_sliders()


def after_the_last_slider(path: Path) -> int:
    """The index of the cell after the last one whose code makes a slider."""
    cells = read_notebook(path).cells
    return 1 + max(i for i, c in enumerate(cells)
                   if c.cell_type == "code" and _MAKES_SLIDER.search(c.source))

def test_the_course_has_sliders():
    # the notebooks named in issue 17: PCA, Jensen, the KL, the latent traversal
    assert {"01", "04", "05", "06"} <= {n[:2] for n in SLIDER_NOTEBOOKS}


@pytest.mark.parametrize("name", SLIDER_NOTEBOOKS)
def test_each_slider_drags_with_the_mouse_and_the_picture_changes(
        name, chromium, lab, screenshot):
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        server = lab(NOTEBOOKS / name)
        open_notebook(page, server, name)
        run_all(page, name, after_the_last_slider(NOTEBOOKS / name))
        sliders = page.locator(".jp-OutputArea .widget-slider")
        sliders.first.wait_for(state="visible", timeout=RUN_ALL_S * 1000)
        count = sliders.count()
        assert count >= 1, f"{name}: no slider rendered in JupyterLab"
        for i in range(count):
            slider = sliders.nth(i)
            slider.scroll_into_view_if_needed()
            label = slider.locator(".widget-label").first.text_content().strip()
            track = slider.locator(".noUi-target, .ui-slider").first
            width = track.bounding_box()["width"]
            assert width >= MIN_TRACK_PX, (
                f"{name}: the slider {label!r} has a track of {width:.0f} px, too "
                f"short to drag (at least {MIN_TRACK_PX} px)")
            readout = slider.locator(".widget-readout").first
            value = readout.text_content()
            picture = slider.evaluate(PICTURE)
            assert picture, f"{name}: no picture beside the slider {label!r}"
            assert picture["right"] <= VIEWPORT["width"] and (
                picture["height"] <= VIEWPORT["height"]), (
                f"{name}: the picture beside {label!r} does not fit on the screen "
                f"({picture['width']:.0f} x {picture['height']:.0f} px)")
            drag(page, slider.locator(".noUi-handle, .ui-slider-handle").first, track)
            page.wait_for_function(
                "([el, before]) => (el.querySelector('.widget-readout') || {})"
                ".textContent !== before", arg=[slider.element_handle(), value],
                timeout=10_000)
            try:
                page.wait_for_function(
                    f"([el, before]) => ({PICTURE})(el).src !== before",
                    arg=[slider.element_handle(), picture["src"]], timeout=30_000)
            finally:
                if i == 0 or i == count - 1:
                    screenshot(page, f"sliders_{Path(name).stem}_{i}")
            assert readout.text_content() != value
    finally:
        context.close()
