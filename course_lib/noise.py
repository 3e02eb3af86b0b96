"""Noise models for images with values in [0, 1] (chapters 04-05, 07-10).

Every function takes a clean image ``x`` -- a floating-point ``torch.Tensor``
of any shape, typically ``(N, C, H, W)``, with values in ``[0, 1]`` -- and
returns a noisy copy of the same shape and dtype. Noise levels are on the
``[0, 1]`` intensity scale: the usual "sigma 25" of the denoising literature
is ``sigma = 25 / 255`` (see :func:`sigma_from_255`). Outputs are **not
clipped** to ``[0, 1]`` (clipping biases the noise; clip yourself if a chapter
needs it), except salt-and-pepper, which only writes 0 and 1.

Each function takes an optional ``generator`` (a ``torch.Generator`` on the
device of ``x``) for reproducible draws; ``None`` uses torch's global state.

The conventions follow :func:`skimage.util.random_noise` where it has the
same model (``'gaussian'``, ``'speckle'``, ``'s&p'``, ``'poisson'``), with
``sigma**2`` in place of its ``var``::

    y = noise.gaussian(x, noise.sigma_from_255(25), generator=gen)
"""

from __future__ import annotations

import math

import torch

__all__ = ["gaussian", "poisson", "poisson_gaussian", "salt_and_pepper", "sigma_from_255", "speckle"]

_RANGE_TOL = 1e-6


def _check_image(x: torch.Tensor, where: str) -> None:
    """Raise ValueError unless ``x`` is a finite floating tensor with values in [0, 1]."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{where}: x must be a torch.Tensor, got {type(x).__name__}; convert with torch.as_tensor(x)")
    if not torch.is_floating_point(x):
        raise ValueError(
            f"{where}: x must be a floating-point tensor with values in [0, 1], got dtype {x.dtype}; "
            "convert with x.float() / 255 for 8-bit images"
        )
    if x.numel() == 0:
        return
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{where}: x contains NaN or infinity; clean the input first")
    lo, hi = float(x.min()), float(x.max())
    if lo < -_RANGE_TOL or hi > 1.0 + _RANGE_TOL:
        raise ValueError(
            f"{where}: the clean image must have values in [0, 1], got min {lo:.4g} and max {hi:.4g}; "
            "rescale it (e.g. x / 255 for 8-bit images, or (x - x.min()) / (x.max() - x.min()))"
        )


def _check_level(value: float, name: str, where: str, *, positive: bool = False) -> float:
    """Return ``value`` as a float; raise ValueError if it is not finite and >= 0 (> 0 if ``positive``)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{where}: {name} must be finite and {bound}, got {value!r}")
    return value


def sigma_from_255(s: float) -> float:
    """Convert a noise level on the 8-bit scale to the [0, 1] scale (chapters 04-05, 07-10).

    Args:
        s: standard deviation in grey levels of 0..255 (e.g. 25).

    Returns:
        ``s / 255``, the standard deviation on the [0, 1] scale used by this module.
    """
    return _check_level(s, "s", "sigma_from_255") / 255.0


