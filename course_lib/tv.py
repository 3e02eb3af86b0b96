"""Total-variation regularised reconstruction for any linear operator (chapters 04, 09, 10).

The course's TV solver computes

    x* = argmin_{x in [0, 1]^n}  1/2 ||A x - y||^2 + lam * TV(x),
    TV(x) = sum_{pixels} sqrt((D_r x)^2 + (D_c x)^2)          (isotropic TV),

with forward differences ``D_r, D_c`` (zero across the last row / column: Neumann boundary),
by the primal-dual algorithm of Chambolle & Pock (2011, Algorithm 1, ``theta = 1``) applied to
``K = [A; s * grad]``. Chapter 04 tests it against scikit-image's
``denoise_tv_chambolle`` (``A = I``) and uses it for deblurring; chapters 09-10 use it as the
classical baseline for deblurring, super-resolution and sparse-angle CT.

Why the box constraint. The dual of the problem without constraint contains the indicator of
``A^* q = div p``; for an ``A`` with a non-trivial null space (sparse-angle Radon,
downsampling) a dual iterate almost never satisfies it, so the dual objective is ``-inf`` and
the primal-dual gap is useless as a stopping rule. With ``x in [0, 1]^n`` the conjugate of
the constraint is ``sum_i max(w_i, 0)``, finite everywhere, so the gap

    gap(x, q, p) = P(x) - D(q, p),
    P(x)    = 1/2 ||A x - y||^2 + lam * TV(x),
    D(q, p) = -1/2 ||q||^2 - <q, y> - sum_i max(div p - A^* q, 0)_i,   |p_i| <= lam,

is finite for every ``A``, non-negative, and zero exactly at a saddle point. The solver stops
when ``gap <= tol * P(x)`` for every image of the batch.

Step sizes: ``tau = 1 / (L r)``, ``sigma = r / L`` with ``L`` an upper estimate of ``||K||``
(power iteration through :meth:`course_lib.operators.LinearOperator.norm`, times a safety
factor), so that ``tau sigma ||K||^2 < 1`` (Chambolle & Pock's condition).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

from .config import torch_threads
from .kernels import _positive
from .operators import Identity, LinearOperator

__all__ = ["TVResult", "TVStack", "divergence", "gradient", "primal_dual_gap", "solve_tv", "total_variation"]

#: The squared norm of the forward-difference gradient is below 8 on any grid.
GRAD_NORM_SQ_BOUND = 8.0


def _check_image_batch(x: torch.Tensor, where: str, name: str = "x") -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{where}: {name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{where}: {name} must have shape (N, C, H, W), got {tuple(x.shape)}; use img[None, None] for one image")
    if not torch.is_floating_point(x):
        raise ValueError(f"{where}: {name} must be a floating-point tensor, got {x.dtype}")


def gradient(x: torch.Tensor) -> torch.Tensor:
    """Forward-difference gradient of images (chapters 04, 09-10).

    Args:
        x: images ``(N, C, H, W)``.

    Returns:
        ``(N, C, 2, H, W)``: ``[..., 0, i, j] = x[i+1, j] - x[i, j]`` (rows, 0 on the last row)
        and ``[..., 1, i, j] = x[i, j+1] - x[i, j]`` (columns, 0 on the last column).
    """
    _check_image_batch(x, "gradient")
    g = x.new_zeros((*x.shape[:2], 2, *x.shape[2:]))
    g[:, :, 0, :-1, :] = x[:, :, 1:, :] - x[:, :, :-1, :]
    g[:, :, 1, :, :-1] = x[:, :, :, 1:] - x[:, :, :, :-1]
    return g


def divergence(p: torch.Tensor) -> torch.Tensor:
    """Discrete divergence, the negative adjoint of :func:`gradient`: ``<grad x, p> = -<x, div p>`` (chapters 04, 09-10).

    Backward differences with the boundary rows/columns handled so that the identity holds
    exactly: ``(div p)[i, j] = p0[i, j] - p0[i-1, j] + p1[i, j] - p1[i, j-1]`` with
    ``p0[-1, :] = p1[:, -1] = 0`` and the last row of ``p0`` / last column of ``p1`` ignored.

    Args:
        p: vector fields ``(N, C, 2, H, W)``.

    Returns:
        ``(N, C, H, W)``.
    """
    if not isinstance(p, torch.Tensor) or p.ndim != 5 or p.shape[2] != 2:
        raise ValueError(f"divergence: p must be a tensor of shape (N, C, 2, H, W), got {getattr(p, 'shape', type(p))}")
    p0, p1 = p[:, :, 0], p[:, :, 1]
    d = torch.zeros_like(p0)
    d[:, :, :-1, :] += p0[:, :, :-1, :]
    d[:, :, 1:, :] -= p0[:, :, :-1, :]
    d[:, :, :, :-1] += p1[:, :, :, :-1]
    d[:, :, :, 1:] -= p1[:, :, :, :-1]
    return d


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Isotropic total variation per image, ``sum sqrt(D_r x^2 + D_c x^2)`` (chapters 04, 09-10).

    Returns:
        ``(N,)`` (summed over channels and pixels).
    """
    return gradient(x).pow(2).sum(dim=2).sqrt().flatten(1).sum(dim=1)


