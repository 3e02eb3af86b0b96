"""The MNIST experiments of chapter 06.

The quality classifier, the shipped DCGAN and the archive of DCGAN runs.

See :mod:`course_lib.gan` for the conventions (raw scores, minimised losses, nats).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor, nn

from .. import data
from ..config import by_profile
from ..training import History, checkpoint_meta, fit, load_or_train, resume_path, save_checkpoint
from .losses import LOSS_KINDS
from .quality import (FeatureStatistics, SampleQuality, classifier_features, feature_statistics, frechet_distance,
                      sample_quality)
from .training import GAN_STAT_FIELDS, GANConfig, _step_generator, train_gan


#: Architecture of the chapter's quality classifier (an :class:`~course_lib.models.mnist_cnn.MnistCNN`).
CLASSIFIER_ARCH: dict[str, int] = {"width": 16, "hidden": 64}
CLASSIFIER_NAME = "gan06_classifier"
DCGAN_NAME = "dcgan_mnist"
ARCHIVE_NAME = "gan06_dcgan_runs"
DATA_SPLIT = "mnist-course-train-8000"


def make_classifier(seed: int = 0) -> nn.Module:
    """A fresh quality classifier (MnistCNN, width 16, hidden 64: 105,866 weights, about 0.4 MB)."""
    from ..models.mnist_cnn import build_mnist_cnn

    return build_mnist_cnn(seed, **CLASSIFIER_ARCH)


def _mnist_batch(images: Tensor, labels: Tensor | None, n: int, gen: torch.Generator) -> Any:
    idx = torch.randint(images.shape[0], (n,), generator=gen)
    return images[idx] if labels is None else (images[idx], labels[idx])


def train_classifier(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the quality classifier on the course's 8,000 training digits; resumable (chapter 06).

    Adam 1e-3 with a cosine decay to 1e-5, batch 128, cross-entropy. The held-out accuracy
    on the 2,000 evaluation digits is logged at the end (it chooses nothing).
    """
    from ..models.mnist_cnn import accuracy, cross_entropy_loss

    steps = int(steps) if steps is not None else by_profile(ci=150, default=1500, full=3000)
    x, y = data.mnist("train")
    x_eval, y_eval = data.mnist("eval")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=1e-5)
    hist = fit(model, cross_entropy_loss, lambda step: _mnist_batch(x, y, 128, _step_generator(0, step, 1)),
               steps=steps, optimizer=opt, scheduler=sched, log_every=10,
               eval_fn=lambda m: {"eval_accuracy": accuracy(m, x_eval, y_eval)}, eval_every=max(steps, 1),
               checkpoint_path=resume_path(out_path), checkpoint_every=500,
               meta={"lr": 1e-3, "batch": 128, "steps": steps, **CLASSIFIER_ARCH}, progress=False, desc="classifier")
    acc = hist.evals["eval_accuracy"][-1]
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=DATA_SPLIT, chapter=6, eval_accuracy=float(acc), architecture=dict(CLASSIFIER_ARCH),
        description=(f"MnistCNN(width={CLASSIFIER_ARCH['width']}, hidden={CLASSIFIER_ARCH['hidden']}) quality classifier "
                     f"for the Frechet distance and class spread of chapter 06; Adam 1e-3 cosine, batch 128, "
                     f"{steps} steps; held-out accuracy {acc:.4f}")), history=hist)
    return hist


@functools.lru_cache(maxsize=4)
def _cached_classifier(profile: str) -> tuple[nn.Module, Any]:
    return load_or_train(CLASSIFIER_NAME, make_classifier, train_classifier, verbose=False)


def quality_classifier() -> tuple[nn.Module, Any]:
    """The shipped quality classifier and its :class:`~course_lib.training.LoadInfo`, loaded (or trained) once per process."""
    from ..config import get_profile

    return _cached_classifier(get_profile().name)


@functools.lru_cache(maxsize=4)
def _cached_reference(profile: str) -> FeatureStatistics:
    classifier, _ = quality_classifier()
    return feature_statistics(classifier_features(classifier, data.mnist("eval")[0]))


def reference_statistics() -> FeatureStatistics:
    """Feature statistics of the 2,000 evaluation digits under :func:`quality_classifier` (cached)."""
    from ..config import get_profile

    return _cached_reference(get_profile().name)


