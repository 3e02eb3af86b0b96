"""The pipeline scripts: results table, provenance, book checks, results page."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from build_book import results_section
from check_book import notebook_problems, page_problems
from results_table import table
from run_notebooks import add_provenance


def write_results(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "01_demo.json").write_text(json.dumps(
        {"notebook": "01_demo", "results": {"psnr": {"value": 28.1234, "unit": "dB", "label": "PSNR | test"}}}))


def test_results_table(tmp_path):
    write_results(tmp_path)
    text = table(tmp_path)
    assert "psnr" in text and "28.12" in text and "dB" in text and text.splitlines()[0].startswith("chapter")


def test_add_provenance(tmp_path):
    write_results(tmp_path)
    add_provenance(tmp_path, "01_demo", "full", 12.34)
    run = json.loads((tmp_path / "01_demo.json").read_text())["run"]
    assert run["profile"] == "full" and run["wall_time_s"] == 12.3 and "commit" in run and "date" in run
    add_provenance(tmp_path, "02_none", "ci", 1.0)
    assert json.loads((tmp_path / "02_none.json").read_text())["results"] == {}


def test_results_section_escapes_and_reports_provenance(tmp_path):
    write_results(tmp_path)
    add_provenance(tmp_path, "01_demo", "full", 5.0)
    text = "\n".join(results_section("Full", tmp_path, with_provenance=True))
    assert "PSNR \\| test" in text and "Profile `full`" in text and "5.0 s" in text
    assert "No results files yet" in "\n".join(results_section("x", tmp_path / "none", True))


def test_notebook_problems_finds_errors_and_counts_figures(tmp_path):
    nb = nbformat.v4.new_notebook()
    ok = nbformat.v4.new_code_cell("plot()")
    ok.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})]
    bad = nbformat.v4.new_code_cell("1/0")
    bad.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]
    nb.cells = [ok, bad]
    nbformat.write(nb, tmp_path / "x.ipynb")
    problems, figures = notebook_problems(tmp_path / "x.ipynb")
    assert figures == 1 and any("ZeroDivisionError" in p for p in problems)


def test_page_problems_finds_missing_images(tmp_path):
    (tmp_path / "a.png").write_bytes(b"png")
    page = tmp_path / "p.html"
    page.write_text('<html><article><img src="a.png"><img src="missing.png"></article></html>')
    problems = page_problems(page, expected_figures=3)
    assert any("missing.png does not exist" in p for p in problems)
    assert any("2 images on the page, 3 figures" in p for p in problems)
    assert page_problems(tmp_path / "nope.html", 0) == [f"missing page {tmp_path / 'nope.html'}"]


def test_bibliography_covers_every_citation():
    import re

    from _common import NOTEBOOKS, chapter_stems
    from build_book import BIB_ENTRY, merged_bibliography

    keys = set(BIB_ENTRY.findall(merged_bibliography()))
    for stem in chapter_stems():
        text = (NOTEBOOKS / f"{stem}.py").read_text()
        cited = {k.strip() for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text) for k in group.split(",")}
        missing = cited - keys
        assert not missing, f"{stem} cites keys missing from book/bib/*.bib: {sorted(missing)}"


def test_conflicting_bib_keys_are_an_error(tmp_path):
    import pytest

    from build_book import merged_bibliography

    (tmp_path / "a.bib").write_text("@article{k1,\n title={A}\n}\n")
    (tmp_path / "b.bib").write_text("@article{k1,\n title={A}\n}\n@book{k2,\n title={B}\n}\n")
    assert merged_bibliography(tmp_path).count("@") == 2
    (tmp_path / "c.bib").write_text("@article{k1,\n title={Other}\n}\n")
    with pytest.raises(SystemExit, match="k1"):
        merged_bibliography(tmp_path)
