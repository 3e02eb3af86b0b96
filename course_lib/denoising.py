"""Training and evaluating learned denoisers (chapter 05; the networks are reused in 07-10).

Two settings:

* **Natural images** (DnCNN-style residual network): random 40x40 ... 64x64 patches of
  Train400 with fresh Gaussian noise at every step; the last :data:`N_VALIDATION`
  Train400 images are held out as a validation set that is watched during training
  (no test image is ever used to choose anything). Evaluated on Set12 / BSD68 with
  chapter 04's protocol (:func:`course_lib.classical.denoising_table`).
* **MNIST** (autoencoders, U-Net, VAE): the course split, noise of std ``sigma`` on the
  [0, 1] scale added without clipping.

Each training function follows the contract of :mod:`course_lib.training`:
``train_fn(model, out_path, *, steps=None)`` trains in place, resumes from
``training.resume_path(out_path)``, saves the final weights with metadata, returns the
:class:`~course_lib.training.History`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import data, metrics
from .config import by_profile, get_profile
from .training import History, checkpoint_meta, fit, resume_path, save_checkpoint

__all__ = [
    "DNCNN",
    "LATENT_SWEEP",
    "MNIST_KINDS",
    "MNIST_SIGMAS",
    "DnCNNSchedule",
    "MnistSchedule",
    "N_VALIDATION",
    "denoise",
    "denoise_batch",
    "dncnn_schedule",
    "make_dncnn",
    "mnist_builder",
    "mnist_eval_pairs",
    "mnist_loss",
    "mnist_name",
    "mnist_noisy_batch",
    "mnist_trainer",
    "noisy_patch_batch",
    "residual_loss",
    "train400_split",
    "train_dncnn",
    "validation_psnr",
]

#: Train400 images held out for validation (the last ones): never in a training batch.
N_VALIDATION = 8
#: The shipped natural-image denoiser: 15 layers, 64 channels, on 2x2 pixel-unshuffled images.
DNCNN: dict[str, int] = {"depth": 15, "width": 64, "unshuffle": 2}


def train400_split() -> tuple[Tensor, Tensor]:
    """Train400 as ``(train, validation)`` tensors of shape ``(N, 1, 180, 180)`` in [0, 1]."""
    images = data.bsd_train400()
    return images[:-N_VALIDATION], images[-N_VALIDATION:]


def _check_sigma(sigma255: float, where: str) -> float:
    if not (isinstance(sigma255, (int, float)) and math.isfinite(sigma255) and sigma255 > 0):
        raise ValueError(f"{where}: sigma255 must be a positive noise level on the 0-255 scale, got {sigma255!r}")
    return float(sigma255)


def noisy_patch_batch(
    images: Tensor, step: int, *, batch: int, size: int, sigma255: float, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """The training batch number ``step``: ``(noisy, clean)`` patches of shape ``(batch, 1, size, size)``.

    Random images, positions and one of the 8 flips/rotations, then Gaussian noise of std
    ``sigma255 / 255`` (not clipped). Everything is drawn from a generator seeded with
    ``(seed, step)``, so a resumed run sees exactly the same batches (chapter 05).
    """
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"noisy_patch_batch: images must have shape (N, 1, H, W), got {tuple(images.shape)}")
    h, w = images.shape[-2:]
    if not 1 <= size <= min(h, w):
        raise ValueError(f"noisy_patch_batch: patch size {size} must be between 1 and {min(h, w)}")
    sigma = _check_sigma(sigma255, "noisy_patch_batch") / 255.0
    gen = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, step]).generate_state(1)[0]))
    which = torch.randint(images.shape[0], (batch,), generator=gen)
    top = torch.randint(h - size + 1, (batch,), generator=gen)
    left = torch.randint(w - size + 1, (batch,), generator=gen)
    kinds = torch.randint(8, (batch,), generator=gen)
    clean = torch.empty(batch, 1, size, size, dtype=images.dtype)
    for i in range(batch):
        p = images[which[i], :, top[i]:top[i] + size, left[i]:left[i] + size]
        p = torch.rot90(p, int(kinds[i]) % 4, dims=(1, 2))
        clean[i] = p.flip(-1) if kinds[i] >= 4 else p
    noisy = clean + sigma * torch.randn(clean.shape, generator=gen, dtype=clean.dtype)
    return noisy, clean


def residual_loss(model: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
    """DnCNN's loss: mean squared error between the predicted noise and the true noise ``y - x``.

    Equals the MSE between ``model(y) = y - R(y)`` and ``x``; written through
    ``model.noise`` to make the residual formulation visible (chapter 05).
    """
    noisy, clean = batch
    return F.mse_loss(model.noise(noisy), noisy - clean)


def denoise(model: nn.Module, y: np.ndarray | Tensor, *, clip: bool = True) -> np.ndarray:
    """Apply a trained denoiser to one grey-level image (2-D, values on the [0, 1] scale).

    Runs in eval mode without gradients, in float32; returns a float64 array of the same
    shape, clipped to [0, 1] unless ``clip=False`` (chapter 05's table protocol).
    """
    arr = y.detach().cpu().numpy() if isinstance(y, Tensor) else np.asarray(y)
    if arr.ndim != 2:
        raise ValueError(f"denoise: expected one 2-D grey-level image, got shape {arr.shape}")
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))[None, None])[0, 0]
    model.train(was_training)
    out = out.double().numpy()
    return np.clip(out, 0.0, 1.0) if clip else out


def validation_psnr(model: nn.Module, images: Tensor, sigma255: float, *, seed: int = 7) -> float:
    """Mean PSNR (dB) of ``model`` on ``images`` with fixed noise of std ``sigma255 / 255`` (chapter 05)."""
    sigma = _check_sigma(sigma255, "validation_psnr") / 255.0
    gen = torch.Generator().manual_seed(seed)
    noisy = images + sigma * torch.randn(images.shape, generator=gen, dtype=images.dtype)
    with torch.no_grad():
        out = torch.cat([model(noisy[i:i + 1]) for i in range(len(noisy))]).clamp(0, 1)
    return float(metrics.psnr(out, images).mean())


@dataclass(frozen=True)
class DnCNNSchedule:
    """The training schedule of the natural-image denoiser (chapter 05)."""

    steps: int
    batch: int = 64
    patch: int = 48
    sigma255: float = 25.0
    lr: float = 1e-3
    final_lr: float = 1e-5
    seed: int = 0
    eval_every: int = 250
    checkpoint_every: int = 100


def dncnn_schedule(steps: int | None = None) -> DnCNNSchedule:
    """The profile's schedule; ``steps`` overrides its length (a brief demonstration run)."""
    full = by_profile(ci=40, default=600, full=5_600)
    return DnCNNSchedule(steps=int(steps) if steps is not None else full,
                         eval_every=by_profile(ci=20, default=200, full=250))


def make_dncnn(seed: int = 0) -> nn.Module:
    """A fresh network with the shipped architecture :data:`DNCNN` (chapter 05)."""
    from .models.dncnn import build_dncnn

    return build_dncnn(seed=seed, **DNCNN)


def train_dncnn(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train a residual denoiser at sigma = 25 on Train400 patches; resumable (chapter 05).

    Adam with a cosine learning-rate decay from ``lr`` to ``final_lr`` over the schedule;
    the validation PSNR on the held-out Train400 images is logged every ``eval_every``
    steps. The final weights (no selection by validation or test score) are saved to
    ``out_path`` with their metadata.
    """
    sched = dncnn_schedule(steps)
    train_images, val_images = train400_split()
    opt = torch.optim.Adam(model.parameters(), lr=sched.lr)
    lr_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=sched.steps, eta_min=sched.final_lr)

    def batches(step: int) -> tuple[Tensor, Tensor]:
        return noisy_patch_batch(train_images, step, batch=sched.batch, size=sched.patch,
                                 sigma255=sched.sigma255, seed=sched.seed)

    def watch(m: nn.Module) -> dict[str, float]:
        return {"val_psnr": validation_psnr(m, val_images, sched.sigma255)}

    hist = fit(model, residual_loss, batches, steps=sched.steps, optimizer=opt, scheduler=lr_sched,
               log_every=10, eval_fn=watch, eval_every=sched.eval_every,
               checkpoint_path=resume_path(out_path), checkpoint_every=sched.checkpoint_every,
               meta={**asdict(sched), "architecture": _arch(model)}, desc="DnCNN")
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=f"BSD Train400 minus its last {N_VALIDATION} images (validation)",
        description=(f"DnCNN-style residual denoiser {_arch(model)}, sigma={sched.sigma255:g}/255, "
                     f"Adam {sched.lr:g} cosine to {sched.final_lr:g}, batch {sched.batch} x {sched.patch}^2"),
        chapter=5, schedule=asdict(sched), architecture=_arch(model)), history=hist)
    return hist


def _arch(model: nn.Module) -> dict[str, Any]:
    return {k: int(getattr(model, k)) for k in ("depth", "width", "unshuffle") if hasattr(model, k)}


# --------------------------------------------------------------------------- MNIST denoisers

#: Noise levels (std on the [0, 1] scale) of the shipped MNIST denoisers.
MNIST_SIGMAS: tuple[float, ...] = (0.1, 0.3, 0.5)


def mnist_name(kind: str, sigma: float, latent: int | None = None) -> str:
    """Registry name of a shipped MNIST model, e.g. ``mnist_unet_s030`` or ``mnist_conv_k8_s030`` (chapters 05, 07, 08).

    ``latent`` names a code size other than the kind's default (chapter 05's latent sweep).
    """
    code = f"_k{int(latent)}" if latent is not None else ""
    return f"mnist_{kind}{code}_s{round(100 * sigma):03d}"


def mnist_noisy_batch(
    images: Tensor, step: int, *, batch: int, sigma: float, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Batch ``step`` of ``(noisy, clean)`` MNIST digits: noise of std ``sigma`` ([0, 1] scale), not clipped.

    Images and noise are drawn from a generator seeded with ``(seed, step)`` (resumable, chapter 05).
    """
    if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"mnist_noisy_batch: sigma must be >= 0 on the [0, 1] scale, got {sigma!r}")
    gen = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, step, 5]).generate_state(1)[0]))
    clean = images[torch.randint(images.shape[0], (batch,), generator=gen)]
    return clean + sigma * torch.randn(clean.shape, generator=gen), clean


