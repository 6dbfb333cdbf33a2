"""The Hebrew edition in JupyterLab (headless Chromium): prose right to left,
formulas, code and English words left to right and unbroken inside it, and a
check's message in Hebrew.

Screenshots (tests/browser/screenshots/hebrew_*.png) are for a person to look at:
the computed directions below say what the browser decided, the pictures show
whether it reads well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_jupyterlab import RUN_ALL_S, open_notebook

ROOT = Path(__file__).resolve().parents[2]
HEBREW = ROOT / "notebooks" / "hebrew"
#: formulas in $...$ (05); formulas as plain text, tables, lists, notes (06)
NOTEBOOKS = ["05_gaussian_kl.ipynb", "06_variational_autoencoder.ipynb"]

_LAYOUT = """() => {
  const out = {prose: [], math: [], code: [], cells: 0};
  const cells = document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown');
  out.cells = cells.length;
  for (const cell of cells) {
    const box = cell.querySelector('div[dir="rtl"]');
    if (!box) { out.prose.push({missing: cell.textContent.slice(0, 60)}); continue; }
    for (const block of box.querySelectorAll('p, li, h1, h2, h3, td, th')) {
      const style = getComputedStyle(block);
      out.prose.push({tag: block.tagName, dir: style.direction,
                      align: style.textAlign, text: block.textContent.slice(0, 40)});
    }
    for (const math of box.querySelectorAll('mjx-container')) {
      // the formula's top row reads left to right: its first part is left of
      // its last (a mirrored formula has them the other way round)
      const row = math.querySelector('mjx-math');
      let order = null;
      if (row && row.children.length >= 2) {
        const first = row.firstElementChild.getBoundingClientRect();
        const last = row.lastElementChild.getBoundingClientRect();
        if (first.width > 0 && last.width > 0)
          order = first.left < last.left ? 'ltr' : 'mirrored';
      }
      out.math.push({dir: row ? getComputedStyle(row).direction : null, order,
                     display: math.getAttribute('display') === 'true'});
    }
    for (const code of box.querySelectorAll('code')) {
      out.code.push({dir: getComputedStyle(code).direction,
                     bidi: getComputedStyle(code.parentElement).unicodeBidi,
                     text: code.textContent.slice(0, 30)});
    }
  }
  return out;
}"""


_RUN_LANGUAGE_CELL = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  const cells = panel.content.widgets;
  panel.content.activeCellIndex = cells.findIndex(c => c.model.id === 'course-lang');
  window.jupyterapp.commands.execute('notebook:run-cell');
}"""
_LANGUAGE_CELL_RAN = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.widgets;
  const cell = cells.find(c => c.model.id === 'course-lang');
  return !!cell && cell.model.executionCount !== null;
}"""


def _no_windowing(server) -> None:
    """Render every cell, not only those on screen (JupyterLab 4 windows long
    notebooks), so that every formula is typeset and measured."""
    path = (Path(server.log).parent / "settings" / "@jupyterlab"
            / "notebook-extension" / "tracker.jupyterlab-settings")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"windowingMode": "none"}\n')


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_hebrew_prose_is_right_to_left_and_formulas_are_not(name, page, lab,
                                                           screenshot):
    path = HEBREW / name
    if not path.exists():
        pytest.skip(f"{path} is not built yet")
    server = lab(path)
    _no_windowing(server)
    open_notebook(page, server, name)
    has_math = "$" in path.read_text(encoding="utf-8")
    page.wait_for_selector(".jp-MarkdownCell mjx-container" if has_math
                           else ".jp-MarkdownCell .jp-RenderedMarkdown",
                           timeout=60_000)
    page.evaluate(_RUN_LANGUAGE_CELL)
    page.wait_for_function(_LANGUAGE_CELL_RAN, timeout=RUN_ALL_S * 1000)
    page.wait_for_timeout(1500)  # MathJax typesets cell by cell
    screenshot(page, f"hebrew_{Path(name).stem}_top")
    layout = page.evaluate(_LAYOUT)
    assert layout["cells"] > 5
    missing = [p for p in layout["prose"] if "missing" in p]
    assert not missing, f"markdown cells without the right-to-left block: {missing}"
    wrong = [p for p in layout["prose"] if p["dir"] != "rtl"
             or p["align"] not in ("start", "right")]
    assert not wrong, f"prose not right to left: {wrong[:5]}"
    assert bool(layout["math"]) == has_math, "formulas typeset or not"
    bad_math = [m for m in layout["math"] if m["dir"] != "ltr"
                or m["order"] == "mirrored"]
    assert not bad_math, f"formulas not left to right: {bad_math[:5]}"
    assert not has_math or sum(m["order"] == "ltr" for m in layout["math"]) >= 5
    bad_code = [c for c in layout["code"] if c["dir"] != "ltr"]
    assert not bad_code, f"code spans not left to right: {bad_code[:5]}"
    # a formula-dense part and a table or list, for the eye
    shots = [".jp-RenderedMarkdown mjx-container[display='true']",
             ".jp-RenderedMarkdown table", ".jp-RenderedMarkdown blockquote"]
    for n, selector in enumerate(shots):
        found = page.locator(f".jp-MarkdownCell {selector}")
        if found.count():
            found.nth(min(2, found.count() - 1)).evaluate(
                "el => el.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(300)
            screenshot(page, f"hebrew_{Path(name).stem}_{n + 1}")


_STUB_CHECK = """() => {
  for (const cell of window.jupyterapp.shell.currentWidget.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const outputs = cell.model.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs.get(i).toJSON();
      if (out.output_type === 'error') return (out.traceback || []).join('\\n');
    }
  }
  return null;
}"""


_RUN_STUB_AND_CHECK = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  const cells = panel.content.widgets;
  const tags = c => c.model.getMetadata('tags') || [];
  const stub = cells.findIndex(c => tags(c).includes('stub'));
  const check = cells.findIndex((c, i) => i > stub && tags(c).includes('check'));
  const lang = cells.findIndex(c => c.model.id === 'course-lang');
  // the Exercises section's own import of its module (nbNN), above the stubs
  const imports = cells.findIndex(c => c.model.type === 'code' &&
      c.model.sharedModel.getSource().includes('course_utils.topics.exercises import'));
  for (const index of [lang, imports, stub, check]) {
    panel.content.activeCellIndex = index;
    await window.jupyterapp.commands.execute('notebook:run-cell');
  }
}"""


def test_hebrew_student_edition_checks_speak_hebrew(page, lab, screenshot):
    """In the Hebrew student edition of 05, run the language cell, the import of
    the exercises module, the first exercise's empty stub and its check: the
    check answers in Hebrew."""
    name = "05_gaussian_kl.ipynb"
    path = HEBREW / "student" / name
    if not path.exists():
        pytest.skip(f"{path} is not built yet")
    server = lab(path)
    open_notebook(page, server, name)
    page.evaluate(_RUN_STUB_AND_CHECK)
    page.wait_for_function(f"({_STUB_CHECK})() !== null", timeout=RUN_ALL_S * 1000)
    message = page.evaluate(_STUB_CHECK)
    error = page.locator(".jp-OutputArea-output[data-mime-type*='error']").first
    if error.count():
        error.evaluate("el => el.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
    screenshot(page, "hebrew_student_check")
    assert "ExerciseNotDone" in message and "תרגיל 5.1" in message, message
