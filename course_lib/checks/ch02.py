"""Checks of the exercises of chapter 02 (projected stochastic subgradient descent).

Each ``check_*`` calls the student's function on inputs of its own (never on notebook
state), compares with the course's reference and fails with an
:class:`~course_lib.checks.ExerciseFailure` whose message names the case and, where it
recognises it, the mistake. Every check finishes in well under a second.

* Exercise 2.1 -- :func:`check_project_ball` (Euclidean projection onto a ball);
* Exercise 2.2 -- :func:`check_project_box` (Euclidean projection onto a box);
* Exercise 2.3 -- :func:`check_projected_sgd_step` (one step with ``eta_t = 1/(lam t)``);
* Exercise 2.4 -- :func:`check_strongly_convex_bound` (Shamir & Zhang's ``17 G^2 (1 + log T)/(lam T)``).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import Case, as_array, call_student, compare_cases, fail

__all__ = [
    "check_project_ball",
    "check_project_box",
    "check_projected_sgd_step",
    "check_strongly_convex_bound",
    "reference_project_ball",
    "reference_project_box",
    "reference_projected_sgd_step",
    "reference_strongly_convex_bound",
]


# --------------------------------------------------------------------------- references
def reference_project_ball(v: Any, radius: float) -> np.ndarray:
    """Exercise 2.1: the closest point to ``v`` in ``{w : ||w|| <= radius}``."""
    v = np.asarray(v, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return v.copy() if norm <= radius else v * (radius / norm)


def reference_project_box(v: Any, lower: Any, upper: Any) -> np.ndarray:
    """Exercise 2.2: the closest point to ``v`` in ``{w : lower <= w <= upper}`` (coordinatewise clip)."""
    return np.minimum(np.maximum(np.asarray(v, dtype=np.float64), lower), upper)


def reference_projected_sgd_step(w: Any, g: Any, t: int, lam: float, radius: float) -> np.ndarray:
    """Exercise 2.3: ``w_{t+1} = Pi_ball(w_t - g_t / (lam t))``."""
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    return reference_project_ball(w - g / (lam * t), radius)


def reference_strongly_convex_bound(T: Any, G: float, lam: float) -> Any:
    """Exercise 2.4: ``17 G^2 (1 + ln T) / (lam T)``."""
    T = np.asarray(T, dtype=np.float64)
    return 17.0 * G**2 * (1.0 + np.log(T)) / (lam * T)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _check_input_untouched(fn: Callable[..., Any], case: Case, exercise: str, what: str) -> None:
    """Fail when ``fn`` modifies its first argument in place."""
    original = np.array(case.args[0], dtype=np.float64, copy=True)
    arg = np.array(original, copy=True)
    call_student(fn, Case(case.name, (arg,) + tuple(case.args[1:]), case.kwargs), exercise)
    if not np.array_equal(arg, original):
        fail(exercise, f"case {case.name}: your function changed its input {what} in place; "
                       "return a new array (e.g. start from v * scale or np.clip(v, ...), not v *= ...).")


# --------------------------------------------------------------------------- Exercise 2.1
def _diagnose_ball(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
    v, radius = np.asarray(case.args[0], dtype=np.float64), float(case.args[1])
    norm = float(np.linalg.norm(v))
    hints = []
    if norm <= radius:
        if norm > 0 and _close(got, v * radius / norm):
            return ("you scaled by the norm even when it is below the radius: points inside the ball "
                    "must not move (scale only when ||v|| > radius)")
        hints.append("points inside the ball must not move: return v itself when ||v|| <= radius")
    else:
        if _close(got, v / norm):
            return "you forgot the radius: a point outside goes to radius * v / ||v||, not v / ||v||"
        if _close(got, np.clip(v, -radius, radius)):
            return ("you clipped each coordinate to [-radius, radius]: that is the projection onto a box; "
                    "the ball needs the whole vector rescaled, radius * v / ||v||")
        if _close(got, v * radius):
            return "you multiplied by the radius but did not divide by the norm ||v||"
        if _close(got, v * radius / norm**2):
            return "you divided by the squared norm; divide by ||v|| itself"
        if _close(got, v * norm / radius):
            return "the scale factor is upside down: use radius / ||v||"
    if float(np.linalg.norm(got)) > radius * (1 + 1e-6):
        hints.append(f"your result has norm {np.linalg.norm(got):.4g} > radius {radius:g}: it is not in the ball")
    return "; ".join(hints) or None


def check_project_ball(project_ball: Callable[..., Any]) -> None:
    """Check Exercise 2.1 on points inside, on and outside balls of several radii and dimensions."""
    ex = "Exercise 2.1"
    rng = np.random.default_rng(21)
    cases = [
        Case("inside (norm 0.5, radius 1)", (np.array([0.3, -0.4]), 1.0)),
        Case("outside (norm 5, radius 1)", (np.array([3.0, -4.0]), 1.0)),
        Case("outside (norm 5, radius 2)", (np.array([3.0, 4.0]), 2.0)),
        Case("on the sphere (norm 2, radius 2)", (np.array([0.0, 2.0, 0.0]), 2.0)),
        Case("the centre (zero vector)", (np.zeros(3), 1.5)),
        Case("inside in R^10 (radius 10)", (rng.normal(size=10), 10.0)),
        Case("outside in R^10 (radius 0.1)", (rng.normal(size=10), 0.1)),
        Case("one dimension, negative", (np.array([-7.0]), 3.0)),
    ]
    _check_input_untouched(project_ball, Case("input untouched", (np.array([3.0, -4.0]), 1.0)), ex, "vector v")
    compare_cases(project_ball, reference_project_ball, cases, ex, diagnose=_diagnose_ball)


# --------------------------------------------------------------------------- Exercise 2.2
def _diagnose_box(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
    v, lo, hi = (np.asarray(a, dtype=np.float64) for a in case.args)
    inside = (v >= lo) & (v <= hi)
    if _close(got, np.minimum(np.maximum(v, hi), lo)) or _close(got, np.maximum(np.minimum(v, lo), hi)):
        return "you swapped the lower and upper bounds (clip to lower from below, to upper from above)"
    if _close(got, np.maximum(v, lo)):
        return "you only enforced the lower bound: also cap the coordinates above `upper`"
    if _close(got, np.minimum(v, hi)):
        return "you only enforced the upper bound: also raise the coordinates below `lower`"
    if np.any(inside) and not np.allclose(got[inside], v[inside]):
        return "coordinates inside the box must not move: only coordinates outside [lower, upper] change"
    norm, got_norm = float(np.linalg.norm(v)), float(np.linalg.norm(got))
    if norm > 0 and got_norm > 0 and np.allclose(got / got_norm, v / norm):
        return ("you rescaled the whole vector (that is a ball-type projection); a box is a product of "
                "intervals, so clip every coordinate on its own")
    if np.any(got < lo - 1e-9) or np.any(got > hi + 1e-9):
        return "your result has coordinates outside [lower, upper]: it is not in the box"
    return None


def check_project_box(project_box: Callable[..., Any]) -> None:
    """Check Exercise 2.2 on points inside, outside on one side, outside on both sides, and degenerate boxes."""
    ex = "Exercise 2.2"
    cases = [
        Case("inside the unit box", (np.array([0.2, 0.5, 0.9]), np.zeros(3), np.ones(3))),
        Case("above and below [0, 1]^3", (np.array([-0.5, 0.5, 1.5]), np.zeros(3), np.ones(3))),
        Case("a box with different sides", (np.array([3.0, -3.0, 0.0, 10.0]), np.array([-1.0, -2.0, -0.5, 0.0]),
                                            np.array([1.0, 2.0, 0.5, 4.0]))),
        Case("everything above", (np.array([5.0, 6.0]), np.array([-1.0, -1.0]), np.array([1.0, 2.0]))),
        Case("a flat side (lower = upper)", (np.array([0.3, -4.0]), np.array([0.0, -1.0]), np.array([0.0, 1.0]))),
    ]
    _check_input_untouched(project_box, Case("input untouched", (np.array([-0.5, 0.5, 1.5]), np.zeros(3), np.ones(3))),
                           ex, "vector v")
    compare_cases(project_box, reference_project_box, cases, ex, diagnose=_diagnose_box)


# --------------------------------------------------------------------------- Exercise 2.3
def _diagnose_step(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
    w, g, t, lam, radius = case.args
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    ball = reference_project_ball
    if _close(got, ball(w - g / (lam * (t + 1)), radius)) or (t > 1 and _close(got, ball(w - g / (lam * (t - 1)), radius))):
        return "off by one in the step index: eta_t = 1/(lam t), so eta_1 must be 1/lam"
    if _close(got, ball(w + g / (lam * t), radius)):
        return "wrong sign: step against the subgradient, w - eta_t g, not w + eta_t g"
    if _close(got, w - g / (lam * t)):
        return "the step is right but you did not project: the result must lie in the ball, Pi(w - eta_t g)"
    if _close(got, ball(w, radius) - g / (lam * t)):
        return "project after the step, not before: w_{t+1} = Pi(w_t - eta_t g_t)"
    if _close(got, ball(w - g / t, radius)) or _close(got, ball(w - lam * g / t, radius)):
        return "the step size is eta_t = 1/(lam t): divide by lam (you left it out or multiplied by it)"
    if _close(got, ball(w - g * lam * t, radius)) or _close(got, ball(w - g / math.sqrt(t) / lam, radius)):
        return "the step size is eta_t = 1/(lam t)"
    if float(np.linalg.norm(got)) > radius * (1 + 1e-6):
        return f"your result has norm {np.linalg.norm(got):.4g} > radius {radius:g}: project onto the ball"
    return None


def check_projected_sgd_step(projected_sgd_step: Callable[..., Any]) -> None:
    """Check Exercise 2.3 at ``t = 1`` (where ``eta_1 = 1/lam``), at later steps, with and without active projection."""
    ex = "Exercise 2.3"
    cases = [
        Case("t = 1, projection active", (np.array([0.5, 0.0]), np.array([1.0, -2.0]), 1, 1.0, 1.0)),
        Case("t = 4, lam = 0.5, inside", (np.array([0.2, 0.1]), np.array([0.3, -0.1]), 4, 0.5, 1.0)),
        Case("t = 10, lam = 2, inside", (np.array([1.0, -1.0, 0.5]), np.array([2.0, 1.0, -3.0]), 10, 2.0, 5.0)),
        Case("t = 3, lam = 0.1, projection active", (np.array([0.0, 0.9]), np.array([0.0, -2.0]), 3, 0.1, 1.0)),
        Case("t = 1, lam = 4, inside", (np.array([0.3, 0.3]), np.array([0.4, 0.8]), 1, 4.0, 2.0)),
    ]
    _check_input_untouched(projected_sgd_step,
                           Case("input untouched", (np.array([0.5, 0.0]), np.array([1.0, -2.0]), 1, 1.0, 1.0)),
                           ex, "iterate w")
    compare_cases(projected_sgd_step, reference_projected_sgd_step, cases, ex, diagnose=_diagnose_step)


# --------------------------------------------------------------------------- Exercise 2.4
def _diagnose_bound(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
    T, G, lam = case.args
    T = np.asarray(T, dtype=np.float64)
    variants = [
        (17 * G**2 * (1 + np.log10(T)) / (lam * T), "you used log base 10; the theorem's log is natural (np.log)"),
        (17 * G**2 * (1 + np.log2(T)) / (lam * T), "you used log base 2; the theorem's log is natural (np.log)"),
        (17 * G * (1 + np.log(T)) / (lam * T), "G must be squared: the bound is 17 G^2 (1 + log T)/(lam T)"),
        (17 * G**2 * np.log(T) / (lam * T), "the numerator has 1 + log T, not log T (at T = 1 the bound is 17 G^2/lam)"),
        (17 * G**2 * (1 + np.log(T)) / (lam * np.sqrt(T)), "the strongly convex rate divides by T, not sqrt(T)"),
        (G**2 * (1 + np.log(T)) / (lam * T), "you dropped the constant 17"),
        (17 * G**2 * (1 + np.log(T)) * lam / T, "divide by lam, do not multiply"),
        (17 * G**2 * (1 + np.log(T)) / (lam**2 * T), "lam appears once in the denominator, not squared"),
    ]
    for value, hint in variants:
        if _close(got, np.asarray(value, dtype=np.float64)):
            return hint
    return None


def check_strongly_convex_bound(strongly_convex_bound: Callable[..., Any]) -> None:
    """Check Exercise 2.4 for scalar horizons (including ``T = 1``) and for an array of horizons."""
    ex = "Exercise 2.4"
    cases = [
        Case("T = 1, G = 1, lam = 1", (1, 1.0, 1.0)),
        Case("T = 100, G = 2, lam = 0.5", (100, 2.0, 0.5)),
        Case("T = 10^6, G = 3, lam = 0.01", (10**6, 3.0, 0.01)),
        Case("T = 1000, G = 0.5, lam = 4", (1000, 0.5, 4.0)),
        Case("an array of horizons", (np.array([2, 10, 1000, 10**5]), 1.5, 2.0)),
    ]
    compare_cases(strongly_convex_bound, reference_strongly_convex_bound, cases, ex, rtol=1e-6,
                  diagnose=_diagnose_bound)
