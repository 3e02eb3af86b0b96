"""GAN inversion for denoising, inpainting and compressed sensing; a flow to contrast (chapter 08).

* :func:`invert` -- find codes ``z`` with ``A(G(z)) ~ y`` by Adam on ``z`` (batched random
  restarts, optional prior ``||z||^2``); the best restart of each image and the best
  iterate of each restart are chosen by the **data-fit term alone** (never the clean image).
* Data terms :func:`l2_fit` / :func:`l1_fit` (optionally masked) and :func:`select_best`.
* Compressed sensing (Bora et al., ICML 2017): :func:`gaussian_matrix`, :func:`haar_basis`,
  :func:`lasso_recover` and :func:`tune_lasso` (the Lasso weight chosen on training digits).
* Off-range test images: :func:`letter_images`, :func:`natural_patches`.
* The chapter's shipped models: ``ch08_unet_inpaint`` (chapter 05's U-Net trained to fill
  centred holes; :func:`train_inpaint_unet`) and ``ch08_flow_ring`` (an affine-coupling flow
  on the ring of Gaussians; :func:`train_flow`). ``scripts/train_08.py`` trains both.

Images are ``(N, 1, 28, 28)`` on the [0, 1] scale, as everywhere in the course.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

from . import data
from .config import by_profile, get_profile
from .training import History, LoadInfo, checkpoint_meta, fit, load_or_train, resume_path, save_checkpoint

__all__ = [
    "FLOW_NAME", "INPAINT_NAME", "InversionResult", "RING_STD", "gaussian_matrix", "generator", "haar_basis",
    "classify", "inpaint_batch", "invert", "l1_fit", "l2_fit", "lasso_recover", "letter_images", "make_flow",
    "make_inpaint_unet", "natural_patches", "ring_log_prob", "select_best", "train_flow", "train_inpaint_unet",
    "tune_lasso",
]

INPAINT_NAME = "ch08_unet_inpaint"
FLOW_NAME = "ch08_flow_ring"
#: Standard deviation of each mode of the flow's ring of 8 Gaussians (radius 2).
RING_STD = 0.1


# --------------------------------------------------------------------------- the generator


@functools.lru_cache(maxsize=4)
def _generator(profile: str) -> tuple[nn.Module, LoadInfo]:
    from . import gan

    pair, info = load_or_train(gan.DCGAN_NAME, gan.make_dcgan, gan.train_dcgan, verbose=False)
    g = pair.generator.eval()
    for p in g.parameters():
        p.requires_grad_(False)
    return g, info


def generator() -> tuple[nn.Module, LoadInfo]:
    """Chapter 06's shipped DCGAN generator (eval mode, frozen) and its LoadInfo, loaded once per process."""
    return _generator(get_profile().name)


def classify(images: Tensor) -> Tensor:
    """Labels of chapter 06's shipped quality classifier for ``images`` (arg-max logit)."""
    from . import gan

    model, _ = gan.quality_classifier()
    model.eval()
    with torch.no_grad():
        return model(images.clamp(0, 1)).argmax(dim=1)


# --------------------------------------------------------------------------- data terms


def _per_sample(values: Tensor, mask: Tensor | None) -> Tensor:
    values = values.flatten(1)
    if mask is None:
        return values.mean(dim=1)
    m = torch.broadcast_to(mask.to(values.dtype), (values.shape[0],) + tuple(mask.shape[1:])).flatten(1) \
        if mask.ndim > 1 else mask
    return (values * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)


