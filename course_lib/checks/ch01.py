"""Checks of the exercises of chapter 01 (random projections and the Johnson-Lindenstrauss lemma).

Each ``check_*`` calls the student's function on inputs of its own (never on notebook
state), compares with the course's reference and fails with an
:class:`~course_lib.checks.ExerciseFailure` whose message names the case and, where it
recognises it, the mistake. Every check finishes in well under 2 s.

* Exercise 1.1 -- :func:`check_gaussian_map` (the Gaussian map ``X @ (M / sqrt(k)).T``);
* Exercise 1.2 -- :func:`check_jl_dimension` (the smallest ``k`` of the lemma);
* Exercise 1.3 -- :func:`check_max_pairwise_distortion` (``max_{i<j} |ratio - 1|``);
* Exercise 1.4 -- :func:`check_estimate_success_probability` (a Monte Carlo estimate).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

from . import Case, as_array, call_student, compare_cases, fail

__all__ = [
    "check_gaussian_map",
    "check_jl_dimension",
    "check_max_pairwise_distortion",
    "check_estimate_success_probability",
    "reference_gaussian_map",
    "reference_jl_dimension",
    "reference_max_pairwise_distortion",
    "reference_estimate_success_probability",
]


def _one_blas_thread(check: Callable[..., None]) -> Callable[..., None]:
    """Run a check (and the student's code in it) with one BLAS thread: the many small
    matrix products of these checks are much faster that way on a busy 2-core machine."""

    @functools.wraps(check)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        with threadpool_limits(limits=1, user_api="blas"):
            check(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- references
def reference_gaussian_map(X: Any, k: int, rng: np.random.Generator) -> np.ndarray:
    """Exercise 1.1: map the rows of ``X`` (shape ``(n, d)``) with ``A = M / sqrt(k)``, ``M_ij ~ N(0, 1)``."""
    X = np.asarray(X, dtype=np.float64)
    M = rng.standard_normal((k, X.shape[1]))
    return X @ M.T / math.sqrt(k)


def reference_jl_dimension(n: int, eps: float) -> int:
    """Exercise 1.2: the smallest integer ``k >= 24 ln n / (3 eps^2 - 2 eps^3)``."""
    return int(math.ceil(24.0 * math.log(n) / (3.0 * eps**2 - 2.0 * eps**3)))


def _pair_ratios(X: Any, Y: Any) -> np.ndarray:
    """Ratios of squared distances of the pairs i < j (row-major order of the pairs)."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    i, j = np.triu_indices(X.shape[0], k=1)
    return np.sum((Y[i] - Y[j]) ** 2, axis=1) / np.sum((X[i] - X[j]) ** 2, axis=1)


def reference_max_pairwise_distortion(X: Any, Y: Any) -> float:
    """Exercise 1.3: ``max_{i<j} | ||y_i - y_j||^2 / ||x_i - x_j||^2 - 1 |``."""
    return float(np.max(np.abs(_pair_ratios(X, Y) - 1.0)))


def reference_estimate_success_probability(X: Any, k: int, eps: float, trials: int, seed: int) -> float:
    """Exercise 1.4: the fraction of ``trials`` independent Gaussian maps that keep all pairs within ``eps``."""
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=np.float64)
    successes = 0
    for _ in range(trials):
        Y = X @ rng.standard_normal((k, X.shape[1])).T / math.sqrt(k)
        if reference_max_pairwise_distortion(X, Y) <= eps:
            successes += 1
    return successes / trials


