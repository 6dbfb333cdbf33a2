"""The Hebrew edition: catalogs kept in step with the English, and the one command
that writes the Hebrew notebooks, README.he.md and the messages' catalog.

The English notebooks are the source; the translations live in gettext catalogs
under ``translations/he/`` (see :mod:`course_utils.tools.catalogs`). Usage, from
the repository root::

    python -m course_utils.tools.translate update   # catalogs <- the English
    python -m course_utils.tools.translate status   # what needs translating
    python -m course_utils.tools.translate build    # write the Hebrew edition
    python -m course_utils.tools.translate build --check   # what is out of date

``update`` adds what is new, keeps every translation and marks those whose
English changed *fuzzy* (Poedit shows the old English beside the new);
``status`` lists, cell by cell, what is untranslated or stale (exit 1 when
anything is); ``build`` writes

- ``notebooks/hebrew/NN_*.ipynb``: the Hebrew lecturer edition (prose right to
  left, code cells exactly the English ones, plus one cell that sets
  ``COURSE_LANG=he``, and a Colab badge of its own);
- ``notebooks/hebrew/student/``: its student edition (as
  :mod:`course_utils.tools.editions` makes the English one);
- ``README.he.md``; and ``course_utils/locale/he/LC_MESSAGES/course_utils.mo``,
  the compiled messages the checks and hints read (:mod:`course_utils.core.i18n`).

Untranslated text is written in English, so a build never fails for a missing
translation; the tests fail instead (``tests/test_hebrew.py``). A generated file
changed by hand is kept (exit 1; ``--force`` replaces it, after a backup: see
:mod:`course_utils.tools.guard`).
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tempfile
from pathlib import Path

import polib

from course_utils.core.bidi import (  # unwrap: the tests' reader of a cell
    RTL_CLOSE,
    RTL_OPEN,
    isolate,
    ltr_table_cells,
    ltr_title,
    rtl,
    unwrap,  # noqa: F401
)
from course_utils.core.errors import CourseError
from course_utils.tools import catalogs
from course_utils.tools.catalogs import Unit
from course_utils.tools.editions import STUDENT_BANNER, generate, student_notebook
from course_utils.tools.guard import Guard, writable
from course_utils.tools.links import BADGE_IMAGE, colab_url
from course_utils.tools.notebooks import lecturer_notebooks, load_notebook, repo_path
from course_utils.tools.stubtext import stub_texts, with_stub_texts

LANG = "he"
EDITION = "hebrew"           # notebooks/hebrew/, named for the language
LANG_CELL_ID = "course-lang"
LANG_CELL = '''\
# The Hebrew edition: the course's checks, hints and messages speak Hebrew
# (COURSE_LANG=he); in JupyterLab the notes' bar moves to their right side.
from course_utils.core.i18n import use_language

use_language("he")'''
#: the modules whose messages are translated (the checks, hints, errors)
MESSAGE_SOURCES = ("course_utils/core/answers.py", "course_utils/core/checks.py",
                   "course_utils/core/errors.py", "course_utils/core/student_code.py",
                   "course_utils/topics/exercises/nb*.py",
                   "course_utils/tools/grader.py")


def root() -> Path:
    return repo_path()


def catalog_path(name: str, lang: str = LANG) -> Path:
    return root() / "translations" / lang / f"{name}.po"


def mo_path(lang: str = LANG) -> Path:
    return root() / "course_utils" / "locale" / lang / "LC_MESSAGES" / \
        "course_utils.mo"


def edition_dir() -> Path:
    return root() / "notebooks" / EDITION


# The catalogs and what they translate --------------------------------------------

def catalog_units() -> dict[str, list[Unit]]:
    """``{catalog name: units}`` for every catalog, from the English as it is."""
    base = root()
    units = {}
    for path in lecturer_notebooks(base / "notebooks"):
        nb = load_notebook(path)
        units[path.stem] = catalogs.notebook_units(nb, f"notebooks/{path.name}")
    units["README"] = catalogs.readme_units(
        (base / "README.md").read_text(encoding="utf-8"))
    sources = sorted(p for pattern in MESSAGE_SOURCES for p in base.glob(pattern))
    messages = catalogs.message_units(sources, base)
    messages.append(Unit(STUDENT_BANNER, None, "course_utils/tools/editions.py:0"))
    units["course_utils"] = messages
    return units


def update(lang: str = LANG) -> dict[str, dict[str, int]]:
    """Bring every catalog in step with the English; return the counts per catalog."""
    report = {}
    for name, units in catalog_units().items():
        path = catalog_path(name, lang)
        po = catalogs.load(path, lang)
        report[name] = catalogs.merge(po, units)
        path.parent.mkdir(parents=True, exist_ok=True)
        po.save(str(path))
    return report


def status(lang: str = LANG) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """``({catalog: (translated, total)}, problems)``, as the tests see them."""
    sizes, found = {}, []
    for name, units in catalog_units().items():
        po = catalogs.load(catalog_path(name, lang), lang)
        problems = catalogs.problems(po, units, f"translations/{lang}/{name}.po")
        sizes[name] = (len(units) - len(problems), len(units))
        found += problems
    return sizes, found


# The Hebrew edition ---------------------------------------------------------------

def edition_url(name: str, edition: str = "lecturer") -> str:
    """The Colab address of the Hebrew edition of ``name``: the lecturer's
    (``notebooks/hebrew/``) or the student's (``notebooks/hebrew/student/``)."""
    folder = EDITION if edition == "lecturer" else f"{EDITION}/student"
    return colab_url(name).replace("/notebooks/", f"/notebooks/{folder}/")


