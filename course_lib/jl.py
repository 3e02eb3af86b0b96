"""Random projections and the Johnson-Lindenstrauss lemma (chapter 01).

Everything chapter 01 computes lives here; the notebook imports it and explains it.

Conventions used by every function:

* a point set is a float array ``X`` of shape ``(n, d)``: ``n`` points (rows) in ``R^d``;
* a projection matrix ``A`` has shape ``(k, d)`` and maps a point ``x`` to ``A @ x``,
  so a whole point set maps to ``X @ A.T`` of shape ``(n, k)``;
* a *distortion ratio* of a pair ``i < j`` is the ratio of **squared** distances
  ``||A x_i - A x_j||^2 / ||x_i - x_j||^2`` (dimensionless); the lemma asks every
  ratio to lie in ``[1 - eps, 1 + eps]``;
* the *maximal distortion* of a projection is ``max_{i<j} |ratio_ij - 1|``; "all pairs
  are within eps" means ``max_distortion <= eps``;
* ``log`` is the natural logarithm throughout;
* randomness comes from an explicit :class:`numpy.random.Generator` (argument ``rng``).

Three kinds of random matrices are provided (``kind=``):

* ``"gaussian"``: i.i.d. ``N(0, 1)`` entries divided by ``sqrt(k)``;
* ``"achlioptas"``: entries ``sqrt(3/k) * {+1, 0, -1}`` with probabilities
  ``{1/6, 2/3, 1/6}`` (Achlioptas 2003);
* ``"very_sparse"``: entries ``sqrt(s/k) * {+1, 0, -1}`` with probabilities
  ``{1/(2s), 1 - 1/s, 1/(2s)}`` and ``s = sqrt(d)`` (Li, Hastie & Church 2006).

All three have entries of mean 0 and variance ``1/k``, so ``E ||A x||^2 = ||x||^2``.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp
from scipy import special, stats
from threadpoolctl import threadpool_limits

__all__ = [
    "KINDS",
    "check_eps",
    "jl_bound",
    "jl_min_dim",
    "guaranteed_eps",
    "gaussian_projection_matrix",
    "sparse_projection_matrix",
    "projection_matrix",
    "project",
    "pairwise_sq_dists",
    "distortions",
    "max_distortion",
    "max_distortion_curve",
    "success_rate",
    "success_curve",
    "draws_until_success",
    "ratio_pdf",
    "pair_failure_probability",
    "ratio_variance",
    "pair_collision_probability",
    "near_orthogonal_count",
    "near_orthogonal_union_bound",
    "knn_accuracy",
    "projected_knn_accuracy",
    "time_call",
    "projection_timings",
    "loglog_slope",
    "plot_ratio_histogram",
    "distortion_explorer",
]

KINDS = ("gaussian", "achlioptas", "very_sparse")


def _single_threaded_blas(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` with one BLAS thread: its many small matrix products are much faster that
    way, above all on a busy machine (threads of a small product mostly wait for each other)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- validation
def check_eps(eps: float) -> float:
    """Return ``eps`` as a float, or raise ``ValueError`` unless ``0 < eps < 1``."""
    try:
        value = float(eps)
    except (TypeError, ValueError):
        raise ValueError(f"eps must be a number in (0, 1), got {eps!r}") from None
    if not 0.0 < value < 1.0:
        raise ValueError(f"eps must lie strictly between 0 and 1, got {eps!r}")
    return value


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not float(n).is_integer():
        raise ValueError(f"the number of points n must be an integer >= 2, got {n!r}")
    if n < 2:
        raise ValueError(f"the number of points n must be at least 2 (one point has no pairs), got {n!r}")
    return int(n)


def _check_k(k: int, name: str = "k") -> int:
    if isinstance(k, bool) or not float(k).is_integer():
        raise ValueError(f"the target dimension {name} must be a positive integer, got {k!r}")
    if k < 1:
        raise ValueError(f"the target dimension {name} must be at least 1, got {k!r}")
    return int(k)


def _check_points(X: Any, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n, d) (one point per row), got shape {X.shape}")
    if X.shape[0] < 2:
        raise ValueError(f"{name} must hold at least 2 points (rows), got {X.shape[0]}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinity")
    return X


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown projection kind {kind!r}; valid kinds are: {', '.join(KINDS)}")
    return kind


# --------------------------------------------------------------------------- the bound
def jl_bound(n: int, eps: float) -> float:
    """The real-valued Johnson-Lindenstrauss bound ``24 ln n / (3 eps^2 - 2 eps^3)`` (chapter 01).

    This is the bound of Dasgupta & Gupta (2003), often written
    ``4 ln n / (eps^2/2 - eps^3/3)``; the two expressions are equal.

    Args:
        n: the number of points, an integer ``>= 2``.
        eps: the allowed relative distortion of squared distances, ``0 < eps < 1``.

    Returns:
        The bound in dimensions (a float); any integer ``k`` at least this large works.

    Raises:
        ValueError: ``n < 2`` or ``eps`` outside ``(0, 1)``.
    """
    n = _check_n(n)
    eps = check_eps(eps)
    return 24.0 * math.log(n) / (3.0 * eps**2 - 2.0 * eps**3)


def jl_min_dim(n: int, eps: float) -> int:
    """The smallest integer ``k`` with ``k >= 24 ln n / (3 eps^2 - 2 eps^3)`` (chapter 01).

    Note the ceiling: ``sklearn.random_projection.johnson_lindenstrauss_min_dim``
    truncates the same expression (a floor), which can be one below the bound.

    Args:
        n: the number of points, an integer ``>= 2``.
        eps: the allowed relative distortion of squared distances, ``0 < eps < 1``.

    Returns:
        The target dimension, an ``int``.
    """
    return int(math.ceil(jl_bound(n, eps)))


def guaranteed_eps(n: int, k: int) -> float:
    """The smallest ``eps`` in ``(0, 1)`` whose bound ``k`` already meets (chapter 01).

    Inverts the bound: solves ``3 eps^2 - 2 eps^3 = 24 ln n / k``. The left side increases
    from 0 to 1 on ``(0, 1)``, so a solution exists exactly when ``k > 24 ln n``.

    Args:
        n: the number of points, ``>= 2``.
        k: the target dimension, ``>= 1``.

    Returns:
        The guaranteed distortion (dimensionless), or ``nan`` when ``k <= 24 ln n``
        (the lemma then guarantees nothing below ``eps = 1``).
    """
    n = _check_n(n)
    k = _check_k(k)
    target = 24.0 * math.log(n) / k
    if target >= 1.0:
        return float("nan")
    # 3e^2 - 2e^3 = target has exactly one root in (0, 1): bisection is simple and exact enough.
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if 3 * mid**2 - 2 * mid**3 < target:
            lo = mid
        else:
            hi = mid
    return hi


# --------------------------------------------------------------------------- random matrices
def gaussian_projection_matrix(d: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """The Gaussian Johnson-Lindenstrauss matrix ``A = M / sqrt(k)`` (chapter 01).

    Args:
        d: the input dimension (e.g. 784 for a 28x28 image).
        k: the target dimension.
        rng: the random generator.

    Returns:
        A float64 array of shape ``(k, d)`` with i.i.d. ``N(0, 1/k)`` entries, so that
        ``E ||A x||^2 = ||x||^2`` for every ``x``.
    """
    d = _check_k(d, "d")
    k = _check_k(k)
    return rng.standard_normal((k, d)) / math.sqrt(k)


def sparse_projection_matrix(
    d: int, k: int, rng: np.random.Generator, density: float | str = "auto", dense: bool = False
) -> sp.csr_matrix | np.ndarray:
    """A sparse random sign matrix of shape ``(k, d)`` (chapter 01).

    Each entry is independently ``+sqrt(1/(density*k))`` or ``-sqrt(1/(density*k))`` with
    probability ``density/2`` each, and 0 otherwise, so entries have mean 0 and variance
    ``1/k``. ``density=1/3`` is Achlioptas' (2003) matrix ``sqrt(3/k) * {+1, 0, -1}``;
    ``density="auto"`` is ``1/sqrt(d)``, the very sparse matrix of Li, Hastie & Church (2006).

    For small densities the positions of the non-zeros are drawn exactly (i.i.d. Bernoulli
    entries) without touching the ``k*d`` zeros: the gaps between successive non-zeros of the
    flattened matrix are geometric random variables. For densities above 0.05 one uniform
    number per entry is cheaper.

    Args:
        d: the input dimension.
        k: the target dimension.
        rng: the random generator.
        density: the probability of a non-zero entry, in ``(0, 1]``, or ``"auto"``.
        dense: return a dense array instead of a sparse matrix (same entries; faster to apply
            with BLAS when the density is not small, e.g. Achlioptas' 1/3).

    Returns:
        A ``scipy.sparse.csr_matrix`` (or, with ``dense=True``, an array) of shape ``(k, d)``.
    """
    d = _check_k(d, "d")
    k = _check_k(k)
    if density == "auto":
        density = 1.0 / math.sqrt(d)
    density = float(density)
    if not 0.0 < density <= 1.0:
        raise ValueError(f"density must lie in (0, 1], got {density!r}")
    total = k * d
    scale = math.sqrt(1.0 / (density * k))
    if density > 0.05:
        u = rng.random((k, d))
        A = np.where(u < density / 2, scale, np.where(u < density, -scale, 0.0))
        return A if dense else sp.csr_matrix(A)
    expected = total * density
    chunks, last = [], -1
    while True:
        m = int(expected + 6.0 * math.sqrt(expected) + 16)
        gaps = rng.geometric(density, size=m)
        pos = last + np.cumsum(gaps)
        chunks.append(pos[pos < total])
        if pos[-1] >= total:
            break
        last = int(pos[-1])
    flat = np.concatenate(chunks)
    signs = rng.integers(0, 2, size=flat.size) * 2.0 - 1.0
    rows, cols = np.divmod(flat, d)
    A = sp.csr_matrix((signs * scale, (rows, cols)), shape=(k, d))
    return A.toarray() if dense else A


def projection_matrix(d: int, k: int, rng: np.random.Generator, kind: str = "gaussian") -> np.ndarray | sp.csr_matrix:
    """A random ``(k, d)`` projection matrix of the given ``kind`` (chapter 01).

    Args:
        d: the input dimension.
        k: the target dimension.
        rng: the random generator.
        kind: ``"gaussian"``, ``"achlioptas"`` (density 1/3) or ``"very_sparse"`` (density 1/sqrt(d)).

    Returns:
        A dense array for ``"gaussian"`` and ``"achlioptas"`` (at density 1/3 a sparse format
        does not pay: BLAS applies the dense array faster) and a CSR sparse matrix for
        ``"very_sparse"``.
    """
    kind = _check_kind(kind)
    if kind == "gaussian":
        return gaussian_projection_matrix(d, k, rng)
    if kind == "achlioptas":
        return sparse_projection_matrix(d, k, rng, density=1.0 / 3.0, dense=True)
    return sparse_projection_matrix(d, k, rng, density="auto")


def project(X: Any, A: np.ndarray | sp.spmatrix) -> np.ndarray:
    """Apply the linear map ``A`` (shape ``(k, d)``) to every row of ``X`` (shape ``(n, d)``).

    A sparse ``A`` multiplies ``X.T``, which must be C-contiguous for scipy's fast kernel:
    points stored column by column (``np.asfortranarray(X)``) avoid a copy.

    Returns:
        The projected points ``X @ A.T``, a float64 array of shape ``(n, k)``.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d), got {X.shape}")
    if A.shape[1] != X.shape[1]:
        raise ValueError(f"A has shape {A.shape} but the points have d = {X.shape[1]} coordinates; A must be (k, d)")
    if sp.issparse(A):
        return np.asarray((A @ np.ascontiguousarray(X.T)).T)
    return X @ np.asarray(A, dtype=np.float64).T


