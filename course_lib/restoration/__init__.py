"""Restoration with adversarial, perceptual and structural losses on MNIST (chapter 07).

Modules:

* :mod:`.tasks` -- the four tasks (denoising at sigma 0.5, occlusion, motion blur,
  structured noise), training batches and the fixed evaluation sets;
* :mod:`.train` -- the chapter's shipped models (restorers, the judge classifier, the noise
  GAN), their builders and resumable training functions, :func:`load`;
* :mod:`.evaluate` -- PSNR, SSIM, high-frequency energy, classifier accuracy and the Fréchet
  distance of restored digits;
* :mod:`.noise_model` -- GAN-based noise modelling for blind denoising (Chen et al. 2018);
* :mod:`.theory` -- the perception-distortion propositions checked on one binary pixel;
* :mod:`.seeds` -- the seed study: do the chapter's orderings hold for other training runs?

The losses live in :mod:`course_lib.losses`, the networks in :mod:`course_lib.models.pix2pix`.
Everything is re-exported here: ``from course_lib import restoration; restoration.load(...)``.
"""

from __future__ import annotations

from .tasks import (  # noqa: F401
    BLUR_ANXIETY, BLUR_LENGTH, BLUR_NOISE, DENOISE_SIGMA, OCCLUDER, STRUCTURED_SIGMA, STRUCTURED_TAPS, TASKS,
    EvalSet, OccluderSpec, blur, degrade, eval_set, kernel_bank, occlude, step_generator, structured_noise,
    task_batch,
)
from .evaluate import HF_CUTOFF, high_frequency_energy, restore, score_outputs  # noqa: F401
from .noise_model import (  # noqa: F401
    NoiseCritic, NoiseGAN, NoiseGenerator, PatchExtraction, corner_positions, noise_statistics, smooth_patches,
)
from .theory import BinaryPixelStudy, binary_pixel_study, posterior_probability  # noqa: F401
from . import seeds  # noqa: F401,E402  (the seed study: restoration.seeds)
from .train import (  # noqa: F401
    CLEAN_HALF, CRITIC_ARCH, DISCRIMINATOR_ARCH, GENERATOR_ARCH, JUDGE_ARCH, JUDGE_NAME, MODEL_NAMES,
    NOISE_GAN_ARCH, NOISE_GAN_NAME, SPECS, RestorerSchedule, RestorerSpec, builder, classifier, judge, load,
    observed_noise_patches, observed_noisy, restorer_schedule, restorer_trainer, trainer,
)

__all__ = [
    "BLUR_ANXIETY", "BLUR_LENGTH", "BinaryPixelStudy", "binary_pixel_study", "posterior_probability", "BLUR_NOISE", "CLEAN_HALF", "CRITIC_ARCH", "DENOISE_SIGMA", "DISCRIMINATOR_ARCH",
    "EvalSet", "GENERATOR_ARCH", "HF_CUTOFF", "JUDGE_ARCH", "JUDGE_NAME", "MODEL_NAMES", "NOISE_GAN_ARCH",
    "NOISE_GAN_NAME", "NoiseCritic", "NoiseGAN", "NoiseGenerator", "OCCLUDER", "OccluderSpec", "PatchExtraction",
    "RestorerSchedule", "RestorerSpec", "SPECS", "STRUCTURED_SIGMA", "STRUCTURED_TAPS", "TASKS", "blur", "builder",
    "classifier", "corner_positions", "degrade", "eval_set", "high_frequency_energy", "judge", "kernel_bank", "load",
    "noise_statistics", "observed_noise_patches", "observed_noisy", "occlude", "restore", "restorer_schedule",
    "restorer_trainer", "score_outputs", "smooth_patches", "step_generator", "structured_noise", "task_batch",
    "trainer",
]
