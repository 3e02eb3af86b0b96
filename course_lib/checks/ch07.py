"""Checks of the exercises of chapter 07 (GAN denoising and restoration).

* Exercise 7.1 -- :func:`check_patch_geometry`: the output side and the receptive field of a
  PatchGAN, from its layers ``(kernel, stride, padding)``.
* Exercise 7.2 -- :func:`check_pix2pix_generator_loss`: Pix2Pix's generator loss, the
  non-saturating adversarial term on every patch plus ``lam`` times the L1 distance.
* Exercise 7.3 -- :func:`check_ssim_loss`: ``1 - mean SSIM`` with the Gaussian window of Wang et al.
* Exercise 7.4 -- :func:`check_cycle_consistency_loss`: CycleGAN's cycle-consistency loss.

Each check builds its own small inputs (never notebook state), compares with the reference
of :mod:`course_lib.models.pix2pix` / :mod:`course_lib.losses` / :mod:`course_lib.metrics` and,
when the answer equals a typical mistake, names it. Each runs in well under a second.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import losses, metrics
from ..models import pix2pix
from . import Case, Mistake, call_student, compare_with_mistakes, fail

__all__ = [
    "check_cycle_consistency_loss",
    "check_patch_geometry",
    "check_pix2pix_generator_loss",
    "check_ssim_loss",
    "cycle_consistency_loss_reference",
    "patch_geometry_reference",
    "pix2pix_generator_loss_reference",
    "ssim_loss_reference",
]


def _compare(student: Callable[..., Any], reference: Callable[..., Any], cases: Sequence[Case], exercise: str,
             mistakes: Sequence[Mistake], *, rtol: float, atol: float, fallback: str,
             scalar: bool = False) -> None:
    """:func:`course_lib.checks.compare_with_mistakes`; ``scalar``: the answer is one number (a loss)."""
    compare_with_mistakes(student, reference, cases, exercise, mistakes, rtol=rtol, atol=atol, fallback=fallback,
                          shape_note=" (return one number: a scalar tensor, averaged over the batch)" if scalar else "",
                          report=False)


def _check_differentiable(student: Callable[..., Any], case: Case, wrt: Sequence[int], reference: Callable[..., Any],
                          exercise: str, *, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """The student's loss must be a tensor whose gradients w.r.t. the arguments at positions ``wrt`` equal the reference's."""

    def leaves_and_args() -> tuple[list[Tensor], tuple[Any, ...]]:
        args = list(case.args)
        leaves = []
        for i in wrt:
            args[i] = args[i].detach().clone().requires_grad_(True)
            leaves.append(args[i])
        return leaves, tuple(args)

    leaves, args = leaves_and_args()
    got = call_student(student, Case(case.name, args, case.kwargs), exercise)
    if not isinstance(got, Tensor) or not got.requires_grad:
        fail(exercise, f"case {case.name}: your loss is not connected to the autograd graph of its inputs; compute it "
                       "with torch operations on the given tensors (no .item(), float(), .detach() or NumPy), so "
                       "that the generator can be trained through it")
    got_grads = torch.autograd.grad(got, leaves, allow_unused=True)
    ref_leaves, ref_args = leaves_and_args()
    ref_grads = torch.autograd.grad(reference(*ref_args, **case.kwargs), ref_leaves, allow_unused=True)
    for g_got, g_ref in zip(got_grads, ref_grads):
        g_got = torch.zeros_like(g_ref) if g_got is None else g_got
        if not torch.allclose(g_got.double(), g_ref.double(), rtol=rtol, atol=atol):
            fail(exercise, f"case {case.name}: the value is right but the gradient is not; did you detach part of "
                           "the computation or use a non-differentiable operation?")


# --------------------------------------------------------------------------- Exercise 7.1: PatchGAN geometry

EX_PATCH = "Exercise 7.1"


def patch_geometry_reference(size: int, layers: Sequence[tuple[int, int, int]]) -> tuple[int, int]:
    """``(output side, receptive field)`` of a stack of convolutions on a ``size`` x ``size`` input."""
    return pix2pix.output_side(size, layers), pix2pix.receptive_field(layers)


def _out_no_pad(size, layers):
    n = size
    for k, s, _ in layers:
        n = (n - k) // s + 1
    return n


def _out_no_plus_one(size, layers):
    n = size
    for k, s, p in layers:
        n = (n + 2 * p - k) // s
    return n


def _out_true_division(size, layers):
    n = float(size)
    for k, s, p in layers:
        n = (n + 2 * p - k) / s + 1
    return n


def _out_ceil(size, layers):
    n = size
    for k, s, p in layers:
        n = math.ceil((n + 2 * p - k) / s) + 1
    return n


def _out_one_pad(size, layers):
    n = size
    for k, s, p in layers:
        n = (n + p - k) // s + 1
    return n


def _rf_no_strides(layers):
    return 1 + sum(k - 1 for k, _, _ in layers)


def _rf_own_stride(layers):
    r, jump = 1, 1
    for k, s, _ in layers:
        jump *= s
        r += (k - 1) * jump
    return r


def _rf_sum_k(layers):
    r, jump = 0, 1
    for k, s, _ in layers:
        r += k * jump
        jump *= s
    return r


def _rf_with_padding(layers):
    r, jump = 1, 1
    for k, s, p in layers:
        r += (k - 1 + 2 * p) * jump
        jump *= s
    return r


def _geometry_mistakes() -> list[Mistake]:
    ref_out, ref_rf = pix2pix.output_side, pix2pix.receptive_field
    return [
        ("the output side ignores the padding: each layer maps n to floor((n + 2 p - k) / s) + 1",
         lambda n, L: (_out_no_pad(n, L), ref_rf(L))),
        ("the output side misses the '+ 1': a layer maps n to floor((n + 2 p - k) / s) + 1 "
         "(a k x k kernel fits n + 2 p - k + 1 times at stride 1)",
         lambda n, L: (_out_no_plus_one(n, L), ref_rf(L))),
        ("the output side is not rounded down at each layer: a convolution cannot place a kernel at a fractional "
         "position, use floor((n + 2 p - k) / s) + 1 (integer division //) layer by layer",
         lambda n, L: (_out_true_division(n, L), ref_rf(L))),
        ("the output side is rounded up; PyTorch's Conv2d rounds down: floor((n + 2 p - k) / s) + 1",
         lambda n, L: (_out_ceil(n, L), ref_rf(L))),
        ("the padding is added on one side only; padding p adds p pixels on *each* side (2 p per dimension)",
         lambda n, L: (_out_one_pad(n, L), ref_rf(L))),
        ("the receptive field ignores the strides: a layer's k - 1 extra pixels are pixels of ITS input, each "
         "spanning prod(strides of the layers before it) input pixels",
         lambda n, L: (ref_out(n, L), _rf_no_strides(L))),
        ("the receptive field multiplies each layer's k - 1 by the product of the strides up to and INCLUDING "
         "its own; only the strides of the earlier layers count",
         lambda n, L: (ref_out(n, L), _rf_own_stride(L))),
        ("the receptive field adds k instead of k - 1 per layer (and starts from 0): r = 1 + sum (k - 1) * jump",
         lambda n, L: (ref_out(n, L), _rf_sum_k(L))),
        ("padding does not widen the receptive field (padded pixels are zeros, not image pixels)",
         lambda n, L: (ref_out(n, L), _rf_with_padding(L))),
        ("the two numbers are in the wrong order: return (output side, receptive field)",
         lambda n, L: (ref_rf(L), ref_out(n, L))),
    ]


def check_patch_geometry(patch_geometry: Callable[[int, Sequence[tuple[int, int, int]]], Any]) -> None:
    """Exercise 7.1: the student's ``patch_geometry(size, layers) -> (output side, receptive field)``."""
    pix2pix70 = [(4, 2, 1)] * 3 + [(4, 1, 1)] * 2
    course = pix2pix.build_patch_discriminator(0, in_channels=2, width=4, n_strided=1).layer_specs()
    image_gan = [(4, 2, 1)] * 5 + [(4, 1, 1)] * 2
    cases = [
        Case("Pix2Pix's 70x70 PatchGAN on 256x256 images", (256, pix2pix70)),
        Case("the course's PatchGAN on 28x28 digits", (28, course)),
        Case("Pix2Pix's 286x286 'ImageGAN' on 256x256 images", (256, image_gan)),
        Case("a 1x1 'PixelGAN' on 32x32 images", (32, [(1, 1, 0)] * 3)),
        Case("3x3 stride-2 layers without padding on 28x28 (rounding down)", (28, [(3, 2, 0), (3, 2, 0), (3, 1, 0)])),
    ]
    _compare(patch_geometry, patch_geometry_reference, cases, EX_PATCH, _geometry_mistakes(), rtol=0, atol=1e-9,
             fallback="layer by layer: n -> floor((n + 2 p - k) / s) + 1; receptive field r = 1 + sum over layers of "
                      "(k - 1) times the product of the strides of the layers before it")
    print(f"{EX_PATCH}: all {len(cases)} cases pass.")


