"""First-order optimizers built on one framework (chapter 03).

Every optimizer of chapter 03 is an instance of the generic adaptive method of
Reddi, Kale & Kumar (2018, Algorithm 1):

1. compute a gradient ``g_t`` (at the current point, or at a look-ahead point);
2. update a *first moment* ``m_t = phi(g_1, ..., g_t)`` and a *second moment*
   ``V_t = psi(g_1, ..., g_t)`` (both kept recursively in the optimizer state);
3. take the step ``theta_{t+1} = theta_t - alpha_t * m_t / (sqrt(V_t) + eps)``
   (coordinate-wise; ``V_t = None`` means ``V_t = 1`` and no ``eps``).

:class:`MomentOptimizer` implements steps 1 and 3 once, in :meth:`MomentOptimizer.step`;
each algorithm only says what its moments are, through the hooks
:meth:`~MomentOptimizer.first_moment`, :meth:`~MomentOptimizer.second_moment`,
:meth:`~MomentOptimizer.denominator`, :meth:`~MomentOptimizer.lookahead` and
:meth:`~MomentOptimizer.after_update`.

Conventions (each is an option, so that every class can be compared with its
``torch.optim`` counterpart to round-off; ``tests/test_optim.py`` does so):

* :class:`SGDMomentum` / :class:`Nesterov`: ``ema=False`` (default) is PyTorch's heavy-ball
  buffer ``b_t = mu b_{t-1} + (1 - dampening) g_t`` with an undampened first step
  ``b_1 = g_1``; ``ema=True`` is the exponential average ``m_t = mu m_{t-1} + (1 - mu) g_t``,
  ``m_0 = 0`` of the seed notes, which equals PyTorch's momentum with the learning rate
  multiplied by ``1 - mu``.
* :class:`Nesterov`: ``lookahead=False`` (default) is the reformulation of Bengio,
  Boulanger-Lewandowski & Pascanu (2013) used by PyTorch: the gradient is taken at the
  current parameters, which play the role of the look-ahead point;
  ``lookahead=True`` is the form of Sutskever et al. (2013): the gradient is taken at
  ``theta_t - alpha mu b_{t-1}`` and :meth:`step` needs a closure.
* :class:`AdaDelta`: PyTorch's ``lr`` multiplies Zeiler's update; ``lr=1`` (default) is
  Zeiler's method, which has no learning rate.
* :class:`Nadam`: ``momentum_decay`` is Dozat's momentum schedule as in ``torch.optim.NAdam``;
  ``momentum_decay=None`` uses the constant ``mu_t = beta1``.
* :class:`Adam` / :class:`AMSGrad`: ``bias_correction=True`` (default) as in Kingma & Ba and
  PyTorch; ``False`` is the uncorrected form analysed by Reddi et al. For AMSGrad PyTorch
  keeps the maximum of the *uncorrected* averages and divides it by ``1 - beta2**t``;
  Reddi et al.'s AMSGrad has no correction at all.

Units: parameters and steps are in the units of the parameters; ``lr`` (``alpha``) is in
parameter units per unit of ``m_t / sqrt(V_t)`` (dimensionless for the adaptive methods,
so there ``lr`` is roughly the length of one step per coordinate); for SGD it is in
parameter units squared per loss unit.

The module also holds the chapter's small experiments: 2-D test landscapes
(:data:`LANDSCAPES`, :func:`trajectory`), the online counterexample of Reddi et al.
(:func:`reddi_online`) and the comparison with ``torch.optim`` (:data:`TORCH_PAIRS`,
:func:`max_deviation_from_torch`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "AMSGrad",
    "AdaDelta",
    "AdaGrad",
    "Adam",
    "LANDSCAPES",
    "Landscape",
    "MomentOptimizer",
    "Nadam",
    "Nesterov",
    "OPTIMIZERS",
    "RMSProp",
    "SGD",
    "SGDMomentum",
    "TORCH_PAIRS",
    "average_regret",
    "make_optimizer",
    "max_deviation_from_torch",
    "random_problem",
    "reddi_gradient",
    "reddi_online",
    "run_optimizer",
    "trajectory",
]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


# --------------------------------------------------------------------------- validation


def _check_nonnegative(name: str, value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0 ({what}), got {value!r}")
    return float(value)


def _check_unit_interval(name: str, value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must lie in [0, 1) ({what}), got {value!r}")
    return float(value)


def _check_betas(betas: tuple[float, float]) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    b1 = _check_unit_interval("betas[0]", betas[0], "beta1, the decay of the first moment")
    b2 = _check_unit_interval("betas[1]", betas[1], "beta2, the decay of the second moment")
    return b1, b2


# --------------------------------------------------------------------------- the framework


class MomentOptimizer(torch.optim.Optimizer):
    """The generic first-order method of chapter 03: ``theta -= lr * m_t / (sqrt(V_t) + eps)``.

    Subclasses define the moments through hooks; :meth:`step` is shared. The state of a
    parameter is a dict with at least ``"step"`` (the number of updates ``t`` done so far,
    an ``int``) plus whatever the hooks keep (running averages, buffers).

    Args:
        params: parameters or parameter groups, as for any ``torch.optim.Optimizer``.
        defaults: the hyperparameters; every group has ``lr`` (the learning rate ``alpha``,
            >= 0), ``eps`` (>= 0, added to ``sqrt(V_t)``) and ``weight_decay`` (>= 0, the
            coefficient ``lambda`` of an L2 penalty: ``g_t += lambda * theta_t``).

    Raises:
        ValueError: a negative learning rate, ``eps`` or weight decay.
    """

    #: True for methods whose gradient is taken away from the current point (need a closure).
    needs_closure: bool = False

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        defaults = dict(defaults)
        defaults.setdefault("eps", 0.0)
        defaults.setdefault("weight_decay", 0.0)
        _check_nonnegative("lr", defaults["lr"], "the learning rate alpha")
        _check_nonnegative("eps", defaults["eps"], "the term added to sqrt(V_t)")
        _check_nonnegative("weight_decay", defaults["weight_decay"], "the L2 coefficient")
        super().__init__(params, defaults)

    # ----------------------------------------------------------------- hooks
    def init_state(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        """Create the running quantities of a parameter (called before its first step)."""

    def lookahead(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor | None:
        """The displacement from ``theta_t`` to the point where ``g_t`` is taken (``None``: here)."""
        return None

    def first_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor:
        """Update the state with ``g_t`` and return ``m_t`` (default: ``m_t = g_t``)."""
        return g

    def second_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor | None:
        """Update the state with ``g_t`` and return ``V_t`` (default ``None``: ``V_t = 1``)."""
        return None

    def denominator(self, v: Tensor, group: Mapping[str, Any]) -> Tensor:
        """``sqrt(V_t) + eps`` (AdaDelta overrides it with ``sqrt(V_t + eps)``)."""
        return v.sqrt().add_(group["eps"])

    def step_size(self, state: dict[str, Any], group: Mapping[str, Any]) -> float:
        """The scalar ``alpha_t`` that multiplies the direction (default: ``group['lr']``)."""
        return float(group["lr"])

    def after_update(self, direction: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        """Called with ``m_t / (sqrt(V_t) + eps)`` after the step (AdaDelta's accumulator)."""

    # ----------------------------------------------------------------- the shared step
    def _shift_to_lookahead(self) -> list[tuple[Tensor, Tensor]]:
        shifts = []
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    self.init_state(p, state, group)
                d = self.lookahead(p, state, group)
                if d is not None:
                    p.add_(d)
                    shifts.append((p, d))
        return shifts

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """One update of every parameter with a gradient.

        Args:
            closure: re-evaluates the loss and its gradient (``zero_grad``, forward,
                ``backward``) and returns the loss. Required by look-ahead methods, whose
                gradient is taken away from the current parameters; optional otherwise.

        Returns:
            The closure's loss, or ``None``.
        """
        loss = None
        shifts: dict[int, Tensor] = {}
        if self.needs_closure and self._uses_lookahead():
            if closure is None:
                raise RuntimeError(
                    f"{type(self).__name__} with lookahead=True takes its gradient at the look-ahead point: "
                    "call step(closure) with a closure that zeroes the gradients, computes the loss, "
                    "calls backward() and returns the loss"
                )
            moved = self._shift_to_lookahead()
            try:
                with torch.enable_grad():
                    loss = closure()
            finally:
                for p, d in moved:
                    p.sub_(d)
            shifts = {id(p): d for p, d in moved}
        elif closure is not None:
            with torch.enable_grad():
                loss = closure()

        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    self.init_state(p, state, group)
                state["step"] += 1
                g = p.grad
                if group["weight_decay"] != 0:
                    point = p if id(p) not in shifts else p + shifts[id(p)]
                    g = g.add(point, alpha=group["weight_decay"])
                m = self.first_moment(g, state, group)
                v = self.second_moment(g, state, group)
                direction = m if v is None else m / self.denominator(v, group)
                p.add_(direction, alpha=-self.step_size(state, group))
                self.after_update(direction, state, group)
        return loss

    def _uses_lookahead(self) -> bool:
        return any(group.get("lookahead", False) for group in self.param_groups)


# --------------------------------------------------------------------------- the methods


class SGD(MomentOptimizer):
    """Plain (stochastic) gradient descent: ``m_t = g_t``, ``V_t = 1`` (chapter 03).

    Matches ``torch.optim.SGD(params, lr, weight_decay=...)``.

    Args:
        params: parameters or parameter groups.
        lr: the learning rate ``alpha`` (>= 0).
        weight_decay: L2 coefficient (>= 0).
    """

    def __init__(self, params: ParamsT, lr: float = 0.01, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay})


