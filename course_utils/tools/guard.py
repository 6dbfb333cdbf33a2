"""Writing generated files without losing a hand edit: every generator of the
course writes through :class:`Guard` (the student and Hebrew editions,
README.he.md, the exported modules, and the cells and paragraphs the tools write
into the lecturer notebooks).

A generator records, in a manifest beside the files it writes (``.generated.json``;
a student edition keeps its own in ``.edition-manifest.json``), a fingerprint of
what it wrote: of the whole file, or of the part of it the tool owns (the Colab
cell, the solution cells, the time paragraph). Before writing again it compares
the file on disk with that record. A file, or owned part, that differs from what
the tool last wrote was changed by hand: it is kept and reported, never
overwritten. ``force`` replaces it after copying the file to
``backups/<name>-<date>-<time><suffix>`` beside it. A file the record does not
know is the tool's, written before it kept records (``adopt``), except in a
student's folder, where it may be the student's own file of that name. A
notebook that JupyterLab saved again without a change counts as unchanged:
notebooks are compared by content, not by bytes or key order.

A folder that cannot be written is one :class:`PublishError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from course_utils.tools.notebooks import PublishError, cell_source

MANIFEST = ".generated.json"
BACKUPS = "backups"


def canonical(value):
    """A notebook's content, whatever the writer: a cell's source as one string
    (a list of lines or a string on disk), and key order left to json's sort."""
    if isinstance(value, dict):
        return {k: ("".join(v) if k == "source" and isinstance(v, list)
                    else canonical(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def digest(text: str) -> str:
    """A fingerprint of a file's content: of a JSON document's content (not of
    its layout), else of the text."""
    try:
        content = json.dumps(canonical(json.loads(text)), sort_keys=True)
    except (json.JSONDecodeError, RecursionError):
        content = text
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def backup(target: Path) -> Path:
    """Copy ``target`` into ``backups/`` beside it, under a timestamped name."""
    folder = target.parent / BACKUPS
    stamp = time.strftime("%Y%m%d-%H%M%S")
    copy_path = folder / f"{target.stem}-{stamp}{target.suffix}"
    n = 1
    while copy_path.exists():
        n += 1
        copy_path = folder / f"{target.stem}-{stamp}-{n}{target.suffix}"
    with writable(folder):
        folder.mkdir(exist_ok=True)
        shutil.copy2(target, copy_path)
    return copy_path


def cells_part(keep: Callable[[dict], bool],
               pick: Callable[[dict], str] = cell_source) -> Callable[[str], str]:
    """The part of a notebook's text that a tool owns: ``pick`` of each cell that
    ``keep`` chooses (by default the cell's source); the text itself when it is
    no notebook."""
    def part(text: str) -> str:
        try:
            return json.dumps([pick(c) for c in json.loads(text)["cells"] if keep(c)])
        except (ValueError, KeyError, TypeError, AttributeError):
            return text
    return part


class writable:
    """A block that writes under ``folder``: an OSError there (no permission, a
    read-only disk, a file where a folder should be) becomes one line naming it."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __enter__(self):
        return self.folder

    def __exit__(self, kind, err, tb):
        if isinstance(err, OSError):
            raise PublishError(
                f"cannot write in {self.folder} ({err.strerror or err}): make the "
                "folder writable, or choose another output folder.") from None
        return False


def _text(path: Path) -> str | None:
    """The file's text; None when there is none (missing, or not UTF-8 text, which
    no generator wrote)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return "\0not text"


class Guard:
    """Writes the generated files of one folder and keeps its manifest."""

    def __init__(self, folder: str | Path, force: bool = False,
                 manifest: str = MANIFEST, adopt: bool = True):
        self.folder = Path(folder)
        self.adopt = adopt
        self.path = self.folder / manifest
        self.force = force
        self.report: dict[str, list] = {"written": [], "unchanged": [], "kept": [],
                                        "backups": []}
        #: the same as :attr:`report`, by path (a guard may write outside folder)
        self.paths: dict[str, list[Path]] = {"written": [], "kept": []}
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
        self.record: dict[str, str] = record if isinstance(record, dict) else {}

    def write(self, target: str | Path, text: str, owner: str = "",
              part: Callable[[str], str] | None = None, exact: bool = False) -> str:
        """Write ``text`` to ``target`` unless that loses a hand edit; return
        ``"written"``, ``"unchanged"`` or ``"kept"`` (also listed in
        :attr:`report`, by file name). ``owner`` and ``part`` name the tool and
        the part of the file it owns; without them the tool owns the whole file.
        A notebook of unchanged content keeps its layout on disk, unless
        ``exact`` (the tool's layout is what a check compares)."""
        target = Path(target)
        key = f"{target.name}#{owner}" if owner else target.name
        mine = part or (lambda whole: whole)
        on_disk = _text(target)
        outcome = "written"
        if on_disk == text or (on_disk is not None
                               and digest(on_disk) == digest(text)):
            outcome = "unchanged"
        elif on_disk is not None:
            current = digest(mine(on_disk))
            recorded = self.record.get(key)
            legacy = hashlib.sha256(on_disk.encode()).hexdigest()  # bytes' hash
            ours = (recorded in (current, legacy) or current == digest(mine(text))
                    or (recorded is None and self.adopt))
            if not ours and not self.force:
                self.report["kept"].append(target.name)
                self.paths["kept"].append(target)
                return "kept"
            if not ours:
                self.report["backups"].append(str(backup(target)))
        if outcome == "written" or (exact and on_disk != text):
            with writable(target.parent):
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        self.record[key] = digest(mine(text))
        self.report[outcome].append(target.name)
        if outcome == "written":
            self.paths["written"].append(target)
        return outcome

    def save(self) -> None:
        """Write the manifest (call once, after the last write)."""
        text = json.dumps(self.record, indent=1, sort_keys=True) + "\n"
        if _text(self.path) != text:
            with writable(self.folder):
                self.folder.mkdir(parents=True, exist_ok=True)
                self.path.write_text(text, encoding="utf-8")

    def kept_lines(self, advice: str = "") -> list[str]:
        """One line per kept file, saying why and what to do."""
        advice = advice or ("Move your change to its source, or run again with "
                            "--force (which keeps a backup).")
        return [f"KEPT      {path}: changed by hand since it was generated, so it "
                f"was not overwritten. {advice}" for path in self.paths["kept"]]
