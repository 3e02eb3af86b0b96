"""Checks of the exercises of chapter 03 (optimizers).

* Exercise 3.1 -- :func:`check_nesterov_step`: one step of Nesterov's method in the
  look-ahead form of Sutskever et al. (2013).
* Exercise 3.2 -- :func:`check_adam_step`: one step of Adam with bias correction.
* Exercise 3.3 -- :func:`check_amsgrad_step`: one step of AMSGrad as in Reddi et al. (2018).
* Exercise 3.4 -- :func:`check_adabound_step_size`: AdaBound's clipped step size.

Each check calls the student's function on its own small float64 tensors (copies, so an
in-place update cannot corrupt the reference), compares every output with the reference
and, when the answer matches a typical mistake, says which one. Each runs in well under
a second.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from . import Case, ExerciseFailure, as_array, call_student, compare_cases, fail

__all__ = [
    "adabound_step_size_reference",
    "adam_step_reference",
    "amsgrad_step_reference",
    "check_adabound_step_size",
    "check_adam_step",
    "check_amsgrad_step",
    "check_nesterov_step",
    "nesterov_step_reference",
]

Mistake = tuple[str, Callable[..., Any]]


# --------------------------------------------------------------------------- shared machinery


def _tensor(values: Sequence[float]) -> Tensor:
    return torch.tensor(values, dtype=torch.float64)


def _copy(value: Any) -> Any:
    return value.clone() if isinstance(value, Tensor) else value


def _copied(case: Case) -> Case:
    return Case(case.name, tuple(_copy(a) for a in case.args), {k: _copy(v) for k, v in case.kwargs.items()})


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _fmt(value: np.ndarray) -> str:
    return np.array2string(value.reshape(-1), precision=6, max_line_width=200)


def _as_outputs(result: Any, names: Sequence[str], exercise: str, case: Case) -> list[np.ndarray]:
    if len(names) == 1:
        return [as_array(result)]
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        fail(exercise, f"case {case.name}: return the tuple ({', '.join(names)}); got {got}")
    return [as_array(r) for r in result]


def _compare_outputs(student: Callable[..., Any], reference: Callable[..., Any], cases: Sequence[Case],
                     exercise: str, names: Sequence[str], mistakes: Sequence[Mistake],
                     rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Like :func:`compare_cases` for functions that return several tensors.

    On a mismatch the message names the case and the first wrong output, and every
    mistake of ``mistakes`` whose outputs equal the student's is added as a hint.
    """
    for case in cases:
        got = _as_outputs(call_student(student, _copied(case), exercise), names, exercise, case)
        expected = _as_outputs(reference(*_copied(case).args, **_copied(case).kwargs), names, exercise, case)
        wrong = [(n, g, e) for n, g, e in zip(names, got, expected) if not _close(g, e, rtol, atol)]
        if not wrong:
            continue
        name, g, e = wrong[0]
        if g.shape != e.shape:
            message = f"case {case.name}: {name} should have shape {e.shape}, got shape {g.shape}"
        else:
            message = f"case {case.name}: {name} should be {_fmt(e)}, got {_fmt(g)}"
            if not np.all(np.isfinite(g)):
                message += " (it contains NaN or infinity)"
        hints = []
        for description, wrong_fn in mistakes:
            with np.errstate(all="ignore"):
                try:
                    candidate = _as_outputs(wrong_fn(*_copied(case).args, **_copied(case).kwargs), names, exercise, case)
                except Exception:  # noqa: BLE001 -- a mistake model that cannot run is simply not matched
                    continue
            if all(_close(g2, c, rtol, atol) for g2, c in zip(got, candidate)):
                hints.append(description)
        fail(exercise, message + (". Probable mistake: " + "; ".join(hints) if hints else ""))
    print(f"{exercise}: all {len(cases)} cases pass.")


# --------------------------------------------------------------------------- Exercise 3.1: Nesterov


EX_NESTEROV = "Exercise 3.1"