class SGDMomentum(MomentOptimizer):
    """Heavy-ball momentum (Polyak 1964): ``m_t`` accumulates past gradients, ``V_t = 1`` (chapter 03).

    ``ema=False`` (default, PyTorch): ``b_1 = g_1`` and
    ``b_t = momentum * b_{t-1} + (1 - dampening) * g_t``; matches
    ``torch.optim.SGD(params, lr, momentum, dampening)``.
    ``ema=True`` (the seed's average): ``m_0 = 0``, ``m_t = momentum * m_{t-1} + (1 - momentum) * g_t``;
    matches ``torch.optim.SGD(params, lr * (1 - momentum), momentum)``.

    Args:
        params: parameters or parameter groups.
        lr: the learning rate (>= 0).
        momentum: the decay ``mu`` (``beta1``) of the buffer, in [0, 1).
        dampening: PyTorch's dampening in [0, 1) (only with ``ema=False``).
        ema: use the exponential average of the seed notes.
        weight_decay: L2 coefficient (>= 0).

    Raises:
        ValueError: a hyperparameter out of range, or ``dampening`` with ``ema=True``.
    """

    def __init__(self, params: ParamsT, lr: float = 0.01, momentum: float = 0.9, dampening: float = 0.0,
                 ema: bool = False, weight_decay: float = 0.0, **extra: Any) -> None:
        _check_unit_interval("momentum", momentum, "the decay mu of the first moment")
        _check_unit_interval("dampening", dampening, "PyTorch's dampening")
        if ema and dampening:
            raise ValueError("dampening must be 0 with ema=True: the exponential average already weights g_t by 1 - momentum")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening, "ema": bool(ema),
                                  "weight_decay": weight_decay, **extra})

    def init_state(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _update_buffer(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor:
        buf, mu = state["momentum_buffer"], group["momentum"]
        if group["ema"]:
            buf.mul_(mu).add_(g, alpha=1 - mu)
        elif state["step"] == 1:
            buf.copy_(g)  # PyTorch: the first step is not dampened
        else:
            buf.mul_(mu).add_(g, alpha=1 - group["dampening"])
        return buf

    def first_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor:
        return self._update_buffer(g, state, group)


class Nesterov(SGDMomentum):
    """Nesterov's accelerated gradient with momentum (Nesterov 1983; Sutskever et al. 2013) (chapter 03).

    ``lookahead=True`` -- Sutskever et al.'s form: the gradient is taken at the point the
    momentum part of the coming step reaches, ``theta_t - lr * momentum * b_{t-1}``; then
    ``b_t = momentum * b_{t-1} + g_t`` and ``theta_{t+1} = theta_t - lr * b_t``. Needs
    ``step(closure)``.

    ``lookahead=False`` (default) -- the reformulation of Bengio, Boulanger-Lewandowski &
    Pascanu (2013) that PyTorch implements: the stored parameters are the look-ahead
    point itself, the gradient is taken there, and the step is
    ``lr * (g_t + momentum * b_t)``. Matches ``torch.optim.SGD(..., nesterov=True)``. For a
    constant ``lr`` both forms produce the same sequence up to the change of variable
    ``theta~ = theta - lr * momentum * b`` (the notebook proves it).

    ``ema=True`` replaces ``b`` by the seed's average (equivalent to scaling ``lr`` by
    ``1 - momentum``; PyTorch refuses nesterov with dampening).

    Args:
        params: parameters or parameter groups.
        lr: the learning rate (>= 0).
        momentum: ``mu`` in [0, 1).
        ema: use the exponential average of the seed notes.
        lookahead: Sutskever's form (gradient at the look-ahead point; needs a closure).
        weight_decay: L2 coefficient (>= 0), evaluated where the gradient is.
    """

    needs_closure = True

    def __init__(self, params: ParamsT, lr: float = 0.01, momentum: float = 0.9, ema: bool = False,
                 lookahead: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr=lr, momentum=momentum, ema=ema, weight_decay=weight_decay,
                         lookahead=bool(lookahead))

    def lookahead(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor | None:
        if not group["lookahead"]:
            return None
        return state["momentum_buffer"] * (-group["lr"] * group["momentum"])

    def first_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor:
        buf = self._update_buffer(g, state, group)
        if group["lookahead"]:
            return buf
        weight = (1 - group["momentum"]) if group["ema"] else 1.0
        return g.mul(weight).add_(buf, alpha=group["momentum"])


class AdaGrad(MomentOptimizer):
    """AdaGrad (Duchi, Hazan & Singer 2011): ``m_t = g_t``, ``V_t = sum_s g_s**2`` (chapter 03).

    Matches ``torch.optim.Adagrad(params, lr, eps=eps, initial_accumulator_value=...)``
    (with PyTorch's ``lr_decay=0``).

    Args:
        params: parameters or parameter groups.
        lr: the learning rate (>= 0).
        eps: added to ``sqrt(V_t)`` (>= 0).
        initial_accumulator_value: ``V_0`` (>= 0).
        weight_decay: L2 coefficient (>= 0).
    """

    def __init__(self, params: ParamsT, lr: float = 0.01, eps: float = 1e-10,
                 initial_accumulator_value: float = 0.0, weight_decay: float = 0.0) -> None:
        _check_nonnegative("initial_accumulator_value", initial_accumulator_value, "V_0")
        super().__init__(params, {"lr": lr, "eps": eps, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value})

    def init_state(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        state["sum"] = torch.full_like(p, group["initial_accumulator_value"])

    def second_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor | None:
        return state["sum"].addcmul_(g, g)


class RMSProp(MomentOptimizer):
    """RMSProp (Tieleman & Hinton 2012): ``m_t = g_t``, ``V_t`` = exponential average of ``g**2`` (chapter 03).

    ``V_t = beta2 * V_{t-1} + (1 - beta2) * g_t**2``, ``V_0 = 0``. ``centered=True`` subtracts
    the square of the average gradient. Matches ``torch.optim.RMSprop(params, lr,
    alpha=beta2, eps=eps, centered=...)`` (PyTorch calls the decay ``alpha``; its
    ``momentum`` option, applied after the division, is not part of this class).

    Args:
        params: parameters or parameter groups.
        lr: the learning rate (>= 0).
        beta2: decay of the average of squared gradients, in [0, 1).
        eps: added to ``sqrt(V_t)`` (>= 0).
        centered: divide by an estimate of the standard deviation instead of the RMS.
        weight_decay: L2 coefficient (>= 0).
    """

    def __init__(self, params: ParamsT, lr: float = 0.01, beta2: float = 0.99, eps: float = 1e-8,
                 centered: bool = False, weight_decay: float = 0.0) -> None:
        _check_unit_interval("beta2", beta2, "the decay of the second moment")
        super().__init__(params, {"lr": lr, "beta2": beta2, "eps": eps, "centered": bool(centered),
                                  "weight_decay": weight_decay})

    def init_state(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        state["square_avg"] = torch.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(p)

    def second_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor | None:
        b2 = group["beta2"]
        v = state["square_avg"].mul_(b2).addcmul_(g, g, value=1 - b2)
        if group["centered"]:
            mean = state["grad_avg"].lerp_(g, 1 - b2)
            return v.addcmul(mean, mean, value=-1)
        return v


class AdaDelta(MomentOptimizer):
    """AdaDelta (Zeiler 2012): the step is ``RMS[delta]_{t-1} / RMS[g]_t * g_t`` (chapter 03).

    In the framework: ``V_t = rho V_{t-1} + (1 - rho) g_t**2`` (as RMSProp), but the first
    moment is ``m_t = sqrt(U_{t-1} + eps) * g_t``, where ``U`` is the running average of the
    squared past *updates* ``delta``; the denominator is ``sqrt(V_t + eps)``. The ratio has
    the units of the parameters, so no learning rate is needed: ``lr`` (default 1, i.e.
    Zeiler's method) only rescales the update, as in ``torch.optim.Adadelta``, which
    this class matches.

    Args:
        params: parameters or parameter groups.
        lr: multiplies the update (>= 0); 1 is Zeiler's AdaDelta.
        rho: decay of both running averages, in [0, 1).
        eps: inside both square roots (>= 0); it sets the size of the first steps.
        weight_decay: L2 coefficient (>= 0).
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        _check_unit_interval("rho", rho, "the decay of the running averages")
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay})

    def init_state(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        state["square_avg"] = torch.zeros_like(p)
        state["acc_delta"] = torch.zeros_like(p)

    def first_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor:
        return state["acc_delta"].add(group["eps"]).sqrt_().mul_(g)

    def second_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor | None:
        rho = group["rho"]
        return state["square_avg"].mul_(rho).addcmul_(g, g, value=1 - rho)

    def denominator(self, v: Tensor, group: Mapping[str, Any]) -> Tensor:
        return v.add(group["eps"]).sqrt_()

    def after_update(self, direction: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        rho = group["rho"]
        state["acc_delta"].mul_(rho).addcmul_(direction, direction, value=1 - rho)


class Adam(MomentOptimizer):
    """Adam (Kingma & Ba 2015): both moments are exponential averages, bias-corrected (chapter 03).

    ``m_t = beta1 m_{t-1} + (1 - beta1) g_t``, ``v_t = beta2 v_{t-1} + (1 - beta2) g_t**2``;
    the framework's moments are ``m_t / (1 - beta1**t)`` and ``v_t / (1 - beta2**t)``
    (``bias_correction=False``: ``m_t`` and ``v_t`` themselves, the form Reddi et al. analyse).
    Matches ``torch.optim.Adam(params, lr, betas, eps)``.

    Args:
        params: parameters or parameter groups.
        lr: the learning rate (>= 0); about the length of a step per coordinate.
        betas: ``(beta1, beta2)``, each in [0, 1).
        eps: added to ``sqrt(V_t)`` (>= 0).
        bias_correction: divide by ``1 - beta**t``.
        weight_decay: L2 coefficient (>= 0), added to the gradient (not AdamW's decoupled decay).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, bias_correction: bool = True, weight_decay: float = 0.0,
                 **extra: Any) -> None:
        betas = _check_betas(betas)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "bias_correction": bool(bias_correction),
                                  "weight_decay": weight_decay, **extra})

    def init_state(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)

    def first_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor:
        b1 = group["betas"][0]
        m = state["exp_avg"].lerp_(g, 1 - b1)
        return m / (1 - b1 ** state["step"]) if group["bias_correction"] else m

    def _average_sq(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor:
        b2 = group["betas"][1]
        return state["exp_avg_sq"].mul_(b2).addcmul_(g, g, value=1 - b2)

    def second_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor | None:
        v = self._average_sq(g, state, group)
        return v / (1 - group["betas"][1] ** state["step"]) if group["bias_correction"] else v


class Nadam(Adam):
    """Nadam (Dozat 2016): Adam whose first moment looks one momentum step ahead (chapter 03).

    With ``mu_t`` the momentum schedule and ``P_t = mu_1 ... mu_t``, the framework's first
    moment is ``(1 - mu_t) / (1 - P_t) g_t + mu_{t+1} / (1 - P_{t+1}) m_t``, where
    ``m_t = beta1 m_{t-1} + (1 - beta1) g_t``; ``V_t = v_t / (1 - beta2**t)`` as in Adam. No
    gradient is taken away from the current point: the look-ahead is in the moment.
    ``momentum_decay=psi`` uses ``mu_t = beta1 (1 - 0.5 * 0.96**(t psi))`` (PyTorch's
    default ``psi = 0.004``); ``momentum_decay=None`` uses the constant ``mu_t = beta1``.
    Matches ``torch.optim.NAdam(params, lr, betas, eps, momentum_decay)``.

    Args:
        params: parameters or parameter groups.
        lr: the learning rate (>= 0).
        betas: ``(beta1, beta2)``, each in [0, 1).
        eps: added to ``sqrt(V_t)`` (>= 0).
        momentum_decay: ``psi`` (>= 0) or ``None``.
        weight_decay: L2 coefficient (>= 0).
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, momentum_decay: float | None = 4e-3, weight_decay: float = 0.0) -> None:
        if momentum_decay is not None:
            _check_nonnegative("momentum_decay", momentum_decay, "Dozat's schedule parameter psi")
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         momentum_decay=momentum_decay)

    @staticmethod
    def _mu(t: int, group: Mapping[str, Any]) -> float:
        b1, psi = group["betas"][0], group["momentum_decay"]
        return b1 if psi is None else b1 * (1.0 - 0.5 * 0.96 ** (t * psi))

    def init_state(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        super().init_state(p, state, group)
        state["mu_product"] = 1.0

    def first_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor:
        t = state["step"]
        mu, mu_next = self._mu(t, group), self._mu(t + 1, group)
        state["mu_product"] *= mu
        product, product_next = state["mu_product"], state["mu_product"] * mu_next
        m = state["exp_avg"].lerp_(g, 1 - group["betas"][0])
        return g.mul((1 - mu) / (1 - product)).add_(m, alpha=mu_next / (1 - product_next))


class AMSGrad(Adam):
    """AMSGrad (Reddi, Kale & Kumar 2018): Adam with the running maximum of the second moment (chapter 03).

    ``v_t`` is Adam's ordinary exponential average; the method keeps
    ``v^_t = max(v^_{t-1}, v_t)`` and divides by ``sqrt(v^_t)``. The maximum is *not* fed back
    into the average. ``bias_correction=True`` (default) matches
    ``torch.optim.Adam(..., amsgrad=True)``, which divides ``v^_t`` by ``1 - beta2**t`` and
    ``m_t`` by ``1 - beta1**t``; ``bias_correction=False`` is the paper's algorithm.

    Args:
        params: parameters or parameter groups.
        lr: the learning rate (>= 0).
        betas: ``(beta1, beta2)``, each in [0, 1).
        eps: added to ``sqrt(V_t)`` (>= 0; the paper has none).
        bias_correction: PyTorch's corrections (``False``: Reddi et al.).
        weight_decay: L2 coefficient (>= 0).
    """

    def init_state(self, p: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        super().init_state(p, state, group)
        state["max_exp_avg_sq"] = torch.zeros_like(p)

    def second_moment(self, g: Tensor, state: dict[str, Any], group: Mapping[str, Any]) -> Tensor | None:
        v = self._average_sq(g, state, group)  # the ordinary average: the max never enters it
        vmax = torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        return vmax / (1 - group["betas"][1] ** state["step"]) if group["bias_correction"] else vmax


#: The nine optimizers of chapter 03, by display name.
OPTIMIZERS: dict[str, type[MomentOptimizer]] = {
    "SGD": SGD,
    "Momentum": SGDMomentum,
    "Nesterov": Nesterov,
    "AdaGrad": AdaGrad,
    "RMSProp": RMSProp,
    "AdaDelta": AdaDelta,
    "Adam": Adam,
    "Nadam": Nadam,
    "AMSGrad": AMSGrad,
}


def make_optimizer(name: str, params: ParamsT, lr: float | None = None, **kwargs: Any) -> MomentOptimizer:
    """Build one of :data:`OPTIMIZERS` by name (``lr=None``: the class default) (chapter 03).

    Raises:
        ValueError: an unknown name (the message lists the valid ones).
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if lr is not None:
        kwargs["lr"] = lr
    return OPTIMIZERS[name](params, **kwargs)


# --------------------------------------------------------------------------- comparison with torch.optim

Factory = Callable[[list[Tensor]], torch.optim.Optimizer]

#: name -> (our optimizer, its ``torch.optim`` counterpart), both as ``params -> optimizer``,
#: with non-default hyperparameters so that every code path is exercised.
TORCH_PAIRS: dict[str, tuple[Factory, Factory]] = {
    "SGD": (lambda p: SGD(p, lr=0.05, weight_decay=0.01),
            lambda p: torch.optim.SGD(p, lr=0.05, weight_decay=0.01)),
    "Momentum": (lambda p: SGDMomentum(p, lr=0.02, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9)),
    "Momentum (dampening 0.3)": (lambda p: SGDMomentum(p, lr=0.02, momentum=0.8, dampening=0.3),
                                 lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.8, dampening=0.3)),
    "Momentum (notes' average)": (lambda p: SGDMomentum(p, lr=0.2, momentum=0.9, ema=True),
                                  lambda p: torch.optim.SGD(p, lr=0.2 * (1 - 0.9), momentum=0.9)),
    "Nesterov": (lambda p: Nesterov(p, lr=0.02, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True)),
    "Nesterov (notes' average)": (lambda p: Nesterov(p, lr=0.2, momentum=0.9, ema=True),
                                  lambda p: torch.optim.SGD(p, lr=0.2 * (1 - 0.9), momentum=0.9, nesterov=True)),
    "AdaGrad": (lambda p: AdaGrad(p, lr=0.1, initial_accumulator_value=0.1),
                lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1)),
    "RMSProp": (lambda p: RMSProp(p, lr=0.01, beta2=0.95),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.95)),
    "RMSProp (centered)": (lambda p: RMSProp(p, lr=0.01, centered=True),
                           lambda p: torch.optim.RMSprop(p, lr=0.01, centered=True)),
    "AdaDelta": (lambda p: AdaDelta(p),
                 lambda p: torch.optim.Adadelta(p)),
    "AdaDelta (lr 0.5)": (lambda p: AdaDelta(p, lr=0.5, rho=0.95, eps=1e-5),
                          lambda p: torch.optim.Adadelta(p, lr=0.5, rho=0.95, eps=1e-5)),
    "Adam": (lambda p: Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01),
             lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)),
    "Nadam": (lambda p: Nadam(p, lr=0.01),
              lambda p: torch.optim.NAdam(p, lr=0.01)),
    "Nadam (momentum_decay 0)": (lambda p: Nadam(p, lr=0.01, momentum_decay=0.0),
                            lambda p: torch.optim.NAdam(p, lr=0.01, momentum_decay=0.0)),
    "AMSGrad": (lambda p: AMSGrad(p, lr=0.01),
                lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True)),
}


