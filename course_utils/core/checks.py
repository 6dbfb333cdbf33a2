"""Exercise checks that teach: ``check``, ``hint`` and ``solution``.

Every exercise of the course is an :class:`Exercise` of one of five kinds
(:data:`KINDS`), written once in ``course_utils/topics/exercises/nbNN.py``:

- ``implement`` and ``derive``: the student writes a function (for ``derive``, the
  formula they derived on paper); ``test(answer)`` raises :class:`Wrong` with a
  teaching message, and runs on test cases that include the known wrong answers;
- ``explore``: the student experiments and reports what they found (a number, a
  setting); ``test`` checks the outcome;
- ``predict`` (:class:`Prediction`): the student writes down a prediction; the
  check cell refuses to run without one, then reveals the truth and explains;
- ``think`` (:class:`Think`): a question to discuss; the check accepts any answer
  of a sentence or more, the model answer is in the lecturer's edition only.

The solution is written once, as ``reference`` (a function or a value); the
notebook's solution cell and :meth:`Exercise.solution` are derived from it
(``python -m course_utils.tools.exercises`` writes the cells,
``tests/test_exercises.py`` checks they agree).

Used in every notebook's Exercises section::

    from course_utils.topics.exercises import nb05
    nb05.ex1.check(kl_from_log_var)   # or nb05.ex1.hint(), nb05.ex1.hint(2)
    scoreboard(nb05)                  # the notebook's last cell

Every message is a plain string in its exercise's module (to be translated).
"""

from __future__ import annotations

import inspect
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from course_utils.core.answers import (
    NONFINITE,
    Wrong,
    as_numpy,
    as_scalar,
    checked_function,
    expect_callable,
    expect_close,
    expect_number,
    lowered_message,
    reject_unusable,
    validate_value,
)
from course_utils.core.errors import CourseError, ExerciseIncorrect, ExerciseNotDone
from course_utils.core.i18n import RTL, catalog_text, language, translate
from course_utils.core.messages import say
from course_utils.core.portable import literal
from course_utils.core.student_code import student_error

__all__ = ["DONE", "KINDS", "NOT_STARTED", "TRIED", "Exercise", "Prediction", "Think",
           "Wrong", "as_numpy", "as_scalar", "expect_callable", "expect_close",
           "expect_number", "register", "scoreboard"]

KINDS = ("predict", "derive", "implement", "explore", "think")
NOT_STARTED, TRIED, DONE = "not started", "tried", "done"


EMPTY = {  # what an exercise without an answer says, by kind
    "predict": "has no prediction yet: write it in the cell above first; this cell "
               "reveals the answer only then",
    "think": "has no answer yet: write yours in the cell above, as a string in "
             "quotes",
    "implement": "has no answer yet: fill in the cell above",
}


