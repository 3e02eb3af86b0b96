"""course_lib.jl: random projections and the Johnson-Lindenstrauss lemma (chapter 01)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import integrate, stats
from scipy.spatial.distance import pdist
from sklearn.random_projection import (
    GaussianRandomProjection,
    SparseRandomProjection,
    johnson_lindenstrauss_min_dim,
)

from course_lib import jl


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- the bound
def test_bound_formula_and_both_forms():
    for n, eps in [(2, 0.5), (100, 0.1), (10**6, 0.3)]:
        expected = 24 * math.log(n) / (3 * eps**2 - 2 * eps**3)
        assert jl.jl_bound(n, eps) == pytest.approx(expected, rel=1e-14)
        assert jl.jl_bound(n, eps) == pytest.approx(4 * math.log(n) / (eps**2 / 2 - eps**3 / 3), rel=1e-12)
        assert jl.jl_min_dim(n, eps) == math.ceil(expected)


def test_known_values():
    assert jl.jl_min_dim(10**6, 0.5) == 664            # sklearn's docstring says 663: its floor
    assert jl.jl_min_dim(50, 0.3) == 435
    assert jl.jl_min_dim(8000, 0.1) == 7704


def test_sklearn_truncates_the_same_bound():
    ns = np.unique(np.round(np.logspace(np.log10(2), 9, 120)).astype(np.int64))
    epss = np.linspace(0.01, 0.99, 99)
    for n in ns:
        ours = np.array([jl.jl_bound(int(n), float(e)) for e in epss])
        theirs = johnson_lindenstrauss_min_dim(int(n), eps=epss)
        assert np.array_equal(np.floor(ours).astype(np.int64), theirs), f"n = {n}"
        ceil = np.array([jl.jl_min_dim(int(n), float(e)) for e in epss])
        assert np.all((ceil - theirs >= 0) & (ceil - theirs <= 1))


@pytest.mark.parametrize("eps", [0, 1, -0.1, 1.5, float("nan"), "a", None])
def test_bad_eps(eps):
    with pytest.raises(ValueError, match="eps"):
        jl.jl_bound(10, eps)
    with pytest.raises(ValueError, match="eps"):
        jl.success_rate(np.eye(3), 2, eps, 2, rng())


@pytest.mark.parametrize("n", [1, 0, -5, 2.5, True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="number of points n"):
        jl.jl_min_dim(n, 0.5)


@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_bad_k(k):
    with pytest.raises(ValueError, match="target dimension k"):
        jl.gaussian_projection_matrix(10, k, rng())
    with pytest.raises(ValueError, match="target dimension k"):
        jl.guaranteed_eps(10, k)
    with pytest.raises(ValueError, match="target dimension k"):
        jl.success_rate(np.eye(3), k, 0.5, 2, rng())


def test_guaranteed_eps_inverts_the_bound():
    for n, k in [(10, 100), (500, 784), (50, 435)]:
        eps = jl.guaranteed_eps(n, k)
        assert 0 < eps < 1
        assert jl.jl_bound(n, eps) == pytest.approx(k, rel=1e-9)
    assert jl.jl_min_dim(50, jl.guaranteed_eps(50, 435)) <= 435
    assert math.isnan(jl.guaranteed_eps(100, 100))            # k <= 24 ln n: no guarantee


# --------------------------------------------------------------------------- random matrices
def test_gaussian_matrix_statistics():
    A = jl.gaussian_projection_matrix(300, 50, rng(1))
    assert A.shape == (50, 300)
    assert abs(A.mean()) < 0.005 and A.var() * 50 == pytest.approx(1.0, rel=0.03)


def test_gaussian_map_norm_statistics():
    """||Ax||^2 has mean ||x||^2 and variance 2||x||^4/k (Lemma 'one vector')."""
    k, d = 10, 200
    x = rng(2).standard_normal(d)
    g = rng(3)
    z = np.array([np.sum((jl.gaussian_projection_matrix(d, k, g) @ x) ** 2) for _ in range(3000)])
    norm2 = x @ x
    se_mean = math.sqrt(2 / k / 3000) * norm2
    assert abs(z.mean() - norm2) < 5 * se_mean
    assert z.var() == pytest.approx(2 * norm2**2 / k, rel=0.12)


@pytest.mark.parametrize("density", [1 / 3, 0.01, 1.0])
def test_sparse_matrix_entries(density):
    k, d = 200, 1000
    A = jl.sparse_projection_matrix(d, k, rng(4), density=density)
    assert sp.issparse(A) and A.shape == (k, d)
    dense = A.toarray()
    nz = dense[dense != 0]
    assert np.allclose(np.abs(nz), math.sqrt(1 / (density * k)))
    frac = nz.size / dense.size
    assert frac == pytest.approx(density, abs=5 * math.sqrt(density * (1 - density) / dense.size) + 1e-12)
    assert abs(np.mean(np.sign(nz))) < 5 / math.sqrt(nz.size)
    assert dense.var() * k == pytest.approx(1.0, rel=0.05)
    B = jl.sparse_projection_matrix(d, k, rng(4), density=density, dense=True)
    assert isinstance(B, np.ndarray) and np.array_equal(B, dense)


def test_sparse_matrix_auto_density_and_bad_density():
    A = jl.sparse_projection_matrix(10_000, 300, rng(5))
    assert A.nnz / (300 * 10_000) == pytest.approx(0.01, rel=0.05)
    for bad in (0.0, 1.5, -1):
        with pytest.raises(ValueError, match="density"):
            jl.sparse_projection_matrix(10, 3, rng(), density=bad)


def test_projection_matrix_kinds():
    assert isinstance(jl.projection_matrix(50, 5, rng(), "gaussian"), np.ndarray)
    ach = jl.projection_matrix(600, 40, rng(), "achlioptas")
    assert isinstance(ach, np.ndarray)
    assert set(np.unique(np.round(ach * math.sqrt(40 / 3), 12))) == {-1.0, 0.0, 1.0}
    assert sp.issparse(jl.projection_matrix(50, 5, rng(), "very_sparse"))
    with pytest.raises(ValueError, match="kind"):
        jl.projection_matrix(50, 5, rng(), "uniform")


def test_project_dense_and_sparse_agree():
    X = rng(6).standard_normal((7, 40))
    A = jl.sparse_projection_matrix(40, 6, rng(7), density=0.3)
    assert jl.project(X, A).shape == (7, 6)
    assert np.allclose(jl.project(X, A), X @ A.toarray().T)
    with pytest.raises(ValueError, match="must be \\(k, d\\)"):
        jl.project(X, np.ones((6, 41)))


# --------------------------------------------------------------------------- distances and distortion
def test_pairwise_sq_dists_matches_pdist():
    X = rng(8).standard_normal((30, 9))
    assert np.allclose(jl.pairwise_sq_dists(X), pdist(X, "sqeuclidean"))
    D = jl.pairwise_sq_dists(X, condensed=False)
    assert np.allclose(D, D.T) and np.all(np.diag(D) == 0)
    with pytest.raises(ValueError, match="2-D"):
        jl.pairwise_sq_dists(np.ones(5))


def test_distortions_and_max_distortion():
    X = rng(9).standard_normal((12, 5))
    assert np.allclose(jl.distortions(X, X), 1.0)
    assert np.allclose(jl.distortions(X, 3 * X), 9.0)
    assert jl.max_distortion(X, 0.5 * X) == pytest.approx(0.75)
    assert jl.distortions(X, X).shape == (66,)
    with pytest.raises(ValueError, match="equal points"):
        jl.distortions(np.vstack([X, X[:1]]), np.vstack([X, X[:1]]))
    with pytest.raises(ValueError, match="same number of points"):
        jl.distortions(X, X[:5])


def test_max_distortion_curve_shape_and_order():
    X = rng(10).standard_normal((15, 40))
    out = jl.max_distortion_curve(X, [50, 5, 20], 4, rng(11))
    assert out.shape == (4, 3) and np.all(out >= 0)
    assert np.all(out[:, 0] < out[:, 1])                 # k = 50 distorts less than k = 5
    with pytest.raises(ValueError, match="equal points"):
        jl.max_distortion_curve(np.vstack([X, X[:1]]), [5], 1, rng())


def test_rotation_shortcut_has_the_right_law():
    """max_distortion_curve's Gaussian shortcut (n < d) agrees in distribution with explicit maps."""
    X = rng(12).random((8, 300))
    k, trials = 20, 400
    fast = jl.max_distortion_curve(X, [k], trials, rng(13))[:, 0]
    g = rng(14)
    slow = np.array([jl.max_distortion(X, jl.project(X, jl.gaussian_projection_matrix(300, k, g)))
                     for _ in range(trials)])
    se = math.sqrt(fast.var() / trials + slow.var() / trials)
    assert abs(fast.mean() - slow.mean()) < 4.5 * se
    assert stats.ks_2samp(fast, slow).pvalue > 1e-3