def random_problem(seed: int = 0, n: int = 64, d: int = 10, dtype: torch.dtype = torch.float64
                   ) -> Callable[[Tensor, int], Tensor]:
    """A random smooth, non-quadratic loss ``loss(theta, t)`` with a changing mini-batch (chapter 03).

    A logistic-regression loss plus a small quartic term on one of four fixed mini-batches
    of ``n // 4`` rows (chosen by ``t % 4``), so that the gradients change from step to
    step as in stochastic training. ``theta`` has shape ``(d,)``.
    """
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen, dtype=dtype)
    y = (torch.rand(n, generator=gen, dtype=dtype) < 0.5).to(dtype) * 2 - 1
    batches = torch.arange(n).reshape(4, -1)

    def loss(theta: Tensor, t: int) -> Tensor:
        rows = batches[t % 4]
        margins = y[rows] * (X[rows] @ theta)
        return torch.nn.functional.softplus(-margins).mean() + 0.01 * (theta ** 4).sum()

    return loss


def run_optimizer(make: Factory, loss: Callable[[Tensor, int], Tensor], theta0: Tensor, steps: int
                  ) -> Tensor:
    """The iterates ``theta_1 .. theta_steps`` of an optimizer on ``loss`` (shape ``(steps, d)``) (chapter 03)."""
    theta = theta0.clone().requires_grad_(True)
    opt = make([theta])
    out = torch.empty((steps, theta.numel()), dtype=theta.dtype)
    for t in range(steps):
        def closure() -> Tensor:
            opt.zero_grad()
            value = loss(theta, t)
            value.backward()
            return value
        opt.step(closure)
        out[t] = theta.detach()
    return out