def mnist_eval_pairs(sigma: float, n: int | None = None, *, seed: int = 2024) -> tuple[Tensor, Tensor]:
    """The course's fixed noisy evaluation digits: ``(noisy, clean)``, the first ``n`` of the MNIST eval split.

    Digit ``i`` gets the noise of :func:`course_lib.classical.noisy_version` ``(x_i, 255 sigma, seed, i)``,
    so a classical method scored by :func:`course_lib.classical.denoising_table` with the same
    seed sees exactly the same noisy digits (chapters 05, 07 and 08 compare on these).
    """
    from .classical import noisy_version

    if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"mnist_eval_pairs: sigma must be >= 0 on the [0, 1] scale, got {sigma!r}")
    clean = data.mnist("eval")[0]
    if n is not None:
        clean = clean[:n]
    noisy = np.stack([noisy_version(x[0].double().numpy(), 255.0 * sigma, seed, i) for i, x in enumerate(clean)])
    return torch.from_numpy(noisy).float()[:, None], clean


def denoise_batch(model: nn.Module, noisy: Tensor, *, batch: int = 500) -> Tensor:
    """Apply an MNIST denoiser to ``(N, 1, 28, 28)`` digits in eval mode, clipped to [0, 1] (chapter 05).

    For a VAE the decoder's output at the posterior mean is returned.
    """
    was_training = model.training
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(noisy), batch):
            out = model(noisy[i:i + batch])
            outs.append((out[0] if isinstance(out, tuple) else out).clamp(0, 1))
    model.train(was_training)
    return torch.cat(outs)


