"""Classical denoisers and deconvolution, their tuning on Train400, and the denoising table (chapters 04, 05, 07, 09, 10).

Chapter 04 builds the classical baselines of the course here; chapters 05 and 07 compare
their learned denoisers with the table of :func:`denoising_table`, chapters 09-10 use
:func:`wiener_deconvolution` as the classical deblurring baseline (with the TV solver of
:mod:`course_lib.tv`).

Conventions
-----------
* A *denoiser* takes one noisy grey-level image ``y`` -- a 2-D ``float64`` NumPy array on the
  ``[0, 1]`` scale, **not clipped** -- and the noise standard deviation ``sigma`` on the same
  scale (``25 / 255`` for "sigma 25"), plus its own keyword parameters, and returns an array
  of the same shape. Scoring clips the output to ``[0, 1]`` first (DnCNN's protocol).
* The three families of the chapter: spatial filters (:func:`mean_filter`,
  :func:`gaussian_filter`, :func:`median_filter`, :func:`wiener_filter`), transform-domain and
  non-local methods (:func:`bm3d_denoise`, :func:`nl_means`), wavelet thresholding
  (:func:`wavelet_denoise` with :func:`soft_threshold` / :func:`hard_threshold`, VisuShrink and
  BayesShrink thresholds, written with PyWavelets and tested against
  ``skimage.restoration.denoise_wavelet``), and total variation (:func:`tv_chambolle`).
* Every parameter that is not given by the method's definition is tuned by
  :func:`tune` on Train400 images, never on test images (:data:`METHODS` holds the grids);
  BM3D receives the true sigma, as in the published protocol.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pywt
import scipy.ndimage
import scipy.signal
import torch

from . import metrics
from . import noise as noise_models
from .kernels import _positive, transfer_function

__all__ = [
    "MAD_FACTOR",
    "METHODS",
    "MethodSpec",
    "Tuned",
    "bayes_shrink_threshold",
    "bm3d_denoise",
    "denoising_table",
    "estimate_noise_sigma",
    "gaussian_filter",
    "hard_threshold",
    "identity",
    "mean_filter",
    "median_filter",
    "nl_means",
    "noisy_version",
    "score",
    "soft_threshold",
    "tune",
    "tv_chambolle",
    "visu_shrink_threshold",
    "wavelet_denoise",
    "wiener_deconvolution",
    "wiener_filter",
]

#: ``Phi^{-1}(3/4)``: the median of ``|N(0, 1)|``. Donoho & Johnstone's MAD estimate divides by it.
MAD_FACTOR = 0.6744897501960817

ArrayLike = np.ndarray | torch.Tensor


# --------------------------------------------------------------------------- validation


def _image(y: ArrayLike, where: str, name: str = "y") -> np.ndarray:
    """Return ``y`` as a finite 2-D float64 array; accept ``(H, W)``, ``(1, H, W)``, ``(1, 1, H, W)``."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    if not isinstance(y, np.ndarray):
        raise ValueError(f"{where}: {name} must be a NumPy array or torch tensor, got {type(y).__name__}")
    if np.iscomplexobj(y):
        raise ValueError(f"{where}: {name} must be real")
    while y.ndim > 2 and y.shape[0] == 1:
        y = y[0]
    if y.ndim != 2:
        raise ValueError(f"{where}: {name} must be one grey-level image of shape (H, W), got shape {y.shape}")
    if min(y.shape) < 2:
        raise ValueError(f"{where}: {name} must be at least 2x2 pixels, got {y.shape}")
    y = y.astype(np.float64, copy=False)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{where}: {name} contains NaN or infinity")
    return y


def _sigma(sigma: float, where: str) -> float:
    try:
        sigma = float(sigma)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: sigma must be a number (noise std on the [0, 1] scale), got {sigma!r}") from None
    if not math.isfinite(sigma) or sigma < 0:
        raise ValueError(f"{where}: sigma must be finite and >= 0 (noise std on the [0, 1] scale), got {sigma!r}")
    if sigma > 1:
        raise ValueError(f"{where}: sigma = {sigma} is above 1; the course uses the [0, 1] scale (25 / 255 for 'sigma 25')")
    return sigma


