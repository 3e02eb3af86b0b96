"""Tests of course_lib.operators: adjoints, agreement with SciPy / scikit-image, norms, solvers, errors."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import scipy.ndimage
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.data import shepp_logan_phantom
from skimage.transform import downscale_local_mean, iradon, radon, resize

from course_lib import operators as ops

FAST = settings(max_examples=25, deadline=None)


def _rand(shape, seed: int, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _assert_adjoint(op: ops.LinearOperator, x: torch.Tensor, seed: int, rtol: float = 1e-10) -> None:
    """<A x, y> == <x, A* y> for a random y, relative to ||A x|| ||y|| + ||x|| ||A* y||."""
    ax = op(x)
    y = _rand(ax.shape, seed + 1, x.dtype)
    aty = op.adjoint(y)
    assert aty.shape == x.shape, f"{op}: adjoint returns shape {tuple(aty.shape)}, expected {tuple(x.shape)}"
    lhs, rhs = float((ax * y).sum()), float((x * aty).sum())
    scale = float(ax.norm() * y.norm() + x.norm() * aty.norm()) + 1e-30
    assert abs(lhs - rhs) <= rtol * scale, f"{op}: <Ax, y> = {lhs!r} but <x, A*y> = {rhs!r}"


def _phantom(size: int) -> np.ndarray:
    """Shepp-Logan resized to size x size, with an off-centre bright bar (breaks every symmetry), zero outside the disc."""
    img = resize(shepp_logan_phantom(), (size, size), anti_aliasing=True)
    img[size // 4 : size // 4 + max(1, size // 20), size // 2 : size // 2 + size // 12] += 0.7
    rows, cols = np.ogrid[:size, :size]
    img[(rows - size // 2) ** 2 + (cols - size // 2) ** 2 > (size // 2) ** 2] = 0.0
    return img


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


ANGLES_30 = np.linspace(0.0, 180.0, 30, endpoint=False)


# ----------------------------------------------------------------------------- adjoints (hypothesis)


@FAST
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 12), w=st.integers(1, 12), seed=st.integers(0, 10**6))
def test_identity_adjoint(n, c, h, w, seed):
    _assert_adjoint(ops.Identity(), _rand((n, c, h, w), seed), seed)


@FAST
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    per_sample=st.booleans(),
    seed=st.integers(0, 10**6),
)
def test_inpainting_adjoint(n, c, h, w, per_sample, seed):
    mask_shape = (n if per_sample else 1, 1, h, w)
    mask = torch.rand(mask_shape, generator=torch.Generator().manual_seed(seed)) < 0.6
    _assert_adjoint(ops.Inpainting(mask), _rand((n, c, h, w), seed), seed)


@FAST
@given(
    kh=st.integers(1, 7),
    kw=st.integers(1, 7),
    extra_h=st.integers(0, 8),
    extra_w=st.integers(0, 8),
    c=st.integers(1, 3),
    padding=st.sampled_from(["circular", "zeros"]),
    seed=st.integers(0, 10**6),
)
def test_blur_adjoint(kh, kw, extra_h, extra_w, c, padding, seed):
    op = ops.Blur(_rand((kh, kw), seed), padding=padding)
    _assert_adjoint(op, _rand((2, c, kh + extra_h, kw + extra_w), seed + 7), seed)


@FAST
@given(factor=st.integers(1, 4), h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 3), seed=st.integers(0, 10**6))
def test_downsampling_adjoint(factor, h, w, c, seed):
    _assert_adjoint(ops.Downsampling(factor), _rand((2, c, factor * h, factor * w), seed), seed)


@FAST
@given(
    size=st.integers(4, 24),
    n_angles=st.integers(1, 12),
    det_change=st.one_of(st.none(), st.integers(-3, 8)),
    seed=st.integers(0, 10**6),
)
def test_radon_adjoint(size, n_angles, det_change, seed):
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-30.0, 200.0, n_angles)
    n_det = None if det_change is None else max(1, size + det_change)
    op = ops.Radon(size, angles, n_detectors=n_det)
    _assert_adjoint(op, _rand((2, 1, size, size), seed), seed)


@pytest.mark.parametrize(
    "op,shape",
    [
        (ops.Blur(ops.gaussian_kernel(5, 1.0)), (2, 3, 16, 16)),
        (ops.Blur(ops.box_kernel(4), padding="zeros"), (2, 3, 16, 16)),
        (ops.Downsampling(2), (2, 3, 16, 16)),
        (ops.Inpainting(ops.center_hole_mask(16, 4)), (2, 3, 16, 16)),
        (ops.Radon(32, ANGLES_30), (4, 1, 32, 32)),
    ],
    ids=repr,
)
def test_adjoint_float32(op, shape):
    """The float32 path (the one used for training) is adjoint to float32 rounding."""
    _assert_adjoint(op, _rand(shape, 3, torch.float32), 3, rtol=1e-4)


# ----------------------------------------------------------------------------- Blur


@pytest.mark.parametrize("kernel_shape", [(3, 3), (5, 5), (4, 4), (2, 2), (5, 2), (1, 6), (7, 3), (1, 1)])
@pytest.mark.parametrize("padding,mode", [("circular", "wrap"), ("zeros", "constant")])
def test_blur_matches_scipy_convolve(kernel_shape, padding, mode):
    rng = np.random.default_rng(0)
    kernel = rng.random(kernel_shape).astype(np.float32)
    images = rng.random((2, 3, 13, 16)).astype(np.float32)
    ours = ops.Blur(kernel, padding=padding)(torch.from_numpy(images)).numpy()
    for i in range(2):
        for c in range(3):
            ref = scipy.ndimage.convolve(images[i, c], kernel, mode=mode, cval=0.0)
            np.testing.assert_allclose(ours[i, c], ref, atol=1e-5, rtol=1e-5, err_msg=f"{kernel_shape} {padding}")


def test_blur_kernels():
    g = ops.gaussian_kernel(7, 1.5)
    assert g.shape == (7, 7) and float(g.sum()) == pytest.approx(1.0, abs=1e-6)
    assert torch.allclose(g, g.T) and torch.allclose(g, g.flip(0)), "a Gaussian kernel is symmetric"
    assert int(g.argmax()) == 3 * 7 + 3, "an odd Gaussian kernel peaks at its centre"
    assert ops.gaussian_kernel(4, 1.0).shape == (4, 4)
    b = ops.box_kernel(3)
    assert torch.allclose(b, torch.full((3, 3), 1 / 9)) and float(b.sum()) == pytest.approx(1.0)
    x = torch.rand(1, 1, 8, 8)
    assert torch.allclose(ops.Blur(ops.box_kernel(1))(x), x), "a 1x1 box is the identity"


def test_blur_preserves_constants_circular():
    x = torch.full((1, 2, 10, 12), 0.3)
    assert torch.allclose(ops.Blur(ops.gaussian_kernel(5, 2.0))(x), x, atol=1e-6)


# ----------------------------------------------------------------------------- Downsampling


@pytest.mark.parametrize("factor", [1, 2, 3, 4])
def test_downsampling_matches_skimage(factor):
    images = np.random.default_rng(factor).random((2, 3, 12, 24))
    ours = ops.Downsampling(factor)(torch.from_numpy(images)).numpy()
    ref = downscale_local_mean(images, (1, 1, factor, factor))
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    up = ops.Downsampling(factor).adjoint(torch.from_numpy(ours))
    assert up.shape == images.shape


# ----------------------------------------------------------------------------- Inpainting


def test_center_hole_mask():
    mask = ops.center_hole_mask(28, 8)
    assert mask.shape == (1, 1, 28, 28)
    assert int((mask == 0).sum()) == 64
    assert torch.all(mask[0, 0, 10:18, 10:18] == 0) and float(mask.sum()) == 28 * 28 - 64
    assert torch.equal(mask, mask.flip(-1)) and torch.equal(mask, mask.flip(-2)), "the hole must be centred"
    assert float(ops.center_hole_mask(5, 0).sum()) == 25


def test_inpainting_forward():
    x = torch.rand(3, 2, 28, 28)
    op = ops.Inpainting(ops.center_hole_mask(28, 8))
    y = op(x)
    assert torch.all(y[..., 10:18, 10:18] == 0)
    assert torch.equal(y[..., :10, :], x[..., :10, :])
    assert torch.equal(op.adjoint(y), y), "the mask is self-adjoint and idempotent"
    bool_mask = ops.Inpainting(ops.center_hole_mask(28, 8) > 0.5)
    assert torch.equal(bool_mask(x), y)


# ----------------------------------------------------------------------------- Radon


def test_radon_matches_skimage_radon():
    img = _phantom(64)
    op = ops.Radon(64, ANGLES_30)
    ours = op(torch.from_numpy(img)[None, None])
    assert ours.shape == (1, 1, 30, 64)
    ref = radon(img, theta=ANGLES_30, circle=True)  # (n_detectors, n_angles)
    # same sample points and bilinear weights as skimage: measured 8.4e-16 (float64), 1.5e-7 (float32)
    assert _rel(ours[0, 0].numpy().T, ref) < 1e-10
    ours32 = op(torch.from_numpy(img).float()[None, None])
    assert _rel(ours32[0, 0].numpy().T, ref) < 1e-5


def test_radon_matches_skimage_odd_size_and_irregular_angles():
    img = _phantom(45)
    angles = np.array([-20.0, 0.0, 13.7, 90.0, 133.3, 179.0, 250.0])
    ours = ops.Radon(45, angles)(torch.from_numpy(img)[None, None])[0, 0].numpy().T
    assert _rel(ours, radon(img, theta=angles, circle=True)) < 1e-10  # measured ~1e-15


def test_radon_more_detectors_pads_centred():
    img = _phantom(32)
    ours = ops.Radon(32, ANGLES_30, n_detectors=40)(torch.from_numpy(img)[None, None])[0, 0].numpy().T
    ref = radon(img, theta=ANGLES_30, circle=True)
    assert ours.shape == (40, 30)
    assert _rel(ours[4:36], ref) < 1e-10
    # bilinear weights reach 1 pixel in each axis: rays farther than radius + sqrt(2) see nothing
    assert np.abs(ours[:2]).max() == 0 and np.abs(ours[38:]).max() == 0, "bins beyond the disc see nothing"


def test_radon_orientation():
    """theta=0 sums over rows (detector = column); theta=90 puts row r at detector c - r + c."""
    size, c = 32, 16
    img = np.zeros((size, size))
    img[10, 20] = 1.0  # row 10, column 20: above and right of the centre (16, 16)
    sino = ops.Radon(size, [0.0, 90.0, 45.0])(torch.from_numpy(img)[None, None])[0, 0].numpy()
    assert int(np.argmax(sino[0])) == 20, "at 0 degrees the detector coordinate is the column"
    assert int(np.argmax(sino[1])) == c + (c - 10), "at 90 degrees the detector coordinate is -(row - c)"
    t45 = (20 - c) * np.cos(np.pi / 4) - (10 - c) * np.sin(np.pi / 4) + c
    assert abs(float((sino[2] * np.arange(size)).sum() / sino[2].sum()) - t45) < 0.5
    ref = radon(img, theta=[0.0, 90.0, 45.0], circle=True).T
    assert _rel(sino, ref) < 1e-10
    assert np.allclose(sino[:2].sum(axis=1), 1.0), "axis-aligned projections of a pixel integrate to its mass"
    # at oblique angles skimage's rotate-and-sum model (hence ours) is not mass-preserving pixel by pixel:
    # the columns of A at 45 degrees sum to 0.83..1.34 inside the disc (mean 1.00, std 0.10); here 0.87
    assert 0.8 < sino[2].sum() < 1.4


def test_fbp_matches_skimage_iradon():
    img = _phantom(64)
    op = ops.Radon(64, ANGLES_30)
    y = op(torch.from_numpy(img)[None, None])
    sino = y[0, 0].numpy().T
    for name in ("ramp", "shepp-logan", "cosine", "hamming", "hann", None):
        ours = op.fbp(y, filter=name)[0, 0].numpy()
        ref = iradon(sino, theta=ANGLES_30, filter_name=name, circle=True)
        # same zero-padding, filter and pixel-driven linear back-projection: measured ~3e-15 (float64)
        assert _rel(ours, ref) < 1e-10, f"filter {name}"
    ours32 = op.fbp(y.float())[0, 0].numpy()
    assert _rel(ours32, iradon(sino, theta=ANGLES_30, circle=True)) < 1e-5  # float32: measured 2.8e-7


def test_fbp_reconstructs_phantom():
    img = _phantom(64)
    op = ops.Radon(64, np.linspace(0, 180, 180, endpoint=False))
    rec = op.fbp(op(torch.from_numpy(img)[None, None]))[0, 0].numpy()
    assert _rel(rec, img) < 0.25  # measured 0.18 (resolution loss at the phantom's sharp edges)


def test_radon_shapes_and_matrix():
    op = ops.Radon(16, [0, 45, 90], n_detectors=20)
    assert op.in_shape == (1, 16, 16) and op.out_shape == (1, 3, 20)
    assert op.matrix.shape == (60, 256)
    x = _rand((1, 1, 16, 16), 0)
    dense = op.to_matrix()
    assert torch.allclose(dense @ x.flatten(), op(x).flatten())
    np.testing.assert_allclose(dense.numpy(), op.matrix.toarray(), atol=1e-12)


def test_radon_copy_and_pickle():
    op = ops.Radon(16, np.linspace(0, 180, 10, endpoint=False))
    x = torch.rand(2, 1, 16, 16)
    y = op(x)  # fills the cache of torch sparse tensors, which cannot be deep-copied
    for clone in (copy.deepcopy(op), pickle.loads(pickle.dumps(op))):
        assert torch.equal(clone(x), y)
        assert torch.equal(clone.fbp(y), op.fbp(y))


# ----------------------------------------------------------------------------- norm, Tikhonov, dense matrix

SMALL_OPS = [
    (ops.Identity(), (1, 1, 6, 6)),
    (ops.Blur(ops.gaussian_kernel(3, 1.0), padding="zeros"), (1, 1, 8, 8)),
    (ops.Blur(torch.tensor([[0.0, 1.0], [2.0, -0.5]]), padding="circular"), (1, 2, 6, 6)),
    (ops.Downsampling(2), (1, 1, 8, 8)),
    (ops.Inpainting(ops.center_hole_mask(8, 2)), (1, 1, 8, 8)),
    (ops.Radon(12, np.linspace(0, 180, 8, endpoint=False)), None),
]


@pytest.mark.parametrize("op,shape", SMALL_OPS, ids=repr)
def test_norm_matches_largest_singular_value(op, shape):
    dense = op.to_matrix(shape)
    s_max = float(torch.linalg.matrix_norm(dense, ord=2))
    estimate = op.norm(n_iter=100, shape=shape, generator=torch.Generator().manual_seed(0))
    assert isinstance(estimate, float)
    assert estimate == pytest.approx(s_max, rel=1e-4)


def test_norm_known_values():
    assert ops.Downsampling(4).norm(shape=(1, 1, 16, 16)) == pytest.approx(0.25, rel=1e-6)
    assert ops.Inpainting(ops.center_hole_mask(8, 4)).norm(shape=(1, 1, 8, 8)) == pytest.approx(1.0, rel=1e-6)
    assert ops.Inpainting(torch.zeros(1, 1, 4, 4)).norm(shape=(1, 1, 4, 4)) == 0.0
    # circular convolution: the norm is the largest |DFT| of the kernel, 1 for a normalised positive kernel
    assert ops.Blur(ops.gaussian_kernel(5, 1.0)).norm(shape=(1, 1, 16, 16)) == pytest.approx(1.0, rel=1e-4)


@pytest.mark.parametrize("op,shape", SMALL_OPS, ids=repr)
def test_to_matrix_matches_forward(op, shape):
    dense = op.to_matrix(shape)
    x = _rand(shape or (1, *op.in_shape), 1)
    assert torch.allclose(dense @ x.flatten(), op(x).flatten(), atol=1e-12)


@pytest.mark.parametrize(
    "op,shape,delta",
    [
        (ops.Blur(ops.gaussian_kernel(7, 2.0)), (3, 1, 24, 24), 1e-3),
        (ops.Blur(ops.box_kernel(4), padding="zeros"), (2, 3, 16, 16), 1e-2),
        (ops.Downsampling(3), (2, 2, 18, 18), 1e-2),
        (ops.Inpainting(ops.center_hole_mask(16, 6)), (2, 1, 16, 16), 0.1),
        (ops.Radon(32, np.linspace(0, 180, 20, endpoint=False)), (3, 1, 32, 32), 1.0),
    ],
    ids=repr,
)
def test_pinv_tikhonov_solves_normal_equations(op, shape, delta):
    y = op(_rand(shape, 0)) + 0.01 * _rand(op(_rand(shape, 0)).shape, 1)
    x = op.pinv_tikhonov(y, delta, n_iter=500, tol=1e-10)
    assert x.shape == shape
    b = op.adjoint(y)
    residual = op.normal(x) + delta * x - b
    for i in range(shape[0]):  # every sample of the batch is solved
        assert float(residual[i].norm() / b[i].norm()) < 1e-6


def test_pinv_tikhonov_matches_dense_solve():
    op = ops.Radon(10, np.linspace(0, 180, 6, endpoint=False))
    dense = op.to_matrix()
    y = _rand((2, *op.out_shape), 0)
    delta = 0.5
    lhs = dense.T @ dense + delta * torch.eye(dense.shape[1], dtype=dense.dtype)
    expected = torch.linalg.solve(lhs, dense.T @ y.reshape(2, -1).T).T.reshape(2, *op.in_shape)
    x = op.pinv_tikhonov(y, delta, n_iter=300, tol=1e-12)
    assert torch.allclose(x, expected, atol=1e-8)


def test_pinv_tikhonov_inpainting_closed_form():
    mask = ops.center_hole_mask(8, 2)
    y = _rand((2, 1, 8, 8), 0) * mask
    x = ops.Inpainting(mask).pinv_tikhonov(y, 0.25)
    assert torch.allclose(x, y / 1.25, atol=1e-10), "(M + delta I)^{-1} M y = y / (1 + delta) on observed pixels"


# ----------------------------------------------------------------------------- autograd


@pytest.mark.parametrize(
    "op,shape",
    [
        (ops.Identity(), (2, 1, 6, 6)),
        (ops.Inpainting(ops.center_hole_mask(6, 2)), (2, 1, 6, 6)),
        (ops.Blur(ops.gaussian_kernel(3, 1.0)), (2, 2, 6, 6)),
        (ops.Blur(ops.box_kernel(2), padding="zeros"), (2, 2, 6, 6)),
        (ops.Downsampling(2), (2, 2, 6, 6)),
        (ops.Radon(8, [0.0, 30.0, 75.0]), (2, 1, 8, 8)),
    ],
    ids=repr,
)
def test_gradients_flow(op, shape):
    x = _rand(shape, 0).requires_grad_()
    y = _rand(op(x).shape, 1)
    loss = 0.5 * ((op(x) - y) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        expected = op.adjoint(op(x) - y)
    assert torch.allclose(x.grad, expected, atol=1e-10), "the gradient of 0.5||Ax - y||^2 is A*(Ax - y)"
    torch.autograd.gradcheck(op.forward, (x.detach().requires_grad_(),), fast_mode=True)
    torch.autograd.gradcheck(op.adjoint, (y.detach().requires_grad_(),), fast_mode=True)


def test_radon_second_order_and_fbp_gradients():
    op = ops.Radon(8, [0.0, 60.0, 120.0])
    x = _rand((1, 1, 8, 8), 0).requires_grad_()
    torch.autograd.gradgradcheck(lambda t: (op(t) ** 2).sum(), (x,), fast_mode=True)
    y = op(x.detach()).requires_grad_()
    torch.autograd.gradcheck(op.fbp, (y,), fast_mode=True)


def test_pinv_tikhonov_is_differentiable():
    op = ops.Blur(ops.gaussian_kernel(3, 1.0))
    y = _rand((1, 1, 6, 6), 0).requires_grad_()
    op.pinv_tikhonov(y, 0.1, n_iter=50, tol=0.0).sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all()


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: ops.Identity()(torch.rand(4, 4)), r"shape \(N, C, H, W\).*img\[None, None\]"),
        (lambda: ops.Identity()(torch.ones(1, 1, 4, 4, dtype=torch.int64)), "floating-point.*float()"),
        (lambda: ops.Identity()(np.zeros((1, 1, 4, 4))), "torch.Tensor"),
        (lambda: ops.Blur(torch.ones(1, 1, 3, 3)), "2-D.*kernel\\[0, 0\\]"),
        (lambda: ops.Blur(torch.ones(3, 3), padding="reflect"), "padding must be one of"),
        (lambda: ops.Blur(torch.tensor([[1.0, float("nan")]])), "NaN"),
        (lambda: ops.Blur(torch.ones(9, 9))(torch.rand(1, 1, 5, 5)), "larger than.*padding='zeros'"),
        (lambda: ops.Blur(torch.ones(3, 3)).adjoint(torch.rand(5, 5)), "y must have shape"),
        (lambda: ops.gaussian_kernel(5, 0.0), "sigma must be finite and > 0"),
        (lambda: ops.gaussian_kernel(0, 1.0), "size must be an integer >= 1"),
        (lambda: ops.box_kernel(2.5), "size must be an integer"),
        (lambda: ops.Downsampling(0), "factor must be an integer >= 1"),
        (lambda: ops.Downsampling(3)(torch.rand(1, 1, 8, 9)), "not divisible by the factor 3"),
        (lambda: ops.Inpainting(torch.full((1, 1, 4, 4), 0.5)), "only 0 .* and 1"),
        (lambda: ops.Inpainting(torch.ones(1, 1, 4, 4))(torch.rand(1, 1, 5, 5)), "does not broadcast.*\\(1, 1, 5, 5\\)"),
        (lambda: ops.Inpainting(torch.ones(3, 1, 4, 4))(torch.rand(1, 1, 4, 4)), "does not broadcast"),
        (lambda: ops.center_hole_mask(8, 10), "hole .* must not exceed size"),
        (lambda: ops.Radon(1, [0.0]), "size must be an integer >= 2"),
        (lambda: ops.Radon(16, []), "non-empty 1-D array"),
        (lambda: ops.Radon(16, [[0.0, 1.0]]), "non-empty 1-D array"),
        (lambda: ops.Radon(16, [0.0, float("inf")]), "finite"),
        (lambda: ops.Radon(16, ["a"]), "angles must be"),
        (lambda: ops.Radon(16, [0.0], n_detectors=0), "n_detectors must be an integer >= 1"),
        (lambda: ops.Radon(8, [0.0])(torch.rand(1, 3, 8, 8)), "one channel"),
        (lambda: ops.Radon(8, [0.0])(torch.rand(1, 1, 9, 9)), r"shape \(N, 1, 8, 8\)"),
        (lambda: ops.Radon(8, [0.0])(torch.rand(1, 1, 8, 8).half()), "float32 or float64"),
        (lambda: ops.Radon(8, [0.0, 1.0]).adjoint(torch.rand(1, 1, 3, 8)), r"y must have shape \(N, 1, 2, 8\)"),
        (lambda: ops.Radon(8, [0.0]).fbp(torch.rand(1, 1, 1, 8), filter="ramp-lak"), "filter must be one of"),
        (lambda: ops.Blur(ops.box_kernel(3)).norm(), "pass the input shape"),
        (lambda: ops.Blur(ops.box_kernel(3)).norm(shape=(8, 8)), r"\(N, C, H, W\)"),
        (lambda: ops.Identity().pinv_tikhonov(torch.rand(1, 1, 4, 4), -1.0), "delta must be finite and >= 0"),
        (lambda: ops.Radon(8, [0.0]).to_matrix(shape=(2, 1, 8, 8)), "one sample"),
    ],
)
def test_bad_inputs_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
