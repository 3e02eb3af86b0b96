"""Helpers shared by the pipeline scripts (not part of course_lib: no chapter uses them)."""

from __future__ import annotations

import contextlib
import fcntl
import re
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHAPTER_RE = re.compile(r"^(\d\d)_[a-z0-9_]+$")
REGISTRY_LOCK = ROOT / "build" / "train" / "registry.lock"


def chapter_stems(folder: Path = NOTEBOOKS) -> list[str]:
    """The stems ``NN_topic`` of the chapter sources in ``folder``, in chapter order."""
    return sorted(p.stem for p in folder.glob("[0-9][0-9]_*.py") if CHAPTER_RE.match(p.stem))


def select(stems: list[str], only: list[str] | None) -> list[str]:
    """Keep the stems whose number or name is in ``only`` (all when ``only`` is empty)."""
    if not only:
        return stems
    chosen = [s for s in stems if s[:2] in only or s in only]
    if not chosen:
        raise SystemExit(f"error: no chapter matches {only}; chapters are {', '.join(stems)}")
    return chosen


@contextlib.contextmanager
def registry_lock() -> Iterator[None]:
    """Serialise the training scripts' read-modify-write updates of data/checkpoints/registry.json."""
    REGISTRY_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(REGISTRY_LOCK, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_shipped(name: str) -> bool:
    """Whether checkpoint ``name`` is registered and its file is present in data/checkpoints."""
    from course_lib import training

    entry = training.shipped_checkpoints().get(name)
    return entry is not None and (training.default_checkpoint_dir() / entry["file"]).exists()


def train_into_registry(name: str, build: Callable[[], Any], train: Callable[[Any, Path], Any], fresh: bool) -> dict:
    """Train ``name`` fully into data/checkpoints (resumable), then register it under :func:`registry_lock`.

    ``build()`` makes the model and ``train(model, out_path)`` trains it, resuming from
    ``build/train/<name>.resume.pt`` unless ``fresh``. Returns the registry entry (bytes, sha256, meta).
    """
    from course_lib import training

    out = training.default_checkpoint_dir() / f"{name}.pt"
    state = training.resume_path(out)
    if fresh and state.exists():
        state.unlink()
    train(build(), out)
    with registry_lock():
        return training.register_checkpoint(name, out)


def train_model(name: str, build: Callable[[], Any], train: Callable[[Any, Path], Any], fresh: bool) -> None:
    """Train one shipped model: under ``COURSE_PROFILE=ci`` briefly in a temporary folder (a smoke
    test, nothing in data/checkpoints changes), otherwise fully with :func:`train_into_registry`."""
    import os
    import time

    from course_lib import training

    start = time.perf_counter()
    if os.environ.get("COURSE_PROFILE") == "ci":
        training.train_and_register(name, build, train, fresh=fresh)
        return
    entry = train_into_registry(name, build, train, fresh)
    print(f"{name}: {entry['bytes'] / 1e6:.3f} MB, {entry['meta']['iterations']} iterations, "
          f"{(time.perf_counter() - start) / 60:.1f} min", flush=True)


def training_main(argv: list[str] | None, *, doc: str | None, chapter: str, names: Sequence[str],
                  train_one: Callable[[str, bool], None], budget_bytes: int | None = None) -> int:
    """The command line of a chapter's training script: ``[NAME ...] [--fresh] [--retrain] [--threads N]``.

    Trains the named models (default: all of ``names``, in that order) with ``train_one(name, fresh)``,
    skipping those already shipped unless ``--retrain``; then prints what the chapter ships and warns
    above ``budget_bytes``. The profile defaults to ``full``.
    """
    import argparse
    import os
    import sys
    import time

    import torch

    from course_lib import training

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"models to train (default: all): {', '.join(names)}")
    parser.add_argument("--fresh", action="store_true", help="discard saved training states and start over")
    parser.add_argument("--retrain", action="store_true", help="train again what is shipped already")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_PROFILE", "full")
    profile = os.environ["COURSE_PROFILE"]
    torch.set_num_threads(args.threads)
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    wanted = [n for n in names if n in (args.names or names)]
    todo = [n for n in wanted if args.retrain or profile == "ci" or not is_shipped(n)]
    for name in sorted(set(wanted) - set(todo), key=wanted.index):
        print(f"{name}: shipped already (use --retrain to train it again)")
    start = time.perf_counter()
    for name in todo:
        train_one(name, args.fresh)
    if profile != "ci":
        shipped = training.shipped_checkpoints()
        total = sum(shipped[n]["bytes"] for n in names if n in shipped)
        print(f"chapter {chapter} ships {total / 1e6:.3f} MB in {sum(n in shipped for n in names)} models")
        if budget_bytes is not None and total > budget_bytes:
            print(f"warning: more than the {budget_bytes / 1e6:g} MB the chapter may ship", file=sys.stderr)
    print(f"train_{chapter}: {len(todo)} model(s) in {(time.perf_counter() - start) / 60:.1f} min (profile {profile})")
    return 0
