"""Image quality metrics: PSNR and SSIM, batched, in torch (chapters 03-10).

Conventions
-----------
* Images are tensors of shape ``(N, C, H, W)``; ``(H, W)`` and ``(C, H, W)`` are read as
  one image (``N = 1``). NumPy arrays are accepted too.
* ``x`` is the estimate, ``ref`` the ground truth. ``ref`` must lie in
  ``[0, data_range]`` (tolerance ``1e-6``); ``x`` may leave that range (a denoiser's raw
  output is scored as it is; clip it yourself if the method clips).
* :func:`psnr` and :func:`ssim` return one value per image, shape ``(N,)``, computed and
  returned in ``float64``.
* **A data set's PSNR is the mean of the per-image PSNRs** (:func:`mean_psnr`), as in the
  denoising literature (DnCNN's BSD68 table), not the PSNR of the pooled MSE.
* Identical images have ``PSNR = inf`` (``mse = 0``), returned explicitly, not as a
  warning-raising division.
* SSIM follows Wang et al. (2004): Gaussian window with sigma 1.5 truncated at 3.5 sigma
  (11 x 11), population (co)variances, ``K1 = 0.01``, ``K2 = 0.03``; the SSIM map is
  averaged over the pixels whose window lies inside the image and over channels. This
  equals ``skimage.metrics.structural_similarity(x, ref, gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False, data_range=...)`` to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["SSIM_K1", "SSIM_K2", "SSIM_SIGMA", "SSIM_WIN", "mean_psnr", "mean_ssim", "psnr", "ssim", "ssim_loss"]

SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5
SSIM_RADIUS = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)  # 5, as scipy.ndimage.gaussian_filter
SSIM_WIN = 2 * SSIM_RADIUS + 1  # 11
SSIM_K1 = 0.01
SSIM_K2 = 0.03
RANGE_TOL = 1e-6

Array = torch.Tensor | np.ndarray


def _as_batch(t: Array, name: str) -> torch.Tensor:
    """Return ``t`` as a 4-D tensor ``(N, C, H, W)`` (no copy when possible)."""
    if not isinstance(t, torch.Tensor):
        t = torch.as_tensor(np.asarray(t))
    if t.is_complex():
        raise ValueError(f"{name} must be real, got dtype {t.dtype}")
    if t.ndim == 2:
        return t[None, None]
    if t.ndim == 3:
        return t[None]
    if t.ndim == 4:
        return t
    raise ValueError(f"{name} must have shape (H, W), (C, H, W) or (N, C, H, W), got {tuple(t.shape)}")


def _prepare(x: Array, ref: Array, data_range: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate and convert to float64 4-D tensors on ``x``'s device."""
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float, np.number)) or not (
        math.isfinite(float(data_range)) and float(data_range) > 0
    ):
        raise ValueError(f"data_range must be a positive finite number, got {data_range!r}")
    xb = _as_batch(x, "x")
    rb = _as_batch(ref, "ref")
    if xb.shape != rb.shape:
        raise ValueError(
            f"shape mismatch: x has shape {tuple(xb.shape)}, ref has shape {tuple(rb.shape)} "
            f"(given as {tuple(np.shape(x))} and {tuple(np.shape(ref))})"
        )
    if xb.numel() == 0:
        raise ValueError(f"empty images: shape {tuple(xb.shape)}")
    xb = xb.to(torch.float64)
    rb = rb.to(device=xb.device, dtype=torch.float64)
    with torch.no_grad():
        lo, hi = float(rb.min()), float(rb.max())
    if not (lo >= -RANGE_TOL and hi <= float(data_range) + RANGE_TOL):
        raise ValueError(
            f"ref must lie in [0, data_range] = [0, {data_range}] (tolerance {RANGE_TOL}), "
            f"but its values span [{lo:.6g}, {hi:.6g}]; pass the clean image as ref and the right data_range "
            f"(e.g. 255 for 8-bit values)"
        )
    return xb, rb


def psnr(x: Array, ref: Array, data_range: float = 1.0) -> torch.Tensor:
    """Per-image peak signal-to-noise ratio in dB: ``10 log10(data_range^2 / MSE)``.

    The MSE is the mean over channels and pixels of each image. Identical images give
    ``inf``. Agrees with ``skimage.metrics.peak_signal_noise_ratio`` per image.

    Args:
        x: the estimate, ``(N, C, H, W)``, ``(C, H, W)`` or ``(H, W)``.
        ref: the ground truth, same shape, values in ``[0, data_range]``.
        data_range: the peak value (1 for images in ``[0, 1]``, 255 for 8-bit).

    Returns:
        ``float64`` tensor of shape ``(N,)`` (``(1,)`` for a single image).

    Raises:
        ValueError: shape mismatch, non-positive ``data_range``, ``ref`` out of range.
    """
    xb, rb = _prepare(x, ref, data_range)
    mse = (xb - rb).pow(2).flatten(1).mean(dim=1)
    value = 10.0 * torch.log10(float(data_range) ** 2 / mse.clamp_min(torch.finfo(torch.float64).tiny))
    return torch.where(mse == 0, torch.full_like(value, math.inf), value)