@dataclass(frozen=True)
class MnistSchedule:
    """Training schedule of an MNIST denoiser (chapter 05)."""

    steps: int
    sigma: float
    batch: int = 128
    lr: float = 2e-3
    final_lr: float = 1e-4
    seed: int = 0
    beta: float = 1.0  # weight of the KL term (VAE only)


def mnist_loss(model: nn.Module, batch: tuple[Tensor, Tensor], beta: float = 1.0) -> Tensor:
    """MSE to the clean digit; for a VAE the negative ELBO of the clean digit given the noisy one."""
    from .models.autoencoders import ConvVAE, vae_loss

    noisy, clean = batch
    if isinstance(model, ConvVAE):
        recon, mu, logvar = model(noisy)
        return vae_loss(recon, clean, mu, logvar, beta)
    return F.mse_loss(model(noisy), clean)


#: Architecture of each shipped MNIST model kind (:func:`course_lib.models.autoencoders.build` arguments).
MNIST_KINDS: dict[str, dict[str, Any]] = {
    "conv": {"latent": 32}, "unet": {"width": 8}, "plain": {"width": 8},
    "dense": {"latent": 32, "hidden": 128}, "vae": {"latent": 16},
}
#: Code sizes of chapter 05's latent sweep (convolutional autoencoders at sigma = 0.3; 32 is the default).
LATENT_SWEEP: tuple[int, ...] = (2, 4, 8, 16, 32, 64)