# --------------------------------------------------------------------------- Exercise 1.1
@_one_blas_thread
def check_gaussian_map(gaussian_map: Callable[..., Any]) -> None:
    """Check Exercise 1.1 statistically.

    Cases: the output shape; that the function draws its matrix from ``rng`` (different
    seeds give different maps, equal seeds equal maps); linearity; and, over 150 maps of
    40 orthogonal vectors (6,000 ratios ``||Ax||^2 / ||x||^2``, which are independent
    ``chi^2_8 / 8`` variables for a correct map), a mean of 1 (within 0.06) and a variance
    of ``2/k = 0.25`` (within 15 %).
    """
    ex = "Exercise 1.1"
    X = np.random.default_rng(0).standard_normal((5, 12))
    got = as_array(call_student(gaussian_map, Case("shape", (X, 3, np.random.default_rng(1))), ex))
    if got.shape != (5, 3):
        hint = ""
        if got.shape == (3, 5):
            hint = " You returned A @ X (points as columns); the points are the rows of X: return X @ A.T."
        elif got.shape == (3, 12) or got.shape == (12, 3):
            hint = " You returned the matrix itself; return the projected points X @ A.T."
        fail(ex, f"case shape: 5 points in R^12 mapped to k = 3 must give shape (5, 3), got {got.shape}.{hint}")

    def run(seed: int, data: np.ndarray = X, k: int = 3) -> np.ndarray:
        return as_array(call_student(gaussian_map, Case(f"seed {seed}", (data, k, np.random.default_rng(seed))), ex))

    a, b, c = run(2), run(2), run(3)
    if np.allclose(a, c):
        fail(ex, "case rng: two different generators gave the same map. Your function ignores its rng "
                 "argument (or re-seeds a generator inside); draw the matrix with rng.standard_normal((k, d)).")
    if not np.allclose(a, b):
        fail(ex, "case rng: two generators with the same seed gave different maps. Draw every random number "
                 "from the rng argument (rng.standard_normal), not from np.random or torch.")
    base = np.random.default_rng(4).standard_normal((2, 12))
    lin = np.vstack([base, base[0] + base[1], 2.0 * base[0]])
    out = run(5, lin)
    if not (np.allclose(out[2], out[0] + out[1]) and np.allclose(out[3], 2.0 * out[0])):
        fail(ex, "case linearity: the images of x, y, x + y and 2x are not A x, A y, A x + A y and 2 A x. "
                 "Use one matrix for all rows (draw it once, outside any loop over points) and no nonlinearity.")

    # Statistics: rows of D are orthogonal, so for a correct map the 40 ratios of one draw are
    # independent chi^2_k / k variables; 150 draws give 6,000 of them.
    k, d, draws = 8, 40, 150
    norms = np.linspace(0.5, 3.0, d)
    D = np.diag(norms)
    ratios = np.concatenate([np.sum(run(100 + s, D, k) ** 2, axis=1) / norms**2 for s in range(draws)])
    mean, var = float(np.mean(ratios)), float(np.var(ratios))
    if abs(mean - 1.0) > 0.06:
        for factor, words in ((k, "you forgot the factor 1/sqrt(k): A must be M / sqrt(k), not M"),
                              (1.0 / k, "you divided by k; divide M by sqrt(k) so that E||Ax||^2 = ||x||^2"),
                              (k / d, "you divided by sqrt(d); the scale is 1/sqrt(k), k the target dimension"),
                              (1.0 / 3.0, "your entries have variance 1/3: are they uniform on [0, 1) or [-1, 1)? "
                                          "Use standard normal entries (rng.standard_normal)"),
                              (1.0 / (3.0 * k), "your entries look uniform and scaled by 1/sqrt(k): use "
                                                "rng.standard_normal")):
            if abs(mean - factor) < 0.15 * factor:
                fail(ex, f"case statistics: the mean of ||Ax||^2 / ||x||^2 over 6,000 draws is {mean:.4g}, "
                         f"expected 1 (E||Ax||^2 = ||x||^2). Hint: {words}.")
        fail(ex, f"case statistics: the mean of ||Ax||^2 / ||x||^2 over 6,000 draws is {mean:.4g}, expected 1 "
                 "(E||Ax||^2 = ||x||^2). Check the scale: A = M / sqrt(k) with M_ij ~ N(0, 1).")
    if abs(var - 2.0 / k) > 0.15 * 2.0 / k:
        fail(ex, f"case statistics: the variance of ||Ax||^2 / ||x||^2 is {var:.4g}, expected 2/k = {2 / k:.4g} "
                 "(a chi^2_k / k variable). The mean is right, so the scale is right but the entries are not "
                 "independent standard normals (signs or uniform entries give another variance; a repeated "
                 "matrix gives correlated draws).")
    print(f"{ex}: all cases pass (shape, rng, linearity; mean {mean:.3f} ~ 1, variance {var:.3f} ~ 2/k = {2 / k:.3f}).")


# --------------------------------------------------------------------------- Exercise 1.2
_BOUND_CASES = [(2, 0.5), (10, 0.1), (100, 0.25), (1000, 0.2), (10_000, 0.3), (1_000_000, 0.5), (500, 0.9)]


