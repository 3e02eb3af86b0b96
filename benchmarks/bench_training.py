"""Training throughput of the chapter 05 denoisers on this machine (make benchmark).

For each network: median wall time of one Adam step (forward, backward, update) on a
batch of noisy Train400 patches, after warm-up steps, and the resulting patches/s and
pixels/s. Also the inference time of the shipped DnCNN-style network on one BSD68-sized
image (481 x 321). Written as a Markdown table to benchmarks/training.md.

Run it on an otherwise idle machine: other processes on the same cores slow the
two-thread convolutions far more than proportionally.

Usage: python benchmarks/bench_training.py [--out benchmarks/training.md] [--steps 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_lib import denoising  # noqa: E402
from course_lib.io import atomic_write_text  # noqa: E402
from course_lib.models import autoencoders, dncnn  # noqa: E402
from course_lib.results import git_commit  # noqa: E402


def step_seconds(model: torch.nn.Module, batch_fn, steps: int, loss_fn) -> float:
    """Median seconds per Adam step over ``steps`` steps, after two warm-up steps."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    times = []
    for i in range(steps + 2):
        batch = batch_fn(i)
        start = time.perf_counter()
        opt.zero_grad()
        loss_fn(model, batch).backward()
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "training.md")
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    train, _ = denoising.train400_split()
    mnist = torch.rand(512, 1, 28, 28)
    lines = ["# Training throughput", "",
             f"Measured {dt.date.today().isoformat()} at commit `{git_commit(short=True)}`, torch {torch.__version__}, "
             f"{torch.get_num_threads()} threads; median of {args.steps} Adam steps after 2 warm-up steps.", "",
             "| network | batch | s / step | patches / s | kilopixels / s |", "|---|---|---|---|---|"]
    cases = [
        ("DnCNN-style, course (15 x 64, 2x2 unshuffled)", denoising.make_dncnn(), 64, 48),
        ("DnCNN plain 12 x 48", dncnn.build_dncnn(depth=12, width=48), 64, 40),
        ("DnCNN-S 17 x 64 (published size)", dncnn.build_dncnn(depth=17, width=64), 64, 40),
    ]
    for name, model, batch, size in cases:
        sec = step_seconds(model, lambda i, b=batch, s=size: denoising.noisy_patch_batch(
            train, i, batch=b, size=s, sigma255=25), args.steps, denoising.residual_loss)
        lines.append(f"| {name} | {batch} x {size}² | {sec:.3f} | {batch / sec:.0f} | {batch * size * size / sec / 1e3:.0f} |")
        print(lines[-1], flush=True)
    for kind in ("conv", "unet"):
        model = denoising.mnist_builder(kind)()
        batch = 64 if kind == "unet" else 128
        sec = step_seconds(model, lambda i, b=batch: denoising.mnist_noisy_batch(mnist, i, batch=b, sigma=0.3),
                           args.steps, denoising.mnist_loss)
        lines.append(f"| MNIST {kind} ({dncnn.count_parameters(model):,} parameters) | {batch} x 28² | {sec:.3f} | "
                     f"{batch / sec:.0f} | {batch * 784 / sec / 1e3:.0f} |")
        print(lines[-1], flush=True)
    model = denoising.make_dncnn().eval()
    image = torch.rand(1, 1, 321, 481)
    with torch.no_grad():
        model(image)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            model(image)
            times.append(time.perf_counter() - start)
    lines += ["", f"Inference of the course network on one 481 x 321 image: {statistics.median(times) * 1e3:.0f} ms "
              "(median of 5)."]
    print(lines[-1])
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