class TVStack(LinearOperator):
    """``K x = (A x, s * grad x)``: the operator that Chambolle-Pock splits (chapter 04).

    Only :meth:`normal` (``A^* A + s^2 grad^* grad``) is used, by :meth:`norm`, to
    estimate ``||K||`` by power iteration.
    """

    def __init__(self, A: LinearOperator, scale: float) -> None:
        self.A = A
        self.scale = float(scale)
        self.in_shape = A.in_shape

    def _device(self) -> torch.device:
        return self.A._device()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        return self.A(x), self.scale * gradient(x)

    def adjoint(self, y: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        q, p = y
        return self.A.adjoint(q) - self.scale * divergence(p)

    def normal(self, x: torch.Tensor) -> torch.Tensor:
        return self.A.normal(x) - self.scale**2 * divergence(gradient(x))


@dataclass
class TVResult:
    """What :func:`solve_tv` returns (chapters 04, 09-10).

    Attributes:
        x: the solution ``(N, C, H, W)`` in ``[0, 1]``.
        converged: whether every image reached ``gap <= tol * P(x)``.
        n_iter: iterations done.
        iterations: the iterations at which the gap was evaluated.
        gaps: the largest relative gap ``gap / P(x)`` over the batch at those iterations.
        primal: ``P(x)`` per image at the end, ``(N,)``.
        gap: the absolute gap per image at the end, ``(N,)``.
        tau, sigma: the step sizes used.
        op_norm: the estimate ``L`` of ``||K||`` the steps were derived from.
        seconds: wall-clock time.
    """

    x: torch.Tensor
    converged: bool
    n_iter: int
    iterations: list[int] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)
    primal: torch.Tensor | None = None
    gap: torch.Tensor | None = None
    tau: float = 0.0
    sigma: float = 0.0
    op_norm: float = 0.0
    seconds: float = 0.0


#: Problems with at most this many pixels per batch run on one thread (see :func:`_small_problem_threads`).
SINGLE_THREAD_MAX_PIXELS = 2**20


@contextlib.contextmanager
def _small_problem_threads(numel: int) -> Iterator[None]:
    """Run small problems on one torch thread, restoring the setting afterwards.

    The solver does a few dozen element-wise operations on small tensors per iteration;
    with two intra-op threads on a machine that other processes load, OpenMP's barriers made
    it up to 40x slower than on one thread (chapter 04 measured 50 ms vs 1.1 ms per
    iteration on 2 x 128 x 128 images).
    """
    with torch_threads(1) if numel <= SINGLE_THREAD_MAX_PIXELS else contextlib.nullcontext():
        yield


def _per_image(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).sum(dim=1)


