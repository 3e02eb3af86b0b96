"""Training a generator/discriminator pair, k discriminator steps per generator step.

Chapter 06 introduces it; chapters 07 and 09 reuse it.

See :mod:`course_lib.gan` for the conventions (raw scores, minimised losses, nats).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import Tensor, nn

from ..training import History, fit
from .losses import _check_kind, clip_weights_, discriminator_loss, generator_loss, gradient_penalty


def _step_generator(seed: int, step: int, stream: int = 0) -> torch.Generator:
    """A generator seeded by ``(seed, step, stream)``: batches that do not depend on the session."""
    state = np.random.SeedSequence([int(seed), int(step), int(stream), 6]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


def _set_requires_grad(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


def fit_discriminator(
    discriminator: nn.Module,
    sample_data: Callable[[int, torch.Generator], Tensor],
    sample_model: Callable[[int, torch.Generator], Tensor],
    *,
    steps: int,
    batch: int = 512,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
) -> History:
    """Train a discriminator alone against a *fixed* model distribution (chapter 06's check of D*).

    Minimises the cross-entropy ``-E log D(x) - E log(1 - D(y))``, ``x ~ sample_data``,
    ``y ~ sample_model``, with Adam; fresh samples at every step, drawn from a generator seeded
    by ``(seed, step)``. ``sample_*(n, generator)`` return ``(n, dim)`` tensors.
    """
    opt = torch.optim.Adam(discriminator.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1), eta_min=lr / 20)

    def batches(step: int) -> tuple[Tensor, Tensor]:
        gen = _step_generator(seed, step)
        return sample_data(batch, gen), sample_model(batch, gen)

    def loss_fn(model: nn.Module, b: tuple[Tensor, Tensor]) -> Tensor:
        return discriminator_loss(model(b[0]), model(b[1]), "nonsaturating")

    return fit(discriminator, loss_fn, batches, steps=steps, optimizer=opt, scheduler=sched,
               log_every=max(1, steps // 50), progress=progress, desc="discriminator")


@dataclass(frozen=True)
class GANConfig:
    """How a GAN is trained (chapter 06).

    Attributes:
        loss: one of :data:`KINDS`.
        d_steps: discriminator (critic) steps per generator step, ``k`` (G:D ratio 1:k).
        batch: samples per batch (real and fake each).
        lr_g, lr_d: learning rates of generator and discriminator.
        betas: Adam's ``(beta1, beta2)`` (DCGAN: ``(0.5, 0.999)``); ignored by RMSprop.
        optimizer: ``"adam"`` or ``"rmsprop"`` (the original WGAN).
        clip: weight-clipping bound ``c`` of ``wgan-clip``.
        gp_weight: ``lambda`` of ``wgan-gp``.
        seed: seeds the batches (the networks' initial weights are the caller's).
    """

    loss: str = "nonsaturating"
    d_steps: int = 1
    batch: int = 128
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    optimizer: str = "adam"
    clip: float = 0.01
    gp_weight: float = 10.0
    seed: int = 0

    def __post_init__(self) -> None:
        _check_kind(self.loss)
        for name in ("d_steps", "batch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GANConfig.{name} must be a positive integer, got {value!r}")
        for name in ("lr_g", "lr_d", "clip"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"GANConfig.{name} must be a positive number, got {value!r}")
        if not (isinstance(self.gp_weight, (int, float)) and self.gp_weight >= 0):
            raise ValueError(f"GANConfig.gp_weight must be >= 0, got {self.gp_weight!r}")
        if self.optimizer not in ("adam", "rmsprop"):
            raise ValueError(f"GANConfig.optimizer must be 'adam' or 'rmsprop', got {self.optimizer!r}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"GANConfig.betas must be two numbers in [0, 1), got {self.betas!r}")
        object.__setattr__(self, "betas", (float(self.betas[0]), float(self.betas[1])))


def make_optimizer(pair: nn.Module, config: GANConfig) -> torch.optim.Optimizer:
    """One optimizer with two parameter groups: ``[generator (lr_g), discriminator (lr_d)]``."""
    groups = [{"params": list(pair.generator.parameters()), "lr": config.lr_g},
              {"params": list(pair.discriminator.parameters()), "lr": config.lr_d}]
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=config.lr_g)
    return torch.optim.Adam(groups, lr=config.lr_g, betas=config.betas)


class _Stats:
    """Running sums of per-step quantities, emptied by :meth:`flush` (the values of one log interval)."""

    def __init__(self) -> None:
        self.sums: dict[str, list[float]] = {}

    def add(self, **values: float) -> None:
        for key, value in values.items():
            entry = self.sums.setdefault(key, [0.0, 0])
            entry[0] += float(value)
            entry[1] += 1

    def flush(self) -> dict[str, float]:
        out = {key: (s / n if n else float("nan")) for key, (s, n) in self.sums.items()}
        self.sums = {}
        return out


#: What :func:`train_gan` logs at every eval point (``History.evals``), besides ``eval_fn``'s values.
GAN_STAT_FIELDS: tuple[str, ...] = ("d_loss", "d_real", "d_fake", "g_fake", "g_score_grad", "g_param_grad")


def train_gan(
    pair: nn.Module,
    config: GANConfig,
    sample_real: Callable[[int, torch.Generator], Tensor],
    *,
    steps: int,
    log_every: int = 10,
    eval_fn: Callable[[nn.Module], Mapping[str, float]] | None = None,
    probe_every: int = 10,
    checkpoint_path: str | Path | None = None,
    checkpoint_every: int | None = None,
    progress: bool = False,
    meta: Mapping[str, Any] | None = None,
    desc: str = "GAN",
) -> History:
    """Train ``pair.generator`` and ``pair.discriminator`` by alternating updates (chapter 06).

    Each of the ``steps`` iterations makes ``config.d_steps`` discriminator updates, each on
    a fresh real batch and fresh fakes (the generator is held fixed), then one generator update
    (the discriminator is held fixed): Algorithm 1 of Goodfellow et al. with ``k = d_steps``.
    ``wgan-clip`` clips the critic's weights after each of its updates; ``wgan-gp`` adds
    ``gp_weight * gradient_penalty``. Batches come from a generator seeded by ``(seed, step)``,
    so a resumed run (``checkpoint_path``) continues exactly.

    Logged (``History``): ``losses`` = the generator loss; every ``log_every`` steps the eval
    entries :data:`GAN_STAT_FIELDS`, averaged over the interval: ``d_loss`` (the discriminator's
    loss, penalty included), ``d_real`` / ``d_fake`` (mean ``D`` = sigmoid of the score for
    the cross-entropy losses, the mean raw score otherwise, before the discriminator's update),
    ``g_fake`` (the same for the fakes of the generator step), ``g_score_grad`` (the measured mean
    ``|d loss_i / d score_i|`` of the generator step, per sample) and ``g_param_grad`` (the norm of
    the generator loss's gradient over all generator weights, measured every ``probe_every``
    steps), plus what ``eval_fn(pair)`` returns.

    Args:
        pair: a module with ``.generator`` (with ``.latent``) and ``.discriminator``.
        config: the :class:`GANConfig`.
        sample_real: ``sample_real(n, generator) -> (n, ...)`` real samples.
        steps: generator updates.
        log_every: interval of the logs (also of ``eval_fn``).
        eval_fn: optional ``eval_fn(pair) -> {name: number}``, run in eval mode without gradients.
        probe_every: interval of the ``g_param_grad`` measurement (costs one extra backward pass).
        checkpoint_path, checkpoint_every: the resumable training state (see :func:`course_lib.training.fit`);
            ``checkpoint_every`` must be a multiple of ``log_every`` so that no logged interval is split.
        progress: show a progress bar.
        meta: plain values stored with the training state (resuming checks them).
        desc: the progress bar's label.

    Returns:
        The :class:`~course_lib.training.History`.
    """
    if not hasattr(pair, "generator") or not hasattr(pair, "discriminator"):
        raise TypeError("train_gan needs a module with .generator and .discriminator (DCGAN, ToyGAN)")
    if checkpoint_every is not None and checkpoint_every % log_every:
        raise ValueError(f"checkpoint_every ({checkpoint_every}) must be a multiple of log_every ({log_every})")
    G, D = pair.generator, pair.discriminator
    latent, k, kind = int(G.latent), config.d_steps, config.loss
    optimizer = make_optimizer(pair, config)
    stats = _Stats()
    probabilities = kind in ("saturating", "nonsaturating")

    def batches(step: int) -> dict[str, Any]:
        gen = _step_generator(config.seed, step)
        real = sample_real(k * config.batch, gen)
        real = real.reshape((k, config.batch) + tuple(real.shape[1:]))
        z = torch.randn(k + 1, config.batch, latent, generator=gen)
        return {"real": real, "z": z, "gen": gen, "step": step}

    def summary(scores: Tensor) -> float:
        return float((torch.sigmoid(scores) if probabilities else scores).mean())

    def loss_fn(model: nn.Module, batch: dict[str, Any]) -> Tensor:
        _set_requires_grad(D, True)
        for j in range(k):
            optimizer.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = G(batch["z"][j])
            real_scores, fake_scores = D(batch["real"][j]), D(fake)
            loss_d = discriminator_loss(real_scores, fake_scores, kind)
            if kind == "wgan-gp" and config.gp_weight > 0:
                loss_d = loss_d + config.gp_weight * gradient_penalty(D, batch["real"][j], fake, batch["gen"])
            if not torch.isfinite(loss_d):
                raise FloatingPointError(f"the discriminator loss is {float(loss_d)} at step {batch['step'] + 1}")
            loss_d.backward()
            optimizer.step()
            if kind == "wgan-clip":
                clip_weights_(D, config.clip)
            stats.add(d_loss=float(loss_d.detach()), d_real=summary(real_scores.detach()),
                      d_fake=summary(fake_scores.detach()))
        optimizer.zero_grad(set_to_none=True)
        _set_requires_grad(D, False)
        scores = D(G(batch["z"][k]))
        loss_g = generator_loss(scores, kind)
        (per_score,) = torch.autograd.grad(loss_g, scores, retain_graph=True)
        values = {"g_fake": summary(scores.detach()),
                  "g_score_grad": float(per_score.abs().mean()) * scores.shape[0]}
        if probe_every and batch["step"] % probe_every == 0:
            grads = torch.autograd.grad(loss_g, [p for p in G.parameters()], retain_graph=True, allow_unused=True)
            values["g_param_grad"] = math.sqrt(sum(float((g**2).sum()) for g in grads if g is not None))
        stats.add(**values)
        return loss_g

    def watch(model: nn.Module) -> dict[str, float]:
        values = stats.flush()
        out = {key: values.get(key, float("nan")) for key in GAN_STAT_FIELDS}
        if eval_fn is not None:
            out.update(eval_fn(model))
        return out

    run_meta = {"config": {k2: (list(v) if isinstance(v, tuple) else v) for k2, v in asdict(config).items()},
                **dict(meta or {})}
    try:
        hist = fit(pair, loss_fn, batches, steps=steps, optimizer=optimizer, log_every=log_every,
                   eval_fn=watch, eval_every=log_every, checkpoint_path=checkpoint_path,
                   checkpoint_every=checkpoint_every, progress=progress, meta=run_meta, desc=desc)
    finally:
        _set_requires_grad(D, True)
    return hist