def gaussian(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Additive white Gaussian noise ``x + sigma * n``, ``n ~ N(0, 1)`` (chapters 04-05, 07-09).

    Same model as ``skimage.util.random_noise(x, 'gaussian', var=sigma**2, clip=False)``.

    Args:
        x: clean image, floating point, values in [0, 1], any shape.
        sigma: standard deviation on the [0, 1] scale (``25 / 255`` for "sigma 25"), >= 0.
        generator: optional ``torch.Generator`` for reproducible noise.

    Returns:
        The noisy image (not clipped), same shape and dtype as ``x``.

    Raises:
        ValueError: ``x`` is not a floating tensor in [0, 1], or ``sigma`` < 0.
    """
    _check_image(x, "gaussian")
    sigma = _check_level(sigma, "sigma", "gaussian")
    n = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x + sigma * n


def speckle(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Multiplicative speckle noise ``x * (1 + sigma * n)``, ``n ~ N(0, 1)`` (chapters 04-05).

    The residual ``y - x`` has mean 0 and variance ``sigma**2 * x**2``. Same model as
    ``skimage.util.random_noise(x, 'speckle', var=sigma**2, clip=False)``.

    Args:
        x: clean image, floating point, values in [0, 1], any shape.
        sigma: relative standard deviation (dimensionless), >= 0.
        generator: optional ``torch.Generator`` for reproducible noise.

    Returns:
        The noisy image (not clipped), same shape and dtype as ``x``.

    Raises:
        ValueError: ``x`` is not a floating tensor in [0, 1], or ``sigma`` < 0.
    """
    _check_image(x, "speckle")
    sigma = _check_level(sigma, "sigma", "speckle")
    n = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x * (1.0 + sigma * n)


def salt_and_pepper(
    x: torch.Tensor,
    amount: float,
    salt_vs_pepper: float = 0.5,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Impulse noise: a random fraction of entries set to 1 (salt) or 0 (pepper) (chapters 04-05).

    Each entry (each channel separately, as in ``skimage.util.random_noise(x, 's&p')``)
    is replaced with probability ``amount``; a replaced entry becomes 1 with
    probability ``salt_vs_pepper`` and 0 otherwise. The replaced fraction is
    therefore ``amount`` in expectation, not exactly.

    Args:
        x: clean image, floating point, values in [0, 1], any shape.
        amount: probability that an entry is replaced, in [0, 1].
        salt_vs_pepper: probability that a replaced entry is salt (1), in [0, 1].
        generator: optional ``torch.Generator`` for reproducible noise.

    Returns:
        The noisy image, same shape and dtype as ``x``, values in [0, 1].

    Raises:
        ValueError: ``x`` is not a floating tensor in [0, 1], or ``amount`` or
            ``salt_vs_pepper`` is outside [0, 1].
    """
    _check_image(x, "salt_and_pepper")
    amount = _check_level(amount, "amount", "salt_and_pepper")
    salt_vs_pepper = _check_level(salt_vs_pepper, "salt_vs_pepper", "salt_and_pepper")
    if amount > 1:
        raise ValueError(f"salt_and_pepper: amount is a fraction and must be in [0, 1], got {amount!r}")
    if salt_vs_pepper > 1:
        raise ValueError(f"salt_and_pepper: salt_vs_pepper is a probability and must be in [0, 1], got {salt_vs_pepper!r}")
    flipped = torch.rand(x.shape, generator=generator, device=x.device) < amount
    salted = torch.rand(x.shape, generator=generator, device=x.device) < salt_vs_pepper
    return torch.where(flipped, salted.to(x.dtype), x)


def poisson(x: torch.Tensor, peak: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Photon-counting (shot) noise ``Poisson(peak * x) / peak`` (chapters 04-05, 10).

    A pixel of intensity ``x`` collects on average ``peak * x`` photons, so the
    residual has mean 0 and variance ``x / peak``: a small ``peak`` (e.g. 1 to 10)
    is a dark, very noisy image. ``skimage.util.random_noise(x, 'poisson')`` is
    the special case ``peak = 2**ceil(log2(number of distinct values of x))``.

    Args:
        x: clean image, floating point, values in [0, 1], any shape.
        peak: expected photon count of a pixel of intensity 1, > 0.
        generator: optional ``torch.Generator`` for reproducible noise.

    Returns:
        The noisy image (values in ``{0, 1/peak, 2/peak, ...}``), same shape and dtype as ``x``.

    Raises:
        ValueError: ``x`` is not a floating tensor in [0, 1], or ``peak`` <= 0.
    """
    _check_image(x, "poisson")
    peak = _check_level(peak, "peak", "poisson", positive=True)
    rate = (x * peak).clamp_min(0.0)  # values down to -1e-6 are tolerated by the range check
    return torch.poisson(rate, generator=generator) / peak


def poisson_gaussian(
    x: torch.Tensor, peak: float, sigma: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Signal-dependent Poisson-Gaussian noise ``Poisson(peak * x) / peak + sigma * n`` (chapter 10).

    The model of raw camera sensors: shot noise plus read-out noise. The
    residual has mean 0 and variance ``x / peak + sigma**2`` (an affine function
    of the clean intensity, the setting of the generalised Anscombe transform).

    Args:
        x: clean image, floating point, values in [0, 1], any shape.
        peak: expected photon count of a pixel of intensity 1, > 0.
        sigma: standard deviation of the Gaussian read-out noise on the [0, 1] scale, >= 0.
        generator: optional ``torch.Generator`` for reproducible noise.

    Returns:
        The noisy image (not clipped), same shape and dtype as ``x``.

    Raises:
        ValueError: ``x`` is not a floating tensor in [0, 1], ``peak`` <= 0 or ``sigma`` < 0.
    """
    _check_image(x, "poisson_gaussian")
    peak = _check_level(peak, "peak", "poisson_gaussian", positive=True)
    sigma = _check_level(sigma, "sigma", "poisson_gaussian")
    counts = torch.poisson((x * peak).clamp_min(0.0), generator=generator)
    n = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return counts / peak + sigma * n
