"""DCGAN generator and discriminator for 28x28 MNIST digits (chapter 06; the generator is reused in 08).

The architecture follows the guidelines of Radford, Metz & Chintala (ICLR 2016): strided
(transposed) convolutions instead of pooling, batch normalisation in both networks except
the generator's output layer and the discriminator's input layer, ReLU in the generator,
LeakyReLU(0.2) in the discriminator, weights drawn from N(0, 0.02). With ``f`` feature
maps (``f = 64`` is the course's setting)::

    Generator   z (N, latent)  -> view (N, latent, 1, 1)
                ConvT 7x7, latent -> 2f, BN, ReLU          ( 1x1 ->  7x7)
                ConvT 4x4 s2, 2f -> f,   BN, ReLU          ( 7x7 -> 14x14)
                ConvT 4x4 s2, f -> 1, tanh, (t + 1) / 2    (14x14 -> 28x28)
    Discriminator  x (N, 1, 28, 28) in [0, 1] -> 2x - 1
                Conv 4x4 s2, 1 -> f, LeakyReLU(0.2)        (28x28 -> 14x14)
                Conv 4x4 s2, f -> 2f, BN, LeakyReLU(0.2)   (14x14 ->  7x7)
                Conv 7x7, 2f -> 1                          -> one raw score per image

Both networks talk to the rest of the course in the **[0, 1] intensity scale** of
:mod:`course_lib.data`: the generator maps its tanh output to [0, 1] and the discriminator
maps its input back to [-1, 1], the range DCGAN was designed for. The discriminator returns
a raw score (a *logit*), never a probability: the cross-entropy losses of
:mod:`course_lib.gan` apply the sigmoid inside a numerically stable ``softplus``, and the
least-squares loss uses the raw score itself.

With ``f = 64`` and ``latent = 100`` the generator has 759,681 weights and the discriminator
138,689; saved together in float32 they take about 3.6 MB (the course's cap is 5 MB).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["DCGAN", "DCGANDiscriminator", "DCGANGenerator", "FEATURE_MAPS", "LATENT_DIM", "build_dcgan", "count_parameters",
           "dcgan_init_"]

#: The latent dimension of the course's DCGAN (the seed's setting, chapters 06 and 08).
LATENT_DIM = 100
#: The number of feature maps of the shipped DCGAN.
FEATURE_MAPS = 64


def _check_positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class DCGANGenerator(nn.Module):
    """Maps latent codes ``(N, latent)`` to images ``(N, 1, 28, 28)`` with values in [0, 1].

    Args:
        latent: dimension of the code ``z`` (100 in the course).
        feature_maps: ``f``, the channels of the 14x14 layer (the 7x7 layer has ``2f``).
    """

    def __init__(self, latent: int = LATENT_DIM, feature_maps: int = FEATURE_MAPS) -> None:
        super().__init__()
        self.latent = _check_positive("latent", latent)
        f = self.feature_maps = _check_positive("feature_maps", feature_maps)
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent, 2 * f, 7, 1, 0, bias=False), nn.BatchNorm2d(2 * f), nn.ReLU(True),
            nn.ConvTranspose2d(2 * f, f, 4, 2, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(True),
            nn.ConvTranspose2d(f, 1, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        """Images in [0, 1] of shape ``(N, 1, 28, 28)`` for codes of shape ``(N, latent)``."""
        if z.ndim != 2 or z.shape[1] != self.latent:
            raise ValueError(f"DCGANGenerator expects codes of shape (N, {self.latent}), got {tuple(z.shape)}")
        return 0.5 * (self.net(z[:, :, None, None]) + 1.0)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` images from codes ``z ~ N(0, I)`` (drawn with ``generator``), without gradients, in eval mode."""
        z = torch.randn(_check_positive("n", n), self.latent, generator=generator)
        was_training = self.training
        self.eval()
        with torch.no_grad():
            out = self(z)
        self.train(was_training)
        return out


class DCGANDiscriminator(nn.Module):
    """Maps images ``(N, 1, 28, 28)`` in [0, 1] to one raw score (logit) per image, shape ``(N,)``.

    Args:
        feature_maps: ``f``, the channels of the 14x14 layer (the 7x7 layer has ``2f``).
    """

    def __init__(self, feature_maps: int = FEATURE_MAPS) -> None:
        super().__init__()
        f = self.feature_maps = _check_positive("feature_maps", feature_maps)
        self.net = nn.Sequential(
            nn.Conv2d(1, f, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(f, 2 * f, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * f), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * f, 1, 7, 1, 0),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Raw scores of shape ``(N,)``: large for images judged real, small for fakes."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"DCGANDiscriminator expects images of shape (N, 1, 28, 28), got {tuple(x.shape)}")
        return self.net(2.0 * x - 1.0).reshape(-1)


class DCGAN(nn.Module):
    """A generator and its discriminator in one module, saved as one checkpoint (chapters 06, 08).

    Attributes:
        generator: a :class:`DCGANGenerator`.
        discriminator: a :class:`DCGANDiscriminator` with the same number of feature maps.
    """

    def __init__(self, latent: int = LATENT_DIM, feature_maps: int = FEATURE_MAPS) -> None:
        super().__init__()
        self.generator = DCGANGenerator(latent, feature_maps)
        self.discriminator = DCGANDiscriminator(feature_maps)

    @property
    def latent(self) -> int:
        """The latent dimension."""
        return self.generator.latent

    @property
    def feature_maps(self) -> int:
        """The number of feature maps ``f``."""
        return self.generator.feature_maps


def dcgan_init_(module: nn.Module) -> nn.Module:
    """DCGAN's initialisation, in place: (transposed) convolutions N(0, 0.02), BN weights N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


def build_dcgan(seed: int = 0, *, latent: int = LATENT_DIM, feature_maps: int = FEATURE_MAPS) -> DCGAN:
    """A freshly initialised :class:`DCGAN` whose weights depend only on ``seed`` (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return dcgan_init_(DCGAN(latent, feature_maps))


def count_parameters(model: nn.Module) -> int:
    """The number of trainable scalars of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
