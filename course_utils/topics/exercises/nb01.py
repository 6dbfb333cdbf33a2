"""Exercises of notebook 01 (7.1.1 Dimensionality Reduction: PCA)."""

from __future__ import annotations

import numpy as np
import torch

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close


def _reference_smallest_m(eigenvalues, fraction: float) -> int:
    lam = np.asarray(eigenvalues, dtype=float)
    kept = np.concatenate([[0.0], np.cumsum(lam)]) / lam.sum()  # share for m = 0..n
    return int(np.argmax(kept >= fraction - 1e-12))


def _test_smallest_m(smallest_m) -> None:
    expect_callable(smallest_m, "smallest_m")
    cases = [
        ([4.0, 3.0, 2.0, 1.0], 0.5, 2),     # 7/10 >= 0.5, 4/10 is not
        ([4.0, 3.0, 2.0, 1.0], 0.4, 1),     # exactly 40%: one is enough
        ([4.0, 3.0, 2.0, 1.0], 1.0, 4),
        ([4.0, 3.0, 2.0, 1.0], 0.0, 0),
        ([10.0, 5.0, 5.0], 0.75, 2),
    ]
    for lam, fraction, expected in cases:
        for kind in (np.array, torch.tensor):
            got = smallest_m(kind(lam), fraction)
            try:
                got = int(got)
            except (TypeError, ValueError):
                raise Wrong(f"smallest_m should return a whole number, got "
                            f"{type(got).__name__}.") from None
            if got != expected:
                share = np.cumsum(lam) / np.sum(lam)
                raise Wrong(
                    f"for eigenvalues {lam} and fraction {fraction} the answer is "
                    f"{expected} (the shares kept for m = 1, 2, ... are "
                    f"{np.round(share, 3).tolist()}), you returned {got}. Count "
                    "eigenvalues (m), not positions (m - 1), and compare the "
                    "running sum with the total.")
    lam = np.linspace(5, 0.1, 50)
    if int(smallest_m(lam, 0.9)) != _reference_smallest_m(lam, 0.9):
        raise Wrong("on 50 eigenvalues the answer is off; use the cumulative sum.")


ex1 = Exercise(
    number="1.1",
    title="dimensions for a fraction of the variance",
    test=_test_smallest_m,
    hint_text="np.cumsum(eigenvalues) / eigenvalues.sum() is the share kept by "
              "m = 1, 2, ...; find the first m where it reaches `fraction`.",
    solution_text="""
        def smallest_m(eigenvalues, fraction):
            lam = np.asarray(eigenvalues, dtype=float)
            kept = np.concatenate([[0.0], np.cumsum(lam)]) / lam.sum()  # m = 0..n
            return int(np.argmax(kept >= fraction - 1e-12))
    """,
    reference=_reference_smallest_m,
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


def _reference_best_decoder(x, w_e):
    z = x @ w_e.T
    return torch.linalg.solve(z.T @ z, z.T @ x).T


def _test_best_decoder(best_decoder) -> None:
    expect_callable(best_decoder, "best_decoder")
    g = torch.Generator().manual_seed(11)
    x = torch.randn(400, 6, generator=g, dtype=torch.float64) @ torch.randn(
        6, 6, generator=g, dtype=torch.float64)
    x = x - x.mean(dim=0)
    w_e = torch.randn(2, 6, generator=g, dtype=torch.float64)  # not orthonormal
    w_d = best_decoder(x, w_e)
    if not isinstance(w_d, torch.Tensor):
        raise Wrong("best_decoder should return a torch tensor.")
    if tuple(w_d.shape) != (6, 2):
        raise Wrong(f"the decoder should have shape (n, m) = (6, 2), got "
                    f"{tuple(w_d.shape)}: x_hat = z @ w_d.T with z of shape (N, m).")
    expected = _reference_best_decoder(x, w_e)
    err = float(((x - x @ w_e.T @ w_d.T) ** 2).sum(1).mean())
    best = float(((x - x @ w_e.T @ expected.T) ** 2).sum(1).mean())
    if err > best * (1 + 1e-8):
        hint = ""
        if torch.allclose(w_d, w_e.T) or torch.allclose(w_d, torch.linalg.pinv(w_e)):
            hint = (" w_e.T or the pseudo-inverse of w_e is best only when the "
                    "rows of w_e are orthonormal; here they are not, so fit the "
                    "decoder to the data.")
        raise Wrong(f"with your decoder the error is {err:.5f}, the best decoder "
                    f"reaches {best:.5f}.{hint}")
    expect_close(w_d, expected, "your decoder", rtol=1e-6, atol=1e-8)


ex2 = Exercise(
    number="1.2",
    title="the best decoder for a given encoder",
    test=_test_best_decoder,
    hint_text="with z = x @ w_e.T, you want w_d minimising ||x - z @ w_d.T||^2: "
              "the normal equations give w_d.T = (z.T z)^(-1) z.T x.",
    solution_text="""
        def best_decoder(x, w_e):
            z = x @ w_e.T                                    # codes, (N, m)
            return torch.linalg.solve(z.T @ z, z.T @ x).T    # normal equations
        # Written with the covariance C = x.T x / N this is C w_e.T (w_e C w_e.T)^-1.
    """,
    reference=_reference_best_decoder,
    wrong_answers=(
        lambda x, w_e: w_e.T,                       # right only for orthonormal rows
        lambda x, w_e: torch.linalg.pinv(w_e),      # same
        lambda x, w_e: torch.linalg.solve((x @ w_e.T).T @ (x @ w_e.T),
                                          (x @ w_e.T).T @ x),  # transposed
    ),
    success="For a fixed encoder the decoder is a linear regression; only the "
            "encoder's row space matters for the error.",
)
