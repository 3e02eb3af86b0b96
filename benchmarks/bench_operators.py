"""Time the forward operators that later chapters train through (make benchmark).

Best-of-N wall time of forward + adjoint on a batch, for each operator and size,
written as a Markdown table to benchmarks/operators.md.

Usage: python benchmarks/bench_operators.py [--out benchmarks/operators.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_lib import operators as ops  # noqa: E402
from course_lib.io import atomic_write_text  # noqa: E402
from course_lib.results import git_commit  # noqa: E402


def best_time(fn, repeats: int = 20) -> float:
    """Best wall time of ``fn()`` over ``repeats`` calls, in milliseconds (after one warm-up)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def cases():
    """(name, operator, input shape) of every benchmarked case."""
    for size, n_angles in [(64, 30), (128, 30), (128, 60)]:
        yield f"Radon {size}x{size}, {n_angles} angles", ops.Radon(size, np.linspace(0, 180, n_angles, endpoint=False)), (16, 1, size, size)
    yield "Blur 9x9 Gaussian, 128x128", ops.Blur(ops.gaussian_kernel(9, 2.0)), (16, 1, 128, 128)
    yield "Downsampling x2, 128x128", ops.Downsampling(2), (16, 1, 128, 128)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "operators.md")
    args = parser.parse_args()
    lines = ["# Operator timings", "",
             f"Measured {dt.date.today().isoformat()} at commit `{git_commit(short=True)}`, "
             f"torch {torch.__version__}, {torch.get_num_threads()} threads. Batch of 16, float32, best of 20.", "",
             "| operator | forward + adjoint (ms) | forward + adjoint + backward (ms) |", "|---|---|---|"]
    for name, op, shape in cases():
        x = torch.rand(*shape)
        plain = best_time(lambda: op.adjoint(op(x)))
        xg = x.clone().requires_grad_(True)
        grad = best_time(lambda: op.adjoint(op(xg)).sum().backward())
        lines.append(f"| {name} | {plain:.2f} | {grad:.2f} |")
        print(lines[-1], flush=True)
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
