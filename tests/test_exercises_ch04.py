"""The exercise checks of chapter 04: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 4.1 estimate_noise_sigma, 4.2 soft_threshold, 4.3 hard_threshold, 4.4 divergence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pywt

from exercise_helpers import ExerciseSuite, expect_failure, quiet

from course_lib.checks import ch04

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "04_classical_denoising.py"

CHECKS = {
    "estimate_noise_sigma": ch04.check_estimate_noise_sigma,
    "soft_threshold": ch04.check_soft_threshold,
    "hard_threshold": ch04.check_hard_threshold,
    "divergence": ch04.check_divergence,
}
REFERENCES = {
    "estimate_noise_sigma": ch04.estimate_noise_sigma_reference,
    "soft_threshold": ch04.soft_threshold_reference,
    "hard_threshold": ch04.hard_threshold_reference,
    "divergence": ch04.divergence_reference,
}
NUMBERS = {"estimate_noise_sigma": "4.1", "soft_threshold": "4.2", "hard_threshold": "4.3", "divergence": "4.4"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 4.1: estimate_noise_sigma
def _hh(image):
    return pywt.dwt2(np.asarray(image, dtype=float), "db1")[1]


def _haar_by_hand(scale):
    def estimate(image):
        a, b = image[0::2, 0::2], image[0::2, 1::2]
        c, d = image[1::2, 0::2], image[1::2, 1::2]
        return float(np.median(np.abs((a - b - c + d) * scale)) / 0.6745)
    return estimate


WRONG_MAD = {
    "no 0.6745": (lambda im: float(np.median(np.abs(_hh(im)[2]))), ["forgot to divide by 0.6745"]),
    "times 0.6745": (lambda im: float(np.median(np.abs(_hh(im)[2])) * 0.6745), ["multiplied by 0.6745"]),
    "mean instead of median": (lambda im: float(np.mean(np.abs(_hh(im)[2])) / 0.6745), ["mean of |HH|", "median"]),
    "standard deviation": (lambda im: float(np.std(_hh(im)[2])), ["standard deviation"]),
    "no absolute value": (lambda im: float(np.median(_hh(im)[2]) / 0.6745), ["absolute value"]),
    "horizontal band": (lambda im: float(np.median(np.abs(_hh(im)[0])) / 0.6745), ["diagonal band HH"]),
    "unnormalised Haar": (_haar_by_hand(1.0), ["not orthonormal", "divided by 2"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_MAD))
def test_wrong_noise_estimate_fails(mistake):
    fn, words = WRONG_MAD[mistake]
    expect_failure(ch04.check_estimate_noise_sigma, fn, "Exercise 4.1", "case", *words)


def test_haar_by_hand_with_the_right_normalisation_passes():
    quiet(ch04.check_estimate_noise_sigma, _haar_by_hand(0.5))


# --------------------------------------------------------------------------- Exercise 4.2: soft_threshold
WRONG_SOFT = {
    "hard instead of soft": (lambda c, t: np.where(np.abs(c) > t, c, 0.0),
                             ["must shrink the survivors by the threshold"]),
    "max(c - t, 0)": (lambda c, t: np.maximum(c - t, 0.0), ["negative coefficients"]),
    "lost the sign": (lambda c, t: np.maximum(np.abs(c) - t, 0.0), ["lost the sign"]),
    "returns the removed part": (lambda c, t: np.clip(c, -t, t), ["what thresholding removes"]),
    "wrong sign of the shrinkage": (lambda c, t: np.where(np.abs(c) > t, c + t * np.sign(c), 0.0), ["wrong sign"]),
    "returns a scalar": (lambda c, t: 0.0, ["expected shape"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_SOFT))
def test_wrong_soft_threshold_fails(mistake):
    fn, words = WRONG_SOFT[mistake]
    expect_failure(ch04.check_soft_threshold, fn, "Exercise 4.2", "case", *words)


def test_soft_threshold_check_survives_in_place_updates():
    def in_place(c, t):
        c -= np.clip(c, -t, t)
        return c

    quiet(ch04.check_soft_threshold, in_place)


# --------------------------------------------------------------------------- Exercise 4.3: hard_threshold
WRONG_HARD = {
    "soft instead of hard": (lambda c, t: np.sign(c) * np.maximum(np.abs(c) - t, 0.0), ["keeps the survivors unchanged"]),
    "c > t": (lambda c, t: np.where(c > t, c, 0.0), ["compare |c| with t"]),
    "returns the mask": (lambda c, t: (np.abs(c) > t).astype(float), ["not the 0/1 mask"]),
    "inverted test": (lambda c, t: np.where(np.abs(c) <= t, c, 0.0), ["killed the large ones"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_HARD))
def test_wrong_hard_threshold_fails(mistake):
    fn, words = WRONG_HARD[mistake]
    expect_failure(ch04.check_hard_threshold, fn, "Exercise 4.3", "case", *words)


# --------------------------------------------------------------------------- Exercise 4.4: divergence
def _div_periodic(p):
    return p[0] - np.roll(p[0], 1, axis=0) + p[1] - np.roll(p[1], 1, axis=1)


def _div_np_diff(p):
    """Backward differences with np.diff, prepending zeros but keeping the last row of p0 (off by one)."""
    return np.diff(p[0], axis=0, prepend=0.0) + np.diff(p[1], axis=1, prepend=0.0)


WRONG_DIV = {
    "adjoint instead of divergence (wrong sign)": (lambda p: -ch04.divergence_reference(p), ["wrong sign", "div = -grad^T"]),
    "axes swapped": (lambda p: ch04.divergence_reference(p[::-1].copy()), ["axes are swapped"]),
    "periodic boundary": (_div_periodic, ["periodic boundary"]),
    "forward differences": (lambda p: ch04._div_forward(p), ["backward differences"]),
    "off-by-one at the last row": (_div_np_diff, ["adjoint identity"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_DIV))
def test_wrong_divergence_fails(mistake):
    fn, words = WRONG_DIV[mistake]
    expect_failure(ch04.check_divergence, fn, "Exercise 4.4", "case", *words)
