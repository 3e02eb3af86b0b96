"""A small normalising flow: affine couplings and invertible linear mixings (chapter 08).

RealNVP (Dinh, Sohl-Dickstein & Bengio, ICLR 2017) and Glow (Kingma & Dhariwal, NeurIPS 2018)
build an invertible map from blocks whose inverse and Jacobian determinant are cheap:

* :class:`AffineCoupling` keeps the first ``d`` coordinates and transforms the others by an
  affine map whose scale and shift depend on the kept ones: ``y1 = x1``,
  ``y2 = x2 * exp(s(x1)) + t(x1)``; its Jacobian is triangular, ``log|det| = sum s(x1)``;
* :class:`LUMixing` is Glow's invertible 1x1 convolution for vectors: ``y = W x`` with
  ``W = P L (U + diag(sign * exp(log_s)))`` (``P`` a fixed permutation, ``L`` unit lower
  triangular, ``U`` strictly upper triangular), so ``log|det W| = sum log_s`` costs nothing.

Convention: every layer's ``forward`` runs in the **normalising direction** ``x -> z``
(data to latent) and returns ``(y, log|det J|)`` per sample; ``inverse`` runs ``z -> x``.
:class:`Flow` stacks them: ``encode(x) = (g(x), log|det J_g(x)|)`` with ``g = f^{-1}``,
``decode(z) = f(z)``, and by the change of variables

    log p(x) = log p_z(g(x)) + log|det J_g(x)| = log p_z(z) - log|det J_f(z)|,   z = g(x).

The density of a flow is *divided* by ``|det J_f(z)|``, never multiplied.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["AffineCoupling", "Flow", "LUMixing", "build_flow", "jacobian_logdet"]


class LUMixing(nn.Module):
    """An invertible linear map ``y = W x`` of ``dim``-vectors in LU form (Glow's 1x1 convolution).

    Initialised from a random rotation (``seed``), so ``log|det W| = 0`` at the start.
    """

    def __init__(self, dim: int, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(dim, dim, generator=gen, dtype=torch.float64))
        p, lower, upper = torch.linalg.lu(q)
        diag = torch.diagonal(upper)
        self.register_buffer("perm", p.float())
        self.register_buffer("sign", torch.sign(diag).float())
        self.register_buffer("lower_mask", torch.tril(torch.ones(dim, dim), -1))
        self.lower = nn.Parameter(lower.float())
        self.upper = nn.Parameter(torch.triu(upper, 1).float())
        self.log_s = nn.Parameter(torch.log(diag.abs()).float())

    def weight(self) -> Tensor:
        """The matrix ``W`` (``dim x dim``)."""
        eye = torch.eye(self.log_s.numel(), device=self.log_s.device)
        lower = self.lower * self.lower_mask + eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign * torch.exp(self.log_s))
        return self.perm @ lower @ upper

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(W x, log|det W|)`` for rows ``x`` of shape ``(N, dim)``."""
        return x @ self.weight().T, self.log_s.sum().expand(x.shape[0])

    def inverse(self, y: Tensor) -> Tensor:
        """``W^{-1} y`` for rows ``y`` (a linear solve, no explicit inverse)."""
        return torch.linalg.solve(self.weight(), y.T).T


class AffineCoupling(nn.Module):
    """``y1 = x1``, ``y2 = x2 * exp(s(x1)) + t(x1)`` with ``x1`` the first ``dim // 2`` coordinates.

    ``s`` and ``t`` come from one MLP (``hidden`` units, two hidden layers); ``s`` is bounded
    by ``scale_bound * tanh(. / scale_bound)`` to keep the map well conditioned. The last
    layer starts at zero, so the block starts as the identity.
    """

    def __init__(self, dim: int = 2, hidden: int = 64, scale_bound: float = 3.0) -> None:
        super().__init__()
        self.d = dim // 2
        self.scale_bound = float(scale_bound)
        self.net = nn.Sequential(nn.Linear(self.d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2 * (dim - self.d)))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def scale_shift(self, x1: Tensor) -> tuple[Tensor, Tensor]:
        """``(s(x1), t(x1))``, each ``(N, dim - d)``."""
        raw_s, t = self.net(x1).chunk(2, dim=1)
        return self.scale_bound * torch.tanh(raw_s / self.scale_bound), t

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(y, log|det J|)`` with ``log|det J| = sum s(x1)`` (a triangular Jacobian)."""
        x1, x2 = x[:, :self.d], x[:, self.d:]
        s, t = self.scale_shift(x1)
        return torch.cat([x1, x2 * torch.exp(s) + t], dim=1), s.sum(dim=1)

    def inverse(self, y: Tensor) -> Tensor:
        """``x1 = y1``, ``x2 = (y2 - t(y1)) * exp(-s(y1))``: exact, one pass."""
        y1, y2 = y[:, :self.d], y[:, self.d:]
        s, t = self.scale_shift(y1)
        return torch.cat([y1, (y2 - t) * torch.exp(-s)], dim=1)


class Flow(nn.Module):
    """``blocks`` times (LU mixing, affine coupling) on ``dim``-vectors with a standard normal base.

    ``encode`` maps data to latents with the log-determinant, ``decode`` maps back,
    ``log_prob`` is the exact log-density (natural log), ``sample`` draws ``x = f(z)``.
    """

    def __init__(self, dim: int = 2, blocks: int = 8, hidden: int = 64, seed: int = 0) -> None:
        super().__init__()
        self.dim, self.blocks, self.hidden = dim, blocks, hidden
        layers: list[nn.Module] = []
        for b in range(blocks):
            layers += [LUMixing(dim, seed=1000 * seed + b), AffineCoupling(dim, hidden)]
        self.layers = nn.ModuleList(layers)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(z, log|det J_g(x)|)`` with ``z = g(x) = f^{-1}(x)``."""
        logdet = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def decode(self, z: Tensor) -> Tensor:
        """``x = f(z)``: the layers' inverses in reverse order."""
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact ``log p(x) = log N(g(x); 0, I) + log|det J_g(x)|`` per sample (nats)."""
        z, logdet = self.encode(x)
        base = -0.5 * (z ** 2).sum(dim=1) - 0.5 * self.dim * math.log(2 * math.pi)
        return base + logdet

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples ``f(z)``, ``z ~ N(0, I)``, without gradients."""
        with torch.no_grad():
            return self.decode(torch.randn(n, self.dim, generator=generator))


def build_flow(seed: int = 0, *, dim: int = 2, blocks: int = 8, hidden: int = 64) -> Flow:
    """A fresh :class:`Flow` whose weights depend only on ``seed`` (the global RNG is untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Flow(dim, blocks, hidden, seed)


def jacobian_logdet(fn, x: Tensor) -> Tensor:
    """``log|det J_fn(x_i)|`` for each row of ``x`` by autograd (a slow reference for tests, chapter 08)."""
    out = []
    for row in x:
        jac = torch.autograd.functional.jacobian(lambda v: fn(v[None])[0], row)
        out.append(torch.linalg.slogdet(jac.double())[1])
    return torch.stack(out).to(x.dtype)
