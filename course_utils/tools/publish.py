"""Publishing the course, from the command line (run from the repository root)::

    python -m course_utils.tools.publish prepare   # badge, Colab cell, slide types
    python -m course_utils.tools.publish prepare --check   # report what is missing
    python -m course_utils.tools.publish release v1.0   # Colab cells install v1.0
    python -m course_utils.tools.publish assets    # fetch reveal.js, MathJax once
    python -m course_utils.tools.publish slides    # offline reveal.js slides
    python -m course_utils.tools.publish html      # executed HTML copy
    python -m course_utils.tools.publish html --lang he   # the Hebrew edition's

This module only dispatches; the work is done by, one job each:

- :mod:`course_utils.tools.links`: the repository's address, Colab and Binder
  links, the Colab set-up cell;
- :mod:`course_utils.tools.prepare`: a notebook in publishing shape (badge, Colab
  cell, slide metadata);
- :mod:`course_utils.tools.assets`: reveal.js and MathJax as local files;
- :mod:`course_utils.tools.site`: the slides and the executed HTML copy, run with
  :mod:`course_utils.tools.execute` (the executor the benchmark uses too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course_utils.core.errors import CourseError
from course_utils.tools.assets import fetch_assets, missing_assets
from course_utils.tools.guard import Guard
from course_utils.tools.links import set_ref
from course_utils.tools.notebooks import (
    lecturer_notebooks,
    repo_path,
    select_notebooks,
)
from course_utils.tools.prepare import prepare_file
from course_utils.tools.site import export


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.publish",
        description="Prepare, present and publish the course's notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="badge, Colab cell and slide metadata")
    p.add_argument("notebooks", nargs="*", help="default: notebooks/NN_*.ipynb")
    p.add_argument("--check", action="store_true", help="report only, change nothing")
    p.add_argument("--force", action="store_true",
                   help="replace a Colab cell edited by hand too (backup kept)")
    r = sub.add_parser("release", help="pin every notebook's Colab cell to a "
                       "version (a tag; main on the main branch)")
    r.add_argument("ref", help="the tag or branch, such as v1.0 or main")
    r.add_argument("--force", action="store_true",
                   help="replace notebooks changed by hand too (backups kept)")
    a = sub.add_parser("assets", help="fetch reveal.js and MathJax (npm) once")
    a.add_argument("--dir", type=Path, default=None, help="default: web_assets_dir()")
    for kind, out, what in (("slides", "slides", "offline reveal.js slides"),
                            ("html", "site", "an executed HTML copy")):
        e = sub.add_parser(kind, help=what)
        e.add_argument("notebooks", nargs="*",
                       help="paths or prefixes such as 05 (default: all)")
        e.add_argument("--out", type=Path, default=None,
                       help=f"default: {out}/ ({out}/he/ for --lang he)")
        e.add_argument("--lang", choices=("en", "he"), default="en",
                       help="he: the Hebrew edition (notebooks/hebrew/)")
        e.add_argument("--fast", action="store_true", help="run in fast mode")
        e.add_argument("--no-run", action="store_true",
                       help="do not execute; use the outputs saved in the notebooks")
    return parser


def _cmd_prepare(args: argparse.Namespace) -> int:
    pending = 0
    guards: dict[Path, Guard] = {}
    for path in select_notebooks(args.notebooks):
        guard = guards.setdefault(path.parent, Guard(path.parent, args.force))
        found = prepare_file(path, check=args.check, guard=guard)
        if found:
            pending += 1
            verb = "needs" if args.check else "prepared"
            print(f"{verb:9} {path}: " + "; ".join(found))
        else:
            print(f"ok        {path}")
    if args.check and pending:
        print(f"{pending} notebook(s) not prepared: run python -m "
              "course_utils.tools.publish prepare", file=sys.stderr)
        return 1
    return _saved(guards.values())


def _saved(guards) -> int:
    """Save each guard's record; 1 when a file was kept (said on stderr)."""
    kept = []
    for guard in guards:
        guard.save()
        kept += guard.kept_lines()
    for line in kept:
        print(line, file=sys.stderr)
    return 1 if kept else 0


def _cmd_release(args: argparse.Namespace) -> int:
    """Write the version into the course, then every notebook that shows it: the
    lecturer notebooks, the student edition and the Hebrew edition."""
    # translate needs polib (a maintainer's package); only this command needs it
    from course_utils.tools import translate
    from course_utils.tools.editions import generate

    ref = set_ref(args.ref)
    lecturer = translate.root() / "notebooks"
    guards = {lecturer: Guard(lecturer, args.force)}
    for path in lecturer_notebooks(lecturer):
        prepare_file(path, guard=guards[lecturer])
    status = _saved(guards.values())
    report = generate(lecturer, lecturer / "student", force=args.force)
    written, kept = translate.build(force=args.force)
    kept += [f"KEPT      {lecturer / 'student' / name}: changed by hand, not "
             "overwritten (--force replaces it, keeping a backup)"
             for name in report["kept"]]
    for line in kept:
        print(line, file=sys.stderr)
    print(f"the Colab cells install {ref}; {len(report['written']) + len(written)} "
          "edition file(s) rewritten")
    return 1 if kept or status else 0


def _cmd_assets(args: argparse.Namespace) -> int:
    print(f"web assets ready in {fetch_assets(args.dir)}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    if missing_assets():
        fetch_assets()
    folder = repo_path("notebooks", "hebrew") if args.lang == "he" else None
    out = args.out or repo_path(*(["slides"] if args.command == "slides" else ["site"]),
                                *(["he"] if args.lang == "he" else []))
    report = export(select_notebooks(args.notebooks, folder), out, args.command,
                    run=not args.no_run, fast=args.fast, lang=args.lang)
    print(f"open {out / 'index.html'}")
    return 1 if report["failed"] else 0


COMMANDS = {"prepare": _cmd_prepare, "release": _cmd_release, "assets": _cmd_assets,
            "slides": _cmd_export, "html": _cmd_export}


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 when it succeeded, 1 when work is left, 2 on an error."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CourseError as err:  # PublishError, or an edition it cannot write
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
