"""Learned gradient descent and recurrent inference machines (chapter 10).

Restoration as maximum a posteriori estimation, ``x_hat = argmin_x L(y, x) + phi(x)`` with
``L = -log p(y | x)`` and ``phi = -log p(x)``, solved by gradient *descent*
``x_{t+1} = x_t - gamma_t grad(L + phi)(x_t)``. Learned gradient descent replaces the step
``-gamma_t grad(L + phi)`` by a network that sees the data-term gradient and the iterate,
``x_{t+1} = x_t + N_w(grad L(y, x_t), x_t, h_t)``, unrolled for ``T`` steps with shared
weights (Putzky & Welling's recurrent inference machine, RIM, when ``h_t`` is the state of a
convolutional GRU; Adler & Oektem's learned gradient scheme).

What is here:

* data terms: :func:`data_gradient` (``A^T (A x - y)``), :func:`autograd_gradient` for any
  differentiable forward model and negative log-likelihood, :func:`gaussian_nll`,
  :func:`poisson_gaussian_nll`, the saturating sensor :func:`saturating_forward`;
* :func:`gradient_descent` on the data term (the noise amplification of an unregularised
  inverse problem) and :func:`step_scale` (``1 / ||A||^2``, the step that makes it stable);
* :class:`ConvGRUCell`, :class:`RIM` (``memory=False``: the ablation without hidden state),
  :func:`iterate_loss` (the loss on every iterate);
* the CT experiments of the chapter on :mod:`course_lib.ct`: :func:`ct_problem`,
  :func:`train_ct_rim`, :func:`tune_tv_lambda`, :func:`evaluate_ct`;
* a small learned primal-dual network :class:`LearnedPrimalDual` (optional section).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import ct, data, kernels
from .config import by_profile
from .operators import Blur, Downsampling, Identity, LinearOperator
from .training import History, checkpoint_meta, fit, resume_path, save_checkpoint

__all__ = [
    "ConvGRUCell", "RIM", "LearnedPrimalDual", "CTProblem", "data_gradient", "autograd_gradient",
    "gaussian_nll", "poisson_gaussian_nll", "saturating_forward", "gradient_descent", "step_scale",
    "iterate_loss", "ct_problem", "build_rim", "build_ablation", "train_ct_rim",
    "train_ct_ablation", "tune_tv_lambda", "evaluate_ct", "psnr_per_image",
    "RIM_CONFIG", "MODEL_NAMES",
]

#: Architecture of the chapter's shipped RIM and its ablation (kept small: 1 CPU core, minutes).
RIM_CONFIG = {"width": 12, "hidden": 12, "steps": 5}
#: The chapter's shipped checkpoints.
MODEL_NAMES = ("ch10_rim", "ch10_lgd", "ch10_rim_natural")


# --------------------------------------------------------------------------- data terms


def data_gradient(A: LinearOperator, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of ``L(y, x) = 1/2 ||A x - y||^2`` with respect to ``x``: ``A^T (A x - y)``."""
    return A.adjoint(A.forward(x) - y)