def test_hand_written_gaussian_map_matches_sklearn():
    """Ratios ||A e_i||^2 (independent chi^2_k/k for a Gaussian A) from ours and from sklearn."""
    d, k, seeds = 400, 20, 10
    E = np.eye(d)
    ours = np.concatenate([np.sum(jl.project(E, jl.gaussian_projection_matrix(d, k, rng(s))) ** 2, axis=1)
                           for s in range(seeds)])
    theirs = np.concatenate([np.sum(GaussianRandomProjection(n_components=k, random_state=s).fit_transform(E) ** 2,
                                    axis=1) for s in range(seeds)])
    m = ours.size
    se = math.sqrt(2 / k / m)
    assert abs(ours.mean() - theirs.mean()) < 5 * math.sqrt(2) * se
    assert abs(ours.mean() - 1) < 5 * se and abs(theirs.mean() - 1) < 5 * se
    assert ours.var() == pytest.approx(theirs.var(), rel=0.12)
    assert ours.var() == pytest.approx(2 / k, rel=0.1)


def test_pairwise_distortions_match_sklearn_in_distribution():
    X = rng(15).standard_normal((40, 500))
    k = 64
    ours = np.concatenate([jl.distortions(X, jl.project(X, jl.gaussian_projection_matrix(500, k, rng(100 + s))))
                           for s in range(15)])
    theirs = np.concatenate([jl.distortions(X, GaussianRandomProjection(n_components=k, random_state=s)
                                            .fit_transform(X)) for s in range(15)])
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.03)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.1)
    assert ours.std() == pytest.approx(math.sqrt(2 / k), rel=0.1)


