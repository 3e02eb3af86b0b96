"""Adversarial regularisers (Lunz, Öktem & Schönlieb, NeurIPS 2018), chapter 09; the CT U-Net is reused in chapter 10.

A learned regulariser ``Psi`` is trained as a Wasserstein critic between two *unpaired*
distributions: ``P_r`` (clean images) and ``P_n`` (pseudo-inverse reconstructions of
measurements: noisy images for denoising, filtered back-projections for CT). The loss is

    ``E_{P_r}[Psi] - E_{P_n}[Psi] + mu * E_{x_hat}[(||grad Psi(x_hat)|| - 1)_+^2]``

on random interpolates ``x_hat`` (one-sided gradient penalty). Reconstruction is gradient
descent on ``||A x - y||^2 + lam * Psi(x)`` from the pseudo-inverse, with ``lam`` from the
paper's heuristic ``lam = 2 E||A^* eps||`` or from a sweep on training images.

Contents:

* critics: :class:`GlobalCritic` (six 5x5 convolutions 16 -> 128 channels, leaky ReLU,
  strides 1, 2, 1, 2, 1, 2, then a dense head) and :class:`PatchCritic` (the same
  convolutions, a 1x1 convolution to one channel and global average pooling);
* :func:`critic_loss`, :func:`reconstruct` (gradient descent, metric along the iterations),
  :func:`lambda_heuristic`, :func:`patch_lambda_scale`;
* data: :func:`natural_batch` (Train400 patches), :func:`ct_training_set`;
* the shipped models :data:`MODEL_NAMES` with builders and resumable training functions,
  :func:`load` (``training.load_or_train``);
* a 2-D toy (:func:`circle_toy`, :class:`ToyCritic`, :func:`train_toy_critic`).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import ct, data, metrics
from .config import by_profile
from .gan.losses import gradient_penalty
from .models import pix2pix
from .operators import Identity, LinearOperator
from .training import (History, LoadInfo, checkpoint_meta, fit, load_or_train, resume_path, save_checkpoint)

__all__ = [
    "CHANNELS",
    "CRITIC_NAMES",
    "CT_CRITIC_NAME",
    "CT_UNET_NAME",
    "DENOISE_CRITIC_NAME",
    "MODEL_NAMES",
    "SIGMA255",
    "STRIDES",
    "GlobalCritic",
    "PatchCritic",
    "ReconstructionResult",
    "Sweep",
    "ToyCritic",
    "builder",
    "build_ct_critic",
    "build_ct_unet",
    "build_denoise_critic",
    "circle_toy",
    "critic_loss",
    "ct_training_set",
    "gradient_norms",
    "lambda_heuristic",
    "load",
    "natural_batch",
    "patch_lambda_scale",
    "reconstruct",
    "record_task",
    "scores",
    "select_tv_weight",
    "sweep_weights",
    "train_ct_critic",
    "train_ct_unet",
    "train_denoise_critic",
    "train_toy_critic",
    "trainer",
    "tune_set",
]

#: Channels and strides of the six 5x5 convolutions of the paper's critic.
CHANNELS: tuple[int, ...] = (16, 32, 32, 64, 64, 128)
STRIDES: tuple[int, ...] = (1, 2, 1, 2, 1, 2)
#: Noise level of the denoising task, on the 0-255 scale.
SIGMA255 = 25.0
DENOISE_CRITIC_NAME = "ch09_denoise_critic"
CT_CRITIC_NAME = "ch09_ct_critic"
CT_UNET_NAME = "ch09_ct_unet"
CRITIC_NAMES = (DENOISE_CRITIC_NAME, CT_CRITIC_NAME)
MODEL_NAMES = (DENOISE_CRITIC_NAME, CT_CRITIC_NAME, CT_UNET_NAME)
#: Slope of the leaky ReLUs.
LEAK = 0.2


# --------------------------------------------------------------------------- critics


def _conv_stack(in_channels: int = 1, channels: Sequence[int] = CHANNELS, strides: Sequence[int] = STRIDES) -> nn.Sequential:
    layers: list[nn.Module] = []
    c_prev = in_channels
    for c, s in zip(channels, strides):
        layers += [nn.Conv2d(c_prev, c, 5, stride=s, padding=2), nn.LeakyReLU(LEAK)]
        c_prev = c
    return nn.Sequential(*layers)


class GlobalCritic(nn.Module):
    """The paper's critic for whole ``size x size`` images: six 5x5 convolutions and a dense head.

    ``conv 5x5`` with channels 16, 32, 32, 64, 64, 128 and strides 1, 2, 1, 2, 1, 2 (leaky
    ReLU after each), then ``Linear(128 * (size/8)^2, hidden)``, leaky ReLU, ``Linear(hidden, 1)``.
    The output is one score per image, shape ``(N,)``.
    """

    def __init__(self, size: int = 64, hidden: int = 128) -> None:
        super().__init__()
        if size % 8:
            raise ValueError(f"GlobalCritic: size must be a multiple of 8, got {size}")
        self.size, self.hidden = size, hidden
        self.features = _conv_stack()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(CHANNELS[-1] * (size // 8) ** 2, hidden),
                                  nn.LeakyReLU(LEAK), nn.Linear(hidden, 1))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1:] != (1, self.size, self.size):
            raise ValueError(f"GlobalCritic expects (N, 1, {self.size}, {self.size}) images, got {tuple(x.shape)}")
        return self.head(self.features(x)).squeeze(1)


class PatchCritic(nn.Module):
    """A local (patch) critic: the same six convolutions, a 1x1 convolution and global average pooling.

    Fully convolutional, so it accepts any image size >= 8; the score of an image is the
    mean of the local scores, each of which sees a window of about 60 x 60 pixels (the
    receptive field of the six strided 5x5 convolutions). Output shape ``(N,)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = _conv_stack()
        self.score = nn.Conv2d(CHANNELS[-1], 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != 1:
            raise ValueError(f"PatchCritic expects (N, 1, H, W) images, got {tuple(x.shape)}")
        return self.score(self.features(x)).mean(dim=(1, 2, 3))


def _seeded(build: Callable[[], nn.Module], seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def build_denoise_critic(seed: int = 0) -> PatchCritic:
    """The natural-image critic (a :class:`PatchCritic`)."""
    return _seeded(PatchCritic, seed)  # type: ignore[return-value]


def build_ct_critic(seed: int = 0) -> GlobalCritic:
    """The CT critic: a :class:`GlobalCritic` for the 64 x 64 images of :data:`course_lib.ct.SETTING`."""
    return _seeded(lambda: GlobalCritic(ct.SETTING.size, 128), seed)  # type: ignore[return-value]


#: The CT post-processing network: Pix2Pix's U-Net generator (chapter 07's module), FBP in, phantom out.
UNET_ARCH: dict[str, int] = {"width": 32, "levels": 3}


def build_ct_unet(seed: int = 0) -> nn.Module:
    """The CT post-processing U-Net (chapters 09 and 10): input the Hann-filtered FBP of
    :func:`course_lib.ct.fbp`, output the phantom estimate in (0, 1), both ``(N, 1, 64, 64)``."""
    return pix2pix.build_generator(seed=seed, **UNET_ARCH)


# --------------------------------------------------------------------------- loss and reconstruction


def critic_loss(critic: nn.Module, real: Tensor, noisy: Tensor, mu: float = 10.0,
                generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, float]]:
    """The adversarial-regulariser loss ``E[Psi(real)] - E[Psi(noisy)] + mu * one-sided penalty``.

    ``real`` and ``noisy`` are *unpaired* batches of the same shape. The penalty is
    :func:`course_lib.gan.losses.gradient_penalty` with ``one_sided=True`` on the interpolates
    ``eps * real + (1 - eps) * noisy``. Returns the loss and its parts (``wasserstein``:
    ``E[Psi(noisy)] - E[Psi(real)]``, the critic's estimate of W1; ``penalty``).
    """
    s_real, s_noisy = critic(real), critic(noisy)
    pen = gradient_penalty(critic, real, noisy, generator, one_sided=True)
    gap = s_noisy.mean() - s_real.mean()
    return -gap + mu * pen, {"wasserstein": float(gap.detach()), "penalty": float(pen.detach())}


def gradient_norms(critic: nn.Module, x: Tensor, batch: int = 64) -> Tensor:
    """``||grad_x Psi(x_i)||_2`` for every image of ``x``, shape ``(N,)``."""
    out = []
    for i in range(0, x.shape[0], batch):
        xb = x[i:i + batch].detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(xb).sum(), xb)
        out.append(g.reshape(g.shape[0], -1).norm(dim=1))
    return torch.cat(out)


