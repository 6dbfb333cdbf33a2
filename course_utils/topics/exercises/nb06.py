"""Exercises of notebook 06 (the variational autoencoder).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from course_utils.core.checks import (
    Exercise,
    Prediction,
    Think,
    Wrong,
    as_numpy,
    as_scalar,
    expect_callable,
    expect_close,
    expect_number,
    register,
)
from course_utils.core.i18n import translate
from course_utils.core.messages import say


def _draws(seed: int, n: int = 6, d: int = 3):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n, d, generator=g) * 2
    log_var = torch.randn(n, d, generator=g)
    eps = torch.randn(n, d, generator=g)
    return mu, log_var, eps


# Exercise 6.1 (derive) ---------------------------------------------------------


def score_variance(mu):
    """Variance of the score-function estimate z^2 (z - mu) of d/dmu E[z^2],
    z ~ N(mu, 1), from one sample."""
    # E[(mu + e)^4 e^2] = mu^4 + 18 mu^2 + 15 for e ~ N(0, 1); minus (2 mu)^2
    return mu**4 + 14 * mu**2 + 15


def _monte_carlo_score_variance(mu: float) -> float:
    g = torch.Generator().manual_seed(61)
    z = mu + torch.randn(400_000, generator=g, dtype=torch.float64)
    return float((z**2 * (z - mu)).var())


def _test_score_variance(answer) -> None:
    expect_callable(answer, "score_variance")
    for mu in (0.0, 0.5, 1.0, 2.0, -1.5):
        got = expect_number(answer(mu), f"score_variance({mu})")
        truth = score_variance(mu)
        if math.isclose(got, mu**4 + 18 * mu**2 + 15, rel_tol=1e-9) and mu:
            raise Wrong(f"at mu = {mu} you gave E[g^2] = {got:.4g}, the second "
                        "moment; the variance subtracts the squared mean of the "
                        f"estimate, (2 mu)^2 = {4 * mu * mu:.4g}.")
        if math.isclose(got, 4.0):
            raise Wrong("4 is the variance of the reparameterised estimate 2 (mu + "
                        "eps); this exercise asks for the score function's.")
        if not math.isclose(got, truth, rel_tol=1e-6, abs_tol=1e-9):
            measured = _monte_carlo_score_variance(mu)
            raise Wrong(f"at mu = {mu} your variance is {got:.4g}; 400,000 samples "
                        f"measure {measured:.4g}. Expand (mu + e)^2 e and use "
                        "E[e^2] = 1, E[e^4] = 3, E[e^6] = 15 (odd moments are 0).")


ex1 = Exercise(
    number="6.1",
    title="the score function's variance",
    kind="derive",
    test=_test_score_variance,
    hints=(
        "With z = mu + e, e ~ N(0, 1), the estimate is g = z^2 (z - mu) = (mu + "
        "e)^2 e. Its mean is d/dmu E[z^2] = 2 mu, and Var g = E[g^2] - (2 mu)^2.",
        "Expand g = mu^2 e + 2 mu e^2 + e^3, square it, and keep the even powers "
        "of e: E[e^2] = 1, E[e^4] = 3, E[e^6] = 15.",
        "E[g^2] = mu^4 * 1 + 4 mu^2 * 3 + 15 + 2 * mu^2 * 3 (the cross term of "
        "mu^2 e and e^3); subtract 4 mu^2.",
    ),
    reference=score_variance,
    wrong_answers=(
        lambda mu: mu**4 + 18 * mu**2 + 15,   # second moment, not variance
        lambda mu: 4.0,                         # the reparameterised estimate's
        lambda mu: mu**4 + 6 * mu**2 + 3,       # E[e^6] taken as 3
    ),
    success="At mu = 1 that is 30, against 4 for the reparameterised estimate: "
            "section 2's measured gap, as a formula.",
)


# Exercise 6.2 (implement) -------------------------------------------------------

def vae_loss(x, logits, mu, log_var):
    """Negative ELBO per image (nats), averaged over the batch."""
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum()
    return (recon + kl) / len(x)


def _test_vae_loss(answer) -> None:
    expect_callable(answer, "vae_loss")
    g = torch.Generator().manual_seed(1)
    x = torch.rand(5, 12, generator=g)
    logits = torch.randn(5, 12, generator=g)
    mu, log_var, _ = _draws(2, n=5, d=3)
    got = answer(x, logits, mu, log_var)
    value = as_numpy(got, "vae_loss")
    if value.shape not in ((), (1,)):
        raise Wrong(f"return one number (the mean over the batch), got shape "
                    f"{value.shape}.")
    # the KL at the prior is zero: checks the -1
    zero = torch.zeros(5, 3)
    recon_only = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / 5
    at_prior = as_scalar(answer(x, logits, zero, zero), "vae_loss")
    if math.isclose(at_prior, float(recon_only) + 1.5, rel_tol=1e-4):
        raise Wrong("with mu = 0 and log_var = 0 the KL must be 0: the closed form "
                    "has a -1 per dimension (notebook 05, slip 5).")
    expected = float(vae_loss(x, logits, mu, log_var))
    per_pixel = float(F.binary_cross_entropy_with_logits(logits, x)) + float(
        0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum() / 5)
    if math.isclose(float(value), per_pixel, rel_tol=1e-4):
        raise Wrong("sum the cross-entropy over the pixels, then average over the "
                    "images (not a mean over pixels).")
    if math.isclose(float(value), expected * 5, rel_tol=1e-4):
        raise Wrong("average over the batch: divide the sums by the number of "
                    "images.")
    expect_close(at_prior, recon_only, "the loss at mu = 0, log_var = 0", rtol=1e-4)
    expect_close(value.reshape(()), expected, "the negative ELBO", rtol=1e-4)


ex2 = Exercise(
    number="6.2",
    title="the negative ELBO",
    kind="implement",
    test=_test_vae_loss,
    hints=(
        "Two terms: the reconstruction's negative log-likelihood (a Bernoulli per "
        "pixel) and the KL of notebook 05; the convention sums both inside an "
        "image and averages over images.",
        "F.binary_cross_entropy_with_logits(logits, x, reduction='sum') is the "
        "first term summed over the whole batch; the KL needs its -1.",
        "Add 0.5 * (mu^2 + exp(log_var) - log_var - 1).sum() and divide the total "
        "by len(x).",
    ),
    reference=vae_loss,
    wrong_answers=(
        # the book's KL without the -1
        lambda x, lo, mu, lv: (F.binary_cross_entropy_with_logits(lo, x,
                                                                  reduction="sum")
                               + 0.5 * (mu**2 + lv.exp() - lv).sum()) / len(x),
        # mean over pixels
        lambda x, lo, mu, lv: F.binary_cross_entropy_with_logits(lo, x)
        + 0.5 * (mu**2 + lv.exp() - lv - 1).sum() / len(x),
        # summed over the batch
        lambda x, lo, mu, lv: F.binary_cross_entropy_with_logits(lo, x,
                                                                 reduction="sum")
        + 0.5 * (mu**2 + lv.exp() - lv - 1).sum(),
        # the ELBO itself (wrong sign)
        lambda x, lo, mu, lv: -vae_loss(x, lo, mu, lv),
    ),
    success="This is the loss the notebook trains, in the course's convention.",
)


# Exercise 6.3 (implement) ------------------------------------------

def importance_bound(log_w):
    """log of the mean of exp(log_w) over the first axis, computed stably."""
    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])


def _test_importance_bound(answer) -> None:
    expect_callable(answer, "importance_bound")
    g = torch.Generator().manual_seed(3)
    small = torch.randn(7, 4, generator=g, dtype=torch.float64)
    got = answer(small)
    value = as_numpy(got, "importance_bound")
    if value.shape != (4,):
        raise Wrong(f"return one bound per image, shape (N,) = (4,); got "
                    f"{value.shape}. Reduce over the first axis (the k samples).")
    expected = torch.log(small.exp().mean(0))
    if torch.allclose(torch.as_tensor(got, dtype=torch.float64),
                      small.mean(0), atol=1e-6):
        raise Wrong("the mean of the log weights is the ELBO, not the bound: take "
                    "the log of the mean of the weights.")
    if torch.allclose(torch.as_tensor(got, dtype=torch.float64),
                      torch.logsumexp(small, 0), atol=1e-6):
        raise Wrong("that is the log of the sum: divide by k (subtract log k).")
    expect_close(got, expected, "the bound for small log weights", rtol=1e-6)
    large = (small - 250.0).float()  # float32, as in a network: exp underflows
    got = as_numpy(answer(large), "importance_bound")
    if not all(math.isfinite(v) for v in got):
        raise Wrong("with log weights near -250, exp underflows to 0: use "
                    "torch.logsumexp, which subtracts the maximum first.")
    expect_close(got, expected.numpy() - 250.0, "the bound for log weights near -250",
                 rtol=0, atol=1e-3)


ex3 = Exercise(
    number="6.3",
    title="the importance-weighted bound",
    kind="implement",
    test=_test_importance_bound,
    hints=(
        "exp(-250) underflows to 0 in float32 (and float64 is not far behind): "
        "factor the largest weight out before exponentiating.",
        "log (1/k) sum_j exp(a_j) = m + log (1/k) sum_j exp(a_j - m) with m the "
        "largest a_j; every exp is then at most 1.",
        "PyTorch has that as torch.logsumexp(log_w, dim=0); subtract log k.",
    ),
    reference=importance_bound,
    wrong_answers=(
        lambda log_w: log_w.mean(0),                            # the ELBO
        lambda log_w: torch.logsumexp(log_w, dim=0),             # no 1/k
        lambda log_w: torch.log(log_w.exp().mean(0)),            # underflows
        lambda log_w: torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1]),
    ),
    success="With k = 1 this is the ELBO; it rises towards log p(x) as k grows.",
)


# Exercise 6.4 (predict) --------------------------------------------------------


def _reveal_bound_in_k():
    # z ~ N(0, 1), x | z ~ N(z, 1), x = 2: p(x) = N(2; 0, 2); the posterior is
    # N(1, 0.5), q = N(0.2, 0.6^2) is off
    x, q_mu, q_sd = 2.0, 0.2, 0.6
    log_px = -0.5 * math.log(2 * math.pi * 2) - x * x / 4
    g = torch.Generator().manual_seed(64)
    rows = []
    for k in (1, 3, 10, 30, 100):
        z = q_mu + q_sd * torch.randn(k, 1000, generator=g, dtype=torch.float64)
        log_w = (-0.5 * z**2 - 0.5 * (x - z) ** 2 - math.log(2 * math.pi)
                 + 0.5 * ((z - q_mu) / q_sd) ** 2 + math.log(q_sd)
                 + 0.5 * math.log(2 * math.pi))
        rows.append(float((torch.logsumexp(log_w, 0) - math.log(k)).mean()))
    values = ", ".join(f"{v:.4f}" for v in rows)
    shown = ("The importance-weighted bound, averaged over 1,000 repeats, for k = 1, "
             f"3, 10, 30, 100: {values}; log p(x) = {log_px:.4f}.")
    return ("rises" if rows[-1] > rows[0] + 0.05 else "stays"), shown


ex4 = Prediction(
    number="6.4",
    title="the bound as k grows",
    answer_name="prediction_6_4",
    hints=(
        "With k = 1 the bound is the ELBO. With k very large, the average of the "
        "weights is close to its mean, p(x).",
        "Jensen again: the log of an average of more weights is a tighter bound.",
    ),
    reveal=_reveal_bound_in_k,
    choices=("rises", "falls", "stays"),
    reference="rises",
    explain={
        "falls": "Each added sample makes the average of the weights less noisy, "
                 "and the log of a less noisy average loses less to Jensen: the "
                 "bound climbs from the ELBO towards log p(x), never above it.",
        "stays": "It would stay only if every weight were equal, which happens "
                 "when q is the posterior; here q is not, and the bound climbs "
                 "from the ELBO towards log p(x).",
    },
    wrong_answers=("falls", "stays"),
    success="Section 5 uses exactly this: many weights per image estimate log p(x) "
            "far better than the ELBO.",
    # section 5.1: the bound L_k defined and said to rise, then measured
    revealed_by=("72ef2567", "cd280bf7", "8909d2e9"),
)


# Exercise 6.5 (explore) --------------------------------------------------------

EIGENVALUES = (4.0, 2.0, 1.0, 0.5, 0.25)


def kl_per_dimension(c) -> list[float]:
    """The KL term per latent dimension (nats) of the best linear VAE with
    decoder variance c, on data whose covariance has EIGENVALUES: 0.5 log(l / c)
    where l > c, else 0 (the dimension collapses to the prior)."""
    c = float(c)
    if c <= 0:
        raise ValueError("the decoder variance c must be positive")
    return [0.5 * math.log(lam / c) if lam > c else 0.0 for lam in EIGENVALUES]


def _test_collapse(answer) -> None:
    c = expect_number(answer, "c_6_5")
    if c <= 0:
        raise Wrong("c is a variance: it must be positive.")
    active = sum(v > 0 for v in kl_per_dimension(c))
    if active:
        raise Wrong(f"at c = {c:g}, {active} latent dimension(s) still carry "
                    "information (KL > 0); raise c.")
    if not any(v > 0 for v in kl_per_dimension(0.9 * c)):
        raise Wrong(f"at c = {c:g} every dimension has collapsed, and at "
                    f"{0.9 * c:g} too: find the smallest such c (within 10%).")
    say(translate(
        f"At c = {c:g} every dimension has collapsed; at 0.9 c "
        f"{sum(v > 0 for v in kl_per_dimension(0.9 * c))} is still active."))


ex5 = Exercise(
    number="6.5",
    title="posterior collapse in a linear VAE",
    kind="explore",
    answer_name="c_6_5",
    test=_test_collapse,
    hints=(
        "Call nb06.ex5.kl_per_dimension(c) for c = 0.1, 0.3, 1, 3, 10 and watch "
        "which dimensions go to 0.",
        "A dimension collapses once c reaches its eigenvalue: the decoder's noise "
        "then explains that direction's variance as well as the code does.",
        "The last dimension to collapse is the one with the largest eigenvalue.",
    ),
    reference=4.0,
    wrong_answers=(0.25, 1.0, 100.0),
    success="For the linear VAE (Lucas et al., 2019, 'Don't blame the ELBO!', "
            "NeurIPS) a latent dimension collapses when c, the decoder variance "
            "(beta = 2c), reaches the data's variance along it: section 6's beta "
            "trade-off, in closed form.",
)
ex5.kl_per_dimension = kl_per_dimension


# Exercise 6.6 (think) ----------------------------------------------------------

ex6 = Think(
    number="6.6",
    title="the amortisation gap",
    answer_name="answer_6_6",
    hints=(
        "The encoder is one network for all images. What would be the best q for "
        "one particular image?",
        "Which gap does a bigger encoder close, and which does it not?",
    ),
    model_answer=(
        "The ELBO of one image is largest for the best Gaussian q fitted to that "
        "image alone. The encoder instead predicts q from the image with one "
        "network shared by all images (amortised inference): it is fast, but it "
        "can only output what its weights can express and generalise, so its q "
        "is not the best for each image. The ELBO lost that way is the "
        "amortisation gap; fitting q per image closes it but costs an "
        "optimisation per image. The remaining gap, between the best Gaussian q "
        "and log p(x), is the approximation gap: a diagonal Gaussian cannot match "
        "the true posterior, and a bigger encoder does not help with that one."
    ),
    key_ideas=(("one network for all images", r"shared|one network|all images|"
                r"amorti"),
               ("a q fitted per image is better", r"per image|each image|fit|"
                r"optimi"),
               ("the family's own limit is a different gap", r"gaussian|diagonal|"
                r"family|approximation")),
)

EXERCISES = register(globals())
