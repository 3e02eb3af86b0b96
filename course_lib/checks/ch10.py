"""Checks of the exercises of chapter 10 (learned gradient descent and recurrent inference machines).

* Exercise 10.1 -- :func:`check_data_term_gradient`: ``grad_x 1/2 ||A x - y||^2 = A^T (A x - y)``
  for an operator with ``forward`` and ``adjoint``.
* Exercise 10.2 -- :func:`check_rim_step`: one unrolled step of a recurrent inference machine,
  ``h' = cell(relu(inp([x, g])), h)``, ``x' = x + out(h')``.
* Exercise 10.3 -- :func:`check_iterate_loss`: the loss on every iterate,
  ``sum_t w_t MSE(x_t, x) / sum_t w_t``.

Each check builds its own small inputs (never notebook state), compares with the reference
of :mod:`course_lib.unrolled` and, when the answer equals a typical mistake, names it.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .. import unrolled
from ..operators import Blur, Downsampling, LinearOperator
from . import Case, Mistake, call_student, compare_with_mistakes, copied_args, fail

__all__ = [
    "check_data_term_gradient", "check_iterate_loss", "check_rim_step",
    "data_term_gradient_reference", "iterate_loss_reference", "rim_step_reference",
]


def _describe(value: np.ndarray) -> str:
    if value.size <= 6:
        return np.array2string(value.reshape(-1) if value.ndim else value, precision=6)
    return f"array of shape {value.shape} (mean {np.nanmean(value):.6g}, norm {np.linalg.norm(value):.6g})"


def _compare(student: Callable[..., Any], reference: Callable[..., Any], cases: Sequence[Case], exercise: str,
             mistakes: Sequence[Mistake], *, fallback: str, rtol: float = 1e-5, atol: float = 1e-7,
             pick: Callable[[Any], Any] | None = None, report: bool = True) -> None:
    compare_with_mistakes(student, reference, cases, exercise, mistakes, rtol=rtol, atol=atol, fallback=fallback,
                          pick=pick, describe=_describe, report=report)


# --------------------------------------------------------------------------- Exercise 10.1: the data-term gradient

EX_GRAD = "Exercise 10.1"


def data_term_gradient_reference(A: LinearOperator, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``A^T (A x - y)``."""
    return A.adjoint(A.forward(x) - y)


class _Matrix(LinearOperator):
    """A dense matrix acting on flattened images (N, 1, h, w) -> (N, 1, m, 1)."""

    def __init__(self, M: torch.Tensor, shape: tuple[int, int]) -> None:
        self.M, self.shape = M, shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.reshape(x.shape[0], -1) @ self.M.T).reshape(x.shape[0], 1, -1, 1)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return (y.reshape(y.shape[0], -1) @ self.M).reshape(y.shape[0], 1, *self.shape)


def _grad_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(10)
    kernel = torch.zeros(3, 3, dtype=torch.float64)
    kernel[1, 0], kernel[1, 1], kernel[0, 2] = 0.6, 0.3, 0.1  # not symmetric: the adjoint is not the blur itself
    x1 = torch.rand(2, 1, 6, 6, generator=gen, dtype=torch.float64)
    y1 = torch.rand(2, 1, 6, 6, generator=gen, dtype=torch.float64)
    M = torch.randn(5, 12, generator=gen, dtype=torch.float64)
    x2 = torch.randn(1, 1, 3, 4, generator=gen, dtype=torch.float64)
    y2 = torch.randn(1, 1, 5, 1, generator=gen, dtype=torch.float64)
    x3 = torch.rand(1, 1, 4, 4, generator=gen, dtype=torch.float64)
    y3 = torch.rand(1, 1, 2, 2, generator=gen, dtype=torch.float64)
    return [Case("a motion-like 3x3 blur on 6x6 images", (Blur(kernel), x1, y1)),
            Case("a 5x12 matrix on 3x4 images", (_Matrix(M, (3, 4)), x2, y2)),
            Case("2x downsampling of a 4x4 image", (Downsampling(2), x3, y3))]


