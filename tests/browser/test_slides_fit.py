"""The live slides (jupyterlab-rise) fit the screen at 1024, 1280 and 1920 px.

Each notebook below opens in jupyterlab-rise's slide view (``/rise/<notebook>``,
what View > Render as slides shows, full screen) with the course's ``rise.css``.
On every slide and subslide, no heading, paragraph, list item, code block, figure
or formula may reach past the left or right edge, and the slide's cells are no
taller than the screen (long code is collapsed by ``publish prepare``; figures,
whose height rise.css caps, are measured with a kernel by
test_slides_widgets.py); headings keep their case (the
reveal theme's capitals turned the Greek letters of formulas into capitals); and
on a 1920 x 1080 screen body text is at least 24 px.
Screenshots: tests/browser/screenshots/rise_<width>_<notebook>_<slide>.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from labtools import SLIDE_COUNTS, at_slide

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SCREENS = [(1024, 768), (1280, 800), (1920, 1080)]
#: 05 has a formula with Greek letters in a heading (tried at 1024 px); 06 is the
#: longest notebook (tried at every width).
SLIDE_NOTEBOOKS = ["05_gaussian_kl.ipynb", "06_variational_autoencoder.ipynb"]
MIN_BODY_PX_1920 = 24

_MEASURE = """() => {
  const W = window.innerWidth;
  const slide = document.querySelector(
    '.reveal .slides > section.present > section.present')
    || document.querySelector('.reveal .slides > section.present');
  const outside = [], cased = [], small = [];
  const sel = 'h1,h2,h3,h4,p,li,pre,img,table,mjx-container,.jp-OutputArea-output';
  for (const el of slide.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const text = (el.textContent || el.tagName).trim().slice(0, 40);
    if (r.left < -1 || r.right > W + 1)
      outside.push(`${el.tagName} "${text}" at `
                   + `${Math.round(r.left)}..${Math.round(r.right)}`);
    if (/^H[1-6]$/.test(el.tagName)
        && getComputedStyle(el).textTransform !== 'none') cased.push(text);
    if (el.tagName === 'P' && el.closest('.jp-RenderedMarkdown') && text)
      small.push(parseFloat(getComputedStyle(el).fontSize));
  }
  let top = Infinity, bottom = -Infinity;  // the slide's cells, top to bottom
  for (const cell of slide.querySelectorAll(':scope > .jp-Cell')) {
    const r = cell.getBoundingClientRect();
    if (r.height) { top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom); }
  }
  const heading = slide.querySelector('h1, h2, h3');
  return {outside, cased, fonts: small, height: bottom > top ? bottom - top : 0,
          heading: heading ? heading.textContent.trim().slice(0, 50) : ''};
}"""


@pytest.mark.parametrize("name", SLIDE_NOTEBOOKS)
def test_live_slides_fit_the_screen(name, chromium, lab, screenshot):
    """One page, resized to each screen (reveal.js lays the slides out again);
    05, whose point is its heading's Greek letters, at the narrowest only."""
    path = NOTEBOOKS / name
    if not path.exists():
        pytest.skip(f"{name} is not written yet")
    server = lab(path)
    width, height = SCREENS[0]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(server.url(f"rise/{name}"), timeout=60_000)
        page.wait_for_selector(".reveal .slides section.present", timeout=60_000)
        page.wait_for_function("() => document.querySelector('mjx-container')",
                               timeout=60_000)
        page.wait_for_timeout(1500)  # MathJax and the layout settle
        slides = page.evaluate(SLIDE_COUNTS)
        problems = []
        for width, height in SCREENS if name != SLIDE_NOTEBOOKS[0] else SCREENS[:1]:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_function(f"() => window.innerWidth === {width}")
            page.wait_for_timeout(300)  # reveal.js's resize handler lays out again
            problems += _check_every_slide(page, name, slides, width, height,
                                           screenshot)
        assert not problems, "\n".join(problems[:12])
    finally:
        context.close()


def _check_every_slide(page, name, slides, width, height, screenshot) -> list[str]:
    problems, fonts, headings = [], [], []
    pictured = {0, 3, len(slides) - 1}  # the title, a section, the summary
    for h, n_sub in enumerate(slides):
        for v in range(n_sub):
            found = page.evaluate(at_slide(_MEASURE), [h, v])
            where = f"{name} slide {h}.{v} ({found['heading']!r}) at {width} px"
            problems += [f"{where}: {o} is off the screen" for o in found["outside"]]
            problems += [f"{where}: heading {c!r} in capitals" for c in found["cased"]]
            if found["height"] > height + 1:
                problems.append(f"{where}: {found['height'] / height:.2f} screens "
                                "high (the audience sees its top only)")
            fonts += found["fonts"]
            headings.append(found["heading"])
            if v == 0 and (h in pictured or "closed form" in found["heading"]):
                screenshot(page, f"rise_{width}_{Path(name).stem}_{h}")
    distinct = len(set(headings))
    assert distinct >= 10, f"{name}: only {distinct} different slides at {width} px"
    assert fonts, f"{name}: no body text measured at {width} px"
    if width == 1920 and min(fonts) < MIN_BODY_PX_1920:
        problems.append(f"{name}: body text of {min(fonts):.1f} px on a 1920 x 1080 "
                        f"screen (at least {MIN_BODY_PX_1920} px for a hall)")
    return problems
