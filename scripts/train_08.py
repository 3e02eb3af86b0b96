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

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib import inversion  # noqa: E402
from _common import train_model, training_main  # noqa: E402

MODELS = {
    inversion.INPAINT_NAME: (inversion.make_inpaint_unet, inversion.train_inpaint_unet),
    inversion.FLOW_NAME: (inversion.make_flow, inversion.train_flow),
}


def train_one(name: str, fresh: bool) -> None:
    """Train ``name`` fully into data/checkpoints and register it (ci: a temporary folder)."""
    build, train = MODELS[name]
    train_model(name, build, train, fresh)


def main(argv: list[str] | None = None) -> int:
    return training_main(argv, doc=__doc__, chapter="08", names=tuple(MODELS), train_one=train_one)


if __name__ == "__main__":
    raise SystemExit(main())
