"""Train chapter 05's shipped denoisers and register them in data/checkpoints (``make train CH=05``).

* ``mnist``: the convolutional autoencoder and the U-Net at sigma = 0.1, 0.3, 0.5, and the
  U-Net without skip connections at 0.3 (seven small checkpoints, about half an hour);
* ``dncnn``: the DnCNN-style residual denoiser at sigma = 25 on Train400 (the ``full``
  schedule: about 80 minutes on two cores).

Every run is resumable: a killed run continues from ``build/train/<name>.resume.pt`` at
its last saved step (every 100 DnCNN steps), with the same batches and the same final
weights as an uninterrupted run. ``--fresh`` starts over. The profile (``COURSE_PROFILE``,
default ``full`` here) sets the schedule; under ``ci`` everything runs briefly in a
temporary folder and nothing in data/checkpoints changes.

Usage::

    python scripts/train_05.py              # both parts
    python scripts/train_05.py dncnn        # only the natural-image denoiser
    COURSE_PROFILE=ci python scripts/train_05.py mnist   # smoke test
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from course_lib import denoising, training  # noqa: E402

def train_mnist(fresh: bool) -> None:
    """The MNIST denoisers: conv autoencoder and U-Net at three noise levels, U-Net without skips at 0.3."""
    jobs = [(kind, sigma) for sigma in denoising.MNIST_SIGMAS for kind in ("conv", "unet")]
    jobs.append(("plain", 0.3))
    for kind, sigma in jobs:
        training.train_and_register(denoising.mnist_name(kind, sigma), denoising.mnist_builder(kind),
                                    denoising.mnist_trainer(kind, sigma), fresh=fresh)


def train_dncnn(fresh: bool) -> None:
    """The DnCNN-style denoiser at sigma = 25."""
    training.train_and_register("dncnn_s25", denoising.make_dncnn, denoising.train_dncnn, fresh=fresh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", metavar="part", help="mnist and/or dncnn (default: both)")
    parser.add_argument("--fresh", action="store_true", help="discard saved training states and start over")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.parts) - {"mnist", "dncnn"})
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from: mnist, dncnn")
    os.environ.setdefault("COURSE_PROFILE", "full")
    if args.threads:
        torch.set_num_threads(args.threads)
    parts = args.parts or ["mnist", "dncnn"]
    if "mnist" in parts:
        train_mnist(args.fresh)
    if "dncnn" in parts:
        train_dncnn(args.fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
