"""Check the built book after `make course`: no error outputs, every figure present and loaded, math typeset.

* every executed notebook in ``--executed`` has no error output;
* every ``<img>`` of every chapter page points at a file that exists, and each chapter
  page has at least as many images as its executed notebook has figure outputs;
* in headless Chromium (when installed) every chapter page has typeset math, no raw
  TeX, and all of its figures load.

Usage: python scripts/check_book.py --executed build/executed/default [--html book/_build/html]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from _common import ROOT, chapter_stems
from browser import find_chromium, inspect


def notebook_problems(nb_path: Path) -> tuple[list[str], int]:
    """Error outputs of an executed notebook, and its number of figure outputs."""
    nb = nbformat.read(nb_path, as_version=4)
    problems, figures = [], 0
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"{nb_path.name}: cell {index} raised {output.get('ename')}: {output.get('evalue')}")
            if "image/png" in output.get("data", {}) or "image/svg+xml" in output.get("data", {}):
                figures += 1
    if figures == 0:
        problems.append(f"{nb_path.name}: no figure outputs (was it executed?)")
    return problems, figures


def page_problems(page: Path, expected_figures: int) -> list[str]:
    """Missing image files and missing figures on a built page."""
    if not page.exists():
        return [f"missing page {page}"]
    html = page.read_text(encoding="utf-8")
    article = html.split("<article", 1)[-1]
    sources = re.findall(r'<img[^>]+src="([^"]+)"', article)
    problems = [f"{page.name}: image {src} does not exist" for src in sources
                if not src.startswith("data:") and not (page.parent / src.split("?")[0]).exists()]
    if len(sources) < expected_figures:
        problems.append(f"{page.name}: {len(sources)} images on the page, {expected_figures} figures in the notebook")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executed", type=Path, required=True)
    parser.add_argument("--html", type=Path, default=ROOT / "book" / "_build" / "html")
    args = parser.parse_args()
    problems: list[str] = []
    chromium = find_chromium()
    for stem in chapter_stems():
        nb_problems, figures = notebook_problems(args.executed / f"{stem}.ipynb")
        page = args.html / "chapters" / f"{stem}.html"
        problems += nb_problems + page_problems(page, figures)
        if chromium and page.exists():
            report = inspect(page, chromium)
            problems += [f"{page.name}: {p}" for p in report.problems]
            if report.math_elements == 0:
                problems.append(f"{page.name}: no typeset math found")
            print(f"{stem}: {figures} figures, {report.figures_loaded}/{report.figures_total} loaded in Chromium, "
                  f"{report.math_elements} typeset formulas")
        else:
            print(f"{stem}: {figures} figures" + ("" if chromium else " (chromium not installed: browser check skipped)"))
    if problems:
        print("error: the built book has problems:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("book check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
