"""Checks of the exercises of chapter 04 (noise, classical denoisers, degradations).

* Exercise 4.1 -- :func:`check_estimate_noise_sigma`: Donoho & Johnstone's MAD estimate
  ``median(|HH1|) / 0.6745`` from the finest diagonal Haar band.
* Exercise 4.2 -- :func:`check_soft_threshold`: ``sign(c) max(|c| - t, 0)``.
* Exercise 4.3 -- :func:`check_hard_threshold`: ``c [|c| > t]``.
* Exercise 4.4 -- :func:`check_divergence`: the discrete divergence, the negative adjoint of
  the forward-difference gradient.

Each check builds its own small inputs (never notebook state), compares with the
reference of :mod:`course_lib.classical` / :mod:`course_lib.tv` and, when the answer equals
a typical mistake, names it. Each runs in well under a second.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pywt
import torch

from .. import classical, tv
from . import Case, Mistake, compare_cases, copied_args, matching_mistakes

__all__ = [
    "check_divergence",
    "check_estimate_noise_sigma",
    "check_hard_threshold",
    "check_soft_threshold",
    "divergence_reference",
    "estimate_noise_sigma_reference",
    "hard_threshold_reference",
    "soft_threshold_reference",
]





# --------------------------------------------------------------------------- Exercise 4.1: MAD noise estimate

EX_MAD = "Exercise 4.1"


def estimate_noise_sigma_reference(image: np.ndarray) -> float:
    """``median(|HH1|) / 0.6745`` with the orthonormal Haar DWT (``pywt.dwt2(image, "db1")``)."""
    return classical.estimate_noise_sigma(image, "db1")


def _bands(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _, (lh, hl, hh) = pywt.dwt2(image, "db1")
    return lh, hl, hh


_MAD_MISTAKES: list[Mistake] = [
    ("you forgot to divide by 0.6745 (the median of |N(0, 1)|): median(|HH|) alone underestimates sigma",
     lambda im: np.median(np.abs(_bands(im)[2]))),
    ("you multiplied by 0.6745 instead of dividing by it",
     lambda im: np.median(np.abs(_bands(im)[2])) * classical.MAD_FACTOR),
    ("you took the mean of |HH| instead of the median; the median is what makes the estimate robust "
     "to the few large coefficients at edges",
     lambda im: np.mean(np.abs(_bands(im)[2])) / classical.MAD_FACTOR),
    ("you took the standard deviation of HH; it is inflated by the edge coefficients -- use median(|HH|) / 0.6745",
     lambda im: np.std(_bands(im)[2])),
    ("you forgot the absolute value: the median of the signed coefficients is close to 0",
     lambda im: np.median(_bands(im)[2]) / classical.MAD_FACTOR),
    ("you used a horizontal or vertical detail band; use the diagonal band HH (cD of pywt.dwt2)",
     lambda im: np.median(np.abs(_bands(im)[0])) / classical.MAD_FACTOR),
    ("you used a horizontal or vertical detail band; use the diagonal band HH (cD of pywt.dwt2)",
     lambda im: np.median(np.abs(_bands(im)[1])) / classical.MAD_FACTOR),
    ("your Haar transform is not orthonormal: the 2x2 combinations (a - b - c + d) must be divided by 2",
     lambda im: 2 * np.median(np.abs(_bands(im)[2])) / classical.MAD_FACTOR),
    ("your Haar transform is not orthonormal: the 2x2 combinations (a - b - c + d) must be divided by 2, not 4",
     lambda im: 0.5 * np.median(np.abs(_bands(im)[2])) / classical.MAD_FACTOR),
]


def _test_image(h: int, w: int, seed: int, sigma: float) -> np.ndarray:
    """A piecewise-smooth image with strong horizontal and vertical edges plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:h, 0:w] / max(h, w)
    clean = 0.3 + 0.3 * rows + 0.4 * ((rows * 7).astype(int) % 2) + 0.2 * (cols > 0.55)
    return clean + sigma * rng.standard_normal((h, w))


