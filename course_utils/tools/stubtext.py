"""The prose of an exercise's stub, for the Hebrew edition: its comment lines,
docstring and ``NotImplementedError`` message are translated (units of the
notebook's catalog, see :mod:`course_utils.tools.catalogs`); the rest of its code
stays the English one."""

from __future__ import annotations

import re
import textwrap

#: what a student reads in an exercise's stub: its comment lines (a block), its
#: docstring, and the message of its NotImplementedError
_STUB_TEXT = re.compile(r'(?P<comment>(?:^[ \t]*# [^\n]*(?:\n|$))+)'
                        r'|"""(?P<doc>.*?)"""'
                        r'|NotImplementedError\("(?P<message>[^"\\]*)"\)', re.M | re.S)


def stub_texts(source: str) -> list[tuple[int, int, str]]:
    """The prose of an exercise's stub: ``(start, end, text)`` for each comment
    block (its lines without ``# ``), docstring (its lines stripped) and
    NotImplementedError message; ``source[start:end]`` is what a translation
    replaces (see :func:`with_stub_texts`)."""
    found = []
    for m in _STUB_TEXT.finditer(source):
        kind = m.lastgroup
        start, end = m.span(kind)
        raw = m.group(kind)
        if kind == "comment":
            end -= raw.endswith("\n")
            raw = raw.rstrip("\n")
            text = "\n".join(line.strip()[2:] for line in raw.split("\n"))
        elif kind == "doc":
            text = "\n".join(line.strip() for line in raw.split("\n"))
        else:
            text = raw
        found.append((start, end, text))
    return found


#: the code's longest line (ruff's limit, pyproject.toml)
LINE_LENGTH = 88


def _fit(lines: list[str], width: int) -> list[str]:
    """``lines``, each one longer than ``width`` wrapped at spaces (a
    translation is often longer than the English it replaces)."""
    out = []
    for line in lines:
        out += textwrap.wrap(line, width, break_long_words=False,
                             break_on_hyphens=False) if len(line) > width else [line]
    return out


def with_stub_texts(source: str, texts: list[str]) -> str:
    """``source`` with its stub texts (:func:`stub_texts`) replaced by ``texts``,
    in order, laid out as the originals were (comment marks, indentation)."""
    pieces = stub_texts(source)
    for (start, end, _), text in reversed(list(zip(pieces, texts, strict=True))):
        old = source[start:end]
        line_start = source.rfind("\n", 0, start) + 1
        indent = re.match(r"[ \t]*", source[line_start:]).group(0)
        lines = text.split("\n")
        if old.lstrip().startswith("# "):
            lines = _fit(lines, LINE_LENGTH - len(indent) - 2)
            new = "\n".join(f"{indent}# {line}".rstrip() for line in lines)
        elif "NotImplementedError" in source[max(0, start - 21):start]:
            new = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
        else:  # a docstring: its later lines indented as its first
            lines = _fit(lines, LINE_LENGTH - len(indent) - 6)
            new = "\n".join([lines[0]] + [f"{indent}{line}" if line else ""
                                           for line in lines[1:]])
        source = source[:start] + new + source[end:]
    return source
