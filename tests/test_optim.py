"""course_lib.optim (chapter 03): every optimizer matches torch.optim, the conventions are options,
the look-ahead form of Nesterov equals PyTorch's under the change of variable, bad hyperparameters
fail clearly, and the counterexample of Reddi et al. behaves as the chapter claims.
Also the small MNIST CNN of course_lib.models.mnist_cnn.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from course_lib import optim
from course_lib.models import mnist_cnn

STEPS = 200
TOL = 1e-6


# --------------------------------------------------------------------------- agreement with torch.optim
@pytest.mark.parametrize("name", list(optim.TORCH_PAIRS))
def test_matches_torch_optim(name):
    ours, theirs = optim.TORCH_PAIRS[name]
    dev = optim.max_deviation_from_torch(ours, theirs, steps=STEPS, seed=0)
    assert dev < TOL, f"{name}: max deviation {dev:.2e} from torch.optim over {STEPS} steps"


# A second, independent list with other hyperparameters (weight decay everywhere).
EXTRA_PAIRS = {
    "SGD momentum + wd": (lambda p: optim.SGDMomentum(p, lr=0.03, momentum=0.7, weight_decay=0.05),
                          lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.7, weight_decay=0.05)),
    "Nesterov + wd": (lambda p: optim.Nesterov(p, lr=0.03, momentum=0.7, weight_decay=0.05),
                      lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.7, nesterov=True, weight_decay=0.05)),
    "Adagrad + wd": (lambda p: optim.AdaGrad(p, lr=0.05, eps=1e-6, weight_decay=0.05),
                     lambda p: torch.optim.Adagrad(p, lr=0.05, eps=1e-6, weight_decay=0.05)),
    "RMSprop + wd": (lambda p: optim.RMSProp(p, lr=0.003, beta2=0.9, eps=1e-6, weight_decay=0.05),
                     lambda p: torch.optim.RMSprop(p, lr=0.003, alpha=0.9, eps=1e-6, weight_decay=0.05)),
    "Adadelta + wd": (lambda p: optim.AdaDelta(p, rho=0.8, weight_decay=0.05),
                      lambda p: torch.optim.Adadelta(p, rho=0.8, weight_decay=0.05)),
    "Adam + wd": (lambda p: optim.Adam(p, lr=0.02, eps=1e-6, weight_decay=0.05),
                  lambda p: torch.optim.Adam(p, lr=0.02, eps=1e-6, weight_decay=0.05)),
    "NAdam psi=0.01": (lambda p: optim.Nadam(p, lr=0.005, betas=(0.8, 0.99), momentum_decay=0.01, weight_decay=0.05),
                       lambda p: torch.optim.NAdam(p, lr=0.005, betas=(0.8, 0.99), momentum_decay=0.01,
                                                   weight_decay=0.05)),
    "Adam(amsgrad) + wd": (lambda p: optim.AMSGrad(p, lr=0.02, betas=(0.5, 0.9), weight_decay=0.05),
                           lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.5, 0.9), amsgrad=True, weight_decay=0.05)),
}


@pytest.mark.parametrize("name", list(EXTRA_PAIRS))
def test_matches_torch_optim_other_settings(name):
    ours, theirs = EXTRA_PAIRS[name]
    dev = optim.max_deviation_from_torch(ours, theirs, steps=STEPS, seed=5, d=7)
    assert dev < TOL, f"{name}: max deviation {dev:.2e}"


def _mlp(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()


@pytest.mark.parametrize("name", ["Nesterov", "AdaDelta", "Adam", "Nadam", "AMSGrad"])
def test_matches_torch_on_a_network_with_parameter_groups(name):
    ours_f, theirs_f = optim.TORCH_PAIRS[name]
    gen = torch.Generator().manual_seed(1)
    X, y = torch.randn(40, 5, generator=gen, dtype=torch.float64), torch.randint(0, 3, (40,), generator=gen)
    nets, opts = [_mlp(0), _mlp(0)], []
    for net, make in zip(nets, (ours_f, theirs_f)):
        opt = make(list(net[0].parameters()))
        opt.add_param_group({"params": list(net[2].parameters()), "lr": opt.param_groups[0]["lr"] / 2})
        opts.append(opt)
    for step in range(50):
        for net, opt in zip(nets, opts):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X[step % 4::4]), y[step % 4::4]).backward()
            opt.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.allclose(a, b, atol=1e-9, rtol=0), f"{name}: parameters differ by {(a - b).abs().max():.2e}"


# --------------------------------------------------------------------------- the conventions
def _quadratic_loss():
    A = torch.tensor([[3.0, 1.0], [1.0, 0.5]], dtype=torch.float64)
    return lambda th, t: 0.5 * th @ A @ th + 0.1 * (th ** 4).sum() - th.sum() * (1 + 0.1 * (t % 3))


def test_seed_average_equals_torch_momentum_with_scaled_lr():
    loss, th0 = _quadratic_loss(), torch.tensor([1.0, -2.0], dtype=torch.float64)
    seed_form = optim.run_optimizer(lambda p: optim.SGDMomentum(p, lr=0.5, momentum=0.8, ema=True), loss, th0, 100)
    torch_form = optim.run_optimizer(lambda p: torch.optim.SGD(p, lr=0.5 * 0.2, momentum=0.8), loss, th0, 100)
    assert torch.allclose(seed_form, torch_form, atol=1e-12)
    # and the average itself: m_1 = (1 - beta1) g_1
    th = th0.clone().requires_grad_(True)
    opt = optim.SGDMomentum([th], lr=0.1, momentum=0.8, ema=True)
    loss(th, 0).backward()
    g1 = th.grad.clone()
    opt.step()
    assert torch.allclose(opt.state[th]["momentum_buffer"], 0.2 * g1)


def test_torch_refuses_nesterov_with_dampening_but_ours_matches_by_lr_scaling():
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError):
        torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="dampening must be 0 with ema=True"):
        optim.SGDMomentum([p], lr=0.1, momentum=0.9, dampening=0.1, ema=True)


@pytest.mark.parametrize("ema", [False, True])
def test_nesterov_lookahead_equals_pytorch_form_under_change_of_variable(ema):
    """Sutskever's look-ahead form and Bengio et al.'s form: theta~ = theta - lr mu b (constant lr)."""
    lr, mu, steps = 0.05, 0.9, 150
    rosen = optim.LANDSCAPES["Rosenbrock"]
    scale = 1e-2  # a gentler Rosenbrock so that lr = 0.05 is stable

    def run(lookahead):
        th = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
        opt = optim.Nesterov([th], lr=lr, momentum=mu, ema=ema, lookahead=lookahead)
        out = []

        def closure():
            opt.zero_grad()
            value = scale * rosen(th[0], th[1])
            value.backward()
            return value

        for _ in range(steps):
            opt.step(closure)
            out.append((th.detach().clone(), opt.state[th]["momentum_buffer"].clone()))
        return out

    sutskever, pytorch = run(True), run(False)
    for (th_s, b_s), (th_p, b_p) in zip(sutskever, pytorch):
        assert torch.allclose(b_p, b_s, atol=1e-12, rtol=1e-12)
        assert torch.allclose(th_p, th_s - lr * mu * b_s, atol=1e-12, rtol=0)
    assert (sutskever[10][0] - pytorch[10][0]).abs().max() > 1e-4, "the forms should differ before the change"


def test_nesterov_lookahead_needs_a_closure_and_evaluates_at_the_lookahead_point():
    th = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = optim.Nesterov([th], lr=0.1, momentum=0.5, lookahead=True)
    th.grad = torch.ones_like(th)
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()
    seen = []

    def closure():
        opt.zero_grad()
        seen.append(float(th.detach()))
        loss = (th ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)           # b_0 = 0: gradient at theta_1 = 1; b_1 = 2; theta_2 = 1 - 0.1 * 2 = 0.8
    opt.step(closure)           # look-ahead: 0.8 - 0.1 * 0.5 * 2 = 0.7
    assert seen == pytest.approx([1.0, 0.7])
    assert float(th.detach()) == pytest.approx(0.8 - 0.1 * (0.5 * 2 + 1.4))


def _manual_adam(grads, lr, b1, b2, eps, correct, amsgrad=False):
    theta, m, v, vhat, out = 0.0, 0.0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vhat = max(vhat, v)
        den = vhat if amsgrad else v
        if correct:
            step = lr * (m / (1 - b1 ** t)) / (math.sqrt(den / (1 - b2 ** t)) + eps)
        else:
            step = lr * m / (math.sqrt(den) + eps)
        theta -= step
        out.append((theta, v, vhat))
    return out


@pytest.mark.parametrize("cls, amsgrad", [(optim.Adam, False), (optim.AMSGrad, True)])
@pytest.mark.parametrize("correct", [True, False])
def test_adam_and_amsgrad_against_the_formulas(cls, amsgrad, correct):
    grads = [3.0, -1.0, -1.0, 0.5, 3.0, -0.2, 0.01, -1.0]
    th = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = cls([th], lr=0.1, betas=(0.3, 0.6), eps=1e-3, bias_correction=correct)
    for g, (theta, v, vhat) in zip(grads, _manual_adam(grads, 0.1, 0.3, 0.6, 1e-3, correct, amsgrad)):
        th.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        assert float(th.detach()) == pytest.approx(theta, abs=1e-12)
        assert float(opt.state[th]["exp_avg_sq"]) == pytest.approx(v, abs=1e-12)  # the max is not fed back
        if amsgrad:
            assert float(opt.state[th]["max_exp_avg_sq"]) == pytest.approx(vhat, abs=1e-12)


def test_adam_first_step_has_length_lr():
    th = torch.tensor([0.3, -5.0, 1e-3], dtype=torch.float64, requires_grad=True)
    opt = optim.Adam([th], lr=0.01)
    th.grad = torch.tensor([2.0, -0.1, 30.0], dtype=torch.float64)
    opt.step()
    assert torch.allclose((th.detach() - torch.tensor([0.3, -5.0, 1e-3], dtype=torch.float64)).abs(),
                          torch.full((3,), 0.01, dtype=torch.float64), rtol=1e-6)


def test_nadam_constant_schedule_formula():
    b1, b2, lr, eps = 0.9, 0.99, 0.01, 1e-8
    th = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = optim.Nadam([th], lr=lr, betas=(b1, b2), eps=eps, momentum_decay=None)
    m = v = theta = 0.0
    for t, g in enumerate([1.0, -0.5, 2.0, 0.3], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        num = (1 - b1) / (1 - b1 ** t) * g + b1 / (1 - b1 ** (t + 1)) * m
        theta -= lr * num / (math.sqrt(v / (1 - b2 ** t)) + eps)
        th.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        assert float(th.detach()) == pytest.approx(theta, abs=1e-12)


def test_adadelta_is_zeilers_method_with_lr_one():
    rho, eps = 0.9, 1e-6
    th = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = optim.AdaDelta([th])
    assert opt.param_groups[0]["lr"] == 1.0
    eg2 = edx2 = theta = 0.0
    for g in [1.0, -2.0, 0.5, 0.5, 3.0]:
        eg2 = rho * eg2 + (1 - rho) * g * g
        dx = -math.sqrt(edx2 + eps) / math.sqrt(eg2 + eps) * g
        edx2 = rho * edx2 + (1 - rho) * dx * dx
        theta += dx
        th.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        assert float(th.detach()) == pytest.approx(theta, abs=1e-12)
    # the first step has length about sqrt(eps / (1 - rho)), whatever the gradient's size
    th2 = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt2 = optim.AdaDelta([th2])
    th2.grad = torch.tensor([1e3], dtype=torch.float64)
    opt2.step()
    assert abs(float(th2.detach())) == pytest.approx(math.sqrt(eps / (1 - rho)), rel=1e-3)


def test_state_dict_round_trip_continues_identically():
    loss, th0 = _quadratic_loss(), torch.tensor([1.0, -2.0], dtype=torch.float64)
    for make in (lambda p: optim.Adam(p, lr=0.05), lambda p: optim.Nadam(p, lr=0.05),
                 lambda p: optim.AdaDelta(p), lambda p: optim.AMSGrad(p, lr=0.05)):
        th = th0.clone().requires_grad_(True)
        opt = make([th])
        for t in range(5):
            opt.zero_grad()
            loss(th, t).backward()
            opt.step()
        saved_th, saved_state = th.detach().clone(), copy.deepcopy(opt.state_dict())
        reference = []
        for t in range(5, 10):
            opt.zero_grad()
            loss(th, t).backward()
            opt.step()
            reference.append(th.detach().clone())
        th2 = saved_th.clone().requires_grad_(True)
        opt2 = make([th2])
        opt2.load_state_dict(saved_state)
        for t, ref in zip(range(5, 10), reference):
            opt2.zero_grad()
            loss(th2, t).backward()
            opt2.step()
            assert torch.allclose(th2.detach(), ref, atol=1e-14)


# --------------------------------------------------------------------------- bad hyperparameters
@pytest.mark.parametrize("make, words", [
    (lambda p: optim.SGD(p, lr=-0.1), ["lr", ">= 0"]),
    (lambda p: optim.Adam(p, lr=-1e-3), ["lr", "learning rate"]),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ["betas[1]", "[0, 1)"]),
    (lambda p: optim.Adam(p, betas=(-0.1, 0.999)), ["betas[0]", "[0, 1)"]),
    (lambda p: optim.AMSGrad(p, betas=(1.5, 0.999)), ["betas[0]"]),
    (lambda p: optim.Nadam(p, betas=(0.9,)), ["pair"]),
    (lambda p: optim.SGDMomentum(p, momentum=1.0), ["momentum", "[0, 1)"]),
    (lambda p: optim.Nesterov(p, momentum=-0.5), ["momentum"]),
    (lambda p: optim.RMSProp(p, beta2=1.2), ["beta2"]),
    (lambda p: optim.AdaDelta(p, rho=1.0), ["rho"]),
    (lambda p: optim.AdaGrad(p, eps=-1e-10), ["eps"]),
    (lambda p: optim.Adam(p, weight_decay=-0.1), ["weight_decay"]),
    (lambda p: optim.Nadam(p, momentum_decay=-1.0), ["momentum_decay"]),
    (lambda p: optim.SGD(p, lr=float("nan")), ["lr"]),
])
def test_bad_hyperparameters_raise_with_a_message(make, words):
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError) as err:
        make([p])
    for word in words:
        assert word in str(err.value), f"{word!r} not in {err.value}"


def test_make_optimizer_names():
    p = torch.zeros(2, requires_grad=True)
    assert isinstance(optim.make_optimizer("AMSGrad", [p], lr=0.1), optim.AMSGrad)
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'.*Adam"):
        optim.make_optimizer("adamw", [p])
    assert len(optim.OPTIMIZERS) == 9
    assert all(issubclass(cls, optim.MomentOptimizer) for cls in optim.OPTIMIZERS.values())


# --------------------------------------------------------------------------- experiments of the chapter
def test_reddi_counterexample():
    T = 1500
    adam = optim.reddi_online("Adam", steps=T, alpha=0.5, x0=-1.0)
    ams = optim.reddi_online("AMSGrad", steps=T, alpha=0.5, x0=1.0)
    default = optim.reddi_online("Adam", steps=T, alpha=0.5, x0=1.0, betas=(0.9, 0.999), bias_correction=True,
                                 eps=1e-8)
    assert adam.shape == (T + 1,) and adam[0] == -1.0
    assert adam[-1] > 0.95, "Adam (beta1=0, beta2=1/(1+C^2)) should end near +1 even from the optimum"
    assert ams[-1] < -0.95, "AMSGrad should end near -1"
    assert default[-1] < -0.95, "Adam with the default betas converges on this example"
    assert np.all(np.abs(adam) <= 1.0) and np.all(np.abs(ams) <= 1.0), "the projection keeps x in [-1, 1]"
    assert optim.average_regret(adam[:-1]) == pytest.approx(2 / 3, abs=0.05)
    assert abs(optim.average_regret(ams[:-1])) < 0.1
    with pytest.raises(ValueError, match="feasible"):
        optim.reddi_online("Adam", steps=3, x0=2.0)


def test_reddi_stochastic_version():
    adam = optim.reddi_online("Adam", steps=1500, alpha=0.5, x0=0.0, stochastic=True, delta=0.3, seed=0)
    ams = optim.reddi_online("AMSGrad", steps=1500, alpha=0.5, x0=0.0, stochastic=True, delta=0.3, seed=0)
    assert adam[-150:].mean() > 0.5 and ams[-150:].mean() < -0.5


def test_trajectories():
    plateau = optim.LANDSCAPES["plateau"]
    path = optim.trajectory("Adam", plateau)
    assert path.shape == (plateau.steps + 1, 2) and np.allclose(path[0], plateau.start)
    assert np.linalg.norm(path[-1]) < 0.01
    assert np.linalg.norm(optim.trajectory("SGD", plateau)[-1] - np.array(plateau.start)) < 0.5
    for land in optim.LANDSCAPES.values():
        assert set(land.lr) == set(optim.OPTIMIZERS)
        assert float(land(*land.minimum)) <= float(land(*land.start))
    diverging = optim.trajectory("SGD", optim.LANDSCAPES["Rosenbrock"], lr=0.1, steps=50)
    assert len(diverging) < 51, "a diverging run stops early"


# --------------------------------------------------------------------------- the MNIST CNN
def test_mnist_cnn():
    model = mnist_cnn.build_mnist_cnn(0)
    assert mnist_cnn.count_parameters(model) == 26_698
    x = torch.rand(5, 1, 28, 28)
    assert model(x).shape == (5, 10)
    same = mnist_cnn.build_mnist_cnn(0)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), same.parameters()))
    state = torch.get_rng_state()
    mnist_cnn.build_mnist_cnn(1)
    assert torch.equal(state, torch.get_rng_state()), "building a model must not touch the global generator"
    labels = model(x).argmax(1)
    assert mnist_cnn.accuracy(model, x, labels) == 1.0
    assert mnist_cnn.cross_entropy_loss(model, (x, labels)).ndim == 0
    with pytest.raises(ValueError, match="28, 28"):
        model(torch.rand(2, 1, 32, 32))
