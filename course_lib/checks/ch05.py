"""Checks of the exercises of chapter 05 (learned denoisers).

* Exercise 5.1 -- :func:`check_psnr`: ``10 log10(data_range^2 / MSE)`` per image.
* Exercise 5.2 -- :func:`check_residual_loss`: DnCNN's loss, the mean squared error between
  the predicted noise and the true noise ``y - x``.
* Exercise 5.3 -- :func:`check_gaussian_kl`: ``KL(N(mu, diag(exp(logvar))) || N(0, I))`` per example.
* Exercise 5.4 -- :func:`check_reparameterize`: ``z = mu + exp(logvar / 2) * eps``, differentiable in
  ``mu`` and ``logvar``.

Each check builds its own small tensors, compares with the reference and names typical
mistakes. Each runs in well under a second.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import torch

from .. import metrics
from . import Case, Mistake, call_student, compare_cases, copied_args, fail, matching_mistakes

__all__ = [
    "check_gaussian_kl",
    "check_psnr",
    "check_reparameterize",
    "check_residual_loss",
    "gaussian_kl_reference",
    "psnr_reference",
    "reparameterize_reference",
    "residual_loss_reference",
]





def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- Exercise 5.1: PSNR

EX_PSNR = "Exercise 5.1"


def psnr_reference(x: torch.Tensor, ref: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """PSNR in dB of each image of a batch ``(N, C, H, W)``: ``10 log10(data_range^2 / mean((x - ref)^2))``."""
    return metrics.psnr(x, ref, data_range)


def _mse(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    return ((x.double() - ref.double()) ** 2).flatten(1).mean(1)


_PSNR_MISTAKES: list[Mistake] = [
    ("you used the natural logarithm; PSNR uses log10",
     lambda x, r, d=1.0: 10 * torch.log(d**2 / _mse(x, r))),
    ("you forgot to square data_range: the peak *power* is data_range^2",
     lambda x, r, d=1.0: 10 * torch.log10(d / _mse(x, r))),
    ("you used 20 log10 of a ratio of powers; it is 10 log10(peak^2 / MSE), or equivalently 20 log10(peak / RMSE)",
     lambda x, r, d=1.0: 20 * torch.log10(d**2 / _mse(x, r))),
    ("you averaged the squared error over the whole batch: PSNR is computed per image",
     lambda x, r, d=1.0: (10 * torch.log10(d**2 / ((x.double() - r.double()) ** 2).mean())).expand(x.shape[0])),
    ("you used the mean absolute error instead of the mean squared error",
     lambda x, r, d=1.0: 10 * torch.log10(d**2 / (x.double() - r.double()).abs().flatten(1).mean(1))),
    ("you summed the squared errors instead of averaging them over the pixels",
     lambda x, r, d=1.0: 10 * torch.log10(d**2 / ((x.double() - r.double()) ** 2).flatten(1).sum(1))),
    ("the sign is flipped: it is 10 log10(peak^2 / MSE), not MSE / peak^2",
     lambda x, r, d=1.0: 10 * torch.log10(_mse(x, r) / d**2)),
]


def check_psnr(psnr: Callable[..., Any]) -> None:
    """Exercise 5.1: per-image PSNR of batches, with data_range 1 and 255."""
    g = _gen(51)
    ref = torch.rand(3, 1, 8, 8, generator=g)
    noisy = ref + 0.1 * torch.randn(ref.shape, generator=g)
    ref255 = torch.rand(2, 3, 6, 5, generator=g) * 255
    cases = [
        Case("3 grey images 8x8, noise std 0.1, data_range=1", (noisy, ref), {"data_range": 1.0}),
        Case("2 colour images 3x6x5 on the 0..255 scale, data_range=255",
             (ref255 + 20 * torch.randn(ref255.shape, generator=g), ref255), {"data_range": 255.0}),
        Case("one image with very different errors in its halves",
             (torch.cat([ref[:1, :, :4] + 0.3, ref[:1, :, 4:]], 2), ref[:1]), {"data_range": 1.0}),
    ]

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        x, r = case.args
        mistakes = [(d, lambda x, r, data_range=1.0, w=w: w(x, r, data_range)) for d, w in _PSNR_MISTAKES]
        return matching_mistakes(mistakes, case, got, rtol=1e-5, atol=1e-9) or (
            "PSNR = 10 * log10(data_range**2 / MSE) with the MSE of each image")

    compare_cases(copied_args(psnr), psnr_reference, cases, EX_PSNR, rtol=1e-5, atol=1e-6, diagnose=diagnose)


# --------------------------------------------------------------------------- Exercise 5.2: residual loss

EX_RES = "Exercise 5.2"


def residual_loss_reference(noise_pred: torch.Tensor, noisy: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """``mean((noise_pred - (noisy - clean))^2)`` over every element (a scalar)."""
    return torch.mean((noise_pred - (noisy - clean)) ** 2)


_RES_MISTAKES: list[Mistake] = [
    ("your target has the wrong sign: the network predicts the noise v = noisy - clean, not clean - noisy",
     lambda p, y, x: torch.mean((p - (x - y)) ** 2)),
    ("you compared the predicted noise with the clean image; the target of residual learning is the noise y - x",
     lambda p, y, x: torch.mean((p - x) ** 2)),
    ("you compared the predicted noise with the noisy image; the target is the noise y - x",
     lambda p, y, x: torch.mean((p - y) ** 2)),
    ("you scored the denoised image y - R(y) against the noisy image; it should be against the clean one "
     "(or, equivalently, R(y) against y - x)",
     lambda p, y, x: torch.mean(((y - p) - y) ** 2)),
    ("you summed the squared errors; use the mean over every element (as F.mse_loss does)",
     lambda p, y, x: torch.sum((p - (y - x)) ** 2)),
    ("you returned the mean absolute error; DnCNN's loss is the mean *squared* error",
     lambda p, y, x: torch.mean((p - (y - x)).abs())),
    ("you returned the root of the mean squared error; return the mean squared error itself",
     lambda p, y, x: torch.sqrt(torch.mean((p - (y - x)) ** 2))),
    ("you divided by 2 (the 1/2 of the paper's formula); this exercise asks for the plain mean",
     lambda p, y, x: 0.5 * torch.mean((p - (y - x)) ** 2)),
]


def check_residual_loss(residual_loss: Callable[..., Any]) -> None:
    """Exercise 5.2: the loss on random batches; it must also be differentiable in ``noise_pred``."""
    g = _gen(52)
    clean = torch.rand(4, 1, 6, 6, generator=g)
    noisy = clean + 0.1 * torch.randn(clean.shape, generator=g)
    pred = 0.1 * torch.randn(clean.shape, generator=g)
    cases = [
        Case("batch of 4 6x6 patches", (pred, noisy, clean)),
        Case("perfect prediction (loss 0)", (noisy - clean, noisy, clean)),
        Case("2 patches 3x5, large noise", (torch.zeros(2, 1, 3, 5), clean[:2, :, :3, :5] + 0.5, clean[:2, :, :3, :5])),
    ]

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        return matching_mistakes(_RES_MISTAKES, case, got, rtol=1e-5, atol=1e-9) or (
            "the target of the network is the noise y - x: return mean((noise_pred - (noisy - clean))**2)")

    compare_cases(copied_args(residual_loss), residual_loss_reference, cases, EX_RES, rtol=1e-5, atol=1e-8, diagnose=diagnose)
    p = pred.clone().requires_grad_(True)
    out = call_student(residual_loss, Case("gradient test", (p, noisy, clean)), EX_RES)
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        fail(EX_RES, "the loss must be a torch tensor that is differentiable in noise_pred (do not convert to "
                     "NumPy or call .item()/.detach()): the network is trained by back-propagating through it")
    print(f"{EX_RES}: the loss is differentiable in noise_pred.")


# --------------------------------------------------------------------------- Exercise 5.3: Gaussian KL

EX_KL = "Exercise 5.3"


def gaussian_kl_reference(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag(exp(logvar))) || N(0, I))`` for each row: ``0.5 sum(mu^2 + e^logvar - 1 - logvar)``."""
    return 0.5 * torch.sum(mu**2 + logvar.exp() - 1.0 - logvar, dim=1)


