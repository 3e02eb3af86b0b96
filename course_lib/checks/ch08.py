"""Checks of the exercises of chapter 08 (GAN inversion and invertible flows).

* Exercise 8.1 -- :func:`check_best_of_restarts`: for each image, the restart with the smallest
  data fit (never the clean image, which a user does not have).
* Exercise 8.2 -- :func:`check_masked_data_fit`: the per-image mean of ``|x - y|^p`` over the
  observed pixels of a 0/1 mask (inpainting).
* Exercise 8.3 -- :func:`check_affine_coupling`: an affine coupling layer and its log-determinant.

Each check builds its own small inputs (never notebook state), compares with the reference and,
when the answer equals a typical mistake, names it. Each runs in well under a second.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor

from . import (Case, Mistake, as_array, call_student, compare_with_mistakes, copied_args, describe_value, fail,
               matching_mistakes)

__all__ = [
    "affine_coupling_reference",
    "best_of_restarts_reference",
    "check_affine_coupling",
    "check_best_of_restarts",
    "check_masked_data_fit",
    "masked_data_fit_reference",
]


# --------------------------------------------------------------------------- Exercise 8.1: best of restarts

EX_BEST = "Exercise 8.1"


def best_of_restarts_reference(candidates: Tensor, data_fit: Tensor) -> Tensor:
    """``best[b] = candidates[argmin_r data_fit[r, b], b]``, shape ``candidates.shape[1:]``."""
    index = data_fit.argmin(dim=0)
    return candidates[index, torch.arange(candidates.shape[1])]


BEST_MISTAKES: list[Mistake] = [
    ("you took the restart with the LARGEST data fit; the best restart fits the observation most closely, so "
     "use argmin", lambda c, f: c[f.argmax(0), torch.arange(c.shape[1])]),
    ("you chose ONE restart for all images (by the total or mean fit); each image picks its own restart",
     lambda c, f: c[int(f.mean(1).argmin())]),
    ("you averaged the restarts; averaging images of different codes blurs them and is not an image of G",
     lambda c, f: c.mean(0)),
    ("you returned the first restart; compare the data fits", lambda c, f: c[0]),
    ("you returned the last restart; compare the data fits", lambda c, f: c[-1]),
]


def _best_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(81)
    cands = torch.rand(3, 4, 1, 5, 5, generator=gen)
    fits = torch.tensor([[0.30, 0.10, 0.50, 0.20], [0.10, 0.40, 0.60, 0.25], [0.20, 0.20, 0.05, 0.90]])
    cands2 = torch.rand(4, 2, 6, generator=gen)
    fits2 = torch.tensor([[5.0, 1.0], [2.0, 3.0], [9.0, 0.5], [1.5, 4.0]])
    return [Case("3 restarts x 4 images (1x5x5)", (cands, fits)),
            Case("4 restarts x 2 vectors", (cands2, fits2)),
            Case("one restart", (cands[:1], fits[:1]))]


def check_best_of_restarts(best_of_restarts: Callable[[Tensor, Tensor], Tensor]) -> None:
    """Exercise 8.1: the per-image best restart by data fit."""
    compare_with_mistakes(best_of_restarts, best_of_restarts_reference, _best_cases(), EX_BEST, BEST_MISTAKES,
                          rtol=0, atol=0,
                          fallback="for image b, find r = argmin over restarts of data_fit[r, b] and return candidates[r, b]",
                          shape_note=" (return one candidate per image: the shape of candidates without its first axis)",
                          report=False)
    print(f"{EX_BEST}: all {len(_best_cases())} cases pass.")


# --------------------------------------------------------------------------- Exercise 8.2: masked data fit

EX_MASK = "Exercise 8.2"


def masked_data_fit_reference(x: Tensor, y: Tensor, mask: Tensor, p: float = 2.0) -> Tensor:
    """Per-image ``sum(mask * |x - y|^p) / sum(mask)``, shape ``(N,)``."""
    m = torch.broadcast_to(mask.to(x.dtype), x.shape)
    return (m * (x - y).abs() ** p).flatten(1).sum(1) / m.flatten(1).sum(1)


def _bcast(mask: Tensor, x: Tensor) -> Tensor:
    return torch.broadcast_to(mask.to(x.dtype), x.shape)


MASK_MISTAKES: list[Mistake] = [
    ("you divided by the number of ALL pixels; average over the observed pixels only (divide by sum(mask))",
     lambda x, y, m, p=2.0: (_bcast(m, x) * (x - y).abs() ** p).flatten(1).mean(1)),
    ("the mask is used the wrong way round: 1 marks an OBSERVED pixel, 0 a missing one",
     lambda x, y, m, p=2.0: masked_data_fit_reference(x, y, 1 - m, p)),
    ("the mask is ignored: the missing pixels of y (zeros) must not pull G(z) towards black",
     lambda x, y, m, p=2.0: ((x - y).abs() ** p).flatten(1).mean(1)),
    ("you summed instead of averaging over the observed pixels",
     lambda x, y, m, p=2.0: (_bcast(m, x) * (x - y).abs() ** p).flatten(1).sum(1)),
    ("the exponent p is ignored (you always squared)",
     lambda x, y, m, p=2.0: masked_data_fit_reference(x, y, m, 2.0)),
    ("you forgot the absolute value, so odd p gives signed differences",
     lambda x, y, m, p=2.0: (_bcast(m, x) * (x - y) ** p).flatten(1).sum(1) / _bcast(m, x).flatten(1).sum(1)),
]


def _mask_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(82)
    x = torch.rand(3, 1, 6, 6, generator=gen, dtype=torch.float64)
    y = torch.rand(3, 1, 6, 6, generator=gen, dtype=torch.float64)
    hole = torch.ones(1, 1, 6, 6, dtype=torch.float64)
    hole[..., 2:4, 1:5] = 0
    per = (torch.rand(3, 1, 6, 6, generator=gen) > 0.4).double()
    y_hole = y * hole
    return [Case("L2, one centred hole (1,1,6,6)", (x, y_hole, hole, 2.0)),
            Case("L1, one centred hole", (x, y_hole, hole, 1.0)),
            Case("L1, a random mask per image (3,1,6,6)", (x, y * per, per, 1.0)),
            Case("p = 3, random masks", (x, y, per, 3.0))]


def check_masked_data_fit(masked_data_fit: Callable[..., Tensor]) -> None:
    """Exercise 8.2: per-image masked mean of ``|x - y|^p``; it must also be differentiable in ``x``."""
    cases = _mask_cases()
    compare_with_mistakes(masked_data_fit, masked_data_fit_reference, cases, EX_MASK, MASK_MISTAKES,
                          rtol=1e-6, atol=1e-10,
                          fallback="per image: sum over pixels of mask * |x - y|**p, divided by the number of observed pixels",
                          shape_note=" (return one value per image, shape (N,): invert() sums them and select_best "
                                     "compares them)",
                          report=False)
    case = cases[1]
    x = case.args[0].clone().requires_grad_(True)
    got = call_student(copied_args(masked_data_fit), Case(case.name, (x,) + case.args[1:]), EX_MASK)
    if not isinstance(got, Tensor) or not got.requires_grad:
        fail(EX_MASK, "your data fit is not connected to the autograd graph of x; compute it with torch operations "
                      "(no .item(), float(), .detach() or NumPy), so that Adam can move z through it")
    print(f"{EX_MASK}: all {len(cases)} cases pass.")


# --------------------------------------------------------------------------- Exercise 8.3: affine coupling

EX_COUPLING = "Exercise 8.3"


def affine_coupling_reference(x: Tensor, s_fn: Callable[[Tensor], Tensor],
                              t_fn: Callable[[Tensor], Tensor]) -> tuple[Tensor, Tensor]:
    """``(y, log|det J|)``: ``y1 = x1``, ``y2 = x2 * exp(s(x1)) + t(x1)``, ``log|det J| = sum s(x1)``."""
    d = x.shape[1] // 2
    x1, x2 = x[:, :d], x[:, d:]
    s, t = s_fn(x1), t_fn(x1)
    return torch.cat([x1, x2 * torch.exp(s) + t], dim=1), s.sum(dim=1)


def _coupling(variant: str):
    def fn(x, s_fn, t_fn):
        d = x.shape[1] // 2
        x1, x2 = x[:, :d], x[:, d:]
        s, t = s_fn(x1), t_fn(x1)
        y = torch.cat([x1, x2 * torch.exp(s) + t], dim=1)
        logdet = s.sum(dim=1)
        if variant == "exp":
            logdet = torch.exp(s).sum(dim=1)
        elif variant == "neg":
            logdet = -s.sum(dim=1)
        elif variant == "prod":
            logdet = torch.exp(s).prod(dim=1)
        elif variant == "batch":
            logdet = s.sum()
        elif variant == "with_t":
            logdet = (s + t).sum(dim=1)
        elif variant == "shift_first":
            y = torch.cat([x1, (x2 + t) * torch.exp(s)], dim=1)
        elif variant == "no_exp":
            y = torch.cat([x1, x2 * s + t], dim=1)
            logdet = torch.log(s.abs()).sum(dim=1)
        elif variant == "drop_x1":
            y = x2 * torch.exp(s) + t
        return y, logdet
    return fn


COUPLING_LOGDET_MISTAKES: list[Mistake] = [
    ("log|det J| is the sum of s, not of exp(s): the Jacobian's diagonal is exp(s), and log exp(s) = s",
     lambda *a: _coupling("exp")(*a)[1]),
    ("wrong sign: the forward map multiplies by exp(s), so log|det J| = +sum s", lambda *a: _coupling("neg")(*a)[1]),
    ("you returned det J = prod exp(s), not its logarithm", lambda *a: _coupling("prod")(*a)[1]),
    ("the shift t does not enter the determinant (it is added, its derivative in x2 is 0)",
     lambda *a: _coupling("with_t")(*a)[1]),
]
COUPLING_Y_MISTAKES: list[Mistake] = [
    ("you shifted before scaling; the layer is y2 = x2 * exp(s) + t", lambda *a: _coupling("shift_first")(*a)[0]),
    ("the scale must be exp(s) (positive, so the layer is invertible), not s", lambda *a: _coupling("no_exp")(*a)[0]),
]


def _coupling_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(83)
    w_s, w_t = torch.randn(1, 1, generator=gen, dtype=torch.float64), torch.randn(1, 1, generator=gen, dtype=torch.float64)
    w_s4, w_t4 = torch.randn(2, 2, generator=gen, dtype=torch.float64), torch.randn(2, 2, generator=gen, dtype=torch.float64)

    def s2(x1):
        return torch.tanh(x1 @ w_s) + 0.3

    def t2(x1):
        return x1 @ w_t - 0.2

    def s4(x1):
        return torch.sin(x1 @ w_s4)

    def t4(x1):
        return (x1 ** 2) @ w_t4
    x2 = torch.randn(5, 2, generator=gen, dtype=torch.float64)
    x4 = torch.randn(3, 4, generator=gen, dtype=torch.float64)
    return [Case("2-D points, 5 samples", (x2, s2, t2)), Case("4-D points, 3 samples", (x4, s4, t4))]


def check_affine_coupling(affine_coupling: Callable[..., tuple[Tensor, Tensor]]) -> None:
    """Exercise 8.3: the coupling layer's output and log-determinant (compared with autograd's Jacobian)."""
    student = copied_args(affine_coupling)
    cases = _coupling_cases()
    for case in cases:
        out = call_student(student, case, EX_COUPLING)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            fail(EX_COUPLING, f"case {case.name}: return a pair (y, logdet), got {type(out).__name__}")
        y, logdet = as_array(out[0]), as_array(out[1])
        y_ref, ld_ref = (as_array(v) for v in affine_coupling_reference(*case.args))
        if y.shape != y_ref.shape:
            extra = (" -- y must contain the unchanged first half x1 as well" if y.shape[-1] == y_ref.shape[-1] // 2
                     else "")
            fail(EX_COUPLING, f"case {case.name}: y has shape {y.shape}, expected {y_ref.shape}{extra}")
        if not np.allclose(y, y_ref, rtol=1e-6, atol=1e-9):
            hint = matching_mistakes(COUPLING_Y_MISTAKES, case, y, rtol=1e-6, atol=1e-9) or \
                "keep x1 = x[:, :D // 2] unchanged and set y2 = x2 * exp(s(x1)) + t(x1)"
            fail(EX_COUPLING, f"case {case.name}: y is wrong: expected {describe_value(y_ref)}, got {describe_value(y)}. "
                              f"Hint: {hint}")
        if logdet.shape != ld_ref.shape:
            fail(EX_COUPLING, f"case {case.name}: logdet has shape {logdet.shape}, expected {ld_ref.shape}: one "
                              "log-determinant per sample (sum over the coordinates, not over the batch)")
        if not np.allclose(logdet, ld_ref, rtol=1e-6, atol=1e-9):
            hint = matching_mistakes(COUPLING_LOGDET_MISTAKES, case, logdet, rtol=1e-6, atol=1e-9) or \
                "log|det J| of one sample is the sum of its s(x1)"
            fail(EX_COUPLING, f"case {case.name}: logdet is wrong: expected {describe_value(ld_ref)}, got "
                              f"{describe_value(logdet)}. Hint: {hint}")
    # The reference itself agrees with autograd's Jacobian on the first case (the claim of the exercise).
    x, s_fn, t_fn = cases[0].args
    jac_ld = [torch.linalg.slogdet(torch.autograd.functional.jacobian(
        lambda v: affine_coupling_reference(v[None], s_fn, t_fn)[0][0], row))[1] for row in x]
    assert np.allclose(as_array(torch.stack(jac_ld)), as_array(affine_coupling_reference(x, s_fn, t_fn)[1]))
    print(f"{EX_COUPLING}: all {len(cases)} cases pass (and the log-determinant equals autograd's log|det J|).")
