"""Unit tests of chapter 08's code: GAN inversion (course_lib.inversion) and the flow (course_lib.models.flow)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_lib import inversion
from course_lib.models import flow as flows


class LinearGenerator(nn.Module):
    """G(z) = sigmoid(W z) reshaped to images: small, smooth, with a known range."""

    latent = 4

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Linear(4, 784)
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, z):
        return torch.sigmoid(self.w(z)).view(-1, 1, 28, 28)


@pytest.fixture
def toy_g():
    torch.manual_seed(0)
    return LinearGenerator()


# --------------------------------------------------------------------------- flow
@pytest.mark.parametrize("dim", [2, 3, 4])
def test_flow_logdet_equals_autograd_jacobian(dim):
    model = flows.build_flow(1, dim=dim, blocks=3, hidden=16)
    with torch.no_grad():  # make the couplings non-trivial (their last layers start at zero)
        for layer in model.layers:
            if isinstance(layer, flows.AffineCoupling):
                layer.net[-1].weight.normal_(0, 0.5)
                layer.net[-1].bias.normal_(0, 0.5)
            else:
                layer.log_s.normal_(0, 0.3)
    x = torch.randn(5, dim, generator=torch.Generator().manual_seed(2))
    z, logdet = model.encode(x)
    reference = flows.jacobian_logdet(lambda v: model.encode(v)[0], x)
    assert torch.allclose(logdet.detach(), reference, atol=1e-4), (logdet, reference)


@pytest.mark.parametrize("dim", [2, 4])
def test_flow_inverse_is_exact(dim):
    model = flows.build_flow(3, dim=dim, blocks=4, hidden=16)
    with torch.no_grad():
        for layer in model.layers:
            if isinstance(layer, flows.AffineCoupling):
                layer.net[-1].weight.normal_(0, 0.3)
    x = torch.randn(200, dim, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        z, _ = model.encode(x)
        assert (model.decode(z) - x).abs().max() < 1e-5
        assert (model.encode(model.decode(z))[0] - z).abs().max() < 1e-5


def test_lu_mixing_is_invertible_and_its_logdet_is_exact():
    layer = flows.LUMixing(3, seed=5)
    with torch.no_grad():
        layer.log_s.copy_(torch.tensor([0.2, -0.4, 0.1]))
    w = layer.weight()
    assert torch.allclose(torch.linalg.slogdet(w)[1], layer.log_s.sum(), atol=1e-5)
    x = torch.randn(7, 3)
    y, ld = layer(x)
    assert torch.allclose(layer.inverse(y), x, atol=1e-5)
    assert ld.shape == (7,)


def test_flow_log_prob_divides_by_the_generator_jacobian():
    """For one coupling-free block f(z) = W^{-1} z: log p(x) = log N(z) - log|det J_f(z)|."""
    model = flows.Flow(dim=2, blocks=1, hidden=4)
    with torch.no_grad():
        model.layers[0].log_s.copy_(torch.tensor([0.5, 0.3]))  # g = W stretches by e^0.8
    x = torch.randn(10, 2)
    z = x @ model.layers[0].weight().T.detach()
    base = torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2)).log_prob(z)
    log_det_f = -0.8  # J_f = W^{-1}
    assert torch.allclose(model.log_prob(x).detach(), base - log_det_f, atol=1e-5)


def test_ring_log_prob_integrates_to_one():
    grid = torch.linspace(-3, 3, 601)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    dens = inversion.ring_log_prob(torch.stack([gx.reshape(-1), gy.reshape(-1)], 1).double()).exp()
    assert abs(float(dens.sum()) * float(grid[1] - grid[0]) ** 2 - 1) < 1e-3


# --------------------------------------------------------------------------- data terms, selection
def test_masked_fits_average_over_observed_pixels():
    x, y = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :] = 1
    y[..., 2:, :] = 5.0  # unobserved: must not count
    assert torch.allclose(inversion.l2_fit(x, y, mask), torch.ones(2))
    assert torch.allclose(inversion.l1_fit(x, y, mask), torch.ones(2))
    assert torch.allclose(inversion.l2_fit(x, y), torch.full((2,), 13.0))


def test_select_best_uses_each_images_own_minimum():
    cands = torch.arange(6.0).view(3, 2)
    fits = torch.tensor([[3.0, 0.0], [1.0, 5.0], [2.0, 4.0]])
    best, index = inversion.select_best(cands, fits)
    assert index.tolist() == [1, 0] and best.tolist() == [2.0, 1.0]


# --------------------------------------------------------------------------- invert
def test_invert_recovers_an_image_in_the_range(toy_g):
    z_true = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    target = toy_g(z_true)
    res = inversion.invert(toy_g, target, n_restarts=2, steps=300, lr=0.05, seed=0, reference=target)
    assert res.x.shape == (3, 1, 28, 28) and res.z.shape == (3, 4)
    assert float(res.fit.max()) < 1e-4
    assert res.history_fit.shape == (len(res.steps), 2, 3) and res.history_error.shape == res.history_fit.shape


def test_invert_chooses_by_data_fit_not_by_the_reference(toy_g):
    target = toy_g(torch.randn(4, 4, generator=torch.Generator().manual_seed(2)))
    noisy = target + 0.3 * torch.randn(target.shape, generator=torch.Generator().manual_seed(3))
    a = inversion.invert(toy_g, noisy, n_restarts=3, steps=30, seed=5)
    b = inversion.invert(toy_g, noisy, n_restarts=3, steps=30, seed=5, reference=torch.rand_like(target))
    assert torch.equal(a.x, b.x) and torch.equal(a.best_restart, b.best_restart)
    assert torch.allclose(a.fit, a.restart_fit.min(0).values)
    assert torch.allclose(a.fit, inversion.l2_fit(a.x, noisy), atol=1e-6)


def test_batched_restarts_equal_separate_runs(toy_g):
    target = toy_g(torch.randn(2, 4, generator=torch.Generator().manual_seed(6)))
    both = inversion.invert(toy_g, target, n_restarts=1, steps=40, seed=7)
    z0 = torch.randn(2, 4, generator=torch.Generator().manual_seed(7))
    for i in range(2):  # the same start, alone
        z = z0[i:i + 1].clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=0.05)
        best = float("inf")
        for _ in range(41):
            fit = inversion.l2_fit(toy_g(z), target[i:i + 1])
            best = min(best, float(fit.detach()))
            opt.zero_grad()
            fit.sum().backward()
            opt.step()
        assert abs(best - float(both.fit[i])) < 1e-6


def test_invert_with_a_measurement_operator(toy_g):
    A = inversion.gaussian_matrix(30, seed=1)
    target = toy_g(torch.randn(2, 4, generator=torch.Generator().manual_seed(8)))
    y = inversion.cs_measure(target, A, 0.0)
    res = inversion.invert(toy_g, y, forward=lambda im: im.flatten(1) @ A.T, n_restarts=3, steps=300, seed=1)
    assert float(((res.x - target) ** 2).mean()) < 1e-3


# --------------------------------------------------------------------------- compressed sensing baselines
def test_haar_basis_is_orthonormal():
    W = inversion.haar_basis()
    assert W.shape == (784, 784)
    assert np.allclose(W.T @ W, np.eye(784), atol=1e-10)


def test_gaussian_matrix_preserves_norms_on_average():
    A = inversion.gaussian_matrix(400, seed=3)
    x = torch.rand(20, 784)
    ratio = (x @ A.T).norm(dim=1) / x.norm(dim=1)
    assert abs(float(ratio.mean()) - 1) < 0.05


def test_lasso_recovers_a_sparse_wavelet_image():
    W = torch.from_numpy(inversion.haar_basis()).float()
    c = torch.zeros(784)
    c[[0, 5, 40, 100, 300]] = torch.tensor([6.0, -2.0, 1.5, 1.0, -1.0])
    x = (W @ c).view(1, 1, 28, 28)
    x = (x - x.min()) / (x.max() - x.min())
    A = inversion.gaussian_matrix(300, seed=2)
    rec = inversion.lasso_recover(A, inversion.cs_measure(x, A, 0.0), 1e-4)
    assert float(((rec - x) ** 2).mean()) < 1e-3


def test_off_range_images_have_the_course_format():
    letters = inversion.letter_images("AZ")
    assert letters.shape == (2, 1, 28, 28) and 0 <= float(letters.min()) and float(letters.max()) <= 1
    assert float(letters.mean()) > 0.05  # something was drawn


def test_inpaint_batch_hides_a_square_per_image():
    images = torch.rand(10, 1, 28, 28) + 0.5
    masked, clean = inversion.inpaint_batch(images, 3, batch=8)
    holes = (masked == 0).flatten(1).sum(1)
    assert masked.shape == clean.shape == (8, 1, 28, 28)
    assert all(int(h) in {s * s for s in inversion.TRAIN_HOLES} for h in holes)
