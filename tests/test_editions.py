"""The student edition: generated from the lecturer edition, never overwriting a
student's work, and tested so that only the stubs raise, only NotImplementedError."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import nbformat
import pytest

from course_utils.tools import links
from course_utils.tools.editions import (
    EditionError,
    generate,
    main,
    stale,
    student_notebook,
)

ROOT = Path(__file__).resolve().parent.parent


def _notebook(stub_body: str = 'raise NotImplementedError("Exercise 9.1")',
              solution: bool = True) -> dict:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    cells = [
        nbformat.v4.new_markdown_cell("# 7.1 A title"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell(f"def f():\n    {stub_body}", metadata={
            "tags": ["stub"]}),
    ]
    if solution:
        cells.append(nbformat.v4.new_code_cell("def f():\n    return 42",
                                               metadata={"tags": ["solution"]}))
        cells.append(nbformat.v4.new_markdown_cell("Why 42.",
                                                   metadata={"tags": ["solution"]}))
    cells.append(nbformat.v4.new_code_cell("assert f() == 42", metadata={
        "tags": ["check"]}))
    cells.append(nbformat.v4.new_markdown_cell("## Summary"))
    nb.cells = cells
    return json.loads(nbformat.writes(nb))


def test_student_notebook_removes_solutions_and_tags_checks():
    student = student_notebook(_notebook())
    sources = ["".join(c["source"]) for c in student["cells"]]
    assert not any("return 42" in s or "Why 42" in s for s in sources)
    assert any("NotImplementedError" in s for s in sources)
    check = [c for c in student["cells"] if "check" in c["metadata"].get("tags", [])]
    assert check and "raises-exception" in check[0]["metadata"]["tags"]
    assert "Student edition" in "".join(student["cells"][1]["source"])
    assert student["metadata"]["course_edition"] == "student"


def test_inconsistent_tags_are_refused():
    with pytest.raises(EditionError, match="stub"):
        student_notebook(_notebook(solution=False))
    with pytest.raises(EditionError, match="NotImplementedError"):
        student_notebook(_notebook(stub_body="return 0"))


def test_generate_never_overwrites_a_students_work(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "01_demo.ipynb").write_text(json.dumps(_notebook()))
    assert generate(src, out)["written"] == ["01_demo.ipynb"]
    assert generate(src, out)["unchanged"] == ["01_demo.ipynb"]
    # the student works on the notebook ...
    edited = (out / "01_demo.ipynb").read_text().replace("x = 1", "x = 2")
    (out / "01_demo.ipynb").write_text(edited)
    # ... and the lecturer edition changes: the student's copy is kept
    changed = _notebook()
    changed["cells"][1]["source"] = "x = 3"
    (src / "01_demo.ipynb").write_text(json.dumps(changed))
    report = generate(src, out)
    assert report["kept"] == ["01_demo.ipynb"]
    assert (out / "01_demo.ipynb").read_text() == edited
    # the command says so and exits non-zero
    assert main(["--src", str(src), "--out", str(out)]) == 1
    assert (out / "01_demo.ipynb").read_text() == edited
    # --force overwrites on purpose
    assert generate(src, out, force=True)["written"] == ["01_demo.ipynb"]
    assert "x = 3" in (out / "01_demo.ipynb").read_text()


def test_every_lecturer_notebook_has_a_student_edition(tmp_path):
    report = generate(ROOT / "notebooks", tmp_path)
    lecturer = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(n for n in report["written"] if n.endswith(".ipynb")) == lecturer
    assert "rise.css" in report["written"]  # the live slides' style goes along


def test_committed_student_edition_is_up_to_date():
    found = stale(ROOT / "notebooks", ROOT / "notebooks" / "student")
    assert not found, (f"notebooks/student/ is out of date with the lecturer "
                       f"notebooks ({found}): run python -m course_utils.tools.editions"
                       " and commit notebooks/student/")


def test_stale_sees_a_changed_lecturer_notebook(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "01_demo.ipynb").write_text(json.dumps(_notebook()))
    (src / "rise.css").write_text(".reveal {}")
    assert stale(src, out) == ["01_demo.ipynb", "rise.css"]  # nothing written yet
    generate(src, out)
    assert stale(src, out) == [] and main(["--check", "--src", str(src),
                                           "--out", str(out)]) == 0
    changed = _notebook()
    changed["cells"][1]["source"] = "x = 3"
    (src / "01_demo.ipynb").write_text(json.dumps(changed))
    (out / "02_gone.ipynb").write_text("{}")
    assert stale(src, out) == ["01_demo.ipynb", "02_gone.ipynb"]
    assert main(["--check", "--src", str(src), "--out", str(out)]) == 1


def test_student_badge_opens_the_student_edition():
    nb = _notebook()
    nb["cells"][0]["source"] = "# 7.1 A title\n\n" + links.colab_badge("01_demo.ipynb")
    title = student_notebook(nb, "01_demo.ipynb")["cells"][0]["source"]
    assert links.colab_url("01_demo.ipynb", "student") in title
    assert "notebooks/student/01_demo.ipynb" in title
    assert links.LECTURER_LABEL not in title and title.count("colab-badge.svg") == 1


#: a stub's body, and whether nbval should pass the student edition with it
STUB_BODIES = {"not_done": ('raise NotImplementedError("Exercise 9.1")', True),
               "bug": ('raise ValueError("a bug in the notebook")', False),
               "solution_left": ("return 42", False)}


def test_student_run_accepts_only_not_implemented(tmp_path):
    """nbval with the tests' conftest, on three student notebooks at once (one
    pytest, one start-up): only an unfilled stub's NotImplementedError passes."""
    for name, (body, _) in STUB_BODIES.items():
        student = student_notebook(_notebook())
        stub = next(c for c in student["cells"]
                    if "stub" in c["metadata"].get("tags", []))
        stub["source"] = f"def f():\n    {body}"
        (tmp_path / f"{name}.ipynb").write_text(json.dumps(student))
    env = {**os.environ,  # this checkout's course_utils, and the tests' conftest
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    report = tmp_path / "report.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "--nbval-lax",
         "--nbval-current-env", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), "-c", os.devnull, f"--junitxml={report}",
         *sorted(str(p) for p in tmp_path.glob("*.ipynb"))],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    failed = {case.get("classname", "").split(".")[0]
              for case in ElementTree.parse(report).iter("testcase")
              if case.find("failure") is not None or case.find("error") is not None}
    for name, (_, should_pass) in STUB_BODIES.items():
        assert (name not in failed) == should_pass, (name, result.stdout[-2000:])


