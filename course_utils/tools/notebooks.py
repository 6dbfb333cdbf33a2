"""Notebook files for the tools: reading, writing, finding, and their cells.

The one place where a cell's source and tags are read (:func:`cell_source`,
:func:`cell_tags`), and where the lecturer notebooks (``notebooks/NN_*.ipynb``)
are found; :class:`PublishError` is what the publishing tools raise.
"""

from __future__ import annotations

from pathlib import Path

from course_utils.core.errors import CourseError

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


class PublishError(CourseError):
    """A notebook or a folder is not in the shape a publishing command needs."""


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


def read_notebook(path: str | Path) -> dict:
    """The notebook at ``path`` (nbformat 4); a clear error when it is not one."""
    import nbformat  # nbformat: heavy to import; only notebook files need it

    path = Path(path)
    try:
        return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except FileNotFoundError:
        raise PublishError(f"{path} does not exist.") from None
    except Exception as err:  # not JSON, not a notebook
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


def select_notebooks(names: list[str]) -> list[Path]:
    """The notebooks a command names: paths, or prefixes such as ``05`` that name
    one notebook in notebooks/; no names: every lecturer notebook."""
    if not names:
        return lecturer_notebooks()
    return [_one_notebook(name) for name in names]


def _one_notebook(name: str) -> Path:
    path = Path(name)
    if path.exists():
        return path
    if path.suffix == ".ipynb" or len(path.parts) > 1:
        raise PublishError(f"{name} does not exist")
    matches = sorted(repo_path("notebooks").glob(f"{name}*.ipynb"))
    if len(matches) != 1:
        raise PublishError(f"{name!r} names no single notebook in notebooks/")
    return matches[0]
