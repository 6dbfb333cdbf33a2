"""Exercises of notebook 09 (7.2 Generative Adversarial Networks: the family).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import math

import torch

from course_utils.core.checks import (
    Exercise,
    Prediction,
    Think,
    Wrong,
    as_scalar,
    expect_callable,
    expect_close,
    register,
)
from course_utils.core.synthetic import normal_pdf
from course_utils.topics.exercises.nb07 import jsd

# Exercise 9.1 (implement) ------------------------------------------------------


def penalty_at(critic, real, fake, t):
    """WGAN-GP's penalty at the points t * real + (1 - t) * fake."""
    mix = (t * real + (1 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    return (grad.reshape(len(mix), -1).norm(dim=1) - 1).pow(2).mean()


def _penalty_cases():
    g = torch.Generator().manual_seed(0)
    real = torch.rand(16, 3, 4, generator=g, dtype=torch.float64)
    fake = torch.rand(16, 3, 4, generator=g, dtype=torch.float64)
    t = torch.rand(16, 1, 1, generator=g, dtype=torch.float64)
    w = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    return real, fake, t, w


def _test_gradient_penalty(answer) -> None:
    expect_callable(answer, "penalty_at")
    real, fake, t, w = _penalty_cases()

    def linear(x):  # gradient w everywhere: the penalty is (|w| - 1)^2
        return (x * w).sum(dim=(1, 2))

    value = answer(linear, real, fake, t)
    if not isinstance(value, torch.Tensor) or value.ndim != 0:
        raise Wrong("return a scalar tensor (the mean over the batch).")
    want = float((w.detach().norm() - 1) ** 2)
    batch = float((len(real) ** 0.5 * w.detach().norm() - 1) ** 2)
    if abs(float(value.detach()) - batch) < 1e-9:
        raise Wrong("you took one norm over the whole batch; the constraint is on "
                    "each sample's gradient: one norm per sample (over all its "
                    "other axes), then the mean of (norm - 1)^2.")
    if abs(float(value.detach()) - float(w.detach().norm() ** 2)) < 1e-9:
        raise Wrong("for the linear critic f(x) = <w, x> you return |w|^2: the "
                    "penalty is (|grad| - 1)^2, which is zero at slope 1, not at "
                    "slope 0.")
    expect_close(float(value.detach()), want,
                 "the penalty of a linear critic f(x) = <w, x>, which is (|w| - 1)^2")
    if not value.requires_grad:
        raise Wrong("the penalty must stay differentiable in the critic's weights "
                    "(it is part of the critic's loss): pass create_graph=True to "
                    "torch.autograd.grad.")

    def bumpy(x):   # its gradient 1.4 x differs from sample to sample
        return (x.reshape(len(x), -1) ** 2).sum(1) * 0.7

    got = as_scalar(answer(bumpy, real, fake, t), "the penalty of f(x) = 0.7 |x|^2")
    mix = t * real + (1 - t) * fake
    one_norm = float(((1.4 * mix).norm() - 1) ** 2)
    if abs(got - one_norm) < 1e-9:
        raise Wrong("you took one norm over the whole batch; the constraint is on "
                    "each sample's gradient: one norm per sample (over all its "
                    "other axes), then the mean of (norm - 1)^2.")
    expect_close(got, float(penalty_at(bumpy, real, fake, t).detach()),
                 "the penalty of f(x) = 0.7 |x|^2 (its gradient depends on x)")


def _batch_norm_penalty(critic, real, fake, t):
    mix = (t * real + (1 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    return (grad.norm() - 1).pow(2)


def _squared_norm_penalty(critic, real, fake, t):
    mix = (t * real + (1 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    return grad.reshape(len(mix), -1).pow(2).sum(1).mean()


ex1 = Exercise(
    number="9.1",
    title="the gradient penalty",
    kind="implement",
    test=_test_gradient_penalty,
    hints=(
        "Three steps: the mixed points (marked as needing a gradient), the "
        "gradient of the critic's scores with respect to them, and the penalty "
        "from each sample's gradient norm.",
        "torch.autograd.grad(critic(mix).sum(), mix, create_graph=True) gives the "
        "gradient of every sample's score at once (the scores do not mix samples); "
        "create_graph keeps the result differentiable.",
        "grad.reshape(len(mix), -1).norm(dim=1) is one norm per sample; return "
        "((norms - 1) ** 2).mean().",
    ),
    reference=penalty_at,
    wrong_answers=(
        _batch_norm_penalty,    # one norm over the whole batch, not per sample
        _squared_norm_penalty,  # |grad|^2, not (|grad| - 1)^2
        # without create_graph: the critic's weights get no gradient from it
        lambda c, r, f, t: penalty_at(c, r, f, t).detach(),
    ),
    success="The penalty holds the critic's slope near 1 where it matters: between "
            "the data and the generator's samples.",
)


# Exercise 9.2 (predict) --------------------------------------------------------


def _reveal_w1():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(100_000, generator=g, dtype=torch.float64)
    b = torch.randn(100_000, generator=g, dtype=torch.float64) + 3
    value = float((a.sort().values - b.sort().values).abs().mean())
    shown = (f"W_1 between 100,000 samples of N(0, 1) and of N(3, 1): {value:.3f}. "
             f"Their JSD is {jsd(3.0):.2f} nats, and {jsd(6.0):.2f} for a shift "
             f"of 6 (its ceiling is log 2 = {math.log(2):.2f}).")
    return 3.0, shown


def _explain_w1(prediction, truth):
    if abs(prediction - 9) < 1:
        return ("W_1 moves mass by the distance, not its square (that is W_2 "
                "squared): every grain of sand moves by 3.")
    if prediction < 1:
        return ("W_1 is not a divergence capped at log 2: it is in the data's own "
                "units, the distance the mass moves. Shifting a distribution by 3 "
                "moves every grain by 3.")
    return ("The cheapest plan moves each point x of N(0, 1) to x + 3: every grain "
            "of sand moves by 3, whatever the spread.")


ex2 = Prediction(
    number="9.2",
    title="how far is N(3, 1) from N(0, 1)",
    answer_name="prediction_9_2",
    hints=(
        "W_1 is the least average distance the probability mass must move to turn "
        "one distribution into the other.",
        "The second distribution is the first one shifted: is there a plan that "
        "moves every grain by the same amount?",
    ),
    reveal=_reveal_w1,
    reference=3.0,
    tolerance=0.05,
    explain=_explain_w1,
    wrong_answers=(9.0, 0.69, 1.5),
    success="For a shift, W_1 is the shift, however little the two overlap, "
            "while the JSD flattens out at log 2 once they stop overlapping: W_1 "
            "still says how far.",
    # section 3 estimates W_1 between images, never between these two Gaussians
    revealed_by=(),
)


# Exercise 9.3 (implement) ------------------------------------------------------


def wasserstein_1d(a, b):
    """W_1 between the empirical distributions of two equal-size 1-D samples."""
    return float((a.sort().values - b.sort().values).abs().mean())


def _test_wasserstein_1d(answer) -> None:
    expect_callable(answer, "wasserstein_1d")
    x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    y = torch.tensor([2.0, 0.0, 1.0], dtype=torch.float64)
    if abs(as_scalar(answer(x, y), "wasserstein_1d(...)")) > 1e-12:
        raise Wrong("[0, 1, 2] and [2, 0, 1] are the same distribution (the same "
                    "values in another order), so W_1 is 0: sort both samples "
                    "before matching them.")
    u = torch.tensor([0.0, 0.0, 0.0, 2.0], dtype=torch.float64)
    v = torch.zeros(4, dtype=torch.float64)
    value = as_scalar(answer(u, v), "wasserstein_1d(...)")
    if abs(value - 2.0) < 1e-9:
        raise Wrong("for [0, 0, 0, 2] against [0, 0, 0, 0] you return 2, the "
                    "largest move; W_1 averages the moves over all the mass: a "
                    "quarter of it moves by 2, so W_1 = 0.5.")
    if abs(value - 1.0) < 1e-9:
        raise Wrong("for [0, 0, 0, 2] against [0, 0, 0, 0] you return 1: that "
                    "squares the moves (as W_2 does); W_1 averages |difference| "
                    "itself: 0.5.")
    expect_close(value, 0.5, "W_1 between [0, 0, 0, 2] and [0, 0, 0, 0]")
    g = torch.Generator().manual_seed(0)
    a = torch.randn(5000, generator=g, dtype=torch.float64)
    b = 2 * torch.randn(5000, generator=g, dtype=torch.float64) + 3
    expect_close(as_scalar(answer(a, b), "wasserstein_1d(...)"), wasserstein_1d(a, b),
                 "W_1 between samples of N(0, 1) and N(3, 2^2)", rtol=1e-9)


ex3 = Exercise(
    number="9.3",
    title="the Wasserstein distance in one dimension",
    kind="implement",
    test=_test_wasserstein_1d,
    hints=(
        "In one dimension the cheapest plan never crosses: the smallest point of "
        "one sample goes to the smallest of the other, and so on.",
        "a.sort().values and b.sort().values line the two samples up; each pair "
        "is one grain's move.",
        "Return the mean of |a_sorted - b_sorted| (each point carries mass 1/n).",
    ),
    reference=wasserstein_1d,
    wrong_answers=(
        lambda a, b: float((a - b).abs().mean()),                   # unsorted
        lambda a, b: float(((a.sort().values - b.sort().values) ** 2).mean()),
        lambda a, b: float((a.sort().values - b.sort().values).abs().max()),
    ),
    success="W_1 is the mass times the distance moved; try it on your samples of "
            "N(0, 1) and N(3, 1): close to 3.",
)


# Exercise 9.4 (think) ----------------------------------------------------------

ex4 = Think(
    number="9.4",
    title="why the conditional generator obeys the label",
    answer_name="answer_9_4",
    hints=(
        "Suppose the generator ignores y and draws a fine trouser when asked for "
        "a bag. What exactly does the discriminator see, and has it ever seen "
        "that in the data?",
        "The discriminator judges the pair (x, y). Which pairs occur among the "
        "real ones, and what does the generator's gradient then reward?",
    ),
    model_answer=(
        "The discriminator judges pairs (x, y), not images alone. Among the real "
        "pairs a bag image always comes with the label 'bag', so a generated pair "
        "(trouser, 'bag') is easy to call fake however good the trouser looks: a "
        "mismatch between image and label gives it away. To fool the "
        "discriminator the generator must make x look like a real sample of the "
        "class it was given, so its gradient pushes G(z, y) towards the "
        "conditional distribution p(x | y). An unconditional discriminator could "
        "not see the label, and would pass the trouser."
    ),
    key_ideas=(("the discriminator sees image and label together", r"pair|together|"
                r"(image|x) and (the )?label|D\(x, ?y\)|joint"),
               ("a mismatched pair is easy to call fake", r"mismatch|match|never|"
                r"wrong (class|label)|does not fit|inconsistent"),
               ("so the generator learns the class's distribution", r"p\(x ?\| ?y\)|"
                r"condition|class (it|asked|given)|given class|the class")),
)


# Exercise 9.5 (derive) ---------------------------------------------------------


def best_critic(x, t):
    """Scores at the points x (a tensor) of the best 1-Lipschitz critic between
    the data N(0, 1) and a generator N(t, 1)."""
    return -x if t > 0 else x


def _test_best_critic(answer) -> None:
    expect_callable(answer, "best_critic")
    for t in (3.0, -1.5, 0.5):
        x = torch.linspace(-12.0, 12.0, 4801, dtype=torch.float64)
        dx = float(x[1] - x[0])
        f = answer(x, t)
        if not isinstance(f, torch.Tensor) or f.shape != x.shape:
            raise Wrong("return a tensor of scores, one per point of x (the shape "
                        "of x).")
        f = f.double()
        slope = float((f.diff() / dx).abs().max())
        if slope > 1 + 1e-6:
            raise Wrong(f"for t = {t:g} your critic's slope reaches {slope:.2f}; "
                        "the maximum is over functions of slope at most 1. Without "
                        "that bound a critic could scale its scores up and the "
                        "maximum would be infinite.")
        value = float((f * (normal_pdf(x, 0.0, 1.0) - normal_pdf(x, t, 1.0))).sum()
                      * dx)
        if abs(value + abs(t)) < 1e-3:
            raise Wrong(f"for t = {t:g} your critic scores the generated samples "
                        f"higher than the real ones (E[f(real)] - E[f(fake)] = "
                        f"{value:.2f}): the critic should rise towards the data.")
        if abs(value - abs(t)) > 1e-3:
            raise Wrong(f"for t = {t:g} your critic reaches E[f(real)] - "
                        f"E[f(fake)] = {value:.3f}, but the best one reaches "
                        f"{abs(t):g}: use the whole slope allowed, everywhere.")


ex5 = Exercise(
    number="9.5",
    title="the best critic in one dimension",
    kind="derive",
    test=_test_best_critic,
    hints=(
        "E[f(real)] - E[f(fake)] is the integral of f(x) (p(x) - q(x)) over x. "
        "Where is the data's density p above the generator's q, and where below?",
        "For a shift t > 0, p - q is positive left of t / 2 and negative right of "
        "it: f should be as high as allowed on the left and as low as allowed on "
        "the right, and its slope is at most 1.",
        "f(x) = -x for t > 0 and f(x) = x for t < 0 (any constant may be added); "
        "then E[f(real)] - E[f(fake)] = 0 - (-t) = t.",
    ),
    reference=best_critic,
    wrong_answers=(
        lambda x, t: x,                  # rises towards the generator
        lambda x, t: -2 * x * (1 if t > 0 else -1),   # too steep
        lambda x, t: -torch.tanh(x) * (1 if t > 0 else -1),  # slope below 1
    ),
    success="The best critic is a straight line of slope 1 falling from the data "
            "towards the generator, and its value is W_1 = |t|; with slope 2 it "
            "would reach 2|t|, so without the constraint there is no maximum.",
)

# Exercise 9.6 (think) ----------------------------------------------------------

ex6 = Think(
    number="9.6",
    title="the plain GAN's control",
    answer_name="answer_9_6",
    hints=(
        "List everything that differed between the two runs, not only the loss.",
        "Notebook 07 swept its plain GAN over seeds: how many modes did it hold at "
        "the end, from seed to seed? What can one run on one seed then show?",
    ),
    model_answer=(
        "That comparison changed five things at once: besides the loss, the "
        "WGAN-GP run took five critic steps per generator step, batches of 256 "
        "instead of 128, other learning rates that fell to zero, and Adam's "
        "beta2 = 0.9. Any of them could make the difference, so it says nothing "
        "about the objective. And one seed decides little: notebook 07's GAN ends "
        "with anything from 0 to 8 modes depending on the seed, so a single count "
        "at the end is mostly chance. Section 3's control keeps the loop, the "
        "networks, the initial weights, the budget and the schedule, changes only "
        "the loss, and is swept over seeds: then the GAN keeps 1-3 modes and "
        "WGAN-GP 6-8 on every seed."
    ),
    key_ideas=(("other settings changed with the loss", r"five|several|many|other "
                r"(settings|things|choices)|budget|schedule|batch|learning rate|"
                r"critic steps|confound"),
               ("one run on one seed is mostly chance", r"seed|one run|single|"
                r"chance|luck|noise|vary|varies|variance|spread"),
               ("the control changes only the objective, over many seeds",
                r"only (the )?(objective|loss)|same (budget|settings|schedule)|one "
                r"(thing|change)|control|isolat|everything else")),
)


EXERCISES = register(globals())
