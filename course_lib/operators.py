"""Linear forward operators with exact adjoints (chapters 04, 08, 09, 10).

An inverse problem observes ``y = A x + noise``; this module holds the
operators ``A``, modelled on the ``physics`` package of DeepInverse: one class
per operator, each with ``forward`` (also ``A(x)``) and ``adjoint``
(``A^* y``, the exact transpose of the discrete operator, so that
``<A x, y> = <x, A^* y>`` up to rounding). Everything is plain torch, so
gradients flow through ``forward`` and ``adjoint`` (unrolled and learned
reconstructions of chapters 09-10 train through them).

Images are batched float tensors of shape ``(N, C, H, W)``; the operators act
on every sample and channel alike. Shapes are checked and a wrong input raises
``ValueError`` with a message that says what to change.

* :class:`Identity` -- denoising (chapters 04, 10).
* :class:`Inpainting` and :func:`center_hole_mask` -- missing pixels (chapter 08).
* :class:`Blur`, :func:`gaussian_kernel`, :func:`box_kernel` -- deconvolution (chapters 09-10).
* :class:`Downsampling` -- super-resolution (chapters 09-10).
* :class:`Radon` -- parallel-beam tomography with filtered back-projection (chapters 09-10).

The base class :class:`LinearOperator` adds ``normal`` (``A^* A x``),
``norm`` (the operator 2-norm by power iteration, for step sizes),
``pinv_tikhonov`` (``(A^* A + delta I)^{-1} A^* y`` by conjugate gradient)
and ``to_matrix`` (the dense matrix of a small operator, for SVDs)::

    A = Blur(gaussian_kernel(9, 2.0))
    y = A(x) + 0.01 * torch.randn_like(x)
    x_hat = A.pinv_tikhonov(y, delta=1e-2)
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Sequence

import numpy as np
import scipy.fft
import scipy.signal
import scipy.sparse
import torch
import torch.nn.functional as F

__all__ = [
    "Blur",
    "Downsampling",
    "Identity",
    "Inpainting",
    "LinearOperator",
    "Radon",
    "box_kernel",
    "center_hole_mask",
    "gaussian_kernel",
]


# --------------------------------------------------------------------------- helpers


def _check_batch(x: torch.Tensor, where: str, name: str = "x") -> None:
    """Raise ValueError unless ``x`` is a floating-point tensor of shape (N, C, H, W)."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{where}: {name} must be a torch.Tensor, got {type(x).__name__}; convert with torch.as_tensor")
    if x.ndim != 4:
        raise ValueError(
            f"{where}: {name} must have shape (N, C, H, W), got shape {tuple(x.shape)}; "
            "add the batch and channel axes, e.g. img[None, None] for one (H, W) image"
        )
    if not torch.is_floating_point(x):
        raise ValueError(f"{where}: {name} must be a floating-point tensor, got dtype {x.dtype}; convert with .float()")


def _check_int(value: int, name: str, where: str, minimum: int = 1) -> int:
    """Return ``value`` as an int; raise ValueError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _batch_dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-sample inner products ``<a_i, b_i>``, shape (N, 1, ..., 1) for broadcasting."""
    return (a * b).sum(dim=tuple(range(1, a.ndim)), keepdim=True)


# --------------------------------------------------------------------------- base class


