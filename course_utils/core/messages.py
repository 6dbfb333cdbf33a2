"""What a check says to the student, shown so that it reads well in a notebook.

JupyterLab shows printed text in a box that breaks long lines anywhere, mid-word
(its output style is ``word-break: break-all``), and always left to right: a
Hebrew message broke in the middle of words and stood at the left edge. In a
notebook :func:`say` shows the message as HTML instead: lines wrap between words,
a right-to-left line (one that :mod:`course_utils.core.i18n` set apart with
Unicode's RLI ... PDI) is right-aligned and wraps as one paragraph, not at the
fixed width i18n wraps it to for a terminal. The plain text goes with it, for
whatever cannot show HTML; outside a notebook (a terminal, the tests) the message
is printed as before.
"""

from __future__ import annotations

import html
import sys

RLI, PDI = "\u2067", "\u2069"

#: the look of printed output (JupyterLab's code font), wrapping between words
_STYLE = ("font-family: var(--jp-code-font-family, monospace); "
          "font-size: var(--jp-code-font-size, 13px); "
          "line-height: var(--jp-code-line-height, 1.3); white-space: pre-wrap; "
          "word-break: normal; overflow-wrap: break-word; margin: 0")


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (JupyterLab, Colab, nbclient)."""
    if "ipykernel" not in sys.modules:
        return False
    # in a kernel only, where both are loaded already (a terminal never needs them)
    from ipykernel.zmqshell import ZMQInteractiveShell
    from IPython import get_ipython

    return isinstance(get_ipython(), ZMQInteractiveShell)


def message_html(text: str) -> str:
    """``text`` as HTML: one block per line, right to left where i18n isolated
    the line as right-to-left; i18n's wrapping of one right-to-left message
    (isolated lines one under the other) undone, so that the browser wraps it."""
    text = text.replace(f"{PDI}\n{RLI}", f"{PDI} {RLI}")
    rows = []
    for line in text.split("\n"):
        direction = "rtl" if line.lstrip().startswith(RLI) else "ltr"
        rows.append(f'<div dir="{direction}">{html.escape(line) or "&nbsp;"}</div>')
    return f'<div class="course-message" style="{_STYLE}">{"".join(rows)}</div>'


def say(text: str) -> None:
    """Show a message to the student: HTML in a notebook, printed elsewhere."""
    if not in_notebook():
        print(text)
        return
    from IPython.display import display  # only in a kernel (see in_notebook)

    display({"text/plain": text, "text/html": message_html(text)}, raw=True)
