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

from course_utils.tools import site
from course_utils.tools.assets import missing_assets

ROOT = Path(__file__).resolve().parents[2]
HEBREW = ROOT / "notebooks" / "hebrew"
#: formulas in $...$ (05); formulas as plain text, tables, lists, notes (06)
NOTEBOOKS = ["05_gaussian_kl.ipynb", "06_variational_autoencoder.ipynb"]

#: where a block's lines end on the right: each text node's and formula's boxes,
#: grouped by line; right-aligned prose starts every line at the right edge
_FLUSH = """(el) => {
  const style = getComputedStyle(el);
  const right = el.getBoundingClientRect().right - parseFloat(style.paddingRight)
                - parseFloat(style.borderRightWidth);
  const own = n => n.closest('p, li, td, th, h1, h2, h3') === el;
  const boxes = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || !own(node.parentElement)
        || node.parentElement.closest('mjx-container')) continue;  // its MathML
    const range = document.createRange();
    range.selectNodeContents(node);
    boxes.push(...Array.from(range.getClientRects()).filter(r => r.width > 0));
  }
  // inline formulas and code (a display formula is a centred line of its own)
  for (const m of el.querySelectorAll('mjx-container:not([display="true"]), code'))
    if (own(m) && !m.closest('mjx-container[display="true"]'))
      boxes.push(m.getBoundingClientRect());
  if (!boxes.length) return null;
  // the last line: the boxes level with the lowest one
  const low = boxes.reduce((a, b) => (b.bottom > a.bottom ? b : a));
  const middle = (low.top + low.bottom) / 2;
  const last = boxes.filter(r => r.top <= middle && r.bottom >= middle);
  return {first: Math.max(...boxes.map(r => r.right)) - right,
          last: Math.max(...last.map(r => r.right)) - right};
}"""

#: every rendered markdown cell: its right-to-left box, the direction and the
#: alignment of its prose (measured), its formulas and code, and the
#: left-to-right runs that hold a sentence boundary
_LAYOUT = """() => {
  const flush = FLUSH;
  const out = {prose: [], math: [], code: [], joined: [], cells: 0};
  const cells = document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown');
  out.cells = cells.length;
  for (const cell of cells) {
    const box = cell.querySelector('div[dir="rtl"]');
    if (!box) { out.prose.push({missing: cell.textContent.slice(0, 60)}); continue; }
    for (const block of box.querySelectorAll('p, li, td, th')) {
      const edge = flush(block);
      if (edge === null) continue;
      out.prose.push({tag: block.tagName, dir: getComputedStyle(block).direction,
                      first: Math.round(edge.first), last: Math.round(edge.last),
                      text: block.textContent.trim().slice(0, 40)});
    }
    for (const math of box.querySelectorAll('mjx-container')) {
      // the formula's top row reads left to right: its first part is left of
      // its last (a mirrored formula has them the other way round)
      const row = math.querySelector('mjx-math')  // CHTML (JupyterLab)
                  || math.querySelector('g[data-mml-node="math"]');  // SVG (site)
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
                     text: code.textContent.slice(0, 30)});
    }
    for (const run of box.querySelectorAll('[dir="ltr"]'))
      // a title keeps the book's English section title, one run ("7. Deep ...")
      if (/[.:] +\\S/.test(run.textContent) && !run.closest('pre, h1'))
        out.joined.push(run.textContent.slice(0, 60));
  }
  return out;
}""".replace("FLUSH", _FLUSH)


def _no_windowing(server) -> None:
    """Render every cell, not only those on screen (JupyterLab 4 windows long
    notebooks), so that every formula is typeset and measured."""
    path = (Path(server.log).parent / "settings" / "@jupyterlab"
            / "notebook-extension" / "tracker.jupyterlab-settings")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"windowingMode": "none"}\n')


def _check_layout(page, where: str, has_math: bool) -> None:
    layout = page.evaluate(_LAYOUT)
    assert layout["cells"] > 5, f"{where}: {layout['cells']} markdown cells"
    missing = [p for p in layout["prose"] if "missing" in p]
    assert not missing, f"{where}: markdown without the right-to-left block: {missing}"
    measured = [p for p in layout["prose"] if "missing" not in p]
    assert len(measured) > 20, f"{where}: {len(measured)} paragraphs measured"
    # every paragraph, list item and table cell starts its lines at its right
    # edge, the last line too (flush left, a short last line ends far from it)
    wrong = [p for p in measured if p["dir"] != "rtl" or abs(p["first"]) > 2
             or abs(p["last"]) > 2]
    assert not wrong, f"{where}: prose not flush right, right to left: {wrong[:4]}"
    assert bool(layout["math"]) == has_math, f"{where}: formulas typeset or not"
    bad_math = [m for m in layout["math"] if m["dir"] != "ltr"
                or m["order"] == "mirrored"]
    assert not bad_math, f"{where}: formulas not left to right: {bad_math[:5]}"
    assert not has_math or sum(m["order"] == "ltr" for m in layout["math"]) >= 5
    bad_code = [c for c in layout["code"] if c["dir"] != "ltr"]
    assert not bad_code, f"{where}: code spans not left to right: {bad_code[:5]}"
    assert not layout["joined"], (f"{where}: left-to-right runs across a sentence "
                                  f"boundary (shown scrambled): {layout['joined']}")


