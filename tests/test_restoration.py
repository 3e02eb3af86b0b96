"""Unit tests of chapter 07's library: models.pix2pix, losses, restoration (tasks, noise model, theory,
evaluation, training recipes) and scripts/train_07.py's planning."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import structural_similarity
from torch import nn

from course_lib import kernels, losses, metrics, restoration, training
from course_lib.models import pix2pix
from course_lib.restoration import noise_model, tasks, theory

from _common import ROOT


# --------------------------------------------------------------------------- models.pix2pix
@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (1, 1, 32, 32), (1, 1, 30, 21), (3, 1, 9, 13)])
@pytest.mark.parametrize("input_skip", [True, False])
def test_generator_keeps_the_size_and_the_range(shape, input_skip):
    g = pix2pix.build_generator(0, width=4, levels=3, input_skip=input_skip).eval()
    with torch.no_grad():
        out = g(torch.rand(shape))
    assert out.shape == shape and float(out.min()) > 0 and float(out.max()) < 1


def test_generator_input_skip_lets_the_input_reach_the_last_layer():
    g = pix2pix.build_generator(0, width=4, levels=3).eval()
    x = torch.rand(1, 1, 28, 28, requires_grad=True)
    g(x)[0, 0, 14, 14].backward()
    assert float(x.grad[0, 0, 14, 14].abs()) > 0
    touched = (x.grad[0, 0].abs() > 0).nonzero()
    # the 3x3 head sees the input pixel and its neighbours directly
    assert x.grad[0, 0, 13:16, 13:16].abs().min() > 0 and len(touched) > 9


def test_generator_is_deterministic_in_its_seed_and_checks_inputs():
    a, b, c = (pix2pix.build_generator(s, width=4) for s in (1, 1, 2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        a(torch.rand(1, 2, 28, 28))
    with pytest.raises(ValueError, match="dropout"):
        pix2pix.UNetGenerator(dropout=1.0)
    with pytest.raises(ValueError, match="levels"):
        pix2pix.UNetGenerator(levels=0)


def test_shipped_generator_size():
    g = restoration.builder("ch07_dn_mse")()
    assert sum(p.numel() for p in g.parameters()) == 99_050


@pytest.mark.parametrize("n_strided, field", [(1, 16), (2, 34), (3, 70), (5, 286)])
def test_patchgan_receptive_field_formula_matches_backpropagation(n_strided, field):
    d = pix2pix.build_patch_discriminator(0, in_channels=2, width=4, n_strided=n_strided)
    assert pix2pix.receptive_field(d.layer_specs()) == field
    if field <= 70:
        assert pix2pix.measured_receptive_field(d, 2, 2 * field + 8) == field


@pytest.mark.parametrize("size", [28, 33, 64, 256])
def test_patchgan_output_side_formula(size):
    for n_strided in (1, 2, 3):
        d = pix2pix.build_critic(0, width=4, n_strided=n_strided)
        side = pix2pix.output_side(size, d.layer_specs())
        if side < 1:
            with pytest.raises(ValueError, match="too small"):
                d(torch.zeros(1, 1, size, size))
            continue
        assert tuple(d(torch.zeros(2, 1, size, size)).shape) == (2, 1, side, side)
        assert d.score(torch.zeros(2, 1, size, size)).shape == (2,)


def test_pix2pix_70x70_and_critic_has_no_batch_norm():
    assert pix2pix.output_side(256, [(4, 2, 1)] * 3 + [(4, 1, 1)] * 2) == 30
    critic = pix2pix.build_critic(0)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in critic.modules())
    with pytest.raises(ValueError, match="kernel >= 1"):
        pix2pix.receptive_field([(0, 1, 0)])
    with pytest.raises(ValueError, match="norm"):
        pix2pix.PatchDiscriminator(norm="instance")


# --------------------------------------------------------------------------- losses
def _skimage_ssim(x: torch.Tensor, ref: torch.Tensor, data_range: float) -> float:
    return float(np.mean([structural_similarity(a[0].numpy(), b[0].numpy(), gaussian_weights=True, sigma=1.5,
                                                use_sample_covariance=False, data_range=data_range)
                          for a, b in zip(x.double(), ref.double())]))


@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_ssim_loss_equals_one_minus_skimage_ssim(data_range):
    g = torch.Generator().manual_seed(0)
    ref = torch.rand(3, 1, 20, 17, generator=g, dtype=torch.float64) * data_range
    x = (ref + 0.1 * data_range * torch.randn(ref.shape, generator=g, dtype=torch.float64)).clamp(0, data_range)
    expected = 1.0 - _skimage_ssim(x, ref, data_range)
    assert float(losses.ssim_loss(x, ref, data_range)) == pytest.approx(expected, abs=1e-10)
    assert float(losses.pixel_loss("ssim", x / data_range, ref / data_range)) == pytest.approx(expected, abs=1e-6)
    # float32 inputs (training) give the same loss to float32 rounding
    assert float(losses.ssim_loss(x.float(), ref.float(), data_range)) == pytest.approx(expected, abs=1e-5)


def test_ssim_loss_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(1)
    ref = torch.rand(1, 1, 12, 12, generator=g, dtype=torch.float64)
    x = (ref + 0.2 * torch.rand(ref.shape, generator=g, dtype=torch.float64)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: losses.ssim_loss(t, ref), (x,), eps=1e-6, atol=1e-6)


def test_pixel_losses_and_their_errors():
    x, r = torch.full((1, 1, 12, 12), 0.5), torch.zeros(1, 1, 12, 12)
    assert float(losses.pixel_loss("mse", x, r)) == pytest.approx(0.25)
    assert float(losses.pixel_loss("l1", x, r)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown pixel loss"):
        losses.pixel_loss("huber", x, r)
    with pytest.raises(ValueError, match="shape"):
        losses.pixel_loss("mse", x, r[..., :5])


def test_pix2pix_losses():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(3, 1, 4, 4, generator=g)
    fake, target = torch.rand(3, 1, 8, 8, generator=g), torch.rand(3, 1, 8, 8, generator=g)
    manual = -torch.log(torch.sigmoid(logits)).mean() + 100 * (fake - target).abs().mean()
    assert float(losses.pix2pix_generator_loss(logits, fake, target, 100.0)) == pytest.approx(float(manual), rel=1e-6)
    extreme = torch.tensor([-1000.0, 1000.0]).view(1, 1, 1, 2)
    assert math.isfinite(float(losses.pix2pix_generator_loss(extreme, fake[:1], target[:1], 1.0)))
    real = torch.randn(3, 1, 4, 4, generator=g)
    expected = 0.5 * (F.softplus(-real).mean() + F.softplus(logits).mean())
    assert float(losses.pix2pix_discriminator_loss(real, logits)) == pytest.approx(float(expected), rel=1e-6)
    with pytest.raises(ValueError, match="lam"):
        losses.pix2pix_generator_loss(logits, fake, target, -1.0)


def test_perceptual_loss_is_frozen_and_zero_on_equal_images():
    from course_lib.models.mnist_cnn import build_mnist_cnn

    clf = build_mnist_cnn(0, width=4, hidden=8)
    loss = losses.PerceptualLoss(losses.feature_extractor(clf))
    loss.train()
    assert not loss.features.training and not any(p.requires_grad for p in loss.features.parameters())
    x = torch.rand(2, 1, 28, 28, requires_grad=True)
    ref = torch.rand(2, 1, 28, 28)
    assert float(loss(ref, ref)) == 0.0
    value = loss(x, ref)
    value.backward()
    assert value > 0 and x.grad is not None and all(p.grad is None for p in clf.parameters())
    with pytest.raises(TypeError, match="features"):
        losses.feature_extractor(nn.Linear(2, 2))


def test_cycle_loss_is_zero_for_inverse_maps():
    x, y = torch.randn(4, 3), torch.randn(5, 3)
    assert float(losses.cycle_consistency_loss(lambda t: 2 * t + 1, lambda t: (t - 1) / 2, x, y)) == pytest.approx(0, abs=1e-6)
    assert float(losses.cycle_consistency_loss(lambda t: t + 1, lambda t: t, x, y)) == pytest.approx(2.0)


# --------------------------------------------------------------------------- restoration.tasks
def test_batched_blur_equals_fftblur_per_image():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(4, 1, 28, 28, generator=g, dtype=torch.float64)
    k = kernels.motion_blur_kernels(4, 5.0, anxiety=0.005, seed=1).double()
    out = restoration.blur(x, k)
    ref = torch.cat([kernels.FFTBlur(k[i])(x[i:i + 1]) for i in range(4)])
    assert torch.allclose(out, ref, atol=1e-12)
    with pytest.raises(ValueError, match="one kernel per image"):
        restoration.blur(x, k[:2])


def test_occluder_geometry_and_grey():
    gen = torch.Generator().manual_seed(4)
    x = torch.zeros(200, 1, 28, 28)
    y, mask = restoration.occlude(x, gen)
    spec = restoration.OCCLUDER
    rows = mask[:, 0].any(dim=2)
    cols = mask[:, 0].any(dim=1)
    heights, widths = rows.sum(1), cols.sum(1)
    assert int(heights.min()) >= spec.min_side and int(heights.max()) <= spec.max_side
    assert int(widths.min()) >= spec.min_side and int(widths.max()) <= spec.max_side
    lo, hi = spec.region
    assert not rows[:, :lo].any() and not rows[:, hi:].any() and not cols[:, :lo].any() and not cols[:, hi:].any()
    grey = y[mask]
    assert float(grey.min()) >= spec.fill[0] and float(grey.max()) <= spec.fill[1]
    assert torch.equal(y[~mask], x[~mask])
    assert (heights * widths == mask.flatten(1).sum(1)).all(), "the occluder is one rectangle"


def test_structured_noise_statistics():
    noise = restoration.structured_noise((400, 1, 28, 28), torch.Generator().manual_seed(5))
    stats = restoration.noise_statistics(noise)
    assert stats["std"] == pytest.approx(restoration.STRUCTURED_SIGMA, rel=0.02)
    assert stats["corr_h1"] == pytest.approx(16 / 19, abs=0.01)
    assert stats["corr_h2"] == pytest.approx(10 / 19, abs=0.01)
    assert abs(stats["corr_v1"]) < 0.01 and abs(stats["kurtosis"]) < 0.05


def test_task_batches_are_reproducible_and_eval_sets_are_prefixes(shared_data):
    images = torch.rand(50, 1, 28, 28)
    for task in ("denoise", "occlude", "structured"):
        a, b = restoration.task_batch(task, images, 7, batch=5), restoration.task_batch(task, images, 7, batch=5)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
        assert not torch.equal(a[0], restoration.task_batch(task, images, 8, batch=5)[0])
    for task in ("occlude", "structured", "deblur"):
        small, large = restoration.eval_set(task, 3), restoration.eval_set(task, 6)
        assert torch.equal(small.degraded, large.degraded[:3]) and torch.equal(small.clean, large.clean[:3])
    from course_lib import denoising

    dn = restoration.eval_set("denoise", 4)
    noisy, clean = denoising.mnist_eval_pairs(restoration.DENOISE_SIGMA, 4)
    assert torch.equal(dn.degraded, noisy) and torch.equal(dn.clean, clean)
    deb = restoration.eval_set("deblur", 3)
    assert deb.kernels.shape[0] == 3 and torch.allclose(deb.kernels.sum((1, 2)), torch.ones(3), atol=1e-5)
    with pytest.raises(ValueError, match="unknown task"):
        restoration.eval_set("inpaint", 3)
    with pytest.raises(ValueError, match="n must be"):
        restoration.eval_set("occlude", 0)


def test_deblur_batch_returns_its_kernels():
    images = torch.rand(20, 1, 28, 28)
    y, x, k = restoration.task_batch("deblur", images, 1, batch=3, with_kernels=True)
    assert k.shape[0] == 3
    # the degraded batch is the blur of the clean one plus noise of std BLUR_NOISE
    resid = y - restoration.blur(x, k)
    assert float(resid.std()) == pytest.approx(restoration.BLUR_NOISE, rel=0.2)


# --------------------------------------------------------------------------- noise model
def test_smooth_patches_accepts_pure_noise_and_reports_positions():
    gen = torch.Generator().manual_seed(6)
    noisy = 0.3 * torch.randn(10, 1, 28, 28, generator=gen)
    clean = torch.zeros(10, 1, 28, 28)
    clean[:, :, 10:18, 10:18] = 1.0
    ex = restoration.smooth_patches(noisy + clean, mu=100.0, gamma=100.0)
    assert ex.accepted == ex.candidates == 10 * 64
    assert torch.allclose(ex.patches.mean(dim=(1, 2, 3)), torch.zeros(ex.accepted), atol=1e-5)
    # the 6x6 patches that overlap the square are not pure noise: purity counts them out
    # (a patch inside the square is constant: "pure" means the clean content is constant)
    overlapping = (ex.top + 6 > 10) & (ex.top < 18) & (ex.left + 6 > 10) & (ex.left < 18)
    inside = (ex.top >= 10) & (ex.top + 6 <= 18) & (ex.left >= 10) & (ex.left + 6 <= 18)
    assert ex.purity(clean) == pytest.approx(1 - float((overlapping & ~inside).double().mean()))
    corners = restoration.smooth_patches(noisy + clean, mu=100.0, gamma=100.0,
                                         positions=restoration.corner_positions(28, 6))
    assert corners.accepted == 40 and corners.purity(clean) == 1.0
    with pytest.raises(ValueError, match="positions"):
        restoration.smooth_patches(noisy, positions=[(25, 0)])


def test_smooth_patch_test_rejects_a_stroke():
    noisy = 0.05 * torch.randn(1, 1, 6, 6, generator=torch.Generator().manual_seed(7))
    noisy[..., :, :2] += 1.0
    assert restoration.smooth_patches(noisy, mu=0.5, gamma=0.5).accepted == 0


def test_noise_generator_and_critic_shapes():
    g = noise_model.NoiseGenerator(channels=2, width=8, layers=3, patch=6)
    assert g.latent == 2 * 12 * 12
    assert g(torch.randn(5, g.latent)).shape == (5, 1, 6, 6)
    assert g.field(2, 28, 20).shape == (2, 1, 28, 20)
    critic = noise_model.NoiseCritic(width=8, patch=6)
    p = torch.randn(4, 1, 6, 6)
    assert critic(p).shape == (4,)
    assert torch.allclose(critic(p), critic(p + 3.0), atol=1e-5), "the critic ignores each patch's mean"
    with pytest.raises(ValueError, match="latent"):
        g(torch.randn(5, 7))


# --------------------------------------------------------------------------- theory and evaluation
def test_posterior_probability_is_bayes_rule():
    y, sigma = np.array([-0.3, 0.2, 0.5, 1.4]), 0.4
    like1 = np.exp(-0.5 * ((y - 1) / sigma) ** 2)
    like0 = np.exp(-0.5 * (y / sigma) ** 2)
    assert np.allclose(theory.posterior_probability(y, sigma, 0.3), 0.3 * like1 / (0.3 * like1 + 0.7 * like0))


def test_binary_pixel_study_confirms_the_propositions():
    s = restoration.binary_pixel_study(sigma=0.6, p=0.4, n=200_000, seed=3)
    assert s.mse["mean"] == pytest.approx(s.mmse_quadrature, rel=0.02)
    assert s.p - s.second_moment["mean"] == pytest.approx(s.mmse_quadrature, rel=0.03)
    assert s.mse["sample"] == pytest.approx(2 * s.mmse_quadrature, abs=5 * s.std_error + 0.002)
    assert s.fraction_ones["sample"] == pytest.approx(0.4, abs=0.01)


def test_high_frequency_energy_parseval():
    x = torch.rand(3, 1, 16, 12, dtype=torch.float64)
    total = restoration.high_frequency_energy(x, cutoff=0.0)
    centred = x - x.mean(dim=(-2, -1), keepdim=True)
    assert torch.allclose(total, centred.pow(2).mean(dim=(1, 2, 3)), rtol=1e-10)
    smooth = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    assert (restoration.high_frequency_energy(smooth) < restoration.high_frequency_energy(x)).all()
    with pytest.raises(ValueError, match="cutoff"):
        restoration.high_frequency_energy(x, cutoff=0.8)


def test_score_outputs(shared_data):
    from course_lib.models.mnist_cnn import build_mnist_cnn

    es = restoration.eval_set("occlude", 40)
    clf = build_mnist_cnn(0, width=4, hidden=8)
    perfect = restoration.score_outputs(es.clean, es.clean, es.labels, classifier=clf, judge=clf)
    assert perfect["fd"] == pytest.approx(0.0, abs=1e-4) and perfect["hf_ratio"] == pytest.approx(1.0)
    assert perfect["mse"] == 0.0 and perfect["accuracy"] == perfect["judge_accuracy"]
    worse = restoration.score_outputs(es.degraded, es.clean, es.labels, classifier=clf)
    assert worse["psnr"] < 40 and worse["fd"] > 0 and "judge_accuracy" not in worse


# --------------------------------------------------------------------------- training recipes
def test_specs_and_schedules():
    with pytest.raises(ValueError, match="L1"):
        restoration.RestorerSpec("denoise", "mse", adversarial="pix2pix")
    with pytest.raises(ValueError, match="no term"):
        restoration.RestorerSpec("denoise", "none")
    with pytest.raises(ValueError, match="task"):
        restoration.RestorerSpec("colourise")
    assert restoration.restorer_schedule(restoration.SPECS["ch07_sn_true"], 5).lr == 2e-3
    assert restoration.restorer_schedule(restoration.SPECS["ch07_blur_gan"], 5).d_steps == 2
    assert restoration.SPECS["ch07_dn_p2p100"].pixel_weight == 100.0
    with pytest.raises(ValueError, match="unknown model"):
        restoration.builder("ch07_nothing")
    with pytest.raises(ValueError, match="unknown restorer"):
        restoration.restorer_trainer("ch07_nothing")


def test_a_brief_pix2pix_run_logs_both_players(shared_data, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "ci")
    model, hist = training.train_briefly(restoration.builder("ch07_dn_p2p100"), restoration.trainer("ch07_dn_p2p100"),
                                         2, name="t")
    assert hist.iterations == 2 and {"d_real", "d_fake", "adversarial", "pixel"} <= set(hist.evals)
    assert all(math.isfinite(v) for v in hist.losses)


def test_a_brief_noise_gan_run(shared_data, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "ci")
    model, hist = training.train_briefly(restoration.builder(restoration.NOISE_GAN_NAME),
                                         restoration.trainer(restoration.NOISE_GAN_NAME), 2, name="n")
    assert {"std", "corr_h1", "corr_v1"} <= set(hist.evals)
    assert model.field(1, 28, 28).shape == (1, 1, 28, 28)


def _train_script():
    spec = importlib.util.spec_from_file_location("train_07", ROOT / "scripts" / "train_07.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_plan_covers_every_model_and_keeps_dependencies():
    script = _train_script()
    assert set(script.COST) == set(restoration.MODEL_NAMES)
    plan = script.lanes(list(restoration.MODEL_NAMES), 2)
    assert sorted(n for lane in plan for n in lane) == sorted(restoration.MODEL_NAMES)
    lane = next(l for l in plan if "ch07_sn_gcbd" in l)
    assert restoration.NOISE_GAN_NAME in lane and lane.index(restoration.NOISE_GAN_NAME) < lane.index("ch07_sn_gcbd")
    loads = [sum(script.COST[n] for n in l) for l in plan]
    assert max(loads) - min(loads) < 3
    reordered = script.lanes(["ch07_sn_gcbd", "ch07_dn_mse", restoration.NOISE_GAN_NAME], 2)
    lane = next(l for l in reordered if "ch07_sn_gcbd" in l)
    assert restoration.NOISE_GAN_NAME in lane