# --------------------------------------------------------------------------- distances and distortion
def _gram_to_sq_dists(G: np.ndarray) -> np.ndarray:
    sq = np.diag(G)
    D = sq[:, None] + sq[None, :] - 2.0 * G
    np.maximum(D, 0.0, out=D)
    np.fill_diagonal(D, 0.0)
    return D


def pairwise_sq_dists(X: Any, condensed: bool = True) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``X`` (chapter 01).

    Uses ``||x_i||^2 + ||x_j||^2 - 2 <x_i, x_j>`` in float64 (one matrix product).

    Args:
        X: points, shape ``(n, d)``.
        condensed: ``True`` returns the ``n(n-1)/2`` values of the pairs ``i < j`` in the
            order of :func:`scipy.spatial.distance.pdist`; ``False`` returns the full
            symmetric ``(n, n)`` matrix with a zero diagonal.

    Returns:
        Squared distances, in the squared units of ``X``.
    """
    X = _check_points(X)
    D = _gram_to_sq_dists(X @ X.T)
    if not condensed:
        return D
    iu = np.triu_indices(X.shape[0], k=1)
    return D[iu]


def distortions(X: Any, Y: Any) -> np.ndarray:
    """Distortion ratios ``||y_i - y_j||^2 / ||x_i - x_j||^2`` of all pairs ``i < j`` (chapter 01).

    Args:
        X: the original points, shape ``(n, d)``; the rows must be distinct.
        Y: their images, shape ``(n, k)`` (row ``i`` is the image of row ``i``).

    Returns:
        ``n(n-1)/2`` dimensionless ratios in :func:`scipy.spatial.distance.pdist` order
        (1 means the squared distance is preserved exactly). The diagonal ``i = j`` is
        excluded: it would be 0/0.

    Raises:
        ValueError: different numbers of points, or two equal points in ``X``.
    """
    X = _check_points(X)
    Y = _check_points(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must hold the same number of points, got {X.shape[0]} and {Y.shape[0]}")
    dx = pairwise_sq_dists(X)
    if np.any(dx <= 0):
        raise ValueError("X contains two equal points (a zero distance); remove duplicates first")
    return pairwise_sq_dists(Y) / dx


def max_distortion(X: Any, Y: Any) -> float:
    """The largest ``|ratio - 1|`` over all pairs ``i < j`` (chapter 01).

    All pairs are within ``eps`` exactly when ``max_distortion(X, Y) <= eps``.
    """
    return float(np.max(np.abs(distortions(X, Y) - 1.0)))


@_single_threaded_blas
def max_distortion_curve(
    X: Any,
    ks: Sequence[int],
    trials: int,
    rng: np.random.Generator,
    kind: str = "gaussian",
) -> np.ndarray:
    """Maximal distortion of ``trials`` random projections for every target dimension in ``ks``.

    Within one trial the maps for the different ``k`` share rows: one ``(k_max, d)``
    matrix with unit-variance entries is drawn and the map to ``k`` dimensions uses its
    first ``k`` rows divided by ``sqrt(k)``. Each map has exactly the distribution of
    :func:`projection_matrix` (rows are i.i.d.), and sharing rows makes curves over ``k``
    smoother (common random numbers). Cost per trial: one ``(n, d) x (d, k_max)``
    product and ``n^2 k_max`` operations for the Gram matrices.

    Shortcut for the Gaussian kind when ``n < d``: the points are first rotated into
    ``n`` coordinates (centre them and take ``U S`` of a thin SVD, which keeps every
    pairwise distance) and a ``(k, n)`` Gaussian matrix is drawn instead of a ``(k, d)``
    one. This changes nothing in distribution: a Gaussian matrix times a matrix with
    orthonormal columns is again a Gaussian matrix (rotation invariance), so the
    distortions of ``X`` under ``A`` and of ``U S`` under ``A V`` have the same law.

    Args:
        X: points, shape ``(n, d)``, distinct rows.
        ks: target dimensions (positive integers, any order).
        trials: the number of independent random maps, ``>= 1``.
        rng: the random generator.
        kind: ``"gaussian"``, ``"achlioptas"`` or ``"very_sparse"``.

    Returns:
        An array of shape ``(trials, len(ks))`` of maximal distortions (dimensionless).
    """
    X = _check_points(X)
    kind = _check_kind(kind)
    ks_arr = np.array([_check_k(k) for k in ks], dtype=int)
    if ks_arr.size == 0:
        raise ValueError("ks must hold at least one target dimension")
    trials = _check_k(trials, "trials")
    n, d = X.shape
    dx = pairwise_sq_dists(X, condensed=False)
    off = ~np.eye(n, dtype=bool)
    if np.any(dx[off] <= 0):
        raise ValueError("X contains two equal points (a zero distance); remove duplicates first")
    if kind == "gaussian" and n < d:
        U, S, _ = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
        X = U * S
        d = X.shape[1]
    inv_dx = np.where(off, 1.0 / np.where(off, dx, 1.0), 0.0)
    order = np.argsort(ks_arr)
    k_max = int(ks_arr.max())
    out = np.empty((trials, ks_arr.size))
    for t in range(trials):
        # Unit-variance rows; the division by sqrt(k) is applied per k below.
        R = projection_matrix(d, k_max, rng, kind) * math.sqrt(k_max)
        Y = project(X, R)
        G = np.zeros((n, n))
        done = 0
        for idx in order:
            k = int(ks_arr[idx])
            if k > done:
                block = Y[:, done:k]
                G += block @ block.T
                done = k
            ratio = _gram_to_sq_dists(G) * inv_dx / k
            out[t, idx] = np.max(np.abs(ratio[off] - 1.0))
    return out


def success_curve(
    X: Any,
    ks: Sequence[int],
    eps: float,
    trials: int,
    rng: np.random.Generator,
    kind: str = "gaussian",
) -> np.ndarray:
    """Fraction of random maps that keep *all* pairs within ``eps``, for every ``k`` in ``ks``.

    Uses :func:`max_distortion_curve` (shared rows across ``k``).

    Returns:
        An array of shape ``(len(ks),)`` of empirical success probabilities in ``[0, 1]``.
    """
    eps = check_eps(eps)
    return np.mean(max_distortion_curve(X, ks, trials, rng, kind) <= eps, axis=0)


def success_rate(
    X: Any,
    k: int,
    eps: float,
    trials: int,
    rng: np.random.Generator,
    kind: str = "gaussian",
) -> float:
    """Empirical probability that one random map to ``k`` dimensions keeps all pairs within ``eps``.

    Args:
        X: points, shape ``(n, d)``, distinct rows.
        k: the target dimension.
        eps: the allowed distortion of squared distances, ``0 < eps < 1``.
        trials: the number of independent maps drawn.
        rng: the random generator.
        kind: ``"gaussian"``, ``"achlioptas"`` or ``"very_sparse"``.

    Returns:
        The fraction of the ``trials`` maps with ``max_distortion <= eps``.
    """
    return float(success_curve(X, [k], eps, trials, rng, kind)[0])


@_single_threaded_blas
def draws_until_success(
    X: Any, k: int, eps: float, rng: np.random.Generator, max_draws: int = 1000, kind: str = "gaussian"
) -> int:
    """Draw random maps until one keeps all pairs within ``eps``; return how many draws it took.

    This is the Las Vegas algorithm behind the lemma: with success probability ``p`` per
    draw the count is geometric with mean ``1/p`` (at most ``n`` when ``k`` meets the bound).

    Returns:
        The number of draws (``>= 1``), or ``max_draws + 1`` if none of ``max_draws`` succeeded.
    """
    X = _check_points(X)
    eps = check_eps(eps)
    k = _check_k(k)
    for draw in range(1, _check_k(max_draws, "max_draws") + 1):
        if max_distortion(X, project(X, projection_matrix(X.shape[1], k, rng, kind))) <= eps:
            return draw
    return max_draws + 1


# --------------------------------------------------------------------------- theory for the figures
def ratio_pdf(r: Any, k: int) -> np.ndarray:
    """Density of one Gaussian distortion ratio, ``chi^2_k / k``, at ``r`` (chapter 01).

    For the Gaussian map the ratio of one pair has this law whatever the data are.
    """
    k = _check_k(k)
    r = np.asarray(r, dtype=np.float64)
    return k * stats.chi2.pdf(k * r, df=k)


def pair_failure_probability(k: int, eps: float) -> float:
    """Exact probability that the Gaussian map moves one pair's ratio outside ``[1-eps, 1+eps]``.

    ``P(chi^2_k >= k(1+eps)) + P(chi^2_k <= k(1-eps))``: what the proof bounds by ``2/n^2``
    (chapter 01). It is the same for every pair of distinct points.
    """
    k = _check_k(k)
    eps = check_eps(eps)
    return float(stats.chi2.sf(k * (1 + eps), df=k) + stats.chi2.cdf(k * (1 - eps), df=k))


def ratio_variance(x: Any, k: int, kind: str = "gaussian") -> float:
    """Variance of ``||A x||^2 / ||x||^2`` for one fixed vector ``x`` (chapter 01).

    For a matrix with i.i.d. entries of mean 0, variance ``1/k`` and fourth moment
    ``s/k^2`` the variance is ``(2 + (s - 3) sum_j x_j^4 / ||x||^4) / k`` (Li et al. 2006):
    ``s = 3`` for Gaussian and Achlioptas entries (variance ``2/k``), ``s = sqrt(d)`` for the
    very sparse matrix, which pays a little for spiky vectors.

    Args:
        x: one vector of length ``d`` (not all zero).
        k: the target dimension.
        kind: the projection kind.

    Returns:
        The variance (dimensionless).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    k = _check_k(k)
    kind = _check_kind(kind)
    norm2 = float(x @ x)
    if norm2 == 0:
        raise ValueError("x must not be the zero vector")
    s = {"gaussian": 3.0, "achlioptas": 3.0, "very_sparse": math.sqrt(x.size)}[kind]
    return (2.0 + (s - 3.0) * float(np.sum(x**4)) / norm2**2) / k


