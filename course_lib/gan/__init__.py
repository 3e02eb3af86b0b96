"""Generative adversarial networks: losses, theory checks, training loops, sample quality (chapter 06).

Modules: :mod:`.losses` (losses, clipping, gradient penalty), :mod:`.theory` (1-D quadrature),
:mod:`.training` (:func:`train_gan`), :mod:`.quality` (Frechet distance, modes), :mod:`.mnist`
(classifier, DCGAN, the run archive) and :mod:`.ring` (the ring of 8 Gaussians). Everything is
re-exported here, so ``from course_lib import gan; gan.train_gan(...)`` works.

Chapter 06 uses everything here; chapters 07 and 09 reuse :func:`gradient_penalty` and the
Wasserstein losses, chapter 08 inverts the generator shipped by :func:`train_dcgan`.

Conventions
-----------
* A discriminator (or critic) returns one **raw score** per sample, shape ``(N,)``. For the
  cross-entropy losses the score is a logit ``a`` and ``D(x) = sigmoid(a)`` is the probability
  "real"; the least-squares and Wasserstein losses use the raw score itself.
* Losses are **minimised** by the player they belong to and averaged over the batch
  (natural logarithms, so cross-entropies are in nats).

  ===================  ===========================================  ==========================================
  ``kind``             discriminator / critic minimises              generator minimises
  ===================  ===========================================  ==========================================
  ``saturating``       ``-E log D(x) - E log(1 - D(G(z)))``          ``E log(1 - D(G(z)))`` (Goodfellow's minimax)
  ``nonsaturating``    same                                         ``-E log D(G(z))``
  ``lsgan``            ``E (s(x) - 1)^2 + E s(G(z))^2``              ``E (s(G(z)) - 1)^2`` (Mao et al. 2017)
  ``wgan-clip``        ``E s(G(z)) - E s(x)``, weights clipped       ``-E s(G(z))`` (Arjovsky et al. 2017)
  ``wgan-gp``          same + ``lambda * gradient_penalty``          ``-E s(G(z))`` (Gulrajani et al. 2017)
  ===================  ===========================================  ==========================================

  (``s`` is the raw score. Mao et al. put a factor 1/2 in front of the least-squares terms;
  it changes nothing for Adam.) Every cross-entropy is computed from the logit with
  ``softplus``, which never takes the logarithm of a rounded-to-zero probability:
  ``-log sigmoid(a) = softplus(-a)`` and ``-log(1 - sigmoid(a)) = softplus(a)``.
* Densities of the 1-D theory checks are arrays of values on a uniform grid with spacing
  ``dx``; integrals are Riemann sums ``sum(f) * dx``; ``0 log 0 = 0``.
* Images are on the [0, 1] scale, ``(N, 1, 28, 28)``.

Training
--------
:func:`train_gan` trains a module with ``.generator`` and ``.discriminator`` (a
:class:`~course_lib.models.dcgan.DCGAN` or a :class:`~course_lib.models.toy_gan.ToyGAN`) with
``k`` discriminator steps per generator step, through :func:`course_lib.training.fit` (so it
is resumable). One optimizer holds two parameter groups (generator first, discriminator
second); a step only moves the parameters that received a gradient, so this is exactly two
separate optimizers, saved together.
"""

from __future__ import annotations

from .losses import (  # noqa: F401
    CRITIC_KINDS, KINDS, LOSS_KINDS, clip_weights_, discriminator_loss, generator_loss,
    generator_score_gradient, gradient_penalty, nonsaturating_generator_loss, saturating_generator_loss,
)
from .theory import (  # noqa: F401
    js_divergence, kl_divergence, optimal_discriminator, uniform_grid, value_function, virtual_criterion,
)
from .training import (  # noqa: F401
    GANConfig, GAN_STAT_FIELDS, fit_discriminator, make_optimizer, train_gan,
)
from .quality import (  # noqa: F401
    FeatureStatistics, ModeCoverage, SampleQuality, class_spread, classifier_features, count_modes,
    feature_statistics, frechet_distance, sample_quality,
)
from .mnist import (  # noqa: F401
    ARCHIVE_NAME, CLASSIFIER_ARCH, CLASSIFIER_NAME, CURVE_FIELDS, DATA_SPLIT, DCGANRun, DCGANRunArchive,
    DCGANSchedule, DCGAN_NAME, GRID_SAMPLES, MAX_POINTS, METRIC_FIELDS, RUNS, SHIPPED_RUN, dcgan_schedule,
    make_classifier, make_dcgan, make_run_archive, quality_classifier, reference_statistics, train_classifier,
    train_dcgan, train_dcgan_runs,
)
from .ring import (  # noqa: F401
    RING_STD, TOY_SETTINGS, train_ring,
)

__all__ = [
    "ARCHIVE_NAME", "CLASSIFIER_ARCH", "CLASSIFIER_NAME", "CRITIC_KINDS", "CURVE_FIELDS", "DATA_SPLIT",
    "DCGANRun", "DCGANRunArchive", "DCGANSchedule", "DCGAN_NAME", "FeatureStatistics", "GANConfig",
    "GAN_STAT_FIELDS", "GRID_SAMPLES", "KINDS", "LOSS_KINDS", "MAX_POINTS", "METRIC_FIELDS", "ModeCoverage",
    "RING_STD", "RUNS", "SHIPPED_RUN", "SampleQuality", "TOY_SETTINGS", "class_spread", "classifier_features",
    "clip_weights_", "count_modes", "dcgan_schedule", "discriminator_loss", "feature_statistics",
    "fit_discriminator", "frechet_distance", "generator_loss", "generator_score_gradient", "gradient_penalty",
    "js_divergence", "kl_divergence", "make_classifier", "make_dcgan", "make_optimizer", "make_run_archive",
    "nonsaturating_generator_loss", "optimal_discriminator", "quality_classifier", "reference_statistics",
    "sample_quality", "saturating_generator_loss", "train_classifier", "train_dcgan", "train_dcgan_runs",
    "train_gan", "train_ring", "uniform_grid", "value_function", "virtual_criterion"
]