def gaussian_nll(prediction: torch.Tensor, y: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """``1/2 ||prediction - y||^2 / sigma^2`` summed over everything (the Gaussian ``-log p(y|x)`` up to a constant)."""
    return 0.5 * ((prediction - y) ** 2).sum() / sigma**2


def poisson_gaussian_nll(prediction: torch.Tensor, y: torch.Tensor, a: float, b: float,
                         floor: float = 1e-6) -> torch.Tensor:
    """Negative log-likelihood of ``y = phi(x) + eta(x)`` with ``eta ~ N(0, a phi(x) + b)`` (Poisson-Gaussian).

    The Gaussian approximation of a Poisson count of gain ``a`` plus read noise of variance ``b``:
    ``sum 1/2 (y - m)^2 / v + 1/2 log v`` with ``m = phi(x)``, ``v = a m + b`` (floored at ``floor``).
    """
    var = (a * prediction + b).clamp_min(floor)
    return 0.5 * (((y - prediction) ** 2) / var + torch.log(var)).sum()


def saturating_forward(A: LinearOperator | None, x: torch.Tensor, gain: float = 2.0) -> torch.Tensor:
    """A saturating sensor ``phi(x) = tanh(gain * A x) / gain`` (linear for small signals, bounded by ``1/gain``)."""
    z = x if A is None else A.forward(x)
    return torch.tanh(gain * z) / gain


def autograd_gradient(forward: Callable[[torch.Tensor], torch.Tensor], nll: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                      x: torch.Tensor, y: torch.Tensor, *, create_graph: bool = False) -> torch.Tensor:
    """``grad_x nll(forward(x), y)`` by automatic differentiation (any differentiable forward model).

    ``create_graph=True`` keeps the graph so that a network trained through the unrolled
    iterations can be differentiated through the gradient as well.
    """
    with torch.enable_grad():
        xg = x if (x.requires_grad and create_graph) else x.detach().requires_grad_(True)
        value = nll(forward(xg), y)
        (grad,) = torch.autograd.grad(value, xg, create_graph=create_graph)
    return grad


def step_scale(A: LinearOperator, shape: Sequence[int]) -> float:
    """``1 / ||A||^2``: the step of gradient descent on ``1/2 ||Ax - y||^2`` that is stable (below ``2 / ||A||^2``)."""
    return 1.0 / A.norm(n_iter=60, shape=tuple(shape), generator=torch.Generator().manual_seed(0)) ** 2


def gradient_descent(grad_fn: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, step: float,
                     n_iter: int, *, record: Sequence[int] = ()) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """Plain gradient descent ``x <- x - step * grad_fn(x)``; returns the last iterate and the recorded ones.

    Args:
        grad_fn: ``x -> grad L(x)``.
        x0: the start.
        step: the step size (> 0).
        n_iter: number of iterations.
        record: iteration counts whose iterate to keep (0 is ``x0``).
    """
    x = x0.clone()
    kept = {0: x0.clone()} if 0 in record else {}
    with torch.no_grad():
        for k in range(1, n_iter + 1):
            x = x - step * grad_fn(x)
            if k in record:
                kept[k] = x.clone()
    return x, kept


# --------------------------------------------------------------------------- networks


class ConvGRUCell(nn.Module):
    """A convolutional GRU cell: ``h' = (1 - z) h + z tanh(W [u, r h])`` with gates from ``[u, h]``."""

    def __init__(self, in_channels: int, hidden: int, kernel: int = 3) -> None:
        super().__init__()
        self.hidden = hidden
        self.gates = nn.Conv2d(in_channels + hidden, 2 * hidden, kernel, padding=kernel // 2)
        self.candidate = nn.Conv2d(in_channels + hidden, hidden, kernel, padding=kernel // 2)

    def forward(self, u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """The next hidden state, shape ``(N, hidden, H, W)``."""
        z, r = torch.sigmoid(self.gates(torch.cat([u, h], 1))).chunk(2, dim=1)
        c = torch.tanh(self.candidate(torch.cat([u, r * h], 1)))
        return (1 - z) * h + z * c


class RIM(nn.Module):
    """Recurrent inference machine: ``x_{t+1} = x_t + N(grad L(x_t), x_t, h_t)`` for ``steps`` steps, shared weights.

    ``N``: a 3x3 convolution of ``[x_t, g_t]`` to ``width`` channels with ReLU, a convolutional
    GRU of ``hidden`` channels (the memory ``h_t``), and a 3x3 convolution to the update.
    ``memory=False`` is the ablation: the GRU becomes two plain convolutions + ReLU (of
    ``2 hidden - 2`` channels, so about as many weights as the GRU) whose output is forgotten
    after each step (learned gradient steps without state).

    Args:
        width: channels of the input convolution.
        hidden: channels of the hidden state.
        steps: unrolled iterations ``T``.
        memory: keep a hidden state (RIM) or not (ablation).
    """

    def __init__(self, width: int = 12, hidden: int = 12, steps: int = 5, memory: bool = True) -> None:
        super().__init__()
        self.width, self.hidden, self.steps, self.memory = width, hidden, steps, memory
        self.inp = nn.Conv2d(2, width, 3, padding=1)
        if memory:
            self.cell: nn.Module = ConvGRUCell(width, hidden)
        else:  # about as many weights as the GRU: two convolutions of 2 * hidden - 2 channels
            wide = 2 * hidden - 2
            self.cell = nn.Sequential(nn.Conv2d(width, wide, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(wide, wide, 3, padding=1), nn.ReLU())
        self.out = nn.Conv2d(hidden if memory else 2 * hidden - 2, 1, 3, padding=1)

    def step(self, x: torch.Tensor, g: torch.Tensor, h: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One unrolled step: ``(x_{t+1}, h_{t+1})`` from ``x_t``, the gradient ``g_t`` and ``h_t``."""
        u = F.relu(self.inp(torch.cat([x, g], 1)))
        if self.memory:
            if h is None:
                h = torch.zeros(x.shape[0], self.hidden, *x.shape[-2:], dtype=x.dtype, device=x.device)
            h = self.cell(u, h)
            return x + self.out(h), h
        return x + self.out(self.cell(u)), None

    def forward(self, x0: torch.Tensor, grad_fn: Callable[[torch.Tensor], torch.Tensor],
                steps: int | None = None) -> list[torch.Tensor]:
        """The iterates ``[x_1, ..., x_T]`` from the start ``x0``; ``grad_fn(x)`` is the (scaled) data-term gradient."""
        x, h, out = x0, None, []
        for _ in range(self.steps if steps is None else steps):
            x, h = self.step(x, grad_fn(x), h)
            out.append(x)
        return out


class LearnedPrimalDual(nn.Module):
    """A small learned primal-dual network (Adler & Oektem 2018), for the chapter's optional section.

    Dual update ``d <- d + Gamma([d, A x, y])`` in measurement space, primal update
    ``x <- x + Lambda([x, A^T d])`` in image space, ``steps`` iterations with separate weights,
    one channel of memory each (the paper uses 5 and 10 iterations).
    """

    def __init__(self, steps: int = 5, width: int = 16) -> None:
        super().__init__()
        self.steps = steps

        def block(c_in: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c_in, width, 3, padding=1), nn.PReLU(width),
                                 nn.Conv2d(width, width, 3, padding=1), nn.PReLU(width), nn.Conv2d(width, 1, 3, padding=1))

        self.dual = nn.ModuleList([block(3) for _ in range(steps)])
        self.primal = nn.ModuleList([block(2) for _ in range(steps)])

    def forward(self, y: torch.Tensor, A: LinearOperator, scale: float) -> list[torch.Tensor]:
        """Primal iterates; ``scale`` normalises ``A`` to unit norm (``A / ||A||``)."""
        s = math.sqrt(scale)
        x = torch.zeros(y.shape[0], 1, *A.in_shape[1:], dtype=y.dtype)
        d = torch.zeros_like(y)
        out = []
        for k in range(self.steps):
            d = d + self.dual[k](torch.cat([d, s * A.forward(x), s * y], 1))
            x = x + self.primal[k](torch.cat([x, s * A.adjoint(d)], 1))
            out.append(x)
        return out


def iterate_loss(iterates: Sequence[torch.Tensor], target: torch.Tensor,
                 weights: Sequence[float] | None = None) -> torch.Tensor:
    """The loss on every iterate: ``sum_t w_t MSE(x_t, target) / sum_t w_t`` (uniform ``w_t`` by default)."""
    if len(iterates) == 0:
        raise ValueError("iterate_loss: no iterates")
    w = torch.ones(len(iterates)) if weights is None else torch.as_tensor(list(weights), dtype=torch.float32)
    if w.numel() != len(iterates):
        raise ValueError(f"iterate_loss: {len(iterates)} iterates but {w.numel()} weights")
    losses = torch.stack([F.mse_loss(x, target) for x in iterates])
    return (w.to(losses) * losses).sum() / w.sum()


def psnr_per_image(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of each image of a batch (peak 1; images clipped to [0, 1] first)."""
    mse = ((x.clamp(0, 1) - target) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-12))


# --------------------------------------------------------------------------- the CT experiments


@dataclass
class CTProblem:
    """One CT reconstruction problem: operator, measurements, start, gradient scale."""

    setting: ct.CTSetting
    A: LinearOperator
    y: torch.Tensor
    scale: float

    def x0(self) -> torch.Tensor:
        """The start of every iterative method: the Hann-filtered back-projection."""
        return ct.fbp(self.y, self.setting)

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        """The data-term gradient times the stable step ``1/||A||^2``: ``A^T(Ax - y) / ||A||^2``."""
        return self.scale * data_gradient(self.A, x, self.y)


@lru_cache(maxsize=8)
def _ct_scale(setting: ct.CTSetting) -> float:
    return step_scale(ct.operator(setting), (1, 1, setting.size, setting.size))


def ct_problem(y: torch.Tensor, setting: ct.CTSetting = ct.SETTING) -> CTProblem:
    """The :class:`CTProblem` of sinograms ``y`` in ``setting`` (the network learns nothing about the operator)."""
    return CTProblem(setting, ct.operator(setting), y, _ct_scale(setting))


def build_rim(seed: int = 0) -> RIM:
    """The chapter's RIM (conv-GRU memory), seeded."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return RIM(memory=True, **RIM_CONFIG)


def build_ablation(seed: int = 0) -> RIM:
    """The ablation without hidden state (learned gradient steps), seeded."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return RIM(memory=False, **RIM_CONFIG)


#: Training schedule of the shipped CT models (one core: about 10-20 minutes each on a shared machine).
CT_TRAIN = {"batch": 8, "lr": 2e-3, "n_phantoms": 2000}
CT_STEPS = {"rim": 3000, "lgd": 3000}


@lru_cache(maxsize=2)
def _train_phantoms(n: int) -> torch.Tensor:
    x, _ = ct.ct_data("train", n)
    return x


def _ct_batch(step: int, batch: int, n_pool: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Training batch ``step``: phantoms from the pool, fresh measurement noise (seeded by ``step``)."""
    pool = _train_phantoms(n_pool)
    gen = torch.Generator().manual_seed(10_000 + step)
    idx = torch.randint(0, pool.shape[0], (batch,), generator=gen)
    x = pool[idx]
    with torch.no_grad():
        clean = ct.operator().forward(x)
    y = clean + ct.noise_std_for() * torch.randn(clean.shape, generator=gen)
    return x, y


def _train_ct(model: nn.Module, out_path: str | Path, steps: int | None, kind: str, description: str) -> History:
    steps = steps or by_profile(ci=10, default=CT_STEPS[kind], full=CT_STEPS[kind])
    batch, lr, n_pool = CT_TRAIN["batch"], CT_TRAIN["lr"], CT_TRAIN["n_phantoms"]
    n_pool = min(n_pool, by_profile(ci=64, default=n_pool, full=n_pool))

    def loss_fn(net: nn.Module, b: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = b
        prob = ct_problem(y)
        return iterate_loss(net(prob.x0(), prob.grad), x)

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    hist = fit(model, loss_fn, lambda s: _ct_batch(s, batch, n_pool), steps=steps, optimizer=opt, scheduler=sched,
               checkpoint_path=resume_path(out_path), checkpoint_every=100, log_every=20, progress=False,
               meta={"lr": lr, "batch": batch, "n_phantoms": n_pool, "kind": kind, **RIM_CONFIG},
               clip_grad_norm=1.0, desc=kind)
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=f"ct-train-phantoms-{n_pool}", description=description, chapter=10), history=hist)
    return hist


def train_ct_rim(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the RIM on the CT benchmark (loss on every iterate, Adam + cosine, fresh noise every batch)."""
    return _train_ct(model, out_path, steps, "rim", f"RIM (conv-GRU, {RIM_CONFIG}) on sparse-angle CT, FBP start")


def train_ct_ablation(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train the no-memory ablation on the CT benchmark (same schedule as the RIM)."""
    return _train_ct(model, out_path, steps, "lgd", f"learned gradient steps without memory ({RIM_CONFIG}), CT")


def tune_tv_lambda(lams: Sequence[float], n: int = 16, tol: float = 1e-3, max_iter: int = 1500) -> tuple[float, dict[float, float]]:
    """The TV weight of best mean PSNR on ``n`` *training* phantoms of the benchmark, and every PSNR tried."""
    from .tv import solve_tv

    x, y = ct.ct_data("train", n)
    scores = {}
    for lam in lams:
        rec = solve_tv(y, float(lam), ct.operator(), tol=tol, max_iter=max_iter).x
        scores[float(lam)] = float(psnr_per_image(rec, x).mean())
    best = max(scores, key=scores.get)
    return best, scores


def evaluate_ct(methods: dict[str, Callable[[CTProblem], torch.Tensor]], n: int,
                setting: ct.CTSetting = ct.SETTING, noise_std: float | None = None,
                batch: int = 32) -> dict[str, torch.Tensor]:
    """Per-image PSNR (dB) of each method on the first ``n`` evaluation phantoms of ``setting``."""
    x, y = ct.ct_data("eval", n, setting, noise_std=noise_std)
    out: dict[str, list[torch.Tensor]] = {k: [] for k in methods}
    with torch.no_grad():
        for i in range(0, n, batch):
            prob = ct_problem(y[i:i + batch], setting)
            for name, method in methods.items():
                out[name].append(psnr_per_image(method(prob), x[i:i + batch]))
    return {k: torch.cat(v) for k, v in out.items()}


def builder(name: str) -> Callable[[], nn.Module]:
    """The model constructor of the shipped checkpoint ``name`` (one of :data:`MODEL_NAMES`)."""
    table = {"ch10_rim": build_rim, "ch10_lgd": build_ablation}
    table.update(_EXTRA_BUILDERS)
    if name not in table:
        raise ValueError(f"unknown chapter 10 model {name!r}; choose one of {', '.join(table)}")
    return table[name]


def trainer(name: str) -> Callable[..., History]:
    """The training function of the shipped checkpoint ``name``."""
    table = {"ch10_rim": train_ct_rim, "ch10_lgd": train_ct_ablation}
    table.update(_EXTRA_TRAINERS)
    if name not in table:
        raise ValueError(f"unknown chapter 10 model {name!r}; choose one of {', '.join(table)}")
    return table[name]


# --------------------------------------------------------------------------- natural images: one RIM, three operators

#: The natural-image tasks: noise standard deviation (on [0, 1] images) per operator.
NATURAL_SIGMA = {"denoise": 25 / 255, "deblur": 0.01, "sr2": 0.01}
#: Motion-blur kernels of the training (seed 0) and evaluation (seed 1) sets: chapter 04's random trajectories.
BLUR_LENGTH, BLUR_SIZE = 9.0, 15
NATURAL_TRAIN = {"batch": 8, "lr": 2e-3, "patch": 32, "n_patches": 4000, "n_kernels": 16, "steps": 900}


def blur_kernels(n: int, split: str = "train", length: float = BLUR_LENGTH) -> torch.Tensor:
    """Chapter 04's motion-blur kernels (``size = BLUR_SIZE``): ``split`` "train" uses seed 0, "eval" seed 1."""
    return kernels.motion_blur_kernels(n, length, BLUR_SIZE, anxiety=(0.0, 0.05), seed=0 if split == "train" else 1)


def natural_operator(task: str, kernel: torch.Tensor | None = None) -> LinearOperator:
    """The operator of a natural-image task: identity (denoising), a motion blur (circular), 2x average pooling."""
    if task == "denoise":
        return Identity()
    if task == "deblur":
        if kernel is None:
            raise ValueError("natural_operator: deblurring needs a kernel")
        return Blur(kernel)
    if task == "sr2":
        return Downsampling(2)
    raise ValueError(f"natural_operator: unknown task {task!r}; choose one of {', '.join(NATURAL_SIGMA)}")


@dataclass
class NaturalProblem:
    """A natural-image problem ``y = A x + sigma e``: the RIM sees ``A`` only through ``grad L`` (and ``x0 = A^T y / ||A||^2``)."""

    A: LinearOperator
    y: torch.Tensor
    scale: float

    def x0(self) -> torch.Tensor:
        """The start: ``A^T y / ||A||^2`` (the noisy image, the blurred image, the upsampled image)."""
        return self.scale * self.A.adjoint(self.y)

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        """``A^T (A x - y) / ||A||^2``."""
        return self.scale * data_gradient(self.A, x, self.y)


def natural_problem(task: str, x: torch.Tensor, generator: torch.Generator | None = None,
                    kernel: torch.Tensor | None = None, sigma: float | None = None) -> NaturalProblem:
    """Degrade the clean images ``x`` for ``task`` (noise from ``generator``) and return the problem."""
    A = natural_operator(task, kernel)
    sigma = NATURAL_SIGMA[task] if sigma is None else sigma
    with torch.no_grad():
        clean = A.forward(x)
        y = clean + sigma * torch.randn(clean.shape, generator=generator)
    scale = {"denoise": 1.0, "deblur": 1.0, "sr2": 4.0}[task]  # 1 / ||A||^2 (a blur kernel sums to 1)
    return NaturalProblem(A, y, scale)


@lru_cache(maxsize=2)
def _natural_patches(n: int, size: int) -> torch.Tensor:
    return data.bsd_train400_patches(n, size, seed=10, augment=True)


def _natural_batch(step: int, batch: int, n_pool: int) -> tuple[torch.Tensor, NaturalProblem]:
    """Batch ``step``: the task cycles denoise / deblur / sr2; patches, kernel and noise seeded by ``step``."""
    pool = _natural_patches(n_pool, NATURAL_TRAIN["patch"])
    gen = torch.Generator().manual_seed(20_000 + step)
    x = pool[torch.randint(0, pool.shape[0], (batch,), generator=gen)]
    task = ("denoise", "deblur", "sr2")[step % 3]
    kernel = None
    if task == "deblur":
        bank = _train_kernels(NATURAL_TRAIN["n_kernels"])
        kernel = bank[int(torch.randint(0, bank.shape[0], (1,), generator=gen))]
    return x, natural_problem(task, x, gen, kernel)


@lru_cache(maxsize=2)
def _train_kernels(n: int) -> torch.Tensor:
    return blur_kernels(n, "train")


def build_rim_natural(seed: int = 0) -> RIM:
    """The natural-image RIM (same architecture as the CT RIM), seeded."""
    return build_rim(seed)


def train_natural_rim(model: nn.Module, out_path: str | Path, *, steps: int | None = None) -> History:
    """Train one RIM on Train400 patches for denoising (sigma 25), motion deblurring and 2x super-resolution."""
    cfg = NATURAL_TRAIN
    steps = steps or by_profile(ci=9, default=cfg["steps"], full=cfg["steps"])
    n_pool = by_profile(ci=64, default=cfg["n_patches"], full=cfg["n_patches"])

    def loss_fn(net: nn.Module, b: tuple[torch.Tensor, NaturalProblem]) -> torch.Tensor:
        x, prob = b
        return iterate_loss(net(prob.x0(), prob.grad), x)

    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    hist = fit(model, loss_fn, lambda s: _natural_batch(s, cfg["batch"], n_pool), steps=steps, optimizer=opt,
               scheduler=sched, checkpoint_path=resume_path(out_path), checkpoint_every=100, log_every=30,
               progress=False, meta={**{k: v for k, v in cfg.items() if k != "steps"}, "n_patches": n_pool, **RIM_CONFIG},
               clip_grad_norm=1.0, desc="rim-natural")
    save_checkpoint(out_path, model, checkpoint_meta(
        history=hist, data_split=f"train400-patches-{n_pool}x{cfg['patch']}",
        description="one RIM for denoising (sigma 25/255), motion deblurring and 2x SR (sigma 0.01)", chapter=10),
        history=hist)
    return hist


_EXTRA_BUILDERS: dict[str, Callable[[], nn.Module]] = {"ch10_rim_natural": build_rim_natural}
_EXTRA_TRAINERS: dict[str, Callable[..., History]] = {"ch10_rim_natural": train_natural_rim}
