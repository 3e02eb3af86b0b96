"""The perception-distortion propositions of chapter 07, checked on one binary pixel.

Model: a pixel ``X`` is 1 with probability ``p`` and 0 otherwise (MNIST's pixels are nearly
binary), observed as ``Y = X + sigma N`` with ``N ~ N(0, 1)``. Everything about the posterior
is explicit: ``P(X = 1 | Y = y) = sigmoid(log(p / (1 - p)) + (2 y - 1) / (2 sigma^2))``.

:func:`binary_pixel_study` compares four estimators by Monte Carlo and quadrature: the
posterior mean (MMSE), the posterior median (the minimiser of the expected absolute error,
here the MAP estimate: a 0/1 value), a sample of the posterior, and the observation itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["BinaryPixelStudy", "binary_pixel_study", "posterior_probability"]


def posterior_probability(y: np.ndarray, sigma: float, p: float = 0.5) -> np.ndarray:
    """``P(X = 1 | Y = y)`` for the binary pixel observed in Gaussian noise of std ``sigma`` (chapter 07)."""
    if not (sigma > 0 and 0 < p < 1):
        raise ValueError(f"posterior_probability: need sigma > 0 and 0 < p < 1, got {sigma}, {p}")
    logit = math.log(p / (1 - p)) + (2.0 * np.asarray(y, dtype=np.float64) - 1.0) / (2.0 * sigma**2)
    return 0.5 * (1.0 + np.tanh(0.5 * logit))  # a sigmoid that never overflows


@dataclass(frozen=True)
class BinaryPixelStudy:
    """Errors and output statistics of four estimators of the binary pixel (chapter 07).

    Attributes:
        sigma, p, n: the noise std, the prior probability of a 1, the Monte-Carlo sample size.
        mmse_quadrature: ``E Var(X | Y)`` by quadrature (the minimum mean squared error).
        mse: estimator -> Monte-Carlo mean squared error (``mean``, ``median``, ``sample``, ``identity``).
        second_moment: estimator -> Monte-Carlo ``E[estimate^2]``; the clean pixel's is ``p``.
        fraction_ones: estimator -> fraction of estimates equal to 1 (``median`` and ``sample`` only).
        std_error: the Monte-Carlo standard error of the ``sample`` estimator's MSE.
    """

    sigma: float
    p: float
    n: int
    mmse_quadrature: float
    mse: dict[str, float]
    second_moment: dict[str, float]
    fraction_ones: dict[str, float]
    std_error: float


def binary_pixel_study(sigma: float = 0.5, p: float = 0.5, n: int = 200_000, seed: int = 0) -> BinaryPixelStudy:
    """Monte Carlo of the four estimators with ``n`` draws, and the MMSE by quadrature (chapter 07)."""
    if n < 100:
        raise ValueError(f"binary_pixel_study: n must be at least 100, got {n}")
    rng = np.random.default_rng(seed)
    x = (rng.uniform(size=n) < p).astype(np.float64)
    y = x + sigma * rng.standard_normal(n)
    post = posterior_probability(y, sigma, p)
    estimates = {
        "mean": post,
        "median": (post > 0.5).astype(np.float64),
        "sample": (rng.uniform(size=n) < post).astype(np.float64),
        "identity": y,
    }
    sq = {k: (v - x) ** 2 for k, v in estimates.items()}
    grid = np.linspace(-1.0 - 10 * sigma, 2.0 + 10 * sigma, 20_001)
    dens = ((1 - p) * np.exp(-0.5 * (grid / sigma) ** 2) + p * np.exp(-0.5 * ((grid - 1) / sigma) ** 2)) / (
        sigma * math.sqrt(2 * math.pi))
    q = posterior_probability(grid, sigma, p)
    mmse = float(np.sum(dens * q * (1 - q)) * (grid[1] - grid[0]))
    return BinaryPixelStudy(
        sigma=float(sigma), p=float(p), n=int(n), mmse_quadrature=mmse,
        mse={k: float(v.mean()) for k, v in sq.items()},
        second_moment={k: float((v**2).mean()) for k, v in estimates.items()},
        fraction_ones={k: float((estimates[k] == 1.0).mean()) for k in ("median", "sample")},
        std_error=float(sq["sample"].std() / math.sqrt(n)),
    )
