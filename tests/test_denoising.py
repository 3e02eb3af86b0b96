"""Unit tests of chapter 05's library: course_lib.denoising, models.dncnn, models.autoencoders, universal."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import classical, config, denoising, training, universal
from course_lib.models import autoencoders, dncnn


# --------------------------------------------------------------------------- models.dncnn
@pytest.mark.parametrize("unshuffle", [1, 2])
@pytest.mark.parametrize("shape", [(2, 1, 16, 16), (1, 1, 15, 22), (1, 1, 9, 7)])
def test_dncnn_keeps_the_shape_and_is_residual(unshuffle, shape):
    model = dncnn.build_dncnn(depth=4, width=8, unshuffle=unshuffle).eval()
    y = torch.rand(shape)
    with torch.no_grad():
        assert model(y).shape == y.shape
        assert torch.allclose(model(y), y - model.noise(y), atol=1e-6)


def test_dncnn_is_deterministic_in_its_seed():
    a, b, c = dncnn.build_dncnn(seed=3), dncnn.build_dncnn(seed=3), dncnn.build_dncnn(seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_dncnn_rejects_bad_configurations_and_inputs():
    with pytest.raises(ValueError, match="unshuffle must be 1 or 2"):
        dncnn.DnCNN(unshuffle=3)
    with pytest.raises(ValueError, match="depth >= 3"):
        dncnn.DnCNN(depth=2)
    with pytest.raises(ValueError, match=r"shape \(N, 1, H, W\)"):
        dncnn.DnCNN(depth=3, width=4)(torch.rand(1, 3, 8, 8))


@pytest.mark.parametrize("cfg", [dict(depth=5, width=8), dict(depth=6, width=12, unshuffle=2)])
def test_macs_per_pixel_counts_the_convolutions(cfg):
    model = dncnn.build_dncnn(**cfg).eval()
    total = []

    def hook(module, inputs, output):
        total.append(output.numel() * module.in_channels * module.kernel_size[0] * module.kernel_size[1])

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.rand(1, 1, 32, 32))
    assert sum(total) / (32 * 32) == pytest.approx(dncnn.macs_per_pixel(model))


def test_shipped_architecture_is_cheaper_per_pixel_than_a_plain_12x48():
    course, plain = denoising.make_dncnn(), dncnn.build_dncnn(depth=12, width=48)
    assert dncnn.macs_per_pixel(course) < dncnn.macs_per_pixel(plain)
    assert dncnn.count_parameters(course) > dncnn.count_parameters(plain)


# --------------------------------------------------------------------------- denoising: natural images
def _images(n=3, size=20, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


def test_noisy_patch_batch_is_a_function_of_the_step():
    images = _images()
    a = denoising.noisy_patch_batch(images, 5, batch=4, size=8, sigma255=25)
    b = denoising.noisy_patch_batch(images, 5, batch=4, size=8, sigma255=25)
    c = denoising.noisy_patch_batch(images, 6, batch=4, size=8, sigma255=25)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a[1], c[1])
    assert a[0].shape == a[1].shape == (4, 1, 8, 8)


def test_noisy_patch_batch_cuts_dihedral_patches_and_adds_the_right_noise():
    images = _images(2, 16)
    noisy, clean = denoising.noisy_patch_batch(images, 0, batch=256, size=6, sigma255=51)
    candidates = []
    for img in images[:, 0]:
        for k in range(8):
            t = torch.rot90(img, k % 4)
            candidates.append(t.flip(-1) if k >= 4 else t)
    for patch in clean[:20, 0]:
        assert any((patch[None, None] == F.unfold(c[None, None], 6)[0].T.reshape(-1, 1, 6, 6)).flatten(1).all(1).any()
                   for c in candidates)
    assert float((noisy - clean).std()) == pytest.approx(51 / 255, rel=0.05)


def test_noisy_patch_batch_rejects_bad_input():
    with pytest.raises(ValueError, match="patch size"):
        denoising.noisy_patch_batch(_images(), 0, batch=2, size=30, sigma255=25)
    with pytest.raises(ValueError, match="sigma255 must be a positive"):
        denoising.noisy_patch_batch(_images(), 0, batch=2, size=8, sigma255=-1)
    with pytest.raises(ValueError, match=r"shape \(N, 1, H, W\)"):
        denoising.noisy_patch_batch(torch.rand(3, 20, 20), 0, batch=2, size=8, sigma255=25)


def test_residual_loss_equals_the_image_mse():
    model = dncnn.build_dncnn(depth=3, width=4)
    noisy, clean = denoising.noisy_patch_batch(_images(), 1, batch=3, size=10, sigma255=25)
    assert torch.allclose(denoising.residual_loss(model, (noisy, clean)), F.mse_loss(model(noisy), clean), atol=1e-7)


def test_denoise_returns_a_clipped_float64_image_and_restores_the_mode():
    model = dncnn.build_dncnn(depth=3, width=4).train()
    out = denoising.denoise(model, np.random.default_rng(0).normal(0.5, 0.6, (13, 17)))
    assert out.shape == (13, 17) and out.dtype == np.float64 and out.min() >= 0 and out.max() <= 1
    assert model.training
    with pytest.raises(ValueError, match="one 2-D grey-level image"):
        denoising.denoise(model, np.zeros((1, 8, 8)))


def test_validation_psnr_of_the_identity_is_the_noisy_psnr():
    identity = dncnn.build_dncnn(depth=3, width=4)
    nn.init.zeros_(identity.body[-1].weight)
    nn.init.zeros_(identity.body[-1].bias)
    images = torch.full((2, 1, 32, 32), 0.5)
    assert denoising.validation_psnr(identity.eval(), images, 25) == pytest.approx(20 * math.log10(255 / 25), abs=0.3)


def test_train_dncnn_saves_a_checkpoint_with_metadata_and_resumes_exactly(tmp_path, monkeypatch):
    monkeypatch.setattr(denoising, "train400_split", lambda: (_images(6, 24), _images(2, 24, 1)))
    monkeypatch.setattr(denoising, "dncnn_schedule", lambda steps=None: denoising.DnCNNSchedule(
        steps=steps or 6, batch=2, patch=12, eval_every=3, checkpoint_every=2))
    build = lambda: dncnn.build_dncnn(depth=3, width=4, unshuffle=2)  # noqa: E731
    straight = build()
    hist = denoising.train_dncnn(straight, tmp_path / "straight.pt")
    state = training.load_checkpoint(tmp_path / "straight.pt")
    assert state["meta"]["iterations"] == 6 and state["meta"]["architecture"] == {"depth": 3, "width": 4, "unshuffle": 2}
    assert "val_psnr" in hist.evals

    real_batch = denoising.noisy_patch_batch

    def dies_at_step_5(images, step, **kwargs):
        if step == 5:
            raise KeyboardInterrupt("the session ended")
        return real_batch(images, step, **kwargs)

    monkeypatch.setattr(denoising, "noisy_patch_batch", dies_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        denoising.train_dncnn(build(), tmp_path / "resumed.pt")
    monkeypatch.setattr(denoising, "noisy_patch_batch", real_batch)
    resumed = build()
    denoising.train_dncnn(resumed, tmp_path / "resumed.pt")
    assert all(torch.equal(p, q) for p, q in zip(straight.state_dict().values(), resumed.state_dict().values()))


# --------------------------------------------------------------------------- denoising: MNIST
def test_mnist_batches_and_names():
    images = torch.rand(10, 1, 28, 28)
    a = denoising.mnist_noisy_batch(images, 3, batch=5, sigma=0.3)
    b = denoising.mnist_noisy_batch(images, 3, batch=5, sigma=0.3)
    assert torch.equal(a[0], b[0]) and a[0].shape == (5, 1, 28, 28)
    assert denoising.mnist_name("unet", 0.3) == "mnist_unet_s030"
    with pytest.raises(ValueError, match="unknown MNIST model kind"):
        denoising.mnist_builder("resnet")
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        denoising.mnist_noisy_batch(images, 0, batch=2, sigma=-0.1)


def test_mnist_eval_pairs_share_the_classical_noise(shared_data):
    noisy, clean = denoising.mnist_eval_pairs(0.3, 3)
    for i in range(3):
        expected = classical.noisy_version(clean[i, 0].double().numpy(), 76.5, 2024, i)
        assert np.allclose(noisy[i, 0].numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("kind", ["conv", "vae"])
def test_mnist_trainer_trains_and_saves(kind, tmp_path, shared_data):
    model = autoencoders.build(kind, latent=4)
    hist = denoising.mnist_trainer(kind, 0.3)(model, tmp_path / "m.pt", steps=3)
    assert hist.iterations == 3
    assert training.load_checkpoint(tmp_path / "m.pt")["meta"]["kind"] == kind


def test_denoise_batch_clips_and_handles_the_vae():
    x = torch.rand(7, 1, 28, 28)
    for kind in ("conv", "vae", "unet"):
        out = denoising.denoise_batch(autoencoders.build(kind), x, batch=3)
        assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1


# --------------------------------------------------------------------------- models.autoencoders
@pytest.mark.parametrize("kind", ["dense", "conv", "unet", "plain", "vae"])
def test_autoencoders_map_digits_to_digits(kind):
    model = autoencoders.build(kind).eval()
    out = model(torch.rand(2, 1, 28, 28))
    out = out[0] if isinstance(out, tuple) else out
    assert out.shape == (2, 1, 28, 28) and out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model(torch.rand(2, 1, 32, 32))


def test_unet_skips_change_the_network():
    assert dncnn.count_parameters(autoencoders.build("unet")) > dncnn.count_parameters(autoencoders.build("plain"))
    with pytest.raises(ValueError, match="unknown model kind"):
        autoencoders.build("transformer")


def test_vae_samples_in_train_mode_and_is_deterministic_in_eval_mode():
    vae = autoencoders.build("vae", latent=3)
    x = torch.rand(4, 1, 28, 28)
    vae.train()
    assert not torch.equal(vae(x)[0], vae(x)[0])
    vae.eval()
    assert torch.equal(vae(x)[0], vae(x)[0])
    assert vae.sample(5).shape == (5, 1, 28, 28)


def test_vae_loss_is_bce_plus_kl_per_image():
    recon, target = torch.rand(3, 1, 28, 28) * 0.98 + 0.01, torch.rand(3, 1, 28, 28)
    mu, logvar = torch.randn(3, 4), torch.randn(3, 4)
    bce = -(target * recon.log() + (1 - target) * (1 - recon).log()).sum() / 3
    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum() / 3
    assert torch.allclose(autoencoders.vae_loss(recon, target, mu, logvar), bce + kl, rtol=1e-5)
    assert torch.allclose(autoencoders.vae_loss(recon, target, mu, logvar, beta=0.0), bce, rtol=1e-5)


# --------------------------------------------------------------------------- universal
def test_relu_interpolant_is_the_piecewise_linear_interpolant():
    f = lambda x: torch.exp(x) * torch.sin(3 * x)  # noqa: E731
    net = universal.relu_interpolant(f, 7, -1.0, 2.0)
    xs = np.linspace(-1, 2, 1001)
    knots = np.linspace(-1, 2, 8)
    expected = np.interp(xs, knots, f(torch.from_numpy(knots)).numpy())
    with torch.no_grad():
        got = net(torch.from_numpy(xs)[:, None])[:, 0].numpy()
    assert np.allclose(got, expected, atol=1e-12)


def test_interpolation_error_obeys_the_bound():
    f = lambda x: torch.sin(4 * x)  # noqa: E731, |f''| <= 16
    for n in (3, 10, 40):
        assert universal.max_error(universal.relu_interpolant(f, n), f) <= (1 / n) ** 2 * 16 / 8 + 1e-12


def test_fit_shallow_learns_and_rejects_bad_input():
    f = lambda x: x**2  # noqa: E731
    net = universal.fit_shallow(f, 8, iterations=200)
    assert universal.max_error(net, f) < 0.02
    with pytest.raises(ValueError, match="width must be >= 1"):
        universal.shallow_relu(0)
    with pytest.raises(ValueError, match="need n >= 1"):
        universal.relu_interpolant(f, 0)


# --------------------------------------------------------------------------- config.torch_threads
def test_torch_threads_restores_the_setting():
    before = torch.get_num_threads()
    with config.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="n must be >= 1"):
        with config.torch_threads(0):
            pass


# --------------------------------------------------------------------------- scripts/train_05.py
def test_train_script_rejects_an_unknown_part(capsys):
    import train_05

    with pytest.raises(SystemExit):
        train_05.main(["mnist", "resnet"])
    assert "unknown part(s) resnet" in capsys.readouterr().err


def test_a_fresh_network_starts_close_to_the_identity_denoiser():
    """With the small batch-norm scales the initial noise prediction is small: loss near sigma^2, not far above."""
    model = denoising.make_dncnn()
    noisy, clean = denoising.noisy_patch_batch(_images(4, 64), 0, batch=8, size=48, sigma255=25)
    with torch.no_grad():
        assert float(denoising.residual_loss(model, (noisy, clean))) < 1.5 * (25 / 255) ** 2
