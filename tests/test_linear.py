"""Tests of course_utils.topics.pca (notebooks 01 and 02): PCA, the discarded-eigenvalue
identity, principal angles, the reconstruction slider's logic, and clear errors
for bad input."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils.core.data import load_digits  # noqa: E402
from course_utils.core.errors import CourseError, ShapeError  # noqa: E402
from course_utils.core.synthetic import latent_factor_data
from course_utils.topics.figures import latent_sizes, pca_slider, reconstruction_rows
from course_utils.topics.pca import (
    LatentSizeError,
    column_angles,
    correlation_matrix,
    cosine_matrix,
    elbow,
    fit_pca,
    max_offdiag,
    pca_from_covariance,
    principal_angles,
    reconstruction_at,
    reconstruction_error,
)


@pytest.fixture(scope="module")
def digits_pca():
    x = load_digits().flat
    return x, fit_pca(x)


def test_fit_pca_matches_scikit_learn(digits_pca):
    from sklearn.decomposition import PCA

    x, pca = digits_pca
    # the exact solver, which every scikit-learn release defines: "auto" picks an
    # approximate (randomized) one for this shape before 1.5
    sk = PCA(n_components=12, svd_solver="full").fit(x.double().numpy())
    n = len(x)
    assert np.allclose(pca.eigenvalues[:12].numpy() * n / (n - 1),
                       sk.explained_variance_, rtol=1e-9)
    angles = principal_angles(pca.components[:, :12], sk.components_.T)
    assert float(angles.max()) < 1e-6
    assert torch.all(pca.eigenvalues[:-1] >= pca.eigenvalues[1:])


def test_error_is_sum_of_discarded_eigenvalues(digits_pca):
    x, pca = digits_pca
    for m in (0, 1, 10, 40, 64):
        error = reconstruction_error(x, pca.reconstruct(x, m))
        assert math.isclose(error, pca.discarded(m), rel_tol=1e-9, abs_tol=1e-12)


def test_error_curve_matches_reconstructions(digits_pca):
    x, pca = digits_pca
    curve = pca.error_curve(x[:300])
    assert curve.shape == (65,)
    for m in (0, 5, 33, 64):
        _, error = reconstruction_at(pca, x[:300], m)
        assert math.isclose(curve[m], error, rel_tol=1e-9, abs_tol=1e-12)
    assert np.all(np.diff(curve) <= 1e-12)        # more dimensions, less error
    assert abs(curve[-1]) < 1e-10                 # m = n: exact


def test_pca_from_covariance_equals_fit_pca(digits_pca):
    x, pca = digits_pca
    xd = x.double()
    cov = (xd - xd.mean(0)).T @ (xd - xd.mean(0)) / len(xd)
    other = pca_from_covariance(xd.mean(0), cov)
    assert torch.allclose(other.eigenvalues, pca.eigenvalues, atol=1e-12)


def test_principal_angles_known_cases():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(10, 3, generator=g, dtype=torch.float64)
    mix = torch.randn(3, 3, generator=g, dtype=torch.float64) + 3 * torch.eye(3)
    # the same subspace in another (skewed) basis: all angles zero
    assert float(principal_angles(a, a @ mix).max()) < 1e-7
    # a known angle in the plane
    for t in (1e-6, 0.3, 1.2, math.pi / 2):
        e1 = torch.tensor([[1.0], [0.0], [0.0]], dtype=torch.float64)
        v = torch.tensor([[math.cos(t)], [math.sin(t)], [0.0]], dtype=torch.float64)
        assert math.isclose(float(principal_angles(e1, v)[0]), t, rel_tol=1e-6,
                            abs_tol=1e-12)
    # a line inside a plane: one angle, zero; the order of the arguments is free
    plane = torch.eye(3, dtype=torch.float64)[:, :2]
    line = torch.tensor([[1.0], [1.0], [0.0]], dtype=torch.float64)
    for first, second in ((plane, line), (line, plane)):
        angles = principal_angles(first, second)
        assert angles.shape == (1,) and float(angles[0]) < 1e-7


def test_column_cosine_and_correlation_helpers():
    eye = torch.eye(4, dtype=torch.float64)
    assert max_offdiag(cosine_matrix(eye)) == 0.0
    skew = eye.clone()
    skew[0, 1] = 1.0                                 # column 1 = e0 + e1
    assert math.isclose(float(cosine_matrix(skew)[0, 1]), 1 / math.sqrt(2))
    assert torch.allclose(column_angles(eye, -eye), torch.zeros(4, dtype=torch.float64))
    g = torch.Generator().manual_seed(1)
    z = torch.randn(5000, 2, generator=g, dtype=torch.float64)
    z[:, 1] = z[:, 0] + 0.5 * z[:, 1]
    r = float(correlation_matrix(z)[0, 1])
    assert math.isclose(r, 1 / math.sqrt(1.25), rel_tol=0.02)


def test_elbow_finds_the_number_of_factors():
    for k in (2, 4, 6):
        x, loadings = latent_factor_data(2000, n_features=30, n_factors=k, seed=k)
        assert loadings.shape == (30, k)
        curve = fit_pca(x).error_curve(x)
        assert elbow(curve) == k


def test_slider_logic_returns_the_curve_value(digits_pca):
    x, pca = digits_pca
    widget, show = pca_slider(pca, x[:200], image_shape=(8, 8), m=3, n_images=4)
    curve = pca.error_curve(x[:200])
    for m in (0, 3, 20, 64):
        marked = show(m)
        _, direct = reconstruction_at(pca, x[:200], m)
        assert math.isclose(marked, curve[m], rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(marked, direct, rel_tol=1e-9, abs_tol=1e-12)
    slider = widget.controls["m"]
    png = bytes(widget.figure.value)
    slider.value = 8                   # moving the slider redraws the picture
    assert bytes(widget.figure.value) != png
    assert widget.result["error"] == pytest.approx(curve[8])
    assert show(7) == pytest.approx(curve[7])  # a size between the stops too
    plt.close("all")


def test_latent_size_stops_give_small_m_most_of_the_track():
    stops = latent_sizes(784, 16)
    assert stops[0] == 0 and stops[-1] == 784 and stops == sorted(set(stops))
    below_50 = sum(s < 50 for s in stops)
    assert below_50 / len(stops) >= 0.5, stops  # was 50 / 785 of an even track
    assert latent_sizes(64)[-1] == 64 and 7 in latent_sizes(64, 7)


def test_reconstruction_rows_figure(digits_pca):
    x, pca = digits_pca
    fig = reconstruction_rows(pca, x[:5], ms=[1, 10], image_shape=(8, 8))
    assert len(fig.axes) == 3 * 5
    plt.close(fig)


@pytest.mark.parametrize("call", [
    lambda pca, x: fit_pca(x[0]),                        # a single image
    lambda pca, x: fit_pca("not data"),
    lambda pca, x: pca.encode(x, 65),                     # m > n
    lambda pca, x: pca.encode(x, -1),
    lambda pca, x: pca.encode(x, 2.5),
    lambda pca, x: pca.reconstruct(x.reshape(-1, 8, 8), 3),
    lambda pca, x: reconstruction_error(x, x[:, :10]),
    lambda pca, x: principal_angles(torch.ones(5, 2), torch.ones(6, 2)),
    lambda pca, x: principal_angles(torch.ones(5, 2), torch.eye(5)[:, :2]),  # rank 1
    lambda pca, x: elbow([1.0, 0.5]),
    lambda pca, x: latent_factor_data(10, n_features=5, n_factors=5),
])
def test_bad_input_raises_a_course_error(digits_pca, call):
    x, pca = digits_pca
    with pytest.raises(CourseError):
        call(pca, x)


def test_error_types():
    assert issubclass(LatentSizeError, ValueError)
    with pytest.raises(ShapeError, match="shape"):
        reconstruction_error(torch.zeros(3, 4), torch.zeros(3, 5))
