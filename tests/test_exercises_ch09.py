"""The exercise checks of chapter 09: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 9.1 critic_objective, 9.2 reconstruction_step, 9.3 lambda_heuristic.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from exercise_helpers import ExerciseSuite, expect_failure, quiet

from course_lib.checks import ch09

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "09_adversarial_regularizers.py"

CHECKS = {
    "critic_objective": ch09.check_critic_objective,
    "reconstruction_step": ch09.check_reconstruction_step,
    "lambda_heuristic": ch09.check_lambda_heuristic,
}
REFERENCES = {
    "critic_objective": ch09.critic_objective_reference,
    "reconstruction_step": ch09.reconstruction_step_reference,
    "lambda_heuristic": ch09.lambda_heuristic_reference,
}
NUMBERS = {"critic_objective": "9.1", "reconstruction_step": "9.2", "lambda_heuristic": "9.3"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 9.1: critic_objective
def _relu2(g):
    return (g - 1).clamp(min=0) ** 2


WRONG_OBJECTIVE = {
    "two-sided penalty": (lambda r, n, g, mu: r.mean() - n.mean() + mu * ((g - 1) ** 2).mean(), ["two-sided"]),
    "signs swapped": (lambda r, n, g, mu: n.mean() - r.mean() + mu * _relu2(g).mean(), ["swapped"]),
    "not squared": (lambda r, n, g, mu: r.mean() - n.mean() + mu * (g - 1).clamp(min=0).mean(), ["not squared"]),
    "squared norm": (lambda r, n, g, mu: r.mean() - n.mean() + mu * ((g**2 - 1).clamp(min=0) ** 2).mean(),
                     ["squared norm"]),
    "no mu": (lambda r, n, g, mu: r.mean() - n.mean() + _relu2(g).mean(), ["mu is missing"]),
    "penalty subtracted": (lambda r, n, g, mu: r.mean() - n.mean() - mu * _relu2(g).mean(), ["subtracted"]),
    "sums": (lambda r, n, g, mu: r.sum() - n.sum() + mu * _relu2(g).sum(), ["sums instead of means"]),
    "penalty on noisy scores": (lambda r, n, g, mu: r.mean() - n.mean() + mu * _relu2(n).mean(), ["Hint"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_OBJECTIVE))
def test_wrong_critic_objective_fails(mistake):
    fn, words = WRONG_OBJECTIVE[mistake]
    expect_failure(ch09.check_critic_objective, fn, "Exercise 9.1", "case", *words)


def test_critic_objective_with_relu_passes():
    quiet(ch09.check_critic_objective,
          lambda r, n, g, mu: r.mean() - n.mean() + mu * torch.relu(g - 1).pow(2).mean())


# --------------------------------------------------------------------------- Exercise 9.2: reconstruction_step
def _step(data_factor=2.0, sign=-1.0, use_forward=False, mean=False, lam_on="psi"):
    def reconstruction_step(x, y, forward, adjoint, critic, lam, step):
        xx = x.detach().clone().requires_grad_(True)
        score = critic(xx).mean() if mean else critic(xx).sum()
        (grad,) = torch.autograd.grad(score, xx)
        back = forward if use_forward else adjoint
        data_grad = data_factor * back(forward(x) - y)
        if lam_on == "data":
            total = lam * data_grad + grad
        else:
            total = data_grad + lam * grad
        return (x + sign * step * total).detach()
    return reconstruction_step


WRONG_STEP = {
    "no factor 2": (_step(data_factor=1.0), ["factor 2"]),
    "uphill": (_step(sign=+1.0), ["uphill"]),
    "A instead of adjoint": (_step(use_forward=True), ["adjoint"]),
    "gradient of the mean": (_step(mean=True), ["MEAN score"]),
    "lam on the data term": (_step(lam_on="data"), ["lam multiplies the data term"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_STEP))
def test_wrong_reconstruction_step_fails(mistake):
    fn, words = WRONG_STEP[mistake]
    expect_failure(ch09.check_reconstruction_step, fn, "Exercise 9.2", "case", *words)


def test_reconstruction_step_ignoring_the_critic_fails():
    def no_critic(x, y, forward, adjoint, critic, lam, step):
        return x - step * 2 * adjoint(forward(x) - y)
    expect_failure(ch09.check_reconstruction_step, no_critic, "Exercise 9.2", "Hint")


def test_reconstruction_step_with_backward_passes():
    def with_backward(x, y, forward, adjoint, critic, lam, step):
        z = x.clone().requires_grad_(True)
        critic(z).sum().backward()
        return (x - step * (2 * adjoint(forward(x) - y) + lam * z.grad)).detach()
    quiet(ch09.check_reconstruction_step, with_backward)


# --------------------------------------------------------------------------- Exercise 9.3: lambda_heuristic
def _flat(t):
    return t.reshape(t.shape[0], -1)


WRONG_LAMBDA = {
    "no 2": (lambda adj, e: _flat(adj(e)).norm(dim=1).mean(), ["factor 2 is missing"]),
    "no adjoint": (lambda adj, e: 2 * _flat(e).norm(dim=1).mean(), ["adjoint is missing"]),
    "squared": (lambda adj, e: 2 * (_flat(adj(e)) ** 2).sum(1).mean(), ["squared norms"]),
    "norm of mean": (lambda adj, e: 2 * _flat(adj(e)).mean(0).norm(), ["norm of the mean"]),
    "one norm": (lambda adj, e: 2 * _flat(adj(e)).norm(), ["one norm over all samples"]),
    "rms": (lambda adj, e: 2 * (_flat(adj(e)) ** 2).sum(1).mean().sqrt(), ["root mean square"]),
    "per-sample vector": (lambda adj, e: 2 * _flat(adj(e)).norm(dim=1), ["shape"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_LAMBDA))
def test_wrong_lambda_heuristic_fails(mistake):
    fn, words = WRONG_LAMBDA[mistake]
    expect_failure(ch09.check_lambda_heuristic, fn, "Exercise 9.3", "case", *words)


def test_lambda_heuristic_as_float_passes():
    quiet(ch09.check_lambda_heuristic,
          lambda adj, e: float(2 * torch.linalg.vector_norm(adj(e).flatten(1), dim=1).mean()))