@dataclass(eq=False)
class Exercise:
    """One exercise.

    number: shown to the student, e.g. ``"5.1"``; title: a few words.
    kind: one of :data:`KINDS`; the stub cell carries the tag ``kind-<kind>``.
    test: ``test(answer)`` raises :class:`Wrong` with a teaching message.
    hints: hints in steps (``hint()``, ``hint(2)``, ...), the last close to the
        solution.
    reference: the solution, written once: a function whose source is the
        notebook's solution cell, or (predict, explore) a value.
    wrong_answers: known wrong answers; each must fail with its own message.
    success: what a correct answer shows, printed once on success.
    answer_name: the name the student's cell defines (for values).
    revealed_by: ids of the notebook's cells that give the answer away (a printed
        number, a plot, the code asked for); the exercise must be asked before
        them (``tests/test_exercises.py`` checks the order). Every prediction
        states it, ``()`` when nothing in the notebook gives its answer before
        its check does.
    """

    number: str
    title: str
    test: Callable[[Any], None] | None = None
    hints: Sequence[str] = ()
    reference: Any = None
    wrong_answers: Sequence[Any] = ()
    success: str = ""
    kind: str = "implement"
    answer_name: str = ""
    hint_text: str = ""        # one hint (older exercises); becomes ``hints``
    solution_text: str = ""    # derived from ``reference`` when empty
    handle: str = ""           # "nb05.ex1", set by :func:`register`
    revealed_by: Sequence[str] | None = None
    status: str = field(default=NOT_STARTED, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"exercise {self.number}: kind {self.kind!r} is not one "
                             f"of {KINDS}")
        if self.hint_text and not self.hints:
            self.hints = (self.hint_text,)
        self.hints = tuple(self.hints)
        if not self.hints:
            raise ValueError(f"exercise {self.number} has no hints")

    # What the student calls ------------------------------------------------------

    @property
    def _name(self) -> str:
        return self.handle or f"exercise {self.number}"

    def _not_done(self, what: str) -> ExerciseNotDone:
        return ExerciseNotDone(
            f"Exercise {self.number} ({self.title}) {what}. "
            f"{self._name}.hint() gives a first hint.")

    def check(self, answer: Any) -> None:
        """Check ``answer``: print one success line, or raise one clear error."""
        if answer is None or answer is Ellipsis:
            raise self._not_done(EMPTY.get(self.kind, EMPTY["implement"]))
        try:
            self._run(answer)
        except Wrong as err:
            self.status = DONE if self.status == DONE else TRIED
            wrong = " ".join(str(err).splitlines())   # one line, whatever it quotes
            raise ExerciseIncorrect(
                f"Exercise {self.number} ({self.title}) is not right yet: {wrong} "
                f"({self._name}.hint() gives a hint.)") from None
        except Unreadable as err:  # a prediction in the wrong form: not a try
            raise ExerciseNotDone(
                f"Exercise {self.number} ({self.title}): {err} Your prediction is "
                "not counted until it has that form.") from None
        except ExerciseNotDone:
            raise
        except NotImplementedError:
            raise self._not_done(
                "is not filled in yet: replace the `raise NotImplementedError` in "
                "the cell above with your code") from None
        except CourseError:  # a helper's clear message (a shape, the data)
            self.status = DONE if self.status == DONE else TRIED
            raise
        except Exception as err:  # noqa: BLE001 - a bug in the student's own code
            error = student_error(self.number, err, answer)
            if error is None:     # it happened in the course's code: our bug
                raise
            self.status = DONE if self.status == DONE else TRIED
            raise error from None

    def _run(self, answer: Any) -> None:
        assert self.test is not None, f"exercise {self.number} has no test"
        if callable(answer):   # what the student's function returns is validated
            answer = checked_function(answer)
        elif self.kind == "explore":
            validate_value(answer, self.answer_name or "your answer")
        try:
            self.test(answer)
        except Wrong:
            if getattr(answer, "lowered", None):   # float32 out of float64 inputs
                raise Wrong(lowered_message(answer.lowered)) from None
            raise
        if getattr(answer, "nonfinite", False):  # a NaN the test did not notice
            raise Wrong(NONFINITE)
        self.status = DONE
        message = translate(f"Exercise {self.number} ({self.title}): correct.")
        if self.success:
            message += " " + translate(self.success)
        say(message)

    def hint(self, step: int = 1) -> None:
        """Print hint number ``step`` (1, 2, ...); the last is close to a solution."""
        n = len(self.hints)
        step = min(max(int(step), 1), n)
        more = ("\n" + translate(f"({self._name}.hint({step + 1}) gives the next "
                                 "one.)") if step < n else "")  # a line of its own
        say(translate(f"Hint {step} of {n} for exercise {self.number}: "
                      f"{self.hints[step - 1]}") + more)

    def solution(self) -> None:
        """Print one worked solution."""
        header = f"A solution to exercise {self.number} ({self.title}):"
        say(translate(header))
        print(self.solution_source())

    # The one solution and what is derived from it --------------------------------

    def solution_source(self) -> str:
        """The solution as code: the notebook's solution cell holds exactly this."""
        if self.solution_text:
            return inspect.cleandoc(self.solution_text)
        if inspect.isfunction(self.reference):
            return textwrap.dedent(inspect.getsource(self.reference)).strip()
        if self.answer_name:
            return f"{self.answer_name} = {literal(self.reference)}"
        raise ValueError(f"exercise {self.number}: no solution source")

    def solution_markdown(self) -> str | None:
        """Markdown shown under the solution in the lecturer's edition, or None."""
        return None


