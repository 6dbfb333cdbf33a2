"""Translation catalogs: what is translated, how a catalog is kept up to date, and
what it still lacks (used by :mod:`course_utils.tools.translate`).

A catalog is a gettext PO file under ``translations/<lang>/``, edited in Poedit or
any translation tool:

- ``NN_name.po``, one per notebook: one entry per markdown cell, its context
  (``msgctxt``) the cell's id, its ``msgid`` the cell's English text (the Colab
  badge left out: the build writes the edition's own);
- ``README.po``: one entry per paragraph, list or table of README.md (code blocks
  and HTML comments are copied as they are);
- ``course_utils.po``: the messages of the exercise checks, hints and errors,
  extracted from the source: an f-string is one entry, its ``{...}`` as written.

:func:`merge` keeps every translation: an entry whose English changed keeps its
old translation marked *fuzzy*, with the old English as ``#| msgid`` (Poedit
shows the difference); a new cell is matched with a translation left over from a
removed one when their English is close; what matches nothing is left empty.
:func:`problems` lists, per entry, what is missing or stale.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polib

from course_utils.tools.notebooks import cell_source, cell_tags
from course_utils.tools.stubtext import stub_texts

#: how close (difflib ratio) a removed cell's English must be to a new cell's for
#: its translation to be offered, marked fuzzy
REUSE_RATIO = 0.6
BADGE = "colab-badge.svg"
_FENCE = re.compile(r"^\s*(```|~~~)")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_WORDS = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Unit:
    """One piece of English to translate."""

    msgid: str
    context: str | None = None   # a notebook cell's id
    where: str = ""              # file and position, for the translator and errors
    comment: str = ""            # shown to the translator


# What is translated ----------------------------------------------------------

def strip_badge(text: str) -> str:
    """A title cell's text without its Colab badge line (and the blank after)."""
    lines = text.split("\n")
    out = [line for line in lines if BADGE not in line]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def notebook_units(nb: dict, name: str) -> list[Unit]:
    """The markdown cells of a notebook, in order, and the prose of its
    exercises' stubs (context ``<cell id>#<n>``)."""
    units = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and "stub" in cell_tags(cell):
            for n, (_, _, text) in enumerate(stub_texts(cell_source(cell))):
                units.append(Unit(text, f"{cell['id']}#{n}", f"{name}:{index + 1}",
                                  "in an exercise's stub (code): a comment, "
                                  "docstring or message; keep each line short"))
            continue
        if cell["cell_type"] != "markdown":
            continue
        text = strip_badge(cell_source(cell))
        if not text.strip():
            continue
        tags = cell_tags(cell)
        comment = f"cell {index + 1} of {len(nb['cells'])}"
        if tags:
            comment += f"; tags: {', '.join(tags)}"
        units.append(Unit(text, cell["id"], f"{name}:{index + 1}", comment))
    return units


