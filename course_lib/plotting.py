"""Figures and tables shared by the chapters.

Every plotting function returns the :class:`matplotlib.figure.Figure` it drew (it never
calls ``plt.show()``): in a notebook assign it (``fig = image_grid(x)``) or end the line
with ``;`` so that it is shown once. Tables are Markdown strings, displayed with
``IPython.display.Markdown(comparison_table(rows))``.

* :func:`image_grid` -- a batch ``(N, C, H, W)`` as one grid image (chapters 03-10);
* :func:`compare_images` -- rows = methods, columns = images, optional PSNR labels;
* :func:`loss_curves` -- training curves of one or more :class:`~course_lib.training.History`;
* :func:`comparison_table` -- a Markdown table of results;
* :func:`fit_loglog_slope`, :func:`loglog_with_fit` -- empirical rates (chapters 01-02).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .training import History

__all__ = ["comparison_table", "compare_images", "fit_loglog_slope", "image_grid", "loglog_with_fit", "loss_curves"]


def _as_tensor(images: Any, name: str) -> torch.Tensor:
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"{name} must be a torch tensor or numpy array, got {type(images).__name__}")
    return images.detach().cpu().float()


def _check_nchw(x: torch.Tensor, name: str, channels: tuple[int, ...] = (1, 3)) -> None:
    if x.dim() != 4:
        raise ValueError(
            f"{name} must have shape (N, C, H, W), got {tuple(x.shape)} ({x.dim()} dimensions). "
            "For one image use x[None]; for a (N, H, W) batch use x[:, None]."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty (N = 0)")
    if x.shape[1] not in channels:
        raise ValueError(f"{name} must have C in {channels} channels, got shape {tuple(x.shape)}")


def _normalise(x: torch.Tensor, vmin: float | None, vmax: float | None) -> torch.Tensor:
    lo = float(x.min()) if vmin is None else float(vmin)
    hi = float(x.max()) if vmax is None else float(vmax)
    if not hi > lo:
        hi = lo + 1.0
    return ((x - lo) / (hi - lo)).clamp(0.0, 1.0)


def _new_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Figure, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def image_grid(
    images: torch.Tensor | np.ndarray,
    *,
    nrow: int = 8,
    titles: Sequence[str] | None = None,
    title: str | None = None,
    ax: Any = None,
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    padding: int = 2,
) -> Figure:
    """Show a batch of images as one grid (via ``torchvision.utils.make_grid``).

    Args:
        images: shape ``(N, C, H, W)`` with ``C`` = 1 (grey) or 3 (RGB).
        nrow: images per row.
        titles: one short label per image, written in its top-left corner.
        title: the axes' title.
        ax: draw into this axes (default: a new figure).
        vmin, vmax: the intensity range shown black / white (values outside are clipped);
            ``None`` uses the batch's minimum / maximum.
        padding: pixels between images (drawn white).

    Returns:
        The Figure.

    Raises:
        ValueError: wrong rank or channel count, or ``len(titles) != N``.
    """
    from torchvision.utils import make_grid

    x = _as_tensor(images, "images")
    _check_nchw(x, "images")
    n, _, h, w = x.shape
    if nrow < 1:
        raise ValueError(f"nrow must be >= 1, got {nrow}")
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles has {len(titles)} entries for {n} images")
    grid = make_grid(_normalise(x, vmin, vmax), nrow=nrow, padding=padding, pad_value=1.0)
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    inch = 1.2 / max(h, w)  # about 1.2 inch per image
    fig, ax = _new_axes(ax, (max(2.0, cols * w * inch), max(1.5, rows * h * inch + (0.4 if title else 0.0))))
    ax.imshow(grid.permute(1, 2, 0).numpy(), vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if titles is not None:
        for k, text in enumerate(titles):
            r, c = divmod(k, cols)
            ax.text(c * (w + padding) + padding + 1, r * (h + padding) + padding + 1, str(text),
                    fontsize=7, va="top", ha="left", color="black",
                    bbox={"facecolor": "white", "alpha": 0.7, "pad": 1, "edgecolor": "none"})
    if title:
        ax.set_title(title)
    return fig


def compare_images(
    images: Mapping[str, torch.Tensor | np.ndarray],
    *,
    n: int = 4,
    labels: Mapping[str, Sequence[Any]] | None = None,
    label_fmt: str = "{:.2f} dB",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    title: str | None = None,
    size: float = 1.6,
) -> Figure:
    """Compare methods side by side: one row per method, one column per image.

    Args:
        images: method name -> tensor ``(N, 1, H, W)`` (or ``(N, 3, H, W)``), e.g.
            ``{"clean": x, "noisy": y, "BM3D": x_bm3d, "DnCNN": x_dncnn}``; all with the
            same ``H, W`` and at least ``n`` images.
        n: how many images (columns) to show.
        labels: method name -> one label per image shown under it; numbers are formatted
            with ``label_fmt`` (PSNRs computed by the caller: ``{"BM3D": psnr_per_image}``).
        label_fmt: format of numeric labels.
        vmin, vmax: intensity range (``None``: each image's own range).
        title: the figure's title.
        size: inches per image.

    Returns:
        The Figure.

    Raises:
        ValueError: no methods, wrong rank, shapes that differ, fewer than ``n`` images,
            labels for an unknown method or with too few entries.
    """
    if not images:
        raise ValueError("compare_images needs at least one method")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    tensors = {name: _as_tensor(x, f"images[{name!r}]") for name, x in images.items()}
    shape = None
    for name, x in tensors.items():
        _check_nchw(x, f"images[{name!r}]")
        if x.shape[0] < n:
            raise ValueError(f"images[{name!r}] has {x.shape[0]} images, fewer than n={n}")
        if shape is None:
            shape = tuple(x.shape[1:])
        elif tuple(x.shape[1:]) != shape:
            raise ValueError(f"images[{name!r}] has images of shape {tuple(x.shape[1:])}, the first method {shape}")
    labels = dict(labels or {})
    for name, vals in labels.items():
        if name not in tensors:
            raise ValueError(f"labels[{name!r}] names no method of images ({', '.join(tensors)})")
        if len(vals) < n:
            raise ValueError(f"labels[{name!r}] has {len(vals)} entries, fewer than n={n}")
    fig, axes = plt.subplots(len(tensors), n, figsize=(n * size, len(tensors) * size * 1.08), squeeze=False)
    for r, (name, x) in enumerate(tensors.items()):
        for c in range(n):
            ax = axes[r, c]
            img = _normalise(x[c], vmin, vmax)
            if img.shape[0] == 1:
                ax.imshow(img[0].numpy(), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            else:
                ax.imshow(img.permute(1, 2, 0).numpy(), vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name)
            if name in labels:
                value = labels[name][c]
                text = label_fmt.format(float(value)) if isinstance(value, (int, float, np.number)) else str(value)
                ax.set_xlabel(text, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _curve(obj: Any, metric: str | None, name: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(obj, History):
        if metric is None:
            return np.asarray(obj.steps, dtype=float), np.asarray(obj.losses, dtype=float)
        if metric not in obj.evals:
            raise ValueError(f"history {name!r} has no eval metric {metric!r} (it has {sorted(obj.evals)})")
        return np.asarray(obj.eval_steps, dtype=float), np.asarray(obj.evals[metric], dtype=float)
    if isinstance(obj, Mapping):
        if "steps" not in obj or "losses" not in obj:
            raise ValueError(f"curve {name!r}: a mapping needs 'steps' and 'losses'")
        steps, values = np.asarray(obj["steps"], dtype=float), np.asarray(obj["losses"], dtype=float)
    else:
        if isinstance(obj, torch.Tensor):
            obj = obj.detach().cpu().numpy()
        values = np.asarray(obj, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"curve {name!r} must be one-dimensional, got shape {values.shape}")
        steps = np.arange(1, len(values) + 1, dtype=float)
    if steps.shape != values.shape:
        raise ValueError(f"curve {name!r}: {len(steps)} steps but {len(values)} values")
    return steps, values


def _ema(values: np.ndarray, smooth: float) -> np.ndarray:
    out = np.empty_like(values)
    acc, weight = 0.0, 0.0
    for i, v in enumerate(values):
        acc = smooth * acc + (1 - smooth) * v
        weight = smooth * weight + (1 - smooth)
        out[i] = acc / weight  # debiased, so the curve starts at the first value
    return out


def loss_curves(
    histories: Mapping[str, History | Sequence[float] | Mapping[str, Sequence[float]]],
    *,
    log: bool = True,
    smooth: float = 0.0,
    metric: str | None = None,
    ax: Any = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Plot training curves against the step.

    Args:
        histories: label -> a :class:`~course_lib.training.History`, a 1-D sequence of
            losses (steps 1, 2, ...) or a mapping with ``"steps"`` and ``"losses"``.
        log: logarithmic y axis (needs positive values).
        smooth: exponential-moving-average weight in ``[0, 1)``; when ``> 0`` the raw curve
            is drawn faintly under the smoothed one.
        metric: plot this eval metric of each History (e.g. ``"psnr"``) instead of the loss.
        ax: draw into this axes (default: a new figure).
        title, ylabel: labels (``ylabel`` defaults to ``metric`` or ``"training loss"``).

    Returns:
        The Figure.

    Raises:
        ValueError: empty input, ``smooth`` outside ``[0, 1)``, non-positive values with
            ``log=True``, malformed curves.
    """
    if not histories:
        raise ValueError("loss_curves needs at least one curve")
    if not 0.0 <= smooth < 1.0:
        raise ValueError(f"smooth must be in [0, 1), got {smooth}")
    curves = {name: _curve(h, metric, name) for name, h in histories.items()}
    if log:
        for name, (_, values) in curves.items():
            finite = values[np.isfinite(values)]
            if finite.size and (finite <= 0).any():
                raise ValueError(f"curve {name!r} has values <= 0; pass log=False to plot it")
    fig, ax = _new_axes(ax, (6.0, 3.6))
    for name, (steps, values) in curves.items():
        if smooth > 0 and len(values) > 1:
            (line,) = ax.plot(steps, values, alpha=0.25)
            ax.plot(steps, _ema(values, smooth), color=line.get_color(), label=name)
        else:
            ax.plot(steps, values, label=name, marker="o" if len(values) == 1 else None)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel or metric or "training loss")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def _cell(value: Any, fmt: str) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"table cells must be scalars, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else format(value, fmt)
    return str(value).replace("|", "\\|").replace("\n", " ")


