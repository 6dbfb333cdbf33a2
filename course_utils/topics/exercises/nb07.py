"""Exercises of notebook 07 (7.2 Generative Adversarial Networks).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import functools
import math

import torch

from course_utils.core.checks import (
    Exercise,
    Prediction,
    Think,
    Wrong,
    expect_callable,
    expect_close,
    expect_number,
    register,
)
from course_utils.core.i18n import translate
from course_utils.core.messages import say
from course_utils.core.synthetic import normal_pdf, ring_centers, sample_ring
from course_utils.topics.modes import mode_coverage


def _densities(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Two known 1-D densities on a grid (a two-Gaussian mixture and a Gaussian)."""
    x = torch.linspace(-8.0, 8.0, 4001, dtype=torch.float64)
    dx = float(x[1] - x[0])
    p = 0.5 * normal_pdf(x, -1.5, 0.5) + 0.5 * normal_pdf(x, 1.5, 0.5)
    q = normal_pdf(x, 0.5 + 0.1 * seed, 1.0)
    return p, q, dx


# Exercise 7.1 (derive) ---------------------------------------------------------


def weighted_discriminator(p_data, p_g, k):
    """The D maximising E_data[log D] + k E_g[log(1 - D)], on a grid."""
    return p_data / (p_data + k * p_g)


def _test_weighted_discriminator(answer) -> None:
    expect_callable(answer, "weighted_discriminator")
    p, q, _ = _densities()
    for k in (1.0, 3.0, 0.25):
        d = answer(p, q, k)
        if not isinstance(d, torch.Tensor) or d.shape != p.shape:
            raise Wrong("return a tensor with one value per grid point (the shape "
                        "of p_data).")
        if k != 1 and torch.allclose(d, p / (p + q)):
            raise Wrong(f"with k = {k} your D* ignores k: the fake term's weight "
                        "changes the balance at every x.")
        if k != 1 and torch.allclose(d, k * p / (k * p + q)):
            raise Wrong(f"with k = {k} you weighted the data, not the generated "
                        "samples: k multiplies log(1 - D), so it goes with p_g.")
        _expect_a_maximum(d, p, q, k)
        expect_close(d, weighted_discriminator(p, q, k), f"D* for k = {k}",
                     rtol=1e-6, atol=1e-9)


def _objective(d, p, q, k) -> float:
    d = d.clamp(1e-12, 1 - 1e-12)
    return float((p * d.log() + k * q * (1 - d).log()).sum())


def _expect_a_maximum(d, p, q, k) -> None:
    """Checked numerically: nudging the answer up or down does not raise the
    objective (a maximum), before comparing it with the formula."""
    value = _objective(d, p, q, k)
    for nudge in (0.99, 1.01):
        if _objective(d * nudge, p, q, k) > value + 1e-9:
            raise Wrong(f"for k = {k}, multiplying your D by {nudge} raises the "
                        "objective, so it is not the maximum: set the derivative "
                        "of the integrand to zero at each x.")


ex1 = Exercise(
    number="7.1",
    title="the optimal discriminator, weighted",
    kind="derive",
    test=_test_weighted_discriminator,
    hints=(
        "As for D* in section 1, the objective is an integral over x; maximise "
        "the integrand at each x separately.",
        "At one x, maximise a log y + b log(1 - y) over y, with a = p_data(x) and "
        "b = k p_g(x): the derivative is a / y - b / (1 - y).",
        "y = a / (a + b); with b = k p_g(x).",
    ),
    reference=weighted_discriminator,
    wrong_answers=(
        lambda p_data, p_g, k: p_data / (p_data + p_g),          # ignores k
        lambda p_data, p_g, k: k * p_data / (k * p_data + p_g),  # k on the data
        lambda p_data, p_g, k: p_data / (k * p_data + p_g),      # not a probability
    ),
    success="With k generated samples per real one, D* = p_data / (p_data + k "
            "p_g): 1 / (1 + k) where the generator matches the data, not 1/2.",
)


# Exercise 7.2 (predict) --------------------------------------------------------


def _reveal_gradient_ratio():
    logit = torch.tensor(math.log(0.01 / 0.99), dtype=torch.float64,
                         requires_grad=True)
    d = torch.sigmoid(logit)
    (minmax,) = torch.autograd.grad(torch.log1p(-d), logit)
    d = torch.sigmoid(logit)
    (nonsat,) = torch.autograd.grad(-torch.log(d), logit)
    ratio = float(nonsat / minmax)
    shown = (f"At D(G(z)) = 0.01, the gradient with respect to the discriminator's "
             f"logit: min-max {float(minmax):.4f}, non-saturating "
             f"{float(nonsat):.4f}; ratio {ratio:.1f}.")
    return round(ratio), shown