# --------------------------------------------------------------------------- Exercise 7.2: Pix2Pix generator loss

EX_P2P = "Exercise 7.2"


def pix2pix_generator_loss_reference(fake_logits: Tensor, fake: Tensor, target: Tensor, lam: float) -> Tensor:
    """``mean softplus(-logits) + lam * mean |fake - target|`` (:func:`course_lib.losses.pix2pix_generator_loss`)."""
    return losses.pix2pix_generator_loss(fake_logits, fake, target, lam)


def _l1(a: Tensor, b: Tensor) -> Tensor:
    return (a - b).abs().mean()


_P2P_MISTAKES: list[Mistake] = [
    ("you used the saturating loss mean log(1 - D); Pix2Pix's generator minimises -mean log D(y, G(y)) "
     "(the non-saturating loss, softplus(-a) from the logits a)",
     lambda a, f, t, lam: -F.softplus(a).mean() + lam * _l1(f, t)),
    ("you labelled the fakes as fake (target 0, the discriminator's term): the generator wants them called "
     "REAL, i.e. -log sigmoid(a) = softplus(-a)",
     lambda a, f, t, lam: F.softplus(a).mean() + lam * _l1(f, t)),
    ("the sign of the adversarial term is flipped: minimise -mean log D, i.e. + mean softplus(-a)",
     lambda a, f, t, lam: -F.softplus(-a).mean() + lam * _l1(f, t)),
    ("you used the squared error; Pix2Pix's reconstruction term is the L1 distance mean |G(y) - x|",
     lambda a, f, t, lam: F.softplus(-a).mean() + lam * ((f - t) ** 2).mean()),
    ("lam multiplies the wrong term: the loss is adversarial + lam * L1",
     lambda a, f, t, lam: lam * F.softplus(-a).mean() + _l1(f, t)),
    ("the adversarial term is missing", lambda a, f, t, lam: lam * _l1(f, t)),
    ("the L1 term is missing", lambda a, f, t, lam: F.softplus(-a).mean()),
    ("you summed the absolute errors; average them over every pixel (mean, as F.l1_loss)",
     lambda a, f, t, lam: F.softplus(-a).mean() + lam * (f - t).abs().sum()),
    ("you summed the patch losses; average them over every patch of every image",
     lambda a, f, t, lam: F.softplus(-a).sum() + lam * _l1(f, t)),
    ("you averaged the patch logits before the loss; every patch is its own real-or-fake decision: "
     "average softplus(-a) over the patches, not a",
     lambda a, f, t, lam: F.softplus(-a.mean()) + lam * _l1(f, t)),
    ("log(sigmoid(a)) is numerically unstable: it gives -inf (or NaN gradients) for very negative logits; "
     "use softplus(-a) (or F.logsigmoid, or binary_cross_entropy_with_logits)",
     lambda a, f, t, lam: -torch.log(torch.sigmoid(a)).mean() + lam * _l1(f, t)),
]


