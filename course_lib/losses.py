"""Training losses of image restoration beyond the pixel MSE (chapter 07; chapter 09 reuses the perceptual loss).

* :func:`pixel_loss` -- ``"mse"``, ``"l1"`` or ``"ssim"`` (``1 - SSIM``, from
  :func:`course_lib.metrics.ssim_loss`: the Gaussian-window SSIM of Wang et al. 2004,
  identical to scikit-image's to rounding).
* :func:`pix2pix_generator_loss`, :func:`pix2pix_discriminator_loss` -- the conditional GAN
  objective of Isola et al. (CVPR 2017) on PatchGAN logits, with the L1 term.
* :class:`PerceptualLoss` -- the *feature reconstruction* loss of Johnson et al. (ECCV 2016):
  the mean squared difference of a frozen network's feature maps, here of the course's
  MNIST classifier (chapter 06) instead of an ImageNet VGG.
* :func:`cycle_consistency_loss` -- CycleGAN's ``||F(G(x)) - x||_1 + ||G(F(y)) - y||_1``.

Every loss is a scalar tensor, averaged over the batch, differentiable in the estimate.
See :mod:`course_lib.gan` for the conventions of raw scores (logits) and minimised losses.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import gan, metrics

__all__ = [
    "PIXEL_LOSSES",
    "PerceptualLoss",
    "cycle_consistency_loss",
    "feature_extractor",
    "pix2pix_discriminator_loss",
    "pix2pix_generator_loss",
    "pixel_loss",
    "ssim_loss",
]

PIXEL_LOSSES = ("mse", "l1", "ssim")

#: ``1 - mean SSIM`` (chapter 05's metric module; tested against scikit-image there and in chapter 07).
ssim_loss = metrics.ssim_loss


def pixel_loss(kind: str, x: Tensor, ref: Tensor) -> Tensor:
    """A per-pixel (or, for SSIM, per-window) loss of the estimate ``x`` against ``ref`` (chapter 07).

    Args:
        kind: ``"mse"`` (mean squared error), ``"l1"`` (mean absolute error) or ``"ssim"``
            (``1 - mean SSIM``, data range 1).
        x, ref: ``(N, C, H, W)`` tensors on the [0, 1] scale.
    """
    if kind not in PIXEL_LOSSES:
        raise ValueError(f"unknown pixel loss {kind!r}; choose one of {', '.join(PIXEL_LOSSES)}")
    if x.shape != ref.shape:
        raise ValueError(f"pixel_loss: x has shape {tuple(x.shape)}, ref {tuple(ref.shape)}")
    if kind == "mse":
        return F.mse_loss(x, ref)
    if kind == "l1":
        return F.l1_loss(x, ref)
    return ssim_loss(x, ref.clamp(0.0, 1.0))


def pix2pix_generator_loss(fake_logits: Tensor, fake: Tensor, target: Tensor, lam: float = 100.0) -> Tensor:
    """Pix2Pix's generator loss: ``-mean log D(y, G(y)) + lam * mean |G(y) - x|`` (chapter 07, Exercise 7.2).

    The adversarial term is the non-saturating loss averaged over every patch score of the
    PatchGAN (each patch is one "real or fake?" decision); the L1 term is averaged over pixels.
    Pix2Pix uses ``lam = 100``.

    Args:
        fake_logits: the discriminator's patch logits on ``(input, generated)``, any shape ``(N, ...)``.
        fake: the generated images ``G(y)``.
        target: the ground truth ``x``, same shape as ``fake``.
        lam: weight of the L1 term (>= 0).
    """
    if not (isinstance(lam, (int, float)) and math.isfinite(lam) and lam >= 0):
        raise ValueError(f"pix2pix_generator_loss: lam must be a finite number >= 0, got {lam!r}")
    adversarial = gan.nonsaturating_generator_loss(fake_logits.reshape(-1))
    return adversarial + float(lam) * F.l1_loss(fake, target)


def pix2pix_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Pix2Pix's discriminator loss: half the cross-entropy of every patch, real pairs labelled 1, fake pairs 0.

    ``(-mean log D(y, x) - mean log(1 - D(y, G(y)))) / 2``; Isola et al. halve it "to slow down the
    rate at which D learns relative to G" (with Adam the factor changes almost nothing).
    """
    return 0.5 * gan.discriminator_loss(real_logits.reshape(-1), fake_logits.reshape(-1), "nonsaturating")


class PerceptualLoss(nn.Module):
    """Feature reconstruction loss on a frozen network's intermediate features (chapter 07).

    ``loss(x, ref) = mean over batch, channels and positions of (phi(x) - phi(ref))^2``, i.e.
    ``||phi(x) - phi(ref)||^2 / (C H W)`` per image as in Johnson et al. (2016), averaged over
    the batch. ``phi`` is ``features`` (any module mapping images to feature maps); its
    parameters are frozen and it runs in eval mode, so only the estimate receives gradients.

    Args:
        features: the feature extractor, e.g. ``classifier.features[:5]`` of an
            :class:`~course_lib.models.mnist_cnn.MnistCNN` (both convolutions and their
            ReLUs, 14x14 maps: the analogue of VGG's ``relu2_2``).
    """

    def __init__(self, features: nn.Module) -> None:
        super().__init__()
        self.features = features.eval()
        for p in self.features.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True) -> "PerceptualLoss":
        """Keep the feature extractor in eval mode whatever ``mode`` is."""
        super().train(mode)
        self.features.eval()
        return self

    def forward(self, x: Tensor, ref: Tensor) -> Tensor:
        """The loss, a scalar tensor (squared feature units)."""
        if x.shape != ref.shape:
            raise ValueError(f"PerceptualLoss: x has shape {tuple(x.shape)}, ref {tuple(ref.shape)}")
        with torch.no_grad():
            target = self.features(ref)
        return F.mse_loss(self.features(x), target)


def feature_extractor(classifier: nn.Module, depth: int = 5) -> nn.Module:
    """The first ``depth`` modules of an MnistCNN's ``features`` (default: up to the second ReLU)."""
    if not hasattr(classifier, "features"):
        raise TypeError("feature_extractor needs an MnistCNN-like module with a .features Sequential")
    return classifier.features[:depth]


def cycle_consistency_loss(g: Callable[[Tensor], Tensor], f: Callable[[Tensor], Tensor], x: Tensor,
                           y: Tensor) -> Tensor:
    """CycleGAN's cycle loss ``mean |f(g(x)) - x| + mean |g(f(y)) - y|`` (Zhu et al. 2017; chapter 07, Exercise 7.4).

    ``g`` maps domain X to Y, ``f`` maps Y to X; each mean is over all elements of its batch.
    CycleGAN weights it by ``lambda = 10`` against the two adversarial losses.
    """
    return F.l1_loss(f(g(x)), x) + F.l1_loss(g(f(y)), y)
