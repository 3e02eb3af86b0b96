"""The exercise checks of chapter 01: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 1.1 gaussian_map, 1.2 jl_dimension, 1.3 max_pairwise_distortion,
1.4 estimate_success_probability.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from exercise_helpers import ExerciseSuite, expect_failure

from course_lib.checks import ch01

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "01_johnson_lindenstrauss.py"

CHECKS = {
    "gaussian_map": ch01.check_gaussian_map,
    "jl_dimension": ch01.check_jl_dimension,
    "max_pairwise_distortion": ch01.check_max_pairwise_distortion,
    "estimate_success_probability": ch01.check_estimate_success_probability,
}
REFERENCES = {name: getattr(ch01, f"reference_{name}") for name in CHECKS}
NUMBERS = {"gaussian_map": "1.1", "jl_dimension": "1.2", "max_pairwise_distortion": "1.3",
           "estimate_success_probability": "1.4"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 1.1
def _gauss(X, k, rng, scale):
    X = np.asarray(X, dtype=float)
    return X @ rng.standard_normal((k, X.shape[1])).T * scale(k, X.shape[1])


WRONG_MAPS = {
    "no normalisation": (lambda X, k, rng: _gauss(X, k, rng, lambda k, d: 1.0), ["1/sqrt(k)"]),
    "divided by k": (lambda X, k, rng: _gauss(X, k, rng, lambda k, d: 1.0 / k), ["divided by k"]),
    "divided by sqrt(d)": (lambda X, k, rng: _gauss(X, k, rng, lambda k, d: 1.0 / math.sqrt(d)), ["sqrt(d)"]),
    "ignores rng": (lambda X, k, rng: _gauss(X, k, np.random.default_rng(0), lambda k, d: k**-0.5),
                    ["ignores its rng"]),
    "global numpy state": (lambda X, k, rng: np.asarray(X) @ np.random.standard_normal((k, np.shape(X)[1])).T
                           / math.sqrt(k), ["same seed gave different maps"]),
    "points as columns": (lambda X, k, rng: _gauss(X, k, rng, lambda k, d: k**-0.5).T, ["points as columns"]),
    "uniform entries": (lambda X, k, rng: np.asarray(X) @ rng.random((k, np.shape(X)[1])).T / math.sqrt(k),
                        ["expected 1", "uniform"]),
    "random signs": (lambda X, k, rng: np.asarray(X) @ rng.choice([-1.0, 1.0], size=(k, np.shape(X)[1])).T
                     / math.sqrt(k), ["variance", "2/k"]),
    "new matrix per point": (lambda X, k, rng: np.stack([rng.standard_normal((k, len(x))) @ x / math.sqrt(k)
                                                         for x in np.asarray(X)]), ["linearity"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_MAPS))
def test_wrong_gaussian_map_fails(mistake):
    fn, words = WRONG_MAPS[mistake]
    expect_failure(ch01.check_gaussian_map, fn, "Exercise 1.1", *words)


# --------------------------------------------------------------------------- Exercise 1.2
WRONG_BOUNDS = {
    "log10": (lambda n, e: math.ceil(24 * math.log10(n) / (3 * e**2 - 2 * e**3)), ["log base 10"]),
    "log2": (lambda n, e: math.ceil(24 * math.log2(n) / (3 * e**2 - 2 * e**3)), ["log base 2"]),
    "sign": (lambda n, e: math.ceil(24 * math.log(n) / (3 * e**2 + 2 * e**3)), ["sign error", "minus"]),
    "floor": (lambda n, e: math.floor(24 * math.log(n) / (3 * e**2 - 2 * e**3)), ["rounded down", "math.ceil"]),
    "no rounding": (lambda n, e: 24 * math.log(n) / (3 * e**2 - 2 * e**3), ["smallest integer", "math.ceil"]),
    "nearest": (lambda n, e: round(24 * math.log(n) / (3 * e**2 - 2 * e**3)), ["nearest integer"]),
    "off by one": (lambda n, e: math.ceil(24 * math.log(n) / (3 * e**2 - 2 * e**3)) + 1, ["expected"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_BOUNDS))
def test_wrong_jl_dimension_fails(mistake):
    fn, words = WRONG_BOUNDS[mistake]
    expect_failure(ch01.check_jl_dimension, fn, "Exercise 1.2", "case n=", *words)


# --------------------------------------------------------------------------- Exercise 1.3
def _ratios(X, Y):
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    i, j = np.triu_indices(len(X), k=1)
    return np.sum((Y[i] - Y[j]) ** 2, axis=1) / np.sum((X[i] - X[j]) ** 2, axis=1), i, j


def _with_diagonal(X, Y):
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    dx = ((X[:, None] - X[None]) ** 2).sum(-1)
    dy = ((Y[:, None] - Y[None]) ** 2).sum(-1)
    with np.errstate(invalid="ignore"):
        return float(np.max(np.abs(dy / dx - 1)))


def _with_diagonal_zeroed(X, Y):
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    dx = ((X[:, None] - X[None]) ** 2).sum(-1)
    dy = ((Y[:, None] - Y[None]) ** 2).sum(-1)
    with np.errstate(invalid="ignore"):
        return float(np.max(np.abs(np.nan_to_num(dy / dx) - 1)))


def _skip_last(X, Y):
    n = len(X)
    worst = 0.0
    for a in range(n):
        for b in range(a + 1, n - 1):                       # off by one: misses the pairs with the last point
            dx = np.sum((np.asarray(X[a]) - X[b]) ** 2)
            dy = np.sum((np.asarray(Y[a]) - Y[b]) ** 2)
            worst = max(worst, abs(dy / dx - 1))
    return worst


WRONG_DISTORTIONS = {
    "distances not squared": (lambda X, Y: float(np.max(np.abs(np.sqrt(_ratios(X, Y)[0]) - 1))),
                              ["not squared distances"]),
    "stretched pairs only": (lambda X, Y: float(np.max(_ratios(X, Y)[0]) - 1), ["shrunk pairs count too"]),
    "largest ratio": (lambda X, Y: float(np.max(_ratios(X, Y)[0])), ["largest |ratio - 1|"]),
    "upside down": (lambda X, Y: float(np.max(np.abs(1 / _ratios(X, Y)[0] - 1))), ["upside down"]),
    "mean": (lambda X, Y: float(np.mean(np.abs(_ratios(X, Y)[0] - 1))), ["averaged", "maximum"]),
    "includes i = j (NaN)": (_with_diagonal, ["i = j", "0/0"]),
    "includes i = j (zeroed)": (_with_diagonal_zeroed, ["i = j"]),
    "skips the last point": (_skip_last, ["last point"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_DISTORTIONS))
def test_wrong_max_pairwise_distortion_fails(mistake):
    fn, words = WRONG_DISTORTIONS[mistake]
    expect_failure(ch01.check_max_pairwise_distortion, fn, "Exercise 1.3", *words)


# --------------------------------------------------------------------------- Exercise 1.4
def _success(rule, scale=lambda k: 1 / math.sqrt(k), fresh=True, seeded=True):
    """A family of estimators: `rule(ratio)` says whether a draw succeeds.

    ``seeded=False`` ignores the seed and draws from one generator shared by all calls (like
    NumPy's global state), which keeps the test deterministic.
    """
    shared = np.random.default_rng(123)

    def estimate(X, k, eps, trials, seed):
        rng = np.random.default_rng(seed) if seeded else shared
        X = np.asarray(X, float)
        i, j = np.triu_indices(len(X), k=1)
        before = np.sum((X[i] - X[j]) ** 2, axis=1)
        M = rng.standard_normal((k, X.shape[1]))
        wins = 0
        for _ in range(trials):
            if fresh:
                M = rng.standard_normal((k, X.shape[1]))
            Y = X @ M.T * scale(k)
            wins += bool(rule(np.sum((Y[i] - Y[j]) ** 2, axis=1) / before, eps))
        return wins / trials
    return estimate


WRONG_SUCCESS = {
    "failure rate": (lambda *a: 1 - ch01.reference_estimate_success_probability(*a), ["failure rate"]),
    "upper tail only": (_success(lambda r, e: np.all(r <= 1 + e)), ["ratio <= 1 + eps"]),
    "distances not squared": (_success(lambda r, e: np.all(np.abs(np.sqrt(r) - 1) <= e)),
                              ["not squared distances"]),
    "any instead of all": (_success(lambda r, e: np.any(np.abs(r - 1) <= e)), ["all"]),
    "same matrix every trial": (_success(lambda r, e: np.all(np.abs(r - 1) <= e), fresh=False),
                                ["NEW matrix"]),
    "no 1/sqrt(k)": (_success(lambda r, e: np.all(np.abs(r - 1) <= e), scale=lambda k: 1.0),
                     ["1/sqrt(k)"]),
    "seed ignored": (_success(lambda r, e: np.all(np.abs(r - 1) <= e), seeded=False), ["same seed", "default_rng"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_SUCCESS))
def test_wrong_estimate_success_probability_fails(mistake):
    fn, words = WRONG_SUCCESS[mistake]
    expect_failure(ch01.check_estimate_success_probability, fn, "Exercise 1.4", *words)


def test_estimate_returning_an_array_is_refused():
    expect_failure(ch01.check_estimate_success_probability, lambda X, k, eps, trials, seed: np.zeros(3),
                   "Exercise 1.4", "return one number")
