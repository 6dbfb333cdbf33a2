"""The sample-quality metric (course_utils.topics.quality), on the 8x8 digits so it is
fast: the Frechet distance's algebra, the score's keys and ranges, and that real
images score better than noise, blank or scrambled ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_utils.core.data import load_digits
from course_utils.core.errors import ConfigError, ShapeError
from course_utils.topics.quality import (
    METRIC_KEYS,
    SampleQuality,
    frechet_distance,
    gaussian_stats,
)


@pytest.fixture(scope="module")
def quality():
    return SampleQuality.digits(load_digits("train"), load_digits("test"), epochs=20)


def test_frechet_of_a_set_to_itself_is_zero():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    mu, cov = gaussian_stats(f)
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-8)


def test_frechet_of_a_shift_is_the_squared_shift():
    rng = np.random.default_rng(1)
    f = rng.normal(size=(400, 5)) @ rng.normal(size=(5, 5))
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    mu, cov = gaussian_stats(f)
    mu2, cov2 = gaussian_stats(f + shift)
    assert frechet_distance(mu, cov, mu2, cov2) == pytest.approx(
        float(shift @ shift), rel=1e-8)


def test_frechet_matches_closed_form_for_diagonal_covariances():
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu1, mu2 = np.zeros(3), np.array([1.0, 0.0, 0.0])
    expected = 1.0 + float(((np.sqrt(a) - np.sqrt(b)) ** 2).sum())
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(
        expected, rel=1e-10)
    # symmetric, and accepts torch tensors
    assert frechet_distance(torch.tensor(mu2), torch.diag(torch.tensor(b)), mu1,
                            np.diag(a)) == pytest.approx(expected, rel=1e-10)


def test_frechet_rejects_bad_shapes():
    with pytest.raises(ShapeError):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ShapeError):
        gaussian_stats(np.zeros((1, 4)))


def test_score_keys_and_ranges(quality):
    test = load_digits("test")
    s = quality.score(test.images)
    assert set(s) == set(METRIC_KEYS) | {"n"}
    assert s["n"] == len(test)
    assert 0.1 <= s["confidence"] <= 1.0
    assert 0.0 <= s["entropy"] <= math.log(10) + 1e-9
    assert 0.0 <= s["diversity"] <= math.log(10) + 1e-9
    assert s["frechet"] >= 0.0
    assert quality.accuracy > 0.85, quality


def test_real_images_score_better_than_junk(quality):
    real = load_digits("train").images[:400]
    g = torch.Generator().manual_seed(0)
    junk = {
        "noise": torch.rand(400, 8, 8, generator=g),
        "blank": torch.zeros(400, 8, 8),
        "scrambled": real.reshape(400, -1)[:, torch.randperm(64, generator=g)],
    }
    table = quality.table({"real": real, **junk})
    for name in junk:
        assert table[name]["frechet"] > 5 * table["real"]["frechet"], str(table)
    assert table["real"]["diversity"] > 2.2
    assert table["blank"]["diversity"] == 0.0
    assert "scrambled" in str(table) and "frechet" in str(table)


def test_score_accepts_flat_and_channel_images_alike(quality):
    x = load_digits("test").images[:100]
    a = quality.score(x)
    b = quality.score(x.reshape(100, 64).numpy())
    c = quality.score(x[:, None])
    assert a == pytest.approx(b) and a == pytest.approx(c)


@pytest.mark.parametrize("bad", [
    torch.zeros(10, 28, 28),          # wrong image size
    torch.zeros(1, 8, 8),             # a single image has no covariance
    torch.full((10, 8, 8), 2.0),      # not in [0, 1]
    torch.full((10, 8, 8), float("nan")),
    "images",
])
def test_score_rejects_bad_input(quality, bad):
    with pytest.raises(ShapeError):
        quality.score(bad)


def test_table_rejects_empty(quality):
    with pytest.raises(ShapeError):
        quality.table({})


def test_the_ruler_lives_on_its_device_and_answers_on_the_cpu(quality):
    assert quality.device == torch.device("cpu")
    assert next(quality.classifier.parameters()).device == quality.device
    s = quality.score(load_digits("test").images[:50])
    assert all(isinstance(s[k], float) for k in METRIC_KEYS)
    assert isinstance(quality.features(load_digits("test").images[:5]), np.ndarray)


def test_building_the_ruler_leaves_the_callers_random_state_alone(quality):
    torch.manual_seed(4)
    expected = torch.rand(3)
    torch.manual_seed(4)
    again = SampleQuality.digits(load_digits("train"), load_digits("test"),
                                 epochs=20)  # from the cache: same weights
    assert torch.equal(torch.rand(3), expected)
    assert again.accuracy == pytest.approx(quality.accuracy)


def test_the_ruler_refuses_a_device_it_cannot_use():
    with pytest.raises(ConfigError, match="^SampleQuality: device=meta"):
        SampleQuality.digits(load_digits("train"), load_digits("test"), epochs=1,
                             device="meta")


def test_fashion_ruler_takes_its_data_and_draws_its_own_subset(monkeypatch):
    from course_utils.core.data import ImageSet

    g = torch.Generator().manual_seed(0)
    images = torch.rand(300, 28, 28, generator=g)
    labels = torch.arange(300) % 10
    train = ImageSet(images, labels, tuple("abcdefghij"), "fake train")
    test = ImageSet(images[:100], labels[:100], tuple("abcdefghij"), "fake test")
    ruler = SampleQuality.fashion(train, test, n_train=200, epochs=1,
                                  n_reference=50)
    assert ruler.n_real == 50 and ruler.image_shape == (28, 28)
    assert ruler.score(images[:20])["n"] == 20
