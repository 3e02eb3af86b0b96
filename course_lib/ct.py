"""The course's sparse-angle CT benchmark, defined once for chapters 09 and 10.

Both chapters reconstruct the same 64 x 64 random-ellipse phantoms
(:func:`course_lib.data.ellipse_phantoms`) from the same noisy parallel-beam
sinograms, so their tables can stand side by side. Everything that defines the
benchmark lives in :data:`SETTING`: image size, the angles, the detector count,
the noise level, the phantom seeds of the training and evaluation splits and the
seed of the measurement noise.

Noise model: *additive white Gaussian noise of a fixed standard deviation* in
sinogram units, the same for every image, set to
``noise_fraction`` times the mean absolute value of the clean sinograms of the
training split (so that "5 % noise" has its usual meaning on average). The
number is computed from training phantoms only by :func:`noise_std_for`, in the
benchmark's own geometry, and :func:`ct_data` keeps it when the operator changes
(chapter 10's operator shift), so both chapters use the identical value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch

from .data import ellipse_phantoms
from .operators import Radon

__all__ = ["CTSetting", "SETTING", "ct_data", "operator", "fbp", "noise_std_for", "shifted"]


@dataclass(frozen=True)
class CTSetting:
    """A sparse-angle parallel-beam CT problem on ellipse phantoms (chapters 09-10).

    Attributes:
        size: image side in pixels.
        n_angles: number of projection angles, spread evenly over [0, 180) degrees.
        n_detectors: detector bins (1 pixel apart, centred).
        noise_fraction: noise standard deviation as a fraction of the mean absolute
            clean sinogram value over the training split.
        train_seed: seed of :func:`ellipse_phantoms` for the training split.
        eval_seed: seed of :func:`ellipse_phantoms` for the evaluation split (disjoint draws).
        noise_seed: base seed of the measurement noise (train uses it, eval uses it + 1).
    """

    size: int = 64
    n_angles: int = 30
    n_detectors: int = 64
    noise_fraction: float = 0.05
    train_seed: int = 0
    eval_seed: int = 1_000
    noise_seed: int = 7

    def angles(self) -> np.ndarray:
        """Projection angles in degrees, ``n_angles`` evenly spaced over [0, 180)."""
        return np.linspace(0.0, 180.0, self.n_angles, endpoint=False)


#: The benchmark of chapters 09 and 10: 64 x 64 phantoms, 30 angles, 64 detectors, 5 % noise.
SETTING = CTSetting()


def shifted(**changes: object) -> CTSetting:
    """A copy of :data:`SETTING` with some fields changed (chapter 10's operator shift), e.g. ``shifted(n_angles=20)``."""
    return replace(SETTING, **changes)  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def _operator(size: int, n_angles: int, n_detectors: int) -> Radon:
    return Radon(size, np.linspace(0.0, 180.0, n_angles, endpoint=False), n_detectors)


def operator(setting: CTSetting = SETTING) -> Radon:
    """The setting's Radon transform (cached: building the sparse matrix takes about a second)."""
    return _operator(setting.size, setting.n_angles, setting.n_detectors)


@lru_cache(maxsize=8)
def noise_std_for(setting: CTSetting = SETTING, n_reference: int = 256) -> float:
    """The absolute noise standard deviation in sinogram units (computed on training phantoms only).

    ``noise_fraction`` times the mean absolute clean sinogram value over the first
    ``n_reference`` training phantoms, in the setting's own geometry.
    """
    x = ellipse_phantoms(n_reference, setting.size, seed=setting.train_seed)
    with torch.no_grad():
        y = operator(setting).forward(x)
    return float(setting.noise_fraction * y.abs().mean())


def ct_data(split: str, n: int, setting: CTSetting = SETTING, *, noise_std: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Phantoms and their noisy sinograms for one split of the benchmark (chapters 09-10).

    Args:
        split: ``"train"`` or ``"eval"``; the splits use different phantom seeds, so they
            never share an image. ``ct_data(split, m)`` is a prefix of ``ct_data(split, n)``
            for ``m < n`` (same phantoms, same noise draws, up to float rounding).
        n: number of phantoms (> 0).
        setting: the CT problem (default :data:`SETTING`).
        noise_std: absolute noise level in sinogram units; default ``noise_std_for(SETTING)``,
            so a setting with other angles keeps the benchmark's noise per measurement.

    Returns:
        ``(x, y)``: phantoms ``(n, 1, size, size)`` in [0, 1] and sinograms
        ``(n, 1, n_angles, n_detectors)``, float32.

    Raises:
        ValueError: for an unknown split.
    """
    if split not in ("train", "eval"):
        raise ValueError(f"ct_data: split must be 'train' or 'eval', got {split!r}")
    seed = setting.train_seed if split == "train" else setting.eval_seed
    x = ellipse_phantoms(n, setting.size, seed=seed)
    std = noise_std_for(SETTING) if noise_std is None else float(noise_std)
    gen = torch.Generator().manual_seed(setting.noise_seed + (0 if split == "train" else 1))
    with torch.no_grad():
        clean = operator(setting).forward(x)
        noise = torch.randn(clean.shape, generator=gen)
    return x, clean + std * noise


def fbp(y: torch.Tensor, setting: CTSetting = SETTING, filter: str | None = "hann") -> torch.Tensor:
    """Filtered back-projection of the setting's sinograms (the Hann filter damps the noise), shape (N, 1, size, size)."""
    return operator(setting).fbp(y, filter=filter)