def _pictures(page, stem: str, screenshot) -> None:
    """A formula-dense part, a table and a note, for the eye."""
    shots = [".jp-RenderedMarkdown mjx-container[display='true']",
             ".jp-RenderedMarkdown table", ".jp-RenderedMarkdown blockquote"]
    for n, selector in enumerate(shots):
        found = page.locator(f".jp-MarkdownCell {selector}")
        if found.count():
            found.nth(min(2, found.count() - 1)).evaluate(
                "el => el.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(300)
            screenshot(page, f"{stem}_{n + 1}")


@pytest.mark.parametrize("name", NOTEBOOKS[1:])  # 05: the slides test below
def test_hebrew_prose_is_right_to_left_and_formulas_are_not(name, page, lab,
                                                           screenshot):
    """In JupyterLab, as the notebook opens, before any cell runs: the alignment
    is in the markdown itself, not in a stylesheet that a cell's output brings."""
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
    page.wait_for_timeout(1500)  # MathJax typesets cell by cell
    ran = page.evaluate("() => window.jupyterapp.shell.currentWidget.content"
                        ".widgets.filter(c => c.model.executionCount).length")
    assert ran == 0, "a cell ran: this test is about the notebook as it opens"
    screenshot(page, f"hebrew_{Path(name).stem}_top")
    _check_layout(page, f"{name} in JupyterLab", has_math)
    _pictures(page, f"hebrew_{Path(name).stem}", screenshot)


def test_hebrew_prose_in_an_nbconvert_export(page, tmp_path, screenshot):
    """The same measures on the HTML page that nbconvert makes (the course's
    offline site, ``publish html --lang he``), not run."""
    missing = missing_assets()
    if missing:
        pytest.skip(f"web assets not fetched ({missing[0]}, ...): run python -m "
                    "course_utils.tools.publish assets")
    name = NOTEBOOKS[1]
    report = site.export([HEBREW / name], tmp_path, "html", run=False, lang="he")
    assert report["failed"] == [], report["failed"]
    page.goto((tmp_path / report["written"][0]).as_uri())
    page.wait_for_selector(".jp-MarkdownCell mjx-container", timeout=60_000)
    page.wait_for_timeout(1500)
    screenshot(page, "hebrew_export_top")
    _check_layout(page, f"{name} exported by nbconvert", has_math=True)
    _pictures(page, "hebrew_export", screenshot)


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


#: on the present slide: each heading's alignment, and each paragraph's and list
#: item's right edges (as _FLUSH measures them)
_SLIDE_FLUSH = """() => {
  const flush = FLUSH;
  const slide = document.querySelector('.reveal .slides section.present:not(.stack)')
    || document.querySelector('.reveal .slides > section.present');
  const out = [];
  for (const el of slide.querySelectorAll('[dir="rtl"] :is(h1, h2, h3, p, li)')) {
    if (!el.getBoundingClientRect().width) continue;
    const text = el.textContent.slice(0, 30);
    if (/^H/.test(el.tagName)) {
      const align = getComputedStyle(el).textAlign;
      if (align !== 'right') out.push(`${el.tagName} ${align}: ${text}`);
      continue;
    }
    const edge = flush(el);
    if (edge && (Math.abs(edge.first) > 2 || Math.abs(edge.last) > 2))
      out.push(`${el.tagName} ${Math.round(edge.last)}: ${text}`);
  }
  return out;
}""".replace("FLUSH", _FLUSH)


def test_hebrew_offline_slides_read_right_to_left(page, tmp_path, screenshot):
    """``publish slides --lang he``: on every slide of 05's offline slides
    (reveal.js), the headings and the prose sit on the right."""
    missing = missing_assets()
    if missing:
        pytest.skip(f"web assets not fetched ({missing[0]}, ...): run python -m "
                    "course_utils.tools.publish assets")
    report = site.export([HEBREW / NOTEBOOKS[0]], tmp_path, "slides", run=False,
                         lang="he")
    assert report["failed"] == [], report["failed"]
    page.goto((tmp_path / report["written"][0]).as_uri())
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    page.wait_for_timeout(1500)  # MathJax
    problems, seen = [], 0
    for h, v in page.evaluate("() => Reveal.getSlides().map(s => "
                              "[Reveal.getIndices(s).h, Reveal.getIndices(s).v || 0])"):
        page.evaluate("([h, v]) => Reveal.slide(h, v)", [h, v])
        page.wait_for_timeout(50)
        problems += [f"slide {h}.{v}: {p}" for p in page.evaluate(_SLIDE_FLUSH)]
        seen += 1
        if (h, v) == (3, 0):
            screenshot(page, "hebrew_slides_3")
    assert seen > 10, f"only {seen} slides"
    assert not problems, problems[:6]