def lambda_heuristic(adjoint: Callable[[Tensor], Tensor], noise: Tensor) -> float:
    """The paper's weight ``lam = 2 E||A^* eps||``, estimated on samples ``noise`` ``(N, ...)`` of eps."""
    back = adjoint(noise)
    return float(2.0 * back.reshape(back.shape[0], -1).norm(dim=1).mean())


def patch_lambda_scale(train_side: int, image_shape: Sequence[int]) -> float:
    """How many training-size patches an image holds: the factor from a patch's weight to the image's.

    A :class:`PatchCritic` averages local scores, so on an image made of ``P`` training
    patches ``Psi(image) ~ (1/P) sum_p Psi(patch_p)`` while the data term *adds* over the
    patches. Minimising ``sum_p (||x_p - y_p||^2 + lam_patch Psi(x_p))`` is therefore the same
    as ``||x - y||^2 + (P lam_patch) Psi(x)``: the image's weight is ``P`` times the patch's.
    """
    h, w = int(image_shape[-2]), int(image_shape[-1])
    return (h * w) / float(train_side**2)


@dataclass
class ReconstructionResult:
    """Gradient-descent reconstruction: the final images and a metric along the iterations."""

    x: Tensor
    trace: np.ndarray  # (n_steps + 1, N) PSNR of the iterates in dB (empty without a reference)
    kept: dict[int, Tensor] = field(default_factory=dict)  # iterate k for every k in keep_steps


