"""Unit tests of course_lib.gan and the chapter-06 models (DCGAN, toy MLPs)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_lib import data, gan, training
from course_lib.models import dcgan, mnist_cnn, toy_gan

LOG4 = math.log(4.0)


def gauss(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


# --------------------------------------------------------------------------- models
def test_dcgan_shapes_range_and_size():
    model = dcgan.build_dcgan(0)
    assert model.latent == 100 and model.feature_maps == 64
    z = torch.randn(5, 100)
    with torch.no_grad():
        x = model.generator(z)
    assert x.shape == (5, 1, 28, 28)
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0, "the generator works on the [0, 1] scale"
    assert model.discriminator(x).shape == (5,)
    assert dcgan.count_parameters(model.generator) == 759_681
    assert dcgan.count_parameters(model.discriminator) == 138_689
    assert 4 * (dcgan.count_parameters(model)) < training.MAX_SHIPPED_BYTES, "float32 weights fit the 5 MB cap"


def test_dcgan_is_seeded_and_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    a, b, c = dcgan.build_dcgan(3), dcgan.build_dcgan(3), dcgan.build_dcgan(4)
    assert torch.equal(torch.get_rng_state(), state)
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)
    conv = a.generator.net[0].weight
    assert abs(float(conv.detach().std()) - 0.02) < 0.002, "DCGAN's N(0, 0.02) initialisation"


def test_dcgan_sample_restores_the_mode():
    model = dcgan.build_dcgan(0)
    model.generator.train()
    out = model.generator.sample(3, torch.Generator().manual_seed(0))
    assert out.shape == (3, 1, 28, 28) and not out.requires_grad and model.generator.training


@pytest.mark.parametrize("bad, match", [
    (lambda m: m.generator(torch.randn(2, 7)), "codes of shape"),
    (lambda m: m.discriminator(torch.rand(2, 28, 28)), r"\(N, 1, 28, 28\)"),
    (lambda m: dcgan.DCGANGenerator(feature_maps=0), "positive integer"),
])
def test_dcgan_bad_inputs(bad, match):
    with pytest.raises(ValueError, match=match):
        bad(dcgan.build_dcgan(0))


def test_toy_gan_shapes_and_spectral_norm():
    pair = toy_gan.build_toy_gan(0, dim=2, latent=3, width=16, depth=2, spectral_norm=True)
    x = pair.generator(torch.randn(4, 3))
    assert x.shape == (4, 2) and pair.discriminator(x).shape == (4,)
    with torch.no_grad():
        for _ in range(30):  # a few power iterations
            pair.discriminator.train()
            pair.discriminator(torch.randn(8, 2))
        pair.discriminator.eval()
        for layer in pair.discriminator.net:
            if isinstance(layer, nn.Linear):
                assert torch.linalg.matrix_norm(layer.weight, ord=2) < 1.05, "spectral norm about 1"
    with pytest.raises(ValueError, match="1-D"):
        toy_gan.ToyGAN(toy_gan.MLPGenerator(dim=1), toy_gan.MLPDiscriminator(dim=2))
    with pytest.raises(ValueError, match="codes of shape"):
        pair.generator(torch.randn(4, 2))


# --------------------------------------------------------------------------- losses
def test_cross_entropy_losses_equal_their_definitions():
    a = torch.tensor([-3.0, -0.2, 0.0, 1.1, 4.0], dtype=torch.float64)
    b = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64)
    d_real, d_fake = torch.sigmoid(b), torch.sigmoid(a)
    assert torch.allclose(gan.saturating_generator_loss(a), torch.log(1 - d_fake).mean())
    assert torch.allclose(gan.nonsaturating_generator_loss(a), -torch.log(d_fake).mean())
    expected_d = -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()
    for kind in ("saturating", "nonsaturating"):
        assert torch.allclose(gan.discriminator_loss(b, a, kind), expected_d)
    assert torch.allclose(gan.discriminator_loss(b, a, "lsgan"), ((b - 1) ** 2).mean() + (a**2).mean())
    assert torch.allclose(gan.generator_loss(a, "lsgan"), ((a - 1) ** 2).mean())
    assert torch.allclose(gan.discriminator_loss(b, a, "wgan-gp"), a.mean() - b.mean())
    assert torch.allclose(gan.generator_loss(a, "wgan-clip"), -a.mean())


def test_losses_are_stable_for_extreme_logits():
    a = torch.tensor([-200.0, 200.0], dtype=torch.float32)
    for kind in gan.KINDS:
        assert torch.isfinite(gan.generator_loss(a, kind))
        assert torch.isfinite(gan.discriminator_loss(a, a, kind))
    assert abs(float(gan.nonsaturating_generator_loss(torch.tensor([-200.0]))) - 200.0) < 1e-3


@pytest.mark.parametrize("kind", gan.KINDS)
def test_analytic_score_gradient_matches_autograd(kind):
    a = torch.linspace(-6, 6, 25, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(gan.generator_loss(a, kind) * a.numel(), a)
    assert torch.allclose(grad, gan.generator_score_gradient(a.detach(), kind), atol=1e-12)


def test_saturating_gradient_vanishes_when_d_rejects_the_fakes():
    """The seed's slip corrected: the saturating loss's gradient vanishes as D(G(z)) -> 0, not -> 1."""
    rejected = torch.tensor([-12.0])  # D(G(z)) = sigmoid(-12) ~ 6e-6
    assert abs(float(gan.generator_score_gradient(rejected, "saturating"))) < 1e-5
    assert abs(float(gan.generator_score_gradient(rejected, "nonsaturating")) + 1) < 1e-5
    accepted = torch.tensor([12.0])
    assert abs(float(gan.generator_score_gradient(accepted, "saturating")) + 1) < 1e-5


@pytest.mark.parametrize("call, error, match", [
    (lambda: gan.generator_loss(torch.zeros(3), "minimax"), ValueError, "unknown GAN loss kind"),
    (lambda: gan.discriminator_loss(torch.zeros(3, 2), torch.zeros(3)), ValueError, "one raw score per sample"),
    (lambda: gan.generator_loss(torch.zeros(0)), ValueError, "empty"),
    (lambda: gan.generator_loss([0.0, 1.0]), TypeError, "torch tensor"),
    (lambda: gan.generator_loss(torch.zeros(3, dtype=torch.long)), TypeError, "floating-point"),
    (lambda: gan.clip_weights_(nn.Linear(2, 2), -1.0), ValueError, "positive"),
])
def test_loss_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_clip_weights():
    layer = nn.Linear(3, 3)
    with torch.no_grad():
        layer.weight.mul_(100)
    gan.clip_weights_(layer, 0.01)
    assert float(layer.weight.abs().max()) <= 0.01 and float(layer.bias.abs().max()) <= 0.01


# --------------------------------------------------------------------------- gradient penalty
class Linear(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(w, dtype=torch.float64))

    def forward(self, x):
        return x.reshape(x.shape[0], -1) @ self.w


@pytest.mark.parametrize("norm", [0.25, 1.0, 3.0])
def test_gradient_penalty_of_a_linear_critic(norm):
    """A linear critic has gradient w everywhere: the penalty is (||w|| - 1)^2 whatever eps is."""
    w = torch.randn(12, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    critic = Linear(norm * w / w.norm())
    real = torch.randn(9, 3, 2, 2, dtype=torch.float64)
    fake = torch.randn(9, 3, 2, 2, dtype=torch.float64)
    gp = gan.gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0))
    assert abs(float(gp) - (norm - 1.0) ** 2) < 1e-12
    one_sided = gan.gradient_penalty(critic, real, fake, one_sided=True)
    assert abs(float(one_sided) - max(norm - 1.0, 0.0) ** 2) < 1e-12
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||: the penalty is differentiable in the critic's weights
    (grad,) = torch.autograd.grad(gp, critic.w)
    expected = 2 * (norm - 1.0) * critic.w.detach() / norm
    assert torch.allclose(grad, expected, atol=1e-10)


def test_gradient_penalty_uses_one_eps_per_sample_at_the_interpolates():
    """For f(x) = ||x||^2 / 2 the gradient at x_hat is x_hat; reproduce eps from the same generator."""

    class Quadratic(nn.Module):
        def forward(self, x):
            return 0.5 * (x.reshape(x.shape[0], -1) ** 2).sum(1)

    real = torch.rand(5, 1, 4, 4, dtype=torch.float64)
    fake = -torch.rand(5, 1, 4, 4, dtype=torch.float64)
    gp = gan.gradient_penalty(Quadratic(), real, fake, torch.Generator().manual_seed(9))
    eps = torch.rand((5, 1, 1, 1), generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    x_hat = eps * real + (1 - eps) * fake
    expected = ((x_hat.reshape(5, -1).norm(dim=1) - 1) ** 2).mean()
    assert torch.allclose(gp, expected, atol=1e-12)


def test_gradient_penalty_does_not_reach_the_generator():
    g = nn.Linear(2, 2)
    fake = g(torch.randn(4, 2))
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    gp = gan.gradient_penalty(critic, torch.randn(4, 2), fake)
    gp.backward()
    assert g.weight.grad is None and critic[0].weight.grad is not None


@pytest.mark.parametrize("call, error, match", [
    (lambda c: gan.gradient_penalty(c, torch.zeros(3, 2), torch.zeros(4, 2)), ValueError, "same shape"),
    (lambda c: gan.gradient_penalty(c, torch.zeros(0, 2), torch.zeros(0, 2)), ValueError, "empty"),
    (lambda c: gan.gradient_penalty(c, torch.zeros(3, 2, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long)),
     TypeError, "floating point"),
    (lambda c: gan.gradient_penalty(lambda x: x, torch.zeros(3, 2), torch.zeros(3, 2)), ValueError,
     "one score per sample"),
])
def test_gradient_penalty_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.Linear(2, 1))


# --------------------------------------------------------------------------- 1-D theory
def test_optimal_discriminator_formula_and_gaussian_closed_form():
    x = np.linspace(-5, 5, 101)
    p, q = gauss(x, -1.0, 1.0), gauss(x, 1.0, 1.0)
    d = gan.optimal_discriminator(p, q)
    # equal variances: log p/q = -2x, so D* = sigmoid(-2x)
    assert np.allclose(d, 1 / (1 + np.exp(2 * x)), atol=1e-12)
    assert np.allclose(gan.optimal_discriminator(p, p), 0.5)
    assert np.allclose(gan.optimal_discriminator([0.0, 1.0, 0.0], [0.0, 0.0, 2.0]), [0.5, 1.0, 0.0])


def test_optimal_discriminator_maximises_the_value_function():
    x, dx = gan.uniform_grid(-8, 8, 1601)
    p, q = gauss(x, 0.0, 1.0), gauss(x, 1.5, 0.7)
    best = gan.virtual_criterion(p, q, dx)
    assert best == pytest.approx(gan.value_function(gan.optimal_discriminator(p, q)[300:-300], p[300:-300],
                                                    q[300:-300], dx) + gan.virtual_criterion(
        np.r_[p[:300], p[-300:]], np.r_[q[:300], q[-300:]], dx), abs=1e-9), "C(G) = V(D*, G)"
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = np.clip(gan.optimal_discriminator(p, q) + 0.05 * rng.standard_normal(x.shape), 1e-6, 1 - 1e-6)
        assert gan.value_function(other, p, q, dx) < best


@pytest.mark.parametrize("means, stds", [((0.0, 0.0), (1.0, 1.0)), ((0.0, 2.0), (1.0, 0.5)), ((-3.0, 3.0), (0.3, 0.3))])
def test_virtual_criterion_equals_minus_log4_plus_twice_jsd(means, stds):
    x, dx = gan.uniform_grid(-12, 12, 4001)
    p, q = gauss(x, means[0], stds[0]), gauss(x, means[1], stds[1])
    c = gan.virtual_criterion(p, q, dx)
    jsd = gan.js_divergence(p, q, dx)
    assert abs(c - (-LOG4 + 2 * jsd)) < 1e-9
    assert -1e-12 <= jsd <= math.log(2) + 1e-12
    assert c >= -LOG4 - 1e-12


def test_jsd_identities():
    x, dx = gan.uniform_grid(-10, 10, 2001)
    p, q = gauss(x, 0.0, 1.0), gauss(x, 0.7, 1.3)
    assert gan.js_divergence(p, p, dx) == pytest.approx(0.0, abs=1e-14)
    assert gan.js_divergence(p, q, dx) == pytest.approx(gan.js_divergence(q, p, dx), abs=1e-14)
    box1, box2 = np.where(np.abs(x + 3) < 1, 0.5, 0.0), np.where(np.abs(x - 3) < 1, 0.5, 0.0)
    mass = box1.sum() * dx
    assert gan.js_divergence(box1, box2, dx) == pytest.approx(math.log(2) * mass, rel=1e-12), "disjoint: log 2"
    # KL of two Gaussians in closed form
    kl = math.log(1.3 / 1.0) + (1.0 + 0.7**2) / (2 * 1.3**2) - 0.5
    assert gan.kl_divergence(p, q, dx) == pytest.approx(kl, rel=1e-6)
    assert gan.kl_divergence(box1, box2, dx) == math.inf
    assert gan.kl_divergence(box1, box1, dx) == 0.0


def test_convexity_in_p_g():
    """C(G) is convex in p_g: a supremum of functionals linear in p_g."""
    x, dx = gan.uniform_grid(-10, 10, 2001)
    p = 0.5 * gauss(x, -2, 0.5) + 0.5 * gauss(x, 2, 0.5)
    q1, q2 = gauss(x, -2, 0.5), gauss(x, 3, 1.0)
    for t in np.linspace(0, 1, 11):
        mix = gan.virtual_criterion(p, (1 - t) * q1 + t * q2, dx)
        assert mix <= (1 - t) * gan.virtual_criterion(p, q1, dx) + t * gan.virtual_criterion(p, q2, dx) + 1e-12


@pytest.mark.parametrize("call, match", [
    (lambda: gan.optimal_discriminator([0.1, -0.2], [0.1, 0.1]), ">= 0"),
    (lambda: gan.optimal_discriminator([0.1, 0.2], [0.1]), "same shape"),
    (lambda: gan.js_divergence([0.1, np.nan], [0.1, 0.1], 1.0), "finite"),
    (lambda: gan.kl_divergence([0.5, 0.5], [0.5, 0.5], 0.0), "positive grid spacing"),
    (lambda: gan.value_function([0.5, 1.5], [0.5, 0.5], [0.5, 0.5], 1.0), r"\[0, 1\]"),
    (lambda: gan.uniform_grid(1.0, 0.0, 10), "lo < hi"),
])
def test_theory_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- Fréchet distance, classes, modes
def test_frechet_distance_closed_forms():
    assert gan.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx((1 - 3) ** 2 + (2 - 3) ** 2)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 5))
    cov = a @ a.T + np.eye(5)
    mu = rng.standard_normal(5)
    assert gan.frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-9)
    # commuting covariances: sum (sqrt(l1) - sqrt(l2))^2
    d1, d2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 4.0, 1.0])
    assert gan.frechet_distance(np.zeros(3), d1, np.ones(3), d2) == pytest.approx(3 + 1 + 0 + 4)


def test_frechet_distance_matches_scipy_sqrtm():
    from scipy import linalg

    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((6, 6)), rng.standard_normal((6, 6))
    c1, c2 = a @ a.T, b @ b.T + 0.1 * np.eye(6)
    m1, m2 = rng.standard_normal(6), rng.standard_normal(6)
    covmean = linalg.sqrtm(c1 @ c2).real
    expected = ((m1 - m2) ** 2).sum() + np.trace(c1 + c2 - 2 * covmean)
    assert gan.frechet_distance(m1, c1, m2, c2) == pytest.approx(expected, rel=1e-8)
    assert gan.frechet_distance(m1, c1, m2, c2) == pytest.approx(gan.frechet_distance(m2, c2, m1, c1), rel=1e-8)


def test_feature_statistics_and_bad_inputs():
    f = torch.randn(200, 3, dtype=torch.float64)
    stats = gan.feature_statistics(f)
    assert np.allclose(stats.mean, f.mean(0).numpy()) and np.allclose(stats.cov, np.cov(f.numpy(), rowvar=False))
    with pytest.raises(ValueError, match="N >= 2"):
        gan.feature_statistics(torch.randn(1, 3))
    with pytest.raises(ValueError, match=r"shape \(d,\)"):
        gan.frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))


def test_classifier_features_and_class_spread():
    model = mnist_cnn.build_mnist_cnn(0, width=4, hidden=8)
    images = torch.rand(7, 1, 28, 28)
    feats = gan.classifier_features(model, images, batch_size=3)
    assert feats.shape == (7, 8) and feats.dtype == torch.float64 and bool((feats >= 0).all())
    fractions, confidence = gan.class_spread(model, images)
    assert fractions.shape == (10,) and fractions.sum() == pytest.approx(1.0) and 0.1 <= confidence <= 1.0
    quality = gan.sample_quality(model, images, gan.feature_statistics(gan.classifier_features(model, images)))
    assert quality.fd == pytest.approx(0.0, abs=1e-9) and quality.n == 7
    assert 0.0 <= quality.class_entropy <= math.log(10)
    with pytest.raises(ValueError, match="28, 28"):
        gan.classifier_features(model, torch.rand(2, 28, 28))


def test_count_modes():
    centres = data.ring_centres(8)
    gen = torch.Generator().manual_seed(0)
    full = data.ring_of_gaussians(4000, std=0.05, generator=gen)
    cover = gan.count_modes(full, centres, 0.05)
    assert cover.covered == 8 and cover.high_quality > 0.98 and cover.counts.sum() <= 4000
    assert cover.reached == 8 and cover.spread == pytest.approx(2.0, abs=0.05)
    collapsed = centres[2] + 0.05 * torch.randn(1000, 2, generator=gen)
    cover = gan.count_modes(collapsed, centres, 0.05)
    assert cover.covered == 1 and cover.counts[2] > 980
    assert cover.reached == 1 and cover.spread < 0.1
    # collapsed off the ring, halfway to the centre: no mode covered, one reached
    off = 0.5 * centres[2] + 0.05 * torch.randn(1000, 2, generator=gen)
    cover = gan.count_modes(off, centres, 0.05)
    assert cover.covered == 0 and cover.reached == 1
    # blurry: spread over the whole ring but never within 3 std of a centre
    angles = torch.rand(4000, generator=gen) * 2 * math.pi
    blurry = 2.6 * torch.stack([angles.cos(), angles.sin()], dim=1)
    cover = gan.count_modes(blurry, centres, 0.05)
    assert cover.covered == 0 and cover.reached == 8 and cover.spread > 2.0
    cover = gan.count_modes(torch.zeros(100, 2), centres, 0.05)
    assert cover.covered == 0 and cover.high_quality == 0.0
    with pytest.raises(ValueError, match="samples"):
        gan.count_modes(torch.zeros(5, 3), centres, 0.05)


# --------------------------------------------------------------------------- training loops
def test_gan_config_validation():
    with pytest.raises(ValueError, match="d_steps"):
        gan.GANConfig(d_steps=0)
    with pytest.raises(ValueError, match="unknown GAN loss kind"):
        gan.GANConfig(loss="vanilla")
    with pytest.raises(ValueError, match="betas"):
        gan.GANConfig(betas=(0.5, 1.0))
    with pytest.raises(ValueError, match="optimizer"):
        gan.GANConfig(optimizer="sgd")


@pytest.mark.parametrize("kind, k", [("nonsaturating", 1), ("saturating", 2), ("lsgan", 1), ("wgan-clip", 3), ("wgan-gp", 2)])
def test_train_gan_runs_and_moves_both_players(kind, k):
    pair = toy_gan.build_toy_gan(0, dim=2, latent=2, width=16, depth=2)
    before = {n: p.detach().clone() for n, p in pair.named_parameters()}
    config = gan.GANConfig(loss=kind, d_steps=k, batch=32, lr_g=1e-3, lr_d=1e-3, clip=0.05, gp_weight=1.0)
    hist = gan.train_gan(pair, config, lambda n, g: data.ring_of_gaussians(n, generator=g), steps=6, log_every=3,
                         probe_every=2)
    assert hist.iterations == 6 and len(hist.losses) == 2
    for key in gan.GAN_STAT_FIELDS:
        assert len(hist.evals[key]) == 2 and np.isfinite(hist.evals[key]).all(), key
    # a critic's last bias cancels in E s(x) - E s(G(z)): it receives no gradient
    frozen = {"discriminator.net.4.bias"} if kind == "wgan-gp" else set()
    moved = {n: not torch.equal(p, before[n]) for n, p in pair.named_parameters() if n not in frozen}
    assert all(moved.values()), f"every weight should move: {moved}"
    assert all(p.requires_grad for p in pair.discriminator.parameters()), "the discriminator is unfrozen afterwards"
    if kind == "wgan-clip":
        assert max(float(p.abs().max()) for p in pair.discriminator.parameters()) <= 0.05 + 1e-7


def test_train_gan_generator_step_does_not_move_the_discriminator():
    """With k = 1 and lr_d tiny, the discriminator changes only by its own steps (never by the G step)."""
    pair = toy_gan.build_toy_gan(1, dim=2, latent=2, width=8, depth=1)
    config = gan.GANConfig(batch=16, lr_g=1e-2, lr_d=1e-12)
    before = [p.detach().clone() for p in pair.discriminator.parameters()]
    gan.train_gan(pair, config, lambda n, g: data.ring_of_gaussians(n, generator=g), steps=3, log_every=3)
    for p, q in zip(pair.discriminator.parameters(), before):
        assert torch.allclose(p, q, atol=1e-9)


def test_train_gan_resumes_exactly(tmp_path):
    def run(steps, path):
        pair = toy_gan.build_toy_gan(2, dim=2, latent=2, width=8, depth=1)
        config = gan.GANConfig(loss="wgan-gp", d_steps=2, batch=16, lr_g=1e-3, lr_d=1e-3, seed=4)
        hist = gan.train_gan(pair, config, lambda n, g: data.ring_of_gaussians(n, generator=g), steps=steps,
                             log_every=2, checkpoint_path=path, checkpoint_every=2)
        return pair, hist

    straight, h1 = run(6, tmp_path / "a.pt")
    run(4, tmp_path / "b.pt")
    resumed, h2 = run(6, tmp_path / "b.pt")
    for p, q in zip(straight.parameters(), resumed.parameters()):
        assert torch.allclose(p, q, atol=1e-6)
    assert np.allclose(h1.evals["d_loss"], h2.evals["d_loss"], atol=1e-6)
    with pytest.raises(ValueError, match="multiple of log_every"):
        gan.train_gan(straight, gan.GANConfig(), lambda n, g: data.ring_of_gaussians(n, generator=g), steps=2,
                      log_every=2, checkpoint_path=tmp_path / "c.pt", checkpoint_every=3)


def test_fit_discriminator_approaches_the_optimal_discriminator():
    p_data, p_g = data.GaussianMixture1D((-1.0,), (0.5,)), data.GaussianMixture1D((1.0,), (0.5,))
    d = toy_gan.MLPDiscriminator(dim=1, width=16, depth=2)
    gan.fit_discriminator(d, p_data.sample, p_g.sample, steps=300, batch=256, lr=3e-3)
    x = np.linspace(-1.5, 1.5, 31)
    with torch.no_grad():
        got = torch.sigmoid(d(torch.tensor(x, dtype=torch.float32)[:, None])).double().numpy()
    assert np.abs(got - gan.optimal_discriminator(p_data.pdf(x), p_g.pdf(x))).max() < 0.1


def test_dcgan_runs_and_schedules():
    names = [r.name for r in gan.RUNS]
    assert len(names) == len(set(names)) == 10
    configs = {r.config_name for r in gan.RUNS}
    assert len(configs) == 6, "three losses x two ratios"
    for loss in ("saturating", "nonsaturating"):
        assert sum(r.config_name == f"{loss}_1to1" for r in gan.RUNS) == 3, "three seeds at 1:1"
    assert gan.SHIPPED_RUN in gan.RUNS
    full = gan.dcgan_schedule()  # the active profile (ci in the test suite)
    assert full.g_steps >= 1 and full.checkpoint_every % full.log_every == 0
    brief = gan.dcgan_schedule(steps=7)
    assert brief.g_steps == 7 and brief.checkpoint_every % brief.log_every == 0
    with pytest.raises(ValueError, match="loss"):
        gan.DCGANRun("wgan-gp", 1)


def test_run_archive_round_trip(tmp_path):
    archive = gan.make_run_archive()
    hist = training.History(steps=[2, 4], losses=[0.7, 0.6], eval_steps=[2, 4],
                            evals={"d_loss": [1.0, 1.1], "fd": [50.0, 40.0]}, iterations=4, wall_time=1.5)
    quality = gan.SampleQuality(fd=12.5, class_fractions=np.full(10, 0.1), class_entropy=math.log(10),
                                min_class_fraction=0.1, max_class_fraction=0.1, confidence=0.9, n=100)
    run = gan.RUNS[4]
    archive.store(run, hist, torch.rand(64, 1, 28, 28), quality)
    path = training.save_checkpoint(tmp_path / "a.pt", archive, {"x": 1})
    loaded = gan.make_run_archive()
    loaded.load_state_dict(training.load_checkpoint(path)["model"])
    assert loaded.metric(run, "fd") == 12.5 and bool(loaded.trained[4]) and int(loaded.trained.sum()) == 1
    steps, fd = loaded.curve(run.name, "fd")
    assert steps.tolist() == [2.0, 4.0] and fd.tolist() == [50.0, 40.0]
    assert loaded.curve(run, "g_loss")[1].tolist() == pytest.approx([0.7, 0.6])
    assert loaded.images(run).shape == (64, 1, 28, 28)
    with pytest.raises(KeyError, match="unknown run"):
        loaded.index("nope")