def _explain_ratio(prediction, truth):
    if prediction <= 1.5:
        return ("Both losses push D(G(z)) up, but not equally hard: log(1 - D) is "
                "flat near D = 0, -log D is steep there. The ratio of their "
                "slopes is (1 - D) / D = 0.99 / 0.01.")
    return ("The ratio is (1 - D) / D: with respect to the logit the min-max "
            "gradient is -D = -0.01 and the non-saturating one -(1 - D) = -0.99.")


ex2 = Prediction(
    number="7.2",
    title="how much steeper is the non-saturating loss",
    answer_name="prediction_7_2",
    hints=(
        "Early in training the discriminator wins: D(G(z)) = 0.01. Compare the "
        "slopes of log(1 - D) and -log D there.",
        "d/dD log(1 - D) = -1 / (1 - D), d/dD (-log D) = -1 / D.",
    ),
    reveal=_reveal_gradient_ratio,
    reference=99.0,
    tolerance=0.2,
    explain=_explain_ratio,
    wrong_answers=(1.0, 2.0, 10000.0),
    success="That is the factor (1 - D) / D that section 2 derives next: the "
            "generator still learns when the discriminator is winning.",
    # section 2's derivation, its plot of both gradients and its printed ratio
    revealed_by=("80884794", "3f17d5ed", "eb757f75", "601cc122"),
)


# Exercise 7.4 (explore) --------------------------------------------------------

LEVEL = 0.99 * math.log(2)


def jsd(t) -> float:
    """JSD (nats) between the data N(0, 1) and a generator N(t, 1), by quadrature."""
    t = abs(float(t))
    x = torch.linspace(-10.0, t + 10.0, 4001, dtype=torch.float64)
    dx = float(x[1] - x[0])
    p, q = normal_pdf(x, 0.0, 1.0), normal_pdf(x, t, 1.0)
    m = 0.5 * (p + q)

    def kl(a, b):
        keep = a > 1e-300
        return float((a[keep] * (a[keep] / b[keep]).log()).sum() * dx)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


@functools.lru_cache(maxsize=1)
def _saturation() -> float:
    lo, hi = 0.0, 20.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if jsd(mid) >= LEVEL else (mid, hi)
    return hi


def _test_saturation(answer) -> None:
    t = expect_number(answer, "t_7_4")
    if jsd(t) < LEVEL:
        raise Wrong(f"at t = {t:g} the JSD is {jsd(t):.4f} nats, below 99% of log 2 "
                    f"= {LEVEL:.4f}: move the generator further away.")
    if jsd(0.9 * t) >= LEVEL:
        raise Wrong(f"at t = {t:g} the JSD has saturated, but already at "
                    f"{0.9 * t:.3g}: find the smallest such distance (within 10%).")
    say(translate(
        f"From t = {_saturation():.2f} on, the JSD is within 1% of log 2 and "
        "barely moves: a generator that far away gets almost no signal from it."))


ex4 = Exercise(
    number="7.4",
    title="where the JSD stops helping",
    kind="explore",
    answer_name="t_7_4",
    test=_test_saturation,
    hints=(
        "Call nb07.ex4.jsd(t) for t = 0.5, 1, 2, 4, 8 and compare with log 2 = "
        "0.693.",
        "The JSD saturates at log 2 once the two densities barely overlap; search "
        "between the last t below the level and the first above it.",
        "Halve the interval until it is narrower than 10% of t (bisection).",
    ),
    reference=5.8,
    wrong_answers=(1.0, 3.0, 20.0),
    success="Once the supports barely overlap the JSD is flat in t: the min-max "
            "game then gives the generator a vanishing gradient, one reason for "
            "the non-saturating loss and for the minibatch tricks of section 3.",
)
ex4.jsd = jsd


# Exercise 7.3 (implement) --------------------------------------------------

def modes_covered(samples, centers, std):
    """Number of modes of a Gaussian mixture covered by `samples` (n, 2)."""
    dist = torch.cdist(samples, centers)
    nearest = dist.min(dim=1)
    near = nearest.values < 3 * std
    counts = torch.bincount(nearest.indices[near], minlength=len(centers))
    return int((counts >= 0.25 * len(samples) / len(centers)).sum())


