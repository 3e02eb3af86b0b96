"""Execute the chapter notebooks in one profile and save executed copies (make course / make full).

The committed notebooks are never modified: executed copies go to ``--out``.
Each notebook records its headline numbers into ``--results/<stem>.json``
(through ``course_lib.results``); this script adds the run's provenance
(profile, commit, date, wall time) to that file.

Usage: python scripts/run_notebooks.py --profile default --out build/executed/default \
           --results build/results/default [--only 01 02]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from _common import NOTEBOOKS, ROOT, chapter_stems, select

sys.path.insert(0, str(ROOT))
from course_lib.config import get_profile  # noqa: E402
from course_lib.io import atomic_write_text  # noqa: E402
from course_lib.results import git_commit  # noqa: E402


def execute(stem: str, profile: str, out: Path, results: Path, timeout: int) -> tuple[float, str | None]:
    """Execute one notebook; return (wall time in s, error message or None)."""
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    os.environ.update(COURSE_PROFILE=profile, COURSE_RESULTS_DIR=str(results.resolve()), COURSE_NOTEBOOK=stem)
    os.environ.pop("MPLBACKEND", None)  # a non-interactive backend here would keep figures out of the notebook
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as err:
        error = str(err).splitlines()[-1] if str(err) else repr(err)
    wall = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / f"{stem}.ipynb", nbformat.writes(nb))
    return wall, error


def add_provenance(results: Path, stem: str, profile: str, wall: float) -> None:
    """Add the run's provenance to ``<results>/<stem>.json`` (created if the notebook recorded nothing)."""
    path = results / f"{stem}.json"
    data = json.loads(path.read_text()) if path.exists() else {"notebook": stem, "results": {}}
    data["run"] = {
        "profile": profile,
        "commit": git_commit(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 1),
        "python": sys.version.split()[0],
    }
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for the executed copies")
    parser.add_argument("--results", type=Path, required=True, help="folder for the results files")
    parser.add_argument("--only", nargs="*", help="chapter numbers or stems (default: all)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds per cell")
    args = parser.parse_args()
    profile = get_profile(args.profile).name
    timeout = args.timeout or {"ci": 600, "default": 1200, "full": 4 * 3600}[profile]
    args.results.mkdir(parents=True, exist_ok=True)
    failures = []
    for stem in select(chapter_stems(), args.only):
        print(f"[{profile}] executing {stem} ...", flush=True)
        wall, error = execute(stem, profile, args.out, args.results, timeout)
        add_provenance(args.results, stem, profile, wall)
        status = "ok" if error is None else f"FAILED: {error}"
        print(f"[{profile}] {stem}: {wall:.1f} s, {status}", flush=True)
        if error:
            failures.append(stem)
    if failures:
        print(f"error: {len(failures)} notebook(s) failed: {', '.join(failures)} "
              f"(executed copies with the traceback are in {args.out})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
