"""The exercise checks of chapter 03: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 3.1 nesterov_step, 3.2 adam_step, 3.3 amsgrad_step, 3.4 adabound_step_size.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from exercise_helpers import ExerciseSuite, expect_failure, quiet

from course_lib.checks import ch03

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "03_optimizers.py"

CHECKS = {
    "nesterov_step": ch03.check_nesterov_step,
    "adam_step": ch03.check_adam_step,
    "amsgrad_step": ch03.check_amsgrad_step,
    "adabound_step_size": ch03.check_adabound_step_size,
}
REFERENCES = {
    "nesterov_step": ch03.nesterov_step_reference,
    "adam_step": ch03.adam_step_reference,
    "amsgrad_step": ch03.amsgrad_step_reference,
    "adabound_step_size": ch03.adabound_step_size_reference,
}
NUMBERS = {"nesterov_step": "3.1", "adam_step": "3.2", "amsgrad_step": "3.3", "adabound_step_size": "3.4"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 3.1: nesterov_step
def _nesterov(point, sign=-1.0, move_with_old=False):
    def step(theta, v, grad_fn, lr, mu):
        v_new = mu * v + sign * lr * grad_fn(point(theta, v, mu))
        return (theta + v if move_with_old else theta + v_new), v_new
    return step


WRONG_NESTEROV = {
    "gradient at the current point (heavy ball)": (_nesterov(lambda th, v, mu: th), ["heavy-ball", "look-ahead"]),
    "look-ahead without mu (the notes' slip)": (_nesterov(lambda th, v, mu: th + v), ["misses the factor mu"]),
    "wrong sign": (_nesterov(lambda th, v, mu: th + mu * v, sign=1.0), ["wrong sign", "uphill"]),
    "moves with the old velocity": (_nesterov(lambda th, v, mu: th + mu * v, move_with_old=True), ["old velocity"]),
    "returns one tensor": (lambda theta, v, grad_fn, lr, mu: theta, ["return the tuple (theta, v)"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_NESTEROV))
def test_wrong_nesterov_step_fails(mistake):
    fn, words = WRONG_NESTEROV[mistake]
    expect_failure(ch03.check_nesterov_step, fn, "Exercise 3.1", "case", *words)


# --------------------------------------------------------------------------- Exercise 3.2: adam_step
def _adam(correct=True, t_shift=0, sign=-1.0, square=True, eps_inside=False, swap_returns=False):
    def adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * (grad ** 2 if square else grad)
        tt = t + t_shift
        m_hat = m / (1 - beta1 ** tt) if correct else m
        v_hat = v / (1 - beta2 ** tt) if correct else v
        denom = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
        theta = theta + sign * lr * m_hat / denom
        return (theta, v, m) if swap_returns else (theta, m, v)
    return adam_step


def _adam_returns_corrected(theta, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (v_hat.sqrt() + eps), m_hat, v_hat


WRONG_ADAM = {
    "missing bias correction": (_adam(correct=False), ["bias correction missing", "at t=1", "size lr"]),
    "off-by-one t - 1": (_adam(t_shift=-1), ["off-by-one in t", "t - 1"]),
    "off-by-one t + 1": (_adam(t_shift=1), ["off-by-one in t", "t + 1"]),
    "wrong sign": (_adam(sign=1.0), ["wrong sign"]),
    "gradient not squared": (_adam(square=False), ["squared gradient"]),
    "eps inside the root": (_adam(eps_inside=True), ["eps belongs outside"]),
    "m and v swapped": (_adam(swap_returns=True), ["m should be"]),
    "returns the corrected moments": (_adam_returns_corrected, ["m should be"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_ADAM))
def test_wrong_adam_step_fails(mistake):
    fn, words = WRONG_ADAM[mistake]
    expect_failure(ch03.check_adam_step, fn, "Exercise 3.2", "case", *words)


def test_adam_check_does_not_let_in_place_updates_corrupt_the_reference():
    def in_place(theta, grad, m, v, t, lr, beta1, beta2, eps):
        m.mul_(beta1).add_(grad, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        theta = theta - lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps)
        return theta, m, v

    quiet(ch03.check_adam_step, in_place)


# --------------------------------------------------------------------------- Exercise 3.3: amsgrad_step
def _amsgrad_fed_back(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    """The notes' formula: V_t = max(beta2 V_{t-1} + (1 - beta2) g^2, V_{t-1}) with a single V."""
    m = beta1 * m + (1 - beta1) * grad
    V = torch.maximum(beta2 * vhat + (1 - beta2) * grad ** 2, vhat)
    return theta - lr * m / (V.sqrt() + eps), m, V, V


