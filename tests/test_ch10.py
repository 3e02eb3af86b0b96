"""Unit tests of course_lib.unrolled (chapter 10: learned gradient descent, RIMs)."""

from __future__ import annotations

import torch

from course_lib import ct, unrolled
from course_lib.operators import Blur, Downsampling


def _blur():
    k = torch.zeros(3, 3, dtype=torch.float64)
    k[1, 0], k[1, 1], k[0, 2] = 0.5, 0.3, 0.2
    return Blur(k)


def test_data_gradient_matches_autograd():
    A = _blur()
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 1, 8, 8, generator=gen, dtype=torch.float64)
    y = torch.rand(2, 1, 8, 8, generator=gen, dtype=torch.float64)
    auto = unrolled.autograd_gradient(A.forward, unrolled.gaussian_nll, x, y)
    assert torch.allclose(unrolled.data_gradient(A, x, y), auto, atol=1e-12)


def test_saturating_and_poisson_gaussian_gradients_follow_the_chain_rule():
    A = Downsampling(2)
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(1, 1, 6, 6, generator=gen, dtype=torch.float64)
    y = torch.rand(1, 1, 3, 3, generator=gen, dtype=torch.float64)
    gain = 1.5
    auto = unrolled.autograd_gradient(lambda v: unrolled.saturating_forward(A, v, gain), unrolled.gaussian_nll, x, y)
    t = torch.tanh(gain * A.forward(x))
    assert torch.allclose(auto, A.adjoint((1 - t**2) * (t / gain - y)), atol=1e-12)
    a, b = 0.1, 0.02
    m = A.forward(x)
    v, r = a * m + b, y - m
    analytic = A.adjoint(-r / v + 0.5 * a * (1 / v - r**2 / v**2))
    auto = unrolled.autograd_gradient(A.forward, lambda mm, yy: unrolled.poisson_gaussian_nll(mm, yy, a, b), x, y)
    assert torch.allclose(auto, analytic, atol=1e-10)


def test_gradient_descent_converges_on_a_well_posed_problem():
    A = _blur()
    gen = torch.Generator().manual_seed(2)
    x_true = torch.rand(1, 1, 6, 6, generator=gen, dtype=torch.float64)
    y = A.forward(x_true)
    step = unrolled.step_scale(A, (1, 1, 6, 6))
    x, kept = unrolled.gradient_descent(lambda v: unrolled.data_gradient(A, v, y), torch.zeros_like(x_true), step,
                                        300, record=(0, 300))
    res0 = (A.forward(kept[0]) - y).norm()
    assert (A.forward(x) - y).norm() < 0.05 * res0 and set(kept) == {0, 300}


def test_rim_shapes_shared_weights_and_ablation():
    for memory in (True, False):
        torch.manual_seed(0)
        net = unrolled.RIM(width=4, hidden=3, steps=4, memory=memory)
        x0 = torch.rand(2, 1, 8, 8)
        its = net(x0, lambda x: x - 0.5)
        assert len(its) == 4 and all(v.shape == x0.shape for v in its)
        assert len(net(x0, lambda x: x, steps=2)) == 2
    rim, lgd = unrolled.build_rim(), unrolled.build_ablation()
    n_rim = sum(p.numel() for p in rim.parameters())
    n_lgd = sum(p.numel() for p in lgd.parameters())
    assert abs(n_rim - n_lgd) < 0.2 * n_rim, "the ablation has about as many weights as the RIM"
    assert not hasattr(lgd.cell, "gates")


def test_rim_memory_changes_the_update():
    torch.manual_seed(0)
    net = unrolled.RIM(width=4, hidden=3, steps=2)
    x, g = torch.rand(1, 1, 6, 6), torch.rand(1, 1, 6, 6)
    a, h = net.step(x, g, None)
    b, _ = net.step(x, g, h)
    assert not torch.allclose(a, b), "the same (x, g) with another hidden state gives another update"


def test_iterate_loss_weights():
    t = torch.zeros(1, 1, 2, 2)
    its = [torch.ones(1, 1, 2, 2), 2 * torch.ones(1, 1, 2, 2)]
    assert float(unrolled.iterate_loss(its, t)) == 2.5
    assert float(unrolled.iterate_loss(its, t, [0.0, 1.0])) == 4.0


def test_ct_problem_shapes():
    x, y = ct.ct_data("train", 2)
    p = unrolled.ct_problem(y)
    assert p.x0().shape == x.shape and p.grad(x).shape == x.shape
    assert 0 < p.scale < 1e-2
    p20 = unrolled.ct_problem(ct.ct_data("eval", 1, ct.shifted(n_angles=20))[1], ct.shifted(n_angles=20))
    assert p20.scale > p.scale, "fewer angles: smaller ||A||, larger step"


def test_natural_problems_start_shapes():
    x = torch.rand(2, 1, 16, 16)
    gen = torch.Generator().manual_seed(0)
    k = unrolled.blur_kernels(1)[0]
    for task in ("denoise", "deblur", "sr2"):
        p = unrolled.natural_problem(task, x, gen, k if task == "deblur" else None)
        assert p.x0().shape == x.shape and p.grad(x).shape == x.shape


def test_lpd_forward_shapes():
    x, y = ct.ct_data("train", 1)
    its = unrolled.LearnedPrimalDual(steps=2, width=4)(y, ct.operator(), unrolled.ct_problem(y).scale)
    assert len(its) == 2 and its[-1].shape == x.shape


def test_builders_and_trainers_cover_the_model_names():
    for name in unrolled.MODEL_NAMES:
        assert callable(unrolled.builder(name)) and callable(unrolled.trainer(name))
