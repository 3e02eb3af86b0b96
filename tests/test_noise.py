"""Tests of course_lib.noise: statistics, reproducibility, skimage conventions, bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.util import random_noise

from course_lib import noise

SHAPE = (8, 2, 128, 128)  # 262144 samples: the standard error of a mean is ~0.2 % of the std


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _ramp(shape=SHAPE, lo: float = 0.0, hi: float = 1.0, dtype=torch.float64) -> torch.Tensor:
    """A clean image whose values sweep [lo, hi] (so signal-dependent models see every level)."""
    n = math.prod(shape)
    return torch.linspace(lo, hi, n, dtype=dtype).reshape(shape)


def _assert_mean_var(residual: torch.Tensor, var: float, what: str, rel_var: float = 0.02) -> None:
    """Residual mean within 5 standard errors of 0, variance within ``rel_var`` of ``var``."""
    n = residual.numel()
    mean, observed = float(residual.mean()), float(residual.var())
    assert abs(mean) < 5 * math.sqrt(var / n), f"{what}: residual mean {mean:.3g} is not ~0 (var {var:.3g}, n {n})"
    assert abs(observed - var) < rel_var * var, f"{what}: residual variance {observed:.4g}, expected {var:.4g}"


# ----------------------------------------------------------------------------- statistics


def test_sigma_from_255():
    assert noise.sigma_from_255(25) == pytest.approx(25 / 255)
    assert noise.sigma_from_255(0) == 0.0


def test_gaussian_statistics_and_not_clipped():
    x = torch.full(SHAPE, 0.5, dtype=torch.float64)
    sigma = noise.sigma_from_255(25)
    y = noise.gaussian(x, sigma, generator=_gen())
    assert y.shape == x.shape and y.dtype == x.dtype
    _assert_mean_var(y - x, sigma**2, "gaussian")
    y = noise.gaussian(torch.ones(1000), 0.5, generator=_gen())
    assert float(y.max()) > 1.0, "gaussian noise must not be clipped to [0, 1]"


def test_speckle_statistics():
    x = _ramp(lo=0.2)
    sigma = 0.3
    y = noise.speckle(x, sigma, generator=_gen())
    _assert_mean_var((y - x) / x, sigma**2, "speckle, relative residual")
    assert torch.equal(noise.speckle(torch.zeros(10), 0.5), torch.zeros(10)), "speckle of black must stay black"


@pytest.mark.parametrize("level", [0.05, 0.5, 0.9])
def test_poisson_statistics(level):
    peak = 10.0
    x = torch.full(SHAPE, level, dtype=torch.float64)
    y = noise.poisson(x, peak, generator=_gen())
    _assert_mean_var(y - x, level / peak, f"poisson at level {level}", rel_var=0.03)
    counts = y * peak
    assert torch.allclose(counts, counts.round()), "poisson output must be photon counts / peak"
    assert float(y.min()) >= 0.0


def test_poisson_gaussian_statistics():
    peak, sigma, level = 20.0, 0.05, 0.4
    x = torch.full(SHAPE, level, dtype=torch.float64)
    y = noise.poisson_gaussian(x, peak, sigma, generator=_gen())
    _assert_mean_var(y - x, level / peak + sigma**2, "poisson_gaussian", rel_var=0.03)
    # the variance is affine in the clean level
    x = torch.cat([torch.full((4, 1, 128, 128), 0.1), torch.full((4, 1, 128, 128), 0.9)]).double()
    r = noise.poisson_gaussian(x, peak, sigma, generator=_gen(1)) - x
    low, high = float(r[:4].var()), float(r[4:].var())
    assert low == pytest.approx(0.1 / peak + sigma**2, rel=0.04)
    assert high == pytest.approx(0.9 / peak + sigma**2, rel=0.04)


@pytest.mark.parametrize("amount,salt_vs_pepper", [(0.1, 0.5), (0.3, 0.2), (0.0, 0.5), (1.0, 1.0)])
def test_salt_and_pepper_fraction(amount, salt_vs_pepper):
    x = torch.full(SHAPE, 0.5)
    y = noise.salt_and_pepper(x, amount, salt_vs_pepper, generator=_gen())
    assert y.shape == x.shape and y.dtype == x.dtype
    changed = y != x
    assert torch.all((y[changed] == 0) | (y[changed] == 1)), "replaced entries must be 0 or 1"
    n = x.numel()
    tol = 5 * math.sqrt(amount * (1 - amount) / n) + 1e-12
    assert abs(float(changed.double().mean()) - amount) <= tol, f"replaced fraction {float(changed.double().mean())}"
    salt = float((y == 1).double().mean())
    p = amount * salt_vs_pepper
    assert abs(salt - p) <= 5 * math.sqrt(p * (1 - p) / n) + 1e-12, f"salt fraction {salt}, expected {p}"


def test_zero_noise_is_identity():
    x = _ramp((2, 1, 8, 8))
    assert torch.equal(noise.gaussian(x, 0.0), x)
    assert torch.equal(noise.speckle(x, 0.0), x)
    assert torch.equal(noise.salt_and_pepper(x, 0.0), x)


# ----------------------------------------------------------------------------- reproducibility

CASES = {
    "gaussian": lambda x, g: noise.gaussian(x, 0.1, generator=g),
    "speckle": lambda x, g: noise.speckle(x, 0.1, generator=g),
    "salt_and_pepper": lambda x, g: noise.salt_and_pepper(x, 0.2, generator=g),
    "poisson": lambda x, g: noise.poisson(x, 30.0, generator=g),
    "poisson_gaussian": lambda x, g: noise.poisson_gaussian(x, 30.0, 0.02, generator=g),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_reproducible_with_seeded_generator(name, dtype):
    fn = CASES[name]
    x = _ramp((2, 3, 16, 16), lo=0.1, hi=0.9, dtype=dtype)
    a, b = fn(x, _gen(7)), fn(x, _gen(7))
    assert torch.equal(a, b), f"{name}: same seed must give the same noise"
    assert not torch.equal(a, fn(x, _gen(8))), f"{name}: another seed must give other noise"
    assert a.shape == x.shape and a.dtype == dtype
    assert fn(x, None).shape == x.shape  # the global generator works too


@pytest.mark.parametrize("shape", [(5,), (7, 9), (2, 3, 4, 5, 6)])
def test_any_shape(shape):
    x = torch.rand(shape, generator=_gen())
    for name, fn in CASES.items():
        assert fn(x, _gen()).shape == x.shape, name


# ----------------------------------------------------------------------------- agreement with skimage


def _moments(residual) -> tuple[float, float]:
    residual = np.asarray(residual, dtype=np.float64)
    return float(residual.mean()), float(residual.var())


def test_gaussian_matches_skimage():
    img = _ramp((512, 512)).numpy()
    sigma = 0.1
    ours = _moments(noise.gaussian(torch.from_numpy(img), sigma, generator=_gen()).numpy() - img)
    ref = _moments(random_noise(img, mode="gaussian", var=sigma**2, clip=False, rng=0) - img)
    assert ours[0] == pytest.approx(ref[0], abs=2e-3)
    assert ours[1] == pytest.approx(ref[1], rel=0.02)


def test_speckle_matches_skimage():
    img = _ramp((512, 512), lo=0.1).numpy()
    sigma = 0.2
    ours = _moments(noise.speckle(torch.from_numpy(img), sigma, generator=_gen()).numpy() - img)
    ref = _moments(random_noise(img, mode="speckle", var=sigma**2, clip=False, rng=0) - img)
    assert ours[0] == pytest.approx(ref[0], abs=2e-3)
    assert ours[1] == pytest.approx(ref[1], rel=0.02)


def test_salt_and_pepper_matches_skimage():
    img = np.full((512, 512), 0.5)
    ours = noise.salt_and_pepper(torch.from_numpy(img), 0.2, 0.3, generator=_gen()).numpy()
    ref = random_noise(img, mode="s&p", amount=0.2, salt_vs_pepper=0.3, rng=0)
    for value in (0.0, 1.0):
        assert np.mean(ours == value) == pytest.approx(np.mean(ref == value), abs=0.005)


def test_poisson_matches_skimage():
    # skimage's 'poisson' uses peak = 2**ceil(log2(#distinct values)); 4 distinct values -> peak 4
    levels = np.array([0.1, 0.4, 0.7, 1.0])
    img = np.tile(np.repeat(levels, 128), (512, 1))
    ours = noise.poisson(torch.from_numpy(img), 4.0, generator=_gen()).numpy()
    ref = random_noise(img, mode="poisson", clip=False, rng=0)
    for level in levels:
        sel = img == level
        m_ours, v_ours = _moments(ours[sel] - level)
        m_ref, v_ref = _moments(ref[sel] - level)
        assert m_ours == pytest.approx(m_ref, abs=0.01), f"level {level}"
        assert v_ours == pytest.approx(v_ref, rel=0.05), f"level {level}"
        assert v_ours == pytest.approx(level / 4.0, rel=0.05), f"level {level}"


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda x: noise.gaussian(x, -0.1), "sigma must be finite and >= 0"),
        (lambda x: noise.gaussian(x, float("nan")), "sigma must be finite"),
        (lambda x: noise.speckle(x, -1.0), "sigma"),
        (lambda x: noise.salt_and_pepper(x, 1.5), "amount .* in \\[0, 1\\]"),
        (lambda x: noise.salt_and_pepper(x, -0.1), "amount"),
        (lambda x: noise.salt_and_pepper(x, 0.1, salt_vs_pepper=2.0), "salt_vs_pepper"),
        (lambda x: noise.poisson(x, 0.0), "peak must be finite and > 0"),
        (lambda x: noise.poisson(x, -5.0), "peak"),
        (lambda x: noise.poisson_gaussian(x, 10.0, -0.1), "sigma"),
        (lambda x: noise.poisson_gaussian(x, 0.0, 0.1), "peak"),
        (lambda x: noise.gaussian(x, "big"), "sigma must be a number"),
    ],
)
def test_bad_levels_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call(torch.rand(2, 1, 4, 4))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize(
    "bad,match",
    [
        (torch.full((1, 1, 4, 4), 1.1), "values in \\[0, 1\\].*rescale"),
        (torch.full((1, 1, 4, 4), -0.01), "values in \\[0, 1\\]"),
        (torch.full((1, 1, 4, 4), 255.0), "x / 255"),
        (torch.ones(1, 1, 4, 4, dtype=torch.uint8), "floating-point"),
        (torch.tensor([0.5, float("nan")]), "NaN"),
        (np.zeros((4, 4)), "torch.Tensor"),
    ],
)
def test_bad_images_raise(name, bad, match):
    with pytest.raises(ValueError, match=match):
        CASES[name](bad, None)


def test_range_tolerance():
    x = torch.tensor([-5e-7, 0.5, 1 + 5e-7], dtype=torch.float64)
    for name, fn in CASES.items():
        assert fn(x, _gen()).shape == x.shape, name


def test_sigma_from_255_rejects_negative():
    with pytest.raises(ValueError, match="s must be finite and >= 0"):
        noise.sigma_from_255(-25)