#: the Hebrew of links.LECTURER_LABEL, before the lecturer edition's badge
LECTURER_LABEL_HE = "**מהדורת המרצה** (עם הפתרונות):"


def _badge(name: str, edition: str = "lecturer") -> str:
    badge = f"[![Open In Colab]({BADGE_IMAGE})]({edition_url(name, edition)})"
    return f"{LECTURER_LABEL_HE} {badge}" if edition == "lecturer" else badge


def _with_badge(text: str, name: str) -> str:
    title, _, rest = text.partition("\n")
    return f"{title}\n\n{_badge(name)}\n\n{rest.strip()}".rstrip()


def language_cell() -> dict:
    return {"cell_type": "code", "execution_count": None, "id": LANG_CELL_ID,
            "metadata": {"slideshow": {"slide_type": "skip"},
                         "tags": [LANG_CELL_ID]},
            "outputs": [], "source": LANG_CELL}


def hebrew_notebook(nb: dict, po: polib.POFile, name: str) -> dict:
    """The Hebrew lecturer edition of the English notebook ``nb``."""
    out = copy.deepcopy(nb)
    units = {u.context: u for u in catalogs.notebook_units(nb, name)}
    cells = []
    for index, cell in enumerate(out["cells"]):
        if cell["cell_type"] == "markdown" and cell["id"] in units:
            unit = units[cell["id"]]
            text = catalogs.translation(po, unit) or unit.msgid
            if index == 0:
                text = _with_badge(ltr_title(text), name)
            cell["source"] = rtl(text)
        elif f"{cell['id']}#0" in units:  # an exercise's stub: its comments
            source = "".join(cell["source"]) if isinstance(cell["source"], list) \
                else cell["source"]
            texts = [units[f"{cell['id']}#{n}"] for n in
                     range(len(stub_texts(source)))]
            cell["source"] = with_stub_texts(
                source, [catalogs.translation(po, u) or u.msgid for u in texts])
        cells.append(cell)
    colab = next((i for i, c in enumerate(cells) if c.get("id") == "colab-setup"),
                 None)
    at = colab + 1 if colab is not None else \
        next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    cells.insert(at, language_cell())
    out["cells"] = cells
    out["metadata"]["language_info"] = dict(out["metadata"].get("language_info",
                                                                {"name": "python"}))
    out["metadata"]["course_lang"] = LANG
    return out


def hebrew_readme(text: str, po: polib.POFile) -> str:
    """README.he.md: the translated blocks right to left, code blocks left to
    right, links to the notebooks and commands pointing at the Hebrew edition."""
    out = []
    for translate, block in catalogs.markdown_blocks(text):
        if translate:
            block = isolate(catalogs.translation(po, Unit(block)) or block)
            block = ltr_table_cells(block) if block.lstrip().startswith("|") else block
        elif catalogs._FENCE.match(block):
            block = f'<div dir="ltr">\n\n{block}\n\n</div>'
        elif block.startswith("    "):  # indented code: a fence, left to right
            if out and out[-1].startswith('<div dir="ltr">\n\n```\n'):
                head, tail = out.pop().rsplit("\n```", 1)
                block = f"{head}\n{block[4:]}\n```{tail}"
            else:
                block = f'<div dir="ltr">\n\n```\n{block[4:]}\n```\n\n</div>'
        out.append(block)
    body = "\n".join(out).strip()
    body = re.sub(r"\]\(notebooks/(\d\d_)", rf"](notebooks/{EDITION}/\1", body)
    body = body.replace("notebooks/00_start_here.ipynb",
                        f"notebooks/{EDITION}/00_start_here.ipynb")
    body = body.replace("notebooks/student/", f"notebooks/{EDITION}/student/")
    body = body.replace(f"notebooks/{EDITION}/{EDITION}/", f"notebooks/{EDITION}/")
    return f"{RTL_OPEN}\n\n{body}\n\n{RTL_CLOSE}\n"


