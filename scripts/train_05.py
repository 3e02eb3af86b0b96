"""Train chapter 05's shipped denoisers and register them in data/checkpoints (``make train CH=05``).

* ``mnist``: the convolutional autoencoder and the U-Net at sigma = 0.1, 0.3, 0.5, and at 0.3
  the U-Net without skip connections, the dense autoencoder, the VAE and the autoencoders of
  the latent sweep (15 small checkpoints, about 45 minutes on one core);
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


def train_mnist(fresh: bool, retrain: bool = False) -> None:
    """The MNIST models.

    The baselines of chapters 07-08 (conv autoencoder and U-Net at three noise levels) and,
    at sigma = 0.3, the models of chapter 05's experiments: the U-Net without skips, the dense
    autoencoder, the VAE and the convolutional autoencoders of the latent sweep.
    """
    jobs = [(kind, sigma, None) for sigma in denoising.MNIST_SIGMAS for kind in ("conv", "unet")]
    jobs += [("plain", 0.3, None), ("dense", 0.3, None), ("vae", 0.3, None)]
    jobs += [("conv", 0.3, k) for k in denoising.LATENT_SWEEP if k != denoising.MNIST_KINDS["conv"]["latent"]]
    for kind, sigma, latent in jobs:
        name = denoising.mnist_name(kind, sigma, latent)
        if not retrain and _shipped(name):
            print(f"{name}: shipped already (use --retrain to train it again)")
            continue
        training.train_and_register(name, denoising.mnist_builder(kind, latent=latent),
                                    denoising.mnist_trainer(kind, sigma), fresh=fresh)


def _shipped(name: str) -> bool:
    """Whether ``name`` is registered and its file is present (outside the ci profile)."""
    entry = training.shipped_checkpoints().get(name)
    return entry is not None and (training.default_checkpoint_dir() / entry["file"]).exists() \
        and os.environ.get("COURSE_PROFILE") != "ci"


def train_dncnn(fresh: bool, retrain: bool = False) -> None:
    """The DnCNN-style denoiser at sigma = 25."""
    if not retrain and _shipped("dncnn_s25"):
        print("dncnn_s25: shipped already (use --retrain to train it again)")
        return
    training.train_and_register("dncnn_s25", denoising.make_dncnn, denoising.train_dncnn, fresh=fresh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", metavar="part", help="mnist and/or dncnn (default: both)")
    parser.add_argument("--fresh", action="store_true", help="discard saved training states and start over")
    parser.add_argument("--retrain", action="store_true", help="train again what is shipped already")
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
        train_mnist(args.fresh, args.retrain)
    if "dncnn" in parts:
        train_dncnn(args.fresh, args.retrain)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
