"""Helpers shared by the pipeline scripts (not part of course_lib: no chapter uses them)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHAPTER_RE = re.compile(r"^(\d\d)_[a-z0-9_]+$")


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
