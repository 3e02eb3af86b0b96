"""Pix2Pix's networks for small grey images: a U-Net generator and a PatchGAN discriminator (chapter 07).

After Isola et al., "Image-to-image translation with conditional adversarial networks"
(CVPR 2017), scaled down so that the course trains them on two CPU cores.

* :class:`UNetGenerator` -- ``levels`` strided 4x4 convolutions (each halves the size;
  batch normalisation after all but the first, LeakyReLU 0.2), then as many strided 4x4
  transposed convolutions (batch normalisation, ReLU) back to full size; each decoder level
  sees the *concatenation* of the level below and the encoder features of its size (the
  U-Net's skips). The input is padded (reflection) to a multiple of ``2**levels`` and the
  output cropped back, so any size works; the last layer ends in a sigmoid: outputs lie in
  (0, 1), the course's intensity scale (Pix2Pix uses tanh on [-1, 1]).
  One addition to Pix2Pix (``input_skip=True``, the default): the outermost level also has
  its skip -- the last transposed convolution returns ``width`` full-resolution channels, the
  *input image* is concatenated to them and a 3x3 convolution makes the output. Pix2Pix's
  256-pixel images can afford to pass everything through a stride-2 first layer; a 28-pixel
  digit, whose strokes are two or three pixels wide, cannot.
* :class:`PatchDiscriminator` -- a fully convolutional classifier: ``n_strided`` 4x4
  convolutions of stride 2, one of stride 1, and a last 4x4 convolution of stride 1 to one
  channel. Every output pixel is the raw score (logit) of one input *patch*, the receptive
  field of that pixel (:func:`receptive_field`); ``n_strided = 3`` on 256x256 images is
  Pix2Pix's 70x70 PatchGAN. ``norm="none"`` gives a WGAN-GP critic (a gradient penalty
  per sample is incompatible with batch normalisation, which couples the samples).

Both use padding 1 in every 4x4 convolution, as Pix2Pix does. :meth:`PatchDiscriminator.layer_specs`
lists ``(kernel, stride, padding)`` per layer, the input of :func:`receptive_field` and
:func:`output_side` (Exercise 7.1).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "PatchDiscriminator",
    "UNetGenerator",
    "build_critic",
    "build_generator",
    "build_patch_discriminator",
    "measured_receptive_field",
    "output_side",
    "receptive_field",
]

LayerSpec = tuple[int, int, int]  # (kernel, stride, padding)


def _check_images(x: Tensor, channels: int, where: str) -> None:
    if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != channels or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{where} expects a floating tensor (N, {channels}, H, W), got {shape}")


def _positive_int(value: int, name: str, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value!r}")
    return value


class UNetGenerator(nn.Module):
    """Pix2Pix's U-Net generator for ``(N, in_channels, H, W)`` images in [0, 1] (chapter 07).

    Args:
        in_channels: channels of the degraded input.
        out_channels: channels of the restored output.
        width: channels of the first level; level ``i`` has ``width * 2**min(i, 3)``.
        levels: strided convolutions down (and transposed convolutions up); the innermost
            features have ``1 / 2**levels`` of the padded size.
        dropout: dropout probability after the innermost up-sampling layer (Pix2Pix uses 0.5
            in training *and* testing as its source of randomness; the course uses 0 by default,
            which makes the generator a deterministic map).
        input_skip: concatenate the input to the full-resolution features before the last
            (3x3) convolution; ``False`` is Pix2Pix's generator exactly.

    Attributes:
        multiple: the padded size is a multiple of this (``2**levels``).
    """

    def __init__(self, in_channels: int = 1, out_channels: int = 1, width: int = 16, levels: int = 3,
                 dropout: float = 0.0, input_skip: bool = True) -> None:
        super().__init__()
        where = "UNetGenerator"
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("width", width),
                            ("levels", levels)):
            _positive_int(value, name, where)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{where}: dropout must lie in [0, 1), got {dropout!r}")
        self.in_channels, self.out_channels, self.width, self.levels = in_channels, out_channels, width, levels
        self.input_skip = bool(input_skip)
        self.multiple = 2**levels
        chans = [width * 2 ** min(i, 3) for i in range(levels)]
        self.down = nn.ModuleList()
        c_prev = in_channels
        for i, c in enumerate(chans):
            layers: list[nn.Module] = [nn.Conv2d(c_prev, c, 4, stride=2, padding=1, bias=i == 0)]
            if i > 0:
                layers.append(nn.BatchNorm2d(c))
            layers.append(nn.LeakyReLU(0.2))
            self.down.append(nn.Sequential(*layers))
            c_prev = c
        self.up = nn.ModuleList()
        for i in reversed(range(levels)):
            c_in = chans[i] if i == levels - 1 else 2 * chans[i]
            if i == 0 and not self.input_skip:
                self.up.append(nn.ConvTranspose2d(c_in, out_channels, 4, stride=2, padding=1))
            elif i == 0:
                self.up.append(nn.Sequential(nn.ConvTranspose2d(c_in, width, 4, stride=2, padding=1, bias=False),
                                             nn.BatchNorm2d(width), nn.ReLU()))
            else:
                layers = [nn.ConvTranspose2d(c_in, chans[i - 1], 4, stride=2, padding=1, bias=False),
                          nn.BatchNorm2d(chans[i - 1]), nn.ReLU()]
                if i == levels - 1 and dropout > 0:
                    layers.append(nn.Dropout(dropout))
                self.up.append(nn.Sequential(*layers))
        self.head = nn.Conv2d(width + in_channels, out_channels, 3, padding=1) if self.input_skip else None

    def forward(self, x: Tensor) -> Tensor:
        """The restored images, same size as ``x``, values in (0, 1)."""
        _check_images(x, self.in_channels, "UNetGenerator")
        h, w = x.shape[-2:]
        ph, pw = (-h) % self.multiple, (-w) % self.multiple
        pads = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
        if ph or pw:
            mode = "reflect" if min(h, w) > max(pads) else "replicate"
            x = F.pad(x, pads, mode=mode)
        image, skips = x, []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        for j, layer in enumerate(self.up):
            if j > 0:
                x = torch.cat([x, skips[self.levels - 1 - j]], dim=1)
            x = layer(x)
        if self.head is not None:
            x = self.head(torch.cat([x, image], dim=1))
        x = torch.sigmoid(x)
        return x[..., pads[2]:pads[2] + h, pads[0]:pads[0] + w]


class PatchDiscriminator(nn.Module):
    """A PatchGAN: one raw score (logit) per input patch, ``(N, 1, h', w')`` (chapter 07).

    Args:
        in_channels: 2 for Pix2Pix's conditional discriminator on ``cat(input, output)``, 1 for
            an unconditional critic.
        width: channels of the first layer; each further strided layer doubles them (up to 8x).
        n_strided: 4x4 convolutions of stride 2 before the two stride-1 layers.
        norm: ``"batch"`` (Pix2Pix; not after the first layer) or ``"none"`` (WGAN-GP critics).
    """

    NORMS = ("batch", "none")

    def __init__(self, in_channels: int = 2, width: int = 32, n_strided: int = 1, norm: str = "batch") -> None:
        super().__init__()
        where = "PatchDiscriminator"
        _positive_int(in_channels, "in_channels", where)
        _positive_int(width, "width", where)
        _positive_int(n_strided, "n_strided", where)
        if norm not in self.NORMS:
            raise ValueError(f"{where}: norm must be one of {self.NORMS}, got {norm!r}")
        self.in_channels, self.width, self.n_strided, self.norm = in_channels, width, n_strided, norm
        layers: list[nn.Module] = []
        c_prev = in_channels
        strides = [2] * n_strided + [1]
        for i, stride in enumerate(strides):
            c = width * 2 ** min(i, 3)
            layers.append(nn.Conv2d(c_prev, c, 4, stride=stride, padding=1, bias=i == 0 or norm == "none"))
            if i > 0 and norm == "batch":
                layers.append(nn.BatchNorm2d(c))
            layers.append(nn.LeakyReLU(0.2))
            c_prev = c
        layers.append(nn.Conv2d(c_prev, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)

    def layer_specs(self) -> list[LayerSpec]:
        """``(kernel, stride, padding)`` of every convolution, input to output."""
        return [(m.kernel_size[0], m.stride[0], m.padding[0]) for m in self.net if isinstance(m, nn.Conv2d)]

    def forward(self, x: Tensor) -> Tensor:
        """Patch logits ``(N, 1, h', w')``; ``h' = output_side(H, self.layer_specs())``."""
        _check_images(x, self.in_channels, "PatchDiscriminator")
        smallest = min(x.shape[-2:])
        if output_side(smallest, self.layer_specs()) < 1:
            raise ValueError(f"PatchDiscriminator: a {x.shape[-2]}x{x.shape[-1]} image is too small for "
                             f"{self.n_strided} strided layers; use fewer (n_strided) or larger images")
        return self.net(x)

    def score(self, x: Tensor) -> Tensor:
        """One score per sample, ``(N,)``: the mean of the patch scores (a WGAN critic's value)."""
        return self(x).mean(dim=(1, 2, 3))


