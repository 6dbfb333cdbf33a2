"""The maintainer tools and the files they read and write: a generated file
changed by hand is kept (``--force`` replaces it after a backup), a notebook
that cannot be read is one line naming it, and the language switch refuses a
language before it changes anything."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from course_utils.core.errors import ConfigError
from course_utils.tools.notebooks import PublishError

# use_language -------------------------------------------------------------------

def test_a_refused_language_leaves_the_previous_one(monkeypatch):
    from course_utils.core.config import check_settings
    from course_utils.core.i18n import language, use_language

    monkeypatch.setenv("COURSE_LANG", "he")
    with pytest.raises(ConfigError, match="COURSE_LANG=fr: expected en or he"):
        use_language("fr")
    assert os.environ["COURSE_LANG"] == "he" and language() == "he"
    assert check_settings()["COURSE_LANG"] == "he"  # what setup() reads
    monkeypatch.delenv("COURSE_LANG")
    with pytest.raises(ConfigError):
        use_language("")
    assert "COURSE_LANG" not in os.environ


def test_use_language_round_trips(monkeypatch):
    from course_utils.core.i18n import language, translate, use_language

    monkeypatch.setenv("COURSE_LANG", "en")
    message = "Exercise 5.1 (the VAE's KL term from log_var): correct."
    assert use_language("he") == "he" and translate(message) != message
    assert use_language("EN") == "en" and language() == "en"
    assert translate(message) == message and os.environ["COURSE_LANG"] == "en"
    assert use_language("he") == "he" and translate(message) != message


# Generated files changed by hand -------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
#: a checkout's folder with a space and Hebrew letters in its name
ODD = "קורס dgm"


@pytest.fixture
def hebrew_checkout(tmp_path, monkeypatch):
    """A checkout with two notebooks and their catalogs, that translate builds."""
    from course_utils.tools import translate

    base = tmp_path / ODD
    (base / "notebooks").mkdir(parents=True)
    (base / "translations" / "he").mkdir(parents=True)
    for stem in ("00_start_here", "05_gaussian_kl"):
        shutil.copy(ROOT / "notebooks" / f"{stem}.ipynb", base / "notebooks")
        shutil.copy(ROOT / "translations" / "he" / f"{stem}.po",
                    base / "translations" / "he")
    for name in ("README", "course_utils"):
        shutil.copy(ROOT / "translations" / "he" / f"{name}.po",
                    base / "translations" / "he")
    shutil.copy(ROOT / "README.md", base)
    monkeypatch.setattr(translate, "root", lambda: base)
    assert translate.main(["build"]) == 0
    return base


def _change_code(path: Path, old: str, new: str) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                and old in "".join(c["source"]))
    cell["source"] = "".join(cell["source"]).replace(old, new)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")


def test_translate_build_keeps_a_hand_edited_hebrew_notebook(hebrew_checkout,
                                                              capsys):
    from course_utils.tools import translate

    base = hebrew_checkout
    hebrew = base / "notebooks" / "hebrew" / "05_gaussian_kl.ipynb"
    edited = hebrew.read_text(encoding="utf-8").replace("cfg = setup()",
                                                        "cfg = setup()  # mine")
    hebrew.write_text(edited, encoding="utf-8")
    readme = base / "README.he.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nmy note\n",
                      encoding="utf-8")
    _change_code(base / "notebooks" / "05_gaussian_kl.ipynb", "cfg = setup()",
                 "cfg = setup()  # new")
    capsys.readouterr()
    assert translate.main(["build"]) == 1
    err = capsys.readouterr().err
    assert hebrew.read_text(encoding="utf-8") == edited
    assert "my note" in readme.read_text(encoding="utf-8")
    assert f"KEPT      {hebrew}" in err and "README.he.md" in err
    # the other notebook, untouched by hand, is still built
    assert "# new" in (base / "notebooks" / "hebrew" / "student" /
                       "05_gaussian_kl.ipynb").read_text(encoding="utf-8")
    assert translate.main(["build", "--force"]) == 0
    (copy,) = (hebrew.parent / "backups").glob("05_gaussian_kl-*.ipynb")
    assert copy.read_text(encoding="utf-8") == edited
    assert "# new" in hebrew.read_text(encoding="utf-8")
    assert "my note" not in readme.read_text(encoding="utf-8")
    assert translate.main(["build"]) == 0 and translate.main(
        ["build", "--check"]) == 0


def test_export_keeps_a_hand_edited_module(tmp_path, capsys):
    from course_utils.tools import export

    root = tmp_path / ODD
    item = next(e for e in export.EXPORTS if e.module.endswith("gaussian_kl.py"))
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / item.notebook, root / "notebooks")
    module = root / item.module
    module.parent.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export, "EXPORTS", (item,))
        assert export.write_all(root) == [module]
        edited = module.read_text(encoding="utf-8") + "# my fix\n"
        module.write_text(edited, encoding="utf-8")
        _change_code(root / "notebooks" / item.notebook, "def ", "def  ")
        kept: list[str] = []
        assert export.write_all(root, kept=kept) == [] and len(kept) == 1
        assert module.read_text(encoding="utf-8") == edited
        assert str(module) in kept[0] and "#| export" in kept[0]
        assert export.write_all(root, force=True) == [module]
        (copy,) = (module.parent / "backups").glob("gaussian_kl-*.py")
        assert copy.read_text(encoding="utf-8") == edited


def _edit_cell(path: Path, keep, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` in the first cell ``keep`` picks; the new text."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if keep(c))
    cell["source"] = "".join(cell["source"]).replace(old, new)
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def _lecturer_copy(tmp_path, name: str = "05_gaussian_kl.ipynb") -> Path:
    folder = tmp_path / ODD / "notebooks"
    folder.mkdir(parents=True)
    return Path(shutil.copy(ROOT / "notebooks" / name, folder))


def test_exercises_keeps_a_solution_cell_edited_in_the_notebook(tmp_path, capsys):
    from course_utils.tools import exercises

    path = _lecturer_copy(tmp_path)
    assert exercises.main([str(path)]) == 0  # records the solution cells
    edited = _edit_cell(path, lambda c: "solution" in c["metadata"].get("tags", [])
                        and c["cell_type"] == "code", "", "# mine\n")
    assert exercises.main([str(path)]) == 1
    assert path.read_text(encoding="utf-8") == edited
    assert f"KEPT      {path}" in capsys.readouterr().err
    assert exercises.main(["--force", str(path)]) == 0
    assert "# mine" not in path.read_text(encoding="utf-8")
    assert exercises.main(["--check", str(path)]) == 0


def test_timing_write_keeps_a_hand_edited_time_paragraph(tmp_path, capsys):
    from course_utils.tools import timing

    path = _lecturer_copy(tmp_path)
    assert timing.main(["--static", "--write", str(path)]) == 0
    edited = _edit_cell(path, timing._learn_cell, "**Time** (minutes): about",
                        "**Time** (minutes): my guess, about")
    assert timing.main(["--static", "--write", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == edited
    assert timing.main(["--static", "--write", "--force", str(path)]) == 0
    assert "my guess" not in path.read_text(encoding="utf-8")
    assert list((path.parent / "backups").glob("05_gaussian_kl-*.ipynb"))


def test_prepare_keeps_a_hand_edited_colab_cell(tmp_path, capsys):
    from course_utils.tools import prepare, publish

    path = _lecturer_copy(tmp_path)
    assert publish.main(["prepare", str(path)]) == 0
    edited = _edit_cell(path, prepare.is_colab_cell, "import sys",
                        "import sys  # mine")
    assert publish.main(["prepare", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == edited
    assert publish.main(["prepare", "--force", str(path)]) == 0
    assert publish.main(["prepare", "--check", str(path)]) == 0


# The Colab cell's version ---------------------------------------------------------

def _colab_calls(monkeypatch) -> list:
    from course_utils.tools import links

    calls = []
    fake = types.SimpleNamespace(run=lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setitem(sys.modules, "subprocess", fake)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("colab"))
    monkeypatch.setattr(os.path, "isdir", lambda p: False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    exec(compile(links.colab_cell_source(), "colab-cell", "exec"), {})
    return calls


def test_the_colab_cell_clones_the_notebooks_version(monkeypatch, tmp_path):
    from course_utils.tools import links

    clone = _colab_calls(monkeypatch)[0]
    assert clone[clone.index("--branch") + 1] == links.course_ref() == "main"
    monkeypatch.setattr(links, "ref_file", lambda: tmp_path / ".course-ref")
    links.set_ref("v1.2")
    clone = _colab_calls(monkeypatch)[0]
    assert clone[clone.index("--branch") + 1] == "v1.2"
    assert clone[-2:] == [links.REPO, links.COLAB_DIR]
    for bad in ("", "v1 2", "../x", "-x", "a..b"):
        with pytest.raises(PublishError, match="not a branch or tag"):
            links.set_ref(bad)
    assert links.course_ref() == "v1.2"


def test_release_pins_every_notebooks_colab_cell(hebrew_checkout, monkeypatch,
                                                capsys):
    from course_utils.tools import editions, links, prepare, publish, translate

    base = hebrew_checkout
    monkeypatch.setattr(links, "ref_file", lambda: base / "notebooks" / ".course-ref")
    notebooks = base / "notebooks"
    editions.generate(notebooks, notebooks / "student")
    before = {p: p.read_bytes() for p in notebooks.rglob("*.ipynb")}
    assert len(before) == 8  # two notebooks in four editions
    assert publish.main(["release", "v9.9"]) == 0
    for path in before:
        nb = json.loads(path.read_text(encoding="utf-8"))
        (cell,) = [c for c in nb["cells"] if prepare.is_colab_cell(c)]
        assert 'COURSE_REF = "v9.9"' in "".join(cell["source"]), path
    assert publish.main(["prepare", "--check", *map(str, notebooks.glob("0*"))]) == 0
    assert editions.stale(notebooks, notebooks / "student") == []
    assert translate.stale_outputs() == []
    assert publish.main(["release", "main"]) == 0  # back on the main branch
    assert {p: p.read_bytes() for p in before} == before
    assert publish.main(["release", "v 1"]) == 2
    assert "not a branch or tag" in capsys.readouterr().err


# Files a tool cannot read or write --------------------------------------------------

BAD = {
    "invalid JSON": (b'{"cells": [', "is not valid JSON (line 1"),
    "nbformat 3": (json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                               "worksheets": []}).encode(), "nbformat 3"),
    "not UTF-8": ('{"nbformat": 4, "cells": [], "x": "é"}'.encode("latin-1"),
                  "is not UTF-8 text (byte 35)"),
}
NAME = "05_gaussian_kl.ipynb"


def _run_tool(tool: str, base: Path, monkeypatch) -> int:
    from course_utils.tools import (
        editions,
        exercises,
        export,
        publish,
        timing,
        translate,
    )

    path = base / "notebooks" / NAME
    if tool == "translate":
        monkeypatch.setattr(translate, "root", lambda: base)
        return translate.main(["build"])
    if tool == "export":
        monkeypatch.setattr(export, "ROOT", base)
        monkeypatch.setattr(export, "EXPORTS", tuple(
            e for e in export.EXPORTS if e.notebook == NAME))
        return export.main([])
    return {"editions": lambda: editions.main(["--src", str(path.parent), "--out",
                                               str(path.parent / "student")]),
            "exercises": lambda: exercises.main([str(path)]),
            "timing": lambda: timing.main(["--static", "--write", str(path)]),
            "prepare": lambda: publish.main(["prepare", str(path)])}[tool]()


TOOLS = ("editions", "translate", "exercises", "export", "timing", "prepare")


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("bad", BAD, ids=list(BAD))
def test_a_notebook_a_tool_cannot_read_is_one_line_naming_it(hebrew_checkout, tool,
                                                              bad, monkeypatch,
                                                              capsys):
    data, said = BAD[bad]
    path = hebrew_checkout / "notebooks" / NAME
    path.write_bytes(data)
    capsys.readouterr()
    assert _run_tool(tool, hebrew_checkout, monkeypatch) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert str(path) in err and said in err, err
    assert path.read_bytes() == data  # and nothing written over it


@pytest.mark.parametrize("tool", TOOLS)
def test_a_folder_a_tool_cannot_write_is_one_line(hebrew_checkout, tool,
                                                  monkeypatch, capsys):
    path = hebrew_checkout / "notebooks" / NAME
    # edit what each tool writes, so that each has something to write
    _edit_cell(path, lambda c: c["cell_type"] == "code" and "#| export" in
               "".join(c["source"]), "#| export\n", "#| export\n# changed\n")
    _edit_cell(path, lambda c: "solution" in c["metadata"].get("tags", []), "",
               "# changed\n")
    for name in ("Colab set-up", "What you will learn"):
        _edit_cell(path, lambda c, name=name: name.split()[0] in "".join(c["source"]),
                   "", "# changed\n" if name.startswith("Colab") else "")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", refuse)
    monkeypatch.setattr(Path, "write_bytes", refuse)
    capsys.readouterr()
    assert _run_tool(tool, hebrew_checkout, monkeypatch) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert "cannot write in " in err and "Permission denied" in err, err


def test_a_kept_notebook_is_named_under_lc_all_c(tmp_path):
    """A maintainer's shell without a UTF-8 locale still reads, writes and names
    the notebooks, in a folder with a space and Hebrew letters in its name."""
    src = tmp_path / ODD / "notebooks"
    src.mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / NAME, src)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG",
                                                                    "PYTHONIO"))}
    env.update(LC_ALL="C", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "course_utils.tools.editions", "--src",
               str(src), "--out", str(src / "student")]
    assert subprocess.run(command, env=env, cwd=tmp_path).returncode == 0
    target = src / "student" / NAME
    target.write_text(target.read_text(encoding="utf-8").replace(
        "cfg = setup()", "cfg = setup()  # שלי"), encoding="utf-8")
    _change_code(src / NAME, "cfg = setup()", "cfg = setup()  # new")
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True)
    assert done.returncode == 1, done.stderr
    assert f"KEPT      {target}".encode() in done.stderr
    assert "# שלי" in target.read_text(encoding="utf-8")


def test_read_notebook_gives_each_source_as_one_string_for_the_kernel():
    # a file stores a cell's source as a list of lines; nbclient and the sweep
    # send it to the kernel as one string (a list broke every sweep run)
    from course_utils.tools.notebooks import read_notebook
    nb = read_notebook(Path(__file__).resolve().parents[1] / "notebooks"
                       / "04_jensen_and_the_elbo.ipynb")
    assert all(isinstance(cell.source, str) for cell in nb.cells)
