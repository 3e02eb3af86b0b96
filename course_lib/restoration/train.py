"""The shipped models of chapter 07, their builders and their (resumable) training functions.

Every model follows the contract of :mod:`course_lib.training`: ``builder(name)()`` makes a
fresh network, ``trainer(name)`` is ``train_fn(model, out_path, *, steps=None)``, and
:func:`load` is ``training.load_or_train`` for one of :data:`MODEL_NAMES`.

Restorers (:data:`SPECS`) share one recipe, :func:`restorer_trainer`: a generator (Pix2Pix's
U-Net, or chapter 05's U-Net for the blind-denoising experiment) trained on batches of
``(degraded, clean)`` digits of the course's training split with a loss made of up to three
terms -- a pixel loss (MSE, L1 or 1 - SSIM), the perceptual loss on the features of chapter
06's classifier, and an adversarial loss (Pix2Pix's conditional PatchGAN, or a WGAN-GP
critic as in DeblurGAN). Only the generator is shipped; the discriminator lives in the
resumable training state. Every hyperparameter is fixed in advance (the papers' loss weights,
one optimizer setting per family); nothing is chosen on evaluation digits.

Two further models: the *judge*, a second MNIST classifier trained here (another
architecture and seed than chapter 06's), which scores outputs of networks trained with
chapter 06's classifier in their loss; and the noise GAN of the blind-denoising experiment
(:mod:`.noise_model`).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor, nn

from .. import data, gan, losses
from ..config import by_profile, get_profile
from ..io import sha256_file
from ..models import autoencoders, pix2pix
from ..training import (History, LoadInfo, checkpoint_meta, default_checkpoint_dir, fit, load_or_train,
                        resume_path, save_checkpoint, shipped_checkpoints)
from . import noise_model, tasks

__all__ = [
    "CLEAN_HALF",
    "CRITIC_ARCH",
    "DISCRIMINATOR_ARCH",
    "GENERATOR_ARCH",
    "JUDGE_ARCH",
    "JUDGE_NAME",
    "MODEL_NAMES",
    "NOISE_GAN_ARCH",
    "NOISE_GAN_NAME",
    "SPECS",
    "RestorerSchedule",
    "RestorerSpec",
    "builder",
    "classifier",
    "judge",
    "load",
    "observed_noise_patches",
    "observed_noisy",
    "restorer_schedule",
    "restorer_trainer",
    "trainer",
]

#: Pix2Pix's U-Net generator at the course's scale, with the input skip (99,050 weights, 0.4 MB).
GENERATOR_ARCH: dict[str, int] = {"width": 16, "levels": 3}
#: The conditional PatchGAN: one stride-2 layer, 16x16-pixel patches (9,297 weights).
DISCRIMINATOR_ARCH: dict[str, Any] = {"in_channels": 2, "width": 16, "n_strided": 1, "norm": "batch"}
#: DeblurGAN's critic at the course's scale: the same PatchGAN, unconditional, no normalisation.
CRITIC_ARCH: dict[str, int] = {"in_channels": 1, "width": 16, "n_strided": 1}
#: The judge classifier: a smaller MnistCNN than chapter 06's (width 16, hidden 64), another seed.
JUDGE_ARCH: dict[str, int] = {"width": 8, "hidden": 32}
JUDGE_NAME = "ch07_judge"
NOISE_GAN_NAME = "ch07_noise_gan"
NOISE_GAN_ARCH: dict[str, int] = {"channels": 4, "width": 32, "layers": 3, "patch": 6}
#: The training digits of the blind-denoising experiment split in two: the first half is only
#: ever seen *noisy* (the noise is learned from it), the second half only *clean* (pairs are synthesised on it).
CLEAN_HALF = 4000
#: The seed of the noise on the observed (first-half) training digits.
OBSERVED_NOISE_SEED = 1


@dataclass(frozen=True)
class RestorerSpec:
    """What one restorer of chapter 07 is trained for and with.

    Attributes:
        task: ``denoise``, ``occlude``, ``deblur``, ``structured`` (true noise) or ``gcbd``
            (clean digits plus noise from the noise GAN).
        pixel: ``mse``, ``l1``, ``ssim`` or ``none``.
        pixel_weight: its weight (Pix2Pix's ``lambda``).
        perceptual_weight: weight of the perceptual loss (0: none).
        adversarial: ``none``, ``pix2pix`` (conditional PatchGAN, non-saturating loss) or
            ``wgan-gp`` (unconditional critic with gradient penalty, as DeblurGAN).
        architecture: ``pix2pix`` (:data:`GENERATOR_ARCH`) or ``unet05`` (chapter 05's U-Net).
        label: a short name for tables.
    """

    task: str
    pixel: str = "mse"
    pixel_weight: float = 1.0
    perceptual_weight: float = 0.0
    adversarial: str = "none"
    architecture: str = "pix2pix"
    label: str = ""

    def __post_init__(self) -> None:
        if self.task not in tasks.TASKS + ("gcbd",):
            raise ValueError(f"RestorerSpec.task must be one of {tasks.TASKS + ('gcbd',)}, got {self.task!r}")
        if self.pixel not in losses.PIXEL_LOSSES + ("none",):
            raise ValueError(f"RestorerSpec.pixel must be one of {losses.PIXEL_LOSSES + ('none',)}, got {self.pixel!r}")
        if self.adversarial not in ("none", "pix2pix", "wgan-gp"):
            raise ValueError(f"RestorerSpec.adversarial must be none, pix2pix or wgan-gp, got {self.adversarial!r}")
        if self.adversarial == "pix2pix" and self.pixel != "l1":
            raise ValueError("a Pix2Pix generator is trained with the L1 term (pixel='l1')")
        if self.architecture not in ("pix2pix", "unet05"):
            raise ValueError(f"RestorerSpec.architecture must be pix2pix or unet05, got {self.architecture!r}")
        if self.pixel == "none" and self.perceptual_weight == 0 and self.adversarial == "none":
            raise ValueError("RestorerSpec: the loss has no term")


#: The restorers of the chapter, by registry name.
SPECS: dict[str, RestorerSpec] = {
    "ch07_dn_mse": RestorerSpec("denoise", "mse", label="U-Net generator, MSE"),
    "ch07_dn_l1": RestorerSpec("denoise", "l1", label="U-Net generator, L1"),
    "ch07_dn_p2p100": RestorerSpec("denoise", "l1", 100.0, adversarial="pix2pix", label="Pix2Pix, λ = 100"),
    "ch07_dn_p2p10": RestorerSpec("denoise", "l1", 10.0, adversarial="pix2pix", label="Pix2Pix, λ = 10"),
    "ch07_dn_perc": RestorerSpec("denoise", "mse", 1.0, perceptual_weight=1.0, label="MSE + perceptual"),
    "ch07_occ_mse": RestorerSpec("occlude", "mse", label="occlusion, MSE"),
    "ch07_occ_ssim": RestorerSpec("occlude", "ssim", label="occlusion, 1 - SSIM"),
    "ch07_blur_mse": RestorerSpec("deblur", "mse", label="deblurring, MSE"),
    "ch07_blur_gan": RestorerSpec("deblur", "none", 0.0, perceptual_weight=100.0, adversarial="wgan-gp",
                                  label="DeblurGAN-style: WGAN-GP + 100 perceptual"),
    "ch07_sn_true": RestorerSpec("structured", "mse", architecture="unet05", label="U-Net, true noise"),
    "ch07_sn_gcbd": RestorerSpec("gcbd", "mse", architecture="unet05", label="U-Net, GAN-modelled noise"),
}
#: Every shipped model of the chapter, in training order (the noise GAN before the denoiser that needs it).
MODEL_NAMES: tuple[str, ...] = (JUDGE_NAME, NOISE_GAN_NAME, *SPECS)


@dataclass(frozen=True)
class RestorerSchedule:
    """The optimisation schedule of a restorer (chapter 07).

    Adam with betas ``betas`` and a cosine decay from ``lr`` to ``final_lr`` over ``steps``;
    generator and discriminator share it; ``d_steps`` discriminator (critic) updates per
    generator update, each on its own batch of ``batch`` digits.
    """

    steps: int
    batch: int = 64
    lr: float = 5e-4
    final_lr: float = 1e-5
    betas: tuple[float, float] = (0.5, 0.999)
    d_steps: int = 1
    gp_weight: float = 10.0
    seed: int = 0


def restorer_schedule(spec: RestorerSpec, steps: int | None = None) -> RestorerSchedule:
    """The profile's schedule for ``spec``; ``steps`` overrides its length (a brief demonstration).

    * Pix2Pix generators (every loss): Adam 5e-4 -> 1e-5, betas (0.5, 0.999) as Pix2Pix, batch 64;
      the WGAN-GP critic: betas (0.5, 0.9) and 2 critic steps per generator step.
    * Chapter 05's U-Net: chapter 05's schedule (Adam 2e-3 -> 1e-4, default betas, batch 64),
      so that it compares with chapter 05's shipped U-Net at the same budget.
    """
    total = int(steps) if steps is not None else by_profile(ci=6, default=3000, full=3000)
    if spec.architecture == "unet05":
        return RestorerSchedule(steps=total, lr=2e-3, final_lr=1e-4, betas=(0.9, 0.999))
    if spec.adversarial == "wgan-gp":
        return RestorerSchedule(steps=total, betas=(0.5, 0.9), d_steps=2)
    return RestorerSchedule(steps=total)


# --------------------------------------------------------------------------- the classifiers


@functools.lru_cache(maxsize=4)
def _classifier(profile: str) -> tuple[nn.Module, LoadInfo]:
    return load_or_train(gan.CLASSIFIER_NAME, gan.make_classifier, gan.train_classifier, verbose=False)


def classifier() -> tuple[nn.Module, LoadInfo]:
    """Chapter 06's quality classifier (shipped as ``gan06_classifier``) and its LoadInfo, loaded once per process.

    Its features define the perceptual loss of this chapter and its accuracy on restored
    digits is one of the scores.
    """
    return _classifier(get_profile().name)


def classifier_fingerprint() -> str:
    """sha256 of the shipped chapter-06 classifier file, or ``"not shipped"`` (stored with perceptual models)."""
    entry = shipped_checkpoints().get(gan.CLASSIFIER_NAME)
    path = default_checkpoint_dir() / entry["file"] if entry else None
    return sha256_file(path) if path is not None and path.exists() else "not shipped"


def make_judge() -> nn.Module:
    """A fresh judge classifier (MnistCNN, :data:`JUDGE_ARCH`, seed 1)."""
    from ..models.mnist_cnn import build_mnist_cnn

    return build_mnist_cnn(1, **JUDGE_ARCH)


def train_judge(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the judge on the 8,000 course-train digits: Adam 1e-3 cosine to 1e-5, batch 128; resumable."""
    from ..models.mnist_cnn import accuracy, cross_entropy_loss

    total = int(steps) if steps is not None else by_profile(ci=30, default=1500, full=1500)
    x, y = data.mnist("train")
    x_eval, y_eval = data.mnist("eval")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=1e-5)

    def batches(step: int) -> tuple[Tensor, Tensor]:
        idx = torch.randint(x.shape[0], (128,), generator=tasks.step_generator(0, step, stream=9))
        return x[idx], y[idx]

    hist = fit(model, cross_entropy_loss, batches, steps=total, optimizer=opt, scheduler=sched, log_every=25,
               eval_fn=lambda m: {"eval_accuracy": accuracy(m, x_eval, y_eval)}, eval_every=total,
               checkpoint_path=resume_path(out_path), checkpoint_every=500,
               meta={"lr": 1e-3, "batch": 128, "steps": total, **JUDGE_ARCH}, progress=False, desc="judge")
    acc = hist.evals["eval_accuracy"][-1]
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split="mnist-course-train-8000", chapter=7, eval_accuracy=float(acc),
        architecture=dict(JUDGE_ARCH),
        description=(f"MnistCNN(width={JUDGE_ARCH['width']}, hidden={JUDGE_ARCH['hidden']}), seed 1: the judge of "
                     f"chapter 07 (independent of chapter 06's classifier); Adam 1e-3 cosine, batch 128, {total} "
                     f"steps; held-out accuracy {acc:.4f}")), history=hist)
    return hist


