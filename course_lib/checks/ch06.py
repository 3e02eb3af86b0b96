"""Checks of the exercises of chapter 06 (GAN foundations).

* Exercise 6.1 -- :func:`check_optimal_discriminator`: ``D* = p_data / (p_data + p_g)``, 1/2 where
  both densities vanish.
* Exercise 6.2 -- :func:`check_js_divergence`: the Jensen-Shannon divergence of two densities on a
  grid, in nats, by a Riemann sum.
* Exercise 6.3 -- :func:`check_nonsaturating_loss`: the non-saturating generator loss
  ``-mean log sigmoid(a)`` from logits, numerically stable and differentiable.
* Exercise 6.4 -- :func:`check_gradient_penalty`: WGAN-GP's gradient penalty.

Each check builds its own small inputs (never notebook state), compares with the reference of
:mod:`course_lib.gan` and, when the answer equals a typical mistake, names it. Each runs in well
under a second.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import gan
from . import Case, as_array, call_student, describe_value, fail

__all__ = [
    "check_gradient_penalty",
    "check_js_divergence",
    "check_nonsaturating_loss",
    "check_optimal_discriminator",
    "gradient_penalty_reference",
    "js_divergence_reference",
    "nonsaturating_loss_reference",
    "optimal_discriminator_reference",
]

Mistake = tuple[str, Callable[..., Any]]


# --------------------------------------------------------------------------- shared machinery


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, Tensor):
        return value.detach().clone()
    return value


def _copied(case: Case) -> Case:
    return Case(case.name, tuple(_copy(a) for a in case.args), {k: _copy(v) for k, v in case.kwargs.items()})


def _matching(mistakes: Sequence[Mistake], case: Case, got: np.ndarray, rtol: float, atol: float) -> str | None:
    """The descriptions of every mistake model whose answer on ``case`` equals ``got`` (NaN matches NaN)."""
    hits = []
    for description, wrong in mistakes:
        try:
            with np.errstate(all="ignore"):
                value = as_array(wrong(*_copied(case).args, **case.kwargs))
        except Exception:  # noqa: BLE001 -- a mistake model that cannot run is simply not matched
            continue
        if value.shape == got.shape and np.allclose(got, value, rtol=rtol, atol=atol, equal_nan=True):
            if description not in hits:
                hits.append(description)
    return "; ".join(hits) if hits else None


def _compare(student: Callable[..., Any], reference: Callable[..., Any], cases: Sequence[Case], exercise: str,
             mistakes: Sequence[Mistake], *, rtol: float, atol: float, fallback: str | None = None) -> None:
    """Like :func:`course_lib.checks.compare_cases`, but NaN/inf answers are diagnosed too."""
    for case in cases:
        got = as_array(call_student(student, _copied(case), exercise))
        expected = as_array(reference(*_copied(case).args, **case.kwargs))
        if got.shape != expected.shape:
            fail(exercise, f"case {case.name}: expected shape {expected.shape}, got shape {got.shape}"
                 + (" (return one number, not an array)" if expected.ndim == 0 else ""))
        if np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True):
            continue
        hint = _matching(mistakes, case, got, rtol, atol) or fallback
        bad = "" if np.all(np.isfinite(got)) else " (your answer contains NaN or infinity)"
        fail(exercise, f"case {case.name}: expected {describe_value(expected)}, got {describe_value(got)}{bad}"
             + (f". Hint: {hint}" if hint else ""))
    print(f"{exercise}: all {len(cases)} cases pass.")


def _gauss(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


# --------------------------------------------------------------------------- Exercise 6.1: optimal discriminator

EX_DSTAR = "Exercise 6.1"


def optimal_discriminator_reference(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """``p_data / (p_data + p_g)``, 1/2 where both vanish (:func:`course_lib.gan.optimal_discriminator`)."""
    return gan.optimal_discriminator(p_data, p_g)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return a / b


_DSTAR_MISTAKES: list[Mistake] = [
    ("the roles are swapped: you returned p_g / (p_data + p_g) = 1 - D*; D* is the probability that x is REAL, "
     "so p_data goes in the numerator",
     lambda p, q: _safe_div(q, p + q)),
    ("you returned the density ratio p_data / p_g; D* = p_data / (p_data + p_g) lies in [0, 1]",
     lambda p, q: _safe_div(p, q)),
    ("where p_data + p_g = 0 your formula divides 0 by 0; D* is arbitrary there (it does not change V) and the "
     "exercise asks for 1/2, e.g. np.where(p_data + p_g > 0, p_data / (p_data + p_g), 0.5)",
     lambda p, q: _safe_div(p, p + q)),
    ("where p_data + p_g = 0 the exercise asks for 1/2, not 0",
     lambda p, q: np.where(p + q > 0, _safe_div(p, np.where(p + q > 0, p + q, 1.0)), 0.0)),
    ("where p_data + p_g = 0 the exercise asks for 1/2, not 1",
     lambda p, q: np.where(p + q > 0, _safe_div(p, np.where(p + q > 0, p + q, 1.0)), 1.0)),
    ("you returned the log-odds log(p_data / p_g); D* is the probability sigmoid(log-odds)",
     lambda p, q: np.log(_safe_div(p, q))),
]


def check_optimal_discriminator(optimal_discriminator: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """Exercise 6.1: the student's ``optimal_discriminator(p_data, p_g)`` on four pairs of density arrays."""
    x = np.linspace(-4.0, 4.0, 9)
    far = np.linspace(-30.0, 30.0, 7)
    cases = [
        Case("p_data = [0.1, 0.4, 0.2, 0.3], p_g = [0.3, 0.1, 0.2, 0.0]",
             (np.array([0.1, 0.4, 0.2, 0.3]), np.array([0.3, 0.1, 0.2, 0.0]))),
        Case("N(-1, 1) against N(1, 1) on 9 grid points", (_gauss(x, -1.0, 1.0), _gauss(x, 1.0, 1.0))),
        Case("equal densities (D* = 1/2 everywhere)", (_gauss(x, 0.0, 2.0), _gauss(x, 0.0, 2.0))),
        Case("both densities vanish at some points", (np.array([0.0, 0.5, 0.0, 0.25]), np.array([0.0, 0.0, 0.0, 0.75]))),
        Case("densities that underflow to 0 far out", (_gauss(far, -1.0, 0.5), _gauss(far, 1.0, 0.5))),
    ]
    _compare(optimal_discriminator, optimal_discriminator_reference, cases, EX_DSTAR, _DSTAR_MISTAKES,
             rtol=1e-9, atol=1e-12,
             fallback="D*(x) = p_data(x) / (p_data(x) + p_g(x)) elementwise, and 1/2 where both densities are 0")