def check_pix2pix_generator_loss(pix2pix_generator_loss: Callable[..., Tensor]) -> None:
    """Exercise 7.2: the student's ``pix2pix_generator_loss(fake_logits, fake, target, lam)``."""
    g = torch.Generator().manual_seed(72)
    logits = torch.randn(4, 1, 5, 5, generator=g, dtype=torch.float64)
    fake = torch.rand(4, 1, 8, 8, generator=g, dtype=torch.float64)
    target = torch.rand(4, 1, 8, 8, generator=g, dtype=torch.float64)
    extreme = torch.tensor([[-800.0, 0.0], [35.0, -3.0]], dtype=torch.float64).view(1, 1, 2, 2).repeat(2, 1, 1, 1)
    cases = [
        Case("4 images, 5x5 patch logits, lam = 100", (logits, fake, target, 100.0)),
        Case("the same with lam = 10", (logits, fake, target, 10.0)),
        Case("lam = 0 (adversarial term only)", (2.0 * logits, fake, target, 0.0)),
        Case("perfect reconstruction (L1 = 0), lam = 100", (logits[:2], target[:2], target[:2], 100.0)),
        Case("extreme logits -800 and 35 (numerical stability)", (extreme, fake[:2], target[:2], 1.0)),
    ]
    _compare(pix2pix_generator_loss, pix2pix_generator_loss_reference, cases, EX_P2P, _P2P_MISTAKES,
             rtol=1e-6, atol=1e-9, scalar=True,
             fallback="return F.softplus(-fake_logits).mean() + lam * (fake - target).abs().mean()")
    _check_differentiable(pix2pix_generator_loss, cases[0], [0, 1],
                          pix2pix_generator_loss_reference, EX_P2P)
    print(f"{EX_P2P}: all {len(cases)} cases pass, gradients included.")


