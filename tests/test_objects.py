"""The generated objects data set of notebook 03 (course_utils.core.synthetic)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.core.errors import ShapeError
from course_utils.core.synthetic import (
    FACTOR_CORNERS,
    FEATURE_NAMES,
    FEATURE_TABLE,
    OBJECTS,
    blend,
    make_objects,
)
from course_utils.topics.pca import linear_probe_r2


def test_reproducible_from_the_seed():
    a, b = make_objects(300, seed=4), make_objects(300, seed=4)
    for name in ("x", "labels", "factors", "size", "raw"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert not torch.equal(a.x, make_objects(300, seed=5).x)


def test_shapes_names_and_standardisation():
    data = make_objects(400, seed=0)
    d = len(FEATURE_NAMES)
    assert data.x.shape == (400, d) and data.raw.shape == (400, d)
    assert data.labels.shape == (400,) and data.factors.shape == (400, 2)
    assert data.x.dtype == torch.float32 and data.labels.dtype == torch.int64
    assert data.classes == OBJECTS == ("dog", "bird", "car", "airplane")
    assert data.factor_names == ("alive", "flies")
    assert torch.allclose(data.x.mean(0), torch.zeros(d), atol=1e-5)
    assert torch.allclose(data.x.std(0, unbiased=False), torch.ones(d), atol=1e-4)
    assert set(data.labels.tolist()) == {0, 1, 2, 3}
    assert "400 objects" in repr(data)


def test_factor_labels_follow_the_kinds():
    data = make_objects(2000, seed=1, spread=0.1)
    corners = data.kind_factors
    assert torch.equal(corners, torch.from_numpy(
        FACTOR_CORNERS[data.labels.numpy()]).float())
    # dog and bird are alive, bird and airplane fly
    assert corners[data.labels == 0].tolist()[0] == [1.0, 0.0]
    assert corners[data.labels == 3].tolist()[0] == [0.0, 1.0]
    # each object's own factors scatter around its kind's corner
    assert (data.factors - corners).abs().mean() < 0.1
    assert abs(np.corrcoef(data.factors.T.numpy())[0, 1]) < 0.1


def test_blend_is_the_table_at_the_corners():
    table = np.array(list(FEATURE_TABLE.values()), dtype=float).T  # (4, D)
    assert np.allclose(blend(FACTOR_CORNERS), table)
    mid = blend(np.array([[0.5, 0.5]]))[0]
    assert np.allclose(mid, table.mean(axis=0))


def test_noise_free_data_lies_on_the_blend():
    data = make_objects(50, seed=2, size_effect=0.0, noise=0.0)
    assert np.allclose(data.raw.numpy(), blend(data.factors.numpy()), atol=1e-4)


def test_split():
    data = make_objects(100, seed=0)
    train, test = data.split(25)
    assert len(train) == 75 and len(test) == 25
    assert torch.equal(test.x, data.x[75:])
    with pytest.raises(ShapeError):
        data.split(100)


@pytest.mark.parametrize("kwargs", [{"n": 3}, {"spread": -1.0}, {"noise": -0.1}])
def test_bad_arguments(kwargs):
    with pytest.raises(ShapeError):
        make_objects(**kwargs)


def test_linear_probe():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(500, 2, generator=g)
    assert linear_probe_r2(z, 3 * z[:, 0] - z[:, 1] + 7) == pytest.approx(1.0)
    assert abs(linear_probe_r2(z[:, :1], torch.randn(500, generator=g))) < 0.02
    # one number cannot read two uncorrelated factors: the R^2 add up to at most 1
    a, f = torch.randn(500, generator=g), torch.randn(500, generator=g)
    a, f = a - a.mean(), f - f.mean()
    f = f - (f @ a) / (a @ a) * a  # exactly uncorrelated in the sample
    one = (a + 2 * f + 0.3 * torch.randn(500, generator=g))[:, None]
    assert linear_probe_r2(one, a) + linear_probe_r2(one, f) <= 1.0 + 1e-9
    with pytest.raises(ShapeError):
        linear_probe_r2(z, torch.zeros(10))