# --------------------------------------------------------------------------- Exercise 6.2: Jensen-Shannon divergence

EX_JSD = "Exercise 6.2"


def js_divergence_reference(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    """``KL(p || m) / 2 + KL(q || m) / 2``, ``m = (p + q) / 2``, in nats (:func:`course_lib.gan.js_divergence`)."""
    return gan.js_divergence(p, q, dx)


def _kl_naive(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.sum(p * np.log(p / q)) * dx)


def _kl_safe(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    return gan.kl_divergence(p, q, dx)


_JSD_MISTAKES: list[Mistake] = [
    ("you used log base 2 (the result is JSD / ln 2, in bits); the course measures divergences in nats (np.log)",
     lambda p, q, dx: js_divergence_reference(p, q, dx) / math.log(2)),
    ("you forgot the factors 1/2: JSD = KL(p || m) / 2 + KL(q || m) / 2",
     lambda p, q, dx: 2 * js_divergence_reference(p, q, dx)),
    ("the mixture is m = (p + q) / 2; with m = p + q (no 1/2) every KL term drops by log 2",
     lambda p, q, dx: 0.5 * _kl_safe(p, p + q, dx) + 0.5 * _kl_safe(q, p + q, dx)),
    ("you returned KL(p || q); the Jensen-Shannon divergence compares p and q with their mixture m = (p + q) / 2",
     lambda p, q, dx: _kl_safe(p, q, dx)),
    ("you returned the Jensen-Shannon *distance* sqrt(JSD); return the divergence itself",
     lambda p, q, dx: math.sqrt(max(js_divergence_reference(p, q, dx), 0.0))),
    ("you forgot to multiply the sum by dx: an integral on the grid is sum(f) * dx",
     lambda p, q, dx: js_divergence_reference(p, q, dx) / dx),
    ("0 log 0 must count as 0: where p (or q) is 0 the term p log(p / m) is 0, not NaN -- sum only over p > 0, "
     "e.g. np.where(p > 0, p * np.log(p / m), 0.0) with m > 0 there",
     lambda p, q, dx: 0.5 * _kl_naive(p, 0.5 * (p + q), dx) + 0.5 * _kl_naive(q, 0.5 * (p + q), dx)),
]


def check_js_divergence(js_divergence: Callable[[np.ndarray, np.ndarray, float], float]) -> None:
    """Exercise 6.2: the student's ``js_divergence(p, q, dx)`` on four pairs of densities."""
    x, dx = gan.uniform_grid(-8.0, 8.0, 801)
    box = np.where(np.abs(x) <= 1.0, 0.5, 0.0)
    shifted = np.where(np.abs(x - 3.0) <= 1.0, 0.5, 0.0)
    cases = [
        Case("N(0, 1) against N(1, 1.5^2), 801 grid points", (_gauss(x, 0.0, 1.0), _gauss(x, 1.0, 1.5), dx)),
        Case("equal densities (JSD = 0)", (_gauss(x, 0.5, 1.0), _gauss(x, 0.5, 1.0), dx)),
        Case("disjoint boxes (JSD = log 2)", (box, shifted, dx)),
        Case("overlapping boxes (zeros inside the grid)", (box, np.where(np.abs(x - 1.0) <= 1.0, 0.5, 0.0), dx)),
        Case("three-point distributions, dx = 1", (np.array([0.2, 0.8, 0.0]), np.array([0.5, 0.25, 0.25]), 1.0)),
    ]
    _compare(js_divergence, js_divergence_reference, cases, EX_JSD, _JSD_MISTAKES, rtol=1e-6, atol=1e-9,
             fallback="m = (p + q) / 2; JSD = (sum p log(p / m) + sum q log(q / m)) * dx / 2 with 0 log 0 = 0")


# --------------------------------------------------------------------------- Exercise 6.3: non-saturating loss

EX_NS = "Exercise 6.3"


def nonsaturating_loss_reference(fake_logits: Tensor) -> Tensor:
    """``mean softplus(-a) = -mean log sigmoid(a)`` (:func:`course_lib.gan.nonsaturating_generator_loss`)."""
    return gan.nonsaturating_generator_loss(fake_logits)


_NS_MISTAKES: list[Mistake] = [
    ("that is the saturating loss mean log(1 - sigmoid(a)) (Goodfellow's minimax form); the non-saturating "
     "generator maximises log D(G(z)), i.e. minimises -mean log sigmoid(a)",
     lambda a: -F.softplus(a).mean()),
    ("wrong sign: you returned mean log sigmoid(a), which the generator would *maximise*; the loss to minimise "
     "is its negative",
     lambda a: -F.softplus(-a).mean()),
    ("you labelled the fakes as fake (binary cross-entropy with target 0), -mean log(1 - sigmoid(a)): that is "
     "the discriminator's term; the generator wants its samples classified as real (target 1)",
     lambda a: F.softplus(a).mean()),
    ("you summed over the batch; average it (mean), so that the loss does not grow with the batch size",
     lambda a: F.softplus(-a).sum()),
    ("you applied the formula to D = a as if a were a probability; the inputs are logits (raw scores): "
     "D(G(z)) = sigmoid(a)",
     lambda a: -torch.log(a).mean()),
    ("numerically unstable: for very negative logits sigmoid(a) rounds to 0 (and exp(-a) overflows) in float32, "
     "so log(sigmoid(a)) = -inf; compute -log sigmoid(a) as torch.nn.functional.softplus(-a) or "
     "-torch.nn.functional.logsigmoid(a), which are evaluated stably",
     lambda a: -torch.log(torch.sigmoid(a)).mean()),
    ("numerically unstable: for very negative logits sigmoid(a) rounds to 0 (and exp(-a) overflows) in float32, "
     "so log(sigmoid(a)) = -inf; compute -log sigmoid(a) as torch.nn.functional.softplus(-a) or "
     "-torch.nn.functional.logsigmoid(a), which are evaluated stably",
     lambda a: torch.log1p(torch.exp(-a)).mean()),
]


def _ns_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(3)
    return [
        Case("logits [-2, 0, 1.5, 4] (float64)", (torch.tensor([-2.0, 0.0, 1.5, 4.0], dtype=torch.float64),)),
        Case("64 random logits (float64)", (3 * torch.randn(64, generator=gen, dtype=torch.float64),)),
        Case("very confident discriminator: logits [-120, -30, 0, 30] (float32)",
             (torch.tensor([-120.0, -30.0, 0.0, 30.0], dtype=torch.float32),)),
    ]


def check_nonsaturating_loss(nonsaturating_generator_loss: Callable[[Tensor], Tensor]) -> None:
    """Exercise 6.3: value (stable for extreme logits) and gradient of the student's non-saturating loss."""
    _compare(nonsaturating_generator_loss, nonsaturating_loss_reference, _ns_cases(), EX_NS, _NS_MISTAKES,
             rtol=1e-5, atol=1e-6, fallback="return F.softplus(-fake_logits).mean()")
    # the loss must stay a differentiable torch expression of the logits
    a = torch.tensor([-3.0, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
    out = call_student(nonsaturating_generator_loss, Case("gradient", (a,)), EX_NS)
    if not isinstance(out, Tensor) or not out.requires_grad:
        fail(EX_NS, "case gradient: return a torch tensor computed from the logits with torch operations (no "
                    ".item(), .detach() or NumPy), so that the generator can be trained through it")
    (grad,) = torch.autograd.grad(out.sum(), a)
    expected = (torch.sigmoid(a.detach()) - 1.0) / a.numel()
    if not torch.allclose(grad, expected, rtol=1e-6, atol=1e-9):
        fail(EX_NS, f"case gradient: d loss / d logits should be (sigmoid(a) - 1) / N = {expected.numpy()}, "
                    f"got {grad.numpy()}")
    print(f"{EX_NS}: the gradient with respect to the logits is (sigmoid(a) - 1) / N, as it should be.")


# --------------------------------------------------------------------------- Exercise 6.4: gradient penalty

EX_GP = "Exercise 6.4"


def gradient_penalty_reference(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                               generator: torch.Generator | None = None) -> Tensor:
    """WGAN-GP's penalty (:func:`course_lib.gan.gradient_penalty`)."""
    return gan.gradient_penalty(critic, real, fake, generator)


def _interpolates(real: Tensor, fake: Tensor, generator: torch.Generator | None, per_element: bool = False) -> Tensor:
    shape = real.shape if per_element else (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = torch.rand(shape, generator=generator, dtype=real.dtype)
    return (eps * real + (1 - eps) * fake).detach().requires_grad_(True)


def _grad_norms(critic: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return g.reshape(x.shape[0], -1).norm(dim=1)


def _gp_variant(*, per_element: bool = False, squared: bool = False, no_minus_one: bool = False,
                one_sided: bool = False, reduce: str = "mean", batch_norm: bool = False,
                at: str = "interpolates") -> Callable[..., Tensor]:
    def penalty(critic, real, fake, generator=None):
        if at == "real":
            x = real.detach().clone().requires_grad_(True)
        elif at == "fake":
            x = fake.detach().clone().requires_grad_(True)
        else:
            x = _interpolates(real, fake, generator, per_element)
        if batch_norm:
            (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
            return (g.norm() - 1.0) ** 2
        norms = _grad_norms(critic, x)
        size = norms**2 if squared else norms
        excess = size if no_minus_one else size - 1.0
        if one_sided:
            excess = excess.clamp(min=0.0)
        terms = excess**2
        return terms.sum() if reduce == "sum" else terms.mean()
    return penalty


_GP_MISTAKES: list[Mistake] = [
    ("draw ONE eps per sample, shape (N, 1, ..., 1); you drew one per coordinate, which does not give points on "
     "the segments between real and fake samples", _gp_variant(per_element=True)),
    ("you penalised the squared norm (||grad||^2 - 1)^2; the penalty is (||grad||_2 - 1)^2",
     _gp_variant(squared=True)),
    ("you penalised ||grad||^2 (or ||grad||^4): the penalty pulls the norm towards 1, (||grad||_2 - 1)^2",
     _gp_variant(no_minus_one=True)),
    ("you penalised ||grad||^2 (or ||grad||^4): the penalty pulls the norm towards 1, (||grad||_2 - 1)^2",
     _gp_variant(squared=True, no_minus_one=True)),
    ("you made it one-sided, max(||grad|| - 1, 0)^2; WGAN-GP's penalty is two-sided, (||grad|| - 1)^2 "
     "(the one-sided variant appears in chapter 09)", _gp_variant(one_sided=True)),
    ("you summed over the batch; average the per-sample penalties (mean)", _gp_variant(reduce="sum")),
    ("you took one norm of the gradient of the whole batch; take the norm per sample, over all of its coordinates, "
     "then average", _gp_variant(batch_norm=True)),
    ("you evaluated the gradient at the real samples; it belongs at the random interpolates "
     "eps * real + (1 - eps) * fake", _gp_variant(at="real")),
    ("you evaluated the gradient at the fake samples; it belongs at the random interpolates "
     "eps * real + (1 - eps) * fake", _gp_variant(at="fake")),
]


class _LinearCritic(nn.Module):
    """``f(x) = <w, x> + b`` with a fixed ``w``: its gradient norm is ``||w||`` everywhere."""

    def __init__(self, w: Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone())
        self.b = nn.Parameter(torch.zeros((), dtype=w.dtype))

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1) @ self.w + self.b


class _QuadraticCritic(nn.Module):
    """``f(x) = scale * ||x||^2 / 2``: its gradient at x is ``scale * x``."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float64))

    def forward(self, x: Tensor) -> Tensor:
        return 0.5 * self.scale * (x.reshape(x.shape[0], -1) ** 2).sum(dim=1)


def _mlp_critic() -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1)).double()


def _gp_case(name: str, critic: nn.Module, real: Tensor, fake: Tensor, seed: int) -> Case:
    return Case(name, (critic, real, fake), {"generator": seed})


def check_gradient_penalty(gradient_penalty: Callable[..., Tensor]) -> None:
    """Exercise 6.4: value and parameter gradient of the student's ``gradient_penalty(critic, real, fake, generator)``.

    Every call gets a fresh ``torch.Generator`` with the same seed as the reference's, so a
    solution that draws ``eps`` as the exercise says sees exactly the same ``eps``.
    """
    g = torch.Generator().manual_seed(5)
    w3 = torch.tensor([2.0, -1.0, 2.0, 0.0], dtype=torch.float64)          # ||w|| = 3
    w_half = torch.tensor([0.3, 0.4], dtype=torch.float64)                  # ||w|| = 0.5
    images = torch.rand(6, 1, 3, 3, generator=g, dtype=torch.float64)
    cases = [
        _gp_case("linear critic with ||w|| = 3 (penalty (3 - 1)^2 = 4 for every eps)", _LinearCritic(w3),
                 torch.randn(5, 4, generator=g, dtype=torch.float64), torch.randn(5, 4, generator=g, dtype=torch.float64), 1),
        _gp_case("linear critic with ||w|| = 0.5 (penalty 0.25)", _LinearCritic(w_half),
                 torch.randn(7, 2, generator=g, dtype=torch.float64), torch.randn(7, 2, generator=g, dtype=torch.float64), 2),
        _gp_case("quadratic critic ||x||^2 on 6 images 1x3x3", _QuadraticCritic(1.5), images, 0.2 * images.flip(0), 3),
        _gp_case("small MLP critic on 2-D points", _mlp_critic(),
                 torch.randn(8, 2, generator=g, dtype=torch.float64), torch.randn(8, 2, generator=g, dtype=torch.float64), 4),
    ]

    def fresh(case: Case) -> Case:
        """The case with copies of the batches and a new generator seeded as the reference's."""
        critic, real, fake = case.args
        return Case(case.name, (critic, real.clone(), fake.clone()),
                    {"generator": torch.Generator().manual_seed(case.kwargs["generator"])})

    def with_generator(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(critic, real, fake, generator):
            return fn(critic, real.clone(), fake.clone(), generator=torch.Generator().manual_seed(generator))
        return call

    mistakes = [(d, with_generator(m)) for d, m in _GP_MISTAKES]
    for case in cases:
        got_t = call_student(gradient_penalty, fresh(case), EX_GP)
        got = as_array(got_t)
        new_case = fresh(case)
        expected_t = gradient_penalty_reference(*new_case.args, **new_case.kwargs)
        expected = as_array(expected_t)
        if got.shape != expected.shape:
            fail(EX_GP, f"case {case.name}: return one number (a scalar tensor), got shape {got.shape}")
        if not np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            hint = _matching(mistakes, case, got, 1e-6, 1e-9) or (
                "draw eps = torch.rand((N,) + (1,) * (real.ndim - 1), generator=generator, dtype=real.dtype) "
                "as the first use of the generator, take x_hat = eps * real + (1 - eps) * fake, the per-sample "
                "norm of the gradient of critic(x_hat).sum() with respect to x_hat, and return "
                "mean((norm - 1)^2)")
            fail(EX_GP, f"case {case.name}: expected {describe_value(expected)}, got {describe_value(got)}. Hint: {hint}")
        # the penalty is added to the critic's loss: it must be differentiable in the critic's parameters
        critic = case.args[0]
        params = [p for p in critic.parameters()]
        if not isinstance(got_t, Tensor) or not got_t.requires_grad:
            fail(EX_GP, f"case {case.name}: the penalty does not depend on the critic's parameters in the autograd "
                        "graph. Compute the input gradient with torch.autograd.grad(..., create_graph=True) and "
                        "keep the result a torch tensor, so that the critic can be trained through the penalty")
        got_grads = torch.autograd.grad(got_t, params, allow_unused=True)
        exp_grads = torch.autograd.grad(expected_t, params, allow_unused=True)
        for p_got, p_exp in zip(got_grads, exp_grads):
            p_got = torch.zeros_like(p_exp) if p_got is None and p_exp is not None else p_got
            if p_exp is None or p_got is None:
                continue
            if not torch.allclose(p_got, p_exp, rtol=1e-6, atol=1e-9):
                fail(EX_GP, f"case {case.name}: the value is right but its gradient with respect to the critic's "
                            "parameters is wrong -- did you pass create_graph=True to torch.autograd.grad, and not "
                            "detach the input gradient?")
    print(f"{EX_GP}: all {len(cases)} cases pass (values and gradients with respect to the critic's parameters).")
