"""The ring of 8 Gaussians: mode collapse and the min-max / max-min order (chapter 06).

See :mod:`course_lib.gan` for the conventions (raw scores, minimised losses, nats).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .. import data
from ..training import History
from .quality import count_modes
from .training import GANConfig, train_gan


#: Standard deviation of each mode of the chapter's ring of 8 Gaussians (radius 2).
RING_STD = 0.05

#: The settings of the ring experiment (chapter 06): name -> (GANConfig fields, spectral norm in D?).
#: All use the same networks (latent 2, three hidden layers of 128 units) and batches of 256.
TOY_SETTINGS: dict[str, tuple[dict[str, Any], bool]] = {
    # the generator learns 10x faster than the discriminator: it (almost) best-responds, the max-min order
    "gan_fast_g": (dict(loss="nonsaturating", d_steps=1, lr_g=2e-3, lr_d=2e-4, betas=(0.5, 0.999)), False),
    # the same learning rates, 5 discriminator steps per generator step: closer to the min-max order
    "gan_k5": (dict(loss="nonsaturating", d_steps=5, lr_g=2e-3, lr_d=2e-4, betas=(0.5, 0.999)), False),
    # the fast generator against a spectrally normalised discriminator
    "sngan_fast_g": (dict(loss="nonsaturating", d_steps=1, lr_g=2e-3, lr_d=2e-4, betas=(0.5, 0.999)), True),
    # Wasserstein critics: 5 critic steps, Adam 5e-4 with betas (0.5, 0.9)
    "wgan_clip": (dict(loss="wgan-clip", d_steps=5, lr_g=5e-4, lr_d=5e-4, betas=(0.5, 0.9), clip=0.05), False),
    "wgan_gp": (dict(loss="wgan-gp", d_steps=5, lr_g=5e-4, lr_d=5e-4, betas=(0.5, 0.9), gp_weight=0.1), False),
}


def train_ring(setting: str, *, steps: int, seed: int = 0, log_every: int = 50, n_eval: int = 1000,
               progress: bool = False) -> tuple[nn.Module, History]:
    """Train one setting of :data:`TOY_SETTINGS` on the ring of 8 Gaussians (chapter 06, mode collapse).

    Every ``log_every`` steps the History records, besides :data:`GAN_STAT_FIELDS`, the modes
    covered by ``n_eval`` samples from fixed codes (``modes``), the fraction of high-quality
    samples (``high_quality``), the most populated mode (``main_mode``) and its share of the
    high-quality samples (``main_share``), from :func:`count_modes`.

    Returns:
        The trained :class:`~course_lib.models.toy_gan.ToyGAN` and its History.
    """
    from ..models.toy_gan import build_toy_gan

    if setting not in TOY_SETTINGS:
        raise ValueError(f"unknown ring setting {setting!r}; choose one of {', '.join(TOY_SETTINGS)}")
    fields, spectral = TOY_SETTINGS[setting]
    pair = build_toy_gan(seed, dim=2, latent=2, width=128, depth=3, spectral_norm=spectral)
    config = GANConfig(batch=256, seed=seed, **fields)
    centres = data.ring_centres(8)
    z = torch.randn(n_eval, 2, generator=torch.Generator().manual_seed(1000 + seed))

    def watch(model: nn.Module) -> dict[str, float]:
        cover = count_modes(model.generator(z), centres, RING_STD)
        share = cover.counts.max() / max(cover.counts.sum(), 1)
        return {"modes": cover.covered, "high_quality": cover.high_quality,
                "main_mode": float(cover.counts.argmax()), "main_share": float(share)}

    hist = train_gan(pair, config, lambda n, gen: data.ring_of_gaussians(n, std=RING_STD, generator=gen),
                     steps=steps, log_every=log_every, eval_fn=watch, probe_every=log_every,
                     progress=progress, desc=setting)
    pair.eval()
    return pair, hist
