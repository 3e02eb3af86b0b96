"""Train chapter 07's shipped models and register them in data/checkpoints (``make train CH=07``).

Thirteen small models (about 4.3 MB together; each generator is 0.4 MB), listed in
``course_lib.restoration.MODEL_NAMES``:

* ``ch07_judge``: a second MNIST classifier that scores restored digits independently of
  chapter 06's classifier (which is in the perceptual losses);
* ``ch07_noise_gan``: the noise generator of the blind-denoising experiment (WGAN-GP);
* eleven restorers (``course_lib.restoration.SPECS``): denoising at sigma 0.5 with MSE, L1,
  Pix2Pix (lambda 100 and 10) and MSE + perceptual loss; occlusion removal with MSE and
  1 - SSIM; deblurring with MSE and DeblurGAN's WGAN-GP + perceptual loss; chapter 05's
  U-Net trained on the true structured noise and on GAN-synthesised noise.

**Needs chapter 06's classifier** (``gan06_classifier``, ``python scripts/train_06.py classifier``):
its features define the perceptual loss. The script refuses to start without it.

Budget (``full`` profile, the default here): 3,000 generator steps per restorer, 2,000 for the
noise GAN, 1,500 for the judge. Estimated on two idle cores: about 35-45 minutes with
``--jobs 2`` (two worker processes of one thread each; tiny networks gain nothing from a
second thread), about twice that with ``--jobs 1``.

Every run is resumable: a killed run continues from ``build/train/<name>.resume.pt`` at its
last saved step (every 250 steps), with the same batches and the same final weights as an
uninterrupted run; models already shipped are skipped (``--retrain`` trains them again).
``--fresh`` starts over. Under ``COURSE_PROFILE=ci`` everything runs briefly in temporary
folders and nothing in data/checkpoints changes (a smoke test).

Usage::

    python scripts/train_07.py --jobs 2          # everything (full profile)
    python scripts/train_07.py ch07_dn_p2p100    # one model
    COURSE_PROFILE=ci python scripts/train_07.py # smoke test
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from course_lib import gan, restoration, training  # noqa: E402
from _common import is_shipped, train_model  # noqa: E402

#: Relative cost of each model's full schedule (1 unit: about a minute of one idle core).
COST: dict[str, float] = {
    "ch07_judge": 0.3, "ch07_noise_gan": 4.0, "ch07_dn_mse": 2.0, "ch07_dn_l1": 2.0, "ch07_dn_p2p100": 5.0,
    "ch07_dn_p2p10": 5.0, "ch07_dn_perc": 3.0, "ch07_occ_mse": 2.0, "ch07_occ_ssim": 2.6, "ch07_blur_mse": 2.2,
    "ch07_blur_gan": 7.0, "ch07_sn_true": 3.0, "ch07_sn_gcbd": 3.3,
}
#: Models that need another model of the chapter first (trained earlier in the same worker).
NEEDS: dict[str, str] = {"ch07_sn_gcbd": restoration.NOISE_GAN_NAME}


def train_one(name: str, fresh: bool) -> None:
    """Train ``name`` fully into data/checkpoints and register it (under the registry lock; ci: a temporary folder)."""
    train_model(name, restoration.builder(name), restoration.trainer(name), fresh)


def lanes(names: list[str], jobs: int) -> list[list[str]]:
    """Split ``names`` into ``jobs`` lists of similar total cost (longest first); a model and the
    model it needs stay in one list, in that order."""
    groups: list[list[str]] = []
    for name in names:
        need = NEEDS.get(name)
        host = next((g for g in groups if need in g), None) if need else None
        if host is not None:
            host.append(name)
        else:
            groups.append([name])
    for name, need in NEEDS.items():  # a needed model that comes later in `names` joins its dependant's group
        holders = [g for g in groups if name in g]
        needed = [g for g in groups if need in g]
        if holders and needed and holders[0] is not needed[0]:
            needed[0].extend(holders[0])
            groups.remove(holders[0])
    out: list[list[str]] = [[] for _ in range(jobs)]
    loads = [0.0] * jobs
    for group in sorted(groups, key=lambda g: -sum(COST.get(n, 1.0) for n in g)):
        i = loads.index(min(loads))
        out[i].extend(group)
        loads[i] += sum(COST.get(n, 1.0) for n in group)
    return [lane for lane in out if lane]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"models to train (default: all): {', '.join(restoration.MODEL_NAMES)}")
    parser.add_argument("--jobs", type=int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--fresh", action="store_true", help="discard saved training states and start over")
    parser.add_argument("--retrain", action="store_true", help="train again what is shipped already")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per process (default: 1 with --jobs > 1)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_PROFILE", "full")
    profile = os.environ["COURSE_PROFILE"]
    if args.threads or args.worker or args.jobs > 1:
        torch.set_num_threads(args.threads or 1)

    if args.worker is not None:  # one lane, started by the parent
        for name in args.worker.split(","):
            train_one(name, args.fresh)
        return 0

    unknown = [n for n in args.names if n not in restoration.MODEL_NAMES]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(restoration.MODEL_NAMES)}")
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    if profile != "ci" and not is_shipped(gan.CLASSIFIER_NAME):
        print(f"error: chapter 06's classifier {gan.CLASSIFIER_NAME} is not shipped in data/checkpoints; the "
              "perceptual losses of chapter 07 use its features. Fix: run `python scripts/train_06.py classifier` "
              "first (about a minute).", file=sys.stderr)
        return 2
    wanted = [n for n in restoration.MODEL_NAMES if n in (args.names or restoration.MODEL_NAMES)]
    todo = [n for n in wanted if args.retrain or profile == "ci" or not is_shipped(n)]
    for name in sorted(set(wanted) - set(todo), key=wanted.index):
        print(f"{name}: shipped already (use --retrain to train it again)")
    start = time.perf_counter()
    if args.jobs == 1 or profile == "ci" or len(todo) <= 1:
        for name in todo:
            train_one(name, args.fresh)
    else:
        plan = lanes(todo, args.jobs)
        for i, lane in enumerate(plan):
            print(f"worker {i}: {', '.join(lane)} (about {sum(COST.get(n, 1.0) for n in lane):.0f} units)")
        base = [sys.executable, str(Path(__file__).resolve()), "--threads", str(args.threads or 1)]
        procs = [subprocess.Popen(base + ["--worker", ",".join(lane)] + (["--fresh"] if args.fresh else []))
                 for lane in plan]
        codes = [p.wait() for p in procs]
        if any(codes):
            print(f"error: a worker failed (exit codes {codes}); re-run the same command to resume", file=sys.stderr)
            return 1
    if profile != "ci":
        shipped = training.shipped_checkpoints()
        total = sum(shipped[n]["bytes"] for n in restoration.MODEL_NAMES if n in shipped)
        print(f"chapter 07 ships {total / 1e6:.2f} MB in {sum(n in shipped for n in restoration.MODEL_NAMES)} models")
        if total > 5_000_000:
            print("warning: more than the 5 MB the chapter may ship", file=sys.stderr)
    print(f"train_07: {len(todo)} model(s) in {(time.perf_counter() - start) / 60:.1f} min (profile {profile})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
