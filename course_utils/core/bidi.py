"""Markdown that reads right to left, for the Hebrew edition: the prose in a
``dir="rtl"`` block, and every left-to-right piece inside it (an inline formula,
code, a formula written as plain text, an English title or file name) isolated
(``<span dir="ltr">``), so that the bidi algorithm cannot reorder it ("$-1$" shown
as "1-", "7.3 Autoregressive Models: PixelCNN" as "PixelCNN :...7.3").
"""

from __future__ import annotations

import re

from course_utils.core.i18n import ltr_runs

RTL_OPEN = '<div dir="rtl" lang="he">'
RTL_CLOSE = "</div>"
_DISPLAY = re.compile(r"(\$\$.+?\$\$|^```.*?^```)", re.S | re.M)
#: a left-to-right run of markdown text: no emphasis, link or table syntax
_MARKDOWN_RUN = re.compile(r"[A-Za-z0-9\u0370-\u03ff½¼¾−√∑∫∇∂][A-Za-z0-9\u0370-\u03ff"
                           r"½¼¾−√∑∫∇∂_^²³¹⁰ ()=+\-/.,:;'~≈≥≤≠‖·→∞|\\]*")
#: link targets, HTML tags and addresses, where nothing may be inserted
_PROTECTED = re.compile(r"\]\((?:[^()\s]|\([^()]*\))*\)|<[^>]+>|https?://\S+")
#: an inline formula or code span; a code span may wrap onto the next line, as
#: markdown allows (a blank line ends it)
_INLINE = re.compile(r"`(?:[^`\n]|\n(?![ \t]*\n))+`|(?<![$\\])\$(?!\$)[^$]+?(?<!\\)\$")
#: a heading's English part: a section number and the words before ":" or the end
_TITLE = re.compile(r"^(#+ )(\d+(?:\.\d+)*\.? [^:\n\u0590-\u05ff<]+?)(?=:|$)", re.M)
_HEBREW = re.compile(r"[\u0590-\u05ff]")
#: a paragraph's own alignment: JupyterLab's and nbconvert's stylesheet set every
#: paragraph flush left, whatever its direction; a block inside it may say right
ALIGN_OPEN = '<span dir="rtl" style="display: block; text-align: right">'
ALIGN_CLOSE = "</span>"
#: a line's prefix: blockquote marks, then a list item's marker
_PREFIX = re.compile(r"^((?:[ \t]*>[ \t]?)*)([ \t]*(?:[-*+]|\d+[.)])[ \t]+)?")
#: a table's delimiter row ("|---|:---:|")
_DELIMITER_ROW = re.compile(r"^\s*\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
#: lines that are not a paragraph's text: headings, tables, rules, HTML blocks,
#: display formulas, fences
_NOT_PROSE = re.compile(r"^(#|\||```|\$\$|<(?!span\b)|(?:-{3,}|\*{3,})\s*$)")


def isolate(text: str) -> str:
    """Markdown whose inline formulas, code spans and formulas written as plain
    text ("N(μ_λ(x), σ²)") are each set left to right and isolated
    (``<span dir="ltr">``), so that right-to-left prose around them cannot
    reorder them (``$-1$`` shown as ``1-``, a last ")" moved to the other side);
    display formulas, code blocks, links and HTML tags are left alone."""
    parts = _DISPLAY.split(text)
    for i in range(0, len(parts), 2):  # the odd parts are display math or fences
        pieces = _INLINE.split(parts[i])
        spans = _INLINE.findall(parts[i])
        out = [_isolate_plain(pieces[0])]
        for span, piece in zip(spans, pieces[1:], strict=True):
            out += [f'<span dir="ltr">{span}</span>', _isolate_plain(piece)]
        parts[i] = "".join(out)
    return "".join(parts)


def _isolate_plain(text: str) -> str:
    """Plain markdown text with its formula-like runs isolated, outside links
    and never across a table's cell border."""
    kept = [m.span() for m in _PROTECTED.finditer(text)]
    for start, end in reversed(ltr_runs(text, _MARKDOWN_RUN)):
        line_start = text.rfind("\n", 0, start) + 1
        in_table = text[line_start:].lstrip().startswith("|")
        if any(a < end and start < b for a, b in kept) or (
                in_table and re.search(r"(?<!\\)\|", text[start:end])) or (
                text[:start].endswith('<span dir="ltr">')
                and text[end:].startswith("</span>")):  # isolated already
            continue
        text = f'{text[:start]}<span dir="ltr">{text[start:end]}</span>{text[end:]}'
    return text


def rtl(text: str) -> str:
    """Markdown shown right to left: a ``dir="rtl"`` block (JupyterLab, Colab and
    GitHub honour it), inline formulas and code isolated left to right
    (:func:`isolate`), each paragraph flush right by itself (:func:`align`)."""
    return f"{RTL_OPEN}\n\n{align(isolate(text.strip()))}\n\n{RTL_CLOSE}"


def align(text: str) -> str:
    """Markdown whose every paragraph and list item is set flush right by itself
    (its text in an :data:`ALIGN_OPEN` block), so that it reads right to left
    before any cell runs, in JupyterLab, Colab and an nbconvert export alike.
    A table's columns are set flush right unless they say otherwise; headings,
    display formulas, fences and HTML blocks are left alone."""
    lines, out, fence, math, open_at = text.split("\n"), [], False, False, None

    def close() -> None:
        nonlocal open_at
        if open_at is not None:
            out[-1] += ALIGN_CLOSE
            open_at = None

    for line in lines:
        quote, marker = _PREFIX.match(line).groups()
        body = line[len(quote) + len(marker or ""):]
        starts_block = line.lstrip(" >").startswith("```") or (
            not fence and body.lstrip().startswith("$$"))
        if not fence and not math and _DELIMITER_ROW.match(line):
            # a table's columns flush right: headers are centred by default
            line = re.sub(r"(?<=[|\s])(-{3,})(?=\s*\|)", r"\1:", line)
        if starts_block or fence or math or not body.strip() \
                or _NOT_PROSE.match(body.lstrip()):
            if line.lstrip(" >").startswith("```"):
                fence = not fence
            elif not fence and body.count("$$") % 2:  # a display formula's lines
                math = not math
            close()
            out.append(line)
            continue
        if marker or open_at is None or quote != open_at:
            close()  # a new list item, or a paragraph after a block
            start = len(line) - len(body.lstrip()) if marker is None else \
                len(quote) + len(marker)
            line, open_at = f"{line[:start]}{ALIGN_OPEN}{line[start:]}", quote
        out.append(line)
    close()
    return "\n".join(out)


def unwrap(text: str) -> str:
    """The markdown inside :func:`rtl`'s wrapper, formulas and code as written."""
    head = RTL_OPEN
    if text.startswith(head) and text.rstrip().endswith(RTL_CLOSE):
        text = text[len(head):text.rstrip().rfind(RTL_CLOSE)].strip()
        text = re.sub(rf"{re.escape(ALIGN_OPEN)}(.*?){ALIGN_CLOSE}(?=\n|$)", r"\1",
                      text, flags=re.S)
        return re.sub(r'<span dir="ltr">(.*?)</span>', r"\1", text, flags=re.S)
    return text


def ltr_title(text: str) -> str:
    """``text`` with the English part of its headings ("# 7.3 Autoregressive
    Models: ...") isolated, the whole heading when it has no Hebrew, unless
    isolated already."""
    def one(m: re.Match) -> str:
        line = m.group(0)
        if _HEBREW.search(line):
            return _TITLE.sub(lambda t: f'{t.group(1)}<span dir="ltr">{t.group(2)}'
                                        '</span>', line)
        return f'{m.group(1)}<span dir="ltr">{m.group(2)}</span>'

    return re.sub(r"^(#+ )(\d[^\n<]*)$", one, text, flags=re.M)


def ltr_table_cells(block: str) -> str:
    """A markdown table whose cells without a Hebrew letter ("00_start_here",
    "7. Deep Generative Models") are isolated; links and formatting stay."""
    rows = []
    for row in block.split("\n"):
        cells = re.split(r"(?<!\\)\|", row)  # an escaped "\|" is inside a cell
        if row.lstrip().startswith("|") and not set(row) <= set("|-: "):
            cells = [f' <span dir="ltr">{c.strip()}</span> ' if c.strip()
                     and not _HEBREW.search(c) and "](" not in c and "<" not in c
                     else c for c in cells]
        rows.append("|".join(cells))
    return "\n".join(rows)