def pair_collision_probability(d: int, eps: float) -> float:
    """``P(|<u, v>| > eps)`` for independent uniform unit vectors ``u, v`` in ``R^d`` (chapter 01).

    ``<u, v>`` has the law of one coordinate ``u_1`` of a uniform unit vector, and
    ``u_1^2 ~ Beta(1/2, (d-1)/2)``, so the probability is the regularised incomplete beta
    function ``I_{1 - eps^2}((d-1)/2, 1/2)``. It is at most ``2 exp(-d eps^2 / 2)``
    (the spherical-cap estimate, see Ball 1997).
    """
    d = _check_k(d, "d")
    eps = check_eps(eps)
    if d == 1:
        return 1.0
    return float(special.betainc((d - 1) / 2.0, 0.5, 1.0 - eps**2))


def near_orthogonal_union_bound(d: int, eps: float) -> int:
    """The number of pairwise eps-orthogonal unit vectors in ``R^d`` that the union bound guarantees.

    ``m`` random unit vectors are all pairwise eps-orthogonal with positive probability
    when ``m(m-1)/2 * P(|<u, v>| > eps) < 1``; this returns the largest such ``m``
    (exact pair probability from :func:`pair_collision_probability`). With the cap
    estimate it is at least about ``exp(d eps^2 / 4)``: exponential in ``d``.
    """
    p = pair_collision_probability(d, eps)
    if p <= 0:
        return np.iinfo(np.int64).max
    # largest m with m (m - 1) / 2 < 1 / p
    m = int(math.floor(0.5 + math.sqrt(0.25 + 2.0 / p)))
    while m * (m - 1) / 2 * p >= 1:
        m -= 1
    return max(m, 1)