def _bound_guesses(n: int, eps: float) -> list[tuple[float, str]]:
    """Typical wrong answers of Exercise 1.2 for one case, each with the words that name the mistake."""
    den = 3 * eps**2 - 2 * eps**3
    bound = 24.0 * math.log(n) / den
    return [
        (math.ceil(24.0 * math.log10(n) / den),
         "you used log base 10; the lemma uses the natural logarithm (math.log / np.log)"),
        (math.ceil(24.0 * math.log2(n) / den),
         "you used log base 2; the lemma uses the natural logarithm (math.log / np.log)"),
        (math.ceil(24.0 * math.log(n) / (3 * eps**2 + 2 * eps**3)),
         "sign error in the denominator: it is 3 eps^2 - 2 eps^3 (minus), not plus"),
        (math.floor(bound), "you rounded down; k must be at least the bound, so round up (math.ceil)"),
        (round(bound), "you rounded to the nearest integer; k must be at least the bound, so round up (math.ceil)"),
        (bound, "return the smallest integer k at least the bound: round up with math.ceil"),
        (math.ceil(24.0 * math.log(n) / (3 * eps - 2 * eps**2)),
         "the denominator has eps^2 and eps^3: 3 eps^2 - 2 eps^3"),
        (math.ceil(4.0 * math.log(n) / eps**2), "the bound is 24 ln n / (3 eps^2 - 2 eps^3), not 4 ln n / eps^2"),
    ]


@_one_blas_thread
def check_jl_dimension(jl_dimension: Callable[[int, float], Any]) -> None:
    """Check Exercise 1.2 on a grid of ``(n, eps)``; diagnoses log base, sign, rounding.

    A mistake is named when one typical wrong formula reproduces the student's answers on
    every case (e.g. rounding to the nearest integer agrees with the ceiling on some cases
    and with the floor on others, so it is recognised from all cases together).
    """
    ex = "Exercise 1.2"
    cases = [Case(f"n={n}, eps={eps}", (n, eps)) for n, eps in _BOUND_CASES]
    answers = [as_array(call_student(jl_dimension, case, ex)) for case in cases]
    overall = None
    if all(a.size == 1 and np.isfinite(a).all() for a in answers):
        for index in range(len(_bound_guesses(2, 0.5))):
            if all(abs(float(a) - _bound_guesses(n, eps)[index][0]) < 1e-9
                   for a, (n, eps) in zip(answers, _BOUND_CASES)):
                overall = _bound_guesses(2, 0.5)[index][1]
                break

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        if overall:
            return overall
        for value, words in _bound_guesses(*case.args):
            if abs(float(got) - value) < 1e-9 and abs(float(got) - float(expected)) > 1e-9:
                return words
        return None

    compare_cases(jl_dimension, reference_jl_dimension, cases, ex, rtol=0.0, atol=1e-9, diagnose=diagnose)


# --------------------------------------------------------------------------- Exercise 1.3
def _distortion_cases() -> list[Case]:
    rng = np.random.default_rng(13)
    X = rng.standard_normal((6, 4))
    cases = [
        Case("stretched copy Y = 2X (every ratio is 4)", (X, 2.0 * X)),
        Case("shrunk copy Y = X/2 (every ratio is 1/4)", (X, 0.5 * X)),
    ]
    # A Gaussian projection to k = 3 of 8 points in R^20 (ratios on both sides of 1).
    P = rng.standard_normal((8, 20))
    cases.append(Case("Gaussian map R^20 -> R^3", (P, P @ rng.standard_normal((3, 20)).T / math.sqrt(3))))
    # The worst pair is the last one, (n-2, n-1): it is shrunk by a factor 5.
    Q = np.vstack([np.eye(5) * 3.0, 3.0 * np.eye(5)[4] + np.array([0.0, 0.0, 0.0, 1.0, 0.0])])
    R = Q.copy()
    R[5] = R[4] + (Q[5] - Q[4]) / math.sqrt(5.0)
    cases.append(Case("worst pair is the last pair", (Q, R)))
    return cases


