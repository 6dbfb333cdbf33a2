"""Exercises of notebook 01 (7.1.1 Dimensionality Reduction: PCA).

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
    expect_callable,
    expect_close,
    expect_number,
    register,
)

# Exercise 1.1 (implement) ------------------------------------------------------


def smallest_m(eigenvalues, fraction: float) -> int:
    """The smallest m whose top-m eigenvalues hold `fraction` of the variance."""
    lam = np.asarray(eigenvalues, dtype=float)
    kept = np.concatenate([[0.0], np.cumsum(lam)]) / lam.sum()  # share for m = 0..n
    return int(np.argmax(kept >= fraction - 1e-12))


def _test_smallest_m(answer) -> None:
    expect_callable(answer, "smallest_m")
    cases = [
        ([4.0, 3.0, 2.0, 1.0], 0.5, 2),     # 7/10 >= 0.5, 4/10 is not
        ([4.0, 3.0, 2.0, 1.0], 0.4, 1),     # exactly 40%: one is enough
        ([4.0, 3.0, 2.0, 1.0], 1.0, 4),
        ([4.0, 3.0, 2.0, 1.0], 0.0, 0),
        ([10.0, 5.0, 5.0], 0.75, 2),
    ]
    for lam, fraction, expected in cases:
        for kind in (np.array, torch.tensor):
            got = answer(kind(lam), fraction)
            try:
                got = int(got)
            except (TypeError, ValueError, OverflowError):
                raise Wrong(f"smallest_m should return a whole number, got "
                            f"{type(got).__name__}.") from None
            if got != expected:
                share = np.cumsum(lam) / np.sum(lam)
                raise Wrong(
                    f"for eigenvalues {lam} and fraction {fraction} the answer is "
                    f"{expected} (the shares kept for m = 1, 2, ... are "
                    f"{np.round(share, 3).tolist()}), you returned {got}. Count "
                    "eigenvalues (m), not positions (m - 1), and compare the "
                    "running sum with the total; exactly `fraction` is enough.")
    lam = np.linspace(5, 0.1, 50)
    if expect_number(answer(lam, 0.9), "smallest_m(...)") != smallest_m(lam, 0.9):
        raise Wrong("on 50 eigenvalues the answer is off; use the cumulative sum.")


ex1 = Exercise(
    number="1.1",
    title="dimensions for a fraction of the variance",
    kind="implement",
    test=_test_smallest_m,
    hints=(
        "The share of the variance kept by the top m directions is the sum of the "
        "first m eigenvalues over the sum of all of them.",
        "np.cumsum gives those running sums for m = 1, 2, ...; do not forget m = 0, "
        "and that reaching the fraction exactly is enough (>=).",
        "Prepend a 0 to np.cumsum(lam) / lam.sum() and return the first index "
        "where it is >= fraction (np.argmax of a boolean array finds it).",
    ),
    reference=smallest_m,
    wrong_answers=(
        # a position, not a count (off by one)
        lambda lam, f: int(np.argmax(np.cumsum(np.asarray(lam, float))
                                     / np.sum(np.asarray(lam, float)) >= f)),
        # counts the eigenvalues that are each larger than the fraction of the total
        lambda lam, f: int(np.sum(np.asarray(lam, float)
                                  >= f * np.sum(np.asarray(lam, float)))),
        # strict inequality: misses the exact cases
        lambda lam, f: int(np.argmax(np.concatenate(
            [[0.0], np.cumsum(np.asarray(lam, float))])
            / np.sum(np.asarray(lam, float)) > f)),
    ),
    success="This is how notebook 01 reads 'about 85 of 784 dimensions keep 90% "
            "of the variance' off PCA.",
)


# Exercise 1.2 (derive) ---------------------------------------------------------


def best_decoder(x, w_e):
    """The decoder (n, m) that minimises the error of x @ w_e.T @ w_d.T."""
    z = x @ w_e.T                                   # codes, (N, m)
    return torch.linalg.solve(z.T @ z, z.T @ x).T   # normal equations


def _test_best_decoder(answer) -> None:
    expect_callable(answer, "best_decoder")
    g = torch.Generator().manual_seed(11)
    x = torch.randn(400, 6, generator=g, dtype=torch.float64) @ torch.randn(
        6, 6, generator=g, dtype=torch.float64)
    x = x - x.mean(dim=0)
    w_e = torch.randn(2, 6, generator=g, dtype=torch.float64)  # not orthonormal
    w_d = answer(x, w_e)
    if not isinstance(w_d, torch.Tensor):
        raise Wrong("best_decoder should return a torch tensor.")
    if tuple(w_d.shape) != (6, 2):
        raise Wrong(f"the decoder should have shape (n, m) = (6, 2), got "
                    f"{tuple(w_d.shape)}: x_hat = z @ w_d.T with z of shape (N, m).")
    expected = best_decoder(x, w_e)
    err = float(((x - x @ w_e.T @ w_d.T) ** 2).sum(1).mean())
    best = float(((x - x @ w_e.T @ expected.T) ** 2).sum(1).mean())
    if err > best * (1 + 1e-8):
        hint = ""
        if torch.allclose(w_d, w_e.T) or torch.allclose(w_d, torch.linalg.pinv(w_e)):
            hint = (" w_e.T or the pseudo-inverse of w_e is best only when the "
                    "rows of w_e are orthonormal; here they are not, so the best "
                    "decoder depends on the data.")
        raise Wrong(f"with your decoder the error is {err:.5f}, the best decoder "
                    f"reaches {best:.5f}.{hint}")
    expect_close(w_d, expected, "your decoder", rtol=1e-6, atol=1e-8)


ex2 = Exercise(
    number="1.2",
    title="the best decoder for a given encoder",
    kind="derive",
    test=_test_best_decoder,
    hints=(
        "Fix the codes z = x @ w_e.T. The error is a sum over pixels, and row j of "
        "w_d only affects pixel j: each row is its own least-squares problem.",
        "Set the gradient of ||x - z @ w_d.T||^2 with respect to w_d to zero; you "
        "get z.T z w_d.T = z.T x (the normal equations).",
        "w_d.T = (z.T z)^(-1) z.T x: use torch.linalg.solve(z.T @ z, z.T @ x) and "
        "transpose the result.",
    ),
    reference=best_decoder,
    wrong_answers=(
        lambda x, w_e: w_e.T,                       # right only for orthonormal rows
        lambda x, w_e: torch.linalg.pinv(w_e),      # same
        lambda x, w_e: torch.linalg.solve((x @ w_e.T).T @ (x @ w_e.T),
                                          (x @ w_e.T).T @ x),  # transposed
    ),
    success="For a fixed encoder the decoder is a linear regression; only the "
            "encoder's row space matters for the error.",
)


# Exercise 1.3 (predict) --------------------------------------------------------

N_DIM, M_DIM = 50, 5


def _reveal_random_share():
    lam = torch.exp(-torch.arange(N_DIM, dtype=torch.float64) / 6)  # decaying
    g = torch.Generator().manual_seed(13)
    shares = []
    for _ in range(200):
        q, _ = torch.linalg.qr(torch.randn(N_DIM, M_DIM, generator=g,
                                           dtype=torch.float64))
        shares.append(float((q.pow(2) * lam[:, None]).sum() / lam.sum()))
    pca = float(lam[:M_DIM].sum() / lam.sum())
    mean = float(np.mean(shares))
    shown = (f"On data with n = {N_DIM} and quickly decaying eigenvalues, PCA's "
             f"top {M_DIM} directions keep {pca:.0%} of the variance; {len(shares)} "
             f"random orthonormal {M_DIM}-dimensional projections keep {mean:.1%} "
             f"on average (from {min(shares):.1%} to {max(shares):.1%}).")
    return round(mean, 2), shown


def _explain_random_share(prediction, truth):
    if prediction > 0.3:
        return ("A random subspace is not aligned with the large eigenvectors: on "
                "average it keeps the same share m/n of every direction's "
                "variance, large or small, so 5/50 = 10% whatever the data.")
    return ("In expectation a random m-dimensional subspace keeps m/n of the "
            "variance of each direction (each unit vector keeps m/n of its length "
            "squared on average), so m/n of the total: 5/50.")


ex3 = Prediction(
    number="1.3",
    title="what a random projection keeps",
    answer_name="prediction_1_3",
    hints=(
        "Think of one direction of the data: a random 5-dimensional subspace of "
        "R^50 keeps, on average, what part of a unit vector's squared length?",
        "By symmetry every direction is treated alike: the answer does not depend "
        "on the eigenvalues.",
    ),
    reveal=_reveal_random_share,
    reference=0.1,
    tolerance=0.3,
    explain=_explain_random_share,
    wrong_answers=(0.6, 0.5, 0.02),
    success="This is why section 5's random encoders lose so clearly to PCA.",
    # nothing in the notebook projects onto a random subspace
    revealed_by=(),
)


# Exercise 1.4 (think) ----------------------------------------------------------

ex4 = Think(
    number="1.4",
    title="why PCA centres the data",
    answer_name="answer_1_4",
    hints=(
        "Without centring, the 'covariance' is x.T x / N: what does its top "
        "eigenvector point at when every image is mostly positive pixels?",
        "Compare the error of the best subspace through the origin with that of "
        "the best subspace through the mean image.",
    ),
    model_answer=(
        "PCA looks for the subspace through the origin that keeps the most of "
        "x.T x / N. Without centring, that matrix is dominated by the mean image "
        "(every Fashion-MNIST pixel is non-negative), so the first direction "
        "points at the mean and spends one latent dimension on reconstructing "
        "something that is the same for every image. Centring moves the origin "
        "to the mean, so every direction is spent on how images differ; the "
        "error with m directions then equals the discarded eigenvalues of the "
        "covariance, and the decoder adds the mean back for free."
    ),
    key_ideas=(("the mean", r"\bmean|average"),
               ("a wasted direction", r"first (direction|component)|waste|spend"),
               ("variance is about differences", r"differ|variance|spread")),
)

EXERCISES = register(globals())
