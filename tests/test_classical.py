"""course_lib.classical: denoisers against scikit-image / SciPy, tuning, the table, Wiener deconvolution."""

from __future__ import annotations

import numpy as np
import pytest
import pywt
import torch
from skimage.restoration import denoise_wavelet, estimate_sigma, wiener

from course_lib import classical, kernels, operators


def _image(size=64, seed=0):
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:size, 0:size] / size
    clean = np.clip(0.3 + 0.4 * ((r - 0.5) ** 2 + (c - 0.5) ** 2 < 0.1) + 0.2 * np.sin(6 * c) * (r > 0.6), 0, 1)
    return clean, clean + 0.1 * rng.standard_normal(clean.shape)


@pytest.mark.parametrize("mode, method", [("soft", "BayesShrink"), ("hard", "BayesShrink"),
                                          ("soft", "VisuShrink"), ("hard", "VisuShrink")])
@pytest.mark.parametrize("wavelet", ["db1", "db4", "sym8"])
@pytest.mark.parametrize("sigma", [None, 0.1])
def test_wavelet_denoise_equals_skimage(mode, method, wavelet, sigma):
    _, y = _image(70)  # not a power of two: exercises the crop after reconstruction
    ours = classical.wavelet_denoise(y, sigma, wavelet=wavelet, mode=mode, method=method)
    ref = denoise_wavelet(y, sigma=sigma, wavelet=wavelet, mode=mode, method=method, rescale_sigma=False)
    assert ours.shape == y.shape
    assert np.abs(ours - ref).max() < 1e-10


def test_wavelet_levels_argument_matches_skimage():
    _, y = _image(64)
    ours = classical.wavelet_denoise(y, 0.1, levels=2, wavelet="db2")
    ref = denoise_wavelet(y, sigma=0.1, wavelet_levels=2, wavelet="db2", rescale_sigma=False)
    assert np.abs(ours - ref).max() < 1e-10


def test_thresholds():
    c = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 2.0])
    assert np.allclose(classical.soft_threshold(c, 1.0), [-2, 0, 0, 0, 0, 1])
    assert np.allclose(classical.hard_threshold(c, 1.0), [-3, 0, 0, 0, 0, 2])
    assert np.allclose(classical.soft_threshold(c, 1.0), pywt.threshold(c, 1.0, mode="soft"))
    assert classical.visu_shrink_threshold(2.0, 100) == pytest.approx(2 * np.sqrt(2 * np.log(100)))
    band = np.random.default_rng(0).normal(scale=3.0, size=10000)
    assert classical.bayes_shrink_threshold(band, 1.0) == pytest.approx(1 / np.sqrt(8), rel=0.05)


def test_noise_estimate_agrees_with_skimage_on_pure_noise():
    y = 0.5 + 0.1 * np.random.default_rng(1).standard_normal((128, 128))
    ours = classical.estimate_noise_sigma(y)
    assert ours == pytest.approx(0.1, rel=0.05)
    assert ours == pytest.approx(estimate_sigma(y), rel=0.05)  # skimage uses db2


def test_spatial_filters_match_scipy_conventions():
    import scipy.ndimage
    import scipy.signal

    _, y = _image(32)
    assert np.allclose(classical.mean_filter(y, size=5), scipy.ndimage.uniform_filter(y, 5, mode="reflect"))
    assert np.allclose(classical.median_filter(y, size=3), scipy.ndimage.median_filter(y, 3, mode="reflect"))
    assert np.allclose(classical.wiener_filter(y, 0.1, size=5), scipy.signal.wiener(y, 5, 0.01))


def test_median_beats_mean_on_salt_and_pepper():
    clean, _ = _image(96)
    rng = np.random.default_rng(2)
    y = clean.copy()
    hit = rng.uniform(size=y.shape) < 0.1
    y[hit] = rng.integers(0, 2, hit.sum())
    med = classical.score(classical.median_filter(y, size=3), clean)[0]
    mean = classical.score(classical.mean_filter(y, size=3), clean)[0]
    assert med > mean + 3


