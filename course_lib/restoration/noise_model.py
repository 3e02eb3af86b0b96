"""GAN-based noise modelling for blind denoising, after Chen et al. (CVPR 2018) (chapter 07).

The setting: noisy images whose noise is unknown (additive, zero-mean, independent of the
image), no clean/noisy pairs, but a separate set of clean images. Three steps:

1. **Extract noise.** Patches of the noisy images that look smooth are taken to be "image
   constant + noise"; subtracting the patch mean leaves a noise sample
   (:func:`smooth_patches`).
2. **Learn the noise.** A small WGAN-GP (:class:`NoiseGenerator` against
   :class:`NoiseCritic`, trained by chapter 06's :func:`course_lib.gan.train_gan`) learns to
   produce such patches. The generator is fully convolutional and uses no padding, so it
   generates a *stationary* noise field of any size (:meth:`NoiseGenerator.field`).
3. **Denoise.** Clean images plus generated noise form synthetic pairs, on which an ordinary
   denoiser is trained (:mod:`course_lib.restoration.train`).

The smoothness test of Chen et al. accepts a patch ``p`` when every sub-patch ``q`` has
``|mean(q) - mean(p)| <= mu mean(p)`` and ``|var(q) - var(p)| <= gamma var(p)``. On MNIST the
background is exactly 0, so ``mean(p)`` is about 0 for a pure-noise patch and the relative
mean test rejects it; the course compares the mean deviation with the patch's standard
deviation instead, ``|mean(q) - mean(p)| <= mu std(p)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "NoiseCritic",
    "NoiseGAN",
    "NoiseGenerator",
    "PatchExtraction",
    "corner_positions",
    "noise_statistics",
    "smooth_patches",
]


@dataclass(frozen=True)
class PatchExtraction:
    """The noise patches found in a set of noisy images (chapter 07).

    Attributes:
        patches: the accepted patches minus their means, ``(M, 1, size, size)``.
        image_index, top, left: where each accepted patch lies, ``(M,)`` each.
        candidates: how many patches were tested.
    """

    patches: Tensor
    image_index: Tensor
    top: Tensor
    left: Tensor
    candidates: int

    @property
    def accepted(self) -> int:
        """The number of accepted patches."""
        return int(self.patches.shape[0])

    def purity(self, clean: Tensor, tol: float = 1.0 / 255) -> float:
        """The fraction of accepted patches whose *clean* content is constant up to ``tol``.

        Needs the clean images (only to evaluate the extraction; the method never sees them).
        """
        size = self.patches.shape[-1]
        offsets = torch.arange(size)
        rows = (self.top[:, None] + offsets)[:, :, None]
        cols = (self.left[:, None] + offsets)[:, None, :]
        blocks = clean[self.image_index, 0][torch.arange(self.accepted)[:, None, None], rows, cols]
        spread = blocks.flatten(1).amax(1) - blocks.flatten(1).amin(1)
        return float((spread <= tol).double().mean()) if self.accepted else float("nan")


def smooth_patches(noisy: Tensor, *, size: int = 6, stride: int = 3, sub: int = 3, sub_stride: int = 3,
                   mu: float = 0.5, gamma: float = 0.5,
                   positions: Sequence[tuple[int, int]] | None = None) -> PatchExtraction:
    """Chen et al.'s smooth-patch search on a batch of noisy grey images (chapter 07).

    Every ``size x size`` patch on a grid of step ``stride`` (or, when given, at the
    top-left corners ``positions``) is a candidate; its
    ``sub x sub`` sub-patches on a grid of step ``sub_stride`` are compared with it: the patch
    is accepted when, for all of them, ``|mean(q) - mean(p)| <= mu std(p)`` and
    ``|var(q) - var(p)| <= gamma var(p)`` (population variances). The accepted patches are
    returned minus their own mean: samples of the noise.

    Args:
        noisy: ``(N, 1, H, W)`` noisy images.
        size, stride, sub, sub_stride: patch geometry in pixels.
        mu, gamma: tolerances of the two tests (dimensionless).
        positions: candidate top-left corners ``(top, left)`` instead of the grid, e.g.
            :func:`corner_positions` (where MNIST's background is).
    """
    if noisy.ndim != 4 or noisy.shape[1] != 1:
        raise ValueError(f"smooth_patches: noisy must be (N, 1, H, W), got {tuple(noisy.shape)}")
    h, w = noisy.shape[-2:]
    if not (1 <= sub <= size <= min(h, w)) or stride < 1 or sub_stride < 1:
        raise ValueError(f"smooth_patches: need 1 <= sub ({sub}) <= size ({size}) <= image side ({min(h, w)}) "
                         f"and positive strides")
    if not (mu > 0 and gamma > 0):
        raise ValueError(f"smooth_patches: mu and gamma must be positive, got {mu}, {gamma}")
    n = noisy.shape[0]
    if positions is None:
        per_row = (w - size) // stride + 1
        grid = [(r * stride, c * stride) for r in range((h - size) // stride + 1) for c in range(per_row)]
    else:
        grid = [(int(t), int(l)) for t, l in positions]
        if not grid or any(t < 0 or l < 0 or t + size > h or l + size > w for t, l in grid):
            raise ValueError(f"smooth_patches: positions must be top-left corners of {size}x{size} patches "
                             f"inside {h}x{w} images, got {positions!r}")
    n_pos = len(grid)
    offsets = torch.arange(size)
    tops = torch.tensor([t for t, _ in grid])
    lefts = torch.tensor([l for _, l in grid])
    rows = (tops[:, None] + offsets)[:, :, None]
    cols_ = (lefts[:, None] + offsets)[:, None, :]
    patches = noisy.float()[:, 0][:, rows, cols_].reshape(n * n_pos, 1, size, size)
    mean_p = patches.mean(dim=(1, 2, 3))
    var_p = patches.var(dim=(1, 2, 3), unbiased=False)
    subs = F.unfold(patches, sub, stride=sub_stride)  # (M, sub*sub, L2)
    mean_q = subs.mean(dim=1)
    var_q = subs.var(dim=1, unbiased=False)
    ok_mean = ((mean_q - mean_p[:, None]).abs() <= mu * var_p.sqrt()[:, None]).all(dim=1)
    ok_var = ((var_q - var_p[:, None]).abs() <= gamma * var_p[:, None]).all(dim=1)
    keep = ok_mean & ok_var & (var_p > 0)
    idx = keep.nonzero()[:, 0]
    return PatchExtraction(
        patches=(patches[idx] - mean_p[idx, None, None, None]),
        image_index=idx // n_pos,
        top=tops[idx % n_pos],
        left=lefts[idx % n_pos],
        candidates=int(n * n_pos),
    )


def corner_positions(image_side: int = 28, size: int = 6) -> list[tuple[int, int]]:
    """The top-left corners of the four ``size x size`` corner patches of a square image (chapter 07)."""
    far = image_side - size
    if far < 0:
        raise ValueError(f"corner_positions: a {size}x{size} patch does not fit a {image_side}-pixel image")
    return [(0, 0), (0, far), (far, 0), (far, far)]


class NoiseGenerator(nn.Module):
    """A fully convolutional generator of stationary noise fields (chapter 07).

    ``layers`` 3x3 convolutions *without padding* (LeakyReLU 0.2 between them, the last one
    linear) map a field of i.i.d. standard normal numbers with ``channels`` channels to one
    noise channel; each layer trims one pixel per side, so a ``(h + 2 layers) x (w + 2 layers)``
    latent field gives an ``h x w`` noise field with the same statistics at every position.

    Every output has its own spatial mean removed. The method assumes zero-mean noise, and the
    real patches are mean-free by construction (:func:`smooth_patches`), so nothing in training
    would pin the generator's constant offset: without this step a trained generator drifted to a
    mean of about 0.3. For the course's noise, removing the mean of a 28x28 field removes well
    under 1 % of its variance.

    For :func:`course_lib.gan.train_gan`, which draws flat latent vectors of length
    :attr:`latent`, :meth:`forward` also accepts ``(N, latent)`` and reshapes it to one
    ``patch x patch`` output.

    Args:
        channels: latent channels.
        width: hidden channels.
        layers: number of 3x3 convolutions (>= 1); the receptive field is ``2 layers + 1``.
        patch: the output side in training (the extracted patches' size).
    """

    def __init__(self, channels: int = 4, width: int = 32, layers: int = 3, patch: int = 6) -> None:
        super().__init__()
        if min(channels, width, layers, patch) < 1:
            raise ValueError("NoiseGenerator: channels, width, layers and patch must be >= 1")
        self.channels, self.width, self.layers, self.patch = channels, width, layers, patch
        mods: list[nn.Module] = []
        c_prev = channels
        for i in range(layers):
            last = i == layers - 1
            mods.append(nn.Conv2d(c_prev, 1 if last else width, 3))
            if not last:
                mods.append(nn.LeakyReLU(0.2))
            c_prev = width
        self.net = nn.Sequential(*mods)
        self.margin = layers
        self.latent = channels * (patch + 2 * layers) ** 2

    def forward(self, z: Tensor) -> Tensor:
        """Noise from latent fields ``(N, channels, h + 2 layers, w + 2 layers)`` or flat ``(N, latent)``."""
        if z.ndim == 2:
            if z.shape[1] != self.latent:
                raise ValueError(f"NoiseGenerator: flat latents must have length {self.latent}, got {z.shape[1]}")
            side = self.patch + 2 * self.margin
            z = z.reshape(z.shape[0], self.channels, side, side)
        if z.ndim != 4 or z.shape[1] != self.channels or min(z.shape[-2:]) <= 2 * self.margin:
            raise ValueError(f"NoiseGenerator: latents must be (N, {self.channels}, h + {2 * self.margin}, "
                             f"w + {2 * self.margin}) with h, w >= 1; got {tuple(z.shape)}")
        out = self.net(z)
        return out - out.mean(dim=(2, 3), keepdim=True)

    def field(self, n: int, h: int, w: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` noise fields of size ``h x w``, ``(n, 1, h, w)``, from fresh latents (gradients flow)."""
        z = torch.randn(n, self.channels, h + 2 * self.margin, w + 2 * self.margin, generator=generator)
        return self(z)


class NoiseCritic(nn.Module):
    """The WGAN-GP critic of noise patches: three 3x3 convolutions and a linear score, ``(N,)`` (chapter 07).

    It first subtracts each patch's own mean: the extraction removed it from the real patches, so
    only what the extraction can observe is compared.
    """

    def __init__(self, width: int = 32, patch: int = 6) -> None:
        super().__init__()
        side = (patch + 1) // 2
        side = (side + 1) // 2
        self.patch = patch
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 2 * width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * side * side, 1))

    def forward(self, x: Tensor) -> Tensor:
        """One raw score per patch."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, self.patch, self.patch):
            raise ValueError(f"NoiseCritic expects patches (N, 1, {self.patch}, {self.patch}), got {tuple(x.shape)}")
        return self.net(x - x.mean(dim=(2, 3), keepdim=True))[:, 0]


class NoiseGAN(nn.Module):
    """Generator and critic together, the module :func:`course_lib.gan.train_gan` trains."""

    def __init__(self, generator: NoiseGenerator, discriminator: NoiseCritic) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator


def noise_statistics(noise: Tensor) -> dict[str, Any]:
    """Summary statistics of noise fields ``(N, 1, H, W)`` (chapter 07).

    Returns:
        ``std`` (pooled, about the pooled mean), ``mean``, ``kurtosis`` (excess, 0 for a
        Gaussian), and the correlation coefficients between horizontal (``corr_h1``,
        ``corr_h2``) and vertical (``corr_v1``) neighbours at lags 1 and 2.
    """
    x = noise.detach().double()
    if x.ndim != 4 or x.shape[-1] < 3 or x.shape[-2] < 2:
        raise ValueError(f"noise_statistics: need fields (N, C, H, W) with H >= 2, W >= 3, got {tuple(x.shape)}")
    centred = x - x.mean()
    var = float((centred**2).mean())

    def corr(a: Tensor, b: Tensor) -> float:
        return float((a * b).mean()) / var

    return {
        "mean": float(x.mean()),
        "std": var**0.5,
        "kurtosis": float((centred**4).mean()) / var**2 - 3.0,
        "corr_h1": corr(centred[..., :, :-1], centred[..., :, 1:]),
        "corr_h2": corr(centred[..., :, :-2], centred[..., :, 2:]),
        "corr_v1": corr(centred[..., :-1, :], centred[..., 1:, :]),
    }
