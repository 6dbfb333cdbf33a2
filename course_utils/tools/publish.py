"""Publishing the course: Colab badges and set-up cells, slides, an executed HTML copy.

Commands (run from the repository root)::

    python -m course_utils.tools.publish prepare   # badge, Colab cell, slide types
    python -m course_utils.tools.publish prepare --check   # report what is missing
    python -m course_utils.tools.publish assets    # fetch reveal.js, MathJax once
    python -m course_utils.tools.publish slides    # offline reveal.js slides
    python -m course_utils.tools.publish html      # executed HTML copy

``prepare`` brings every lecturer notebook (``notebooks/NN_*.ipynb``) into
publishing shape, and running it again changes nothing:

- an "Open in Colab" badge under the title (the address comes from :data:`REPO`,
  the one place the repository's address is written);
- a guarded Colab set-up cell right before ``## Setup``: on Colab only, it clones
  the repository and runs ``python -m course_utils.tools.colab install`` (the
  requirements without torch, then ``course_utils`` with ``--no-deps``), and lets
  Fashion-MNIST fall back to its checksummed download. Elsewhere it does nothing;
- slide metadata on every cell (see :func:`slide_types`), for the live slides
  view of jupyterlab-rise and for the exported reveal.js slides.

``slides`` and ``html`` execute the notebooks (``--fast`` for fast mode) and write
self-contained pages: reveal.js and MathJax are copied next to them from a local
folder (see :func:`web_assets_dir`), so they work without internet.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from course_utils.core.errors import CourseError
from course_utils.tools.editions import _source, _tags

# The repository's address: the one place it is written. Badges, the Colab cell and
# the README's Binder link are all made from it (rerun ``prepare`` after a change).
REPO = "https://github.com/dgm-course/deep-generative-models"
BRANCH = "main"
#: Where the Colab cell clones the course.
COLAB_DIR = "/content/deep-generative-models"

COLAB_CELL_ID = "colab-setup"
COLAB_TAG = "colab"
#: A cell with this tag keeps the slide type its author gave it.
MANUAL_SLIDE_TAG = "slide-manual"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"

#: Settings for the live slides (jupyterlab-rise reads the notebook's "rise" key).
RISE_SETTINGS = {"scroll": True, "theme": "white", "transition": "none",
                 "width": "90%", "height": "90%"}


class PublishError(CourseError):
    """A notebook or a folder is not in the shape a publishing command needs."""


# Addresses -------------------------------------------------------------------

def _github_path() -> str:
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)/?", REPO)
    if not match:
        raise PublishError(f"REPO must be a https://github.com/OWNER/NAME address, "
                           f"got {REPO!r}")
    return match.group(1)


def colab_url(notebook: str) -> str:
    """The Colab address that opens ``notebooks/<notebook>`` from the repository."""
    return (f"https://colab.research.google.com/github/{_github_path()}/blob/"
            f"{BRANCH}/notebooks/{Path(notebook).name}")


def binder_url(notebook: str = "00_start_here.ipynb") -> str:
    """The Binder address that opens ``notebooks/<notebook>`` in JupyterLab."""
    return (f"https://mybinder.org/v2/gh/{_github_path()}/{BRANCH}"
            f"?urlpath=lab/tree/notebooks/{Path(notebook).name}")


def colab_badge(notebook: str) -> str:
    """The markdown line of the "Open in Colab" badge for ``notebook``."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook)})"


def binder_badge(notebook: str = "00_start_here.ipynb") -> str:
    """The markdown line of the "launch Binder" badge (for the README)."""
    return (f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]"
            f"({binder_url(notebook)})")


