"""Denoising autoencoders, a small U-Net and a VAE for 28x28 MNIST digits (chapter 05; baselines in 07, 08).

All models take and return ``(N, 1, 28, 28)`` tensors on the [0, 1] scale; the decoders
end in a sigmoid, so outputs stay in (0, 1).

* :class:`DenseAutoencoder` -- fully connected 784 -> hidden -> latent -> hidden -> 784.
* :class:`ConvAutoencoder` -- strided convolutions 28 -> 14 -> 7 -> 4, a linear bottleneck of
  ``latent`` numbers, and transposed convolutions back.
* :class:`UNet` -- the same resolutions without the bottleneck, plus skip connections that
  concatenate each encoder level to the decoder level of the same size.
* :class:`ConvVAE` -- the convolutional autoencoder made probabilistic: the encoder outputs
  the mean and log-variance of q(z|x), the decoder the Bernoulli means of p(x|z).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ConvAutoencoder", "ConvVAE", "DenseAutoencoder", "UNet", "build", "vae_loss"]


def _check_input(x: Tensor, where: str) -> None:
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"{where} expects MNIST images of shape (N, 1, 28, 28), got {tuple(x.shape)}")


class DenseAutoencoder(nn.Module):
    """Fully connected autoencoder with a ``latent``-dimensional code."""

    def __init__(self, latent: int = 32, hidden: int = 256) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction of ``x`` through the code."""
        _check_input(x, "DenseAutoencoder")
        return self.decoder(self.encoder(x)).view(-1, 1, 28, 28)


def _down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU())


def _up(c_in: int, c_out: int, output_padding: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=output_padding),
                         nn.ReLU())


class _ConvCoder(nn.Module):
    """Encoder 28 -> 14 -> 7 -> 4 (channels w, 2w, 2w) and the mirror-image decoder."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.enc = nn.Sequential(_down(1, width), _down(width, 2 * width), _down(2 * width, 2 * width), nn.Flatten())
        self.dec = nn.Sequential(_up(2 * width, 2 * width, 0), _up(2 * width, width, 1),
                                 nn.ConvTranspose2d(width, 1, 3, stride=2, padding=1, output_padding=1))
        self.flat = 2 * width * 16
        self.width = width

    def decode_map(self, h: Tensor) -> Tensor:
        return torch.sigmoid(self.dec(h.view(-1, 2 * self.width, 4, 4)))


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder with a linear bottleneck of ``latent`` numbers."""

    def __init__(self, latent: int = 32, width: int = 16) -> None:
        super().__init__()
        self.coder = _ConvCoder(width)
        self.to_code = nn.Linear(self.coder.flat, latent)
        self.from_code = nn.Sequential(nn.Linear(latent, self.coder.flat), nn.ReLU())

    def encode(self, x: Tensor) -> Tensor:
        """The code, shape ``(N, latent)``."""
        _check_input(x, "ConvAutoencoder")
        return self.to_code(self.coder.enc(x))

    def decode(self, z: Tensor) -> Tensor:
        """An image from a code."""
        return self.coder.decode_map(self.from_code(z))

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction of ``x`` through the code."""
        return self.decode(self.encode(x))


def _double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU())


class UNet(nn.Module):
    """A three-level U-Net (28 -> 14 -> 7) with skip connections (``skips=False``: none).

    Without skips it is an autoencoder with a 7x7 spatial bottleneck of ``4 * width``
    channels; with them, every decoder level also sees the encoder features of its size.
    """

    def __init__(self, width: int = 8, skips: bool = True) -> None:
        super().__init__()
        w, self.skips = width, skips
        self.enc1, self.enc2, self.mid = _double_conv(1, w), _double_conv(w, 2 * w), _double_conv(2 * w, 4 * w)
        self.up2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.dec2 = _double_conv(4 * w if skips else 2 * w, 2 * w)
        self.up1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.dec1 = _double_conv(2 * w if skips else w, w)
        self.out = nn.Conv2d(w, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        """The restored image."""
        _check_input(x, "UNet")
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.up2(m)
        d2 = self.dec2(torch.cat([d2, e2], 1) if self.skips else d2)
        d1 = self.up1(d2)
        d1 = self.dec1(torch.cat([d1, e1], 1) if self.skips else d1)
        return torch.sigmoid(self.out(d1))


class ConvVAE(nn.Module):
    """Variational autoencoder: q(z|x) = N(mu(x), diag(exp(logvar(x)))), p(x|z) Bernoulli(decoder(z))."""

    def __init__(self, latent: int = 16, width: int = 16) -> None:
        super().__init__()
        self.latent = latent
        self.coder = _ConvCoder(width)
        self.to_stats = nn.Linear(self.coder.flat, 2 * latent)
        self.from_code = nn.Sequential(nn.Linear(latent, self.coder.flat), nn.ReLU())

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(mu, logvar)``, each of shape ``(N, latent)``."""
        _check_input(x, "ConvVAE")
        mu, logvar = self.to_stats(self.coder.enc(x)).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: Tensor) -> Tensor:
        """Bernoulli means (pixel intensities in (0, 1)) for codes ``z``."""
        return self.coder.decode_map(self.from_code(z))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(reconstruction, mu, logvar)`` with ``z = mu + exp(logvar / 2) * eps`` (reparameterisation)."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu
        return self.decode(z), mu, logvar

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` images decoded from z ~ N(0, I)."""
        return self.decode(torch.randn(n, self.latent, generator=generator))


def vae_loss(recon: Tensor, target: Tensor, mu: Tensor, logvar: Tensor, beta: float = 1.0) -> Tensor:
    """Negative ELBO per image (nats): Bernoulli reconstruction term + ``beta`` * KL(q(z|x) || N(0, I)).

    KL = 1/2 * sum(mu^2 + exp(logvar) - 1 - logvar) over the latent dimensions; both terms are
    summed over pixels/dimensions and averaged over the batch (chapter 05, Exercise 5.3).
    """
    rec = F.binary_cross_entropy(recon, target, reduction="sum") / target.shape[0]
    kl = 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1.0 - logvar) / target.shape[0]
    return rec + beta * kl


def build(kind: str, seed: int = 0, **kwargs: int | bool) -> nn.Module:
    """A fresh model of ``kind`` in {"dense", "conv", "unet", "plain", "vae"} seeded by ``seed``.

    ``"plain"`` is the U-Net without skip connections.
    """
    makers = {"dense": DenseAutoencoder, "conv": ConvAutoencoder, "unet": UNet, "vae": ConvVAE,
              "plain": lambda **k: UNet(skips=False, **k)}
    if kind not in makers:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(makers)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return makers[kind](**kwargs)
