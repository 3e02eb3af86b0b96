"""The exercise checks of chapter 10: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 10.1 data_term_gradient, 10.2 rim_step, 10.3 iterate_loss.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from exercise_helpers import ExerciseSuite, expect_failure, quiet

from course_lib.checks import ch10

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "10_learned_gradient_descent.py"

CHECKS = {
    "data_term_gradient": ch10.check_data_term_gradient,
    "rim_step": ch10.check_rim_step,
    "iterate_loss": ch10.check_iterate_loss,
}
REFERENCES = {
    "data_term_gradient": ch10.data_term_gradient_reference,
    "rim_step": ch10.rim_step_reference,
    "iterate_loss": ch10.iterate_loss_reference,
}
NUMBERS = {"data_term_gradient": "10.1", "rim_step": "10.2", "iterate_loss": "10.3"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 10.1
WRONG_GRAD = {
    "sign flipped": (lambda A, x, y: A.adjoint(y - A.forward(x)), ["sign is flipped"]),
    "factor 2": (lambda A, x, y: 2 * A.adjoint(A.forward(x) - y), ["factor 2"]),
    "forward for adjoint": (lambda A, x, y: A.forward(A.forward(x) - y), ["adjoint A^T belongs"]),
    "no adjoint": (lambda A, x, y: A.forward(x) - y, ["adjoint was left out"]),
    "adjoint of y only": (lambda A, x, y: x - A.adjoint(y), ["A^T y"]),
    "gradient of the norm, not of its square": (
        lambda A, x, y: A.adjoint(A.forward(x) - y) / (A.forward(x) - y).norm(), ["Hint"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_GRAD))
def test_wrong_data_term_gradient_fails(mistake):
    fn, words = WRONG_GRAD[mistake]
    expect_failure(ch10.check_data_term_gradient, fn, "Exercise 10.1", "case", *words)


def test_data_term_gradient_by_autograd_passes():
    def by_autograd(A, x, y):
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(0.5 * ((A.forward(x) - y) ** 2).sum(), x)
        return g
    quiet(ch10.check_data_term_gradient, by_autograd)


# --------------------------------------------------------------------------- Exercise 10.2
@pytest.mark.parametrize("mistake", [m for m, _ in ch10.STEP_MISTAKES])
def test_wrong_rim_step_fails(mistake):
    fn = dict(ch10.STEP_MISTAKES)[mistake]
    expect_failure(ch10.check_rim_step, fn, "Exercise 10.2", "case", mistake.split(":")[0][:30])


def test_rim_step_returning_only_x_fails():
    expect_failure(ch10.check_rim_step, lambda model, x, g, h: ch10.rim_step_reference(model, x, g, h)[0],
                   "Exercise 10.2", "pair")


def test_rim_step_with_the_old_state_returned_fails():
    def wrong(model, x, g, h):
        x_next, _ = ch10.rim_step_reference(model, x, g, h)
        return x_next, h
    expect_failure(ch10.check_rim_step, wrong, "Exercise 10.2", "new hidden state")


def test_rim_step_calling_the_model_step_passes():
    quiet(ch10.check_rim_step, lambda model, x, g, h: model.step(x, g, h))


# --------------------------------------------------------------------------- Exercise 10.3
@pytest.mark.parametrize("mistake", [m for m, _ in ch10.LOSS_MISTAKES])
def test_wrong_iterate_loss_fails(mistake):
    fn = dict(ch10.LOSS_MISTAKES)[mistake]
    expect_failure(ch10.check_iterate_loss, fn, "Exercise 10.3", "case", mistake.split(";")[0][:30])


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True")
def test_detached_iterate_loss_fails():
    expect_failure(ch10.check_iterate_loss,
                   lambda its, t, w: ch10.iterate_loss_reference(its, t, w).detach(), "Exercise 10.3", "autograd")


def test_iterate_loss_with_torch_stack_passes():
    def stacked(its, t, w):
        w = torch.as_tensor(w, dtype=t.dtype)
        return (w * torch.stack([torch.nn.functional.mse_loss(x, t) for x in its])).sum() / w.sum()
    quiet(ch10.check_iterate_loss, stacked)