def _amsgrad_no_max(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return theta - lr * m / (v.sqrt() + eps), m, v, torch.maximum(vhat, v)


def _amsgrad_old_v(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    vhat = torch.maximum(vhat, v)
    v = beta2 * v + (1 - beta2) * grad ** 2
    return theta - lr * m / (vhat.sqrt() + eps), m, v, vhat


def _amsgrad_wrong_sign(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    vhat = torch.maximum(vhat, v)
    return theta + lr * m / (vhat.sqrt() + eps), m, v, vhat


WRONG_AMSGRAD = {
    "max fed back into the average (notes)": (_amsgrad_fed_back, ["the max was fed back into the average"]),
    "no max (plain Adam)": (_amsgrad_no_max, ["that is Adam", "running maximum"]),
    "max with the previous average": (_amsgrad_old_v, ["off-by-one", "new* average"]),
    "wrong sign": (_amsgrad_wrong_sign, ["wrong sign"]),
    "three outputs": (lambda theta, grad, m, v, vhat, lr, beta1, beta2, eps: (theta, m, v), ["length 3"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_AMSGRAD))
def test_wrong_amsgrad_step_fails(mistake):
    fn, words = WRONG_AMSGRAD[mistake]
    expect_failure(ch03.check_amsgrad_step, fn, "Exercise 3.3", "case", *words)


# --------------------------------------------------------------------------- Exercise 3.4: adabound_step_size
def _bounds(t, final_lr, gamma):
    return final_lr * (1 - 1 / (gamma * t + 1)), final_lr * (1 + 1 / (gamma * t))


def _adabound(clip=True, clip_lr=False, swap=False, t_shift=0):
    def adabound_step_size(v_hat, t, lr, final_lr, gamma, eps):
        lower, upper = _bounds(t + t_shift, final_lr, gamma)
        if swap:
            lower, upper = upper, lower
        if clip_lr:
            return min(max(lr, lower), upper) / (v_hat.sqrt() + eps)
        raw = lr / (v_hat.sqrt() + eps)
        return torch.clamp(raw, min=lower, max=upper) if clip else raw
    return adabound_step_size


WRONG_ADABOUND = {
    "not clipped (Adam)": (_adabound(clip=False), ["not clipped"]),
    "clips the learning rate": (_adabound(clip_lr=True), ["clipped the learning rate"]),
    "bounds swapped": (_adabound(swap=True), ["swapped"]),
    "off-by-one t + 1": (_adabound(t_shift=1), ["off-by-one in t", "t + 1"]),
    "missing square root": (lambda v_hat, t, lr, final_lr, gamma, eps:
                            torch.clamp(lr / (v_hat + eps), *_bounds(t, final_lr, gamma)), ["square root"]),
    "wrong shape": (lambda v_hat, t, lr, final_lr, gamma, eps: _adabound()(v_hat, t, lr, final_lr, gamma, eps)[None],
                    ["expected shape"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_ADABOUND))
def test_wrong_adabound_step_size_fails(mistake):
    fn, words = WRONG_ADABOUND[mistake]
    expect_failure(ch03.check_adabound_step_size, fn, "Exercise 3.4", "case", *words)


def test_references_agree_with_course_lib_optimizers():
    """The check's Adam and AMSGrad references take the same steps as course_lib.optim."""
    from course_lib import optim

    grads = [torch.tensor([0.3, -1.0], dtype=torch.float64), torch.tensor([-2.0, 0.1], dtype=torch.float64),
             torch.tensor([0.5, 0.5], dtype=torch.float64)]
    for cls, reference in ((optim.Adam, "adam"), (optim.AMSGrad, "amsgrad")):
        th = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        opt = cls([th], lr=0.1, betas=(0.8, 0.9), eps=1e-8, bias_correction=(reference == "adam"))
        theta, m, v, vhat = th.detach().clone(), torch.zeros(2, dtype=torch.float64), \
            torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
        for t, g in enumerate(grads, start=1):
            th.grad = g.clone()
            opt.step()
            if reference == "adam":
                theta, m, v = ch03.adam_step_reference(theta, g, m, v, t, 0.1, 0.8, 0.9, 1e-8)
            else:
                theta, m, v, vhat = ch03.amsgrad_step_reference(theta, g, m, v, vhat, 0.1, 0.8, 0.9, 1e-8)
            assert torch.allclose(th.detach(), theta, atol=1e-12)