@functools.lru_cache(maxsize=4)
def _judge(profile: str) -> tuple[nn.Module, LoadInfo]:
    return load_or_train(JUDGE_NAME, make_judge, train_judge, verbose=False)


def judge() -> tuple[nn.Module, LoadInfo]:
    """The chapter's judge classifier and its LoadInfo, loaded (or trained) once per process."""
    return _judge(get_profile().name)


# --------------------------------------------------------------------------- the noise GAN


@functools.lru_cache(maxsize=2)
def observed_noisy() -> Tensor:
    """The first :data:`CLEAN_HALF` training digits with structured noise: the only images the noise is learned from."""
    images = data.mnist("train")[0][:CLEAN_HALF]
    gen = torch.Generator().manual_seed(OBSERVED_NOISE_SEED)
    return images + tasks.structured_noise(tuple(images.shape), gen)


@functools.lru_cache(maxsize=2)
def observed_noise_patches() -> noise_model.PatchExtraction:
    """The noise patches of :func:`observed_noisy`: the 6x6 corner patches that pass the smoothness test (mu = gamma = 1)."""
    return noise_model.smooth_patches(observed_noisy(), size=NOISE_GAN_ARCH["patch"], sub=3, sub_stride=3,
                                      mu=1.0, gamma=1.0, positions=noise_model.corner_positions(
                                          28, NOISE_GAN_ARCH["patch"]))


