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

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from course_lib import training, unrolled  # noqa: E402
from _common import is_shipped, train_into_registry  # noqa: E402


def train_one(name: str, fresh: bool) -> None:
    """Train ``name`` fully into data/checkpoints and register it (under the registry lock)."""
    start = time.perf_counter()
    if os.environ["COURSE_PROFILE"] == "ci":
        training.train_and_register(name, unrolled.builder(name), unrolled.trainer(name), fresh=fresh)
        return
    entry = train_into_registry(name, unrolled.builder(name), unrolled.trainer(name), fresh)
    print(f"{name}: {entry['bytes'] / 1e6:.3f} MB, {entry['meta']['iterations']} iterations, "
          f"{(time.perf_counter() - start) / 60:.1f} min", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"models to train (default: all): {', '.join(unrolled.MODEL_NAMES)}")
    parser.add_argument("--fresh", action="store_true", help="discard saved training states and start over")
    parser.add_argument("--retrain", action="store_true", help="train again what is shipped already")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_PROFILE", "full")
    profile = os.environ["COURSE_PROFILE"]
    torch.set_num_threads(args.threads)
    unknown = [n for n in args.names if n not in unrolled.MODEL_NAMES]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(unrolled.MODEL_NAMES)}")
    wanted = [n for n in unrolled.MODEL_NAMES if n in (args.names or unrolled.MODEL_NAMES)]
    todo = [n for n in wanted if args.retrain or profile == "ci" or not is_shipped(n)]
    for name in sorted(set(wanted) - set(todo), key=wanted.index):
        print(f"{name}: shipped already (use --retrain to train it again)")
    start = time.perf_counter()
    for name in todo:
        train_one(name, args.fresh)
    if profile != "ci":
        shipped = training.shipped_checkpoints()
        total = sum(shipped[n]["bytes"] for n in unrolled.MODEL_NAMES if n in shipped)
        print(f"chapter 10 ships {total / 1e6:.3f} MB in {sum(n in shipped for n in unrolled.MODEL_NAMES)} models")
        if total > 5_000_000:
            print("warning: more than the 5 MB the chapter may ship", file=sys.stderr)
    print(f"train_10: {len(todo)} model(s) in {(time.perf_counter() - start) / 60:.1f} min (profile {profile})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