def reconstruct(y: Tensor, critic: nn.Module, lam: float, step: float, n_steps: int, *,
                A: LinearOperator | None = None, x0: Tensor | None = None,
                reference: Tensor | None = None, keep_steps: Sequence[int] = (),
                box: tuple[float, float] | None = None, batch: int = 16) -> ReconstructionResult:
    """Gradient descent on ``||A x - y||^2 + lam * Psi(x)`` (chapter 09).

    ``x_{k+1} = x_k - step * (2 A^*(A x_k - y) + lam * grad Psi(x_k))`` for ``n_steps`` steps,
    from ``x0`` (default: ``y`` for denoising; give the FBP for CT). With ``reference`` (the
    ground truth), the PSNR of every iterate clipped to [0, 1] is recorded in ``trace``
    ``(n_steps + 1, N)``; it never changes the iteration. The iterates ``x_k`` for ``k`` in
    ``keep_steps`` are returned in ``kept``. ``box=(lo, hi)``: project every iterate onto
    ``[lo, hi]`` (projected gradient descent; the TV solver of chapter 04 is box-constrained to
    [0, 1] too). Runs in chunks of ``batch`` images.
    """
    A = Identity() if A is None else A
    xs, traces = [], []
    kept: dict[int, list[Tensor]] = {int(k): [] for k in keep_steps}
    start = y if x0 is None else x0
    for i in range(0, y.shape[0], batch):
        yb = y[i:i + batch]
        x = start[i:i + batch].detach().clone()
        tr = []
        ref = None if reference is None else reference[i:i + batch]
        for k in range(n_steps + 1):
            if ref is not None:
                with torch.no_grad():
                    tr.append(metrics.psnr(x.clamp(0.0, 1.0), ref).cpu().numpy())
            if k in kept:
                kept[k].append(x.detach().clone())
            if k == n_steps:
                break
            x.requires_grad_(True)
            (g,) = torch.autograd.grad(critic(x).sum(), x)
            with torch.no_grad():
                data_grad = 2.0 * A.adjoint(A.forward(x) - yb)
                x = (x - step * (data_grad + lam * g)).detach()
                if box is not None:
                    x = x.clamp(box[0], box[1])
        xs.append(x)
        if tr:
            traces.append(np.stack(tr))
    trace = np.concatenate(traces, axis=1) if traces else np.zeros((0, 0))
    return ReconstructionResult(torch.cat(xs), trace, {k: torch.cat(v) for k, v in kept.items() if v})