def markdown_blocks(text: str) -> list[tuple[bool, str]]:
    """A markdown file as ``(translate, block)`` pairs: paragraphs, lists, tables
    and headings to translate; fenced or indented code, HTML comments and blank
    lines as they are. Joining the blocks gives the text back."""
    blocks: list[tuple[bool, str]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            blocks.append((False, line))
            i += 1
        elif _FENCE.match(line):
            j = i + 1
            while j < len(lines) and not _FENCE.match(lines[j]):
                j += 1
            blocks.append((False, "\n".join(lines[i:j + 1])))
            i = j + 1
        elif line.startswith("    ") or line.strip().startswith("<!--"):
            blocks.append((False, line))
            i += 1
        else:
            j = i
            while (j < len(lines) and lines[j].strip() and not _FENCE.match(lines[j])
                   and not lines[j].startswith("    ")
                   and not (j > i and lines[j].startswith("#"))):
                j += 1
                if lines[j - 1].startswith("#"):
                    break  # a heading is a block of its own
            blocks.append((True, "\n".join(lines[i:j])))
            i = j
    return blocks


def readme_units(text: str) -> list[Unit]:
    """The blocks of README.md to translate."""
    units, line = [], 1
    for translate, block in markdown_blocks(text):
        if translate:
            units.append(Unit(block, None, f"README.md:{line}"))
        line += block.count("\n") + 1
    return units


def _template(node: ast.AST) -> str | None:
    """The text of a string constant or an f-string (``{...}`` as written)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append("{" + ast.unparse(value.value) + "}")
        return "".join(parts)
    return None


def is_message(text: str) -> bool:
    """Prose for a person: words outside the placeholders, a space, not code."""
    fixed = _PLACEHOLDER.sub(" ", text)
    return bool(_WORDS.search(fixed)) and " " in text.strip() and \
        "\n    " not in text and \
        not text.lstrip().startswith(("def ", "import ", "lambda "))


#: keyword arguments whose strings are not messages (code, numbers, names)
NOT_MESSAGES = {"solution_text", "number", "format", "names", "dtype"}
#: a think exercise's ``(label, regex)`` pairs: the labels are never shown; each
#: regex is an entry whose translation is a regex of the same idea in Hebrew,
#: which the check searches a Hebrew answer with
KEY_IDEAS = "key_ideas"


def message_units(paths: Iterable[Path], root: Path) -> list[Unit]:
    """The messages in ``paths``: every string or f-string that is prose, except
    docstrings and the keyword arguments of :data:`NOT_MESSAGES`."""
    found: dict[str, list[str]] = {}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip: set[int] = set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant):
                skip.add(id(body[0].value))  # a docstring
            if isinstance(node, ast.keyword) and node.arg in NOT_MESSAGES:
                skip.update(id(n) for n in ast.walk(node.value))
            if isinstance(node, ast.keyword) and node.arg == KEY_IDEAS:
                skip.update(id(n) for n in ast.walk(node.value))
                for pair in getattr(node.value, "elts", []):
                    regex = pair.elts[1] if isinstance(pair, ast.Tuple) else None
                    if isinstance(regex, ast.Constant) and isinstance(regex.value,
                                                                      str):
                        where = f"{path.relative_to(root).as_posix()}:{regex.lineno}"
                        found.setdefault(regex.value, []).append(where)
            if isinstance(node, ast.JoinedStr):
                skip.update(id(n) for n in node.values)  # parts of an f-string
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            text = _template(node)
            if text and is_message(text):
                where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                found.setdefault(text, []).append(where)
    return [Unit(text, None, " ".join(places)) for text, places in found.items()]


# Keeping a catalog up to date ----------------------------------------------------

def new_catalog(lang: str, title: str) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": f"dgm-course {title}",
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    return po


def load(path: Path, lang: str) -> polib.POFile:
    """The catalog at ``path``, or a new empty one."""
    if path.is_file():
        po = polib.pofile(str(path), wrapwidth=0)
        po.wrapwidth = 0
        return po
    return new_catalog(lang, path.stem)


def _occurrence(where: str) -> list[tuple[str, str]]:
    out = []
    for place in where.split():
        file, _, line = place.rpartition(":")
        out.append((file, line))
    return out


def merge(po: polib.POFile, units: list[Unit]) -> dict[str, int]:
    """Bring ``po`` in step with ``units`` in place; return counts of entries
    ``kept``, ``changed`` (English changed: kept fuzzy), ``reused`` (a removed
    cell's translation offered, fuzzy), ``new`` (empty) and ``obsolete``."""
    current = [e for e in po if not e.obsolete] + po.obsolete_entries()
    by_key = {(e.msgctxt, e.msgid): e for e in current}
    by_context = {e.msgctxt: e for e in current if e.msgctxt}
    used: set[int] = set()
    counts = dict.fromkeys(("kept", "changed", "reused", "new", "obsolete"), 0)
    entries = []
    for unit in units:
        old = by_key.get((unit.context, unit.msgid))
        kind = "kept"
        if old is None and unit.context in by_context \
                and id(by_context[unit.context]) not in used:
            old, kind = by_context[unit.context], "changed"
        if old is None:
            old, kind = _closest(unit.msgid, current, used), "reused"
        entry = polib.POEntry(msgctxt=unit.context, msgid=unit.msgid,
                              occurrences=_occurrence(unit.where),
                              comment=unit.comment)
        if old is None:
            kind = "new"
        else:
            used.add(id(old))
            entry.msgstr = old.msgstr
            entry.tcomment = old.tcomment
            if kind == "kept":
                entry.flags = list(old.flags)
                entry.previous_msgid = old.previous_msgid
            elif old.msgstr:
                entry.flags = ["fuzzy"]
                # the English the translation was made from
                entry.previous_msgid = (old.previous_msgid if "fuzzy" in old.flags
                                        and old.previous_msgid else old.msgid)
        counts[kind] += 1
        entries.append(entry)
    for old in current:
        if id(old) not in used and old.msgstr:
            old.obsolete = True
            entries.append(old)
            counts["obsolete"] += 1
    po[:] = entries
    return counts


def _closest(msgid: str, entries: list, used: set[int]) -> polib.POEntry | None:
    best, best_ratio = None, REUSE_RATIO
    for entry in entries:
        if id(entry) in used or not entry.msgstr:
            continue
        ratio = difflib.SequenceMatcher(None, msgid, entry.msgid,
                                        autojunk=False).quick_ratio()
        if ratio >= best_ratio:
            ratio = difflib.SequenceMatcher(None, msgid, entry.msgid,
                                            autojunk=False).ratio()
            if ratio >= best_ratio:
                best, best_ratio = entry, ratio
    return best


# What a catalog lacks ------------------------------------------------------------

def _label(unit: Unit) -> str:
    first = unit.msgid.strip().split("\n")[0][:60]
    cell = f" (cell id {unit.context})" if unit.context else ""
    return f"{unit.where}{cell} {first!r}"


def problems(po: polib.POFile, units: list[Unit], catalog: str) -> list[str]:
    """One line per unit whose translation is missing, stale or broken."""
    entries = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    contexts = {e.msgctxt: e for e in po if not e.obsolete and e.msgctxt}
    out = []
    for unit in units:
        entry = entries.get((unit.context, unit.msgid))
        if entry is None:
            if unit.context in contexts:
                why = ("stale: the English changed after it was translated; run "
                       "`python -m course_utils.tools.translate update`")
            else:
                why = ("not in the catalog; run "
                       "`python -m course_utils.tools.translate update`")
        elif not entry.msgstr.strip():
            why = "not translated"
        elif "fuzzy" in entry.flags:
            why = ("stale (fuzzy): the English changed after it was translated; "
                   "revise the translation and clear the fuzzy flag")
        else:
            why = placeholder_problem(unit.msgid, entry.msgstr)
            if not why:
                continue
        out.append(f"{catalog}: {_label(unit)}: {why}")
    return out


def placeholder_problem(msgid: str, msgstr: str) -> str:
    """What a translation breaks of the English it translates: the ``{...}`` of a
    message, the display formulas of a cell; empty when nothing."""
    want = sorted(set(_PLACEHOLDER.findall(msgid)))
    if "$" not in msgid + msgstr and want != sorted(set(_PLACEHOLDER.findall(msgstr))):
        return f"placeholders {want} expected, the translation has " \
               f"{sorted(set(_PLACEHOLDER.findall(msgstr)))}"
    for formula in re.findall(r"\$\$.+?\$\$", msgid, re.S):
        if formula not in msgstr:
            return f"the formula {formula[:50]!r} is missing or changed"
    return ""


def translation(po: polib.POFile, unit: Unit) -> str | None:
    """The translation of ``unit`` (fuzzy ones too), or None."""
    entry = po.find(unit.msgid, msgctxt=unit.context) if unit.context else \
        po.find(unit.msgid)
    if entry is None or entry.obsolete or not entry.msgstr.strip():
        return None
    return entry.msgstr
