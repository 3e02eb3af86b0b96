"""Helpers shared by the pipeline scripts (not part of course_lib: no chapter uses them)."""

from __future__ import annotations

import contextlib
import fcntl
import re
from pathlib import Path
from typing import Any, Callable, Iterator

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
