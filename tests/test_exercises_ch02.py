"""Chapter 02's exercise checks: the reference passes, plausible wrong solutions fail with a message
that names the mistake, and a stub fails with "not implemented yet"."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import ExerciseFailure, ch02


# --------------------------------------------------------------------------- Exercise 2.1
def project_ball(v, radius):
    """The notebook's solution of Exercise 2.1."""
    v = np.asarray(v, dtype=float)
    norm = np.linalg.norm(v)
    if norm <= radius:
        return v.copy()
    return v * (radius / norm)


def ball_always_scaled(v, radius):
    v = np.asarray(v, dtype=float)
    norm = np.linalg.norm(v)
    return v * radius / norm if norm > 0 else v


def ball_missing_radius(v, radius):
    v = np.asarray(v, dtype=float)
    norm = np.linalg.norm(v)
    return v if norm <= radius else v / norm


def ball_clipped(v, radius):
    return np.clip(np.asarray(v, dtype=float), -radius, radius)


def ball_in_place(v, radius):
    norm = np.linalg.norm(v)
    if norm > radius:
        v *= radius / norm
    return v


def ball_stub(v, radius):
    raise NotImplementedError("Exercise 2.1: project v onto the ball of radius `radius`")


# --------------------------------------------------------------------------- Exercise 2.2
def project_box(v, lower, upper):
    """The notebook's solution of Exercise 2.2."""
    return np.minimum(np.maximum(np.asarray(v, dtype=float), lower), upper)


def box_lower_only(v, lower, upper):
    return np.maximum(np.asarray(v, dtype=float), lower)


def box_swapped(v, lower, upper):
    return np.minimum(np.maximum(np.asarray(v, dtype=float), upper), lower)


def box_stub(v, lower, upper):
    raise NotImplementedError("Exercise 2.2: project v onto the box")


# --------------------------------------------------------------------------- Exercise 2.3
def projected_sgd_step(w, g, t, lam, radius):
    """The notebook's solution of Exercise 2.3."""
    v = np.asarray(w, dtype=float) - np.asarray(g, dtype=float) / (lam * t)
    norm = np.linalg.norm(v)
    return v if norm <= radius else v * (radius / norm)


def step_off_by_one(w, g, t, lam, radius):
    return projected_sgd_step(w, g, t + 1, lam, radius)


def step_wrong_sign(w, g, t, lam, radius):
    return projected_sgd_step(w, -np.asarray(g, dtype=float), t, lam, radius)


def step_no_projection(w, g, t, lam, radius):
    return np.asarray(w, dtype=float) - np.asarray(g, dtype=float) / (lam * t)


def step_without_lam(w, g, t, lam, radius):
    return projected_sgd_step(w, g, t, 1.0, radius)


def step_stub(w, g, t, lam, radius):
    raise NotImplementedError("Exercise 2.3: one projected SGD step")


# --------------------------------------------------------------------------- Exercise 2.4
def strongly_convex_bound(T, G, lam):
    """The notebook's solution of Exercise 2.4."""
    T = np.asarray(T, dtype=float)
    return 17 * G**2 * (1 + np.log(T)) / (lam * T)


def bound_log10(T, G, lam):
    T = np.asarray(T, dtype=float)
    return 17 * G**2 * (1 + np.log10(T)) / (lam * T)


def bound_g_not_squared(T, G, lam):
    T = np.asarray(T, dtype=float)
    return 17 * G * (1 + np.log(T)) / (lam * T)


def bound_missing_one(T, G, lam):
    T = np.asarray(T, dtype=float)
    return 17 * G**2 * np.log(T) / (lam * T)


def bound_stub(T, G, lam):
    raise NotImplementedError("Exercise 2.4: evaluate the bound")


CHECKS = {
    "ball": ch02.check_project_ball,
    "box": ch02.check_project_box,
    "step": ch02.check_projected_sgd_step,
    "bound": ch02.check_strongly_convex_bound,
}


@pytest.mark.parametrize("name, solution", [
    ("ball", project_ball), ("box", project_box), ("step", projected_sgd_step), ("bound", strongly_convex_bound),
    ("ball", ch02.reference_project_ball), ("box", ch02.reference_project_box),
    ("step", ch02.reference_projected_sgd_step), ("bound", ch02.reference_strongly_convex_bound),
])
def test_reference_passes(name, solution, capsys):
    CHECKS[name](solution)
    assert "cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("name, wrong, words", [
    ("ball", ball_always_scaled, ["points inside the ball must not move", "scaled by the norm"]),
    ("ball", ball_missing_radius, ["forgot the radius"]),
    ("ball", ball_clipped, ["box", "rescaled"]),
    ("ball", ball_in_place, ["in place"]),
    ("box", box_lower_only, ["only enforced the lower bound"]),
    ("box", box_swapped, ["swapped"]),
    ("step", step_off_by_one, ["off by one", "eta_1 must be 1/lam"]),
    ("step", step_wrong_sign, ["wrong sign"]),
    ("step", step_no_projection, ["did not project"]),
    ("step", step_without_lam, ["divide by lam"]),
    ("bound", bound_log10, ["log base 10"]),
    ("bound", bound_g_not_squared, ["G must be squared"]),
    ("bound", bound_missing_one, ["1 + log T"]),
])
def test_wrong_solution_fails_with_named_mistake(name, wrong, words):
    with pytest.raises(AssertionError) as err:
        CHECKS[name](wrong)
    message = str(err.value)
    assert isinstance(err.value, ExerciseFailure)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.parametrize("name, stub, number", [
    ("ball", ball_stub, "2.1"), ("box", box_stub, "2.2"), ("step", step_stub, "2.3"), ("bound", bound_stub, "2.4"),
])
def test_stub_says_not_implemented(name, stub, number):
    with pytest.raises(AssertionError, match=f"Exercise {number}: not implemented yet"):
        CHECKS[name](stub)
