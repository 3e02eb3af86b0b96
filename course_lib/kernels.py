"""Blur kernels: random camera-shake trajectories turned into motion-blur kernels (chapters 04, 09, 10).

Chapter 04 uses these kernels to show motion blur and its classical inverse (Wiener
deconvolution); chapters 09-10 draw them to build deblurring problems ``y = k * x + noise``
with :class:`course_lib.operators.Blur`. Gaussian and box kernels live in
:mod:`course_lib.operators` (:func:`~course_lib.operators.gaussian_kernel`,
:func:`~course_lib.operators.box_kernel`); this module adds the motion-blur model that
DeblurGAN (Kupyn et al., CVPR 2018, Algorithm 1) takes from Boracchi & Foi (IEEE TIP 2012).

The model
---------
A camera-shake trajectory is a 2-D path ``x[0], ..., x[M-1]`` (complex numbers: real part =
column, imaginary part = row, in pixels) traversed at constant speed ``L / (M - 1)`` so that
its length is exactly ``L`` (``max_length``). It is a Markov chain on the velocity ``v``::

    x[0] = 0,  v = exp(i phi) * L / (M - 1)
    for t = 0, ..., M - 2:
        jump = 2 v exp(i (pi + u - 0.5))   with probability p_big * a,  else 0   (impulsive shake)
        dv   = jump + a * (g * (n1 + i n2) - I * x[t]) * L / (M - 1)           (Gaussian shake, inertia)
        v    = (v + dv) / |v + dv| * L / (M - 1)
        x[t + 1] = x[t] + v

with ``u ~ U(0, 1)``, ``n1, n2 ~ N(0, 1)`` and, per trajectory, the anxiety ``a``, the
inertia (centripetal) term ``I ~ U(0, 0.7)``, the probability of a big shake
``p_big ~ U(0, 0.2)``, the Gaussian-shake amplitude ``g ~ U(0, 10)`` and the initial angle
``phi ~ U(0, 2 pi)``. The ``- I * x[t]`` term pulls the path back towards its start;
``L / (M - 1)`` scales the *whole* random increment. The kernel is the time average of
Dirac masses at the trajectory's points, each spread over its four neighbouring pixels by
bilinear ("sub-pixel") weights, normalised to sum 1.

Choices of the course (chapter 04 states them):

* The shake tests draw **uniform** numbers (``u < p_big * a``), as the authors' code does;
  DeblurGAN's printed algorithm writes ``randn``, which would make the event probability
  about 1/2 instead of ``p_big * a``.
* Parameter ranges are those of the authors' code (Gaussian shake amplitude ``g ~ U(0, 10)``;
  DeblurGAN's text lists "``p_g`` uniform from (0, 0.7)").
* The initial velocity has the nominal speed ``L / (M - 1)`` (the code starts from
  ``v0 * expl``, a quirk that only affects the first step).
* **Centring by centroid.** The authors' code centres the trajectory's bounding box in a
  64 x 64 canvas, so the kernel's centre of mass -- and the blurred image -- is shifted by up
  to several pixels. The course subtracts the trajectory's mean before splatting: bilinear
  splatting preserves the first moment, so the kernel's centroid lies exactly on the centre
  pixel ``(size // 2, size // 2)`` (the centre convention of :class:`~course_lib.operators.Blur`)
  and blurring does not translate the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .operators import Blur

__all__ = [
    "FFTBlur",
    "Trajectory",
    "kernel_centroid",
    "motion_blur_kernel",
    "motion_blur_kernels",
    "random_trajectory",
    "trajectory_to_kernel",
    "transfer_function",
]

#: Parameter ranges of the authors' code (Boracchi & Foi's reference implementation, DeblurGAN).
INERTIA_MAX = 0.7
P_BIG_MAX = 0.2
GAUSSIAN_SHAKE_MAX = 10.0
ANXIETY_MAX = 0.1

RngLike = np.random.Generator | int | None


def _rng(rng: RngLike) -> np.random.Generator:
    """A numpy Generator from a Generator, a non-negative int seed, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise ValueError(f"rng must be a numpy Generator, a non-negative int seed or None, got {rng!r}")
    return np.random.default_rng(int(rng))


