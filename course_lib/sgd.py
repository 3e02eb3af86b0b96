"""Projected stochastic subgradient descent on non-smooth convex problems (chapter 02).

Everything chapter 02 computes lives here; the notebook imports it and explains it.

Conventions used by every function:

* a point is a float array of shape ``(d,)``; a *batch* of points has shape ``(..., d)``
  (chapter 02 runs many seeds at once, so the iterates have shape ``(S, d)``, one row per
  seed);
* iterations are numbered from 1, as in the papers: ``w_1`` is the starting point and
  ``w_{t+1} = Pi_W(w_t - eta_t g_t)``, so ``w_T`` is the point after ``T - 1`` steps and
  ``eta_1`` is the first step size (``1/lambda`` for the strongly convex schedule);
* ``F`` is the objective, ``w*`` its minimiser over the domain ``W``, ``F* = F(w*)``;
  a *suboptimality* is ``F(w) - F*`` (in the units of ``F``, never negative);
* ``G`` bounds the second moment of the stochastic subgradients, ``E ||g_hat||^2 <= G^2``
  on ``W``; ``D`` is the diameter of ``W``; ``lam`` is the strong-convexity modulus
  (0 for a merely convex problem);
* ``log`` is the natural logarithm throughout;
* randomness comes from an explicit :class:`numpy.random.Generator`.

References: Zinkevich (ICML 2003) for projected online gradient descent; Rakhlin,
Shamir & Sridharan (ICML 2012) for suffix averaging and the hard instances;
Shamir & Zhang (ICML 2013) for the last-iterate bounds and polynomial-decay averaging.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "AVERAGES",
    "SCHEDULES",
    "Problem",
    "SGDRun",
    "SVMSolution",
    "averaged_convex_bound",
    "convex_bound",
    "convex_l1_problem",
    "fit_slope",
    "hinge_svm_problem",
    "log_checkpoints",
    "plot_suboptimality",
    "polynomial_decay_average",
    "project_ball",
    "project_box",
    "rakhlin_example",
    "run_sgd",
    "step_sizes",
    "strongly_convex_bound",
    "strongly_convex_l1_problem",
    "suffix_average",
    "suffix_start",
    "svm_objective",
    "svm_optimum",
    "uniform_average",
]

SCHEDULES = ("strongly_convex", "sqrt", "constant")
AVERAGES = ("last", "uniform", "suffix", "poly")


# --------------------------------------------------------------------------- validation
def _positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return x


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _as_points(v: Any, name: str = "v") -> np.ndarray:
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be a vector or a batch of vectors (shape (..., d)), got a scalar")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def _as_horizon(T: Any) -> np.ndarray:
    arr = np.asarray(T, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 1):
        raise ValueError(f"the horizon T must be >= 1 (iterations are numbered from 1), got {T!r}")
    return arr


# --------------------------------------------------------------------------- projections
def project_ball(v: Any, radius: float = 1.0) -> np.ndarray:
    """Euclidean projection onto the ball ``{w : ||w|| <= radius}`` centred at 0 (chapter 02).

    A point inside the ball is returned unchanged; a point outside is scaled onto the
    sphere, ``v * radius / ||v||``. Works on a batch: the norm is taken over the last axis.

    Args:
        v: a point of shape ``(d,)`` or a batch of shape ``(..., d)``.
        radius: the radius of the ball, > 0 (same units as ``v``).

    Returns:
        A new array of the shape of ``v``.

    Raises:
        ValueError: ``radius`` is not a positive finite number, or ``v`` is a scalar or not finite.
    """
    r = _positive("radius", radius)
    arr = _as_points(v)
    norms = np.linalg.norm(arr, axis=-1, keepdims=True)
    return arr * (r / np.maximum(norms, r))


def project_box(v: Any, lower: Any, upper: Any) -> np.ndarray:
    """Euclidean projection onto the box ``{w : lower <= w <= upper}`` (coordinatewise; chapter 02).

    The box is a product of intervals, so its projection clips every coordinate on its own:
    ``min(max(v_i, lower_i), upper_i)``.

    Args:
        v: a point ``(d,)`` or a batch ``(..., d)``.
        lower, upper: bounds, scalars or arrays broadcastable to ``v``, with ``lower <= upper``.

    Returns:
        A new array of the shape of ``v``.

    Raises:
        ValueError: some ``lower_i > upper_i``, bounds that are NaN, or a non-finite ``v``.
    """
    arr = _as_points(v)
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    if np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
        raise ValueError("the box bounds must not be NaN")
    if np.any(lo > hi):
        raise ValueError("the box is empty: every lower bound must be <= its upper bound")
    return np.minimum(np.maximum(arr, lo), hi)


def _ball(w: np.ndarray, radius: float) -> np.ndarray:
    """:func:`project_ball` without input checks (the runner calls it at every step)."""
    norms = np.sqrt(np.einsum("...d,...d->...", w, w))[..., None]
    return w * (radius / np.maximum(norms, radius))


# --------------------------------------------------------------------------- step sizes
def step_sizes(T: int, schedule: str, *, lam: float | None = None, c: float | None = None,
               eta: float | None = None) -> np.ndarray:
    """The step sizes ``eta_1, ..., eta_T`` of a schedule (chapter 02).

    * ``"strongly_convex"``: ``eta_t = 1 / (lam * t)`` (Shamir & Zhang's Theorem 1; needs ``lam``);
    * ``"sqrt"``: ``eta_t = c / sqrt(t)`` (Theorem 2; needs ``c``);
    * ``"constant"``: ``eta_t = eta`` (needs ``eta``).

    Args:
        T: the number of step sizes, >= 1.
        schedule: one of :data:`SCHEDULES`.
        lam, c, eta: the schedule's parameter, > 0.

    Returns:
        A float array of shape ``(T,)`` whose entry ``t - 1`` is ``eta_t``.

    Raises:
        ValueError: unknown schedule, a missing or non-positive parameter, ``T < 1``.
    """
    T = _positive_int("T", T)
    t = np.arange(1, T + 1, dtype=np.float64)
    if schedule == "strongly_convex":
        if lam is None:
            raise ValueError("the 'strongly_convex' schedule eta_t = 1/(lam t) needs lam")
        return 1.0 / (_positive("lam", lam) * t)
    if schedule == "sqrt":
        if c is None:
            raise ValueError("the 'sqrt' schedule eta_t = c/sqrt(t) needs c")
        return _positive("c", c) / np.sqrt(t)
    if schedule == "constant":
        if eta is None:
            raise ValueError("the 'constant' schedule needs eta")
        return np.full(T, _positive("eta", eta))
    raise ValueError(f"unknown step-size schedule {schedule!r}; valid schedules are: {', '.join(SCHEDULES)}")


# --------------------------------------------------------------------------- bounds
def strongly_convex_bound(T: Any, G: float, lam: float) -> np.ndarray | float:
    """Shamir & Zhang's last-iterate bound for ``eta_t = 1/(lam t)`` (Theorem 1; chapter 02).

    ``E[F(w_T) - F*] <= 17 G^2 (1 + log T) / (lam T)`` for a ``lam``-strongly convex ``F``
    with ``E ||g_hat||^2 <= G^2``.

    Args:
        T: the iteration (scalar or array), >= 1.
        G: the bound on the root second moment of the subgradients, > 0.
        lam: the strong-convexity modulus, > 0.

    Returns:
        The bound, in the units of ``F`` (a float for a scalar ``T``).
    """
    t = _as_horizon(T)
    g, lm = _positive("G", G), _positive("lam", lam)
    out = 17.0 * g**2 * (1.0 + np.log(t)) / (lm * t)
    return float(out) if out.ndim == 0 else out


def convex_bound(T: Any, G: float, D: float, c: float) -> np.ndarray | float:
    """Shamir & Zhang's last-iterate bound for ``eta_t = c/sqrt(t)`` (Theorem 2; chapter 02).

    ``E[F(w_T) - F*] <= (D^2/c + c G^2) (2 + log T) / sqrt(T)`` for a convex ``F`` on a
    domain of diameter ``D`` with ``E ||g_hat||^2 <= G^2``.

    Args:
        T: the iteration (scalar or array), >= 1.
        G: the bound on the root second moment of the subgradients, > 0.
        D: the diameter of the domain, > 0.
        c: the step-size constant, > 0.

    Returns:
        The bound, in the units of ``F``.
    """
    t = _as_horizon(T)
    g, d, cc = _positive("G", G), _positive("D", D), _positive("c", c)
    out = (d**2 / cc + cc * g**2) * (2.0 + np.log(t)) / np.sqrt(t)
    return float(out) if out.ndim == 0 else out


def averaged_convex_bound(T: Any, G: float, D: float, c: float) -> np.ndarray | float:
    """The classical bound for the *uniform average* with ``eta_t = c/sqrt(t)`` (chapter 02).

    ``E[F(w_bar_T) - F*] <= (D^2/(2c) + c G^2) / sqrt(T)``, from Zinkevich's regret argument
    and Jensen's inequality; the same argument is the last step of Theorem 2's proof.
    """
    t = _as_horizon(T)
    g, d, cc = _positive("G", G), _positive("D", D), _positive("c", c)
    out = (d**2 / (2.0 * cc) + cc * g**2) / np.sqrt(t)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- averaging
def suffix_start(T: int, alpha: float) -> int:
    """First index of the alpha-suffix of ``w_1, ..., w_T``: ``T - ceil(alpha T) + 1`` (chapter 02).

    The alpha-suffix average (Rakhlin, Shamir & Sridharan 2012) averages the last
    ``ceil(alpha T)`` iterates (at least one); ``alpha = 1`` is the uniform average.

    Raises:
        ValueError: ``T < 1`` or ``alpha`` outside ``(0, 1]``.
    """
    T = _positive_int("T", T)
    a = _check_alpha(alpha)
    k = max(1, math.ceil(a * T - 1e-9))
    return T - k + 1


def _check_alpha(alpha: Any) -> float:
    a = _positive("alpha", alpha)
    if a > 1:
        raise ValueError(f"alpha is the fraction of iterates averaged and must lie in (0, 1], got {alpha!r}")
    return a


def _check_gamma(gamma: Any) -> float:
    return _positive("gamma", gamma, allow_zero=True)


def _as_path(iterates: Any) -> np.ndarray:
    arr = np.asarray(iterates, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[0] < 1:
        raise ValueError("iterates must be an array whose first axis is time: w_1, ..., w_T")
    return arr


def uniform_average(iterates: Any) -> np.ndarray:
    """Running uniform averages ``(w_1 + ... + w_t)/t`` for every ``t`` (chapter 02).

    Args:
        iterates: an array whose first axis is time, ``(T, ...)``.

    Returns:
        An array of the same shape whose entry ``t - 1`` is the average of the first ``t`` iterates.
    """
    path = _as_path(iterates)
    t = np.arange(1, path.shape[0] + 1).reshape((-1,) + (1,) * (path.ndim - 1))
    return np.cumsum(path, axis=0) / t


def suffix_average(iterates: Any, alpha: float = 0.5) -> np.ndarray:
    """The alpha-suffix average of a trajectory ``w_1, ..., w_T`` (chapter 02).

    The mean of the last ``ceil(alpha T)`` iterates (see :func:`suffix_start`).

    Args:
        iterates: an array whose first axis is time, ``(T, ...)``.
        alpha: the fraction of iterates kept, in ``(0, 1]``.

    Returns:
        An array of shape ``iterates.shape[1:]``.
    """
    path = _as_path(iterates)
    start = suffix_start(path.shape[0], alpha)
    return path[start - 1:].mean(axis=0)


def polynomial_decay_average(iterates: Any, gamma: float = 3.0) -> np.ndarray:
    """Running polynomial-decay averages of Shamir & Zhang (2013), for every ``t`` (chapter 02).

    ``w_bar_1 = w_1`` and ``w_bar_t = (1 - (gamma+1)/(t+gamma)) w_bar_{t-1} + (gamma+1)/(t+gamma) w_t``.
    Shamir & Zhang call the parameter ``eta``; the course writes ``gamma`` so that it does not
    clash with the step sizes. ``gamma = 0`` is the uniform average; larger ``gamma`` forgets
    the early iterates faster.

    Args:
        iterates: an array whose first axis is time, ``(T, ...)``.
        gamma: the decay parameter, >= 0.

    Returns:
        An array of the shape of ``iterates``.
    """
    path = _as_path(iterates)
    g = _check_gamma(gamma)
    out = np.empty_like(path)
    out[0] = path[0]
    for t in range(2, path.shape[0] + 1):
        rho = (g + 1.0) / (t + g)
        out[t - 1] = (1.0 - rho) * out[t - 2] + rho * path[t - 1]
    return out


# --------------------------------------------------------------------------- problems
@dataclass(frozen=True, eq=False)
class Problem:
    """A stochastic optimisation problem whose optimum is known (chapter 02).

    Attributes:
        name: a short name for plots.
        dim: the dimension ``d``.
        lam: the strong-convexity modulus of ``F`` on ``W`` (0 when merely convex).
        G: a constant with ``E ||g_hat||^2 <= G^2`` everywhere on ``W``.
        D: the diameter of ``W``.
        w_star: the minimiser of ``F`` over ``W``, shape ``(d,)``.
        f_star: ``F(w_star)``.
        w1: the default starting point, shape ``(d,)``.
        value_fn: ``F`` on a batch ``(..., d) -> (...)``.
        noise_fn: ``(rng, shape) -> noise`` draws the randomness of ``shape = (steps, S)`` oracle
            calls at once (the runner draws it in chunks, which is much faster than per step).
        oracle_fn: ``(w, noise) -> g_hat`` on a batch ``(S, d) -> (S, d)`` given one step's noise;
            unbiased: ``E g_hat`` is a subgradient of ``F`` at ``w``.
        project_fn: the Euclidean projection onto ``W`` on a batch (no input checks: it runs
            at every step).
        description: one line for humans (the formula of ``F``, ``W`` and the noise).
        G_is_exact: True when ``G`` is the smallest valid constant (the supremum), False when
            it is only an upper bound.
    """

    name: str
    dim: int
    lam: float
    G: float
    D: float
    w_star: np.ndarray
    f_star: float
    w1: np.ndarray
    value_fn: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    noise_fn: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray] = field(repr=False)
    oracle_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] = field(repr=False)
    project_fn: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    description: str = ""
    G_is_exact: bool = True

    def value(self, w: Any) -> np.ndarray:
        """``F(w)`` for a point or a batch of points (shape ``(..., d)``)."""
        return self.value_fn(np.asarray(w, dtype=np.float64))

    def suboptimality(self, w: Any) -> np.ndarray:
        """``F(w) - F*`` (clipped at 0 against round-off) for a point or a batch."""
        return np.maximum(self.value(w) - self.f_star, 0.0)

    def oracle(self, w: Any, rng: np.random.Generator) -> np.ndarray:
        """A stochastic subgradient at every row of the batch ``w`` (shape ``(S, d)``)."""
        arr = np.asarray(w, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ValueError(f"w must be a batch of shape (S, {self.dim}), got shape {arr.shape}")
        return self.oracle_fn(arr, self.noise_fn(rng, (1, arr.shape[0]))[0])

    def project(self, w: Any) -> np.ndarray:
        """The Euclidean projection onto the domain ``W``."""
        return self.project_fn(np.asarray(w, dtype=np.float64))


def strongly_convex_l1_problem(dim: int = 10, *, lam: float = 1.0, mu: float = 1.0, sigma: float = 1.0,
                               radius: float | None = None, seed: int = 0) -> Problem:
    """``F(w) = lam/2 ||w||^2 + mu ||w - a||_1`` on a ball, with Gaussian subgradient noise (chapter 02).

    The oracle returns ``lam w + mu sign(w - a) + sigma xi`` with ``xi ~ N(0, I_d)``. The shift
    ``a`` is drawn with ``|a_i| < mu/lam``, so every coordinate of the minimiser sits exactly on
    a kink: ``w* = a`` and ``F* = lam/2 ||a||^2``. ``W`` is the ball of radius ``R`` centred at 0
    (default ``R = sqrt(d)``), so ``D = 2R``, and
    ``G^2 = (lam R + mu sqrt(d))^2 + sigma^2 d`` is the exact supremum of ``E ||g_hat||^2`` on ``W``
    (attained at ``w = R (1, ..., 1)/sqrt(d)``, which needs ``R/sqrt(d) > max |a_i|``; the
    draw of ``a`` guarantees it). The start ``w_1`` is that far corner.

    Args:
        dim: the dimension, >= 1.
        lam: the strong-convexity modulus, > 0.
        mu: the weight of the absolute-value term, > 0.
        sigma: the standard deviation of the noise per coordinate, >= 0.
        radius: the radius of the ball ``W`` (default ``sqrt(dim)``), > 0.
        seed: seeds the draw of ``a``.

    Raises:
        ValueError: a non-positive parameter.
    """
    d = _positive_int("dim", dim)
    lm, m, s = _positive("lam", lam), _positive("mu", mu), _positive("sigma", sigma, allow_zero=True)
    R = math.sqrt(d) if radius is None else _positive("radius", radius)
    rng = np.random.default_rng(seed)
    a = rng.uniform(-0.5, 0.5, size=d) * min(m / lm, R / math.sqrt(d))
    G = math.sqrt((lm * R + m * math.sqrt(d)) ** 2 + s**2 * d)

    def value(w: np.ndarray) -> np.ndarray:
        return 0.5 * lm * np.sum(w**2, axis=-1) + m * np.sum(np.abs(w - a), axis=-1)

    def noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return s * rng.standard_normal(shape + (d,)) if s > 0 else np.zeros(shape + (d,))

    def oracle(w: np.ndarray, xi: np.ndarray) -> np.ndarray:
        return lm * w + m * np.sign(w - a) + xi

    return Problem(
        name="strongly convex: lam/2 |w|^2 + mu |w - a|_1", dim=d, lam=lm, G=G, D=2 * R,
        w_star=a.copy(), f_star=float(0.5 * lm * a @ a), w1=np.full(d, R / math.sqrt(d)),
        value_fn=value, noise_fn=noise, oracle_fn=oracle, project_fn=lambda w: _ball(w, R),
        description=(f"F(w) = {lm:g}/2 ||w||^2 + {m:g} ||w - a||_1 on the ball of radius {R:.3g} in R^{d}; "
                     f"noise N(0, {s:g}^2 I)"),
    )


def convex_l1_problem(dim: int = 10, *, mu: Any = 1.0, sigma: float = 1.0, radius: float = 1.0,
                      a: Any = None, w1: Any = None, seed: int = 0) -> Problem:
    """``F(w) = sum_i mu_i |w_i - a_i|`` on a ball, with Gaussian subgradient noise (chapter 02).

    Convex, not strongly convex, non-smooth at the minimiser ``w* = a`` (``F* = 0``). The oracle
    returns ``mu * sign(w - a) + sigma xi``, ``xi ~ N(0, I_d)``. ``W`` is the ball of radius ``R``
    centred at 0, ``D = 2R`` and ``G^2 = sum_i mu_i^2 + sigma^2 d`` is the exact supremum of
    ``E ||g_hat||^2`` on ``W``. With ``sigma = 0`` this is the deterministic subgradient method.

    Args:
        dim: the dimension, >= 1.
        mu: the weights, a positive scalar or an array of shape ``(dim,)``.
        sigma: noise standard deviation per coordinate, >= 0.
        radius: the radius of ``W``, > 0.
        a: the minimiser (default: drawn with ``||a|| = R/2``), must lie strictly inside the ball.
        w1: the starting point (default: ``-a`` scaled onto the sphere, i.e. far from ``a``).
        seed: seeds the draw of ``a``.

    Raises:
        ValueError: non-positive weights or radius, ``a`` outside the ball, wrong shapes.
    """
    d = _positive_int("dim", dim)
    R = _positive("radius", radius)
    s = _positive("sigma", sigma, allow_zero=True)
    weights = np.broadcast_to(np.asarray(mu, dtype=np.float64), (d,)).copy() if np.ndim(mu) == 0 \
        else np.asarray(mu, dtype=np.float64)
    if weights.shape != (d,):
        raise ValueError(f"mu must be a scalar or have shape ({d},), got shape {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
        raise ValueError("every weight mu_i must be a positive finite number")
    if a is None:
        rng = np.random.default_rng(seed)
        direction = rng.standard_normal(d)
        a_vec = 0.5 * R * direction / np.linalg.norm(direction)
    else:
        a_vec = np.asarray(a, dtype=np.float64)
        if a_vec.shape != (d,):
            raise ValueError(f"a must have shape ({d},), got shape {a_vec.shape}")
    if not np.linalg.norm(a_vec) < R:
        raise ValueError("the minimiser a must lie strictly inside the ball of radius `radius`")
    if w1 is None:
        start = -R * a_vec / np.linalg.norm(a_vec) if np.any(a_vec) else np.full(d, R / math.sqrt(d))
    else:
        start = project_ball(np.asarray(w1, dtype=np.float64).reshape(d), R)
    G = math.sqrt(float(np.sum(weights**2)) + s**2 * d)

    def value(w: np.ndarray) -> np.ndarray:
        return np.sum(weights * np.abs(w - a_vec), axis=-1)

    def noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return s * rng.standard_normal(shape + (d,)) if s > 0 else np.zeros(shape + (d,))

    def oracle(w: np.ndarray, xi: np.ndarray) -> np.ndarray:
        return weights * np.sign(w - a_vec) + xi

    return Problem(
        name="convex: sum mu_i |w_i - a_i|", dim=d, lam=0.0, G=G, D=2 * R, w_star=a_vec.copy(), f_star=0.0,
        w1=start, value_fn=value, noise_fn=noise, oracle_fn=oracle, project_fn=lambda w: _ball(w, R),
        description=f"F(w) = sum_i mu_i |w_i - a_i| on the ball of radius {R:.3g} in R^{d}; noise N(0, {s:g}^2 I)",
    )


def rakhlin_example(kind: str = "B", dim: int = 1) -> Problem:
    """The hard instances of Rakhlin, Shamir & Sridharan (2012, Sec. 4) for uniform averaging (chapter 02).

    Both are 1-strongly convex with ``w* = 0``, ``F* = 0``, step sizes ``eta_t = 1/t``, and noise
    ``Z ~ Uniform[-1, 3]`` (mean 1) in the first coordinate; ``w_1`` is the corner ``(1, ..., 1)``.

    * ``"A"``: ``W = [0, 1]^d``, ``F(w) = ||w||^2/2 + w_1``, ``g_hat = w + (Z, 0, ..., 0)``.
      ``F`` is smooth but its minimiser is a corner of ``W`` where the gradient is not 0.
    * ``"B"``: ``W = [-1, 1]^d``, ``F(w) = ||w||^2/2 + (w_1 if w_1 >= 0 else -7 w_1)``,
      ``g_hat = w + (Z, 0, ..., 0)`` if ``w_1 >= 0`` and ``w + (-7, 0, ..., 0)`` otherwise:
      an interior minimiser on a kink.

    With uniform averaging, ``E[F(w_bar_T)] - F*`` is of order ``log(T)/T`` on both (their
    Theorems 3 and 4); suffix averaging is ``O(1/T)``. ``G^2 = 16/3 + (d-1)`` for A and
    ``64 + (d-1)`` for B (the suprema of ``E ||g_hat||^2``; with ``d = 1`` the extra term is 0).

    Raises:
        ValueError: unknown ``kind`` or ``dim < 1``.
    """
    d = _positive_int("dim", dim)
    if kind not in ("A", "B"):
        raise ValueError(f"unknown hard instance {kind!r}; valid kinds are 'A' and 'B'")
    lo = 0.0 if kind == "A" else -1.0
    left_slope = -7.0

    def value(w: np.ndarray) -> np.ndarray:
        first = w[..., 0]
        lin = first if kind == "A" else np.where(first >= 0, first, left_slope * first)
        return 0.5 * np.sum(w**2, axis=-1) + lin

    def noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(-1.0, 3.0, size=shape)

    def oracle(w: np.ndarray, z: np.ndarray) -> np.ndarray:
        if kind == "B":
            z = np.where(w[..., 0] >= 0, z, left_slope)
        g = w.copy()
        g[..., 0] += z
        return g

    G2 = (16.0 / 3.0 if kind == "A" else 64.0) + (d - 1)
    return Problem(
        name=f"Rakhlin et al. example {kind}", dim=d, lam=1.0, G=math.sqrt(G2), D=(1.0 - lo) * math.sqrt(d),
        w_star=np.zeros(d), f_star=0.0, w1=np.ones(d), value_fn=value, noise_fn=noise, oracle_fn=oracle,
        project_fn=lambda w: np.clip(w, lo, 1.0),
        description=(f"example {kind} of Rakhlin, Shamir & Sridharan (2012): W = [{lo:g}, 1]^{d}, "
                     "noise Uniform[-1, 3] in the first coordinate"),
    )


# --------------------------------------------------------------------------- the SVM
@dataclass(frozen=True)
class SVMSolution:
    """The optimum of the L2-regularised hinge-loss SVM, with its certificate (chapter 02).

    Attributes:
        w: the minimiser ``w*`` (shape ``(d,)``).
        primal: ``F(w*)``.
        dual: the dual objective at the dual point ``alpha``; ``primal - dual >= F(w*) - F_opt >= 0``.
        gap: ``primal - dual``, an upper bound on the suboptimality of ``w``.
        alpha: the dual variables in ``[0, 1]^n``.
        n_margin: the number of examples exactly on the margin (``y_i <w*, x_i> = 1``):
            the kinks of ``F`` that ``w*`` sits on.
    """

    w: np.ndarray
    primal: float
    dual: float
    gap: float
    alpha: np.ndarray
    n_margin: int


def _check_svm_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    Xa = np.asarray(X, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64).ravel()
    if Xa.ndim != 2:
        raise ValueError(f"X must have shape (n, d), one example per row, got shape {Xa.shape}")
    if ya.shape[0] != Xa.shape[0]:
        raise ValueError(f"X has {Xa.shape[0]} rows but y has {ya.shape[0]} labels")
    if not np.all(np.isin(ya, (-1.0, 1.0))):
        raise ValueError("the labels y must be -1 or +1")
    if not np.all(np.isfinite(Xa)):
        raise ValueError("X contains NaN or infinity")
    return Xa, ya


def svm_objective(w: Any, X: Any, y: Any, lam: float) -> np.ndarray:
    """``F(w) = lam/2 ||w||^2 + (1/n) sum_i max(0, 1 - y_i <w, x_i>)`` on a batch ``(..., d)`` (chapter 02)."""
    Xa, ya = _check_svm_data(X, y)
    lm = _positive("lam", lam)
    W = np.asarray(w, dtype=np.float64)
    margins = (W @ Xa.T) * ya
    return 0.5 * lm * np.sum(W**2, axis=-1) + np.maximum(0.0, 1.0 - margins).mean(axis=-1)


def svm_optimum(X: Any, y: Any, lam: float, *, tol: float = 1e-10) -> SVMSolution:
    """Solve the L2-regularised hinge-loss SVM (no bias) to high accuracy (chapter 02).

    Two stages: liblinear's dual coordinate descent (through scikit-learn's ``LinearSVC`` with
    ``C = 1/(lam n)``) gets close; an active-set step then solves the optimality conditions
    exactly. It sets ``alpha_i = 1`` for margins below 1, ``0`` above, and solves a small
    linear system for the examples on the margin, so that ``w = (1/(lam n)) sum alpha_i y_i x_i``
    puts them exactly on it. The duality gap certifies the result.

    Args:
        X: the examples, shape ``(n, d)``.
        y: the labels in ``{-1, +1}``, shape ``(n,)``.
        lam: the regularisation weight, > 0.
        tol: the largest duality gap accepted.

    Returns:
        An :class:`SVMSolution`.

    Raises:
        ValueError: bad data, or a duality gap above ``tol`` after polishing.
    """
    from sklearn.svm import LinearSVC

    Xa, ya = _check_svm_data(X, y)
    lm = _positive("lam", lam)
    n = Xa.shape[0]
    Z = ya[:, None] * Xa
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LinearSVC(C=1.0 / (lm * n), loss="hinge", dual=True, fit_intercept=False, tol=1e-10,
                        max_iter=500_000).fit(Xa, ya)
    w = clf.coef_.ravel().astype(np.float64)

    def primal_dual(alpha: np.ndarray) -> tuple[np.ndarray, float, float]:
        v = Z.T @ alpha / (lm * n)
        primal = 0.5 * lm * v @ v + np.maximum(0.0, 1.0 - Z @ v).mean()
        dual = alpha.mean() - 0.5 * lm * v @ v
        return v, float(primal), float(dual)

    best: tuple[float, np.ndarray, float, float, np.ndarray, int] | None = None
    for band in (1e-6, 1e-5, 1e-4, 1e-7, 1e-8):
        margins = Z @ w
        on = np.abs(margins - 1.0) < band
        below = margins < 1.0 - band
        alpha = below.astype(np.float64)
        if on.any():
            Zm = Z[on]
            rhs = lm * n * np.ones(on.sum()) - Zm @ Z[below].sum(axis=0)
            alpha[on] = np.linalg.lstsq(Zm @ Zm.T, rhs, rcond=None)[0]
        alpha = np.clip(alpha, 0.0, 1.0)
        v, primal, dual = primal_dual(alpha)
        gap = primal - dual
        if best is None or gap < best[0]:
            best = (gap, v, primal, dual, alpha, int(on.sum()))
        if gap <= tol:
            break
    assert best is not None
    gap, v, primal, dual, alpha, n_margin = best
    if gap > tol:
        raise ValueError(f"the SVM solver stopped with a duality gap of {gap:.3g} > tol = {tol:.3g}")
    return SVMSolution(w=v, primal=primal, dual=dual, gap=max(gap, 0.0), alpha=alpha, n_margin=n_margin)


def hinge_svm_problem(X: Any, y: Any, lam: float, *, solution: SVMSolution | None = None) -> Problem:
    """The L2-regularised hinge-loss SVM as a stochastic problem on a ball (chapter 02).

    ``F(w) = lam/2 ||w||^2 + (1/n) sum_i max(0, 1 - y_i <w, x_i>)``; the oracle picks one
    example ``i`` uniformly at random and returns ``lam w - y_i x_i [y_i <w, x_i> < 1]``.
    ``F(w*) <= F(0) = 1`` gives ``lam/2 ||w*||^2 <= 1``, so ``w*`` lies in the ball of radius
    ``R = sqrt(2/lam)``, which is taken as ``W`` (``D = 2R``). On ``W``,
    ``||g_hat|| <= lam R + max_i ||x_i||``, which is the ``G`` used (a valid constant, not the
    exact supremum). ``w*`` comes from :func:`svm_optimum` (or ``solution``).

    Raises:
        ValueError: bad data or ``lam <= 0``.
    """
    Xa, ya = _check_svm_data(X, y)
    lm = _positive("lam", lam)
    sol = svm_optimum(Xa, ya, lm) if solution is None else solution
    n, d = Xa.shape
    R = math.sqrt(2.0 / lm)
    G = lm * R + float(np.max(np.linalg.norm(Xa, axis=1)))
    Z = ya[:, None] * Xa

    def value(w: np.ndarray) -> np.ndarray:
        margins = w @ Z.T
        return 0.5 * lm * np.sum(w**2, axis=-1) + np.maximum(0.0, 1.0 - margins).mean(axis=-1)

    def noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.integers(0, n, size=shape)

    def oracle(w: np.ndarray, idx: np.ndarray) -> np.ndarray:
        zi = Z[idx]
        active = np.einsum("sd,sd->s", w, zi) < 1.0
        return lm * w - active[:, None] * zi

    return Problem(
        name="hinge-loss SVM", dim=d, lam=lm, G=G, D=2 * R, w_star=sol.w.copy(), f_star=sol.primal,
        w1=np.zeros(d), value_fn=value, noise_fn=noise, oracle_fn=oracle, project_fn=lambda w: _ball(w, R),
        description=f"L2-regularised hinge loss, lam = {lm:g}, n = {n}, d = {d}; ball of radius {R:.3g}",
        G_is_exact=False,
    )


# --------------------------------------------------------------------------- the runner
@dataclass(frozen=True)
class SGDRun:
    """Iterates and averages of a batched projected-SGD run at chosen checkpoints (chapter 02).

    Attributes:
        checkpoints: the iterations ``T_1 < ... < T_K`` recorded (shape ``(K,)``).
        last: the last iterates ``w_T`` at each checkpoint, shape ``(K, S, d)``.
        uniform: the uniform averages ``(w_1 + ... + w_T)/T``, shape ``(K, S, d)``.
        suffix: the alpha-suffix averages, shape ``(K, S, d)``.
        poly: the polynomial-decay averages, shape ``(K, S, d)``.
        steps: the step sizes ``eta_1, ..., eta_{T_K}``.
        alpha: the suffix fraction used.
        gamma: the polynomial-decay parameter used.
        path: the whole trajectory ``(T_K, S, d)`` when requested, else ``None``.
    """

    checkpoints: np.ndarray
    last: np.ndarray
    uniform: np.ndarray
    suffix: np.ndarray
    poly: np.ndarray
    steps: np.ndarray
    alpha: float
    gamma: float
    path: np.ndarray | None = None

    def points(self, kind: str = "last") -> np.ndarray:
        """The recorded points of one kind (one of :data:`AVERAGES`), shape ``(K, S, d)``."""
        if kind not in AVERAGES:
            raise ValueError(f"unknown kind {kind!r}; valid kinds are: {', '.join(AVERAGES)}")
        return getattr(self, kind)

    def suboptimality(self, problem: Problem, kind: str = "last") -> np.ndarray:
        """``F(point) - F*`` for every checkpoint and seed, shape ``(K, S)``."""
        return problem.suboptimality(self.points(kind))


def log_checkpoints(T: int, n: int = 30, start: int = 2) -> np.ndarray:
    """About ``n`` distinct integers spaced evenly in ``log t`` from ``start`` to ``T`` (chapter 02)."""
    T = _positive_int("T", T)
    n = _positive_int("n", n, minimum=2)
    start = _positive_int("start", start)
    if start > T:
        raise ValueError(f"start ({start}) must not exceed T ({T})")
    return np.unique(np.round(np.geomspace(start, T, n)).astype(int))


def run_sgd(problem: Problem, T: int, *, schedule: str = "strongly_convex", lam: float | None = None,
            c: float | None = None, eta: float | None = None, n_seeds: int = 20, seed: int = 0,
            checkpoints: Sequence[int] | None = None, alpha: float = 0.5, gamma: float = 3.0,
            w1: Any = None, keep_path: bool = False) -> SGDRun:
    """Projected stochastic subgradient descent, ``n_seeds`` independent runs at once (chapter 02).

    ``w_{t+1} = Pi_W(w_t - eta_t g_hat_t)`` for ``t = 1, ..., T - 1``, every seed a row of a
    ``(S, d)`` array, so one step costs a few NumPy operations whatever ``S`` is. Alongside the
    iterates the runner keeps the running uniform average, the polynomial-decay average and the
    cumulative sums needed for the alpha-suffix average at every checkpoint.

    Args:
        problem: the :class:`Problem`.
        T: the last iteration, >= 1 (``w_T`` is reached after ``T - 1`` steps).
        schedule: ``"strongly_convex"`` (``1/(lam t)``; ``lam`` defaults to ``problem.lam``),
            ``"sqrt"`` (``c/sqrt(t)``) or ``"constant"`` (``eta``).
        lam, c, eta: the schedule's parameter.
        n_seeds: the number of independent runs ``S``.
        seed: seeds the generator shared by the batch (runs differ, results are reproducible).
        checkpoints: the iterations to record (default :func:`log_checkpoints`), each in ``[1, T]``.
        alpha: the suffix fraction, in ``(0, 1]``.
        gamma: the polynomial-decay parameter, >= 0.
        w1: the starting point (default ``problem.w1``), projected onto ``W``.
        keep_path: also return the whole trajectory (memory ``T * S * d`` floats).

    Returns:
        An :class:`SGDRun`.

    Raises:
        ValueError: bad ``T``, schedule, seeds, checkpoints, ``alpha`` or ``gamma``.
    """
    T = _positive_int("T", T)
    S = _positive_int("n_seeds", n_seeds)
    a = _check_alpha(alpha)
    g = _check_gamma(gamma)
    if schedule == "strongly_convex" and lam is None:
        if problem.lam <= 0:
            raise ValueError("the 'strongly_convex' schedule needs lam > 0, and this problem is not strongly convex")
        lam = problem.lam
    steps = step_sizes(T, schedule, lam=lam, c=c, eta=eta)
    ckpts = log_checkpoints(T) if checkpoints is None else np.unique(np.asarray(checkpoints, dtype=int))
    if ckpts.size == 0 or ckpts.min() < 1 or ckpts.max() > T:
        raise ValueError(f"checkpoints must lie in [1, T] = [1, {T}]")
    starts = np.array([suffix_start(int(tk), a) for tk in ckpts])
    need_sum = {int(s) - 1 for s in starts if s > 1}  # cumulative sums C_{s-1} with C_0 = 0
    rng = np.random.default_rng(seed)
    start = problem.w1 if w1 is None else np.asarray(w1, dtype=np.float64)
    w = np.broadcast_to(problem.project(start), (S, problem.dim)).copy()
    cumsum = np.zeros_like(w)
    poly = w.copy()
    K = ckpts.size
    rec = {k: np.empty((K, S, problem.dim)) for k in ("last", "uniform", "poly", "csum")}
    saved_sums: dict[int, np.ndarray] = {0: np.zeros_like(w)}
    path = np.empty((T, S, problem.dim)) if keep_path else None
    ck_index = {int(tk): j for j, tk in enumerate(ckpts)}
    chunk = max(1, min(T, 2_000_000 // max(1, S * problem.dim)))
    noise = None
    for t in range(1, T + 1):
        cumsum += w
        if t > 1:
            rho = (g + 1.0) / (t + g)
            poly *= 1.0 - rho
            poly += rho * w
        if path is not None:
            path[t - 1] = w
        if t in need_sum:
            saved_sums[t] = cumsum.copy()
        j = ck_index.get(t)
        if j is not None:
            rec["last"][j] = w
            rec["uniform"][j] = cumsum / t
            rec["poly"][j] = poly
            rec["csum"][j] = cumsum
        if t < T:
            i = (t - 1) % chunk
            if i == 0:
                noise = problem.noise_fn(rng, (min(chunk, T - t), S))
            w = problem.project_fn(w - steps[t - 1] * problem.oracle_fn(w, noise[i]))
    suffix = np.empty((K, S, problem.dim))
    for j, (tk, st) in enumerate(zip(ckpts, starts)):
        suffix[j] = (rec["csum"][j] - saved_sums[int(st) - 1]) / (int(tk) - int(st) + 1)
    return SGDRun(checkpoints=ckpts, last=rec["last"], uniform=rec["uniform"], suffix=suffix, poly=rec["poly"],
                  steps=steps, alpha=a, gamma=g, path=path)


def fit_slope(T: Any, values: Any, lo: float | None = None, hi: float | None = None) -> tuple[float, float]:
    """Fit ``log values = slope * log T + intercept`` on ``lo <= T <= hi`` (chapter 02).

    Returns:
        ``(slope, intercept)`` of the least-squares line (natural logarithms).

    Raises:
        ValueError: fewer than two points in the range, or values that are not > 0.
    """
    t = np.asarray(T, dtype=np.float64).ravel()
    v = np.asarray(values, dtype=np.float64).ravel()
    if t.shape != v.shape:
        raise ValueError(f"T and values must have the same length, got {t.size} and {v.size}")
    mask = np.ones_like(t, dtype=bool)
    if lo is not None:
        mask &= t >= lo
    if hi is not None:
        mask &= t <= hi
    if mask.sum() < 2:
        raise ValueError("the fit range holds fewer than two points")
    if np.any(v[mask] <= 0) or np.any(t[mask] <= 0) or not np.all(np.isfinite(v[mask])):
        raise ValueError("a log-log fit needs finite values > 0")
    slope, intercept = np.polyfit(np.log(t[mask]), np.log(v[mask]), 1)
    return float(slope), float(intercept)


def plot_suboptimality(ax: Any, checkpoints: Any, subopt: Any, *, label: str, color: str | None = None,
                       bound: Any = None, bound_label: str = "bound", fit_range: tuple[float, float] | None = None,
                       linestyle: str = "-") -> float | None:
    """Draw the seed-mean suboptimality with a band of two standard errors on log-log axes (chapter 02).

    Args:
        ax: a Matplotlib axes.
        checkpoints: the iterations ``T`` (shape ``(K,)``).
        subopt: suboptimalities ``F(w) - F*`` per checkpoint and seed (shape ``(K, S)``).
        label: the legend label of the mean curve.
        color: the colour of the curve, band and bound.
        bound: optional bound values at the checkpoints (drawn dashed).
        bound_label: its legend label.
        fit_range: ``(lo, hi)``: fit a power law to the mean on ``lo <= T <= hi`` and draw it dotted.
        linestyle: the style of the mean curve.

    Returns:
        The fitted slope, or ``None`` without ``fit_range``.
    """
    ck = np.asarray(checkpoints, dtype=np.float64)
    sub = np.asarray(subopt, dtype=np.float64)
    if sub.ndim != 2 or sub.shape[0] != ck.size:
        raise ValueError(f"subopt must have shape (K, S) with K = {ck.size} checkpoints, got {sub.shape}")
    mean = sub.mean(axis=1)
    se = sub.std(axis=1, ddof=1) / math.sqrt(sub.shape[1]) if sub.shape[1] > 1 else np.zeros_like(mean)
    (line,) = ax.loglog(ck, mean, linestyle, color=color, label=label)
    colour = line.get_color()
    ax.fill_between(ck, np.maximum(mean - 2 * se, mean / 10), mean + 2 * se, color=colour, alpha=0.2, linewidth=0)
    if bound is not None:
        ax.loglog(ck, np.asarray(bound, dtype=np.float64), "--", color=colour, label=bound_label)
    slope = None
    if fit_range is not None:
        slope, intercept = fit_slope(ck, mean, *fit_range)
        xs = np.geomspace(max(fit_range[0], ck.min()), min(fit_range[1], ck.max()), 20)
        ax.loglog(xs, np.exp(intercept) * xs**slope, ":", color="black", linewidth=2,
                  label=f"fit on [{xs[0]:.0f}, {xs[-1]:.0f}]: slope {slope:.2f}")
    ax.set_xlabel("iteration T")
    ax.grid(True, which="both", alpha=0.3)
    return slope
