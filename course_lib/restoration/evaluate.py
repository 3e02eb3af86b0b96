"""Scoring restored digits: distortion, sharpness, recognisability and realism (chapter 07).

* distortion: PSNR and SSIM against the clean digit (:mod:`course_lib.metrics`);
* sharpness: the energy at high spatial frequencies, relative to the clean digits'
  (:func:`high_frequency_energy`); blur lowers it, leftover noise and invented detail raise it;
* recognisability: the accuracy of a classifier on the restored digits (chapter 06's
  classifier and the chapter's independent judge);
* realism: the Fréchet distance of the restored digits to the clean ones in chapter 06's
  classifier features (:func:`course_lib.gan.frechet_distance`): how far the *distribution*
  of outputs is from the distribution of digits, whatever the pairing.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from .. import gan, metrics
from ..models.mnist_cnn import accuracy

__all__ = ["HF_CUTOFF", "high_frequency_energy", "restore", "score_outputs"]

#: Radial frequency (cycles per pixel) above which energy counts as "high frequency".
HF_CUTOFF = 0.25


def restore(model: nn.Module, degraded: Tensor, *, batch: int = 500) -> Tensor:
    """Apply a restorer in eval mode without gradients, clipped to [0, 1] (chapter 07)."""
    was_training = model.training
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, degraded.shape[0], batch):
            out = model(degraded[i:i + batch])
            outs.append((out[0] if isinstance(out, tuple) else out).clamp(0.0, 1.0))
    model.train(was_training)
    return torch.cat(outs)


def high_frequency_energy(x: Tensor, cutoff: float = HF_CUTOFF) -> Tensor:
    """Per image, the mean squared intensity carried by frequencies above ``cutoff`` (chapter 07).

    With the DFT ``X`` of an ``H x W`` image, ``sum_{|f| > cutoff} |X(f)|^2 / (H W)^2``, where
    ``|f| = sqrt(f_row^2 + f_col^2)`` in cycles per pixel (``torch.fft.fftfreq``). By Parseval
    the sum over *all* frequencies is the mean of ``x^2``, so the value is in squared
    intensity units and ``cutoff = 0`` minus the DC term gives the variance.

    Returns:
        float64 tensor ``(N,)``.
    """
    if x.ndim != 4:
        raise ValueError(f"high_frequency_energy: expected (N, C, H, W), got {tuple(x.shape)}")
    if not 0 <= cutoff < math.sqrt(0.5):
        raise ValueError(f"high_frequency_energy: cutoff must lie in [0, 0.707) cycles/pixel, got {cutoff}")
    h, w = x.shape[-2:]
    spec = torch.fft.fft2(x.double())
    fr = torch.fft.fftfreq(h, dtype=torch.float64)[:, None]
    fc = torch.fft.fftfreq(w, dtype=torch.float64)[None, :]
    high = (fr**2 + fc**2).sqrt() > cutoff
    return (spec.abs() ** 2 * high).sum(dim=(-2, -1)).mean(dim=1) / (h * w) ** 2


def score_outputs(outputs: Tensor, clean: Tensor, labels: Tensor, *, classifier: nn.Module,
                  judge: nn.Module | None = None, reference: gan.FeatureStatistics | None = None) -> dict[str, Any]:
    """Every score of the chapter for restored digits (chapter 07).

    Args:
        outputs: restored digits ``(N, 1, 28, 28)`` in [0, 1] (or degraded inputs, clipped).
        clean, labels: the ground truth and the classes.
        classifier: chapter 06's classifier (accuracy; its features give the Fréchet distance).
        judge: the chapter's independent classifier (accuracy), optional.
        reference: feature statistics of clean digits for the Fréchet distance (default: of ``clean``).

    Returns:
        ``psnr`` (dB, mean over digits), ``ssim``, ``accuracy`` and ``judge_accuracy`` (fractions),
        ``hf_ratio`` (mean high-frequency energy of the outputs over that of the clean digits),
        ``fd`` (squared Fréchet distance in classifier features), ``mse`` (per pixel).
    """
    if outputs.shape != clean.shape:
        raise ValueError(f"score_outputs: outputs {tuple(outputs.shape)} and clean {tuple(clean.shape)} differ")
    if reference is None:
        reference = gan.feature_statistics(gan.classifier_features(classifier, clean))
    stats = gan.feature_statistics(gan.classifier_features(classifier, outputs))
    out = {
        "psnr": metrics.mean_psnr(outputs, clean),
        "ssim": metrics.mean_ssim(outputs, clean),
        "mse": float(((outputs.double() - clean.double()) ** 2).mean()),
        "accuracy": accuracy(classifier, outputs, labels),
        "hf_ratio": float(high_frequency_energy(outputs).mean() / high_frequency_energy(clean).mean()),
        "fd": gan.frechet_distance(stats.mean, stats.cov, reference.mean, reference.cov),
    }
    if judge is not None:
        out["judge_accuracy"] = accuracy(judge, outputs, labels)
    return out
