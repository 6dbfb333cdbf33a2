"""Exercises of notebook 02 (7.1.2 Autoencoders: a linear autoencoder vs PCA).

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
from course_utils.topics.pca import column_angles

# Exercise 2.1 (derive) ---------------------------------------------------------


def free_parameters(n, m):
    """How many numbers of (w_e, w_d) can change without changing w_d @ w_e."""
    return m * m   # any invertible (m, m) matrix a: (a @ w_e, w_d @ inv(a))


def _null_dimension(n: int, m: int) -> int:
    """Measured: the dimension of the directions in which (w_e, w_d) can move
    without changing w_d @ w_e, from the Jacobian's rank at a random point."""
    g = torch.Generator().manual_seed(n * 10 + m)
    w_e = torch.randn(m, n, generator=g, dtype=torch.float64)
    w_d = torch.randn(n, m, generator=g, dtype=torch.float64)

    def product(flat):
        return (flat[m * n:].reshape(n, m) @ flat[:m * n].reshape(m, n)).reshape(-1)

    jac = torch.autograd.functional.jacobian(product, torch.cat([w_e.reshape(-1),
                                                                 w_d.reshape(-1)]))
    return 2 * n * m - int(torch.linalg.matrix_rank(jac))


def _test_free_parameters(answer) -> None:
    expect_callable(answer, "free_parameters")
    for n, m in ((5, 1), (6, 2), (7, 3), (8, 4)):
        got = answer(n, m)
        expect_number(got, f"free_parameters({n}, {m})")
        measured = _null_dimension(n, m)
        if got != measured:
            more = ""
            if got == m * (m - 1) // 2:
                more = (" That counts rotations only; any invertible matrix keeps "
                        "the product, stretching and shearing too.")
            elif got == n * m:
                more = (" The directions that do change the product are not free; "
                        "count only the matrices a with (a w_e, w_d a^-1).")
            elif got == 2 * n * m - m * m:
                more = (" That is how many numbers the product does determine; the "
                        "question asks for the rest.")
            raise Wrong(f"for n = {n}, m = {m} you answered {got}; the rank of the "
                        f"map (w_e, w_d) -> w_d @ w_e, measured numerically, leaves "
                        f"{measured} free directions.{more}")


ex1 = Exercise(
    number="2.1",
    title="how much of the pair the loss cannot see",
    kind="derive",
    test=_test_free_parameters,
    hints=(
        "The loss depends on w_e and w_d only through the product w_d @ w_e. Find "
        "a family of pairs with the same product.",
        "Insert a matrix and its inverse between the two factors: w_d @ a^-1 @ a "
        "@ w_e. Which matrices a are allowed?",
        "Every invertible (m, m) matrix a gives such a pair, and (for a full-rank "
        "pair) these are all of them: count the entries of a.",
    ),
    reference=free_parameters,
    wrong_answers=(
        lambda n, m: m * (m - 1) // 2,   # rotations only
        lambda n, m: n * m,              # the encoder's entries
        lambda n, m: 2 * n * m - m * m,  # the determined ones
    ),
    success="The loss is flat along m^2 directions: gradient descent has no reason "
            "to pick an orthogonal basis, and it does not.",
)


# Exercise 2.2 (implement) ------------------------------------------------------


def principal_directions(w_d, cov):
    """PCA's m directions, recovered from a decoder that spans their subspace."""
    q, _ = torch.linalg.qr(w_d)                         # orthonormal basis, (n, m)
    values, vectors = torch.linalg.eigh(q.T @ cov @ q)  # ascending
    return q @ vectors.flip(1)                          # largest variance first


