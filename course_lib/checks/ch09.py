"""Checks of the exercises of chapter 09 (adversarial regularisers).

* Exercise 9.1 -- :func:`check_critic_objective`: the critic's loss
  ``mean(Psi(real)) - mean(Psi(noisy)) + mu * mean(max(||grad|| - 1, 0)^2)`` from the scores and
  the gradient norms at the interpolates (one-sided penalty).
* Exercise 9.2 -- :func:`check_reconstruction_step`: one gradient-descent step on
  ``||A x - y||^2 + lam * Psi(x)``.
* Exercise 9.3 -- :func:`check_lambda_heuristic`: the weight ``lam = 2 E||A^* eps||`` estimated
  on given noise samples.

Each check builds its own small inputs (never notebook state), compares with the reference
below and, when the answer equals a typical mistake, names it. Each runs in well under a second.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

from . import Case, Mistake, compare_with_mistakes

__all__ = [
    "check_critic_objective",
    "check_lambda_heuristic",
    "check_reconstruction_step",
    "critic_objective_reference",
    "lambda_heuristic_reference",
    "reconstruction_step_reference",
]


# --------------------------------------------------------------------------- Exercise 9.1

EX_OBJ = "Exercise 9.1"


def critic_objective_reference(psi_real: Tensor, psi_noisy: Tensor, grad_norms: Tensor, mu: float) -> Tensor:
    """``mean(psi_real) - mean(psi_noisy) + mu * mean(relu(grad_norms - 1)^2)``."""
    return psi_real.mean() - psi_noisy.mean() + mu * ((grad_norms - 1.0).clamp(min=0.0) ** 2).mean()


_OBJ_MISTAKES: list[Mistake] = [
    ("two-sided penalty: norms below 1 are penalised too; the adversarial regulariser's penalty is one-sided, "
     "max(||grad|| - 1, 0)^2",
     lambda r, n, g, mu: r.mean() - n.mean() + mu * ((g - 1) ** 2).mean()),
    ("the signs of the two expectations are swapped: the critic should be LOW on real images and HIGH on noisy "
     "ones, so the loss is mean(Psi(real)) - mean(Psi(noisy))",
     lambda r, n, g, mu: n.mean() - r.mean() + mu * ((g - 1).clamp(min=0) ** 2).mean()),
    ("the penalty is not squared", lambda r, n, g, mu: r.mean() - n.mean() + mu * (g - 1).clamp(min=0).mean()),
    ("the penalty uses the squared norm ||grad||^2 - 1 instead of the norm",
     lambda r, n, g, mu: r.mean() - n.mean() + mu * ((g**2 - 1).clamp(min=0) ** 2).mean()),
    ("the penalty weight mu is missing", lambda r, n, g, mu: r.mean() - n.mean() + ((g - 1).clamp(min=0) ** 2).mean()),
    ("the penalty is subtracted; it must be added (it is a cost)",
     lambda r, n, g, mu: r.mean() - n.mean() - mu * ((g - 1).clamp(min=0) ** 2).mean()),
    ("sums instead of means over the batch",
     lambda r, n, g, mu: r.sum() - n.sum() + mu * ((g - 1).clamp(min=0) ** 2).sum()),
]


def check_critic_objective(fn: Callable[..., Any]) -> None:
    """Exercise 9.1: ``critic_objective(psi_real, psi_noisy, grad_norms, mu)`` returns a scalar tensor."""
    g = torch.Generator().manual_seed(9)
    cases = [
        Case("3 samples, norms on both sides of 1", (torch.tensor([0.5, -1.0, 2.0]), torch.tensor([3.0, 1.0, 0.5, 2.5]),
                                                     torch.tensor([0.2, 1.5, 3.0]), 10.0)),
        Case("random batch", (torch.randn(8, generator=g, dtype=torch.float64),
                              torch.randn(8, generator=g, dtype=torch.float64) + 1,
                              2 * torch.rand(8, generator=g, dtype=torch.float64) + 0.3, 2.5)),
        Case("all norms below 1 (no penalty)", (torch.tensor([1.0, 2.0]), torch.tensor([4.0, 0.0]),
                                                torch.tensor([0.1, 0.9]), 10.0)),
    ]
    compare_with_mistakes(fn, critic_objective_reference, cases, EX_OBJ, _OBJ_MISTAKES, rtol=1e-6, atol=1e-9,
                          fallback="compute mean(psi_real) - mean(psi_noisy) + mu * mean(max(grad_norms - 1, 0)^2)")


# --------------------------------------------------------------------------- Exercise 9.2

EX_STEP = "Exercise 9.2"


def _psi_grad(critic: Callable[[Tensor], Tensor], x: Tensor, scale: float = 1.0) -> Tensor:
    with torch.enable_grad():  # mistake models run under no_grad in matching_mistakes
        xx = x.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(xx).sum() * scale, xx)
    return grad


def reconstruction_step_reference(x: Tensor, y: Tensor, forward: Callable[[Tensor], Tensor],
                                  adjoint: Callable[[Tensor], Tensor], critic: Callable[[Tensor], Tensor],
                                  lam: float, step: float) -> Tensor:
    """``x - step * (2 A^*(A x - y) + lam * grad Psi(x))``, the gradient of ``Psi`` per sample."""
    return (x - step * (2.0 * adjoint(forward(x) - y) + lam * _psi_grad(critic, x))).detach()


def _step_mistakes() -> list[Mistake]:
    def make(data_factor: float = 2.0, sign: float = -1.0, use_forward: bool = False, psi_scale: float | None = None,
             lam_on: str = "psi") -> Callable[..., Tensor]:
        def wrong(x, y, forward, adjoint, critic, lam, step):
            back = forward if use_forward else adjoint
            data_grad = data_factor * back(forward(x) - y)
            gpsi = _psi_grad(critic, x, 1.0 / x.shape[0] if psi_scale == "mean" else 1.0)
            if lam_on == "data":
                total = lam * data_grad + gpsi
            elif lam_on == "none":
                total = data_grad + gpsi
            else:
                total = data_grad + lam * gpsi
            return (x + sign * step * total).detach()
        return wrong

    return [
        ("the factor 2 of the data term's gradient is missing: grad ||Ax - y||^2 = 2 A^*(Ax - y)", make(data_factor=1.0)),
        ("the step goes uphill: subtract the gradient, x - step * gradient", make(sign=+1.0)),
        ("A was applied where its adjoint A^* belongs: the data gradient is 2 A^*(Ax - y)", make(use_forward=True)),
        ("the critic's gradient was taken of the MEAN score over the batch, which divides each image's gradient "
         "by the batch size; differentiate the SUM of the scores (each image's score depends only on that image)",
         make(psi_scale="mean")),
        ("lam multiplies the data term instead of the regulariser", make(lam_on="data")),
        ("the weight lam is missing", make(lam_on="none")),
    ]


def _step_cases() -> list[Case]:
    g = torch.Generator().manual_seed(90)
    d = 4
    mat = torch.randn(d, d, generator=g, dtype=torch.float64) + 2 * torch.eye(d, dtype=torch.float64)
    forward = lambda v: v @ mat.T  # noqa: E731
    adjoint = lambda r: r @ mat  # noqa: E731
    w = torch.randn(d, generator=g, dtype=torch.float64)
    critic = lambda v: torch.sqrt(1.0 + (v**2).sum(dim=1)) + torch.tanh(v @ w)  # noqa: E731
    x = torch.randn(3, d, generator=g, dtype=torch.float64)
    y = torch.randn(3, d, generator=g, dtype=torch.float64)
    ident = lambda v: v  # noqa: E731
    return [
        Case("matrix A (4x4), 3 samples", (x, y, forward, adjoint, critic, 0.7, 0.05)),
        Case("identity A (denoising), 2 samples", (x[:2], y[:2], ident, ident, critic, 2.0, 0.1)),
    ]


def check_reconstruction_step(fn: Callable[..., Any]) -> None:
    """Exercise 9.2: ``reconstruction_step(x, y, forward, adjoint, critic, lam, step)`` returns the next iterate."""
    compare_with_mistakes(fn, reconstruction_step_reference, _step_cases(), EX_STEP, _step_mistakes(), rtol=1e-6, atol=1e-9,
                          fallback="return x - step * (2 * adjoint(forward(x) - y) + lam * grad), with grad the gradient of "
                      "critic(x).sum() with respect to x (torch.autograd.grad)")


# --------------------------------------------------------------------------- Exercise 9.3

EX_LAM = "Exercise 9.3"


def lambda_heuristic_reference(adjoint: Callable[[Tensor], Tensor], noise: Tensor) -> Tensor:
    """``2 * mean_i ||adjoint(noise_i)||_2`` over the samples (first axis)."""
    back = adjoint(noise)
    return 2.0 * back.reshape(back.shape[0], -1).norm(dim=1).mean()


def _lam_mistakes() -> list[Mistake]:
    def flat(t: Tensor) -> Tensor:
        return t.reshape(t.shape[0], -1)

    return [
        ("the factor 2 is missing (it comes from the gradient of the squared data term, 2 A^*(Ax - y))",
         lambda adj, e: flat(adj(e)).norm(dim=1).mean()),
        ("the adjoint is missing: the heuristic measures the noise AFTER A^*, ||A^* eps||, not ||eps||",
         lambda adj, e: 2 * flat(e).norm(dim=1).mean()),
        ("squared norms: use ||A^* eps||, not ||A^* eps||^2", lambda adj, e: 2 * (flat(adj(e)) ** 2).sum(1).mean()),
        ("the norm of the mean noise: average the norms of the samples, not the samples",
         lambda adj, e: 2 * flat(adj(e)).mean(0).norm()),
        ("one norm over all samples together: take one norm per sample and average them",
         lambda adj, e: 2 * flat(adj(e)).norm()),
        ("root mean square: use the mean of the norms, not the square root of the mean squared norm",
         lambda adj, e: 2 * (flat(adj(e)) ** 2).sum(1).mean().sqrt()),
    ]


def check_lambda_heuristic(fn: Callable[..., Any]) -> None:
    """Exercise 9.3: ``lambda_heuristic(adjoint, noise)`` returns ``2 E||A^* eps||`` as a number."""
    g = torch.Generator().manual_seed(93)
    mat = torch.randn(5, 3, generator=g, dtype=torch.float64)
    cases = [
        Case("A^* = 3 * identity, 4 samples of 6 numbers", (lambda r: 3.0 * r, torch.randn(4, 6, generator=g, dtype=torch.float64))),
        Case("A^* a 3x5 matrix, 5 samples", (lambda r: r @ mat, torch.randn(5, 5, generator=g, dtype=torch.float64))),
        Case("image-shaped noise (3, 1, 4, 4), A^* = identity",
             (lambda r: r, 0.1 * torch.randn(3, 1, 4, 4, generator=g, dtype=torch.float64))),
    ]
    compare_with_mistakes(fn, lambda_heuristic_reference, cases, EX_LAM, _lam_mistakes(), rtol=1e-6, atol=1e-9,
                          fallback="apply the adjoint to every sample, take each sample's Euclidean norm, average, multiply by 2")