def dump(nb: dict) -> str:
    """A notebook as the course commits it: each source a list of lines."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def outputs(lang: str = LANG) -> dict[Path, bytes]:
    """Every file ``build`` writes, with its content (the student edition too)."""
    base = root()
    files: dict[Path, bytes] = {}
    lecturer = {}
    for path in lecturer_notebooks(base / "notebooks"):
        nb = load_notebook(path)
        po = catalogs.load(catalog_path(path.stem, lang), lang)
        he = hebrew_notebook(nb, po, path.name)
        lecturer[path.name] = he
        files[edition_dir() / path.name] = dump(he).encode("utf-8")
    banner = student_banner_for(lang)
    for name, he in lecturer.items():
        student = student_notebook(he, name, banner=banner,
                                   badge=_badge(name, "student"))
        files[edition_dir() / "student" / name] = dump(student).encode("utf-8")
    style = base / "notebooks" / "rise.css"  # the live slides' style
    if style.is_file():
        files[edition_dir() / "rise.css"] = style.read_bytes()
        files[edition_dir() / "student" / "rise.css"] = style.read_bytes()
    readme = (base / "README.md").read_text(encoding="utf-8")
    po = catalogs.load(catalog_path("README", lang), lang)
    files[base / "README.he.md"] = hebrew_readme(readme, po).encode("utf-8")
    files[mo_path(lang)] = compiled(catalog_path("course_utils", lang))
    return files


def student_banner_for(lang: str) -> str:
    """The student edition's banner in ``lang``, from the messages' catalog."""
    po = catalogs.load(catalog_path("course_utils", lang), lang)
    text = catalogs.translation(po, Unit(STUDENT_BANNER)) or STUDENT_BANNER
    return rtl(text)


def compiled(po_path: Path) -> bytes:
    """The .mo file of a catalog (translated, non-fuzzy entries only)."""
    po = catalogs.load(po_path, LANG)
    keep = polib.POFile(wrapwidth=0)
    keep.metadata = po.metadata
    for entry in po.translated_entries():
        keep.append(polib.POEntry(msgid=entry.msgid, msgstr=entry.msgstr,
                                  msgctxt=entry.msgctxt))
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.mo"
        keep.save_as_mofile(str(target))
        return target.read_bytes()


def stale_outputs(lang: str = LANG) -> list[Path]:
    """The files ``build`` would change."""
    return [path for path, data in outputs(lang).items()
            if not path.is_file() or path.read_bytes() != data]


def build(lang: str = LANG, force: bool = False) -> tuple[list[Path], list[str]]:
    """Write the Hebrew edition; return the files written (changed ones only) and
    a line for each file kept because it was changed by hand.

    Every notebook and README.he.md goes through :class:`guard.Guard`, the
    student edition through :func:`editions.generate`'s: a file changed by hand
    since the last build is reported and kept, unless ``force`` (after a backup).
    """
    files = outputs(lang)
    # one record for the edition's notebooks and README.he.md, in notebooks/hebrew/
    guard = Guard(edition_dir(), force)
    student = edition_dir() / "student"
    for path, data in files.items():
        if path.suffix == ".mo":
            if not path.is_file() or path.read_bytes() != data:
                with writable(path.parent):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
        elif path.parent != student:
            guard.write(path, data.decode("utf-8"), exact=True)
    report = generate(edition_dir(), student, force, student_banner_for(lang),
                      badge=lambda name: _badge(name, "student"))
    guard.save()
    kept = guard.kept_lines()
    kept += [f"KEPT      {student / name}: changed by hand, not overwritten (move "
             "it away, or run again with --force, which keeps a backup)"
             for name in report["kept"]]
    # generate() writes its own layout; the committed one is dump()'s (sources as
    # lists of lines), so one build leaves nothing for --check to find
    for name in report["unchanged"] + report["written"]:
        want = files.get(student / name)
        if want is not None and (student / name).read_bytes() != want:
            (student / name).write_bytes(want)
    written = guard.paths["written"] + [student / n for n in report["written"]]
    return written, kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.translate",
        description="Keep the Hebrew edition in step with the English notebooks.")
    parser.add_argument("command", choices=["update", "status", "build"])
    parser.add_argument("--check", action="store_true",
                        help="build: only list the files that are out of date")
    parser.add_argument("--force", action="store_true",
                        help="build: replace files changed by hand too, after "
                             "copying each to backups/ beside it")
    args = parser.parse_args(argv)
    base = root()
    try:
        return _run(args, base)
    except CourseError as err:  # a notebook it cannot read, a folder it cannot write
        print(f"error: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, base: Path) -> int:
    if args.command == "update":
        for name, counts in update().items():
            print(f"{name:40s} " + ", ".join(f"{k} {v}" for k, v in counts.items()
                                             if v))
        args.command = "status"
    if args.command == "status":
        sizes, found = status()
        for name, (done, total) in sizes.items():
            print(f"{name:40s} {done:4d} of {total:4d} translated and current")
        for line in found:
            print(line)
        return 1 if found else 0
    if args.check:
        stale = stale_outputs()
        for path in stale:
            print(f"out of date: {path.relative_to(base)}")
        return 1 if stale else 0
    written, kept = build(force=args.force)
    for path in written:
        print(f"wrote {path.relative_to(base)}")
    for line in kept:
        print(line, file=sys.stderr)
    return 1 if kept else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
