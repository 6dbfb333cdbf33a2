"""What a check says, as a notebook shows it (course_utils.core.messages).

JupyterLab breaks printed lines anywhere, mid-word, and shows them left to right:
in a notebook a check's message is HTML that wraps between words, its Hebrew lines
right-aligned and not cut at i18n's terminal width. Outside a notebook it is
printed as before.
"""

from __future__ import annotations

from course_utils.core import messages
from course_utils.core.messages import PDI, RLI, message_html, say


def test_outside_a_notebook_a_message_is_printed(capsys):
    assert not messages.in_notebook()
    say("Exercise 5.1 (the KL): correct.")
    assert capsys.readouterr().out == "Exercise 5.1 (the KL): correct.\n"


def test_a_right_to_left_message_is_one_paragraph_aligned_right():
    wrapped = f"{RLI}first line of a long message{PDI}\n{RLI}its second line{PDI}"
    shown = message_html(wrapped + "\n\nplain English\n  indented")
    assert shown.count('dir="rtl"') == 1  # the two wrapped lines: one paragraph
    assert f"message{PDI} {RLI}its" in shown
    assert shown.count('dir="ltr"') == 3  # the blank line, English, indented
    assert "word-break: normal" in shown and "pre-wrap" in shown
    assert "<script>" not in message_html("<script>alert(1)</script>")


def test_hebrew_in_a_kernel_is_html_right_to_left_and_unwrapped(monkeypatch):
    """A wrong Hebrew prediction, checked in a real kernel: the message comes as
    HTML (with its plain text), its right-to-left paragraph joined; a negative
    number keeps its sign in front (isolated)."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_LANG", "he")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from course_utils.core.messages import say\n"
        "from course_utils.core.i18n import translate\n"
        "say(translate('Exercise 4.3 (the bound as k grows): your answer is '\n"
        "    'recorded '\n"
        "    '(12 words), but it touches none of the 3 ideas the model answer uses. '\n"
        "    'Reread the section it asks about (or nb04.ex3.hint()) and answer '\n"
        "    'again; nb04.ex3.solution() shows the model answer.'))\n"
        "say(translate('Exercise 4.3 (the bound as k grows): you predicted -3.7274, '\n"
        "              'the answer is 1.25.'))")]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    long, predicted = nb.cells[0].outputs
    assert long["output_type"] == "display_data", long
    shown, plain = long["data"]["text/html"], long["data"]["text/plain"]
    assert plain.count("\n") >= 1, plain  # i18n wraps it for a terminal ...
    assert shown.count('dir="rtl"') == 1, shown  # ... the page as one paragraph
    assert "\u2066-3.7274\u2069" in predicted["data"]["text/html"], predicted


def test_a_hint_and_the_pointer_to_the_next_are_two_lines(capsys):
    """On one line, a Hebrew reader met "(... gives the next one)" first: the
    pointer to the next hint is a line of its own."""
    from course_utils.topics.exercises import nb05

    exercise = next(e for e in nb05.EXERCISES if len(e.hints) > 1)
    exercise.hint(1)
    first, pointer = capsys.readouterr().out.rstrip("\n").split("\n")
    assert first.startswith(f"Hint 1 of {len(exercise.hints)}")
    assert pointer.startswith("(") and ".hint(2)" in pointer


def test_a_number_placeholder_matches_only_a_number(monkeypatch):
    """"{float(a)}, expected {float(e)}" is more specific than "{what} is {show}."
    and was tried first: its {float(a)} took "your answer is 0.5", which stayed
    English in the Hebrew message."""
    monkeypatch.setenv("COURSE_LANG", "he")
    from course_utils.core.i18n import translate

    shown = translate("your answer is 0.5, expected 0.7.")
    assert "your answer" not in shown and "התשובה שלכם" in shown, shown
    assert "-1.5e-05" in translate("your answer is -1.5e-05, expected 0.7.")