def test_very_sparse_matches_sklearn_sparse_projection():
    d, k = 2500, 100
    ours = jl.projection_matrix(d, k, rng(16), "very_sparse")
    theirs = SparseRandomProjection(n_components=k, density="auto", random_state=0).fit(np.zeros((2, d))).components_
    assert ours.nnz / (k * d) == pytest.approx(theirs.nnz / (k * d), rel=0.1)
    assert np.allclose(np.unique(np.abs(ours.data)), np.unique(np.abs(theirs.data)))


# --------------------------------------------------------------------------- success probability
def test_success_rate_is_monotone_in_k():
    X = rng(17).standard_normal((20, 60))
    ks = [20, 60, 120, 250, 600]
    rates = [jl.success_rate(X, k, 0.3, 150, rng(18)) for k in ks]
    assert rates == sorted(rates), rates
    assert rates[0] == 0.0 and rates[-1] == 1.0
    curve = jl.success_curve(X, ks, 0.3, 150, rng(18))
    assert np.all(np.diff(curve) >= 0) and curve.shape == (5,)


def test_success_rate_at_the_bound_is_at_least_one_over_n():
    X = rng(19).standard_normal((25, 100))
    k = jl.jl_min_dim(25, 0.4)
    rate = jl.success_rate(X, k, 0.4, 100, rng(20))
    assert rate >= 1 / 25 and rate > 0.9


def test_success_rate_sparse_kinds():
    X = rng(21).standard_normal((10, 400))
    for kind in ("achlioptas", "very_sparse"):
        assert jl.success_rate(X, 2000, 0.5, 5, rng(22), kind=kind) == 1.0
        assert jl.success_rate(X, 1, 0.1, 5, rng(22), kind=kind) == 0.0


def test_draws_until_success():
    X = rng(23).standard_normal((10, 50))
    assert jl.draws_until_success(X, 3000, 0.5, rng(24)) == 1
    assert jl.draws_until_success(X, 1, 0.01, rng(24), max_draws=5) == 6


# --------------------------------------------------------------------------- theory
def test_ratio_pdf_is_the_chi2_over_k_density():
    for k in (1, 5, 50):
        total, _ = integrate.quad(lambda r: float(jl.ratio_pdf(r, k)), 0, np.inf)
        assert total == pytest.approx(1.0, abs=1e-6)
        mean, _ = integrate.quad(lambda r: r * float(jl.ratio_pdf(r, k)), 0, np.inf)
        assert mean == pytest.approx(1.0, abs=1e-6)


def test_exact_pair_failure_is_below_the_proofs_bound():
    """At k = bound the exact chi^2 tails are at most the Chernoff bounds, hence at most 2/n^2."""
    for n in (2, 10, 50, 1000, 10**6):
        for eps in (0.05, 0.1, 0.3, 0.5, 0.9):
            k = jl.jl_min_dim(n, eps)
            upper = stats.chi2.sf(k * (1 + eps), k)
            lower = stats.chi2.cdf(k * (1 - eps), k)
            assert upper <= ((1 + eps) * math.exp(-eps)) ** (k / 2) * (1 + 1e-9)
            assert lower <= ((1 - eps) * math.exp(eps)) ** (k / 2) * (1 + 1e-9)
            assert jl.pair_failure_probability(k, eps) == pytest.approx(upper + lower)
            assert jl.pair_failure_probability(k, eps) <= 2 / n**2