class LinearOperator:
    """A linear map ``A`` between batches of images, with its exact adjoint (chapters 04, 08-10).

    Subclasses implement :meth:`forward` and :meth:`adjoint`; everything else
    is built from those two. ``A(x)`` is ``A.forward(x)``.

    Attributes:
        in_shape: shape ``(C, H, W)`` of one input sample when the operator
            fixes it (e.g. :class:`Radon`), else ``None`` (any size works).
        out_shape: shape of one output sample when fixed, else ``None``.
    """

    in_shape: tuple[int, ...] | None = None
    out_shape: tuple[int, ...] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply ``A`` to a batch ``x`` of shape (N, C, H, W)."""
        raise NotImplementedError

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Apply the adjoint ``A^*`` (the transpose) to a batch ``y`` in the output space."""
        raise NotImplementedError

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x)

    def normal(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the normal operator ``A^* A`` (gradient of ``0.5 ||A x - y||^2`` is ``A^* A x - A^* y``)."""
        return self.adjoint(self.forward(x))

    def _device(self) -> torch.device:
        """The device of the operator's own tensors (used to draw test vectors)."""
        return torch.device("cpu")

    def _sample_shape(self, shape: Sequence[int] | None, where: str) -> tuple[int, ...]:
        if shape is None:
            if self.in_shape is None:
                raise ValueError(
                    f"{where}: {type(self).__name__} works on images of any size, so the result depends on it; "
                    "pass the input shape, e.g. shape=(1, 1, 28, 28)"
                )
            return (1, *self.in_shape)
        shape = tuple(int(s) for s in shape)
        if len(shape) != 4 or min(shape) < 1:
            raise ValueError(f"{where}: shape must be a positive (N, C, H, W) tuple, got {shape}")
        return shape

    def norm(
        self,
        n_iter: int = 50,
        shape: Sequence[int] | None = None,
        generator: torch.Generator | None = None,
    ) -> float:
        """Operator 2-norm ``||A||`` (largest singular value) by power iteration on ``A^* A`` (chapters 09-10).

        Gradient descent on ``0.5 ||A x - y||^2`` is stable for step sizes below
        ``2 / ||A||**2``. Computed in float64 without gradients.

        Args:
            n_iter: number of power iterations (the error shrinks like
                ``(s_2 / s_1)**(2 n_iter)`` with ``s_1 > s_2`` the top singular values).
            shape: input shape ``(N, C, H, W)``; required unless ``in_shape`` is set.
            generator: optional ``torch.Generator`` for the random start.

        Returns:
            The estimate of ``||A||`` as a Python float (dimensionless gain).
        """
        n_iter = _check_int(n_iter, "n_iter", "norm")
        shape = self._sample_shape(shape, "norm")
        with torch.no_grad():
            x = torch.randn(shape, generator=generator, dtype=torch.float64).to(self._device())
            x = x / x.norm()
            value = 0.0
            for _ in range(n_iter):
                z = self.normal(x)
                value = float((x * z).sum())  # Rayleigh quotient, ||x|| = 1
                z_norm = z.norm()
                if float(z_norm) == 0.0:
                    return 0.0
                x = z / z_norm
        return math.sqrt(max(value, 0.0))

    def pinv_tikhonov(
        self,
        y: torch.Tensor,
        delta: float,
        n_iter: int = 100,
        tol: float = 1e-6,
    ) -> torch.Tensor:
        """Tikhonov-regularised inverse ``A_delta^+ y = (A^* A + delta I)^{-1} A^* y`` (chapter 09).

        Solved by conjugate gradient, each sample of the batch separately; the
        iterations are plain torch operations, so gradients flow through them.
        ``delta -> 0`` tends to the pseudo-inverse (minimum-norm least squares).

        Args:
            y: measurements, a batch in the output space of ``A``.
            delta: regularisation weight (same units as ``A^* A``, i.e. squared gain), >= 0.
            n_iter: maximal number of conjugate-gradient iterations.
            tol: stop when every residual ``||b - (A^* A + delta I) x||`` is below
                ``tol * ||b||`` with ``b = A^* y``.

        Returns:
            The solution, same shape as ``A^* y``.

        Raises:
            ValueError: ``delta`` is negative or not finite, or ``n_iter`` < 1.
        """
        delta = float(delta)
        if not math.isfinite(delta) or delta < 0:
            raise ValueError(f"pinv_tikhonov: delta must be finite and >= 0, got {delta!r}")
        n_iter = _check_int(n_iter, "n_iter", "pinv_tikhonov")
        b = self.adjoint(y)
        tiny = torch.finfo(b.dtype).tiny
        x = torch.zeros_like(b)
        r = b
        p = r
        rs = _batch_dot(r, r)
        stop = (tol**2) * rs  # ||b||^2 because x starts at 0
        for _ in range(n_iter):
            if bool((rs <= stop).all()):
                break
            ap = self.normal(p) + delta * p
            alpha = rs / _batch_dot(p, ap).clamp_min(tiny)
            x = x + alpha * p
            r = r - alpha * ap
            rs_new = _batch_dot(r, r)
            p = r + (rs_new / rs.clamp_min(tiny)) * p
            rs = rs_new
        return x

    def to_matrix(self, shape: Sequence[int] | None = None, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The dense matrix of ``A`` for one sample, built column by column (chapter 09, small sizes only).

        Args:
            shape: input shape ``(1, C, H, W)``; required unless ``in_shape`` is set.
            dtype: dtype of the matrix.

        Returns:
            A tensor of shape ``(m, n)`` with ``n = C*H*W`` and ``m`` the size of
            one output; ``A(x).flatten() == M @ x.flatten()``.
        """
        shape = self._sample_shape(shape, "to_matrix")
        if shape[0] != 1:
            raise ValueError(f"to_matrix: shape must describe one sample (1, C, H, W), got {shape}")
        n = int(np.prod(shape[1:]))
        if n > 65536:
            raise ValueError(f"to_matrix: {n} input pixels is too many for a dense matrix; use a shape with <= 65536")
        with torch.no_grad():
            basis = torch.eye(n, dtype=dtype, device=self._device()).reshape(n, *shape[1:])
            rows = [self.forward(chunk).reshape(chunk.shape[0], -1) for chunk in basis.split(256)]
        return torch.cat(rows).T.contiguous()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# --------------------------------------------------------------------------- identity


class Identity(LinearOperator):
    """The identity ``A x = x``: denoising as an inverse problem (chapters 04, 10)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x`` (checked to be an (N, C, H, W) float batch)."""
        _check_batch(x, "Identity.forward")
        return x

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Return ``y``."""
        _check_batch(y, "Identity.adjoint", "y")
        return y


# --------------------------------------------------------------------------- inpainting


class Inpainting(LinearOperator):
    """Pixel masking ``A x = mask * x``: inpainting (chapter 08).

    The operator is a diagonal 0/1 matrix, so it is self-adjoint and
    idempotent: ``adjoint(y) = mask * y`` and ``||A|| = 1`` (unless the mask is all 0).
    The observation keeps the input's shape (missing pixels are 0).

    Args:
        mask: a tensor of 0s and 1s (bool, int or float) broadcastable to the
            inputs without changing their shape, e.g. ``(1, 1, H, W)`` for the same
            mask on every sample and channel, or ``(N, 1, H, W)`` for one per sample.
            1 = observed pixel, 0 = missing.

    Raises:
        ValueError: the mask is not a tensor of 0s and 1s with at most 4 dimensions.
    """

    def __init__(self, mask: torch.Tensor) -> None:
        mask = torch.as_tensor(mask)
        if mask.ndim > 4 or mask.numel() == 0:
            raise ValueError(f"Inpainting: mask must be a non-empty tensor with <= 4 dimensions, got shape {tuple(mask.shape)}")
        if mask.dtype == torch.bool:
            mask = mask.float()
        elif not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError("Inpainting: mask must contain only 0 (missing) and 1 (observed); threshold it, e.g. (m > 0.5).float()")
        self.mask = mask if torch.is_floating_point(mask) else mask.float()

    def _device(self) -> torch.device:
        return self.mask.device

    def _apply(self, x: torch.Tensor, where: str, name: str) -> torch.Tensor:
        _check_batch(x, where, name)
        try:
            shape = torch.broadcast_shapes(self.mask.shape, x.shape)
        except RuntimeError:
            shape = None
        if shape != x.shape:
            raise ValueError(
                f"{where}: mask of shape {tuple(self.mask.shape)} does not broadcast to {name} of shape "
                f"{tuple(x.shape)}; use a mask of shape (1, 1, H, W) = (1, 1, {x.shape[-2]}, {x.shape[-1]})"
            )
        return self.mask.to(dtype=x.dtype, device=x.device) * x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``mask * x`` (missing pixels set to 0)."""
        return self._apply(x, "Inpainting.forward", "x")

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Return ``mask * y`` (the operator is self-adjoint)."""
        return self._apply(y, "Inpainting.adjoint", "y")

    def __repr__(self) -> str:
        return f"Inpainting(mask of shape {tuple(self.mask.shape)}, {float(self.mask.mean()):.1%} observed)"


def center_hole_mask(size: int, hole: int) -> torch.Tensor:
    """A square mask with a square hole in the middle (chapter 08: 8 x 8 holes in 28 x 28 MNIST).

    Args:
        size: image side in pixels.
        hole: hole side in pixels, ``0 <= hole <= size``. The hole starts at
            row and column ``(size - hole) // 2``, so it is centred exactly when
            ``size - hole`` is even.

    Returns:
        A float tensor of shape ``(1, 1, size, size)``: 1 = observed, 0 = in the hole.
    """
    size = _check_int(size, "size", "center_hole_mask")
    hole = _check_int(hole, "hole", "center_hole_mask", minimum=0)
    if hole > size:
        raise ValueError(f"center_hole_mask: hole ({hole}) must not exceed size ({size}); use a smaller hole")
    mask = torch.ones(1, 1, size, size)
    start = (size - hole) // 2
    mask[..., start : start + hole, start : start + hole] = 0.0
    return mask


# --------------------------------------------------------------------------- blur


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """An isotropic Gaussian blur kernel, normalised to sum 1 (chapters 09-10).

    Args:
        size: side of the square kernel in pixels (odd sizes are centred on a
            pixel, even sizes between pixels).
        sigma: standard deviation in pixels, > 0.

    Returns:
        A float32 tensor of shape ``(size, size)``.
    """
    size = _check_int(size, "size", "gaussian_kernel")
    sigma = float(sigma)
    if not math.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"gaussian_kernel: sigma must be finite and > 0 (pixels), got {sigma!r}")
    g = scipy.signal.windows.gaussian(size, std=sigma)
    kernel = np.outer(g, g)
    return torch.from_numpy(kernel / kernel.sum()).float()


def box_kernel(size: int) -> torch.Tensor:
    """A uniform ``size x size`` averaging kernel, normalised to sum 1 (chapters 09-10).

    Returns:
        A float32 tensor of shape ``(size, size)`` filled with ``1 / size**2``.
    """
    size = _check_int(size, "size", "box_kernel")
    return torch.full((size, size), 1.0 / size**2)


class Blur(LinearOperator):
    """Convolution with a 2-D kernel, same output size as input: deconvolution (chapters 09-10).

    ``A x = k * x`` (true convolution, the kernel flipped), applied to every
    sample and channel. The kernel's centre is its entry ``(kh // 2, kw // 2)``,
    as in :func:`scipy.ndimage.convolve`, which ``forward`` reproduces with
    ``mode="wrap"`` (``padding="circular"``) or ``mode="constant"``
    (``padding="zeros"``). The adjoint is the correlation with the same kernel
    and the mirrored padding, exact for both paddings.

    Args:
        kernel: a 2-D array or tensor of any size (odd or even), usually summing to 1.
        padding: ``"circular"`` (periodic image; kernel at most the image size)
            or ``"zeros"`` (image zero outside its frame).

    Raises:
        ValueError: the kernel is not a finite, non-empty 2-D array, or the padding is unknown.
    """

    PADDINGS = ("circular", "zeros")

    def __init__(self, kernel: torch.Tensor | np.ndarray, padding: str = "circular") -> None:
        kernel = torch.as_tensor(kernel)
        if kernel.ndim != 2 or kernel.numel() == 0:
            raise ValueError(
                f"Blur: kernel must be a non-empty 2-D array (kh, kw), got shape {tuple(kernel.shape)}; "
                "squeeze extra axes, e.g. kernel[0, 0]"
            )
        if not torch.is_floating_point(kernel):
            kernel = kernel.float()
        if not bool(torch.isfinite(kernel).all()):
            raise ValueError("Blur: kernel contains NaN or infinity")
        if padding not in self.PADDINGS:
            raise ValueError(f"Blur: padding must be one of {self.PADDINGS}, got {padding!r}")
        self.kernel = kernel
        self.padding = padding

    def _device(self) -> torch.device:
        return self.kernel.device

    def _convolve(self, x: torch.Tensor, where: str, name: str, adjoint: bool) -> torch.Tensor:
        _check_batch(x, where, name)
        kh, kw = self.kernel.shape
        n, c, h, w = x.shape
        if self.padding == "circular" and (kh > h or kw > w):
            raise ValueError(
                f"{where}: a {kh}x{kw} kernel is larger than the {h}x{w} image, which circular padding "
                "cannot wrap; use a smaller kernel or padding='zeros'"
            )
        if adjoint:  # correlation with k: pad so that the kernel centre lines up
            weight = self.kernel
            pads = (kw // 2, (kw - 1) // 2, kh // 2, (kh - 1) // 2)
        else:  # convolution = correlation with the flipped kernel
            weight = self.kernel.flip(0, 1)
            pads = ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2)
        mode = "circular" if self.padding == "circular" else "constant"
        xp = F.pad(x.reshape(n * c, 1, h, w), pads, mode=mode)
        out = F.conv2d(xp, weight.to(dtype=x.dtype, device=x.device)[None, None])
        return out.reshape(n, c, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Blur ``x`` (N, C, H, W); the output has the same shape."""
        return self._convolve(x, "Blur.forward", "x", adjoint=False)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Correlate ``y`` (N, C, H, W) with the kernel: the exact transpose of :meth:`forward`."""
        return self._convolve(y, "Blur.adjoint", "y", adjoint=True)

    def __repr__(self) -> str:
        return f"Blur(kernel of shape {tuple(self.kernel.shape)}, padding={self.padding!r})"


# --------------------------------------------------------------------------- downsampling


class Downsampling(LinearOperator):
    """Average pooling by an integer factor: super-resolution (chapters 09-10).

    ``forward`` maps (N, C, H, W) to (N, C, H / factor, W / factor), each output
    pixel the mean of a ``factor x factor`` block (like
    :func:`skimage.transform.downscale_local_mean`). The adjoint copies each
    pixel back to its block divided by ``factor**2``, so ``||A|| = 1 / factor``.

    Args:
        factor: integer downsampling factor, >= 1.
    """

    def __init__(self, factor: int) -> None:
        self.factor = _check_int(factor, "factor", "Downsampling")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Average ``factor x factor`` blocks of ``x``; H and W must be divisible by ``factor``."""
        _check_batch(x, "Downsampling.forward")
        h, w = x.shape[-2:]
        f = self.factor
        if h % f or w % f:
            raise ValueError(
                f"Downsampling.forward: image size {h}x{w} is not divisible by the factor {f}; "
                f"crop or pad it to a multiple of {f}, e.g. x[..., :{h - h % f}, :{w - w % f}]"
            )
        return F.avg_pool2d(x, f)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Nearest-neighbour upsampling of ``y`` by ``factor``, divided by ``factor**2``."""
        _check_batch(y, "Downsampling.adjoint", "y")
        f = self.factor
        return y.repeat_interleave(f, dim=-2).repeat_interleave(f, dim=-1) / f**2

    def __repr__(self) -> str:
        return f"Downsampling(factor={self.factor})"


# --------------------------------------------------------------------------- Radon transform


def _disk(size: int) -> np.ndarray:
    """Boolean (size, size) mask of the inscribed disc, as in ``skimage.transform.radon(circle=True)``."""
    centre = size // 2
    rows, cols = np.ogrid[:size, :size]
    return (rows - centre) ** 2 + (cols - centre) ** 2 <= (size // 2) ** 2


@functools.lru_cache(maxsize=4)
def _ray_matrix(size: int, angles: tuple[float, ...], n_det: int) -> scipy.sparse.csr_matrix:
    """Ray-driven system matrix (n_angles * n_det, size * size) of ``skimage.transform.radon``.

    Each ray (angle ``a``, detector offset ``s``) is sampled at unit steps ``t``
    at the point ``(col, row) = c + (s cos a + t sin a, -s sin a + t cos a)``,
    ``c = size // 2``, with bilinear interpolation between the four neighbouring
    pixels (zero outside the image and the inscribed disc); the sum over ``t``
    is the line integral. These are the sample points and weights of
    skimage's rotate-and-sum implementation, so the two agree to rounding.
    """
    centre = size // 2
    inside = _disk(size)
    s = np.arange(n_det) - n_det // 2
    t = np.arange(size) - centre
    ss, tt = np.meshgrid(s, t, indexing="ij")  # (n_det, size)
    det = np.broadcast_to(np.arange(n_det)[:, None], ss.shape)
    blocks = []
    for a in np.deg2rad(angles):
        cos_a, sin_a = math.cos(a), math.sin(a)
        col = centre + ss * cos_a + tt * sin_a
        row = centre - ss * sin_a + tt * cos_a
        c0, r0 = np.floor(col).astype(np.int64), np.floor(row).astype(np.int64)
        wc, wr = col - c0, row - r0
        rows, cols, vals = [], [], []
        for dr, dc, weight in ((0, 0, (1 - wr) * (1 - wc)), (0, 1, (1 - wr) * wc), (1, 0, wr * (1 - wc)), (1, 1, wr * wc)):
            rr, cc = r0 + dr, c0 + dc
            ok = (rr >= 0) & (rr < size) & (cc >= 0) & (cc < size) & (weight != 0)
            ok[ok] = inside[rr[ok], cc[ok]]
            rows.append(det[ok])
            cols.append(rr[ok] * size + cc[ok])
            vals.append(weight[ok])
        block = scipy.sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_det, size * size)
        )
        blocks.append(block)
    return scipy.sparse.vstack(blocks, format="csr")


@functools.lru_cache(maxsize=4)
def _backprojection_matrix(size: int, angles: tuple[float, ...], n_bins: int, offset: int) -> scipy.sparse.csr_matrix:
    """Pixel-driven back-projection matrix (size * size, n_angles * n_bins) of ``skimage.transform.iradon``.

    Pixel ``(row, col)`` of the disc reads, at angle ``a``, the detector
    coordinate ``t = (col - c) cos a - (row - c) sin a`` by linear interpolation
    between bins at positions ``arange(n_bins) - offset`` (zero outside them).
    """
    centre = size // 2
    rows, cols = np.nonzero(_disk(size))
    pixels = rows * size + cols
    x, y = (cols - centre).astype(np.float64), (rows - centre).astype(np.float64)
    blocks = []
    for a in np.deg2rad(angles):
        u = x * math.cos(a) - y * math.sin(a) + offset
        ok = (u >= 0) & (u <= n_bins - 1)
        j0 = np.minimum(np.floor(u[ok]), n_bins - 2).astype(np.int64)
        w = u[ok] - j0
        block = scipy.sparse.csr_matrix(
            (np.concatenate([1 - w, w]), (np.concatenate([pixels[ok], pixels[ok]]), np.concatenate([j0, j0 + 1]))),
            shape=(size * size, n_bins),
        )
        blocks.append(block)
    return scipy.sparse.hstack(blocks, format="csr")


def _fourier_filter(size: int, name: str | None) -> np.ndarray:
    """Frequency response (length ``size``, even) of the FBP filters of ``skimage.transform.iradon``.

    The ramp is the DFT of the band-limited spatial ramp kernel (Kak and
    Slaney, ch. 3, eq. 61), which avoids the DC bias of a sampled ``|f|``.
    """
    n = np.concatenate((np.arange(1, size // 2 + 1, 2), np.arange(size // 2 - 1, 0, -2)))
    spatial = np.zeros(size)
    spatial[0] = 0.25
    spatial[1::2] = -1.0 / (np.pi * n) ** 2
    response = 2 * np.real(scipy.fft.fft(spatial))
    if name == "shepp-logan":
        omega = np.pi * scipy.fft.fftfreq(size)[1:]
        response[1:] *= np.sin(omega) / omega
    elif name == "cosine":
        response *= scipy.fft.fftshift(np.sin(np.linspace(0, np.pi, size, endpoint=False)))
    elif name == "hamming":
        response *= scipy.fft.fftshift(np.hamming(size))
    elif name == "hann":
        response *= scipy.fft.fftshift(np.hanning(size))
    elif name is None:
        response[:] = 1.0
    return response


def _to_torch_csr(matrix: scipy.sparse.csr_matrix, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Convert a SciPy CSR matrix to a torch sparse CSR tensor (int32 indices: faster products)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
        return torch.sparse_csr_tensor(
            torch.from_numpy(matrix.indptr.astype(np.int32)),
            torch.from_numpy(matrix.indices.astype(np.int32)),
            torch.from_numpy(matrix.data).to(dtype),
            size=matrix.shape,
            check_invariants=False,
        ).to(device)


class _SparseMatmul(torch.autograd.Function):
    """``matrix @ x`` for a constant sparse matrix whose transpose is precomputed.

    The backward pass multiplies by the stored transpose (itself through this
    function, so higher derivatives work too).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, matrix: torch.Tensor, matrix_t: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.matrices = (matrix, matrix_t)
        return matrix @ x

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        matrix, matrix_t = ctx.matrices
        return _SparseMatmul.apply(grad, matrix_t, matrix), None, None


class Radon(LinearOperator):
    """Parallel-beam Radon transform by a precomputed sparse matrix: computed tomography (chapters 09-10).

    The geometry is that of ``skimage.transform.radon(image, theta=angles,
    circle=True)`` and the discretisation is the same (unit steps along each
    ray, bilinear interpolation), so ``forward`` agrees with skimage to
    rounding: at angle ``theta = 0`` the rays run down the columns (the
    projection sums over rows), detector ``j`` sits at offset
    ``j - n_detectors // 2`` pixels from the rotation centre ``(size // 2, size // 2)``,
    and the detector coordinate of pixel ``(row, col)`` at angle ``theta`` is
    ``(col - c) cos(theta) - (row - c) sin(theta)``.

    Only pixels inside the inscribed disc (``skimage``'s reconstruction circle)
    are seen; the rest of the image is ignored by ``forward`` and zero after
    ``adjoint``. ``forward`` and ``adjoint`` are products with a torch sparse
    CSR matrix and its precomputed transpose (float32 or float64, built once per
    dtype and device), so ``adjoint`` is the exact transpose and both are fast
    enough to train through.

    Args:
        size: image side in pixels (inputs are ``(N, 1, size, size)``).
        angles: projection angles in degrees, a 1-D array-like (e.g.
            ``np.linspace(0, 180, 30, endpoint=False)``).
        n_detectors: detector bins, 1 pixel apart and centred; default ``size``.

    Attributes:
        angles: the angles in degrees (NumPy float64 array).
        n_detectors: the number of detector bins.
        in_shape: ``(1, size, size)``.
        out_shape: ``(1, n_angles, n_detectors)`` (a sinogram: one row per angle).
    """

    FILTERS = ("ramp", "shepp-logan", "cosine", "hamming", "hann", None)

    def __init__(self, size: int, angles: Sequence[float] | np.ndarray | torch.Tensor, n_detectors: int | None = None) -> None:
        self.size = _check_int(size, "size", "Radon", minimum=2)
        if isinstance(angles, torch.Tensor):
            angles = angles.detach().cpu().numpy()
        try:
            angles = np.asarray(angles, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"Radon: angles must be a 1-D array of numbers (degrees), got {angles!r}") from None
        if angles.ndim != 1 or angles.size == 0 or not np.all(np.isfinite(angles)):
            raise ValueError(
                f"Radon: angles must be a non-empty 1-D array of finite numbers in degrees, got shape {angles.shape}; "
                "e.g. np.linspace(0, 180, 30, endpoint=False)"
            )
        self.angles = angles
        self.n_detectors = self.size if n_detectors is None else _check_int(n_detectors, "n_detectors", "Radon")
        self.in_shape = (1, self.size, self.size)
        self.out_shape = (1, len(angles), self.n_detectors)
        key = (self.size, tuple(float(a) for a in angles), self.n_detectors)
        self._matrix = _ray_matrix(*key)
        self._key = key
        self._cache: dict[tuple[str, torch.dtype, torch.device], tuple[torch.Tensor, torch.Tensor]] = {}

    def __getstate__(self) -> dict:
        """Pickle and deepcopy without the torch sparse tensors (they are rebuilt on first use)."""
        state = self.__dict__.copy()
        state["_cache"] = {}
        return state

    @property
    def matrix(self) -> scipy.sparse.csr_matrix:
        """The system matrix as a SciPy CSR matrix, shape ``(n_angles * n_detectors, size * size)``."""
        return self._matrix

    def _torch_pair(self, kind: str, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(matrix, transpose) as torch sparse CSR tensors, built once per kind, dtype and device."""
        key = (kind, dtype, device)
        if key not in self._cache:
            if kind == "radon":
                matrix = self._matrix
            else:  # pixel-driven back-projection of fbp, (n_pix, n_angles * n_bins)
                matrix = _backprojection_matrix(self.size, self._key[1], *self._fbp_bins())
            matrix_t = matrix.T.tocsr()
            self._cache[key] = (_to_torch_csr(matrix, dtype, device), _to_torch_csr(matrix_t, dtype, device))
        return self._cache[key]

    def _check(self, x: torch.Tensor, expected: tuple[int, ...], where: str, name: str) -> None:
        _check_batch(x, where, name)
        if tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"{where}: {name} must have shape (N, {', '.join(map(str, expected))}), got {tuple(x.shape)}"
                + ("; use one channel (grey-level images)" if x.shape[1] != 1 else "")
            )
        if x.dtype not in (torch.float32, torch.float64):
            raise ValueError(f"{where}: {name} must be float32 or float64, got {x.dtype}; convert with .float()")

    def _product(self, x: torch.Tensor, kind: str, transpose: bool, out_shape: tuple[int, ...]) -> torch.Tensor:
        matrix, matrix_t = self._torch_pair(kind, x.dtype, x.device)
        if transpose:
            matrix, matrix_t = matrix_t, matrix
        columns = x.reshape(x.shape[0], -1).T  # (n_in, N)
        return _SparseMatmul.apply(columns, matrix, matrix_t).T.reshape(x.shape[0], *out_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Sinograms of the images ``x`` (N, 1, size, size): shape (N, 1, n_angles, n_detectors)."""
        self._check(x, self.in_shape, "Radon.forward", "x")
        return self._product(x, "radon", False, self.out_shape)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Unfiltered back-projection ``A^T y`` of sinograms (N, 1, n_angles, n_detectors): shape (N, 1, size, size)."""
        self._check(y, self.out_shape, "Radon.adjoint", "y")
        return self._product(y, "radon", True, self.in_shape)

    def _fbp_bins(self) -> tuple[int, int]:
        """(n_bins, offset) of the zero-extended detector used by fbp, covering the whole disc."""
        radius = self.size // 2
        n = self.n_detectors
        extra = max(1, radius + 1 - n // 2, radius + 1 - (n - 1 - n // 2))
        return n + 2 * extra, n // 2 + extra

    def fbp(self, y: torch.Tensor, filter: str | None = "ramp") -> torch.Tensor:
        """Filtered back-projection, as ``skimage.transform.iradon(circle=True)`` (chapters 09-10).

        Each projection is zero-padded (to skimage's padded length, a power of
        two of at least twice the detector length, so the circular convolution
        does not wrap), filtered in the Fourier domain, and back-projected
        pixel-driven with linear interpolation (skimage's interpolator; note
        this is not exactly :meth:`adjoint`, whose ray-driven transpose differs
        from it by 1-2 %). The result is scaled by ``pi / (2 n_angles)``, which
        assumes angles spread evenly over 180 degrees, and is zero outside the
        inscribed disc. Differentiable.

        Args:
            y: sinograms, shape (N, 1, n_angles, n_detectors).
            filter: ``"ramp"``, ``"shepp-logan"``, ``"cosine"``, ``"hamming"``,
                ``"hann"`` or ``None`` (no filtering).

        Returns:
            Images of shape (N, 1, size, size).
        """
        self._check(y, self.out_shape, "Radon.fbp", "y")
        if filter not in self.FILTERS:
            raise ValueError(f"Radon.fbp: filter must be one of {self.FILTERS}, got {filter!r}")
        n_bins, offset = self._fbp_bins()
        extra = offset - self.n_detectors // 2
        diagonal = int(np.ceil(np.sqrt(2) * self.n_detectors))
        padded = max(64, int(2 ** np.ceil(np.log2(2 * max(diagonal, n_bins)))))
        response = torch.as_tensor(_fourier_filter(padded, filter), dtype=y.dtype, device=y.device)
        signal = F.pad(y, (extra, padded - self.n_detectors - extra))
        filtered = torch.fft.ifft(torch.fft.fft(signal, dim=-1) * response, dim=-1).real[..., :n_bins]
        image = self._product(filtered.contiguous(), "fbp", False, self.in_shape)
        return image * (math.pi / (2 * len(self.angles)))

    def __repr__(self) -> str:
        return f"Radon(size={self.size}, {len(self.angles)} angles, n_detectors={self.n_detectors})"
