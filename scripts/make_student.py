"""Write the student version of every chapter: solutions replaced by NotImplementedError (make student).

In a chapter, an exercise is a code cell tagged ``exercise`` whose first line is
``# Exercise N.M: <one-line task>`` and whose solution sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION``. The student version replaces those
lines, markers included, by ``raise NotImplementedError("Exercise N.M: <task>")`` at
the marker's indentation, and drops every output.

Usage: python scripts/make_student.py --out build/student
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import jupytext
import nbformat

from _common import NOTEBOOKS, chapter_stems

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HEADER = re.compile(r"^#\s*(Exercise\s+\d+\.\d+):\s*(\S.*)$")


class ExerciseFormatError(ValueError):
    """An exercise cell does not follow the convention of CONTRIBUTING.md."""


def exercise_header(source: str) -> tuple[str, str]:
    """Return ``("Exercise N.M", task)`` from the cell's first line."""
    first = source.lstrip().splitlines()[0] if source.strip() else ""
    match = HEADER.match(first.strip())
    if not match:
        raise ExerciseFormatError(f"an exercise cell must start with '# Exercise N.M: <task>', found {first!r}")
    return match.group(1), match.group(2).strip()


def strip_solution(source: str) -> str:
    """Replace every BEGIN/END SOLUTION block of ``source`` by a NotImplementedError stub."""
    name, task = exercise_header(source)
    message = f"{name}: {task}".replace("\\", "\\\\").replace('"', '\\"')
    out, inside, found = [], False, 0
    for line in source.splitlines():
        if line.strip() == BEGIN:
            if inside:
                raise ExerciseFormatError(f"{name}: nested {BEGIN}")
            inside, found = True, found + 1
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}raise NotImplementedError("{message}")')
        elif line.strip() == END:
            if not inside:
                raise ExerciseFormatError(f"{name}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside or not found:
        raise ExerciseFormatError(f"{name}: needs one {BEGIN} ... {END} block")
    return "\n".join(out)


def is_exercise(cell: dict) -> bool:
    """True for a code cell tagged ``exercise``."""
    return cell.get("cell_type") == "code" and "exercise" in cell.get("metadata", {}).get("tags", [])


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with solutions stubbed and outputs removed."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if is_exercise(cell):
                cell.source = strip_solution(cell.source)
            elif BEGIN in cell.source:
                raise ExerciseFormatError(f"a cell with {BEGIN} is not tagged 'exercise': {cell.source[:60]!r}")
    return nb


def read_chapter(stem: str, folder: Path = NOTEBOOKS) -> nbformat.NotebookNode:
    """Read a chapter from its jupytext source (the source of truth)."""
    return jupytext.read(folder / f"{stem}.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("build/student"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for stem in chapter_stems():
        nb = student_notebook(read_chapter(stem))
        count = sum(is_exercise(c) for c in nb.cells)
        nbformat.write(nb, args.out / f"{stem}.ipynb")
        print(f"{stem}: {count} exercises -> {args.out / (stem + '.ipynb')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
