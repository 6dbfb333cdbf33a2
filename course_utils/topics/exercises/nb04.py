"""Exercises of notebook 04 (Jensen's inequality and the ELBO).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import numpy as np

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
from course_utils.topics.elbo import GaussianMixture, logsumexp

# Exercise 4.1 (implement) ------------------------------------------------------

_MIXTURE = GaussianMixture(
    weights=np.array([0.6, 0.3, 0.1]),
    means=np.array([[-1.0], [1.5], [4.0]]),
    covs=np.array([[[1.0]], [[0.5]], [[2.0]]]))


def elbo_discrete(log_joint, q):
    """ELBO(q) = sum_k q_k (log p(x, z_k) - log q_k), with 0 log 0 = 0."""
    q = np.asarray(q, dtype=float)
    keep = q > 0                    # terms with q_k = 0 contribute nothing
    return float(np.sum(q[keep] * (np.asarray(log_joint)[keep] - np.log(q[keep]))))


def _test_elbo(answer) -> None:
    expect_callable(answer, "elbo_discrete")
    x = np.array([0.7])
    log_joint = _MIXTURE.log_joint(x)
    posterior = _MIXTURE.posterior(x)
    log_px = float(logsumexp(log_joint))
    q = np.array([0.2, 0.5, 0.3])
    value = as_scalar(answer(log_joint, q), "elbo_discrete(...)")
    if abs(value - log_px) < 1e-9:
        raise Wrong("your ELBO equals log p(x) for a q that is not the posterior: "
                    "did you take the log of the average (log sum q p/q) instead "
                    "of the average of the logs?")
    if abs(value - float(np.sum(q * log_joint))) < 1e-9:
        raise Wrong("your value is sum_k q_k log p(x, z_k) only: the entropy term "
                    "- sum_k q_k log q_k is missing.")
    if value > log_px:
        raise Wrong(f"your ELBO ({value:.4f}) is above log p(x) ({log_px:.4f}), "
                    "which Jensen's inequality forbids; check the sign of the "
                    "- q log q (entropy) term.")
    expect_close(value, elbo_discrete(log_joint, q), "the ELBO for q = "
                 "[0.2, 0.5, 0.3]", rtol=1e-9)
    expect_close(answer(log_joint, posterior), log_px,
                 "the ELBO at the posterior (it should equal log p(x))", rtol=1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        edge = answer(log_joint, np.array([0.0, 1.0, 0.0]))
    edge = as_scalar(edge, "elbo_discrete with zeros in q")
    if not np.isfinite(edge):
        raise Wrong("with q = [0, 1, 0] your ELBO is not finite: a term with "
                    "q_k = 0 must count as 0 (0 log 0 = 0); skip those terms.")
    expect_close(edge, log_joint[1], "the ELBO for q = [0, 1, 0]", rtol=1e-9)


def _wrong_no_entropy(log_joint, q):
    return float(np.sum(np.asarray(q) * np.asarray(log_joint)))


def _wrong_ratio_of_logs(log_joint, q):   # slip 3 of the chapter
    q = np.asarray(q, dtype=float)
    keep = q > 0
    return float(np.sum(q[keep] * np.asarray(log_joint)[keep])
                 - np.sum(q[keep] * np.log(q[keep]) / np.asarray(log_joint)[keep]))


def _wrong_log_outside(log_joint, q):
    q = np.asarray(q, dtype=float)
    keep = q > 0
    return float(np.log(np.sum(q[keep] * np.exp(np.asarray(log_joint)[keep])
                               / q[keep])))


def _wrong_nan_at_zero(log_joint, q):
    q = np.asarray(q, dtype=float)
    return float(np.sum(q * (np.asarray(log_joint) - np.log(q))))


ex1 = Exercise(
    number="4.1",
    title="the ELBO of a discrete q",
    kind="implement",
    test=_test_elbo,
    hints=(
        "The ELBO is an average over q of log p(x, z) - log q(z): a weighted sum "
        "with weights q_k.",
        "np.log(0) is -inf and 0 * -inf is nan: the terms with q_k = 0 must be "
        "left out, not computed.",
        "keep = q > 0, then sum q[keep] * (log_joint[keep] - np.log(q[keep])).",
    ),
    reference=elbo_discrete,
    wrong_answers=(_wrong_no_entropy, _wrong_ratio_of_logs, _wrong_log_outside,
                   _wrong_nan_at_zero),
    success="The ELBO is below log p(x) for every q and touches it at the posterior.",
)



# Exercise 4.2 (derive) ---------------------------------------------------------


def gap_uniform(log_joint):
    """log p(x) - ELBO(q) for q uniform over the K values of z."""
    log_post = log_joint - np.log(np.sum(np.exp(log_joint - log_joint.max()))) \
        - log_joint.max()                       # log p(z_k | x)
    k = len(log_joint)
    return float(np.mean(-np.log(k) - log_post))   # KL(uniform || posterior)


def _test_gap_uniform(answer) -> None:
    expect_callable(answer, "gap_uniform")
    for x in (np.array([0.7]), np.array([3.0]), np.array([-2.5])):
        log_joint = _MIXTURE.log_joint(x)
        k = len(log_joint)
        truth = float(logsumexp(log_joint)) - elbo_discrete(log_joint,
                                                            np.full(k, 1 / k))
        got = as_scalar(answer(log_joint), "gap_uniform(...)")
        post = _MIXTURE.posterior(x)
        if abs(got - float(np.sum(post * np.log(post * k)))) < 1e-9:
            raise Wrong("you computed KL(posterior || q), the other direction: the "
                        "gap of the ELBO is KL(q || p(z|x)), an average over q.")
        if got < -1e-12:
            raise Wrong(f"your gap is {got:.4f} < 0 at x = {x[0]}; a KL is never "
                        "negative (the ELBO is a lower bound).")
        if abs(got - (truth - np.log(k))) < 1e-9 or abs(got - (truth + np.log(k))) \
                < 1e-9:
            raise Wrong("your gap is off by log K: log q_k = -log K for every k.")
        expect_close(got, truth, f"the gap at x = {x[0]} (measured as log p(x) "
                     "- ELBO)", rtol=1e-8, atol=1e-10)


ex2 = Exercise(
    number="4.2",
    title="the ELBO's gap for a uniform q",
    kind="derive",
    test=_test_gap_uniform,
    hints=(
        "Write log p(x) = sum_k q_k log p(x) and log p(x) = log p(x, z_k) - log "
        "p(z_k | x); subtract the ELBO term by term.",
        "The gap is sum_k q_k (log q_k - log p(z_k | x)) = KL(q || p(z|x)); with q "
        "uniform, log q_k = -log K.",
        "log p(z_k|x) = log_joint_k - logsumexp(log_joint); the gap is the mean "
        "over k of (-log K - log p(z_k|x)).",
    ),
    reference=gap_uniform,
    wrong_answers=(
        lambda lj: float(np.sum(np.exp(lj - logsumexp(lj))
                                * (lj - logsumexp(lj) + np.log(len(lj))))),
        lambda lj: float(np.mean(-(lj - logsumexp(lj)))),       # no -log K
        lambda lj: float(np.mean(-np.log(len(lj)) - lj)),      # log p(x) missing
    ),
    success="The gap is the KL from q to the posterior: it is zero only when q is "
            "the posterior, whatever x is.",
)


# Exercise 4.3 (predict) --------------------------------------------------------


def _reveal_log_of_weight():
    x = np.array([2.0])
    log_px = float(_MIXTURE.log_evidence(x))
    rng = np.random.default_rng(43)
    z = rng.choice(3, size=200_000, p=_MIXTURE.weights)   # q = the prior
    log_w = _MIXTURE.log_likelihood(x)[z]                 # log p(x, z) - log q(z)
    mean_log = float(log_w.mean())
    log_mean = float(np.log(np.exp(log_w).mean()))
    shown = (f"log p(x) = {log_px:.4f}. Over 200,000 draws z ~ q: the average of "
             f"log w is {mean_log:.4f}; the log of the average of w is "
             f"{log_mean:.4f}.")
    return ("below" if mean_log < log_px - 0.01 else "equal"), shown


ex3 = Prediction(
    number="4.3",
    title="the average of log w",
    answer_name="prediction_4_3",
    hints=(
        "w = p(x, z) / q(z) has average p(x) under q. What does log do to an "
        "average?",
        "Jensen's inequality for the concave log: E[log w] <= log E[w].",
    ),
    reveal=_reveal_log_of_weight,
    choices=("below", "equal", "above"),
    reference="below",
    explain={
        "equal": "w is unbiased for p(x), but log w is not unbiased for log p(x): "
                 "the log of an average is larger than the average of the logs "
                 "(Jensen), and the average of log w is exactly the ELBO.",
        "above": "Jensen's inequality goes the other way for the concave log: "
                 "E[log w] <= log E[w] = log p(x); the average of log w is the ELBO, "
                 "a lower bound.",
    },
    wrong_answers=("equal", "above"),
    success="Averaging log w gives the ELBO, averaging w then taking the log gives "
            "log p(x) in the limit: notebook 06's importance-weighted bound.",
    # section 1: Jensen's inequality for the log, stated and measured
    revealed_by=("6b2c03e4", "eeccbe45", "c75d1068"),
)


# Exercise 4.4 (explore) --------------------------------------------------------

POST_MEAN = np.array([1.0, -0.5])
POST_COV = np.array([[1.0, 0.8], [0.8, 1.0]])


def gap_of(mean, var) -> float:
    """KL(q || p(z|x)) for q = N(mean, diag(var)) and the correlated posterior
    N(POST_MEAN, POST_COV): the ELBO's gap for that q."""
    mean, var = np.asarray(mean, float), np.asarray(var, float)
    prec = np.linalg.inv(POST_COV)
    d = POST_MEAN - mean
    return float(0.5 * (np.sum(np.diag(prec) * var) + d @ prec @ d - 2
                        + np.log(np.linalg.det(POST_COV)) - np.sum(np.log(var))))