def _positive(value: float, name: str, where: str, *, allow_zero: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{where}: {name} must be finite and {bound}, got {value!r}")
    return value


@dataclass(frozen=True)
class Trajectory:
    """A sampled camera-shake trajectory (chapter 04).

    Attributes:
        positions: complex array ``(M,)``: real part = column, imaginary part = row, in
            pixels, starting at 0.
        max_length: the path length ``L`` in pixels (constant speed ``L / (M - 1)``).
        anxiety: the overall shake amplitude ``a`` (DeblurGAN's ``p_s``, the code's ``expl``).
        inertia: the centripetal term ``I``.
        p_big: the probability factor of impulsive shakes (event probability ``p_big * a``).
        gaussian_shake: the Gaussian-shake amplitude ``g``.
        angle: the initial direction ``phi`` in radians.
        n_impulsive: how many impulsive shakes occurred.
    """

    positions: np.ndarray
    max_length: float
    anxiety: float
    inertia: float
    p_big: float
    gaussian_shake: float
    angle: float
    n_impulsive: int

    @property
    def length(self) -> float:
        """The measured path length in pixels (equals ``max_length`` up to rounding)."""
        return float(np.abs(np.diff(self.positions)).sum())

    @property
    def extent(self) -> float:
        """The largest distance in pixels of a point of the path from the path's centroid."""
        return float(np.abs(self.positions - self.positions.mean()).max())


def random_trajectory(
    max_length: float = 20.0,
    anxiety: float | None = None,
    *,
    n_steps: int = 2000,
    rng: RngLike = None,
) -> Trajectory:
    """Draw a random camera-shake trajectory (Boracchi & Foi 2012; DeblurGAN's Algorithm 1) (chapters 04, 09-10).

    See the module docstring for the Markov chain and the course's corrections of the
    printed algorithm.

    Args:
        max_length: the path length ``L`` in pixels (> 0).
        anxiety: the shake amplitude ``a`` (>= 0; 0 gives a straight line). ``None`` draws
            it from ``U(0, 0.1)`` as the authors' code does; DeblurGAN trained with values
            between 0.003 and 0.01, which give smooth, elongated paths.
        n_steps: the number of samples ``M`` of the path (>= 2).
        rng: a ``numpy.random.Generator`` or an int seed (``None``: not reproducible).

    Returns:
        A :class:`Trajectory`.

    Raises:
        ValueError: non-positive length, negative anxiety, fewer than 2 steps, a bad ``rng``.
    """
    where = "random_trajectory"
    max_length = _positive(max_length, "max_length", where)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 2:
        raise ValueError(f"{where}: n_steps must be an integer >= 2, got {n_steps!r}")
    gen = _rng(rng)
    if anxiety is None:
        anxiety = ANXIETY_MAX * gen.uniform()
    anxiety = _positive(anxiety, "anxiety", where, allow_zero=True)
    inertia = INERTIA_MAX * gen.uniform()
    p_big = P_BIG_MAX * gen.uniform()
    shake = GAUSSIAN_SHAKE_MAX * gen.uniform()
    angle = 2.0 * math.pi * gen.uniform()
    m = int(n_steps)
    step = max_length / (m - 1)
    # All random numbers up front (same stream order on every machine).
    u_event = gen.uniform(size=m - 1)
    u_angle = gen.uniform(size=m - 1)
    normals = gen.standard_normal(size=(m - 1, 2))
    gauss = normals[:, 0] + 1j * normals[:, 1]
    x = np.zeros(m, dtype=np.complex128)
    v = complex(math.cos(angle), math.sin(angle)) * step
    n_impulsive = 0
    threshold = p_big * anxiety
    for t in range(m - 1):
        if u_event[t] < threshold:
            jump = 2.0 * v * complex(math.cos(math.pi + u_angle[t] - 0.5), math.sin(math.pi + u_angle[t] - 0.5))
            n_impulsive += 1
        else:
            jump = 0.0
        dv = jump + anxiety * (shake * gauss[t] - inertia * x[t]) * step
        v = v + dv
        speed = abs(v)
        if speed == 0.0:  # pragma: no cover - measure-zero event; keep the direction of travel
            v = x[t] - x[t - 1] if t else complex(math.cos(angle), math.sin(angle))
            speed = abs(v)
        v = v / speed * step
        x[t + 1] = x[t] + v
    return Trajectory(x, max_length, anxiety, inertia, p_big, shake, angle, n_impulsive)


def trajectory_to_kernel(trajectory: Trajectory | np.ndarray, size: int | None = None) -> torch.Tensor:
    """Turn a trajectory into a blur kernel by bilinear splatting, centred on its centroid (chapters 04, 09-10).

    Every point of the path gets the weight ``1 / M`` (equal exposure time per sample),
    shared among its four neighbouring pixels by bilinear weights. The path is first
    translated so that its mean sits on the centre pixel ``(size // 2, size // 2)``;
    bilinear weights reproduce a point's position as their weighted mean, so the kernel's
    centroid is exactly the centre pixel and blurring with it does not shift the image.

    Args:
        trajectory: a :class:`Trajectory` or a complex array of positions (column + i row).
        size: the kernel side in pixels. ``None`` picks ``2 * ceil(L) + 1`` with ``L`` the
            path length, which always suffices (no point lies farther than ``L`` from the
            centroid).

    Returns:
        A float32 tensor ``(size, size)``, non-negative, summing to 1.

    Raises:
        ValueError: fewer than 2 points, non-finite positions, or a ``size`` too small to
            hold the path (the message gives the smallest size that works).
    """
    where = "trajectory_to_kernel"
    pos = trajectory.positions if isinstance(trajectory, Trajectory) else np.asarray(trajectory)
    if pos.ndim != 1 or pos.size < 2:
        raise ValueError(f"{where}: the trajectory must be a 1-D array of at least 2 complex positions, got shape {pos.shape}")
    pos = pos.astype(np.complex128)
    if not np.all(np.isfinite(pos)):
        raise ValueError(f"{where}: the trajectory contains NaN or infinity")
    dev = pos - pos.mean()
    reach = float(max(np.abs(dev.real).max(), np.abs(dev.imag).max()))
    needed = 2 * math.ceil(reach) + 1
    if size is None:
        length = float(np.abs(np.diff(pos)).sum())
        size = max(2 * math.ceil(length - 1e-9) + 1, needed)  # the tolerance absorbs rounding of the length
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{where}: size must be a positive integer, got {size!r}")
    size = int(size)
    centre = size // 2
    cols = dev.real + centre
    rows = dev.imag + centre
    c0, r0 = np.floor(cols).astype(np.int64), np.floor(rows).astype(np.int64)
    wc, wr = cols - c0, rows - r0
    kernel = np.zeros((size, size), dtype=np.float64)
    weight = 1.0 / pos.size
    for dr, dc, w in ((0, 0, (1 - wr) * (1 - wc)), (0, 1, (1 - wr) * wc), (1, 0, wr * (1 - wc)), (1, 1, wr * wc)):
        rr, cc = r0 + dr, c0 + dc
        used = w > 0
        inside = (rr >= 0) & (rr < size) & (cc >= 0) & (cc < size)
        if np.any(used & ~inside):
            raise ValueError(
                f"{where}: a {size}x{size} kernel cannot hold this trajectory (it reaches {reach:.2f} pixels "
                f"from its centroid); use size >= {needed} (any size >= 2 * ceil(max_length) + 1 always works)"
            )
        np.add.at(kernel, (rr[used], cc[used]), weight * w[used])
    kernel /= kernel.sum()  # removes the rounding of the sum of weights
    return torch.from_numpy(kernel).float()


def motion_blur_kernel(
    max_length: float = 20.0,
    size: int | None = None,
    anxiety: float | None = None,
    *,
    n_steps: int = 2000,
    rng: RngLike = None,
) -> torch.Tensor:
    """A random motion-blur kernel: :func:`random_trajectory` then :func:`trajectory_to_kernel` (chapters 04, 09-10).

    Args:
        max_length: path length ``L`` in pixels.
        size: kernel side (default ``2 * ceil(L) + 1``, which always fits).
        anxiety: shake amplitude (``None``: drawn from ``U(0, 0.1)``).
        n_steps: samples of the path.
        rng: a ``numpy.random.Generator`` or an int seed.

    Returns:
        A float32 tensor ``(size, size)``: non-negative, sums to 1, centroid on the centre pixel.
    """
    return trajectory_to_kernel(random_trajectory(max_length, anxiety, n_steps=n_steps, rng=rng), size)


def motion_blur_kernels(
    n: int,
    max_length: float = 20.0,
    size: int | None = None,
    anxiety: float | tuple[float, float] | None = None,
    *,
    seed: int = 0,
) -> torch.Tensor:
    """A reproducible batch of motion-blur kernels of one size (chapters 04, 09-10).

    Kernel ``i`` is drawn with ``numpy.random.default_rng([seed, i])``, so it depends only on
    ``seed`` and ``i`` (a batch of ``m`` kernels is a prefix of a batch of ``n > m``).

    Args:
        n: number of kernels (> 0).
        max_length: path length in pixels.
        size: kernel side (default ``2 * ceil(max_length) + 1``).
        anxiety: a number, a range ``(lo, hi)`` to draw from uniformly, or ``None`` (``U(0, 0.1)``).
        seed: a non-negative int.

    Returns:
        A float32 tensor ``(n, size, size)``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"motion_blur_kernels: n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"motion_blur_kernels: seed must be a non-negative int, got {seed!r}")
    max_length = _positive(max_length, "max_length", "motion_blur_kernels")
    if size is None:
        size = 2 * math.ceil(max_length) + 1
    out = []
    for i in range(int(n)):
        gen = np.random.default_rng([int(seed), i])
        if isinstance(anxiety, tuple):
            lo, hi = anxiety
            a = gen.uniform(_positive(lo, "anxiety[0]", "motion_blur_kernels", allow_zero=True),
                            _positive(hi, "anxiety[1]", "motion_blur_kernels", allow_zero=True))
        else:
            a = anxiety
        out.append(motion_blur_kernel(max_length, size, a, rng=gen))
    return torch.stack(out)


def kernel_centroid(kernel: torch.Tensor | np.ndarray) -> tuple[float, float]:
    """The centre of mass ``(row, col)`` of a non-negative kernel, in pixels (chapters 04, 09-10).

    A kernel whose centroid is ``(kh // 2, kw // 2)`` blurs without shifting the image (with
    :class:`~course_lib.operators.Blur`'s centre convention).

    Raises:
        ValueError: not a 2-D array, negative entries or a zero sum.
    """
    k = kernel.detach().cpu().numpy() if isinstance(kernel, torch.Tensor) else np.asarray(kernel)
    k = k.astype(np.float64)
    if k.ndim != 2 or k.size == 0:
        raise ValueError(f"kernel_centroid: kernel must be a non-empty 2-D array, got shape {k.shape}")
    if not np.all(np.isfinite(k)) or k.min() < 0 or k.sum() <= 0:
        raise ValueError("kernel_centroid: kernel must be finite, non-negative and have a positive sum")
    rows, cols = np.indices(k.shape)
    total = k.sum()
    return float((rows * k).sum() / total), float((cols * k).sum() / total)


def transfer_function(kernel: torch.Tensor | np.ndarray, shape: tuple[int, int], *, real: bool = True) -> torch.Tensor:
    """The DFT of a kernel as circular convolution on ``shape`` images (chapters 04, 09-10).

    The kernel is zero-padded to ``shape`` and rolled so that its centre entry
    ``(kh // 2, kw // 2)`` sits at ``(0, 0)``; then ``fft(k * x) = H fft(x)`` for the circular
    convolution of :class:`~course_lib.operators.Blur` (``padding="circular"``) and of
    ``skimage.restoration.uft.ir2tf``.

    Args:
        kernel: a 2-D kernel ``(kh, kw)`` with ``kh <= H``, ``kw <= W``.
        shape: the image size ``(H, W)``.
        real: return the half spectrum of ``torch.fft.rfft2`` (``(H, W // 2 + 1)``) instead of
            the full ``fft2`` (``(H, W)``).

    Returns:
        A complex128 tensor.
    """
    k = torch.as_tensor(np.asarray(kernel) if not isinstance(kernel, torch.Tensor) else kernel).detach().cpu()
    if k.ndim != 2 or k.numel() == 0:
        raise ValueError(f"transfer_function: kernel must be a non-empty 2-D array, got shape {tuple(k.shape)}")
    h, w = (int(shape[0]), int(shape[1]))
    kh, kw = k.shape
    if kh > h or kw > w:
        raise ValueError(f"transfer_function: a {kh}x{kw} kernel does not fit a {h}x{w} image")
    padded = torch.zeros(h, w, dtype=torch.float64)
    padded[:kh, :kw] = k.to(torch.float64)
    padded = torch.roll(padded, shifts=(-(kh // 2), -(kw // 2)), dims=(0, 1))
    return torch.fft.rfft2(padded) if real else torch.fft.fft2(padded)


class FFTBlur(Blur):
    """Circular blur computed by FFT: the same operator as ``Blur(kernel, padding="circular")`` (chapters 04, 09-10).

    ``forward`` and ``adjoint`` agree with :class:`~course_lib.operators.Blur` to rounding
    but cost ``O(n log n)`` whatever the kernel size (``F.conv2d`` in float64 is about 15
    times slower than in float32 on the CPU, which made the TV solver crawl on large motion
    kernels). The transfer function is cached per image size, dtype and device.
    """

    def __init__(self, kernel: torch.Tensor | np.ndarray) -> None:
        super().__init__(kernel, padding="circular")
        self._spectra: dict[tuple[int, int, torch.dtype, torch.device], torch.Tensor] = {}

    def _spectrum(self, x: torch.Tensor) -> torch.Tensor:
        key = (x.shape[-2], x.shape[-1], x.dtype, x.device)
        if key not in self._spectra:
            cdtype = torch.complex128 if x.dtype == torch.float64 else torch.complex64
            self._spectra[key] = transfer_function(self.kernel, (x.shape[-2], x.shape[-1])).to(dtype=cdtype, device=x.device)
        return self._spectra[key]

    def _apply(self, x: torch.Tensor, where: str, name: str, adjoint: bool) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or not torch.is_floating_point(x):
            raise ValueError(f"{where}: {name} must be a floating-point tensor of shape (N, C, H, W), got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        kh, kw = self.kernel.shape
        if kh > x.shape[-2] or kw > x.shape[-1]:
            raise ValueError(f"{where}: a {kh}x{kw} kernel is larger than the {x.shape[-2]}x{x.shape[-1]} image")
        spec = self._spectrum(x)
        if adjoint:
            spec = spec.conj()
        return torch.fft.irfft2(torch.fft.rfft2(x) * spec, s=x.shape[-2:])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Blur ``x`` (N, C, H, W) circularly; same shape."""
        return self._apply(x, "FFTBlur.forward", "x", adjoint=False)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Correlate ``y`` circularly with the kernel (the exact transpose)."""
        return self._apply(y, "FFTBlur.adjoint", "y", adjoint=True)

    def __repr__(self) -> str:
        return f"FFTBlur(kernel of shape {tuple(self.kernel.shape)}, circular)"