# --------------------------------------------------------------------------- Exercise 7.3: SSIM loss

EX_SSIM = "Exercise 7.3"


def ssim_loss_reference(x: Tensor, ref: Tensor, data_range: float = 1.0) -> Tensor:
    """``1 - mean SSIM`` over the batch (:func:`course_lib.metrics.ssim_loss`)."""
    return metrics.ssim_loss(x, ref, data_range)


def _ssim_variant(x: Tensor, ref: Tensor, data_range: float = 1.0, *, window: str = "gauss", padding: str = "valid",
                  scale: float = 1.0, c_power: int = 2, constants: bool = True, sigma: float = 1.5) -> Tensor:
    """SSIM with one ingredient changed (the mistake models)."""
    xd, rd = x.double(), ref.double()
    n, c, h, w = xd.shape
    r = torch.arange(-5, 6, dtype=torch.float64)
    taps = torch.exp(-0.5 * (r / sigma) ** 2) if window == "gauss" else torch.ones(11, dtype=torch.float64)
    taps = taps / taps.sum()
    stack = torch.cat([xd, rd, xd * xd, rd * rd, xd * rd], 0).reshape(5 * n * c, 1, h, w)
    pad = 5 if padding == "same" else 0
    blur = F.conv2d(F.conv2d(stack, taps.view(1, 1, 1, -1), padding=(0, pad)), taps.view(1, 1, -1, 1), padding=(pad, 0))
    mx, mr, mxx, mrr, mxr = blur.split(n * c, 0)
    vx, vr, cov = scale * (mxx - mx**2), scale * (mrr - mr**2), scale * (mxr - mx * mr)
    c1 = (0.01 * data_range) ** c_power if constants else 0.0
    c2 = (0.03 * data_range) ** c_power if constants else 0.0
    s = ((2 * mx * mr + c1) * (2 * cov + c2)) / ((mx**2 + mr**2 + c1) * (vx + vr + c2))
    return 1.0 - s.reshape(n, -1).mean(1).mean()