def max_deviation_from_torch(make_ours: Factory, make_torch: Factory, *, steps: int = 200, seed: int = 0,
                             d: int = 10, dtype: torch.dtype = torch.float64) -> float:
    """The largest coordinate difference between our iterates and ``torch.optim``'s (chapter 03).

    Both optimizers start from the same random point of :func:`random_problem` and take
    ``steps`` steps; the result is ``max_t max_i |theta_t[i] - theta'_t[i]|`` in parameter units.
    """
    loss = random_problem(seed, d=d, dtype=dtype)
    theta0 = torch.randn(d, generator=torch.Generator().manual_seed(seed + 1), dtype=dtype)
    ours = run_optimizer(make_ours, loss, theta0, steps)
    theirs = run_optimizer(make_torch, loss, theta0, steps)
    return float((ours - theirs).abs().max())


# --------------------------------------------------------------------------- 2-D landscapes


@dataclass(frozen=True)
class Landscape:
    """A 2-D test function for trajectory plots (chapter 03).

    Attributes:
        name: display name.
        f: ``f(x, y)`` on tensors or arrays (same broadcasting as NumPy).
        start: the starting point ``(x0, y0)``.
        minimum: a global minimiser (for distances).
        xlim, ylim: the plotted window.
        lr: a learning rate per optimizer name (fixed by hand, a priori, for the figures).
        steps: the default number of steps.
        log_levels: draw contours of ``log(1 + f - f_min)`` (for steep functions).
    """

    name: str
    f: Callable[[Any, Any], Any]
    start: tuple[float, float]
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    lr: dict[str, float] = field(default_factory=dict)
    steps: int = 200
    log_levels: bool = False

    def __call__(self, x: Any, y: Any) -> Any:
        return self.f(x, y)