def _odd_size(size: int, where: str) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{where}: size must be a positive integer (pixels), got {size!r}")
    return int(size)


# --------------------------------------------------------------------------- spatial filters


def identity(y: ArrayLike, sigma: float = 0.0) -> np.ndarray:
    """The noisy image itself: the "do nothing" row of the table (chapter 04)."""
    _sigma(sigma, "identity")
    return _image(y, "identity").copy()


def mean_filter(y: ArrayLike, sigma: float = 0.0, *, size: int = 3) -> np.ndarray:
    """Moving average over a ``size x size`` window, reflecting borders (chapter 04).

    ``sigma`` is accepted for a common signature and not used.
    """
    _sigma(sigma, "mean_filter")
    return scipy.ndimage.uniform_filter(_image(y, "mean_filter"), size=_odd_size(size, "mean_filter"), mode="reflect")


def gaussian_filter(y: ArrayLike, sigma: float = 0.0, *, blur: float = 1.0) -> np.ndarray:
    """Gaussian smoothing with standard deviation ``blur`` in pixels (chapter 04)."""
    _sigma(sigma, "gaussian_filter")
    if not (isinstance(blur, (int, float)) and math.isfinite(blur) and blur > 0):
        raise ValueError(f"gaussian_filter: blur must be a positive number of pixels, got {blur!r}")
    return scipy.ndimage.gaussian_filter(_image(y, "gaussian_filter"), sigma=float(blur), mode="reflect")


def median_filter(y: ArrayLike, sigma: float = 0.0, *, size: int = 3) -> np.ndarray:
    """Median over a ``size x size`` window, reflecting borders: the filter for impulse noise (chapter 04)."""
    _sigma(sigma, "median_filter")
    return scipy.ndimage.median_filter(_image(y, "median_filter"), size=_odd_size(size, "median_filter"), mode="reflect")


def wiener_filter(y: ArrayLike, sigma: float, *, size: int = 5) -> np.ndarray:
    """Locally adaptive Wiener filter (Lee's filter, ``scipy.signal.wiener``) with noise power ``sigma**2`` (chapter 04).

    In each ``size x size`` window with local mean ``m`` and variance ``v``, the output is
    ``m + max(v - sigma^2, 0) / v * (y - m)``: flat regions are averaged, edges kept.
    """
    sigma = _sigma(sigma, "wiener_filter")
    image = _image(y, "wiener_filter")
    size = _odd_size(size, "wiener_filter")
    with np.errstate(divide="ignore", invalid="ignore"):
        return scipy.signal.wiener(image, mysize=size, noise=max(sigma**2, 1e-12))


# --------------------------------------------------------------------------- wavelet thresholding


def soft_threshold(c: ArrayLike, t: float) -> np.ndarray:
    """Soft thresholding ``sign(c) max(|c| - t, 0)``: the proximal operator of ``t ||.||_1`` (chapter 04)."""
    c = np.asarray(c.detach().cpu().numpy() if isinstance(c, torch.Tensor) else c, dtype=np.float64)
    if not (math.isfinite(float(t)) and float(t) >= 0):
        raise ValueError(f"soft_threshold: t must be finite and >= 0, got {t!r}")
    return np.sign(c) * np.maximum(np.abs(c) - float(t), 0.0)


def hard_threshold(c: ArrayLike, t: float) -> np.ndarray:
    """Hard thresholding ``c * [|c| > t]``: keep or kill (chapter 04)."""
    c = np.asarray(c.detach().cpu().numpy() if isinstance(c, torch.Tensor) else c, dtype=np.float64)
    if not (math.isfinite(float(t)) and float(t) >= 0):
        raise ValueError(f"hard_threshold: t must be finite and >= 0, got {t!r}")
    return np.where(np.abs(c) > float(t), c, 0.0)


