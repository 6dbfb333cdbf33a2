"""Google Colab support: what the guarded set-up cell of every notebook runs there.

On Colab the notebook's first code cell (written by
``python -m course_utils.tools.publish prepare``) clones the course repository at
the notebook's version (``COURSE_REF``, see :func:`links.course_ref`) and runs
``python -m course_utils.tools.colab install`` inside the clone. That command

- installs the course's requirements that Colab lacks, from ``requirements.txt``,
  leaving out ``torch`` (Colab's own CUDA build must stay as it is) and the
  JupyterLab server packages (Colab brings its own front end); nothing already
  installed in a fitting version is upgraded (Colab's ipywidgets 7.7 stays);
- installs ``course_utils`` itself from the clone with ``--no-deps``.

Only the standard library is imported here, so this runs before anything else is
installed. Elsewhere (a laptop, Binder) the cell does nothing.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

#: Requirements never installed on Colab: its torch, and JupyterLab's own parts
#: (Colab's page draws widgets itself, with its ipywidgets 7.7).
COLAB_SKIP = ("torch", "jupyterlab", "jupyterlab-rise", "jupyterlab-widgets",
              "notebook")

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(line: str) -> str | None:
    """The normalised project name of one requirements line, or None for a blank
    line, a comment or an option (``-e .``, ``-r file``, ``--index-url ...``)."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    match = _NAME.match(line)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else None


def colab_requirements(text: str, skip: tuple[str, ...] = COLAB_SKIP) -> list[str]:
    """The lines of a requirements file that Colab should install.

    Comments, options (``-e .``) and the projects in ``skip`` are left out; every
    other line is kept as written, with its version range.
    """
    kept = []
    for raw in text.splitlines():
        name = requirement_name(raw)
        if name is None or name in skip:
            continue
        kept.append(raw.split("#", 1)[0].strip())
    return kept


def install_commands(repo_dir: str | Path) -> list[list[str]]:
    """The pip commands :func:`install` runs, in order (no upgrades, quiet)."""
    repo_dir = Path(repo_dir)
    requirements = repo_dir / "requirements.txt"
    if not requirements.is_file():
        raise FileNotFoundError(
            f"{requirements} is missing: run this from the root of the course's "
            "clone (the Colab set-up cell does).")
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    wanted = colab_requirements(requirements.read_text(encoding="utf-8"))
    commands = [pip + wanted] if wanted else []
    commands.append(pip + ["--no-deps", "--editable", str(repo_dir)])
    return commands


def install(repo_dir: str | Path = ".", dry_run: bool = False) -> list[list[str]]:
    """Install the course's requirements (except torch) and ``course_utils``."""
    commands = install_commands(repo_dir)
    for command in commands:
        print("$", " ".join(command[2:]))
        if not dry_run:
            subprocess.run(command, check=True)
    return commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.colab",
        description="Install the course on Google Colab without touching its torch.")
    parser.add_argument("command", choices=["install"])
    parser.add_argument("--repo-dir", default=".", help="the course's clone")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the pip commands, run nothing")
    args = parser.parse_args(argv)
    try:
        install(args.repo_dir, dry_run=args.dry_run)
    except (FileNotFoundError, subprocess.CalledProcessError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
