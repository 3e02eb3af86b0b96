"""The book builds from the committed notebooks (no execution), and Chromium typesets its math."""

from __future__ import annotations

from pathlib import Path

import pytest

from _common import NOTEBOOKS, chapter_stems
from browser import find_chromium, inspect
from build_book import MATHJAX, build, stage_book

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def built_book(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("book")
    stage_book(root / "src", NOTEBOOKS, None)
    problems = build(root / "src", root / "out")
    assert not problems, "the book build reported:\n" + "\n".join(problems)
    return root / "out" / "_build" / "html"


def test_every_chapter_has_a_page(built_book):
    assert (built_book / "index.html").exists() and (built_book / "results.html").exists()
    for stem in chapter_stems():
        page = built_book / "chapters" / f"{stem}.html"
        assert page.exists(), f"no page for {stem}"
        html = page.read_text()
        assert "prf:" in html or "proof" in html
        assert 'class="solution dropdown' in html, f"{stem}: solutions must be collapsed (sphinx-exercise dropdown)"


def test_mathjax_is_local(built_book):
    if not (MATHJAX / "tex-mml-chtml.js").exists():
        pytest.skip("no local MathJax: 'make mathjax' needs npm")
    page = (built_book / "chapters" / f"{chapter_stems()[0]}.html").read_text()
    assert "_static/mathjax/tex-mml-chtml.js" in page and "cdn.jsdelivr" not in page
    assert (built_book / "_static" / "mathjax" / "tex-mml-chtml.js").exists()


def test_chapter_01_math_is_typeset_in_chromium(built_book):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    if not (MATHJAX / "tex-mml-chtml.js").exists():
        pytest.skip("no local MathJax: 'make mathjax' needs npm")
    report = inspect(built_book / "chapters" / "01_johnson_lindenstrauss.html", chromium)
    assert report.math_elements > 10, f"only {report.math_elements} typeset formulas"
    assert not report.raw_math, f"raw TeX left on the page: {report.raw_math[:3]}"
