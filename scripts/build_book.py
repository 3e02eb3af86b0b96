"""Build the course's Jupyter Book (make course, make book, tests/test_book.py).

The committed ``book/`` folder holds only the configuration and the pages written
by hand. This script stages a copy of it together with

* the chapter notebooks (``--notebooks``: executed copies for ``make course``, the
  committed ones without outputs for the book test),
* ``references.bib``, the chapters' ``book/bib/chNN.bib`` files merged,
* ``results.md``, generated from the results files (``--results`` of this run and the
  committed ``results/full``),
* MathJax 3 from the npm package ``mathjax@3.2.2`` (``make mathjax`` fetches it into
  ``build/mathjax``), copied into ``_vendor/mathjax`` (served as ``_static/mathjax``); without it the book falls back
  to a CDN and says so,

then runs ``jupyter-book build`` into ``--out`` (default ``book/``, so the site is
``book/_build/html``) and fails when the build log has a warning or an error.

Usage: python scripts/build_book.py --notebooks build/executed/default --results build/results/default
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from _common import ROOT, chapter_stems

sys.path.insert(0, str(ROOT))
from course_lib import results as results_mod  # noqa: E402

BOOK = ROOT / "book"
MATHJAX = ROOT / "build" / "mathjax" / "node_modules" / "mathjax" / "es5"
CDN = "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-mml-chtml.js"
# Warnings that do not point at a broken page, chapter or reference.
HARMLESS = [re.compile(p) for p in (
    r"WARNING: .*nbformat.*",
)]


def _format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and len(value) > 6:
        return f"[{len(value)} values]"
    return str(value)


def results_section(title: str, folder: Path, with_provenance: bool) -> list[str]:
    """Markdown tables of every results file in ``folder``."""
    lines = [f"## {title}", ""]
    files = results_mod.load_dir(folder) if folder.is_dir() else {}
    if not files:
        return lines + ["No results files yet.", ""]
    for stem, data in files.items():
        lines += [f"### {stem}", ""]
        run = data.get("run", {})
        if with_provenance:
            lines += [f"Profile `{run.get('profile', data.get('profile', '?'))}`, commit "
                      f"`{str(run.get('commit', data.get('commit', '?')))[:10]}`, run on "
                      f"{run.get('date', data.get('updated', '?'))}, wall time "
                      f"{run.get('wall_time_s', '?')} s.", ""]
        lines += ["| result | value | unit | what it is |", "|---|---|---|---|"]
        for key, entry in data["results"].items():
            label = str(entry.get("label", "")).replace("|", "\\|")
            lines.append(f"| `{key}` | {_format_value(entry.get('value'))} | {entry.get('unit', '')} | {label} |")
        lines.append("")
    return lines


def write_results_page(stage: Path, run_results: Path | None) -> None:
    """Write ``results.md``: this build's results and the committed full-profile results."""
    lines = ["# Results", "",
             "Every headline number of the course, as the notebooks recorded it with "
             "`course_lib.results.record`. The `full`-profile numbers were measured at paper "
             "scale by `make full` and committed with their provenance; unit tests re-assert "
             "their claims on every run.", ""]
    lines += results_section("Full profile (committed)", ROOT / "results" / "full", with_provenance=True)
    if run_results is not None:
        lines += results_section("This build", run_results, with_provenance=True)
    (stage / "results.md").write_text("\n".join(lines), encoding="utf-8")


BIB_ENTRY = re.compile(r"^@\w+\{([^,\s]+),", re.M)


def merged_bibliography(folder: Path = BOOK / "bib") -> str:
    """The chapters' BibTeX files (``book/bib/chNN.bib``) as one text; a key defined twice differently is an error."""
    entries: dict[str, str] = {}
    for bib in sorted(folder.glob("*.bib")):
        text = bib.read_text(encoding="utf-8")
        starts = [m.start() for m in BIB_ENTRY.finditer(text)] + [len(text)]
        for begin, end in zip(starts, starts[1:]):
            chunk = text[begin:end].strip()
            key = BIB_ENTRY.match(chunk).group(1)
            if key in entries and " ".join(entries[key].split()) != " ".join(chunk.split()):
                raise SystemExit(f"error: bibliography key {key!r} is defined differently in two files of {folder}")
            entries[key] = chunk
    return "\n\n".join(entries[k] for k in sorted(entries)) + "\n"


def stage_book(stage: Path, notebooks: Path, run_results: Path | None) -> bool:
    """Copy the book sources, the notebooks and MathJax into ``stage``; return True if MathJax is local."""
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(BOOK, stage, ignore=shutil.ignore_patterns("_build", "chapters", "bib"))
    (stage / "references.bib").write_text(merged_bibliography(), encoding="utf-8")
    chapters = stage / "chapters"
    chapters.mkdir()
    for stem in chapter_stems():
        source = notebooks / f"{stem}.ipynb"
        if not source.exists():
            raise SystemExit(f"error: {source} is missing; execute the notebooks first (make course)")
        shutil.copy2(source, chapters / source.name)
    write_results_page(stage, run_results)
    if (MATHJAX / "tex-mml-chtml.js").exists():
        shutil.copytree(MATHJAX, stage / "_vendor" / "mathjax")
        return True
    (stage / "_vendor").mkdir(exist_ok=True)
    config = stage / "_config.yml"
    config.write_text(config.read_text().replace("mathjax/tex-mml-chtml.js", CDN))
    print("warning: no local MathJax (run 'make mathjax', which needs npm); the book loads MathJax from a CDN",
          file=sys.stderr)
    return False


def build(stage: Path, out: Path) -> list[str]:
    """Run jupyter-book; return the problem lines of its log (warnings and errors)."""
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(stage), "--path-output", str(out), "--builder", "html", "--all"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    (out / "_build").mkdir(parents=True, exist_ok=True)
    (out / "_build" / "build.log").write_text(log)
    problems = [line for line in log.splitlines()
                if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback", line)
                and not any(p.search(line) for p in HARMLESS)]
    if proc.returncode != 0:
        problems.append(f"jupyter-book exited with {proc.returncode}")
    reports = out / "_build" / "html" / "reports"
    problems += [f"execution report: {p.name}" for p in reports.glob("*.log")] if reports.is_dir() else []
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--results", type=Path, default=None, help="this run's results folder")
    parser.add_argument("--out", type=Path, default=BOOK, help="the site goes to OUT/_build/html")
    parser.add_argument("--stage", type=Path, default=ROOT / "build" / "book_src")
    args = parser.parse_args()
    local = stage_book(args.stage, args.notebooks, args.results)
    problems = build(args.stage, args.out)
    html = args.out / "_build" / "html" / "index.html"
    if problems or not html.exists():
        print("error: the book build has problems:\n  " + "\n  ".join(problems or ["no index.html"]), file=sys.stderr)
        return 1
    print(f"book built: {html} (MathJax {'local' if local else 'from CDN'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