GRAD_MISTAKES: list[Mistake] = [
    ("the sign is flipped: the gradient of 1/2||Ax - y||^2 is A^T(Ax - y), not A^T(y - Ax) (that is the descent "
     "direction)", lambda A, x, y: A.adjoint(y - A.forward(x))),
    ("a factor 2: the 1/2 in front of the squared norm cancels the 2 of the derivative",
     lambda A, x, y: 2 * A.adjoint(A.forward(x) - y)),
    ("A was applied where its adjoint A^T belongs (apply A.adjoint to the residual)",
     lambda A, x, y: A.forward(A.forward(x) - y)),
    ("the adjoint was left out: the residual Ax - y lives in measurement space; map it back with A^T",
     lambda A, x, y: A.forward(x) - y),
    ("the adjoint was applied to y only (A^T y), not to the residual", lambda A, x, y: x - A.adjoint(y)),
]


def check_data_term_gradient(fn: Callable[[LinearOperator, torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Exercise 10.1: ``fn(A, x, y)`` must return ``A^T (A x - y)`` (shape of ``x``)."""
    _compare(fn, data_term_gradient_reference, _grad_cases(), EX_GRAD, GRAD_MISTAKES,
             fallback="compute the residual r = A.forward(x) - y, then return A.adjoint(r)")


# --------------------------------------------------------------------------- Exercise 10.2: one RIM step

EX_STEP = "Exercise 10.2"


def rim_step_reference(model: unrolled.RIM, x: torch.Tensor, g: torch.Tensor,
                       h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x + out(h'), h')`` with ``h' = cell(relu(inp([x, g])), h)``."""
    with torch.no_grad():
        return model.step(x, g, h)


def _step_cases() -> list[Case]:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(11)
    cases = []
    for name, (width, hidden, side) in {"RIM width 4, hidden 3, 5x5 images": (4, 3, 5),
                                        "RIM width 6, hidden 5, 7x6 images": (6, 5, 7)}.items():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(width)
            model = unrolled.RIM(width=width, hidden=hidden, steps=3).double()
        x = torch.rand(2, 1, side, side - (side == 7), generator=gen, dtype=torch.float64)
        g = torch.randn(x.shape, generator=gen, dtype=torch.float64)
        h = torch.randn(2, hidden, *x.shape[-2:], generator=gen, dtype=torch.float64)
        cases.append(Case(name, (model, x, g, h)))
    return cases


def _step_variant(kind: str) -> Callable[..., Any]:
    def step(model, x, g, h):
        with torch.no_grad():
            u = F.relu(model.inp(torch.cat([g, x], 1) if kind == "order" else torch.cat([x, g], 1)))
            if kind == "no relu":
                u = model.inp(torch.cat([x, g], 1))
            h_new = model.cell(u, h)
            if kind == "no residual":
                return model.out(h_new), h_new
            if kind == "minus":
                return x - model.out(h_new), h_new
            if kind == "old h":
                return x + model.out(h), h_new
            if kind == "gradient step":
                return x - g + model.out(h_new), h_new
            return x + model.out(h_new), h_new
    return step


STEP_MISTAKES: list[Mistake] = [
    ("the update is not added to x: the network outputs an increment, x_{t+1} = x_t + N(...)", _step_variant("no residual")),
    ("the increment was subtracted: the learned update replaces the whole step -gamma grad, so it is added",
     _step_variant("minus")),
    ("the output was computed from the old hidden state h; use the new one h' = cell(u, h)", _step_variant("old h")),
    ("the inputs were concatenated as [g, x]; the network was trained with [x, g] (torch.cat([x, g], 1))",
     _step_variant("order")),
    ("the ReLU after the input convolution is missing", _step_variant("no relu")),
    ("a plain gradient step -g was added as well; the network's output is the whole update", _step_variant("gradient step")),
]


def check_rim_step(fn: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Exercise 10.2: ``fn(model, x, g, h)`` must return ``(x_next, h_next)`` of one RIM step."""
    cases = _step_cases()
    student = copied_args(fn)
    for case in cases:
        got = call_student(student, case, EX_STEP)
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            fail(EX_STEP, f"case {case.name}: return a pair (x_next, h_next), got {type(got).__name__}")
    _compare(fn, rim_step_reference, cases, EX_STEP, [(m, (lambda w: lambda *a: w(*a)[0])(f)) for m, f in STEP_MISTAKES],
             fallback="u = relu(model.inp(cat([x, g], 1))); h' = model.cell(u, h); x' = x + model.out(h')",
             pick=lambda v: v[0], report=False)
    _compare(fn, rim_step_reference, cases, EX_STEP, [], pick=lambda v: v[1],
             fallback="the new hidden state is model.cell(u, h) with u = relu(model.inp(cat([x, g], 1)))")


# --------------------------------------------------------------------------- Exercise 10.3: the loss over iterates

EX_LOSS = "Exercise 10.3"


def iterate_loss_reference(iterates: Sequence[torch.Tensor], target: torch.Tensor,
                           weights: Sequence[float]) -> torch.Tensor:
    """``sum_t w_t MSE(x_t, target) / sum_t w_t``."""
    return unrolled.iterate_loss(iterates, target, weights)


def _loss_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(12)
    target = torch.rand(3, 1, 4, 4, generator=gen, dtype=torch.float64)
    its = [target + s * torch.randn(target.shape, generator=gen, dtype=torch.float64) for s in (0.5, 0.3, 0.2, 0.1)]
    t2 = torch.rand(2, 1, 5, 3, generator=gen, dtype=torch.float64)
    its2 = [t2 + s * torch.randn(t2.shape, generator=gen, dtype=torch.float64) for s in (0.4, 0.05, 0.2)]
    return [Case("4 iterates, equal weights", (its, target, [1.0, 1.0, 1.0, 1.0])),
            Case("4 iterates, weights 1, 2, 3, 4", (its, target, [1.0, 2.0, 3.0, 4.0])),
            Case("3 iterates, weights 0.5, 0, 2", (its2, t2, [0.5, 0.0, 2.0]))]


def _mse(a, b):
    return ((a - b) ** 2).mean()


LOSS_MISTAKES: list[Mistake] = [
    ("only the last iterate was scored; the loss is on every iterate", lambda its, t, w: _mse(its[-1], t)),
    ("the weighted sum was not divided by the sum of the weights",
     lambda its, t, w: sum(wi * _mse(x, t) for wi, x in zip(w, its))),
    ("the weights were ignored (a plain mean over iterates)", lambda its, t, w: sum(_mse(x, t) for x in its) / len(its)),
    ("the squared errors were summed over pixels instead of averaged (use the mean squared error per iterate)",
     lambda its, t, w: sum(wi * ((x - t) ** 2).sum() for wi, x in zip(w, its)) / sum(w)),
    ("the weighted sum was divided by the number of iterates instead of the sum of the weights",
     lambda its, t, w: sum(wi * _mse(x, t) for wi, x in zip(w, its)) / len(its)),
    ("the error is not squared (that is the mean absolute error)",
     lambda its, t, w: sum(wi * (x - t).abs().mean() for wi, x in zip(w, its)) / sum(w)),
]


def check_iterate_loss(fn: Callable[..., torch.Tensor]) -> None:
    """Exercise 10.3: ``fn(iterates, target, weights)`` must return the weighted mean of the per-iterate MSEs."""
    cases = _loss_cases()
    _compare(fn, iterate_loss_reference, cases, EX_LOSS, LOSS_MISTAKES,
             fallback="return sum_t w_t * mean((x_t - target)^2) / sum_t w_t")
    case = cases[1]
    its = [x.detach().clone().requires_grad_(True) for x in case.args[0]]
    got = call_student(fn, Case(case.name, (its, case.args[1], case.args[2])), EX_LOSS)
    if not isinstance(got, torch.Tensor) or not got.requires_grad:
        fail(EX_LOSS, f"case {case.name}: the loss is not connected to the iterates' autograd graph; use torch "
                      "operations (no .item(), float() or NumPy) so that the network can be trained through it")
