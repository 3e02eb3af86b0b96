"""Sample quality of generators (chapter 06).

Frechet distance on classifier features, class spread, and the modes covered on the 2-D toys.

See :mod:`course_lib.gan` for the conventions (raw scores, minimised losses, nats).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn


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
        reached: the number of modes that are the nearest centre of at least ``min_fraction`` of the
            samples, however far those samples are (the angular sectors a ring's samples reach):
            a collapsed generator reaches few, a blurry one reaches all without covering any.
        spread: the mean distance of the samples from their own mean, in data units (a ring of
            radius r has spread about r; a collapsed generator much less).
    """

    covered: int
    counts: np.ndarray
    high_quality: float
    reached: int
    spread: float


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
    enough = max(1, math.ceil(min_fraction * x.shape[0]))
    covered = int((counts >= enough).sum())
    reached = int((np.bincount(nearest, minlength=c.shape[0]) >= enough).sum())
    finite = x[np.isfinite(x).all(axis=1)]
    spread = float(np.linalg.norm(finite - finite.mean(axis=0), axis=1).mean()) if len(finite) else float("nan")
    return ModeCoverage(covered, counts, float(good.mean()), reached, spread)