def colab_cell_source() -> str:
    """The source of the guarded Colab set-up cell (the same in every notebook)."""
    return f'''\
# Google Colab only: fetch the course's helper package. Elsewhere nothing happens.
# Colab's own torch is kept; Fashion-MNIST is downloaded once, checksums checked.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    COURSE_REPO = "{REPO}"
    COURSE_DIR = "{COLAB_DIR}"
    if not os.path.isdir(COURSE_DIR):
        subprocess.run(["git", "clone", "--quiet", "--depth=1", COURSE_REPO,
                        COURSE_DIR], check=True)
    subprocess.run([sys.executable, "-m", "course_utils.tools.colab", "install"],
                   cwd=COURSE_DIR, check=True)
    sys.path.insert(0, COURSE_DIR)
    os.environ["COURSE_OFFLINE"] = "0"'''


# Notebook files ---------------------------------------------------------------

def read_notebook(path: str | Path) -> dict:
    import nbformat

    path = Path(path)
    try:
        return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except FileNotFoundError:
        raise PublishError(f"{path} does not exist.") from None
    except Exception as err:  # not JSON, not a notebook
        raise PublishError(f"{path} is not a readable notebook ({err}).") from None


def notebook_text(nb: dict) -> str:
    """The notebook as Jupyter (and jupytext) write it, ending with a newline."""
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def lecturer_notebooks(folder: str | Path | None = None) -> list[Path]:
    """The lecturer notebooks ``NN_*.ipynb`` of ``folder`` (default: notebooks/)."""
    folder = Path(folder) if folder else _repo_path("notebooks")
    found = sorted(folder.glob(NOTEBOOK_GLOB))
    if not found:
        raise PublishError(f"no lecturer notebooks (NN_*.ipynb) in {folder}")
    return found


def _repo_path(*parts: str) -> Path:
    from course_utils.core.config import repo_root

    return (repo_root() or Path.cwd()).joinpath(*parts)


# prepare: badge, Colab cell, slide types ---------------------------------------

def _with_badge(title: str, notebook: str) -> str:
    lines = title.split("\n")
    if not lines[0].startswith("# "):
        raise PublishError(f"{notebook}: the first cell must start with the title "
                           f"('# 7.x ...'), not {lines[0][:40]!r}")
    rest = [line for line in lines[1:] if "colab-badge.svg" not in line]
    while rest and not rest[0].strip():
        rest.pop(0)
    text = f"{lines[0]}\n\n{colab_badge(notebook)}"
    return text + ("\n\n" + "\n".join(rest) if rest else "")


def _colab_cell() -> dict:
    return {"cell_type": "code", "execution_count": None, "id": COLAB_CELL_ID,
            "metadata": {"slideshow": {"slide_type": "skip"}, "tags": [COLAB_TAG]},
            "outputs": [], "source": colab_cell_source()}


def _is_colab_cell(cell: dict) -> bool:
    return cell.get("id") == COLAB_CELL_ID or COLAB_TAG in _tags(cell)


def _setup_index(cells: list[dict]) -> int:
    """Where the Colab cell goes: before ``## Setup``, else before the first code."""
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and re.match(r"##\s+Setup\b", _source(cell)):
            return i
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            return i
    return len(cells)


#: Lines a slide holds (reveal.js at 1280x720 with the course's code font).
SLIDE_LINES = 24
#: What a figure counts for, in lines (a presenting-size figure fills most of a
#: slide, so a plotting cell usually opens a subslide of its own).
FIGURE_LINES = 18
_PLOT = re.compile(r"\b(plt\.|image_grid|latent_scatter|plot_history|imshow|"
                   r"\.plot\(|show_|draw_|widgets\.|interact|LiveView)")


def _cell_height(cell: dict) -> int:
    """A rough height of the cell on a slide, in lines (with its output)."""
    src = _source(cell)
    lines = src.count("\n") + 1 if src.strip() else 0
    if cell["cell_type"] == "code":
        body = "\n".join(ln for ln in src.split("\n")
                         if not re.match(r"\s*(import|from)\s", ln))
        lines += FIGURE_LINES if _PLOT.search(body) else 2
    return lines


