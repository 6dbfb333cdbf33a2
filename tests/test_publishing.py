"""Publishing: Colab badges and set-up cells, slide metadata, Binder's configuration,
offline slides and the executed HTML copy (``course_utils.tools``: ``links``,
``prepare``, ``assets``, ``site``, the ``publish`` command line, ``colab``).
No network: the web assets are stand-ins made here.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import types
from pathlib import Path

import nbformat
import pytest

from course_utils.tools import assets, colab, editions, links, prepare, publish, site
from course_utils.tools.notebooks import (
    NOTEBOOK_GLOB,
    PublishError,
    notebook_text,
    read_notebook,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob(NOTEBOOK_GLOB))
BINDER = ROOT / ".binder"
PREPARE = "run python -m course_utils.tools.publish prepare"


def md(source: str, **meta) -> dict:
    return nbformat.v4.new_markdown_cell(source, metadata=meta)


def code(source: str, **meta) -> dict:
    return nbformat.v4.new_code_cell(source, metadata=meta)


def small_notebook() -> dict:
    """A notebook in the course's skeleton, small enough to run in a second."""
    cells = [
        md("# 7.1.3 Variational AutoEncoders (VAE): a test\n\nOne sentence."),
        md("## What you will learn\n- one thing"),
        md("## Setup"),
        code("import math\n\nx = 2.0"),
        md("## 1. A claim\nThe math: $\\log p(x) \\geq \\mathrm{ELBO}$."),
        code("print(f'sqrt: {math.sqrt(x):.3f}')\n"
             "assert abs(math.sqrt(x) - 1.414) < 1e-3"),
        md("> **Note on the text (slip 5).** The KL lacks its -1."),
        md("## Exercises\n### Exercise 9.1: add one"),
        code("def add_one(v):\n    raise NotImplementedError('Exercise 9.1')",
             tags=["stub"]),
        code("def add_one(v):\n    return v + 1", tags=["solution"]),
        code("assert add_one(1) == 2", tags=["check"]),
        md("## Summary\n- done"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nbformat.from_dict(json.loads(json.dumps(nb)))


def slide_type(cell: dict) -> str:
    return cell["metadata"]["slideshow"]["slide_type"]


# Every lecturer notebook is prepared ------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_lecturer_notebook_is_prepared(path):
    found = prepare.problems(read_notebook(path), path.name)
    assert not found, f"{path.name} is not ready to publish ({'; '.join(found)}): " \
                      f"{PREPARE}"


# prepare ------------------------------------------------------------------------

def test_prepare_adds_badge_colab_cell_and_slides_and_is_idempotent():
    nb = small_notebook()
    assert prepare.problems(nb, "09_test.ipynb")
    once = prepare.prepare(nb, "09_test.ipynb")
    assert prepare.problems(once, "09_test.ipynb") == []
    twice = prepare.prepare(once, "09_test.ipynb")
    assert notebook_text(twice) == notebook_text(once)
    title = once.cells[0].source
    assert title.startswith("# 7.1.3 Variational AutoEncoders (VAE): a test\n\n")
    assert links.colab_url("09_test.ipynb") in title
    assert links.REPO.split("github.com/")[1] in title
    assert title.count("colab-badge.svg") == 1 and title.endswith("One sentence.")
    # the Colab cell sits right before "## Setup"
    setup = next(i for i, c in enumerate(once.cells) if c.source.startswith("## Setup"))
    assert once.cells[setup - 1].id == prepare.COLAB_CELL_ID
    assert sum(prepare.is_colab_cell(c) for c in once.cells) == 1
    assert all("slideshow" in c.metadata for c in once.cells)
    assert once.metadata["rise"] == prepare.RISE_SETTINGS


def test_prepare_follows_a_change_of_repository(monkeypatch):
    once = prepare.prepare(small_notebook(), "09_test.ipynb")
    monkeypatch.setattr(links, "REPO", "https://github.com/some-school/dgm")
    found = prepare.problems(once, "09_test.ipynb")
    assert any("badge" in f for f in found) and any("Colab set-up" in f for f in found)
    again = prepare.prepare(once, "09_test.ipynb")
    text = notebook_text(again)
    assert "some-school/dgm" in text and "dgm-course" not in text
    assert prepare.problems(again, "09_test.ipynb") == []


def test_prepare_moves_a_misplaced_colab_cell_and_rejects_a_missing_title():
    nb = prepare.prepare(small_notebook(), "09_test.ipynb")
    colab_cell = next(c for c in nb.cells if prepare.is_colab_cell(c))
    nb.cells.remove(colab_cell)
    nb.cells.append(colab_cell)
    assert any("out of place" in f for f in prepare.problems(nb, "09_test.ipynb"))
    fixed = prepare.prepare(nb, "09_test.ipynb")
    assert prepare.problems(fixed, "09_test.ipynb") == []
    untitled = small_notebook()
    untitled.cells[0].source = "Some text without a title"
    with pytest.raises(PublishError, match="title"):
        prepare.prepare(untitled, "09_test.ipynb")


def test_slide_types_make_the_slides_flow():
    nb = prepare.prepare(small_notebook(), "09_test.ipynb")
    kinds = {c.source.split("\n")[0][:30]: slide_type(c) for c in nb.cells}
    assert kinds["# 7.1.3 Variational AutoEncode"] == "slide"
    for heading in ("## What you will learn", "## Setup", "## 1. A claim",
                    "## Exercises", "## Summary"):
        assert kinds[heading] == "slide", heading
    assert kinds["> **Note on the text (slip 5)."] == "fragment"
    by_tag = {t: slide_type(c) for c in nb.cells for t in c.metadata.get("tags", [])}
    assert by_tag["solution"] == "notes"  # in the speaker view only
    assert by_tag[prepare.COLAB_TAG] == "skip"
    assert by_tag["stub"] == "-"  # the audience sees the task, not its check:
    assert by_tag["check"] == "notes"  # "correct." under the stub's raise, no


def test_long_sections_continue_on_subslides_and_manual_types_are_kept():
    long_code = "\n".join(f"y{i} = {i}" for i in range(15))
    shown = {"tags": ["show-code"]}  # long code on the slide, not collapsed
    cells = [md("# 7.1.1 Dimensionality Reduction: t"), md("## 1. Long"),
             code(long_code, **shown), code(long_code, **shown),
             code("plt.plot([1, 2])"),
             code("z = 1", slideshow={"slide_type": "slide"}, tags=["slide-manual"])]
    kinds = prepare.slide_types(cells)
    assert kinds[:4] == ["slide", "slide", "-", "subslide"]
    assert kinds[4] == "subslide"  # a figure does not fit under 15 lines of code
    assert kinds[5] == "slide"
    # the text that introduces a code cell moves down with it
    cells = [md("# 7.1.1 Dimensionality Reduction: t"), md("## 1. Long"),
             code(long_code, **shown), md("**Claim:** the sum is 105."),
             code(long_code, **shown)]
    assert prepare.slide_types(cells) == ["slide", "slide", "-", "subslide", "-"]


def test_long_code_is_collapsed_on_the_slides_and_open_for_students():
    long_code = "\n".join(f"y{i} = {i}" for i in range(prepare.SHOWN_CODE_LINES))
    long_code += "\nplt.plot([y0, y1])"  # code that draws a figure
    claim = "\n".join(f"assert {i} == {i}" for i in range(prepare.SHOWN_CODE_LINES + 1))
    longest = "\n".join(f"z{i} = {i}" for i in range(prepare.LONGEST_SHOWN_CODE + 1))
    nb = small_notebook()
    nb["cells"][2:2] = [md("## 0. Long code"), code(long_code), code(claim),
                        code(longest),
                        code(long_code, tags=["show-code"]),
                        code(long_code + "\nraise NotImplementedError",
                             tags=["stub"]),
                        code(long_code, tags=["solution"]),
                        code("ex.check()", tags=["check"])]
    ready = prepare.prepare(nb, "09_test.ipynb")
    folded = [c.source == long_code and c.metadata.get("jupyter", {}).get(
        "source_hidden", False) for c in ready.cells if c.cell_type == "code"]

    def hidden(end: str) -> bool:
        cell = next(c for c in ready.cells if c.source.endswith(end))
        return cell.metadata.get("jupyter", {}).get("source_hidden", False)

    assert sum(folded) == 1  # the plain long cell, not the one tagged show-code
    assert not hidden(f"assert {prepare.SHOWN_CODE_LINES} == "
                      f"{prepare.SHOWN_CODE_LINES}")  # a claim fits on a slide ...
    assert hidden(f"z{prepare.LONGEST_SHOWN_CODE} = {prepare.LONGEST_SHOWN_CODE}")
    assert not hidden("raise NotImplementedError")  # the exercise stays open
    assert not hidden("ex.check()") and not hidden("x = 2.0")  # short code too
    assert prepare.problems(ready, "09_test.ipynb") == []
    assert prepare.prepare(ready, "09_test.ipynb") == ready  # idempotent
    opened = json.loads(json.dumps(ready))  # someone opened the long cell by hand
    for cell in opened["cells"]:
        cell["metadata"].pop("jupyter", None) if cell["source"] == long_code else None
    assert any("not collapsed" in p for p in prepare.problems(opened, "09_test.ipynb"))
    student = editions.student_notebook(json.loads(json.dumps(ready)), "09_test")
    assert all(not c["metadata"].get("jupyter", {}).get("source_hidden")
               for c in student["cells"] if not prepare.is_colab_cell(c))
    assert any(prepare.is_colab_cell(c) and c["metadata"]["jupyter"]["source_hidden"]
               for c in student["cells"])  # Colab's cell stays folded


def test_prepare_file_and_the_command_line(tmp_path, capsys):
    path = tmp_path / "09_test.ipynb"
    path.write_text(notebook_text(small_notebook()), encoding="utf-8")
    assert publish.main(["prepare", "--check", str(path)]) == 1
    assert PREPARE in capsys.readouterr().err
    assert publish.main(["prepare", str(path)]) == 0
    first = path.read_text(encoding="utf-8")
    assert publish.main(["prepare", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == first  # idempotent on disk too
    assert publish.main(["prepare", "--check", str(path)]) == 0
    assert publish.main(["prepare", str(tmp_path / "nope.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert publish.main(["prepare", "77"]) == 2
    assert "names no single notebook" in capsys.readouterr().err


# The Colab cell and course_utils.tools.colab ------------------------------------------

def run_colab_cell(monkeypatch, on_colab: bool) -> list[tuple]:
    """Run the Colab cell's code with subprocess.run recorded, not executed."""
    calls = []
    fake = types.SimpleNamespace(run=lambda cmd, **kw: calls.append((cmd, kw)))
    monkeypatch.setitem(sys.modules, "subprocess", fake)
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(os.path, "isdir", lambda p: False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    exec(compile(links.colab_cell_source(), "colab-cell", "exec"), {})
    return calls


def test_colab_cell_does_nothing_outside_colab(monkeypatch):
    assert run_colab_cell(monkeypatch, on_colab=False) == []
    assert os.environ["COURSE_OFFLINE"] == "1"


def test_colab_cell_clones_installs_and_allows_the_download(monkeypatch):
    calls = run_colab_cell(monkeypatch, on_colab=True)
    (clone, _), (install, options) = calls
    assert clone[:2] == ["git", "clone"] and links.REPO in clone
    assert install[1:] == ["-m", "course_utils.tools.colab", "install"]
    assert options["cwd"] == links.COLAB_DIR
    assert links.COLAB_DIR in sys.path
    assert os.environ["COURSE_OFFLINE"] == "0"  # Fashion-MNIST may be downloaded


def test_colab_install_keeps_colabs_torch(capsys):
    commands = colab.install(ROOT, dry_run=True)
    assert len(commands) == 2
    requirements, package = commands
    names = {colab.requirement_name(r) for r in requirements[5:]}
    assert names.isdisjoint({"torch", "jupyterlab", "jupyterlab-widgets"}), names
    assert {"numpy", "pooch", "ipywidgets"} <= names
    # no options, and not JupyterLab's settings: Colab's page is not JupyterLab
    assert not any(r.startswith(("-", "./")) for r in requirements[5:])
    assert "--upgrade" not in requirements and "-U" not in requirements
    assert package[-3:] == ["--no-deps", "--editable", str(ROOT)]
    assert "$ pip install --quiet --no-deps" in capsys.readouterr().out


def test_colab_requirement_parsing():
    text = ("# comment\n-e .\n--extra-index-url https://x\ntorch>=2.3,<3\n"
            "Scikit_Learn>=1.4  # sklearn\n\njupyterlab-rise>=0.43\npooch\n")
    assert colab.colab_requirements(text) == ["Scikit_Learn>=1.4", "pooch"]
    assert colab.requirement_name("Scikit_Learn>=1.4") == "scikit-learn"
    assert colab.main(["install", "--repo-dir", "/nonexistent", "--dry-run"]) == 2


# Binder -------------------------------------------------------------------------

def requirement_lines(path: Path) -> dict[str, str]:
    lines = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        name = colab.requirement_name(raw)
        if name:
            lines[name] = raw.split("#", 1)[0].strip()
    return lines


def test_binder_configuration():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.1[0-3]", runtime), runtime
    binder = requirement_lines(BINDER / "requirements.txt")
    main = requirement_lines(ROOT / "requirements.txt")
    missing = set(main) - set(binder)
    assert not missing, f".binder/requirements.txt lacks {missing}"
    differ = {n: (main[n], binder[n]) for n in main if main[n] != binder[n]}
    assert not differ, f"ranges differ from requirements.txt: {differ}"
    assert "jupyterlab-rise" in binder, "the slides view needs jupyterlab-rise"
    text = (BINDER / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text, \
        "torch must come from the CPU-only index (no CUDA build on Binder)"
    assert "-e ." not in text  # installed by postBuild, after the checkout is there
    apt = (BINDER / "apt.txt").read_text().split("\n")
    assert "dataset-fashion-mnist" in apt
    post = BINDER / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable"
    script = post.read_text()
    # a copy, not an editable install (a hub's home volume hides the image's home),
    # and the hook that makes a pulled checkout import its own course_utils
    assert "pip install --no-deps ." in script and "--editable" not in script
    assert "python -m course_utils.tools.checkout install" in script
    hub = requirement_lines(ROOT / "requirements-hub.txt")
    for name in ("nbgitpuller", "jupyterhub"):
        assert name in binder and binder[name].split(",")[-1] == hub[name].split(
            ",")[-1], f"{name}: the image's major version is the test hub's"


def test_readme_sends_students_to_the_student_edition():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### A student")
    lecturer = text.index("### A lecturer")
    assert start < text.index("## The notebooks"), "the README starts with its readers"
    student_part, lecturer_part = text[start:lecturer], text[lecturer:]
    for url in (links.binder_url(), links.colab_url("00_start_here.ipynb", "student")):
        assert url in student_part, f"README: the student badge {url} is missing"
    for url in (links.binder_url(edition="lecturer"),
                links.colab_url("00_start_here.ipynb")):
        assert url in lecturer_part, f"README: the lecturer badge {url} is missing"
        assert url not in student_part, "a student badge opens the lecturer edition"
    command = re.search(r"<!-- course-command -->\s*```bash\n(.+?)\n```", text, re.S)
    assert command and "notebooks/student/00_start_here.ipynb" in command.group(1)
    assert text.index("python -m venv") < command.start(), \
        "the virtual-environment advice comes before the first command"


# Widget logic, without a browser ------------------------------------------------

def run_code_cells(path: Path, until: str) -> dict:
    """Run a notebook's code cells in order, up to the first one containing
    ``until``, in a plain namespace (no kernel, no front end); return it."""
    namespace: dict = {}
    for cell in read_notebook(path).cells:
        if cell.cell_type == "code" and not prepare.is_colab_cell(cell):
            exec(compile(cell.source, f"{path.name} cell", "exec"), namespace)
            if until in cell.source:
                return namespace
    raise AssertionError(f"{path.name}: no code cell contains {until!r}")


def test_start_here_glossary_widget_answers_a_search(monkeypatch):
    path = ROOT / "notebooks" / "00_start_here.ipynb"
    if not path.exists():
        pytest.skip("00_start_here.ipynb is not written yet")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    ns = run_code_cells(path, until="search_box")
    ns["search_box"].value = "bottleneck"  # what a student types
    assert "צוואר בקבוק" in ns["answer"].value
    ns["search_box"].value = "no such term at all"
    assert "No term matches" in ns["answer"].value


# Offline slides and the HTML copy ------------------------------------------------

@pytest.fixture
def fake_assets(tmp_path, monkeypatch):
    """Stand-ins for reveal.js and MathJax (the export only copies them)."""
    folder = tmp_path / "assets-src"
    for package in assets.WEB_PACKAGES:
        for name in package.files:
            path = folder / package.folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"/* stand-in for {package.name} {name} */\n")
    monkeypatch.setenv("COURSE_WEB_ASSETS", str(folder))
    return folder


def test_missing_assets_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_WEB_ASSETS", str(tmp_path / "empty"))
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    assert "mathjax/es5/tex-svg-full.js" in assets.missing_assets()
    with pytest.raises(PublishError,
                       match="python -m course_utils.tools.publish assets"):
        assets.fetch_assets()
    with pytest.raises(PublishError, match="COURSE_WEB_ASSETS"):
        assets.copy_assets(tmp_path / "out")


@pytest.mark.parametrize("kind", ["slides", "html"])
def test_export_runs_the_notebook_and_loads_nothing_from_the_web(
        kind, tmp_path, fake_assets):
    path = tmp_path / "09_test.ipynb"
    nb = prepare.prepare(small_notebook(), path.name)
    path.write_text(notebook_text(nb), encoding="utf-8")
    out = tmp_path / kind
    report = site.export([path], out, kind, run=True, fast=True)
    assert report == {"written": [f"09_test{'.slides' if kind == 'slides' else ''}"
                                  ".html"], "failed": []}
    page = (out / report["written"][0]).read_text(encoding="utf-8")
    assert site.remote_references(page) == [], "a script or style from the web"
    assert "sqrt: 1.414" in page  # the notebook ran: its numbers are in the page
    assert 'src="assets/mathjax/es5/tex-svg-full.js"' in page
    for package in assets.WEB_PACKAGES:
        for name in package.files:
            wanted = kind == "slides" or package.name == "mathjax"
            assert (out / "assets" / package.folder / name).is_file() == wanted
    assert "09_test" in (out / "index.html").read_text()
    assert links.colab_cell_source().split("\n")[0] not in page  # cell skipped
    if kind == "slides":
        assert 'src="assets/reveal.js/dist/reveal.js"' in page
        assert "colab-badge.svg" not in page  # a picture from the web
        assert '<aside class="notes">' in page  # the solution, for the speaker
    else:
        assert "colab-badge.svg" not in page  # a picture from the web ...
        assert links.colab_url("09_test.ipynb") in page  # ... made a plain link


def test_pages_show_widgets_as_stills_and_no_kernel_log():
    nb = prepare.prepare(small_notebook(), "09_test.ipynb")
    widget = {"version_major": 2, "version_minor": 0, "model_id": "abc"}
    cell = next(c for c in nb.cells
                if c.cell_type == "code" and not prepare.is_colab_cell(c))
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=(
            "[IPKernelApp] WARNING | Kernel is running over TCP without "
            "encryption.\n")),
        nbformat.v4.new_output("display_data", data={  # a LiveView: its still
            site.WIDGET_VIEW: widget, "text/plain": "LiveView(children=(HBox(",
            "text/html": "<img src='data:image/png;base64,AAAA'> a still"}),
        nbformat.v4.new_output("display_data", data={  # any other widget
            site.WIDGET_VIEW: widget, "text/plain": "Text(value='')"}),
        nbformat.v4.new_output("stream", name="stderr", text="a real warning\n"),
        nbformat.v4.new_output("display_data", data={  # a progress bar
            site.WIDGET_VIEW: widget, "text/plain": "epochs: 100%|####| 4/4"}),
    ]
    for keep_badge in (True, False):
        page = site._for_pages(nb, keep_badge=keep_badge)
        outputs = next(c for c in page["cells"] if c["cell_type"] == "code")["outputs"]
        shown = json.dumps(outputs)
        assert "IPKernelApp" not in shown and "a real warning" in shown
        assert site.WIDGET_VIEW not in shown and "LiveView(" not in shown
        assert "a still" in shown and site.WIDGET_NOTE in json.dumps(outputs[1])
        assert outputs[-1]["data"] == {"text/plain": "epochs: 100%|####| 4/4"}
        title = page["cells"][0]["source"]
        assert "colab-badge.svg" not in title
        assert (links.colab_url("09_test.ipynb") in title) == keep_badge


def test_export_reports_a_failing_notebook_and_goes_on(tmp_path, fake_assets, capsys):
    bad = small_notebook()
    bad.cells[5].source = "assert 1 == 2, 'the claim fails'"
    good = small_notebook()
    paths = []
    for name, nb in (("08_bad.ipynb", bad), ("09_good.ipynb", good)):
        paths.append(tmp_path / name)
        paths[-1].write_text(notebook_text(nb), encoding="utf-8")
    report = site.export(paths, tmp_path / "site", "html", fast=True)
    assert report["written"] == ["09_good.html"]
    assert len(report["failed"]) == 1 and "08_bad.ipynb" in report["failed"][0]
    assert "the claim fails" in report["failed"][0]


def test_remote_references_finds_cdn_scripts_and_styles():
    page = ('<script src="https://unpkg.com/reveal.js"></script>'
            '<link rel="stylesheet" href="//cdn.x/y.css">'
            '<script src="assets/a.js"></script><a href="https://ok.org">a link</a>')
    assert len(site.remote_references(page)) == 2


def test_a_second_export_keeps_the_first_in_the_index(tmp_path, fake_assets):
    """`publish slides 06` after `publish slides 04` wrote an index of 06 only."""
    paths = []
    for name in ("04_first.ipynb", "06_second.ipynb"):
        paths.append(tmp_path / name)
        nb = prepare.prepare(small_notebook(), name)
        paths[-1].write_text(notebook_text(nb), encoding="utf-8")
    out = tmp_path / "slides"
    site.export([paths[1]], out, "slides", run=False)
    site.export([paths[0]], out, "slides", run=False)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "04_first.slides.html" in index and "06_second.slides.html" in index
    assert index.index("04_first") < index.index("06_second")  # in course order
    (out / "06_second.slides.html").unlink()  # a page removed by hand
    site.export([paths[0]], out, "slides", run=False)
    assert "06_second" not in (out / "index.html").read_text(encoding="utf-8")