@dataclass(frozen=True)
class DCGANRun:
    """One configuration of the DCGAN experiment: generator loss, G:D ratio ``1:d_steps``, seed."""

    loss: str
    d_steps: int
    seed: int = 0

    def __post_init__(self) -> None:
        if self.loss not in LOSS_KINDS:
            raise ValueError(f"DCGANRun.loss must be one of {LOSS_KINDS}, got {self.loss!r}")

    @property
    def name(self) -> str:
        """E.g. ``nonsaturating_1to1_s0``."""
        return f"{self.loss}_1to{self.d_steps}_s{self.seed}"

    @property
    def config_name(self) -> str:
        """The configuration without the seed, e.g. ``nonsaturating_1to1``."""
        return f"{self.loss}_1to{self.d_steps}"

    @property
    def label(self) -> str:
        """E.g. ``non-saturating, G:D 1:1``."""
        pretty = {"saturating": "saturating", "nonsaturating": "non-saturating", "lsgan": "least squares"}
        return f"{pretty[self.loss]}, G:D 1:{self.d_steps}"


#: The runs of the experiment: 3 losses x ratios 1:1 and 1:3; three seeds for the 1:1 comparison
#: of the saturating and non-saturating losses, one seed elsewhere.
RUNS: tuple[DCGANRun, ...] = tuple(
    DCGANRun(loss, k, seed)
    for k in (1, 3) for loss in LOSS_KINDS
    for seed in ((0, 1, 2) if k == 1 and loss != "lsgan" else (0,)))
#: The run whose generator and discriminator ship as ``dcgan_mnist`` (chapter 08 inverts this generator).
SHIPPED_RUN = DCGANRun("nonsaturating", 1, 0)


@dataclass(frozen=True)
class DCGANSchedule:
    """The DCGAN schedule of a profile (chapter 06). ``g_steps`` counts generator updates."""

    g_steps: int
    batch: int = 128
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    log_every: int = 25
    checkpoint_every: int = 25
    eval_samples: int = 500
    final_samples: int = 2000