def estimate_noise_sigma(y: ArrayLike, wavelet: str = "db1") -> float:
    """Donoho & Johnstone's noise estimate ``median(|HH1|) / 0.6745`` from the finest diagonal band (chapter 04).

    ``HH1`` are the diagonal detail coefficients of one level of the orthonormal 2-D DWT;
    for white Gaussian noise they are ``N(0, sigma^2)`` and few of them carry image content,
    so the median absolute value divided by ``Phi^{-1}(3/4) = 0.6745`` estimates ``sigma``.
    (scikit-image's ``estimate_sigma`` does the same with ``db2`` and skips exact zeros.)

    Returns:
        The estimate, on the scale of ``y``.
    """
    image = _image(y, "estimate_noise_sigma")
    _, (_, _, hh) = pywt.dwt2(image, wavelet)
    return float(np.median(np.abs(hh)) / MAD_FACTOR)


def visu_shrink_threshold(sigma: float, n_pixels: int) -> float:
    """Donoho & Johnstone's universal threshold ``sigma sqrt(2 log n)`` (VisuShrink) (chapter 04)."""
    if n_pixels < 2:
        raise ValueError(f"visu_shrink_threshold: n_pixels must be >= 2, got {n_pixels}")
    return float(sigma) * math.sqrt(2.0 * math.log(n_pixels))


def bayes_shrink_threshold(band: np.ndarray, sigma: float) -> float:
    """Chang, Yu & Vetterli's BayesShrink threshold ``sigma^2 / sigma_x`` for one subband (chapter 04).

    ``sigma_x = sqrt(max(mean(band^2) - sigma^2, eps))`` estimates the standard deviation of
    the clean coefficients (a generalised-Gaussian prior; the threshold approximately
    minimises the Bayes risk of soft thresholding). When the band is pure noise,
    ``sigma_x -> 0`` and the threshold kills the whole band. ``eps`` is float64's machine
    epsilon, as in scikit-image.
    """
    var = float(sigma) ** 2
    signal_var = max(float(np.mean(np.square(band))) - var, float(np.finfo(np.float64).eps))
    return var / math.sqrt(signal_var)


def wavelet_denoise(
    y: ArrayLike,
    sigma: float | None = None,
    *,
    wavelet: str = "db1",
    mode: str = "soft",
    method: str = "BayesShrink",
    levels: int | None = None,
) -> np.ndarray:
    """Wavelet-thresholding denoiser, written with PyWavelets (chapter 04).

    Decompose with ``pywt.wavedec2`` (periodisation-free ``symmetric`` extension, as
    ``pywt.wavedecn``), threshold every detail band, keep the approximation, reconstruct and
    crop to the input size. Thresholds:

    * ``"VisuShrink"``: one universal threshold ``sigma sqrt(2 log n)``, ``n`` = number of pixels
      (Donoho & Johnstone 1994);
    * ``"BayesShrink"``: one threshold per band, :func:`bayes_shrink_threshold` (Chang, Yu &
      Vetterli 2000).

    ``levels=None`` uses scikit-image's default: the maximal number of levels minus 3 (at
    least 1). With the same arguments the result equals
    ``skimage.restoration.denoise_wavelet(y, sigma, wavelet, mode, levels, method=...)``.

    Args:
        y: noisy image (2-D, any scale).
        sigma: noise std on the scale of ``y``; ``None`` estimates it from the finest
            diagonal band of the decomposition (MAD, :data:`MAD_FACTOR`).
        wavelet: an orthogonal PyWavelets wavelet name (``"db1"``, ``"db4"``, ``"sym8"``...).
        mode: ``"soft"`` or ``"hard"``.
        method: ``"BayesShrink"`` or ``"VisuShrink"``.
        levels: decomposition levels.

    Returns:
        The denoised image (not clipped).
    """
    where = "wavelet_denoise"
    image = _image(y, where)
    if mode not in ("soft", "hard"):
        raise ValueError(f"{where}: mode must be 'soft' or 'hard', got {mode!r}")
    if method not in ("BayesShrink", "VisuShrink"):
        raise ValueError(f"{where}: method must be 'BayesShrink' or 'VisuShrink', got {method!r}")
    if wavelet not in pywt.wavelist(kind="discrete"):
        raise ValueError(f"{where}: unknown discrete wavelet {wavelet!r}; e.g. 'db1', 'db4', 'sym8'")
    w = pywt.Wavelet(wavelet)
    if levels is None:
        levels = max(pywt.dwtn_max_level(image.shape, w) - 3, 1)
    elif isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 1:
        raise ValueError(f"{where}: levels must be a positive integer, got {levels!r}")
    coeffs = pywt.wavedec2(image, w, level=int(levels))
    if sigma is None:
        finest = coeffs[-1][2]
        finest = finest[finest != 0]
        sigma = float(np.median(np.abs(finest)) / MAD_FACTOR) if finest.size else 0.0
    else:
        sigma = float(sigma)
        if not math.isfinite(sigma) or sigma < 0:
            raise ValueError(f"{where}: sigma must be finite and >= 0, got {sigma!r}")
    shrink = soft_threshold if mode == "soft" else hard_threshold
    out = [coeffs[0]]
    for bands in coeffs[1:]:
        if method == "VisuShrink":
            thresholds = [visu_shrink_threshold(sigma, image.size)] * 3
        else:
            thresholds = [bayes_shrink_threshold(b, sigma) for b in bands]
        out.append(tuple(shrink(b, t) for b, t in zip(bands, thresholds)))
    rec = pywt.waverec2(out, w)
    return rec[: image.shape[0], : image.shape[1]]