# --------------------------------------------------------------------------- data


@lru_cache(maxsize=1)
def _train400() -> Tensor:
    from .denoising import train400_split

    train, _ = train400_split()
    return train


def natural_batch(step: int, batch: int, size: int, seed: int) -> tuple[Tensor, Tensor]:
    """Batch ``step`` of *unpaired* ``(clean, noisy)`` Train400 patches at sigma 25/255.

    Clean and noisy patches come from independent random positions (no pairs), with random
    flips and quarter turns; the noise is not clipped. Depends only on ``(seed, step)``.
    """
    images = _train400()
    g = torch.Generator().manual_seed(seed * 1_000_003 + step)
    n, _, h, w = images.shape
    out = []
    for _ in range(2):
        idx = torch.randint(0, n, (batch,), generator=g)
        top = torch.randint(0, h - size + 1, (batch,), generator=g)
        left = torch.randint(0, w - size + 1, (batch,), generator=g)
        p = torch.stack([images[j, :, t:t + size, l:l + size] for j, t, l in zip(idx.tolist(), top.tolist(), left.tolist())])
        k = int(torch.randint(0, 4, (1,), generator=g))
        p = torch.rot90(p, k, dims=(2, 3))
        if int(torch.randint(0, 2, (1,), generator=g)):
            p = p.flip(3)
        out.append(p.contiguous())
    clean, other = out
    noisy = other + (SIGMA255 / 255.0) * torch.randn(other.shape, generator=g)
    return clean, noisy


@lru_cache(maxsize=2)
def ct_training_set(n: int = 2048) -> tuple[Tensor, Tensor, Tensor]:
    """The first ``n`` training phantoms of the CT benchmark: ``(phantoms, sinograms, fbp)``."""
    x, y = ct.ct_data("train", n)
    with torch.no_grad():
        r = ct.fbp(y)
    return x, y, r


#: Training phantoms ``[CT_TRAIN, CT_TRAIN + CT_TUNE)`` are held out of network training and used
#: to fix the reconstruction parameters (lambda, step, steps) and the TV weight.
CT_TRAIN = 2048
CT_TUNE = 32


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class CriticSchedule:
    """Training schedule of a critic (Adam, constant rate as in WGAN-GP, betas (0.5, 0.9))."""

    steps: int
    batch: int
    patch: int
    mu: float = 10.0
    lr: float = 2e-4
    seed: int = 0
    checkpoint_every: int = 50


def denoise_schedule(steps: int | None = None) -> CriticSchedule:
    full = by_profile(ci=20, default=4000, full=4000)
    return CriticSchedule(steps=int(steps) if steps is not None else full, batch=32, patch=32)


def ct_critic_schedule(steps: int | None = None) -> CriticSchedule:
    full = by_profile(ci=20, default=5000, full=5000)
    return CriticSchedule(steps=int(steps) if steps is not None else full, batch=16, patch=64)


def _resume_meta(sched: CriticSchedule) -> dict[str, Any]:
    """The identity of a critic's training run for resuming: its schedule without the length.

    The learning rate is constant and every batch depends only on ``(seed, step)``, so a run
    extended from ``n`` to ``m`` steps is the same run as one of ``m`` steps from scratch: a
    saved state of a shorter run may be continued.
    """
    return {k: v for k, v in asdict(sched).items() if k != "steps"}


def _half_state(model: nn.Module) -> dict[str, Tensor]:
    return {k: (v.detach().half() if v.is_floating_point() else v.detach()) for k, v in model.state_dict().items()}