def _test_sets():
    centers = ring_centers(8, 2.0)
    g = torch.Generator().manual_seed(0)
    std = 0.05
    full = sample_ring(4000, g, centers, std)
    three = sample_ring(4000, g, centers[:3], std)
    # two modes well covered, two with a trickle (below a quarter of the fair share)
    trickle = torch.cat([sample_ring(1900, g, centers[:2], std),
                         sample_ring(100, g, centers[2:4], std)])
    # points 4 std away from a centre do not count for it
    off = centers[:1] + torch.tensor([[4 * std, 0.0]]) * torch.ones(1000, 1)
    # points 2 std from the first centre still count for it
    angle = torch.linspace(0, 6.28, 1000)[:, None]
    wide = centers[:1] + 2 * std * torch.cat([angle.cos(), angle.sin()], dim=1)
    return centers, std, [(full, 8), (three, 3), (trickle, 2), (off, 0), (wide, 1)]


def _test_modes_covered(answer) -> None:
    expect_callable(answer, "modes_covered")
    centers, std, cases = _test_sets()
    messages = {8: "the real ring (all eight modes)", 3: "samples from three modes",
                2: "two modes plus a trickle of samples on two others",
                0: "points 4 standard deviations from a centre",
                1: "points 2 standard deviations from one centre"}
    for samples, expected in cases:
        got = expect_number(answer(samples, centers, std), "modes_covered(...)")
        if expected == 8 and int(got) != mode_coverage(samples, centers, std).covered:
            raise Wrong("the course's own measure disagrees on the real ring.")
        if int(got) != expected:
            hint = ""
            if expected == 2 and int(got) == 4:
                hint = (" A mode with a handful of samples is not covered: it needs "
                        "a quarter of its fair share n / k.")
            if expected == 1 and int(got) == 0:
                hint = " The radius is three standard deviations, not one."
            if expected == 0 and int(got) > 0:
                hint = " Only samples within 3 std of a centre count for it."
            raise Wrong(f"for {messages[expected]} you count {int(got)} covered "
                        f"modes, expected {expected}.{hint}")


ex3 = Exercise(
    number="7.3",
    title="counting covered modes",
    kind="implement",
    test=_test_modes_covered,
    hints=(
        "Three steps: each sample's nearest centre; keep the samples within 3 std "
        "of it; count the kept samples per mode and compare with n / k / 4.",
        "torch.cdist(samples, centers) gives all the distances, .min(dim=1) the "
        "nearest centre and its distance.",
        "torch.bincount(indices, minlength=len(centers)) counts per mode; a mode "
        "is covered when its count is >= 0.25 * n / k.",
    ),
    reference=modes_covered,
    wrong_answers=(
        # any sample near a mode counts
        lambda s, c, std: int((torch.cdist(s, c) < 3 * std).any(dim=0).sum()),
        # forgets the 3-std radius: every sample counts for its nearest mode
        lambda s, c, std: int((torch.bincount(torch.cdist(s, c).argmin(dim=1),
                                              minlength=len(c))
                               >= 0.25 * len(s) / len(c)).sum()),
        # one standard deviation instead of three
        lambda s, c, std: modes_covered(s, c, std / 3),
    ),
    success="This is mode_coverage (course_utils.topics.modes), the measure of "
            "section 3.",
)


# Exercise 7.5 (think) ----------------------------------------------------------

ex5 = Think(
    number="7.5",
    title="why the batch's spread helps",
    answer_name="answer_7_5",
    hints=(
        "What does a discriminator that sees one sample at a time know about how "
        "many modes the generator covers?",
        "A collapsed generator's batch has a spread far smaller than a real "
        "batch's. Who can see that, and what does the generator do about it?",
    ),
    model_answer=(
        "A discriminator that judges one sample at a time can only ask 'does this "
        "look real?'; a generator that puts every sample on one convincing mode "
        "passes that test, so nothing pushes it to the other modes. When the "
        "discriminator also sees a statistic of the whole batch, such as the "
        "standard deviation of its features, a collapsed batch (tiny spread) is "
        "easy to tell from a real one (the ring's spread). Fooling it now "
        "requires batches as varied as the data, so the generator's gradient "
        "pushes samples apart, towards the uncovered modes."
    ),
    key_ideas=(("one sample at a time cannot see diversity", r"one sample|each "
                r"sample|single|individual"),
               ("the batch statistic exposes collapse", r"batch|spread|standard "
                r"deviation|std|varie|divers"),
               ("the generator is pushed to other modes", r"apart|other modes|"
                r"cover|spread out|push")),
)

EXERCISES = register(globals())
