"""Tests of course_lib.metrics: agreement with scikit-image, batching, gradients, bad inputs."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage import data as skdata
from skimage.color import rgb2gray
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from course_lib.metrics import mean_psnr, mean_ssim, psnr, ssim, ssim_loss

SHARED = Path(os.environ.get("COURSE_DATA_DIR", "/work/shared/data"))


def sk_ssim(x: np.ndarray, ref: np.ndarray, data_range: float = 1.0) -> float:
    """skimage's SSIM with the course's settings, for one image (C, H, W) or (H, W)."""
    kwargs = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False, "data_range": data_range}
    if x.ndim == 3 and x.shape[0] == 1:
        x, ref = x[0], ref[0]
    if x.ndim == 3:
        kwargs["channel_axis"] = 0
    return float(structural_similarity(x, ref, **kwargs))


def sk_psnr(x: np.ndarray, ref: np.ndarray, data_range: float = 1.0) -> float:
    return float(peak_signal_noise_ratio(ref, x, data_range=data_range))


def _pair(seed: int, shape: tuple[int, ...], noise: float, data_range: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ref = rng.uniform(0.0, data_range, shape)
    if shape[-1] > 2:  # add some structure: a smooth ramp, so SSIM is not always ~0
        ref = 0.5 * ref + 0.5 * data_range * np.linspace(0, 1, shape[-1])
    x = ref + noise * data_range * rng.standard_normal(shape)  # may leave [0, data_range]: allowed for x
    return x, ref


# ----------------------------------------------------------------------------------------------
# Agreement with scikit-image
# ----------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    h=st.integers(11, 40),
    w=st.integers(11, 40),
    noise=st.sampled_from([0.0, 0.01, 0.1, 0.5]),
    data_range=st.sampled_from([1.0, 255.0, 2.0]),
)
def test_agrees_with_skimage_on_random_images(
    seed: int, n: int, c: int, h: int, w: int, noise: float, data_range: float
) -> None:
    x, ref = _pair(seed, (n, c, h, w), noise, data_range)
    ours_s = ssim(torch.from_numpy(x), torch.from_numpy(ref), data_range)
    ours_p = psnr(torch.from_numpy(x), torch.from_numpy(ref), data_range)
    assert ours_s.shape == (n,) and ours_p.shape == (n,)
    for i in range(n):
        assert abs(float(ours_s[i]) - sk_ssim(x[i], ref[i], data_range)) < 1e-4
        expected = sk_psnr(x[i], ref[i], data_range) if noise > 0 else math.inf
        assert float(ours_p[i]) == pytest.approx(expected, abs=1e-4)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.sampled_from([(11, 11), (16, 23), (2, 12, 12), (3, 17, 11), (1, 20, 20)]),
)
def test_single_image_shapes(seed: int, shape: tuple[int, ...]) -> None:
    x, ref = _pair(seed, shape, 0.05, 1.0)
    s = ssim(torch.from_numpy(x), torch.from_numpy(ref))
    p = psnr(torch.from_numpy(x), torch.from_numpy(ref))
    assert s.shape == (1,) and p.shape == (1,)
    assert s.dtype == torch.float64 and p.dtype == torch.float64
    assert abs(float(s[0]) - sk_ssim(x, ref)) < 1e-4
    assert abs(float(p[0]) - sk_psnr(x, ref)) < 1e-4


def _natural_images() -> list[tuple[str, np.ndarray]]:
    images = [
        ("camera", skdata.camera()[100:356, 128:384].astype(np.float64) / 255.0),
        ("astronaut", rgb2gray(skdata.astronaut())[100:228, 50:250]),
    ]
    set12 = SHARED / "BSD/Set12/01.png"
    if set12.is_file():
        from PIL import Image

        images.append(("Set12/01", np.asarray(Image.open(set12), dtype=np.float64)[64:192, 32:224] / 255.0))
    return images


@pytest.mark.parametrize("sigma", [5.0, 25.0, 50.0])
def test_agrees_with_skimage_on_natural_images(sigma: float) -> None:
    rng = np.random.default_rng(int(sigma))
    for name, ref in _natural_images():
        noisy = ref + sigma / 255.0 * rng.standard_normal(ref.shape)
        for x in (noisy, np.clip(noisy, 0.0, 1.0)):
            got_s = float(ssim(torch.from_numpy(x), torch.from_numpy(ref))[0])
            got_p = float(psnr(torch.from_numpy(x), torch.from_numpy(ref))[0])
            assert abs(got_s - sk_ssim(x, ref)) < 1e-6, name
            assert abs(got_p - sk_psnr(x, ref)) < 1e-6, name


def test_float32_and_uint8_inputs() -> None:
    ref = skdata.camera()[:128, :128]
    rng = np.random.default_rng(0)
    x = np.clip(ref.astype(np.int64) + rng.integers(-20, 21, ref.shape), 0, 255).astype(np.uint8)
    assert float(ssim(x, ref, data_range=255)[0]) == pytest.approx(sk_ssim(x.astype(float), ref.astype(float), 255), abs=1e-6)
    assert float(psnr(x, ref, data_range=255)[0]) == pytest.approx(sk_psnr(x, ref, 255), abs=1e-6)
    x32 = torch.from_numpy(x.astype(np.float32) / 255)
    r32 = torch.from_numpy(ref.astype(np.float32) / 255)
    assert float(ssim(x32, r32)[0]) == pytest.approx(sk_ssim(x32.double().numpy(), r32.double().numpy()), abs=1e-6)


# ----------------------------------------------------------------------------------------------
# Batching, special values, data-set means
# ----------------------------------------------------------------------------------------------


def test_batch_equals_single_calls() -> None:
    gen = torch.Generator().manual_seed(0)
    ref = torch.rand(5, 2, 24, 30, generator=gen)
    x = ref + 0.1 * torch.randn(5, 2, 24, 30, generator=gen)
    batch_s, batch_p = ssim(x, ref), psnr(x, ref)
    for i in range(5):
        assert float(batch_s[i]) == pytest.approx(float(ssim(x[i], ref[i])[0]), abs=1e-12)
        assert float(batch_p[i]) == pytest.approx(float(psnr(x[i], ref[i])[0]), abs=1e-12)
    assert mean_psnr(x, ref) == pytest.approx(float(batch_p.mean()))
    assert mean_ssim(x, ref) == pytest.approx(float(batch_s.mean()))


def test_identical_images() -> None:
    ref = torch.rand(3, 1, 16, 16)
    p = psnr(ref, ref)
    assert torch.isinf(p).all() and (p > 0).all()
    assert torch.allclose(ssim(ref, ref), torch.ones(3, dtype=torch.float64))
    x = ref.clone()
    x[1] += 0.01
    p = psnr(x, ref)
    assert math.isinf(float(p[0])) and math.isfinite(float(p[1]))
    assert math.isinf(mean_psnr(x, ref))


def test_known_psnr_and_mean_of_per_image_values() -> None:
    ref = torch.full((2, 1, 12, 12), 0.5)
    x = ref.clone()
    x[0] += 0.1  # MSE 1e-2 -> 20 dB
    x[1] += 0.01  # MSE 1e-4 -> 40 dB
    assert psnr(x, ref).tolist() == pytest.approx([20.0, 40.0])
    assert psnr(x * 255, ref * 255, data_range=255).tolist() == pytest.approx([20.0, 40.0])
    assert mean_psnr(x, ref) == pytest.approx(30.0)  # mean of per-image PSNRs...
    pooled = 10 * math.log10(1 / ((1e-2 + 1e-4) / 2))
    assert abs(mean_psnr(x, ref) - pooled) > 3  # ...not the PSNR of the pooled MSE


# ----------------------------------------------------------------------------------------------
# SSIM as a loss
# ----------------------------------------------------------------------------------------------


def test_ssim_loss_gradient_flows() -> None:
    gen = torch.Generator().manual_seed(1)
    ref = torch.rand(4, 1, 24, 24, generator=gen)
    x = (ref + 0.2 * torch.randn(4, 1, 24, 24, generator=gen)).requires_grad_(True)
    loss = ssim_loss(x, ref)
    assert loss.shape == () and loss.dtype == torch.float32
    assert loss.item() == pytest.approx(1 - float(ssim(x.detach(), ref).mean()), abs=1e-6)
    loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and float(x.grad.abs().sum()) > 0
    with torch.no_grad():  # a small gradient step lowers the loss
        stepped = x - 0.5 * x.grad / x.grad.norm()
    assert float(ssim_loss(stepped, ref)) < loss.item()


def test_ssim_loss_gradcheck_and_minimum() -> None:
    gen = torch.Generator().manual_seed(2)
    ref = torch.rand(1, 1, 13, 12, generator=gen, dtype=torch.float64)
    x = (ref + 0.1 * torch.randn(1, 1, 13, 12, generator=gen, dtype=torch.float64)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: ssim_loss(t, ref), (x,), fast_mode=True)
    at_ref = ref.clone().requires_grad_(True)
    loss = ssim_loss(at_ref, ref)
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-12)
    assert float(at_ref.grad.abs().max()) < 1e-10


# ----------------------------------------------------------------------------------------------
# Bad inputs
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", [psnr, ssim, mean_psnr, ssim_loss])
def test_bad_inputs(metric) -> None:
    ref = torch.rand(2, 1, 16, 16)
    with pytest.raises(ValueError, match=r"shape mismatch: x has shape \(2, 1, 16, 17\), ref has shape \(2, 1, 16, 16\)"):
        metric(torch.rand(2, 1, 16, 17), ref)
    for bad in (0, -1.0, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="data_range must be a positive finite number"):
            metric(ref, ref, data_range=bad)
    with pytest.raises(ValueError, match=r"ref must lie in \[0, data_range\]"):
        metric(ref, ref * 255)  # 8-bit values with the default data_range=1
    with pytest.raises(ValueError, match=r"ref must lie in \[0, data_range\]"):
        metric(ref, ref - 0.5)
    with pytest.raises(ValueError, match=r"must have shape \(H, W\), \(C, H, W\) or \(N, C, H, W\)"):
        metric(ref[None], ref[None])
    metric(ref, (ref + 1e-7).clamp_max(1 + 1e-7))  # within the 1e-6 tolerance: accepted


def test_ref_range_tolerance() -> None:
    ref = torch.full((16, 16), 0.5, dtype=torch.float64)
    ref[0, 0] = 1 + 5e-7
    ref[0, 1] = -5e-7
    psnr(ref, ref)
    ref[0, 0] = 1 + 2e-6
    with pytest.raises(ValueError, match="ref must lie"):
        psnr(ref, ref)


@pytest.mark.parametrize("shape", [(10, 30), (30, 10), (1, 3, 10, 10)])
def test_ssim_needs_11x11(shape: tuple[int, ...]) -> None:
    small = torch.rand(shape)
    with pytest.raises(ValueError, match=r"SSIM needs images of at least 11x11 pixels"):
        ssim(small, small)
    with pytest.raises(ValueError, match=r"SSIM needs images of at least 11x11 pixels"):
        ssim_loss(small, small)
    assert psnr(small, small).shape == (shape[0] if len(shape) == 4 else 1,)  # PSNR has no size limit
