"""Headline numbers of the chapters, written to ``$COURSE_RESULTS_DIR/<notebook>.json``.

Every chapter records its headline numbers with :func:`record`. When the
environment variable ``COURSE_RESULTS_DIR`` is set (``make course`` sets it to
``build/results/default``, ``make full`` to ``results/full``) each call merges
one entry into ``<dir>/<notebook-stem>.json``; otherwise it only keeps the
value in memory. The book's results page and the table printed by
``make course`` are built from these files (``scripts/results_table.py``).

File format::

    {"notebook": "01_johnson_lindenstrauss", "profile": "default",
     "updated": "2026-11-21T12:00:00+00:00", "commit": "abc123...",
     "results": {"bound_k": {"value": 1579, "unit": "dims", "label": "..."}}}
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

from .config import get_profile, repo_root
from .io import atomic_write_text

RESULTS_ENV = "COURSE_RESULTS_DIR"
NOTEBOOK_ENV = "COURSE_NOTEBOOK"

_state: dict[str, Any] = {"notebook": None, "memory": {}}


def set_notebook(stem: str) -> None:
    """Declare which notebook records results (called by :func:`course_lib.setup_notebook`)."""
    if not stem or "/" in stem or stem.endswith((".py", ".ipynb")):
        raise ValueError(f"notebook stem must look like '01_johnson_lindenstrauss', got {stem!r}")
    _state["notebook"] = stem


def current_notebook() -> str:
    """The stem set by :func:`set_notebook`, else ``$COURSE_NOTEBOOK``."""
    stem = _state["notebook"] or os.environ.get(NOTEBOOK_ENV)
    if not stem:
        raise RuntimeError(
            "results.record() does not know which notebook is running: call "
            "course_lib.setup_notebook('NN_topic') first (or set COURSE_NOTEBOOK)."
        )
    return stem


def git_commit(short: bool = False) -> str:
    """The current git commit of the repository (``'unknown'`` outside git)."""
    args = ["git", "rev-parse", "--short" if short else "--verify", "HEAD"]
    try:
        out = subprocess.run(args, cwd=repo_root(), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def _jsonable(value: Any) -> Any:
    """Convert numpy / torch scalars and arrays to plain JSON values."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"refusing to record a non-finite number ({value}); fix the computation")
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def record(key: str, value: Any, **meta: Any) -> Any:
    """Record one headline number of the running notebook and return ``value``.

    Args:
        key: a short identifier, unique within the notebook (``"psnr_bm3d_sigma25"``).
        value: a number (or a small list / dict of numbers).
        **meta: anything that explains the number: ``unit="dB"``, ``label="..."``,
            ``claim="..."`` (a sentence the notebook asserts about it).

    Returns:
        ``value`` unchanged, so that ``x = record("x", compute())`` reads well.
    """
    if not key or not isinstance(key, str):
        raise ValueError("record() needs a non-empty string key")
    entry = {"value": _jsonable(value), **{k: _jsonable(v) for k, v in meta.items()}}
    stem = current_notebook()
    _state["memory"].setdefault(stem, {})[key] = entry
    folder = os.environ.get(RESULTS_ENV)
    if folder:
        path = Path(folder) / f"{stem}.json"
        data = load(path) if path.exists() else {"results": {}}
        data.update(notebook=stem, profile=get_profile().name,
                    updated=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    commit=git_commit())
        data["results"][key] = entry
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
    return value


def recorded(stem: str | None = None) -> dict[str, Any]:
    """The entries recorded so far in this process for ``stem`` (default: current notebook)."""
    return dict(_state["memory"].get(stem or current_notebook(), {}))


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read one results file, with a clear error when it is not valid JSON."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"results file {path} is not valid JSON ({err}); delete it and re-run the notebook") from err
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ValueError(f"results file {path} has no 'results' mapping; delete it and re-run the notebook")
    return data


def load_dir(folder: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Read every ``*.json`` results file in ``folder``, keyed by notebook stem."""
    return {p.stem: load(p) for p in sorted(Path(folder).glob("*.json"))}
