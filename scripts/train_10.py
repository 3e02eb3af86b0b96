"""Train chapter 10's shipped models and register them in data/checkpoints (``make train CH=10``).

Models (``course_lib.unrolled.MODEL_NAMES``, a few hundred kB together):

* ``ch10_rim``: the recurrent inference machine (conv-GRU memory, T = 5 shared-weight steps) on
  the sparse-angle CT benchmark of :mod:`course_lib.ct`, started at the FBP, loss on every iterate;
* ``ch10_lgd``: the ablation without hidden state (learned gradient steps), same schedule;
* ``ch10_rim_natural``: one RIM for denoising, deblurring and 2x super-resolution of natural-image
  patches (it sees the operator only through the gradient of the data term).

Budget: about 40 minutes of one shared core in total (1 thread): RIM 21 min, ablation 13, natural-image RIM 4.
Every run is resumable: a killed run continues from ``build/train/<name>.resume.pt`` (saved every
100 steps); models already shipped are skipped (``--retrain`` trains them again, ``--fresh``
discards saved states). Under ``COURSE_PROFILE=ci`` everything runs briefly in temporary folders
and nothing in data/checkpoints changes (a smoke test).

Usage::

    OMP_NUM_THREADS=1 python scripts/train_10.py              # everything (full profile)
    OMP_NUM_THREADS=1 python scripts/train_10.py ch10_rim     # one model
    COURSE_PROFILE=ci python scripts/train_10.py              # smoke test
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib import unrolled  # noqa: E402
from _common import train_model, training_main  # noqa: E402


def train_one(name: str, fresh: bool) -> None:
    """Train ``name`` fully into data/checkpoints and register it (ci: a temporary folder)."""
    train_model(name, unrolled.builder(name), unrolled.trainer(name), fresh)


def main(argv: list[str] | None = None) -> int:
    return training_main(argv, doc=__doc__, chapter="10", names=unrolled.MODEL_NAMES, train_one=train_one,
                         budget_bytes=5_000_000)


if __name__ == "__main__":
    raise SystemExit(main())
