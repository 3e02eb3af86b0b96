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

MARK_START, MARK_END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


def read_table(path: Path) -> dict[tuple[str, str], str]:
    """The cells of an earlier table (notebook, profile) -> text, so a partial run (--only) keeps the rest."""
    if not path.exists():
        return {}
    rows = [line for line in path.read_text().splitlines() if line.startswith("| ")]
    if not rows:
        return {}
    names = [cell.strip().split(" ")[0] for cell in rows[0].strip("|").split("|")[1:]]
    cells: dict[tuple[str, str], str] = {}
    for row in rows[1:]:
        parts = [cell.strip() for cell in row.strip("|").split("|")]
        cells.update({(parts[0], name): value for name, value in zip(names, parts[1:])})
    return cells


def render(stems: list[str], profiles: list, times: dict[tuple[str, str], str],
           previous: dict[tuple[str, str], str]) -> str:
    """The Markdown table of run times (every chapter; cells not re-measured keep their earlier value)."""
    merged = {**previous, **times}
    header = "| notebook | " + " | ".join(f"{p.name} (budget {p.seconds_per_notebook or '-'} s)" for p in profiles) + " |"
    lines = [f"Measured {dt.date.today().isoformat()} at commit `{git_commit(short=True)}` on {machine()}"
             + ("; cells marked * are from an earlier run." if set(previous) - set(times) else "."),
             "Wall-clock seconds of one execution (kernel start included); regenerate with `make benchmark`.", "",
             header, "|---|" + "---|" * len(profiles)]
    for stem in chapter_stems():
        row = []
        for p in profiles:
            cell = merged.get((stem, p.name), "not measured")
            row.append(cell if (stem, p.name) in times or cell == "not measured" else cell.rstrip("*") + "*")
        lines.append(f"| {stem} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, table: str) -> None:
    """Copy the table into the README between its benchmark markers (the README shows the latest table)."""
    text = readme.read_text()
    if MARK_START not in text or MARK_END not in text:
        raise SystemExit(f"{readme}: the markers {MARK_START} / {MARK_END} are missing; add them where the table goes")
    head, rest = text.split(MARK_START, 1)
    tail = rest.split(MARK_END, 1)[1]
    atomic_write_text(readme, f"{head}{MARK_START}\n{table}{MARK_END}{tail}")


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
    table = render(stems, profiles, times, previous=read_table(args.out))
    atomic_write_text(args.out, "# Notebook run times\n\n" + table)
    update_readme(ROOT / "README.md", table)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
