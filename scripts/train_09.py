"""Train chapter 09's shipped models and register them in data/checkpoints (``make train CH=09``).

Three models (``course_lib.adversarial.MODEL_NAMES``, about 6 MB together):

* ``ch09_ct_critic``: the global critic (six 5x5 convolutions 16 -> 128 channels, dense head) for
  the CT benchmark of ``course_lib.ct``: phantoms = P_r, Hann FBPs = P_n (unpaired); float16;
* ``ch09_denoise_critic``: the patch critic for natural images at sigma 25/255 on unpaired
  32 x 32 Train400 patches (clean = P_r, noisy = P_n);
* ``ch09_ct_unet``: the supervised CT post-processing U-Net (FBP -> phantom), reused by chapter 10.

Budget (measured on a machine shared by three to four jobs, one thread each): the CT critic
5,000 steps, the denoising critic 4,000 steps, the U-Net 4,000 steps; about 90 core-minutes on
idle cores, so under 60 minutes on 2 cores when two processes share the work, e.g.
``python scripts/train_09.py ch09_ct_critic & python scripts/train_09.py ch09_denoise_critic ch09_ct_unet``
(registry updates are locked). The critics' learning rate is constant, so a saved state of a
shorter run is continued when the schedule grows (``--retrain``). The denoising critic's length was
chosen on the training crops the notebook tunes on: 8,000 steps scored lower there than 4,000.
The 2-D toy critics train in seconds inside the notebook.

Every run is resumable: a killed run continues from ``build/train/<name>.resume.pt`` (saved every
50-100 steps). Models already shipped are skipped (``--retrain`` trains them again, ``--fresh``
discards saved training states). Under ``COURSE_PROFILE=ci`` everything runs briefly in temporary
folders and nothing in data/checkpoints changes (a smoke test).

Usage::

    OMP_NUM_THREADS=1 python scripts/train_09.py            # all three (full profile)
    OMP_NUM_THREADS=1 python scripts/train_09.py ch09_ct_unet
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib import adversarial  # noqa: E402
from _common import train_model, training_main  # noqa: E402


def train_one(name: str, fresh: bool) -> None:
    """Train ``name`` fully into data/checkpoints and register it (ci: a temporary folder)."""
    train_model(name, adversarial.builder(name), adversarial.trainer(name), fresh)


def main(argv: list[str] | None = None) -> int:
    return training_main(argv, doc=__doc__, chapter="09", names=adversarial.MODEL_NAMES, train_one=train_one,
                         budget_bytes=16_000_000)


if __name__ == "__main__":
    raise SystemExit(main())