def _distortion_variants(X: np.ndarray, Y: np.ndarray) -> list[tuple[float, str]]:
    r = _pair_ratios(X, Y)
    n = X.shape[0]
    i, j = np.triu_indices(n, k=1)
    true = float(np.max(np.abs(r - 1)))
    return [
        (float(np.max(np.abs(np.sqrt(r) - 1))),
         "you compared distances, not squared distances; the lemma bounds ||Ax_i - Ax_j||^2 / ||x_i - x_j||^2"),
        (float(np.max(r) - 1), "you only looked at stretched pairs (max ratio - 1); shrunk pairs count too: "
                               "take the maximum of |ratio - 1|"),
        (float(np.max(r)), "you returned the largest ratio; return the largest |ratio - 1|"),
        (float(np.max(np.abs(1 / r - 1))), "your ratio is upside down: divide the distance after the map "
                                          "by the distance before it"),
        (float(np.mean(np.abs(r - 1))), "you averaged over the pairs; take the maximum"),
        (max(true, 1.0), "you included the pairs i = j (a point with itself) and turned 0/0 into 0; use i < j only"),
        (float(np.max(np.abs(r[j < n - 1] - 1))) if np.any(j < n - 1) else float("nan"),
         "you skipped the pairs with the last point: let j run up to n - 1 (range(i + 1, n))"),
        (float(np.max(np.abs(r[i > 0] - 1))) if np.any(i > 0) else float("nan"),
         "you skipped the pairs with the first point: let i start at 0"),
    ]


@_one_blas_thread
def check_max_pairwise_distortion(max_pairwise_distortion: Callable[[Any, Any], Any]) -> None:
    """Check Exercise 1.3; diagnoses non-squared distances, one-sided maxima, i = j, skipped pairs."""
    ex = "Exercise 1.3"
    cases = _distortion_cases()
    for case in cases:
        got = as_array(call_student(max_pairwise_distortion, case, ex))
        if got.size == 1 and not np.isfinite(got).all():
            fail(ex, f"case {case.name}: your answer is {got.reshape(-1)[0]}. You probably included the pairs "
                     "i = j: a point and itself have distance 0 before and after the map, and 0/0 is NaN. "
                     "Use only the pairs i < j.")

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        if got.size != 1:
            return None
        for value, words in _distortion_variants(*case.args):
            if np.isfinite(value) and abs(float(got) - value) <= 1e-6 * max(1.0, abs(value)) \
                    and abs(value - float(expected)) > 1e-6:
                return words
        return None

    compare_cases(max_pairwise_distortion, reference_max_pairwise_distortion, cases, ex, rtol=1e-6, atol=1e-9,
                  diagnose=diagnose)


# --------------------------------------------------------------------------- Exercise 1.4
_SUCCESS_POINTS_SEED = 11
_SUCCESS_REF_TRIALS = 2000


def _success_variants(X: np.ndarray, k: int, eps: float, trials: int, seed: int) -> dict[str, float]:
    """Monte Carlo success probabilities of the correct rule and of typical wrong rules (same draws)."""
    rng = np.random.default_rng(seed)
    Xc = X - X.mean(axis=0)
    # Rotation invariance: the Gaussian map of X has the law of a Gaussian map of U S (thin SVD).
    U, S, _ = np.linalg.svd(Xc, full_matrices=False)
    W = U * S
    i, j = np.triu_indices(X.shape[0], k=1)
    dW = W[i] - W[j]                                        # (pairs, r)
    base = np.sum(dW**2, axis=1)
    M = rng.standard_normal((trials, k, W.shape[1]))
    G = np.matmul(M.transpose(0, 2, 1), M)                   # M^T M per trial, (trials, r, r)
    quad = np.sum(dW.T[None] * np.matmul(G, dW.T[None]), axis=1)  # v^T M^T M v, (trials, pairs)
    r = quad / k / base                                      # ratios ||M v||^2 / (k ||v||^2)
    return {
        "correct": float(np.mean(np.all(np.abs(r - 1) <= eps, axis=1))),
        "upper": float(np.mean(np.all(r <= 1 + eps, axis=1))),
        "lower": float(np.mean(np.all(r >= 1 - eps, axis=1))),
        "distances": float(np.mean(np.all(np.abs(np.sqrt(r) - 1) <= eps, axis=1))),
        "any": float(np.mean(np.any(np.abs(r - 1) <= eps, axis=1))),
        "no_scale": float(np.mean(np.all(np.abs(k * r - 1) <= eps, axis=1))),
    }


