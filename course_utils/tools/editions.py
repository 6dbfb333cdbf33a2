"""Generate the student edition of the course from the lecturer edition.

Exercises are written once, in the lecturer notebooks, with cell tags:

``stub``
    a code cell with what the student starts from: it defines the function to
    write, whose body raises ``NotImplementedError``, or it sets the answer's
    name to ``...`` (a prediction, an explored value, a written answer). Kept in
    both editions (in the lecturer edition the solution cell below redefines it).
    It also carries the exercise's kind, ``kind-predict`` ... ``kind-think``.
``solution``
    the lecturer's solution (code or markdown). Removed from the student edition.
``check``
    a cell that checks the answer (``nbXX.exN.check(...)``). In the student edition
    it raises ``NotImplementedError`` (one line, no traceback) until the stub is
    filled in, so it is tagged ``raises-exception`` there (nbval then expects it).

Usage (from the repository root)::

    python -m course_utils.tools.editions            # writes notebooks/student/
    python -m course_utils.tools.editions --check    # is notebooks/student/ current?
    python -m course_utils.tools.editions --out DIR  # somewhere else

The student edition in ``notebooks/student/`` is committed (the quick start and
the student badges open it), with the manifest below and a copy of the live
slides' style ``rise.css``; ``tests/test_editions.py`` fails when it is out of
date with the lecturer notebooks. In the student edition the Colab badge under
the title opens the student notebook.

A notebook already in the output folder whose content differs from what this
command last wrote there (the student edited or ran it) is never overwritten: it
is reported and kept. A notebook JupyterLab saved again without a change counts
as unchanged (the content is compared, not the file's bytes or key order).
``--force`` replaces edited notebooks too, after copying each one to
``<out>/backups/<name>-<date>-<time>.ipynb``, and says where. The output folder
may not be the lecturer notebooks' folder.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from course_utils.core.errors import CourseError
from course_utils.tools.guard import Guard, writable
from course_utils.tools.links import colab_badge
from course_utils.tools.notebooks import cell_source, cell_tags, load_notebook
from course_utils.tools.prepare import is_colab_cell

MANIFEST = ".edition-manifest.json"
STUDENT_BANNER = (
    "> **Student edition.** Generated from the lecturer edition by "
    "`python -m course_utils.tools.editions`. The exercises at the end hold stubs: "
    "replace each `raise NotImplementedError` or `...` with your code or answer, "
    "then run the check cell below it. `exN.hint()` gives a hint, `exN.hint(2)` the "
    "next."
)


class EditionError(CourseError):
    """A lecturer notebook's exercise cells are tagged inconsistently."""


_PLACEHOLDER = re.compile(r"^\w+ = \.\.\.\s*(#.*)?$", re.M)


def is_stub(source: str) -> bool:
    """Whether a stub cell leaves the answer to the student: a body that raises
    NotImplementedError, or an answer set to ``...`` (Ellipsis)."""
    return "raise NotImplementedError" in source or bool(_PLACEHOLDER.search(source))


def _open_code(cell: dict) -> None:
    """Undo the lecturer edition's collapsed code (``prepare`` folds long code for
    the slides) in one cell."""
    jupyter = cell["metadata"].get("jupyter", {})
    jupyter.pop("source_hidden", None)
    if not jupyter:
        cell["metadata"].pop("jupyter", None)


def student_notebook(nb: dict, name: str = "notebook",
                     banner: str = STUDENT_BANNER, badge: str | None = None) -> dict:
    """Return the student edition of a lecturer notebook (a new dict); ``banner``
    is the note put under the title and ``badge`` the Colab badge line there (the
    Hebrew edition passes its own of both)."""
    out = copy.deepcopy(nb)
    cells = []
    n_stub = n_solution = n_check = 0
    for cell in out["cells"]:
        tags = cell_tags(cell)
        if "solution" in tags:
            n_solution += cell["cell_type"] == "code"
            continue
        if "stub" in tags:
            n_stub += 1
            if cell["cell_type"] != "code" or not is_stub(cell_source(cell)):
                raise EditionError(
                    f"{name}: a cell tagged 'stub' must be code that raises "
                    "NotImplementedError or sets its answer to ...")
        if "check" in tags:
            n_check += 1
            cell["metadata"]["tags"] = tags + ["raises-exception"]
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            if not is_colab_cell(cell):  # students read all the code
                _open_code(cell)
        cells.append(cell)
    if n_stub != n_solution or (n_stub and not n_check):
        raise EditionError(
            f"{name}: {n_stub} stub cell(s), {n_solution} solution code cell(s) and "
            f"{n_check} check cell(s); each exercise needs one stub, one solution "
            "and a check")
    if cells and cells[0]["cell_type"] == "markdown":
        title = cell_source(cells[0]).split("\n")
        cells[0]["source"] = "\n".join(
            (badge or colab_badge(name, "student")) if "colab-badge.svg" in line
            else line
            for line in title)
    banner = {"cell_type": "markdown", "id": "student-edition-banner",
              "metadata": {"tags": ["student-banner"]},
              "source": banner.splitlines(keepends=True)}
    # The banner goes right after the title cell.
    out["cells"] = cells[:1] + [banner] + cells[1:]
    out.setdefault("metadata", {})["course_edition"] = "student"
    return out


