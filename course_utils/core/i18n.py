"""The course's messages in the student's language: ``COURSE_LANG`` (``en`` or
``he``; unset means English), read each time a message is shown.

The English text in the code is the source. A translated message comes from
``course_utils/locale/<lang>/LC_MESSAGES/course_utils.mo``, a standard gettext
catalog compiled from ``translations/<lang>/course_utils.po`` by
``python -m course_utils.tools.translate build`` and read here with the
standard library's :mod:`gettext`.

Most messages are f-strings (``f"{name} should return ... got {shape}"``), so the
catalog keys them by their template, with each ``{...}`` as written in the source.
:func:`translate` looks a message up as it is, then against the templates: the
text a placeholder stood for is translated again (a title, an inner message) and
put into the translation. A message the catalog lacks stays English. The
exercise modules therefore need no change to be translated, and a new English
message shows up in ``python -m course_utils.tools.translate status``.
"""

from __future__ import annotations

import gettext
import os
import re
import textwrap
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from course_utils.core.config import SETTINGS, env_setting, parse_setting
from course_utils.core.errors import ConfigError

DOMAIN = "course_utils"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: a placeholder of a template: ``{expression}``, as the f-string wrote it
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_MAX_DEPTH = 4


def language() -> str:
    """The language of the course's messages: ``COURSE_LANG``, else ``en``.

    A value COURSE_LANG does not accept means English here, so that the error
    that says so (from ``setup()``) can itself be shown."""
    try:
        return env_setting("COURSE_LANG") or "en"
    except ConfigError:
        return "en"