_SSIM_MISTAKES: list[Mistake] = [
    ("you returned the SSIM itself; the loss is 1 - SSIM (0 for a perfect estimate)",
     lambda x, r, data_range=1.0: 1.0 - _ssim_variant(x, r, data_range)),
    ("you used a uniform 11x11 window; Wang et al.'s SSIM weights the window with a Gaussian of std 1.5",
     lambda x, r, data_range=1.0: _ssim_variant(x, r, data_range, window="box")),
    ("you padded the images ('same' convolution), so windows reaching over the border count; average the SSIM "
     "map only where the 11x11 window lies inside the image (a 'valid' convolution, as skimage crops 5 pixels)",
     lambda x, r, data_range=1.0: _ssim_variant(x, r, data_range, padding="same")),
    ("you used sample (co)variances (divided by N - 1 = 120); the course's SSIM uses population (co)variances "
     "(weighted means of x^2, y^2, x y minus the products of the means)",
     lambda x, r, data_range=1.0: _ssim_variant(x, r, data_range, scale=121 / 120)),
    ("the constants ignore data_range: C1 = (0.01 * data_range)^2 and C2 = (0.03 * data_range)^2",
     lambda x, r, data_range=1.0: _ssim_variant(x, r, 1.0)),
    ("the constants are not squared: C1 = (K1 L)^2 = (0.01 L)^2, C2 = (0.03 L)^2",
     lambda x, r, data_range=1.0: _ssim_variant(x, r, data_range, c_power=1)),
    ("without the constants C1, C2 the ratio is 0 / 0 on flat regions; keep C1 = (0.01 L)^2 and C2 = (0.03 L)^2",
     lambda x, r, data_range=1.0: _ssim_variant(x, r, data_range, constants=False)),
    ("the Gaussian's std is 1.5 pixels (you used 1.0?)",
     lambda x, r, data_range=1.0: _ssim_variant(x, r, data_range, sigma=1.0)),
]


def check_ssim_loss(ssim_loss: Callable[..., Tensor]) -> None:
    """Exercise 7.3: the student's ``ssim_loss(x, ref, data_range=1.0)`` against the course's SSIM (float64 inputs)."""
    g = torch.Generator().manual_seed(73)
    ref = torch.rand(3, 1, 16, 16, generator=g, dtype=torch.float64)
    noisy = (ref + 0.2 * torch.randn(ref.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    digits_ref = torch.zeros(2, 1, 20, 20, dtype=torch.float64)
    digits_ref[:, :, 5:15, 8:12] = 1.0
    flat = torch.full((2, 1, 12, 12), 0.5, dtype=torch.float64)
    cases = [
        Case("3 random 16x16 images against noisy copies", (noisy, ref)),
        Case("identical images (loss 0)", (ref[:2].clone(), ref[:2].clone())),
        Case("a bar on black background, estimate shifted by one pixel", (digits_ref.roll(1, dims=-1), digits_ref)),
        Case("flat images 0.5 against 0.5 + 0.1 (flat regions)", (flat + 0.1, flat)),
        Case("the 0..255 scale, data_range = 255", (255 * noisy, 255 * ref), {"data_range": 255.0}),
    ]
    _compare(ssim_loss, ssim_loss_reference, cases, EX_SSIM, _SSIM_MISTAKES, rtol=1e-6, atol=1e-8, scalar=True,
             fallback="local means, variances and covariance with the normalised 11-tap Gaussian (std 1.5) applied "
                      "along rows and columns without padding; SSIM map ((2 mx my + C1)(2 cov + C2)) / "
                      "((mx^2 + my^2 + C1)(vx + vy + C2)); return 1 - its mean over pixels and images")
    _check_differentiable(ssim_loss, cases[0], [0], ssim_loss_reference, EX_SSIM,
                          rtol=1e-5, atol=1e-9)
    print(f"{EX_SSIM}: all {len(cases)} cases pass, gradients included.")


# --------------------------------------------------------------------------- Exercise 7.4: cycle consistency

EX_CYC = "Exercise 7.4"


def cycle_consistency_loss_reference(g: Callable[[Tensor], Tensor], f: Callable[[Tensor], Tensor], x: Tensor,
                                     y: Tensor) -> Tensor:
    """``mean |f(g(x)) - x| + mean |g(f(y)) - y|`` (:func:`course_lib.losses.cycle_consistency_loss`)."""
    return losses.cycle_consistency_loss(g, f, x, y)


_CYC_MISTAKES: list[Mistake] = [
    ("only the forward cycle x -> g(x) -> f(g(x)) is there; add the backward cycle y -> f(y) -> g(f(y))",
     lambda g, f, x, y: (f(g(x)) - x).abs().mean()),
    ("only the backward cycle y -> f(y) -> g(f(y)) is there; add the forward cycle x -> g(x) -> f(g(x))",
     lambda g, f, x, y: (g(f(y)) - y).abs().mean()),
    ("you used squared errors; CycleGAN's cycle loss is the L1 distance",
     lambda g, f, x, y: ((f(g(x)) - x) ** 2).mean() + ((g(f(y)) - y) ** 2).mean()),
    ("the compositions are in the wrong order: x goes through g first (X -> Y) and comes back with f: f(g(x))",
     lambda g, f, x, y: (g(f(x)) - x).abs().mean() + (f(g(y)) - y).abs().mean()),
    ("you compared the reconstructions with the other domain's samples; f(g(x)) must come back to x itself, "
     "g(f(y)) to y",
     lambda g, f, x, y: (f(g(x)) - y).abs().mean() + (g(f(y)) - x).abs().mean()),
    ("you compared g(x) with y (a paired loss); CycleGAN has no pairs, it compares f(g(x)) with x",
     lambda g, f, x, y: (g(x) - y).abs().mean() + (f(y) - x).abs().mean()),
    ("you averaged the two terms; the loss is their sum",
     lambda g, f, x, y: 0.5 * ((f(g(x)) - x).abs().mean() + (g(f(y)) - y).abs().mean())),
    ("you multiplied by lambda = 10; the weight is applied when the losses are combined, not inside the cycle loss",
     lambda g, f, x, y: 10 * ((f(g(x)) - x).abs().mean() + (g(f(y)) - y).abs().mean())),
    ("you summed the absolute errors; average them over every element (mean, as F.l1_loss)",
     lambda g, f, x, y: (f(g(x)) - x).abs().sum() + (g(f(y)) - y).abs().sum()),
]


class _Affine(nn.Module):
    def __init__(self, scale: float, shift: float) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float64))
        self.shift = nn.Parameter(torch.tensor(shift, dtype=torch.float64))

    def forward(self, t: Tensor) -> Tensor:
        return self.scale * t + self.shift