#: Files copied as they are from the lecturer folder (jupyterlab-rise reads
#: rise.css beside a notebook).
COPIED = ("rise.css",)


def _dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def generate(src_dir: Path, out_dir: Path, force: bool = False,
             banner: str = STUDENT_BANNER,
             badge: Callable[[str], str] | None = None) -> dict[str, list]:
    """Write the student edition of every ``src_dir/*.ipynb`` into ``out_dir``.

    Returns ``{"written": [...], "unchanged": [...], "kept": [...], "backups":
    [...]}``: file names; ``kept`` are files the student changed, not overwritten;
    with ``force`` they are replaced and ``backups`` lists where each went.
    """
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    notebooks = sorted(src_dir.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise EditionError(f"no lecturer notebooks (NN_*.ipynb) found in {src_dir}")
    if out_dir.resolve() == src_dir.resolve():
        raise EditionError(f"--out {out_dir} is the lecturer notebooks' folder: the "
                           "student edition would overwrite them. Choose another "
                           "folder (the default is notebooks/student).")
    guard = Guard(out_dir, force=force, manifest=MANIFEST, adopt=False)
    for path in notebooks:
        nb = load_notebook(path)
        guard.write(out_dir / path.name,
                    _dump(student_notebook(nb, path.name, banner,
                                           badge(path.name) if badge else None)))
    guard.save()
    report = guard.report
    for name in COPIED:
        source, target = src_dir / name, out_dir / name
        if not source.is_file():
            continue
        if target.is_file() and target.read_bytes() == source.read_bytes():
            report["unchanged"].append(name)
        else:
            with writable(out_dir):
                shutil.copyfile(source, target)
            report["written"].append(name)
    return report


def stale(src_dir: Path, out_dir: Path) -> list[str]:
    """The files of the student edition in ``out_dir`` that differ from what
    :func:`generate` would write now (missing ones included), and notebooks there
    without a lecturer notebook. Empty when the edition is up to date."""
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    found = []
    names = set()
    for path in sorted(src_dir.glob("[0-9][0-9]_*.ipynb")):
        names.add(path.name)
        want = _dump(student_notebook(load_notebook(path), path.name))
        target = out_dir / path.name
        if not target.is_file() or target.read_text(encoding="utf-8") != want:
            found.append(path.name)
    found += sorted(p.name for p in out_dir.glob("[0-9][0-9]_*.ipynb")
                    if p.name not in names)
    for name in COPIED:
        source, target = src_dir / name, out_dir / name
        if source.is_file() and (not target.is_file()
                                 or target.read_bytes() != source.read_bytes()):
            found.append(name)
    return found


def _report_stale(src: Path, out: Path) -> int:
    found = stale(src, out)
    for name in found:
        print(f"out of date: {out / name}", file=sys.stderr)
    if found:
        print("run: python -m course_utils.tools.editions", file=sys.stderr)
    else:
        print(f"the student edition in {out} is up to date")
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    # core.paths imports core.config and torch, which writing the edition does not
    # need
    from course_utils.core.paths import repo_root

    root = repo_root() or Path.cwd()
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.editions",
        description="Generate the student edition (no solutions) of the notebooks.")
    parser.add_argument("--src", type=Path, default=root / "notebooks",
                        help="folder of lecturer notebooks (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=root / "notebooks" / "student",
                        help="output folder (default: notebooks/student/)")
    parser.add_argument("--force", action="store_true",
                        help="replace notebooks the student has changed, after "
                             "copying each to <out>/backups/")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list the files that are out of date "
                             "and exit with 1 if there are any")
    args = parser.parse_args(argv)
    try:
        if args.check:
            return _report_stale(args.src, args.out)
        report = generate(args.src, args.out, force=args.force)
    except CourseError as err:  # EditionError, or a file it cannot read or write
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name in report["written"]:
        print(f"wrote     {args.out / name}")
    for name in report["unchanged"]:
        print(f"unchanged {args.out / name}")
    for copy_path in report["backups"]:
        print(f"backed up your edited copy to {copy_path}")
    for name in report["kept"]:
        print(f"KEPT      {args.out / name}: you have changed it, so it was not "
              "overwritten. To get a fresh copy, rename or move yours first.",
              file=sys.stderr)
    return 1 if report["kept"] else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
