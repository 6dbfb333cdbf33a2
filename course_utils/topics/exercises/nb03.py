"""Exercises of notebook 03 (deep autoencoders).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import numpy as np
import torch

from course_utils.core.checks import (
    Exercise,
    Prediction,
    Think,
    Wrong,
    as_numpy,
    as_scalar,
    expect_callable,
    expect_close,
    register,
)
from course_utils.core.i18n import translate
from course_utils.core.messages import say
from course_utils.topics.pca import linear_probe_r2
from course_utils.topics.quality import frechet_distance

# Exercise 3.1 (implement) ------------------------------------------------------


def probe_r2(z, y):
    """R^2 of the least-squares fit y ~ z w + b."""
    z, y = torch.as_tensor(z).double(), torch.as_tensor(y).double().reshape(-1, 1)
    design = torch.cat([z.reshape(len(y), -1), torch.ones(len(y), 1,
                                                          dtype=torch.float64)], 1)
    w = torch.linalg.lstsq(design, y).solution
    residual = y - design @ w
    return float(1 - residual.pow(2).sum() / (y - y.mean()).pow(2).sum())


def _probe_cases():
    g = torch.Generator().manual_seed(3)
    z = torch.randn(200, 2, generator=g)
    y = 2.0 + 1.5 * z[:, 0] - 0.5 * z[:, 1] + 0.7 * torch.randn(200, generator=g)
    z1 = torch.randn(150, 1, generator=g)
    y1 = 5.0 + torch.randn(150, generator=g)  # unrelated to z1, far from 0
    return [(z1, y1, "a 1-D code that says nothing about a factor with mean 5"),
            (z, y, "a 2-D code with a linear factor plus noise")]


def _test_probe(answer) -> None:
    expect_callable(answer, "probe_r2")
    for z, y, what in _probe_cases():
        got = answer(z, y)
        expected = linear_probe_r2(z, y)
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise Wrong("probe_r2 should return one number (R^2).") from None
        if what.startswith("a 1-D") and value < -0.5:
            raise Wrong(f"on {what} your R^2 is {value:.2f}, far below 0: did you "
                        "leave out the intercept b (a column of ones)?")
        expect_close(value, expected, f"R^2 on {what}", rtol=1e-4, atol=1e-4)


def _probe_no_intercept(z, y):
    z, y = torch.as_tensor(z).double(), torch.as_tensor(y).double().reshape(-1, 1)
    w = torch.linalg.lstsq(z.reshape(len(y), -1), y).solution
    r = y - z.reshape(len(y), -1) @ w
    return float(1 - r.pow(2).sum() / (y - y.mean()).pow(2).sum())


def _probe_corr(z, y):  # correlation, not squared, of the first coordinate only
    z, y = torch.as_tensor(z).double(), torch.as_tensor(y).double()
    return float(torch.corrcoef(torch.stack([z.reshape(len(y), -1)[:, 0], y]))[0, 1])


ex1 = Exercise(
    number="3.1",
    title="a linear probe",
    kind="implement",
    test=_test_probe,
    hints=(
        "A least-squares fit with an intercept is a fit without one on a design "
        "matrix with an extra column of ones.",
        "torch.linalg.lstsq(design, y[:, None]).solution gives w and b together; "
        "R^2 is 1 - (sum of squared residuals) / (sum of squares of y - y.mean()).",
        "design = torch.cat([z, torch.ones(len(z), 1)], dim=1) (in float64), then "
        "residual = y - design @ w.",
    ),
    reference=probe_r2,
    wrong_answers=(_probe_no_intercept, _probe_corr),
    success="A probe's R^2 says how much of a factor a code holds linearly.",
)


# Exercise 3.2 (derive) ---------------------------------------------------------

_FRECHET_CASES = [(0.0, 1.0, 0.0, 1.0), (1.0, 1.0, -1.0, 1.0), (0.0, 2.0, 0.0, 0.5),
                  (3.0, 0.3, 1.0, 1.7)]


def frechet_1d(mu1, sigma1, mu2, sigma2):
    """Squared Frechet distance between N(mu1, sigma1^2) and N(mu2, sigma2^2)."""
    return (mu1 - mu2) ** 2 + (sigma1 - sigma2) ** 2


def _test_frechet_1d(answer) -> None:
    expect_callable(answer, "frechet_1d")
    for mu1, s1, mu2, s2 in _FRECHET_CASES:
        expected = frechet_distance([mu1], [[s1 ** 2]], [mu2], [[s2 ** 2]])
        got = as_scalar(answer(mu1, s1, mu2, s2), "frechet_1d(...)")
        if mu1 == mu2 and s1 == s2 and abs(float(got)) > 1e-9:
            raise Wrong(f"two identical Gaussians should be at distance 0, got "
                        f"{float(got):.3g}: the spreads' term must vanish when "
                        "sigma1 = sigma2.")
        if abs(float(got) - ((mu1 - mu2) ** 2 + (s1 ** 2 - s2 ** 2) ** 2)) < 1e-9 \
                and s1 != s2:
            raise Wrong(f"frechet_1d({mu1}, {s1}, {mu2}, {s2}) = {float(got):.4g} "
                        "compares variances; the matrix square root turns "
                        "sigma^2 into sigma, so the spreads enter as standard "
                        "deviations.")
        expect_close(got, expected, f"frechet_1d({mu1}, {s1}, {mu2}, {s2}) (from "
                     "the matrix formula)", rtol=1e-6, atol=1e-9)


ex2 = Exercise(
    number="3.2",
    title="the Frechet distance in one dimension",
    kind="derive",
    test=_test_frechet_1d,
    hints=(
        "With 1x1 matrices every matrix function acts on a number: S1 = sigma1^2, "
        "S2 = sigma2^2, and the square root of sigma^2 is sigma.",
        "The trace term becomes sigma1^2 + sigma2^2 - 2 sqrt(sigma1 sigma2^2 "
        "sigma1): simplify the square root.",
        "sigma1^2 + sigma2^2 - 2 sigma1 sigma2 is a perfect square; add it to the "
        "means' term.",
    ),
    reference=frechet_1d,
    wrong_answers=(
        lambda mu1, s1, mu2, s2: (mu1 - mu2) ** 2 + (s1 ** 2 - s2 ** 2) ** 2,
        lambda mu1, s1, mu2, s2: abs(mu1 - mu2) + abs(s1 - s2),
        lambda mu1, s1, mu2, s2: (mu1 - mu2) ** 2 + s1 ** 2 + s2 ** 2,
    ),
    success="The squared distance of the means plus that of the spreads.",
)


# Exercise 3.3 (predict) --------------------------------------------------------


def _reveal_frechet_pair():
    shift = frechet_distance([0.0], [[1.0]], [1.0], [[1.0]])
    wide = frechet_distance([0.0], [[1.0]], [0.0], [[4.0]])
    shown = (f"Frechet distance from N(0, 1): to N(1, 1) it is {shift:.4f}, to "
             f"N(0, 2^2) it is {wide:.4f} (the matrix formula of section 5).")
    return ("c" if abs(shift - wide) < 1e-9 else "a" if shift > wide else "b"), shown


ex3 = Prediction(
    number="3.3",
    title="a shifted or a wider Gaussian",
    answer_name="prediction_3_3",
    hints=(
        "Exercise 3.2's formula has one term for the means and one for the "
        "spreads; what is each here?",
        "A shift of 1 and a standard deviation that goes from 1 to 2.",
    ),
    reveal=_reveal_frechet_pair,
    choices=("a", "b", "c"),
    reference="c",
    explain={
        "a": "The spreads' term is (2 - 1)^2 = 1, as large as the means' term "
             "(1 - 0)^2: a sample set that is too spread counts as much as one "
             "that is off-centre by the same amount.",
        "b": "The variance grows by 3, but the distance compares standard "
             "deviations: (2 - 1)^2 = 1, the same as the shift's (1 - 0)^2.",
    },
    wrong_answers=("a", "b"),
    success="The Frechet distance cannot tell a blurred generator from a shifted one "
            "by its value alone; look at both terms.",
    # section 5 gives the matrix formula, not these two distances
    revealed_by=(),
)


# Exercise 3.4 (explore) --------------------------------------------------------

OBJECTS = ("dog", "bird", "car", "airplane")
ALIVE = torch.tensor([1.0, 1.0, 0.0, 0.0])
FLIES = torch.tensor([0.0, 1.0, 0.0, 1.0])


def _probe_pair(code) -> tuple[float, float]:
    z = torch.as_tensor(as_numpy(code, "your code")).reshape(-1, 1)
    return linear_probe_r2(z, ALIVE), linear_probe_r2(z, FLIES)


def _test_line_code(answer) -> None:
    values = as_numpy(answer, "code_3_4")
    if values.shape != (4,) or not np.all(np.isfinite(values)):
        raise Wrong("code_3_4 should be four finite numbers, one per object "
                    f"{OBJECTS} (got shape {values.shape}).")
    gaps = np.diff(np.sort(values))
    if gaps.min() < 0.02 * (np.ptp(values) + 1e-12):
        raise Wrong("two objects get (almost) the same number: the autoencoder must "
                    "still tell all four apart, so keep every two codes at least "
                    "2% of the range apart.")
    alive, flies = _probe_pair(values)
    if min(alive, flies) < 0.4:
        raise Wrong(f"on your code the probe reads R^2 = {alive:.2f} for alive and "
                    f"{flies:.2f} for flies; make both at least 0.4. Which "
                    "combination of the two factors could one number carry?")
    say(translate(
        f"On your code R^2(alive) = {alive:.2f} and R^2(flies) = {flies:.2f}: "
        f"together {alive + flies:.2f}, at most 1, whatever you try."))


ex4 = Exercise(
    number="3.4",
    title="one number for two factors",
    kind="explore",
    answer_name="code_3_4",
    test=_test_line_code,
    hints=(
        "Try a few codes with nb03.ex4.probe(code), which prints both R^2 values; "
        "the order dog, bird, car, airplane is one start.",
        "A code equal to alive reads alive perfectly and flies not at all. What "
        "about alive + flies?",
        "alive + flies gives dog and airplane the same number; nudge one of them "
        "so that all four differ.",
    ),
    reference=[1.0, 2.0, 0.0, 1.1],
    wrong_answers=([0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]),
    success="Alive and flies are uncorrelated and equally spread over the four "
            "objects, so R^2(alive) + R^2(flies) <= 1 on any 1-D code: one number "
            "can split itself between the factors but never hold both.",
)


def _print_probe(code) -> None:
    alive, flies = _probe_pair(code)
    print(f"R^2(alive) = {alive:.3f}, R^2(flies) = {flies:.3f}")


ex4.probe = _print_probe


# Exercise 3.5 (think) ----------------------------------------------------------

ex5 = Think(
    number="3.5",
    title="why random codes decode to nothing",
    answer_name="answer_3_5",
    hints=(
        "Which term of the autoencoder's loss mentions the codes of points that "
        "are not in the training set?",
        "Where do the training codes lie, and what did the decoder see between "
        "and around them?",
    ),
    model_answer=(
        "The autoencoder's loss only asks that each training image's own code "
        "decode back to it. Nothing says where the codes should lie, so they "
        "spread over an arbitrary, clustered region of the latent space, with "
        "gaps and a scale the network picked. A random point, drawn from a "
        "distribution we chose, mostly falls where no training code is; the "
        "decoder was never trained there and outputs whatever its weights give. "
        "To generate we need to know where the codes are: the VAE adds a term "
        "that pulls the codes' distribution towards a fixed prior, N(0, I), so "
        "that drawing from the prior lands where the decoder was trained."
    ),
    key_ideas=(("the loss only sees training codes", r"train|loss|reconstruct"),
               ("codes lie in an arbitrary region", r"region|cluster|gap|where|"
                r"scale|spread"),
               ("a prior fixes it (VAE)", r"prior|vae|kl|n\(0")),
)

EXERCISES = register(globals())
