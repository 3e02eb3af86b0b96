"""Tests of course_lib.plotting (headless: Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_lib.plotting import (  # noqa: E402
    comparison_table,
    compare_images,
    fit_loglog_slope,
    image_grid,
    loglog_with_fit,
    loss_curves,
)
from course_lib.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid():
    x = torch.rand(10, 1, 8, 8)
    fig = image_grid(x, nrow=4, titles=[str(i) for i in range(10)], title="digits")
    assert isinstance(fig, Figure)
    assert len(fig.axes[0].texts) == 10
    rgb = image_grid(np.random.rand(3, 3, 8, 8), vmin=None, vmax=None)
    assert isinstance(rgb, Figure)
    fig, ax = plt.subplots()
    assert image_grid(x, ax=ax) is fig


@pytest.mark.parametrize("bad", [torch.rand(8, 8), torch.rand(1, 8, 8), torch.rand(2, 2, 8, 8), torch.rand(0, 1, 8, 8)])
def test_image_grid_rejects_bad_shapes(bad):
    with pytest.raises(ValueError):
        image_grid(bad)


def test_image_grid_rejects_wrong_titles():
    with pytest.raises(ValueError, match="titles"):
        image_grid(torch.rand(3, 1, 8, 8), titles=["a"])


def test_compare_images():
    clean = torch.rand(5, 1, 8, 8)
    imgs = {"clean": clean, "noisy": clean + 0.1 * torch.randn_like(clean), "denoised": clean}
    fig = compare_images(imgs, n=3, labels={"noisy": [20.0, 21.5, 19.9], "denoised": ["a", "b", "c"]})
    assert isinstance(fig, Figure) and len(fig.axes) == 9
    assert fig.axes[3].get_xlabel() == "20.00 dB" and fig.axes[3].get_ylabel() == "noisy"
    with pytest.raises(ValueError, match="shape"):
        compare_images({"a": torch.rand(5, 8, 8)})
    with pytest.raises(ValueError, match="fewer than n"):
        compare_images({"a": torch.rand(2, 1, 8, 8)}, n=3)
    with pytest.raises(ValueError, match="shape"):
        compare_images({"a": torch.rand(4, 1, 8, 8), "b": torch.rand(4, 1, 9, 9)})
    with pytest.raises(ValueError, match="no method"):
        compare_images({"a": torch.rand(4, 1, 8, 8)}, labels={"b": [1, 2, 3, 4]})


def test_loss_curves():
    h = History(steps=[10, 20, 30], losses=[1.0, 0.5, 0.25], eval_steps=[30], evals={"psnr": [25.0]})
    fig = loss_curves({"model": h, "list": [1.0, 0.8, 0.6], "dict": {"steps": [1, 2], "losses": [2.0, 1.0]}},
                      smooth=0.5)
    assert isinstance(fig, Figure) and fig.axes[0].get_yscale() == "log"
    assert isinstance(loss_curves({"m": h}, metric="psnr", log=False), Figure)
    assert isinstance(h.plot(), Figure)
    with pytest.raises(ValueError, match="<= 0"):
        loss_curves({"neg": [1.0, -1.0]})
    with pytest.raises(ValueError, match="smooth"):
        loss_curves({"m": h}, smooth=1.0)
    with pytest.raises(ValueError, match="one-dimensional"):
        loss_curves({"m": np.ones((2, 2))})
    with pytest.raises(ValueError, match="metric"):
        loss_curves({"m": h}, metric="ssim")


def test_comparison_table():
    rows = [{"method": "BM3D", "PSNR": 28.314, "runs": 3},
            {"method": "DnCNN | small", "PSNR": np.float32(29.5), "note": None}]
    text = comparison_table(rows)
    assert text.splitlines() == [
        "| method | PSNR | runs | note |",
        "|:---|---:|---:|:---|",
        "| BM3D | 28.31 | 3 |  |",
        "| DnCNN \\| small | 29.50 |  |  |",
    ]
    text = comparison_table(rows, columns=["PSNR", "method"], floatfmt={"PSNR": ".1f"})
    assert text.splitlines()[2] == "| 28.3 | BM3D |"
    with pytest.raises(ValueError):
        comparison_table([])
    with pytest.raises(ValueError, match="column"):
        comparison_table(rows, columns=["SSIM"])
    with pytest.raises(ValueError, match="not a dict"):
        comparison_table([1, 2])


def test_loglog_slope():
    x = np.array([10, 100, 1000, 10000], dtype=float)
    slope, intercept = fit_loglog_slope(x, 3.0 * x**-0.5)
    assert slope == pytest.approx(-0.5) and intercept == pytest.approx(np.log(3.0))
    fig, s = loglog_with_fit(x, 3.0 * x**-0.5, reference_slope=-0.5, fit_range=(50, 1e5))
    assert isinstance(fig, Figure) and s == pytest.approx(-0.5)
    with pytest.raises(ValueError):
        fit_loglog_slope([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(ValueError):
        fit_loglog_slope([1.0], [1.0])
    with pytest.raises(ValueError):
        fit_loglog_slope([1.0, 2.0, 3.0], [1.0, 2.0])