def test_every_method_runs_and_improves_a_noisy_image():
    clean, _ = _image(64, 3)
    y = classical.noisy_version(clean, 25, 0, 0)
    base = classical.score(y, clean)[0]
    for name, spec in classical.METHODS.items():
        if name in ("noisy input",):
            continue
        params = {k: v[0] for k, v in spec.grid.items()}
        out = spec(y, 25 / 255, **params)
        assert out.shape == y.shape and np.all(np.isfinite(out)), name
        assert classical.score(out, clean)[0] > base, name


def test_noisy_version_is_fixed_per_image_and_level():
    clean, _ = _image(16)
    a = classical.noisy_version(clean, 25, 0, 3)
    assert np.array_equal(a, classical.noisy_version(clean, 25, 0, 3))
    assert not np.array_equal(a, classical.noisy_version(clean, 25, 0, 4))
    assert not np.array_equal(a, classical.noisy_version(clean, 15, 0, 3))
    assert (a - clean).std() == pytest.approx(25 / 255, rel=0.15)
    assert classical.noisy_version(np.zeros((16, 16)), 25, 0, 0).min() < 0  # not clipped


def test_tune_picks_the_best_grid_point_and_table_rows():
    clean = [_image(48, s)[0] for s in range(2)]
    best, trials = classical.tune(classical.METHODS["mean"], clean, 25, seed=1)
    assert best == max(trials, key=lambda t: t["psnr"])["params"] and len(trials) == 3
    methods = {"noisy input": classical.Tuned(classical.METHODS["noisy input"]),
               "mean": classical.Tuned(classical.METHODS["mean"], {25: best})}
    rows = classical.denoising_table(methods, torch.from_numpy(np.stack(clean))[:, None], [25], seed=1, dataset="toy")
    assert [r["method"] for r in rows] == ["noisy input", "mean"]
    assert rows[1]["psnr"] > rows[0]["psnr"] and rows[0]["images"] == 2
    assert rows[0]["psnr"] == pytest.approx(20.17, abs=0.3)  # sigma 25 -> about 20.2 dB
    with pytest.raises(ValueError, match="no tuned parameters"):
        methods["mean"](clean[0], 50 / 255)


@pytest.mark.parametrize("balance", [1e-3, 0.05])
def test_wiener_deconvolution_equals_skimage_and_inverts_noiseless_blur(balance):
    clean, _ = _image(48)
    k = kernels.motion_blur_kernel(6.0, anxiety=0.01, rng=1).numpy().astype(np.float64)
    y = operators.Blur(torch.from_numpy(k))(torch.from_numpy(clean)[None, None])[0, 0].numpy()
    ours = classical.wiener_deconvolution(y, k, balance)
    ref = wiener(y, k, balance, reg=np.array([[1.0]]), clip=False)
    assert np.abs(ours - ref).max() < 1e-10
    batch = classical.wiener_deconvolution(torch.from_numpy(np.stack([y, y]))[:, None], k, balance)
    assert batch.shape == (2, 1, 48, 48) and np.allclose(batch[1, 0].numpy(), ours)
    tiny = classical.wiener_deconvolution(y, k, 1e-9)
    assert classical.score(tiny, clean)[0] > classical.score(y, clean)[0] + 5


@pytest.mark.parametrize("call, match", [
    (lambda: classical.median_filter(np.zeros((4, 4)), -0.1), "sigma"),
    (lambda: classical.bm3d_denoise(np.zeros((8, 8)), 25.0), "0, 1"),
    (lambda: classical.mean_filter(np.zeros((2, 3, 4))), "shape"),
    (lambda: classical.mean_filter(np.zeros((4, 4)), size=0), "size"),
    (lambda: classical.wavelet_denoise(np.zeros((8, 8)), 0.1, mode="medium"), "mode"),
    (lambda: classical.wavelet_denoise(np.zeros((8, 8)), 0.1, method="SureShrink"), "method"),
    (lambda: classical.wavelet_denoise(np.zeros((8, 8)), -1.0), "sigma"),
    (lambda: classical.wiener_deconvolution(np.zeros((8, 8)), np.ones((3, 3)) / 9, 0.0), "balance"),
    (lambda: classical.nl_means(np.full((8, 8), np.nan), 0.1), "NaN"),
    (lambda: classical.denoising_table({"x": classical.identity}, [np.zeros((8, 8))], [-5]), "sigmas"),
    (lambda: classical.denoising_table({"x": classical.identity}, [np.full((8, 8), 2.0)], [25]), r"\[0, 1\]"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