def _check_specs(layers: Sequence[LayerSpec], where: str) -> list[LayerSpec]:
    out = []
    for i, spec in enumerate(layers):
        if len(spec) != 3:
            raise ValueError(f"{where}: layer {i} must be (kernel, stride, padding), got {spec!r}")
        k, s, p = (int(v) for v in spec)
        if k < 1 or s < 1 or p < 0:
            raise ValueError(f"{where}: layer {i} needs kernel >= 1, stride >= 1, padding >= 0, got {spec!r}")
        out.append((k, s, p))
    return out


def output_side(size: int, layers: Sequence[LayerSpec]) -> int:
    """The side of the output map of a stack of convolutions on a ``size`` x ``size`` input (chapter 07).

    Each layer maps ``n`` to ``floor((n + 2 p - k) / s) + 1`` (PyTorch's ``Conv2d``); a
    result below 1 means the input is too small (returned as it is, possibly <= 0).
    """
    n = int(size)
    for k, s, p in _check_specs(layers, "output_side"):
        n = math.floor((n + 2 * p - k) / s) + 1
    return n


def receptive_field(layers: Sequence[LayerSpec]) -> int:
    """The side in input pixels of the patch that one output pixel sees (chapter 07).

    ``r = 1 + sum_l (k_l - 1) * prod_{j < l} s_j``: a layer of kernel ``k`` widens the field
    by ``k - 1`` of *its input's* pixels, each of which spans ``prod_{j < l} s_j`` input
    pixels. Padding does not change it. Pix2Pix's discriminator with three strided layers
    gives 70.
    """
    r, jump = 1, 1
    for k, s, _ in _check_specs(layers, "receptive_field"):
        r += (k - 1) * jump
        jump *= s
    return r