# --------------------------------------------------------------------------- non-local, transform domain, TV


def nl_means(
    y: ArrayLike, sigma: float, *, h_factor: float = 0.8, patch_size: int = 7, patch_distance: int = 11
) -> np.ndarray:
    """Non-local means (Buades et al. 2005) through ``skimage.restoration.denoise_nl_means`` (chapter 04).

    Fast mode, with the noise ``sigma`` passed so that patch distances are corrected for the
    noise, and the filtering parameter ``h = h_factor * sigma`` (scikit-image recommends
    ``h_factor`` about 0.8 in fast mode; tuned on Train400 in chapter 04).
    """
    from skimage.restoration import denoise_nl_means

    sigma = _sigma(sigma, "nl_means")
    image = _image(y, "nl_means")
    return denoise_nl_means(image, patch_size=int(patch_size), patch_distance=int(patch_distance),
                            h=float(h_factor) * sigma, fast_mode=True, sigma=sigma, preserve_range=True)


def tv_chambolle(y: ArrayLike, sigma: float, *, weight_factor: float = 1.0, n_iter: int = 200) -> np.ndarray:
    """ROF total-variation denoising by Chambolle's projection algorithm (``skimage``), weight ``weight_factor * sigma`` (chapter 04).

    ``denoise_tv_chambolle(y, weight=w)`` minimises ``1/2 ||x - y||^2 + w TV(x)`` (isotropic TV,
    forward differences): chapter 04 checks that it agrees with :func:`course_lib.tv.solve_tv`
    at ``lam = w``. (Its docstring's "weight = 1 / lambda" refers to the other normalisation,
    ``lambda/2 ||x - y||^2 + TV(x)``.)
    """
    from skimage.restoration import denoise_tv_chambolle

    sigma = _sigma(sigma, "tv_chambolle")
    image = _image(y, "tv_chambolle")
    weight = float(weight_factor) * sigma
    if weight <= 0:
        return image.copy()
    return denoise_tv_chambolle(image, weight=weight, eps=2e-4, max_num_iter=int(n_iter))


def bm3d_denoise(y: ArrayLike, sigma: float) -> np.ndarray:
    """BM3D (Dabov et al. 2007) through the ``bm3d`` package (both stages, profile ``"np"``) (chapter 04).

    ``sigma`` is the true noise standard deviation on the scale of ``y``, as in the published
    protocol. About 4.5 s for a 321 x 481 image on two cores.
    """
    import bm3d

    sigma = _sigma(sigma, "bm3d_denoise")
    image = _image(y, "bm3d_denoise")
    if sigma == 0:
        return image.copy()
    return np.asarray(bm3d.bm3d(image, sigma_psd=sigma), dtype=np.float64)


