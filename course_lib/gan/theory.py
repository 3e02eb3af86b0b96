"""The 1-D theory of chapter 06 by quadrature.

The optimal discriminator, KL, JSD, the value function and the virtual criterion C(G).

See :mod:`course_lib.gan` for the conventions (raw scores, minimised losses, nats).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from torch import Tensor


def uniform_grid(lo: float, hi: float, n: int) -> tuple[np.ndarray, float]:
    """``n`` equally spaced points from ``lo`` to ``hi`` and their spacing ``dx`` (chapter 06 quadrature)."""
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"uniform_grid needs finite lo < hi, got {lo!r}, {hi!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"uniform_grid needs n >= 2 points, got {n!r}")
    x = np.linspace(lo, hi, n)
    return x, float(x[1] - x[0])


def _densities(*arrays: Any) -> list[np.ndarray]:
    out = []
    for a in arrays:
        arr = np.asarray(a.detach().cpu().numpy() if isinstance(a, Tensor) else a, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError("densities must be finite")
        if (arr < 0).any():
            raise ValueError(f"densities must be >= 0, got a minimum of {arr.min():.3g}")
        out.append(arr)
    if len({a.shape for a in out}) != 1:
        raise ValueError(f"densities must have the same shape, got {[a.shape for a in out]}")
    return out


def _check_dx(dx: float) -> float:
    if not (isinstance(dx, (int, float)) and math.isfinite(dx) and dx > 0):
        raise ValueError(f"dx must be a positive grid spacing, got {dx!r}")
    return float(dx)


def optimal_discriminator(p_data: Any, p_g: Any) -> np.ndarray:
    """``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` elementwise; 1/2 where both densities vanish.

    Goodfellow et al.'s Proposition 1 (chapter 06). Where ``p_data + p_g = 0`` the value of
    ``D`` does not affect ``V(D, G)``; the course returns 1/2 there.
    """
    p, q = _densities(p_data, p_g)
    total = p + q
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), 0.5)


def _xlogy_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``p log(p / q)`` with ``0 log(0 / q) = 0`` and ``+inf`` where ``p > 0 = q``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(np.where(q > 0, q, 1.0))), 0.0)
    return np.where((p > 0) & (q <= 0), np.inf, out)


def kl_divergence(p: Any, q: Any, dx: float) -> float:
    """``KL(p || q) = sum p log(p / q) dx`` in nats; ``inf`` when ``p > 0`` somewhere ``q = 0`` (chapter 06)."""
    p, q = _densities(p, q)
    return float(np.sum(_xlogy_ratio(p, q)) * _check_dx(dx))


def js_divergence(p: Any, q: Any, dx: float) -> float:
    """``JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2`` with ``m = (p + q) / 2``, in nats (0 <= JSD <= log 2)."""
    p, q = _densities(p, q)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m, dx) + 0.5 * kl_divergence(q, m, dx)


def value_function(d: Any, p_data: Any, p_g: Any, dx: float) -> float:
    """``V(D, G) = sum [p_data log D + p_g log(1 - D)] dx`` for discriminator values ``d`` on the grid (nats).

    Terms with a zero density count 0 (``0 log 0 = 0``); ``-inf`` when ``D`` is 0 where
    ``p_data > 0`` (or 1 where ``p_g > 0``).
    """
    p, q = _densities(p_data, p_g)
    dv = np.asarray(d.detach().cpu().numpy() if isinstance(d, Tensor) else d, dtype=np.float64)
    if dv.shape != p.shape:
        raise ValueError(f"d has shape {dv.shape}, the densities {p.shape}")
    if ((dv < 0) | (dv > 1) | ~np.isfinite(dv)).any():
        raise ValueError("discriminator values must lie in [0, 1]")
    with np.errstate(divide="ignore"):
        a = np.where(p > 0, p * np.log(np.where(p > 0, dv, 1.0)), 0.0)
        b = np.where(q > 0, q * np.log(np.where(q > 0, 1.0 - dv, 1.0)), 0.0)
    return float(np.sum(a + b) * _check_dx(dx))


def virtual_criterion(p_data: Any, p_g: Any, dx: float) -> float:
    """``C(G) = max_D V(D, G) = V(D*, G)`` by quadrature, in nats (chapter 06).

    Computed as ``sum [p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g))] dx``,
    which is ``V(D*, G)`` written without ``1 - D*`` (that difference rounds to 0 where ``p_g``
    is tiny compared with ``p_data``, and its logarithm would be ``-inf``).
    """
    p, q = _densities(p_data, p_g)
    total = p + q
    return float(np.sum(_xlogy_ratio(p, total) + _xlogy_ratio(q, total)) * _check_dx(dx))