@_one_blas_thread
def check_estimate_success_probability(estimate_success_probability: Callable[..., Any]) -> None:
    """Check Exercise 1.4 against a 2,000-draw reference estimate (4.5 standard errors of slack).

    Cases: 10 points in ``R^30`` with ``eps = 0.3`` and ``k = 100`` (probability about 0.31)
    and ``k = 150`` (about 0.71), 500 trials each; ``k = 2000`` (probability 1) and
    ``k = 1`` (probability 0); and reproducibility (three calls with one seed). A wrong answer is
    compared with the answers of typical wrong rules (failure rate, one tail only,
    distances instead of squared distances, "any" instead of "all", no ``1/sqrt(k)``,
    one matrix reused in every trial) to name the mistake.
    """
    ex = "Exercise 1.4"
    X = np.random.default_rng(_SUCCESS_POINTS_SEED).standard_normal((10, 30))
    eps = 0.3

    def run(k: int, trials: int, seed: int, name: str) -> float:
        got = as_array(call_student(estimate_success_probability, Case(name, (X, k, eps, trials, seed)), ex))
        if got.size != 1:
            fail(ex, f"case {name}: return one number (a probability), got an array of shape {got.shape}")
        value = float(got.reshape(-1)[0])
        if not np.isfinite(value) or not 0.0 <= value <= 1.0:
            fail(ex, f"case {name}: a probability lies in [0, 1], got {value}. Return successes / trials.")
        return value

    for k, seed in ((100, 3), (150, 4)):
        trials = 500
        name = f"k = {k}, {trials} trials"
        got = run(k, trials, seed, name)
        ref = _success_variants(X, k, eps, _SUCCESS_REF_TRIALS, 1000 + k)
        p = ref["correct"]
        tol = 4.5 * math.sqrt(max(p * (1 - p), 0.01) * (1 / trials + 1 / _SUCCESS_REF_TRIALS)) + 0.01
        if abs(got - p) <= tol:
            continue
        hint = None
        if got in (0.0, 1.0):
            # One matrix reused in every trial gives 0 or 1 for every seed, but not always the same one.
            answers = {run(k, 20, 50 + s, f"k = {k}, 20 trials, seed {50 + s}") for s in range(12)}
            if answers == {0.0, 1.0}:
                hint = ("every call gave 0 or 1: all trials used the same matrix. Draw a NEW matrix in every "
                        "trial from one generator rng = np.random.default_rng(seed) created once, before the loop")
        if hint is None:
            matches = []
            for key, words in (
                ("failure", "you returned the failure rate 1 - p; return the fraction of successful draws"),
                ("upper", "you only checked ratio <= 1 + eps; shrunk pairs (ratio < 1 - eps) fail too"),
                ("lower", "you only checked ratio >= 1 - eps; stretched pairs fail too"),
                ("distances", "you compared distances, not squared distances"),
                ("any", "a draw succeeds only when ALL pairs are within eps (use all, not any)"),
                ("no_scale", "almost no draw succeeds: you probably forgot the factor 1/sqrt(k) in A = M / sqrt(k)"),
            ):
                value = 1 - p if key == "failure" else ref[key]
                if abs(got - value) <= tol and abs(value - p) > tol:
                    matches.append(words)
            if matches:
                hint = " -- or ".join(matches) if len(matches) < 3 else None
        fail(ex, f"case {name}: expected a probability near {p:.3f} (tolerance {tol:.3f}), got {got:.3f}"
                 + (f". Hint: {hint.rstrip('.?')}." if hint else "."))
    easy = run(2000, 20, 1, "k = 2000 (every draw succeeds)")
    if easy < 0.99:
        fail(ex, f"case k = 2000: with k = 2000 and eps = 0.3 every draw keeps all pairs within eps "
                 f"(probability 1), got {easy:.3g}. Hint: check the scale 1/sqrt(k), that you compare squared "
                 "distances, and that you return the fraction of successes.")
    hard = run(1, 50, 2, "k = 1 (no draw succeeds)")
    if hard > 0.01:
        fail(ex, f"case k = 1: a map to one dimension never keeps all 45 pairs within eps = 0.3 "
                 f"(probability 0), got {hard:.3g}. Hint: a draw succeeds only when EVERY pair is within eps "
                 "(use all, not any), and the ratio must satisfy |ratio - 1| <= eps on both sides.")
    again = [run(120, 50, 9, "same seed three times") for _ in range(3)]
    if len(set(again)) > 1:
        fail(ex, f"case same seed three times: three calls with seed = 9 gave different estimates {again}; "
                 "draw every random number from np.random.default_rng(seed).")
    print(f"{ex}: all cases pass.")