_KL_MISTAKES: list[Mistake] = [
    ("you forgot the factor 1/2", lambda m, lv: torch.sum(m**2 + lv.exp() - 1 - lv, 1)),
    ("you treated logvar as the log of the standard deviation; it is the log of the variance, so the "
     "variance is exp(logvar)", lambda m, lv: 0.5 * torch.sum(m**2 + (2 * lv).exp() - 1 - 2 * lv, 1)),
    ("the sign is flipped: KL = +1/2 sum(mu^2 + exp(logvar) - 1 - logvar) is non-negative",
     lambda m, lv: -0.5 * torch.sum(m**2 + lv.exp() - 1 - lv, 1)),
    ("you forgot the -1 in each dimension (then KL(N(0, I) || N(0, I)) would not be 0)",
     lambda m, lv: 0.5 * torch.sum(m**2 + lv.exp() - lv, 1)),
    ("you forgot the mu^2 term", lambda m, lv: 0.5 * torch.sum(lv.exp() - 1 - lv, 1)),
    ("you forgot the -logvar term", lambda m, lv: 0.5 * torch.sum(m**2 + lv.exp() - 1, 1)),
    ("you averaged over the latent dimensions; the KL of independent dimensions is their *sum*",
     lambda m, lv: 0.5 * torch.mean(m**2 + lv.exp() - 1 - lv, 1)),
    ("you summed over the whole batch; return one KL per example (shape (N,))",
     lambda m, lv: 0.5 * torch.sum(m**2 + lv.exp() - 1 - lv)),
]


