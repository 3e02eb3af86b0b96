"""Print the headline results of a run as a table (the end of `make course`).

Usage: python scripts/results_table.py build/results/default
"""

from __future__ import annotations

import sys
from pathlib import Path

from _common import ROOT

sys.path.insert(0, str(ROOT))
from course_lib.results import load_dir  # noqa: E402


def table(folder: Path) -> str:
    """A plain-text table: chapter, result, value, unit, label."""
    rows = [("chapter", "result", "value", "unit", "what it is")]
    for stem, data in load_dir(folder).items():
        for key, entry in data["results"].items():
            value = entry.get("value")
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
            rows.append((stem[:2], key, text[:14], str(entry.get("unit", "")), str(entry.get("label", ""))[:60]))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "results" / "default"
    if not folder.is_dir() or not any(folder.glob("*.json")):
        print(f"no results files in {folder}; run 'make course' first", file=sys.stderr)
        return 1
    print(f"Headline results ({folder}):\n")
    print(table(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
