"""course_lib.sgd (chapter 02): projections, step sizes, bounds, averaging, test problems, the runner."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from course_lib import sgd


# --------------------------------------------------------------------------- projections
def brute_force_projection(v, constraint=None, bounds=None):
    """The closest point to v under a constraint, by a generic solver (SLSQP / L-BFGS-B)."""
    res = minimize(lambda x: np.sum((x - v) ** 2), np.zeros_like(v), jac=lambda x: 2 * (x - v),
                   method="SLSQP" if constraint else "L-BFGS-B", constraints=constraint or (), bounds=bounds,
                   options={"ftol": 1e-14, "maxiter": 500} if constraint else {"ftol": 1e-15, "gtol": 1e-12})
    return res.x


@pytest.mark.parametrize("seed", range(5))
def test_project_ball_matches_a_generic_solver(seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=4) * rng.choice([0.2, 3.0])
    radius = 1.3
    cons = {"type": "ineq", "fun": lambda x: radius**2 - x @ x, "jac": lambda x: -2 * x}
    np.testing.assert_allclose(sgd.project_ball(v, radius), brute_force_projection(v, cons), atol=1e-5)


def test_project_ball_properties():
    rng = np.random.default_rng(1)
    V = rng.normal(size=(200, 3)) * 2.0
    P = sgd.project_ball(V, 1.5)
    norms = np.linalg.norm(V, axis=1)
    np.testing.assert_allclose(P[norms <= 1.5], V[norms <= 1.5])            # inside: unchanged
    np.testing.assert_allclose(np.linalg.norm(P[norms > 1.5], axis=1), 1.5)  # outside: on the sphere
    np.testing.assert_allclose(sgd.project_ball(P, 1.5), P)                  # idempotent
    # characterisation: <v - P(v), w - P(v)> <= 0 for every w in the ball
    W = sgd.project_ball(rng.normal(size=(200, 3)) * 2.0, 1.5)
    assert np.all(np.einsum("id,jd->ij", V - P, W) - np.sum((V - P) * P, axis=1)[:, None] <= 1e-9)
    # non-expansive
    d_before = np.linalg.norm(V[:100] - V[100:], axis=1)
    d_after = np.linalg.norm(P[:100] - P[100:], axis=1)
    assert np.all(d_after <= d_before + 1e-12)
    np.testing.assert_allclose(sgd.project_ball(np.zeros(3), 1.0), np.zeros(3))


def test_project_ball_does_not_modify_its_input():
    v = np.array([3.0, 4.0])
    sgd.project_ball(v, 1.0)
    np.testing.assert_array_equal(v, [3.0, 4.0])


@pytest.mark.parametrize("radius, v, match", [
    (0.0, [1.0], "radius must be > 0"), (-1.0, [1.0], "radius"), (float("inf"), [1.0], "finite"),
    ("a", [1.0], "number"), (1.0, 3.0, "scalar"), (1.0, [np.nan, 1.0], "NaN"),
])
def test_project_ball_rejects_bad_input(radius, v, match):
    with pytest.raises(ValueError, match=match):
        sgd.project_ball(v, radius)


@pytest.mark.parametrize("seed", range(5))
def test_project_box_matches_a_generic_solver(seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=5) * 3
    lo, hi = -rng.uniform(0, 1, 5), rng.uniform(0, 2, 5)
    np.testing.assert_allclose(sgd.project_box(v, lo, hi), brute_force_projection(v, bounds=list(zip(lo, hi))),
                               atol=1e-6)


def test_project_box_batch_and_scalars():
    V = np.array([[-2.0, 0.5], [3.0, -0.1]])
    np.testing.assert_allclose(sgd.project_box(V, 0.0, 1.0), [[0.0, 0.5], [1.0, 0.0]])
    np.testing.assert_allclose(sgd.project_box([0.3], 0.3, 0.3), [0.3])


@pytest.mark.parametrize("lo, hi, match", [(1.0, 0.0, "empty"), (np.nan, 1.0, "NaN")])
def test_project_box_rejects_bad_bounds(lo, hi, match):
    with pytest.raises(ValueError, match=match):
        sgd.project_box([0.0, 1.0], lo, hi)


# --------------------------------------------------------------------------- step sizes and bounds
def test_step_sizes():
    np.testing.assert_allclose(sgd.step_sizes(4, "strongly_convex", lam=2.0), [0.5, 0.25, 1 / 6, 0.125])
    np.testing.assert_allclose(sgd.step_sizes(4, "sqrt", c=3.0), 3.0 / np.sqrt([1, 2, 3, 4]))
    np.testing.assert_allclose(sgd.step_sizes(3, "constant", eta=0.1), [0.1, 0.1, 0.1])


@pytest.mark.parametrize("kwargs, match", [
    (dict(T=3, schedule="cosine"), "unknown step-size schedule"),
    (dict(T=3, schedule="strongly_convex"), "needs lam"),
    (dict(T=3, schedule="sqrt"), "needs c"),
    (dict(T=3, schedule="constant"), "needs eta"),
    (dict(T=0, schedule="constant", eta=1.0), "T must be an integer >= 1"),
    (dict(T=3, schedule="sqrt", c=-1.0), "c must be > 0"),
])
def test_step_sizes_reject_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sgd.step_sizes(**kwargs)


def test_bound_formulas():
    assert sgd.strongly_convex_bound(1, 1.0, 1.0) == pytest.approx(17.0)
    assert sgd.strongly_convex_bound(100, 2.0, 0.5) == pytest.approx(17 * 4 * (1 + math.log(100)) / 50)
    assert sgd.convex_bound(1, 1.0, 1.0, 1.0) == pytest.approx(4.0)
    assert sgd.convex_bound(400, 3.0, 2.0, 0.5) == pytest.approx((4 / 0.5 + 0.5 * 9) * (2 + math.log(400)) / 20)
    assert sgd.averaged_convex_bound(100, 3.0, 2.0, 0.5) == pytest.approx((4 / 1.0 + 0.5 * 9) / 10)
    T = np.array([1, 10, 100])
    np.testing.assert_allclose(sgd.strongly_convex_bound(T, 1.0, 1.0), 17 * (1 + np.log(T)) / T)
    # c = D/G minimises D^2/c + c G^2
    cs = np.linspace(0.1, 3, 300)
    best = cs[np.argmin([sgd.convex_bound(50, 2.0, 3.0, c) for c in cs])]
    assert best == pytest.approx(1.5, abs=0.02)


@pytest.mark.parametrize("fn, args, match", [
    (sgd.strongly_convex_bound, (0, 1.0, 1.0), "T must be >= 1"),
    (sgd.strongly_convex_bound, (10, 1.0, 0.0), "lam must be > 0"),
    (sgd.convex_bound, (10, -1.0, 1.0, 1.0), "G must be > 0"),
    (sgd.convex_bound, (10, 1.0, 1.0, 0.0), "c must be > 0"),
])
def test_bounds_reject_bad_input(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


# --------------------------------------------------------------------------- averaging
def test_averages_of_a_known_sequence():
    path = np.arange(1.0, 5.0)  # 1, 2, 3, 4
    np.testing.assert_allclose(sgd.uniform_average(path), [1.0, 1.5, 2.0, 2.5])
    assert sgd.suffix_average(path, 0.5) == pytest.approx(3.5)
    assert sgd.suffix_average(path, 1.0) == pytest.approx(2.5)
    assert sgd.suffix_average(path, 0.01) == pytest.approx(4.0)  # at least one iterate
    # polynomial-decay: gamma = 0 is the uniform average; gamma = 1 on 1..4 gives 3
    np.testing.assert_allclose(sgd.polynomial_decay_average(path, 0.0), sgd.uniform_average(path))
    assert sgd.polynomial_decay_average(path, 1.0)[-1] == pytest.approx(3.0)
    # the weights of a polynomial-decay average sum to one: constants are preserved
    np.testing.assert_allclose(sgd.polynomial_decay_average(np.full((7, 2), 3.0), 3.0), 3.0)


def test_suffix_start():
    assert sgd.suffix_start(10, 0.5) == 6
    assert sgd.suffix_start(11, 0.5) == 6   # ceil(5.5) = 6 iterates: 6..11
    assert sgd.suffix_start(10, 1.0) == 1
    assert sgd.suffix_start(1, 0.5) == 1


@pytest.mark.parametrize("fn, args, match", [
    (sgd.suffix_start, (10, 0.0), "alpha must be > 0"),
    (sgd.suffix_start, (10, 1.5), "fraction"),
    (sgd.polynomial_decay_average, (np.ones(3), -1.0), "gamma must be >= 0"),
    (sgd.uniform_average, (5.0,), "first axis is time"),
])
def test_averaging_rejects_bad_input(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


# --------------------------------------------------------------------------- problems
def mean_oracle(problem, w, n=40_000, seed=0):
    rng = np.random.default_rng(seed)
    W = np.broadcast_to(w, (n, problem.dim)).copy()
    g = problem.oracle_fn(W, problem.noise_fn(rng, (1, n))[0])
    return g.mean(axis=0), np.mean(np.sum(g**2, axis=1))


def random_points_in(problem, n, rng):
    return problem.project(rng.normal(size=(n, problem.dim)) * problem.D)


def test_strongly_convex_l1_problem():
    p = sgd.strongly_convex_l1_problem(4, lam=0.5, mu=1.0, sigma=0.7, seed=3)
    R = p.D / 2
    assert R == pytest.approx(2.0) and np.linalg.norm(p.w_star) < R
    assert np.all(np.abs(p.w_star) < 1.0 / 0.5) and p.value(p.w_star) == pytest.approx(p.f_star)  # |a_i| < mu/lam
    rng = np.random.default_rng(0)
    # w* minimises F: random points of the ball and small perturbations are never better
    W = np.vstack([random_points_in(p, 500, rng), p.w_star + 1e-3 * rng.normal(size=(500, 4))])
    assert np.all(p.value(W) >= p.f_star - 1e-12)
    # lam-strong convexity along random pairs
    X, Y = random_points_in(p, 300, rng), random_points_in(p, 300, rng)
    gap = (p.value(X) + p.value(Y)) / 2 - p.value((X + Y) / 2)
    assert np.all(gap >= p.lam / 8 * np.sum((X - Y) ** 2, axis=1) - 1e-9)
    # G is the supremum of E||g||^2: reached at the corner w1, never exceeded
    _, second = mean_oracle(p, p.w1)
    assert second == pytest.approx(p.G**2, rel=0.02)
    for w in random_points_in(p, 5, rng):
        assert mean_oracle(p, w)[1] <= p.G**2 * 1.02
    # unbiased: the mean oracle is lam w + mu sign(w - a), a subgradient
    w = random_points_in(p, 1, rng)[0]
    mean, _ = mean_oracle(p, w)
    np.testing.assert_allclose(mean, 0.5 * w + np.sign(w - p.w_star), atol=0.02)


def test_convex_l1_problem():
    p = sgd.convex_l1_problem(3, mu=[1.0, 2.0, 0.5], sigma=1.0, radius=2.0, seed=1)
    assert p.lam == 0 and p.f_star == 0 and p.D == pytest.approx(4.0)
    assert p.G == pytest.approx(math.sqrt(1 + 4 + 0.25 + 3))
    assert p.value(p.w_star) == pytest.approx(0.0)
    assert np.linalg.norm(p.w1) == pytest.approx(2.0)
    rng = np.random.default_rng(0)
    assert np.all(p.value(random_points_in(p, 500, rng)) >= 0)
    _, second = mean_oracle(p, p.w1)
    assert second == pytest.approx(p.G**2, rel=0.02)


@pytest.mark.parametrize("kwargs, match", [
    (dict(dim=2, mu=[1.0, -1.0]), "positive"),
    (dict(dim=2, mu=[1.0, 1.0, 1.0]), "shape"),
    (dict(dim=2, a=[5.0, 0.0], radius=1.0), "inside the ball"),
    (dict(dim=0), "dim must be an integer >= 1"),
    (dict(dim=2, sigma=-1.0), "sigma must be >= 0"),
])
def test_convex_l1_problem_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sgd.convex_l1_problem(**kwargs)


def test_strongly_convex_l1_problem_rejects_bad_input():
    with pytest.raises(ValueError, match="lam must be > 0"):
        sgd.strongly_convex_l1_problem(3, lam=0.0)


@pytest.mark.parametrize("kind, lo, G2", [("A", 0.0, 16 / 3), ("B", -1.0, 64.0)])
def test_rakhlin_examples(kind, lo, G2):
    p = sgd.rakhlin_example(kind)
    grid = np.linspace(lo, 1.0, 2001)[:, None]
    assert np.argmin(p.value(grid)) == np.argmin(np.abs(grid[:, 0]))  # w* = 0 on the grid
    assert p.value(np.zeros(1)) == 0.0 and p.G**2 == pytest.approx(G2) and p.D == pytest.approx(1.0 - lo)
    # E||g||^2 never exceeds G^2 on the domain and reaches it
    seconds = [mean_oracle(p, np.array([w]), n=20_000)[1] for w in np.linspace(lo, 1.0, 9)]
    assert max(seconds) == pytest.approx(G2, rel=0.03) and max(seconds) <= G2 * 1.03
    # unbiased: the mean oracle at w >= 0 is w + 1, the derivative of F
    assert mean_oracle(p, np.array([0.4]))[0][0] == pytest.approx(1.4, abs=0.02)
    with pytest.raises(ValueError, match="valid kinds"):
        sgd.rakhlin_example("C")


def svm_data(n=60, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.where(X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    return X, y


def test_svm_optimum_matches_a_generic_dual_solver():
    X, y = svm_data()
    lam = 0.05
    sol = sgd.svm_optimum(X, y, lam)
    assert sol.gap <= 1e-10 and sol.n_margin >= 1
    n = len(y)
    Z = y[:, None] * X
    res = minimize(lambda a: 0.5 / (lam * n**2) * np.sum((Z.T @ a) ** 2) - a.mean(), np.zeros(n),
                   jac=lambda a: Z @ (Z.T @ a) / (lam * n**2) - 1 / n, method="L-BFGS-B",
                   bounds=[(0, 1)] * n, options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000})
    np.testing.assert_allclose(sol.w, Z.T @ res.x / (lam * n), atol=1e-4)
    # the primal value at w* is the minimum: random perturbations never do better
    rng = np.random.default_rng(1)
    W = sol.w + 1e-3 * rng.normal(size=(300, X.shape[1]))
    assert np.all(sgd.svm_objective(W, X, y, lam) >= sol.primal - 1e-12)


def test_hinge_svm_problem():
    X, y = svm_data()
    lam = 0.05
    p = sgd.hinge_svm_problem(X, y, lam)
    R = math.sqrt(2 / lam)
    assert p.D == pytest.approx(2 * R) and np.linalg.norm(p.w_star) <= R
    assert p.G == pytest.approx(lam * R + np.max(np.linalg.norm(X, axis=1)))
    assert p.value(p.w_star) == pytest.approx(p.f_star) and not p.G_is_exact
    rng = np.random.default_rng(2)
    W = random_points_in(p, 50, rng)
    g = p.oracle_fn(W, p.noise_fn(rng, (1, 50))[0])
    assert np.all(np.linalg.norm(g, axis=1) <= p.G + 1e-12)
    # the exact mean of the oracle (all examples) is a subgradient: F(v) >= F(w) + <g, v - w>
    w = W[0]
    Z = y[:, None] * X
    full = lam * w - np.mean((Z @ w < 1)[:, None] * Z, axis=0)
    V = random_points_in(p, 200, rng)
    assert np.all(p.value(V) >= p.value(w) + (V - w) @ full - 1e-12)


@pytest.mark.parametrize("X, y, match", [
    (np.ones(5), np.ones(5), "shape \\(n, d\\)"),
    (np.ones((5, 2)), np.ones(4), "labels"),
    (np.ones((3, 2)), np.array([0.0, 1.0, 1.0]), "-1 or \\+1"),
])
def test_svm_rejects_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        sgd.svm_optimum(X, y, 0.1)


# --------------------------------------------------------------------------- the runner
def test_run_sgd_shapes_and_reproducibility():
    p = sgd.strongly_convex_l1_problem(3)
    run = sgd.run_sgd(p, 200, n_seeds=7, seed=4, checkpoints=[1, 10, 200])
    assert run.last.shape == run.uniform.shape == run.suffix.shape == run.poly.shape == (3, 7, 3)
    np.testing.assert_array_equal(run.checkpoints, [1, 10, 200])
    np.testing.assert_allclose(run.last[0], np.broadcast_to(p.w1, (7, 3)))  # w_1
    again = sgd.run_sgd(p, 200, n_seeds=7, seed=4, checkpoints=[1, 10, 200])
    np.testing.assert_array_equal(run.last, again.last)
    other = sgd.run_sgd(p, 200, n_seeds=7, seed=5, checkpoints=[1, 10, 200])
    assert not np.allclose(run.last[-1], other.last[-1])
    assert run.suboptimality(p).shape == (3, 7) and np.all(run.suboptimality(p, "suffix") >= 0)


def test_run_sgd_averages_agree_with_the_path():
    p = sgd.strongly_convex_l1_problem(2, sigma=0.5)
    ck = [1, 2, 5, 17, 64]
    run = sgd.run_sgd(p, 64, n_seeds=3, seed=0, checkpoints=ck, alpha=0.3, gamma=2.0, keep_path=True)
    for j, T in enumerate(ck):
        path = run.path[:T]
        np.testing.assert_allclose(run.last[j], path[-1])
        np.testing.assert_allclose(run.uniform[j], path.mean(axis=0))
        np.testing.assert_allclose(run.suffix[j], sgd.suffix_average(path, 0.3))
        np.testing.assert_allclose(run.poly[j], sgd.polynomial_decay_average(path, 2.0)[-1])
    # every iterate lies in W
    assert np.all(np.linalg.norm(run.path, axis=-1) <= p.D / 2 + 1e-12)


def test_run_sgd_is_the_projected_subgradient_method_without_noise():
    p = sgd.convex_l1_problem(2, mu=[1.0, 2.0], sigma=0.0, radius=5.0, a=[0.0, 0.0], w1=[1.3, 0.7])
    run = sgd.run_sgd(p, 30, schedule="sqrt", c=0.5, n_seeds=1, keep_path=True)
    w = np.array([1.3, 0.7])
    for t in range(1, 30):
        np.testing.assert_allclose(run.path[t - 1, 0], w)
        w = sgd.project_ball(w - 0.5 / math.sqrt(t) * np.array([1.0, 2.0]) * np.sign(w), 5.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(T=0), "T must be an integer >= 1"),
    (dict(T=10, n_seeds=0), "n_seeds"),
    (dict(T=10, checkpoints=[5, 11]), "checkpoints must lie in"),
    (dict(T=10, alpha=0.0), "alpha"),
    (dict(T=10, gamma=-2.0), "gamma"),
    (dict(T=10, schedule="nope"), "unknown step-size schedule"),
])
def test_run_sgd_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sgd.run_sgd(sgd.strongly_convex_l1_problem(2), **kwargs)


def test_run_sgd_needs_lam_for_a_convex_problem():
    with pytest.raises(ValueError, match="not strongly convex"):
        sgd.run_sgd(sgd.convex_l1_problem(2), 10)


def test_log_checkpoints_and_fit_slope():
    ck = sgd.log_checkpoints(10_000, 20)
    assert ck[0] == 2 and ck[-1] == 10_000 and np.all(np.diff(ck) > 0)
    slope, intercept = sgd.fit_slope(ck, 3.0 * ck**-0.5)
    assert slope == pytest.approx(-0.5) and intercept == pytest.approx(math.log(3.0))
    slope, _ = sgd.fit_slope(ck, np.where(ck < 100, 1.0, 100.0 / ck), lo=100)
    assert slope == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="fewer than two"):
        sgd.fit_slope(ck, ck, lo=1e9)
    with pytest.raises(ValueError, match="> 0"):
        sgd.fit_slope([1, 2], [1.0, 0.0])
    with pytest.raises(ValueError, match="start"):
        sgd.log_checkpoints(5, start=6)