def check_estimate_noise_sigma(estimate_noise_sigma: Callable[[np.ndarray], float]) -> None:
    """Exercise 4.1: compare the student's MAD estimate with the reference on three images."""
    cases = [
        Case("pure noise, sigma = 0.1, 64x64", (0.5 + 0.1 * np.random.default_rng(1).standard_normal((64, 64)),)),
        Case("striped image + noise sigma = 0.05, 96x128", (_test_image(96, 128, 2, 0.05),)),
        Case("striped image + noise sigma = 0.2, 80x80", (_test_image(80, 80, 3, 0.2),)),
    ]

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        return matching_mistakes(_MAD_MISTAKES, case, got, rtol=1e-3, atol=1e-9) or (
            "take the diagonal band of one orthonormal Haar level, hh = pywt.dwt2(image, 'db1')[1][2], "
            "and return median(|hh|) / 0.6745")

    compare_cases(copied_args(estimate_noise_sigma), estimate_noise_sigma_reference, cases, EX_MAD,
                  rtol=1e-3, atol=1e-9, diagnose=diagnose)


# --------------------------------------------------------------------------- Exercise 4.2: soft thresholding

EX_SOFT = "Exercise 4.2"


def soft_threshold_reference(c: np.ndarray, t: float) -> np.ndarray:
    """``sign(c) max(|c| - t, 0)``."""
    return classical.soft_threshold(c, t)


_SOFT_MISTAKES: list[Mistake] = [
    ("soft thresholding must shrink the survivors by the threshold: you kept them unchanged (that is hard thresholding)",
     lambda c, t: np.where(np.abs(c) > t, c, 0.0)),
    ("negative coefficients are wrong: max(c - t, 0) kills them all; use sign(c) * max(|c| - t, 0)",
     lambda c, t: np.maximum(c - t, 0.0)),
    ("you lost the sign: multiply max(|c| - t, 0) by sign(c)",
     lambda c, t: np.maximum(np.abs(c) - t, 0.0)),
    ("you returned what thresholding removes, c - soft(c) = clip(c, -t, t)",
     lambda c, t: np.clip(c, -t, t)),
    ("wrong sign: the shrinkage moves coefficients towards zero, sign(c) * max(|c| - t, 0), not away from it",
     lambda c, t: np.where(np.abs(c) > t, c + t * np.sign(c), 0.0)),
]


def _threshold_cases() -> list[Case]:
    rng = np.random.default_rng(4)
    return [
        Case("c = [-3, -1, -0.5, 0, 0.2, 1.5, 4], t = 1", (np.array([-3.0, -1.0, -0.5, 0.0, 0.2, 1.5, 4.0]), 1.0)),
        Case("random 5x6 array, t = 0.7", (rng.normal(size=(5, 6)), 0.7)),
        Case("t = 0 (nothing changes)", (np.array([-2.0, 0.3, 5.0]), 0.0)),
        Case("t larger than every |c|", (np.array([[-0.4, 0.1], [0.25, -0.05]]), 1.0)),
    ]


def check_soft_threshold(soft_threshold: Callable[[np.ndarray, float], np.ndarray]) -> None:
    """Exercise 4.2: compare the student's soft thresholding with ``sign(c) max(|c| - t, 0)``."""
    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        return matching_mistakes(_SOFT_MISTAKES, case, got, rtol=1e-9, atol=1e-12)

    compare_cases(copied_args(soft_threshold), soft_threshold_reference, _threshold_cases(), EX_SOFT,
                  rtol=1e-9, atol=1e-12, diagnose=diagnose)


# --------------------------------------------------------------------------- Exercise 4.3: hard thresholding

EX_HARD = "Exercise 4.3"


def hard_threshold_reference(c: np.ndarray, t: float) -> np.ndarray:
    """``c`` where ``|c| > t``, else 0."""
    return classical.hard_threshold(c, t)


_HARD_MISTAKES: list[Mistake] = [
    ("hard thresholding keeps the survivors unchanged: you shrank them by t (that is soft thresholding)",
     lambda c, t: np.sign(c) * np.maximum(np.abs(c) - t, 0.0)),
    ("compare |c| with t: c > t kills every negative coefficient, however large",
     lambda c, t: np.where(c > t, c, 0.0)),
    ("return the coefficients that survive, not the 0/1 mask |c| > t",
     lambda c, t: (np.abs(c) > t).astype(float)),
    ("you kept the small coefficients and killed the large ones: the test is |c| > t",
     lambda c, t: np.where(np.abs(c) <= t, c, 0.0)),
]


