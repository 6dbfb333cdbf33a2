"""The glossary of notebook 00 works with the chapter's Hebrew as it is written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils.topics.glossary import GLOSSARY, as_markdown, lookup

ROOT = Path(__file__).resolve().parent.parent

# Forms copied from the chapter's Hebrew text (prefixes, plurals and construct
# states as the chapter writes them), with the entry each must find.
CHAPTER_FORMS = {
    "מודלים דיסקרימנטיביים": "discriminative model",
    "מודלים גנרטיביים": "generative model",
    "למודל גנרטיבי": "generative model",
    "הפילוג": "distribution",
    "ההתפלגות": "distribution",
    "מהסתברות": "probability",
    "פונקציית המחיר": "cost function",
    "להורדת המימד": "dimensionality reduction",
    "הורדת במימד": "dimensionality reduction",
    "המימד": "dimension",
    "לחד-מימד": "one-dimensional",
    "חד-מימדי": "one-dimensional",
    "לדו-מימד": "two-dimensional",
    "המרחב הלטנטי": "latent space",
    "במרחב הלטנטי": "latent space",
    "מהמרחב הלטנטי": "latent space",
    "לייצוג": "representation",
    "הקידוד": "encoding",
    "בפענוח": "decoding",
    "השחזור": "reconstruction",
    "שגיאת שחזור": "reconstruction error",
    "ההפרש": "difference",
    "בסיס אורתוגונלי": "orthogonal basis",
    "ומטריצת covariance": "covariance matrix",
    "לווקטורים העצמיים": "eigenvectors",
    "טרנספורמציה לינארית": "linear map",
    "בלתי תלויים": "independent",
    "ברשת נוירונים": "neural network",
    "שכבה חבויה": "hidden layer",
    "שאקטיבציה לא לינארית": "non-linear activation",
    "באקטיבציות לא לינאריות": "non-linear activation",
    "אקטיבציות": "non-linear activation",
    "הפיצ'רים": "features",
    "צוואר בקבוק": "bottleneck",
    "דרגות חופש": "degrees of freedom",
    "המבנה": "structure",
    "חסרת משמעות": "meaningless",
    "חסרות משמעות": "meaningless",
    "התוחלת": "expectation",
    "הממוצע": "mean",
    "ושונות": "variance",
    "מאי-שוויון ינסן": "Jensen's inequality",
    "בקירוב": "approximation",
    "חוק בייס": "Bayes' rule",
    "התפלגות נורמלית": "normal distribution",
    "נוסחה סגורה": "closed form",
    "פונקציה דטרמיניסטית": "deterministic function",
    "לקבוע": "constant",
    "לרגולריזציה": "regularisation",
    "דגימות": "sampling",
    "דוגמאות חדשות": "new samples",
    "שיטת GD": "gradient descent",
}


def test_at_least_thirty_forms_are_tried():
    assert len(CHAPTER_FORMS) >= 30


@pytest.mark.parametrize("form, english", CHAPTER_FORMS.items())
def test_a_chapter_form_finds_its_entry(form, english):
    found = [t.english for t in lookup(form)]
    assert english in found, f"{form!r} found {found}, not {english!r}"


def test_lookup_both_ways_and_nothing_for_nonsense():
    assert [t.english for t in lookup("צוואר")] == ["bottleneck"]
    assert lookup("Jensen")[0].hebrew == "אי-שוויון ינסן"
    assert lookup("no such term") == [] and lookup("שולחן") == []


@pytest.mark.parametrize("term", GLOSSARY, ids=lambda t: t.english)
def test_each_english_term_is_used_in_its_notebook(term):
    (path,) = (ROOT / "notebooks").glob(f"{term.notebook}_*.ipynb")
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in nb["cells"]).lower()
    assert term.english.lower() in re.sub(r"\s+", " ", text), (
        f"notebook {term.notebook} never says {term.english!r}; point the entry "
        "where the idea is taught, or use the word there")


def test_every_entry_renders_as_one_whole_row():
    rows = as_markdown().splitlines()[2:]
    assert len(rows) == len(GLOSSARY)
    for term, row in zip(GLOSSARY, rows, strict=True):
        cells = re.split(r"(?<!\\)\|", row)[1:-1]
        assert len(cells) == 4, f"the row of {term.english!r} splits into {cells}"
        assert cells[3].strip().replace("\\|", "|").endswith(term.note)
    assert "course term" in as_markdown([t for t in GLOSSARY if not t.in_chapter])


def test_the_hebrew_glossary_has_hebrew_headers_and_notes():
    """Hebrew notebook 00 shows the table in Hebrew, right to left: Hebrew
    headers, a Hebrew note for every term with a note, English cells isolated."""
    from course_utils.topics.glossary import NOTES_HE

    assert {t.english for t in GLOSSARY if t.note} <= set(NOTES_HE)
    table = as_markdown(lang="he")
    assert table.startswith('<div dir="rtl" lang="he">')
    assert "| בעברית | באנגלית | מחברת | הערה |" in table and "English" not in table
    assert "מונח של הקורס:" in table and "course term" not in table
    assert '<span dir="ltr">bottleneck</span>' in table
    assert "|---:|---:|---:|---:|" in table
    assert as_markdown(lang="en") == as_markdown()  # English by default


def test_the_hebrew_glossary_is_one_table_for_nbconvert():
    """A note with "|" ("p(z|x)") is escaped; the Hebrew build's isolation must
    not split the cell there, or the rows no longer make a table."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    html = markdown2html_mistune(as_markdown(lang="he"))
    assert html.count("<table>") == 1 and html.count("<tr>") == len(GLOSSARY) + 1
