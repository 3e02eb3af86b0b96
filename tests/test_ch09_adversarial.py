"""Unit tests of course_lib.adversarial (chapter 09): critics, loss, reconstruction, heuristics, toy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import adversarial, training
from course_lib.gan.losses import gradient_penalty
from course_lib.operators import Identity


def test_global_critic_has_the_papers_convolutions():
    critic = adversarial.build_ct_critic()
    convs = [m for m in critic.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 32, 64, 64, 128]
    assert all(c.kernel_size == (5, 5) for c in convs)
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2, 1, 2]
    assert critic(torch.rand(2, 1, 64, 64)).shape == (2,)
    with pytest.raises(ValueError, match="GlobalCritic expects"):
        critic(torch.rand(2, 1, 32, 32))


def test_patch_critic_is_fully_convolutional_with_average_pooling():
    critic = adversarial.build_denoise_critic()
    assert critic(torch.rand(3, 1, 32, 32)).shape == (3,)
    assert critic(torch.rand(1, 1, 80, 48)).shape == (1,)
    assert not any(isinstance(m, torch.nn.Linear) for m in critic.modules())


def test_builders_are_seeded():
    a, b = adversarial.build_denoise_critic(seed=3), adversarial.build_denoise_critic(seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_critic_loss_is_the_sum_of_its_parts():
    critic = adversarial.build_denoise_critic()
    real, noisy = torch.rand(4, 1, 16, 16), torch.rand(4, 1, 16, 16)
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    loss, parts = adversarial.critic_loss(critic, real, noisy, mu=7.0, generator=g1)
    pen = gradient_penalty(critic, real, noisy, g2, one_sided=True)
    expected = critic(real).mean() - critic(noisy).mean() + 7.0 * pen
    assert torch.allclose(loss, expected, atol=1e-6)
    assert parts["wasserstein"] == pytest.approx(float(critic(noisy).mean() - critic(real).mean()), abs=1e-6)


def test_one_sided_penalty_ignores_slopes_below_one():
    w = torch.tensor([0.3, -0.4])  # linear critic with gradient norm 0.5
    critic = lambda x: x @ w  # noqa: E731
    real, noisy = torch.randn(5, 2), torch.randn(5, 2)
    _, parts = adversarial.critic_loss(critic, real, noisy, mu=10.0)
    assert parts["penalty"] == 0.0
    critic2 = lambda x: x @ (4 * w)  # noqa: E731  gradient norm 2 -> penalty (2 - 1)^2 = 1
    _, parts2 = adversarial.critic_loss(critic2, real, noisy, mu=10.0)
    assert parts2["penalty"] == pytest.approx(1.0, abs=1e-5)


def test_gradient_norms_of_a_linear_critic():
    w = torch.randn(1, 1, 4, 4)
    critic = lambda x: (x * w).flatten(1).sum(1)  # noqa: E731
    norms = adversarial.gradient_norms(critic, torch.rand(5, 1, 4, 4), batch=2)
    assert torch.allclose(norms, w.norm().expand(5), atol=1e-6)


def test_reconstruct_without_critic_is_gradient_descent_on_the_data_term():
    zero = lambda x: 0.0 * x.flatten(1).sum(1)  # noqa: E731
    y = torch.rand(3, 1, 8, 8)
    x0 = torch.zeros_like(y)
    res = adversarial.reconstruct(y, zero, lam=5.0, step=0.1, n_steps=3, x0=x0, reference=y, batch=2)
    expected = y * (1 - (1 - 0.2) ** 3)  # x_{k+1} = x_k - 0.1 * 2 (x_k - y)
    assert torch.allclose(res.x, expected, atol=1e-6)
    assert res.trace.shape == (4, 3)
    assert np.all(np.diff(res.trace.mean(axis=1)) > 0), "PSNR rises towards y"


def test_reconstruct_step_matches_the_exercise_reference():
    from course_lib.checks import ch09

    critic = adversarial.build_denoise_critic()
    for p in critic.parameters():
        p.requires_grad_(False)
    y = torch.rand(2, 1, 16, 16)
    ident = Identity()
    one = adversarial.reconstruct(y, critic, lam=3.0, step=0.05, n_steps=1, A=ident).x
    ref = ch09.reconstruction_step_reference(y, y, ident.forward, ident.adjoint, critic, 3.0, 0.05)
    assert torch.allclose(one, ref, atol=1e-6)


def test_lambda_heuristic_for_denoising_is_about_two_sigma_sqrt_n():
    sigma, n = 0.1, 1024
    eps = sigma * torch.randn(2000, n, generator=torch.Generator().manual_seed(0))
    lam = adversarial.lambda_heuristic(lambda r: r, eps)
    exact = 2 * sigma * math.sqrt(2) * math.exp(math.lgamma((n + 1) / 2) - math.lgamma(n / 2))
    assert lam == pytest.approx(exact, rel=2e-3)
    assert lam == pytest.approx(2 * sigma * math.sqrt(n), rel=2e-3)


def test_patch_lambda_scale_counts_training_patches():
    assert adversarial.patch_lambda_scale(32, (1, 1, 128, 128)) == 16.0
    assert adversarial.patch_lambda_scale(32, (64, 32)) == 2.0


def test_circle_toy_satisfies_the_low_noise_assumption():
    real, noisy = adversarial.circle_toy(2000, 0.3, seed=1)
    assert torch.allclose(real.norm(dim=1), torch.ones(2000), atol=1e-6)
    assert bool((noisy.norm(dim=1) > 0).all())
    # projections of the noisy points onto the circle have uniform angles (same law as P_r)
    angles = torch.atan2(noisy[:, 1], noisy[:, 0])
    hist = torch.histc(angles, bins=8, min=-math.pi, max=math.pi) / 2000
    assert torch.allclose(hist, torch.full((8,), 1 / 8), atol=0.03)


def test_toy_critic_with_penalty_learns_the_distance_function():
    real, noisy = adversarial.circle_toy(4000, 0.3, seed=0)  # the notebook's toy (ci: 600 steps)
    critic, w1 = adversarial.train_toy_critic(real, noisy, steps=600, method="penalty", seed=0)
    _, ev = adversarial.circle_toy(1000, 0.3, seed=4)
    corr = np.corrcoef(critic(ev).numpy(), (ev.norm(dim=1) - 1).abs().numpy())[0, 1]
    assert corr > 0.9
    with pytest.raises(ValueError, match="method"):
        adversarial.train_toy_critic(real, noisy, steps=1, method="spectral")


def test_sweep_picks_the_best_factor_and_step():
    zero = lambda x: 0.0 * x.flatten(1).sum(1)  # noqa: E731
    clean = torch.rand(2, 1, 8, 8)
    y = clean + 0.1
    sweep = adversarial.sweep_weights(y, clean, zero, 1.0, [0.5, 1.0], step=0.1, n_steps=4, x0=torch.zeros_like(y))
    assert sweep.traces.shape == (2, 5)
    assert sweep.best_steps == int(np.argmax(sweep.traces[sweep.factors.index(sweep.best_factor)]))
    assert sweep.heuristic_steps >= 0 and sweep.best_lam == sweep.best_factor


def test_unknown_model_names_are_refused():
    with pytest.raises(KeyError, match="unknown chapter 09 model"):
        adversarial.builder("ch09_nope")


@pytest.mark.parametrize("name", adversarial.MODEL_NAMES)
def test_shipped_models_load_and_are_small(name):
    entry = training.shipped_checkpoints().get(name)
    if entry is None:
        pytest.skip(f"{name} is not shipped yet (python scripts/train_09.py)")
    assert entry["bytes"] <= 5_000_000
    model, info = adversarial.load(name)
    assert info.source == "shipped"
    assert not any(p.requires_grad for p in model.parameters())


def test_chapter_09_ships_at_most_16_mb():
    shipped = training.shipped_checkpoints()
    total = sum(shipped[n]["bytes"] for n in adversarial.MODEL_NAMES if n in shipped)
    assert total <= 16_000_000


def test_a_longer_critic_schedule_continues_the_saved_run(tmp_path):
    """The critics' learning rate is constant, so 3 steps continued to 5 equal 5 steps from scratch."""
    short = adversarial.build_denoise_critic()
    adversarial.train_denoise_critic(short, tmp_path / "a.pt", steps=3)
    continued = adversarial.build_denoise_critic()
    hist = adversarial.train_denoise_critic(continued, tmp_path / "a.pt", steps=5)  # resumes from a.resume.pt
    fresh = adversarial.build_denoise_critic()
    adversarial.train_denoise_critic(fresh, tmp_path / "b.pt", steps=5)
    assert hist.iterations == 5
    for (name, p), q in zip(continued.state_dict().items(), fresh.state_dict().values()):
        assert torch.allclose(p, q, atol=1e-6), f"{name} differs between the continued and the fresh run"