# --------------------------------------------------------------------------- deconvolution


def wiener_deconvolution(y: ArrayLike, kernel: ArrayLike, balance: float) -> ArrayLike:
    """Frequency-domain Wiener deconvolution with a constant regulariser (chapters 04, 09-10).

    ``x = F^{-1}[ conj(H) Y / (|H|^2 + balance) ]`` with ``H`` the transfer function of the
    circular convolution of :class:`course_lib.operators.Blur` (``padding="circular"``; kernel
    centre ``(kh // 2, kw // 2)``). ``balance`` plays the role of the noise-to-signal power
    ratio; ``balance -> 0`` is the (unstable) inverse filter. Equals
    ``skimage.restoration.wiener(y, kernel, balance, reg=[[1]], clip=False)``.

    Args:
        y: blurred noisy image(s): a 2-D array, or a tensor ``(N, C, H, W)``.
        kernel: the 2-D blur kernel.
        balance: regularisation constant (> 0).

    Returns:
        The restored image(s), same type and shape as ``y`` (not clipped).
    """
    where = "wiener_deconvolution"
    balance = _positive(balance, "balance", where)
    is_tensor = isinstance(y, torch.Tensor)
    if is_tensor:
        if y.ndim != 4 or not torch.is_floating_point(y):
            raise ValueError(f"{where}: a tensor y must be floating point with shape (N, C, H, W), got {tuple(y.shape)}")
        data = y.detach().to(torch.float64)
    else:
        data = torch.from_numpy(_image(y, where))[None, None]
    k = torch.as_tensor(kernel.detach().cpu().numpy() if isinstance(kernel, torch.Tensor) else np.asarray(kernel))
    if k.ndim != 2:
        raise ValueError(f"{where}: kernel must be 2-D, got shape {tuple(k.shape)}")
    spec = transfer_function(k, tuple(data.shape[-2:]))
    filt = spec.conj() / (spec.abs() ** 2 + balance)
    out = torch.fft.irfft2(torch.fft.rfft2(data) * filt, s=data.shape[-2:])
    if is_tensor:
        return out.to(y.dtype)
    return out[0, 0].numpy()


# --------------------------------------------------------------------------- methods, tuning, table


@dataclass(frozen=True)
class MethodSpec:
    """A denoiser of the table with the grid of its tuned parameters (chapter 04).

    Attributes:
        name: the row label.
        family: "spatial", "wavelet", "transform / non-local" or "variational".
        fn: ``fn(y, sigma, **params) -> x`` (see the module conventions).
        grid: parameter name -> candidate values, searched by :func:`tune` on Train400.
        fixed: parameters fixed by the method's definition.
    """

    name: str
    family: str
    fn: Callable[..., np.ndarray]
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, y: ArrayLike, sigma: float, **params: Any) -> np.ndarray:
        return self.fn(y, sigma, **{**self.fixed, **params})


#: The methods of chapter 04's table, in table order, with their tuning grids.
METHODS: dict[str, MethodSpec] = {
    "noisy input": MethodSpec("noisy input", "none", identity),
    "mean": MethodSpec("mean", "spatial", mean_filter, {"size": (3, 5, 7)}),
    "Gaussian": MethodSpec("Gaussian", "spatial", gaussian_filter, {"blur": (0.5, 0.75, 1.0, 1.5, 2.0)}),
    "median": MethodSpec("median", "spatial", median_filter, {"size": (3, 5, 7)}),
    "Wiener (local)": MethodSpec("Wiener (local)", "spatial", wiener_filter, {"size": (3, 5, 7, 9)}),
    "VisuShrink (hard)": MethodSpec("VisuShrink (hard)", "wavelet", wavelet_denoise,
                                    {"wavelet": ("db1", "db4", "sym8")}, {"mode": "hard", "method": "VisuShrink"}),
    "BayesShrink (soft)": MethodSpec("BayesShrink (soft)", "wavelet", wavelet_denoise,
                                     {"wavelet": ("db1", "db4", "sym8")}, {"mode": "soft", "method": "BayesShrink"}),
    "TV (Chambolle)": MethodSpec("TV (Chambolle)", "variational", tv_chambolle,
                                 {"weight_factor": (0.5, 0.7, 0.9, 1.2, 1.6)}),
    "NL-means": MethodSpec("NL-means", "transform / non-local", nl_means,
                           {"h_factor": (0.6, 0.8, 1.0), "patch_size": (5, 7)}),
    "BM3D": MethodSpec("BM3D", "transform / non-local", bm3d_denoise),
}