def slide_types(cells: list[dict]) -> list[str]:
    """The slide type of each cell, so that the slides flow:

    - the title cell, and every ``## `` heading, opens a new slide;
    - ``### `` headings (exercises among them) open a subslide (downwards);
    - a slide that would overflow continues on a subslide, at a cell boundary
      (a code cell takes the text that introduces it along);
    - a "Note on the text" callout appears as a fragment (on the next click);
    - solutions become speaker notes (visible only in the speaker view, key S);
    - the Colab set-up cell is skipped;
    - cells tagged ``slide-manual`` keep the type their author gave them.
    """
    types: list[str] = []
    used = 0
    for i, cell in enumerate(cells):
        src = _source(cell).lstrip()
        tags = _tags(cell)
        height = _cell_height(cell)
        manual = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if MANUAL_SLIDE_TAG in tags and manual:
            kind = manual
        elif _is_colab_cell(cell):
            kind = "skip"
        elif "solution" in tags:
            kind = "notes"
        elif i == 0 or (cell["cell_type"] == "markdown"
                        and re.match(r"#{1,2}\s", src)):
            kind = "slide"
        elif cell["cell_type"] == "markdown" and re.match(r"#{3,6}\s", src):
            kind = "subslide"
        elif cell["cell_type"] == "markdown" and src.startswith("> **Note on the"):
            kind = "fragment"
        elif used and used + height > SLIDE_LINES:
            previous = cells[i - 1]
            if (cell["cell_type"] == "code" and previous["cell_type"] == "markdown"
                    and types[-1] == "-"):
                # the text that introduces this code goes down with it
                types[-1], kind = "subslide", "-"
                used = _cell_height(previous)
            else:
                kind = "subslide"
        else:
            kind = "-"
        if kind in ("slide", "subslide"):
            used = height
        elif kind in ("-", "fragment"):
            used += height
        types.append(kind)
    return types


def prepare(nb: dict, name: str) -> dict:
    """Return the notebook in publishing shape (a new dict); see the module help.

    ``name`` is the notebook's file name (the badge opens it on Colab).
    Idempotent: ``prepare(prepare(nb)) == prepare(nb)``.
    """
    out = copy.deepcopy(nb)
    cells = [c for c in out.get("cells", []) if not _is_colab_cell(c)]
    if not cells or cells[0]["cell_type"] != "markdown":
        raise PublishError(f"{name}: the first cell must be the markdown title cell")
    cells[0]["source"] = _with_badge(_source(cells[0]), name)
    cells.insert(_setup_index(cells), _colab_cell())
    for cell, kind in zip(cells, slide_types(cells), strict=True):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    out["cells"] = cells
    out.setdefault("metadata", {})["rise"] = dict(RISE_SETTINGS)
    import nbformat

    return nbformat.from_dict(out)


def problems(nb: dict, name: str) -> list[str]:
    """What :func:`prepare` would change in ``nb`` (empty when it is prepared)."""
    try:
        want = prepare(nb, name)
    except PublishError as err:
        return [str(err)]
    found = []
    cells = nb.get("cells", [])
    if not cells or colab_url(name) not in _source(cells[0]):
        found.append("no Colab badge (with this repository's address) in the title")
    colab = [c for c in cells if _is_colab_cell(c)]
    want_colab = next(c for c in want["cells"] if _is_colab_cell(c))
    if not colab:
        found.append("no Colab set-up cell")
    elif (_source(colab[0]) != _source(want_colab)
          or cells.index(colab[0]) != want["cells"].index(want_colab)):
        found.append("the Colab set-up cell is out of date or out of place")
    if len(cells) == len(want["cells"]):
        wrong = [i for i, (a, b) in enumerate(zip(cells, want["cells"], strict=True))
                 if a.get("metadata", {}).get("slideshow")
                 != b["metadata"]["slideshow"]]
        if wrong:
            found.append(f"slide metadata missing or stale in cells {wrong[:8]}")
    if nb.get("metadata", {}).get("rise") != RISE_SETTINGS:
        found.append("no slides settings ('rise') in the notebook metadata")
    if not found and notebook_text(nb) != notebook_text(want):
        found.append("not in the shape `prepare` writes")
    return found