def l2_fit(x: Tensor, y: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared difference per sample over the observed entries (``mask`` = 1), shape ``(N,)``."""
    return _per_sample((x - y) ** 2, mask)


def l1_fit(x: Tensor, y: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean absolute difference per sample over the observed entries (``mask`` = 1), shape ``(N,)``."""
    return _per_sample((x - y).abs(), mask)


DATA_TERMS: dict[str, Callable[..., Tensor]] = {"l2": l2_fit, "l1": l1_fit}


def select_best(candidates: Tensor, fit_values: Tensor) -> tuple[Tensor, Tensor]:
    """For each image, the candidate (restart) with the smallest data fit.

    Args:
        candidates: ``(R, B, ...)``, restart ``r``'s answer for image ``b``.
        fit_values: ``(R, B)``, their data-fit values (smaller is better).

    Returns:
        ``(best, index)``: ``best[b] = candidates[index[b], b]``, shape ``(B, ...)``; ``index`` ``(B,)``.
    """
    index = fit_values.argmin(dim=0)
    return candidates[index, torch.arange(candidates.shape[1])], index


# --------------------------------------------------------------------------- inversion


@dataclass
class InversionResult:
    """What :func:`invert` found.

    Attributes:
        z: ``(B, latent)``, the chosen code of each image.
        x: ``(B, 1, 28, 28)``, ``G(z)``.
        fit: ``(B,)``, its data-fit value.
        restart_fit: ``(R, B)``, the best data fit each restart reached.
        best_restart: ``(B,)``, the restart chosen for each image.
        steps: the recorded iterations.
        history_fit: ``(T, R, B)`` data fit at the recorded iterations.
        history_error: ``(T, R, B)`` MSE to ``reference`` (only when one was passed: for figures,
            never used to choose anything), else ``None``.
        seconds: wall time.
    """

    z: Tensor
    x: Tensor
    fit: Tensor
    restart_fit: Tensor
    best_restart: Tensor
    steps: list[int] = field(default_factory=list)
    history_fit: np.ndarray | None = None
    history_error: np.ndarray | None = None
    seconds: float = 0.0


def invert(
    G: nn.Module,
    y: Tensor,
    *,
    data_term: str | Callable[..., Tensor] = "l2",
    forward: Callable[[Tensor], Tensor] | None = None,
    mask: Tensor | None = None,
    n_restarts: int = 3,
    steps: int = 400,
    lr: float = 0.05,
    prior_weight: float = 0.0,
    seed: int = 0,
    record_every: int = 10,
    reference: Tensor | None = None,
) -> InversionResult:
    """Minimise ``data_term(forward(G(z)), y) + prior_weight * mean(z**2)`` over ``z`` by Adam.

    All ``n_restarts`` random starts of all ``B`` images run as one batch; the loss is the
    sum of the per-sample objectives, and Adam acts coordinate-wise, so each chain follows
    exactly the path it would follow alone. Each chain keeps its iterate with the smallest
    data fit seen (an early stop by data fit); each image keeps the chain with the smallest
    data fit (:func:`select_best`).

    Args:
        G: the generator, ``z (N, latent) -> (N, 1, 28, 28)`` (eval mode).
        y: ``(B, ...)`` observations.
        data_term: ``"l2"``, ``"l1"`` or ``fn(pred, obs, mask) -> (N,)``.
        forward: the measurement ``A`` applied to images (default: identity).
        mask: observed entries for masked data terms, broadcastable to ``forward(G(z))``.
        n_restarts, steps, lr: restarts, Adam steps and step size (the seed used lr 0.05).
        prior_weight: weight of the Gaussian prior term ``mean(z**2)`` (0: none).
        seed: seeds the starting codes ``z ~ N(0, I)``.
        record_every: history resolution in steps.
        reference: clean images ``(B, 1, 28, 28)``, only to record ``history_error`` for figures.
    """
    term = DATA_TERMS[data_term] if isinstance(data_term, str) else data_term
    forward = forward or (lambda x: x)
    start = time.perf_counter()
    b, r = y.shape[0], int(n_restarts)
    latent = G.latent
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(r * b, latent, generator=gen).requires_grad_(True)
    y_rep = y.repeat(r, *([1] * (y.ndim - 1)))
    mask_rep = None
    if mask is not None:
        mask_rep = mask.repeat(r, *([1] * (mask.ndim - 1))) if mask.shape[0] == b and b > 1 else mask
    opt = torch.optim.Adam([z], lr=lr)
    best_fit = torch.full((r * b,), math.inf)
    best_z = z.detach().clone()
    hist_steps, hist_fit, hist_err = [], [], []
    ref_rep = reference.repeat(r, 1, 1, 1) if reference is not None else None
    for step in range(steps + 1):
        x = G(z)
        fit_values = term(forward(x), y_rep, mask_rep)
        with torch.no_grad():
            better = fit_values.detach() < best_fit
            best_fit = torch.where(better, fit_values.detach(), best_fit)
            best_z[better] = z.detach()[better]
            if step % record_every == 0 or step == steps:
                hist_steps.append(step)
                hist_fit.append(fit_values.detach().view(r, b).numpy().copy())
                if ref_rep is not None:
                    hist_err.append(((x - ref_rep) ** 2).flatten(1).mean(1).view(r, b).numpy().copy())
        if step == steps:
            break
        loss = fit_values.sum()
        if prior_weight:
            loss = loss + prior_weight * (z ** 2).mean(dim=1).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        restart_fit = best_fit.view(r, b)
        z_best, index = select_best(best_z.view(r, b, latent), restart_fit)
        x_best = G(z_best)
    return InversionResult(z_best, x_best, restart_fit.min(dim=0).values, restart_fit, index, hist_steps,
                           np.stack(hist_fit), np.stack(hist_err) if hist_err else None,
                           time.perf_counter() - start)


# --------------------------------------------------------------------------- compressed sensing


def gaussian_matrix(m: int, n: int = 784, seed: int = 0) -> Tensor:
    """A Gaussian measurement matrix ``(m, n)`` with i.i.d. ``N(0, 1/m)`` entries (``E||A x||^2 = ||x||^2``)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(m, n, generator=gen) / math.sqrt(m)


def cs_measure(x: Tensor, A: Tensor, noise_std: float, seed: int = 0) -> Tensor:
    """``y = A x + noise``, rows ``(B, m)`` for images ``x`` ``(B, 1, 28, 28)``; noise i.i.d. ``N(0, noise_std^2)``."""
    gen = torch.Generator().manual_seed(seed)
    y = x.flatten(1) @ A.T
    return y + noise_std * torch.randn(y.shape, generator=gen)


@functools.lru_cache(maxsize=4)
def haar_basis(size: int = 28, level: int = 2) -> np.ndarray:
    """The orthonormal 2-D Haar wavelet synthesis matrix ``(size^2, size^2)``: ``x = W c`` (PyWavelets).

    Column ``k`` is the image of the ``k``-th coefficient (periodised Haar, ``level`` levels).
    """
    import pywt

    template = pywt.wavedec2(np.zeros((size, size)), "haar", mode="periodization", level=level)
    arr, slices = pywt.coeffs_to_array(template)
    cols = []
    for k in range(arr.size):
        c = np.zeros(arr.size)
        c[k] = 1.0
        coeffs = pywt.array_to_coeffs(c.reshape(arr.shape), slices, output_format="wavedec2")
        cols.append(pywt.waverec2(coeffs, "haar", mode="periodization").ravel())
    return np.stack(cols, axis=1)


def lasso_recover(A: Tensor, y: Tensor, alpha: float, *, basis: str = "haar", max_iter: int = 2000) -> Tensor:
    """Sparse recovery: ``c = argmin 1/(2m) ||y - A W c||^2 + alpha ||c||_1`` (scikit-learn), ``x = W c``.

    Args:
        A: ``(m, 784)`` measurement matrix; ``y``: ``(B, m)`` measurements.
        alpha: the Lasso weight (choose it on training digits with :func:`tune_lasso`).
        basis: ``"haar"`` (:func:`haar_basis`) or ``"pixel"`` (``W = I``).
    Returns:
        ``(B, 1, 28, 28)`` reconstructions, clipped to [0, 1].
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Lasso

    W = haar_basis() if basis == "haar" else np.eye(A.shape[1])
    design = A.double().numpy() @ W
    out = []
    for row in y.double().numpy():
        model = Lasso(alpha=float(alpha), fit_intercept=False, max_iter=max_iter, tol=1e-4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(design, row)
        out.append(W @ model.coef_)
    return torch.from_numpy(np.stack(out)).float().clamp(0, 1).view(-1, 1, 28, 28)


def tune_lasso(A: Tensor, train_clean: Tensor, alphas: tuple[float, ...], noise_std: float, *,
               basis: str = "haar", seed: int = 1) -> tuple[float, list[dict[str, float]]]:
    """The Lasso weight with the smallest mean MSE on **training** digits (ties: the first); all trials."""
    y = cs_measure(train_clean, A, noise_std, seed)
    trials = []
    for alpha in alphas:
        x = lasso_recover(A, y, alpha, basis=basis)
        trials.append({"alpha": float(alpha), "mse": float(((x - train_clean) ** 2).mean())})
    best = min(trials, key=lambda t: t["mse"])
    return best["alpha"], trials


# --------------------------------------------------------------------------- off-range images


def letter_images(letters: str = "AKRWXZ", size: int = 28) -> Tensor:
    """Capital letters drawn white on black like MNIST digits (DejaVu Sans Bold, about 20 px high), ``(N, 1, 28, 28)``."""
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight="bold"))
    font = ImageFont.truetype(path, 22)
    out = []
    for ch in letters:
        img = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(img)
        left, top, right, bottom = draw.textbbox((0, 0), ch, font=font)
        draw.text(((size - (right - left)) / 2 - left, (size - (bottom - top)) / 2 - top), ch, fill=255, font=font)
        img = img.filter(ImageFilter.GaussianBlur(0.6))
        out.append(torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0))
    return torch.stack(out)[:, None]