def make_noise_generator(seed: int = 0) -> noise_model.NoiseGenerator:
    """A fresh noise generator (:data:`NOISE_GAN_ARCH`); the shipped one has ``seed`` 0."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return noise_model.NoiseGenerator(**NOISE_GAN_ARCH)


def train_noise_gan(model: nn.Module, out_path: str | Path, *, steps: int | None = None, seed: int = 0) -> History:
    """Train the noise generator against a critic on the observed noise patches (WGAN-GP); resumable.

    Chapter 06's :func:`course_lib.gan.train_gan` with the settings of Gulrajani et al. (Adam
    1e-4, beta2 0.9, 5 critic steps per generator step, gradient penalty 10, batch 64) except
    beta1 = 0.5 where their Algorithm 1 uses 0 (the course's WGAN-GP setting of chapter 06).
    Every 25 steps the statistics of 64 generated 28x28 fields are logged. ``seed`` 0 is the
    shipped run; another seed changes the critic's initial weights and every random draw (the
    seed study of :mod:`scripts/seeds_07.py`).
    """
    total = int(steps) if steps is not None else by_profile(ci=4, default=2000, full=2000)
    patch = NOISE_GAN_ARCH["patch"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1 + seed)
        critic = noise_model.NoiseCritic(width=32, patch=patch)
    pair = noise_model.NoiseGAN(model, critic)
    real = observed_noise_patches().patches
    config = gan.GANConfig(loss="wgan-gp", d_steps=5, batch=64, lr_g=1e-4, lr_d=1e-4, betas=(0.5, 0.9),
                           gp_weight=10.0, seed=seed)

    def sample_real(n: int, gen: torch.Generator) -> Tensor:
        return real[torch.randint(real.shape[0], (n,), generator=gen)]

    def watch(p: nn.Module) -> dict[str, float]:
        fields = p.generator.field(64, 28, 28, generator=torch.Generator().manual_seed(3))
        stats = noise_model.noise_statistics(fields)
        return {k: stats[k] for k in ("std", "corr_h1", "corr_v1")}

    hist = gan.train_gan(pair, config, sample_real, steps=total, log_every=25, eval_fn=watch,
                         checkpoint_path=resume_path(out_path), checkpoint_every=250,
                         meta={"arch": dict(NOISE_GAN_ARCH), "patches": int(real.shape[0]), **({"seed": seed} if seed else {})},
                         desc="noise GAN")
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=f"noise patches of mnist-course-train[:{CLEAN_HALF}] (noisy only)", chapter=7,
        architecture=dict(NOISE_GAN_ARCH), patches=int(real.shape[0]), config=_plain(asdict(config)), seed=seed,
        description=(f"fully convolutional noise generator ({NOISE_GAN_ARCH['layers']} valid 3x3 convolutions), "
                     f"WGAN-GP on {real.shape[0]} extracted {patch}x{patch} noise patches, {total} generator steps")),
        history=hist)
    return hist


# --------------------------------------------------------------------------- restorers


class _Pair(nn.Module):
    """A generator and its discriminator, trained together (the resumable state holds both)."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator


