"""The models are written in the notebooks; course_utils' copies are generated
from the cells marked ``#| export`` (course_utils.tools.export)."""

from __future__ import annotations

import json
import shutil

import pytest

from course_utils.tools import export


@pytest.mark.parametrize("item", export.EXPORTS, ids=lambda e: e.module)
def test_generated_module_matches_its_notebook(item):
    text = (export.ROOT / item.module).read_text(encoding="utf-8")
    assert text == export.module_text(item), (
        f"{item.module} differs from the cells marked '#| export' in "
        f"notebooks/{item.notebook}: run python -m course_utils.tools.export")


@pytest.mark.parametrize("item", export.EXPORTS, ids=lambda e: e.notebook)
def test_every_exported_name_is_defined_in_the_notebook_that_teaches_it(item):
    cells = export.exported_cells(export.ROOT / "notebooks" / item.notebook)
    assert cells and cells[0].lstrip().startswith(("import", "from")), (
        "the first exported cell holds the module's imports")


def _copy_course(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for item in export.EXPORTS:
        shutil.copy(export.ROOT / "notebooks" / item.notebook,
                    tmp_path / "notebooks" / item.notebook)
        target = tmp_path / item.module
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(export.ROOT / item.module, target)
    return tmp_path


def test_an_edited_cell_makes_the_module_stale_until_exported(tmp_path):
    root = _copy_course(tmp_path)
    assert export.stale(root) == []
    item = next(e for e in export.EXPORTS if e.module.endswith("vae.py"))
    path = root / "notebooks" / item.notebook
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                and "class VAE(nn.Module):" in "".join(c["source"]))
    cell["source"].append("\n# a student's change\n")
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert export.stale(root) == [item]
    assert export.write_all(root) == [root / item.module]
    assert "# a student's change" in (root / item.module).read_text(encoding="utf-8")
    assert export.stale(root) == []


def test_unmarked_notebook_is_one_clear_error(tmp_path):
    (tmp_path / "notebooks").mkdir()
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1"], "metadata": {}}]}
    item = export.EXPORTS[0]
    (tmp_path / "notebooks" / item.notebook).write_text(json.dumps(nb))
    with pytest.raises(export.ExportError, match="#| export"):
        export.module_text(item, tmp_path)


def test_check_command_reports_and_exits(capsys):
    assert export.main(["--check"]) == 0
    assert "matches" in capsys.readouterr().out
