"""The Hebrew edition (``python -m course_utils.tools.translate``): catalogs
complete and current, the committed Hebrew notebooks and README.he.md what a
fresh build writes, code cells identical to the English ones, the chapter's
terms used as the glossary records them, and the checks speaking Hebrew.

When one fails: ``python -m course_utils.tools.translate update`` (catalogs),
translate what ``status`` lists (Poedit, or any PO editor), then ``build``.
CONTRIBUTING.md, "The Hebrew edition", has the workflow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polib
import pytest

from course_utils.core.checks import Exercise, Prediction, Think, scoreboard
from course_utils.core.errors import ExerciseIncorrect, ExerciseNotDone
from course_utils.core.i18n import translate
from course_utils.tools import catalogs
from course_utils.tools import translate as tool
from course_utils.tools.editions import student_notebook
from course_utils.topics.glossary import GLOSSARY, mentions

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HEBREW = ROOT / "notebooks" / "hebrew"
UNITS = tool.catalog_units()
SECTION_TITLES = ("7. Deep Generative Models", "7.1.1 Dimensionality Reduction",
                  "7.1.2 Autoencoders (AE)", "7.1.3 Variational AutoEncoders (VAE)",
                  "7.2 Generative Adversarial Networks (GANs)",
                  "7.3 Autoregressive Models")
_HEBREW_LETTER = re.compile(r"[\u05d0-\u05ea]")
_ENGLISH_RUN = re.compile(r"(?:\b[A-Za-z]{2,}\b[ ,;]+){6,}")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


# Catalogs ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(UNITS))
def test_catalog_is_complete_and_current(name):
    po = catalogs.load(tool.catalog_path(name), tool.LANG)
    found = catalogs.problems(po, UNITS[name], f"translations/he/{name}.po")
    assert not found, (f"{len(found)} entries to translate or revise (python -m "
                       "course_utils.tools.translate status):\n"
                       + "\n".join(found[:15]))


def test_a_changed_cell_is_kept_fuzzy_and_named():
    """The update keeps a translation whose English changed, marks it fuzzy with
    the old English, offers a removed cell's translation to a close new cell,
    and the check names the cell."""
    po = catalogs.new_catalog("he", "test")
    units = [catalogs.Unit("## Setup", "a1", "nb.ipynb:2"),
             catalogs.Unit("The KL is never negative.", "b2", "nb.ipynb:3"),
             catalogs.Unit("A cell that will be rewritten with a new id.", "c3",
                           "nb.ipynb:4")]
    catalogs.merge(po, units)
    for entry, text in zip(po, ["## הכנות", "מרחק KL אף פעם לא שלילי.",
                                "תא שייכתב מחדש."], strict=True):
        entry.msgstr = text
    assert catalogs.problems(po, units, "test.po") == []
    changed = [units[0],
               catalogs.Unit("The KL divergence is never negative.", "b2",
                             "nb.ipynb:3"),
               catalogs.Unit("A cell that was rewritten with a new id.", "d4",
                             "nb.ipynb:4")]
    counts = catalogs.merge(po, changed)
    assert counts["kept"] == 1 and counts["changed"] == 1 and counts["reused"] == 1
    entry = po.find("The KL divergence is never negative.", msgctxt="b2")
    assert "fuzzy" in entry.flags and entry.msgstr == "מרחק KL אף פעם לא שלילי."
    assert entry.previous_msgid == "The KL is never negative."
    found = catalogs.problems(po, changed, "test.po")
    assert len(found) == 2 and "cell id b2" in found[0] and "stale" in found[0]
    assert "cell id d4" in found[1]
    # a cell changed in the notebook but not yet run through update
    again = [catalogs.Unit("## Setup, again", "a1", "nb.ipynb:2")]
    assert "stale" in catalogs.problems(po, again, "test.po")[0]


def test_a_translation_keeps_the_formulas_and_placeholders():
    assert catalogs.placeholder_problem("got {shape}.", "קיבלנו {shape}.") == ""
    assert "placeholders" in catalogs.placeholder_problem("got {shape}.", "קיבלנו.")
    assert "formula" in catalogs.placeholder_problem("a $$x^2$$ b", "א $$x^3$$ ב")


# The generated edition ---------------------------------------------------------------

def test_hebrew_edition_is_what_a_fresh_build_writes():
    stale = [str(p.relative_to(ROOT)) for p in tool.stale_outputs()]
    assert not stale, (f"out of date: {stale}; run "
                       "python -m course_utils.tools.translate build")


def _in_english(source: str, english: str) -> str:
    """A stub's code with its comments, docstring and message put back in
    English (the Hebrew edition translates only those)."""
    from course_utils.tools.stubtext import stub_texts, with_stub_texts

    texts = [t for _, _, t in stub_texts(english)]
    if len(stub_texts(source)) != len(texts):
        return source  # not the same stub: the comparison below fails
    return with_stub_texts(source, texts)


@pytest.mark.parametrize("path", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_code_cells_are_the_english_ones(path):
    """So the suite need not run every Hebrew notebook: what runs is the same
    (a stub's comments, docstring and message aside: they are translated)."""
    english = _load(path)
    for he_path, source in ((HEBREW / path.name, english),
                            (HEBREW / "student" / path.name,
                             student_notebook(english, path.name))):
        he = _load(he_path)
        english_of = {c["id"]: _source(c) for c in source["cells"]}
        code = [(c["id"], _in_english(_source(c), english_of[c["id"]])
                 if "stub" in c["metadata"].get("tags", []) else _source(c),
                 c["metadata"].get("tags", []))
                for c in he["cells"] if c["cell_type"] == "code"
                and c["id"] != tool.LANG_CELL_ID]
        want = [(c["id"], _source(c), c["metadata"].get("tags", []))
                for c in source["cells"] if c["cell_type"] == "code"]
        assert code == want, f"{he_path.relative_to(ROOT)}: code cells differ"
        assert [c["id"] for c in he["cells"] if c["id"] != tool.LANG_CELL_ID] == \
            [c["id"] for c in source["cells"]]
        lang = [c for c in he["cells"] if c["id"] == tool.LANG_CELL_ID]
        assert len(lang) == 1 and _source(lang[0]) == tool.LANG_CELL


def _editions():
    return [p for name in ("", "student") for p in
            sorted((HEBREW / name).glob("[0-9][0-9]_*.ipynb"))]


@pytest.mark.parametrize("path", _editions(),
                         ids=lambda p: str(p.relative_to(HEBREW)))
def test_hebrew_notebook_is_clean_right_to_left_and_follows_the_skeleton(path):
    nb = _load(path)
    english = _load(ROOT / "notebooks" / path.name)
    assert all("id" in c for c in nb["cells"])
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["course_lang"] == "he"
    dirty = [c["id"] for c in nb["cells"] if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells with outputs {dirty}"
    markdown = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert all(_source(c).startswith(tool.RTL_OPEN) for c in markdown)
    title = tool.unwrap(_source(markdown[0])).split("\n")
    assert title[0].startswith("# ") and any(t in title[0] for t in SECTION_TITLES)
    edition = "student" if path.parent.name == "student" else "lecturer"
    assert tool.edition_url(path.name, edition) in _source(markdown[0]), "Colab badge"
    # the same headings, level by level, as the English cell
    levels = {c["id"]: [len(m) for m in re.findall(r"^(#+) ", _source(c), re.M)]
              for c in english["cells"] if c["cell_type"] == "markdown"}
    for cell in markdown:
        if cell["id"] in levels:
            text = tool.unwrap(_source(cell))
            got = [len(m) for m in re.findall(r"^(#+) ", text, re.M)]
            assert got == levels[cell["id"]], f"{path.name} cell {cell['id']}"


def test_hebrew_readme_has_the_two_commands():
    text = (ROOT / "README.he.md").read_text(encoding="utf-8")
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    for marker in ("course-command", "test-command"):
        pattern = rf"<!-- {marker} -->\s*(?:<div dir=\"ltr\">\s*)?```bash\n(.+?)\n```"
        he, en = (re.search(pattern, t, re.S) for t in (text, english))
        assert he and en, f"README.he.md: no command after <!-- {marker} -->"
        assert he.group(1) == en.group(1).replace(
            "notebooks/00_start_here", "notebooks/hebrew/00_start_here").replace(
            "notebooks/student/", "notebooks/hebrew/student/")
    assert "notebooks/hebrew/00_start_here.ipynb" in text
    assert "notebooks/hebrew/student/00_start_here.ipynb" in text  # the Hebrew one
    assert "jupyterlab-language-pack-he-IL" in text


# The book's terms -------------------------------------------------------------------

#: glossary entries too general to require in every cell that says the English
#: word ("mean", "structure", ...): checked to appear in their notebook only
GENERAL = {"mean", "structure", "difference", "constant", "sampling", "probability",
           "representation", "dimension", "encoding", "decoding", "encoder",
           "decoder", "meaningless", "new samples", "one-dimensional",
           "two-dimensional", "independent", "reconstruction", "approximation",
           "features", "cost function", "linear map", "gradient descent",
           "deterministic function", "regularisation",
           # "elbow", "model" and "densities" begin like these: the wrong words
           # below keep their Hebrew settled
           "ELBO", "mode", "density"}


def _translated(name: str) -> list[polib.POEntry]:
    po = catalogs.load(tool.catalog_path(name), tool.LANG)
    return [e for e in po if not e.obsolete and e.msgstr]


@pytest.mark.parametrize("term", [t for t in GLOSSARY if t.english not in GENERAL],
                         ids=lambda t: t.english)
def test_the_glossary_term_is_used_where_the_english_says_it(term):
    """Wherever the English says the term, the Hebrew says the chapter's word
    (in any of its forms: prefixes, plural, construct) or keeps the English."""
    english = re.compile(rf"(?<!non-)\b{re.escape(term.english)}", re.I)
    missing = []
    for name in [n for n in UNITS if n != "course_utils"]:
        for entry in _translated(name):
            if english.search(entry.msgid) and not english.search(entry.msgstr) \
                    and not mentions(entry.msgstr, term):
                missing.append(f"{name} {entry.msgctxt or ''}: "
                               f"{entry.msgstr.strip()[:60]!r}")
    assert not missing, (f"{term.english!r} is {term.hebrew!r} in the chapter; "
                         f"these translations say neither: {missing[:6]}")


#: one Hebrew word per concept: words the Hebrew edition must not use for a
#: settled term (the glossary's entry, in parentheses), with the English that
#: limits the check where the wrong word has another, right, meaning
WRONG_WORDS = {
    "אופן / אופנים (mode: שכיח)":
        (r"(?<![\u05d0-\u05ea])[והלמש]{0,3}אופ(?:ן|נים)(?![\u05d0-\u05ea])"
         r"(?! שבו| בו)", None),
    "מרומז (implicit model: מודל סתום)": (r"מרומז", None),
    "קנה מידה (yardstick: אמת מידה)": (r"קנה ה?מידה", r"yardstick"),
    "גאוסיאן (Gaussian: התפלגות נורמלית)": (r"גאוסיאנ|גאוסיאן", None),
    "קורלציה (correlation: מתאם)": (r"קורלציה|קורלציות", None),
    "העתקה לינארית (linear transformation: טרנספורמציה לינארית)":
        (r"העתק(?:ה|ות) לינארי", None),
    "רשת (grid: סריג)": (None, r"\bgrid"),
}


def _is_key_idea_pattern(entry: polib.POEntry) -> bool:
    """A check's key-idea regex ("gauss|normal"): it matches a student's own
    words, so it may accept a synonym the prose does not use."""
    return "|" in entry.msgid and not re.search(r"[.:;!?] ", entry.msgid)


@pytest.mark.parametrize("wrong", WRONG_WORDS, ids=lambda w: w.split(" (")[0])
def test_a_settled_term_is_said_one_way_in_every_catalog(wrong):
    """The settled terms, in every catalog (course_utils.po's messages too): the
    wrong word never appears; for "grid" the English must come out as סריג."""
    hebrew, english = WRONG_WORDS[wrong]
    by_english = {t.english: t for t in GLOSSARY}
    found = []
    for name in UNITS:
        for entry in _translated(name):
            if _is_key_idea_pattern(entry):
                continue
            if english and not re.search(english, entry.msgid, re.I):
                continue
            if hebrew and re.search(hebrew, entry.msgstr):
                found.append(f"{name} {entry.msgctxt or entry.msgid[:30]!r}")
            if hebrew is None and not mentions(entry.msgstr, by_english["grid"]):
                found.append(f"{name} {entry.msgctxt or entry.msgid[:30]!r}")
    assert not found, f"{wrong}: {found[:8]}"


def test_the_wrong_words_fail_the_check():
    for wrong, (hebrew, _) in WRONG_WORDS.items():
        if hebrew:
            sample = wrong.split(" (")[0].split(" / ")[0]
            assert re.search(hebrew, f"ראו {sample} כאן"), wrong
    assert not re.search(WRONG_WORDS["אופן / אופנים (mode: שכיח)"][0],
                         "באופן אחיד, לאופן שבו")


def test_a_term_is_found_in_its_forms_and_only_there():
    by_english = {t.english: t for t in GLOSSARY}
    latent, cov = by_english["latent space"], by_english["covariance matrix"]
    assert mentions("נקודה ובמרחב הלטנטי", latent)
    assert not mentions("הקוד נמצא במרחב החבוי", latent)
    assert not mentions("הלטנטי שלו הוא מרחב", latent)  # not in order
    assert mentions("מטריצת ה-covariance של הדאטא", cov)
    assert mentions("הווקטורים העצמיים שלה", by_english["eigenvectors"])


# The checks speak Hebrew ----------------------------------------------------------

def _exercises() -> list[tuple[str, Exercise]]:
    import importlib
    import pkgutil

    import course_utils.topics.exercises as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found += [(f"{info.name}.{k}", v) for k, v in vars(module).items()
                  if isinstance(v, Exercise)]
    return sorted(found, key=lambda item: item[0])


def _is_hebrew(message: str, english: str) -> bool:
    return (message != english and bool(_HEBREW_LETTER.search(message))
            and not _ENGLISH_RUN.search(message))


@pytest.mark.parametrize("name, exercise", _exercises(), ids=lambda x: str(x)[:12])
def test_every_check_message_is_in_hebrew(name, exercise, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_LANG", "he")
    failures = []
    for wrong in exercise.wrong_answers:
        if isinstance(exercise, Prediction):
            exercise.check(wrong)   # a wrong prediction is revealed, not an error
            printed = capsys.readouterr().out
            if not _HEBREW_LETTER.search(printed) or _ENGLISH_RUN.search(printed):
                failures.append(printed)
            continue
        with pytest.raises(ExerciseIncorrect) as info:
            exercise.check(wrong)
        english = str(info.value)
        if not _is_hebrew(translate(english), english):
            failures.append(english)
    with pytest.raises(ExerciseNotDone) as info:
        exercise.check(None)
    if not _is_hebrew(translate(str(info.value)), str(info.value)):
        failures.append(str(info.value))
    exercise.check(exercise.reference)
    exercise.hint()
    # the success line, then the hint (each wrapped over lines)
    printed = capsys.readouterr().out.strip()
    starts = [line for line in printed.split("\n")
              if line.lstrip("\u2067").startswith(("תרגיל", "רמז"))]
    if len(starts) != 2 or _ENGLISH_RUN.search(printed):
        failures.append(printed)
    assert not failures, f"{name}: messages not (fully) in Hebrew: {failures[:4]}"


def test_scoreboard_student_errors_and_model_answers_speak_hebrew(monkeypatch, capsys):
    """The scoreboard's header and words, an error in the student's own code, a
    think exercise's model answer, and a Hebrew answer's key ideas."""
    from course_utils.core.student_code import ExerciseCodeError
    from course_utils.topics.exercises import nb03, nb05

    monkeypatch.setenv("COURSE_LANG", "he")
    nb05.ex1.check(nb05.ex1.reference)
    scoreboard(nb05)
    board = capsys.readouterr().out
    assert "נפתרו" in board and "מימוש" in board and "טרם התחילו" in board, board
    assert not _ENGLISH_RUN.search(board), board

    def kl_from_log_var(mu, log_var):
        return totl.sum(dim=1)  # noqa: F821 - the student's typo

    with pytest.raises(ExerciseCodeError) as info:
        nb05.ex1.check(kl_from_log_var)
    shown = info.value._render_traceback_()[0]
    assert "totl" in shown and "return totl.sum(dim=1)" in shown
    assert _HEBREW_LETTER.search(shown) and "בדקו את האיות" in shown, shown

    think = next(e for e in vars(nb03).values() if isinstance(e, Think))
    think.check("התשובה שלי: ה-loss מתייחס רק לקודים של תמונות האימון, ולכן לא ידוע "
                "איפה הקודים נמצאים, ויש רווחים בין האשכולות במרחב הלטנטי.")
    recorded = re.sub(r"[\u2066-\u2069]", "", capsys.readouterr().out)
    recorded = recorded.replace("\n", " ")  # as wrapped for a right-to-left line
    assert "נוגעת ב-" in recorded and "מתוך" in recorded, recorded
    touched = int(re.search(r"נוגעת ב-(\d+)", recorded).group(1))
    assert touched >= 2, recorded  # the Hebrew regexes of the key ideas
    think.solution()
    answer = capsys.readouterr().out
    assert _HEBREW_LETTER.search(answer) and not _ENGLISH_RUN.search(answer), answer


@pytest.mark.parametrize("name, exercise",
                         [(n, e) for n, e in _exercises() if isinstance(e, Think)],
                         ids=lambda x: str(x)[:12])
def test_the_hebrew_model_answer_touches_every_key_idea(name, exercise, monkeypatch):
    """Each key idea's regex has a Hebrew one (its catalog translation), and the
    Hebrew model answer says every idea in Hebrew, as the English one does."""
    from course_utils.core.i18n import catalog_text

    monkeypatch.setenv("COURSE_LANG", "he")
    answer = catalog_text(exercise.model_answer)
    assert answer, f"{name}: the model answer is not translated"
    for label, regex in exercise.key_ideas:
        hebrew = catalog_text(regex)
        assert hebrew and hebrew != regex, f"{name}: no Hebrew regex for {label!r}"
        assert re.search(hebrew, answer, re.I), f"{name}: {label!r} not in Hebrew"


def test_english_stays_english(monkeypatch):
    monkeypatch.delenv("COURSE_LANG", raising=False)
    message = "Exercise 5.1 (the VAE's KL term from log_var): correct."
    assert translate(message) == message
    monkeypatch.setenv("COURSE_LANG", "he")
    assert translate("a message no catalog holds") == "a message no catalog holds"


def test_use_language_sets_the_setting_and_refuses_an_unknown_one(monkeypatch):
    from course_utils.core.errors import ConfigError
    from course_utils.core.i18n import language, use_language

    monkeypatch.setenv("COURSE_LANG", "en")  # put back as it was afterwards
    assert use_language("he") == "he" and language() == "he"
    with pytest.raises(ConfigError, match="COURSE_LANG=fr: expected en or he"):
        use_language("fr")
    monkeypatch.setenv("COURSE_LANG", "fr")  # a bad value: messages stay English
    assert language() == "en"


def test_a_negative_number_keeps_its_minus_in_right_to_left_text():
    """A Hebrew check message showed "3.7274-": right-to-left text moved the
    bare minus to the number's other end. Signed numbers are isolated (LRI ...
    PDI) as formulas are; a range such as 2-3 is left alone."""
    from course_utils.core.i18n import translate

    shown = translate("your prediction -3.7274 is not one of the choices "
                      "['a', 'b']; write one of them.", "he")
    assert "\u2066-3.7274\u2069" in shown, shown
    assert _HEBREW_LETTER.search(shown), shown


def test_no_hebrew_formula_line_reads_as_a_list_item():
    """The English test (test_hygiene) for the generated Hebrew notebooks: a line
    inside a formula that starts like a list item breaks it in every export."""
    from tests.test_hygiene import formula_lines_read_as_list_items

    broken = [(path.name, cell["id"], line)
              for path in sorted(HEBREW.glob("[0-9][0-9]_*.ipynb"))
              for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
              if cell["cell_type"] == "markdown"
              for line in formula_lines_read_as_list_items(_source(cell))]
    assert not broken, broken


def test_no_left_to_right_run_spans_a_sentence_boundary():
    """The build isolated "covariance. (2)" or "p(x | y). discriminator" as one
    left-to-right run, which showed both sentences scrambled: a run ends where a
    sentence or clause does (". ", ": "), in the build and in check messages."""
    from course_utils.core.i18n import ltr_runs

    text = "ראו covariance. (2) ואז p(x | y). discriminator, וגם f(x): g(y) = 2.5"
    assert [text[a:b] for a, b in ltr_runs(text)] == ["(2)", "p(x | y)", "f(x)",
                                                      "g(y) = 2.5"]
    prose = [line for path in sorted(HEBREW.glob("[0-9][0-9]_*.ipynb"))
             for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
             if cell["cell_type"] == "markdown"
             for line in _source(cell).split("\n")
             if not line.startswith("#")]  # a title is isolated whole, on purpose
    spans = [m.group(1) for line in prose
             for m in re.finditer(r'<span dir="ltr">(.*?)</span>', line)]
    assert spans, "no isolated run found: is the Hebrew edition built?"
    crossing = [s for s in spans if s[:1] not in "$`"
                and re.search(r"[.:]\s+\S", s)]
    assert not crossing, crossing[:5]


def test_a_code_span_that_wraps_onto_the_next_line_is_isolated_whole():
    """A code span broken across a line came out right to left, its backticks
    paired wrongly ("`</span>noise<span dir=\"ltr\">`", notebook 12's Hebrew)."""
    from course_utils.core.bidi import isolate

    text = "כתבו `f(x0, t,\nnoise)` שמחזירה את `noise` בצורה של `x0`."
    assert isolate(text) == ('כתבו <span dir="ltr">`f(x0, t,\nnoise)`</span> '
                             'שמחזירה את <span dir="ltr">`noise`</span> בצורה של '
                             '<span dir="ltr">`x0`</span>.')
    # a blank line ends a paragraph, and a code span with it
    assert '<span dir="ltr">`a' not in isolate("`a\n\nb` c")


def test_english_titles_and_table_cells_are_isolated():
    """An English title or file name in right-to-left text was reordered
    ("PixelCNN 7.3", ".7 Deep Generative Models", "start_here_00")."""
    from course_utils.core.bidi import ltr_table_cells, ltr_title

    assert ltr_title("# 7.3 Autoregressive Models: PixelCNN\n\nטקסט") == (
        '# <span dir="ltr">7.3 Autoregressive Models: PixelCNN</span>\n\nטקסט')
    assert ltr_title("# 7.1.1 Dimensionality Reduction: PCA, ה-encoder") == (
        '# <span dir="ltr">7.1.1 Dimensionality Reduction</span>: PCA, ה-encoder')
    for kept in ("## 1. כותרת", '# <span dir="ltr">7.2 GANs</span>: המשפחה'):
        assert ltr_title(kept) == kept
    table = ltr_table_cells("| מחברת | נושא |\n|---|---|\n"
                            "| 00_start_here | [פתיחה](a.ipynb) | 7. Deep Models |")
    assert table.split("\n")[2] == ('| <span dir="ltr">00_start_here</span> | '
                                    '[פתיחה](a.ipynb) | <span dir="ltr">7. Deep '
                                    'Models</span> |')
    readme = (ROOT / "README.he.md").read_text(encoding="utf-8")
    assert '<span dir="ltr">00_start_here</span>' in readme


def test_paragraphs_are_flush_right_in_the_markdown_itself():
    """JupyterLab's and nbconvert's stylesheets set every paragraph flush left;
    the Hebrew build sets each paragraph and list item flush right in the
    markdown (a block inside it), and a table's columns, so that no cell has to
    run first. Fences, display formulas, headings and HTML lines are left as
    they are, and the reader of a cell gets the text back."""
    from course_utils.core.bidi import ALIGN_CLOSE, ALIGN_OPEN, align, rtl, unwrap

    text = ("# כותרת\n\nפסקה עם **הדגשה**\nושורה שנייה.\n\n- פריט\n  המשך\n- שני\n\n"
            "> **הערה.** ציטוט\n\n$$\na = b\n$$\nאחרי\n\n```python\nx = 1\n```\n\n"
            "| א | ב |\n|---|:---:|\n| 1 | 2 |")
    lines = align(text).split("\n")
    opened = [ln for ln in lines if ALIGN_OPEN in ln]
    assert opened == [f"{ALIGN_OPEN}פסקה עם **הדגשה**", f"- {ALIGN_OPEN}פריט",
                      f"- {ALIGN_OPEN}שני{ALIGN_CLOSE}",
                      f"> {ALIGN_OPEN}**הערה.** ציטוט{ALIGN_CLOSE}",
                      f"{ALIGN_OPEN}אחרי{ALIGN_CLOSE}"]
    assert f"ושורה שנייה.{ALIGN_CLOSE}" in lines and f"  המשך{ALIGN_CLOSE}" in lines
    for kept in ("# כותרת", "$$", "a = b", "x = 1", "| 1 | 2 |"):
        assert kept in lines
    assert "|---:|:---:|" in lines  # centred stays centred
    assert unwrap(rtl(text)) == text.replace("|---|", "|---:|")
    # every Hebrew notebook: each line of Hebrew prose is inside an aligned block
    outside = []
    for path in sorted((ROOT / "notebooks" / "hebrew").rglob("[0-9]*.ipynb")):
        for cell in _load(path)["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            inside = False
            for line in _source(cell).split("\n"):
                inside = inside or ALIGN_OPEN in line
                if not inside and re.search("[\u0590-\u05ff]", line) and not re.match(
                        r"\s*(#|\|)", line):
                    outside.append(f"{path.name} {cell['id']}: {line[:50]}")
                inside = inside and not line.endswith(ALIGN_CLOSE)
    assert not outside, outside[:5]


def test_the_hebrew_site_index_reads_right_to_left(tmp_path):
    """``publish html --lang he``: the Hebrew edition's notebooks, an index in
    Hebrew, right to left, with the titles as text."""
    from course_utils.tools import site
    from course_utils.tools.notebooks import select_notebooks

    hebrew = ROOT / "notebooks" / "hebrew"
    assert select_notebooks(["05"], hebrew) == [hebrew / "05_gaussian_kl.ipynb"]
    report = site.export([hebrew / "05_gaussian_kl.ipynb"], tmp_path, "html",
                         run=False, lang="he")
    assert report == {"written": ["05_gaussian_kl.html"], "failed": []}
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<html lang="he" dir="rtl">' in index and "מחברות שהורצו" in index
    assert "\u20667.1.3 Variational AutoEncoders (VAE)\u2069: מרחק KL" in index
    assert "&lt;span" not in index and "--lang he" in index