def primal_dual_gap(
    A: LinearOperator, y: torch.Tensor, lam: float, x: torch.Tensor, q: torch.Tensor, p: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Primal objective and primal-dual gap of the box-constrained TV problem, per image (chapter 04).

    ``x`` must lie in ``[0, 1]`` and ``|p| <= lam`` pointwise (``p`` is the dual variable of
    ``grad x``, shape ``(N, C, 2, H, W)``; ``q`` that of ``A x``). See the module docstring.

    Returns:
        ``(P(x), P(x) - D(q, p))``, each of shape ``(N,)``.
    """
    residual = A(x) - y
    primal = 0.5 * _per_image(residual.pow(2)) + lam * total_variation(x)
    w = divergence(p) - A.adjoint(q)
    dual = -0.5 * _per_image(q.pow(2)) - _per_image(q * y) - _per_image(w.clamp_min(0.0))
    return primal, primal - dual


def solve_tv(
    y: torch.Tensor,
    lam: float,
    A: LinearOperator | None = None,
    *,
    tol: float = 1e-4,
    max_iter: int = 5000,
    check_every: int = 10,
    x0: torch.Tensor | None = None,
    ratio: float | None = None,
    norm_iter: int = 100,
    safety: float = 1.02,
    verbose: bool = False,
) -> TVResult:
    """Box-constrained TV reconstruction by Chambolle-Pock, run to a relative primal-dual gap (chapters 04, 09-10).

    Solves ``min_{x in [0,1]^n} 1/2 ||A x - y||^2 + lam TV(x)`` for every image of the batch
    (see the module docstring for the gap). Iteration (``theta = 1``), with
    ``K = [A; s grad]``, ``s = ||A|| / sqrt(8)`` balancing the two blocks::

        q <- (q + sigma (A xb - y)) / (1 + sigma)             (prox of the conjugate of 1/2||. - y||^2)
        p <- proj_{|p_i| <= lam / s}(p + sigma s grad xb)       (conjugate of (lam / s) ||.||_{2,1})
        x_new <- clip(x - tau (A^* q - s div p), 0, 1)          (prox of the box)
        xb <- 2 x_new - x

    Args:
        y: measurements ``(N, ...)`` in the output space of ``A``.
        lam: TV weight (> 0), in the units of ``1/2 ||A x - y||^2`` per unit of TV.
        A: the forward operator; ``None`` means the identity (denoising), then ``y`` is
            ``(N, C, H, W)``.
        tol: stop when ``gap <= tol * P(x)`` for every image.
        max_iter: the most iterations.
        check_every: evaluate the gap every this many iterations.
        x0: starting image (default ``clip(y, 0, 1)`` for denoising, the constant 0.5 otherwise).
        ratio: ``sigma / tau``; default ``10`` for denoising and ``0.5`` otherwise (chosen on
            Train400 crops for blur and downsampling and on phantoms for Radon: both run to
            ``tol = 1e-4`` in a few hundred to ~1500 iterations).
        norm_iter: power iterations for ``||K||``.
        safety: factor (>= 1) applied to the power-iteration estimate of ``||K||``, which
            approaches the true norm from below.
        verbose: print the gap at every check.

    Returns:
        A :class:`TVResult`.

    Raises:
        ValueError: ``lam <= 0``, ``tol <= 0``, bad shapes, ``safety < 1``.
    """
    where = "solve_tv"
    lam = _positive(lam, "lam", where)
    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"{where}: tol must be a positive number, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"{where}: max_iter must be a positive int, got {max_iter!r}")
    if isinstance(check_every, bool) or not isinstance(check_every, int) or check_every < 1:
        raise ValueError(f"{where}: check_every must be a positive int, got {check_every!r}")
    if not safety >= 1.0:
        raise ValueError(f"{where}: safety must be >= 1, got {safety!r}")
    if not isinstance(y, torch.Tensor) or not torch.is_floating_point(y):
        raise ValueError(f"{where}: y must be a floating-point torch.Tensor, got {type(y).__name__}")
    if not bool(torch.isfinite(y).all()):
        raise ValueError(f"{where}: y contains NaN or infinity")
    start = time.perf_counter()
    A = Identity() if A is None else A
    if not isinstance(A, LinearOperator):
        raise ValueError(f"{where}: A must be a course_lib.operators.LinearOperator, got {type(A).__name__}")
    denoising = isinstance(A, Identity)
    with torch.no_grad(), _small_problem_threads(y.numel()):
        back = A.adjoint(y)
        _check_image_batch(back, where, "A^* y")
        shape = tuple(back.shape)
        if x0 is None:
            x = y.clamp(0.0, 1.0).clone() if denoising else torch.full_like(back, 0.5)
        else:
            if tuple(x0.shape) != shape:
                raise ValueError(f"{where}: x0 must have the shape of A^* y, {shape}, got {tuple(x0.shape)}")
            x = x0.to(back).clamp(0.0, 1.0).clone()
        a_norm = 1.0 if denoising else A.norm(n_iter=norm_iter, shape=(1, *shape[1:]),
                                              generator=torch.Generator().manual_seed(0))
        if a_norm <= 0:
            raise ValueError(f"{where}: the operator is zero (||A|| = 0); nothing to reconstruct")
        scale = a_norm * safety / math.sqrt(GRAD_NORM_SQ_BOUND)
        stack = TVStack(A, scale)
        k_norm = stack.norm(n_iter=norm_iter, shape=(1, *shape[1:]), generator=torch.Generator().manual_seed(1))
        k_norm = safety * k_norm
        r = (10.0 if denoising else 0.5) if ratio is None else float(ratio)
        if not (math.isfinite(r) and r > 0):
            raise ValueError(f"{where}: ratio must be a positive number, got {ratio!r}")
        tau, sigma = 1.0 / (k_norm * r), r / k_norm
        radius = lam / scale
        q = torch.zeros_like(y)
        p = x.new_zeros((*shape[:2], 2, *shape[2:]))
        xb = x.clone()
        result = TVResult(x=x, converged=False, n_iter=0, tau=tau, sigma=sigma, op_norm=k_norm)
        for it in range(1, max_iter + 1):
            q = (q + sigma * (A(xb) - y)) / (1.0 + sigma)
            p = p + (sigma * scale) * gradient(xb)
            magnitude = p.pow(2).sum(dim=2, keepdim=True).sqrt()
            p = p / (magnitude / radius).clamp_min(1.0)
            x_new = (x - tau * (A.adjoint(q) - scale * divergence(p))).clamp(0.0, 1.0)
            xb = 2.0 * x_new - x
            x = x_new
            if it % check_every == 0 or it == max_iter:
                primal, gap = primal_dual_gap(A, y, lam, x, q, scale * p)
                relative = gap / primal.clamp_min(torch.finfo(primal.dtype).tiny)
                worst = float(relative.max())
                result.iterations.append(it)
                result.gaps.append(worst)
                result.primal, result.gap = primal, gap
                if verbose:
                    print(f"{where}: iteration {it}, relative gap {worst:.3e}")
                if worst <= tol:
                    result.converged = True
                    break
        result.x, result.n_iter = x, it
        result.seconds = time.perf_counter() - start
    return result