def check_cycle_consistency_loss(cycle_consistency_loss: Callable[..., Tensor]) -> None:
    """Exercise 7.4: the student's ``cycle_consistency_loss(g, f, x, y)`` with small maps between two domains."""
    gen = torch.Generator().manual_seed(74)
    x = torch.randn(5, 1, 4, 4, generator=gen, dtype=torch.float64)
    y = 2.0 + torch.randn(6, 1, 4, 4, generator=gen, dtype=torch.float64)
    g_exact, f_exact = _Affine(2.0, 1.0), _Affine(0.5, -0.5)        # f = g^{-1}
    g_off, f_off = _Affine(1.5, 0.3), _Affine(0.5, -0.2)
    with torch.random.fork_rng(devices=[]):  # the check must not move the notebook's global random state
        torch.manual_seed(0)
        conv_g = nn.Conv2d(1, 1, 3, padding=1).double()
        conv_f = nn.Conv2d(1, 1, 3, padding=1).double()
    cases = [
        Case("f is the exact inverse of g (loss 0)", (g_exact, f_exact, x, y)),
        Case("affine maps that are not inverses", (g_off, f_off, x, y)),
        Case("two 3x3 convolutions, batches of different sizes", (conv_g, conv_f, x, y[:3])),
        Case("squaring and square root (one cycle exact on x >= 0 only)",
             (lambda t: t**2, lambda t: t.abs().sqrt(), x, y)),
    ]
    _compare(cycle_consistency_loss, cycle_consistency_loss_reference, cases, EX_CYC, _CYC_MISTAKES,
             rtol=1e-6, atol=1e-9, scalar=True,
             fallback="return (f(g(x)) - x).abs().mean() + (g(f(y)) - y).abs().mean()")
    got = call_student(cycle_consistency_loss, cases[1], EX_CYC)
    if not isinstance(got, Tensor) or not got.requires_grad:
        fail(EX_CYC, "your loss is not connected to the parameters of g and f; compute it with torch operations "
                     "(no .item(), float() or .detach()) so that both generators are trained through it")
    print(f"{EX_CYC}: all {len(cases)} cases pass, gradients included.")
