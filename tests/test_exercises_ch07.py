"""The exercise checks of chapter 07: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 7.1 patch_geometry, 7.2 pix2pix_generator_loss, 7.3 ssim_loss, 7.4 cycle_consistency_loss.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from exercise_helpers import ExerciseSuite, expect_failure, quiet

from course_lib.checks import ch07

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "07_gan_restoration.py"

CHECKS = {
    "patch_geometry": ch07.check_patch_geometry,
    "pix2pix_generator_loss": ch07.check_pix2pix_generator_loss,
    "ssim_loss": ch07.check_ssim_loss,
    "cycle_consistency_loss": ch07.check_cycle_consistency_loss,
}
REFERENCES = {
    "patch_geometry": ch07.patch_geometry_reference,
    "pix2pix_generator_loss": ch07.pix2pix_generator_loss_reference,
    "ssim_loss": ch07.ssim_loss_reference,
    "cycle_consistency_loss": ch07.cycle_consistency_loss_reference,
}
NUMBERS = {"patch_geometry": "7.1", "pix2pix_generator_loss": "7.2", "ssim_loss": "7.3", "cycle_consistency_loss": "7.4"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 7.1: patch_geometry
def _geometry(out_rule="floor", rf_rule="right", order="right"):
    def patch_geometry(size, layers):
        n, field, jump = size, 1, 1
        for k, s, p in layers:
            if out_rule == "floor":
                n = (n + 2 * p - k) // s + 1
            elif out_rule == "no padding":
                n = (n - k) // s + 1
            elif out_rule == "no plus one":
                n = (n + 2 * p - k) // s
            elif out_rule == "ceil":
                n = math.ceil((n + 2 * p - k) / s) + 1
            elif out_rule == "one side":
                n = (n + p - k) // s + 1
            if rf_rule == "right":
                field += (k - 1) * jump
                jump *= s
            elif rf_rule == "no strides":
                field += k - 1
            elif rf_rule == "own stride":
                jump *= s
                field += (k - 1) * jump
        return (n, field) if order == "right" else (field, n)
    return patch_geometry


WRONG_GEOMETRY = {
    "padding ignored": (_geometry(out_rule="no padding"), ["ignores the padding"]),
    "no + 1": (_geometry(out_rule="no plus one"), ["'+ 1'"]),
    "rounded up": (_geometry(out_rule="ceil"), ["rounded up"]),
    "padding on one side": (_geometry(out_rule="one side"), ["one side only"]),
    "strides ignored": (_geometry(rf_rule="no strides"), ["ignores the strides"]),
    "own stride included": (_geometry(rf_rule="own stride"), ["INCLUDING"]),
    "swapped order": (_geometry(order="swapped"), ["wrong order"]),
    "floats": (lambda size, layers: (float(size) / 2 ** sum(s == 2 for _, s, _ in layers), 70.0), ["Hint"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_GEOMETRY))
def test_wrong_patch_geometry_fails(mistake):
    fn, words = WRONG_GEOMETRY[mistake]
    expect_failure(ch07.check_patch_geometry, fn, "Exercise 7.1", "case", *words)


def test_patch_geometry_returning_a_list_passes():
    quiet(ch07.check_patch_geometry, lambda size, layers: list(ch07.patch_geometry_reference(size, layers)))


# --------------------------------------------------------------------------- Exercise 7.2: pix2pix_generator_loss
def _l1(a, b):
    return (a - b).abs().mean()


WRONG_P2P = {
    "saturating": (lambda a, f, t, lam: torch.log(1 - torch.sigmoid(a)).mean() + lam * _l1(f, t), ["saturating"]),
    "target 0": (lambda a, f, t, lam: F.binary_cross_entropy_with_logits(a, torch.zeros_like(a)) + lam * _l1(f, t),
                 ["labelled the fakes as fake"]),
    "L2": (lambda a, f, t, lam: F.softplus(-a).mean() + lam * F.mse_loss(f, t), ["squared error"]),
    "lam on the wrong term": (lambda a, f, t, lam: lam * F.softplus(-a).mean() + _l1(f, t), ["wrong term"]),
    "no adversarial term": (lambda a, f, t, lam: lam * _l1(f, t), ["adversarial term is missing"]),
    "L1 summed": (lambda a, f, t, lam: F.softplus(-a).mean() + lam * (f - t).abs().sum(), ["summed the absolute"]),
    "patches summed": (lambda a, f, t, lam: F.softplus(-a).sum() + lam * _l1(f, t), ["summed the patch"]),
    "logits averaged first": (lambda a, f, t, lam: F.softplus(-a.mean()) + lam * _l1(f, t), ["averaged the patch logits"]),
    "naive log sigmoid": (lambda a, f, t, lam: -torch.log(torch.sigmoid(a)).mean() + lam * _l1(f, t),
                          ["numerically unstable"]),
    "per-image vector": (lambda a, f, t, lam: F.softplus(-a).flatten(1).mean(1) + lam * (f - t).abs().flatten(1).mean(1),
                         ["scalar tensor"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_P2P))
def test_wrong_pix2pix_loss_fails(mistake):
    fn, words = WRONG_P2P[mistake]
    expect_failure(ch07.check_pix2pix_generator_loss, fn, "Exercise 7.2", "case", *words)


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True")
def test_detached_pix2pix_loss_fails():
    expect_failure(ch07.check_pix2pix_generator_loss,
                   lambda a, f, t, lam: (F.softplus(-a).mean() + lam * _l1(f, t)).detach(), "Exercise 7.2", "autograd")


def test_pix2pix_loss_with_bce_passes():
    quiet(ch07.check_pix2pix_generator_loss,
          lambda a, f, t, lam: F.binary_cross_entropy_with_logits(a, torch.ones_like(a)) + lam * F.l1_loss(f, t))


# --------------------------------------------------------------------------- Exercise 7.3: ssim_loss
def _ssim(window="gauss", padding=0, scale=1.0, c_power=2, use_range=True, one_minus=True):
    def ssim_loss(x, ref, data_range=1.0):
        r = torch.arange(-5, 6, dtype=x.dtype)
        taps = torch.exp(-0.5 * (r / 1.5) ** 2) if window == "gauss" else torch.ones(11, dtype=x.dtype)
        taps = taps / taps.sum()

        def blur(t):
            return F.conv2d(F.conv2d(t, taps.view(1, 1, 1, -1), padding=(0, padding)), taps.view(1, 1, -1, 1),
                            padding=(padding, 0))

        mx, mr = blur(x), blur(ref)
        vx, vr, cov = (scale * (blur(x * x) - mx**2), scale * (blur(ref * ref) - mr**2), scale * (blur(x * ref) - mx * mr))
        L = data_range if use_range else 1.0
        c1, c2 = (0.01 * L) ** c_power, (0.03 * L) ** c_power
        s = ((2 * mx * mr + c1) * (2 * cov + c2)) / ((mx**2 + mr**2 + c1) * (vx + vr + c2))
        return 1 - s.mean() if one_minus else s.mean()
    return ssim_loss


WRONG_SSIM = {
    "returns SSIM": (_ssim(one_minus=False), ["1 - SSIM"]),
    "uniform window": (_ssim(window="box"), ["uniform 11x11 window"]),
    "same padding": (_ssim(padding=5), ["valid"]),
    "sample covariance": (_ssim(scale=121 / 120), ["population"]),
    "constants not squared": (_ssim(c_power=1), ["not squared"]),
    "constants ignore data_range": (_ssim(use_range=False), ["data_range"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_SSIM))
def test_wrong_ssim_loss_fails(mistake):
    fn, words = WRONG_SSIM[mistake]
    expect_failure(ch07.check_ssim_loss, fn, "Exercise 7.3", "case", *words)


def test_ssim_loss_via_the_course_metric_passes():
    from course_lib import metrics

    quiet(ch07.check_ssim_loss, lambda x, ref, data_range=1.0: 1 - metrics.ssim(x, ref, data_range).mean())


# --------------------------------------------------------------------------- Exercise 7.4: cycle_consistency_loss
WRONG_CYCLE = {
    "forward only": (lambda g, f, x, y: (f(g(x)) - x).abs().mean(), ["backward cycle"]),
    "backward only": (lambda g, f, x, y: (g(f(y)) - y).abs().mean(), ["forward cycle"]),
    "squared": (lambda g, f, x, y: ((f(g(x)) - x) ** 2).mean() + ((g(f(y)) - y) ** 2).mean(), ["squared errors"]),
    "wrong order": (lambda g, f, x, y: (g(f(x)) - x).abs().mean() + (f(g(y)) - y).abs().mean(), ["wrong order"]),
    "paired loss": (lambda g, f, x, y: (g(x) - y[: x.shape[0]]).abs().mean() + (f(y) - x[:1]).abs().mean(), ["Hint"]),
    "averaged": (lambda g, f, x, y: 0.5 * ((f(g(x)) - x).abs().mean() + (g(f(y)) - y).abs().mean()), ["their sum"]),
    "times lambda": (lambda g, f, x, y: 10 * ((f(g(x)) - x).abs().mean() + (g(f(y)) - y).abs().mean()), ["lambda = 10"]),
    "summed": (lambda g, f, x, y: (f(g(x)) - x).abs().sum() + (g(f(y)) - y).abs().sum(), ["summed"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_CYCLE))
def test_wrong_cycle_loss_fails(mistake):
    fn, words = WRONG_CYCLE[mistake]
    expect_failure(ch07.check_cycle_consistency_loss, fn, "Exercise 7.4", *words)


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True")
def test_cycle_loss_as_a_number_fails():
    expect_failure(ch07.check_cycle_consistency_loss,
                   lambda g, f, x, y: float((f(g(x)) - x).abs().mean() + (g(f(y)) - y).abs().mean()),
                   "Exercise 7.4", "parameters")
