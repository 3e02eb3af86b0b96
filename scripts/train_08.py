"""Train chapter 08's shipped models and register them in data/checkpoints (``make train CH=08``).

* ``ch08_unet_inpaint``: chapter 05's U-Net (width 8, about 0.13 MB) trained to fill centred
  square holes of side 6-16 px in MNIST digits (MSE, 3,000 steps of batch 64; about 3-4 minutes
  on one idle core);
* ``ch08_flow_ring``: an affine-coupling flow (8 blocks of LU mixing + coupling, about 0.3 MB)
  trained by maximum likelihood on the ring of 8 Gaussians (4,000 steps of batch 512; about
  2 minutes on one idle core).

The GAN that chapter 08 inverts is chapter 06's ``dcgan_mnist`` (``scripts/train_06.py``).

Every run is resumable: a killed run continues from ``build/train/<name>.resume.pt`` at its last
saved step, with the same batches and the same final weights. Models already shipped are skipped
(``--retrain`` trains them again); ``--fresh`` starts over. Under ``COURSE_PROFILE=ci`` everything
runs briefly in temporary folders and nothing in data/checkpoints changes (a smoke test).

Usage::

    python scripts/train_08.py                      # both (full profile)
    python scripts/train_08.py ch08_flow_ring       # one model
    COURSE_PROFILE=ci python scripts/train_08.py    # smoke test
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from course_lib import inversion, training  # noqa: E402
from _common import is_shipped, train_into_registry  # noqa: E402

MODELS = {
    inversion.INPAINT_NAME: (inversion.make_inpaint_unet, inversion.train_inpaint_unet),
    inversion.FLOW_NAME: (inversion.make_flow, inversion.train_flow),
}


def train_one(name: str, fresh: bool) -> None:
    """Train ``name`` fully into data/checkpoints and register it (ci: a temporary folder)."""
    build, train = MODELS[name]
    start = time.perf_counter()
    if os.environ["COURSE_PROFILE"] == "ci":
        training.train_and_register(name, build, train, fresh=fresh)
        return
    entry = train_into_registry(name, build, train, fresh)
    print(f"{name}: {entry['bytes'] / 1e6:.3f} MB, {entry['meta']['iterations']} iterations, "
          f"{(time.perf_counter() - start) / 60:.1f} min", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"models to train (default: all): {', '.join(MODELS)}")
    parser.add_argument("--fresh", action="store_true", help="discard saved training states and start over")
    parser.add_argument("--retrain", action="store_true", help="train again what is shipped already")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: tiny networks gain nothing)")
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_PROFILE", "full")
    torch.set_num_threads(args.threads)
    unknown = [n for n in args.names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    for name in args.names or list(MODELS):
        if os.environ["COURSE_PROFILE"] != "ci" and not args.retrain and is_shipped(name):
            print(f"{name}: shipped already (use --retrain to train it again)")
            continue
        train_one(name, args.fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