def dcgan_schedule(steps: int | None = None) -> DCGANSchedule:
    """The profile's DCGAN schedule; ``steps`` overrides the length (a brief demonstration run).

    ``full``: 800 generator steps of batch 128 (12.8 passes over the 8,000 training digits), the
    seed's settings otherwise (Adam 2e-4, beta1 = 0.5 from Radford et al.); ``default`` (only
    used when nothing is shipped): 30 steps of batch 64; ``ci``: 6 steps of batch 16.
    """
    sched = by_profile(
        ci=DCGANSchedule(g_steps=6, batch=16, log_every=2, checkpoint_every=2, eval_samples=100, final_samples=300),
        default=DCGANSchedule(g_steps=30, batch=64, log_every=5, checkpoint_every=10, eval_samples=200,
                              final_samples=1000),
        full=DCGANSchedule(g_steps=800))
    if steps is not None:
        steps = int(steps)
        every = max(1, min(sched.log_every, steps // 4 or 1))
        sched = DCGANSchedule(**{**asdict(sched), "g_steps": steps, "log_every": every, "checkpoint_every": every})
    return sched


def make_dcgan(seed: int = 0) -> nn.Module:
    """A fresh DCGAN with the shipped architecture (latent 100, 64 feature maps), weights from ``seed``."""
    from ..models.dcgan import build_dcgan

    return build_dcgan(seed)


def _fd_eval(classifier: nn.Module, reference: FeatureStatistics, n: int, seed: int) -> Callable[[nn.Module], dict[str, float]]:
    z = torch.randn(n, 100, generator=torch.Generator().manual_seed(seed))

    def watch(pair: nn.Module) -> dict[str, float]:
        images = pair.generator(z[:, :pair.generator.latent])
        stats = feature_statistics(classifier_features(classifier, images))
        return {"fd": frechet_distance(stats.mean, stats.cov, reference.mean, reference.cov)}
    return watch


def _train_run(model: nn.Module, run: DCGANRun, sched: DCGANSchedule, state_path: Path,
               *, progress: bool = False) -> History:
    """Train one DCGAN run in place (resumable at ``state_path``) and return its History."""
    images = data.mnist("train")[0]
    classifier, _ = quality_classifier()
    config = GANConfig(loss=run.loss, d_steps=run.d_steps, batch=sched.batch, lr_g=sched.lr, lr_d=sched.lr,
                       betas=sched.betas, seed=run.seed)
    return train_gan(model, config, lambda n, gen: _mnist_batch(images, None, n, gen), steps=sched.g_steps,
                     log_every=sched.log_every, eval_fn=_fd_eval(classifier, reference_statistics(),
                                                                 sched.eval_samples, 606),
                     probe_every=sched.log_every, checkpoint_path=state_path, checkpoint_every=sched.checkpoint_every,
                     progress=progress, meta={"run": run.name, "schedule": _plain(asdict(sched))}, desc=run.name)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def train_dcgan(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the shipped DCGAN (non-saturating loss, G:D 1:1, seed 0) on the course's MNIST digits (chapters 06, 08).

    Follows the contract of :mod:`course_lib.training`: resumable from
    ``resume_path(out_path)``, saves generator and discriminator (one checkpoint, float32,
    about 3.6 MB) with metadata, returns the History.
    """
    sched = dcgan_schedule(steps)
    hist = _train_run(model, SHIPPED_RUN, sched, resume_path(out_path))
    classifier, _ = quality_classifier()
    quality = sample_quality(classifier, model.generator.sample(sched.final_samples, torch.Generator().manual_seed(7)),
                             reference_statistics())
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=DATA_SPLIT, chapter=6, run=SHIPPED_RUN.name, schedule=_plain(asdict(sched)),
        latent=int(model.latent), feature_maps=int(model.feature_maps), fd=quality.fd,
        description=(f"DCGAN for 28x28 MNIST (latent {model.latent}, {model.feature_maps} feature maps), "
                     f"non-saturating loss, G:D 1:1, Adam {sched.lr:g} betas {sched.betas}, batch {sched.batch}, "
                     f"{sched.g_steps} generator steps; images on the [0, 1] scale; FD {quality.fd:.3g}")),
        history=hist)
    return hist


#: Curves stored per run in :class:`DCGANRunArchive` (rows of ``curves``).
CURVE_FIELDS: tuple[str, ...] = ("step", "g_loss") + GAN_STAT_FIELDS + ("fd",)
#: Scalars stored per run in :class:`DCGANRunArchive` (columns of ``metrics``).
METRIC_FIELDS: tuple[str, ...] = ("fd", "class_entropy", "min_class_fraction", "max_class_fraction",
                                  "confidence", "g_steps", "wall_time_s")
MAX_POINTS = 128
GRID_SAMPLES = 64


class DCGANRunArchive(nn.Module):
    """What the DCGAN experiment keeps of each run (chapter 06): no weights, only buffers.

    Buffers (one row per run of :data:`RUNS`):
        samples: ``uint8 (R, 64, 1, 28, 28)``, 64 samples from fixed codes (grey levels 0..255);
        curves: ``float32 (R, len(CURVE_FIELDS), MAX_POINTS)``, the logged curves (NaN-padded);
        metrics: ``float64 (R, len(METRIC_FIELDS))``, the final quality measured on 2,000 samples;
        class_fractions: ``float64 (R, 10)``; trained: ``bool (R,)``.
    """

    def __init__(self) -> None:
        super().__init__()
        r = len(RUNS)
        self.register_buffer("samples", torch.zeros(r, GRID_SAMPLES, 1, 28, 28, dtype=torch.uint8))
        self.register_buffer("curves", torch.full((r, len(CURVE_FIELDS), MAX_POINTS), float("nan")))
        self.register_buffer("metrics", torch.full((r, len(METRIC_FIELDS)), float("nan"), dtype=torch.float64))
        self.register_buffer("class_fractions", torch.zeros(r, 10, dtype=torch.float64))
        self.register_buffer("trained", torch.zeros(r, dtype=torch.bool))

    @staticmethod
    def index(run: DCGANRun | str) -> int:
        """The row of ``run`` (a :class:`DCGANRun` or its name)."""
        name = run.name if isinstance(run, DCGANRun) else run
        names = [r.name for r in RUNS]
        if name not in names:
            raise KeyError(f"unknown run {name!r}; runs are {', '.join(names)}")
        return names.index(name)

    def metric(self, run: DCGANRun | str, field_name: str) -> float:
        """One final metric of one run (see :data:`METRIC_FIELDS`)."""
        return float(self.metrics[self.index(run), METRIC_FIELDS.index(field_name)])

    def curve(self, run: DCGANRun | str, field_name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of a logged curve of one run (see :data:`CURVE_FIELDS`)."""
        rows = self.curves[self.index(run)].double().numpy()
        steps, values = rows[0], rows[CURVE_FIELDS.index(field_name)]
        keep = np.isfinite(steps)
        return steps[keep], values[keep]

    def images(self, run: DCGANRun | str) -> Tensor:
        """The 64 stored samples of one run as float images in [0, 1]."""
        return self.samples[self.index(run)].float() / 255.0

    def store(self, run: DCGANRun, hist: History, images: Tensor, quality: SampleQuality) -> None:
        """Fill the row of ``run`` from its History, 64 samples and final :class:`SampleQuality`."""
        i = self.index(run)
        steps = np.asarray(hist.eval_steps, dtype=np.float64)
        if steps.size > MAX_POINTS:
            raise ValueError(f"{run.name}: {steps.size} logged points, at most {MAX_POINTS} fit in the archive")
        losses = dict(zip(hist.steps, hist.losses))
        rows = {"step": steps, "g_loss": np.array([losses.get(int(s), np.nan) for s in steps])}
        rows.update({k: np.asarray(hist.evals.get(k, [np.nan] * steps.size), dtype=np.float64)
                     for k in CURVE_FIELDS if k not in rows})
        self.curves[i].fill_(float("nan"))
        for j, key in enumerate(CURVE_FIELDS):
            self.curves[i, j, :steps.size] = torch.from_numpy(rows[key]).float()
        self.samples[i] = (images.clamp(0, 1) * 255).round().to(torch.uint8)
        values = {"fd": quality.fd, "class_entropy": quality.class_entropy,
                  "min_class_fraction": quality.min_class_fraction, "max_class_fraction": quality.max_class_fraction,
                  "confidence": quality.confidence, "g_steps": float(hist.iterations), "wall_time_s": hist.wall_time}
        self.metrics[i] = torch.tensor([values[k] for k in METRIC_FIELDS], dtype=torch.float64)
        self.class_fractions[i] = torch.from_numpy(np.asarray(quality.class_fractions, dtype=np.float64))
        self.trained[i] = True


def make_run_archive() -> DCGANRunArchive:
    """An empty :class:`DCGANRunArchive` (the ``build_model`` of ``gan06_dcgan_runs``)."""
    return DCGANRunArchive()


def _run_state(out_dir: Path, run: DCGANRun) -> Path:
    """Where a run's training state lives; the shipped run shares the state of ``dcgan_mnist``."""
    stem = DCGAN_NAME if run == SHIPPED_RUN else f"gan06_run_{run.name}"
    return resume_path(out_dir / f"{stem}.pt")


def train_dcgan_runs(archive: DCGANRunArchive, out_path: str | Path, *, steps: int | None = None,
                     progress: bool = False) -> History:
    """Train every run of :data:`RUNS` and store what the chapter shows of each in ``archive`` (chapter 06).

    Each run is resumable on its own (``build/train/gan06_run_<name>.resume.pt`` for shipped
    checkpoints); the run of :data:`SHIPPED_RUN` resumes from the state of ``dcgan_mnist``, so
    when that was trained first (``scripts/train_06.py`` does) it is not trained twice. Saves the
    archive with metadata to ``out_path`` and returns the History of :data:`SHIPPED_RUN`.
    """
    out = Path(out_path)
    sched = dcgan_schedule(steps)
    classifier, _ = quality_classifier()
    reference = reference_statistics()
    z_grid = torch.randn(GRID_SAMPLES, 100, generator=torch.Generator().manual_seed(64))
    shipped_hist, total_steps, total_time = History(), 0, 0.0
    from ..models.dcgan import build_dcgan

    for run in RUNS:
        model = build_dcgan(run.seed)
        hist = _train_run(model, run, sched, _run_state(out.parent, run), progress=progress)
        model.eval()
        with torch.no_grad():
            grid = model.generator(z_grid)
        quality = sample_quality(classifier, model.generator.sample(sched.final_samples,
                                                                    torch.Generator().manual_seed(7)), reference)
        archive.store(run, hist, grid, quality)
        total_steps += hist.iterations
        total_time += hist.wall_time
        if run == SHIPPED_RUN:
            shipped_hist = hist
    fds = {run.name: round(archive.metric(run, "fd"), 4) for run in RUNS}
    save_checkpoint(out, archive, checkpoint_meta(
        iterations=int(total_steps), wall_time_s=float(total_time), data_split=DATA_SPLIT, chapter=6,
        schedule=_plain(asdict(sched)), runs=[r.name for r in RUNS], fd=fds,
        description=(f"DCGAN experiment of chapter 06: {len(RUNS)} runs (3 generator losses x G:D 1:1 and 1:3, "
                     f"3 seeds at 1:1 for saturating / non-saturating), {sched.g_steps} generator steps each; "
                     "64 samples, logged curves and final quality (FD on the quality classifier's features, "
                     "class spread) of every run; no weights")), history=shipped_hist)
    return shipped_hist