@lru_cache(maxsize=4)
def _catalog(lang: str) -> tuple[dict[str, str],
                                 list[tuple[re.Pattern, str, str]]]:
    """The exact messages and the templates (as patterns) of ``lang``'s catalog."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.is_file():
        return {}, []
    with open(path, "rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    # GNUTranslations keeps the messages in ``_catalog`` (stable since Python 2);
    # the templates are needed as a list, which its public methods do not give
    messages = {k: v for k, v in catalog._catalog.items()
                if isinstance(k, str) and k and v}
    templates = []
    for msgid, msgstr in messages.items():
        if PLACEHOLDER.search(msgid):
            templates.append((template_pattern(msgid), msgid, msgstr))
    # the most specific (longest fixed text) first
    templates.sort(key=lambda t: -len(PLACEHOLDER.sub("", t[1])))
    return messages, templates


RTL = ("he",)


#: the width a right-to-left message is wrapped to (Jupyter's output area wraps
#: longer lines itself, splitting a code word between the ends of two lines)
RTL_WIDTH = 90


_SIGNS = "½¼¾−√∑∫∇∂"
_RUN_START = rf"[A-Za-z0-9\u0370-\u03ff{_SIGNS}]"
_RUN_BODY = (rf"[A-Za-z0-9\u0370-\u03ff{_SIGNS}_^²³¹⁰ ()\[\]{{}}|=+\-*/.,:;'~≈≥≤≠‖·"
             r"→∞]*")
#: a left-to-right run of plain text: Latin, Greek, digits and formula signs
LTR_RUN = re.compile(_RUN_START + _RUN_BODY)
_PAIRS = {")": "(", "]": "[", "}": "{"}


def ltr_runs(text: str, pattern: re.Pattern = LTR_RUN) -> list[tuple[int, int]]:
    """Where ``text`` holds formulas written as plain text ("N(μ_λ(x), σ²)",
    "sigma^2 = log_var.exp()"): the spans of its left-to-right runs that hold a
    bracket or an "=", without the spaces and closing punctuation at their end,
    and with their brackets balanced. In right-to-left prose such a run must be
    isolated, or the bidi algorithm moves its last ")" to the other side."""
    spans = []
    for start, end in _sentences(pattern, text):
        while end > start:
            last = text[end - 1]
            if last in " .,;:|":
                end -= 1
            elif last in _PAIRS and text[start:end].count(last) > \
                    text[start:end].count(_PAIRS[last]):
                end -= 1
            else:
                break
        run = text[start:end]
        if _nested(run) and any(c in run for c in "(=[") and len(run) > 2:
            spans.append((start, end))
    return spans


#: the end of a sentence or a clause inside a run: ". " or ": " (not "2.5", "a:b")
_BOUNDARY = re.compile(r"[.:]\s+")


def _sentences(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    """The matches of ``pattern``, each cut where a sentence or clause ends
    inside it: one run across "covariance. (2)" showed both sides scrambled."""
    pieces = []
    for match in pattern.finditer(text):
        start = match.start()
        for cut in _BOUNDARY.finditer(text, start, match.end()):
            pieces.append((start, cut.start() + 1))
            start = cut.end()
        pieces.append((start, match.end()))
    return pieces


def _nested(run: str) -> bool:
    """Every bracket of ``run`` closed, in order, inside it."""
    stack = []
    for char in run:
        if char in "([{":
            stack.append(char)
        elif char in _PAIRS:
            if not stack or stack.pop() != _PAIRS[char]:
                return False
    return not stack


#: a number with a sign in front ("-3.7274", "-1e-05"): right-to-left text moves
#: a bare minus to the number's other end ("3.7274-") unless the run is isolated
_SIGNED_NUMBER = re.compile(
    r"(?<![\w.)\]])[-\u2212+]\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?%?")


def _isolate_runs(line: str) -> str:
    """``line`` with each formula-like left-to-right run, and each signed number,
    set apart (LRI ... PDI)."""
    spans = ltr_runs(line)
    spans += [m.span() for m in _SIGNED_NUMBER.finditer(line)
              if not any(a <= m.start() < b for a, b in spans)]
    for start, end in sorted(spans, reverse=True):
        line = f"{line[:start]}\u2066{line[start:end]}\u2069{line[end:]}"
    return line


def _isolated(text: str, lang: str, depth: int) -> str:
    """A whole right-to-left message, line by line, set apart (Unicode's RLI ...
    PDI), so that a left-to-right output area (Jupyter's, a terminal's) shows
    each line in order; lines wrapped at word boundaries."""
    if lang not in RTL or depth:
        return text
    # a code span (`raise NotImplementedError`) stays on one line
    kept = _CODE_SPAN.sub(lambda m: m.group(0).replace(" ", _KEEP), text)
    lines = textwrap.wrap(kept, RTL_WIDTH, break_long_words=False,
                          break_on_hyphens=False) or [kept]
    return "\n".join(f"\u2067{_isolate_runs(line.replace(_KEEP, ' '))}\u2069"
                      for line in lines)


_CODE_SPAN = re.compile(r"`[^`\n]+`")
_KEEP = "\ue000"  # a private-use character: a space that textwrap does not break


_NUMBER = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"


def template_pattern(template: str) -> re.Pattern:
    """A pattern that matches a message made from ``template``; each placeholder
    is a group named ``p0``, ``p1``, ... in order."""
    parts, last, n = [], 0, 0
    for match in PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[last:match.start()]))
        # {float(x)}, {int(x)}, {len(x)} print one number: match only a number,
        # or "{float(a)}, expected ..." would swallow "your answer is 0.5"
        body = _NUMBER if re.match(r"(float|int|len)\(", match.group(1)) else ".+?"
        parts.append(f"(?P<p{n}>{body})")
        last, n = match.end(), n + 1
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.S)


def fill(template: str, translation: str, values: list[str]) -> str:
    """``translation`` with each placeholder replaced by the text the same
    placeholder of ``template`` stood for."""
    names = [m.group(1) for m in PLACEHOLDER.finditer(template)]
    by_name: dict[str, str] = {}
    for name, value in zip(names, values, strict=False):
        by_name.setdefault(name, value)
    return PLACEHOLDER.sub(lambda m: by_name.get(m.group(1), m.group(0)), translation)


def translate(message: str, lang: str | None = None, _depth: int = 0) -> str:
    """``message`` in ``lang`` (default: :func:`language`); English, or a message
    the catalog lacks, comes back unchanged."""
    lang = lang or language()
    if lang == "en" or not message or _depth > _MAX_DEPTH:
        return message
    messages, templates = _catalog(lang)
    if message in messages:
        return _isolated(messages[message], lang, _depth)
    stripped = message.strip()
    if stripped != message and stripped in messages:
        return message.replace(stripped, messages[stripped])
    for pattern, template, translation in templates:
        if pattern.fullmatch(message):
            values = _best_split(message, template, lang, _depth)
            return _isolated(fill(template, translation, values), lang, _depth)
    return message


def catalog_text(message: str, lang: str | None = None) -> str | None:
    """The catalog's own text for ``message`` (no isolation, no templates), or
    None: for text that is not printed, such as the Hebrew regex of a think
    exercise's key idea."""
    lang = lang or language()
    if lang == "en":
        return None
    return _catalog(lang)[0].get(message)


