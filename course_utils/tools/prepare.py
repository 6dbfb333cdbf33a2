"""``prepare``: bring a lecturer notebook into publishing shape.

``python -m course_utils.tools.publish prepare`` gives every lecturer notebook,
and running it again changes nothing:

- an "Open in Colab" badge under the title (see :mod:`course_utils.tools.links`);
- a guarded Colab set-up cell right before ``## Setup``: on Colab only, it clones
  the repository and runs ``python -m course_utils.tools.colab install``, and lets
  Fashion-MNIST fall back to its checksummed download. Elsewhere it does nothing;
- slide metadata on every cell (see :func:`slide_types`), for the live slides
  view of jupyterlab-rise and for the exported reveal.js slides;
- long code collapsed (see :data:`SHOWN_CODE_LINES`), so that no slide is
  taller than the screen.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from course_utils.tools.guard import Guard, cells_part
from course_utils.tools.links import colab_badge, colab_cell_source, colab_url
from course_utils.tools.notebooks import (
    PublishError,
    cell_source,
    cell_tags,
    notebook_text,
    read_notebook,
)

COLAB_CELL_ID = "colab-setup"
COLAB_TAG = "colab"
#: A cell with this tag keeps the slide type its author gave it.
MANUAL_SLIDE_TAG = "slide-manual"

#: Settings for the live slides (jupyterlab-rise reads the notebook's "rise" key).
#: No "width"/"height": jupyterlab-rise's own 100% fills the screen, where "90%"
#: pushed both edges of every slide off it. Sizes, margins and headings are set by
#: notebooks/rise.css, which jupyterlab-rise loads beside the notebook.
RISE_SETTINGS = {"scroll": True, "theme": "white", "transition": "none"}

#: Lines a slide holds (reveal.js at 1280x720 with the course's code font; 24
#: let a text and a 20-line claim run 1 % past the screen).
SLIDE_LINES = 22
#: Code cells longer than this (non-blank lines) that export code (a model's
#: definition) or draw a figure are collapsed in the lecturer's notebook and so in
#: its slides (``jupyter.source_hidden``: one grey line, a click opens it): longer,
#: code and its figure do not fit on one screen (tests/browser/test_slides_fit.py).
#: Other code (a claim and its assertions) is collapsed only past
#: :data:`LONGEST_SHOWN_CODE` lines. Exercises (stub, solution, check) stay open;
#: a cell tagged ``show-code`` too. The student edition opens every cell again
#: (course_utils.tools.editions).
SHOWN_CODE_LINES = 12
LONGEST_SHOWN_CODE = 20
SHOW_CODE_TAG = "show-code"
#: What a figure counts for, in lines (a presenting-size figure fills most of a
#: slide, so a plotting cell usually opens a subslide of its own).
FIGURE_LINES = 18
_PLOT = re.compile(r"\b(plt\.|image_grid|latent_scatter|plot_history|imshow|"
                   r"\.plot\(|show_|draw_|widgets\.|interact|LiveView)")


def is_colab_cell(cell: dict) -> bool:
    """True for the Colab set-up cell that ``prepare`` writes."""
    return cell.get("id") == COLAB_CELL_ID or COLAB_TAG in cell_tags(cell)


#: the Colab cell's metadata: skipped on slides, its 17 lines collapsed in
#: JupyterLab (``source_hidden``) and shown as a form in Colab (``cellView``)
COLAB_METADATA = {"slideshow": {"slide_type": "skip"}, "tags": [COLAB_TAG],
                  "jupyter": {"source_hidden": True}, "cellView": "form"}


def colab_cell() -> dict:
    """A new Colab set-up cell (skipped on slides, its code collapsed)."""
    return {"cell_type": "code", "execution_count": None, "id": COLAB_CELL_ID,
            "metadata": copy.deepcopy(COLAB_METADATA), "outputs": [],
            "source": colab_cell_source()}


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


def _setup_index(cells: list[dict]) -> int:
    """Where the Colab cell goes: before ``## Setup``, else before the first code."""
    for i, cell in enumerate(cells):
        if (cell["cell_type"] == "markdown"
                and re.match(r"##\s+Setup\b", cell_source(cell))):
            return i
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            return i
    return len(cells)


def code_lines(cell: dict) -> int:
    """The non-blank lines of a cell's source."""
    return sum(1 for line in cell_source(cell).split("\n") if line.strip())


def hides_code(cell: dict) -> bool:
    """Whether ``prepare`` collapses this cell's code (see SHOWN_CODE_LINES)."""
    if (cell["cell_type"] != "code" or is_colab_cell(cell)
            or {"stub", "solution", "check", SHOW_CODE_TAG} & set(cell_tags(cell))):
        return False
    lines, source = code_lines(cell), cell_source(cell)
    drawn = source.lstrip().startswith("#| export") or _PLOT.search(source)
    return lines > (SHOWN_CODE_LINES if drawn else LONGEST_SHOWN_CODE)


def _cell_height(cell: dict) -> int:
    """A rough height of the cell on a slide, in lines (with its output)."""
    src = cell_source(cell)
    lines = src.count("\n") + 1 if src.strip() else 0
    if hides_code(cell):
        lines = 1
    if cell["cell_type"] == "code":
        body = "\n".join(ln for ln in src.split("\n")
                         if not re.match(r"\s*(import|from)\s", ln))
        lines += FIGURE_LINES if _PLOT.search(body) else 2
    return lines