def _exp(v: Any) -> Any:
    return torch.exp(v) if isinstance(v, Tensor) else np.exp(v)


LANDSCAPES: dict[str, Landscape] = {
    "ill-conditioned quadratic": Landscape(
        "ill-conditioned quadratic", lambda x, y: 0.5 * (x ** 2 + 25.0 * y ** 2),
        start=(-4.5, 1.2), minimum=(0.0, 0.0), xlim=(-5.0, 1.5), ylim=(-1.6, 1.6),
        lr={"SGD": 0.07, "Momentum": 0.01, "Nesterov": 0.01, "AdaGrad": 1.0, "RMSProp": 0.05,
            "AdaDelta": 1.0, "Adam": 0.2, "Nadam": 0.2, "AMSGrad": 0.2}, steps=80),
    "Rosenbrock": Landscape(
        "Rosenbrock", lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x ** 2) ** 2,
        start=(-1.2, 1.0), minimum=(1.0, 1.0), xlim=(-1.6, 1.6), ylim=(-0.6, 1.7),
        lr={"SGD": 1.5e-3, "Momentum": 4e-4, "Nesterov": 4e-4, "AdaGrad": 0.5, "RMSProp": 0.01,
            "AdaDelta": 1.0, "Adam": 0.05, "Nadam": 0.05, "AMSGrad": 0.05}, steps=400, log_levels=True),
    "saddle": Landscape(
        "saddle", lambda x, y: x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2,
        start=(1.5, 1e-6), minimum=(0.0, 1.0), xlim=(-1.7, 1.7), ylim=(-1.4, 1.4),
        lr={"SGD": 0.05, "Momentum": 0.01, "Nesterov": 0.01, "AdaGrad": 0.3, "RMSProp": 0.02,
            "AdaDelta": 1.0, "Adam": 0.05, "Nadam": 0.05, "AMSGrad": 0.05}, steps=200),
    "plateau": Landscape(
        "plateau", lambda x, y: 1.0 - _exp(-(x ** 2 + y ** 2)),
        start=(2.4, 1.8), minimum=(0.0, 0.0), xlim=(-1.2, 2.8), ylim=(-1.2, 2.2),
        lr={"SGD": 0.5, "Momentum": 0.1, "Nesterov": 0.1, "AdaGrad": 0.5, "RMSProp": 0.02,
            "AdaDelta": 1.0, "Adam": 0.05, "Nadam": 0.05, "AMSGrad": 0.05}, steps=200),
}


