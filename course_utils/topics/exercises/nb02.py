"""Exercises of notebook 02 (7.1.2 Autoencoders: a linear autoencoder vs PCA)."""

from __future__ import annotations

import torch

from course_utils.core.checks import Exercise, Wrong, expect_callable, expect_close
from course_utils.topics.pca import column_angles


def _reference_reparameterise(w_e, w_d, a):
    return a @ w_e, w_d @ torch.linalg.inv(a)


def _test_reparameterise(reparameterise) -> None:
    expect_callable(reparameterise, "reparameterise")
    g = torch.Generator().manual_seed(5)
    w_e = torch.randn(3, 7, generator=g, dtype=torch.float64)
    w_d = torch.randn(7, 3, generator=g, dtype=torch.float64)
    a = torch.randn(3, 3, generator=g, dtype=torch.float64) + 2 * torch.eye(
        3, dtype=torch.float64)
    x = torch.randn(20, 7, generator=g, dtype=torch.float64)
    result = reparameterise(w_e, w_d, a)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Wrong("reparameterise should return a pair (new encoder, new decoder).")
    w_e2, w_d2 = result
    if tuple(w_e2.shape) != (3, 7) or tuple(w_d2.shape) != (7, 3):
        raise Wrong(f"the new encoder should be (m, n) = (3, 7) and the new decoder "
                    f"(n, m) = (7, 3); got {tuple(w_e2.shape)} and "
                    f"{tuple(w_d2.shape)}.")
    expect_close(x @ w_e2.T, (x @ w_e.T) @ a.T, "the new codes (should be a z)",
                 rtol=1e-8, atol=1e-10)
    expect_close(w_d2 @ w_e2, w_d @ w_e,
                 "the new product W_d W_e (the reconstruction map)", rtol=1e-8,
                 atol=1e-10)


ex1 = Exercise(
    number="2.1",
    title="the same reconstructions from another basis",
    test=_test_reparameterise,
    hint_text="new codes a z = (a W_e) x; the decoder must map a z back to what "
              "W_d z gave, so it applies a^(-1) first: W_d a^(-1).",
    solution_text="""
        def reparameterise(w_e, w_d, a):
            return a @ w_e, w_d @ torch.linalg.inv(a)
        # (W_d a^-1)(a W_e) = W_d W_e: the loss cannot tell the two pairs apart.
    """,
    reference=_reference_reparameterise,
    wrong_answers=(
        lambda w_e, w_d, a: (a @ w_e, w_d @ a.T),                   # a^T, not a^-1
        lambda w_e, w_d, a: (torch.linalg.inv(a) @ w_e, w_d @ a),   # a and a^-1 swapped
        lambda w_e, w_d, a: (a @ w_e, torch.linalg.inv(a) @ w_d.T),  # wrong side
        lambda w_e, w_d, a: (w_e, w_d),                             # codes unchanged
    ),
    success="Any invertible a gives an equally good autoencoder: the loss has no "
            "preferred basis, so gradient descent finds a skewed one.",
)


def _reference_principal_directions(w_d, cov):
    q, _ = torch.linalg.qr(w_d)
    _, vectors = torch.linalg.eigh(q.T @ cov @ q)
    return q @ vectors.flip(1)


def _test_principal_directions(principal_directions) -> None:
    expect_callable(principal_directions, "principal_directions")
    g = torch.Generator().manual_seed(3)
    n, m = 12, 3
    basis, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    variances = torch.tensor([9.0, 5.0, 3.0, 1.0] + [0.5 - 0.03 * i
                                                     for i in range(n - 4)],
                             dtype=torch.float64)
    cov = basis @ torch.diag(variances) @ basis.T
    skew = torch.randn(m, m, generator=g, dtype=torch.float64) + 2 * torch.eye(
        m, dtype=torch.float64)
    w_d = basis[:, :m] @ skew   # spans the top-3 subspace, skewed basis
    answer = principal_directions(w_d, cov)
    if not isinstance(answer, torch.Tensor) or tuple(answer.shape) != (n, m):
        raise Wrong(f"return an (n, m) = ({n}, {m}) tensor, one direction per column "
                    f"(got {getattr(answer, 'shape', type(answer).__name__)}).")
    angles = torch.rad2deg(column_angles(answer, basis[:, :m]))
    if float(angles.max()) > 1e-4:
        reversed_angles = torch.rad2deg(column_angles(answer.flip(1), basis[:, :m]))
        if float(reversed_angles.max()) < 1e-4:
            raise Wrong("you found the right directions in the wrong order: the "
                        "first column should have the largest variance "
                        "(torch.linalg.eigh sorts eigenvalues in ascending order).")
        raise Wrong(f"column j should be the j-th principal direction; the angles "
                    f"are {[round(float(t), 1) for t in angles]} degrees. An "
                    "orthonormal basis of the span is not enough: rotate it so "
                    "the codes are uncorrelated.")
    expect_close(answer.T @ answer, torch.eye(m, dtype=torch.float64),
                 "answer.T @ answer (the directions should be unit vectors)",
                 rtol=1e-6, atol=1e-8)


ex2 = Exercise(
    number="2.2",
    title="principal directions from a trained autoencoder",
    test=_test_principal_directions,
    hint_text="q, _ = torch.linalg.qr(w_d) gives an orthonormal basis of the span; "
              "the eigenvectors of q.T @ cov @ q say how to rotate it.",
    solution_text="""
        def principal_directions(w_d, cov):
            q, _ = torch.linalg.qr(w_d)                          # orthonormal basis
            values, vectors = torch.linalg.eigh(q.T @ cov @ q)   # ascending order
            return q @ vectors.flip(1)                           # largest first
    """,
    reference=_reference_principal_directions,
    wrong_answers=(
        lambda w_d, cov: torch.linalg.qr(w_d)[0],                  # span only
        lambda w_d, cov: w_d / w_d.norm(dim=0),                    # normalised only
        lambda w_d, cov: torch.linalg.qr(w_d)[0] @ torch.linalg.eigh(
            torch.linalg.qr(w_d)[0].T @ cov @ torch.linalg.qr(w_d)[0])[1],  # order
    ),
    success="The AE did the hard part (the subspace); PCA inside an m-dimensional "
            "code space is cheap.",
)
