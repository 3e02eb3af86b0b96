"""Time every chapter notebook in each profile and write a Markdown table (make benchmark).

Each notebook is executed once per profile into a temporary folder (the committed
notebooks are never touched); the table records wall-clock seconds against the
profile's budget, with the machine, date and commit.

Usage: python benchmarks/time_notebooks.py --profiles ci default --out benchmarks/latest.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from _common import chapter_stems, select  # noqa: E402
from run_notebooks import execute  # noqa: E402

from course_lib.config import get_profile  # noqa: E402
from course_lib.io import atomic_write_text  # noqa: E402
from course_lib.results import git_commit  # noqa: E402


def machine() -> str:
    """One line describing the machine the times were measured on."""
    torch_threads = os.environ.get("OMP_NUM_THREADS", "default")
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, OMP_NUM_THREADS={torch_threads}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["ci", "default"])
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "latest.md")
    args = parser.parse_args()
    profiles = [get_profile(p) for p in args.profiles]
    stems = select(chapter_stems(), args.only)
    times: dict[tuple[str, str], str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for profile in profiles:
            for stem in stems:
                wall, error = execute(stem, profile.name, Path(tmp) / profile.name, Path(tmp) / "results", 4 * 3600)
                budget = profile.seconds_per_notebook
                flag = "" if budget is None or wall <= budget else " (over budget)"
                times[stem, profile.name] = f"{wall:.0f} s{flag}" if error is None else f"failed ({error[:40]})"
                print(f"{profile.name:8s} {stem}: {times[stem, profile.name]}", flush=True)
    header = "| notebook | " + " | ".join(f"{p.name} (budget {p.seconds_per_notebook or '-'} s)" for p in profiles) + " |"
    lines = ["# Notebook run times", "",
             f"Measured {dt.date.today().isoformat()} at commit `{git_commit(short=True)}` on {machine()}.",
             "Wall-clock seconds of one execution (kernel start included); regenerate with `make benchmark`.", "",
             header, "|---|" + "---|" * len(profiles)]
    lines += [f"| {stem} | " + " | ".join(times[stem, p.name] for p in profiles) + " |" for stem in stems]
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