_BEST_VAR = 1 / np.diag(np.linalg.inv(POST_COV))
BEST_GAP = gap_of(POST_MEAN, _BEST_VAR)


def _test_diagonal_q(answer) -> None:
    try:
        mean, var = answer
    except (TypeError, ValueError):
        raise Wrong("q_4_4 should be a pair (mean, var) of two numbers each.") \
            from None
    mean, var = as_numpy(mean, "the mean"), as_numpy(var, "the variances")
    if mean.shape != (2,) or var.shape != (2,) or np.any(var <= 0):
        raise Wrong("give two means and two positive variances: "
                    "q_4_4 = ([m1, m2], [v1, v2]).")
    gap = gap_of(mean, var)
    if gap > BEST_GAP + 0.01:
        more = ""
        if np.allclose(var, np.diag(POST_COV), atol=0.05):
            more = (" Your variances are the posterior's marginals; a diagonal q "
                    "that wide puts mass where the correlated posterior has none.")
        raise Wrong(f"your q has a gap of {gap:.3f} nats; the best diagonal q "
                    f"gets within 0.01 of {BEST_GAP:.3f}.{more}")
    say(translate(
        f"Your q's gap is {gap:.3f} nats (the best diagonal q: {BEST_GAP:.3f}); "
        f"its variances {np.round(var, 2).tolist()} are smaller than the "
        f"posterior's marginal variances {np.diag(POST_COV).tolist()}."))


