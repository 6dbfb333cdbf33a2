"""The notebooks are committed clean, follow the course skeleton, import only what
requirements.txt installs; the repository keeps the layout the client drew, and
its code is ruff-clean."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.tools.editions import is_stub

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
SECTION_TITLES = ("7. Deep Generative Models", "7.1.1 Dimensionality Reduction",
                  "7.1.2 Autoencoders (AE)", "7.1.3 Variational AutoEncoders (VAE)",
                  "7.2 Generative Adversarial Networks (GANs)",
                  "7.3 Autoregressive Models")
# import name -> the requirements.txt entry that installs it
PROVIDED_BY = {"sklearn": "scikit-learn", "IPython": "jupyterlab",
               "ipykernel": "jupyterlab", "mpl_toolkits": "matplotlib",
               "cycler": "matplotlib", "PIL": "matplotlib"}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _markdown(nb: dict) -> list[str]:
    return [_source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def _requirements() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~\[; ]", line)[0].lower())
    return names


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1 and NOTEBOOKS[0].name == "00_start_here.ipynb"


def test_notebook_numbers_are_consecutive():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_clean(path):
    nb = _load(path)
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have outputs or execution counts;"
                       " run `jupyter nbconvert --clear-output --inplace` on it")
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    assert all("id" in c for c in nb["cells"]), "every cell needs an id (nbformat 4.5)"


def test_maintainers_have_a_guard_against_committed_outputs():
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "kynan/nbstripout" in config and "--keep-id" in config, (
        ".pre-commit-config.yaml: the nbstripout hook (keeping cell ids) is missing")
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "pre-commit install" in guide and "nbstripout" in guide


def test_the_repository_stands_on_its_own():
    for name in ("README.md", "CONTRIBUTING.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "../shared" not in text, f"{name} points outside the repository"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_follows_the_skeleton(path):
    nb = _load(path)
    md = _markdown(nb)
    first = _source(nb["cells"][0])
    assert nb["cells"][0]["cell_type"] == "markdown" and first.startswith("# ")
    assert any(title in first.splitlines()[0] for title in SECTION_TITLES), (
        f"{path.name}: the title must name the chapter section as the book does, "
        f"one of {SECTION_TITLES}")
    headings = [line.strip() for text in md for line in text.splitlines()
                if line.startswith("## ")]
    for required in ("## What you will learn", "## Setup", "## Exercises",
                     "## Summary"):
        assert required in headings, f"{path.name}: missing the heading {required!r}"
    order = [headings.index(h) for h in ("## What you will learn", "## Setup",
                                         "## Exercises", "## Summary")]
    assert order == sorted(order), f"{path.name}: skeleton sections out of order"
    learn = next(t for t in md if "## What you will learn" in t)
    summary = next(t for t in md if "## Summary" in t)
    for name, text in (("What you will learn", learn), ("Summary", summary)):
        bullets = [ln for ln in text.splitlines() if ln.startswith("- ")]
        assert 3 <= len(bullets) <= 5, f"{path.name}: {name} needs 3 to 5 bullets"
    assert summary == md[-1], f"{path.name}: the Summary must be the last section"
    numbered = [h for h in headings if re.match(r"## \d+\. ", h)]
    assert numbered, f"{path.name}: sections are numbered '## 1. ...'"
    code = [_source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    assert any("setup(" in c for c in code[:3]), f"{path.name}: call setup() early"


def formula_breaks_in_quotes(markdown: str) -> list[str]:
    """Lines of a quote (``> ...``) on which an inline or display formula opens
    but does not close. JupyterLab and the slides take the maths out before the
    markdown, so the next line's ``>`` would end up inside the formula."""
    broken = []
    for line in markdown.splitlines():
        if not line.lstrip().startswith(">"):
            continue
        text = re.sub(r"`[^`]*`", "", line.replace("\\$", ""))
        display = text.count("$$")
        if display % 2 or text.replace("$$", "").count("$") % 2:
            broken.append(line)
    return broken


def test_formula_break_detector():
    assert formula_breaks_in_quotes("> a $x +\n> y$ b") == ["> a $x +", "> y$ b"]
    assert formula_breaks_in_quotes("> a $x$ and `$` and \\$5\n> $$y$$") == []
    assert formula_breaks_in_quotes("a $x +\ny$ outside a quote") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_formula_spans_lines_of_a_quote(path):
    broken = [line for text in _markdown(_load(path))
              for line in formula_breaks_in_quotes(text)]
    assert not broken, (f"{path.name}: a formula inside a quote ('> ...') runs on "
                        f"to the next line, where the '>' lands inside it; keep "
                        f"each formula on one line: {broken}")


def formula_lines_read_as_list_items(markdown: str) -> list[str]:
    """Lines inside an inline formula (``$...$``) that start like a list item
    ("- 1)$", "+ a(1-f)..."): nbconvert's markdown reads them as a new item and
    the formula breaks in every export (the HTML site, the offline slides)."""
    text = re.sub(r"\$\$.*?\$\$", "", markdown.replace("\\$", ""), flags=re.S)
    return [line for m in re.finditer(r"(?<!\$)\$(?!\$)([^$]*?)\$", text)
            for line in m.group(1).split("\n")[1:]
            if re.match(r"\s*([-+*]\s|\d+[.)]\s)", line)]