def measured_receptive_field(module: nn.Module, in_channels: int, size: int) -> int:
    """The receptive field of the centre output pixel of ``module``, measured by back-propagation (chapter 07).

    Feeds a ``size x size`` input of ones (channels ``in_channels``) in eval mode, back-propagates
    from the centre pixel of the output map and returns the side of the bounding box of the
    input pixels that receive a non-zero gradient. Compare with :func:`receptive_field`
    (equal when the field lies inside the input; the weights are those of the module, so an
    exactly zero weight could hide a pixel -- a trained or freshly initialised network has none).
    """
    was_training = module.training
    module.eval()
    x = torch.ones(1, in_channels, size, size, requires_grad=True)
    out = module(x)
    h, w = out.shape[-2:]
    out[0, 0, h // 2, w // 2].backward()
    module.train(was_training)
    touched = (x.grad.abs().sum(dim=(0, 1)) > 0).nonzero()
    rows, cols = touched[:, 0], touched[:, 1]
    return int(max(rows.max() - rows.min(), cols.max() - cols.min()) + 1)


def build_generator(seed: int = 0, **kwargs: int | float) -> UNetGenerator:
    """A fresh :class:`UNetGenerator` whose weights depend only on ``seed`` (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return UNetGenerator(**kwargs)  # type: ignore[arg-type]


def build_patch_discriminator(seed: int = 0, **kwargs: int | str) -> PatchDiscriminator:
    """A fresh conditional :class:`PatchDiscriminator` (batch norm) seeded by ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return PatchDiscriminator(**kwargs)  # type: ignore[arg-type]


def build_critic(seed: int = 0, in_channels: int = 1, width: int = 32, n_strided: int = 1) -> PatchDiscriminator:
    """A fresh unconditional WGAN-GP critic (a PatchGAN without normalisation) seeded by ``seed``."""
    return build_patch_discriminator(seed, in_channels=in_channels, width=width, n_strided=n_strided, norm="none")
