"""The exercise checks of chapter 05: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 5.1 psnr, 5.2 residual_loss, 5.3 gaussian_kl, 5.4 reparameterize.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from exercise_helpers import ExerciseSuite, expect_failure, quiet

from course_lib.checks import ch05

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "05_learned_denoisers.py"

CHECKS = {
    "psnr": ch05.check_psnr,
    "residual_loss": ch05.check_residual_loss,
    "gaussian_kl": ch05.check_gaussian_kl,
    "reparameterize": ch05.check_reparameterize,
}
REFERENCES = {
    "psnr": ch05.psnr_reference,
    "residual_loss": ch05.residual_loss_reference,
    "gaussian_kl": ch05.gaussian_kl_reference,
    "reparameterize": ch05.reparameterize_reference,
}
NUMBERS = {"psnr": "5.1", "residual_loss": "5.2", "gaussian_kl": "5.3", "reparameterize": "5.4"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 5.1: psnr
def _mse(x, r):
    return ((x.double() - r.double()) ** 2).flatten(1).mean(1)


WRONG_PSNR = {
    "natural log": (lambda x, r, data_range=1.0: 10 * torch.log(data_range**2 / _mse(x, r)), ["log10"]),
    "peak not squared": (lambda x, r, data_range=1.0: 10 * torch.log10(data_range / _mse(x, r)), ["square data_range"]),
    "20 log10 of powers": (lambda x, r, data_range=1.0: 20 * torch.log10(data_range**2 / _mse(x, r)), ["20 log10"]),
    "batch MSE": (lambda x, r, data_range=1.0: (10 * torch.log10(
        data_range**2 / ((x.double() - r.double()) ** 2).mean())).expand(x.shape[0]), ["per image"]),
    "inverted ratio": (lambda x, r, data_range=1.0: 10 * torch.log10(_mse(x, r) / data_range**2), ["sign is flipped"]),
    "sum instead of mean": (lambda x, r, data_range=1.0: 10 * torch.log10(
        data_range**2 / ((x.double() - r.double()) ** 2).flatten(1).sum(1)), ["summed"]),
    "scalar": (lambda x, r, data_range=1.0: float(10 * torch.log10(data_range**2 / _mse(x, r)).mean()),
               ["expected shape"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_PSNR))
def test_wrong_psnr_fails(mistake):
    fn, words = WRONG_PSNR[mistake]
    expect_failure(ch05.check_psnr, fn, "Exercise 5.1", "case", *words)


def test_psnr_check_survives_in_place_updates():
    def in_place(x, ref, data_range=1.0):
        x.sub_(ref).pow_(2)
        return 10 * torch.log10(data_range**2 / x.double().flatten(1).mean(1))

    quiet(ch05.check_psnr, in_place)


# --------------------------------------------------------------------------- Exercise 5.2: residual_loss
WRONG_RESIDUAL = {
    "target clean - noisy": (lambda p, y, x: torch.mean((p - (x - y)) ** 2), ["wrong sign"]),
    "target clean": (lambda p, y, x: torch.mean((p - x) ** 2), ["clean image"]),
    "target noisy": (lambda p, y, x: torch.mean((p - y) ** 2), ["noisy image"]),
    "sum": (lambda p, y, x: torch.sum((p - (y - x)) ** 2), ["summed"]),
    "absolute error": (lambda p, y, x: torch.mean((p - (y - x)).abs()), ["mean *squared* error"]),
    "root mean square": (lambda p, y, x: torch.sqrt(torch.mean((p - (y - x)) ** 2)), ["root"]),
    "half": (lambda p, y, x: 0.5 * torch.mean((p - (y - x)) ** 2), ["1/2"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_RESIDUAL))
def test_wrong_residual_loss_fails(mistake):
    fn, words = WRONG_RESIDUAL[mistake]
    expect_failure(ch05.check_residual_loss, fn, "Exercise 5.2", "case", *words)


def test_a_detached_residual_loss_fails():
    def detached(p, y, x):
        return torch.mean((p - (y - x)) ** 2).detach()

    expect_failure(ch05.check_residual_loss, detached, "Exercise 5.2", "differentiable")


# --------------------------------------------------------------------------- Exercise 5.3: gaussian_kl
WRONG_KL = {
    "no half": (lambda m, lv: torch.sum(m**2 + lv.exp() - 1 - lv, 1), ["factor 1/2"]),
    "logvar as log std": (lambda m, lv: 0.5 * torch.sum(m**2 + (2 * lv).exp() - 1 - 2 * lv, 1), ["log of the variance"]),
    "negative": (lambda m, lv: -0.5 * torch.sum(m**2 + lv.exp() - 1 - lv, 1), ["sign is flipped"]),
    "no -1": (lambda m, lv: 0.5 * torch.sum(m**2 + lv.exp() - lv, 1), ["-1"]),
    "mean over dims": (lambda m, lv: 0.5 * torch.mean(m**2 + lv.exp() - 1 - lv, 1), ["*sum*"]),
    "summed over batch": (lambda m, lv: 0.5 * torch.sum(m**2 + lv.exp() - 1 - lv), ["expected shape"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_KL))
def test_wrong_kl_fails(mistake):
    fn, words = WRONG_KL[mistake]
    expect_failure(ch05.check_gaussian_kl, fn, "Exercise 5.3", "case", *words)


def test_kl_reference_matches_torch_distributions():
    mu, logvar = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).sum(1)
    assert torch.allclose(ch05.gaussian_kl_reference(mu, logvar), expected, atol=1e-12)


# --------------------------------------------------------------------------- Exercise 5.4: reparameterize
WRONG_REPARAM = {
    "variance": (lambda m, lv, e: m + lv.exp() * e, ["variance"]),
    "logvar itself": (lambda m, lv, e: m + lv * e, ["logvar itself"]),
    "no mean": (lambda m, lv, e: torch.exp(0.5 * lv) * e, ["forgot to add the mean"]),
    "ignores eps": (lambda m, lv, e: m, ["use the eps you are given"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_REPARAM))
def test_wrong_reparameterize_fails(mistake):
    fn, words = WRONG_REPARAM[mistake]
    expect_failure(ch05.check_reparameterize, fn, "Exercise 5.4", "case", *words)


def test_a_numpy_reparameterize_fails_on_gradients():
    def numpy_version(mu, logvar, eps):
        return torch.from_numpy(mu.detach().numpy() + (0.5 * logvar.detach()).exp().numpy() * eps.numpy())

    expect_failure(ch05.check_reparameterize, numpy_version, "Exercise 5.4", "gradients reach the encoder")


def test_reparameterized_samples_have_the_right_moments():
    mu, logvar = torch.tensor([[1.0, -2.0]]), torch.tensor([[math.log(4.0), 0.0]])
    z = ch05.reparameterize_reference(mu, logvar, torch.randn(200_000, 2, generator=torch.Generator().manual_seed(0)))
    assert torch.allclose(z.mean(0), mu[0], atol=0.02) and torch.allclose(z.std(0), torch.tensor([2.0, 1.0]), atol=0.02)