def comparison_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    floatfmt: str | Mapping[str, str] = ".2f",
) -> str:
    """A Markdown table of results (display with ``IPython.display.Markdown``).

    Args:
        rows: one dict per row, e.g. ``{"method": "BM3D", "PSNR (dB)": 28.31, "time (s)": 1.2}``.
        columns: the columns in order (default: the keys in order of first appearance).
        floatfmt: format spec of floats, one for all columns or column -> spec
            (columns not in the mapping use ``".2f"``).

    Returns:
        The table text; numeric columns are right-aligned, missing cells empty.

    Raises:
        ValueError: no rows, a row that is not a dict, a column that no row has.
    """
    if isinstance(rows, Mapping) or not isinstance(rows, Sequence) or len(rows) == 0:
        raise ValueError("comparison_table needs a non-empty list of dicts")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(f"row {i} is a {type(row).__name__}, not a dict")
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    else:
        columns = list(columns)
        unknown = [c for c in columns if not any(c in row for row in rows)]
        if unknown:
            raise ValueError(f"no row has the column(s) {unknown}")
    if not columns:
        raise ValueError("the table has no columns")

    def fmt(col: str) -> str:
        return floatfmt.get(col, ".2f") if isinstance(floatfmt, Mapping) else floatfmt

    def numeric(col: str) -> bool:
        vals = [row[col] for row in rows if row.get(col) is not None]
        return bool(vals) and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
            or (isinstance(v, torch.Tensor) and v.numel() == 1) for v in vals)

    header = "| " + " | ".join(_cell(c, ".2f") for c in columns) + " |"
    rule = "|" + "|".join("---:" if numeric(c) else ":---" for c in columns) + "|"
    body = ["| " + " | ".join(_cell(row.get(c), fmt(c)) for c in columns) + " |" for row in rows]
    return "\n".join([header, rule, *body])