def natural_patches(n: int = 6, crop: int = 112) -> Tensor:
    """Centre crops ``crop x crop`` of the first ``n`` BSD68 images, averaged down to 28 x 28, ``(n, 1, 28, 28)``."""
    images = data.bsd68(crop=crop)[:n]
    return torch.nn.functional.avg_pool2d(images, crop // 28)


# --------------------------------------------------------------------------- the inpainting U-Net

#: Hole sides used to train the inpainting U-Net (centred square holes, each side equally likely).
TRAIN_HOLES: tuple[int, ...] = tuple(range(6, 17))


def make_inpaint_unet(seed: int = 0) -> nn.Module:
    """Chapter 05's U-Net (width 8, about 31,000 weights) as a fresh inpainting network."""
    from .models.autoencoders import build

    return build("unet", seed=seed, width=8)


def inpaint_batch(images: Tensor, step: int, *, batch: int = 64, seed: int = 8) -> tuple[Tensor, Tensor]:
    """Batch ``step`` of ``(masked, clean)``: centred square holes with a side from :data:`TRAIN_HOLES`, offset by up to 2 px."""
    from .operators import center_hole_mask

    gen = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, step]).generate_state(1)[0]))
    clean = images[torch.randint(images.shape[0], (batch,), generator=gen)]
    sides = torch.tensor(TRAIN_HOLES)[torch.randint(len(TRAIN_HOLES), (batch,), generator=gen)]
    shifts = torch.randint(-2, 3, (batch, 2), generator=gen)
    masks = torch.stack([torch.roll(center_hole_mask(28, int(s))[0], (int(dy), int(dx)), dims=(1, 2))
                         for s, (dy, dx) in zip(sides, shifts)])
    return clean * masks, clean


