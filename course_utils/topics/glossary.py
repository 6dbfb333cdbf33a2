"""The chapter's Hebrew terms and the English ones the notebooks use (notebook 00).

The book's section titles are in English and its prose in Hebrew; a student who
reads a Hebrew term in the chapter finds here the word the notebooks use, and the
notebook where the idea is taught.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    hebrew: str
    english: str
    notebook: str  # where the idea is taught, e.g. "01"
    note: str = ""


GLOSSARY: tuple[Term, ...] = (
    Term("מודל גנרטיבי", "generative model", "00",
         "learns the data's distribution and can create new examples"),
    Term("מודל דיסקרימנטיבי", "discriminative model", "00",
         "maps an input to an output; cannot create new data"),
    Term("פילוג / התפלגות", "distribution", "04"),
    Term("הורדת מימד", "dimensionality reduction", "01"),
    Term("המרחב הלטנטי", "latent space", "01",
         "the low-dimensional space of the codes z = e(x)"),
    Term("ייצוג", "representation, code", "01"),
    Term("קידוד / מקודד", "encoding / encoder e(x)", "01"),
    Term("פענוח / מפענח", "decoding / decoder d(z)", "01"),
    Term("שחזור", "reconstruction d(e(x))", "01"),
    Term("שגיאת שחזור", "reconstruction error", "01",
         "the chapter's eps(x, d(e(x))); the notebooks use the squared error"),
    Term("בסיס אורתוגונלי", "orthogonal basis", "01"),
    Term("מטריצת covariance", "covariance matrix", "01"),
    Term("ווקטורים עצמיים", "eigenvectors", "01"),
    Term("טרנספורמציה לינארית", "linear transformation (linear map)", "02"),
    Term("שכבה חבויה", "hidden layer", "02"),
    Term("אקטיבציה לא לינארית", "non-linear activation", "03"),
    Term("צוואר בקבוק", "bottleneck", "03",
         "the narrow middle layer of an autoencoder"),
    Term("דרגות חופש", "degrees of freedom (capacity)", "03"),
    Term("תוחלת", "expectation, mean", "04", "E[X]"),
    Term("שונות", "variance", "05", "sigma^2"),
    Term("אי-שוויון ינסן", "Jensen's inequality", "04",
         "log E[X] >= E[log X] for the concave log"),
    Term("קירוב", "approximation", "04"),
    Term("חוק בייס", "Bayes' rule", "04", "p(z|x) = p(x|z) p(z) / p(x)"),
    Term("מרחק KL", "Kullback-Leibler divergence", "05",
         "called a distance in the chapter; it is not symmetric"),
    Term("נוסחה סגורה", "closed form", "05"),
    Term("התפלגות נורמלית", "normal (Gaussian) distribution", "05"),
    Term("רגולריזציה", "regularization", "06"),
    Term("דגימה", "sampling", "06"),
    Term("דוגמאות חדשות", "new samples (generated data)", "06"),
)


def lookup(text: str) -> list[Term]:
    """Terms whose Hebrew or English name contains ``text`` (case-insensitive)."""
    needle = text.strip().lower()
    if not needle:
        return list(GLOSSARY)
    return [t for t in GLOSSARY
            if needle in t.hebrew.lower() or needle in t.english.lower()]


def as_markdown(terms: list[Term] | tuple[Term, ...] = GLOSSARY) -> str:
    """A markdown table of ``terms`` (Hebrew, English, notebook, note)."""
    rows = ["| עברית | English | notebook | note |", "|---|---|---|---|"]
    rows += [f"| {t.hebrew} | {t.english} | {t.notebook} | {t.note} |" for t in terms]
    return "\n".join(rows)