@_single_threaded_blas
def near_orthogonal_count(
    d: int, eps: float, rng: np.random.Generator, candidates: int = 20000, batch: int = 256,
    return_vectors: bool = False,
) -> int | tuple[int, np.ndarray]:
    """Greedily collect random unit vectors in ``R^d`` that are pairwise eps-orthogonal (chapter 01).

    Draws ``candidates`` uniform unit vectors one after the other and keeps a vector when
    ``|<v, w>| <= eps`` for every vector ``w`` kept so far. The count is a lower bound on
    the largest eps-orthogonal family in ``R^d`` (an orthonormal basis gives ``d``
    for any ``eps``; random vectors give exponentially many as ``d`` grows).

    Args:
        d: the dimension.
        eps: the largest allowed ``|cosine|`` between kept vectors, ``0 < eps < 1``.
        rng: the random generator.
        candidates: how many random vectors to try (the count is capped by it).
        batch: candidates drawn per vectorised step.
        return_vectors: also return the kept vectors (rows of an ``(m, d)`` array).

    Returns:
        The number ``m`` of kept vectors (and the vectors when ``return_vectors`` is true).
    """
    d = _check_k(d, "d")
    eps = check_eps(eps)
    candidates = _check_k(candidates, "candidates")
    kept = np.empty((min(candidates, 4096), d))
    m = 0
    tried = 0
    while tried < candidates:
        b = min(batch, candidates - tried)
        V = rng.standard_normal((b, d))
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        tried += b
        # Test the batch against the kept set in one product, then resolve the batch in order.
        ok = np.all(np.abs(V @ kept[:m].T) <= eps, axis=1) if m else np.ones(b, dtype=bool)
        start = m
        for i in np.flatnonzero(ok):
            v = V[i]
            if m > start and np.any(np.abs(kept[start:m] @ v) > eps):
                continue
            if m == kept.shape[0]:
                kept = np.concatenate([kept, np.empty_like(kept)])
            kept[m] = v
            m += 1
    return (m, kept[:m].copy()) if return_vectors else m