def nesterov_step_reference(theta: Tensor, v: Tensor, grad_fn: Callable[[Tensor], Tensor], lr: float,
                            mu: float) -> tuple[Tensor, Tensor]:
    """Sutskever et al.: ``v' = mu v - lr grad(theta + mu v)``, ``theta' = theta + v'``."""
    v_new = mu * v - lr * grad_fn(theta + mu * v)
    return theta + v_new, v_new


def _quadratic_gradient(seed: int, d: int = 3) -> Callable[[Tensor], Tensor]:
    gen = torch.Generator().manual_seed(seed)
    B = torch.randn(d, d, generator=gen, dtype=torch.float64)
    A = B @ B.T + 0.5 * torch.eye(d, dtype=torch.float64)
    b = torch.randn(d, generator=gen, dtype=torch.float64)

    def grad(x: Tensor) -> Tensor:
        """Gradient of 0.5 x'Ax - b'x (plus a cubic term so that it is not linear)."""
        return A @ x - b + 0.3 * x ** 2

    return grad


def _nesterov_cases() -> list[Case]:
    return [
        Case("first step (v = 0)", (_tensor([1.0, -0.5, 2.0]), _tensor([0.0, 0.0, 0.0]), _quadratic_gradient(0)),
             {"lr": 0.1, "mu": 0.9}),
        Case("with velocity", (_tensor([0.3, 1.2, -0.7]), _tensor([0.2, -0.4, 0.1]), _quadratic_gradient(1)),
             {"lr": 0.05, "mu": 0.8}),
        Case("mu = 0.5, large velocity", (_tensor([-1.0, 0.5, 0.25]), _tensor([1.5, -2.0, 0.5]),
                                          _quadratic_gradient(2)), {"lr": 0.02, "mu": 0.5}),
    ]


_NESTEROV_MISTAKES: list[Mistake] = [
    ("the gradient was taken at the current point theta -- that is heavy-ball momentum; Nesterov "
     "takes it at the look-ahead point theta + mu * v",
     lambda th, v, gf, lr, mu: (th + (mu * v - lr * gf(th)), mu * v - lr * gf(th))),
    ("the look-ahead point misses the factor mu: it is theta + mu * v (where the momentum part of the "
     "coming step lands), not theta + v",
     lambda th, v, gf, lr, mu: (th + (mu * v - lr * gf(th + v)), mu * v - lr * gf(th + v))),
    ("wrong sign: the step goes uphill; the velocity update is v' = mu * v - lr * gradient",
     lambda th, v, gf, lr, mu: (th + (mu * v + lr * gf(th + mu * v)), mu * v + lr * gf(th + mu * v))),
    ("theta was moved with the old velocity v instead of the new one v'",
     lambda th, v, gf, lr, mu: (th + v, mu * v - lr * gf(th + mu * v))),
]


def check_nesterov_step(nesterov_step: Callable[..., Any]) -> None:
    """Check Exercise 3.1: ``nesterov_step(theta, v, grad_fn, lr, mu) -> (theta, v)``."""
    _compare_outputs(nesterov_step, nesterov_step_reference, _nesterov_cases(), EX_NESTEROV,
                     ("theta", "v"), _NESTEROV_MISTAKES)


# --------------------------------------------------------------------------- Exercise 3.2: Adam


EX_ADAM = "Exercise 3.2"