class Unreadable(Exception):
    """A prediction that is not in the asked form (not a choice, not a finite
    number): the student is told the form, and it does not count as a try."""


@dataclass(eq=False)
class Prediction(Exercise):
    """Write a prediction down, then reveal. ``reveal()`` computes the truth and
    returns ``(truth, what the reveal shows)``; ``choices`` lists the allowed
    answers (or, empty, a number within ``tolerance`` relative error counts);
    ``explain`` maps a wrong choice to its message (or is a function
    ``explain(prediction, truth)``)."""

    kind: str = "predict"
    reveal: Callable[[], tuple[Any, str]] | None = None
    choices: Sequence[Any] = ()
    tolerance: float = 0.1
    explain: Any = None

    def _run(self, answer: Any) -> None:
        try:
            answer = self._readable(answer)
        except Wrong as err:
            raise Unreadable(str(err)) from None
        assert self.reveal is not None
        truth, shown = self.reveal()
        right = (answer == truth if self.choices else
                 abs(answer - truth) <= self.tolerance * max(abs(truth), 1e-12))
        self.status = DONE
        say(translate(shown))
        if right:
            say(translate(f"Exercise {self.number} ({self.title}): your "
                            f"prediction {answer!r} was right.") + " "
                  + translate(self.success))
            return
        why = (self.explain(answer, truth) if callable(self.explain)
               else (self.explain or {}).get(answer, ""))
        say(translate(f"Exercise {self.number} ({self.title}): you predicted "
                        f"{answer!r}, the answer is {truth!r}.") + " "
              + " ".join(translate(t) for t in (why, self.success) if t))

    def _readable(self, answer: Any) -> Any:
        """The prediction in its asked form (a choice, or a float), or Wrong."""
        if self.choices:
            if not isinstance(answer, str):
                raise Wrong(f"write one choice, in quotes, as your prediction (one "
                            f"of {list(self.choices)}), not "
                            f"{type(answer).__name__}.")
            key = answer.strip().lower()
            if key not in self.choices:
                raise Wrong(f"your prediction {answer!r} is not one of the choices "
                            f"{list(self.choices)}; write one of them.")
            return key
        reject_unusable(answer, "your prediction")
        try:
            answer = float(answer)
        except (TypeError, ValueError):
            raise Wrong(f"write your prediction as a number, not "
                        f"{type(answer).__name__}.") from None
        if not math.isfinite(answer):
            raise Wrong("write a finite number as your prediction.")
        return answer


@dataclass(eq=False)
class Think(Exercise):
    """A question to discuss. Any answer of ``min_words`` words or more is
    recorded; the check says how many of the ``key_ideas`` ((label, regex)
    pairs) it touches, without naming them. ``model_answer`` is shown in the
    lecturer's edition (and the slides' speaker notes), and by ``solution()``
    once the student has written their own."""

    kind: str = "think"
    model_answer: str = ""
    key_ideas: Sequence[tuple[str, str]] = ()
    min_words: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.reference is None:
            self.reference = self.model_answer
        if not self.wrong_answers:   # not an answer yet: empty, a word, not text
            self.wrong_answers = ("", "Because.", 42)

    def _run(self, answer: Any) -> None:
        if not isinstance(answer, str):
            raise Wrong("write your answer as text in quotes, e.g. "
                        f"{self.answer_name or 'answer'} = \"Because ...\".")
        words = len(answer.split())
        if words < self.min_words:
            raise Wrong(f"your answer has {words} word(s); explain it in a "
                        f"sentence or two (at least {self.min_words} words).")
        touched = sum(self._touches(rx, answer) for _, rx in self.key_ideas)
        if self.key_ideas and not touched:   # recorded as a try, with a nudge
            self.status = DONE if self.status == DONE else TRIED
            say(translate(
                f"Exercise {self.number} ({self.title}): your answer is recorded "
                f"({words} words), but it touches none of the {len(self.key_ideas)} "
                "ideas the model answer uses. Reread the section it asks about (or "
                f"{self._name}.hint()) and answer again; {self._name}.solution() "
                "shows the model answer."))
            return
        self.status = DONE
        say(translate(
            f"Exercise {self.number} ({self.title}): your answer is recorded "
            f"({words} words). It touches {touched} of the {len(self.key_ideas)} "
            "ideas the model answer uses; discuss it with your neighbour, then "
            f"{self._name}.solution() shows the model answer."))

    @staticmethod
    def _touches(regex: str, answer: str) -> bool:
        """Whether ``answer`` says the idea: the English regex, or the one the
        student's language gives for it (its catalog's translation of the regex)."""
        other = catalog_text(regex)
        return bool(re.search(regex, answer, re.I)
                    or (other and re.search(other, answer, re.I)))

    def solution(self) -> None:
        if self.status == NOT_STARTED:
            say(translate(f"Exercise {self.number}: write your own answer first "
                            "and run its check cell; then the model answer (a "
                            "solution) is shown here."))
            return
        shown = translate(self.model_answer)
        shown = textwrap.fill(shown, 88) if shown == self.model_answer else shown
        say(translate(f"A model answer to exercise {self.number} ({self.title}):")
            + "\n\n" + shown)

    def solution_source(self) -> str:
        return (f"{self.answer_name} = {self.handle}.model_answer  "
                "# the lecturer's edition shows it below")

    def solution_markdown(self) -> str:
        return textwrap.fill(f"**Model answer ({self.number}).** {self.model_answer}",
                             80, break_on_hyphens=False, break_long_words=False)