# --------------------------------------------------------------------------- nearest neighbours
def knn_accuracy(
    X_train: Any, y_train: Any, X_eval: Any, y_eval: Any, n_neighbors: int = 1
) -> float:
    """Accuracy of a k-nearest-neighbour classifier (Euclidean distance) (chapter 01).

    Args:
        X_train: training points, shape ``(n_train, d)``.
        y_train: training labels, shape ``(n_train,)``.
        X_eval: evaluation points, shape ``(n_eval, d)``.
        y_eval: evaluation labels, shape ``(n_eval,)``.
        n_neighbors: the number of neighbours (fixed in advance, never tuned on ``X_eval``).

    Returns:
        The fraction of evaluation points classified correctly, in ``[0, 1]``.
    """
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=_check_k(n_neighbors, "n_neighbors"), algorithm="brute")
    clf.fit(np.asarray(X_train, dtype=np.float64), np.asarray(y_train))
    return float(np.mean(clf.predict(np.asarray(X_eval, dtype=np.float64)) == np.asarray(y_eval)))


def projected_knn_accuracy(
    X_train: Any,
    y_train: Any,
    X_eval: Any,
    y_eval: Any,
    k: int,
    rng: np.random.Generator,
    kind: str = "gaussian",
    n_neighbors: int = 1,
) -> float:
    """Nearest-neighbour accuracy after one random projection to ``k`` dimensions (chapter 01).

    The same random matrix (drawn without looking at any data) maps the training and
    the evaluation points.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    A = projection_matrix(X_train.shape[1], k, rng, kind)
    return knn_accuracy(project(X_train, A), y_train, project(X_eval, A), y_eval, n_neighbors)


# --------------------------------------------------------------------------- timing and trends
def time_call(fn: Callable[[], Any], repeats: int = 3) -> float:
    """The best wall-clock time in seconds of ``repeats`` calls of ``fn()`` (chapter 01)."""
    best = float("inf")
    for _ in range(_check_k(repeats, "repeats")):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def projection_timings(
    X: Any, k: int, rng: np.random.Generator, kinds: Sequence[str] = KINDS, repeats: int = 3
) -> dict[str, dict[str, float]]:
    """Time drawing a ``(k, d)`` matrix and projecting ``X`` with it, for each kind (chapter 01).

    ``X`` is first stored column by column (Fortran order), once and outside the timings:
    the sparse product then reads ``X.T`` without a copy, and the dense BLAS product is
    equally fast in either layout.

    Returns:
        ``{kind: {"draw_s": seconds, "project_s": seconds, "total_s": seconds, "nnz_fraction": f}}``
        (best of ``repeats``), where ``nnz_fraction`` is the fraction of non-zero entries.
    """
    X = np.asfortranarray(X, dtype=np.float64)
    d = X.shape[1]
    out: dict[str, dict[str, float]] = {}
    for kind in kinds:
        A = projection_matrix(d, k, rng, kind)
        draw = time_call(lambda: projection_matrix(d, k, rng, kind), repeats)
        proj = time_call(lambda: project(X, A), repeats)
        nnz = A.nnz if sp.issparse(A) else int(np.count_nonzero(A))
        out[kind] = {"draw_s": draw, "project_s": proj, "total_s": draw + proj, "nnz_fraction": nnz / (k * d)}
    return out


def loglog_slope(x: Any, y: Any) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (a power law ``y ~ x^slope``)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.size < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("loglog_slope needs two equally long arrays of positive numbers (at least 2)")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


# --------------------------------------------------------------------------- figures and widget
def plot_ratio_histogram(ax: Any, ratios: Any, k: int, eps: float | None = None, label: str | None = None,
                         bins: int = 60, density_curve: bool = True) -> None:
    """Histogram of distortion ratios on ``ax``, with the ``chi^2_k/k`` density and ``1 +- eps`` lines."""
    ratios = np.asarray(ratios, dtype=np.float64)
    ax.hist(ratios, bins=bins, density=True, alpha=0.6, label=label or f"pairs (k = {k})")
    if density_curve:
        lo = max(0.0, min(ratios.min(), 1 - 4 * math.sqrt(2 / k)))
        hi = max(ratios.max(), 1 + 4 * math.sqrt(2 / k))
        r = np.linspace(lo, hi, 400)
        ax.plot(r, ratio_pdf(r, k), "k-", lw=1.2, label=r"density of $\chi^2_k/k$")
    if eps is not None:
        for edge in (1 - eps, 1 + eps):
            ax.axvline(edge, color="tab:red", ls="--", lw=1)
    ax.set_xlabel(r"ratio $\|Ax_i-Ax_j\|^2 / \|x_i-x_j\|^2$")
    ax.set_ylabel("density")


def distortion_explorer(X: Any, seed: int = 0, k_max: int | None = None, kind: str = "gaussian") -> Any:
    """An ipywidgets control: sliders for ``k`` and ``eps``, the histogram of the ratios (chapter 01).

    Moving a slider redraws the histogram of the distortion ratios of ``X`` under one
    random map (seeded by ``seed`` and ``k``) and says whether all pairs are within
    ``eps`` and what the lemma's bound is for this ``n`` and ``eps``.

    Returns:
        An ``ipywidgets.interactive`` object (display it; its ``.update()`` redraws).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    X = _check_points(X)
    n, d = X.shape
    k_max = int(k_max or d)

    def show(k: int = 64, eps: float = 0.3) -> None:
        rng = np.random.default_rng([seed, k])
        ratios = distortions(X, project(X, projection_matrix(d, k, rng, kind)))
        worst = float(np.max(np.abs(ratios - 1)))
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        plot_ratio_histogram(ax, ratios, k, eps)
        verdict = "all pairs within eps" if worst <= eps else f"{np.mean(np.abs(ratios - 1) > eps):.1%} of pairs outside"
        ax.set_title(f"n = {n}, k = {k}: max distortion {worst:.3f} -> {verdict}\n"
                     f"bound for eps = {eps:.2f}: k >= {jl_min_dim(n, eps)}", fontsize=10)
        fig.tight_layout()
        plt.show()

    k_slider = widgets.IntSlider(value=min(64, k_max), min=2, max=k_max, step=1, description="k",
                                 continuous_update=False)
    eps_slider = widgets.FloatSlider(value=0.3, min=0.05, max=0.95, step=0.05, description="eps",
                                     continuous_update=False)
    return widgets.interactive(show, k=k_slider, eps=eps_slider)