def check_hard_threshold(hard_threshold: Callable[[np.ndarray, float], np.ndarray]) -> None:
    """Exercise 4.3: compare the student's hard thresholding with ``c [|c| > t]``."""
    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        return matching_mistakes(_HARD_MISTAKES, case, got, rtol=1e-9, atol=1e-12)

    compare_cases(copied_args(hard_threshold), hard_threshold_reference, _threshold_cases(), EX_HARD,
                  rtol=1e-9, atol=1e-12, diagnose=diagnose)


# --------------------------------------------------------------------------- Exercise 4.4: divergence

EX_DIV = "Exercise 4.4"


def divergence_reference(p: np.ndarray) -> np.ndarray:
    """The divergence of a field ``p`` of shape ``(2, H, W)`` (``p[0]``: rows, ``p[1]``: columns)."""
    return tv.divergence(torch.from_numpy(np.asarray(p, dtype=np.float64))[None, None])[0, 0].numpy()


def _gradient(x: np.ndarray) -> np.ndarray:
    return tv.gradient(torch.from_numpy(x)[None, None])[0, 0].numpy()


def _div_periodic(p: np.ndarray) -> np.ndarray:
    return p[0] - np.roll(p[0], 1, axis=0) + p[1] - np.roll(p[1], 1, axis=1)


def _div_interior_only(p: np.ndarray) -> np.ndarray:
    d = np.zeros(p.shape[1:])
    d[1:, :] += p[0, 1:, :] - p[0, :-1, :]
    d[:, 1:] += p[1, :, 1:] - p[1, :, :-1]
    return d


def _div_forward(p: np.ndarray) -> np.ndarray:
    d = np.zeros(p.shape[1:])
    d[:-1, :] += p[0, 1:, :] - p[0, :-1, :]
    d[:, :-1] += p[1, :, 1:] - p[1, :, :-1]
    return d


_DIV_MISTAKES: list[Mistake] = [
    ("wrong sign: you computed the adjoint grad^T p; the divergence is its negative, div = -grad^T",
     lambda p: -divergence_reference(p)),
    ("the axes are swapped: p[0] holds the row (vertical) differences and p[1] the column differences",
     lambda p: divergence_reference(p[::-1].copy())),
    ("periodic boundary (np.roll): the gradient is zero across the last row/column (no wrap-around), so the "
     "divergence must use p[0][i] - p[0][i-1] inside, p[0][0] on the first row and -p[0][H-2] on the last",
     _div_periodic),
    ("boundary rows/columns are wrong: use p[0][0] on the first row and -p[0][H-2] on the last "
     "(and the same for columns) so that <grad x, p> = -<x, div p> holds exactly",
     _div_interior_only),
    ("you used forward differences of p; the divergence uses backward differences, p[i] - p[i-1]",
     _div_forward),
]


def check_divergence(divergence: Callable[[np.ndarray], np.ndarray]) -> None:
    """Exercise 4.4: the student's divergence must equal the reference, i.e. ``<grad x, p> = -<x, div p>``."""
    rng = np.random.default_rng(5)
    cases = [
        Case("random field 2x4x5", (rng.normal(size=(2, 4, 5)),)),
        Case("random field 2x7x3", (rng.normal(size=(2, 7, 3)),)),
        Case("gradient of a ramp image 2x6x6", (_gradient(np.add.outer(np.arange(6.0), 2 * np.arange(6.0))),)),
    ]

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        hint = matching_mistakes(_DIV_MISTAKES, case, got, rtol=1e-9, atol=1e-12)
        if hint is None and got.shape == expected.shape:
            p = case.args[0]
            x = np.random.default_rng(6).normal(size=got.shape)
            lhs, rhs = float((_gradient(x) * p).sum()), float(-(x * got).sum())
            hint = f"the adjoint identity <grad x, p> = -<x, div p> fails ({lhs:.4f} vs {rhs:.4f}) for a random x"
        return hint

    compare_cases(copied_args(divergence), divergence_reference, cases, EX_DIV, rtol=1e-9, atol=1e-12,
                  diagnose=diagnose)