def _splits(message: str, literals: list[str], start: int = 0) -> Iterator[list[str]]:
    """Every way of reading ``message[start:]`` as ``value literal value ...``
    for the literals that follow the first (which the caller has matched)."""
    if len(literals) == 1:
        if message.endswith(literals[0]) and len(message) - len(literals[0]) > start:
            yield [message[start:len(message) - len(literals[0])]]
        return
    at = message.find(literals[0], start + 1)
    while at != -1:
        for rest in _splits(message, literals[1:], at + len(literals[0])):
            yield [message[start:at], *rest]
        at = message.find(literals[0], at + 1)


_ENGLISH_WORDS = re.compile(r"[A-Za-z]{3,} [A-Za-z]{3,}")


def _score(value: str, done: str, messages: dict[str, str]) -> float:
    """How well a placeholder's text reads: a whole message of the catalog (3),
    no words, a number or code (2), made from a template with no English words
    left (1.5) or with some left (1: a split inside the text of an inner
    placeholder, as "... with (a w_e, w_d a^-1). (nb02.ex1.hint() ..." around
    " ("), English left (0)."""
    if value in messages or value.strip() in messages:
        return 3
    if not _ENGLISH_WORDS.search(value):
        return 2
    if done == value:
        return 0
    return 1 if _ENGLISH_WORDS.search(done) else 1.5


def _best_split(message: str, template: str, lang: str, depth: int) -> list[str]:
    """The placeholders' texts, translated, for the reading of ``message`` that
    translates most of them ("reaches 11.26619. w_e.T ..." has two readings
    around the "." of ``{best}.{hint}``; the one whose parts translate wins)."""
    literals = PLACEHOLDER.split(template)[::2]
    messages = _catalog(lang)[0]
    best, best_score = None, -1
    for n, values in enumerate(_splits(message, literals[1:], len(literals[0]))):
        if n >= 64:
            break
        done = [translate(v, lang, depth + 1) for v in values]
        score = sum(_score(v, d, messages) for d, v in zip(done, values, strict=True))
        if score > best_score:
            best, best_score = done, score
    return best or []



#: JupyterLab draws a quotation's bar on its left, whatever its direction; the
#: Hebrew notes have it on the right (the paragraphs' alignment is in the
#: markdown itself, see course_utils.core.bidi.align; markdown may not carry a
#: stylesheet, a cell's output may)
RTL_CSS = ('.jp-RenderedHTMLCommon [dir="rtl"] blockquote {border-left: none; '
           'border-right: 5px solid var(--jp-border-color2)}')


def use_language(lang: str = "he") -> str:
    """Switch the course's messages to ``lang`` for this kernel (sets
    ``COURSE_LANG``); for Hebrew in Jupyter, also move the notes' bar to their
    right side. The first cell of every Hebrew notebook calls it.
    A language the course does not speak stops here, in one line, and leaves the
    language in force as it was."""
    value = parse_setting("COURSE_LANG", str(lang))
    if value is None:  # an empty language: refused like any other it does not know
        raise ConfigError("use_language(''): expected "
                          f"{SETTINGS['COURSE_LANG'].accepts}.")
    lang = os.environ["COURSE_LANG"] = value
    if lang == "he":
        try:
            from IPython import get_ipython  # IPython: only inside Jupyter
            from IPython.display import HTML, display
        except ImportError:
            return lang
        if get_ipython() is not None:
            display(HTML(f"<style>{RTL_CSS}</style>"))
    return lang