def prepare_file(path: str | Path, check: bool = False) -> list[str]:
    """Prepare one notebook file in place; return what was (or would be) changed."""
    path = Path(path)
    nb = read_notebook(path)
    found = problems(nb, path.name)
    if found and not check:
        text = notebook_text(prepare(nb, path.name))
        path.write_text(text, encoding="utf-8")
    return found


# Offline web assets: reveal.js and MathJax --------------------------------------

@dataclass(frozen=True)
class WebPackage:
    """An npm package of which a few files are copied next to the pages."""

    name: str
    version: str
    integrity: str  # npm's sha512 integrity of the tarball
    files: tuple[str, ...]  # paths inside the package, or folders ending in "/"
    folder: str  # its folder under the assets folder


WEB_PACKAGES = (
    WebPackage(
        "reveal.js", "4.6.1",
        "sha512-1CW0auaXNPmwmvQ7TwpszwVxMi2Xr5cTS3J3EBC/HHgbPF32Dn7aiu/LKWDOGjMbaDwKQ"
        "iGmfqcoGQ74HUHCMw==",
        ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/theme/white.css",
         "dist/theme/fonts/source-sans-pro/source-sans-pro.css",
         "dist/theme/fonts/source-sans-pro/source-sans-pro-regular.woff",
         "dist/theme/fonts/source-sans-pro/source-sans-pro-italic.woff",
         "dist/theme/fonts/source-sans-pro/source-sans-pro-semibold.woff",
         "dist/theme/fonts/source-sans-pro/source-sans-pro-semibolditalic.woff",
         "plugin/notes/notes.js"),
        "reveal.js"),
    WebPackage(
        "mathjax", "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJv"
        "tRZM1vO+geW0OhGw==",
        ("LICENSE", "es5/tex-svg-full.js"),
        "mathjax"),
)

HOW_TO_GET_ASSETS = (
    "The slides need reveal.js {reveal} and MathJax {mathjax} as local files (so they "
    "work without internet), and they are not in {folder}.\n"
    "  * With Node's npm and a network: python -m course_utils.tools.publish assets\n"
    "  * Or put the npm packages' files there by hand: {folder}/reveal.js/ (its dist/ "
    "and plugin/notes/) and {folder}/mathjax/es5/tex-svg-full.js.\n"
    "  * Or point COURSE_WEB_ASSETS at a folder that has them."
)


def web_assets_dir() -> Path:
    """Where reveal.js and MathJax are kept: ``COURSE_WEB_ASSETS`` if set, else
    ``~/.cache/dgm-course/web-assets`` (one copy for every checkout)."""
    from course_utils.core.config import env_setting  # imports torch: only here

    env = env_setting("COURSE_WEB_ASSETS")
    if env is not None:
        return env
    return Path.home() / ".cache" / "dgm-course" / "web-assets"


def missing_assets(folder: str | Path | None = None) -> list[str]:
    """The asset files not in ``folder`` (all of them present: an empty list)."""
    folder = Path(folder) if folder else web_assets_dir()
    return [f"{p.folder}/{f}" for p in WEB_PACKAGES for f in p.files
            if not (folder / p.folder / f).is_file()]


def _assets_error(folder: Path) -> PublishError:
    reveal, mathjax = (p.version for p in WEB_PACKAGES)
    return PublishError(HOW_TO_GET_ASSETS.format(reveal=reveal, mathjax=mathjax,
                                                 folder=folder))