ex4 = Exercise(
    number="4.4",
    title="the best diagonal q",
    kind="explore",
    answer_name="q_4_4",
    test=_test_diagonal_q,
    hints=(
        "Call nb04.ex4.gap_of(mean, var) for a few choices; start from the "
        "posterior's mean and its marginal variances [1, 1].",
        "Keep the mean at the posterior's; then shrink both variances together "
        "and watch the gap.",
        "The best variances are 1 / (the diagonal of the posterior's inverse "
        "covariance): 1 - 0.8^2.",
    ),
    reference=(POST_MEAN.tolist(), _BEST_VAR.tolist()),
    wrong_answers=((POST_MEAN.tolist(), [1.0, 1.0]), ([0.0, 0.0], [0.36, 0.36]),
                   (POST_MEAN.tolist(), [0.1, 0.1])),
    success="A diagonal q cannot follow a correlated posterior; the best one is "
            "too narrow (KL(q || p) avoids placing mass where p has little) and "
            "leaves a gap that no optimisation of q removes.",
)
ex4.gap_of = gap_of


# Exercise 4.5 (think) ----------------------------------------------------------

ex5 = Think(
    number="4.5",
    title="the log-likelihood of a data set",
    answer_name="answer_4_5",
    hints=(
        "The data points are independent: what is p(x_1, ..., x_N)?",
        "What would log sum_n p(x_n) be the log-probability of?",
    ),
    model_answer=(
        "Independent points have the joint density prod_n p(x_n), so the data "
        "set's log-likelihood is sum_n log p(x_n): each point counts, and one "
        "point the model finds impossible sends it to minus infinity. log sum_n "
        "p(x_n) is the log-probability of 'one of the points', which a model "
        "maximises by fitting a single point very well and ignoring the rest. "
        "Reports divide the sum by N (nats per image) or by N times the number "
        "of pixels and log 2 (bits per dimension) so that data sets of "
        "different sizes compare."
    ),
    key_ideas=(("independence gives a product", r"independ|product|prod"),
               ("the log of a product is a sum of logs", r"sum of (the )?log|"
                r"sum_n log|log of (a|the) product"),
               ("log of a sum rewards one point", r"one point|single|ignor|"
                r"domin")),
)

EXERCISES = register(globals())