def _critic_loss_fn(mu: float) -> Callable[[nn.Module, Any], Tensor]:
    def loss_fn(model: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
        real, noisy = batch
        loss, _ = critic_loss(model, real, noisy, mu)
        return loss
    return loss_fn


def _wasserstein_eval(real: Tensor, noisy: Tensor) -> Callable[[nn.Module], dict[str, float]]:
    def watch(model: nn.Module) -> dict[str, float]:
        with torch.enable_grad():
            norms = gradient_norms(model, noisy)
        return {"w1_estimate": float(model(noisy).mean() - model(real).mean()), "grad_norm": float(norms.mean())}
    return watch


def train_denoise_critic(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the natural-image patch critic at sigma 25/255 on unpaired Train400 patches; resumable."""
    sched = denoise_schedule(steps)
    opt = torch.optim.Adam(model.parameters(), lr=sched.lr, betas=(0.5, 0.9))
    real_v, noisy_v = natural_batch(10**6, 64, sched.patch, seed=sched.seed + 1)
    hist = fit(model, _critic_loss_fn(sched.mu),
               lambda step: natural_batch(step, sched.batch, sched.patch, sched.seed),
               steps=sched.steps, optimizer=opt, log_every=10, eval_fn=_wasserstein_eval(real_v, noisy_v),
               eval_every=max(sched.steps // 10, 1), checkpoint_path=resume_path(out_path),
               checkpoint_every=sched.checkpoint_every, meta=_resume_meta(sched), desc="denoise critic")
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split="BSD Train400 minus its last 8 images (chapter 05's validation)",
        description=(f"patch critic (six 5x5 convs 16-128, strides 1,2,1,2,1,2, 1x1 conv + global average "
                     f"pooling), P_r clean / P_n noisy sigma {SIGMA255:g}/255 unpaired {sched.patch}x{sched.patch} "
                     f"patches, one-sided gradient penalty mu {sched.mu:g}, Adam {sched.lr:g} betas (0.5, 0.9), "
                     f"batch {sched.batch}, {sched.steps} steps"),
        chapter=9, schedule=asdict(sched)), history=hist)
    return hist


def _ct_batches(sched: CriticSchedule) -> Callable[[int], tuple[Tensor, Tensor]]:
    x, _, r = ct_training_set(CT_TRAIN)
    half = CT_TRAIN // 2

    def batches(step: int) -> tuple[Tensor, Tensor]:
        # unpaired: ground truths from the first half, FBPs of the second half's sinograms
        g = torch.Generator().manual_seed(sched.seed * 1_000_003 + step)
        i = torch.randint(0, half, (sched.batch,), generator=g)
        j = torch.randint(half, CT_TRAIN, (sched.batch,), generator=g)
        return x[i], r[j]
    return batches


def train_ct_critic(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the CT critic (phantoms = P_r, FBPs of other phantoms' sinograms = P_n); resumable; saved in float16."""
    sched = ct_critic_schedule(steps)
    opt = torch.optim.Adam(model.parameters(), lr=sched.lr, betas=(0.5, 0.9))
    x, _, r = ct_training_set(CT_TRAIN)
    hist = fit(model, _critic_loss_fn(sched.mu), _ct_batches(sched), steps=sched.steps, optimizer=opt,
               log_every=10, eval_fn=_wasserstein_eval(x[:64], r[-64:]), eval_every=max(sched.steps // 10, 1),
               checkpoint_path=resume_path(out_path), checkpoint_every=sched.checkpoint_every,
               meta=_resume_meta(sched), desc="CT critic")
    save_checkpoint(out_path, _half_state(model), checkpoint_meta(
        history=hist, data_split=f"ct.SETTING train phantoms [0, {CT_TRAIN}) (unpaired halves)",
        description=(f"global critic (six 5x5 convs 16-128, strides 1,2,1,2,1,2, dense 8192-128-1), "
                     f"P_r phantoms / P_n Hann FBPs, one-sided gradient penalty mu {sched.mu:g}, Adam {sched.lr:g} "
                     f"betas (0.5, 0.9), batch {sched.batch}, {sched.steps} steps; stored in float16"),
        chapter=9, schedule=asdict(sched)), history=hist)
    return hist


@dataclass(frozen=True)
class UNetSchedule:
    steps: int
    batch: int = 16
    lr: float = 1e-3
    final_lr: float = 1e-5
    seed: int = 0
    checkpoint_every: int = 100


def train_ct_unet(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Supervised post-processing: U-Net from FBP to phantom, MSE, on the CT training split; resumable."""
    sched = UNetSchedule(steps=int(steps) if steps is not None else by_profile(ci=20, default=4000, full=4000))
    x, _, r = ct_training_set(CT_TRAIN)
    opt = torch.optim.Adam(model.parameters(), lr=sched.lr)
    lr_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(sched.steps, 1), eta_min=sched.final_lr)

    def batches(step: int) -> tuple[Tensor, Tensor]:
        g = torch.Generator().manual_seed(sched.seed * 1_000_003 + step)
        i = torch.randint(0, CT_TRAIN, (sched.batch,), generator=g)
        return r[i], x[i]

    def loss_fn(m: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
        inp, target = batch
        return F.mse_loss(m(inp), target)

    xt, _, rt = _tune_set()

    def watch(m: nn.Module) -> dict[str, float]:
        return {"tune_psnr": metrics.mean_psnr(m(rt).clamp(0, 1), xt)}

    hist = fit(model, loss_fn, batches, steps=sched.steps, optimizer=opt, scheduler=lr_sched, log_every=10,
               eval_fn=watch, eval_every=max(sched.steps // 6, 1), checkpoint_path=resume_path(out_path),
               checkpoint_every=sched.checkpoint_every, meta={**asdict(sched), **UNET_ARCH}, desc="CT U-Net")
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=f"ct.SETTING train phantoms [0, {CT_TRAIN}) with their noisy sinograms",
        description=(f"CT post-processing: Pix2Pix U-Net generator (width {UNET_ARCH['width']}, "
                     f"{UNET_ARCH['levels']} levels, input skip) from the Hann FBP to the phantom, MSE, Adam "
                     f"{sched.lr:g} cosine to {sched.final_lr:g}, batch {sched.batch}, {sched.steps} steps"),
        chapter=9, schedule=asdict(sched), architecture=dict(UNET_ARCH)), history=hist)
    return hist


@lru_cache(maxsize=1)
def _tune_set() -> tuple[Tensor, Tensor, Tensor]:
    """Training phantoms held out of network training: ``(phantoms, sinograms, fbp)`` (lambda, steps, TV weight)."""
    x, y = ct.ct_data("train", CT_TRAIN + CT_TUNE)
    x, y = x[CT_TRAIN:], y[CT_TRAIN:]
    with torch.no_grad():
        r = ct.fbp(y)
    return x, y, r


def tune_set() -> tuple[Tensor, Tensor, Tensor]:
    """Public access to the CT tuning phantoms (training split, never seen by the networks)."""
    return _tune_set()


_BUILDERS: dict[str, Callable[[], nn.Module]] = {
    DENOISE_CRITIC_NAME: build_denoise_critic, CT_CRITIC_NAME: build_ct_critic, CT_UNET_NAME: build_ct_unet,
}
_TRAINERS: dict[str, Callable[..., History]] = {
    DENOISE_CRITIC_NAME: train_denoise_critic, CT_CRITIC_NAME: train_ct_critic, CT_UNET_NAME: train_ct_unet,
}


def builder(name: str) -> Callable[[], nn.Module]:
    """The model builder of a shipped model of chapter 09."""
    if name not in _BUILDERS:
        raise KeyError(f"unknown chapter 09 model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    return _BUILDERS[name]


def trainer(name: str) -> Callable[..., History]:
    """The training function ``train_fn(model, out_path, *, steps=None)`` of a shipped model of chapter 09."""
    if name not in _TRAINERS:
        raise KeyError(f"unknown chapter 09 model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    return _TRAINERS[name]


def load(name: str, brief_steps: int | None = None, verbose: bool = False) -> tuple[nn.Module, LoadInfo]:
    """``training.load_or_train`` for one of :data:`MODEL_NAMES` (chapter 10: ``load(CT_UNET_NAME)``)."""
    model, info = load_or_train(name, builder(name), trainer(name), brief_steps=brief_steps, verbose=verbose)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, info


# --------------------------------------------------------------------------- 2-D toy


def circle_toy(n: int, noise: float = 0.3, *, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Unpaired samples of a 2-D toy: ``P_r`` uniform on the unit circle, ``P_n`` = a circle point
    moved *along its radius* by ``noise * |z|``, ``z ~ N(0, 1)`` (inwards or outwards).

    Every noisy point lies on the ray through its circle point at distance < 1 when the move is
    inward and below 1, so its projection onto the circle is that point: ``(P_M)_# P_n = P_r``,
    the theorem's low-noise assumption (for moves up to 1 inwards; the rare larger ones cross the
    centre and are dropped and redrawn). Returns ``(real, noisy)``, each ``(n, 2)``.
    """
    g = torch.Generator().manual_seed(seed)
    t_r = 2 * math.pi * torch.rand(n, generator=g)
    real = torch.stack([t_r.cos(), t_r.sin()], 1)
    t_n = 2 * math.pi * torch.rand(n, generator=g)
    r = torch.empty(n)
    filled = 0
    while filled < n:
        cand = 1.0 + noise * torch.randn(2 * n, generator=g)
        cand = cand[cand > 0.05]
        take = min(n - filled, cand.numel())
        r[filled:filled + take] = cand[:take]
        filled += take
    noisy = torch.stack([r * t_n.cos(), r * t_n.sin()], 1)
    return real, noisy


class ToyCritic(nn.Module):
    """An MLP critic for 2-D points: 2 -> width -> width -> width -> 1, leaky ReLU; output ``(N,)``."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, width), nn.LeakyReLU(LEAK), nn.Linear(width, width), nn.LeakyReLU(LEAK),
                                 nn.Linear(width, width), nn.LeakyReLU(LEAK), nn.Linear(width, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)


def train_toy_critic(real: Tensor, noisy: Tensor, *, steps: int, method: str = "penalty", mu: float = 10.0,
                     clip: float = 0.05, batch: int = 128, lr: float = 1e-3, seed: int = 0) -> tuple[ToyCritic, list[float]]:
    """Train a :class:`ToyCritic` on the 2-D toy with the one-sided gradient penalty (``method="penalty"``)
    or with weight clipping to ``[-clip, clip]`` (``method="clip"``, WGAN's original recipe, RMSprop).

    Returns the critic and the W1 estimates ``E[Psi(noisy)] - E[Psi(real)]`` along training.
    """
    if method not in ("penalty", "clip"):
        raise ValueError(f"method must be 'penalty' or 'clip', got {method!r}")
    critic = _seeded(ToyCritic, seed)
    g = torch.Generator().manual_seed(seed + 1)
    opt = (torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.9)) if method == "penalty"
           else torch.optim.RMSprop(critic.parameters(), lr=lr))
    w1 = []
    for _ in range(steps):
        i = torch.randint(0, real.shape[0], (batch,), generator=g)
        j = torch.randint(0, noisy.shape[0], (batch,), generator=g)
        if method == "penalty":
            loss, parts = critic_loss(critic, real[i], noisy[j], mu, generator=g)
        else:
            gap = critic(noisy[j]).mean() - critic(real[i]).mean()
            loss, parts = -gap, {"wasserstein": float(gap.detach())}
        opt.zero_grad()
        loss.backward()
        opt.step()
        if method == "clip":
            with torch.no_grad():
                for p in critic.parameters():
                    p.clamp_(-clip, clip)
        w1.append(parts["wasserstein"])
    critic.eval()
    for p in critic.parameters():
        p.requires_grad_(False)
    return critic, w1


# --------------------------------------------------------------------------- choosing parameters on training data


@dataclass
class Sweep:
    """PSNR along the iterations for every weight factor of a sweep (on training images).

    Attributes:
        factors: the multipliers of the heuristic weight that were tried.
        lam_heuristic: the heuristic weight ``2 E||A^* eps||`` for the images' size.
        traces: ``(len(factors), n_steps + 1)`` mean PSNR (dB) at every iterate.
        best_factor, best_steps: the maximiser of the mean PSNR over factor and iteration.
        heuristic_steps: the best iteration count at factor 1 (the heuristic weight itself).
    """

    factors: list[float]
    lam_heuristic: float
    traces: np.ndarray
    best_factor: float
    best_steps: int
    heuristic_steps: int

    @property
    def best_lam(self) -> float:
        return self.best_factor * self.lam_heuristic

    def psnr(self, factor: float, steps: int) -> float:
        return float(self.traces[self.factors.index(factor), steps])


def sweep_weights(y: Tensor, clean: Tensor, critic: nn.Module, lam_heuristic: float, factors: Sequence[float],
                  step: float, n_steps: int, *, A: LinearOperator | None = None, x0: Tensor | None = None,
                  box: tuple[float, float] | None = None, batch: int = 16) -> Sweep:
    """Run :func:`reconstruct` for every ``lam = factor * lam_heuristic`` on training images and record
    the mean PSNR along the iterations; the best ``(factor, steps)`` is the method's setting."""
    traces = []
    for f in factors:
        res = reconstruct(y, critic, f * lam_heuristic, step, n_steps, A=A, x0=x0, reference=clean, box=box,
                          batch=batch)
        traces.append(res.trace.mean(axis=1))
    traces_arr = np.stack(traces)
    fi, si = np.unravel_index(int(np.argmax(traces_arr)), traces_arr.shape)
    one = list(factors).index(1.0) if 1.0 in factors else None
    h_steps = int(np.argmax(traces_arr[one])) if one is not None else -1
    return Sweep([float(f) for f in factors], float(lam_heuristic), traces_arr, float(factors[fi]), int(si), h_steps)


def select_tv_weight(y: Tensor, clean: Tensor, lams: Sequence[float], *, A: LinearOperator | None = None,
                     tol: float = 1e-4, max_iter: int = 5000) -> tuple[float, dict[float, float]]:
    """The TV weight (``solve_tv``'s ``lam``) of highest mean PSNR on training images, and every score."""
    from .tv import solve_tv

    scores = {}
    for lam in lams:
        res = solve_tv(y, float(lam), A, tol=tol, max_iter=max_iter)
        scores[float(lam)] = metrics.mean_psnr(res.x.clamp(0, 1), clean)
    best = max(scores, key=lambda k: scores[k])
    return best, scores


def scores(x: Tensor, clean: Tensor) -> dict[str, float]:
    """Mean PSNR (dB) and SSIM of ``x`` clipped to [0, 1] against ``clean``."""
    x = x.clamp(0.0, 1.0)
    return {"psnr": metrics.mean_psnr(x, clean), "ssim": metrics.mean_ssim(x, clean)}


# --------------------------------------------------------------------------- recording a task's table

#: The row labels of the adversarial regulariser and TV in a task table (the notebook's names).
AR_ROW = "adversarial reg. (weight from sweep)"
TV_ROW = "TV"


def record_task(prefix: str, table: dict[str, dict[str, float]], keys: dict[str, str], *, supervised: str,
                sweep: Sweep, tv_weight: float, images: int, setting: str, claim: str) -> tuple[float, float]:
    """Record one task of chapter 09 (denoising or CT) with :func:`course_lib.results.record`.

    Every row's PSNR (dB) and SSIM as ``<prefix>_<keys[row]>_psnr|ssim``, the settings fixed on
    training images (``_lambda_factor``, ``_steps``, ``_tv_weight``), the margin of the
    adversarial regulariser over TV (``_ar_minus_tv_psnr``, with ``claim``) and the gap of the
    supervised row ``supervised`` over it (``_<key>_minus_ar_psnr``).

    Returns:
        ``(margin over TV, gap to the supervised method)`` in dB.
    """
    from . import results

    for row, s in table.items():
        for metric in ("psnr", "ssim"):
            results.record(f"{prefix}_{keys[row]}_{metric}", s[metric], unit="dB" if metric == "psnr" else "",
                           images=images, label=f"{row}, {setting}")
    results.record(f"{prefix}_lambda_factor", sweep.best_factor, unit="x heuristic")
    results.record(f"{prefix}_steps", sweep.best_steps, unit="gradient steps")
    results.record(f"{prefix}_tv_weight", tv_weight, unit="")
    ar = table[AR_ROW]["psnr"]
    margin = results.record(f"{prefix}_ar_minus_tv_psnr", ar - table[TV_ROW]["psnr"], unit="dB", claim=claim)
    gap = results.record(f"{prefix}_{keys[supervised]}_minus_ar_psnr", table[supervised]["psnr"] - ar, unit="dB",
                         label=f"gap of the unsupervised regulariser to the supervised {_row_name(supervised)}")
    return float(margin), float(gap)


def _row_name(row: str) -> str:
    """A table row label without its parenthesis: ``"DnCNN (ch. 05, supervised)"`` -> ``"DnCNN"``."""
    return row.split(" (")[0]