def train_inpaint_unet(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the inpainting U-Net (MSE to the clean digit over the whole image) on the 8,000 training digits; resumable.

    Adam 2e-3 with a cosine decay to 1e-4, batch 64 (chapter 05's U-Net schedule).
    """
    import torch.nn.functional as F

    total = int(steps) if steps is not None else by_profile(ci=20, default=3000, full=3000)
    images = data.mnist("train")[0]
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=1e-4)
    hist = fit(model, lambda m, b: F.mse_loss(m(b[0]), b[1]), lambda step: inpaint_batch(images, step),
               steps=total, optimizer=opt, scheduler=sched, log_every=25,
               checkpoint_path=resume_path(out_path), checkpoint_every=250,
               meta={"lr": 2e-3, "batch": 64, "steps": total, "holes": list(TRAIN_HOLES)}, progress=False,
               desc="inpaint")
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split="mnist-course-train-8000", chapter=8, holes=list(TRAIN_HOLES),
        description=(f"chapter 05's U-Net (width 8) trained to fill centred square holes of side 6-16 px "
                     f"(offset up to 2 px), hole pixels set to 0 in the input; MSE, Adam 2e-3 cosine, batch 64, "
                     f"{total} steps")), history=hist)
    return hist


# --------------------------------------------------------------------------- the flow


def make_flow(seed: int = 0) -> nn.Module:
    """A fresh ring flow: 8 blocks of (LU mixing, affine coupling with 64 hidden units)."""
    from .models.flow import build_flow

    return build_flow(seed, dim=2, blocks=8, hidden=64)


def ring_log_prob(x: Tensor, std: float = RING_STD) -> Tensor:
    """Exact log-density (nats) of the ring of 8 Gaussians of :func:`course_lib.data.ring_of_gaussians`."""
    centres = data.ring_centres(8, 2.0).to(x.dtype)
    sq = ((x[:, None, :] - centres[None]) ** 2).sum(-1)
    comp = -0.5 * sq / std ** 2 - math.log(2 * math.pi * std ** 2)
    return torch.logsumexp(comp, dim=1) - math.log(8)


def train_flow(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Maximum likelihood on fresh ring samples (std :data:`RING_STD`): Adam 2e-3 cosine to 1e-5, batch 512; resumable."""
    total = int(steps) if steps is not None else by_profile(ci=20, default=4000, full=4000)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=1e-5)

    def batch(step: int) -> Tensor:
        gen = torch.Generator().manual_seed(int(np.random.SeedSequence([88, step]).generate_state(1)[0]))
        return data.ring_of_gaussians(512, std=RING_STD, generator=gen)

    test = data.ring_of_gaussians(5000, std=RING_STD, generator=torch.Generator().manual_seed(808))
    hist = fit(model, lambda m, x: -m.log_prob(x).mean(), batch, steps=total, optimizer=opt, scheduler=sched,
               log_every=25, eval_fn=lambda m: {"test_nll": float(-m.log_prob(test).mean())},
               eval_every=max(total // 10, 1), checkpoint_path=resume_path(out_path), checkpoint_every=500,
               clip_grad_norm=10.0, meta={"lr": 2e-3, "batch": 512, "steps": total, "std": RING_STD},
               progress=False, desc="flow")
    nll = hist.evals["test_nll"][-1]
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=f"ring-of-8-gaussians-std{RING_STD}-fresh", chapter=8, test_nll=float(nll),
        description=(f"affine-coupling flow, 8 blocks (LU mixing + coupling, 64 hidden), maximum likelihood on "
                     f"the ring of 8 Gaussians (radius 2, std {RING_STD}); Adam 2e-3 cosine, batch 512, {total} "
                     f"steps; test NLL {nll:.3f} nats")), history=hist)
    return hist
