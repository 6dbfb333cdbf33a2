"""What the browser tests do in JupyterLab: open a notebook, run it all, wait, read
its errors; and drag a slider with the mouse."""

from __future__ import annotations

from pathlib import Path

RUN_ALL_S = 180  # fast mode; the kernel also starts torch (06 trains a VAE)

# run every cell, or (given a cell's index) every cell above that one
RUN_ALL = """async (stop) => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  if (stop === undefined || stop === null) {
    window.jupyterapp.commands.execute('notebook:run-all-cells');
  } else {
    panel.content.activeCellIndex = stop;
    window.jupyterapp.commands.execute('notebook:run-all-above');
  }
}"""

# every code cell (above ``stop``) ran, or one failed (running stops there), and
# the kernel is idle
FINISHED = """(stop) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const code = panel.content.widgets.slice(0, stop === null ? undefined : stop)
    .filter(c => c.model.type === 'code');
  const failed = c => Array.from({length: c.model.outputs.length},
      (_, i) => c.model.outputs.get(i).toJSON().output_type).includes('error');
  return code.every(c => c.model.executionCount !== null) || code.some(failed);
}"""

ERRORS = """() => {
  const errors = [];
  for (const cell of window.jupyterapp.shell.currentWidget.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const outputs = cell.model.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs.get(i).toJSON();
      if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
    }
  }
  return errors;
}"""


# the picture of the view that holds a slider: its nearest box with an <img>
PICTURE = """(slider) => {
  let box = slider.parentElement;
  while (box && !box.querySelector('img')) box = box.parentElement;
  const img = box && box.querySelector('img');
  if (!img) return null;
  const r = img.getBoundingClientRect();
  return {src: img.src, left: r.left, right: r.right, top: r.top,
          bottom: r.bottom, width: r.width, height: r.height};
}"""

#: the number of (sub)slides under each top-level slide of reveal.js's page
SLIDE_COUNTS = """() => Array.from(
  document.querySelectorAll('.reveal .slides > section')).map(
    s => Math.max(1, s.querySelectorAll(':scope > section').length))"""


def at_slide(measure: str) -> str:
    """Javascript taking ``[h, v]``: go to reveal.js's slide ``#/h/v``, wait two
    animation frames (the course's slides have no transition: it is drawn), then
    return what the function ``measure`` returns."""
    return ("async ([h, v]) => { location.hash = `#/${h}/${v}`;"
            " await new Promise(r => setTimeout(r, 0));"
            " for (let i = 0; i < 2; i++)"
            " await new Promise(r => requestAnimationFrame(r));"
            f" return ({measure})(); }}")


def open_notebook(page, lab, name: str) -> None:
    """Open ``name`` in a JupyterLab workspace of its own (no tab of an earlier
    test is restored beside it) and wait for its session."""
    workspace = Path(name).stem.replace("_", "-")
    page.goto(lab.url(f"lab/workspaces/{workspace}/tree/{name}"), timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell"
                           " && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext",
                           timeout=60_000)


def run_all(page, name: str, stop: int | None = None) -> None:
    """Run every cell (or every cell above the one at index ``stop``), wait until
    they ran, and fail with the errors if any cell raised."""
    page.evaluate(RUN_ALL, stop)
    page.wait_for_timeout(1000)
    page.wait_for_function(FINISHED, arg=stop, timeout=RUN_ALL_S * 1000, polling=500)
    errors = page.evaluate(ERRORS)
    assert not errors, f"{name}: cells failed in JupyterLab: {errors}"


def drag(page, handle, track, fraction: float = 0.3) -> None:
    """Drag ``handle`` along ``track`` (locators) with the mouse, by ``fraction``
    of the track's length, towards the side with more room."""
    box = _settled(page, handle)
    rail = track.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    room_right = rail["x"] + rail["width"] - x
    step = fraction * rail["width"] * (1 if room_right > rail["width"] / 2 else -1)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + step, y, steps=12)
    page.mouse.up()


def _settled(page, element, tries: int = 20) -> dict:
    """Scroll ``element`` into view and wait until it stays put: JupyterLab draws
    the cells of a long notebook as they come into view, and the ones drawn
    (collapsed code is shorter than JupyterLab guessed) move what is below them."""
    before = None
    for _ in range(tries):
        element.scroll_into_view_if_needed()
        page.wait_for_timeout(250)
        box = element.bounding_box()
        if box == before:
            return box
        before = box
    return before