def trajectory(name: str, landscape: Landscape, *, lr: float | None = None, steps: int | None = None,
               **kwargs: Any) -> np.ndarray:
    """The path of optimizer ``name`` on a 2-D landscape, shape ``(steps + 1, 2)`` (chapter 03).

    Args:
        name: a key of :data:`OPTIMIZERS`.
        landscape: the function and its start.
        lr: the learning rate (default: ``landscape.lr[name]``).
        steps: the number of steps (default: ``landscape.steps``).
        **kwargs: further hyperparameters of the optimizer.

    Returns:
        The iterates, starting with ``landscape.start``, in float64; a run that leaves the
        plotting window by a factor 100 or becomes non-finite stops early (the path then
        has fewer rows).
    """
    lr = landscape.lr[name] if lr is None else lr
    steps = landscape.steps if steps is None else steps
    theta = torch.tensor(landscape.start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(name, [theta], lr=lr, **kwargs)
    path = [theta.detach().numpy().copy()]
    bound = 100 * max(abs(v) for v in (*landscape.xlim, *landscape.ylim))

    def closure() -> Tensor:
        opt.zero_grad()
        value = landscape(theta[0], theta[1])
        value.backward()
        return value

    for _ in range(steps):
        opt.step(closure)
        point = theta.detach().numpy().copy()
        if not np.all(np.isfinite(point)) or np.abs(point).max() > bound:
            break
        path.append(point)
    return np.asarray(path)


# --------------------------------------------------------------------------- Reddi et al.'s counterexample


def reddi_gradient(t: int, C: float = 3.0) -> float:
    """The gradient of ``f_t(x) = C x`` if ``t mod 3 == 1`` else ``-x`` (chapter 03; ``t`` counts from 1)."""
    return C if t % 3 == 1 else -1.0


def reddi_online(name: str, *, steps: int, C: float = 3.0, alpha: float = 0.1,
                 betas: tuple[float, float] | None = None, x0: float = 1.0, bias_correction: bool = False,
                 eps: float = 0.0, stochastic: bool = False, delta: float = 0.1, seed: int = 0) -> np.ndarray:
    """Run Adam or AMSGrad on the online problem of Reddi, Kale & Kumar (2018) (chapter 03).

    Deterministic version (their Section 3): on ``F = [-1, 1]`` the losses are
    ``f_t(x) = C x`` when ``t mod 3 == 1`` and ``-x`` otherwise (``t = 1, 2, ...``); the
    step size is ``alpha / sqrt(t)`` and every step is followed by the projection onto
    ``F`` (in one dimension the weighted projection of the paper is clipping). The
    optimum of the average loss is ``x = -1`` (for ``C > 2``).

    Stochastic version (``stochastic=True``, the setting of their Theorem 3): at each step
    ``f_t(x) = C x`` with probability ``p = (1 + delta) / (C + 1)`` and ``-x`` otherwise, so the
    expected loss ``(C p - (1 - p)) x = delta x`` is again minimised at ``x = -1``.

    Args:
        name: ``"Adam"`` or ``"AMSGrad"``.
        steps: the horizon ``T``.
        C: the large gradient (> 2 for the deterministic counterexample).
        alpha: the base step size.
        betas: ``(beta1, beta2)``; default ``(0, 1 / (1 + C**2))``, the paper's choice.
        x0: the starting point in ``[-1, 1]``.
        bias_correction: use Kingma & Ba's corrections (the paper's Adam has none).
        eps: added to ``sqrt(V_t)`` (the paper has none).
        stochastic: the stochastic version.
        delta: the margin of the stochastic version.
        seed: the seed of the stochastic version.

    Returns:
        ``x_1, ..., x_{T+1}`` (shape ``(steps + 1,)``), ``x_1 = x0``.
    """
    if name not in ("Adam", "AMSGrad"):
        raise ValueError(f"reddi_online runs 'Adam' or 'AMSGrad', got {name!r}")
    if not -1.0 <= x0 <= 1.0:
        raise ValueError(f"x0 must lie in the feasible set [-1, 1], got {x0}")
    betas = (0.0, 1.0 / (1.0 + C ** 2)) if betas is None else betas
    x = torch.tensor([x0], dtype=torch.float64, requires_grad=True)
    opt = OPTIMIZERS[name]([x], lr=alpha, betas=betas, eps=eps, bias_correction=bias_correction)
    rng = np.random.default_rng(seed)
    p_large = (1.0 + delta) / (C + 1.0)
    xs = np.empty(steps + 1)
    xs[0] = x0
    for t in range(1, steps + 1):
        if stochastic:
            slope = C if rng.random() < p_large else -1.0
        else:
            slope = reddi_gradient(t, C)
        opt.zero_grad()
        (slope * x).sum().backward()  # f_t(x) = slope * x
        opt.param_groups[0]["lr"] = alpha / math.sqrt(t)
        opt.step()
        with torch.no_grad():
            x.clamp_(-1.0, 1.0)  # projection onto F = [-1, 1]
        xs[t] = float(x.detach())
    return xs


def average_regret(xs: np.ndarray, C: float = 3.0) -> float:
    """``R_T / T`` of the deterministic problem for the plays ``x_1..x_T`` (chapter 03).

    ``R_T = sum_t f_t(x_t) - min_{x in [-1, 1]} sum_t f_t(x)`` (in loss units); the minimiser is
    ``-1`` when ``C > 2`` and ``T`` is a multiple of 3. The plays of a run of :func:`reddi_online`
    are ``xs[:-1]`` (its last entry is the point after the last step).
    """
    T = len(xs)
    slopes = np.array([reddi_gradient(t, C) for t in range(1, T + 1)])
    total = float(slopes @ xs)
    best = min(float(slopes.sum()) * s for s in (-1.0, 1.0))
    return (total - best) / T
