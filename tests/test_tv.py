"""course_lib.tv: the gradient/divergence pair, the gap, and Chambolle-Pock against scikit-image."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.restoration import denoise_tv_chambolle

from course_lib import kernels, operators, tv


def _image(size=48, seed=0):
    """A piecewise-constant test image in [0.1, 0.9] plus noise, clipped to [0, 1]."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:size, 0:size] / size
    clean = 0.2 + 0.5 * ((r - 0.5) ** 2 + (c - 0.4) ** 2 < 0.08) + 0.2 * (c > 0.7)
    return clean, np.clip(clean + 0.1 * rng.standard_normal(clean.shape), 0, 1)


def test_divergence_is_the_negative_adjoint_of_the_gradient():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 7, 5, generator=gen, dtype=torch.float64)
    p = torch.randn(2, 3, 2, 7, 5, generator=gen, dtype=torch.float64)
    lhs = (tv.gradient(x) * p).sum()
    rhs = -(x * tv.divergence(p)).sum()
    assert abs(float(lhs - rhs)) < 1e-10
    g = tv.gradient(x)
    assert torch.all(g[:, :, 0, -1] == 0) and torch.all(g[:, :, 1, :, -1] == 0)


def test_total_variation_of_a_step():
    x = torch.zeros(1, 1, 4, 6, dtype=torch.float64)
    x[..., 3:] = 1.0
    assert float(tv.total_variation(x)[0]) == pytest.approx(4.0)


def test_denoising_matches_skimage_with_lambda_equal_weight():
    _, y = _image()
    lam = 0.1
    ours = tv.solve_tv(torch.from_numpy(y)[None, None], lam, tol=1e-6, max_iter=20000)
    assert ours.converged and ours.gaps[-1] <= 1e-6
    ref = denoise_tv_chambolle(y, weight=lam, eps=1e-12, max_num_iter=20000)
    diff = ours.x[0, 0].numpy() - ref
    assert np.sqrt(np.mean(diff**2)) < 2e-4 and np.abs(diff).max() < 2e-3
    # weight = 1 / lambda (the docstring's other normalisation) is a different problem
    other = denoise_tv_chambolle(y, weight=1 / lam, max_num_iter=500)
    assert np.sqrt(np.mean((ours.x[0, 0].numpy() - other) ** 2)) > 1e-2


def test_gap_bounds_the_suboptimality_and_is_never_negative():
    _, y = _image(32, 1)
    yt = torch.from_numpy(y)[None, None]
    fine = tv.solve_tv(yt, 0.05, tol=1e-7, max_iter=20000)
    coarse = tv.solve_tv(yt, 0.05, tol=1e-2, max_iter=20000)
    p_star = float(fine.primal[0]) - float(fine.gap[0])  # a lower bound of min P
    assert float(coarse.gap[0]) >= 0
    assert float(coarse.primal[0]) - p_star <= float(coarse.gap[0]) + 1e-9
    assert all(g >= 0 for g in coarse.gaps)


@pytest.mark.parametrize("make_operator", [
    lambda: kernels.FFTBlur(kernels.motion_blur_kernel(7.0, anxiety=0.005, rng=4).double()),
    lambda: operators.Blur(operators.gaussian_kernel(7, 1.5).double()),
    lambda: operators.Downsampling(2),
], ids=["motion-blur", "gaussian-blur", "downsampling"])
def test_operator_problems_reach_the_tolerance(make_operator):
    clean, _ = _image(32, 2)
    A = make_operator()
    x = torch.from_numpy(clean)[None, None]
    gen = torch.Generator().manual_seed(3)
    ax = A(x)
    y = ax + 0.01 * torch.randn(ax.shape, generator=gen, dtype=torch.float64)
    res = tv.solve_tv(y, 2e-3, A, tol=1e-4, max_iter=5000)
    assert res.converged and res.gaps[-1] <= 1e-4
    assert float(res.x.min()) >= 0 and float(res.x.max()) <= 1
    assert res.tau * res.sigma * res.op_norm**2 == pytest.approx(1.0)


def test_sparse_angle_radon_reaches_the_tolerance():
    from course_lib import data

    x = data.ellipse_phantoms(1, 32, seed=0).double()
    R = operators.Radon(32, np.linspace(0, 180, 12, endpoint=False))
    y = R(x)
    res = tv.solve_tv(y, 0.2, R, tol=1e-4, max_iter=5000)
    assert res.converged


def test_thread_setting_is_restored():
    before = torch.get_num_threads()
    tv.solve_tv(torch.rand(1, 1, 8, 8, dtype=torch.float64), 0.1, max_iter=5)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("kwargs, match", [
    ({"lam": 0.0}, "lam"), ({"lam": float("nan")}, "lam"), ({"lam": 0.1, "tol": -1.0}, "tol"),
    ({"lam": 0.1, "max_iter": 0}, "max_iter"), ({"lam": 0.1, "safety": 0.5}, "safety"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tv.solve_tv(torch.rand(1, 1, 8, 8), **kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        tv.solve_tv(torch.rand(8, 8), 0.1)
    with pytest.raises(ValueError, match="x0"):
        tv.solve_tv(torch.rand(1, 1, 8, 8), 0.1, x0=torch.rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match="divergence"):
        tv.divergence(torch.rand(1, 1, 3, 4, 4))
