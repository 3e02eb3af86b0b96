"""Train chapter 09's shipped models and register them in data/checkpoints (``make train CH=09``).

Three models (``course_lib.adversarial.MODEL_NAMES``, about 4 MB together):

* ``ch09_ct_critic``: the global critic (six 5x5 convolutions 16 -> 128 channels, dense head) for
  the CT benchmark of ``course_lib.ct``: phantoms = P_r, Hann FBPs = P_n (unpaired); float16;
* ``ch09_denoise_critic``: the patch critic for natural images at sigma 25/255 on unpaired
  32 x 32 Train400 patches (clean = P_r, noisy = P_n);
* ``ch09_ct_unet``: the supervised CT post-processing U-Net (FBP -> phantom), reused by chapter 10.

Budget: about 25 minutes of one core in total (600 + 1200 critic steps, 4000 U-Net steps), one
thread. The 2-D toy critics train in seconds inside the notebook.

Every run is resumable: a killed run continues from ``build/train/<name>.resume.pt`` (saved every
50-100 steps). Models already shipped are skipped (``--retrain`` trains them again, ``--fresh``
discards saved training states). Under ``COURSE_PROFILE=ci`` everything runs briefly in temporary
folders and nothing in data/checkpoints changes (a smoke test).

Usage::

    OMP_NUM_THREADS=1 python scripts/train_09.py            # all three (full profile)
    OMP_NUM_THREADS=1 python scripts/train_09.py ch09_ct_unet
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

from course_lib import adversarial, training  # noqa: E402
from _common import is_shipped  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default: all of {', '.join(adversarial.MODEL_NAMES)}")
    parser.add_argument("--fresh", action="store_true", help="discard saved training states and start over")
    parser.add_argument("--retrain", action="store_true", help="train again what is shipped already")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_PROFILE", "full")
    profile = os.environ["COURSE_PROFILE"]
    torch.set_num_threads(args.threads)
    unknown = [n for n in args.names if n not in adversarial.MODEL_NAMES]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(adversarial.MODEL_NAMES)}")
    wanted = [n for n in adversarial.MODEL_NAMES if n in (args.names or adversarial.MODEL_NAMES)]
    start = time.perf_counter()
    for name in wanted:
        if profile != "ci" and is_shipped(name) and not args.retrain:
            print(f"{name}: shipped already (use --retrain to train it again)")
            continue
        t0 = time.perf_counter()
        if profile == "ci":
            training.train_and_register(name, adversarial.builder(name), adversarial.trainer(name), fresh=args.fresh)
            continue
        out = training.default_checkpoint_dir() / f"{name}.pt"
        state = training.resume_path(out)
        if args.fresh and state.exists():
            state.unlink()
        model = adversarial.builder(name)()
        adversarial.trainer(name)(model, out)
        entry = training.register_checkpoint(name, out)
        print(f"{name}: {entry['bytes'] / 1e6:.2f} MB, {entry['meta']['iterations']} iterations, "
              f"{(time.perf_counter() - t0) / 60:.1f} min", flush=True)
    if profile != "ci":
        shipped = training.shipped_checkpoints()
        total = sum(shipped[n]["bytes"] for n in adversarial.MODEL_NAMES if n in shipped)
        print(f"chapter 09 ships {total / 1e6:.2f} MB in {sum(n in shipped for n in adversarial.MODEL_NAMES)} models")
    print(f"train_09: {(time.perf_counter() - start) / 60:.1f} min (profile {profile})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
