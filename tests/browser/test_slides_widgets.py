"""Widgets are live in the live slides: a slider dragged with the mouse inside
jupyterlab-rise's slides changes its readout and its picture, through the kernel.

What a lecturer does: run the notebook in JupyterLab before the lecture, then
present it, either beside the notebook (the toolbar's slides button,
``RISE:preview``, which opens on the slide of the selected cell) or full screen in
a tab of its own (*View > Render as Reveal Slideshow*, ``/rise/<notebook>``). Both
are tried on notebook 04: the first slider is dragged in the slides, its readout and
the picture beside it must change there, and the notebook's own copy of the slider
must move too (one model in the kernel, several views). Then every slide of the run
notebook, figures and live views included, must fit the screen's height.

It failed with jupyterlab-widgets 3.0.11 and later (no widget at all in the slides:
their widget manager needs JupyterLab's console module, which the slides app does
not share; jupyterlab-contrib/rise#119), which is why requirements.txt keeps
jupyterlab-widgets below 3.0.11.
Screenshots: tests/browser/screenshots/slides_widget_<view>_<before|after>.png.
"""

from __future__ import annotations

from pathlib import Path

from labtools import PICTURE, SLIDE_COUNTS, at_slide, drag, open_notebook, run_all

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "04_jensen_and_the_elbo.ipynb"
VIEWPORT = {"width": 1280, "height": 800}

_SELECT_FIRST_SLIDER_CELL = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const i = panel.content.widgets.findIndex(
    c => c.node.querySelector('.widget-slider'));
  if (i >= 0) panel.content.activeCellIndex = i;
  return i;
}"""

# the (sub)slide that holds the first slider, as reveal.js's '#/h/v'
_SLIDER_SLIDE = """() => {
  const slides = document.querySelectorAll('.reveal .slides > section');
  for (let h = 0; h < slides.length; h++) {
    const subs = slides[h].querySelectorAll(':scope > section');
    const parts = subs.length ? Array.from(subs) : [slides[h]];
    for (let v = 0; v < parts.length; v++)
      if (parts[v].querySelector('.widget-slider')) return `#/${h}/${v}`;
  }
  return null;
}"""

_READOUT_IS = """([el, v]) => el.querySelector('.widget-readout').textContent === v"""


# the height of the present (sub)slide's cells, outputs included
_HEIGHT = """() => {
  const slide = document.querySelector(
    '.reveal .slides > section.present > section.present')
    || document.querySelector('.reveal .slides > section.present');
  let top = Infinity, bottom = -Infinity;
  for (const cell of slide.querySelectorAll(':scope > .jp-Cell')) {
    const r = cell.getBoundingClientRect();
    if (r.height) { top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom); }
  }
  return bottom > top ? bottom - top : 0;
}"""

def _taller_than_the_screen(page) -> list[tuple[str, float]]:
    """Every (sub)slide of the open slides whose cells, with their outputs (the
    figures, the live views), are taller than the window."""
    tall = []
    for h, subslides in enumerate(page.evaluate(SLIDE_COUNTS)):
        for v in range(subslides):
            height = page.evaluate(at_slide(_HEIGHT), [h, v])
            if height > VIEWPORT["height"] + 1:
                tall.append((f"{h}/{v}", round(height / VIEWPORT["height"], 2)))
    return tall


def _console_problems(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text.splitlines()[0][:160])
            if "shared scope" in m.text or "jupyterlab-manager" in m.text else None)
    return problems


def _drag_in_slides(page, frame, view: str, lab_slider, screenshot) -> None:
    """Drag the first slider of the present slide in ``frame`` (a Playwright frame
    of the slides); its readout and picture change, and so does the notebook's."""
    slider = frame.locator(".reveal section.present .widget-slider").first
    try:
        slider.wait_for(state="visible", timeout=60_000)
    except Exception:
        screenshot(page, f"slides_widget_{view}_missing")
        raise AssertionError(f"{view}: no slider in the live slides (the widget "
                             f"manager did not load there: {page.problems})") from None
    page.wait_for_timeout(1000)  # reveal.js ends its transition
    screenshot(page, f"slides_widget_{view}_before")
    readout = slider.locator(".widget-readout").first
    value, shown = readout.text_content(), slider.evaluate(PICTURE)
    assert shown, f"{view}: no picture beside the slider in the slides"
    picture = shown["src"]
    drag(page, slider.locator(".noUi-handle, .ui-slider-handle").first,
         slider.locator(".noUi-target, .ui-slider").first)
    handle = slider.element_handle()
    frame_of = handle.owner_frame()
    frame_of.wait_for_function("([el, v]) => el.querySelector('.widget-readout')"
                               ".textContent !== v", arg=[handle, value],
                               timeout=10_000)
    frame_of.wait_for_function(f"([el, v]) => ({PICTURE})(el).src !== v",
                               arg=[handle, picture], timeout=30_000)
    screenshot(page, f"slides_widget_{view}_after")
    moved = readout.text_content()
    lab_slider.page.wait_for_function(_READOUT_IS, arg=[lab_slider.element_handle(),
                                                        moved], timeout=10_000)


def test_a_slider_drags_inside_the_live_slides(chromium, lab, screenshot):
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.problems = _console_problems(page)
    try:
        server = lab(NOTEBOOK)
        open_notebook(page, server, NOTEBOOK.name)
        run_all(page, NOTEBOOK.name)
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        assert page.evaluate(_SELECT_FIRST_SLIDER_CELL) >= 0, \
            f"{NOTEBOOK.name}: no slider rendered in JupyterLab"
        lab_slider = page.locator(".jp-NotebookPanel .jp-OutputArea .widget-slider")
        lab_slider = lab_slider.first

        # beside the notebook: the toolbar's slides button
        page.evaluate("() => window.jupyterapp.commands.execute('RISE:preview')")
        _drag_in_slides(page, page.frame_locator("iframe").first, "preview",
                        lab_slider, screenshot)

        # full screen, in a tab of its own
        full = context.new_page()
        full.problems = _console_problems(full)
        full.goto(server.url(f"rise/{NOTEBOOK.name}"), timeout=60_000)
        full.wait_for_selector(".reveal .slides section.present", timeout=60_000)
        full.wait_for_function(_SLIDER_SLIDE, timeout=60_000)
        full.evaluate(f"() => {{ location.hash = '{full.evaluate(_SLIDER_SLIDE)}'; }}")
        _drag_in_slides(full, full, "full_screen", lab_slider, screenshot)
        tall = _taller_than_the_screen(full)
        assert not tall, (f"{NOTEBOOK.name}, run, at {VIEWPORT['width']} x "
                          f"{VIEWPORT['height']}: slides taller than the screen "
                          f"(#/h/v, screens): {tall}")
    finally:
        context.close()