def _positive_pairs(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same length, got {xa.size} and {ya.size}")
    if xa.size < 2:
        raise ValueError("a slope needs at least two points")
    if not (np.isfinite(xa).all() and np.isfinite(ya).all()) or (xa <= 0).any() or (ya <= 0).any():
        raise ValueError("a log-log fit needs finite, strictly positive x and y")
    if np.unique(xa).size < 2:
        raise ValueError("a slope needs at least two distinct x values")
    return xa, ya


def fit_loglog_slope(x: Any, y: Any) -> tuple[float, float]:
    """Least-squares fit of ``log y = slope * log x + intercept`` (chapters 01-02).

    Natural logarithms: ``y ~ exp(intercept) * x**slope``. The slope does not depend on
    the base.

    Raises:
        ValueError: fewer than two points, different lengths, values that are not > 0.
    """
    xa, ya = _positive_pairs(x, y)
    slope, intercept = np.polyfit(np.log(xa), np.log(ya), 1)
    return float(slope), float(intercept)


def loglog_with_fit(
    x: Any,
    y: Any,
    *,
    ax: Any = None,
    label: str = "measured",
    fit_range: tuple[float, float] | None = None,
    reference_slope: float | None = None,
    xlabel: str = "x",
    ylabel: str = "y",
    title: str | None = None,
) -> tuple[Figure, float]:
    """Plot ``y`` against ``x`` on log-log axes with the fitted power law; return (Figure, slope).

    Args:
        x, y: positive values.
        ax: draw into this axes (default: a new figure).
        label: legend label of the points.
        fit_range: fit only the points with ``fit_range[0] <= x <= fit_range[1]``
            (e.g. the asymptotic regime).
        reference_slope: also draw a line of this slope (the theoretical rate) through
            the first fitted point.
        xlabel, ylabel, title: labels.

    Returns:
        The Figure and the fitted slope (see :func:`fit_loglog_slope`).
    """
    xa, ya = _positive_pairs(x, y)
    mask = np.ones_like(xa, dtype=bool)
    if fit_range is not None:
        mask = (xa >= fit_range[0]) & (xa <= fit_range[1])
    slope, intercept = fit_loglog_slope(xa[mask], ya[mask])
    fig, ax = _new_axes(ax, (5.0, 3.6))
    ax.loglog(xa, ya, "o", label=label)
    xs = np.geomspace(xa[mask].min(), xa[mask].max(), 50)
    ax.loglog(xs, np.exp(intercept) * xs**slope, "-", label=f"fit: slope {slope:.2f}")
    if reference_slope is not None:
        x0, y0 = xa[mask][0], np.exp(intercept) * xa[mask][0] ** slope
        ax.loglog(xs, y0 * (xs / x0) ** reference_slope, "--", color="gray",
                  label=f"reference slope {reference_slope:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig, slope
