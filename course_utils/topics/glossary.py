"""The chapter's Hebrew terms and the English ones the notebooks use (notebook 00).

The book's section titles are in English and its prose in Hebrew; a student who
reads a Hebrew term in the chapter finds here the word the notebooks use, and the
notebook where the idea is taught. :func:`lookup` finds a term in the forms the
chapter writes it: with the one-letter prefixes of Hebrew (ה, ב, ל, ו, ש, מ, כ and
their combinations, as in "ובמרחב"), in the plural and in the construct state
("לווקטורים העצמיים", "אקטיבציות", "דגימות" all find their entries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from course_utils.core.bidi import ltr_table_cells, rtl
from course_utils.core.i18n import language


@dataclass(frozen=True)
class Term:
    hebrew: str    # as the chapter writes it; alternatives separated by " / "
    english: str   # the word the notebooks use (and must contain)
    notebook: str  # where the idea is taught, e.g. "01"
    note: str = ""
    in_chapter: bool = True  # False: the course's word, not the chapter's


GLOSSARY: tuple[Term, ...] = (
    Term("מודל גנרטיבי", "generative model", "00",
         "learns the data's distribution and can create new examples"),
    Term("מודל דיסקרימנטיבי", "discriminative model", "00",
         "maps an input to an output; cannot create new data"),
    Term("פילוג / התפלגות", "distribution", "04"),
    Term("הסתברות", "probability", "04"),
    Term("פונקציית המחיר", "cost function", "04",
         "the chapter's name for the objective; the course says loss"),
    Term("הורדת מימד", "dimensionality reduction", "01"),
    Term("מימד", "dimension", "01", "n for the data, m for the codes"),
    Term("חד-מימדי / חד-מימד", "one-dimensional", "03", "a 1-D code"),
    Term("דו-מימדי / דו-מימד", "two-dimensional", "03", "a 2-D code"),
    Term("המרחב הלטנטי", "latent space", "01",
         "the low-dimensional space of the codes z = e(x)"),
    Term("ייצוג", "representation", "01", "the code z = e(x)"),
    Term("קידוד", "encoding", "01", "what the encoder e(x) does"),
    Term("מקודד", "encoder", "01", "the chapter writes encoder in English",
         in_chapter=False),
    Term("פענוח", "decoding", "01", "what the decoder d(z) does"),
    Term("מפענח", "decoder", "01", "the chapter writes decoder in English",
         in_chapter=False),
    Term("שחזור", "reconstruction", "01", "d(e(x))"),
    Term("שגיאת שחזור", "reconstruction error", "01",
         "the chapter's eps(x, d(e(x))); the notebooks use the squared error"),
    Term("ההפרש", "difference", "01", "the chapter's eps(x, d(e(x)))"),
    Term("בסיס אורתוגונלי", "orthogonal basis", "01"),
    Term("מטריצת covariance", "covariance matrix", "01"),
    Term("ווקטורים עצמיים", "eigenvectors", "01"),
    Term("טרנספורמציה לינארית", "linear map", "02",
         "a linear transformation: x -> W x"),
    Term("בלתי תלויים", "independent", "02",
         "the chapter says PCA's coordinates are; they are uncorrelated"),
    Term("רשת נוירונים", "neural network", "02"),
    Term("שכבה חבויה", "hidden layer", "02"),
    Term("אקטיבציה לא לינארית", "non-linear activation", "03"),
    Term("פיצ'רים", "features", "03", "the observed variables of an example"),
    Term("צוואר בקבוק", "bottleneck", "03",
         "the narrow middle layer of an autoencoder"),
    Term("דרגות חופש", "degrees of freedom", "03", "the capacity of a network"),
    Term("מבנה", "structure", "03", "what a too-drastic reduction loses"),
    Term("חסרת משמעות", "meaningless", "03",
         "a random point of an autoencoder's latent space decodes to nothing"),
    Term("תוחלת", "expectation", "04", "E[X]"),
    Term("ממוצע", "mean", "04", "an average over samples"),
    Term("שונות", "variance", "05", "sigma^2"),
    Term("אי-שוויון ינסן", "Jensen's inequality", "04",
         "log E[X] >= E[log X] for the concave log"),
    Term("קירוב", "approximation", "04"),
    Term("חוק בייס", "Bayes' rule", "04", "p(z|x) = p(x|z) p(z) / p(x)"),
    Term("מרחק KL", "KL divergence", "05",
         "Kullback-Leibler; called a distance in the chapter, it is not symmetric"),
    Term("נוסחה סגורה", "closed form", "05"),
    Term("התפלגות נורמלית", "normal distribution", "05", "the Gaussian"),
    Term("פונקציה דטרמיניסטית", "deterministic function", "06",
         "the decoder's mean f(z)"),
    Term("קבוע", "constant", "06", "the decoder variance c"),
    Term("רגולריזציה", "regularisation", "06"),
    Term("דגימה", "sampling", "06"),
    Term("דוגמאות חדשות", "new samples", "06", "generated data"),
    Term("GD", "gradient descent", "01", "the chapter's שיטת GD"),
    Term("קונבולוציה", "convolution", "08",
         "one small filter shared over the whole image", in_chapter=False),
    Term("GAN מותנה", "conditional GAN", "09",
         "generator and discriminator both see the class label", in_chapter=False),
    Term("מבקר", "critic", "09",
         "the WGAN's discriminator: a score, not a probability", in_chapter=False),
    Term("מרחק Wasserstein", "Wasserstein distance", "09",
         "the earth mover's distance; the WGAN's critic estimates it",
         in_chapter=False),
    Term("עונש גרדיאנט", "gradient penalty", "09",
         "keeps the critic 1-Lipschitz (WGAN-GP)", in_chapter=False),
    Term("תרגום תמונה לתמונה", "image-to-image translation", "09",
         "Pix2Pix (paired) and CycleGAN (unpaired)", in_chapter=False),
    Term("חיבור דילוג", "skip connection", "09",
         "hands an encoder's features straight to the decoder stage of their size",
         in_chapter=False),
    Term("U-Net", "U-Net", "09",
         "an encoder-decoder with skip connections (Pix2Pix's generator)",
         in_chapter=False),
    Term("PatchGAN", "PatchGAN", "09",
         "a discriminator with one verdict per image patch (Pix2Pix)",
         in_chapter=False),
    Term("מפת קצוות", "edge map", "09",
         "where the image changes sharply: Pix2Pix's input here", in_chapter=False),
    Term("Autoencoder / AE", "autoencoder", "02",
         "the chapter writes it in English: encoder, bottleneck, decoder"),
    Term("Variational AutoEncoder / VAE", "variational autoencoder", "06",
         "the chapter writes it in English: an AE whose codes follow a distribution"),
    Term("log likelihood", "log-likelihood", "04",
         "log p(x; theta), the chapter's L(theta) to be maximised"),
    Term("ELBO", "ELBO", "04",
         "Evidence Lower BOund: log p(x) = ELBO + D_KL, so log p(x) >= ELBO"),
    Term("D_KL / מרחק KL", "D_KL", "05",
         "the chapter's symbol for the KL divergence"),
    Term("התפלגות פריורית / prior", "prior", "06",
         "p(z), the codes' distribution before x is seen: N(0, I)",
         in_chapter=False),
    Term("התפלגות פוסטריורית / posterior", "posterior", "04",
         "p(z|x), by Bayes' rule; q(z|x) approximates it", in_chapter=False),
    Term("reparameterization", "reparameterization", "06",
         "z = mu + sigma * eps, so a sample can be differentiated",
         in_chapter=False),
    Term("צפיפות", "density", "05", "p(x) of a continuous variable",
         in_chapter=False),
    Term("שכיח", "mode", "07",
         "a peak of a density; mode collapse is קריסת שכיחים (not אופן)",
         in_chapter=False),
    Term("סריג", "grid", "05",
         "points at equal steps (not רשת, the course's word for a network)",
         in_chapter=False),
    Term("מתאם", "correlation", "02",
         "uncorrelated codes are בלתי מתואמים (not קורלציה)", in_chapter=False),
    Term("מודל סתום", "implicit", "07",
         "defined only by how to sample from it, as a GAN (not מרומז)",
         in_chapter=False),
    Term("מודל אוטורגרסיבי", "autoregressive model", "10",
         "p(x) as a product of one-pixel conditionals", in_chapter=False),
    Term("כלל השרשרת", "chain rule", "10",
         "p(x) = p(x_1) p(x_2 | x_1) ...", in_chapter=False),
    Term("קונבולוציה ממוסכת", "masked convolution", "10",
         "a convolution that sees only earlier pixels (PixelCNN)", in_chapter=False),
    Term("ביטים לממד", "bits per dimension", "10",
         "-log2 p(x) divided by the number of pixels", in_chapter=False),
    Term("זרימה מנרמלת", "normalizing flow", "11",
         "an invertible map from data to a normal code: exact log p(x)",
         in_chapter=False),
    Term("שינוי משתנים", "change of variables", "11",
         "log p(x) is log p(z) plus the log of det df/dx, in absolute value",
         in_chapter=False),
    Term("יעקוביאן", "Jacobian", "11",
         "the matrix of derivatives df/dx; a flow needs its determinant",
         in_chapter=False),
    Term("שכבת צימוד", "coupling layer", "11",
         "half the coordinates pass unchanged and set the scale and shift of "
         "the rest (RealNVP)", in_chapter=False),
    Term("הפיך / העתקה הפיכה", "invertible", "11",
         "f^-1 exists: each x has one code and each code one x",
         in_chapter=False),
    Term("דה-קוונטיזציה", "dequantisation", "11",
         "adding uniform noise to discrete pixels so a density can be fitted",
         in_chapter=False),
    Term("מודל דיפוזיה", "diffusion model", "12",
         "learns to undo, step by step, noise added to the data", in_chapter=False),
    Term("התהליך הקדמי", "forward process", "12",
         "q(x_t | x_{t-1}): noise added in T small steps, nothing learned",
         in_chapter=False),
    Term("לוח הרעש", "noise schedule", "12",
         "beta_1 ... beta_T: how much noise each step adds", in_chapter=False),
    Term("יחס אות לרעש", "signal-to-noise ratio", "12",
         "abar_t / (1 - abar_t): the signal's variance over the noise's",
         in_chapter=False),
)

#: each note in Hebrew, for the Hebrew edition (by the English term)
NOTES_HE = {
    'generative model': 'לומד את התפלגות הנתונים ויכול ליצור דוגמאות חדשות',
    'discriminative model': 'ממפה קלט לפלט; אינו יכול ליצור נתונים חדשים',
    'cost function': 'השם שהפרק נותן לפונקציית המטרה; הקורס אומר פונקציית ההפסד',
    'dimension': 'n לנתונים ו-m לקודים',
    'one-dimensional': 'קוד חד-מימדי',
    'two-dimensional': 'קוד דו-מימדי',
    'latent space': 'המרחב הנמוך-מימד של הקודים z = e(x)',
    'representation': 'הקוד z = e(x)',
    'encoding': 'מה שה-encoder e(x) עושה',
    'encoder': 'הפרק כותב encoder באנגלית',
    'decoding': 'מה שה-decoder d(z) עושה',
    'decoder': 'הפרק כותב decoder באנגלית',
    'reconstruction': 'd(e(x))',
    'reconstruction error': ('ה-eps(x, d(e(x))) של הפרק; המחברות משתמשות בשגיאה'
                             ' הריבועית'),
    'difference': 'ה-eps(x, d(e(x))) של הפרק',
    'linear map': 'x -> W x',
    'independent': 'כך הפרק מתאר את הקואורדינטות של PCA; הן בלתי מתואמות',
    'features': 'המשתנים הנצפים של דוגמה',
    'bottleneck': 'השכבה הצרה שבאמצע ה-autoencoder',
    'degrees of freedom': 'הקיבולת של רשת',
    'structure': 'מה שהורדת מימד חריפה מדי מאבדת',
    'meaningless': 'נקודה אקראית במרחב הלטנטי של autoencoder מפוענחת לתמונה שאינה דבר',
    'expectation': 'E[X]',
    'mean': 'ממוצע על פני דגימות',
    'variance': 'sigma^2',
    "Jensen's inequality": '$\\log E[X] \\ge E[\\log X]$, כי log פונקציה קעורה',
    "Bayes' rule": 'p(z|x) = p(x|z) p(z) / p(x)',
    'KL divergence': 'קולבק-לייבלר; הפרק קורא לו מרחק, אך הוא אינו סימטרי',
    'normal distribution': 'באנגלית גם Gaussian',
    'deterministic function': 'התוחלת f(z) של ה-decoder',
    'constant': 'השונות c של ה-decoder',
    'new samples': 'נתונים שהמודל יצר',
    'gradient descent': 'שיטת GD של הפרק',
    'convolution': 'מסנן קטן אחד, משותף לכל התמונה',
    'conditional GAN': 'ה-generator וה-discriminator רואים שניהם את תווית המחלקה',
    'critic': 'ה-discriminator של WGAN: ציון, לא הסתברות',
    'Wasserstein distance': 'מרחק ה-earth mover; המבקר של WGAN מעריך אותו',
    'gradient penalty': 'שומר על המבקר 1-Lipschitz (WGAN-GP)',
    'image-to-image translation': 'Pix2Pix (עם זוגות) ו-CycleGAN (בלי זוגות)',
    'skip connection': "מעביר את הפיצ'רים של ה-encoder ישר לשלב ה-decoder שבגודלם",
    'U-Net': 'encoder-decoder עם חיבורי דילוג (ה-generator של Pix2Pix)',
    'PatchGAN': 'discriminator שנותן הכרעה לכל טלאי של התמונה (Pix2Pix)',
    'edge map': 'היכן שהתמונה משתנה בחדות: הקלט של Pix2Pix כאן',
    'autoencoder': 'הפרק כותב באנגלית: encoder, צוואר בקבוק, decoder',
    'variational autoencoder': 'הפרק כותב באנגלית: AE שהקודים שלו באים מהתפלגות',
    'log-likelihood': 'log p(x; theta), ה-L(theta) של הפרק, שאותו ממקסמים',
    'ELBO': ('Evidence Lower BOund: $\\log p(x) = \\mathrm{ELBO} + D_{KL}$, ולכן'
             ' $\\log p(x) \\ge \\mathrm{ELBO}$'),
    'D_KL': 'הסימון של הפרק למרחק KL',
    'prior': 'p(z), התפלגות הקודים לפני שרואים את x: N(0, I)',
    'posterior': 'p(z|x), לפי חוק בייס; q(z|x) מקרבת אותה',
    'reparameterization': ('$z = \\mu + \\sigma \\varepsilon$, כדי שאפשר יהיה לגזור'
                           ' דרך הדגימה'),
    'density': 'p(x) של משתנה רציף',
    'mode': 'שיא של צפיפות; mode collapse הוא קריסת שכיחים (לא אופן)',
    'grid': 'נקודות במרווחים שווים (לא רשת, המילה של הקורס ל-network)',
    'correlation': 'קודים uncorrelated הם בלתי מתואמים (לא קורלציה)',
    'implicit': 'מוגדר רק על ידי הדרך לדגום ממנו, כמו GAN (לא מרומז)',
    'autoregressive model': 'p(x) כמכפלה של התפלגויות מותנות, פיקסל אחר פיקסל',
    'chain rule': 'p(x) = p(x_1) p(x_2 | x_1) ...',
    'masked convolution': 'קונבולוציה שרואה רק פיקסלים קודמים (PixelCNN)',
    'bits per dimension': '$-\\log_2 p(x)$ חלקי מספר הפיקסלים',
    'normalizing flow': 'העתקה הפיכה מהנתונים לקוד נורמלי: log p(x) מדויק',
    'change of variables': ('log p(x) הוא log p(z) ועוד הלוג של הערך המוחלט'
                            ' של det df/dx'),
    'Jacobian': 'מטריצת הנגזרות df/dx; זרימה צריכה את הדטרמיננטה שלה',
    'coupling layer': ('חצי מהקואורדינטות עוברות ללא שינוי וקובעות את הכפל וההזזה'
                       ' של השאר (RealNVP)'),
    'invertible': 'קיימת f^-1: לכל x קוד אחד ולכל קוד x אחד',
    'dequantisation': 'הוספת רעש אחיד לפיקסלים בדידים כדי שאפשר יהיה להתאים צפיפות',
    'diffusion model': 'לומד לבטל, צעד אחר צעד, רעש שנוסף לנתונים',
    'forward process': 'q(x_t | x_{t-1}): רעש שנוסף ב-T צעדים קטנים, בלי שום למידה',
    'noise schedule': 'beta_1 ... beta_T: כמה רעש מוסיף כל צעד',
    'signal-to-noise ratio': 'abar_t / (1 - abar_t): השונות של האות חלקי זו של הרעש',
}

# One-letter words of Hebrew written as prefixes: "and", "that", "from", "as",
# "to", "in", "the" (the article last: ו-ש-מ-ה-...).
_PREFIXES = "והבלשמכ"
_FINAL = str.maketrans("םןץףך", "מנצפכ")
# plural, construct and adjective endings, longest first
_SUFFIXES = ("יות", "יים", "ים", "ות", "ית", "יי", "י", "ה", "ת")
_MIN_STEM = 3


def _stems(word: str, prefixed: bool = True) -> set[str]:
    """The forms a Hebrew word may stand for: without one to three prefix letters
    (when ``prefixed``: a word of the chapter's text, not of an entry), and
    without a plural, construct or adjective ending."""
    word = word.translate(_FINAL).strip("\"'׳״.,:;()")
    bases = {word}
    for k in range(1, 4 if prefixed else 1):
        if len(word) - k >= 2 and all(c in _PREFIXES for c in word[:k]):
            bases.add(word[k:])
    if not prefixed and word.startswith("ה") and len(word) > 3:
        bases.add(word[1:])  # an entry written with the article, "המרחב"
    stems = set(bases)
    for base in bases:
        for suffix in _SUFFIXES:
            suffix = suffix.translate(_FINAL)
            if base.endswith(suffix) and len(base) - len(suffix) >= _MIN_STEM:
                stems.add(base[:-len(suffix)])
    return stems


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s\-/]+", text) if w]


def _same_word(query: str, entry: str) -> bool:
    """Two Hebrew (or English) words that may be forms of one another."""
    if query.lower() == entry.lower():
        return True
    a, b = _stems(query), _stems(entry, prefixed=False)
    if a & b:
        return True
    # "אקטיבצ" (from "אקטיבציות") against "אקטיבצי" (from "אקטיבציה")
    return any(len(x) >= 4 and len(y) >= 4 and abs(len(x) - len(y)) == 1
               and (x.startswith(y) or y.startswith(x)) for x in a for y in b)


def _matches(query: str, term: Term) -> bool:
    needle = query.strip().lower()
    if needle in term.hebrew.lower() or needle in term.english.lower():
        return True
    said = _words(query)
    for form in term.hebrew.split(" / "):
        entry = _words(form)
        # the query is (part of) the entry, or the entry stands in the query
        if said and (all(any(_same_word(w, e) for e in entry) for w in said)
                     or all(any(_same_word(w, e) for w in said) for e in entry)):
            return True
    return False


def lookup(text: str) -> list[Term]:
    """The terms ``text`` names: a part of a Hebrew or English entry, or a Hebrew
    phrase as the chapter writes it (with prefixes, plurals, construct forms)."""
    if not text.strip():
        return list(GLOSSARY)
    return [t for t in GLOSSARY if _matches(text, t)]


_HEBREW_WORD = re.compile(r"[\u05d0-\u05ea][\u05d0-\u05ea'\"]*|[A-Za-z][\w']*")


def mentions(text: str, term: Term) -> bool:
    """True when ``text`` says ``term``'s Hebrew, in any of the forms the chapter
    writes it (one-letter prefixes, plural, construct; "ה-covariance" for
    "covariance"): the words of one of its forms in order, next to each other.
    Used to check that the Hebrew edition speaks the chapter's terms."""
    # "ה-covariance": a Hebrew prefix joined to an English word by a hyphen
    words = _HEBREW_WORD.findall(re.sub(r"(?<![\u05d0-\u05ea])[והבלשמכ]{1,3}-"
                                        r"(?=[A-Za-z])", "", text))
    for form in term.hebrew.split(" / "):
        entry = _words(form)
        for i in range(len(words) - len(entry) + 1):
            if all(_same_word(words[i + k], e) for k, e in enumerate(entry)):
                return True
    return False


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell (a ``|`` ends a cell)."""
    return text.replace("|", "\\|")


def as_markdown(terms: list[Term] | tuple[Term, ...] = GLOSSARY,
                lang: str | None = None) -> str:
    """A markdown table of ``terms`` (Hebrew, English, notebook, note); the
    course's own words, not the chapter's, are marked. In Hebrew (``lang``, by
    default the course's language) the headers and notes are Hebrew and the
    table reads right to left."""
    if (lang or language()) != "he":
        rows = ["| עברית | English | notebook | note |", "|---|---|---|---|"]
        for t in terms:
            note = t.note if t.in_chapter else f"course term: {t.note}"
            rows.append(f"| {_cell(t.hebrew)} | {_cell(t.english)} | {t.notebook} | "
                        f"{_cell(note)} |")
        return "\n".join(rows)
    rows = ["| בעברית | באנגלית | מחברת | הערה |", "|---|---|---|---|"]
    for t in terms:
        note = NOTES_HE.get(t.english, "")
        note = note if t.in_chapter else f"מונח של הקורס: {note}"
        rows.append(f"| {_cell(t.hebrew)} | {_cell(t.english)} | {t.notebook} | "
                    f"{_cell(note)} |")
    return ltr_table_cells(rtl("\n".join(rows)))