def mean_psnr(x: Array, ref: Array, data_range: float = 1.0) -> float:
    """The PSNR of a data set: the mean of the per-image PSNRs of :func:`psnr`, in dB.

    (Not the PSNR of the pooled MSE, which weighs badly restored images differently.)
    ``inf`` when some image is restored exactly.
    """
    return float(psnr(x, ref, data_range).mean())


def _gaussian_taps(device: torch.device) -> torch.Tensor:
    """The normalised 11-tap Gaussian of scipy.ndimage (sigma 1.5, truncate 3.5), float64."""
    r = torch.arange(-SSIM_RADIUS, SSIM_RADIUS + 1, dtype=torch.float64, device=device)
    taps = torch.exp(-0.5 * (r / SSIM_SIGMA) ** 2)
    return taps / taps.sum()


def ssim(x: Array, ref: Array, data_range: float = 1.0) -> torch.Tensor:
    """Per-image structural similarity (Wang et al. 2004), differentiable.

    Local means, variances and covariance come from a separable 11 x 11 Gaussian window
    (sigma 1.5) applied as a 'valid' convolution, i.e. only where the window lies inside
    the image -- exactly the pixels skimage keeps after cropping ``(11 - 1) // 2 = 5``
    pixels at each border. ``S = (2 mu_x mu_y + C1)(2 cov + C2) / ((mu_x^2 + mu_y^2 + C1)
    (var_x + var_y + C2))`` with ``C1 = (0.01 L)^2``, ``C2 = (0.03 L)^2``, ``L =
    data_range``, population (co)variances; the result is the mean of ``S`` over pixels and
    channels.

    Args:
        x: the estimate, ``(N, C, H, W)``, ``(C, H, W)`` or ``(H, W)``; H, W >= 11.
        ref: the ground truth, same shape, values in ``[0, data_range]``.
        data_range: the dynamic range ``L``.

    Returns:
        ``float64`` tensor of shape ``(N,)``; gradients flow to ``x`` (and ``ref``).

    Raises:
        ValueError: shape mismatch, images smaller than 11 x 11, non-positive
            ``data_range``, ``ref`` out of range.
    """
    xb, rb = _prepare(x, ref, data_range)
    n, c, h, w = xb.shape
    if h < SSIM_WIN or w < SSIM_WIN:
        raise ValueError(
            f"SSIM needs images of at least {SSIM_WIN}x{SSIM_WIN} pixels (its Gaussian window), got {h}x{w}"
        )
    taps = _gaussian_taps(xb.device)
    xs = xb.reshape(n * c, 1, h, w)
    rs = rb.reshape(n * c, 1, h, w)
    stack = torch.cat([xs, rs, xs * xs, rs * rs, xs * rs], dim=0)
    blurred = F.conv2d(F.conv2d(stack, taps.view(1, 1, 1, -1)), taps.view(1, 1, -1, 1))
    mu_x, mu_r, m_xx, m_rr, m_xr = blurred.split(n * c, dim=0)
    var_x = m_xx - mu_x * mu_x
    var_r = m_rr - mu_r * mu_r
    cov = m_xr - mu_x * mu_r
    c1 = (SSIM_K1 * float(data_range)) ** 2
    c2 = (SSIM_K2 * float(data_range)) ** 2
    smap = ((2 * mu_x * mu_r + c1) * (2 * cov + c2)) / ((mu_x * mu_x + mu_r * mu_r + c1) * (var_x + var_r + c2))
    return smap.reshape(n, -1).mean(dim=1)


def mean_ssim(x: Array, ref: Array, data_range: float = 1.0) -> float:
    """The SSIM of a data set: the mean of the per-image values of :func:`ssim`."""
    with torch.no_grad():
        return float(ssim(x, ref, data_range).mean())


def ssim_loss(x: torch.Tensor, ref: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """``1 - mean SSIM`` over the batch, a differentiable training loss (chapters 05, 07).

    Computed in ``float64`` and returned as a 0-d tensor in ``x``'s floating dtype
    (``float32`` for the usual models), so it can be added to other losses.
    """
    value = 1.0 - ssim(x, ref, data_range).mean()
    dtype = x.dtype if isinstance(x, torch.Tensor) and x.is_floating_point() else torch.float64
    return value.to(dtype)