# A notebook's exercises --------------------------------------------------------

def register(module_globals: dict) -> tuple[Exercise, ...]:
    """Give each ``exN`` of an exercises module its handle (``"nb05.ex1"``);
    return them in order. Call at the end of the module."""
    short = module_globals["__name__"].rsplit(".", 1)[-1]
    found = []
    for name, value in module_globals.items():
        if isinstance(value, Exercise) and re.fullmatch(r"ex\d+", name):
            value.handle = f"{short}.{name}"
            found.append(value)
    return tuple(sorted(found, key=lambda e: int(e.handle.rsplit("ex", 1)[1])))


MARKS = {DONE: "[x]", TRIED: "[~]", NOT_STARTED: "[ ]"}
#: the scoreboard's words as entries of the translation catalog (the catalog's
#: text is the word shown; English shows the kind or status itself)
KIND_NAMES = {"predict": "exercise kind: predict", "derive": "exercise kind: derive",
              "implement": "exercise kind: implement",
              "explore": "exercise kind: explore", "think": "exercise kind: think"}
STATUS_NAMES = {DONE: "exercise status: done", TRIED: "exercise status: tried",
                NOT_STARTED: "exercise status: not started"}


def scoreboard(module: Any) -> None:
    """Print which exercises of a notebook are done, tried or not started (in
    this session; each exercise's ``status`` holds it)."""
    exercises = getattr(module, "EXERCISES", None) or register(vars(module))
    counts = {s: sum(e.status == s for e in exercises) for s in MARKS}
    short = getattr(module, "__name__", "").rsplit(".", 1)[-1].removeprefix("nb")
    say(translate(f"Exercises of notebook {short}: {counts[DONE]} done, "
                    f"{counts[TRIED]} tried, {counts[NOT_STARTED]} not started (this "
                    "session)."))
    # each word in the student's language (a title, a kind, a status), the
    # columns padded after translation; a right-to-left row is isolated as a whole
    words = {e.number: (catalog_text(e.title) or e.title,
                        catalog_text(KIND_NAMES[e.kind]) or e.kind,
                        catalog_text(STATUS_NAMES[e.status]) or e.status)
             for e in exercises}
    width = max(len(w[0]) for w in words.values())
    kind_width = max(9, *(len(w[1]) + 1 for w in words.values()))
    rtl = language() in RTL
    for e in exercises:
        title, kind, status = words[e.number]
        row = (f"{MARKS[e.status]} {e.number:<5} {kind:<{kind_width}} "
               f"{title:<{width}}  {status}")
        print(f"  \u2067{row}\u2069" if rtl else f"  {row}")