def adam_step_reference(theta: Tensor, grad: Tensor, m: Tensor, v: Tensor, t: int, lr: float, beta1: float,
                        beta2: float, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """Kingma & Ba's Adam step ``t`` (counted from 1): returns ``(theta, m, v)``."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (v_hat.sqrt() + eps), m, v


def _adam_variant(*, correct: bool = True, t_shift: int = 0, sign: float = -1.0, old_m: bool = False,
                  square: bool = True, sqrt: bool = True, eps_inside: bool = False) -> Callable[..., Any]:
    def step(theta, grad, m, v, t, lr, beta1, beta2, eps):
        m_new = beta1 * m + (1 - beta1) * grad
        v_new = beta2 * v + (1 - beta2) * (grad ** 2 if square else grad)
        tt = t + t_shift
        m_use = m if old_m else m_new
        m_hat = m_use / (1 - beta1 ** tt) if correct else m_use
        v_hat = v_new / (1 - beta2 ** tt) if correct else v_new
        if eps_inside:
            denom = (v_hat + eps).sqrt()
        else:
            denom = (v_hat.sqrt() if sqrt else v_hat) + eps
        return theta + sign * lr * m_hat / denom, m_new, v_new
    return step


def _adam_cases() -> list[Case]:
    g = torch.Generator().manual_seed(3)

    def rnd(*shape: int, scale: float = 1.0) -> Tensor:
        return scale * torch.randn(*shape, generator=g, dtype=torch.float64)

    return [
        Case("first step t=1 from m = v = 0", (_tensor([0.5, -1.0, 2.0]), _tensor([0.3, -2.0, 0.01]),
                                              torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64), 1),
             {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
        Case("t=5", (rnd(4), rnd(4), rnd(4, scale=0.1), rnd(4).abs() * 0.05, 5),
             {"lr": 0.003, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8}),
        Case("t=200, large eps", (rnd(2, 3), rnd(2, 3), rnd(2, 3, scale=0.1), rnd(2, 3).abs() * 0.01, 200),
             {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 0.1}),
    ]


_ADAM_MISTAKES: list[Mistake] = [
    ("bias correction missing: divide m by (1 - beta1**t) and v by (1 - beta2**t); at t=1 the step "
     "should have size lr in every coordinate (up to eps)", _adam_variant(correct=False)),
    ("off-by-one in t: the bias corrections use t - 1 instead of t (t counts steps from 1)",
     _adam_variant(t_shift=-1)),
    ("off-by-one in t: the bias corrections use t + 1 instead of t (t counts steps from 1)",
     _adam_variant(t_shift=1)),
    ("wrong sign: the step goes uphill; theta_new = theta - lr * m_hat / (sqrt(v_hat) + eps)",
     _adam_variant(sign=1.0)),
    ("the step used the old first moment m_{t-1}; update m first, then step with the new one",
     _adam_variant(old_m=True)),
    ("v must average the squared gradient grad**2, not the gradient itself", _adam_variant(square=False)),
    ("the square root of v_hat is missing in the denominator", _adam_variant(sqrt=False)),
    ("eps belongs outside the square root: sqrt(v_hat) + eps", _adam_variant(eps_inside=True)),
]


def check_adam_step(adam_step: Callable[..., Any]) -> None:
    """Check Exercise 3.2: ``adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)``."""
    _compare_outputs(adam_step, adam_step_reference, _adam_cases(), EX_ADAM, ("theta", "m", "v"), _ADAM_MISTAKES)


# --------------------------------------------------------------------------- Exercise 3.3: AMSGrad


EX_AMSGRAD = "Exercise 3.3"


def amsgrad_step_reference(theta: Tensor, grad: Tensor, m: Tensor, v: Tensor, vhat: Tensor, lr: float,
                           beta1: float, beta2: float, eps: float) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Reddi et al.'s AMSGrad step (no bias correction): returns ``(theta, m, v, vhat)``."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    vhat = torch.maximum(vhat, v)
    return theta - lr * m / (vhat.sqrt() + eps), m, v, vhat


def _amsgrad_fed_back(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * vhat + (1 - beta2) * grad ** 2  # the average restarts from the maximum (the seed's formula)
    vhat = torch.maximum(vhat, v)
    return theta - lr * m / (vhat.sqrt() + eps), m, vhat, vhat


def _amsgrad_fed_back_v(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    out = _amsgrad_fed_back(theta, grad, m, v, vhat, lr, beta1, beta2, eps)
    v_plain = beta2 * v + (1 - beta2) * grad ** 2
    return out[0], out[1], v_plain, out[3]


def _amsgrad_no_max(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return theta - lr * m / (v.sqrt() + eps), m, v, torch.maximum(vhat, v)


def _amsgrad_old_v(theta, grad, m, v_old, vhat, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    vhat = torch.maximum(vhat, v_old)
    v = beta2 * v_old + (1 - beta2) * grad ** 2
    return theta - lr * m / (vhat.sqrt() + eps), m, v, vhat


def _amsgrad_sign(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    out = amsgrad_step_reference(theta, grad, m, v, vhat, lr, beta1, beta2, eps)
    return 2 * theta - out[0], out[1], out[2], out[3]


def _amsgrad_cases() -> list[Case]:
    return [
        Case("the max is active (v_{t-1} < vhat_{t-1})",
             (_tensor([0.5, -1.0, 2.0]), _tensor([0.1, -0.2, 0.05]), _tensor([0.02, 0.01, -0.03]),
              _tensor([0.01, 0.02, 0.005]), _tensor([0.5, 0.3, 0.2])),
             {"lr": 0.1, "beta1": 0.9, "beta2": 0.9, "eps": 1e-8}),
        Case("a large gradient raises the max",
             (_tensor([0.0, 1.0]), _tensor([3.0, -0.1]), _tensor([0.0, 0.0]), _tensor([0.1, 0.4]),
              _tensor([0.2, 0.4])),
             {"lr": 0.05, "beta1": 0.0, "beta2": 0.1, "eps": 0.0}),
        Case("Reddi et al.'s setting (beta1 = 0, beta2 = 1/(1 + C^2), C = 3)",
             (_tensor([0.7]), _tensor([-1.0]), _tensor([3.0]), _tensor([0.9]), _tensor([0.95])),
             {"lr": 0.5 / math.sqrt(5), "beta1": 0.0, "beta2": 0.1, "eps": 0.0}),
    ]


_AMSGRAD_MISTAKES: list[Mistake] = [
    ("the max was fed back into the average: v_t must be the ordinary exponential average "
     "beta2 * v_{t-1} + (1 - beta2) * grad**2 of the previous *average* v_{t-1}; only "
     "vhat_t = max(vhat_{t-1}, v_t) sees the maximum", _amsgrad_fed_back),
    ("the max was fed back into the average (the returned v is right, but vhat and the step come from "
     "beta2 * vhat_{t-1} + (1 - beta2) * grad**2 instead of max(vhat_{t-1}, v_t))", _amsgrad_fed_back_v),
    ("the step divides by sqrt(v_t) -- that is Adam; AMSGrad divides by sqrt(vhat_t), the running maximum",
     _amsgrad_no_max),
    ("off-by-one: vhat_t must be max(vhat_{t-1}, v_t) with the *new* average v_t, not the previous one",
     _amsgrad_old_v),
    ("wrong sign: the step goes uphill", _amsgrad_sign),
]


def check_amsgrad_step(amsgrad_step: Callable[..., Any]) -> None:
    """Check Exercise 3.3: ``amsgrad_step(theta, grad, m, v, vhat, lr, beta1, beta2, eps) -> (theta, m, v, vhat)``."""
    _compare_outputs(amsgrad_step, amsgrad_step_reference, _amsgrad_cases(), EX_AMSGRAD,
                     ("theta", "m", "v", "vhat"), _AMSGRAD_MISTAKES)


# --------------------------------------------------------------------------- Exercise 3.4: AdaBound


EX_ADABOUND = "Exercise 3.4"


def adabound_bounds(t: int, final_lr: float, gamma: float) -> tuple[float, float]:
    """AdaBound's bounds at step ``t`` (from 1): ``final_lr (1 -+ ...)`` as in the authors' code."""
    lower = final_lr * (1 - 1 / (gamma * t + 1))
    upper = final_lr * (1 + 1 / (gamma * t)) if t > 0 else math.inf
    return lower, upper


def adabound_step_size_reference(v_hat: Tensor, t: int, lr: float, final_lr: float, gamma: float,
                                 eps: float) -> Tensor:
    """``clip(lr / (sqrt(v_hat) + eps), lower(t), upper(t))`` coordinate-wise."""
    lower, upper = adabound_bounds(t, final_lr, gamma)
    return (lr / (v_hat.sqrt() + eps)).clamp(lower, upper)


def _adabound_variant(*, clip: bool = True, clip_lr: bool = False, swap: bool = False, t_shift: int = 0,
                      sqrt: bool = True) -> Callable[..., Tensor]:
    def size(v_hat, t, lr, final_lr, gamma, eps):
        lower, upper = adabound_bounds(t + t_shift, final_lr, gamma)
        if swap:
            lower, upper = upper, lower
        root = v_hat.sqrt() if sqrt else v_hat
        if clip_lr:
            return min(max(lr, lower), upper) / (root + eps)
        raw = lr / (root + eps)
        if not clip:
            return raw
        return torch.minimum(torch.maximum(raw, torch.full_like(raw, lower)), torch.full_like(raw, upper))
    return size


def _adabound_cases() -> list[Case]:
    v = _tensor([1e-8, 1e-4, 1e-2, 1.0, 100.0])
    return [
        Case("t=1 (bounds wide apart)", (v, 1), {"lr": 1e-3, "final_lr": 0.1, "gamma": 1e-3, "eps": 1e-8}),
        Case("t=1000", (v, 1000), {"lr": 1e-3, "final_lr": 0.1, "gamma": 1e-3, "eps": 1e-8}),
        Case("t=10^6 (bounds close to final_lr)", (v, 10**6), {"lr": 1e-3, "final_lr": 0.1, "gamma": 1e-3, "eps": 1e-8}),
        Case("t=3, gamma=0.5", (v * 3, 3), {"lr": 0.01, "final_lr": 0.05, "gamma": 0.5, "eps": 1e-8}),
    ]


_ADABOUND_MISTAKES: list[Mistake] = [
    ("the step size is not clipped: clamp lr / (sqrt(v_hat) + eps) between the lower and upper bounds",
     _adabound_variant(clip=False)),
    ("you clipped the learning rate lr before dividing; clip the per-coordinate step size "
     "lr / (sqrt(v_hat) + eps) instead", _adabound_variant(clip_lr=True)),
    ("the lower and upper bounds are swapped: lower = final_lr * (1 - 1/(gamma t + 1)), "
     "upper = final_lr * (1 + 1/(gamma t))", _adabound_variant(swap=True)),
    ("off-by-one in t: the bounds use t - 1 instead of t", _adabound_variant(t_shift=-1)),
    ("off-by-one in t: the bounds use t + 1 instead of t", _adabound_variant(t_shift=1)),
    ("the square root of v_hat is missing", _adabound_variant(sqrt=False)),
]


def check_adabound_step_size(adabound_step_size: Callable[..., Any]) -> None:
    """Check Exercise 3.4: ``adabound_step_size(v_hat, t, lr, final_lr, gamma, eps) -> tensor``."""
    cases = _adabound_cases()
    if not callable(adabound_step_size):
        call_student(adabound_step_size, cases[0], EX_ADABOUND)  # raises "expected a function"

    def diagnose(case: Case, got: np.ndarray, expected: np.ndarray) -> str | None:
        hints = []
        for description, wrong_fn in _ADABOUND_MISTAKES:
            with np.errstate(all="ignore"):
                try:
                    candidate = as_array(wrong_fn(*_copied(case).args, **_copied(case).kwargs))
                except Exception:  # noqa: BLE001
                    continue
            if _close(got, candidate, 1e-6, 1e-12):
                hints.append(description)
        return "; ".join(hints) or None

    def student(*args: Any, **kwargs: Any) -> Any:
        return adabound_step_size(*(_copy(a) for a in args), **kwargs)

    try:
        compare_cases(student, adabound_step_size_reference, cases, EX_ADABOUND, rtol=1e-6, atol=1e-12,
                      diagnose=diagnose)
    except ExerciseFailure as err:
        message = str(err)
        if "NaN or infinity" in message and "Hint" not in message:
            case = next(c for c in cases if f"case {c.name}:" in message)
            got = as_array(call_student(student, _copied(case), EX_ADABOUND))
            hint = diagnose(case, got, as_array(adabound_step_size_reference(*case.args, **case.kwargs)))
            if hint:
                raise ExerciseFailure(f"{message}. Hint: {hint}") from None
        raise