class _Stats:
    """Running means of per-step quantities, emptied at every log point."""

    def __init__(self) -> None:
        self.sums: dict[str, list[float]] = {}

    def add(self, **values: float) -> None:
        for key, value in values.items():
            entry = self.sums.setdefault(key, [0.0, 0])
            entry[0] += float(value)
            entry[1] += 1

    def flush(self) -> dict[str, float]:
        out = {key: s / n for key, (s, n) in self.sums.items() if n}
        self.sums = {}
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _make_batches(spec: RestorerSpec, sched: RestorerSchedule,
                  noise_gan: Callable[[], nn.Module] | None = None) -> Callable[[int], dict[str, Any]]:
    """``step -> {"step": step, "pairs": [(degraded, clean)] * d_steps}`` (one batch per discriminator step;
    the generator uses the last). ``noise_gan`` gives the noise generator of the ``gcbd`` task
    (default: the shipped one)."""
    images = data.mnist("train")[0]
    if spec.task in ("structured", "gcbd"):
        images = images[CLEAN_HALF:]
    noise_gen = (noise_gan or (lambda: load(NOISE_GAN_NAME)[0]))() if spec.task == "gcbd" else None
    k = sched.d_steps if spec.adversarial != "none" else 1

    def batches(step: int) -> dict[str, Any]:
        out = []
        for j in range(k):
            if noise_gen is None:
                out.append(tasks.task_batch(spec.task, images, step, batch=sched.batch, seed=sched.seed + 1000 * j))
            else:
                gen = tasks.step_generator(sched.seed + 1000 * j, step)
                clean = images[torch.randint(images.shape[0], (sched.batch,), generator=gen)]
                with torch.no_grad():
                    noise = noise_gen.field(sched.batch, clean.shape[-2], clean.shape[-1], generator=gen)
                out.append((clean + noise, clean))
        return {"step": step, "pairs": out}

    return batches


