"""Regenerate every notebooks/NN_topic.ipynb from its jupytext source NN_topic.py (make sync).

The .py file is the source of truth; the .ipynb is written without outputs.
``--check`` only reports pairs that are out of sync (exit 1), as the tests do; ``--only 05``
limits either to some chapters. A notebook whose content would not change is not rewritten.
"""

from __future__ import annotations

import argparse
import sys

import jupytext
import nbformat

from _common import NOTEBOOKS, ROOT, chapter_stems, select

sys.path.insert(0, str(ROOT))
from course_lib.io import atomic_write_text  # noqa: E402

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def paired_notebook(stem: str) -> nbformat.NotebookNode:
    """The .ipynb content that belongs to ``notebooks/<stem>.py``."""
    nb = jupytext.read(NOTEBOOKS / f"{stem}.py")
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"  # stable ids: re-syncing an unchanged chapter changes nothing
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def cells_of(nb: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    """(type, source, tags) of each cell: what must agree between the two files of a pair."""
    return [(c.cell_type, c.source.strip(), tuple(c.get("metadata", {}).get("tags", []))) for c in nb.cells]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report pairs that are out of sync")
    parser.add_argument("--only", nargs="*", help="chapter numbers or stems (default: all)")
    args = parser.parse_args()
    stale = []
    for stem in select(chapter_stems(), args.only):
        target = NOTEBOOKS / f"{stem}.ipynb"
        wanted = paired_notebook(stem)
        if args.check:
            if not target.exists() or cells_of(nbformat.read(target, as_version=4)) != cells_of(wanted):
                stale.append(stem)
            continue
        text = jupytext.writes(wanted, fmt="ipynb").rstrip("\n") + "\n"  # as jupytext.write saves it
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        atomic_write_text(target, text)
        print(f"wrote {target}")
    if stale:
        print(f"out of sync: {', '.join(stale)}; run 'make sync'", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
