"""The README shows the syllabus (one line per chapter) and the latest benchmark table."""

from __future__ import annotations

import re

from _common import ROOT, chapter_stems


def test_syllabus_has_one_line_per_chapter() -> None:
    text = (ROOT / "README.md").read_text()
    syllabus = text.split("## Syllabus", 1)[1].split("\n## ", 1)[0]
    numbers = re.findall(r"^\| (\d\d) \|", syllabus, flags=re.M)
    assert numbers == [f"{n:02d}" for n in range(1, 11)], "the syllabus lists chapters 01-10 in order"
    for stem in chapter_stems():
        line = next(row for row in syllabus.splitlines() if row.startswith(f"| {stem[:2]} |"))
        assert line.rstrip(" |").endswith("written"), f"chapter {stem} is in the book: mark it 'written' in the README"


def test_readme_benchmark_table_is_the_latest() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- benchmark:start -->\n", 1)[1].split("<!-- benchmark:end -->", 1)[0]
    latest = (ROOT / "benchmarks" / "latest.md").read_text().split("\n", 2)[2]
    assert block == latest, "README's benchmark table differs from benchmarks/latest.md: run `make benchmark`"
