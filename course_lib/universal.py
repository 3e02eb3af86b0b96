"""Universal approximation in one dimension: shallow ReLU networks (chapter 05, Section 1).

Two ways to get a one-hidden-layer ReLU network ``x -> c + sum_j a_j relu(x - t_j)``
close to a function ``f`` on an interval:

* :func:`relu_interpolant` -- *construct* it: the piecewise-linear interpolant of ``f`` on
  ``n + 1`` equally spaced knots is exactly such a network with ``n`` hidden units, and
  for twice-differentiable ``f`` its error is at most ``h^2 max|f''| / 8`` with ``h`` the
  knot spacing (the chapter proves it).
* :func:`fit_shallow` -- *train* one of width ``n`` on samples of ``f`` (L-BFGS).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from .config import torch_threads

__all__ = ["fit_shallow", "max_error", "relu_interpolant", "shallow_relu", "training_error"]


def shallow_relu(width: int) -> nn.Sequential:
    """A 1 -> width -> 1 network with one ReLU hidden layer."""
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    return nn.Sequential(nn.Linear(1, width), nn.ReLU(), nn.Linear(width, 1))


def relu_interpolant(f: Callable[[Tensor], Tensor], n: int, a: float = 0.0, b: float = 1.0) -> nn.Sequential:
    """The piecewise-linear interpolant of ``f`` on ``n + 1`` equispaced knots of ``[a, b]``, as a ReLU net.

    Hidden unit ``j`` is ``relu(x - t_j)`` (knots ``t_0 < ... < t_{n-1}``); its output weight is
    the change of slope at ``t_j`` (the first slope for ``j = 0``), and the output bias is
    ``f(a)``. Exact on ``[a, b]`` up to float64 rounding.
    """
    if n < 1 or not b > a:
        raise ValueError(f"need n >= 1 and b > a, got n={n}, [a, b]=[{a}, {b}]")
    knots = torch.linspace(a, b, n + 1, dtype=torch.float64)
    values = f(knots).to(torch.float64)
    slopes = (values[1:] - values[:-1]) / (knots[1:] - knots[:-1])
    net = shallow_relu(n).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.copy_(-knots[:-1])
        net[2].weight.copy_(torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])[None])
        net[2].bias.fill_(float(values[0]))
    return net


def max_error(net: nn.Module, f: Callable[[Tensor], Tensor], a: float = 0.0, b: float = 1.0,
              points: int = 20_001) -> float:
    """``max |net(x) - f(x)|`` over a fine grid of ``[a, b]``."""
    x = torch.linspace(a, b, points, dtype=torch.float64)[:, None]
    param = next(net.parameters())
    with torch.no_grad():
        out = net(x.to(param.dtype)).to(torch.float64)
    return float((out - f(x)).abs().max())


def fit_shallow(f: Callable[[Tensor], Tensor], width: int, *, iterations: int = 500, samples: int = 256,
                seed: int = 0, a: float = 0.0, b: float = 1.0) -> nn.Sequential:
    """Train a width-``width`` shallow ReLU net on ``samples`` equispaced points of ``f`` (chapter 05).

    Full-batch mean squared error minimised by L-BFGS with a strong-Wolfe line search, in
    float64 (for a one-dimensional toy problem this converges far better than Adam). The
    first layer is initialised so that the ReLU kinks fall at random places inside
    ``[a, b]``; the result still depends on the seed (the problem is not convex), so callers
    keep the best of a few seeds *by training error*.
    """
    gen = torch.Generator().manual_seed(seed)
    net = shallow_relu(width).double()
    with torch.no_grad():
        sign = torch.where(torch.rand(width, generator=gen) < 0.5, -1.0, 1.0).double()
        kinks = a + (b - a) * torch.rand(width, generator=gen, dtype=torch.float64)
        net[0].weight.copy_(sign[:, None])
        net[0].bias.copy_(-sign * kinks)
        net[2].weight.normal_(0.0, 1.0 / width**0.5, generator=gen)
        net[2].bias.zero_()
    x = torch.linspace(a, b, samples, dtype=torch.float64)[:, None]
    y = f(x).to(torch.float64)
    opt = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=iterations, history_size=50,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure() -> Tensor:
        opt.zero_grad()
        loss = torch.mean((net(x) - y) ** 2)
        loss.backward()
        return loss

    with torch_threads(1):  # tiny tensors: one thread is much faster than two
        opt.step(closure)
    return net


def training_error(net: nn.Module, f: Callable[[Tensor], Tensor], samples: int = 256,
                   a: float = 0.0, b: float = 1.0) -> float:
    """Mean squared error on the ``samples`` training points of :func:`fit_shallow` (for choosing a seed)."""
    x = torch.linspace(a, b, samples, dtype=torch.float64)[:, None]
    with torch.no_grad():
        return float(torch.mean((net(x) - f(x)) ** 2))
