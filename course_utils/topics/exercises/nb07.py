"""Exercises of notebook 07 (7.2 Generative Adversarial Networks)."""

from __future__ import annotations

import math

import torch

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close
from course_utils.core.synthetic import normal_pdf, ring_centers, sample_ring
from course_utils.topics.modes import mode_coverage


def _densities(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Two known 1-D densities on a grid (a two-Gaussian mixture and a Gaussian)."""
    x = torch.linspace(-8.0, 8.0, 4001, dtype=torch.float64)
    dx = float(x[1] - x[0])

    p = 0.5 * normal_pdf(x, -1.5, 0.5) + 0.5 * normal_pdf(x, 1.5, 0.5)
    q = normal_pdf(x, 0.5 + 0.1 * seed, 1.0)
    return p, q, dx


# Exercise 7.1: the optimal discriminator ------------------------------------------

def _reference_optimal_discriminator(p_data, p_g):
    return p_data / (p_data + p_g)


def _test_optimal_discriminator(optimal_discriminator) -> None:
    expect_callable(optimal_discriminator, "optimal_discriminator")
    p, q, _ = _densities()
    d = optimal_discriminator(p, q)
    if not isinstance(d, torch.Tensor) or d.shape != p.shape:
        raise Wrong("return a tensor with one value per grid point (the shape of "
                    "p_data).")
    expect_close(optimal_discriminator(p, p), torch.full_like(p, 0.5),
                 "D* when p_g = p_data (it should be 1/2 everywhere)")
    if float(d[torch.argmin((torch.linspace(-8, 8, 4001) + 1.5).abs())]) < 0.5:
        raise Wrong("at x = -1.5 only the data has much mass, so D* should be close "
                    "to 1 there, not close to 0: which density goes on top?")
    expect_close(d, _reference_optimal_discriminator(p, q),
                 "D*(x) on the test grid", rtol=1e-6, atol=1e-9)


ex1 = Exercise(
    number="7.1",
    title="the optimal discriminator",
    test=_test_optimal_discriminator,
    hint_text="for each x, maximise a log y + b log(1 - y) over y, with a = p_data(x) "
              "and b = p_g(x): set the derivative a/y - b/(1 - y) to zero.",
    solution_text="""
        def optimal_discriminator(p_data, p_g):
            # a/y - b/(1 - y) = 0  gives  y = a / (a + b)
            return p_data / (p_data + p_g)
    """,
    reference=_reference_optimal_discriminator,
    wrong_answers=(
        lambda p_data, p_g: p_g / (p_data + p_g),        # labels swapped
        lambda p_data, p_g: p_data / p_g,                # a ratio, not a probability
        lambda p_data, p_g: torch.full_like(p_data, 0.5),  # the value only at the end
        lambda p_data, p_g: p_data / (p_data + p_g).sum(),  # normalised over x
    ),
    success="D* is a probability: the chance that x came from the data, given that "
            "it came from the data or the generator with equal odds.",
)


# Exercise 7.2: a JSD estimate from a discriminator -------------------------------

def _kl(p, q, dx):
    keep = p > 0
    return float((p[keep] * torch.log(p[keep] / q[keep])).sum() * dx)


def _true_jsd() -> float:
    p, q, dx = _densities()
    m = (p + q) / 2
    return 0.5 * _kl(p, m, dx) + 0.5 * _kl(q, m, dx)


def _reference_jsd_from_discriminator(d_real, d_fake):
    value = torch.log(d_real).mean() + torch.log1p(-d_fake).mean()
    return float((value + math.log(4)) / 2)


def _discriminator_outputs(n: int = 200_000):
    """D* at samples of p_data and of p_g (the densities of _densities)."""
    g = torch.Generator().manual_seed(0)
    comp = torch.randint(2, (n,), generator=g, dtype=torch.float64)
    x_real = 3.0 * comp - 1.5 + 0.5 * torch.randn(n, generator=g, dtype=torch.float64)
    x_fake = 0.5 + torch.randn(n, generator=g, dtype=torch.float64)

    def d_star(x):
        p = 0.5 * normal_pdf(x, -1.5, 0.5) + 0.5 * normal_pdf(x, 1.5, 0.5)
        return p / (p + normal_pdf(x, 0.5, 1.0))

    return d_star(x_real), d_star(x_fake)


def _test_jsd_from_discriminator(jsd_from_discriminator) -> None:
    expect_callable(jsd_from_discriminator, "jsd_from_discriminator")
    half = torch.full((1000,), 0.5, dtype=torch.float64)
    expect_close(jsd_from_discriminator(half, half), 0.0,
                 "the estimate when D = 1/2 on every sample (the generator has won)",
                 atol=1e-9)
    d_real, d_fake = _discriminator_outputs()
    value = float(jsd_from_discriminator(d_real, d_fake))
    reference = _reference_jsd_from_discriminator(d_real, d_fake)
    if abs(value - reference / math.log(2)) < 1e-6:
        raise Wrong("your value is in bits (log base 2); the course works in nats.")
    if abs(value - 2 * reference) < 1e-6:
        raise Wrong("you have V + log 4 = 2 JSD; divide by 2.")
    expect_close(value, reference, "the estimate from D* on 200,000 samples each",
                 rtol=1e-6)
    expect_close(value, _true_jsd(), "the estimate compared with the exact JSD",
                 atol=0.01)


ex2 = Exercise(
    number="7.2",
    title="a JSD estimate from a discriminator",
    test=_test_jsd_from_discriminator,
    hint_text="V is a sum of two means, log D on real samples and log(1 - D) on "
              "generated ones; V = -log 4 + 2 JSD, so JSD = (V + log 4) / 2.",
    solution_text="""
        def jsd_from_discriminator(d_real, d_fake):
            value = torch.log(d_real).mean() + torch.log1p(-d_fake).mean()
            return float((value + math.log(4)) / 2)
    """,
    reference=_reference_jsd_from_discriminator,
    wrong_answers=(
        lambda d_real, d_fake: float(torch.log(d_real).mean()
                                     + torch.log1p(-d_fake).mean()),      # V itself
        lambda d_real, d_fake: 2 * _reference_jsd_from_discriminator(d_real, d_fake),
        lambda d_real, d_fake: float((torch.log(d_real).mean()
                                      + torch.log(d_fake).mean() + math.log(4)) / 2),
        lambda d_real, d_fake: _reference_jsd_from_discriminator(d_real, d_fake)
        / math.log(2),                                                     # bits
    ),
    success="A trained discriminator measures how far the generator is from the "
            "data: the GAN's value is an estimate of the JSD (from below).",
)


# Exercise 7.3: counting covered modes --------------------------------------------

def _reference_modes_covered(samples, centers, std):
    return mode_coverage(samples, centers, std).covered


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


def _test_modes_covered(modes_covered) -> None:
    expect_callable(modes_covered, "modes_covered")
    centers, std, cases = _test_sets()
    messages = {8: "the real ring (all eight modes)", 3: "samples from three modes",
                2: "two modes plus a trickle of samples on two others",
                0: "points 4 standard deviations from a centre",
                1: "points 2 standard deviations from one centre"}
    for samples, expected in cases:
        got = modes_covered(samples, centers, std)
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
    test=_test_modes_covered,
    hint_text="torch.cdist(samples, centers) gives all distances; take each "
              "sample's nearest centre, keep those within 3 * std, count them per "
              "mode with torch.bincount, and compare with n / k / 4.",
    solution_text="""
        def modes_covered(samples, centers, std):
            dist = torch.cdist(samples, centers)
            nearest = dist.min(dim=1)
            near = nearest.values < 3 * std
            counts = torch.bincount(nearest.indices[near], minlength=len(centers))
            return int((counts >= 0.25 * len(samples) / len(centers)).sum())
    """,
    reference=_reference_modes_covered,
    wrong_answers=(
        # any sample near a mode counts
        lambda s, c, std: int((torch.cdist(s, c) < 3 * std).any(dim=0).sum()),
        # forgets the 3-std radius: every sample counts for its nearest mode
        lambda s, c, std: int((torch.bincount(torch.cdist(s, c).argmin(dim=1),
                                              minlength=len(c))
                               >= 0.25 * len(s) / len(c)).sum()),
        # one standard deviation instead of three
        lambda s, c, std: _reference_modes_covered(s, c, std / 3),
    ),
    success="This is mode_coverage (course_utils.topics.modes), the measure of "
            "section 3.",
)
