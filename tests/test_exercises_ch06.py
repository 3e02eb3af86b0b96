"""The exercise checks of chapter 06: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 6.1 optimal_discriminator, 6.2 js_divergence, 6.3 nonsaturating_generator_loss,
6.4 gradient_penalty.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from exercise_helpers import ExerciseSuite, expect_failure, quiet

from course_lib.checks import ch06

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "06_gan_foundations.py"

CHECKS = {
    "optimal_discriminator": ch06.check_optimal_discriminator,
    "js_divergence": ch06.check_js_divergence,
    "nonsaturating_generator_loss": ch06.check_nonsaturating_loss,
    "gradient_penalty": ch06.check_gradient_penalty,
}
REFERENCES = {
    "optimal_discriminator": ch06.optimal_discriminator_reference,
    "js_divergence": ch06.js_divergence_reference,
    "nonsaturating_generator_loss": ch06.nonsaturating_loss_reference,
    "gradient_penalty": ch06.gradient_penalty_reference,
}
NUMBERS = {"optimal_discriminator": "6.1", "js_divergence": "6.2", "nonsaturating_generator_loss": "6.3",
           "gradient_penalty": "6.4"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 6.1: optimal_discriminator
def _div(a, b):
    with np.errstate(all="ignore"):
        return a / b


def _dstar_with(fill):
    def optimal_discriminator(p_data, p_g):
        total = p_data + p_g
        return np.where(total > 0, _div(p_data, np.where(total > 0, total, 1.0)), fill)
    return optimal_discriminator


WRONG_DSTAR = {
    "swapped roles": (lambda p, q: _div(q, p + q), ["roles are swapped", "numerator"]),
    "density ratio": (lambda p, q: _div(p, q), ["density ratio"]),
    "0 / 0 gives NaN": (lambda p, q: _div(p, p + q), ["divides 0 by 0", "1/2", "NaN"]),
    "0 where both vanish": (_dstar_with(0.0), ["asks for 1/2, not 0"]),
    "log-odds": (lambda p, q: np.log(_div(p, q)), ["log-odds"]),
    "returns a scalar": (lambda p, q: 0.5, ["expected shape"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_DSTAR))
def test_wrong_optimal_discriminator_fails(mistake):
    fn, words = WRONG_DSTAR[mistake]
    expect_failure(ch06.check_optimal_discriminator, fn, "Exercise 6.1", "case", *words)


def test_optimal_discriminator_check_accepts_torch_and_survives_in_place_updates():
    def in_place(p, q):
        q += p  # corrupts its input
        out = np.full_like(p, 0.5)
        np.divide(p, q, out=out, where=q > 0)
        return torch.from_numpy(out)

    quiet(ch06.check_optimal_discriminator, in_place)


# --------------------------------------------------------------------------- Exercise 6.2: js_divergence
def _kl(p, q, dx):
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / q[keep])) * dx)


def _jsd_base(p, q, dx, log=np.log):
    m = 0.5 * (p + q)
    a, b = p > 0, q > 0
    return 0.5 * float(np.sum(p[a] * log(p[a] / m[a])) * dx) + 0.5 * float(np.sum(q[b] * log(q[b] / m[b])) * dx)


def _jsd_naive(p, q, dx):
    m = 0.5 * (p + q)
    with np.errstate(all="ignore"):
        return 0.5 * float(np.sum(p * np.log(p / m)) * dx) + 0.5 * float(np.sum(q * np.log(q / m)) * dx)


WRONG_JSD = {
    "log base 2": (lambda p, q, dx: _jsd_base(p, q, dx, np.log2), ["log base 2", "nats"]),
    "no factors 1/2": (lambda p, q, dx: 2 * _jsd_base(p, q, dx), ["factors 1/2"]),
    "mixture without 1/2": (lambda p, q, dx: 0.5 * _kl(p, p + q, dx) + 0.5 * _kl(q, p + q, dx), ["m = (p + q) / 2"]),
    "no dx": (lambda p, q, dx: _jsd_base(p, q, dx) / dx, ["multiply the sum by dx"]),
    "0 log 0 gives NaN": (_jsd_naive, ["0 log 0 must count as 0"]),
    "Jensen-Shannon distance": (lambda p, q, dx: float(np.sqrt(max(_jsd_base(p, q, dx), 0.0))), ["distance"]),
    "returns an array": (lambda p, q, dx: np.array([_jsd_base(p, q, dx)] * 2), ["return one number"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_JSD))
def test_wrong_js_divergence_fails(mistake):
    fn, words = WRONG_JSD[mistake]
    expect_failure(ch06.check_js_divergence, fn, "Exercise 6.2", "case", *words)


def test_kl_instead_of_jsd_is_named():
    def kl_only(p, q, dx):
        keep = p > 0
        with np.errstate(all="ignore"):
            return float(np.sum(p[keep] * np.log(p[keep] / q[keep])) * dx)

    expect_failure(ch06.check_js_divergence, kl_only, "Exercise 6.2", "KL(p || q)")


# --------------------------------------------------------------------------- Exercise 6.3: nonsaturating_generator_loss
WRONG_NS = {
    "saturating loss": (lambda a: torch.log(1 - torch.sigmoid(a)).mean(), ["saturating loss"]),
    "saturating loss, stable": (lambda a: -F.softplus(a).mean(), ["saturating loss"]),
    "wrong sign": (lambda a: F.logsigmoid(a).mean(), ["wrong sign"]),
    "target 0 (discriminator's term)": (lambda a: F.binary_cross_entropy_with_logits(a, torch.zeros_like(a)),
                                        ["labelled the fakes as fake"]),
    "sum instead of mean": (lambda a: F.softplus(-a).sum(), ["summed over the batch"]),
    "naive log of sigmoid": (lambda a: -torch.log(torch.sigmoid(a)).mean(), ["numerically unstable", "softplus"]),
    "logits taken as probabilities": (lambda a: -torch.log(a).mean(), ["logits"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_NS))
def test_wrong_nonsaturating_loss_fails(mistake):
    fn, words = WRONG_NS[mistake]
    expect_failure(ch06.check_nonsaturating_loss, fn, "Exercise 6.3", *words)


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True")
def test_detached_nonsaturating_loss_fails():
    expect_failure(ch06.check_nonsaturating_loss, lambda a: F.softplus(-a).mean().detach(),
                   "Exercise 6.3", "case gradient", "torch tensor")
    expect_failure(ch06.check_nonsaturating_loss, lambda a: float(F.softplus(-a).mean()),
                   "Exercise 6.3", "case gradient")


def test_bce_with_target_one_passes():
    """binary_cross_entropy_with_logits(a, ones) is the same loss, computed stably: it must pass."""
    quiet(ch06.check_nonsaturating_loss, lambda a: F.binary_cross_entropy_with_logits(a, torch.ones_like(a)))


# --------------------------------------------------------------------------- Exercise 6.4: gradient_penalty
def _penalty(per_element=False, power=1, minus_one=True, one_sided=False, reduce="mean", whole_batch=False,
             at="interpolates", create_graph=True):
    def gradient_penalty(critic, real, fake, generator=None):
        n = real.shape[0]
        shape = real.shape if per_element else (n,) + (1,) * (real.ndim - 1)
        eps = torch.rand(shape, generator=generator, dtype=real.dtype)
        x = {"real": real, "fake": fake}.get(at, eps * real + (1 - eps) * fake)
        x = x.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=create_graph)
        norms = g.norm().reshape(1) if whole_batch else g.reshape(n, -1).norm(dim=1)
        size = norms**power
        excess = size - 1 if minus_one else size
        if one_sided:
            excess = excess.clamp(min=0)
        terms = excess**2
        return terms.sum() if reduce == "sum" else terms.mean()
    return gradient_penalty


WRONG_GP = {
    "one eps per coordinate": (_penalty(per_element=True), ["ONE eps per sample"]),
    "squared norm": (_penalty(power=2), ["squared norm"]),
    "no minus one": (_penalty(minus_one=False), ["pulls the norm towards 1"]),
    "one-sided": (_penalty(one_sided=True), ["one-sided", "two-sided"]),
    "summed over the batch": (_penalty(reduce="sum"), ["summed over the batch"]),
    "norm of the whole batch": (_penalty(whole_batch=True), ["norm per sample"]),
    "at the real samples": (_penalty(at="real"), ["at the real samples"]),
    "at the fake samples": (_penalty(at="fake"), ["at the fake samples"]),
    "no create_graph": (_penalty(create_graph=False), ["create_graph=True"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_GP))
def test_wrong_gradient_penalty_fails(mistake):
    fn, words = WRONG_GP[mistake]
    expect_failure(ch06.check_gradient_penalty, fn, "Exercise 6.4", "case", *words)


def test_gradient_penalty_with_other_draws_gets_the_generic_hint():
    def rand_like(critic, real, fake, generator=None):
        torch.rand(1, generator=generator)  # uses the generator once too often
        return _penalty()(critic, real, fake, generator)

    expect_failure(ch06.check_gradient_penalty, rand_like, "Exercise 6.4", "first use of the generator")


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True")
def test_gradient_penalty_returning_a_number_fails():
    expect_failure(ch06.check_gradient_penalty, lambda c, r, f, generator=None: float(_penalty()(c, r, f, generator)),
                   "Exercise 6.4", "does not depend on the critic's parameters")
