"""Notebook files for the tools: reading, writing, finding, and their cells.

The one place where a cell's source and tags are read (:func:`cell_source`,
:func:`cell_tags`), and where the lecturer notebooks (``notebooks/NN_*.ipynb``)
are found; :class:`PublishError` is what the publishing tools raise.
"""

from __future__ import annotations

import json
from pathlib import Path

from course_utils.core.errors import CourseError

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


class PublishError(CourseError):
    """A notebook, file or folder is not in the shape a maintainer command needs
    (it cannot be read, is not a notebook, or cannot be written)."""


def cell_source(cell: dict) -> str:
    """The source of a cell as one string (a file may store it as a list)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def cell_tags(cell: dict) -> list[str]:
    """The tags of a cell (a new list; empty when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def repo_path(*parts: str) -> Path:
    """A path under the repository's root (the current folder outside a clone)."""
    # core.config imports torch, which the publishing commands do not need
    from course_utils.core.paths import repo_root

    return (repo_root() or Path.cwd()).joinpath(*parts)


def load_notebook(path: str | Path) -> dict:
    """The notebook at ``path`` as a dict (nbformat 4); one :class:`PublishError`
    naming the file, what is wrong and what to do when it is not one."""
    path = Path(path)
    fix = "restore it (git checkout -- FILE) or save it again from JupyterLab"
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise PublishError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise PublishError(f"{path} is a folder, not a notebook.") from None
    except UnicodeDecodeError as err:
        raise PublishError(f"{path} is not UTF-8 text (byte {err.start}): "
                           f"{fix}.") from None
    except json.JSONDecodeError as err:
        raise PublishError(f"{path} is not valid JSON (line {err.lineno}, column "
                           f"{err.colno}: {err.msg}): {fix}.") from None
    except OSError as err:
        raise PublishError(f"cannot read {path} ({err.strerror or err}).") from None
    version = nb.get("nbformat") if isinstance(nb, dict) else None
    if isinstance(version, int) and version < 4:
        raise PublishError(
            f"{path} is a notebook of nbformat {version}; the course reads nbformat "
            f"4: convert it with jupyter nbconvert --to notebook --nbformat 4 "
            f"--inplace {path}")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise PublishError(f"{path} is JSON but not a notebook (it has no list of "
                           f"cells): {fix}.")
    return nb


def read_notebook(path: str | Path) -> dict:
    """The notebook at ``path`` as nbformat's node (see :func:`load_notebook`)."""
    import nbformat  # nbformat: heavy to import; only notebook files need it

    nb = load_notebook(path)
    try:  # as nbformat.read gives it: each cell's source one string, as nbclient
        # and the kernel expect (a file stores it as a list of lines)
        return nbformat.reads(json.dumps(nb), as_version=4)
    except PublishError:
        raise
    except Exception as err:  # an nbformat 4 document nbformat cannot take
        raise PublishError(f"{path} is not a readable notebook ({err}).") from None


def notebook_text(nb: dict) -> str:
    """The notebook as Jupyter (and jupytext) write it, ending with a newline."""
    import nbformat  # nbformat: heavy to import; only notebook files need it

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def lecturer_notebooks(folder: str | Path | None = None) -> list[Path]:
    """The lecturer notebooks ``NN_*.ipynb`` of ``folder`` (default: notebooks/)."""
    folder = Path(folder) if folder else repo_path("notebooks")
    found = sorted(folder.glob(NOTEBOOK_GLOB))
    if not found:
        raise PublishError(f"no lecturer notebooks (NN_*.ipynb) in {folder}")
    return found


def select_notebooks(names: list[str], folder: Path | None = None) -> list[Path]:
    """The notebooks a command names: paths, or prefixes such as ``05`` that name
    one notebook in ``folder`` (default notebooks/); no names: every lecturer
    notebook there."""
    folder = folder or repo_path("notebooks")
    if not names:
        return lecturer_notebooks(folder)
    return [_one_notebook(name, folder) for name in names]


def _one_notebook(name: str, folder: Path) -> Path:
    path = Path(name)
    if path.exists():
        return path
    if path.suffix == ".ipynb" or len(path.parts) > 1:
        raise PublishError(f"{name} does not exist")
    matches = sorted(folder.glob(f"{name}*.ipynb"))
    if len(matches) != 1:
        where = folder.relative_to(repo_path()).as_posix() if folder.is_relative_to(
            repo_path()) else folder
        raise PublishError(f"{name!r} names no single notebook in {where}/")
    return matches[0]
