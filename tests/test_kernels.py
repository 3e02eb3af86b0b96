"""course_lib.kernels: random-trajectory motion blur (Boracchi & Foi / DeblurGAN) and the FFT blur."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import kernels, operators


@pytest.mark.parametrize("seed", range(12))
def test_kernel_is_a_centred_probability_mass(seed):
    anxiety = [0.003, 0.01, 0.05, 0.1][seed % 4]
    k = kernels.motion_blur_kernel(15.0, anxiety=anxiety, rng=seed)
    assert k.shape == (31, 31) and k.dtype == torch.float32
    assert float(k.min()) >= 0.0
    assert abs(float(k.double().sum()) - 1.0) < 1e-6
    row, col = kernels.kernel_centroid(k)
    assert abs(row - 15) < 0.5 and abs(col - 15) < 0.5, (row, col)
    assert abs(row - 15) < 1e-4 and abs(col - 15) < 1e-4  # exact up to float32 rounding


def test_blurring_does_not_shift_the_image():
    """With the centroid at the centre pixel, a blurred image keeps its centre of mass."""
    img = torch.zeros(1, 1, 64, 64, dtype=torch.float64)
    img[0, 0, 30:34, 25:29] = 1.0  # a small square, far from the borders
    for seed in range(4):
        k = kernels.motion_blur_kernel(12.0, anxiety=0.005, rng=seed).double()
        out = operators.Blur(k, padding="zeros")(img)[0, 0].numpy()
        r, c = np.indices(out.shape)
        centre = ((r * out).sum() / out.sum(), (c * out).sum() / out.sum())
        assert abs(centre[0] - 31.5) < 1e-6 and abs(centre[1] - 26.5) < 1e-6


def test_trajectory_has_the_requested_length_and_is_reproducible():
    a = kernels.random_trajectory(20.0, 0.01, rng=3)
    b = kernels.random_trajectory(20.0, 0.01, rng=np.random.default_rng(3))
    assert np.array_equal(a.positions, b.positions)
    assert a.positions.shape == (2000,) and a.positions[0] == 0
    assert abs(a.length - 20.0) < 1e-9
    assert a.extent <= 20.0
    assert 0 <= a.inertia <= 0.7 and 0 <= a.p_big <= 0.2 and 0 <= a.gaussian_shake <= 10
    c = kernels.random_trajectory(20.0, 0.01, rng=4)
    assert not np.array_equal(a.positions, c.positions)


def test_zero_anxiety_gives_a_straight_line():
    t = kernels.random_trajectory(10.0, 0.0, n_steps=101, rng=0)
    steps = np.diff(t.positions)
    assert np.allclose(steps, steps[0])
    assert abs(t.extent - 5.0) < 1e-9


def test_straight_horizontal_path_gives_a_box_kernel():
    positions = np.linspace(0, 4, 401).astype(complex)  # 4 px to the right
    k = kernels.trajectory_to_kernel(positions, size=7).numpy()
    assert np.allclose(k[[0, 1, 2, 4, 5, 6]], 0)
    row = k[3]
    assert np.allclose(row, row[::-1], atol=1e-6)
    assert abs(kernels.kernel_centroid(k)[1] - 3) < 1e-6


def test_batch_is_a_prefix_and_has_one_size():
    a = kernels.motion_blur_kernels(3, 10.0, anxiety=(0.003, 0.01), seed=5)
    b = kernels.motion_blur_kernels(5, 10.0, anxiety=(0.003, 0.01), seed=5)
    assert a.shape == (3, 21, 21) and b.shape == (5, 21, 21)
    assert torch.equal(a, b[:3])


def test_too_small_size_is_an_error_naming_the_fix():
    t = kernels.random_trajectory(20.0, 0.003, rng=1)
    need = 2 * math.ceil(max(np.abs((t.positions - t.positions.mean()).real).max(),
                              np.abs((t.positions - t.positions.mean()).imag).max())) + 1
    with pytest.raises(ValueError, match=f"size >= {need}"):
        kernels.trajectory_to_kernel(t, size=need - 2)
    kernels.trajectory_to_kernel(t, size=need)


@pytest.mark.parametrize("kwargs, match", [
    ({"max_length": -1.0}, "max_length"),
    ({"max_length": 5.0, "anxiety": -0.1}, "anxiety"),
    ({"max_length": 5.0, "n_steps": 1}, "n_steps"),
    ({"max_length": 5.0, "rng": -3}, "rng"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kernels.random_trajectory(**kwargs)


def test_centroid_rejects_negative_kernels():
    with pytest.raises(ValueError, match="non-negative"):
        kernels.kernel_centroid(np.array([[1.0, -1.0]]))


@pytest.mark.parametrize("shape", [(2, 1, 32, 32), (1, 2, 33, 40)])
def test_fft_blur_equals_circular_blur_and_is_adjoint(shape):
    k = kernels.motion_blur_kernel(8.0, anxiety=0.01, rng=2).double()[:, :15]  # non-square, even width
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    y = torch.randn(shape, generator=gen, dtype=torch.float64)
    A, B = operators.Blur(k, padding="circular"), kernels.FFTBlur(k)
    assert torch.allclose(A(x), B(x), atol=1e-12)
    assert torch.allclose(A.adjoint(y), B.adjoint(y), atol=1e-12)
    assert abs(float((B(x) * y).sum() - (x * B.adjoint(y)).sum())) < 1e-9


def test_transfer_function_of_a_delta_is_one():
    delta = np.zeros((5, 5))
    delta[2, 2] = 1
    h = kernels.transfer_function(delta, (16, 16))
    assert torch.allclose(h, torch.ones_like(h))
    with pytest.raises(ValueError, match="does not fit"):
        kernels.transfer_function(np.ones((20, 3)), (16, 16))