def test_log_inequalities_of_the_proof():
    e = np.linspace(0, 0.999, 1000)
    assert np.all(np.log1p(e) <= e - e**2 / 2 + e**3 / 3 + 1e-15)
    assert np.all(np.log1p(-e) <= -e - e**2 / 2 + 1e-15)


def test_ratio_variance_formula():
    assert jl.ratio_variance(np.ones(10), 8, "gaussian") == pytest.approx(0.25)
    assert jl.ratio_variance(np.ones(10), 8, "achlioptas") == pytest.approx(0.25)
    # A spiky vector under the very sparse map: ||A e_1||^2 = (s/k) Binomial(k, 1/s), variance (2 + s - 3)/k.
    d, k = 400, 50
    x = np.zeros(d)
    x[0] = 1.0
    assert jl.ratio_variance(x, k, "very_sparse") == pytest.approx(19 / k)
    g = rng(25)
    z = np.array([np.sum(jl.project(x[None], jl.projection_matrix(d, k, g, "very_sparse")) ** 2)
                  for _ in range(2000)])
    assert z.var() == pytest.approx(19 / k, rel=0.15)
    with pytest.raises(ValueError, match="zero vector"):
        jl.ratio_variance(np.zeros(3), 2)


def test_pair_collision_probability_and_cap_estimate():
    g = rng(26)
    for d, eps in [(10, 0.3), (50, 0.2), (200, 0.1)]:
        p = jl.pair_collision_probability(d, eps)
        assert p <= 2 * math.exp(-d * eps**2 / 2)
        U = g.standard_normal((20000, d))
        V = g.standard_normal((20000, d))
        cos = np.sum(U * V, axis=1) / np.linalg.norm(U, axis=1) / np.linalg.norm(V, axis=1)
        assert np.mean(np.abs(cos) > eps) == pytest.approx(p, abs=5 * math.sqrt(p * (1 - p) / 20000) + 1e-3)


def test_near_orthogonal_union_bound_is_the_largest_m():
    for d, eps in [(20, 0.3), (100, 0.3), (60, 0.5)]:
        m = jl.near_orthogonal_union_bound(d, eps)
        p = jl.pair_collision_probability(d, eps)
        assert m * (m - 1) / 2 * p < 1 <= (m + 1) * m / 2 * p
        assert m >= math.floor(math.exp(d * eps**2 / 4))


def test_near_orthogonal_count():
    m, V = jl.near_orthogonal_count(40, 0.3, rng(27), candidates=3000, return_vectors=True)
    assert m == len(V) and m > 40
    G = np.abs(V @ V.T)
    np.fill_diagonal(G, 0)
    assert G.max() <= 0.3 and np.allclose(np.linalg.norm(V, axis=1), 1)
    assert jl.near_orthogonal_count(1, 0.5, rng(), candidates=50) == 1
    assert jl.near_orthogonal_count(60, 0.3, rng(28), candidates=3000) > m


# --------------------------------------------------------------------------- classification, timing, figures
def test_knn_accuracy_on_separated_clusters():
    g = rng(29)
    centres = g.standard_normal((3, 200)) * 10
    y = np.repeat(np.arange(3), 30)
    X = centres[y] + g.standard_normal((90, 200))
    ye = np.repeat(np.arange(3), 10)
    Xe = centres[ye] + g.standard_normal((30, 200))
    assert jl.knn_accuracy(X, y, Xe, ye) == 1.0
    assert jl.projected_knn_accuracy(X, y, Xe, ye, 50, rng(30)) == 1.0


def test_timing_helpers_and_slope():
    assert jl.time_call(lambda: sum(range(100)), repeats=2) >= 0
    out = jl.projection_timings(rng(31).random((20, 400)), 16, rng(32), repeats=1)
    assert set(out) == set(jl.KINDS)
    assert out["gaussian"]["nnz_fraction"] == 1.0 and out["very_sparse"]["nnz_fraction"] < 0.2
    x = np.array([10.0, 100.0, 1000.0])
    assert jl.loglog_slope(x, 3 * x**-0.5) == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="positive"):
        jl.loglog_slope([1, 2], [1, -1])


def test_figure_helpers_run_headless():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    jl.plot_ratio_histogram(ax, rng(33).chisquare(10, 500) / 10, 10, eps=0.3)
    plt.close(fig)
    widget = jl.distortion_explorer(rng(34).standard_normal((20, 30)), seed=1)
    sliders = {c.description: c for c in widget.children[:2]}
    assert set(sliders) == {"k", "eps"} and sliders["k"].max == 30
    sliders["k"].value = 10                       # redraws through the widget's callback
    plt.close("all")