def _fixed_type(cell: dict, first: bool) -> str | None:
    """The slide type a cell has whatever comes before it, or None."""
    src = cell_source(cell).lstrip()
    tags = cell_tags(cell)
    manual = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
    markdown = cell["cell_type"] == "markdown"
    if MANUAL_SLIDE_TAG in tags and manual:
        return manual
    if is_colab_cell(cell):
        return "skip"
    if "solution" in tags or "check" in tags:
        # the check reports on the solution ("correct."), hidden with it: under
        # the stub's NotImplementedError the audience would read a contradiction
        return "notes"
    if first or (markdown and re.match(r"#{1,2}\s", src)):
        return "slide"
    if markdown and re.match(r"#{3,6}\s", src):
        return "subslide"
    if markdown and src.startswith("> **Note on the"):
        return "fragment"
    return None


def slide_types(cells: list[dict]) -> list[str]:
    """The slide type of each cell, so that the slides flow:

    - the title cell, and every ``## `` heading, opens a new slide;
    - ``### `` headings (exercises among them) open a subslide (downwards);
    - a slide that would overflow continues on a subslide, at a cell boundary
      (a code cell takes the text that introduces it along);
    - a "Note on the text" callout appears as a fragment (on the next click);
    - solutions and their checks become speaker notes (visible only in the
      speaker view, key S);
    - the Colab set-up cell is skipped;
    - cells tagged ``slide-manual`` keep the type their author gave them.
    """
    types: list[str] = []
    used = 0  # lines on the current (sub)slide so far
    for i, cell in enumerate(cells):
        height = _cell_height(cell)
        kind = _fixed_type(cell, first=i == 0)
        if kind is None and used and used + height > SLIDE_LINES:
            previous = cells[i - 1]
            if (cell["cell_type"] == "code" and previous["cell_type"] == "markdown"
                    and types[-1] == "-"):
                # the text that introduces this code goes down with it
                types[-1], kind = "subslide", "-"
                used = _cell_height(previous)
            else:
                kind = "subslide"
        kind = kind or "-"
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
    import nbformat  # nbformat: heavy to import; only notebook files need it

    out = copy.deepcopy(nb)
    cells = [c for c in out.get("cells", []) if not is_colab_cell(c)]
    if not cells or cells[0]["cell_type"] != "markdown":
        raise PublishError(f"{name}: the first cell must be the markdown title cell")
    cells[0]["source"] = _with_badge(cell_source(cells[0]), name)
    cells.insert(_setup_index(cells), colab_cell())
    for cell, kind in zip(cells, slide_types(cells), strict=True):
        meta = cell.setdefault("metadata", {})
        meta["slideshow"] = {"slide_type": kind}
        if is_colab_cell(cell):
            continue
        jupyter = meta.pop("jupyter", {})
        jupyter.pop("source_hidden", None)
        if hides_code(cell):
            jupyter["source_hidden"] = True
        if jupyter:
            meta["jupyter"] = jupyter
    out["cells"] = cells
    out.setdefault("metadata", {})["rise"] = dict(RISE_SETTINGS)
    return nbformat.from_dict(out)


def _colab_cell_problems(cells: list[dict], want: list[dict]) -> list[str]:
    colab = [c for c in cells if is_colab_cell(c)]
    want_colab = next(c for c in want if is_colab_cell(c))
    if not colab:
        return ["no Colab set-up cell"]
    if (cell_source(colab[0]) != cell_source(want_colab)
            or cells.index(colab[0]) != want.index(want_colab)
            or any(colab[0].get("metadata", {}).get(key) != value
                   for key, value in COLAB_METADATA.items())):
        return ["the Colab set-up cell is out of date, out of place or not "
                "collapsed"]
    return []


def problems(nb: dict, name: str) -> list[str]:
    """What :func:`prepare` would change in ``nb`` (empty when it is prepared)."""
    try:
        want = prepare(nb, name)
    except PublishError as err:
        return [str(err)]
    found = []
    cells = nb.get("cells", [])
    if not cells or colab_url(name) not in cell_source(cells[0]):
        found.append("no Colab badge (with this repository's address) in the title")
    found += _colab_cell_problems(cells, want["cells"])
    if len(cells) == len(want["cells"]):
        pairs = list(zip(cells, want["cells"], strict=True))
        wrong = [i for i, (a, b) in enumerate(pairs)
                 if a.get("metadata", {}).get("slideshow")
                 != b["metadata"]["slideshow"]]
        if wrong:
            found.append(f"slide metadata missing or stale in cells {wrong[:8]}")
        folded = [i for i, (a, b) in enumerate(pairs)
                  if a.get("metadata", {}).get("jupyter")
                  != b["metadata"].get("jupyter")]
        if folded:
            found.append(f"long code not collapsed (or short code collapsed) in "
                         f"cells {folded[:8]}")
    if nb.get("metadata", {}).get("rise") != RISE_SETTINGS:
        found.append("no slides settings ('rise') in the notebook metadata")
    if not found and notebook_text(nb) != notebook_text(want):
        found.append("not in the shape `prepare` writes")
    return found


#: The part of a lecturer notebook ``prepare`` owns: its Colab set-up cell.
COLAB_PART = cells_part(is_colab_cell)


def prepare_file(path: str | Path, check: bool = False,
                 guard: Guard | None = None) -> list[str]:
    """Prepare one notebook file in place; return what was (or would be) changed.
    A Colab cell edited by hand since ``prepare`` wrote it is kept (``guard``
    says so; see :mod:`course_utils.tools.guard`)."""
    path = Path(path)
    nb = read_notebook(path)
    found = problems(nb, path.name)
    if not check:
        own = guard or Guard(path.parent)
        text = notebook_text(prepare(nb, path.name) if found else nb)
        own.write(path, text, "prepare", COLAB_PART)
        if guard is None:
            own.save()
    return found