def mnist_builder(kind: str, seed: int = 0, latent: int | None = None) -> Callable[[], nn.Module]:
    """``build_model()`` for a shipped MNIST model kind (see :data:`MNIST_KINDS`), chapter 05.

    ``latent`` overrides the kind's code size (the latent sweep).
    """
    from .models.autoencoders import build

    if kind not in MNIST_KINDS:
        raise ValueError(f"unknown MNIST model kind {kind!r}; shipped kinds: {', '.join(MNIST_KINDS)}")
    kwargs = {**MNIST_KINDS[kind], **({"latent": int(latent)} if latent is not None else {})}
    return lambda: build(kind, seed=seed, **kwargs)


def mnist_trainer(kind: str, sigma: float, *, full_steps: int | None = None,
                  beta: float = 1.0, batch: int | None = None) -> Callable[..., History]:
    """A training function ``train_fn(model, out_path, *, steps=None)`` for an MNIST denoiser.

    ``kind`` only labels the checkpoint; the model is whatever is passed in. Adam with a
    cosine decay, on the 8,000 course-train digits with fresh noise at every step.
    """
    def train(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
        total = steps if steps is not None else (full_steps or by_profile(ci=60, default=1_500, full=3_000))
        size = batch or (64 if kind in ("unet", "plain") else 128)
        sched = MnistSchedule(steps=int(total), sigma=float(sigma), beta=float(beta), batch=size)
        images = data.mnist("train")[0]
        opt = torch.optim.Adam(model.parameters(), lr=sched.lr)
        lr_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=sched.steps, eta_min=sched.final_lr)
        hist = fit(model, lambda m, b: mnist_loss(m, b, sched.beta),
                   lambda step: mnist_noisy_batch(images, step, batch=sched.batch, sigma=sched.sigma, seed=sched.seed),
                   steps=sched.steps, optimizer=opt, scheduler=lr_sched, log_every=20,
                   checkpoint_path=resume_path(out_path), checkpoint_every=500,
                   meta={**asdict(sched), "kind": kind}, progress=False, desc=kind)
        save_checkpoint(out_path, model, checkpoint_meta(
            history=hist, data_split="mnist-course-train-8000", chapter=5, kind=kind, schedule=asdict(sched),
            description=f"MNIST {kind} denoiser, sigma={sigma:g} ([0,1] scale), Adam {sched.lr:g} cosine, "
                        f"batch {sched.batch}"), history=hist)
        return hist

    return train
