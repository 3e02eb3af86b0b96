"""The degradations of chapter 07 and its fixed evaluation sets, on 28x28 MNIST digits in [0, 1].

Four tasks, each a map from a clean batch to a degraded one:

* ``denoise`` -- additive white Gaussian noise of std :data:`DENOISE_SIGMA` (not clipped),
  exactly chapter 05's setting, so chapter 05's networks are baselines on the *same* noisy
  evaluation digits (:func:`course_lib.denoising.mnist_eval_pairs`).
* ``occlude`` -- a solid grey rectangle over part of the digit (:func:`occlude`), the
  course's small version of "unmasking" a face behind a face mask.
* ``deblur`` -- circular convolution with a random camera-shake kernel of chapter 04
  (:func:`course_lib.kernels.motion_blur_kernels`, one kernel per digit) plus white noise of
  std :data:`BLUR_NOISE`.
* ``structured`` -- additive, zero-mean noise that is *correlated along rows*
  (:func:`structured_noise`): the unknown noise of the blind-denoising experiment.

Training batches are drawn from generators seeded by ``(seed, step)`` (resumable runs see
the same batches); evaluation sets give digit ``i`` a degradation seeded by ``i`` alone, so
a smaller set is a prefix of a larger one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .. import data, kernels

__all__ = [
    "BLUR_ANXIETY",
    "BLUR_LENGTH",
    "BLUR_NOISE",
    "DENOISE_SIGMA",
    "OCCLUDER",
    "STRUCTURED_SIGMA",
    "STRUCTURED_TAPS",
    "TASKS",
    "EvalSet",
    "OccluderSpec",
    "blur",
    "degrade",
    "eval_set",
    "kernel_bank",
    "occlude",
    "step_generator",
    "structured_noise",
    "task_batch",
]

#: Noise std ([0, 1] scale) of the denoising task: chapter 05's highest level.
DENOISE_SIGMA = 0.5
#: Path length (pixels) of the camera-shake trajectories of the deblurring task.
BLUR_LENGTH = 7.0
#: Range of the trajectories' shake amplitude ("anxiety"), as DeblurGAN's training set and chapter 04.
BLUR_ANXIETY = (0.003, 0.01)
#: Std of the white noise added after blurring.
BLUR_NOISE = 0.01
#: Std of the structured noise of the blind-denoising task.
STRUCTURED_SIGMA = 0.3
#: Row filter of the structured noise (before normalisation to unit energy).
STRUCTURED_TAPS = (1.0, 2.0, 3.0, 2.0, 1.0)
TASKS = ("denoise", "occlude", "deblur", "structured")

_TRAIN_KERNEL_SEED = 70_700
_EVAL_KERNEL_SEED = 70_701
_N_TRAIN_KERNELS = 1024


@dataclass(frozen=True)
class OccluderSpec:
    """The occluder of the ``occlude`` task: a rectangle of constant grey (chapter 07).

    Attributes:
        min_side, max_side: height and width are drawn uniformly from these integers (pixels).
        region: ``(lo, hi)``: the rectangle lies inside rows and columns ``lo .. hi - 1``,
            the box where MNIST puts its digits, so it covers part of the digit.
        fill: the grey level is drawn uniformly from this range.
    """

    min_side: int = 8
    max_side: int = 12
    region: tuple[int, int] = (4, 24)
    fill: tuple[float, float] = (0.35, 0.65)


OCCLUDER = OccluderSpec()


def step_generator(seed: int, step: int, stream: int = 0) -> torch.Generator:
    """A ``torch.Generator`` seeded by ``(seed, step, stream)`` and the chapter (batches independent of the session)."""
    state = np.random.SeedSequence([int(seed), int(step), int(stream), 7]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


def _check_batch(x: Tensor, where: str) -> None:
    if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != 1 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{where}: expected grey images as a floating tensor (N, 1, H, W), got {shape}")


def occlude(x: Tensor, generator: torch.Generator, spec: OccluderSpec = OCCLUDER) -> tuple[Tensor, Tensor]:
    """Cover each image with one grey rectangle (chapter 07).

    Per image, in this order from ``generator``: height, width (integers in
    ``[min_side, max_side]``), top, left (integers such that the rectangle lies in
    ``region``), grey level (uniform in ``fill``).

    Returns:
        ``(occluded, mask)``: the images with the rectangle painted in, and a boolean mask
        ``(N, 1, H, W)`` that is True under the rectangle.
    """
    _check_batch(x, "occlude")
    lo, hi = spec.region
    if not (0 <= lo < hi <= min(x.shape[-2:]) and spec.max_side <= hi - lo and 1 <= spec.min_side <= spec.max_side):
        raise ValueError(f"occlude: {spec} does not fit {x.shape[-2]}x{x.shape[-1]} images")
    n = x.shape[0]
    sides = torch.randint(spec.min_side, spec.max_side + 1, (n, 2), generator=generator)
    u = torch.rand(n, 3, generator=generator, dtype=torch.float64)
    top = lo + torch.floor(u[:, 0] * (hi - lo - sides[:, 0] + 1)).long()
    left = lo + torch.floor(u[:, 1] * (hi - lo - sides[:, 1] + 1)).long()
    grey = spec.fill[0] + (spec.fill[1] - spec.fill[0]) * u[:, 2]
    rows = torch.arange(x.shape[-2])[None, :, None]
    cols = torch.arange(x.shape[-1])[None, None, :]
    mask = ((rows >= top[:, None, None]) & (rows < (top + sides[:, 0])[:, None, None])
            & (cols >= left[:, None, None]) & (cols < (left + sides[:, 1])[:, None, None]))[:, None]
    out = torch.where(mask, grey.to(x.dtype)[:, None, None, None], x)
    return out, mask


@functools.lru_cache(maxsize=8)
def kernel_bank(n: int, seed: int, length: float = BLUR_LENGTH) -> Tensor:
    """``n`` motion-blur kernels of chapter 04, anxiety drawn from :data:`BLUR_ANXIETY` (cached; chapter 07).

    Returns:
        float32 tensor ``(n, K, K)``, ``K = 2 ceil(length) + 1``; kernel ``i`` depends only on
        ``seed`` and ``i``.
    """
    return kernels.motion_blur_kernels(int(n), float(length), anxiety=BLUR_ANXIETY, seed=int(seed))


def blur(x: Tensor, kernel_batch: Tensor) -> Tensor:
    """Blur image ``i`` with kernel ``i``, circularly (chapter 07).

    The same operator as :class:`course_lib.kernels.FFTBlur` per image (kernel centre
    ``(K // 2, K // 2)``), computed for the whole batch with one FFT.

    Args:
        x: images ``(N, 1, H, W)``.
        kernel_batch: kernels ``(N, K, K)`` with ``K <= min(H, W)``.
    """
    _check_batch(x, "blur")
    if kernel_batch.ndim != 3 or kernel_batch.shape[0] != x.shape[0]:
        raise ValueError(f"blur: need one kernel per image, shape ({x.shape[0]}, K, K); got {tuple(kernel_batch.shape)}")
    n, _, h, w = x.shape
    kh, kw = kernel_batch.shape[-2:]
    if kh > h or kw > w:
        raise ValueError(f"blur: {kh}x{kw} kernels do not fit {h}x{w} images")
    padded = torch.zeros(n, h, w, dtype=x.dtype)
    padded[:, :kh, :kw] = kernel_batch.to(x.dtype)
    spectrum = torch.fft.rfft2(torch.roll(padded, shifts=(-(kh // 2), -(kw // 2)), dims=(1, 2)))
    return torch.fft.irfft2(torch.fft.rfft2(x) * spectrum[:, None], s=(h, w))


def structured_noise(shape: tuple[int, ...], generator: torch.Generator, sigma: float = STRUCTURED_SIGMA) -> Tensor:
    """Zero-mean Gaussian noise correlated along rows, std ``sigma`` per pixel (chapter 07).

    White standard normal noise, filtered along each row with :data:`STRUCTURED_TAPS`
    divided by their Euclidean norm (so the variance stays 1), times ``sigma``. Its
    correlation between horizontal neighbours at lag 1, 2, 3, 4 is 16/19, 10/19, 4/19, 1/19;
    vertical neighbours are independent. (A 'valid' filter of a wider field: no border effects.)

    Args:
        shape: ``(N, 1, H, W)``.
        generator: the random source.
        sigma: std per pixel ([0, 1] intensity scale).
    """
    if len(shape) != 4 or shape[1] != 1:
        raise ValueError(f"structured_noise: shape must be (N, 1, H, W), got {shape}")
    taps = torch.tensor(STRUCTURED_TAPS, dtype=torch.float64)
    taps = (taps / taps.norm()).float()
    n, _, h, w = shape
    white = torch.randn(n, 1, h, w + len(taps) - 1, generator=generator)
    return float(sigma) * F.conv2d(white, taps.view(1, 1, 1, -1))


def degrade(task: str, clean: Tensor, generator: torch.Generator, kernel_batch: Tensor | None = None) -> Tensor:
    """Apply the degradation of ``task`` to a clean batch (chapter 07).

    ``deblur`` needs ``kernel_batch`` (one kernel per image); the others draw everything from ``generator``.
    """
    _check_batch(clean, "degrade")
    if task == "denoise":
        return clean + DENOISE_SIGMA * torch.randn(clean.shape, generator=generator)
    if task == "occlude":
        return occlude(clean, generator)[0]
    if task == "deblur":
        if kernel_batch is None:
            raise ValueError("degrade('deblur', ...) needs kernel_batch, one blur kernel per image")
        return blur(clean, kernel_batch) + BLUR_NOISE * torch.randn(clean.shape, generator=generator)
    if task == "structured":
        return clean + structured_noise(tuple(clean.shape), generator)
    raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")


def task_batch(task: str, images: Tensor, step: int, *, batch: int, seed: int = 0,
               with_kernels: bool = False) -> tuple[Tensor, ...]:
    """Training batch number ``step`` of ``task``: ``(degraded, clean)`` (chapter 07).

    Digits (and, for ``deblur``, kernels from a bank of 1,024 training kernels disjoint from
    the evaluation kernels) are drawn from a generator seeded by ``(seed, step)``.
    ``with_kernels=True`` also returns the kernels, ``(degraded, clean, kernels)``
    (``None`` for the other tasks), e.g. for a non-blind baseline tuned on training data.
    """
    gen = step_generator(seed, step)
    clean = images[torch.randint(images.shape[0], (batch,), generator=gen)]
    bank = kernel_bank(_N_TRAIN_KERNELS, _TRAIN_KERNEL_SEED) if task == "deblur" else None
    k = bank[torch.randint(bank.shape[0], (batch,), generator=gen)] if bank is not None else None
    degraded = degrade(task, clean, gen, k)
    return (degraded, clean, k) if with_kernels else (degraded, clean)


@dataclass(frozen=True)
class EvalSet:
    """A fixed evaluation set of chapter 07: the first ``n`` evaluation digits of the course split.

    Attributes:
        task: the degradation.
        degraded, clean: ``(n, 1, 28, 28)`` tensors.
        labels: the digits' classes ``(n,)``.
        kernels: the blur kernels ``(n, K, K)`` (``deblur`` only; a non-blind baseline may use them).
        masks: the occluders' masks (``occlude`` only).
    """

    task: str
    degraded: Tensor
    clean: Tensor
    labels: Tensor
    kernels: Tensor | None = None
    masks: Tensor | None = None


@functools.lru_cache(maxsize=8)
def eval_set(task: str, n: int | None = None) -> EvalSet:
    """The evaluation set of ``task`` on the first ``n`` evaluation digits (cached; chapter 07).

    ``denoise`` is exactly :func:`course_lib.denoising.mnist_eval_pairs` at
    :data:`DENOISE_SIGMA` (chapter 05's noisy digits); for the other tasks digit ``i`` is
    degraded with a generator seeded by ``i``.
    """
    from ..denoising import mnist_eval_pairs

    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    clean, labels = data.mnist("eval")
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= clean.shape[0]:
            raise ValueError(f"eval_set: n must be an integer in 1..{clean.shape[0]}, got {n!r}")
        clean, labels = clean[:n], labels[:n]
    if task == "denoise":
        degraded, _ = mnist_eval_pairs(DENOISE_SIGMA, clean.shape[0])
        return EvalSet(task, degraded, clean, labels)
    k = kernel_bank(clean.shape[0], _EVAL_KERNEL_SEED) if task == "deblur" else None
    parts, masks = [], []
    for i in range(clean.shape[0]):
        gen = step_generator(2024, i, stream=TASKS.index(task))
        x = clean[i:i + 1]
        if task == "occlude":
            y, m = occlude(x, gen)
            masks.append(m)
        else:
            y = degrade(task, x, gen, None if k is None else k[i:i + 1])
        parts.append(y)
    return EvalSet(task, torch.cat(parts), clean, labels, k, torch.cat(masks) if masks else None)