def fetch_assets(folder: str | Path | None = None, npm: str = "npm") -> Path:
    """Fetch the web assets once with ``npm pack`` (integrity checked) into
    ``folder`` (default :func:`web_assets_dir`); return the folder."""
    folder = Path(folder) if folder else web_assets_dir()
    if not missing_assets(folder):
        return folder
    if shutil.which(npm) is None:
        raise _assets_error(folder)
    with tempfile.TemporaryDirectory(prefix="course-npm-") as tmp:
        for package in WEB_PACKAGES:
            spec = f"{package.name}@{package.version}"
            result = subprocess.run(
                [npm, "pack", spec, "--json", "--pack-destination", tmp],
                capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                raise PublishError(f"npm pack {spec} failed:\n{result.stderr[-800:]}")
            info = json.loads(result.stdout)[0]
            if info.get("integrity") != package.integrity:
                raise PublishError(
                    f"{spec}: npm's tarball has integrity {info.get('integrity')}, "
                    f"the course expects {package.integrity}; not used.")
            _extract(Path(tmp) / info["filename"], package, folder / package.folder)
    left = missing_assets(folder)
    if left:
        raise PublishError(f"after fetching, still missing: {', '.join(left)}")
    return folder


def _extract(tarball: Path, package: WebPackage, target: Path) -> None:
    wanted = {f"package/{f}": f for f in package.files}
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                dest = target / wanted[member.name]
                dest.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                dest.write_bytes(source.read())


def copy_assets(out_dir: Path, source: Path | None = None,
                packages: Iterable[str] = ("reveal.js", "mathjax")) -> Path:
    """Copy the web ``packages`` into ``out_dir/assets`` (raises when any file is
    missing from ``source``, by default :func:`web_assets_dir`)."""
    source = Path(source) if source else web_assets_dir()
    if missing_assets(source):
        raise _assets_error(source)
    target = out_dir / "assets"
    for package in WEB_PACKAGES:
        if package.name not in packages:
            continue
        for name in package.files:
            dest = target / package.folder / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / package.folder / name, dest)
    return target


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


# Running notebooks -----------------------------------------------------------

@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute(nb: dict, workdir: Path, fast: bool = False, presenting: bool = False,
            timeout: int = 1800) -> dict:
    """Run ``nb`` top to bottom in a fresh kernel (in ``workdir``); return it run.

    ``fast`` and ``presenting`` set ``COURSE_FAST`` and ``COURSE_PRESENT`` for the
    kernel. A cell that fails raises ``nbclient``'s ``CellExecutionError``.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.from_dict(copy.deepcopy(nb))
    env = {"COURSE_FAST": "1" if fast else "0",
           "COURSE_PRESENT": "1" if presenting else "0",
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    with _environment(**env):
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


def _for_pages(nb: dict, keep_badge: bool) -> dict:
    """A copy fit for a page: no widget state (it needs a kernel), and for slides no
    Colab badge (a picture from the web)."""
    out = copy.deepcopy(nb)
    out.get("metadata", {}).pop("widgets", None)
    out["cells"] = [c for c in out.get("cells", []) if not _is_colab_cell(c)]
    if not keep_badge and out.get("cells"):
        first = out["cells"][0]
        lines = [ln for ln in _source(first).split("\n") if "colab-badge.svg" not in ln]
        first["source"] = "\n".join(lines)
    return out


def _title(nb: dict, fallback: str) -> str:
    for line in _source(nb["cells"][0]).split("\n") if nb.get("cells") else []:
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def export(paths: Iterable[Path], out_dir: Path, kind: str, run: bool = True,
           fast: bool = False, assets: Path | None = None) -> dict[str, list[str]]:
    """Export notebooks as reveal.js slides (``kind="slides"``, run in presenting
    mode) or as HTML pages (``kind="html"``), with an ``index.html``.

    Returns ``{"written": [...], "failed": [...]}``. A notebook whose run fails is
    reported and left out; the others are still written.
    """
    if kind not in ("slides", "html"):
        raise PublishError(f"kind must be 'slides' or 'html', got {kind!r}")
    paths = [Path(p) for p in paths]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_assets(out_dir, assets,
                ("reveal.js", "mathjax") if kind == "slides" else ("mathjax",))
    exporter = _exporter(kind)
    suffix = ".slides.html" if kind == "slides" else ".html"
    report: dict[str, list[str]] = {"written": [], "failed": []}
    entries = []
    for path in paths:
        nb = read_notebook(path)
        start = time.perf_counter()
        if run:
            try:
                nb = execute(nb, path.parent, fast=fast, presenting=kind == "slides")
            except Exception as err:  # a failing claim, a missing data set, ...
                report["failed"].append(f"{path.name}: {_first_line(err)}")
                print(f"FAILED    {path.name}: {_first_line(err)}", file=sys.stderr)
                continue
        page, _ = exporter.from_notebook_node(
            _for_pages(nb, keep_badge=kind == "html"),
            resources={"metadata": {"name": path.stem}})
        target = out_dir / (path.stem + suffix)
        target.write_text(page, encoding="utf-8")
        entries.append((target.name, _title(nb, path.stem)))
        report["written"].append(target.name)
        print(f"wrote     {target} ({time.perf_counter() - start:.0f} s)")
    (out_dir / "index.html").write_text(_index_page(entries, kind), encoding="utf-8")
    return report


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    errors = [ln for ln in text if re.match(r"^\w*(Error|Exception|Wrong)\b", ln)]
    return (errors[-1] if errors else (text[-1] if text else type(err).__name__))[:300]


def _index_page(entries: list[tuple[str, str]], kind: str) -> str:
    what = "slides" if kind == "slides" else "executed notebooks"
    items = "\n".join(f'<li><a href="{html.escape(f)}">{html.escape(t)}</a></li>'
                      for f, t in entries)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Deep Generative Models: {what}</title>
<style>body {{font-family: sans-serif; max-width: 46em; margin: 3em auto;
font-size: 1.2em; line-height: 1.5}}</style></head>
<body><h1>Deep Generative Models (chapter 7): {what}</h1>
<ol>
{items}
</ol>
<p>Made by <code>python -m course_utils.tools.publish {kind}</code>; works offline.</p>
</body></html>
"""