# --force keeps a backup; --out may not be the lecturer folder ------------------

def _edition(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "01_demo.ipynb").write_text(json.dumps(_notebook()))
    generate(src, out)
    return src, out


def test_force_keeps_a_timestamped_backup_and_says_where(tmp_path, capsys):
    src, out = _edition(tmp_path)
    target = out / "01_demo.ipynb"
    edited = target.read_text().replace("x = 1", "x = 2  # my work")
    target.write_text(edited)
    changed = _notebook()
    changed["cells"][1]["source"] = "x = 3"
    (src / "01_demo.ipynb").write_text(json.dumps(changed))
    assert main(["--src", str(src), "--out", str(out)]) == 1
    assert "--force" not in capsys.readouterr().err  # the advice is not to destroy
    assert main(["--src", str(src), "--out", str(out), "--force"]) == 0
    said = capsys.readouterr().out
    (backup,) = (out / "backups").glob("01_demo-*.ipynb")
    assert backup.read_text() == edited and str(backup) in said
    assert "x = 3" in target.read_text()


def test_out_may_not_be_the_lecturer_folder(tmp_path):
    src, _ = _edition(tmp_path)
    lecturer = (src / "01_demo.ipynb").read_text()
    with pytest.raises(EditionError, match="lecturer notebooks"):
        generate(src, src, force=True)
    assert main(["--src", str(src), "--out", str(src), "--force"]) == 2
    assert (src / "01_demo.ipynb").read_text() == lecturer


def test_a_notebook_saved_again_unchanged_is_not_an_edit(tmp_path):
    src, out = _edition(tmp_path)
    target = out / "01_demo.ipynb"
    # another writer: sorted keys, its own indentation, sources as one string
    nb = json.loads(target.read_text())
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"])
    target.write_text(json.dumps(nb, indent=2, sort_keys=True))
    changed = _notebook()
    changed["cells"][1]["source"] = "x = 3"
    (src / "01_demo.ipynb").write_text(json.dumps(changed))
    report = generate(src, out)
    assert report["written"] == ["01_demo.ipynb"] and not report["kept"]
