"""Slides and an executed HTML copy: the notebooks run, then exported as pages.

``python -m course_utils.tools.publish slides`` writes reveal.js slides (run in
presenting mode), ``... html`` an executed HTML page per notebook; both with an
``index.html``. Every script and style is served from local copies (see
:mod:`course_utils.tools.assets`), so the pages work without internet. The
notebooks run with :func:`course_utils.tools.execute.execute` (``--fast`` for
fast mode).
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from course_utils.tools.assets import copy_assets
from course_utils.tools.execute import execute
from course_utils.tools.notebooks import PublishError, cell_source, read_notebook
from course_utils.tools.prepare import is_colab_cell

KINDS = {"slides": ".slides.html", "html": ".html"}  # kind -> file suffix

# Templates: nbconvert's own, with every script and style served locally --------

_MATHJAX = """
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],
        displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true},
  svg: {fontCache: 'global'}
};
</script>
<script src="assets/mathjax/es5/tex-svg-full.js"></script>
"""

SLIDES_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}""" + _MATHJAX + """
{%- endblock html_head_js_mathjax -%}
{% block footer_js %}
<style>
/* headings as written: the theme's capitals would turn a formula's mu into M */
.reveal h1, .reveal h2, .reveal h3, .reveal h4, .reveal h5, .reveal h6 {
  text-transform: none;
}
/* the Hebrew edition's headings on the right, as its paragraphs */
.reveal [dir="rtl"] :is(h1, h2, h3, h4, h5, h6) { text-align: right; }
</style>
<script src="assets/reveal.js/dist/reveal.js"></script>
<script src="assets/reveal.js/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true, progress: true, history: true, center: false,
  transition: "{{ resources.reveal.transition }}",
  slideNumber: "c/t", plugins: [RevealNotes],
  width: {{ resources.reveal.width }}, height: {{ resources.reveal.height }},
  margin: 0.03
});
function scrollLongSlides() {
  var limit = document.querySelector('.reveal').clientHeight * 0.95;
  document.querySelectorAll('section.present > section, section.present')
    .forEach(function (s) {
      if (s.scrollHeight > limit) {
        s.style.height = '95vh'; s.style.overflowY = 'auto';
      }
    });
}
Reveal.on('ready', scrollLongSlides);
Reveal.on('slidechanged', scrollLongSlides);
// a "Note on the text" shown on a click comes into view, even below the edge
Reveal.on('fragmentshown', function (event) {
  scrollLongSlides();
  event.fragment.scrollIntoView({block: 'nearest'});
});
</script>
{% endblock footer_js %}
"""

HTML_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}""" + _MATHJAX + """
{%- endblock html_head_js_mathjax -%}
"""


def _exporter(kind: str):
    """nbconvert's slides or HTML exporter with the course's template."""
    # nbconvert, jinja2: heavy to import; only exporting pages needs them
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter, SlidesExporter

    if kind == "slides":
        exporter = SlidesExporter(
            extra_loaders=[DictLoader({"course_slides.html.j2": SLIDES_TEMPLATE})],
            template_file="course_slides.html.j2",
            reveal_url_prefix="assets/reveal.js", reveal_theme="white",
            reveal_transition="none", reveal_scroll=True, reveal_width="1280",
            reveal_height="720")
    else:
        exporter = HTMLExporter(
            extra_loaders=[DictLoader({"course_page.html.j2": HTML_TEMPLATE})],
            template_file="course_page.html.j2")
    exporter.exclude_input_prompt = kind == "slides"
    exporter.exclude_output_prompt = True
    return exporter


_REMOTE = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']?"""
                     r"""(?:https?:)?//""", re.IGNORECASE)


def remote_references(page: str) -> list[str]:
    """The ``<script>`` and ``<link>`` tags of ``page`` that load from the web."""
    return [page[m.start(): page.find(">", m.start()) + 1]
            for m in _REMOTE.finditer(page)]


