"""Train chapter 06's shipped models and register them in data/checkpoints (``make train CH=06``).

Three parts, in this order (each later part uses the earlier ones):

* ``classifier``: the small MNIST classifier whose features define the chapter's Fréchet
  distance and whose predictions give the class spread (``gan06_classifier``, about 0.4 MB);
* ``dcgan``: the DCGAN used later -- generator and discriminator in one checkpoint
  (``dcgan_mnist``, about 3.6 MB), non-saturating loss, G:D 1:1, seed 0; chapter 08 inverts
  its generator;
* ``runs``: the experiment -- three generator losses x G:D step ratios 1:1 and 1:3, three
  seeds at 1:1 for the saturating and non-saturating losses (10 runs). Only what the
  chapter shows is kept (``gan06_dcgan_runs``, under 1 MB): 64 samples, the logged curves and
  the final quality of every run; no weights. Its non-saturating 1:1 seed-0 run *is* the
  ``dcgan`` run (it resumes from that run's finished training state instead of repeating it).

Budget of the ``full`` profile (the default here) on 2 CPU cores: about 1 minute for the
classifier and 0.2-0.3 s per generator step of a 1:1 run (twice that at 1:3, FD evaluations
included); the ten runs cost 13 units of 800 generator steps, 35-50 minutes for everything.

Every run is resumable: a killed run continues from ``build/train/<name>.resume.pt`` at its
last saved step (every 25 generator steps), with the same batches and the same final weights
as an uninterrupted run. ``--fresh`` starts over. Under ``COURSE_PROFILE=ci`` everything runs
briefly in temporary folders and nothing in data/checkpoints changes (a smoke test).

Usage::

    python scripts/train_06.py                      # everything (full profile)
    python scripts/train_06.py runs --threads 2     # only the experiment
    COURSE_PROFILE=ci python scripts/train_06.py    # smoke test
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from course_lib import gan, training  # noqa: E402

PARTS = ("classifier", "dcgan", "runs")


def _forget_run_states() -> None:
    """``--fresh`` for the experiment: delete the per-run training states in build/train."""
    folder = training.default_checkpoint_dir()
    for run in gan.RUNS:
        if run != gan.SHIPPED_RUN:
            state = training.resume_path(folder / f"gan06_run_{run.name}.pt")
            if state.exists():
                state.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # no `choices=`: argparse (Python 3.11) rejects an empty list against choices, so check by hand
    parser.add_argument("parts", nargs="*", metavar="PART",
                        help=f"what to train: any of {', '.join(PARTS)} (default: all, in this order)")
    parser.add_argument("--fresh", action="store_true", help="discard saved training states and start over")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    args = parser.parse_args(argv)
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    os.environ.setdefault("COURSE_PROFILE", "full")
    if args.threads:
        torch.set_num_threads(args.threads)
    parts = [p for p in PARTS if p in args.parts] if args.parts else list(PARTS)
    start = time.perf_counter()
    if "classifier" in parts:
        training.train_and_register(gan.CLASSIFIER_NAME, gan.make_classifier, gan.train_classifier, fresh=args.fresh)
    if "dcgan" in parts:
        training.train_and_register(gan.DCGAN_NAME, gan.make_dcgan, gan.train_dcgan, fresh=args.fresh)
    if "runs" in parts:
        if args.fresh and os.environ["COURSE_PROFILE"] != "ci":
            _forget_run_states()
        training.train_and_register(gan.ARCHIVE_NAME, gan.make_run_archive, gan.train_dcgan_runs, fresh=args.fresh)
    print(f"train_06: {', '.join(parts)} done in {(time.perf_counter() - start) / 60:.1f} min "
          f"(profile {os.environ['COURSE_PROFILE']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
