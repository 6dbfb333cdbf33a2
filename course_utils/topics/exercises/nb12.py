"""Exercises of notebook 12 (7. Deep Generative Models: Diffusion Models).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

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
from course_utils.topics.diffusion import linear_schedule


def _alpha_bars(T: int = 100) -> torch.Tensor:
    # alpha-bars of the notebook's schedule (float64), [0] = 1
    return linear_schedule(T, dtype=torch.float64).alpha_bars


# Exercise 12.1 (implement) -----------------------------------------------------


def q_sample(x0, t, noise, alpha_bars):
    """x_t from q(x_t | x_0): x0 (N, ...), t (N,) integers in 1..T, noise like x0,
    alpha_bars (T + 1,) with alpha_bars[0] = 1."""
    abar = alpha_bars[t].reshape(-1, *[1] * (x0.ndim - 1))
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def _test_q_sample(answer) -> None:
    expect_callable(answer, "q_sample")
    gen = torch.Generator().manual_seed(0)
    abars = _alpha_bars()
    for shape in ((6, 2), (5, 4, 4)):
        x0 = torch.randn(shape, dtype=torch.float64, generator=gen)
        noise = torch.randn(shape, dtype=torch.float64, generator=gen)
        t = torch.randint(1, 101, (shape[0],), generator=gen)
        try:
            got = answer(x0, t, noise, abars)
        except NotImplementedError:
            raise
        except RuntimeError:
            raise Wrong(f"on examples of shape {shape} the shapes did not match. "
                        "alpha_bars[t] has shape (N,): reshape it to (N, 1, ...) "
                        "so that it broadcasts over each example's numbers.") from None
        if not isinstance(got, torch.Tensor) or got.shape != x0.shape:
            raise Wrong(f"return a tensor of x0's shape {tuple(x0.shape)}.")
        got = got.double()
        a = abars[t].reshape(-1, *[1] * (x0.ndim - 1))
        if torch.allclose(got, a * x0 + (1 - a) * noise):
            raise Wrong("those are the variances' factors: the mean is "
                        "sqrt(abar) x0 and the noise's standard deviation "
                        "sqrt(1 - abar).")
        prev = abars[t - 1].reshape(-1, *[1] * (x0.ndim - 1))
        if torch.allclose(got, prev.sqrt() * x0 + (1 - prev).sqrt() * noise):
            raise Wrong("alpha_bars[0] is step 0 (the clean data): step t is "
                        "alpha_bars[t], not alpha_bars[t - 1].")
        if torch.allclose(got, (1 - a).sqrt() * x0 + a.sqrt() * noise):
            raise Wrong("the roles are swapped: the signal keeps sqrt(abar), the "
                        "noise gets sqrt(1 - abar).")
        expect_close(got, a.sqrt() * x0 + (1 - a).sqrt() * noise,
                     f"x_t for examples of shape {shape}")


ex1 = Exercise(
    number="12.1",
    title="one line for the whole chain",
    kind="implement",
    test=_test_q_sample,
    hints=(
        "q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I): a mean and a "
        "standard deviation, and noise given to you.",
        "Pick alpha_bars[t] for every example, then reshape it to (N, 1, ...) "
        "so that it multiplies each example's numbers.",
        "a = alpha_bars[t].reshape(-1, *[1] * (x0.ndim - 1)); return a.sqrt() * x0 "
        "+ (1 - a).sqrt() * noise.",
    ),
    reference=q_sample,
    wrong_answers=(
        lambda x0, t, n, ab: (ab[t].reshape(-1, *[1] * (x0.ndim - 1)) * x0
                              + (1 - ab[t].reshape(-1, *[1] * (x0.ndim - 1))) * n),
        lambda x0, t, n, ab: (ab[t - 1].reshape(-1, *[1] * (x0.ndim - 1)).sqrt() * x0
                              + (1 - ab[t - 1].reshape(-1, *[1] * (x0.ndim - 1)))
                              .sqrt() * n),
        lambda x0, t, n, ab: ab[t].sqrt() * x0 + (1 - ab[t]).sqrt() * n,
    ),
    success="Training never runs the chain: any step is one line away from the "
            "data, so every step of the loss costs one pass of the network.",
    revealed_by=("diffusion-q-sample",),
)


# Exercise 12.2 (predict) -------------------------------------------------------


def _reveal_snr():
    abars = _alpha_bars()[1:]
    snr = abars / (1 - abars)
    step = int(torch.nonzero(snr < 1)[0]) + 1
    return step, (f"The signal-to-noise ratio first falls below 1 at step {step} of "
                  f"100 (abar_{step} = {float(abars[step - 1]):.3f}): the linear "
                  "betas are small at first, but abar is their running product, "
                  "so the signal decays faster and faster.")


def _explain_snr(prediction, truth):
    if prediction >= 45:
        return ("The schedule is linear in beta, not in abar: abar_t is a product, "
                "about exp(-(beta_1 + ... + beta_t)), and the sum of a linear "
                "sequence grows like t^2, so half the signal is gone well before "
                "half the steps.")
    if prediction <= 10:
        return ("The first betas are tiny (0.001, then growing by 0.002 a step): "
                "it takes a while before their sum reaches log 2.")
    return "Close to it: the sum of the betas reaches about log 2 there."


ex2 = Prediction(
    number="12.2",
    title="where the noise overtakes the signal",
    answer_name="prediction_12_2",
    hints=(
        "SNR < 1 means abar_t < 1/2. And abar_t = (1 - beta_1) ... (1 - beta_t) "
        "is about exp(-(beta_1 + ... + beta_t)).",
        "beta_t grows linearly from 0.001 to 0.2 over 100 steps, about 0.001 + "
        "0.002 (t - 1); find the t at which the sum reaches log 2 = 0.69.",
    ),
    reveal=_reveal_snr,
    reference=27.0,
    tolerance=0.1,
    explain=_explain_snr,
    wrong_answers=(50.0, 100.0, 5.0),
    success="Most steps of a linear schedule are spent at low signal-to-noise "
            "ratios: one reason later papers moved to other schedules (Nichol and "
            "Dhariwal's cosine schedule).",
    revealed_by=("diffusion-schedule-plot",),
)


# Exercise 12.3 (derive) --------------------------------------------------------


def kl_weight(beta_t, alpha_bar_t, sigma2_t):
    """lambda_t: KL(q(x_{t-1}|x_t,x_0) || p_theta(x_{t-1}|x_t)) per unit of
    ||eps - eps_theta||^2, both Gaussians with variance sigma2_t."""
    return beta_t ** 2 / (2 * sigma2_t * (1 - beta_t) * (1 - alpha_bar_t))


def _kl_case(beta, abar, sigma2, gap):
    # the KL between two 1-D Gaussians of variance sigma2 whose means differ as
    # the notebook's do when the noise estimates differ by `gap`
    shift = beta / ((1 - beta) ** 0.5 * (1 - abar) ** 0.5) * gap
    normal = torch.distributions.Normal
    one = torch.tensor(0.0, dtype=torch.float64)
    return float(torch.distributions.kl_divergence(
        normal(one, sigma2 ** 0.5), normal(one + shift, sigma2 ** 0.5)))


def _test_kl_weight(answer) -> None:
    expect_callable(answer, "kl_weight")
    for beta, abar, sigma2 in ((0.02, 0.5, 0.015), (0.1, 0.9, 0.05),
                               (0.003, 0.2, 0.003)):
        got = expect_number(answer(beta, abar, sigma2), "kl_weight(...)")
        want = _kl_case(beta, abar, sigma2, 1.0)
        if abs(got - want) <= 1e-9 * max(1.0, abs(want)):
            continue
        if abs(got - 2 * want) <= 1e-9 * max(1.0, abs(want)):
            raise Wrong("the KL of two Gaussians of the same variance is the "
                        "squared difference of the means over 2 sigma^2: keep "
                        "the 2.")
        if abs(got - want * (1 - beta)) <= 1e-9 * max(1.0, abs(want)):
            raise Wrong("mu_theta divides by sqrt(alpha_t): squared, alpha_t "
                        "is in the denominator.")
        if abs(got ** 2 - want * 2 * sigma2) <= 1e-9 * max(1.0, abs(want)):
            raise Wrong("that is the coefficient of the means' difference; the "
                        "KL holds its square, over 2 sigma^2.")
        raise Wrong(f"for beta={beta}, abar={abar}, sigma^2={sigma2}: {want:.6g} "
                    f"expected, you gave {got:.6g}.")


ex3 = Exercise(
    number="12.3",
    title="the weight of a step",
    kind="derive",
    test=_test_kl_weight,
    hints=(
        "Both means have the form (x_t - c * noise) / sqrt(alpha_t): subtract "
        "them; only the noise terms remain.",
        "mu~ - mu_theta = beta_t / (sqrt(alpha_t) sqrt(1 - abar_t)) (eps_theta - "
        "eps). The KL of two Gaussians with variance sigma^2 is |mean "
        "difference|^2 / (2 sigma^2).",
        "lambda_t = beta_t^2 / (2 sigma2_t alpha_t (1 - abar_t)), with alpha_t = "
        "1 - beta_t.",
    ),
    reference=kl_weight,
    wrong_answers=(
        lambda b, ab, s2: b ** 2 / (s2 * (1 - b) * (1 - ab)),            # no 2
        lambda b, ab, s2: b ** 2 / (2 * s2 * (1 - ab)),                  # no alpha
        lambda b, ab, s2: b / ((1 - b) ** 0.5 * (1 - ab) ** 0.5),        # not squared
    ),
    success="Every term of the ELBO is a weighted regression on the noise; DDPM's "
            "simple loss sets the weights to 1.",
    revealed_by=("diffusion-elbo-claim",),
)


# Exercise 12.4 (implement) -----------------------------------------------------


def ddim_step(x_t, eps, abar_t, abar_prev):
    """x_s from x_t by DDIM (eta = 0): eps the noise estimate at x_t, abar_t and
    abar_prev the alpha-bars of step t and of the earlier step s."""
    x0 = (x_t - (1 - abar_t).sqrt() * eps) / abar_t.sqrt()
    return abar_prev.sqrt() * x0 + (1 - abar_prev).sqrt() * eps


def _test_ddim_step(answer) -> None:
    expect_callable(answer, "ddim_step")
    gen = torch.Generator().manual_seed(0)
    abars = _alpha_bars()
    x_t = torch.randn(4, 3, 3, dtype=torch.float64, generator=gen)
    eps = torch.randn(4, 3, 3, dtype=torch.float64, generator=gen)
    for t, s in ((60, 40), (20, 0), (100, 50)):
        got = answer(x_t, eps, abars[t], abars[s])
        if not isinstance(got, torch.Tensor) or got.shape != x_t.shape:
            raise Wrong(f"return a tensor of x_t's shape {tuple(x_t.shape)}.")
        got = got.double()
        want = ddim_step(x_t, eps, abars[t], abars[s])
        if torch.allclose(got, abars[s].sqrt() * x_t + (1 - abars[s]).sqrt() * eps):
            raise Wrong("x_t is not the clean image: first estimate x_0 = (x_t - "
                        "sqrt(1 - abar_t) eps) / sqrt(abar_t).")
        if torch.allclose(got, abars[s] * ((x_t - (1 - abars[t]) * eps) / abars[t])
                          + (1 - abars[s]) * eps):
            raise Wrong("the alpha-bars are variances' factors: the signal is "
                        "scaled by their square roots.")
        if s == 0 and not torch.allclose(got, want):
            raise Wrong("at s = 0 (abar = 1) a DDIM step should return the x_0 "
                        "estimate itself.")
        expect_close(got, want, f"the DDIM step from t = {t} to s = {s}")
    again = answer(x_t, eps, abars[60], abars[40])
    if not torch.equal(again, answer(x_t, eps, abars[60], abars[40])):
        raise Wrong("DDIM with eta = 0 draws no noise: the same inputs must give "
                    "the same output.")


ex4 = Exercise(
    number="12.4",
    title="the DDIM step",
    kind="implement",
    test=_test_ddim_step,
    hints=(
        "Two steps: the x_0 that x_t and eps imply, then q's closed form at the "
        "earlier step s, with the same eps as the noise.",
        "x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t).",
        "return sqrt(abar_prev) x_0 + sqrt(1 - abar_prev) eps.",
    ),
    reference=ddim_step,
    wrong_answers=(
        lambda x, e, a, p: p.sqrt() * x + (1 - p).sqrt() * e,
        lambda x, e, a, p: p * ((x - (1 - a) * e) / a) + (1 - p) * e,
        lambda x, e, a, p: ((x - (1 - a).sqrt() * e) / a.sqrt()) * p.sqrt()
        + (1 - p).sqrt() * torch.randn_like(x),
    ),
    success="No draw, no Markov chain: the same network jumps over steps, and "
            "the number of passes becomes a choice made at sampling time.",
    revealed_by=("diffusion-samplers",),
)


# Exercise 12.5 (think) ---------------------------------------------------------

ex5 = Think(
    number="12.5",
    title="why diffusion keeps the modes",
    answer_name="answer_12_5",
    hints=(
        "What does the GAN's generator get rewarded for? Does anything in its "
        "loss notice a mode it never produces?",
        "The diffusion loss is computed on every training point, noised. What "
        "happens to the loss when the model ignores the points of one mode?",
    ),
    model_answer=(
        "The diffusion model is trained on a bound on the likelihood (or its "
        "reweighting): every training point, from every mode, is noised and "
        "enters the loss, and a model that gave a mode no probability would pay "
        "for each of its points, as maximum likelihood does (notebook 11's "
        "flow kept every mode too). The GAN's generator is rewarded only for "
        "fooling the discriminator with what it does produce; nothing in its "
        "loss counts a mode it never visits, so it can collapse onto a few. "
        "The diffusion model pays at sampling time: a sample is a chain of T "
        "passes of the network (or fewer with DDIM, at some cost in quality), "
        "where the GAN's takes one."
    ),
    key_ideas=(("every training point enters the loss / likelihood",
                r"likelihood|elbo|bound|every (training )?(point|example|sample)|"
                r"all (the )?(data|points|modes)"),
               ("the GAN's loss ignores what it does not generate",
                r"discriminator|fool|collapse|never (produce|generate|visit)"),
               ("the price: many passes to sample",
                r"\bpass|\bsteps?\b|slow|iterat|network evaluations|chain")),
)


# Exercise 12.6 (explore) -------------------------------------------------------

DATA_STD = 0.5  # the 1-D data of section 2: N(0, 0.5^2)


def ddim_spread(steps: int) -> float:
    """The standard deviation of DDIM's samples (eta = 0) with `steps` passes on
    evenly spaced steps from 100 to 0, for the data N(0, 0.5^2) of section 2
    and the ideal network (the best linear noise prediction), starting from
    x_T ~ N(0, 1): every step is then a multiplication, computed exactly."""
    steps = int(steps)
    if not 1 <= steps <= 100:
        raise ValueError("steps should be a whole number from 1 to 100")
    abar = _alpha_bars()
    times = torch.linspace(100, 0, steps + 1).round().long().tolist()
    scale = torch.tensor(1.0, dtype=torch.float64)
    for t, s in zip(times[:-1], times[1:], strict=True):
        c = (1 - abar[t]).sqrt() / (abar[t] * DATA_STD ** 2 + 1 - abar[t])
        x0_share = (1 - (1 - abar[t]).sqrt() * c) / abar[t].sqrt()
        scale = scale * (abar[s].sqrt() * x0_share + (1 - abar[s]).sqrt() * c)
    return float(scale)


def _test_fewest_steps(answer) -> None:
    k = expect_number(answer, "steps_12_6")
    if k != int(k) or not 1 <= k <= 100:
        raise Wrong("write a whole number of passes from 1 to 100.")
    k = int(k)
    if ddim_spread(k) < 0.9 * DATA_STD:
        raise Wrong(f"with {k} passes the samples' standard deviation is "
                    f"{ddim_spread(k):.3f}, below 0.45: more passes.")
    if k > 1 and ddim_spread(k - 1) >= 0.9 * DATA_STD:
        raise Wrong(f"{k - 1} passes are enough too ({ddim_spread(k - 1):.3f}): "
                    "find the fewest.")
    say(translate(f"{k} passes: standard deviation {ddim_spread(k):.3f}; with 5 "
                  f"passes {ddim_spread(5):.3f}, with 100 {ddim_spread(100):.3f}."))


ex6 = Exercise(
    number="12.6",
    title="how few DDIM steps an ideal network needs",
    kind="explore",
    answer_name="steps_12_6",
    test=_test_fewest_steps,
    hints=(
        "Call nb12.ex6.ddim_spread(k) for k = 2, 5, 10, 20, 50, 100 and watch "
        "the standard deviation approach 0.5.",
        "It grows with k on this schedule: narrow the range between 20 and 50 "
        "step by step.",
        "The answer lies between 25 and 30.",
    ),
    reference=28,
    wrong_answers=(20, 50, 100),
    success="Even with a perfect network, a few large DDIM steps shrink the "
            "samples towards the mean (too little spread); the error is the "
            "sampler's discretisation, not the network's, and it is why fewer "
            "passes cost quality in section 5.",
)
ex6.ddim_spread = ddim_spread


EXERCISES = register(globals())
