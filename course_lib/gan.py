"""Generative adversarial networks: losses, theory checks, training loops, sample quality (chapter 06).

Chapter 06 uses everything here; chapters 07 and 09 reuse :func:`gradient_penalty` and the
Wasserstein losses, chapter 08 inverts the generator shipped by :func:`train_dcgan`.

Conventions
-----------
* A discriminator (or critic) returns one **raw score** per sample, shape ``(N,)``. For the
  cross-entropy losses the score is a logit ``a`` and ``D(x) = sigmoid(a)`` is the probability
  "real"; the least-squares and Wasserstein losses use the raw score itself.
* Losses are **minimised** by the player they belong to and averaged over the batch
  (natural logarithms, so cross-entropies are in nats).

  ===================  ===========================================  ==========================================
  ``kind``             discriminator / critic minimises              generator minimises
  ===================  ===========================================  ==========================================
  ``saturating``       ``-E log D(x) - E log(1 - D(G(z)))``          ``E log(1 - D(G(z)))`` (Goodfellow's minimax)
  ``nonsaturating``    same                                         ``-E log D(G(z))``
  ``lsgan``            ``E (s(x) - 1)^2 + E s(G(z))^2``              ``E (s(G(z)) - 1)^2`` (Mao et al. 2017)
  ``wgan-clip``        ``E s(G(z)) - E s(x)``, weights clipped       ``-E s(G(z))`` (Arjovsky et al. 2017)
  ``wgan-gp``          same + ``lambda * gradient_penalty``          ``-E s(G(z))`` (Gulrajani et al. 2017)
  ===================  ===========================================  ==========================================

  (``s`` is the raw score. Mao et al. put a factor 1/2 in front of the least-squares terms;
  it changes nothing for Adam.) Every cross-entropy is computed from the logit with
  ``softplus``, which never takes the logarithm of a rounded-to-zero probability:
  ``-log sigmoid(a) = softplus(-a)`` and ``-log(1 - sigmoid(a)) = softplus(a)``.
* Densities of the 1-D theory checks are arrays of values on a uniform grid with spacing
  ``dx``; integrals are Riemann sums ``sum(f) * dx``; ``0 log 0 = 0``.
* Images are on the [0, 1] scale, ``(N, 1, 28, 28)``.

Training
--------
:func:`train_gan` trains a module with ``.generator`` and ``.discriminator`` (a
:class:`~course_lib.models.dcgan.DCGAN` or a :class:`~course_lib.models.toy_gan.ToyGAN`) with
``k`` discriminator steps per generator step, through :func:`course_lib.training.fit` (so it
is resumable). One optimizer holds two parameter groups (generator first, discriminator
second); a step only moves the parameters that received a gradient, so this is exactly two
separate optimizers, saved together.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import data
from .config import by_profile
from .training import History, checkpoint_meta, fit, load_or_train, resume_path, save_checkpoint

__all__ = [
    "ARCHIVE_NAME",
    "CLASSIFIER_ARCH",
    "CLASSIFIER_NAME",
    "CRITIC_KINDS",
    "CURVE_FIELDS",
    "DATA_SPLIT",
    "DCGANRun",
    "DCGANRunArchive",
    "DCGANSchedule",
    "DCGAN_NAME",
    "FeatureStatistics",
    "GANConfig",
    "GAN_STAT_FIELDS",
    "GRID_SAMPLES",
    "KINDS",
    "LOSS_KINDS",
    "MAX_POINTS",
    "METRIC_FIELDS",
    "ModeCoverage",
    "RING_STD",
    "RUNS",
    "SHIPPED_RUN",
    "SampleQuality",
    "TOY_SETTINGS",
    "class_spread",
    "classifier_features",
    "clip_weights_",
    "count_modes",
    "dcgan_schedule",
    "discriminator_loss",
    "feature_statistics",
    "fit_discriminator",
    "frechet_distance",
    "generator_loss",
    "generator_score_gradient",
    "gradient_penalty",
    "js_divergence",
    "kl_divergence",
    "make_classifier",
    "make_dcgan",
    "make_optimizer",
    "make_run_archive",
    "nonsaturating_generator_loss",
    "optimal_discriminator",
    "quality_classifier",
    "reference_statistics",
    "sample_quality",
    "saturating_generator_loss",
    "train_classifier",
    "train_dcgan",
    "train_dcgan_runs",
    "train_gan",
    "train_ring",
    "uniform_grid",
    "value_function",
    "virtual_criterion",
]

#: The generator losses of the DCGAN experiment (the discriminator loss goes with them).
LOSS_KINDS: tuple[str, ...] = ("saturating", "nonsaturating", "lsgan")
#: The Wasserstein critics (chapter 06 toys; chapters 07 and 09).
CRITIC_KINDS: tuple[str, ...] = ("wgan-clip", "wgan-gp")
KINDS: tuple[str, ...] = LOSS_KINDS + CRITIC_KINDS


# =========================================================================== losses


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


# =========================================================================== 1-D theory by quadrature


def uniform_grid(lo: float, hi: float, n: int) -> tuple[np.ndarray, float]:
    """``n`` equally spaced points from ``lo`` to ``hi`` and their spacing ``dx`` (chapter 06 quadrature)."""
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"uniform_grid needs finite lo < hi, got {lo!r}, {hi!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"uniform_grid needs n >= 2 points, got {n!r}")
    x = np.linspace(lo, hi, n)
    return x, float(x[1] - x[0])


def _densities(*arrays: Any) -> list[np.ndarray]:
    out = []
    for a in arrays:
        arr = np.asarray(a.detach().cpu().numpy() if isinstance(a, Tensor) else a, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError("densities must be finite")
        if (arr < 0).any():
            raise ValueError(f"densities must be >= 0, got a minimum of {arr.min():.3g}")
        out.append(arr)
    if len({a.shape for a in out}) != 1:
        raise ValueError(f"densities must have the same shape, got {[a.shape for a in out]}")
    return out


def _check_dx(dx: float) -> float:
    if not (isinstance(dx, (int, float)) and math.isfinite(dx) and dx > 0):
        raise ValueError(f"dx must be a positive grid spacing, got {dx!r}")
    return float(dx)


def optimal_discriminator(p_data: Any, p_g: Any) -> np.ndarray:
    """``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` elementwise; 1/2 where both densities vanish.

    Goodfellow et al.'s Proposition 1 (chapter 06). Where ``p_data + p_g = 0`` the value of
    ``D`` does not affect ``V(D, G)``; the course returns 1/2 there.
    """
    p, q = _densities(p_data, p_g)
    total = p + q
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), 0.5)


def _xlogy_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``p log(p / q)`` with ``0 log(0 / q) = 0`` and ``+inf`` where ``p > 0 = q``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(np.where(q > 0, q, 1.0))), 0.0)
    return np.where((p > 0) & (q <= 0), np.inf, out)


def kl_divergence(p: Any, q: Any, dx: float) -> float:
    """``KL(p || q) = sum p log(p / q) dx`` in nats; ``inf`` when ``p > 0`` somewhere ``q = 0`` (chapter 06)."""
    p, q = _densities(p, q)
    return float(np.sum(_xlogy_ratio(p, q)) * _check_dx(dx))


def js_divergence(p: Any, q: Any, dx: float) -> float:
    """``JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2`` with ``m = (p + q) / 2``, in nats (0 <= JSD <= log 2)."""
    p, q = _densities(p, q)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m, dx) + 0.5 * kl_divergence(q, m, dx)


def value_function(d: Any, p_data: Any, p_g: Any, dx: float) -> float:
    """``V(D, G) = sum [p_data log D + p_g log(1 - D)] dx`` for discriminator values ``d`` on the grid (nats).

    Terms with a zero density count 0 (``0 log 0 = 0``); ``-inf`` when ``D`` is 0 where
    ``p_data > 0`` (or 1 where ``p_g > 0``).
    """
    p, q = _densities(p_data, p_g)
    dv = np.asarray(d.detach().cpu().numpy() if isinstance(d, Tensor) else d, dtype=np.float64)
    if dv.shape != p.shape:
        raise ValueError(f"d has shape {dv.shape}, the densities {p.shape}")
    if ((dv < 0) | (dv > 1) | ~np.isfinite(dv)).any():
        raise ValueError("discriminator values must lie in [0, 1]")
    with np.errstate(divide="ignore"):
        a = np.where(p > 0, p * np.log(np.where(p > 0, dv, 1.0)), 0.0)
        b = np.where(q > 0, q * np.log(np.where(q > 0, 1.0 - dv, 1.0)), 0.0)
    return float(np.sum(a + b) * _check_dx(dx))


def virtual_criterion(p_data: Any, p_g: Any, dx: float) -> float:
    """``C(G) = max_D V(D, G) = V(D*, G)`` by quadrature, in nats (chapter 06).

    Computed as ``sum [p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g))] dx``,
    which is ``V(D*, G)`` written without ``1 - D*`` (that difference rounds to 0 where ``p_g``
    is tiny compared with ``p_data``, and its logarithm would be ``-inf``).
    """
    p, q = _densities(p_data, p_g)
    total = p + q
    return float(np.sum(_xlogy_ratio(p, total) + _xlogy_ratio(q, total)) * _check_dx(dx))


# =========================================================================== training


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


# =========================================================================== sample quality


@dataclass(frozen=True)
class FeatureStatistics:
    """Mean and covariance of feature vectors (float64), the Gaussian summary of a Fréchet distance."""

    mean: np.ndarray
    cov: np.ndarray
    n: int


def feature_statistics(features: Tensor | np.ndarray) -> FeatureStatistics:
    """Mean and (unbiased) covariance of ``features`` of shape ``(N, d)``, ``N >= 2`` (chapter 06)."""
    f = np.asarray(features.detach().cpu().numpy() if isinstance(features, Tensor) else features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"features must have shape (N, d) with N >= 2, got {f.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError("features contain NaN or infinity")
    return FeatureStatistics(f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False)), int(f.shape[0]))


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(0.5 * (cov + cov.T))
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: Any, cov1: Any, mu2: Any, cov2: Any) -> float:
    """Squared Fréchet (2-Wasserstein) distance between ``N(mu1, cov1)`` and ``N(mu2, cov2)``.

    ``||mu1 - mu2||^2 + tr(cov1) + tr(cov2) - 2 tr((cov1^{1/2} cov2 cov1^{1/2})^{1/2})``, the
    formula of the FID (Heusel et al., NeurIPS 2017); in squared feature units. The matrix
    square roots are taken by symmetric eigendecompositions (negative round-off eigenvalues
    clipped to 0), so the result is real and >= 0 up to round-off.
    """
    m1, m2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    c1, c2 = np.atleast_2d(np.asarray(cov1, dtype=np.float64)), np.atleast_2d(np.asarray(cov2, dtype=np.float64))
    d = m1.shape[0]
    if m1.shape != (d,) or m2.shape != (d,) or c1.shape != (d, d) or c2.shape != (d, d):
        raise ValueError(f"frechet_distance: means must have shape (d,) and covariances (d, d); got "
                         f"{m1.shape}, {c1.shape}, {m2.shape}, {c2.shape}")
    if not all(np.all(np.isfinite(a)) for a in (m1, m2, c1, c2)):
        raise ValueError("frechet_distance: the statistics contain NaN or infinity")
    s1 = _psd_sqrt(c1)
    middle = s1 @ c2 @ s1
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(0.5 * (middle + middle.T)), 0.0, None)).sum()
    value = float(((m1 - m2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2.0 * cross)
    return max(value, 0.0)


def classifier_features(classifier: nn.Module, images: Tensor, batch_size: int = 500) -> Tensor:
    """The penultimate activations of an :class:`~course_lib.models.mnist_cnn.MnistCNN` (float64, ``(N, hidden)``).

    These are the features of the chapter's Fréchet distance: the output of the hidden
    linear layer after its ReLU, computed in eval mode without gradients.
    """
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"classifier_features expects images (N, 1, 28, 28), got {tuple(images.shape)}")
    was_training = classifier.training
    classifier.eval()
    out = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            x = images[start:start + batch_size].float()
            out.append(classifier.classifier[:-1](classifier.features(x)).double())
    classifier.train(was_training)
    return torch.cat(out)


@dataclass(frozen=True)
class SampleQuality:
    """How a set of generated digits compares with the evaluation digits (chapter 06).

    Attributes:
        fd: squared Fréchet distance in the classifier's feature space (lower is better).
        class_fractions: fraction of samples predicted as each digit 0..9.
        class_entropy: entropy of ``class_fractions`` in nats (``log 10 = 2.303`` when uniform).
        min_class_fraction, max_class_fraction: the rarest and the most frequent digit's share.
        confidence: mean largest softmax probability (blurred, ambiguous digits score low).
        n: number of samples.
    """

    fd: float
    class_fractions: np.ndarray
    class_entropy: float
    min_class_fraction: float
    max_class_fraction: float
    confidence: float
    n: int


def class_spread(classifier: nn.Module, images: Tensor, batch_size: int = 500) -> tuple[np.ndarray, float]:
    """``(fractions of predicted digits 0..9, mean confidence)`` of ``images`` under ``classifier``."""
    was_training = classifier.training
    classifier.eval()
    probs = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            probs.append(torch.softmax(classifier(images[start:start + batch_size].float()), dim=1).double())
    classifier.train(was_training)
    p = torch.cat(probs)
    counts = torch.bincount(p.argmax(dim=1), minlength=p.shape[1]).double()
    return (counts / counts.sum()).numpy(), float(p.max(dim=1).values.mean())


def sample_quality(classifier: nn.Module, images: Tensor, reference: FeatureStatistics) -> SampleQuality:
    """Fréchet distance to ``reference`` and class spread of ``images`` (chapter 06)."""
    stats = feature_statistics(classifier_features(classifier, images))
    fractions, confidence = class_spread(classifier, images)
    nz = fractions[fractions > 0]
    return SampleQuality(
        fd=frechet_distance(stats.mean, stats.cov, reference.mean, reference.cov),
        class_fractions=fractions, class_entropy=float(-(nz * np.log(nz)).sum()),
        min_class_fraction=float(fractions.min()), max_class_fraction=float(fractions.max()),
        confidence=confidence, n=int(images.shape[0]))


# =========================================================================== modes of the 2-D toys


@dataclass(frozen=True)
class ModeCoverage:
    """Which modes of a mixture a set of samples covers (chapter 06, mode collapse).

    Attributes:
        covered: the number of modes that received at least ``min_fraction`` of the samples.
        counts: per mode, the samples within ``within`` standard deviations of its centre.
        high_quality: the fraction of samples within ``within`` standard deviations of some centre.
    """

    covered: int
    counts: np.ndarray
    high_quality: float


def count_modes(samples: Tensor | np.ndarray, centres: Tensor | np.ndarray, std: float, *,
                within: float = 3.0, min_fraction: float = 0.01) -> ModeCoverage:
    """Count the modes of a Gaussian mixture that ``samples`` cover (chapter 06, ring of 8 Gaussians).

    A sample belongs to its nearest centre when it lies within ``within * std`` of it (a
    "high-quality" sample); a mode is covered when at least ``min_fraction`` of all samples
    belong to it.
    """
    x = np.asarray(samples.detach().cpu().numpy() if isinstance(samples, Tensor) else samples, dtype=np.float64)
    c = np.asarray(centres.detach().cpu().numpy() if isinstance(centres, Tensor) else centres, dtype=np.float64)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1] or x.shape[0] == 0:
        raise ValueError(f"count_modes needs samples (N, d) and centres (K, d), got {x.shape} and {c.shape}")
    if not (std > 0 and within > 0 and 0 <= min_fraction <= 1):
        raise ValueError(f"count_modes needs std > 0, within > 0, 0 <= min_fraction <= 1; got {std}, {within}, {min_fraction}")
    dist = np.linalg.norm(x[:, None, :] - c[None, :, :], axis=2)
    nearest, d_min = dist.argmin(axis=1), dist.min(axis=1)
    good = np.isfinite(d_min) & (d_min <= within * std)
    counts = np.bincount(nearest[good], minlength=c.shape[0])
    covered = int((counts >= max(1, math.ceil(min_fraction * x.shape[0]))).sum())
    return ModeCoverage(covered, counts, float(good.mean()))


# =========================================================================== MNIST: classifier and DCGAN


#: Architecture of the chapter's quality classifier (an :class:`~course_lib.models.mnist_cnn.MnistCNN`).
CLASSIFIER_ARCH: dict[str, int] = {"width": 16, "hidden": 64}
CLASSIFIER_NAME = "gan06_classifier"
DCGAN_NAME = "dcgan_mnist"
ARCHIVE_NAME = "gan06_dcgan_runs"
DATA_SPLIT = "mnist-course-train-8000"


def make_classifier(seed: int = 0) -> nn.Module:
    """A fresh quality classifier (MnistCNN, width 16, hidden 64: 105,866 weights, about 0.4 MB)."""
    from .models.mnist_cnn import build_mnist_cnn

    return build_mnist_cnn(seed, **CLASSIFIER_ARCH)


def _mnist_batch(images: Tensor, labels: Tensor | None, n: int, gen: torch.Generator) -> Any:
    idx = torch.randint(images.shape[0], (n,), generator=gen)
    return images[idx] if labels is None else (images[idx], labels[idx])


def train_classifier(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the quality classifier on the course's 8,000 training digits; resumable (chapter 06).

    Adam 1e-3 with a cosine decay to 1e-5, batch 128, cross-entropy. The held-out accuracy
    on the 2,000 evaluation digits is logged at the end (it chooses nothing).
    """
    from .models.mnist_cnn import accuracy, cross_entropy_loss

    steps = int(steps) if steps is not None else by_profile(ci=150, default=1500, full=3000)
    x, y = data.mnist("train")
    x_eval, y_eval = data.mnist("eval")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=1e-5)
    hist = fit(model, cross_entropy_loss, lambda step: _mnist_batch(x, y, 128, _step_generator(0, step, 1)),
               steps=steps, optimizer=opt, scheduler=sched, log_every=10,
               eval_fn=lambda m: {"eval_accuracy": accuracy(m, x_eval, y_eval)}, eval_every=max(steps, 1),
               checkpoint_path=resume_path(out_path), checkpoint_every=500,
               meta={"lr": 1e-3, "batch": 128, "steps": steps, **CLASSIFIER_ARCH}, progress=False, desc="classifier")
    acc = hist.evals["eval_accuracy"][-1]
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=DATA_SPLIT, chapter=6, eval_accuracy=float(acc), architecture=dict(CLASSIFIER_ARCH),
        description=(f"MnistCNN(width={CLASSIFIER_ARCH['width']}, hidden={CLASSIFIER_ARCH['hidden']}) quality classifier "
                     f"for the Frechet distance and class spread of chapter 06; Adam 1e-3 cosine, batch 128, "
                     f"{steps} steps; held-out accuracy {acc:.4f}")), history=hist)
    return hist


@functools.lru_cache(maxsize=4)
def _cached_classifier(profile: str) -> tuple[nn.Module, Any]:
    return load_or_train(CLASSIFIER_NAME, make_classifier, train_classifier, verbose=False)


def quality_classifier() -> tuple[nn.Module, Any]:
    """The shipped quality classifier and its :class:`~course_lib.training.LoadInfo`, loaded (or trained) once per process."""
    from .config import get_profile

    return _cached_classifier(get_profile().name)


@functools.lru_cache(maxsize=4)
def _cached_reference(profile: str) -> FeatureStatistics:
    classifier, _ = quality_classifier()
    return feature_statistics(classifier_features(classifier, data.mnist("eval")[0]))


def reference_statistics() -> FeatureStatistics:
    """Feature statistics of the 2,000 evaluation digits under :func:`quality_classifier` (cached)."""
    from .config import get_profile

    return _cached_reference(get_profile().name)


@dataclass(frozen=True)
class DCGANRun:
    """One configuration of the DCGAN experiment: generator loss, G:D ratio ``1:d_steps``, seed."""

    loss: str
    d_steps: int
    seed: int = 0

    def __post_init__(self) -> None:
        if self.loss not in LOSS_KINDS:
            raise ValueError(f"DCGANRun.loss must be one of {LOSS_KINDS}, got {self.loss!r}")

    @property
    def name(self) -> str:
        """E.g. ``nonsaturating_1to1_s0``."""
        return f"{self.loss}_1to{self.d_steps}_s{self.seed}"

    @property
    def config_name(self) -> str:
        """The configuration without the seed, e.g. ``nonsaturating_1to1``."""
        return f"{self.loss}_1to{self.d_steps}"

    @property
    def label(self) -> str:
        """E.g. ``non-saturating, G:D 1:1``."""
        pretty = {"saturating": "saturating", "nonsaturating": "non-saturating", "lsgan": "least squares"}
        return f"{pretty[self.loss]}, G:D 1:{self.d_steps}"


#: The runs of the experiment: 3 losses x ratios 1:1 and 1:3; three seeds for the 1:1 comparison
#: of the saturating and non-saturating losses, one seed elsewhere.
RUNS: tuple[DCGANRun, ...] = tuple(
    DCGANRun(loss, k, seed)
    for k in (1, 3) for loss in LOSS_KINDS
    for seed in ((0, 1, 2) if k == 1 and loss != "lsgan" else (0,)))
#: The run whose generator and discriminator ship as ``dcgan_mnist`` (chapter 08 inverts this generator).
SHIPPED_RUN = DCGANRun("nonsaturating", 1, 0)


@dataclass(frozen=True)
class DCGANSchedule:
    """The DCGAN schedule of a profile (chapter 06). ``g_steps`` counts generator updates."""

    g_steps: int
    batch: int = 128
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    log_every: int = 25
    checkpoint_every: int = 25
    eval_samples: int = 500
    final_samples: int = 2000


def dcgan_schedule(steps: int | None = None) -> DCGANSchedule:
    """The profile's DCGAN schedule; ``steps`` overrides the length (a brief demonstration run).

    ``full``: 800 generator steps of batch 128 (12.8 passes over the 8,000 training digits), the
    seed's settings otherwise (Adam 2e-4, beta1 = 0.5 from Radford et al.); ``default`` (only
    used when nothing is shipped): 30 steps of batch 64; ``ci``: 6 steps of batch 16.
    """
    sched = by_profile(
        ci=DCGANSchedule(g_steps=6, batch=16, log_every=2, checkpoint_every=2, eval_samples=100, final_samples=300),
        default=DCGANSchedule(g_steps=30, batch=64, log_every=5, checkpoint_every=10, eval_samples=200,
                              final_samples=1000),
        full=DCGANSchedule(g_steps=800))
    if steps is not None:
        steps = int(steps)
        every = max(1, min(sched.log_every, steps // 4 or 1))
        sched = DCGANSchedule(**{**asdict(sched), "g_steps": steps, "log_every": every, "checkpoint_every": every})
    return sched


def make_dcgan(seed: int = 0) -> nn.Module:
    """A fresh DCGAN with the shipped architecture (latent 100, 64 feature maps), weights from ``seed``."""
    from .models.dcgan import build_dcgan

    return build_dcgan(seed)


def _fd_eval(classifier: nn.Module, reference: FeatureStatistics, n: int, seed: int) -> Callable[[nn.Module], dict[str, float]]:
    z = torch.randn(n, 100, generator=torch.Generator().manual_seed(seed))

    def watch(pair: nn.Module) -> dict[str, float]:
        images = pair.generator(z[:, :pair.generator.latent])
        stats = feature_statistics(classifier_features(classifier, images))
        return {"fd": frechet_distance(stats.mean, stats.cov, reference.mean, reference.cov)}
    return watch


def _train_run(model: nn.Module, run: DCGANRun, sched: DCGANSchedule, state_path: Path,
               *, progress: bool = False) -> History:
    """Train one DCGAN run in place (resumable at ``state_path``) and return its History."""
    images = data.mnist("train")[0]
    classifier, _ = quality_classifier()
    config = GANConfig(loss=run.loss, d_steps=run.d_steps, batch=sched.batch, lr_g=sched.lr, lr_d=sched.lr,
                       betas=sched.betas, seed=run.seed)
    return train_gan(model, config, lambda n, gen: _mnist_batch(images, None, n, gen), steps=sched.g_steps,
                     log_every=sched.log_every, eval_fn=_fd_eval(classifier, reference_statistics(),
                                                                 sched.eval_samples, 606),
                     probe_every=sched.log_every, checkpoint_path=state_path, checkpoint_every=sched.checkpoint_every,
                     progress=progress, meta={"run": run.name, "schedule": _plain(asdict(sched))}, desc=run.name)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def train_dcgan(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the shipped DCGAN (non-saturating loss, G:D 1:1, seed 0) on the course's MNIST digits (chapters 06, 08).

    Follows the contract of :mod:`course_lib.training`: resumable from
    ``resume_path(out_path)``, saves generator and discriminator (one checkpoint, float32,
    about 3.6 MB) with metadata, returns the History.
    """
    sched = dcgan_schedule(steps)
    hist = _train_run(model, SHIPPED_RUN, sched, resume_path(out_path))
    classifier, _ = quality_classifier()
    quality = sample_quality(classifier, model.generator.sample(sched.final_samples, torch.Generator().manual_seed(7)),
                             reference_statistics())
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=DATA_SPLIT, chapter=6, run=SHIPPED_RUN.name, schedule=_plain(asdict(sched)),
        latent=int(model.latent), feature_maps=int(model.feature_maps), fd=quality.fd,
        description=(f"DCGAN for 28x28 MNIST (latent {model.latent}, {model.feature_maps} feature maps), "
                     f"non-saturating loss, G:D 1:1, Adam {sched.lr:g} betas {sched.betas}, batch {sched.batch}, "
                     f"{sched.g_steps} generator steps; images on the [0, 1] scale; FD {quality.fd:.3g}")),
        history=hist)
    return hist


#: Curves stored per run in :class:`DCGANRunArchive` (rows of ``curves``).
CURVE_FIELDS: tuple[str, ...] = ("step", "g_loss") + GAN_STAT_FIELDS + ("fd",)
#: Scalars stored per run in :class:`DCGANRunArchive` (columns of ``metrics``).
METRIC_FIELDS: tuple[str, ...] = ("fd", "class_entropy", "min_class_fraction", "max_class_fraction",
                                  "confidence", "g_steps", "wall_time_s")
MAX_POINTS = 128
GRID_SAMPLES = 64


class DCGANRunArchive(nn.Module):
    """What the DCGAN experiment keeps of each run (chapter 06): no weights, only buffers.

    Buffers (one row per run of :data:`RUNS`):
        samples: ``uint8 (R, 64, 1, 28, 28)``, 64 samples from fixed codes (grey levels 0..255);
        curves: ``float32 (R, len(CURVE_FIELDS), MAX_POINTS)``, the logged curves (NaN-padded);
        metrics: ``float64 (R, len(METRIC_FIELDS))``, the final quality measured on 2,000 samples;
        class_fractions: ``float64 (R, 10)``; trained: ``bool (R,)``.
    """

    def __init__(self) -> None:
        super().__init__()
        r = len(RUNS)
        self.register_buffer("samples", torch.zeros(r, GRID_SAMPLES, 1, 28, 28, dtype=torch.uint8))
        self.register_buffer("curves", torch.full((r, len(CURVE_FIELDS), MAX_POINTS), float("nan")))
        self.register_buffer("metrics", torch.full((r, len(METRIC_FIELDS)), float("nan"), dtype=torch.float64))
        self.register_buffer("class_fractions", torch.zeros(r, 10, dtype=torch.float64))
        self.register_buffer("trained", torch.zeros(r, dtype=torch.bool))

    @staticmethod
    def index(run: DCGANRun | str) -> int:
        """The row of ``run`` (a :class:`DCGANRun` or its name)."""
        name = run.name if isinstance(run, DCGANRun) else run
        names = [r.name for r in RUNS]
        if name not in names:
            raise KeyError(f"unknown run {name!r}; runs are {', '.join(names)}")
        return names.index(name)

    def metric(self, run: DCGANRun | str, field_name: str) -> float:
        """One final metric of one run (see :data:`METRIC_FIELDS`)."""
        return float(self.metrics[self.index(run), METRIC_FIELDS.index(field_name)])

    def curve(self, run: DCGANRun | str, field_name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of a logged curve of one run (see :data:`CURVE_FIELDS`)."""
        rows = self.curves[self.index(run)].double().numpy()
        steps, values = rows[0], rows[CURVE_FIELDS.index(field_name)]
        keep = np.isfinite(steps)
        return steps[keep], values[keep]

    def images(self, run: DCGANRun | str) -> Tensor:
        """The 64 stored samples of one run as float images in [0, 1]."""
        return self.samples[self.index(run)].float() / 255.0

    def store(self, run: DCGANRun, hist: History, images: Tensor, quality: SampleQuality) -> None:
        """Fill the row of ``run`` from its History, 64 samples and final :class:`SampleQuality`."""
        i = self.index(run)
        steps = np.asarray(hist.eval_steps, dtype=np.float64)
        if steps.size > MAX_POINTS:
            raise ValueError(f"{run.name}: {steps.size} logged points, at most {MAX_POINTS} fit in the archive")
        losses = dict(zip(hist.steps, hist.losses))
        rows = {"step": steps, "g_loss": np.array([losses.get(int(s), np.nan) for s in steps])}
        rows.update({k: np.asarray(hist.evals.get(k, [np.nan] * steps.size), dtype=np.float64)
                     for k in CURVE_FIELDS if k not in rows})
        self.curves[i].fill_(float("nan"))
        for j, key in enumerate(CURVE_FIELDS):
            self.curves[i, j, :steps.size] = torch.from_numpy(rows[key]).float()
        self.samples[i] = (images.clamp(0, 1) * 255).round().to(torch.uint8)
        values = {"fd": quality.fd, "class_entropy": quality.class_entropy,
                  "min_class_fraction": quality.min_class_fraction, "max_class_fraction": quality.max_class_fraction,
                  "confidence": quality.confidence, "g_steps": float(hist.iterations), "wall_time_s": hist.wall_time}
        self.metrics[i] = torch.tensor([values[k] for k in METRIC_FIELDS], dtype=torch.float64)
        self.class_fractions[i] = torch.from_numpy(np.asarray(quality.class_fractions, dtype=np.float64))
        self.trained[i] = True


def make_run_archive() -> DCGANRunArchive:
    """An empty :class:`DCGANRunArchive` (the ``build_model`` of ``gan06_dcgan_runs``)."""
    return DCGANRunArchive()


def _run_state(out_dir: Path, run: DCGANRun) -> Path:
    """Where a run's training state lives; the shipped run shares the state of ``dcgan_mnist``."""
    stem = DCGAN_NAME if run == SHIPPED_RUN else f"gan06_run_{run.name}"
    return resume_path(out_dir / f"{stem}.pt")


def train_dcgan_runs(archive: DCGANRunArchive, out_path: str | Path, *, steps: int | None = None,
                     progress: bool = False) -> History:
    """Train every run of :data:`RUNS` and store what the chapter shows of each in ``archive`` (chapter 06).

    Each run is resumable on its own (``build/train/gan06_run_<name>.resume.pt`` for shipped
    checkpoints); the run of :data:`SHIPPED_RUN` resumes from the state of ``dcgan_mnist``, so
    when that was trained first (``scripts/train_06.py`` does) it is not trained twice. Saves the
    archive with metadata to ``out_path`` and returns the History of :data:`SHIPPED_RUN`.
    """
    out = Path(out_path)
    sched = dcgan_schedule(steps)
    classifier, _ = quality_classifier()
    reference = reference_statistics()
    z_grid = torch.randn(GRID_SAMPLES, 100, generator=torch.Generator().manual_seed(64))
    shipped_hist, total_steps, total_time = History(), 0, 0.0
    from .models.dcgan import build_dcgan

    for run in RUNS:
        model = build_dcgan(run.seed)
        hist = _train_run(model, run, sched, _run_state(out.parent, run), progress=progress)
        model.eval()
        with torch.no_grad():
            grid = model.generator(z_grid)
        quality = sample_quality(classifier, model.generator.sample(sched.final_samples,
                                                                    torch.Generator().manual_seed(7)), reference)
        archive.store(run, hist, grid, quality)
        total_steps += hist.iterations
        total_time += hist.wall_time
        if run == SHIPPED_RUN:
            shipped_hist = hist
    fds = {run.name: round(archive.metric(run, "fd"), 4) for run in RUNS}
    save_checkpoint(out, archive, checkpoint_meta(
        iterations=int(total_steps), wall_time_s=float(total_time), data_split=DATA_SPLIT, chapter=6,
        schedule=_plain(asdict(sched)), runs=[r.name for r in RUNS], fd=fds,
        description=(f"DCGAN experiment of chapter 06: {len(RUNS)} runs (3 generator losses x G:D 1:1 and 1:3, "
                     f"3 seeds at 1:1 for saturating / non-saturating), {sched.g_steps} generator steps each; "
                     "64 samples, logged curves and final quality (FD on the quality classifier's features, "
                     "class spread) of every run; no weights")), history=shipped_hist)
    return shipped_hist


#: Standard deviation of each mode of the chapter's ring of 8 Gaussians (radius 2).
RING_STD = 0.05

#: The settings of the ring experiment (chapter 06): name -> (GANConfig fields, spectral norm in D?).
#: All use the same networks (latent 2, three hidden layers of 128 units) and batches of 256.
TOY_SETTINGS: dict[str, tuple[dict[str, Any], bool]] = {
    # the generator learns 10x faster than the discriminator: it (almost) best-responds, the max-min order
    "gan_fast_g": (dict(loss="nonsaturating", d_steps=1, lr_g=2e-3, lr_d=2e-4, betas=(0.5, 0.999)), False),
    # the same learning rates, 5 discriminator steps per generator step: closer to the min-max order
    "gan_k5": (dict(loss="nonsaturating", d_steps=5, lr_g=2e-3, lr_d=2e-4, betas=(0.5, 0.999)), False),
    # the fast generator against a spectrally normalised discriminator
    "sngan_fast_g": (dict(loss="nonsaturating", d_steps=1, lr_g=2e-3, lr_d=2e-4, betas=(0.5, 0.999)), True),
    # Wasserstein critics: 5 critic steps, Adam 5e-4 with betas (0.5, 0.9)
    "wgan_clip": (dict(loss="wgan-clip", d_steps=5, lr_g=5e-4, lr_d=5e-4, betas=(0.5, 0.9), clip=0.05), False),
    "wgan_gp": (dict(loss="wgan-gp", d_steps=5, lr_g=5e-4, lr_d=5e-4, betas=(0.5, 0.9), gp_weight=0.1), False),
}


def train_ring(setting: str, *, steps: int, seed: int = 0, log_every: int = 50, n_eval: int = 1000,
               progress: bool = False) -> tuple[nn.Module, History]:
    """Train one setting of :data:`TOY_SETTINGS` on the ring of 8 Gaussians (chapter 06, mode collapse).

    Every ``log_every`` steps the History records, besides :data:`GAN_STAT_FIELDS`, the modes
    covered by ``n_eval`` samples from fixed codes (``modes``), the fraction of high-quality
    samples (``high_quality``), the most populated mode (``main_mode``) and its share of the
    high-quality samples (``main_share``), from :func:`count_modes`.

    Returns:
        The trained :class:`~course_lib.models.toy_gan.ToyGAN` and its History.
    """
    from .models.toy_gan import build_toy_gan

    if setting not in TOY_SETTINGS:
        raise ValueError(f"unknown ring setting {setting!r}; choose one of {', '.join(TOY_SETTINGS)}")
    fields, spectral = TOY_SETTINGS[setting]
    pair = build_toy_gan(seed, dim=2, latent=2, width=128, depth=3, spectral_norm=spectral)
    config = GANConfig(batch=256, seed=seed, **fields)
    centres = data.ring_centres(8)
    z = torch.randn(n_eval, 2, generator=torch.Generator().manual_seed(1000 + seed))

    def watch(model: nn.Module) -> dict[str, float]:
        cover = count_modes(model.generator(z), centres, RING_STD)
        share = cover.counts.max() / max(cover.counts.sum(), 1)
        return {"modes": cover.covered, "high_quality": cover.high_quality,
                "main_mode": float(cover.counts.argmax()), "main_share": float(share)}

    hist = train_gan(pair, config, lambda n, gen: data.ring_of_gaussians(n, std=RING_STD, generator=gen),
                     steps=steps, log_every=log_every, eval_fn=watch, probe_every=log_every,
                     progress=progress, desc=setting)
    pair.eval()
    return pair, hist