def check_gaussian_kl(gaussian_kl: Callable[..., Any]) -> None:
    """Exercise 5.3: the KL on random batches, the zero case, and one value computed by hand."""
    g = _gen(53)
    cases = [
        Case("N(0, I) itself (KL = 0)", (torch.zeros(2, 3), torch.zeros(2, 3))),
        Case("one 1-D example mu = 1, variance e (logvar = 1): KL = (1 + e - 1 - 1) / 2",
             (torch.ones(1, 1), torch.ones(1, 1))),
        Case("batch of 5 with 4 latent dimensions", (torch.randn(5, 4, generator=g), 0.5 * torch.randn(5, 4, generator=g))),
    ]

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        return matching_mistakes(_KL_MISTAKES, case, got, rtol=1e-5, atol=1e-9) or (
            "KL = 0.5 * sum(mu**2 + exp(logvar) - 1 - logvar) over dim 1")

    compare_cases(copied_args(gaussian_kl), gaussian_kl_reference, cases, EX_KL, rtol=1e-5, atol=1e-7, diagnose=diagnose)


# --------------------------------------------------------------------------- Exercise 5.4: reparameterisation

EX_REP = "Exercise 5.4"


def reparameterize_reference(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """``mu + exp(logvar / 2) * eps``: a sample of N(mu, diag(exp(logvar))) given standard normal ``eps``."""
    return mu + torch.exp(0.5 * logvar) * eps


_REP_MISTAKES: list[Mistake] = [
    ("you multiplied eps by the variance exp(logvar); multiply by the standard deviation exp(logvar / 2)",
     lambda m, lv, e: m + lv.exp() * e),
    ("you multiplied eps by logvar itself; the standard deviation is exp(logvar / 2)",
     lambda m, lv, e: m + lv * e),
    ("you multiplied eps by exp(2 logvar); the standard deviation is exp(logvar / 2)",
     lambda m, lv, e: m + torch.exp(2 * lv) * e),
    ("you forgot to add the mean mu", lambda m, lv, e: torch.exp(0.5 * lv) * e),
    ("you multiplied mu by eps instead of adding the scaled noise", lambda m, lv, e: m * e + torch.exp(0.5 * lv)),
    ("you drew your own noise (or ignored eps): use the eps you are given, so the result is a deterministic, "
     "differentiable function of mu and logvar", lambda m, lv, e: m),
]


def check_reparameterize(reparameterize: Callable[..., Any]) -> None:
    """Exercise 5.4: values on fixed ``eps``, gradients flowing to ``mu`` and ``logvar``."""
    g = _gen(54)
    mu, logvar, eps = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    cases = [
        Case("3 examples x 4 latent dimensions", (mu, logvar, eps)),
        Case("variance 1 (logvar = 0): z = mu + eps", (mu, torch.zeros(3, 4), eps)),
        Case("variance 4 (logvar = log 4): z = mu + 2 eps", (torch.zeros(2, 2), torch.full((2, 2), math.log(4.0)),
                                                              torch.ones(2, 2))),
    ]

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        return matching_mistakes(_REP_MISTAKES, case, got, rtol=1e-5, atol=1e-9) or "z = mu + exp(0.5 * logvar) * eps"

    compare_cases(copied_args(reparameterize), reparameterize_reference, cases, EX_REP, rtol=1e-5, atol=1e-7, diagnose=diagnose)
    m, lv = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    z = call_student(reparameterize, Case("gradient test", (m, lv, eps)), EX_REP)
    if not isinstance(z, torch.Tensor) or not z.requires_grad:
        fail(EX_REP, "z must be a torch tensor computed from mu and logvar with torch operations, so that gradients "
                     "reach the encoder: that is the whole point of the reparameterisation trick")
    z.sum().backward()
    if m.grad is None or lv.grad is None:
        fail(EX_REP, "no gradient reached mu or logvar: compute z with torch operations on them (no .detach(), "
                     "no NumPy)")
    if not torch.allclose(lv.grad, 0.5 * torch.exp(0.5 * logvar) * eps, rtol=1e-4, atol=1e-6):
        fail(EX_REP, "the gradient with respect to logvar is wrong: d z / d logvar should be 0.5 exp(logvar / 2) eps")
    print(f"{EX_REP}: gradients reach mu and logvar.")
