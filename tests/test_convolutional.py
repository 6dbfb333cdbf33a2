"""The convolutional GANs of notebook 08 and the gradient penalty of notebook 09:
shapes, the penalty, and the loop."""

from __future__ import annotations

import pytest
import torch

from course_utils.core.errors import CourseError
from course_utils.topics.convolutional import (
    AdversarialHistory,
    DCDiscriminator,
    DCGenerator,
    train_adversarial,
)
from course_utils.topics.gan_family import gradient_penalty


def test_shapes_plain_and_conditional():
    torch.manual_seed(0)
    z = torch.randn(5, 8)
    y = torch.arange(5) % 3
    assert DCGenerator(8, 4)(z).shape == (5, 28, 28)
    x = DCGenerator(8, 4, n_classes=3)(z, y)
    x = x.detach()
    assert x.shape == (5, 28, 28) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert DCDiscriminator(4)(x).shape == (5,)
    assert DCDiscriminator(4, n_classes=3, batch_norm=False)(x, y).shape == (5,)


def test_gradient_penalty_of_a_linear_critic():
    w = torch.randn(28 * 28, dtype=torch.float64)

    def critic(x):
        return x.reshape(len(x), -1) @ w

    real = torch.rand(6, 28, 28, dtype=torch.float64)
    fake = torch.rand(6, 28, 28, dtype=torch.float64)
    value = gradient_penalty(critic, real, fake)
    assert abs(float(value) - float((w.norm() - 1) ** 2)) < 1e-9


@pytest.mark.parametrize("objective", ["gan", "wgan-gp"])
def test_loop_runs_repeats_and_records(objective):
    data = torch.rand(64, 28, 28)

    def sample(n, g):
        return data[torch.randint(len(data), (n,), generator=g)]

    def run():
        torch.manual_seed(0)
        gen = DCGenerator(4, 4)
        critic = DCDiscriminator(4, batch_norm=objective == "gan")
        history = train_adversarial(gen, critic, sample, latent_dim=4, steps=3,
                                    objective=objective, n_critic=2, batch_size=8,
                                    penalty=gradient_penalty,
                                    snapshot_steps=[0, 3], snapshot_size=4)
        return history

    first, second = run(), run()
    assert first.d_loss == second.d_loss and len(first.g_loss) == 3
    assert sorted(first.snapshots) == [0, 3]
    assert len(first.w_estimate) == (3 if objective == "wgan-gp" else 0)
    again = AdversarialHistory.from_plain(first.to_plain())
    assert again.w_estimate == first.w_estimate and again.d_loss == first.d_loss


def test_bad_objective_is_one_clear_error():
    with pytest.raises(CourseError, match="objective"):
        train_adversarial(DCGenerator(4, 4), DCDiscriminator(4), lambda n, g: None,
                          latent_dim=4, steps=1, objective="wgan")


def test_wgan_gp_without_a_penalty_is_one_clear_error():
    with pytest.raises(CourseError, match="penalty"):
        train_adversarial(DCGenerator(4, 4), DCDiscriminator(4), lambda n, g: None,
                          latent_dim=4, steps=1, objective="wgan-gp")