# Command line -----------------------------------------------------------------

def _select(names: list[str]) -> list[Path]:
    if not names:
        return lecturer_notebooks()
    paths = []
    for name in names:
        path = Path(name)
        if not path.exists():
            if path.suffix == ".ipynb" or len(path.parts) > 1:
                raise PublishError(f"{name} does not exist")
            matches = sorted(_repo_path("notebooks").glob(f"{name}*.ipynb"))
            if len(matches) != 1:
                raise PublishError(f"{name!r} names no single notebook in notebooks/")
            path = matches[0]
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.publish",
        description="Prepare, present and publish the course's notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="badge, Colab cell and slide metadata")
    p.add_argument("notebooks", nargs="*", help="default: notebooks/NN_*.ipynb")
    p.add_argument("--check", action="store_true", help="report only, change nothing")
    a = sub.add_parser("assets", help="fetch reveal.js and MathJax (npm) once")
    a.add_argument("--dir", type=Path, default=None, help="default: web_assets_dir()")
    for kind, out, what in (("slides", "slides", "offline reveal.js slides"),
                            ("html", "site", "an executed HTML copy")):
        e = sub.add_parser(kind, help=what)
        e.add_argument("notebooks", nargs="*",
                       help="paths or prefixes such as 05 (default: all)")
        e.add_argument("--out", type=Path, default=_repo_path(out))
        e.add_argument("--fast", action="store_true", help="run in fast mode")
        e.add_argument("--no-run", action="store_true",
                       help="do not execute; use the outputs saved in the notebooks")
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            return _cmd_prepare(args)
        if args.command == "assets":
            folder = fetch_assets(args.dir)
            print(f"web assets ready in {folder}")
            return 0
        if missing_assets():
            fetch_assets()
        report = export(_select(args.notebooks), args.out, args.command,
                        run=not args.no_run, fast=args.fast)
        print(f"open {args.out / 'index.html'}")
        return 1 if report["failed"] else 0
    except PublishError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _cmd_prepare(args) -> int:
    paths = _select(args.notebooks)
    pending = 0
    for path in paths:
        found = prepare_file(path, check=args.check)
        if found:
            pending += 1
            verb = "needs" if args.check else "prepared"
            print(f"{verb:9} {path}: " + "; ".join(found))
        else:
            print(f"ok        {path}")
    if args.check and pending:
        print(f"{pending} notebook(s) not prepared: run python -m "
              "course_utils.tools.publish prepare", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
