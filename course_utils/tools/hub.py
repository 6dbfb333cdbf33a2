"""The links a lecturer pastes into a course page, for her own JupyterHub.

    python -m course_utils.tools.hub https://hub.example.edu
    python -m course_utils.tools.hub https://hub.example.edu --lang he

prints a markdown table: every notebook of the edition, with its nbgitpuller link
(:func:`course_utils.tools.links.hub_url`). A student who clicks one logs in to the
hub, gets the course pulled into ``~/deep-generative-models`` (cloned the first
time, merged after: her own changes are kept) and sees that notebook open. The hub
needs nbgitpuller in its single-user environment (``.binder/requirements.txt``).
"""

from __future__ import annotations

import argparse
import sys

from course_utils.tools.links import (
    BRANCH,
    EDITIONS,
    LANGUAGES,
    REPO,
    edition_path,
    hub_url,
)
from course_utils.tools.notebooks import PublishError, lecturer_notebooks


def link_table(hub: str, edition: str = "student", language: str = "en",
               repo: str = REPO, branch: str = BRANCH) -> str:
    """A markdown table of every notebook of ``edition`` and its hub link."""
    rows = ["| notebook | link |", "|---|---|"]
    for path in lecturer_notebooks():
        url = hub_url(hub, path.name, edition, language, repo, branch)
        rows.append(f"| {path.stem} | [{edition_path(path.name, edition, language)}]"
                    f"({url}) |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.hub",
        description="Print the nbgitpuller links of every notebook for a JupyterHub.")
    parser.add_argument("hub", help="the hub's address, e.g. https://hub.example.edu")
    parser.add_argument("--edition", choices=EDITIONS, default="student")
    parser.add_argument("--lang", choices=LANGUAGES, default="en")
    parser.add_argument("--repo", default=REPO, help=f"default: {REPO}")
    parser.add_argument("--branch", default=BRANCH, help=f"default: {BRANCH}")
    args = parser.parse_args(argv)
    try:
        print(link_table(args.hub, args.edition, args.lang, args.repo, args.branch))
    except PublishError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
