"""Structure of the chapter notebooks, checked without executing them.

Pairs in sync, no outputs committed, the imports cell, exercises with checks,
proofs, summary and references, the table of contents.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from _common import NOTEBOOKS, ROOT, chapter_stems
from make_student import exercise_header, is_exercise, read_chapter
from sync_notebooks import cells_of, paired_notebook

STEMS = chapter_stems()


def test_there_are_chapters():
    assert STEMS and STEMS[0] == "01_johnson_lindenstrauss"


def test_toc_lists_every_chapter_in_order():
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    listed = [f.split("/", 1)[1] for f in files if f.startswith("chapters/")]
    assert listed == STEMS, f"book/_toc.yml lists {listed}, notebooks/ holds {STEMS}"


@pytest.fixture(params=STEMS)
def chapter(request) -> tuple[str, nbformat.NotebookNode]:
    return request.param, read_chapter(request.param)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_pair_in_sync(chapter):
    stem, _ = chapter
    ipynb = NOTEBOOKS / f"{stem}.ipynb"
    assert ipynb.exists(), f"{ipynb.name} is missing: run 'make sync'"
    assert cells_of(nbformat.read(ipynb, as_version=4)) == cells_of(paired_notebook(stem)), \
        f"{stem}.ipynb is out of sync with {stem}.py: run 'make sync'"


def test_committed_without_outputs(chapter):
    stem, _ = chapter
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{stem}.ipynb has outputs in cells {dirty}: run 'make sync'"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_imports_cell(chapter):
    stem, nb = chapter
    first = code_cells(nb)[0]
    assert "imports" in first.metadata.get("tags", []), f"{stem}: the first code cell must be tagged 'imports'"
    tree = ast.parse(first.source)  # a magic would be a syntax error here
    assert all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body), \
        f"{stem}: the imports cell may hold only import statements (the student test runs it alone)"


def test_setup_and_results(chapter):
    stem, nb = chapter
    source = "\n".join(c.source for c in code_cells(nb))
    assert f'setup_notebook("{stem}")' in source
    assert "results.record(" in source, f"{stem} records no headline number"
    sanity = [c for c in code_cells(nb) if re.search(r"^\s*assert\b", c.source, re.M) and not is_exercise(c)]
    assert len(sanity) >= 3, f"{stem}: expected visible sanity-check cells asserting the headline claims"


def test_exercises_have_checks(chapter):
    stem, nb = chapter
    cells = code_cells(nb)
    names = []
    for index, cell in enumerate(cells):
        if not is_exercise(cell):
            continue
        name, task = exercise_header(cell.source)
        assert name.split()[1].split(".")[0] == str(int(stem[:2])), f"{stem}: {name} is numbered for another chapter"
        names.append(name)
        follower = cells[index + 1] if index + 1 < len(cells) else None
        assert follower is not None and "check" in follower.metadata.get("tags", []), \
            f"{stem}: {name} is not followed by a code cell tagged 'check'"
        assert "checks." in follower.source, f"{stem}: the check of {name} must call course_lib.checks"
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    assert len(names) >= 3, f"{stem} has {len(names)} exercises; a chapter has at least three"
    assert len(set(names)) == len(names), f"{stem}: exercise numbers repeat: {names}"


def test_math_summary_references(chapter):
    stem, nb = chapter
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{prf:theorem}" in text or "{prf:lemma}" in text, f"{stem}: state the theory with sphinx-proof blocks"
    assert "{prf:proof}" in text
    assert text.count("{exercise}") >= 3
    assert re.search(r"^#+ .*Summary", text, re.M), f"{stem} has no Summary section"
    assert re.search(r"^#+ .*References", text, re.M), f"{stem} has no References section"


def test_every_exercise_has_wrong_solution_tests(chapter):
    stem, nb = chapter
    test_file = ROOT / "tests" / f"test_exercises_ch{stem[:2]}.py"
    assert test_file.exists(), f"{test_file.name} must hold a plausible wrong solution for each exercise of {stem}"
    text = test_file.read_text()
    for cell in code_cells(nb):
        if is_exercise(cell):
            func = re.search(r"^def (\w+)\(", cell.source, re.M)
            assert func, f"{stem}: an exercise cell must define one function"
            assert func.group(1) in text, f"{test_file.name} never mentions {func.group(1)}"
