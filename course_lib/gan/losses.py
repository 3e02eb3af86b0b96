"""Generator, discriminator and critic losses, weight clipping, WGAN-GP's gradient penalty.

Chapter 06 defines them; chapters 07 and 09 reuse them.

See :mod:`course_lib.gan` for the conventions (raw scores, minimised losses, nats).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


#: The generator losses of the DCGAN experiment (the discriminator loss goes with them).
LOSS_KINDS: tuple[str, ...] = ("saturating", "nonsaturating", "lsgan")
#: The Wasserstein critics (chapter 06 toys; chapters 07 and 09).
CRITIC_KINDS: tuple[str, ...] = ("wgan-clip", "wgan-gp")
KINDS: tuple[str, ...] = LOSS_KINDS + CRITIC_KINDS


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown GAN loss kind {kind!r}; valid kinds are: {', '.join(KINDS)}")
    return kind


def _scores(scores: Tensor, name: str) -> Tensor:
    if not isinstance(scores, Tensor):
        raise TypeError(f"{name} must be a torch tensor of raw scores, got {type(scores).__name__}")
    if not scores.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {scores.dtype}")
    if scores.numel() == 0:
        raise ValueError(f"{name} is empty: a loss needs at least one score")
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim != 1:
        raise ValueError(f"{name} must hold one raw score per sample, shape (N,) or (N, 1); got {tuple(scores.shape)}")
    return scores


def saturating_generator_loss(fake_scores: Tensor) -> Tensor:
    """``E log(1 - D(G(z)))`` from the logits of the fakes (the generator *minimises* it; nats, <= 0)."""
    return -F.softplus(_scores(fake_scores, "fake_scores")).mean()


def nonsaturating_generator_loss(fake_scores: Tensor) -> Tensor:
    """``-E log D(G(z)) = E softplus(-a)`` from the logits ``a`` of the fakes (nats, >= 0)."""
    return F.softplus(-_scores(fake_scores, "fake_scores")).mean()


def discriminator_loss(real_scores: Tensor, fake_scores: Tensor, kind: str = "nonsaturating") -> Tensor:
    """The loss the discriminator (or critic) minimises, from raw scores of shape ``(N,)``.

    Args:
        real_scores: scores of data samples.
        fake_scores: scores of generated samples (detach them for a discriminator step).
        kind: one of :data:`KINDS`; ``saturating`` and ``nonsaturating`` share the
            cross-entropy ``-E log D(x) - E log(1 - D(G(z)))``.

    Returns:
        A scalar tensor (nats for the cross-entropy; score units squared for ``lsgan``;
        score units for the critics, where it is the *negative* of the estimated
        Wasserstein distance, without the gradient penalty).
    """
    _check_kind(kind)
    real, fake = _scores(real_scores, "real_scores"), _scores(fake_scores, "fake_scores")
    if kind in ("saturating", "nonsaturating"):
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if kind == "lsgan":
        return ((real - 1.0) ** 2).mean() + (fake**2).mean()
    return fake.mean() - real.mean()


def generator_loss(fake_scores: Tensor, kind: str = "nonsaturating") -> Tensor:
    """The loss the generator minimises, from the raw scores of its samples (see the module table)."""
    _check_kind(kind)
    fake = _scores(fake_scores, "fake_scores")
    if kind == "saturating":
        return saturating_generator_loss(fake)
    if kind == "nonsaturating":
        return nonsaturating_generator_loss(fake)
    if kind == "lsgan":
        return ((fake - 1.0) ** 2).mean()
    return -fake.mean()


def generator_score_gradient(scores: Tensor | np.ndarray | float, kind: str) -> Tensor:
    """The derivative of one sample's generator loss with respect to its raw score, analytically.

    This is the factor by which the chain rule multiplies ``d score / d theta_G``:

    * saturating ``log(1 - sigmoid(a))``: ``-sigmoid(a) = -D`` (vanishes as ``D(G(z)) -> 0``);
    * non-saturating ``-log sigmoid(a)``: ``sigmoid(a) - 1 = -(1 - D)`` (about -1 as ``D -> 0``);
    * least squares ``(s - 1)^2``: ``2 (s - 1)``; Wasserstein ``-s``: ``-1``.

    Returns:
        A float64 tensor of the shape of ``scores`` (chapter 06, the gradient figure).
    """
    _check_kind(kind)
    a = torch.as_tensor(scores, dtype=torch.float64)
    if kind == "saturating":
        return -torch.sigmoid(a)
    if kind == "nonsaturating":
        return torch.sigmoid(a) - 1.0
    if kind == "lsgan":
        return 2.0 * (a - 1.0)
    return -torch.ones_like(a)


def clip_weights_(module: nn.Module, clip: float) -> nn.Module:
    """Clamp every parameter of ``module`` into ``[-clip, clip]`` in place (WGAN's weight clipping)."""
    if not (isinstance(clip, (int, float)) and math.isfinite(clip) and clip > 0):
        raise ValueError(f"clip must be a positive number, got {clip!r}")
    with torch.no_grad():
        for p in module.parameters():
            p.clamp_(-clip, clip)
    return module


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | None = None,
    *,
    one_sided: bool = False,
) -> Tensor:
    """The gradient penalty of WGAN-GP (Gulrajani et al., NeurIPS 2017), chapters 06, 07 and 09.

    Draws one ``eps ~ U[0, 1]`` per sample, forms ``x_hat = eps * real + (1 - eps) * fake``
    and returns

        ``mean_i (||grad_x critic(x_hat_i)||_2 - 1)^2``

    (``one_sided=True``: ``mean_i max(||grad|| - 1, 0)^2``, the variant of Lunz et al. 2018
    used in chapter 09). The norm is taken per sample over all its coordinates. The graph
    is kept (``create_graph=True``), so the penalty can be back-propagated into the critic's
    parameters; ``real`` and ``fake`` are detached, so it never reaches a generator. Multiply
    by the weight ``lambda`` (10 in Gulrajani et al.) yourself.

    Args:
        critic: maps a batch shaped like ``real`` to one score per sample, ``(N,)`` or ``(N, 1)``.
        real, fake: batches of the same shape ``(N, ...)``, floating point.
        generator: the ``torch.Generator`` for ``eps``, drawn as
            ``torch.rand((N, 1, ..., 1), generator=generator)`` (``None``: the global generator).
        one_sided: penalise only gradient norms above 1.

    Returns:
        A scalar tensor (dimensionless: squared deviations of a Lipschitz constant from 1).

    Raises:
        ValueError: shapes differ, an empty batch, or the critic does not return one score per sample.
        TypeError: non-floating inputs.
    """
    for name, t in (("real", real), ("fake", fake)):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradient_penalty: {name} must be a torch tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"gradient_penalty: {name} must be floating point, got {t.dtype}")
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty: real and fake must have the same shape, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    if real.ndim < 1 or real.shape[0] == 0:
        raise ValueError("gradient_penalty: the batch is empty")
    n = real.shape[0]
    eps = torch.rand((n,) + (1,) * (real.ndim - 1), generator=generator, dtype=real.dtype).to(real.device)
    x_hat = (eps * real.detach() + (1.0 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    if not isinstance(scores, Tensor) or scores.numel() != n:
        shape = tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__
        raise ValueError(f"gradient_penalty: the critic must return one score per sample ({n}), got {shape}")
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grad.reshape(n, -1).norm(dim=1)
    excess = (norms - 1.0).clamp(min=0.0) if one_sided else norms - 1.0
    return (excess**2).mean()
