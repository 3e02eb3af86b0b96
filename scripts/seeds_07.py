"""Chapter 07's seed study: train the chapter again with other seeds and score every run (``make seeds07``).

Chapter 07 ships one training run of each restorer (seed 0). Whether "the adversarial term
costs PSNR but buys sharpness" is a property of the losses or of that run is a question for
more runs: this script trains the noise GAN and the eleven restorers again with each seed in
``--seeds`` (other initial weights, other batches; the ``gcbd`` restorer uses that seed's
noise GAN), with the full schedules of ``scripts/train_07.py``, into
``build/seeds07/seed<N>/`` (resumable: a killed run continues from its last saved step).
It then scores seed 0 (the shipped models) and every finished seed with
:func:`course_lib.restoration.seeds.score_models` on the chapter's 2,000 evaluation digits
and writes ``results/seeds/07_gan_restoration.json`` (atomically, with provenance), which
the notebook displays and ``tests/test_seed_study.py`` checks: every ordering the chapter
asserts must hold on every seed.

Budget: one seed is about 40 units of ``train_07.COST``; seed 1 took 29 minutes with ``--jobs 2``
on 2 cores that two other training jobs shared, plus 24 minutes for the restarts of its two
collapsed U-Nets, and scoring takes about 4 minutes. The judge is not retrained: it scores, it is
not scored.

Usage::

    python scripts/seeds_07.py --jobs 2              # seed 1, then score seeds 0 and 1
    python scripts/seeds_07.py --seeds 1 2 --jobs 2  # two extra seeds
    python scripts/seeds_07.py --score-only          # re-score what is trained
    COURSE_PROFILE=ci python scripts/seeds_07.py     # smoke test in a temporary folder
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from course_lib import restoration, training  # noqa: E402
from course_lib.io import atomic_write_text  # noqa: E402
from course_lib.restoration import seeds as study  # noqa: E402
from course_lib.results import git_commit  # noqa: E402
from train_07 import lanes  # noqa: E402

#: The models of one seed, in training order (the noise GAN before the restorer that needs it).
NAMES: tuple[str, ...] = (restoration.NOISE_GAN_NAME, *restoration.SPECS)
N_EVAL = {"ci": 100, "default": 2000, "full": 2000}
#: Restarts allowed per model when a run collapses (``restoration.seeds.collapsed``, training inputs only).
MAX_RESTARTS = 2


def seed_dir(base: Path, seed: int) -> Path:
    return base / f"seed{seed}"


def load_file(name: str, seed: int, path: Path) -> torch.nn.Module:
    """A model of seed ``seed`` from its file (``torch.load(weights_only=True)``), in eval mode."""
    model = restoration.builder(name, seed)()
    model.load_state_dict(training.load_checkpoint(path, chapter="07")["model"])
    return model.eval()


def train_one(base: Path, seed: int, name: str) -> None:
    """Train model ``name`` of seed ``seed`` into ``base/seed<seed>/<name>.pt`` unless it is there.

    The restart rule looks at training inputs only: a restorer whose outputs on
    training inputs are constant (:func:`course_lib.restoration.seeds.collapsed`, the dying-ReLU
    failure of small networks) is trained again with seed ``seed + 1000 k``, at most
    :data:`MAX_RESTARTS` times; the count is kept in ``restarts.json`` and in the study.
    """
    folder = seed_dir(base, seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.pt"
    task = restoration.SPECS[name].task if name in restoration.SPECS else None
    first = 0
    if out.exists():
        if task is None or not study.collapsed(load_file(name, seed, out), task):
            print(f"seed {seed} {name}: trained already", flush=True)
            return
        first = 1  # a collapsed run of an earlier call: go on with the restarts
    start = time.perf_counter()
    noise = folder / f"{restoration.NOISE_GAN_NAME}.pt"
    noise_gan = (lambda: load_file(restoration.NOISE_GAN_NAME, seed, noise)) if name == "ch07_sn_gcbd" else None
    restart = first
    for restart in range(first, MAX_RESTARTS + 1):
        run_seed = seed + study.RESTART_OFFSET * restart
        attempt = out if restart == 0 else folder / f"{name}.restart{restart}.pt"
        model = restoration.builder(name, run_seed)()
        restoration.trainer(name, run_seed, noise_gan)(model, attempt)
        if task is None or not study.collapsed(model, task):
            break
        print(f"seed {seed} {name}: run with seed {run_seed} collapsed (constant output on training inputs); "
              "training again", flush=True)
    if restart:
        _note_restart(folder, name, restart)
        attempt.replace(out)
    print(f"seed {seed} {name}: {(time.perf_counter() - start) / 60:.1f} min", flush=True)


def _note_restart(folder: Path, name: str, count: int) -> None:
    path = folder / "restarts.json"
    notes = json.loads(path.read_text()) if path.exists() else {}
    notes[name] = count
    atomic_write_text(path, json.dumps(notes, indent=1) + "\n")


def needs_training(base: Path, seed: int, name: str) -> bool:
    """Model ``name`` of ``seed`` is missing, or is a restorer whose run collapsed."""
    path = seed_dir(base, seed) / f"{name}.pt"
    if not path.exists():
        return True
    return name in restoration.SPECS and study.collapsed(load_file(name, seed, path), restoration.SPECS[name].task)


def train_seeds(base: Path, seeds: list[int], jobs: int) -> None:
    """Train every model of every seed, in ``jobs`` worker processes of one thread each."""
    todo = [(s, n) for s in seeds for n in NAMES if needs_training(base, s, n)]
    if not todo:
        return
    if jobs == 1:
        for s, n in todo:
            train_one(base, s, n)
        return
    for s in seeds:
        names = [n for t, n in todo if t == s]
        if not names:
            continue
        base_cmd = [sys.executable, str(Path(__file__).resolve()), "--base", str(base)]
        procs = [subprocess.Popen(base_cmd + ["--worker", f"{s}:{','.join(lane)}"]) for lane in lanes(names, jobs)]
        codes = [p.wait() for p in procs]
        if any(codes):
            raise SystemExit(f"error: a worker failed (exit codes {codes}); re-run the same command to resume")


def score_all(base: Path, seeds: list[int], n_eval: int) -> dict[str, dict[str, float]]:
    """Scores of seed 0 (the shipped models) and of every seed in ``seeds`` whose models are all trained."""
    classifier, judge = restoration.classifier()[0], restoration.judge()[0]
    runs: dict[str, dict[str, torch.nn.Module]] = {"0": {n: restoration.load(n)[0] for n in restoration.SPECS}}
    for s in seeds:
        files = {n: seed_dir(base, s) / f"{n}.pt" for n in restoration.SPECS}
        if all(p.exists() for p in files.values()):
            runs[str(s)] = {n: load_file(n, s, p) for n, p in files.items()}
        else:
            print(f"seed {s}: not every model is trained; not scored")
    return {seed: study.score_models(models, n_eval, classifier=classifier, judge=judge)
            for seed, models in runs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="seeds to train besides 0 (default: 1)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--score-only", action="store_true", help="only score the seeds already trained")
    parser.add_argument("--base", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_PROFILE", "full")
    profile = os.environ["COURSE_PROFILE"]
    torch.set_num_threads(1)
    if profile not in N_EVAL:
        parser.error(f"COURSE_PROFILE must be one of {', '.join(N_EVAL)}, got {profile!r}")
    if any(s <= 0 for s in args.seeds):
        parser.error("--seeds: seed 0 is the shipped run; give seeds >= 1")
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    if args.worker is not None:
        seed, names = args.worker.split(":")
        for name in names.split(","):
            train_one(Path(args.base), int(seed), name)
        return 0
    if profile == "ci":  # smoke test: brief schedules in a temporary folder, nothing committed
        with tempfile.TemporaryDirectory() as tmp:
            train_seeds(Path(tmp), args.seeds, 1)
            scores = score_all(Path(tmp), args.seeds, N_EVAL["ci"])
        print(json.dumps({s: study.margins(v) for s, v in scores.items()}, indent=1))
        return 0
    base = Path(args.base) if args.base else ROOT / "build" / "seeds07"
    start = time.perf_counter()
    if not args.score_only:
        train_seeds(base, args.seeds, args.jobs)
    train_minutes = (time.perf_counter() - start) / 60
    t0 = time.perf_counter()
    scores = score_all(base, args.seeds, N_EVAL[profile])
    payload = {
        "chapter": "07_gan_restoration", "profile": profile, "n_eval": N_EVAL[profile],
        "run": {"commit": git_commit(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "wall_time_s": round(time.perf_counter() - t0, 1), "python": platform.python_version(),
                "torch": torch.__version__, "training_minutes_this_call": round(train_minutes, 1)},
        "what": ("seed 0 = the shipped models; seed N = the same recipes trained again with seed N (initial weights "
                 "of generators and discriminators, batches, noise GAN); chapter 05's baselines and the judge are "
                 "the shipped ones"),
        "seeds": scores,
        "restarts": {str(s): json.loads((seed_dir(base, s) / "restarts.json").read_text())
                     for s in args.seeds if (seed_dir(base, s) / "restarts.json").exists()},
    }
    study.STUDY_FILE.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(study.STUDY_FILE, json.dumps(payload, indent=1) + "\n")
    for row in study.study_table(payload):
        margins = "  ".join(f"{k}: {v:+.3f}" for k, v in row.items() if k.startswith("seed "))
        print(f"{'A' if row['asserted'] else ' '} {'ok ' if row['holds on every seed'] else 'NO '} {row['key']:34s} {margins}")
    print(f"wrote {study.STUDY_FILE.relative_to(ROOT)} ({len(scores)} seeds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