def _test_principal_directions(answer) -> None:
    expect_callable(answer, "principal_directions")
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
    answer = answer(w_d, cov)
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
    kind="implement",
    test=_test_principal_directions,
    hints=(
        "Two steps: an orthonormal basis Q of the decoder's span, then the "
        "rotation inside that span that makes the codes Q^T x uncorrelated.",
        "torch.linalg.qr(w_d) gives Q; the codes' covariance is Q^T C Q, and its "
        "eigenvectors are the rotation.",
        "torch.linalg.eigh sorts eigenvalues in ascending order: flip the "
        "eigenvector matrix's columns, then multiply Q by it.",
    ),
    reference=principal_directions,
    wrong_answers=(
        lambda w_d, cov: torch.linalg.qr(w_d)[0],                  # span only
        lambda w_d, cov: w_d / w_d.norm(dim=0),                    # normalised only
        lambda w_d, cov: torch.linalg.qr(w_d)[0] @ torch.linalg.eigh(
            torch.linalg.qr(w_d)[0].T @ cov @ torch.linalg.qr(w_d)[0])[1],  # order
    ),
    success="The AE did the hard part (the subspace); PCA inside an m-dimensional "
            "code space is cheap.",
)


# Exercise 2.3 (predict) --------------------------------------------------------


def _reveal_loud_pixel():
    g = torch.Generator().manual_seed(23)
    factors = torch.randn(2000, 3, generator=g, dtype=torch.float64)
    x = factors @ torch.randn(3, 10, generator=g, dtype=torch.float64)
    x = x + 0.3 * torch.randn(2000, 10, generator=g, dtype=torch.float64)
    loud = x.clone()
    loud[:, 7] *= 100                   # one pixel, recorded in other units
    weights = []
    for data in (x, loud):
        data = data - data.mean(dim=0)
        _, vectors = torch.linalg.eigh(data.T @ data / len(data))
        weights.append(float(vectors[7, -1].abs()))
    shown = (f"The first principal direction's weight on pixel 7: {weights[0]:.2f} "
             f"before, {weights[1]:.4f} after multiplying that pixel by 100.")
    return ("a" if weights[1] > 0.99 else "b"), shown


ex3 = Prediction(
    number="2.3",
    title="one loud pixel",
    answer_name="prediction_2_3",
    hints=(
        "PCA (and the linear AE, which finds the same subspace) minimises the "
        "squared error summed over pixels. Which pixel's error is now largest?",
        "Multiplying a pixel by 100 multiplies its variance by 10,000.",
    ),
    reveal=_reveal_loud_pixel,
    choices=("a", "b", "c"),
    reference="a",
    explain={
        "b": "PCA is not scale-free: the error is counted in each pixel's own "
             "units, so a pixel with 10,000 times the variance dominates it and "
             "takes the first direction for itself.",
        "c": "Far from avoiding the loud pixel, the squared error makes the first "
             "direction spend itself on it: that is where most of the error is.",
    },
    wrong_answers=("b", "c"),
    success="Standardise features measured in different units before PCA; images "
            "share one unit, so the course does not.",
    # the notebook never rescales one pixel
    revealed_by=(),
)


# Exercise 2.4 (think) ----------------------------------------------------------

ex4 = Think(
    number="2.4",
    title="uncorrelated is not independent",
    answer_name="answer_2_4",
    hints=(
        "Uncorrelated means E[z1 z2] = E[z1] E[z2]; independent means the joint "
        "density factorises. Find codes that satisfy the first only.",
        "For which distribution do the two coincide? Is Fashion-MNIST that?",
    ),
    model_answer=(
        "No. PCA's codes are uncorrelated by construction (their covariance is "
        "diagonal), but independence asks that the joint distribution "
        "factorise, which second moments cannot see: z2 = z1^2 - 1 with z1 "
        "standard normal is uncorrelated with z1 and fully determined by it. "
        "For Gaussian data uncorrelated codes are independent; Fashion-MNIST is "
        "far from Gaussian (trousers and sandals form separate clusters), so "
        "knowing one PCA code still tells you about the others. The chapter's "
        "'not necessarily independent' is true of PCA too, not only of the AE."
    ),
    key_ideas=(("covariance is second moments only", r"covarian|second moment|"
                r"correlat"),
               ("the Gaussian case", r"gauss|normal"),
               ("a counterexample or non-Gaussian data", r"example|cluster|z\^?2|"
                r"square|non-?gauss|determin")),
)

EXERCISES = register(globals())