def test_list_marker_detector():
    assert formula_lines_read_as_list_items("- a: $x^2\n  - 1)$.") == ["  - 1)"]
    assert formula_lines_read_as_list_items("$x +\n  y$ and $$a\n- b$$") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_formula_line_reads_as_a_list_item(path):
    broken = [line for text in _markdown(_load(path))
              for line in formula_lines_read_as_list_items(text)]
    assert not broken, (f"{path.name}: a line inside a formula starts like a list "
                        f"item, which breaks the formula in exports; end the line "
                        f"before with the operator: {broken}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercises_are_tagged(path):
    nb = _load(path)
    tags = [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]
    assert tags.count("stub") >= 1 and tags.count("check") >= 1
    solutions = sum("solution" in c.get("metadata", {}).get("tags", [])
                    for c in nb["cells"] if c["cell_type"] == "code")
    assert solutions == tags.count("stub")
    for cell in nb["cells"]:
        if "stub" in cell.get("metadata", {}).get("tags", []):
            assert is_stub(_source(cell)), _source(cell)


def _imports(code: str) -> set[str]:
    lines = [ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_import_is_installable(path):
    nb = _load(path)
    wanted = set().union(*(_imports(_source(c)) for c in nb["cells"]
                           if c["cell_type"] == "code"))
    required = _requirements()
    missing = []
    for name in sorted(wanted):
        if name in sys.stdlib_module_names or name == "course_utils":
            continue
        if PROVIDED_BY.get(name, name).lower() not in required:
            missing.append(name)
    assert not missing, f"{path.name} imports {missing}, not in requirements.txt"


def test_layout_is_as_drawn():
    # requirements-hub.txt and deploy/: a class's JupyterHub (issue 28 asks for both);
    # requirements-grade.txt: its graded course (nbgrader)
    allowed = {"README.md", "README.he.md", "translations", "requirements.txt",
               "requirements-test.txt", "requirements-hub.txt",
               "requirements-grade.txt", "deploy",
               "pyproject.toml", "CONTRIBUTING.md",
               "notebooks", "course_utils", "data", "tests", ".ci", ".binder",
               ".gitignore", ".git", ".pre-commit-config.yaml"}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                             text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    top = {line.split("/")[0] for line in tracked.stdout.splitlines()}
    assert top <= allowed, f"unexpected top-level entries: {sorted(top - allowed)}"
    junk = [f for f in tracked.stdout.splitlines()
            if re.search(r"(\.pyc$|Untitled|\.ipynb_checkpoints|\.idea/|\.DS_Store)",
                         f)]
    assert not junk, f"junk files are tracked: {junk}"


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme,
                      re.S)
    assert match, "README.md must show the test command after <!-- test-command -->"
    command = match.group(1).strip()
    assert command in ci, ".ci/run must run exactly the README's test command"


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_is_clean():
    result = subprocess.run(["ruff", "check", "course_utils", "tests", "notebooks"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


# The package's structure (README, "How the code is organised") ----------------

LAYERS = ("core", "topics", "tools")  # a layer imports only from itself and before
PACKAGE_MODULES = sorted(p for p in (ROOT / "course_utils").rglob("*.py")
                         if "exercises" not in p.parts or p.name == "__init__.py")


def _module_imports(path: Path) -> list[tuple[ast.AST, str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((node, a.name, []) for a in node.names)
    return out


@pytest.mark.parametrize("path", PACKAGE_MODULES,
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_layers_private_names_and_size(path):
    rel = path.relative_to(ROOT / "course_utils").parts
    layer = LAYERS.index(rel[0]) if rel[0] in LAYERS else None
    for node, module, names in _module_imports(path):
        parts = module.split(".")
        if parts[0] == "course_utils" and len(parts) > 1 and layer is not None:
            assert LAYERS.index(parts[1]) <= layer, (
                f"{path.name}:{node.lineno}: the {LAYERS[layer]} layer imports from "
                f"{parts[1]} ({module})")
        private = [n for n in names if n.startswith("_") and n != "__future__"]
        assert not private or parts[0] != "course_utils", (
            f"{path.name}:{node.lineno}: imports private names {private} of {module}")
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= 400, f"{path.name} has {lines} lines; split it by job"


@pytest.mark.parametrize("path", PACKAGE_MODULES,
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_inside_functions_say_why(path):
    """An import inside a function is there for a heavy optional dependency or a
    cycle, and a comment on it or just above says which."""
    text = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(text))
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                here = text[node.lineno - 1]
                above = text[node.lineno - 2].strip()
                assert "#" in here or above.startswith("#") or (
                    above.startswith(("import ", "from "))), (
                    f"{path.name}:{node.lineno}: an import inside a function needs "
                    "a comment saying which heavy dependency or cycle it avoids")
