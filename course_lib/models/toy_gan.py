"""Small multilayer perceptrons for the 1-D and 2-D GAN toys of chapter 06.

* :class:`MLPGenerator` maps a latent code ``z ~ N(0, I)`` of dimension ``latent`` to a point
  of dimension ``dim`` (1 for the 1-D mixtures, 2 for the ring and grid of Gaussians).
* :class:`MLPDiscriminator` maps a point to one raw score (a logit for the cross-entropy
  losses, a critic value for the Wasserstein losses), shape ``(N,)``. With
  ``spectral_norm=True`` every linear layer is spectrally normalised (Miyato et al., ICLR
  2018): its weight is divided by an estimate of its largest singular value, so that each
  layer, and with 1-Lipschitz activations the whole network, is (approximately) 1-Lipschitz.

Both pair with :class:`ToyGAN`, which holds a generator and a discriminator as one module
(the object :func:`course_lib.gan.train_gan` trains).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["MLPDiscriminator", "MLPGenerator", "ToyGAN", "build_toy_gan"]


def _check(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _mlp(sizes: list[int], activation: type[nn.Module], spectral: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(a, b)
        if spectral:
            linear = nn.utils.parametrizations.spectral_norm(linear)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """``z (N, latent) -> x (N, dim)``: ``depth`` hidden ReLU layers of ``width`` units, linear output.

    Args:
        latent: dimension of the code.
        dim: dimension of the samples (1 or 2 in chapter 06).
        width: units per hidden layer.
        depth: number of hidden layers (>= 1).
    """

    def __init__(self, latent: int = 2, dim: int = 2, width: int = 128, depth: int = 3) -> None:
        super().__init__()
        self.latent, self.dim = _check("latent", latent), _check("dim", dim)
        _check("width", width)
        _check("depth", depth)
        self.net = _mlp([latent] + [width] * depth + [dim], nn.ReLU, False)

    def forward(self, z: Tensor) -> Tensor:
        """Samples of shape ``(N, dim)``."""
        if z.ndim != 2 or z.shape[1] != self.latent:
            raise ValueError(f"MLPGenerator expects codes of shape (N, {self.latent}), got {tuple(z.shape)}")
        return self.net(z)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples from ``z ~ N(0, I)``, without gradients."""
        z = torch.randn(_check("n", n), self.latent, generator=generator)
        with torch.no_grad():
            return self(z)


class MLPDiscriminator(nn.Module):
    """``x (N, dim) -> score (N,)``: ``depth`` hidden LeakyReLU(0.2) layers of ``width`` units.

    Args:
        dim: dimension of the inputs.
        width: units per hidden layer.
        depth: number of hidden layers (>= 1).
        spectral_norm: spectrally normalise every linear layer (chapter 06, stabilisers).
    """

    def __init__(self, dim: int = 2, width: int = 128, depth: int = 3, spectral_norm: bool = False) -> None:
        super().__init__()
        self.dim = _check("dim", dim)
        _check("width", width)
        _check("depth", depth)
        self.spectral_norm = bool(spectral_norm)
        self.net = _mlp([dim] + [width] * depth + [1], lambda: nn.LeakyReLU(0.2), self.spectral_norm)

    def forward(self, x: Tensor) -> Tensor:
        """Raw scores of shape ``(N,)``."""
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"MLPDiscriminator expects points of shape (N, {self.dim}), got {tuple(x.shape)}")
        return self.net(x).reshape(-1)


class ToyGAN(nn.Module):
    """A :class:`MLPGenerator` and a :class:`MLPDiscriminator` in one module (chapter 06)."""

    def __init__(self, generator: MLPGenerator, discriminator: MLPDiscriminator) -> None:
        super().__init__()
        if generator.dim != discriminator.dim:
            raise ValueError(f"the generator makes {generator.dim}-D points, the discriminator reads {discriminator.dim}-D")
        self.generator = generator
        self.discriminator = discriminator

    @property
    def latent(self) -> int:
        """The latent dimension."""
        return self.generator.latent


def build_toy_gan(
    seed: int = 0, *, dim: int = 2, latent: int = 2, width: int = 128, depth: int = 3, spectral_norm: bool = False
) -> ToyGAN:
    """A fresh :class:`ToyGAN` whose weights depend only on ``seed`` (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ToyGAN(MLPGenerator(latent, dim, width, depth),
                      MLPDiscriminator(dim, width, depth, spectral_norm=spectral_norm))