def noisy_version(x: ArrayLike, sigma255: float, seed: int, index: int) -> np.ndarray:
    """The course's fixed noisy copy of image ``index`` at noise level ``sigma255`` (chapter 04; reused by 05, 07).

    ``x + (sigma255 / 255) n`` with ``n`` drawn by :func:`course_lib.noise.gaussian` from a
    ``torch.Generator`` seeded with ``SeedSequence([seed, round(100 sigma255), index])``: the
    same noise for every method, different for every image and level. Not clipped.
    """
    image = torch.from_numpy(_image(x, "noisy_version", "x").copy())
    if not (isinstance(sigma255, (int, float)) and math.isfinite(sigma255) and sigma255 >= 0):
        raise ValueError(f"noisy_version: sigma255 must be >= 0 (grey levels of 0..255), got {sigma255!r}")
    state = np.random.SeedSequence([int(seed), int(round(100 * sigma255)), int(index)]).generate_state(1)[0]
    gen = torch.Generator().manual_seed(int(state))
    return noise_models.gaussian(image, float(sigma255) / 255.0, generator=gen).numpy()


def score(x_hat: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """(PSNR in dB, SSIM) of ``clip(x_hat, 0, 1)`` against ``x`` (:mod:`course_lib.metrics`) (chapter 04)."""
    est = torch.from_numpy(np.clip(x_hat, 0.0, 1.0))[None, None]
    ref = torch.from_numpy(np.asarray(x, dtype=np.float64))[None, None]
    return float(metrics.psnr(est, ref)[0]), float(metrics.ssim(est, ref)[0])


def _images(images: Sequence[ArrayLike] | torch.Tensor, where: str) -> list[np.ndarray]:
    if isinstance(images, torch.Tensor):
        if images.ndim != 4 or images.shape[1] != 1:
            raise ValueError(f"{where}: a tensor of images must have shape (N, 1, H, W), got {tuple(images.shape)}")
        images = list(images)
    out = [_image(im, where, "image") for im in images]
    if not out:
        raise ValueError(f"{where}: no images")
    for im in out:
        if im.min() < -1e-6 or im.max() > 1 + 1e-6:
            raise ValueError(f"{where}: clean images must lie in [0, 1], got values in [{im.min():.3g}, {im.max():.3g}]")
    return out


def tune(
    spec: MethodSpec, images: Sequence[ArrayLike] | torch.Tensor, sigma255: float, *, seed: int = 0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Grid-search a method's parameters on training images at one noise level (chapter 04).

    Every combination of ``spec.grid`` is scored by the mean PSNR (clipped output) over
    ``images`` with the noise of :func:`noisy_version` (indices 0, 1, ...; use Train400
    images, never test images). Ties go to the first combination.

    Returns:
        ``(best parameters, [{"params": ..., "psnr": ...}, ...])``.
    """
    clean = _images(images, "tune")
    noisy = [noisy_version(x, sigma255, seed, i) for i, x in enumerate(clean)]
    names = list(spec.grid)
    trials = []
    for values in product(*(spec.grid[n] for n in names)):
        params = dict(zip(names, values))
        psnrs = [score(spec(y, sigma255 / 255.0, **params), x)[0] for x, y in zip(clean, noisy)]
        trials.append({"params": params, "psnr": float(np.mean(psnrs))})
    best = max(trials, key=lambda t: t["psnr"])  # max keeps the first of equal scores
    return dict(best["params"]), trials


class Tuned:
    """A method with its parameters per noise level, callable as ``fn(y, sigma)`` (chapter 04).

    Args:
        spec: the method.
        params: noise level (0-255 scale) -> parameters (from :func:`tune`); an empty mapping
            for methods without tuned parameters.
    """

    def __init__(self, spec: MethodSpec, params: Mapping[float, Mapping[str, Any]] | None = None) -> None:
        self.spec = spec
        self.params = {float(k): dict(v) for k, v in (params or {}).items()}

    def params_for(self, sigma: float) -> dict[str, Any]:
        """The parameters for noise std ``sigma`` on the [0, 1] scale."""
        if not self.spec.grid:
            return {}
        level = sigma * 255.0
        for key, value in self.params.items():
            if abs(key - level) < 1e-6:
                return value
        raise ValueError(f"{self.spec.name}: no tuned parameters for sigma = {level:g} (tuned for {sorted(self.params)}); "
                         "run classical.tune on Train400 at that level first")

    def __call__(self, y: ArrayLike, sigma: float) -> np.ndarray:
        return self.spec(y, sigma, **self.params_for(sigma))

    def __repr__(self) -> str:
        return f"Tuned({self.spec.name!r}, {self.params})"


def denoising_table(
    methods: Mapping[str, Callable[[np.ndarray, float], np.ndarray]],
    images: Sequence[ArrayLike] | torch.Tensor,
    sigmas: Sequence[float],
    seed: int = 0,
    *,
    dataset: str = "",
    verbose: bool = False,
) -> list[dict[str, Any]]:
    """PSNR and SSIM of every method on every image at every noise level: the chapter 04 table.

    DnCNN's protocol: Gaussian noise of std ``sigma / 255`` added without clipping (fixed
    noise per image and level, :func:`noisy_version`), the output clipped to ``[0, 1]`` and
    scored by :func:`course_lib.metrics.psnr` / :func:`~course_lib.metrics.ssim`; the table
    reports the means over images (the mean of per-image PSNRs).

    Args:
        methods: row label -> ``fn(y, sigma)`` with ``sigma`` on the [0, 1] scale (e.g.
            :class:`Tuned` objects).
        images: clean test images in ``[0, 1]`` (2-D arrays, ``(1, 1, H, W)`` tensors or a
            ``(N, 1, H, W)`` tensor).
        sigmas: noise levels on the 0-255 scale, e.g. ``(15, 25, 50)``.
        seed: the noise seed.
        dataset: a label copied into every row.
        verbose: print one line per (level, method).

    Returns:
        One dict per (level, method): ``dataset``, ``sigma``, ``method``, ``psnr``, ``ssim``
        (means), ``psnr_per_image`` (list), ``images`` (count), ``seconds`` (total run time
        of the method).
    """
    clean = _images(images, "denoising_table")
    if not methods:
        raise ValueError("denoising_table: no methods")
    levels = [float(s) for s in sigmas]
    if not levels or any(not (math.isfinite(s) and 0 <= s <= 255) for s in levels):
        raise ValueError(f"denoising_table: sigmas must be noise levels on the 0-255 scale, got {list(sigmas)!r}")
    rows = []
    for level in levels:
        noisy = [noisy_version(x, level, seed, i) for i, x in enumerate(clean)]
        for name, fn in methods.items():
            start = time.perf_counter()
            scores = [score(fn(y, level / 255.0), x) for x, y in zip(clean, noisy)]
            seconds = time.perf_counter() - start
            psnrs = [s[0] for s in scores]
            row = {"dataset": dataset, "sigma": level, "method": name, "psnr": float(np.mean(psnrs)),
                   "ssim": float(np.mean([s[1] for s in scores])), "psnr_per_image": psnrs,
                   "images": len(clean), "seconds": seconds}
            rows.append(row)
            if verbose:
                print(f"{dataset} sigma={level:g} {name:>20s}: {row['psnr']:.2f} dB, SSIM {row['ssim']:.4f} ({seconds:.1f} s)")
    return rows