def kernel_settings(fast: bool, presenting: bool) -> dict[str, str]:
    """The environment a page's notebook runs in: this process's, with the mode,
    presenting mode, and figures drawn inline (so they land in the page)."""
    return {**os.environ, "COURSE_FAST": "1" if fast else "0",
            "COURSE_PRESENT": "1" if presenting else "0",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline"}


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: What a page shows for a widget that brings no still of its own.
WIDGET_NOTE = ("<p><em>An interactive widget: run the notebook in JupyterLab to use "
               "it.</em></p>")
#: How ipywidgets print a widget (``LiveView(children=(...``, ``Text(value=...``).
_WIDGET_REPR = re.compile(r"^\w+\((?:children|value|description|layout|options)=")
_BADGE = re.compile(r"\[!\[[^\]]*\]\([^)]*colab-badge\.svg\)\]\(([^)]*)\)")
#: Lines the kernel logs on start, which land in the first cell's stderr.
_KERNEL_LOG = re.compile(r"^\[IPKernelApp\].*(?:\n|$)", re.MULTILINE)


def _page_outputs(outputs: list[dict]) -> list[dict]:
    """Outputs as a page without a kernel can show them: a widget as its still
    (``text/html``, see :class:`course_utils.core.widgets.LiveView`), a progress
    bar as its text, any other widget as a line saying it is live in JupyterLab,
    never its repr; no kernel log lines."""
    kept = []
    for out in outputs:
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            data.pop(WIDGET_VIEW)
            plain = data.get("text/plain", "")
            plain = "".join(plain) if isinstance(plain, list) else plain
            if "text/html" in data or not plain.strip() or _WIDGET_REPR.match(plain):
                data.pop("text/plain", None)
                data.setdefault("text/html", WIDGET_NOTE)
            # else a progress bar: its text ("epochs: 100%|####| 4/4") stays
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            out["text"] = _KERNEL_LOG.sub("", text)
            if not out["text"].strip():
                continue
        kept.append(out)
    return kept


def _for_pages(nb: dict, keep_badge: bool) -> dict:
    """A copy fit for a page: no widget state (it needs a kernel), widgets as
    stills, no Colab cell, and no picture from the web: the Colab badge becomes a
    plain link (``keep_badge``, the HTML pages) or goes (the slides)."""
    out = copy.deepcopy(nb)
    out.get("metadata", {}).pop("widgets", None)
    out["cells"] = [c for c in out.get("cells", []) if not is_colab_cell(c)]
    for cell in out["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = _page_outputs(cell.get("outputs", []))
    if out.get("cells"):
        first = out["cells"][0]
        lines = cell_source(first).split("\n")
        if keep_badge:
            lines = [_BADGE.sub(r"[Open in Colab](\1)", ln) for ln in lines]
        else:
            lines = [ln for ln in lines if "colab-badge.svg" not in ln]
        first["source"] = "\n".join(lines)
    return out


def _title(nb: dict, fallback: str) -> str:
    """The first heading, as text; the Hebrew edition's English part, isolated in
    a span there, is isolated here too (Unicode's left-to-right isolate)."""
    for line in cell_source(nb["cells"][0]).split("\n") if nb.get("cells") else []:
        if line.startswith("# "):
            line = re.sub(r'<span dir="ltr">(.*?)</span>', "\u2066\\1\u2069", line[2:])
            return re.sub(r"<[^>]+>", "", line).strip()
    return fallback


def export(paths: Iterable[Path], out_dir: Path, kind: str, run: bool = True,
           fast: bool = False, assets: Path | None = None,
           lang: str = "en") -> dict[str, list[str]]:
    """Export notebooks as reveal.js slides (``kind="slides"``, run in presenting
    mode) or as HTML pages (``kind="html"``), with an ``index.html`` in ``lang``
    (``he``: the Hebrew edition's pages, whose index reads right to left).

    Returns ``{"written": [...], "failed": [...]}``. A notebook whose run fails is
    reported and left out; the others are still written.
    """
    if kind not in KINDS:
        raise PublishError(f"kind must be 'slides' or 'html', got {kind!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_assets(out_dir, assets,
                ("reveal.js", "mathjax") if kind == "slides" else ("mathjax",))
    exporter = _exporter(kind)
    report: dict[str, list[str]] = {"written": [], "failed": []}
    entries = []
    for path in map(Path, paths):
        start = time.perf_counter()
        nb = read_notebook(path)
        if run:
            done = execute(nb, path.parent, kernel_settings(fast, kind == "slides"))
            if done.status != "ok":  # a failing claim, a missing data set, ...
                report["failed"].append(f"{path.name}: {done.error}")
                print(f"FAILED    {path.name}: {done.error}", file=sys.stderr)
                continue
            nb = done.notebook
        page, _ = exporter.from_notebook_node(
            _for_pages(nb, keep_badge=kind == "html"),
            resources={"metadata": {"name": path.stem}})
        target = out_dir / (path.stem + KINDS[kind])
        target.write_text(page, encoding="utf-8")
        entries.append((target.name, _title(nb, path.stem)))
        report["written"].append(target.name)
        print(f"wrote     {target} ({time.perf_counter() - start:.0f} s)")
    entries = _remember(out_dir, kind, entries)
    (out_dir / "index.html").write_text(_index_page(entries, kind, lang),
                                        encoding="utf-8")
    return report


def _remember(out_dir: Path, kind: str, entries: list[tuple[str, str]]
              ) -> list[tuple[str, str]]:
    """This export's pages and the earlier exports' still in ``out_dir`` (kept in
    ``index.json``), in the notebooks' order: ``publish slides 06`` after
    ``publish slides 04`` lists both."""
    memo = out_dir / "index.json"
    try:
        saved = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    saved = saved if isinstance(saved, dict) else {}
    earlier = saved.get(kind) if isinstance(saved.get(kind), dict) else {}
    known = {name: title for name, title in earlier.items()
             if isinstance(name, str) and isinstance(title, str)
             and (out_dir / name).is_file()}
    known.update(dict(entries))
    saved[kind] = known
    memo.write_text(json.dumps(saved, indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return sorted(known.items())


#: the index page's words, per language: title, "slides", "executed notebooks",
#: and the line that says how the page was made
_INDEX_WORDS = {
    "en": ("Deep Generative Models (chapter 7)", "slides", "executed notebooks",
           "Made by {command}; works offline."),
    "he": ("מודלים גנרטיביים עמוקים (פרק 7)", "שקפים", "מחברות שהורצו",
           "נוצר בפקודה {command}; עובד גם ללא אינטרנט."),
}


def _index_page(entries: list[tuple[str, str]], kind: str, lang: str = "en") -> str:
    title, slides, pages, made = _INDEX_WORDS.get(lang, _INDEX_WORDS["en"])
    what = slides if kind == "slides" else pages
    direction = "rtl" if lang == "he" else "ltr"
    items = "\n".join(f'<li><a href="{html.escape(f)}"><bdi dir="{direction}">'
                      f'{html.escape(t)}</bdi></a></li>' for f, t in entries)
    option = " --lang he" if lang == "he" else ""
    command = (f'<code dir="ltr">python -m course_utils.tools.publish {kind}'
               f"{option}</code>")
    return f"""<!DOCTYPE html>
<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">
<title>{title}: {what}</title>
<style>body {{font-family: sans-serif; max-width: 46em; margin: 3em auto;
font-size: 1.2em; line-height: 1.5}}</style></head>
<body><h1>{title}: {what}</h1>
<ol>
{items}
</ol>
<p>{made.format(command=command)}</p>
</body></html>
"""