def _set_requires_grad(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


def restorer_trainer(name: str, seed: int = 0, noise_gan: Callable[[], nn.Module] | None = None) -> Callable[..., History]:
    """``train_fn(model, out_path, *, steps=None)`` for the restorer ``name`` of :data:`SPECS` (chapter 07).

    The generator loss is ``pixel_weight * pixel + perceptual_weight * perceptual + adversarial``:
    with ``pix2pix`` it is :func:`course_lib.losses.pix2pix_generator_loss` and the discriminator
    minimises :func:`course_lib.losses.pix2pix_discriminator_loss` on ``cat(degraded, clean)``
    against ``cat(degraded, G(degraded))``; with ``wgan-gp`` the critic sees restored and clean
    digits only and minimises chapter 06's Wasserstein loss plus ``gp_weight`` times
    :func:`course_lib.gan.gradient_penalty`, and the generator's adversarial term is
    ``-mean critic(G(y))``. Logged every 25 steps (``History.evals``): the mean of each term.

    ``seed`` 0 is the shipped run; another seed changes the discriminator's initial weights
    and every batch (the generator's initial weights come from ``builder(name, seed)``), and
    ``noise_gan`` supplies that seed's noise generator for the ``gcbd`` task.
    """
    if name not in SPECS:
        raise ValueError(f"unknown restorer {name!r}; chapter 07's restorers are {', '.join(SPECS)}")
    spec = SPECS[name]

    def train(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
        sched = replace(restorer_schedule(spec, steps), seed=seed)
        batches = _make_batches(spec, sched, noise_gan)
        perceptual = None
        if spec.perceptual_weight > 0:
            perceptual = losses.PerceptualLoss(losses.feature_extractor(classifier()[0]))
        stats = _Stats()
        disc: nn.Module | None = None
        if spec.adversarial == "pix2pix":
            disc = pix2pix.build_patch_discriminator(1 + seed, **DISCRIMINATOR_ARCH)
        elif spec.adversarial == "wgan-gp":
            disc = pix2pix.build_critic(1 + seed, **CRITIC_ARCH)
        net = model if disc is None else _Pair(model, disc)
        groups = [{"params": list(model.parameters())}]
        if disc is not None:
            groups.append({"params": list(disc.parameters())})
        opt = torch.optim.Adam(groups, lr=sched.lr, betas=sched.betas)
        lr_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(sched.steps, 1), eta_min=sched.final_lr)

        def generator_terms(degraded: Tensor, clean: Tensor) -> Tensor:
            fake = model(degraded)
            total = fake.new_zeros(())
            if spec.adversarial == "pix2pix":
                logits = disc(torch.cat([degraded, fake], dim=1))
                total = losses.pix2pix_generator_loss(logits, fake, clean, spec.pixel_weight)
                stats.add(adversarial=float(gan.nonsaturating_generator_loss(logits.detach().reshape(-1))),
                          pixel=float(losses.pixel_loss("l1", fake.detach(), clean)))
            else:
                if spec.pixel != "none":
                    pix = losses.pixel_loss(spec.pixel, fake, clean)
                    total = total + spec.pixel_weight * pix
                    stats.add(pixel=float(pix.detach()))
                if spec.adversarial == "wgan-gp":
                    adv = gan.generator_loss(disc.score(fake), "wgan-gp")
                    total = total + adv
                    stats.add(adversarial=float(adv.detach()))
            if perceptual is not None:
                perc = perceptual(fake, clean)
                total = total + spec.perceptual_weight * perc
                stats.add(perceptual=float(perc.detach()))
            return total

        def discriminator_step(degraded: Tensor, clean: Tensor, gen: torch.Generator) -> None:
            opt.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = model(degraded)
            if spec.adversarial == "pix2pix":
                real_logits = disc(torch.cat([degraded, clean], dim=1))
                fake_logits = disc(torch.cat([degraded, fake], dim=1))
                loss_d = losses.pix2pix_discriminator_loss(real_logits, fake_logits)
                stats.add(d_loss=float(loss_d.detach()), d_real=float(torch.sigmoid(real_logits.detach()).mean()),
                          d_fake=float(torch.sigmoid(fake_logits.detach()).mean()))
            else:
                real_s, fake_s = disc.score(clean), disc.score(fake)
                loss_d = gan.discriminator_loss(real_s, fake_s, "wgan-gp")
                stats.add(wasserstein=float(-loss_d.detach()))
                loss_d = loss_d + sched.gp_weight * gan.gradient_penalty(disc.score, clean, fake, gen)
                stats.add(d_loss=float(loss_d.detach()))
            if not torch.isfinite(loss_d):
                raise FloatingPointError(f"{name}: the discriminator loss is {float(loss_d)}")
            loss_d.backward()
            opt.step()

        def loss_fn(_: nn.Module, batch: dict[str, Any]) -> Tensor:
            pairs = batch["pairs"]
            if disc is not None:
                _set_requires_grad(disc, True)
                gen = tasks.step_generator(sched.seed, batch["step"], stream=11)
                for degraded, clean in pairs:
                    discriminator_step(degraded, clean, gen)
                opt.zero_grad(set_to_none=True)
                _set_requires_grad(disc, False)
            return generator_terms(*pairs[-1])

        arch = dict(GENERATOR_ARCH) if spec.architecture == "pix2pix" else dict(autoencoders_arch())
        meta = {"spec": _plain(asdict(spec)), "schedule": _plain(asdict(sched)), "arch": arch}
        try:
            hist = fit(net, loss_fn, batches, steps=sched.steps, optimizer=opt, scheduler=lr_sched, log_every=25,
                       eval_fn=lambda _: stats.flush(), eval_every=25, checkpoint_path=resume_path(out_path),
                       checkpoint_every=250, meta=meta, progress=False, desc=name)
        finally:
            if disc is not None:
                _set_requires_grad(disc, True)
        extra: dict[str, Any] = {}
        if perceptual is not None:
            extra["classifier_sha256"] = classifier_fingerprint()
        if spec.task == "gcbd" and noise_gan is None:
            extra["noise_gan_sha256"] = _shipped_sha(NOISE_GAN_NAME)
        save_checkpoint(out_path, model, checkpoint_meta(
            history=hist, data_split=_split(spec), chapter=7, spec=_plain(asdict(spec)), schedule=_plain(asdict(sched)),
            architecture=arch, description=_describe(name, spec, sched), **extra), history=hist)
        return hist

    return train


def autoencoders_arch() -> dict[str, Any]:
    """Chapter 05's U-Net architecture (``course_lib.denoising.MNIST_KINDS['unet']``)."""
    from ..denoising import MNIST_KINDS

    return {"kind": "unet", **MNIST_KINDS["unet"]}


def _shipped_sha(name: str) -> str:
    entry = shipped_checkpoints().get(name)
    return entry["sha256"] if entry else "not shipped"


def _split(spec: RestorerSpec) -> str:
    if spec.task == "structured":
        return f"mnist-course-train[{CLEAN_HALF}:] clean + true structured noise"
    if spec.task == "gcbd":
        return f"mnist-course-train[{CLEAN_HALF}:] clean + noise of {NOISE_GAN_NAME}"
    return "mnist-course-train-8000"


def _describe(name: str, spec: RestorerSpec, sched: RestorerSchedule) -> str:
    terms = []
    if spec.pixel != "none":
        terms.append(f"{spec.pixel_weight:g} x {spec.pixel}")
    if spec.perceptual_weight:
        terms.append(f"{spec.perceptual_weight:g} x perceptual (chapter 06 classifier features)")
    if spec.adversarial != "none":
        terms.append(f"{spec.adversarial} adversarial")
    net = "Pix2Pix U-Net generator (width 16, 3 levels)" if spec.architecture == "pix2pix" else "chapter 05's U-Net"
    return (f"{name}: {net} for the {spec.task} task, loss {' + '.join(terms)}; Adam {sched.lr:g} cosine to "
            f"{sched.final_lr:g}, betas {sched.betas}, batch {sched.batch}, {sched.steps} steps")


# --------------------------------------------------------------------------- registry access


def builder(name: str, seed: int = 0) -> Callable[[], nn.Module]:
    """``build_model()`` of a model of chapter 07 (``seed`` 0: the shipped model's initial weights)."""
    if name == JUDGE_NAME:
        if seed:
            raise ValueError("the judge is trained once (seed 0): it scores the other models")
        return make_judge
    if name == NOISE_GAN_NAME:
        return functools.partial(make_noise_generator, seed)
    if name not in SPECS:
        raise ValueError(f"unknown model {name!r}; chapter 07's models are {', '.join(MODEL_NAMES)}")
    if SPECS[name].architecture == "unet05":
        return lambda: autoencoders.build("unet", seed=seed, **{k: v for k, v in autoencoders_arch().items() if k != "kind"})
    return lambda: pix2pix.build_generator(seed, **GENERATOR_ARCH)


def trainer(name: str, seed: int = 0, noise_gan: Callable[[], nn.Module] | None = None) -> Callable[..., History]:
    """``train_fn(model, out_path, *, steps=None)`` of a model of chapter 07 (``seed`` 0: the shipped run;
    ``noise_gan``: the noise generator the ``gcbd`` restorer trains with, default the shipped one)."""
    if name == JUDGE_NAME:
        if seed:
            raise ValueError("the judge is trained once (seed 0): it scores the other models")
        return train_judge
    if name == NOISE_GAN_NAME:
        return functools.partial(train_noise_gan, seed=seed)
    return restorer_trainer(name, seed, noise_gan)


@functools.lru_cache(maxsize=32)
def _load(name: str, profile: str) -> tuple[nn.Module, LoadInfo]:
    return load_or_train(name, builder(name), trainer(name), verbose=False)


def load(name: str) -> tuple[nn.Module, LoadInfo]:
    """``training.load_or_train`` for a model of chapter 07, once per process and profile."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; chapter 07's models are {', '.join(MODEL_NAMES)}")
    return _load(name, get_profile().name)

